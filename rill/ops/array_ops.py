"""Array ops: shapes, reshaping, broadcasting, fills and sequences, selection, search.

Each op is one block: kernel, shape/dtype rule (unknown dimensions stay None) and gradient
written with public ops. Shapes and sizes are tensor inputs, so they may be symbolic while
tracing; axes are static attributes. `tf.range` is `range_` here, so the builtin stays usable.
Transposing, tiling, joining, splitting and padding are in `manip_ops`, slicing and `t[...]`
in `indexing_ops`, gathering and scattering in `gather_scatter_ops`.
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
from rill.ops import reduction_ops as _r
from rill.ops._util import (
    BROADCAST_TO,
    SHAPE,
    as_int,
    axes_arg,
    axis_arg,
    binary_inputs,
    broadcast_shapes,
    dims_rule,
    int_tensor,
    is_tensor_like,
    same_rule,
    shape_arg,
    shape_tensor,
    to_tensor,
    unbroadcast,
)
from rill.ops._util import op_error as _error
from rill.ops.indexed_slices import IndexedSlices

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor
_I64 = np.dtype(np.int64)
_INT_TYPES = (int, np.integer)


# -- shape queries ------------------------------------------------------------------------
def shape(input, out_type=_dtypes.int32, name=None):  # noqa: A002 - TensorFlow's name
    """The dynamic shape of a tensor as a 1-D integer tensor (`tf.shape`).

    >>> tf.shape(tf.zeros([2, 3])).numpy()
    array([2, 3], dtype=int32)
    """
    try:
        x = to_tensor(input)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.shape", (input, out_type))
    out_type = _dtypes.as_dtype(out_type)
    if type(x) is _Eager:  # eager ops reach tapes and hooks through execute
        if not _active:
            return _wrap(np.array(x._value.shape, dtype=out_type._np))
    elif x.shape.is_fully_defined():  # known while tracing: a constant
        return _wrap(np.array(x.shape.as_list(), dtype=out_type._np))
    return execute(SHAPE, (x,), {"out_type": out_type})


def shape_n(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    """The shapes of a list of tensors (`tf.shape_n`)."""
    return [shape(x, out_type) for x in input]


RANK = defop("Rank", lambda x: np.int32(np.ndim(x)), lambda x: (TensorShape([]), _dtypes.int32),
             grad=None, public_name="tf.rank")


def rank(input, name=None):  # noqa: A002
    """The number of dimensions of a tensor, as an int32 scalar tensor (`tf.rank`)."""
    try:
        x = to_tensor(input)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.rank", (input,))
    r = x.shape.rank
    if r is not None and not (_active and type(x) is _Eager):
        return _wrap(np.int32(r))
    return execute(RANK, (x,))


SIZE = defop("Size", lambda x, *, out_type: out_type._np.type(np.size(x)),
             lambda x, *, out_type: (TensorShape([]), out_type), grad=None,
             public_name="tf.size")


def size(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    """The number of elements of a tensor, as a scalar tensor (`tf.size`)."""
    try:
        x = to_tensor(input)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.size", (input, out_type))
    out_type = _dtypes.as_dtype(out_type)
    n = x.shape.num_elements()
    if n is not None and not (_active and type(x) is _Eager):
        return _wrap(out_type._np.type(n))
    return execute(SIZE, (x,), {"out_type": out_type})


# -- reshape, squeeze, expand_dims --------------------------------------------------------
def _reshape_kernel(x, shape):
    dims = shape.tolist()
    if x.size and (not dims or min(dims) >= -1):  # NumPy then resolves -1 as TensorFlow
        try:
            return x.reshape(dims)
        except ValueError:  # raised below with TensorFlow's message
            pass
    return x.reshape(_resolve_dims(np.shape(x), dims))


def _resolve_dims(in_shape: tuple, dims: list) -> list:
    """`dims` with its -1 filled in, as TensorFlow does. When another requested dimension is
    0 (so the size says nothing), -1 takes what the input's nonzero dimensions leave:
    [0, 3] reshaped to [0, -1] is [0, 3]."""
    n = prod(in_shape)
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise _reshape_error(n, dims)
    if -1 not in dims:
        if prod(dims) != n:
            raise _reshape_error(n, dims)
        return dims
    rest = prod(d for d in dims if d != -1)
    if rest == 0:
        num = prod(d for d in in_shape if d != 0)
        den = prod(d for d in dims if d not in (0, -1))
        if n or num % den:
            raise _reshape_error(n, dims)
        fill = num // den
    elif n % rest:
        raise _reshape_error(n, dims)
    else:
        fill = n // rest
    return [fill if d == -1 else d for d in dims]


def _reshape_error(n: int, dims: list) -> InvalidArgumentError:
    unknown = [i for i, d in enumerate(dims) if d == -1]
    if len(unknown) > 1:
        msg = f"Only one input size may be -1, not both {unknown[0]} and {unknown[1]}"
    elif any(d < -1 for d in dims):
        i = next(i for i, d in enumerate(dims) if d < -1)
        msg = f"Size {i} must be non-negative, not {dims[i]}"
    elif unknown:
        msg = (f"Input to reshape is a tensor with {n} values, but the requested shape "
               f"{dims} requires a multiple of {prod(d for d in dims if d != -1)}")
    else:
        msg = (f"Input to reshape is a tensor with {n} values, but the requested shape "
               f"{dims} has {prod(dims)}")
    return _error("Reshape", "tf.reshape", msg,
                  "the new shape must hold exactly as many elements as the tensor; use -1 "
                  "for one dimension to have it inferred.")


def _reshape_rule(x, shape):
    if not shape.dtype.is_integer:
        raise TypeError(f"the shape must be int32 or int64, got {shape.dtype.name}")
    v = constant_value(shape)
    if v is None:
        return dims_rule(shape), x.dtype
    dims = [int(d) for d in np.reshape(v, -1)]
    if x.shape.is_fully_defined():
        return TensorShape(_resolve_dims(tuple(x.shape.as_list()), dims)), x.dtype
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise _reshape_error(-1, dims)
    return TensorShape([None if d == -1 else d for d in dims]), x.dtype


RESHAPE = defop("Reshape", _reshape_kernel, _reshape_rule,
                lambda op, dy: (reshape(dy, shape_tensor(op.inputs[0])), None),
                public_name="tf.reshape")


def reshape(tensor, shape, name=None):
    """Gives `tensor` a new shape with the same number of elements; one dim may be -1.

    >>> tf.reshape(tf.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    if type(tensor) is _Eager and not _active:
        ts = type(shape)
        if ts is list or ts is tuple:
            try:
                if min(shape) >= -1:  # NumPy takes any negative size for -1
                    return _wrap(tensor._value.reshape(shape))
            except (ValueError, TypeError):
                pass
    x = to_tensor(tensor)
    return execute(RESHAPE, (x, shape_arg(shape, "tf.reshape")))


def _squeeze_kernel(x, *, axis):
    if axis is None:
        return np.squeeze(x)
    shape = np.shape(x)
    for a in axis:
        if a >= len(shape):
            raise _error("Squeeze", "tf.squeeze", f"Tried to squeeze dim index {a} for tensor "
                         f"with {len(shape)} dimensions.", "pick an axis of the tensor.")
        if shape[a] != 1:
            raise _error("Squeeze", "tf.squeeze", f"Can not squeeze dim[{a}], expected a "
                         f"dimension of 1, got {shape[a]}",
                         "only dimensions of size 1 can be squeezed.")
    return x.squeeze(axis)  # the method: np.squeeze's dispatch costs more than the work


def _squeeze_rule(x, *, axis):
    s = x.shape
    if s.rank is None:
        return TensorShape(None), x.dtype
    dims = s.as_list()
    if axis is None:
        if None in dims:
            return TensorShape(None), x.dtype
        return TensorShape([d for d in dims if d != 1]), x.dtype
    for a in axis:
        if dims[a] not in (1, None):
            raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                             f"{dims[a]}")
    return TensorShape([d for i, d in enumerate(dims) if i not in axis]), x.dtype


