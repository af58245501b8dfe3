"""Small top-level ops and utilities of TensorFlow's namespace.

Graph plumbing that rill needs no node for (`tf.no_op`, `tf.group`, `tf.tuple`,
`tf.identity_n`), shape checks (`tf.ensure_shape`, `tf.broadcast_static_shape`,
`tf.broadcast_dynamic_shape`), integer arithmetic with C's truncation (`tf.truncatediv`,
`tf.truncatemod`), `tf.saturate_cast`, `tf.unique_with_counts`, `tf.reverse_sequence`,
`tf.clip_by_global_norm`, `tf.timestamp`, `tf.get_logger`, `tf.AggregationMethod`, and the
gradient registry hooks `tf.RegisterGradient` / `tf.no_gradient`.
"""

from __future__ import annotations

import collections
import logging
import time

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.op import REGISTRY, defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops import array_ops, manip_ops, math_ops, reduction_ops
from rill.ops._util import binary_op, broadcast_shapes, to_tensor, unbroadcast
from rill.ops._util import op_error as _error
from rill.ops.indexed_slices import IndexedSlices

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
R = "fViu"  # real numbers


# -- graph plumbing ------------------------------------------------------------------------
def no_op(name=None) -> None:
    """Does nothing (`tf.no_op`). rill's graphs need no placeholder node for it: returns
    None (a `tf.function` returning an Operation returns None in TensorFlow too)."""
    return None


def group(*inputs, name=None) -> None:
    """Groups ops to run together (`tf.group`). Eager ops have run already and traced
    stateful ops always run, so there is nothing to group: returns None."""
    return None


def identity_n(input, name=None) -> list:  # noqa: A002 - TensorFlow's name
    """A list with `tf.identity` of each tensor of `input` (`tf.identity_n`).

    >>> [t.dtype.name for t in tf.identity_n([1, 2.5])]
    ['int32', 'float32']
    """
    return [array_ops.identity(to_tensor(t)) for t in input]


def tuple_(tensors, control_inputs=None, name=None) -> list:
    """Groups tensors (`tf.tuple`): returns them as a list (in a traced function through
    `tf.identity`; None entries stay None)."""
    if not (_active and _state.graphs):
        return list(tensors)
    return [None if t is None else array_ops.identity(t) for t in tensors]


# -- shapes --------------------------------------------------------------------------------
def _compatible(actual: tuple, expected: tuple | None) -> bool:
    if expected is None:
        return True
    return len(actual) == len(expected) and all(e is None or e == a
                                                for a, e in zip(actual, expected))


def _shape_text(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _ensure_shape_kernel(x, *, shape):
    if not _compatible(np.shape(x), shape):
        raise InvalidArgumentError(
            None, "EnsureShape",
            f"Shape of tensor input {_shape_text(np.shape(x))} is not compatible with expected "
            f"shape {_shape_text(shape)}. [Op:EnsureShape]\nhint: tf.ensure_shape checks the "
            f"shape; tf.reshape changes it.")
    return x


def _ensure_shape_rule(x, *, shape):
    expected = TensorShape(None if shape is None else list(shape))
    if not x.shape.is_compatible_with(expected):
        raise ValueError(f"tf.ensure_shape: the shape {x.shape} is not compatible with the "
                         f"expected shape {expected}.")
    return x.shape.merge_with(expected), x.dtype


ENSURE_SHAPE = defop("EnsureShape", _ensure_shape_kernel, _ensure_shape_rule,
                     lambda op, dy: (dy,), public_name="tf.ensure_shape")


def ensure_shape(x, shape, name=None):
    """`x`, after checking that its shape is compatible with `shape` (None for dimensions
    that may be anything); in a traced function the result's static shape is `shape`
    merged with `x`'s (`tf.ensure_shape`).

    >>> tf.ensure_shape(tf.ones([2, 3]), [None, 3]).shape
    TensorShape([2, 3])
    """
    expected = as_shape(shape)
    dims = None if expected.rank is None else tuple(expected.as_list())
    return execute(ENSURE_SHAPE, (to_tensor(x),), {"shape": dims})



def broadcast_static_shape(shape_x, shape_y) -> TensorShape:
    """The broadcast of two static shapes (`tf.broadcast_static_shape`).

    >>> tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3]))
    TensorShape([2, 3])
    """
    a, b = as_shape(shape_x), as_shape(shape_y)
    try:
        return broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting. Two shapes are compatible if "
                         f"for each dimension pair they are either equal or one of them is 1. "
                         f"Received: {a} and {b}.\nhint: insert size-1 dimensions (tf."
                         f"expand_dims) where one tensor should be repeated.") from None


