"""Gather and scatter ops: gather, gather_nd, boolean_mask, repeat, scatter_nd and
tensor_scatter_nd_*, with their gradient ops.

Indices and shapes are tensor inputs, so they may be symbolic while tracing; axes and batch
dimensions are static attributes. The gradient of `tf.gather` along axis 0 is a
tf.IndexedSlices.
"""

from __future__ import annotations

import builtins
from math import prod

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensorError, dispatch
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as _m
from rill.ops._util import (
    as_int,
    axis_arg,
    dims_rule,
    int_tensor,
    is_tensor_like,
    shape_arg,
    shape_tensor,
    to_tensor,
)
from rill.ops._util import op_error as _error
from rill.ops.array_ops import broadcast_to, range_, reshape, shape, size, where, zeros_like
from rill.ops.indexed_slices import IndexedSlices
from rill.ops.manip_ops import concat

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor
_pyslice = builtins.slice
_I64 = np.dtype(np.int64)


# -- gather and scatter -------------------------------------------------------------------
def _check_indices(idx: np.ndarray, n: int, op: str, fn: str, axis: int):
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = np.argwhere((idx < 0) | (idx >= n))[0]
        pos = ",".join(str(i) for i in bad.tolist())
        raise _error(op, fn, f"indices[{pos}] = {np.asarray(idx)[tuple(bad)]} is not in "
                     f"[0, {n})", f"indices along axis {axis} must lie in [0, {n}); negative "
                     f"indices do not count from the end in tf.gather.")


_UNSIGNED = {np.dtype(np.int8): np.uint8, np.dtype(np.int16): np.uint16,
             np.dtype(np.int32): np.uint32}
_WIDE = (np.dtype(np.int64), np.dtype(np.uint64))


def _take(params, indices, axis: int):
    # negative indices viewed as unsigned are out of range, so `take` rejects them too; 64-bit
    # ones would wrap back to negative intp (which `take` counts from the end): check them
    u = _UNSIGNED.get(indices.dtype)
    if u is None and indices.dtype in _WIDE and indices.size and \
            indices.view(np.int64).min() < 0:
        _check_indices(indices.view(np.int64), params.shape[axis], "GatherV2", "tf.gather",
                       axis)
    try:
        return params.take(indices if u is None else indices.view(u), axis)
    except IndexError:
        _check_indices(indices, params.shape[axis], "GatherV2", "tf.gather", axis)
        raise


def _gather_kernel(params, indices, *, axis, batch_dims):
    if batch_dims == 0:
        return _take(params, indices, axis)
    _check_indices(indices, np.shape(params)[axis], "GatherV2", "tf.gather", axis)
    ps, bd = params.shape, batch_dims
    nb = prod(ps[:bd])
    p = np.moveaxis(params.reshape((nb,) + ps[bd:]), axis - bd + 1, 1)  # [nb, N, A.., C..]
    ind = indices.reshape((nb,) + indices.shape[bd:])  # [nb, I..]
    ni, na = ind.ndim - 1, axis - bd
    out = p[np.arange(nb).reshape((nb,) + (1,) * ni), ind]  # [nb, I.., A.., C..]
    r = builtins.range
    perm = [0, *r(1 + ni, 1 + ni + na), *r(1, 1 + ni), *r(1 + ni + na, out.ndim)]
    return out.transpose(perm).reshape(ps[:axis] + indices.shape[bd:] + ps[axis + 1:])


def _gather_rule(params, indices, *, axis, batch_dims):
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers, got {indices.dtype.name}")
    if params.shape.rank is None or indices.shape.rank is None:
        return TensorShape(None), params.dtype
    p, i = params.shape.as_list(), indices.shape.as_list()
    return TensorShape(p[:axis] + i[batch_dims:] + p[axis + 1:]), params.dtype


