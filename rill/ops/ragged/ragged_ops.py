"""The `tf.ragged` functions and the versions of public ops that TensorFlow dispatches on
RaggedTensors (elementwise math and comparisons, reductions, concat, stack, gather, where,
boolean_mask, shape, ...).

Elementwise ops run on `flat_values` when the operands share their row partitions; a dense
operand is read at each stored element's coordinates (`gather_nd`), so it broadcasts as in
TensorFlow. Reductions along a ragged axis are segment reductions.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value as _known
from rill._core.op import defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as m
from rill.ops import reduction_ops as r
from rill.ops import segment_ops as seg
from rill.ops._util import to_tensor as _as_tensor
from rill.ops.array_ops import expand_dims, fill, range_, reshape, sequence_mask, shape, where
from rill.ops.gather_scatter_ops import boolean_mask as _dense_boolean_mask
from rill.ops.gather_scatter_ops import gather, gather_nd
from rill.ops.manip_ops import concat as _dense_concat
from rill.ops.manip_ops import stack as _dense_stack
from rill.ops.ragged.ragged_getitem import gather_rows, gather_values
from rill.ops.ragged.ragged_tensor import (
    COORDS,
    ROW_IDS,
    ROW_IDS_TO_SPLITS,
    RaggedTensor,
    _splits_dtype,
)

_I64 = np.dtype(np.int64)
_pyrange = __builtins__["range"] if isinstance(__builtins__, dict) else __builtins__.range


def is_ragged(x) -> bool:
    return isinstance(x, RaggedTensor)


def _zero_like_splits(splits):
    return _wrap(np.zeros(1, splits.dtype._np))


# -- tf.ragged.constant -------------------------------------------------------------------
def _depth(x, fn: str) -> int:
    """The nesting depth of the scalars of a Python list (all must be at the same depth)."""
    if not isinstance(x, (list, tuple)):
        return 0
    depths = {_depth(c, fn) for c in x}
    depths.discard(None)
    if not depths:
        return None  # only empty lists below: any depth
    if len(depths) > 1:
        raise ValueError("all scalar values must have the same nesting depth\nhint: every "
                         "value must sit at the same number of brackets, e.g. [[1, 2], [3]].")
    return depths.pop() + 1


def _empty_depth(x) -> int:
    return 1 + max((_empty_depth(c) for c in x), default=0) if isinstance(x, (list, tuple)) \
        else 0


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=_dtypes.int64):
    """A RaggedTensor of a nested Python list (`tf.ragged.constant`); `ragged_rank` outer
    dimensions are ragged (default: all but the scalars' dimension and `inner_shape`).

    >>> tf.ragged.constant([[1, 2], [3]])
    <tf.RaggedTensor [[1, 2], [3]]>
    >>> tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1).shape
    TensorShape([2, None, 2])
    """
    from rill._core.convert import constant as dense_constant
    splits_dtype = _splits_dtype(row_splits_dtype)
    if isinstance(pylist, (RaggedTensor, Tensor)):
        raise TypeError("tf.ragged.constant takes a Python list; got a tensor.\nhint: use "
                        "tf.RaggedTensor.from_tensor for tensors.")
    depth = _depth(pylist, "tf.ragged.constant")
    inner = tuple(inner_shape) if inner_shape is not None else None
    if depth is None:  # only empty lists: scalars sit below the deepest list
        depth = _empty_depth(pylist) + (len(inner) if inner else 0)
    if ragged_rank is None:
        ragged_rank = max(0, depth - 1 - (len(inner) if inner else 0))
    if ragged_rank >= max(depth, 1) and depth:
        raise ValueError(f"tf.ragged.constant: ragged_rank={ragged_rank} must be smaller than "
                         f"the nesting depth {depth} of the values.")
    if ragged_rank == 0:
        return dense_constant(pylist, dtype=dtype)
    nested = []
    items = list(pylist)
    for _ in _pyrange(ragged_rank):
        lengths = []
        flat = []
        for row in items:
            if not isinstance(row, (list, tuple)):
                raise ValueError("tf.ragged.constant: a scalar sits where a row is expected.")
            lengths.append(len(row))
            flat.extend(row)
        nested.append(np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
                      .astype(splits_dtype._np))
        items = flat
    if items:
        values = dense_constant(items, dtype=dtype)
        if inner is not None and tuple(values.shape.as_list()[1:]) != inner:
            raise ValueError(f"tf.ragged.constant: the inner values have shape "
                             f"{values.shape[1:]}, not inner_shape {list(inner)}.")
    else:
        if inner is None:
            inner = (0,) * max(0, depth - 1 - ragged_rank) if depth > ragged_rank + 1 else ()
        values = dense_constant(np.zeros((0,) + inner, (dtype or _dtypes.float32).as_numpy_dtype
                                         if not isinstance(dtype, str) else dtype),
                                dtype=dtype)
    result = values
    for splits in reversed(nested):
        result = RaggedTensor(result, _wrap(splits), internal=True)
    return result


def constant_value(pylist, dtype=None, ragged_rank=None, inner_shape=None,
                   row_splits_dtype="int64"):
    """`tf.ragged.constant` (rill has no separate ragged NumPy value type)."""
    return constant(pylist, dtype, ragged_rank, inner_shape,
                    row_splits_dtype=row_splits_dtype)


# -- tf.ragged.range ----------------------------------------------------------------------
def _range_kernel(starts, limits, deltas, *, splits_dtype):
    starts, limits, deltas = np.broadcast_arrays(starts, limits, deltas)
    if np.any(deltas == 0):
        raise InvalidArgumentError(None, "RaggedRange", "Requires delta != 0 [Op:RaggedRange]"
                                   "\nhint: give every row a non-zero step.")
    starts, limits, deltas = starts.reshape(-1), limits.reshape(-1), deltas.reshape(-1)
    if starts.dtype.kind == "f":
        counts = np.maximum(0, np.ceil((limits - starts) / deltas)).astype(np.int64)
    else:
        counts = np.maximum(0, -((starts - limits) // deltas)).astype(np.int64)
    splits = np.concatenate([[0], np.cumsum(counts)]).astype(splits_dtype._np)
    k = np.arange(splits[-1]) - np.repeat(splits[:-1], counts)
    values = (np.repeat(starts, counts) + k * np.repeat(deltas, counts)).astype(starts.dtype)
    return splits, values


def _range_rule(starts, limits, deltas, *, splits_dtype):
    n = None
    for t in (starts, limits, deltas):
        if t.shape.rank == 1:
            n = t.shape[0]
    return [(TensorShape([None if n is None else n + 1]), splits_dtype),
            (TensorShape([None]), starts.dtype)]


RAGGED_RANGE = defop("RaggedRange", _range_kernel, _range_rule, grad=None, num_outputs=2,
                     public_name="tf.ragged.range")


def range(starts, limits=None, deltas=1, dtype=None, name=None,  # noqa: A001 - TF's name
          row_splits_dtype=_dtypes.int64) -> RaggedTensor:
    """Row i is tf.range(starts[i], limits[i], deltas[i]) (`tf.ragged.range`); with one
    argument, rows are tf.range(limits[i]).

    >>> tf.ragged.range([3, 5, 1], [5, 5, 4]).to_list()
    [[3, 4], [], [1, 2, 3]]
    """
    if limits is None:
        starts, limits = 0, starts
    ts = [_as_tensor(v) if isinstance(v, Tensor) else None for v in (starts, limits, deltas)]
    known = next((t.dtype for t in ts if t is not None), None)
    if dtype is not None:
        known = _dtypes.as_dtype(dtype)
    conv = []
    for v, t in zip((starts, limits, deltas), ts):
        if t is None:
            t = _as_tensor(v, dtype=known) if known is not None else _as_tensor(v)
        conv.append(t)
    target = known or conv[1].dtype
    for dt in (c.dtype for c in conv):
        if dt.is_floating and not target.is_floating:
            target = dt
    conv = [c if c.dtype is target else m.cast(c, target) for c in conv]
    splits, values = execute(RAGGED_RANGE, tuple(conv),
                             {"splits_dtype": _splits_dtype(row_splits_dtype)})
    return RaggedTensor(values, splits, internal=True)


# -- segment ids <-> row splits -----------------------------------------------------------
def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row id of each value, from row splits (`tf.ragged.row_splits_to_segment_ids`)."""
    s = _as_tensor(splits) if isinstance(splits, Tensor) else \
        _as_tensor(np.asarray(splits, np.int64))
    ids = execute(ROW_IDS, (s,))
    return ids if out_type is None else m.cast(ids, out_type)


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """Row splits from sorted row ids (`tf.ragged.segment_ids_to_row_splits`)."""
    ids = _as_tensor(segment_ids) if isinstance(segment_ids, Tensor) else \
        _as_tensor(np.asarray(segment_ids, np.int64))
    if num_segments is None:
        n = m.add(r.reduce_max(_dense_concat([_wrap(np.array([-1], ids.dtype._np)), ids], 0)),
                  _wrap(np.array(1, ids.dtype._np)))
    else:
        n = m.cast(_as_tensor(num_segments), ids.dtype)
    out = execute(ROW_IDS_TO_SPLITS, (ids, n))
    return out if out_type is None else m.cast(out, out_type)