SQUEEZE = defop("Squeeze", _squeeze_kernel, _squeeze_rule,
                lambda op, dy: (reshape(dy, shape_tensor(op.inputs[0])),),
                public_name="tf.squeeze")


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    """Removes dimensions of size 1 (all of them, or those in `axis`) (`tf.squeeze`).

    >>> tf.squeeze(tf.zeros([1, 2, 1])).shape
    TensorShape([2])
    """
    x = to_tensor(input)
    if axis is None:
        axis = squeeze_dims
    if axis is not None:
        if isinstance(axis, _INT_TYPES):
            axis = [axis]
        axis = tuple(sorted(axes_arg(axis, x.shape.rank, "tf.squeeze", "Squeeze")))
        if x.shape.rank is None and any(a < 0 for a in axis):
            raise ValueError("tf.squeeze: negative axes need a tensor of known rank.")
    return execute(SQUEEZE, (x,), {"axis": axis})


def _expand_dims_rule(x, *, axis):
    if x.shape.rank is None:
        return TensorShape(None), x.dtype
    dims = x.shape.as_list()
    a = axis if axis >= 0 else axis + len(dims) + 1
    return TensorShape(dims[:a] + [1] + dims[a:]), x.dtype


def _expand_dims_kernel(x, *, axis):
    shape = np.shape(x)
    a = axis if axis >= 0 else axis + len(shape) + 1
    return np.reshape(x, shape[:a] + (1,) + shape[a:])  # np.expand_dims costs 2 us more


