"""`tf.math` reductions, scans and segment sums: reduce_sum ... reduce_logsumexp, argmax,
cumsum, cumprod, count_nonzero, segment_sum, unsorted_segment_sum.

Reductions take a static `axis` (normalized to a sorted tuple, None for all axes) and
`keepdims`. Their gradients broadcast back with `tf.shape` when static shapes are unknown,
so they also work in traced graphs.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensorError, dispatch
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, emit, execute
from rill._core.tensor import EagerTensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill._core.variable import Variable
from rill.ops import math_ops as m
from rill.ops._util import (
    BROADCAST_TO,
    as_int,
    check_kinds,
    reduction_rule,
    shape_tensor,
    to_tensor,
)

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor
_add_reduce = np.add.reduce
_max_reduce = np.maximum.reduce
_min_reduce = np.minimum.reduce
_NUMERIC = frozenset("fiuc")  # NumPy kinds the fast paths take (bfloat16, kind V, does not)


def _static_axis(axis, x, fn: str, op: str | None = None):
    """The axis argument as a sorted tuple of distinct non-negative ints (None: all axes),
    checked as TensorFlow checks reduction axes."""
    rank = x.shape.rank
    if axis is None:
        return None if rank is None else tuple(range(rank))
    if not isinstance(axis, (int, np.integer, list, tuple)):
        value = constant_value(axis)
        if value is None:
            raise ValueError(f"{fn}: axis must be known when the function is traced, got the "
                             f"symbolic tensor {axis!r}.\nhint: pass a Python int or list.")
        axis = np.asarray(value).tolist()
    axes = [axis] if not isinstance(axis, (list, tuple)) else list(axis)
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"Cannot convert {a!r} to EagerTensor of dtype int32\n{fn}: axis "
                            f"must be an int or a list of ints, got {axis!r}.\nhint: pass "
                            f"axis={int(a) if isinstance(a, float) and a == int(a) else 0}.")
    if rank is None:
        return tuple(int(a) for a in axes)
    out: list = []
    for a in axes:
        a = int(a)
        if not -rank <= a < rank:
            hint = "a scalar has no axis to reduce: pass axis=None" if rank == 0 else \
                f"axes must lie in [-{rank}, {rank})"
            raise InvalidArgumentError(
                None, op, f"Invalid reduction dimension ({a} for input with {rank} "
                f"dimension(s)\n{fn}: axis {a} is out of range for a tensor of rank {rank}."
                f"\nhint: {hint}.")
        if a % rank in out:
            raise InvalidArgumentError(
                None, op, f"Invalid reduction arguments: Axes contains duplicate dimension: "
                f"{a % rank}\n{fn}: axis {axis} names dimension {a % rank} twice.\nhint: "
                f"list each axis once.")
        out.append(a % rank)
    return tuple(sorted(out))


def _eager_reduce(opdef, x, axis, keepdims):
    """The eager fast path of a float reduction over `axis` (None or an int) for what the
    inline one leaves (a tape or a hook active, a variable input); None: the general path."""
    if _active:
        graphs, tapes, hooks = _state.lists
        if graphs:
            return None
    else:
        tapes = hooks = None
    if type(x) is Variable:
        x = x._eager_read(tapes)
    elif type(x) is not _Eager:
        return None
    v = x._value
    rank = v.ndim
    if v.dtype.kind not in "fc" or not rank:
        return None
    if axis is None:
        axes = tuple(range(rank))
    elif type(axis) is int and -rank <= axis < rank:
        axes = (axis % rank,)
    else:
        return None
    attrs = {"axis": axes, "keepdims": bool(keepdims)}
    t = _wrap(opdef.kernel(v, **attrs))
    if tapes or hooks:
        emit(opdef, (x,), attrs, (t,), tapes, hooks)
    return t


def _reduce(opdef, input_tensor, axis, keepdims, kinds):
    try:
        x = to_tensor(input_tensor)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch(opdef.public_name, (input_tensor,), {"axis": axis, "keepdims": keepdims})
    check_kinds(opdef, kinds, x, "input_tensor")
    return execute(opdef, (x,), {"axis": _static_axis(axis, x, opdef.public_name, opdef.name),
                                 "keepdims": bool(keepdims)})


def _keep(t, op):
    """A reduction's output (or output gradient) reshaped to the input's rank (kept dims 1)."""
    x = op.inputs[0]
    axis, keepdims = op.attrs["axis"], op.attrs["keepdims"]
    if keepdims:
        return t
    if type(t) is _Eager and type(x) is _Eager and not _active:  # no TensorShapes
        shape = x._value.shape
        axes = range(len(shape)) if axis is None else axis
        return _wrap(t._value.reshape([1 if i in axes else d for i, d in enumerate(shape)]))
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"the gradient of {op.opdef.public_name} needs the input's rank.\n"
                         f"hint: give the traced function an input_signature with a known "
                         f"rank.")
    axes = range(rank) if axis is None else axis
    kept = TensorShape([1 if i in axes else d for i, d in enumerate(x.shape.as_list())])
    return m.reshape_to(t, kept, x)


def _broadcast_like(t, x):
    if type(t) is _Eager and type(x) is _Eager and not _active:
        shape = x._value.shape
        if t._value.shape == shape:
            return t
        out = np.empty(shape, t._value.dtype)
        out[...] = t._value  # 5x cheaper than np.broadcast_to(...).copy()
        return _wrap(out)
    if t.shape == x.shape and x.shape.is_fully_defined():
        return t
    return execute(BROADCAST_TO, (t, shape_tensor(x)))


def _reduced_count(op, dtype):
    """How many elements each output element of a reduction summarizes (a Python int when
    shapes are static, else a scalar tensor of `dtype`)."""
    x, y = op.inputs[0], op.outputs[0]
    if type(x) is _Eager and type(y) is _Eager:
        return np.size(x._value) // max(np.size(y._value), 1)
    nx, ny = x.shape.num_elements(), y.shape.num_elements()
    if nx is not None and ny is not None:
        return nx // max(ny, 1)
    size_x = reduce_prod(shape_tensor(x))
    size_y = m.maximum(reduce_prod(shape_tensor(y)), 1)
    return m.cast(m.floordiv(size_x, size_y), dtype)


# -- sum and mean ------------------------------------------------------------------------
def _sum_kernel(x, *, axis, keepdims):
    return _add_reduce(x, axis, x.dtype, None, keepdims)


def _sum_grad(op, dy):
    return (_broadcast_like(_keep(dy, op), op.inputs[0]),)


SUM = defop("Sum", _sum_kernel, reduction_rule, _sum_grad, public_name="tf.math.reduce_sum")


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum of elements along `axis` (all axes when None).

    >>> tf.reduce_sum(tf.constant([[1, 2], [3, 4]]), axis=0).numpy()
    array([4, 6], dtype=int32)
    """
    if type(input_tensor) is _Eager and not _active and (
            axis is None or type(axis) is int):
        v = input_tensor._value
        if v.dtype.kind in _NUMERIC and (axis is None or v.ndim):  # NumPy takes axis 0 of 0-d
            try:
                return _wrap(_add_reduce(v, axis, v.dtype, None, keepdims))
            except Exception:  # noqa: BLE001 - the general path raises TensorFlow's error
                pass
    elif axis is None or type(axis) is int:
        t = _eager_reduce(SUM, input_tensor, axis, keepdims)
        if t is not None:
            return t
    return _reduce(SUM, input_tensor, axis, keepdims, m.N)