def _broadcast_args_kernel(s0, s1):
    try:
        return np.array(np.broadcast_shapes(tuple(s0.tolist()),
                                            tuple(s1.tolist())), dtype=s0.dtype)
    except ValueError:
        raise InvalidArgumentError(
            None, "BroadcastArgs",
            f"Incompatible shapes: {_shape_text(s0.tolist())} vs. {_shape_text(s1.tolist())} "
            f"[Op:BroadcastArgs]\nhint: each pair of dimensions must be equal or contain a 1."
        ) from None


def _broadcast_args_rule(s0, s1):
    n0 = s0.shape[0] if s0.shape.rank == 1 else None
    n1 = s1.shape[0] if s1.shape.rank == 1 else None
    return TensorShape([None if n0 is None or n1 is None else max(n0, n1)]), s0.dtype


BROADCAST_ARGS = defop("BroadcastArgs", _broadcast_args_kernel, _broadcast_args_rule, None,
                       public_name="tf.broadcast_dynamic_shape")


def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two shapes given as 1-D int32 or int64 tensors
    (`tf.broadcast_dynamic_shape`).

    >>> tf.broadcast_dynamic_shape(tf.constant([2, 1]), tf.constant([3])).numpy()
    array([2, 3], dtype=int32)
    """
    s0, s1 = to_tensor(shape_x), to_tensor(shape_y)
    for arg, s in (("shape_x", s0), ("shape_y", s1)):
        if s.dtype not in (_dtypes.int32, _dtypes.int64) or s.shape.rank not in (None, 1):
            raise InvalidArgumentError(
                None, "BroadcastArgs",
                f"tf.broadcast_dynamic_shape: {arg} must be a 1-D int32 or int64 tensor, got "
                f"shape {s.shape} and dtype {s.dtype.name}.\nhint: pass tf.shape(x).")
    if s0.dtype is not s1.dtype:
        raise InvalidArgumentError(
            None, "BroadcastArgs",
            f"cannot compute BroadcastArgs as input #1(zero-based) was expected to be a "
            f"{s0.dtype.name} tensor but is a {s1.dtype.name} tensor [Op:BroadcastArgs]\n"
            f"hint: tf.cast(shape_y, tf.{s0.dtype.name}).")
    return execute(BROADCAST_ARGS, (s0, s1))


# -- truncating division -------------------------------------------------------------------
def _no_int_zero(y, op: str) -> None:
    if y.dtype.kind in "iu" and not np.all(y):
        raise InvalidArgumentError(None, op, f"Integer division by zero [Op:{op}]\nhint: mask "
                                   f"the zeros first, e.g. tf.where(y == 0, 1, y).")


def _truncatediv_kernel(x, y):
    if x.dtype.kind == "i":
        _no_int_zero(y, "TruncateDiv")
        q = np.floor_divide(x, y)
        # floor and truncation differ where the quotient is negative and inexact
        return q + ((q * y != x) & ((x < 0) != (y < 0)))
    if x.dtype.kind == "u":
        _no_int_zero(y, "TruncateDiv")
        return np.floor_divide(x, y)
    return np.trunc(np.true_divide(x, y))


def _truncatemod_kernel(x, y):
    if x.dtype.kind in "iu":
        _no_int_zero(y, "TruncateMod")
    return np.fmod(x, y)


truncatediv = binary_op(
    "TruncateDiv", _truncatediv_kernel, None, "tf.truncatediv", kinds=R,
    doc="x / y rounded toward zero, as C divides integers (`tf.truncatediv`).\n\n"
        ">>> tf.truncatediv(tf.constant([7, -7]), tf.constant([2, 2])).numpy()\n"
        "array([ 3, -3], dtype=int32)")


def _truncatemod_grad(op, dy):
    x, y = op.inputs
    gx = unbroadcast(dy, x) if op.needs_grad(0) else None
    gy = unbroadcast(math_ops.multiply(dy, math_ops.negative(truncatediv(x, y))), y) \
        if op.needs_grad(1) else None
    return gx, gy


truncatemod = binary_op(
    "TruncateMod", _truncatemod_kernel, _truncatemod_grad, "tf.truncatemod", kinds=R,
    doc="The remainder of truncating division, with the sign of x (C's `%`, `fmod`) "
        "(`tf.truncatemod`).\n\n"
        ">>> tf.truncatemod(tf.constant([7, -7]), tf.constant([2, 2])).numpy()\n"
        "array([ 1, -1], dtype=int32)")


# -- casts ---------------------------------------------------------------------------------
def _bound_in(bound, in_np: np.dtype, inside: float, kind: str):
    """`bound` as a value of the input dtype, rounded toward `inside` when inexact."""
    if kind in "iu":
        return int(np.floor(bound) if bound > inside else np.ceil(bound))
    b = np.asarray(bound).astype(in_np)
    if (float(b) > bound) if bound > inside else (float(b) < bound):
        b = np.nextafter(b, in_np.type(inside))
    return b


def saturate_cast(value, dtype, name=None):
    """Casts `value` to `dtype`, clamping values outside the target's range to its limits
    first (`tf.saturate_cast`); complex values lose their imaginary part when the target is
    real.

    >>> tf.saturate_cast(tf.constant([-1., 300.]), tf.uint8).numpy()
    array([  0, 255], dtype=uint8)
    """
    dtype = _dtypes.as_dtype(dtype)
    x = to_tensor(value)
    if x.dtype.is_complex and not dtype.is_complex:
        x = math_ops.real(x)
    src = x.dtype
    if src._kind in "fiu" and dtype._kind in "fiu":
        lo_in, hi_in = float(src.min), float(src.max)
        lo_out, hi_out = float(dtype.min), float(dtype.max)
        if src._kind in "iu":  # exact integer limits (floats would round 2**63 - 1)
            lo_in, hi_in = int(src.min), int(src.max)
        if dtype._kind in "iu":
            lo_out, hi_out = int(dtype.min), int(dtype.max)
        lo = _bound_in(lo_out, src._np, 0, src._kind) if lo_out > lo_in else None
        hi = _bound_in(hi_out, src._np, 0, src._kind) if hi_out < hi_in else None
        if lo is not None:
            x = math_ops.maximum(x, lo)
        if hi is not None:
            x = math_ops.minimum(x, hi)
    return math_ops.cast(x, dtype)


# -- unique_with_counts ------------------------------------------------------------------------
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _unique_with_counts_kernel(x, *, out_idx):
    if x.ndim != 1:
        raise InvalidArgumentError(None, "UniqueWithCounts",
                                   f"unique expects a 1D vector, got shape {list(x.shape)} "
                                   f"[Op:UniqueWithCounts]\nhint: tf.reshape(x, [-1]) first.")
    kw = {} if x.dtype.kind == "O" else {"equal_nan": False}
    _, first, inverse, counts = np.unique(x, return_index=True, return_inverse=True,
                                          return_counts=True, **kw)
    order = np.argsort(first, kind="stable")  # values in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return (x[first[order]], rank[inverse.reshape(-1)].astype(out_idx._np),
            counts[order].astype(out_idx._np))


UNIQUE_WITH_COUNTS = defop(
    "UniqueWithCounts", _unique_with_counts_kernel,
    lambda x, *, out_idx: [(TensorShape([None]), x.dtype), (x.shape, out_idx),
                           (TensorShape([None]), out_idx)],
    None, num_outputs=3, public_name="tf.unique_with_counts")


def unique_with_counts(x, out_idx=_dtypes.int32, name=None):
    """The distinct values of a 1-D tensor in order of first appearance, the index of each
    element's value, and how often each value occurs (namedtuple (y, idx, count)).

    >>> tf.unique_with_counts(tf.constant([5, 5, 2])).count.numpy()
    array([2, 1], dtype=int32)
    """
    out_idx = _dtypes.as_dtype(out_idx)
    if out_idx not in (_dtypes.int32, _dtypes.int64):
        raise InvalidArgumentError(None, "UniqueWithCounts",
                                   f"tf.unique_with_counts: out_idx must be int32 or int64, "
                                   f"got {out_idx.name}.\nhint: out_idx=tf.int64.")
    return UniqueWithCounts(*execute(UNIQUE_WITH_COUNTS, (to_tensor(x),), {"out_idx": out_idx}))


# -- reverse_sequence ------------------------------------------------------------------------
def _reverse_sequence_kernel(x, lengths, *, seq_axis, batch_axis):
    n, b = x.shape[seq_axis], x.shape[batch_axis]
    if lengths.shape != (b,):
        raise InvalidArgumentError(
            None, "ReverseSequence",
            f"Length of seq_lengths != input.dims({batch_axis}), ({lengths.size} vs. {b}) "
            f"[Op:ReverseSequence]\nhint: give one length per element of the batch axis.")
    if lengths.size and (lengths.min() < 0 or lengths.max() > n):
        raise InvalidArgumentError(
            None, "ReverseSequence",
            f"seq_lengths must lie in [0, {n}] (input.dims({seq_axis})), got "
            f"{lengths.tolist()} [Op:ReverseSequence]\nhint: a length cannot exceed the "
            f"sequence axis.")
    j = np.arange(n)
    lens = lengths.astype(np.int64)[:, None]
    idx = np.where(j < lens, lens - 1 - j, j)  # [batch, seq]
    if batch_axis > seq_axis:
        idx = idx.T
    shape = [1] * x.ndim
    shape[batch_axis], shape[seq_axis] = b, n
    return np.take_along_axis(x, idx.reshape(shape), axis=seq_axis)


def _reverse_sequence_grad(op, dy):
    return execute(REVERSE_SEQUENCE, (dy, op.inputs[1]), op.attrs), None


REVERSE_SEQUENCE = defop("ReverseSequence", _reverse_sequence_kernel,
                         lambda x, lengths, **attrs: (x.shape, x.dtype),
                         _reverse_sequence_grad, public_name="tf.reverse_sequence")


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):  # noqa: A002
    """Reverses the first `seq_lengths[b]` elements along `seq_axis` of each slice `b` of
    `batch_axis` (`tf.reverse_sequence`; batch_axis defaults to 0).

    >>> tf.reverse_sequence(tf.constant([[1, 2, 3], [4, 5, 6]]), [2, 3], seq_axis=1).numpy()
    array([[2, 1, 3],
           [6, 5, 4]], dtype=int32)
    """
    x = to_tensor(input)
    lengths = to_tensor(seq_lengths)
    if seq_axis is None:
        raise TypeError("tf.reverse_sequence: Expected int for argument 'seq_axis' not None.\n"
                        "hint: say which axis holds the sequences, e.g. seq_axis=1.")
    if lengths.dtype not in (_dtypes.int32, _dtypes.int64):
        raise InvalidArgumentError(
            None, "ReverseSequence",
            f"tf.reverse_sequence: seq_lengths must be int32 or int64, got "
            f"{lengths.dtype.name}.\nhint: tf.cast(seq_lengths, tf.int32).")
    rank = x.shape.rank
    batch_axis = 0 if batch_axis is None else int(batch_axis)
    seq_axis = int(seq_axis)
    if rank is not None:
        for arg, a in (("seq_axis", seq_axis), ("batch_axis", batch_axis)):
            if not -rank <= a < rank:
                raise InvalidArgumentError(
                    None, "ReverseSequence",
                    f"tf.reverse_sequence: {arg}={a} is out of range for a tensor of rank "
                    f"{rank}.\nhint: axes lie in [-{rank}, {rank}).")
        seq_axis, batch_axis = seq_axis % rank, batch_axis % rank
    if seq_axis == batch_axis:
        raise InvalidArgumentError(
            None, "ReverseSequence",
            f"batch_dim == seq_dim == {seq_axis} [Op:ReverseSequence]\nhint: the batch and "
            f"sequence axes must differ.")
    return execute(REVERSE_SEQUENCE, (x, lengths),
                   {"seq_axis": seq_axis, "batch_axis": batch_axis})


def parallel_stack(values, name="parallel_stack"):
    """`tf.stack(values)` for traced functions (`tf.parallel_stack`); like TensorFlow it
    refuses to run eagerly."""
    if not (_active and _state.graphs):
        raise RuntimeError("tf.parallel_stack() is not compatible with eager execution.\n"
                           "hint: use tf.stack, or call it inside a tf.function.")
    return manip_ops.stack(values)


# -- clip_by_global_norm ---------------------------------------------------------------------
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales the tensors of `t_list` by clip_norm / max(global_norm, clip_norm), where
    global_norm = sqrt(sum of their squared L2 norms) (`tf.clip_by_global_norm`).

    None entries stay None; `tf.IndexedSlices` keep their indices. `use_norm` replaces the
    computed norm. Returns (list of clipped tensors, global norm); a non-finite norm gives
    NaN tensors, as in TensorFlow.

    >>> clipped, norm = tf.clip_by_global_norm([tf.constant([3., 4.])], 1.)
    >>> clipped[0].numpy(), float(norm)
    (array([0.6, 0.8], dtype=float32), 5.0)
    """
    if isinstance(t_list, (Tensor, IndexedSlices)) or hasattr(t_list, "_is_variable") or \
            not hasattr(t_list, "__iter__"):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.\n"
                        f"hint: wrap a single tensor in a list: [t].")
    items = list(t_list)
    values = [None if t is None else
              (t.values if isinstance(t, IndexedSlices) else to_tensor(t)) for t in items]
    present = [v for v in values if v is not None]
    if use_norm is None:
        if present:
            norm = math_ops.sqrt(math_ops.add_n(
                [reduction_ops.reduce_sum(math_ops.square(v)) for v in present]))
        else:
            norm = to_tensor(0.0)
    else:
        norm = to_tensor(use_norm)
    clip = to_tensor(clip_norm, dtype=norm.dtype) if not isinstance(clip_norm, Tensor) \
        else clip_norm
    one = to_tensor(1.0, dtype=norm.dtype)
    # norm - norm is NaN when the norm is inf or NaN, which then poisons every output
    scale = math_ops.add(
        math_ops.multiply(clip, math_ops.minimum(math_ops.divide(one, norm),
                                                 math_ops.divide(one, clip))),
        math_ops.subtract(norm, norm))
    out = []
    for t, v in zip(items, values):
        if v is None:
            out.append(None)
            continue
        s = scale if v.dtype is scale.dtype else math_ops.cast(scale, v.dtype)
        clipped = math_ops.multiply(v, s)
        out.append(IndexedSlices(clipped, t.indices, t.dense_shape)
                   if isinstance(t, IndexedSlices) else clipped)
    return out, norm