EXPAND_DIMS = defop("ExpandDims", _expand_dims_kernel, _expand_dims_rule,
                    lambda op, dy: (reshape(dy, shape_tensor(op.inputs[0])),),
                    public_name="tf.expand_dims")


def expand_dims(input, axis, name=None):  # noqa: A002
    """Inserts a dimension of size 1 at `axis` (`tf.expand_dims`).

    >>> tf.expand_dims(tf.constant([1, 2]), -1).shape
    TensorShape([2, 1])
    """
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise _error("ExpandDims", "tf.expand_dims", f"'dim' must be a tensor with a single "
                         f"value, got axis={list(axis)}", "pass one axis, e.g. axis=0.")
        axis = axis[0]
    x = to_tensor(input)
    a = axis_arg(axis, x.shape.rank, "tf.expand_dims", "ExpandDims", extra=1)
    if type(x) is _Eager and not _active:
        s = x._value.shape
        return _wrap(x._value.reshape(s[:a] + (1,) + s[a:]))
    return execute(EXPAND_DIMS, (x,), {"axis": a})


# -- broadcast_to -------------------------------------------------------------------------
def broadcast_to(input, shape, name=None):  # noqa: A002
    """Broadcasts a tensor to `shape` with NumPy's rules (`tf.broadcast_to`).

    >>> tf.broadcast_to(tf.constant([1, 2]), [2, 2]).numpy()
    array([[1, 2],
           [1, 2]], dtype=int32)
    """
    x = to_tensor(input)
    s = shape_arg(shape, "tf.broadcast_to")
    target = constant_value(s)
    if target is not None and x.shape.rank is not None:
        src, dst = x.shape.as_list(), [int(d) for d in target]
        ok = len(src) <= len(dst) and all(
            a is None or a == 1 or a == b for a, b in zip(src[::-1], dst[::-1]))
        if not ok:
            raise _error("BroadcastTo", "tf.broadcast_to",
                         f"Incompatible shapes: {src} vs. {dst}",
                         "each dimension of the input must be 1 or equal the target's, "
                         "counting from the last.")
    return execute(BROADCAST_TO, (x, s))


# -- fills and sequences ------------------------------------------------------------------
def _fill_kernel(dims, value):
    d = dims.tolist()
    for n in d:
        if n < 0:
            raise _error("Fill", "tf.fill", f"Dimension {n} must be >= 0 (dims {d})",
                         "dimensions are sizes: use 0 or more.")
    return np.full(d, value, dtype=value.dtype)


FILL = defop("Fill", _fill_kernel, lambda dims, value: (dims_rule(dims), value.dtype),
             lambda op, dy: (None, _r.reduce_sum(dy)), public_name="tf.fill")


def fill(dims, value, name=None, layout=None):
    """A tensor of shape `dims` filled with the scalar `value` (`tf.fill`).

    >>> tf.fill([2, 2], 7).numpy()
    array([[7, 7],
           [7, 7]], dtype=int32)
    """
    v = to_tensor(value)
    if v.shape.rank != 0:
        if v.shape.num_elements() == 1:
            v = reshape(v, [])
        elif v.shape.rank is not None:
            raise _error("Fill", "tf.fill", f"value must represent a scalar, got shape "
                         f"{v.shape.as_list()}", "pass a single value; tf.broadcast_to "
                         "repeats a tensor.")
    return execute(FILL, (shape_arg(dims, "tf.fill"), v))


