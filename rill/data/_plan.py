"""Index plans: the fast path of `from_tensor_slices(...).shuffle(...).batch(...)`.

A dataset whose elements are rows of NumPy arrays, picked in the order of a stream of row
indices, describes itself as an `IndexPlan`: the arrays, and a function of the iteration
context that yields int64 index chunks. `from_tensor_slices` makes one; shuffle, repeat,
take and skip transform the index stream (shuffle runs the same algorithm on indices as on
elements, so both orders agree); `batch` gathers each batch with one fancy index per
component. Iterating a plan element by element yields the same rows.
"""

from __future__ import annotations

import itertools

import numpy as np

CHUNK = 4096


class IndexPlan:
    """Rows of `arrays` (flat components) in the order of `chunks(ctx)`."""

    __slots__ = ("arrays", "chunks", "getters")

    def __init__(self, arrays: list, chunks):
        self.arrays = arrays
        self.chunks = chunks
        # a row of a 1-D string array stays an array (bytes are not NumPy values)
        self.getters = [a.__getitem__ if a.dtype != object or a.ndim > 1 else
                        (lambda i, a=a: a[i, ...]) for a in arrays]

    def derive(self, chunks) -> IndexPlan:
        return IndexPlan(self.arrays, chunks)

    def rows(self, ctx):
        getters = self.getters
        if len(getters) == 1:
            g = getters[0]
            for idx in self.chunks(ctx):
                for i in idx.tolist():
                    yield (g(i),)
            return
        for idx in self.chunks(ctx):
            for i in idx.tolist():
                yield tuple([g(i) for g in getters])

    def gather(self, idx) -> tuple:
        return tuple([a[idx] for a in self.arrays])


def arange_chunks(n: int):
    def chunks(ctx):
        for s in range(0, n, CHUNK):
            yield np.arange(s, min(s + CHUNK, n), dtype=np.int64)
    return chunks


def regroup(chunks, size: int, drop_remainder: bool):
    """Index chunks re-cut into arrays of exactly `size` (the last may be short)."""
    pending: list = []
    have = 0
    for c in chunks:
        if not have and len(c) == size:
            yield c
            continue
        while len(c):
            take = c[: size - have]
            pending.append(take)
            have += len(take)
            c = c[len(take):]
            if have == size:
                yield pending[0] if len(pending) == 1 else np.concatenate(pending)
                pending, have = [], 0
    if have and not drop_remainder:
        yield pending[0] if len(pending) == 1 else np.concatenate(pending)


def take_chunks(chunks, count: int):
    left = count
    for c in chunks:
        if left <= 0:
            return
        if len(c) > left:
            c = c[:left]
        left -= len(c)
        yield c


def skip_chunks(chunks, count: int):
    left = count
    for c in chunks:
        if left >= len(c):
            left -= len(c)
            continue
        yield c[left:] if left else c
        left = 0


def flat_ints(chunks):
    return itertools.chain.from_iterable(c.tolist() for c in chunks)


def int_chunks(ints):
    """An iterator of ints as int64 chunks."""
    while True:
        c = np.fromiter(itertools.islice(ints, 256), dtype=np.int64)
        if not len(c):
            return
        yield c