def _count(x, axis) -> int:
    if axis is None:
        return x.size
    n = 1
    for a in axis:
        n *= x.shape[a]
    return n


def _mean_kernel(x, *, axis, keepdims):
    kind = x.dtype.kind
    n = _count(x, axis)
    if kind in "iu":  # integer mean truncates toward zero; accumulate wide to avoid overflow
        s = _add_reduce(x, axis, np.int64 if kind == "i" else np.uint64, None, keepdims)
        q = np.abs(s) // max(n, 1)
        return (np.sign(s) * q if kind == "i" else q).astype(x.dtype)
    if x.dtype == np.float16:  # TensorFlow sums float16 in float16: [6e4, 6e4] has mean inf
        with np.errstate(over="ignore", invalid="ignore"):
            s = _add_reduce(x, axis, x.dtype, None, keepdims)
            return (s / n if n else s * np.nan).astype(x.dtype)
    if x.dtype.itemsize <= 2:  # bfloat16 accumulates in float32
        s = _add_reduce(x, axis, np.float32, None, keepdims)
        return (s / n if n else s * np.nan).astype(x.dtype)
    s = _add_reduce(x, axis, x.dtype, None, keepdims)
    return s / n if n else s * np.nan


def _mean_grad(op, dy):
    x = op.inputs[0]
    g = _broadcast_like(_keep(dy, op), x)
    if type(g) is _Eager and type(x) is _Eager and not _active:
        v = g._value
        if v.dtype.kind in "fc":
            return (_wrap(v / v.dtype.type(_reduced_count(op, None))),)
    return (m.realdiv(g, _reduced_count(op, g.dtype)),)