# -- conversions ----------------------------------------------------------------------------
def from_tensor(cls, tensor, lengths, padding, ragged_rank, splits_dtype):
    t = _as_tensor(tensor)
    rank = t.shape.rank
    if rank is not None and not 0 < ragged_rank < rank:
        raise ValueError(f"ragged_rank must be greater than 0 and less than the rank "
                         f"{rank} of the tensor; got {ragged_rank}.")
    if lengths is not None and padding is not None:
        raise ValueError("Specify lengths or padding, but not both")
    if ragged_rank > 1:
        if lengths is not None:
            raise ValueError("RaggedTensor.from_tensor: lengths with ragged_rank > 1 are not "
                             "supported.\nhint: build the inner levels first, then "
                             "from_row_lengths.")
        dims = shape(t, out_type=splits_dtype)
        inner = from_tensor(cls, reshape(t, _dense_concat([[-1], dims[2:]], 0)), None,
                            padding, ragged_rank - 1, splits_dtype)
        return cls.from_uniform_row_length(inner, dims[1], nrows=dims[0])
    dims = shape(t, out_type=splits_dtype)
    nrows, ncols = dims[0], dims[1]
    if padding is not None:
        pad = _as_tensor(padding, dtype=t.dtype) if not hasattr(padding, "dtype") else \
            _as_tensor(padding)
        keep = m.not_equal(t, pad)
        if (rank or 2) > 2:
            keep = r.reduce_any(keep, axis=list(_pyrange(2, rank)))
        # a row's length: 1 + the last column holding something else than padding
        cols = _broadcast_cols(range_(1, m.add(ncols, 1), 1, dtype=splits_dtype), keep)
        zeros = m.multiply(cols, _wrap(np.array(0, splits_dtype._np)))
        lengths = r.reduce_max(_dense_concat([_zero_column(nrows, splits_dtype),
                                              where(keep, cols, zeros)], 1), axis=1)
    if lengths is not None:
        lens = _as_tensor(lengths)
        lens = m.cast(lens, splits_dtype) if lens.dtype is not splits_dtype else lens
        mask = sequence_mask(lens, ncols)
        values = _dense_boolean_mask(t, mask)
        return cls.from_row_lengths(values, lens, validate=False)
    values = reshape(t, _dense_concat([[-1], dims[2:]], 0))
    splits = m.multiply(range_(0, m.add(nrows, 1), 1, dtype=splits_dtype), ncols)
    return RaggedTensor(values, splits, internal=True)


