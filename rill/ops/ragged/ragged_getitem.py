"""Indexing and slicing of RaggedTensors (`rt[key]`), as TensorFlow allows it.

The outer (row) dimension takes an int (one row: a tensor, or a RaggedTensor when nested)
or a slice (some rows); a ragged dimension takes only slices, applied to every row; uniform
inner dimensions take anything a tensor takes.
"""

from __future__ import annotations

import operator

import numpy as np

from rill._core.graph import constant_value
from rill._core.op import execute
from rill._core.tensor import Tensor
from rill._core.tensor import wrap as _wrap
from rill.ops.gather_scatter_ops import gather
from rill.ops.ragged.ragged_tensor import GATHER_ROWS, SLICE_ROWS, RaggedTensor

_INNER_RAGGED = ("Cannot index into an inner ragged dimension.\nhint: rows have different "
                 "lengths, so an int picks nothing uniformly; slice instead (rt[:, i:i+1]) "
                 "or pad first (rt.to_tensor()[:, i]).")


def gather_values(values, positions):
    """values[positions] along the first dimension (rows, when values is ragged)."""
    if isinstance(values, RaggedTensor):
        return gather_rows(values, positions)
    return gather(values, positions)


def gather_rows(rt: RaggedTensor, indices) -> RaggedTensor:
    """The rows of `rt` at `indices` (a vector of row numbers)."""
    idx = indices if isinstance(indices, Tensor) else _wrap(np.asarray(indices, np.int64))
    splits, positions = execute(GATHER_ROWS, (rt.row_splits, idx))
    return RaggedTensor(gather_values(rt.values, positions), splits, internal=True)


def _as_index(k):
    if isinstance(k, (bool, np.bool_)):
        return None
    try:
        return operator.index(k)
    except TypeError:
        pass
    if isinstance(k, Tensor) and k.shape.rank == 0 and k.dtype.is_integer:
        return k
    return None


def _static(v):
    if v is None or isinstance(v, (int, np.integer)):
        return None if v is None else int(v)
    known = constant_value(v)
    if known is None:
        raise TypeError("RaggedTensor slices need bounds known while tracing.\nhint: pass "
                        "Python ints.")
    return int(known)


def _expand(key: tuple, rank) -> tuple:
    if not any(k is Ellipsis for k in key):
        return key
    if rank is None:
        raise ValueError("Ellipsis needs a RaggedTensor of known rank.")
    i = next(j for j, k in enumerate(key) if k is Ellipsis)
    fill = rank - (len(key) - 1)
    return key[:i] + (slice(None),) * max(fill, 0) + key[i + 1:]


def getitem(rt: RaggedTensor, key):
    """`rt[key]`.

    >>> rt = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2]])
    >>> rt[0].numpy(), rt[:, 1:3].to_list()
    (array([3, 1, 4, 1], dtype=int32), [[1, 4], [], [9, 2]])
    """
    key = key if isinstance(key, tuple) else (key,)
    key = _expand(key, rt.shape.rank)
    if not key:
        return rt
    if any(k is None for k in key):
        raise ValueError("tf.newaxis is not supported when indexing a RaggedTensor.\nhint: "
                         "use tf.expand_dims on the result.")
    first, rest = key[0], key[1:]
    i = _as_index(first)
    if i is not None:
        n = rt._nrows_static()
        if isinstance(i, int) and n is not None and not -n <= i < n:
            raise IndexError(f"Row key {i} out of bounds\nThe RaggedTensor has {n} rows.\n"
                             f"hint: row indices lie in [-{n}, {n}).")
        idx = _wrap(np.array([i], np.int64)) if isinstance(i, int) else \
            _reshape_index(i)
        row = gather_rows(rt, idx).values
        if not rest:
            return row
        return getitem(row, rest) if isinstance(row, RaggedTensor) else row[rest]
    if isinstance(first, slice):
        rows = _slice_rows_outer(rt, first)
        return _getitem_inner(rows, rest) if rest else rows
    raise TypeError(f"RaggedTensor indices must be integers or slices, got {first!r}.\nhint: "
                    f"use tf.gather(rt, indices) for a list of rows.")


def _reshape_index(i):
    from rill._core import dtypes
    from rill.ops.array_ops import reshape
    from rill.ops.math_ops import cast
    return reshape(cast(i, dtypes.int64), [1])


def _slice_rows_outer(rt: RaggedTensor, s: slice) -> RaggedTensor:
    if s.start is None and s.stop is None and s.step is None:
        return rt
    step = 1 if s.step is None else _static(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    n = rt.nrows()
    outer = _wrap(np.array([0], n.dtype._np))
    from rill.ops.array_ops import reshape
    from rill.ops.manip_ops import concat
    splits = concat([outer, reshape(n, [1])], 0)
    _, rows = execute(SLICE_ROWS, (splits,), {"start": _static(s.start),
                                             "stop": _static(s.stop), "step": step})
    return gather_rows(rt, rows)


def _getitem_inner(rt: RaggedTensor, key: tuple):
    """`key` applied to dimensions 1.. of every row (dimension 0 kept whole)."""
    first, rest = key[0], key[1:]
    if _as_index(first) is not None:
        raise ValueError(_INNER_RAGGED)
    if not isinstance(first, slice):
        raise TypeError(f"RaggedTensor indices must be integers or slices, got {first!r}.")
    if first.start is None and first.stop is None and first.step is None:
        splits, values = rt.row_splits, rt.values
    else:
        step = 1 if first.step is None else _static(first.step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        splits, positions = execute(SLICE_ROWS, (rt.row_splits,), {
            "start": _static(first.start), "stop": _static(first.stop), "step": step})
        values = gather_values(rt.values, positions)
    if rest:
        if isinstance(values, RaggedTensor):
            values = _getitem_inner(values, rest)
        else:
            values = values[(slice(None),) + rest]
    return RaggedTensor(values, splits, internal=True)