MEAN = defop("Mean", _mean_kernel, reduction_rule, _mean_grad,
             public_name="tf.math.reduce_mean")


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean of elements along `axis` (integer tensors: the mean truncated toward zero).

    >>> tf.reduce_mean(tf.constant([[1., 2.], [3., 4.]]), axis=1).numpy()
    array([1.5, 3.5], dtype=float32)
    """
    if type(input_tensor) is _Eager and not _active and (
            axis is None or type(axis) is int):
        v = input_tensor._value
        if v.dtype.kind in "fc" and v.dtype.itemsize > 2 and v.size and (axis is None or v.ndim):
            try:
                s = _add_reduce(v, axis, v.dtype, None, keepdims)
                return _wrap(s / (v.size if axis is None else v.shape[axis]))
            except Exception:  # noqa: BLE001 - the general path raises TensorFlow's error
                pass
    elif axis is None or type(axis) is int:
        t = _eager_reduce(MEAN, input_tensor, axis, keepdims)
        if t is not None:
            return t
    return _reduce(MEAN, input_tensor, axis, keepdims, m.N)


# -- max, min, prod, all, any -------------------------------------------------------------
def _lowest(dtype):
    return -np.inf if dtype.kind in "fV" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind in "fV" else np.iinfo(dtype).max


def _max_kernel(x, *, axis, keepdims):
    if x.size == 0:  # TensorFlow returns the lowest value for an empty reduction
        return np.maximum.reduce(x, axis, None, None, keepdims, _lowest(x.dtype))
    return np.maximum.reduce(x, axis, None, None, keepdims)


def _min_kernel(x, *, axis, keepdims):
    if x.size == 0:
        return np.minimum.reduce(x, axis, None, None, keepdims, _highest(x.dtype))
    return np.minimum.reduce(x, axis, None, None, keepdims)


def _min_max_grad(op, dy):
    x = op.inputs[0]
    y = _keep(op.outputs[0], op)
    hit = m.cast(m.equal(x, y), dy.dtype)
    ties = reduce_sum(hit, op.attrs["axis"], keepdims=True)
    return (m.multiply(m.realdiv(hit, ties), _keep(dy, op)),)  # ties share the gradient


MAX = defop("Max", _max_kernel, reduction_rule, _min_max_grad, public_name="tf.math.reduce_max")
MIN = defop("Min", _min_kernel, reduction_rule, _min_max_grad, public_name="tf.math.reduce_min")


def _fast_extreme(reduce, x, axis, keepdims):
    """The plain eager call of reduce_max/reduce_min, or None for the general path."""
    if type(x) is _Eager and not _active and (axis is None or type(axis) is int):
        v = x._value
        if v.dtype.kind in "fiu" and v.size and (axis is None or v.ndim):
            try:
                return _wrap(reduce(v, axis, None, None, keepdims))
            except Exception:  # noqa: BLE001 - the general path raises TensorFlow's error
                return None
    return None


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """Maximum along `axis`; -inf (or the dtype's lowest value) for an empty reduction.

    >>> tf.reduce_max(tf.constant([[1, 5], [3, 4]]), axis=1).numpy()
    array([5, 4], dtype=int32)
    """
    out = _fast_extreme(_max_reduce, input_tensor, axis, keepdims)
    return out if out is not None else _reduce(MAX, input_tensor, axis, keepdims, m.R)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """Minimum along `axis`; inf (or the dtype's highest value) for an empty reduction."""
    out = _fast_extreme(_min_reduce, input_tensor, axis, keepdims)
    return out if out is not None else _reduce(MIN, input_tensor, axis, keepdims, m.R)


def _prod_kernel(x, *, axis, keepdims):
    return np.multiply.reduce(x, axis, x.dtype, None, keepdims)


def _prod_grad(op, dy):
    # d prod / d x_i is the product of the other elements; exact also where x has zeros
    x = op.inputs[0]
    axis = op.attrs["axis"]
    zero = m.equal(x, m.zeros_like(x))
    one = m.ones_like(x)
    nonzero_prod = reduce_prod(m.select(zero, one, x), axis, keepdims=True)
    zeros = reduce_sum(m.cast(zero, x.dtype), axis, keepdims=True)
    zeros_b = _broadcast_like(zeros, x)
    at_zero = m.select(m.equal(zeros_b, m.ones_like(zeros_b)),
                       _broadcast_like(nonzero_prod, x), m.zeros_like(x))
    elsewhere = m.select(m.equal(zeros_b, m.zeros_like(zeros_b)),
                         m.realdiv(nonzero_prod, m.select(zero, one, x)), m.zeros_like(x))
    return (m.multiply(m.select(zero, at_zero, elsewhere), _keep(dy, op)),)


PROD = defop("Prod", _prod_kernel, reduction_rule, _prod_grad,
             public_name="tf.math.reduce_prod")


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product of elements along `axis` (1 for an empty reduction)."""
    return _reduce(PROD, input_tensor, axis, keepdims, m.N)


ALL = defop("All", lambda x, *, axis, keepdims: np.logical_and.reduce(x, axis, None, None,
                                                                      keepdims),
            reduction_rule, None, public_name="tf.math.reduce_all")
ANY = defop("Any", lambda x, *, axis, keepdims: np.logical_or.reduce(x, axis, None, None,
                                                                     keepdims),
            reduction_rule, None, public_name="tf.math.reduce_any")


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical AND of a bool tensor along `axis` (True for an empty reduction)."""
    return _reduce(ALL, input_tensor, axis, keepdims, m.BOOL)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical OR of a bool tensor along `axis` (False for an empty reduction)."""
    return _reduce(ANY, input_tensor, axis, keepdims, m.BOOL)


# -- logsumexp, variance, norms -----------------------------------------------------------
def _logsumexp_kernel(x, *, axis, keepdims):
    if x.size == 0:
        return np.logaddexp.reduce(x, axis, None, None, keepdims)  # -inf
    top = np.maximum.reduce(x, axis, None, None, True)
    top = np.where(np.isfinite(top), top, np.zeros_like(top))  # stable shift, inf-safe
    with np.errstate(divide="ignore"):
        out = np.log(_add_reduce(np.exp(x - top), axis, None, None, True)) + top
    if not keepdims:
        out = np.squeeze(out, axis)
    return out if out.ndim else out[()]


def _logsumexp_grad(op, dy):
    x = op.inputs[0]
    softmax = m.exp(m.subtract(x, _keep(op.outputs[0], op)))
    return (m.multiply(softmax, _keep(dy, op)),)


LOGSUMEXP = defop("_LogSumExp", _logsumexp_kernel, reduction_rule, _logsumexp_grad,
                  public_name="tf.math.reduce_logsumexp")


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) along `axis`, computed stably (no overflow at x = 1000).

    >>> round(float(tf.reduce_logsumexp(tf.constant([1000., 1000.]))), 4)
    1000.6932
    """
    return _reduce(LOGSUMEXP, input_tensor, axis, keepdims, m.F)


def _real_or_complex(x, fn: str):
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"{fn}: Input must be either real or complex. Received integer type "
                        f"{x.dtype!r}.\nhint: tf.cast the input to tf.float32 first.")


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Variance along `axis`: mean(|x - mean(x)|^2) (real for complex input).

    >>> float(tf.math.reduce_variance(tf.constant([1., 2., 3., 4.])))
    1.25
    """
    x = to_tensor(input_tensor)
    _real_or_complex(x, "tf.math.reduce_variance")
    d = m.subtract(x, reduce_mean(x, axis, keepdims=True))
    sq = m.square(m.abs(d)) if x.dtype.is_complex else m.square(d)
    return reduce_mean(sq, axis, keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Standard deviation along `axis`: sqrt(reduce_variance(x))."""
    x = to_tensor(input_tensor)
    _real_or_complex(x, "tf.math.reduce_std")
    return m.sqrt(reduce_variance(x, axis, keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x ** 2)) along `axis` (`tf.math.reduce_euclidean_norm`)."""
    x = to_tensor(input_tensor)
    return m.sqrt(reduce_sum(m.square(x), axis, keepdims))


def count_nonzero(input, axis=None, keepdims=None, dtype=_dtypes.int64,  # noqa: A002
                  name=None):
    """Number of nonzero (non-empty for strings) elements along `axis`, as int64."""
    x = to_tensor(input)
    zero = "" if x.dtype is _dtypes.string else m.zeros_like(x)
    nonzero = m.cast(m.not_equal(x, zero), dtype)
    return reduce_sum(nonzero, axis, bool(keepdims))


# -- argmax and argmin --------------------------------------------------------------------
def _arg_kernel(find, nan_as):
    """`find` is the array method (np.argmax's dispatch costs a microsecond)."""
    def kernel(x, *, axis, output_type):
        if x.dtype.kind in "fV" and x.size:
            top = x.max()  # NaN if any element is: one reduction instead of a mask
            if top != top:  # TensorFlow skips NaNs
                x = np.where(np.isnan(x), nan_as, x)
        return find(x, axis).astype(output_type._np, copy=False)
    return kernel


def _arg_rule(x, *, axis, output_type):
    if x.shape.rank is None:
        return TensorShape(None), output_type
    dims = x.shape.as_list()
    return TensorShape(dims[:axis] + dims[axis + 1:]), output_type


ARGMAX = defop("ArgMax", _arg_kernel(np.ndarray.argmax, -np.inf), _arg_rule, None,
               public_name="tf.math.argmax")
ARGMIN = defop("ArgMin", _arg_kernel(np.ndarray.argmin, np.inf), _arg_rule, None,
               public_name="tf.math.argmin")
_INDEX_TYPES = (_dtypes.int16, _dtypes.uint16, _dtypes.int32, _dtypes.int64)


def _arg(opdef, input, axis, output_type):
    x = to_tensor(input)
    check_kinds(opdef, m.R + "b", x, "input")
    output_type = _dtypes.as_dtype(output_type)
    if output_type not in _INDEX_TYPES:
        raise InvalidArgumentError(
            None, opdef.name, f"{opdef.public_name}: output_type must be one of int16, "
            f"uint16, int32, int64, got {output_type.name} [Op:{opdef.name}]\n"
            f"hint: pass output_type=tf.int32 or tf.int64.")
    rank = x.shape.rank
    axis = 0 if axis is None else as_int(axis, opdef.public_name, "axis")
    if rank is not None and not -rank <= axis < rank:
        raise InvalidArgumentError(
            None, opdef.name, f"{opdef.public_name}: Expected dimension in the range "
            f"[{-rank}, {rank}), but got {axis} [Op:{opdef.name}]\nhint: axis must index a "
            f"dimension of the input of shape {x.shape}.")
    if rank is not None:
        axis %= rank
    return execute(opdef, (x,), {"axis": int(axis), "output_type": output_type})


def argmax(input, axis=None, output_type=_dtypes.int64, name=None):  # noqa: A002
    """Index of the largest value along `axis` (0 when None); the first one on ties.

    >>> tf.argmax(tf.constant([[1., 9.], [8., 2.]]), axis=1).numpy()
    array([1, 0])
    """
    return _arg(ARGMAX, input, axis, output_type)


def argmin(input, axis=None, output_type=_dtypes.int64, name=None):  # noqa: A002
    """Index of the smallest value along `axis` (0 when None); the first one on ties."""
    return _arg(ARGMIN, input, axis, output_type)


# -- cumulative sums and products ---------------------------------------------------------
def _scan_kernel(scan, identity):
    def kernel(x, *, axis, exclusive, reverse):
        if reverse:
            x = np.flip(x, axis)
        out = scan(x, axis=axis, dtype=x.dtype)
        if exclusive:
            shifted = np.full_like(out, identity)
            head = [slice(None)] * out.ndim
            tail = [slice(None)] * out.ndim
            head[axis], tail[axis] = slice(1, None), slice(None, -1)
            shifted[tuple(head)] = out[tuple(tail)]
            out = shifted
        return np.flip(out, axis) if reverse else out
    return kernel


def _scan_attrs(x, axis, exclusive, reverse, fn):
    rank = x.shape.rank
    axis = as_int(axis, fn, "axis")
    if rank is not None and not -rank <= axis < rank:
        raise InvalidArgumentError(None, None, f"{fn}: Expected scan axis in the range "
                                   f"[{-rank}, {rank}), but got {axis}.\nhint: the input has "
                                   f"shape {x.shape}; cumulative ops need rank >= 1.")
    return {"axis": int(axis) % rank if rank else int(axis), "exclusive": bool(exclusive),
            "reverse": bool(reverse)}


def _cumsum_grad(op, dy):
    a = op.attrs
    return (cumsum(dy, a["axis"], a["exclusive"], not a["reverse"]),)


def _cumprod_grad(op, dy):
    # TensorFlow's formula: exact where the input has no zeros
    x, a = op.inputs[0], op.attrs
    s = cumsum(m.multiply(op.outputs[0], dy), a["axis"], a["exclusive"], not a["reverse"])
    return (m.realdiv(s, x),)


CUMSUM = defop("Cumsum", _scan_kernel(np.cumsum, 0), m.same_rule, _cumsum_grad,
               public_name="tf.math.cumsum")
CUMPROD = defop("Cumprod", _scan_kernel(np.cumprod, 1), m.same_rule, _cumprod_grad,
                public_name="tf.math.cumprod")


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along `axis`; `exclusive` starts from 0, `reverse` scans backwards.

    >>> tf.cumsum(tf.constant([1, 2, 3]), exclusive=True, reverse=True).numpy()
    array([5, 3, 0], dtype=int32)
    """
    x = to_tensor(x)
    check_kinds(CUMSUM, m.N, x)
    return execute(CUMSUM, (x,), _scan_attrs(x, axis, exclusive, reverse, "tf.math.cumsum"))


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along `axis`; `exclusive` starts from 1, `reverse` scans backwards.

    >>> tf.math.cumprod(tf.constant([1., 2., 3.]), exclusive=True).numpy()
    array([1., 1., 2.], dtype=float32)
    """
    x = to_tensor(x)
    check_kinds(CUMPROD, m.N, x)
    return execute(CUMPROD, (x,), _scan_attrs(x, axis, exclusive, reverse, "tf.math.cumprod"))


def _logsumexp_scan(x, *, axis, exclusive, reverse):
    with np.errstate(invalid="ignore"):  # -inf + -inf is -inf, not a warning
        return _scan_kernel(np.logaddexp.accumulate, -np.inf)(
            x, axis=axis, exclusive=exclusive, reverse=reverse)


def _cumulative_logsumexp_grad(op, dy):
    # dx_j = exp(x_j) * sum over the outputs i that x_j enters of dy_i * exp(-out_i), summed
    # in log space for the positive and the negative parts of dy (exp(-out) may overflow)
    from rill.ops.array_ops import where
    x, out, a = op.inputs[0], op.outputs[0], op.attrs
    floor = dy.dtype.min / 2  # "log 0" with room to subtract out without overflow
    log_pos = where(m.greater(dy, 0), m.log(where(m.greater(dy, 0), dy, 1)), floor)
    log_neg = where(m.less(dy, 0), m.log(where(m.less(dy, 0), m.negative(dy), 1)), floor)
    back = {"axis": a["axis"], "exclusive": a["exclusive"], "reverse": not a["reverse"]}

    def part(log_g):
        return m.exp(m.add(execute(CUMULATIVE_LOGSUMEXP, (m.subtract(log_g, out),), back), x))
    return (m.subtract(part(log_pos), part(log_neg)),)


CUMULATIVE_LOGSUMEXP = defop("CumulativeLogsumexp", _logsumexp_scan, m.same_rule,
                             _cumulative_logsumexp_grad,
                             public_name="tf.math.cumulative_logsumexp")


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """log(cumsum(exp(x))) along `axis`, computed without overflow; `exclusive` starts from
    -inf (the log of 0), `reverse` scans backwards (`tf.math.cumulative_logsumexp`).

    >>> tf.math.cumulative_logsumexp(tf.constant([0., 0., 0.])).numpy()
    array([0.       , 0.6931472, 1.0986123], dtype=float32)
    """
    x = to_tensor(x)
    if not x.dtype.is_floating:
        raise InvalidArgumentError(
            None, "CumulativeLogsumexp", f"tf.math.cumulative_logsumexp: x must be a floating "
            f"tensor (float16, float32, float64), got {x.dtype.name} "
            f"[Op:CumulativeLogsumexp]\nhint: tf.cast(x, tf.float32).")
    attrs = _scan_attrs(x, axis, exclusive, reverse, "tf.math.cumulative_logsumexp")
    return execute(CUMULATIVE_LOGSUMEXP, (x,), attrs)


# -- segment sums -------------------------------------------------------------------------
def _segment_error(op: str, text: str, hint: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{text} [Op:{op}]\nhint: {hint}")


def _segment_sum_kernel(data, ids):
    if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
        raise _segment_error("SegmentSum", f"segment_ids should be the same size as dimension "
                             f"0 of input: {ids.shape} vs data {data.shape}.",
                             "give one segment id per row of data.")
    if ids.size and (ids[0] < 0 or np.any(ids[1:] < ids[:-1])):
        raise _segment_error("SegmentSum", "segment ids are not increasing or negative.",
                             "sort the ids, or use tf.math.unsorted_segment_sum.")
    n = int(ids[-1]) + 1 if ids.size else 0
    out = np.zeros((n,) + data.shape[1:], dtype=data.dtype)
    np.add.at(out, ids, data)
    return out


def _segment_sum_rule(data, ids):
    if data.shape.rank is None:
        return TensorShape(None), data.dtype
    return TensorShape([None] + data.shape.as_list()[1:]), data.dtype


def _segment_sum_grad(op, dy):
    return _segment_gather(dy, op.inputs[1]), None


SEGMENT_SUM = defop("SegmentSum", _segment_sum_kernel, _segment_sum_rule, _segment_sum_grad,
                    public_name="tf.math.segment_sum")


def _segment_ids(segment_ids, opdef):
    ids = to_tensor(segment_ids)
    if not ids.dtype.is_integer:
        raise InvalidArgumentError(None, opdef.name, f"{opdef.public_name}: segment_ids must "
                                   f"be an integer tensor, got {ids.dtype.name}.\nhint: "
                                   f"tf.cast(segment_ids, tf.int32).")
    return ids


def segment_sum(data, segment_ids, name=None):
    """Sums the rows of `data` that share a (sorted) segment id; missing segments are 0.

    >>> tf.math.segment_sum(tf.constant([1., 2., 3.]), tf.constant([0, 0, 2])).numpy()
    array([3., 0., 3.], dtype=float32)
    """
    x = to_tensor(data)
    check_kinds(SEGMENT_SUM, m.N, x, "data")
    return execute(SEGMENT_SUM, (x, _segment_ids(segment_ids, SEGMENT_SUM)))


def _unsorted_segment_sum_kernel(data, ids, num_segments):
    n = int(num_segments)
    lead = ids.ndim
    if data.shape[:lead] != ids.shape:
        raise _segment_error("UnsortedSegmentSum", f"segment_ids.shape {ids.shape} must be a "
                             f"prefix of data.shape {data.shape}.",
                             "give one segment id per leading element of data.")
    flat_ids = ids.reshape(-1)
    rows = data.reshape((flat_ids.size,) + data.shape[lead:])
    if flat_ids.size and flat_ids.max() >= n:
        bad = int(np.argmax(flat_ids >= n))
        raise _segment_error("UnsortedSegmentSum", f"segment_ids[{bad}] = {flat_ids[bad]} is "
                             f"out of range [0, {n})", "raise num_segments or fix the ids.")
    keep = flat_ids >= 0  # negative ids are dropped, as in TensorFlow
    out = np.zeros((n,) + data.shape[lead:], dtype=data.dtype)
    if keep.all():
        np.add.at(out, flat_ids, rows)
    else:
        np.add.at(out, flat_ids[keep], rows[keep])
    return out


def _unsorted_segment_sum_rule(data, ids, num_segments):
    n = constant_value(num_segments)
    n = None if n is None else int(n)
    if data.shape.rank is None or ids.shape.rank is None:
        return TensorShape(None), data.dtype
    return TensorShape([n] + data.shape.as_list()[ids.shape.rank:]), data.dtype


def _unsorted_segment_sum_grad(op, dy):
    return _segment_gather(dy, op.inputs[1]), None, None


UNSORTED_SEGMENT_SUM = defop("UnsortedSegmentSum", _unsorted_segment_sum_kernel,
                             _unsorted_segment_sum_rule, _unsorted_segment_sum_grad,
                             public_name="tf.math.unsorted_segment_sum")


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums the parts of `data` by segment id into `num_segments` rows; ids need not be
    sorted, negative ids are dropped.

    >>> tf.math.unsorted_segment_sum(tf.constant([1., 2., 3.]), tf.constant([1, 0, 1]),
    ...                              num_segments=2).numpy()
    array([2., 4.], dtype=float32)
    """
    x = to_tensor(data)
    check_kinds(UNSORTED_SEGMENT_SUM, m.N, x, "data")
    ids = _segment_ids(segment_ids, UNSORTED_SEGMENT_SUM)
    n = m.cast(to_tensor(num_segments), _dtypes.int32)
    return execute(UNSORTED_SEGMENT_SUM, (x, ids, n))


def _segment_gather_kernel(params, ids):
    out = params[np.maximum(ids, 0)]
    if ids.size and ids.min() < 0:
        out[ids < 0] = 0
    return out


def _segment_gather_rule(params, ids):
    if params.shape.rank is None or ids.shape.rank is None:
        return TensorShape(None), params.dtype
    return ids.shape.concatenate(params.shape[1:]), params.dtype


def _segment_gather_grad(op, dy):
    params, ids = op.inputs
    n = params.shape[0]
    if n is None:
        from rill.ops import manip_ops
        n = manip_ops.unstack(shape_tensor(params), num=params.shape.rank)[0]
    return unsorted_segment_sum(dy, ids, n), None


SEGMENT_GATHER = defop("_SegmentGather", _segment_gather_kernel, _segment_gather_rule,
                       _segment_gather_grad, public_name="rill.math.segment_gather")


def _segment_gather(params, ids):
    """Rows `params[ids]`, zeros where an id is negative (the gradient of segment sums)."""
    return execute(SEGMENT_GATHER, (params, ids))


__tf_names__ = {
    "tf math": "argmax argmin cumsum reduce_all reduce_any reduce_logsumexp reduce_max reduce_mean "
               "reduce_min reduce_prod reduce_sum",
    "math": "count_nonzero cumprod cumulative_logsumexp reduce_euclidean_norm reduce_std "
            "reduce_variance segment_sum unsorted_segment_sum",
}