def _broadcast_cols(cols, keep):
    from rill.ops.array_ops import broadcast_to
    return broadcast_to(reshape(cols, [1, -1]), shape(keep, out_type=_dtypes.int32))


def _zero_column(nrows, dtype):
    return fill(_dense_stack([m.cast(nrows, _dtypes.int32), 1]), _wrap(np.array(0, dtype._np)))


def _zero(dtype):
    if dtype is _dtypes.string:
        return _wrap(np.array(b"", dtype=object))
    return _wrap(np.zeros((), dtype._np))


def coordinates(rt: RaggedTensor):
    """The int64 coordinates of each flat value in the ragged dimensions, [nvals, k + 1]."""
    return execute(COORDS, tuple(rt.nested_row_splits))


def to_tensor(rt: RaggedTensor, default_value=None, shape=None):
    from rill.ops.sparse_ops import SPARSE_TO_DENSE
    fv = rt.flat_values
    k = rt.ragged_rank + 1
    coords = coordinates(rt)
    bound = rt.bounding_shape(out_type=_dtypes.int64)
    if shape is not None:
        target = _target_shape(shape, bound)
        keep = r.reduce_all(m.less(coords, reshape(target[:k], [1, -1])), axis=1)
        coords = _dense_boolean_mask(coords, keep)
        fv = _dense_boolean_mask(fv, keep)
        inner_t = _known(target[k:])
        inner_v = fv.shape[1:]
        if inner_t is not None and inner_v.is_fully_defined() and \
                list(inner_t) != inner_v.as_list():
            raise ValueError(f"to_tensor: the uniform inner dimensions {inner_v} cannot change "
                             f"to {list(inner_t)}.")
    else:
        target = bound
    if default_value is None:
        default = _zero(fv.dtype)
    else:
        default = _as_tensor(default_value, dtype=fv.dtype) if not hasattr(default_value,
                                                                            "dtype") \
            else _as_tensor(default_value)
        if default.shape.rank:
            raise ValueError("to_tensor: default_value must be a scalar in rill.\nhint: "
                             "pass one value for every padded element.")
    return execute(SPARSE_TO_DENSE, (coords, fv, target, default), {"validate": False})


def _target_shape(shape, bound):
    if isinstance(shape, TensorShape):
        shape = shape.as_list() if shape.rank is not None else None
    if shape is None:
        return bound
    if isinstance(shape, (list, tuple)):
        dims = [bound[i] if d is None or (isinstance(d, int) and d < 0) else
                m.cast(_as_tensor(d), _dtypes.int64) for i, d in enumerate(shape)]
        return _dense_stack(dims)
    s = m.cast(_as_tensor(shape), _dtypes.int64)
    return where(m.less(s, 0), bound, s)


def to_sparse(rt: RaggedTensor):
    from rill.ops.manip_ops import tile
    from rill.ops.sparse_ops import SparseTensor
    coords = coordinates(rt)
    fv = rt.flat_values
    bound = rt.bounding_shape(out_type=_dtypes.int64)
    if fv.shape.rank == 1:
        return SparseTensor._from_parts(coords, fv, bound)
    inner = shape(fv, out_type=_dtypes.int64)[1:]
    from rill.ops.array_ops import ones
    cells = where(ones(inner, _dtypes.bool))
    n_cells = shape(cells, out_type=_dtypes.int64)[:1]
    from rill.ops.gather_scatter_ops import repeat
    rep = repeat(coords, n_cells[0], axis=0)
    nvals = shape(coords, out_type=_dtypes.int64)[:1]
    tiled = tile(cells, _dense_concat([nvals, [1]], 0))
    return SparseTensor._from_parts(_dense_concat([rep, tiled], 1), reshape(fv, [-1]), bound)


def merge_dims(rt, outer_axis: int, inner_axis: int):
    rank = rt.shape.rank
    if rank is None:
        raise ValueError("merge_dims needs a RaggedTensor of known rank.")
    outer, inner = outer_axis % rank, inner_axis % rank
    if outer > inner:
        raise ValueError(f"Expected outer_axis ({outer_axis}) to be less than or equal to "
                         f"inner_axis ({inner_axis})")
    if outer == inner:
        return rt
    if not isinstance(rt, RaggedTensor):
        dims = shape(rt)
        return reshape(rt, _dense_concat([dims[:outer], [-1], dims[inner + 1:]], 0))
    if outer == 0:
        merged = merge_dims(rt, 1, inner) if inner > 1 else rt
        return merged.values
    if outer > 1:
        return rt.with_values(merge_dims(rt.values, outer - 1, inner - 1))
    splits, v = rt.row_splits, rt.values
    for _ in _pyrange(inner - outer):
        if isinstance(v, RaggedTensor):
            splits = gather(v.row_splits, splits)
            v = v.values
        else:
            d = shape(v, out_type=splits.dtype)
            splits = m.multiply(splits, d[1])
            v = reshape(v, _dense_concat([[-1], d[2:]], 0))
    return RaggedTensor(v, splits, internal=True)