# -- timing and logging -----------------------------------------------------------------------
TIMESTAMP = defop("Timestamp", lambda: np.float64(time.time()),
                  lambda: (TensorShape([]), _dtypes.float64), None, stateful=True,
                  public_name="tf.timestamp")


def timestamp(name=None):
    """Seconds since the epoch, as a float64 scalar, taken when the op runs (also on every
    call of a traced function) (`tf.timestamp`)."""
    return execute(TIMESTAMP, ())


def get_logger() -> logging.Logger:
    """The `logging.Logger` rill writes its messages to (named 'rill'; TensorFlow's is
    'tensorflow')."""
    return logging.getLogger("rill")


class AggregationMethod:
    """How gradients that reach one tensor from several ops are summed (`tf.
    AggregationMethod`). rill always adds them with `AddN`; the constants are accepted."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


# -- gradient registry hooks ----------------------------------------------------------------
_REGISTERED: dict = {}  # op type -> gradient function registered by RegisterGradient


def _check_op_type(op_type, api: str) -> None:
    if not isinstance(op_type, str):
        raise TypeError(f"{api}: op_type must be a string, got {op_type!r}.\nhint: pass the "
                        f"op's type name, e.g. 'Square'.")


def no_gradient(op_type: str) -> None:
    """Declares the op type `op_type` non-differentiable (`tf.no_gradient`): gradients
    through it are None, as for `tf.stop_gradient`. Names of ops rill does not have are
    accepted and ignored."""
    _check_op_type(op_type, "tf.no_gradient")
    opdef = REGISTRY.get(op_type)
    if opdef is not None:
        opdef.grad = None


class RegisterGradient:
    """Decorator that makes a function the gradient of the op type `op_type`
    (`tf.RegisterGradient`).

    The function takes TensorFlow's arguments, `(op, *output_gradients)` (`op.inputs`,
    `op.outputs`, `op.get_attr`), and returns one gradient per input (a tensor, or a
    list/tuple of them; None for inputs without one). It replaces the op's gradient,
    including rill's built-in one; registering one name twice raises KeyError.

    >>> @tf.RegisterGradient("MyCustomOpGrad")
    ... def _my_grad(op, grad):
    ...     return grad
    """

    def __init__(self, op_type: str):
        _check_op_type(op_type, "tf.RegisterGradient")
        self._op_type = op_type

    def __call__(self, fn):
        name = self._op_type
        if name in _REGISTERED:
            raise KeyError(f"Registering two gradient with name '{name}'! (Previous "
                           f"registration was {_REGISTERED[name]!r}.)\nhint: register each "
                           f"op type once.")
        _REGISTERED[name] = fn
        opdef = REGISTRY.get(name)
        if opdef is not None:
            opdef.grad = _adapt(fn)
        return fn


def _adapt(fn):
    """A rill gradient function (returns a tuple) from a TensorFlow one (may return one
    tensor or a list)."""
    def grad(op, *dys):
        result = fn(op, *dys)
        if isinstance(result, (list, tuple)):
            return tuple(result)
        return (result,)

    grad.__name__ = getattr(fn, "__name__", "grad")
    return grad



# -- unravel_index ---------------------------------------------------------------------------
def _unravel_kernel(indices, dims):
    fn = "tf.unravel_index"
    if dims.ndim != 1:
        raise _error("UnravelIndex", fn, f'The indices can only be 1-D, got "{list(dims.shape)}"',
                     "dims is the shape to index into, a vector.")
    if indices.ndim > 1:
        raise _error("UnravelIndex", fn,
                     f'The indices can only be scalar or vector, got "{list(indices.shape)}"',
                     "tf.reshape(indices, [-1]) first.")
    zero = np.flatnonzero(dims == 0)
    if zero.size:
        raise _error("UnravelIndex", fn, f"Input dims cannot contain a dim of zero, but dims "
                     f"contains zero at index {zero[0]}", "every dimension must be >= 1.")
    if np.any(indices >= np.prod(dims)):
        raise _error("UnravelIndex", fn, "index is out of bound as with dims",
                     f"indices must be < the number of elements, {int(np.prod(dims))}.")
    dt = indices.dtype
    strides = np.cumprod(np.concatenate([[1], dims[:0:-1]]))[::-1].astype(dt)[:, None]
    idx = indices.reshape(1, -1)
    # C's truncating division and remainder, as TF's kernel (negative indices included)
    quot = np.where(idx < 0, -(-idx // strides), idx // strides)
    out = np.fmod(quot, dims.astype(dt)[:, None])
    return out if indices.ndim else out[:, 0]


def _unravel_rule(indices, dims):
    n = dims.shape[0] if dims.shape.rank == 1 else None
    return TensorShape([n] + (indices.shape.as_list() if indices.shape.rank else [])) \
        if indices.shape.rank is not None else TensorShape(None), indices.dtype


UNRAVEL_INDEX = defop("UnravelIndex", _unravel_kernel, _unravel_rule, grad=None,
                      public_name="tf.unravel_index")


def unravel_index(indices, dims, name=None):
    """The coordinates of flat `indices` in an array of shape `dims` (row-major): one row per
    dimension (`tf.unravel_index`).

    >>> tf.unravel_index([22, 41, 37], [7, 6]).numpy()
    array([[3, 6, 6],
           [4, 5, 1]], dtype=int32)
    """
    if isinstance(dims, Tensor) and not isinstance(indices, Tensor):
        d = to_tensor(dims)
        i = to_tensor(indices, dtype=d.dtype) if d.dtype.is_integer else to_tensor(indices)
    else:
        i = to_tensor(indices)
        d = to_tensor(dims, dtype=i.dtype) if i.dtype.is_integer and not isinstance(
            dims, Tensor) else to_tensor(dims)
    for arg, t in (("indices", i), ("dims", d)):
        if t.dtype not in (_dtypes.int32, _dtypes.int64):
            raise _error("UnravelIndex", "tf.unravel_index", f"{arg} must be int32 or int64, "
                         f"got {t.dtype.name}", f"tf.cast({arg}, tf.int32).")
    if i.dtype is not d.dtype:
        raise _error("UnravelIndex", "tf.unravel_index", f"indices and dims must have one "
                     f"dtype, got {i.dtype.name} and {d.dtype.name}",
                     "tf.cast one of them to the other's dtype.")
    return execute(UNRAVEL_INDEX, (i, d))


# -- bitcast ---------------------------------------------------------------------------------
_BITCAST_KINDS = "fiuc"


def _bitcast_kernel(x, *, type):  # noqa: A002 - TensorFlow's name
    to = type._np
    a, b = x.dtype.itemsize, to.itemsize
    if a < b:
        if x.ndim == 0 or x.shape[-1] * a != b:
            last = x.shape[-1] if x.ndim else 1
            raise _error("Bitcast", "tf.bitcast", f"Cannot bitcast from {a} to {b}",
                         f"the last dimension ({last}) times {a} bytes must be {b} bytes.")
        return np.ascontiguousarray(x).view(to).reshape(x.shape[:-1])
    out = np.ascontiguousarray(x).reshape(*x.shape, 1).view(to)
    return out.reshape(x.shape) if a == b else out


def _bitcast_rule(x, *, type):  # noqa: A002
    a, b = x.dtype._np.itemsize, type._np.itemsize
    if x.shape.rank is None:
        return TensorShape(None), type
    dims = x.shape.as_list()
    if a < b:
        if not dims or (dims[-1] is not None and dims[-1] * a != b):
            raise _error("Bitcast", "tf.bitcast", f"Cannot bitcast from {a} to {b}",
                         f"the last dimension times {a} bytes must be {b} bytes.")
        return TensorShape(dims[:-1]), type
    return TensorShape(dims + ([a // b] if a > b else [])), type


BITCAST = defop("Bitcast", _bitcast_kernel, _bitcast_rule, grad=None, public_name="tf.bitcast")


def bitcast(input, type, name=None):  # noqa: A002 - TensorFlow's names
    """The same bytes read as another dtype (`tf.bitcast`). A wider `type` consumes the last
    dimension (its size times the old width must be the new width); a narrower one adds a last
    dimension of old width / new width.

    >>> int(tf.bitcast(tf.constant(1., tf.float32), tf.int32))
    1065353216
    """
    x = to_tensor(input)
    to = _dtypes.as_dtype(type)
    for what, dt in (("input", x.dtype), ("type", to)):
        if dt._np.kind not in _BITCAST_KINDS and dt.name != "bfloat16":
            raise _error("Bitcast", "tf.bitcast", f"{what} must be a numeric dtype (floating, "
                         f"integer or complex), got {dt.name}",
                         "bool and string tensors have no bit pattern to reinterpret.")
    return execute(BITCAST, (x,), {"type": to})


__tf_names__ = {
    "tf": "AggregationMethod broadcast_dynamic_shape broadcast_static_shape clip_by_global_norm "
          "ensure_shape get_logger group identity_n no_gradient no_op parallel_stack "
          "RegisterGradient reverse_sequence timestamp truncatediv truncatemod tuple=tuple_ "
          "unique_with_counts unravel_index bitcast",
    "tf dtypes": "saturate_cast",
}
