"""Reads an HDF5 file once in a child process before rill reads it, so that a damaged or
hostile file that makes libhdf5 hang or crash costs an error, not the interpreter.

HDF5 files are parsed by libhdf5 (C), which can loop or crash on crafted bytes. Before a
model or weights file is opened in the process, a forked child opens it and reads every
attribute and every dataset (up to 1 GiB of data); if the child fails, crashes or does not
finish within a time limit, loading raises `ModelFileError` naming the file. Where `fork`
is not available (Windows) the check is skipped.
"""

from __future__ import annotations

import io
import os
import select
import signal
import time
import warnings

_DATA_BUDGET = 1 << 30
_SECONDS = 20.0
_BYTES_PER_SECOND = 50e6


def _read_everything(source) -> None:
    import h5py
    budget = [_DATA_BUDGET]
    with h5py.File(io.BytesIO(source) if isinstance(source, bytes) else source, "r") as f:
        for key in f.attrs:
            f.attrs[key]

        def visit(name, obj):
            for key in obj.attrs:
                obj.attrs[key]
            if isinstance(obj, h5py.Dataset):
                if obj.is_virtual or obj.external or obj.shape is None:
                    return
                count = 1
                for d in obj.shape:
                    count *= int(d)
                nbytes = count * obj.dtype.itemsize
                if nbytes <= budget[0]:
                    budget[0] -= nbytes
                    obj[()]

        f.visititems(visit)


def check(source, where: str) -> None:
    """Raises `ModelFileError` unless a child process can read all of `source` (a path or
    the bytes of an HDF5 file)."""
    from rill.keras.saving.keras_format import ModelFileError
    if not hasattr(os, "fork"):
        return
    size = len(source) if isinstance(source, bytes) else os.path.getsize(source)
    limit = _SECONDS + size / _BYTES_PER_SECOND
    r, w = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in threaded processes;
        warnings.simplefilter("ignore", DeprecationWarning)  # the child only reads a file
        pid = os.fork()
    if pid == 0:  # the child: read, report, and leave without running any cleanup
        code = 0
        try:
            import faulthandler
            faulthandler.disable()  # a crash is reported to the parent, not dumped here
            os.close(r)
            try:
                _read_everything(source)
            except BaseException as e:  # noqa: BLE001 - every failure is reported
                code = 1
                os.write(w, f"{type(e).__name__}: {e}".encode("utf-8", "replace")[:2000])
        finally:
            os._exit(code)
    os.close(w)
    try:
        message = _wait(pid, r, limit)
    finally:
        os.close(r)
    if message is not None:
        raise ModelFileError(f"{where}: {message}.\nhint: the file is damaged, truncated or "
                             f"not an HDF5 file written by Keras or rill.")


def _wait(pid: int, r: int, limit: float) -> str | None:
    deadline = time.monotonic() + limit
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"reading the HDF5 data did not finish within {limit:.0f} s"
        ready, _, _ = select.select([r], [], [], min(left, 1.0))
        if ready:
            data = os.read(r, 4096)
            if data:
                chunks.append(data)
                continue
            break  # EOF: the child has exited (or is exiting)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"libhdf5 crashed reading the file (signal {os.WTERMSIG(status)})"
    if os.WEXITSTATUS(status) != 0:
        text = b"".join(chunks).decode("utf-8", "replace")
        return f"it is not a readable HDF5 file ({text})"
    return None