# -- map_flat_values and elementwise ops ----------------------------------------------------
def _same_partitions(a: RaggedTensor, b: RaggedTensor, api: str) -> None:
    if a.ragged_rank != b.ragged_rank:
        raise ValueError(f"{api}: the RaggedTensors have ragged_rank {a.ragged_rank} and "
                         f"{b.ragged_rank}.\nhint: ragged operands need the same row "
                         f"partitions.")
    for sa, sb in zip(a.nested_row_splits, b.nested_row_splits):
        _same_splits(sa, sb, api)


def _same_splits(sa, sb, api: str) -> None:
    if sa is not sb:
        va, vb = _known(sa), _known(sb)
        if va is None or vb is None:
            return
        if va.shape != vb.shape or np.any(va != vb):
            raise InvalidArgumentError(
                None, api, f"Condition x == y did not hold.\n{api}: the RaggedTensors have "
                f"different row partitions (row_splits {np.asarray(va).tolist()} and "
                f"{np.asarray(vb).tolist()}).\nhint: elementwise ops on two RaggedTensors "
                f"need rows of the same lengths; pad them (to_tensor) or rebuild one with the "
                f"other's row_splits.")


def _dense_operand(d, ref: RaggedTensor, api: str):
    """A dense operand of an elementwise op with `ref`, as an operand of its flat values."""
    inner_rank = ref.flat_values.shape.rank - 1
    if d.shape.rank is None or d.shape.rank <= inner_rank:
        return d
    k = ref.ragged_rank + 1
    total = k + inner_rank
    if d.shape.rank > total:
        raise ValueError(f"{api}: a dense operand of rank {d.shape.rank} does not broadcast "
                         f"against a RaggedTensor of rank {total}.")
    d = reshape(d, _dense_concat([[1] * (total - d.shape.rank), shape(d)], 0)) \
        if d.shape.rank < total else d
    lead = shape(d, out_type=_dtypes.int64)[:k]
    coords = coordinates(ref)
    idx = where(m.equal(reshape(lead, [1, -1]), _wrap(np.int64(1))),
                m.multiply(coords, _wrap(np.int64(0))), coords)
    _check_broadcast(_known(lead), ref, api)
    return gather_nd(d, idx)


def _check_broadcast(dims, ref: RaggedTensor, api: str) -> None:
    """A dense operand's sizes along the ragged dimensions must be 1, or equal every row's
    length there (TensorFlow's rule), when both are known."""
    if dims is None or not ref._is_eager():
        return
    sizes = [np.array([int(ref.nrows())])] + [np.asarray(_known(x)) for x in
                                                ref.nested_row_lengths()]
    for i, (d, lengths) in enumerate(zip(dims, sizes)):
        if d != 1 and np.any(lengths != d):
            raise InvalidArgumentError(
                None, api, f"Condition x == y did not hold.\n{api}: the dense operand has "
                f"size {int(d)} in dimension {i}, where the RaggedTensor has "
                f"{'rows' if i else 'a size'} of {sorted(set(lengths.tolist()))}.\nhint: a "
                f"dense operand broadcasts along a ragged dimension only with size 1 there "
                f"(e.g. shape [nrows, 1]).")


def elementwise(fn, args: tuple, kwargs: dict | None = None, api: str = "elementwise"):
    """`fn` applied to the flat values of the RaggedTensor operands (and the other operands
    read at the same elements)."""
    kwargs = kwargs or {}
    ref = next((a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor)),
               None)

    def operand(a):
        if isinstance(a, RaggedTensor):
            if a is not ref:
                _same_partitions(ref, a, api)
            return a.flat_values
        if isinstance(a, (Tensor, np.ndarray, list, tuple)) or hasattr(a, "_is_variable"):
            d = _as_tensor(a) if not isinstance(a, (list, tuple, np.ndarray)) else \
                _as_tensor(a, dtype=ref.dtype) if ref.dtype is not _dtypes.string else \
                _as_tensor(a)
            return _dense_operand(d, ref, api)
        return a

    out = fn(*[operand(a) for a in args], **{k: operand(v) for k, v in kwargs.items()})
    return ref.with_flat_values(out)


def map_flat_values(op, *args, **kwargs):
    """`op` applied to the flat values of the RaggedTensors among its arguments (which must
    share their row partitions); a RaggedTensor of the result (`tf.ragged.map_flat_values`).

    >>> rt = tf.ragged.constant([[1, 2], [3]])
    >>> tf.ragged.map_flat_values(tf.ones_like, rt).to_list()
    [[1, 1], [1]]
    """
    from rill._core import nest
    leaves = nest.flatten((args, kwargs))
    rts = [x for x in leaves if isinstance(x, RaggedTensor)]
    if not rts:
        return op(*args, **kwargs)
    ref = rts[0]
    for x in rts[1:]:
        _same_partitions(ref, x, "tf.ragged.map_flat_values")
    flat = [x.flat_values if isinstance(x, RaggedTensor) else x for x in leaves]
    a, k = nest.pack_sequence_as((args, kwargs), flat)
    out = op(*a, **k)
    n_out, n_in = _as_tensor(out).shape[0], ref.flat_values.shape[0]
    if n_out is not None and n_in is not None and n_out != n_in:
        raise ValueError(f"tf.ragged.map_flat_values: op returned {n_out} values for "
                         f"{n_in} inputs.\nhint: op must keep the number of values "
                         f"(elementwise ops do).")
    return ref.with_flat_values(out)


