"""Result arrays recycled between kernel calls.

A fresh NumPy array above glibc's mmap threshold (128 KB until the process happens to raise
it) is mapped from the operating system, and every page of it faults when first written.
On a virtual machine a fault costs some 10 us: measured here, a fresh zeroed 1.4 MB array
written once takes 680 faults and ~7 ms, the same array written again 0.1 ms. A training
step allocates the same large activations and gradients at every step (W6: ~3,300 faults,
about a third of a step), so the kernels of large results take them from here instead: an
array of the same shape and dtype that nothing refers to any longer -- its reference count
says that only this pool holds it -- is handed out again. Arrays still referenced, by a
value, a view or a variable, are never handed out.

The pool keeps at most `PER_SHAPE` arrays of a shape and `MAX_BYTES` in all, dropping the
shapes least recently asked for first; dropping only forgets an array, whoever uses it keeps
it.
"""

from __future__ import annotations

import math
import os
import sys
import threading

import numpy as np

MIN_BYTES = 1 << 17  # smaller arrays come from malloc's heap, which keeps its pages
MAX_BYTES = 64 << 20
PER_SHAPE = 8

_lock = threading.Lock()
_held: dict = {}  # (shape, dtype) -> [arrays], the least recently asked for shape first
_bytes = [0]


def _refs(arrays: list, i: int) -> int:
    return sys.getrefcount(arrays[i])


_SOLE = _refs([np.empty(1)], 0)  # the count `_refs` sees when only the list holds an array


def empty(shape: tuple, dtype) -> np.ndarray:
    """An uninitialized array of `shape` and `dtype`: a recycled one when the pool holds one
    that nothing else refers to."""
    shape, dtype = tuple(int(s) for s in shape), np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES or nbytes > MAX_BYTES // 4 or dtype.hasobject:
        return np.empty(shape, dtype)
    key = (shape, dtype)
    with _lock:
        arrays = _held.pop(key, [])
        _held[key] = arrays  # now the most recently asked for
        for i in range(len(arrays)):
            if _refs(arrays, i) == _SOLE:
                return arrays[i]
        out = np.empty(shape, dtype)
        if len(arrays) < PER_SHAPE:
            arrays.append(out)
            _bytes[0] += nbytes
            while _bytes[0] > MAX_BYTES:
                oldest = next(iter(_held))
                _bytes[0] -= sum(a.nbytes for a in _held.pop(oldest))
        return out


def zeros(shape: tuple, dtype) -> np.ndarray:
    """`empty(shape, dtype)` filled with zeros."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def clear() -> None:
    """Forgets every array held (they are freed once nobody else uses them)."""
    with _lock:
        _held.clear()
        _bytes[0] = 0


def _after_fork() -> None:  # a fork while another thread held the lock must not deadlock
    global _lock
    _lock = threading.Lock()
    _held.clear()
    _bytes[0] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