def _static_dims(shape):
    """A shape argument as a tuple of ints when known without computing, else None."""
    ts = type(shape)
    if ts is list or ts is tuple:
        for d in shape:
            if type(d) is not int or d < 0:
                break
        else:
            return tuple(shape)
    if ts is int:
        return (shape,) if shape >= 0 else None
    if ts is TensorShape and shape.is_fully_defined():
        return tuple(shape.as_list())
    if ts is _Eager and shape._value.ndim == 1 and shape._value.dtype.kind in "iu":
        dims = tuple(shape._value.tolist())
        return dims if all(d >= 0 for d in dims) else None
    return None


def _filled(shape, dtype, one: bool, fn: str):
    dtype = _dtypes.as_dtype(dtype)
    if dtype is _dtypes.string:
        if one:
            raise TypeError("Cannot convert 1 to EagerTensor of dtype string")
        value = np.array(b"", dtype=object)
    else:
        value = dtype._np.type(1 if one else 0)
    if not _active:
        dims = _static_dims(shape)
        if dims is not None:
            if dtype is _dtypes.string:
                return _wrap(np.full(dims, b"", dtype=object))
            return _wrap(np.ones(dims, dtype._np) if one else np.zeros(dims, dtype._np))
    return execute(FILL, (shape_arg(shape, fn), _wrap(value)))


def zeros(shape, dtype=_dtypes.float32, name=None, layout=None):
    """A tensor of zeros (`tf.zeros`).

    >>> tf.zeros([2, 3]).shape
    TensorShape([2, 3])
    """
    return _filled(shape, dtype, False, "tf.zeros")


def ones(shape, dtype=_dtypes.float32, name=None, layout=None):
    """A tensor of ones (`tf.ones`).

    >>> tf.ones([2], tf.int32).numpy()
    array([1, 1], dtype=int32)
    """
    return _filled(shape, dtype, True, "tf.ones")


def _filled_like(input, dtype, opdef, one: bool):  # noqa: A002
    if dtype is None and type(input) is _Eager and not _active:
        v = input._value
        return _wrap(np.ones_like(v) if one else np.zeros_like(v))
    try:
        x = to_tensor(input)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.ones_like" if one else "tf.zeros_like", (input, dtype))
    if dtype is not None and _dtypes.as_dtype(dtype) is not x.dtype:
        return _filled(shape(x), dtype, one, opdef.public_name)
    return execute(opdef, (x,))


def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    """Zeros of the shape (and dtype, unless given) of `input` (`tf.zeros_like`)."""
    return _filled_like(input, dtype, _m.ZEROS_LIKE, False)


def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    """Ones of the shape (and dtype, unless given) of `input` (`tf.ones_like`)."""
    return _filled_like(input, dtype, _m.ONES_LIKE, True)


def _check_range(start, limit, delta, fn: str = "tf.range"):
    hint = "the sequence runs from start toward limit in steps of delta."
    if delta == 0:
        raise _error("Range", fn, f"Requires delta != 0: {delta}", hint)
    if delta > 0 and start > limit:
        raise _error("Range", fn, f"Requires start <= limit when delta > 0: {start}/{limit}",
                     hint + " Use a negative delta to count down.")
    if delta < 0 and start < limit:
        raise _error("Range", fn, f"Requires start >= limit when delta < 0: {start}/{limit}",
                     hint + " Use a positive delta to count up.")


def _range_kernel(start, limit, delta):
    s, lim, d = start.item(), limit.item(), delta.item()
    _check_range(s, lim, d)
    return np.arange(s, lim, d, dtype=start.dtype)


def _range_rule(start, limit, delta):
    vals = [constant_value(t) for t in (start, limit, delta)]
    if any(v is None for v in vals):
        return TensorShape([None]), start.dtype
    s, lim, d = (np.asarray(v).item() for v in vals)
    _check_range(s, lim, d)
    return TensorShape([len(np.arange(s, lim, d))]), start.dtype