# -- boolean_mask ---------------------------------------------------------------------------
def boolean_mask(data, mask, name=None):
    """The elements of `data` where `mask` is true, keeping the other dimensions; the last
    masked dimension becomes ragged (`tf.ragged.boolean_mask`).

    >>> tf.ragged.boolean_mask([[1, 2, 3], [4, 5, 6]],
    ...                        [[True, False, True], [False, False, True]]).to_list()
    [[1, 3], [6]]
    """
    if not isinstance(mask, RaggedTensor):
        mask = _as_tensor(mask, dtype=_dtypes.bool) if not hasattr(mask, "dtype") else \
            _as_tensor(mask)
    if mask.dtype is not _dtypes.bool:
        raise TypeError(f"tf.ragged.boolean_mask: mask must be bool, got {mask.dtype.name}.")
    k = mask.shape.rank
    if k is None:
        raise ValueError("tf.ragged.boolean_mask: the mask needs a known rank.")
    if k == 1:
        if isinstance(mask, RaggedTensor):
            raise ValueError("a rank-1 mask cannot be ragged")
        if isinstance(data, RaggedTensor):
            return gather_rows(data, reshape(where(mask), [-1]))
        return _dense_boolean_mask(_as_tensor(data), mask)
    if not isinstance(data, RaggedTensor):
        data = RaggedTensor.from_tensor(_as_tensor(data), ragged_rank=k - 1)
    if not isinstance(mask, RaggedTensor):
        mask = RaggedTensor.from_tensor(mask, ragged_rank=k - 1)
    return _mask_ragged(data, mask)


def _mask_ragged(data: RaggedTensor, mask: RaggedTensor) -> RaggedTensor:
    _same_splits(data.row_splits, mask.row_splits, "tf.ragged.boolean_mask")
    if isinstance(mask.values, RaggedTensor):
        return data.with_values(_mask_ragged(_as_ragged_values(data.values, mask.values),
                                             mask.values))
    # mask [rows, None] over data [rows, None, ...]: filter within each row
    kept = mask.values
    if kept.shape.rank != 1:
        raise ValueError("tf.ragged.boolean_mask: the mask's inner dimensions must match "
                         "the data's ragged ones.")
    rows = mask.value_rowids()
    counts = r.unsorted_segment_sum(m.cast(kept, data.row_splits.dtype), rows, mask.nrows())
    values = gather_values(data.values, reshape(where(kept), [-1]))
    splits = _dense_concat([_zero_like_splits(data.row_splits), r.cumsum(counts)], 0)
    return RaggedTensor(values, splits, internal=True)


def _as_ragged_values(values, like: RaggedTensor):
    if isinstance(values, RaggedTensor):
        return values
    return RaggedTensor.from_tensor(values, ragged_rank=like.ragged_rank)


# -- concat, stack, gather, where -----------------------------------------------------------
def _to_ragged(x, ragged_rank: int, splits_dtype):
    if isinstance(x, RaggedTensor):
        return x
    return RaggedTensor.from_tensor(_as_tensor(x), ragged_rank=ragged_rank,
                                    row_splits_dtype=splits_dtype)


def concat(values, axis=0, name=None):
    """`tf.concat` of RaggedTensors (and tensors) along `axis`.

    >>> a = tf.ragged.constant([[1, 2], [3]])
    >>> tf.concat([a, a], axis=1).to_list()
    [[1, 2, 1, 2], [3, 3]]
    """
    values = list(values)
    ref = next(v for v in values if isinstance(v, RaggedTensor))
    rank = ref.shape.rank
    a = int(axis)
    if rank is not None:
        if not -rank <= a < rank:
            raise ValueError(f"tf.concat: axis {axis} is out of range for rank {rank}.")
        a %= rank
    rts = [_to_ragged(v, ref.ragged_rank, ref.row_splits_dtype) for v in values]
    rts = [_match_splits_dtype(x, ref.row_splits_dtype) for x in rts]
    return _concat(rts, a)


def _match_splits_dtype(x, dtype):
    return x if not isinstance(x, RaggedTensor) or x.row_splits_dtype is dtype else \
        x.with_row_splits_dtype(dtype)


def _concat(rts: list, a: int):
    if len(rts) == 1:
        return rts[0]
    if not all(isinstance(x, RaggedTensor) for x in rts):
        return _dense_concat([_as_tensor(x) for x in rts], a)
    if a == 0:
        values = _concat_values([x.values for x in rts])
        parts, offset = [rts[0].row_splits], rts[0].row_splits[-1:]
        for x in rts[1:]:
            parts.append(m.add(x.row_splits[1:], offset))
            offset = m.add(offset, x.row_splits[-1:])
        return RaggedTensor(values, _dense_concat(parts, 0), internal=True)
    if a == 1:
        # row i of the result is row i of each input, in order: stable sort by row id
        rowids = _dense_concat([x.value_rowids() for x in rts], 0)
        from rill.ops.sort_ops import argsort
        order = argsort(rowids, stable=True)
        values = gather_values(_concat_values([x.values for x in rts]), order)
        splits = rts[0].row_splits
        for x in rts[1:]:
            splits = m.add(splits, x.row_splits)
        return RaggedTensor(values, splits, internal=True)
    for x in rts[1:]:
        _same_splits(rts[0].row_splits, x.row_splits, "tf.concat")
    return rts[0].with_values(_concat([x.values for x in rts], a - 1))


