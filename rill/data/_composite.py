"""Ragged and sparse leaves of tf.data elements.

Inside a pipeline a leaf whose spec is a `tf.RaggedTensorSpec` with ragged_rank >= 1 travels
as an eager `tf.RaggedTensor`, one with ragged_rank 0 (a row of a 2-D ragged tensor) as a
NumPy array (TensorFlow hands those out as dense tensors), and a `tf.SparseTensorSpec` leaf as
an eager `tf.SparseTensor`. This module slices, batches and unbatches them on NumPy arrays:
a ragged value is handled as (flat_values, [row_splits, ...]), outermost splits first.
"""

from __future__ import annotations

import numpy as np

from rill._core.errors import InvalidArgumentError
from rill._core.tensor_shape import TensorShape
from rill.ops.ragged.ragged_tensor import RaggedTensor, RaggedTensorSpec
from rill.ops.sparse_ops import SparseTensor, SparseTensorSpec

COMPOSITE_SPECS = (RaggedTensorSpec, SparseTensorSpec)
COMPOSITE_VALUES = (RaggedTensor, SparseTensor)


def _np(t):
    return np.asarray(getattr(t, "_value", t))


def _wrap(v):
    from rill.data._structure import _wrap as w
    return w(v)


# -- ragged -----------------------------------------------------------------------------------
def ragged_parts(v, ragged_rank: int):
    """(flat_values, [splits]) of `v` (a RaggedTensor or a dense array) at `ragged_rank`."""
    if isinstance(v, RaggedTensor):
        if v.ragged_rank != ragged_rank:
            raise InvalidArgumentError(None, "batch", f"expected ragged_rank {ragged_rank}, "
                                       f"got a RaggedTensor of ragged_rank {v.ragged_rank}.")
        return _np(v.flat_values), [_np(s) for s in v.nested_row_splits]
    a = np.asarray(v)
    splits = []
    for k in range(ragged_rank):   # uniform rows: dims 0..k give rows of length dims[k+1]
        n = int(np.prod(a.shape[:k + 1]))
        splits.append(np.arange(n + 1, dtype=np.int64) * a.shape[k + 1])
    return a.reshape((-1,) + a.shape[ragged_rank + 1:]) if ragged_rank else a, splits


def make_ragged(flat, splits, splits_dtype=np.int64):
    """A RaggedTensor (or the dense `flat` when there are no splits)."""
    if not splits:
        return flat
    out = _wrap(flat)
    for s in reversed(splits):
        out = RaggedTensor(out, _wrap(np.asarray(s, dtype=splits_dtype)), internal=True)
    return out


def ragged_stack(values: list, spec: RaggedTensorSpec):
    """Elements of ragged_rank `spec.ragged_rank - 1` (or dense) -> one RaggedTensor."""
    k = spec.ragged_rank - 1
    parts = [ragged_parts(v, k) for v in values]
    flats = [p[0] for p in parts]
    nrows = [len(p[1][0]) - 1 if k else len(p[0]) for p in parts]
    outer = np.concatenate([[0], np.cumsum(nrows)]).astype(np.int64)
    splits = [outer]
    for j in range(k):
        acc, pieces = 0, [np.zeros(1, np.int64)]
        for _, s in parts:
            pieces.append(s[j][1:] + acc)
            acc += int(s[j][-1])
        splits.append(np.concatenate(pieces).astype(np.int64))
    try:
        flat = np.concatenate(flats) if flats else np.zeros((0,), spec.dtype._np)
    except ValueError:
        raise InvalidArgumentError(None, "batch", "Cannot batch ragged elements whose inner "
                                   "dimensions differ.") from None
    return make_ragged(flat, splits, spec.row_splits_dtype._np)


def ragged_rows(v, n_hint=None):
    """The rows of a RaggedTensor: dense arrays for ragged_rank 1, RaggedTensors above."""
    flat, splits = ragged_parts(v, v.ragged_rank)
    sdt = _np(v.row_splits).dtype
    out = []
    for i in range(len(splits[0]) - 1):
        a, b = int(splits[0][i]), int(splits[0][i + 1])
        sub = []
        for s in splits[1:]:
            seg = s[a:b + 1]
            sub.append(seg - seg[0])
            a, b = int(seg[0]), int(seg[-1])
        out.append(make_ragged(flat[a:b], sub, sdt))
    return out


# -- sparse -----------------------------------------------------------------------------------
def make_sparse(indices, values, shape):
    return SparseTensor._from_parts(_wrap(np.asarray(indices, np.int64).reshape(-1, len(shape))),
                                    _wrap(values), _wrap(np.asarray(shape, np.int64)))


def sparse_rows(v: SparseTensor):
    idx, vals, shape = _np(v.indices), _np(v.values), _np(v.dense_shape)
    if len(shape) == 0:
        raise ValueError("unbatch: cannot slice a scalar SparseTensor.")
    return [make_sparse(idx[idx[:, 0] == i][:, 1:], vals[idx[:, 0] == i], shape[1:])
            for i in range(int(shape[0]))]


def sparse_stack(values: list):
    parts = [(_np(v.indices), _np(v.values), _np(v.dense_shape)) for v in values]
    ranks = {len(p[2]) for p in parts}
    if len(ranks) > 1:
        raise InvalidArgumentError(None, "batch", "Cannot batch SparseTensors of different "
                                   "ranks.")
    rank = ranks.pop() if ranks else 0
    shape = np.max(np.stack([p[2] for p in parts]), axis=0) if rank else np.zeros(0, np.int64)
    idx = np.concatenate([np.concatenate([np.full((len(p[0]), 1), i, np.int64), p[0]], 1)
                          for i, p in enumerate(parts)]) if parts else \
        np.zeros((0, rank + 1), np.int64)
    vals = np.concatenate([p[1] for p in parts])
    return make_sparse(idx, vals, np.concatenate([[len(parts)], shape]))


# -- specs ------------------------------------------------------------------------------------
def spec_of(v):
    if isinstance(v, RaggedTensor):
        return RaggedTensorSpec.from_value(v)
    return SparseTensorSpec.from_value(v)


def sliced_spec(s):
    if isinstance(s, RaggedTensorSpec):
        return RaggedTensorSpec(s.shape[1:], s.dtype, s.ragged_rank - 1, s.row_splits_dtype)
    return SparseTensorSpec(s.shape[1:], s.dtype)


def batched_spec(s, size):
    shape = TensorShape([size]).concatenate(s.shape)
    if isinstance(s, RaggedTensorSpec):
        return RaggedTensorSpec(shape, s.dtype, s.ragged_rank + 1, s.row_splits_dtype)
    return SparseTensorSpec(shape, s.dtype)


def relax(a, b):
    if type(a) is not type(b) or a.dtype != b.dtype:
        return None
    if a.shape.rank != b.shape.rank:
        return None
    shape = a.shape.most_specific_compatible_shape(b.shape)
    if isinstance(a, RaggedTensorSpec):
        if a.ragged_rank != b.ragged_rank:
            return None
        return RaggedTensorSpec(shape, a.dtype, a.ragged_rank, a.row_splits_dtype)
    return SparseTensorSpec(shape, a.dtype)


def slice_leaf(v, s):
    """The rows of one from_tensor_slices component."""
    if isinstance(s, RaggedTensorSpec):
        return ragged_rows(v)
    return sparse_rows(v)


def is_dense_like(s) -> bool:
    """A leaf that travels as a NumPy array."""
    return isinstance(s, RaggedTensorSpec) and s.ragged_rank == 0