RANGE = defop("Range", _range_kernel, _range_rule, grad=None, public_name="tf.range")
_RANGE_DTYPES = (_dtypes.int32, _dtypes.int64, _dtypes.float32, _dtypes.float64)


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """The sequence start, start + delta, ... up to but excluding limit (`tf.range`).

    Without `dtype` the widest of the arguments' dtypes wins (Python ints are int32, floats
    float32).

    >>> tf.range(5).numpy()
    array([0, 1, 2, 3, 4], dtype=int32)
    >>> tf.range(1, 2, 0.25).numpy()
    array([1.  , 1.25, 1.5 , 1.75], dtype=float32)
    """
    if limit is None:
        start, limit = 0, start
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if not _active and type(start) is int and type(limit) is int \
            and type(delta) is int \
            and dtype in (None, _dtypes.int32, _dtypes.int64):
        _check_range(start, limit, delta)
        npd = (dtype or _dtypes.int32)._np
        if dtype is None and max(abs(start), abs(limit)) >= 2 ** 31:
            npd = _I64
        return _wrap(np.arange(start, limit, delta, dtype=npd))
    ts = [to_tensor(a) for a in (start, limit, delta)]
    if dtype is None:
        for t in ts:
            if t.dtype not in _RANGE_DTYPES:
                raise TypeError(f"tf.range: arguments must be int32, int64, float32 or float64, "
                                f"got {t.dtype.name}.\nhint: pass dtype= or tf.cast them.")
        dtype = max((t.dtype for t in ts), key=_RANGE_DTYPES.index)
    ts = [_m.cast(reshape(t, []) if t.shape.rank else t, dtype) for t in ts]
    return execute(RANGE, tuple(ts))


def _linspace_kernel(start, stop, num, *, axis):
    n = int(num)
    if n < 0:
        raise _error("LinSpace", "tf.linspace", f"Requires num >= 0: {n}",
                     "num is the number of values.")
    dt = np.result_type(start, stop)
    return np.linspace(start, stop, n, axis=axis).astype(dt, copy=False)


def _linspace_rule(start, stop, num, *, axis):
    s = broadcast_shapes(start.shape, stop.shape, "LinSpace")
    n = constant_value(num)
    if s.rank is None:
        return TensorShape(None), start.dtype
    dims = s.as_list()
    dims.insert(axis if axis >= 0 else axis + len(dims) + 1, None if n is None else int(n))
    return TensorShape(dims), start.dtype


def _linspace_grad(op, dy):
    start, stop, num = op.inputs
    axis = op.attrs["axis"]
    out = op.outputs[0]
    r = out.shape.rank
    a = axis if axis >= 0 else axis + r
    npd = out.dtype._np
    w = linspace(_wrap(npd.type(0)), _wrap(npd.type(1)), num)
    w = reshape(w, [-1] + [1] * (r - 1 - a))
    dy = to_tensor(dy)
    gstop = _r.reduce_sum(_m.multiply(dy, w), axis=a)
    gstart = _r.reduce_sum(_m.subtract(dy, _m.multiply(dy, w)), axis=a)
    return unbroadcast(gstart, start), unbroadcast(gstop, stop), None


LINSPACE = defop("LinSpace", _linspace_kernel, _linspace_rule, _linspace_grad,
                 public_name="tf.linspace")