def _concat_values(values: list):
    if any(isinstance(v, RaggedTensor) for v in values):
        return _concat(values, 0)
    return _dense_concat(values, 0)


def stack(values, axis=0, name=None):
    """RaggedTensors and tensors stacked along a new `axis`: a RaggedTensor
    (`tf.ragged.stack`; `tf.stack` on ragged inputs).

    >>> a = tf.ragged.constant([[1, 2], [3]])
    >>> tf.ragged.stack([a, a]).to_list()
    [[[1, 2], [3]], [[1, 2], [3]]]
    """
    values = list(values)
    if not any(isinstance(v, RaggedTensor) for v in values):
        ts = [_as_tensor(v) for v in values]
        if all(t.shape.rank == 1 for t in ts) and int(axis) in (0, -2):
            # vectors of any lengths become the rows
            lengths = _dense_stack([shape(t, out_type=_dtypes.int64)[0] for t in ts])
            return RaggedTensor.from_row_lengths(_dense_concat(ts, 0), lengths)
        if any(t.shape.rank == 0 for t in ts):
            return _dense_stack(ts, axis)
        values = [RaggedTensor.from_tensor(t) for t in ts]
    ref = next(v for v in values if isinstance(v, RaggedTensor))
    rank = ref.shape.rank
    a = int(axis) % (rank + 1) if rank is not None else int(axis)
    rts = [_match_splits_dtype(_to_ragged(v, ref.ragged_rank, ref.row_splits_dtype),
                               ref.row_splits_dtype) for v in values]
    return _concat([_expand(x, a) for x in rts], a)


def _expand(rt: RaggedTensor, axis: int) -> RaggedTensor:
    """rt with a new dimension of size 1 at `axis` (stored ragged)."""
    dtype = rt.row_splits_dtype
    if axis == 0:
        n = rt.nrows()
        return RaggedTensor(rt, _dense_concat([_zero_like_splits(rt.row_splits),
                                               reshape(n, [1])], 0), internal=True)
    if axis == 1:
        n = m.add(rt.nrows(), _wrap(np.array(1, dtype._np)))
        splits = range_(0, n, 1, dtype=dtype)
        return RaggedTensor(rt, splits, internal=True)
    values = rt.values
    if isinstance(values, RaggedTensor):
        return rt.with_values(_expand(values, axis - 1))
    return rt.with_values(expand_dims(values, axis - 1))