def _gather_grad(op, dy):
    params, indices = op.inputs
    pshape = shape_tensor(params)
    if op.attrs["axis"] == 0 and op.attrs["batch_dims"] == 0:
        ps, ins = params.shape, indices.shape
        if ps.is_fully_defined() and ins.is_fully_defined():
            vshape = [ins.num_elements()] + ps.as_list()[1:]
        else:
            vshape = concat([reshape(size(indices), [1]), pshape[1:]], 0)
        return IndexedSlices(reshape(dy, vshape), reshape(indices, [-1]), pshape), None
    return execute(GATHER_GRAD, (to_tensor(dy), indices, pshape), op.attrs), None


def _gather_grad_kernel(dy, indices, shape, *, axis, batch_dims):
    ps, bd = tuple(shape.tolist()), batch_dims
    nb = prod(ps[:bd])
    out = np.zeros((nb,) + ps[bd:], dtype=dy.dtype)
    view = np.moveaxis(out, axis - bd + 1, 1)  # [nb, N, A.., C..], writes go to out
    ind = indices.reshape((nb,) + indices.shape[bd:])
    ni, na = ind.ndim - 1, axis - bd
    g = np.reshape(dy, (nb,) + ps[bd:axis] + indices.shape[bd:] + ps[axis + 1:])
    r = builtins.range
    g = g.transpose([0, *r(1 + na, 1 + na + ni), *r(1, 1 + na), *r(1 + na + ni, g.ndim)])
    np.add.at(view, (np.arange(nb).reshape((nb,) + (1,) * ni), ind), g)
    return out.reshape(ps)


