"""`TensorList`: the run-time value of a traced `tf.TensorArray`, a persistent list of arrays.

A traced TensorArray is one tensor whose static spec is the dense [size, *element_shape], but
whose value is a `TensorList`: writes return a new list and leave the old one as it was, as
values must, yet cost O(1) (amortized), so a loop writing n elements costs O(n), not the
O(n^2) of copying a dense buffer per write.

The versions of one list share one store (a dict from index to array; a missing entry reads
as zeros). The newest version reads the store directly; each older version keeps the change
that leads to a newer one (Baker's "diff arrays", as in Conchon and Filliatre's persistent
arrays). Reading or writing an older version first walks back to it, undoing changes (and
recording them the other way round), so any version can be used at any time, and a loop's
backward pass, which visits its iterations' lists newest first, pays one step per iteration.
Versions of one store are not safe to use from two threads at once; each call of a traced
function makes its own lists.

For code that is not TensorArray's (a tape's `zeros_like` and sums, `np.shape`, `.numpy()`)
a `TensorList` behaves as its dense array: `np.zeros_like` gives an empty list of the same
size, `+` adds elementwise (touching only the smaller list's entries), and anything else sees
the stacked array.
"""

from __future__ import annotations

import numpy as np


class _Store:
    __slots__ = ("items", "high")

    def __init__(self, items: dict):
        self.items = items
        self.high = max(items, default=-1)  # no entry above this index


class TensorList:
    """One version of a persistent list: `size` elements of `dtype` (NumPy), each an array
    of `element_shape` (a tuple, or None while unknown) or absent (zeros)."""

    __slots__ = ("_store", "_diff", "size", "element_shape", "dtype")
    __array_ufunc__ = None  # ndarray + TensorList defers to TensorList.__radd__

    def __init__(self, store: _Store, size: int, element_shape, dtype):
        self._store = store
        self._diff = None  # None: the store holds this version; else (newer, changes)
        self.size = size
        self.element_shape = element_shape
        self.dtype = np.dtype(dtype)

    @classmethod
    def empty(cls, size: int, element_shape, dtype) -> TensorList:
        return cls(_Store({}), size, element_shape, dtype)

    @classmethod
    def from_array(cls, x) -> TensorList:
        """The list of the rows of `x` (views, not copies)."""
        x = np.asarray(x)
        return cls(_Store(dict(enumerate(x))), len(x), x.shape[1:], x.dtype)

    # -- versions ---------------------------------------------------------------------------
    def _reroot(self) -> dict:
        """Makes the store hold this version; returns its items."""
        if self._diff is None:
            return self._store.items
        path = []
        v = self
        while v._diff is not None:
            path.append(v)
            v = v._diff[0]
        items = self._store.items
        for w in reversed(path):  # undo the change that leads from w to its newer version
            newer, changes = w._diff
            back = []
            for i, old in reversed(changes):
                back.append((i, items.get(i)))
                if old is None:
                    items.pop(i, None)
                else:
                    items[i] = old
            newer._diff = (w, back)
            w._diff = None
        return items

    def _derive(self, changes: dict, size: int, element_shape) -> TensorList:
        """The new version: this one with `changes` (index -> array or None) and `size`."""
        items = self._reroot()
        store = self._store
        # indices at or past this version's size are stale: the new version sees zeros there
        if size > self.size and store.high >= self.size:
            for i in range(self.size, min(size, store.high + 1)):
                changes.setdefault(i, None)
        log = []
        for i, value in changes.items():
            log.append((i, items.get(i)))
            if value is None:
                items.pop(i, None)
            else:
                items[i] = value
                if i > store.high:
                    store.high = i
        new = TensorList(store, size, element_shape, self.dtype)
        self._diff = (new, log)
        return new

    # -- the list operations --------------------------------------------------------------
    def get(self, i: int):
        """Element `i`: its array, or None when it was never written (zeros)."""
        return self._reroot().get(i) if i < self.size else None

    def set(self, i: int, value) -> TensorList:
        shape = self.element_shape if self.element_shape is not None else np.shape(value)
        return self._derive({i: value}, max(self.size, i + 1), shape)

    def set_many(self, indices, rows) -> TensorList:
        changes = dict(zip(indices, rows))
        shape = self.element_shape if self.element_shape is not None else np.shape(rows)[1:]
        return self._derive(changes, max(self.size, max(changes, default=-1) + 1), shape)

    def resized(self, size: int) -> TensorList:
        return self if size == self.size else self._derive({}, size, self.element_shape)

    def entries(self) -> list:
        """The (index, array) pairs of the written elements."""
        n = self.size
        return [(i, v) for i, v in self._reroot().items() if i < n]

    def zeros(self):
        return np.zeros(self.element_shape or (), self.dtype)

    def stack(self) -> np.ndarray:
        entries = self.entries()
        elem = self.element_shape
        if elem is None:
            elem = np.shape(entries[0][1]) if entries else ()
        out = np.zeros((self.size,) + tuple(elem), self.dtype)
        for i, v in entries:
            out[i] = v
        return out

    # -- as a dense array, for code that is not TensorArray's --------------------------------
    @property
    def shape(self) -> tuple:
        return (self.size,) + tuple(self.element_shape or ())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.size

    def __array__(self, dtype=None, copy=None):
        out = self.stack()
        return out if dtype is None else out.astype(dtype)

    def copy(self) -> np.ndarray:
        return self.stack()

    def __array_function__(self, func, types, args, kwargs):
        if func is np.zeros_like:
            return TensorList.empty(self.size, self.element_shape, self.dtype)
        if func is np.shape:
            return self.shape
        if func is np.ndim:
            return self.ndim
        dense = [np.asarray(a) if isinstance(a, TensorList) else a for a in args]
        return func(*dense, **kwargs)

    def __add__(self, other):
        if not isinstance(other, TensorList):
            return self.stack() + other
        a, b = self, other
        if len(b._store.items) > len(a._store.items):
            a, b = b, a
        for i, v in b.entries():  # the larger list, changed where the smaller has entries
            mine = a.get(i)
            a = a.set(i, v if mine is None else mine + v)
        return a

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"<TensorList size={self.size} element_shape={self.element_shape}>"


def as_list(x) -> TensorList:
    """`x` as a TensorList (a dense array is split into its rows)."""
    return x if type(x) is TensorList else TensorList.from_array(x)