def gather_(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """`tf.gather` with a RaggedTensor as params (rows) or as indices."""
    if isinstance(indices, RaggedTensor):
        if isinstance(params, RaggedTensor):
            return _gather_by_ragged(params, indices)
        return indices.with_flat_values(gather(params, indices.flat_values, axis=axis,
                                               batch_dims=batch_dims))
    if (axis or 0) != 0 or batch_dims:
        raise ValueError("tf.gather on a RaggedTensor supports axis=0 and batch_dims=0.\n"
                         "hint: gather rows, then slice inside them.")
    idx = _as_tensor(indices)
    if idx.shape.rank == 0:
        return params[idx]
    if idx.shape.rank != 1:
        flat = gather_rows(params, reshape(idx, [-1]))
        return _nest_like(flat, idx)
    return gather_rows(params, idx)


def _gather_by_ragged(params: RaggedTensor, indices: RaggedTensor):
    rows = gather_rows(params, indices.flat_values)
    out = rows
    for splits in reversed(indices.nested_row_splits):
        out = RaggedTensor(out, m.cast(splits, out.row_splits_dtype), internal=True)
    return out


def _nest_like(flat: RaggedTensor, idx):
    dims = shape(idx, out_type=flat.row_splits_dtype)
    out = flat
    for d in reversed(list(_pyrange(1, idx.shape.rank))):
        out = RaggedTensor.from_uniform_row_length(out, dims[d])
    return out


def where_(condition, x=None, y=None, name=None):
    """`tf.where` on RaggedTensors: elementwise selection, or the coordinates of the true
    elements when x and y are None."""
    if x is None and y is None:
        if not isinstance(condition, RaggedTensor):
            return where(condition)
        return _dense_boolean_mask(_full_coords(condition),
                                   reshape(condition.flat_values, [-1]))
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.")
    return elementwise(lambda c, a, b: where(c, a, b), (condition, x, y), api="tf.where")


def _full_coords(rt: RaggedTensor):
    fv = rt.flat_values
    if fv.shape.rank == 1:
        return coordinates(rt)
    return to_sparse(rt).indices


# -- reductions ----------------------------------------------------------------------------
def _groups_kernel(*splits, axis):
    """Groups of flat values for a reduction along ragged `axis` < ragged_rank: the group id
    of each value and the row splits of the result's ragged dimensions."""
    from rill.ops.ragged.ragged_tensor import _coords_kernel
    k = len(splits)
    coords = _coords_kernel(*splits)
    if axis == 0:
        keys = coords[:, 1:]
        n_first = int(keys[:, 0].max()) + 1 if len(keys) else 0
    else:
        ids = np.arange(len(coords))
        for s in reversed(splits[axis - 1:]):
            ids = np.repeat(np.arange(len(s) - 1), np.diff(s))[ids]
        keys = np.concatenate([ids[:, None], coords[:, axis + 1:]], 1)
        n_first = len(splits[axis - 1]) - 1
    if len(keys):
        groups, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
    else:
        groups, inv = keys[:0], np.zeros(0, np.int64)
    out = []
    for level in _pyrange(1, keys.shape[1]):
        if level == 1:
            parents = groups[:, 0]
            n_parents = n_first
        else:
            prefixes, parents = np.unique(groups[:, :level], axis=0, return_inverse=True)
            parents = parents.reshape(-1)
            n_parents = len(prefixes)
        children, first = np.unique(groups[:, :level + 1], axis=0, return_index=True)
        owner = parents[first]
        counts = np.bincount(owner, minlength=n_parents) if len(owner) else \
            np.zeros(n_parents, np.int64)
        out.append(np.concatenate([[0], np.cumsum(counts)]).astype(splits[0].dtype))
    del k
    return (inv.astype(np.int64), np.int64(len(groups))) + tuple(out)


def _groups_rule(*splits, axis):
    n_parts = len(splits) - (axis if axis else 1)
    return [(TensorShape([None]), _dtypes.int64), (TensorShape([]), _dtypes.int64)] + \
        [(TensorShape([None]), splits[0].dtype)] * n_parts


GROUPS = defop("_RaggedReduceGroups", _groups_kernel, _groups_rule, grad=None,
               num_outputs=None, public_name="tf.math.reduce_sum")

_SEGMENT = {"sum": r.unsorted_segment_sum, "max": seg.unsorted_segment_max,
            "min": seg.unsorted_segment_min, "prod": seg.unsorted_segment_prod}


def _segment_reduce(kind: str, values, ids, n):
    if kind in ("any", "all"):
        as_int = m.cast(values, _dtypes.int32)
        fn = seg.unsorted_segment_max if kind == "any" else seg.unsorted_segment_min
        out = fn(as_int, ids, n)
        if kind == "all":
            out = m.minimum(out, m.ones_like(out))
        return m.greater(out, m.zeros_like(out))
    return _SEGMENT[kind](values, ids, n)


def _reduce_axis(kind: str, rt, axis: int):
    """One reduction of `rt` along one axis (non-negative)."""
    if not isinstance(rt, RaggedTensor):
        dense = {"sum": r.reduce_sum, "max": r.reduce_max, "min": r.reduce_min,
                 "prod": r.reduce_prod, "any": r.reduce_any, "all": r.reduce_all}[kind]
        return dense(rt, axis)
    k = rt.ragged_rank
    if axis > k:
        return rt.with_flat_values(_reduce_axis(kind, rt.flat_values, axis - k))
    if axis == k:
        splits = rt.nested_row_splits
        last = splits[-1]
        n = m.subtract(shape(last, out_type=last.dtype)[0], _wrap(np.array(1, last.dtype._np)))
        ids = execute(ROW_IDS, (last,))
        out = _segment_reduce(kind, rt.flat_values, ids, n)
        result = out
        for s in reversed(splits[:-1]):
            result = RaggedTensor(result, s, internal=True)
        return result
    ids, n, *parts = execute(GROUPS, tuple(rt.nested_row_splits), {"axis": axis})
    out = _segment_reduce(kind, rt.flat_values, ids, n)
    result = out
    for s in reversed(parts):
        result = RaggedTensor(result, s, internal=True)
    if axis >= 1:
        for s in reversed(rt.nested_row_splits[:axis - 1]):
            result = RaggedTensor(result, s, internal=True)
    return result


def _axes(axis, rank) -> list:
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        axis = np.asarray(_known(axis)).tolist()
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        a = int(a)
        if rank is not None:
            if not -rank <= a < rank:
                raise ValueError(f"axis {a} is out of range for a RaggedTensor of rank "
                                 f"{rank}.")
            a %= rank
        out.append(a)
    return sorted(set(out), reverse=True)


def reduce(kind: str, input_tensor, axis=None, keepdims=False):
    """`tf.reduce_<kind>` of a RaggedTensor (kind: sum, mean, max, min, prod, any, all)."""
    rt = input_tensor
    if kind == "mean":
        total = reduce("sum", rt, axis, keepdims)
        fv = rt.flat_values
        dtype = fv.dtype if fv.dtype.is_floating or fv.dtype.is_complex else _dtypes.float64
        ones = rt.with_flat_values(m.ones_like(m.cast(fv, dtype)))
        count = reduce("sum", ones, axis, keepdims)
        return elementwise(m.truediv, (_cast(total, dtype), count), api="tf.reduce_mean") \
            if isinstance(total, RaggedTensor) or isinstance(count, RaggedTensor) else \
            m.truediv(_cast(total, dtype), count)
    rank = rt.shape.rank
    axes = _axes(axis, rank)
    if axes is None:
        dense = {"sum": r.reduce_sum, "max": r.reduce_max, "min": r.reduce_min,
                 "prod": r.reduce_prod, "any": r.reduce_any, "all": r.reduce_all}[kind]
        out = dense(rt.flat_values)
        if keepdims:
            out = reshape(out, [1] * rank)
        return out
    out = rt
    for a in axes:  # highest axis first, so lower axes keep their numbers
        out = _reduce_axis(kind, out, a)
    if keepdims:
        for a in sorted(axes):
            out = expand_dims(out, a) if not isinstance(out, RaggedTensor) else \
                _expand(out, a) if a <= out.ragged_rank else \
                out.with_flat_values(expand_dims(out.flat_values, a - out.ragged_rank))
    return out


def _cast(x, dtype):
    if isinstance(x, RaggedTensor):
        return x.with_flat_values(m.cast(x.flat_values, dtype))
    return m.cast(x, dtype)


# -- tf.shape: DynamicRaggedShape ------------------------------------------------------------
class DynamicRaggedShape:
    """The shape of a RaggedTensor: the outer size, the row lengths of each ragged
    dimension and the inner dimensions (`tf.experimental.DynamicRaggedShape`, what
    `tf.shape` returns for a RaggedTensor)."""

    def __init__(self, rt: RaggedTensor, dtype=_dtypes.int64):
        self._rt = rt
        self._dtype = dtype

    @property
    def rank(self):
        return self._rt.shape.rank

    @property
    def num_row_partitions(self) -> int:
        return self._rt.ragged_rank

    @property
    def dtype(self):
        return self._dtype

    @property
    def inner_shape(self):
        fv = self._rt.flat_values
        return m.cast(shape(fv, out_type=_dtypes.int64), self._dtype)

    def static_lengths(self, ragged_lengths=True) -> list:
        """The lengths known statically: ints for uniform dims, tuples for ragged ones."""
        out = [self._rt._nrows_static()]
        for lengths in self._rt.nested_row_lengths():
            v = _known(lengths)
            out.append(tuple(int(x) for x in v) if v is not None and ragged_lengths else None)
        out.extend(self._rt.flat_values.shape.as_list()[1:])
        return out

    def __getitem__(self, index):
        if not isinstance(index, (int, np.integer)):
            raise TypeError("DynamicRaggedShape indices must be integers.")
        rank = self.rank
        i = int(index) % rank
        if i == 0:
            return m.cast(self._rt.nrows(), self._dtype)
        if i <= self._rt.ragged_rank:
            raise ValueError(f"Index {index} is not uniform\nhint: dimension {i} is ragged; "
                             f"its lengths are rt.row_lengths().")
        return m.cast(shape(self._rt.flat_values, out_type=_dtypes.int64)[
            i - self._rt.ragged_rank], self._dtype)

    def __len__(self):
        return self.rank

    def __repr__(self) -> str:
        lengths = []
        for x in self.static_lengths():
            lengths.append(str(x) if not isinstance(x, tuple) else
                           "(" + ", ".join(str(v) for v in x) + ("," if len(x) == 1 else "")
                           + ")")
        return (f"<DynamicRaggedShape lengths=[{', '.join(lengths)}] "
                f"num_row_partitions={self.num_row_partitions}>")


# -- dispatch table --------------------------------------------------------------------------
def _shape(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    return DynamicRaggedShape(input, _dtypes.as_dtype(out_type))


def _size(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    from rill.ops.array_ops import size
    return size(input.flat_values, out_type=out_type)


def _rank(input, name=None):  # noqa: A002
    return _wrap(np.int32(input.shape.rank))


def _reducer(kind):
    def fn(input_tensor, axis=None, keepdims=False, name=None):
        return reduce(kind, input_tensor, axis, keepdims)
    return fn


def _with_flat(fn):
    def apply(input, *args, **kwargs):  # noqa: A002
        kwargs.pop("name", None)
        return input.with_flat_values(fn(input.flat_values, *args, **kwargs))
    return apply


def _boolean_mask_dispatch(tensor, mask, axis=None, name=None):
    if axis not in (None, 0):
        raise ValueError("tf.boolean_mask on a RaggedTensor supports axis 0 only.")
    return boolean_mask(tensor, mask)


def _cast_dispatch(x, dtype, name=None):
    return x.with_flat_values(m.cast(x.flat_values, dtype))


def _binary(fn_name):
    def apply(x, y, name=None):
        return elementwise(getattr(m, fn_name), (x, y), api=f"tf.math.{fn_name}")
    return apply


_TABLE = {
    "tf.shape": _shape, "tf.size": _size, "tf.rank": _rank,
    "tf.concat": lambda values, axis, name=None: concat(values, axis),
    "tf.stack": lambda values, axis=0, name=None: stack(values, axis),
    "tf.gather": gather_, "tf.where": where_, "tf.boolean_mask": _boolean_mask_dispatch,
    "tf.cast": _cast_dispatch,
    "tf.identity": lambda input, name=None: input.with_flat_values(input.flat_values),
    "tf.zeros_like": lambda input, dtype=None, name=None, **k: input.with_flat_values(
        m.zeros_like(input.flat_values) if dtype is None else
        m.cast(m.zeros_like(input.flat_values), dtype)),
    "tf.ones_like": lambda input, dtype=None, name=None, **k: input.with_flat_values(
        m.ones_like(input.flat_values) if dtype is None else
        m.cast(m.ones_like(input.flat_values), dtype)),
    "tf.math.abs": _with_flat(m.abs),
    "tf.math.truediv": _binary("truediv"), "tf.math.divide": _binary("truediv"),
    "tf.math.realdiv": _binary("truediv"),
}
for _kind in ("sum", "mean", "max", "min", "prod", "any", "all"):
    _TABLE[f"tf.math.reduce_{_kind}"] = _reducer(_kind)


def dispatch(api: str, args: tuple, kwargs: dict, fn=None):
    """The RaggedTensor version of the public op `api`, or NotImplemented."""
    handler = _TABLE.get(api)
    if handler is not None:
        return handler(*args, **kwargs)
    if fn is not None and hasattr(fn, "opdef"):  # an elementwise op: map the flat values
        kwargs = {k: v for k, v in kwargs.items() if k != "name"}
        return elementwise(fn, args, kwargs, api)
    return NotImplemented


__tf_names__ = {
    "ragged": "boolean_mask constant constant_value map_flat_values range "
              "row_splits_to_segment_ids segment_ids_to_row_splits stack",
}