GATHER = defop("GatherV2", _gather_kernel, _gather_rule, _gather_grad, public_name="tf.gather")
GATHER_GRAD = defop(
    "_GatherGrad", _gather_grad_kernel,
    lambda dy, indices, shape, **attrs: (dims_rule(shape), dy.dtype),
    lambda op, g: (gather(g, op.inputs[1], axis=op.attrs["axis"],
                          batch_dims=op.attrs["batch_dims"]), None, None),
    public_name="tf.gather")


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of `params` along `axis` at `indices` (`tf.gather`).

    The result has shape params.shape[:axis] + indices.shape[batch_dims:] +
    params.shape[axis + 1:]. With `batch_dims` b, the first b dimensions of params and indices
    are batch dimensions matched pairwise. The gradient for axis 0 is a tf.IndexedSlices.

    >>> tf.gather(tf.constant([[1, 2], [3, 4], [5, 6]]), [2, 0]).numpy()
    array([[5, 6],
           [1, 2]], dtype=int32)
    """
    if type(params) is _Eager and not batch_dims and not _active and \
            type(indices) is _Eager and indices._value.dtype.kind in "iu":
        pv = params._value
        a = 0 if axis is None else axis
        if type(a) is int and -pv.ndim <= a < pv.ndim:
            return _wrap(_take(pv, indices._value, a % pv.ndim))
    try:
        p = to_tensor(params)
        idx = int_tensor(indices, "tf.gather", "indices")
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.gather", (params, indices, validate_indices, axis, batch_dims))
    pr, ir = p.shape.rank, idx.shape.rank
    bd = as_int(batch_dims, "tf.gather", "batch_dims")
    if bd < 0:
        if ir is None:
            raise ValueError("tf.gather: negative batch_dims needs indices of known rank.")
        bd += ir
    a = bd if axis is None else as_int(axis, "tf.gather", "axis")
    if a < 0:
        if pr is None:
            raise ValueError("tf.gather: a negative axis needs params of known rank.")
        a += pr
    hint = "batch_dims <= axis < rank(params) and batch_dims <= rank(indices)."
    if ir is not None and bd > ir:
        raise _error("GatherV2", "tf.gather", f"batch_dims ({bd}) must be less than or equal "
                     f"to rank(indices) ({ir})", hint)
    if a < bd:
        raise _error("GatherV2", "tf.gather", f"batch_dims ({bd}) must be less than or equal "
                     f"to axis ({a})", hint)
    if pr is not None and pr < a + 1:
        raise _error("GatherV2", "tf.gather", f"Shape must be at least rank {a + 1} but is rank "
                     f"{pr} (params shape {p.shape})", hint)
    if bd and pr is not None and ir is not None and \
            not p.shape[:bd].is_compatible_with(idx.shape[:bd]):
        raise _error("GatherV2", "tf.gather", f"the batch dimensions of params {p.shape[:bd]} "
                     f"and indices {idx.shape[:bd]} differ", hint)
    if bd == 0 and type(p) is _Eager and type(idx) is _Eager and not _active:
        return _wrap(_take(p._value, idx._value, a))
    return execute(GATHER, (p, idx), {"axis": a, "batch_dims": bd})


def _check_nd_indices(indices: np.ndarray, shape: tuple, op: str, fn: str):
    k = indices.shape[-1] if indices.ndim else 0
    if indices.ndim == 0 or k > len(shape):
        raise _error(op, fn, f"index innermost dimension length must be <= params rank; saw: "
                     f"{k} vs. {len(shape)} (indices shape {list(indices.shape)})",
                     "each row of indices is a coordinate into the leading dimensions of the "
                     "tensor.")
    bad = (indices < 0) | (indices >= np.array(shape[:k], dtype=np.int64))
    if bad.any():
        pos = np.argwhere(bad.any(-1))[0]
        row = indices[tuple(pos)].tolist()
        where_ = ",".join(str(i) for i in pos.tolist())
        raise _error(op, fn, f"indices[{where_}] = {row} does not index into shape "
                     f"{list(shape)}", f"coordinates must lie in [0, dim) for each of the "
                     f"first {k} dimensions {list(shape[:k])}.")
    return k


def _gather_nd_kernel(params, indices):
    ps = np.shape(params)
    k = _check_nd_indices(indices, ps, "GatherNd", "tf.gather_nd")
    if k == 0:
        return np.broadcast_to(params, indices.shape[:-1] + ps).copy()
    return params[tuple(np.moveaxis(indices, -1, 0))]


def _gather_nd_rule(params, indices):
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers, got {indices.dtype.name}")
    ins = indices.shape
    if ins.rank is None or params.shape.rank is None or ins[-1] is None:
        return TensorShape(None), params.dtype
    return ins[:-1].concatenate(params.shape[ins[-1]:]), params.dtype


GATHER_ND = defop("GatherNd", _gather_nd_kernel, _gather_nd_rule,
                  lambda op, dy: (scatter_nd(op.inputs[1], dy, shape_tensor(op.inputs[0])),
                                  None),
                  public_name="tf.gather_nd")


def gather_nd(params, indices, batch_dims=0, name=None):
    """Gathers slices of `params` at the coordinates in the last axis of `indices`
    (`tf.gather_nd`): result[i...] = params[indices[i...]].

    >>> tf.gather_nd(tf.constant([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).numpy()
    array([3, 2], dtype=int32)
    """
    p = to_tensor(params)
    idx = int_tensor(indices, "tf.gather_nd", "indices")
    bd = as_int(batch_dims, "tf.gather_nd", "batch_dims")
    if bd == 0:
        return execute(GATHER_ND, (p, idx))
    k = idx.shape[-1] if idx.shape.rank else None
    if k is None or p.shape.rank is None:
        raise ValueError("tf.gather_nd with batch_dims needs params of known rank and indices "
                         "whose last dimension is known.")
    # batch dimensions flattened into one, whose index is prepended to each coordinate
    ps, ins = shape(p, idx.dtype), shape(idx, idx.dtype)
    pf = reshape(p, concat([[-1], ps[bd:]], 0))
    inf = reshape(idx, concat([[-1], ins[bd:]], 0))
    nb = shape(pf, idx.dtype)[0]
    bidx = reshape(range_(0, nb, 1, dtype=idx.dtype), [-1] + [1] * (idx.shape.rank - bd))
    bidx = broadcast_to(bidx, concat([shape(inf, idx.dtype)[:-1], [1]], 0))
    out = gather_nd(pf, concat([bidx, inf], -1))
    return reshape(out, concat([ins[:-1], ps[bd + k:]], 0))


def _check_updates(indices, updates_shape: tuple, shape: tuple, op: str, fn: str):
    k = _check_nd_indices(indices, shape, op, fn)
    want = indices.shape[:-1] + tuple(shape[k:])
    if tuple(updates_shape) != want:
        raise _error(op, fn, f"updates has shape {list(updates_shape)}, but indices of shape "
                     f"{list(indices.shape)} into a tensor of shape {list(shape)} need updates "
                     f"of shape {list(want)}", "updates.shape must be indices.shape[:-1] + "
                     "shape[indices.shape[-1]:].")
    return tuple(np.moveaxis(indices, -1, 0))


def _scatter_nd_kernel(indices, updates, shape):
    shp = tuple(shape.tolist())
    idx = _check_updates(indices, np.shape(updates), shp, "ScatterNd", "tf.scatter_nd")
    out = np.zeros(shp, dtype=updates.dtype)
    np.add.at(out, idx, updates)
    return out


SCATTER_ND = defop("ScatterNd", _scatter_nd_kernel,
                   lambda indices, updates, shape: (dims_rule(shape), updates.dtype),
                   lambda op, dy: (None, gather_nd(dy, op.inputs[0]), None),
                   public_name="tf.scatter_nd")


def scatter_nd(indices, updates, shape, name=None):
    """A tensor of zeros of `shape` with `updates` added at `indices` (repeated indices sum)
    (`tf.scatter_nd`).

    >>> tf.scatter_nd([[0], [2], [0]], [1, 2, 3], [4]).numpy()
    array([4, 0, 2, 0], dtype=int32)
    """
    idx = int_tensor(indices, "tf.scatter_nd", "indices")
    return execute(SCATTER_ND, (idx, to_tensor(updates), shape_arg(shape, "tf.scatter_nd")))


def _tensor_scatter(mode: str):
    op = {"update": "TensorScatterUpdate", "add": "TensorScatterAdd",
          "sub": "TensorScatterSub", "min": "TensorScatterMin", "max": "TensorScatterMax"}[mode]
    fn = f"tf.tensor_scatter_nd_{mode}"

    def kernel(tensor, indices, updates):
        idx = _check_updates(indices, np.shape(updates), np.shape(tensor), op, fn)
        out = np.array(tensor, copy=True)
        if mode == "update":
            out[idx] = updates
        elif mode == "add":
            np.add.at(out, idx, updates)
        elif mode == "sub":
            np.subtract.at(out, idx, updates)
        else:
            (np.minimum if mode == "min" else np.maximum).at(out, idx, updates)
        return out

    def grad(op_, dy):
        indices = op_.inputs[1]
        dy = to_tensor(dy)
        if mode in ("min", "max"):
            return _scatter_extremum_grad(op_, dy)
        gu = gather_nd(dy, indices) if op_.needs_grad(2) else None
        if mode == "update":
            gt = tensor_scatter_nd_update(dy, indices, zeros_like(op_.inputs[2])) \
                if op_.needs_grad(0) else None
        else:
            gt = dy
            if mode == "sub" and gu is not None:
                gu = _m.negative(gu)
        return gt, None, gu

    def rule(tensor, indices, updates):
        if tensor.dtype is not updates.dtype:
            raise ValueError(f"dtypes of tensor ({tensor.dtype.name}) and updates "
                             f"({updates.dtype.name}) differ")
        return tensor.shape, tensor.dtype

    return defop(op, kernel, rule, grad, public_name=fn)


TENSOR_SCATTER_UPDATE = _tensor_scatter("update")
TENSOR_SCATTER_ADD = _tensor_scatter("add")
TENSOR_SCATTER_SUB = _tensor_scatter("sub")
TENSOR_SCATTER_MIN = _tensor_scatter("min")
TENSOR_SCATTER_MAX = _tensor_scatter("max")


def _scatter_extremum_grad(op_, dy):
    """TensorScatterMin/Max: the gradient goes to the entries equal to the result, split
    evenly between ties (the tensor's entry and every update that reached it)."""
    x, indices, y = op_.inputs
    out = op_.outputs[0]
    x_hit = _m.cast(_m.equal(x, out), dy.dtype)
    y_hit = _m.cast(_m.equal(y, gather_nd(out, indices)), dy.dtype)
    ties = _m.add(x_hit, scatter_nd(indices, y_hit, shape_tensor(x)))  # >= 1 everywhere
    share = _m.divide(dy, ties)
    return _m.multiply(share, x_hit), None, _m.multiply(gather_nd(share, indices), y_hit)


def _tensor_scatter_inputs(tensor, indices, updates, opdef):
    t = to_tensor(tensor)
    u = to_tensor(updates) if is_tensor_like(updates) else convert_to_tensor(updates, t.dtype)
    if u.dtype is not t.dtype:
        raise InvalidArgumentError(
            None, opdef.name, f"{opdef.public_name}: updates has dtype {u.dtype.name} but "
            f"tensor has dtype {t.dtype.name} [Op:{opdef.name}]\nhint: tf.cast(updates, "
            f"tf.{t.dtype.name}).")
    return t, int_tensor(indices, opdef.public_name, "indices"), u


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """A copy of `tensor` with the elements or slices at `indices` replaced by `updates`
    (`tf.tensor_scatter_nd_update`).

    >>> tf.tensor_scatter_nd_update([1, 2, 3], [[0], [2]], [9, 9]).numpy()
    array([9, 2, 9], dtype=int32)
    """
    return execute(TENSOR_SCATTER_UPDATE,
                   _tensor_scatter_inputs(tensor, indices, updates, TENSOR_SCATTER_UPDATE))


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """A copy of `tensor` with `updates` added at `indices` (repeated indices add up)
    (`tf.tensor_scatter_nd_add`)."""
    return execute(TENSOR_SCATTER_ADD,
                   _tensor_scatter_inputs(tensor, indices, updates, TENSOR_SCATTER_ADD))


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """A copy of `tensor` with `updates` subtracted at `indices`
    (`tf.tensor_scatter_nd_sub`)."""
    return execute(TENSOR_SCATTER_SUB,
                   _tensor_scatter_inputs(tensor, indices, updates, TENSOR_SCATTER_SUB))


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """A copy of `tensor` where each entry at `indices` becomes the minimum of itself and the
    updates scattered there (`tf.tensor_scatter_nd_min`).

    >>> tf.tensor_scatter_nd_min([1, 5, 3], [[1], [1]], [4, 2]).numpy()
    array([1, 2, 3], dtype=int32)
    """
    return execute(TENSOR_SCATTER_MIN,
                   _tensor_scatter_inputs(tensor, indices, updates, TENSOR_SCATTER_MIN))


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """A copy of `tensor` where each entry at `indices` becomes the maximum of itself and the
    updates scattered there (`tf.tensor_scatter_nd_max`).

    >>> tf.tensor_scatter_nd_max([1, 5, 3], [[0], [2], [0]], [4, 2, 9]).numpy()
    array([9, 5, 3], dtype=int32)
    """
    return execute(TENSOR_SCATTER_MAX,
                   _tensor_scatter_inputs(tensor, indices, updates, TENSOR_SCATTER_MAX))


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """The elements (or slices) of `tensor` where `mask` is true; the mask covers dimensions
    axis .. axis + rank(mask) - 1, which become one (`tf.boolean_mask`).

    >>> tf.boolean_mask(tf.constant([[1, 2], [3, 4]]), [True, False]).numpy()
    array([[1, 2]], dtype=int32)
    """
    try:
        x = to_tensor(tensor)
        m = to_tensor(mask)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.boolean_mask", (tensor, mask, axis))
    mr = m.shape.rank
    if mr == 0:
        raise ValueError("mask cannot be scalar.\nhint: use tf.where(mask, x, y) or a Python "
                         "`if` for a single condition.")
    if mr is None:
        raise ValueError("Number of mask dimensions must be specified, even if some dimensions "
                         "are None. E.g. shape=[None] is ok, but shape=None is not.")
    a = 0 if axis is None else axis_arg(axis, x.shape.rank, "tf.boolean_mask", "GatherV2")
    xs = x.shape
    part = xs[a:a + mr]
    if xs.rank is not None and (xs.rank < a + mr or not part.is_compatible_with(m.shape)):
        raise ValueError(f"Shapes {part} and {m.shape} are incompatible\nhint: the mask must "
                         f"have the shape of dimensions {a}..{a + mr - 1} of the tensor "
                         f"{xs}.")
    if type(x) is _Eager and type(m) is _Eager and not _active:
        return _wrap(x._value[(_pyslice(None),) * a + (m._value.astype(bool, copy=False),)])
    if xs.is_fully_defined():
        dims = xs.as_list()
        flat = dims[:a] + [-1] + dims[a + mr:]
    else:
        s = shape_tensor(x)
        flat = concat([s[:a], [-1], s[a + mr:]], 0)
    # reshape before gather: the gradient reaches `tensor` dense, as in TensorFlow
    idx = reshape(where(reshape(m, [-1])), [-1])
    return gather(reshape(x, flat), idx, axis=a)


def _repeat_indices_kernel(repeats, n):
    n = int(n)
    r = np.broadcast_to(repeats, (n,)) if np.ndim(repeats) == 0 else repeats
    if r.shape != (n,):
        raise _error("_RepeatIndices", "tf.repeat", f"repeats has shape {list(r.shape)} but the "
                     f"repeated axis has size {n}", "give one count per element along the "
                     "axis, or a single count.")
    if n and r.min() < 0:
        raise _error("_RepeatIndices", "tf.repeat", f"repeats must be non-negative, got "
                     f"{r.tolist()}", "use 0 to drop an element.")
    return np.repeat(np.arange(n, dtype=_I64), r)


def _repeat_indices_rule(repeats, n):
    r, k = constant_value(repeats), constant_value(n)
    total = None if r is None or k is None else int(np.sum(np.broadcast_to(r, (int(k),))))
    return TensorShape([total]), _dtypes.int64


REPEAT_INDICES = defop("_RepeatIndices", _repeat_indices_kernel, _repeat_indices_rule,
                       grad=None, public_name="tf.repeat")


def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    """Repeats each element (each slice along `axis`) `repeats` times; without `axis` the
    tensor is flattened first (`tf.repeat`).

    >>> tf.repeat(tf.constant([[1, 2], [3, 4]]), [1, 2], axis=0).numpy()
    array([[1, 2],
           [3, 4],
           [3, 4]], dtype=int32)
    """
    x = to_tensor(input)
    if axis is None:
        x = reshape(x, [-1])
        axis = 0
    a = axis_arg(axis, x.shape.rank, "tf.repeat", "_RepeatIndices")
    r = int_tensor(repeats, "tf.repeat", "repeats")
    if r.shape.rank not in (0, 1, None):
        raise ValueError(f"tf.repeat: repeats must be a scalar or a vector, got shape "
                         f"{r.shape}.")
    d = x.shape[a] if x.shape.rank is not None else None
    n = _wrap(np.int32(d)) if d is not None else shape_tensor(x)[a]
    if type(x) is _Eager and type(r) is _Eager and not _active:
        return _wrap(np.take(x._value, _repeat_indices_kernel(r._value, d), axis=a))
    idx = execute(REPEAT_INDICES, (r, n))
    if a == 0:
        x = reshape(x, shape_tensor(x))  # the gradient reaches `input` dense, as in TF
    return gather(x, idx, axis=a)


__tf_names__ = {
    "tf": "boolean_mask gather gather_nd repeat scatter_nd tensor_scatter_nd_add "
          "tensor_scatter_nd_max tensor_scatter_nd_min tensor_scatter_nd_sub "
          "tensor_scatter_nd_update",
}