def linspace(start, stop, num, name=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` inclusive (`tf.linspace`).

    Tensor `start`/`stop` broadcast; the values run along `axis` of the result. Integer
    arguments give float64.

    >>> tf.linspace(0., 1., 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    s, e = to_tensor(start), to_tensor(stop)
    if s.dtype.is_integer:
        s = _m.cast(s, _dtypes.float64)
    if e.dtype.is_integer:
        e = _m.cast(e, _dtypes.float64)
    s, e = binary_inputs(s, e, LINSPACE, ("start", "stop"))
    n = int_tensor(num, "tf.linspace", "num")
    r = broadcast_shapes(s.shape, e.shape, "tf.linspace").rank
    a = axis_arg(axis, r, "tf.linspace", "LinSpace", extra=1)
    return execute(LINSPACE, (s, e, n), {"axis": a})


def _one_hot_kernel(indices, depth, on_value, off_value, *, axis):
    d = int(depth)
    if d < 0:
        raise _error("OneHot", "tf.one_hot", f"depth must be non-negative, got: {d}",
                     "depth is the number of classes.")
    hit = np.asarray(indices)[..., None] == np.arange(d, dtype=indices.dtype)
    out = np.where(hit, on_value, off_value)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


def _one_hot_rule(indices, depth, on_value, off_value, *, axis):
    d = constant_value(depth)
    if indices.shape.rank is None:
        return TensorShape(None), on_value.dtype
    dims = indices.shape.as_list()
    dims.insert(len(dims) if axis == -1 else axis, None if d is None else int(d))
    return TensorShape(dims), on_value.dtype


ONE_HOT = defop("OneHot", _one_hot_kernel, _one_hot_rule, grad=None, public_name="tf.one_hot")


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot vectors: `on_value` at position `indices[...]` along a new `axis` of size
    `depth`, `off_value` elsewhere; out-of-range indices give all `off_value`
    (`tf.one_hot`).

    >>> tf.one_hot([0, 2], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    if type(indices) is _Eager and type(depth) is int and depth >= 0 and on_value is None \
            and off_value is None and axis in (None, -1) and not _active:
        v = indices._value
        if v.dtype.kind in "iu":
            npd = _dtypes.float32._np if dtype is None else _dtypes.as_dtype(dtype)._np
            return _wrap((v[..., None] == np.arange(depth)).astype(npd))
    idx = to_tensor(indices)
    if not idx.dtype.is_integer:
        raise InvalidArgumentError(
            None, "OneHot", f"tf.one_hot: indices must be integers (uint8, int8, int32 or "
            f"int64), got {idx.dtype.name} [Op:OneHot]\nhint: tf.cast(indices, tf.int32).")
    dtype = None if dtype is None else _dtypes.as_dtype(dtype)
    on = None if on_value is None else (to_tensor(on_value) if is_tensor_like(on_value) or
                                        dtype is None else convert_to_tensor(on_value, dtype))
    off = None if off_value is None else (to_tensor(off_value) if is_tensor_like(off_value) or
                                          dtype is None else convert_to_tensor(off_value, dtype))
    if on is not None and off is not None and on.dtype is not off.dtype:
        raise TypeError(f"dtype {on.dtype!r} of on_value does not match dtype {off.dtype!r} of "
                        f"off_value\nhint: give both the same dtype, e.g. on_value=1., "
                        f"off_value=0.")
    dtype = dtype or (on.dtype if on is not None else off.dtype if off is not None
                      else _dtypes.float32)
    for t, what in ((on, "on_value"), (off, "off_value")):
        if t is not None and t.dtype is not dtype:
            raise TypeError(f"tf.one_hot: dtype {dtype.name} does not match the dtype "
                            f"{t.dtype.name} of {what}.")
    on = on if on is not None else _wrap(dtype._np.type(1))
    off = off if off is not None else _wrap(dtype._np.type(0))
    r = idx.shape.rank
    a = -1 if axis is None else as_int(axis, "tf.one_hot", "axis")
    if r is not None and a != -1:
        if not 0 <= a <= r:
            raise _error("OneHot", "tf.one_hot", f"Expected axis to be -1 or between [0, "
                         f"{r + 1}).  But received: {a}", "use -1 for a new last axis.")
        a = -1 if a == r else a
    return execute(ONE_HOT, (idx, int_tensor(depth, "tf.one_hot", "depth"), on, off),
                   {"axis": a})


def sequence_mask(lengths, maxlen=None, dtype=_dtypes.bool, name=None):
    """`mask[..., j] = j < lengths[...]`, with `maxlen` columns (default max(lengths))
    (`tf.sequence_mask`).

    >>> tf.sequence_mask([1, 3], 4).numpy()
    array([[ True, False, False, False],
           [ True,  True,  True, False]])
    """
    lens = int_tensor(lengths, "tf.sequence_mask", "lengths")
    dtype = _dtypes.as_dtype(dtype)
    if maxlen is None:
        if type(lens) is _Eager:
            maxlen = int(lens._value.max()) if lens._value.size else 0
        else:
            maxlen = _r.reduce_max(lens)
    m = int_tensor(maxlen, "tf.sequence_mask", "maxlen")
    if m.shape.rank not in (0, None):
        raise ValueError(f"tf.sequence_mask: Argument `maxlen` must be scalar, got shape "
                         f"{m.shape}.")
    row = range_(0, _m.cast(m, lens.dtype), 1)
    if type(lens) is _Eager and type(row) is _Eager and not _active:
        out = _wrap(row._value < np.expand_dims(lens._value, -1))
    else:
        out = _m.less(row, expand_dims(lens, -1))
    return out if dtype is _dtypes.bool else _m.cast(out, dtype)


def meshgrid(*args, **kwargs):
    """Coordinate grids from 1-D coordinate vectors (`tf.meshgrid`).

    indexing="xy" (default) gives shape (len(y), len(x), ...); "ij" gives (len(x), len(y), ...).

    >>> [g.shape for g in tf.meshgrid([1, 2, 3], [4, 5])]
    [TensorShape([2, 3]), TensorShape([2, 3])]
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Unknown keyword arguments to tf.meshgrid: {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got "
                         f"'{indexing}'")
    ts = [reshape(to_tensor(a), [-1]) for a in args]
    n = len(ts)
    if n == 0:
        return []
    sizes = [t.shape[0] for t in ts]
    order = list(builtins.range(n))
    if indexing == "xy" and n > 1:
        order[0], order[1] = 1, 0
    dims = [sizes[order[i]] for i in builtins.range(n)]
    from rill.ops.manip_ops import stack  # manip_ops imports this module
    target = dims if None not in dims else stack(
        [shape_tensor(ts[order[i]])[0] for i in builtins.range(n)])
    out = []
    for i, t in enumerate(ts):
        s = [1] * n
        s[order.index(i)] = -1
        out.append(broadcast_to(reshape(t, s), target))
    return out


# -- selection ----------------------------------------------------------------------------
WHERE = defop("Where", lambda c: np.argwhere(c).astype(_I64, copy=False),
              lambda c: (TensorShape([None, c.shape.rank]), _dtypes.int64), grad=None,
              public_name="tf.where")


def _select_rule(c, x, y):
    if x.dtype is not y.dtype:
        raise ValueError(f"dtypes of x ({x.dtype.name}) and y ({y.dtype.name}) differ")
    s = broadcast_shapes(broadcast_shapes(c.shape, x.shape, "tf.where"), y.shape, "tf.where")
    return s, x.dtype


def _select_grad(op, dy):
    c, x, y = op.inputs
    dy = to_tensor(dy)
    z = zeros_like(dy)
    gx = unbroadcast(where(c, dy, z), x) if op.needs_grad(1) else None
    gy = unbroadcast(where(c, z, dy), y) if op.needs_grad(2) else None
    return None, gx, gy


SELECT = defop("SelectV2", np.where, _select_rule, _select_grad, public_name="tf.where")


def where(condition, x=None, y=None, name=None):
    """With one argument, the coordinates of the true (non-zero) elements of `condition`, as
    an int64 tensor of shape [n, rank]; with three, `x` where `condition` else `y`,
    broadcasting all three (`tf.where`).

    >>> tf.where([True, False, True]).numpy()
    array([[0],
           [2]])
    >>> tf.where([True, False], 1., 2.).numpy()
    array([1., 2.], dtype=float32)
    """
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.\nhint: tf.where(c) "
                         "gives coordinates, tf.where(c, x, y) selects values.")
    if x is None:
        try:
            return execute(WHERE, (to_tensor(condition),))
        except CompositeTensorError:  # composite (issue 11)
            return dispatch("tf.where", (condition,))
    try:
        if is_tensor_like(condition):
            c = to_tensor(condition)
            if c.dtype is not _dtypes.bool:
                raise InvalidArgumentError(
                    None, "SelectV2", f"tf.where: condition must be a bool tensor but is a "
                    f"{c.dtype.name} tensor [Op:SelectV2]\nhint: compare first, e.g. "
                    f"tf.where(c > 0, x, y), or tf.cast(c, tf.bool).")
        else:
            c = convert_to_tensor(condition, dtype=_dtypes.bool)
        x, y = binary_inputs(x, y, SELECT)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.where", (condition, x, y))
    if type(c) is _Eager and type(x) is _Eager and type(y) is _Eager and not _active:
        try:
            return _wrap(np.where(c._value, x._value, y._value))
        except ValueError:
            pass
    try:
        _select_rule(c, x, y)
    except ValueError:
        raise _error("SelectV2", "tf.where", f"condition {c.shape}, then {x.shape}, and else "
                     f"{y.shape} must be broadcastable", "the three shapes must broadcast "
                     "together as in NumPy.") from None
    return execute(SELECT, (c, x, y))


IDENTITY = defop("Identity", lambda x: x, same_rule, lambda op, dy: (dy,),
                 public_name="tf.identity")


def identity(input, name=None):  # noqa: A002
    """A tensor with the same value as `input` (a snapshot of a variable) (`tf.identity`)."""
    try:
        return execute(IDENTITY, (to_tensor(input),))
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.identity", (input,))


STOP_GRADIENT = defop("StopGradient", lambda x: x, same_rule, grad=None,
                      public_name="tf.stop_gradient")


def stop_gradient(input, name=None):  # noqa: A002
    """`input`, as a constant for gradients: no gradient flows through it
    (`tf.stop_gradient`)."""
    return execute(STOP_GRADIENT, (to_tensor(input),))


# -- searchsorted -------------------------------------------------------------------------
def _search_kernel(sorted_sequence, values, *, side, out_type):
    s2 = sorted_sequence.reshape(-1, sorted_sequence.shape[-1])
    v2 = values.reshape(-1, values.shape[-1])
    if s2.shape[0] != v2.shape[0]:
        raise _error("LowerBound" if side == "left" else "UpperBound", "tf.searchsorted",
                     f"Leading dim_size of both tensors must match: sorted_sequence shape "
                     f"{list(sorted_sequence.shape)} vs. values shape {list(values.shape)}",
                     "sorted_sequence [..., N] and values [..., M] must have the same "
                     "leading dimensions.")
    out = np.empty(v2.shape, dtype=out_type._np)
    for i in builtins.range(s2.shape[0]):  # one vectorized search per row
        out[i] = np.searchsorted(s2[i], v2[i], side)
    return out.reshape(values.shape)


def _search_rule(sorted_sequence, values, *, side, out_type):
    return values.shape, out_type


LOWER_BOUND = defop("LowerBound", _search_kernel, _search_rule, grad=None,
                    public_name="tf.searchsorted")
UPPER_BOUND = defop("UpperBound", _search_kernel, _search_rule, grad=None,
                    public_name="tf.searchsorted")


def searchsorted(sorted_sequence, values, side="left", out_type=_dtypes.int32, name=None):
    """For each value, the index in the sorted last axis of `sorted_sequence` where it would be
    inserted to keep the order (`tf.searchsorted`); side="right" places it after equal
    entries.

    >>> tf.searchsorted([1., 2., 3.], [0.5, 2., 3.5]).numpy()
    array([0, 1, 3], dtype=int32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: `side` "
                         f"= '{side}'.")
    opdef = LOWER_BOUND if side == "left" else UPPER_BOUND
    s, v = binary_inputs(sorted_sequence, values, opdef, ("sorted_sequence", "values"))
    if s.shape.rank == 0 or v.shape.rank == 0:
        raise InvalidArgumentError(
            None, opdef.name, f"tf.searchsorted: sorted_sequence and values must have rank "
            f">= 1, got shapes {s.shape} and {v.shape} [Op:{opdef.name}]\nhint: wrap a single "
            f"value in a list: tf.searchsorted(seq, [value]).")
    return execute(opdef, (s, v), {"side": side, "out_type": _dtypes.as_dtype(out_type)})


# -- norms --------------------------------------------------------------------------------
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales `t` so that its L2 norm (over `axes`, default all) is at most `clip_norm`:
    t * clip_norm / max(norm(t), clip_norm) (`tf.clip_by_norm`).

    >>> tf.clip_by_norm(tf.constant([3., 4.]), 1.).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    if isinstance(t, IndexedSlices):
        return IndexedSlices(clip_by_norm(t.values, clip_norm, axes), t.indices, t.dense_shape)
    x = to_tensor(t)
    if not x.dtype.is_floating:
        raise InvalidArgumentError(
            None, "Sqrt", f"tf.clip_by_norm: t must be a floating tensor, got {x.dtype.name} "
            f"[Op:Sqrt]\nhint: tf.cast(t, tf.float32).")
    c = to_tensor(clip_norm) if is_tensor_like(clip_norm) else \
        convert_to_tensor(clip_norm, dtype=x.dtype)
    l2sum = _r.reduce_sum(_m.multiply(x, x), axes, keepdims=True)
    pred = _m.greater(l2sum, 0.0)
    # the norm of an all-zero slice is 0, with a finite gradient (sqrt is not used at 0)
    l2norm = where(pred, _m.sqrt(where(pred, l2sum, ones_like(l2sum))), l2sum)
    return _m.divide_no_check(_m.multiply(x, c), _m.maximum(l2norm, c))


__tf_names__ = {
    "tf": "broadcast_to clip_by_norm expand_dims fill identity linspace meshgrid one_hot ones "
          "ones_like range=range_ rank reshape searchsorted sequence_mask shape shape_n size "
          "squeeze stop_gradient where zeros zeros_like",
}
