"""Sorting, searching and counting: `tf.sort`, `tf.argsort`, `tf.math.top_k`, `tf.unique`,
`tf.math.bincount`.

`sort` is `argsort` followed by a gather along the axis (`_TakeAlongAxis`), whose gradient
scatters back (`_PutAlongAxis`); the two are each other's gradients, so sorting is
differentiable to any order.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as m
from rill.ops._util import check_kinds, to_tensor

TopKV2 = namedtuple("TopKV2", ["values", "indices"])
Unique = namedtuple("Unique", ["y", "idx"])


def _static_int(value, what: str, fn: str) -> int:
    if isinstance(value, EagerTensor):
        return int(value._value)
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        v = constant_value(value)
        if v is None:
            raise ValueError(f"{fn}: {what} must be known when the function is traced.\n"
                             f"hint: pass a Python int.")
        return int(v)
    return int(value)


def _axis(axis, x, fn: str) -> int:
    axis = _static_int(axis, "axis", fn)
    rank = x.shape.rank
    if rank is None:
        return axis
    if not -rank <= axis < rank:
        raise InvalidArgumentError(None, None, f"{fn}: axis {axis} is out of range for a tensor "
                                   f"of rank {rank}.\nhint: axes must lie in [-{rank}, {rank}); "
                                   f"sorting needs rank >= 1.")
    return axis % rank


# -- gather and scatter along an axis (each other's gradient) -----------------------------
def _take_rule(x, idx, *, axis):
    return idx.shape, x.dtype


def _take_grad(op, dy):
    return _put_along(dy, op.inputs[1], op.inputs[0], op.attrs["axis"]), None


def _put_kernel(dy, idx, like, *, axis):
    out = np.zeros(np.shape(like), dtype=dy.dtype)
    np.put_along_axis(out, idx, dy, axis)
    return out


def _put_grad(op, g):
    return _take_along(g, op.inputs[1], op.attrs["axis"]), None, None


TAKE_ALONG = defop("_TakeAlongAxis",
                   lambda x, idx, *, axis: np.take_along_axis(x, idx, axis),
                   _take_rule, _take_grad, public_name="rill.math.take_along_axis")
PUT_ALONG = defop("_PutAlongAxis", _put_kernel,
                  lambda dy, idx, like, *, axis: (like.shape, dy.dtype), _put_grad,
                  public_name="rill.math.put_along_axis")


def _take_along(x, idx, axis: int):
    return execute(TAKE_ALONG, (x, idx), {"axis": axis})


def _put_along(dy, idx, like, axis: int):
    """Zeros shaped like `like` with `dy` written at `idx` (distinct along `axis`)."""
    return execute(PUT_ALONG, (dy, idx, like), {"axis": axis})


# -- argsort, sort, top_k -----------------------------------------------------------------
def _argsort_kernel(x, *, axis, descending):
    if not descending:
        return np.argsort(x, axis, kind="stable").astype(np.int32)
    if x.dtype.kind in "fV":  # ascending on -x: ties keep index order, NaN goes last
        return np.argsort(-x, axis, kind="stable").astype(np.int32)
    flipped = np.argsort(np.flip(x, axis), axis, kind="stable")  # ints: no overflow of -x
    return (x.shape[axis] - 1 - np.flip(flipped, axis)).astype(np.int32)


ARGSORT = defop("_ArgSort", _argsort_kernel,
                lambda x, *, axis, descending: (x.shape, _dtypes.int32), None,
                public_name="tf.argsort")
_DIRECTIONS = {"ASCENDING": False, "DESCENDING": True}


def _argsort(values, axis, direction, fn):
    x = to_tensor(values)
    check_kinds(ARGSORT, m.R, x, "values")
    if direction not in _DIRECTIONS:
        raise ValueError(f"{fn}: Argument `direction` should be one of ASCENDING, DESCENDING. "
                         f"Received: direction={direction}\nhint: direction='DESCENDING'.")
    axis = _axis(axis, x, fn)
    return x, axis, execute(ARGSORT, (x,), {"axis": axis, "descending": _DIRECTIONS[direction]})


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices that sort `values` along `axis` (int32); ties keep their order (stable).

    >>> tf.argsort(tf.constant([3, 1, 2])).numpy()
    array([1, 2, 0], dtype=int32)
    """
    return _argsort(values, axis, direction, "tf.argsort")[2]


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`values` sorted along `axis` (NaN sorts last); differentiable.

    >>> tf.sort(tf.constant([3., 1., 2.]), direction="DESCENDING").numpy()
    array([3., 2., 1.], dtype=float32)
    """
    x, axis, idx = _argsort(values, axis, direction, "tf.sort")
    return _take_along(x, idx, axis)


def _top_k_kernel(x, *, k, index_type):
    n = x.shape[-1] if x.ndim else 0
    if x.ndim == 0 or k > n:
        raise InvalidArgumentError(None, "TopKV2", f"input must have at least k columns. Had "
                                   f"{n}, needed {k} (input shape {x.shape}) [Op:TopKV2]\nhint: "
                                   f"k must not exceed the size of the last axis.")
    idx = _argsort_kernel(x, axis=-1, descending=True)[..., :k]
    return np.take_along_axis(x, idx, -1), idx.astype(index_type._np, copy=False)


def _top_k_rule(x, *, k, index_type):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype), (TensorShape(None), index_type)]
    shape = TensorShape(x.shape.as_list()[:-1] + [k])
    return [(shape, x.dtype), (shape, index_type)]


def _top_k_grad(op, dvalues, dindices):
    return (_put_along(dvalues, op.outputs[1], op.inputs[0], -1),)


TOP_K = defop("TopKV2", _top_k_kernel, _top_k_rule, _top_k_grad, num_outputs=2,
              public_name="tf.math.top_k")


def top_k(input, k=1, sorted=True, index_type=_dtypes.int32, name=None):  # noqa: A002
    """The `k` largest entries along the last axis and their indices (lower index first on
    ties), as a namedtuple (values, indices).

    >>> tf.math.top_k(tf.constant([1., 3., 2.]), k=2).indices.numpy()
    array([1, 2], dtype=int32)
    """
    x = to_tensor(input)
    check_kinds(TOP_K, m.R, x, "input")
    k = _static_int(k, "k", "tf.math.top_k")
    if k < 0:
        raise InvalidArgumentError(None, "TopKV2", f"tf.math.top_k: k must be non-negative, "
                                   f"got {k} [Op:TopKV2]\nhint: pass k >= 0.")
    if x.shape.rank == 0:
        raise InvalidArgumentError(None, "TopKV2", "tf.math.top_k: input must be >= 1-D, got "
                                   "shape [] [Op:TopKV2]\nhint: reshape the input to [1].")
    index_type = _dtypes.as_dtype(index_type)
    values, indices = execute(TOP_K, (x,), {"k": k, "index_type": index_type})
    return TopKV2(values, indices)


# -- unique and bincount ------------------------------------------------------------------
def _unique_kernel(x, *, out_idx):
    if x.ndim != 1:
        raise InvalidArgumentError(None, "Unique", f"unique expects a 1D vector, got shape "
                                   f"{x.shape} [Op:Unique]\nhint: tf.reshape(x, [-1]) first.")
    kw = {} if x.dtype.kind == "O" else {"equal_nan": False}
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True, **kw)
    order = np.argsort(first, kind="stable")  # TensorFlow keeps first-occurrence order
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return x[first[order]], rank[inverse.reshape(-1)].astype(out_idx._np)


UNIQUE = defop("Unique", _unique_kernel,
               lambda x, *, out_idx: [(TensorShape([None]), x.dtype), (x.shape, out_idx)],
               None, num_outputs=2, public_name="tf.unique")


def unique(x, out_idx=_dtypes.int32, name=None):
    """The distinct values of a 1-D tensor in order of first appearance, and for each
    element the index of its value (namedtuple (y, idx)).

    >>> tf.unique(tf.constant([4, 1, 4, 2])).y.numpy()
    array([4, 1, 2], dtype=int32)
    """
    out_idx = _dtypes.as_dtype(out_idx)
    if out_idx not in (_dtypes.int32, _dtypes.int64):
        raise InvalidArgumentError(None, "Unique", f"tf.unique: out_idx must be int32 or int64, "
                                   f"got {out_idx.name}.\nhint: out_idx=tf.int64.")
    y, idx = execute(UNIQUE, (to_tensor(x),), {"out_idx": out_idx})
    return Unique(y, idx)


def _bincount_kernel(arr, *weights, minlength, maxlength, dtype, per_row, binary_output):
    if arr.size and arr.min() < 0:
        raise InvalidArgumentError(None, "Bincount", "Input arr must be non-negative! "
                                   "[Op:Bincount]\nhint: shift or mask negative values first.")
    w = weights[0] if weights else None
    size = int(arr.max()) + 1 if arr.size else 0
    if minlength is not None:
        size = max(size, minlength)
    if maxlength is not None:
        size = min(size, maxlength)
    out_dtype = w.dtype if w is not None else dtype._np
    if binary_output:
        w = None
    keep = arr < size
    wk = None if w is None else w[keep]
    if per_row:
        rows = arr.shape[0]
        flat = (arr + (np.arange(rows, dtype=arr.dtype) * size)[:, None])[keep]
        counts = np.bincount(flat, wk, minlength=rows * size).reshape(rows, size)
    else:
        counts = np.bincount(arr[keep], wk, minlength=size)
    if binary_output:
        counts = counts > 0
    return counts.astype(out_dtype)


def _bincount_rule(arr, *weights, minlength, maxlength, dtype, per_row, binary_output):
    size = minlength if minlength is not None and minlength == maxlength else None
    out_dtype = weights[0].dtype if weights else dtype
    if per_row:
        return TensorShape([arr.shape[0] if arr.shape.rank else None, size]), out_dtype
    return TensorShape([size]), out_dtype


BINCOUNT = defop("Bincount", _bincount_kernel, _bincount_rule, None,
                 public_name="tf.math.bincount")


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dtypes.int32,
             name=None, axis=None, binary_output=False):
    """Counts each non-negative integer in `arr` (sums `weights` instead, when given).

    The output has max(arr) + 1 entries, at least `minlength` and at most `maxlength`
    (larger values are dropped). `axis=-1` counts each row of a 2-D `arr` separately.

    >>> tf.math.bincount(tf.constant([1, 1, 3])).numpy()
    array([0, 2, 0, 1], dtype=int32)
    """
    x = to_tensor(arr)
    if x.dtype not in (_dtypes.int32, _dtypes.int64):
        x = m.cast(x, _dtypes.int32)
    inputs = (x,)
    if weights is not None:
        w = to_tensor(weights)
        if w.shape.is_fully_defined() and x.shape.is_fully_defined() and w.shape != x.shape:
            raise InvalidArgumentError(
                None, "Bincount", f"tf.math.bincount: weights of shape {w.shape} must have the "
                f"shape of arr {x.shape} [Op:Bincount]\nhint: give one weight per element.")
        inputs = (x, w)
    if axis not in (None, 0, -1):
        raise ValueError(f"tf.math.bincount: axis must be None, 0 or -1, got {axis}.")
    per_row = axis == -1 and x.shape.rank == 2
    if axis == -1 and x.shape.rank not in (1, 2):
        raise InvalidArgumentError(None, "Bincount", f"tf.math.bincount: axis=-1 needs a 1-D "
                                   f"or 2-D arr, got shape {x.shape}.\nhint: reshape arr.")
    attrs = {"minlength": None if minlength is None else _static_int(minlength, "minlength",
                                                                     "tf.math.bincount"),
             "maxlength": None if maxlength is None else _static_int(maxlength, "maxlength",
                                                                     "tf.math.bincount"),
             "dtype": _dtypes.as_dtype(dtype), "per_row": per_row,
             "binary_output": bool(binary_output)}
    return execute(BINCOUNT, inputs, attrs)


# -- in_top_k -------------------------------------------------------------------------------
def _in_top_k_kernel(predictions, targets, k):
    k = int(k)
    if predictions.shape[1] == 0:
        return np.zeros(targets.shape, bool)
    rows = np.arange(targets.shape[0])
    ok = (targets >= 0) & (targets < predictions.shape[1])
    target = predictions[rows, np.where(ok, targets, 0)]
    with np.errstate(invalid="ignore"):
        above = (predictions > target[:, None]).sum(axis=1)
    # a non-finite score anywhere in the row makes the answer unknown: False, as in TF
    finite = np.isfinite(predictions).all(axis=1)
    return ok & finite & (above < k)


def _in_top_k_rule(predictions, targets, k):
    return targets.shape, _dtypes.bool


IN_TOP_K = defop("InTopKV2", _in_top_k_kernel, _in_top_k_rule, grad=None,
                 public_name="tf.math.in_top_k")


def in_top_k(targets, predictions, k, name=None):
    """Whether each target class is among the `k` highest `predictions` of its row: fewer
    than `k` classes score strictly higher (ties with the target count in its favour). Rows
    with a non-finite score, or targets outside [0, classes), give False.

    >>> tf.math.in_top_k([0, 1], [[1., 1., 0.], [0., 1., 2.]], 1).numpy()
    array([ True, False])
    """
    fn = "tf.math.in_top_k"
    p = convert_to_tensor(predictions, dtype=_dtypes.float32)
    t = to_tensor(targets)
    if t.dtype not in (_dtypes.int32, _dtypes.int64):
        raise InvalidArgumentError(
            None, "InTopKV2", f"{fn}: targets must be int32 or int64, got {t.dtype.name} "
            f"[Op:InTopKV2]\nhint: targets are class indices: tf.cast(targets, tf.int32).")
    if t.shape.rank not in (None, 1) or p.shape.rank not in (None, 2):
        what = "targets must be 1-dimensional" if t.shape.rank != 1 else \
            "predictions must be 2-dimensional"
        raise InvalidArgumentError(
            None, "InTopKV2", f"{fn}: {what}, got targets {t.shape} and predictions "
            f"{p.shape} [Op:InTopKV2]\nhint: targets [batch], predictions [batch, classes].")
    if t.shape[0] is not None and p.shape[0] is not None and t.shape[0] != p.shape[0]:
        raise InvalidArgumentError(
            None, "InTopKV2", f"{fn}: First dimension of predictions {p.shape[0]} must match "
            f"length of targets {t.shape[0]} [Op:InTopKV2]\nhint: one target per row.")
    kt = m.cast(k, t.dtype) if isinstance(k, Tensor) else convert_to_tensor(k, dtype=t.dtype)
    return execute(IN_TOP_K, (p, t, kt))


__tf_names__ = {"tf": "argsort sort unique", "math": "bincount", "math nn": "in_top_k top_k"}
