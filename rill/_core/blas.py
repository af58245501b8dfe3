"""BLAS threads are rill's business.

NumPy's OpenBLAS spins up all cores for every product; on a busy machine small products then
run many times slower than on one thread (see ../shared/bench/README.md). rill runs small
products on one thread and lets large ones (`LARGE_FLOPS` and up) use
`intra_op_threads` threads. The switch is a ctypes call made only when the wanted count
changes. A user who sets OPENBLAS_NUM_THREADS keeps full control: rill then changes nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os

# multiply-adds. Measured on 2 cores (NumPy 2.4, OpenBLAS): from about 160^3 (4M) to 256^3,
# two threads are 15-35% faster than one while the other core is idle, but 3-5x slower
# (median) while other processes keep both cores busy; below 4M one thread is as fast. The
# threshold stays where a product is large enough for the gain to pay for that risk.
LARGE_FLOPS = 1 << 24

_state = {"lib": None, "setter": None, "current": None, "large": os.cpu_count() or 1,
          "enabled": "OPENBLAS_NUM_THREADS" not in os.environ
          and "RILL_NO_BLAS_THREADS" not in os.environ}


def _find_setter():
    import numpy as np
    base = os.path.dirname(np.__file__)
    candidates = glob.glob(os.path.join(base, "..", "numpy.libs", "*openblas*")) + \
        glob.glob(os.path.join(base, ".dylibs", "*openblas*"))
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = None
                _state["lib"] = lib
                return fn
    return None


def set_threads(n: int) -> None:
    """Sets OpenBLAS's thread count if it differs from the last count rill set."""
    if n == _state["current"] or not _state["enabled"]:
        return
    setter = _state["setter"]
    if setter is None:
        setter = _state["setter"] = _find_setter() or (lambda n: None)
    setter(int(n))
    _state["current"] = n


def for_flops(flops: int) -> None:
    """Chooses the thread count for a product of `flops` multiply-adds."""
    set_threads(_state["large"] if flops >= LARGE_FLOPS else 1)


def set_large_product_threads(n: int) -> None:
    """Threads used for large products (`tf.config.threading.set_intra_op_parallelism_threads`)."""
    _state["large"] = max(1, int(n)) if n else (os.cpu_count() or 1)


def large_product_threads() -> int:
    return _state["large"]
