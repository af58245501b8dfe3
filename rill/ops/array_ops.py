"""Array ops: shapes, reshaping, joining, slicing and indexing, gathering and scattering, fills.

Each op is one block: kernel, shape/dtype rule (unknown dimensions stay None) and gradient
written with public ops. Shapes, multiples, paddings, begin/size, shifts and indices are tensor
inputs, so they may be symbolic while tracing; axes, masks and modes are static attributes.
`tf.range` and `tf.slice` are `range_` and `slice_` here, so the builtins stay usable.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor_shape import TensorShape
from rill._core.variable import KeyInput as _KeyInput
from rill._core.variable import resolve_key as _resolve_key
from rill.ops import math_ops as _m
from rill.ops._util import (
    BROADCAST_TO,
    SHAPE,
    binary_inputs,
    broadcast_shapes,
    same_rule,
    shape_tensor,
    to_tensor,
    unbroadcast,
)
from rill.ops.indexed_slices import IndexedSlices

_tapes = _context.tapes
_graphs = _context.graphs
_Eager = EagerTensor
_new = object.__new__
_pyslice = builtins.slice
_I32 = np.dtype(np.int32)
_I64 = np.dtype(np.int64)
_INT_TYPES = (int, np.integer)


def _wrap(value) -> EagerTensor:
    t = _new(_Eager)
    t._value = value
    return t


def _error(op: str, fn: str, message: str, hint: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{fn}: {message} [Op:{op}]\nhint: {hint}")


def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def _is_tensor_like(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_is_variable") or hasattr(x, "_as_tensor")


def _as_int(value, fn: str, arg: str) -> int:
    """A static integer argument (Python int, NumPy integer or eager scalar int tensor)."""
    if isinstance(value, bool):
        raise TypeError(f"{fn}: argument {arg} must be an integer, got {value!r}.")
    try:
        return operator.index(value)
    except TypeError:
        pass
    if hasattr(value, "_is_variable"):
        value = value.value()
    v = constant_value(value) if isinstance(value, Tensor) else None
    if v is not None and np.ndim(v) == 0 and np.asarray(v).dtype.kind in "iu":
        return int(v)
    raise TypeError(f"{fn}: argument {arg} must be a Python integer known while tracing, got "
                    f"{value!r}.\nhint: pass a Python int such as {arg}=0.")


def _axis(axis, rank, fn: str, op: str, extra: int = 0, arg: str = "axis") -> int:
    """One axis in [-(rank+extra), rank+extra), made non-negative when the rank is known."""
    a = _as_int(axis, fn, arg)
    if rank is None:
        return a
    n = rank + extra
    if not -n <= a < n:
        raise _error(op, fn, f"{arg}={a} is out of range for a tensor of rank {rank} "
                     f"(expected {arg} in [{-n}, {n})).",
                     f"use an {arg} between {-n} and {n - 1}; negative values count from the "
                     f"end.")
    return a % n if n else 0


def _axes(axis, rank, fn: str, op: str) -> tuple:
    """A list of distinct axes, made non-negative (the rank must be known)."""
    if isinstance(axis, (Tensor,)) or hasattr(axis, "_is_variable"):
        v = constant_value(to_tensor(axis))
        if v is None:
            raise TypeError(f"{fn}: axis must be known while tracing.\nhint: pass a Python "
                            f"list of ints.")
        axis = np.asarray(v).tolist()
    if isinstance(axis, np.ndarray):
        axis = axis.tolist()
    if isinstance(axis, _INT_TYPES):
        axis = [axis]
    out = []
    for a in axis:
        a = _axis(a, rank, fn, op)
        if a in out:
            raise _error(op, fn, f"axis {a} specified more than once.",
                         "list each axis once.")
        out.append(a)
    return tuple(out)


def _py_ints(value):
    """An int32 array of a flat or nested (2 levels) list of Python ints, else None."""
    tv = type(value)
    if tv is not list and tv is not tuple:
        return None
    for d in value:
        td = type(d)
        if td is not int:
            if td is not list and td is not tuple:
                return None
            for e in d:
                if type(e) is not int:
                    return None
    try:
        return np.array(value, dtype=_I32)
    except (OverflowError, ValueError):  # beyond int32, or ragged
        return None


def _int_tensor(value, fn: str, arg: str):
    """An int32/int64 tensor argument (Python lists become int32, or int64 when they must)."""
    arr = _py_ints(value)
    if arr is not None:
        return _wrap(arr)
    if _is_tensor_like(value):
        t = to_tensor(value)
    else:
        try:
            t = convert_to_tensor(value, dtype_hint=_dtypes.int32)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{fn}: argument {arg}={value!r} must be a list of integers or "
                            f"an integer tensor: {exc}") from None
    if not t.dtype.is_integer:
        raise InvalidArgumentError(
            None, fn, f"{fn}: argument {arg} must have an integer dtype (int32 or int64), got "
            f"{t.dtype.name}\nhint: pass integers, or tf.cast({arg}, tf.int32).")
    return t


def _shape_arg(shape, fn: str):
    """A shape argument (list with ints or scalar tensors, TensorShape, 1-D tensor) as a
    1-D integer tensor."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"{fn}: the shape {shape} has unknown dimensions.\nhint: pass a "
                             f"fully defined shape, or tf.shape(x) for a dynamic one.")
        return _wrap(np.array(shape.as_list(), dtype=_I32))
    if isinstance(shape, (list, tuple)):
        if any(_is_tensor_like(d) for d in shape):
            parts = [to_tensor(d) if _is_tensor_like(d) else to_tensor(d, dtype=_dtypes.int32)
                     for d in shape]
            parts = [_m.cast(p, _dtypes.int32) if p.dtype is not _dtypes.int32 else p
                     for p in parts]
            return stack([reshape(p, []) if p.shape.rank else p for p in parts])
        if any(d is None for d in shape):
            raise ValueError(f"{fn}: the shape {list(shape)} has unknown (None) dimensions."
                             f"\nhint: pass integers, or tf.shape(x) for a dynamic shape.")
    if isinstance(shape, _INT_TYPES) and not isinstance(shape, bool):
        shape = [shape]
    t = _int_tensor(shape, fn, "shape")
    if t.shape.rank == 0:
        t = reshape(t, [1])
    elif t.shape.rank not in (1, None):
        raise ValueError(f"{fn}: the shape must be a 1-D list of dimensions, got a tensor "
                         f"of shape {t.shape}.")
    return t


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


def _partial_dims(t):
    """What is known while tracing of a 1-D shape tensor: a list of ints (None where unknown),
    or None. Follows Shape, Pack of scalars, ConcatV2 and StridedSlice of a Shape, as
    TensorFlow's shape inference does, so `tf.zeros(tf.shape(x))` keeps x's known dims."""
    v = constant_value(t)
    if v is not None:
        return [int(d) if d >= 0 else None for d in np.reshape(v, -1).tolist()]
    op = getattr(t, "op", None)
    kind = getattr(op, "type", None)
    if kind == "Shape":
        s = op.inputs[0].shape
        return None if s.rank is None else s.as_list()
    if kind == "Pack" and t.shape.rank == 1:
        return [_partial_scalar(x) for x in op.inputs]
    if kind == "ConcatV2":
        parts = [_partial_dims(x) for x in op.inputs]
        return None if any(p is None for p in parts) else [d for p in parts for d in p]
    if kind == "StridedSlice" and len(op.inputs) == 1:
        src = _partial_dims(op.inputs[0])
        key = op.attrs["key"]
        if src is not None and len(key) == 1 and type(key[0]) is _pyslice:
            return src[key[0]]
    n = t.shape[0] if t.shape.rank == 1 else None
    return None if n is None else [None] * n


def _partial_scalar(t):
    v = constant_value(t)
    if v is not None:
        v = int(np.reshape(v, -1)[0]) if np.size(v) == 1 else -1
        return v if v >= 0 else None
    op = getattr(t, "op", None)
    if getattr(op, "type", None) == "StridedSlice" and len(op.inputs) == 1:
        key = op.attrs["key"]
        src = _partial_dims(op.inputs[0])
        if src is not None and len(key) == 1 and type(key[0]) is int and \
                -len(src) <= key[0] < len(src):
            return src[key[0]]
    return None


def _dims_rule(shape) -> TensorShape:
    """The static shape described by a 1-D shape tensor (known values, else unknown dims)."""
    dims = _partial_dims(shape)
    return TensorShape(dims)


def _same_dtype(values, fn: str, op: str, pack: bool = False) -> list:
    """Converts a list of values to tensors of one dtype: the first tensor's, else the first
    value's (or, when `pack`, that of the whole list read as one constant, as tf.stack)."""
    if _is_tensor_like(values) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{fn}: expected a list of tensors, got {type(values).__name__}.\n"
                        f"hint: pass a Python list, e.g. {fn}([a, b], axis=0).")
    first = next((v for v in values if _is_tensor_like(v)), None)
    dtype = to_tensor(first).dtype if first is not None else None
    if dtype is None and pack:
        try:
            dtype = convert_to_tensor(list(values)).dtype
        except (TypeError, ValueError):
            dtype = None
    out = []
    for v in values:
        if _is_tensor_like(v) or dtype is None:
            t = to_tensor(v)
            dtype = dtype or t.dtype
        else:
            t = convert_to_tensor(v, dtype=dtype)
        out.append(t)
    for i, t in enumerate(out):
        if t.dtype is not dtype:
            j = next(k for k, u in enumerate(out) if u.dtype is dtype)
            raise InvalidArgumentError(
                None, op, f"{fn}: values[{i}] has dtype {t.dtype.name} but values[{j}] has "
                f"dtype {dtype.name}; all values must have one dtype [Op:{op}]\n"
                f"hint: tf.cast the values to one dtype first.")
    return out


# -- shape queries ------------------------------------------------------------------------
def shape(input, out_type=_dtypes.int32, name=None):  # noqa: A002 - TensorFlow's name
    """The dynamic shape of a tensor as a 1-D integer tensor (`tf.shape`).

    >>> tf.shape(tf.zeros([2, 3])).numpy()
    array([2, 3], dtype=int32)
    """
    x = to_tensor(input)
    out_type = _dtypes.as_dtype(out_type)
    if type(x) is _Eager:
        return _wrap(np.array(x._value.shape, dtype=out_type._np))
    if x.shape.is_fully_defined():
        return _wrap(np.array(x.shape.as_list(), dtype=out_type._np))
    return execute(SHAPE, (x,), {"out_type": out_type})


def shape_n(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    """The shapes of a list of tensors (`tf.shape_n`)."""
    return [shape(x, out_type) for x in input]


RANK = defop("Rank", lambda x: np.int32(np.ndim(x)), lambda x: (TensorShape([]), _dtypes.int32),
             grad=None, public_name="tf.rank")


def rank(input, name=None):  # noqa: A002
    """The number of dimensions of a tensor, as an int32 scalar tensor (`tf.rank`)."""
    x = to_tensor(input)
    r = x.shape.rank
    if r is not None:
        return _wrap(np.int32(r))
    return execute(RANK, (x,))


SIZE = defop("Size", lambda x, *, out_type: out_type._np.type(np.size(x)),
             lambda x, *, out_type: (TensorShape([]), out_type), grad=None,
             public_name="tf.size")


def size(input, out_type=_dtypes.int32, name=None):  # noqa: A002
    """The number of elements of a tensor, as a scalar tensor (`tf.size`)."""
    x = to_tensor(input)
    out_type = _dtypes.as_dtype(out_type)
    n = x.shape.num_elements()
    if n is not None:
        return _wrap(out_type._np.type(n))
    return execute(SIZE, (x,), {"out_type": out_type})


# -- reshape, squeeze, expand_dims --------------------------------------------------------
def _reshape_kernel(x, shape):
    dims = shape.tolist()
    try:
        return x.reshape(dims)
    except ValueError:
        raise _reshape_error(x.size, dims) from None


def _reshape_error(n: int, dims: list) -> InvalidArgumentError:
    unknown = [i for i, d in enumerate(dims) if d == -1]
    if len(unknown) > 1:
        msg = f"Only one input size may be -1, not both {unknown[0]} and {unknown[1]}"
    elif any(d < -1 for d in dims):
        msg = f"Size {next(i for i, d in enumerate(dims) if d < -1)} must be non-negative"
    elif unknown:
        msg = (f"Input to reshape is a tensor with {n} values, but the requested shape "
               f"{dims} requires a multiple of {_prod(d for d in dims if d != -1)}")
    else:
        msg = (f"Input to reshape is a tensor with {n} values, but the requested shape "
               f"{dims} has {_prod(dims)}")
    return _error("Reshape", "tf.reshape", msg,
                  "the new shape must hold exactly as many elements as the tensor; use -1 "
                  "for one dimension to have it inferred.")


def _reshape_rule(x, shape):
    if not shape.dtype.is_integer:
        raise TypeError(f"the shape must be int32 or int64, got {shape.dtype.name}")
    v = constant_value(shape)
    if v is None:
        return _dims_rule(shape), x.dtype
    dims = [int(d) for d in np.reshape(v, -1)]
    n = x.shape.num_elements()
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise _reshape_error(n if n is not None else -1, dims)
    if -1 in dims:
        rest = _prod(d for d in dims if d != -1)
        if n is None:
            fill = None
        elif rest == 0 or n % rest:
            if n or rest:
                raise _reshape_error(n, dims)
            fill = 0
        else:
            fill = n // rest
        dims = [fill if d == -1 else d for d in dims]
    elif n is not None and _prod(dims) != n:
        raise _reshape_error(n, dims)
    return TensorShape(dims), x.dtype


RESHAPE = defop("Reshape", _reshape_kernel, _reshape_rule,
                lambda op, dy: (reshape(dy, shape_tensor(op.inputs[0])), None),
                public_name="tf.reshape")


def reshape(tensor, shape, name=None):
    """Gives `tensor` a new shape with the same number of elements; one dim may be -1.

    >>> tf.reshape(tf.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    if type(tensor) is _Eager and not _tapes and not _graphs:
        ts = type(shape)
        if ts is list or ts is tuple:
            try:
                return _wrap(tensor._value.reshape(shape))
            except (ValueError, TypeError):
                pass
    x = to_tensor(tensor)
    return execute(RESHAPE, (x, _shape_arg(shape, "tf.reshape")))


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
    return np.squeeze(x, axis)


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
        axis = tuple(sorted(_axes(axis, x.shape.rank, "tf.squeeze", "Squeeze")))
        if x.shape.rank is None and any(a < 0 for a in axis):
            raise ValueError("tf.squeeze: negative axes need a tensor of known rank.")
    return execute(SQUEEZE, (x,), {"axis": axis})


def _expand_dims_rule(x, *, axis):
    if x.shape.rank is None:
        return TensorShape(None), x.dtype
    dims = x.shape.as_list()
    a = axis if axis >= 0 else axis + len(dims) + 1
    return TensorShape(dims[:a] + [1] + dims[a:]), x.dtype


EXPAND_DIMS = defop("ExpandDims", lambda x, *, axis: np.expand_dims(x, axis), _expand_dims_rule,
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
    a = _axis(axis, x.shape.rank, "tf.expand_dims", "ExpandDims", extra=1)
    if type(x) is _Eager and not _tapes and not _graphs:
        s = x._value.shape
        return _wrap(x._value.reshape(s[:a] + (1,) + s[a:]))
    return execute(EXPAND_DIMS, (x,), {"axis": a})


# -- transpose, tile, broadcast_to, reverse, roll -----------------------------------------
def _check_perm(perm: list, rank: int, fn: str):
    if len(perm) != rank:
        raise _error("Transpose", fn, f"transpose expects a vector of size {rank}. But input(1) "
                     f"is a vector of size {len(perm)}", f"give a permutation of "
                     f"{list(builtins.range(rank))}.")
    for p in perm:
        if not 0 <= p < rank:
            raise _error("Transpose", fn, f"{p} is out of range [0 .. {rank})",
                         f"give a permutation of {list(builtins.range(rank))}.")
    for i in builtins.range(rank):
        if i not in perm:
            raise _error("Transpose", fn, f"{i} is missing from {perm}.",
                         f"give a permutation of {list(builtins.range(rank))}.")


def _transpose_kernel(x, perm):
    p = perm.tolist()
    _check_perm(p, np.ndim(x), "tf.transpose")
    return np.transpose(x, p)


def _transpose_rule(x, perm):
    p = constant_value(perm)
    if x.shape.rank is None:
        n = len(p) if p is not None else (perm.shape[0] if perm.shape.rank == 1 else None)
        return TensorShape(None if n is None else [None] * n), x.dtype
    dims = x.shape.as_list()
    if p is None:
        return TensorShape([None] * len(dims)), x.dtype
    p = [int(i) for i in p]
    _check_perm(p, len(dims), "tf.transpose")
    return TensorShape([dims[i] for i in p]), x.dtype


def _transpose_grad(op, dy):
    perm = op.inputs[1]
    p = constant_value(perm)
    inv = np.argsort(p).astype(np.int32) if p is not None else invert_permutation(perm)
    return transpose(dy, inv, conjugate=op.type == "ConjugateTranspose"), None


TRANSPOSE = defop("Transpose", _transpose_kernel, _transpose_rule, _transpose_grad,
                  public_name="tf.transpose")
CONJUGATE_TRANSPOSE = defop("ConjugateTranspose",
                            lambda x, perm: np.conj(_transpose_kernel(x, perm)),
                            _transpose_rule, _transpose_grad, public_name="tf.transpose")


def _invert_permutation_kernel(p):
    out = np.empty_like(p)
    out[p] = np.arange(p.shape[0], dtype=p.dtype)
    return out


INVERT_PERMUTATION = defop("InvertPermutation", _invert_permutation_kernel, same_rule,
                           grad=None, public_name="tf.math.invert_permutation")


def invert_permutation(x, name=None):
    """The inverse permutation: y[x[i]] = i (`tf.math.invert_permutation`)."""
    return execute(INVERT_PERMUTATION, (_int_tensor(x, "tf.math.invert_permutation", "x"),))


def transpose(a, perm=None, conjugate=False, name="transpose"):
    """Permutes the dimensions (`perm`, default reversed), conjugating complex values when
    `conjugate` (`tf.transpose`).

    >>> tf.transpose(tf.zeros([2, 3, 4]), perm=[0, 2, 1]).shape
    TensorShape([2, 4, 3])
    """
    if type(a) is _Eager and not _tapes and not _graphs and not conjugate:
        v = a._value
        if perm is None:
            return _wrap(v.transpose())
        if type(perm) is list or type(perm) is tuple:
            for p in perm:
                if type(p) is not int:
                    break
            else:
                if sorted(perm) == list(builtins.range(v.ndim)):
                    return _wrap(v.transpose(perm))
    x = to_tensor(a)
    r = x.shape.rank
    conj = bool(conjugate) and x.dtype.is_complex
    if perm is None:
        if r is None:
            perm = reverse(range_(rank(x)), [0])
        else:
            perm = list(builtins.range(r - 1, -1, -1))
    if isinstance(perm, (list, tuple, np.ndarray)) and not any(map(_is_tensor_like, perm)):
        p = [_as_int(i, "tf.transpose", "perm") for i in perm]
        if r is not None:
            _check_perm(p, r, "tf.transpose")
        if type(x) is _Eager and not _tapes and not _graphs:
            out = np.transpose(x._value, p)
            return _wrap(np.conj(out) if conj else out)
        perm = _wrap(np.array(p, dtype=_I32))
    else:
        perm = _int_tensor(perm, "tf.transpose", "perm")
    return execute(CONJUGATE_TRANSPOSE if conj else TRANSPOSE, (x, perm))


def _tile_kernel(x, multiples):
    m = multiples.tolist()
    if len(m) != np.ndim(x):
        raise _error("Tile", "tf.tile", f"Expected multiples argument to be a vector of length "
                     f"{np.ndim(x)} but got length {len(m)}",
                     "give one multiple per dimension of the input.")
    for i, v in enumerate(m):
        if v < 0:
            raise _error("Tile", "tf.tile", f"Expected multiples[{i}] >= 0, but got {v}",
                         "multiples must be non-negative.")
    return np.tile(x, m)


def _tile_rule(x, multiples):
    m = constant_value(multiples)
    r = x.shape.rank
    if r is None:
        n = len(m) if m is not None else (multiples.shape[0] if multiples.shape.rank else None)
        return TensorShape(None if n is None else [None] * n), x.dtype
    if m is None:
        return TensorShape([None] * r), x.dtype
    m = [int(v) for v in np.reshape(m, -1)]
    if len(m) != r:
        raise ValueError(f"Expected multiples argument to be a vector of length {r} but got "
                         f"length {len(m)}")
    return TensorShape([None if d is None else d * k for d, k in zip(x.shape.as_list(), m)]), \
        x.dtype


def _tile_grad(op, dy):
    x, mult = op.inputs
    m = constant_value(mult)
    if m is not None and x.shape.is_fully_defined():
        r = x.shape.rank
        split_shape = [v for pair in zip(np.reshape(m, -1).tolist(), x.shape.as_list())
                       for v in pair]
    else:
        r = x.shape.rank if x.shape.rank is not None else mult.shape[0]
        pairs = stack([_m.cast(mult, _dtypes.int32), shape_tensor(x)], axis=1)
        split_shape = reshape(pairs, [-1])
    g = reshape(dy, split_shape)
    return _m.reduce_sum(g, axis=list(builtins.range(0, 2 * r, 2))), None


TILE = defop("Tile", _tile_kernel, _tile_rule, _tile_grad, public_name="tf.tile")


def tile(input, multiples, name=None):  # noqa: A002
    """Repeats the whole tensor `multiples[i]` times along each axis i (`tf.tile`).

    >>> tf.tile(tf.constant([[1, 2]]), [2, 2]).numpy()
    array([[1, 2, 1, 2],
           [1, 2, 1, 2]], dtype=int32)
    """
    x = to_tensor(input)
    return execute(TILE, (x, _int_tensor(multiples, "tf.tile", "multiples")))


def broadcast_to(input, shape, name=None):  # noqa: A002
    """Broadcasts a tensor to `shape` with NumPy's rules (`tf.broadcast_to`).

    >>> tf.broadcast_to(tf.constant([1, 2]), [2, 2]).numpy()
    array([[1, 2],
           [1, 2]], dtype=int32)
    """
    x = to_tensor(input)
    s = _shape_arg(shape, "tf.broadcast_to")
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


REVERSE = defop("ReverseV2", lambda x, *, axis: np.flip(x, axis) if axis else x, same_rule,
                lambda op, dy: (reverse(dy, op.attrs["axis"]),), public_name="tf.reverse")


def reverse(tensor, axis, name=None):
    """Reverses the order of elements along the axes in `axis` (`tf.reverse`).

    >>> tf.reverse(tf.constant([[1, 2], [3, 4]]), [1]).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    x = to_tensor(tensor)
    if isinstance(axis, _INT_TYPES):
        raise _error("ReverseV2", "tf.reverse", "'dims' must be 1-dimension, not 0",
                     f"pass a list of axes, e.g. axis=[{axis}].")
    if x.shape.rank is None:
        raise ValueError("tf.reverse needs a tensor of known rank.")
    return execute(REVERSE, (x,), {"axis": _axes(axis, x.shape.rank, "tf.reverse", "ReverseV2")})


def _roll_kernel(x, shift, *, axis):
    s = shift.tolist()
    if isinstance(s, int):
        s = [s] * len(axis) if len(axis) == 1 else s
    if not isinstance(s, list) or len(s) != len(axis):
        raise _error("Roll", "tf.roll", "shift and axis must have the same size",
                     "give one shift per axis.")
    return np.roll(x, s, axis) if axis else x


ROLL = defop("Roll", _roll_kernel, lambda x, shift, *, axis: (x.shape, x.dtype),
             lambda op, dy: (roll(dy, _m.negative(op.inputs[1]), op.attrs["axis"]), None),
             public_name="tf.roll")


def roll(input, shift, axis, name=None):  # noqa: A002
    """Rolls elements along `axis` by `shift` places, wrapping around (`tf.roll`).

    >>> tf.roll(tf.constant([1, 2, 3, 4]), shift=1, axis=0).numpy()
    array([4, 1, 2, 3], dtype=int32)
    """
    x = to_tensor(input)
    r = x.shape.rank
    scalar = isinstance(axis, _INT_TYPES)
    axes = (_axis(axis, r, "tf.roll", "Roll"),) if scalar else tuple(
        _axis(a, r, "tf.roll", "Roll") for a in (np.asarray(constant_value(to_tensor(axis)))
                                                  .tolist() if _is_tensor_like(axis) else axis))
    s = _int_tensor(shift, "tf.roll", "shift")
    n = 1 if s.shape.rank == 0 else s.shape[0] if s.shape.rank == 1 else None
    if n is not None and n != len(axes):
        raise _error("Roll", "tf.roll", "shift and axis must have the same size",
                     f"give one shift per axis (got {n} shifts for {len(axes)} axes).")
    return execute(ROLL, (x, s), {"axis": axes})


# -- concat, stack, unstack, split --------------------------------------------------------
def _concat_kernel(*xs, axis):
    try:
        return np.concatenate(xs, axis=axis)
    except ValueError:
        first = list(np.shape(xs[0]))
        for i, x in enumerate(xs[1:], 1):
            s = list(np.shape(x))
            if len(s) != len(first):
                msg = (f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                       f"{first} vs. shape[{i}] = {s}")
                break
            bad = [d for d in builtins.range(len(s)) if d != axis and s[d] != first[d]]
            if bad:
                msg = (f"ConcatOp : Dimension {bad[0]} in both shapes must be equal: shape[0] "
                       f"= {first} vs. shape[{i}] = {s}")
                break
        else:
            raise
        raise _error("ConcatV2", "tf.concat", msg,
                     f"all values must have the same shape except along axis {axis}.") from None


def _concat_rule(*xs, axis):
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"dtypes differ: {xs[0].dtype.name} vs {x.dtype.name}")
    known = [x.shape for x in xs if x.shape.rank is not None]
    if not known:
        return TensorShape(None), xs[0].dtype
    r = known[0].rank
    out = []
    for d in builtins.range(r):
        col = [s[d] for s in known]
        if any(s.rank != r for s in known):
            raise ValueError(f"Ranks of all input tensors should match: {[str(s) for s in known]}")
        if d == axis:
            out.append(None if len(known) < len(xs) or None in col else sum(col))
        else:
            vals = {v for v in col if v is not None}
            if len(vals) > 1:
                raise ValueError(f"Dimension {d} in both shapes must be equal: "
                                 f"{[str(s) for s in known]}")
            out.append(vals.pop() if vals else None)
    return TensorShape(out), xs[0].dtype


def _concat_grad(op, dy):
    axis = op.attrs["axis"]
    xs = op.inputs
    dims = [x.shape[axis] if x.shape.rank is not None else None for x in xs]
    if None in dims:
        dims = stack([shape_tensor(x)[axis] for x in xs])
    return tuple(split(dy, dims, axis=axis))


CONCAT = defop("ConcatV2", _concat_kernel, _concat_rule, _concat_grad, public_name="tf.concat")


def _eager_values(values):
    """The NumPy values of a list of eager tensors of one dtype, outside tapes and graphs."""
    if _tapes or _graphs or (type(values) is not list and type(values) is not tuple):
        return None
    out = []
    for t in values:
        if type(t) is not _Eager:
            return None
        out.append(t._value)
    dt = out[0].dtype if out else None
    for v in out:
        if v.dtype != dt:
            return None
    return out


def concat(values, axis, name="concat"):
    """Joins tensors along an existing axis (`tf.concat`).

    >>> tf.concat([tf.constant([[1, 2]]), tf.constant([[3, 4]])], axis=0).shape
    TensorShape([2, 2])
    """
    vals = _eager_values(values)
    if vals and len(vals) > 1 and type(axis) is int:
        try:
            return _wrap(np.concatenate(vals, axis))
        except ValueError:  # wrong shapes, axis or scalars: the general path explains
            pass
    ts = _same_dtype(values, "tf.concat", "ConcatV2")
    if not ts:
        raise ValueError("tf.concat needs at least one tensor.\nhint: tf.concat([a, b], 0)")
    if len(ts) == 1:
        return identity(ts[0])
    r = next((t.shape.rank for t in ts if t.shape.rank is not None), None)
    if r == 0:
        raise _error("ConcatV2", "tf.concat", "ConcatOp : Can't concatenate scalars (use "
                     "tf.stack instead)", "tf.stack(values) joins scalars into a vector.")
    a = _axis(axis, r, "tf.concat", "ConcatV2")
    return execute(CONCAT, tuple(ts), {"axis": a})


def _stack_kernel(*xs, axis):
    try:
        return np.stack(xs, axis=axis)
    except ValueError:
        shapes = [list(np.shape(x)) for x in xs]
        i = next(i for i, s in enumerate(shapes) if s != shapes[0])
        raise _error("Pack", "tf.stack", f"Shapes of all inputs must match: values[0].shape = "
                     f"{shapes[0]} != values[{i}].shape = {shapes[i]}",
                     "stack takes tensors of one shape; use tf.concat to join along an "
                     "existing axis.") from None


def _stack_rule(*xs, axis):
    s = xs[0].shape
    for x in xs[1:]:
        if not s.is_compatible_with(x.shape):
            raise ValueError(f"Shapes of all inputs must match: {xs[0].shape} vs {x.shape}")
        s = s.merge_with(x.shape)
    if s.rank is None:
        return TensorShape(None), xs[0].dtype
    dims = s.as_list()
    ax = axis if axis >= 0 else axis + len(dims) + 1
    return TensorShape(dims[:ax] + [len(xs)] + dims[ax:]), xs[0].dtype


def _stack_grad(op, dy):
    return tuple(unstack(dy, num=len(op.inputs), axis=op.attrs["axis"]))


PACK = defop("Pack", _stack_kernel, _stack_rule, _stack_grad, public_name="tf.stack")


def stack(values, axis=0, name="stack"):
    """Stacks tensors of one shape along a new axis (`tf.stack`).

    >>> tf.stack([tf.constant([1, 2]), tf.constant([3, 4])], axis=1).numpy()
    array([[1, 3],
           [2, 4]], dtype=int32)
    """
    if isinstance(values, (list, tuple)) and not values:
        return _wrap(np.zeros((0,), np.float32))
    vals = _eager_values(values)
    if vals and type(axis) is int:
        try:
            return _wrap(np.stack(vals, axis))
        except ValueError:
            pass
    ts = _same_dtype(values, "tf.stack", "Pack", pack=True)
    r = next((t.shape.rank for t in ts if t.shape.rank is not None), None)
    a = _axis(axis, r, "tf.stack", "Pack", extra=1)
    return execute(PACK, tuple(ts), {"axis": a})


def _unstack_kernel(x, *, axis, num):
    if x.shape[axis] != num:
        raise _error("Unpack", "tf.unstack", f"Input shape axis {axis} must equal {num}, got "
                     f"shape {list(x.shape)}", "leave num=None to take it from the shape.")
    return tuple(np.moveaxis(x, axis, 0))


def _unstack_rule(x, *, axis, num):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype)] * num
    dims = x.shape.as_list()
    del dims[axis]
    return [(TensorShape(dims), x.dtype)] * num


def _unstack_grad(op, *dys):
    return (stack(list(dys), axis=op.attrs["axis"]),)


UNPACK = defop("Unpack", _unstack_kernel, _unstack_rule, _unstack_grad, num_outputs=None,
               public_name="tf.unstack")


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits a tensor into a list of tensors along `axis`, removing it (`tf.unstack`).

    >>> [t.numpy().tolist() for t in tf.unstack(tf.constant([[1, 2], [3, 4]]))]
    [[1, 2], [3, 4]]
    """
    x = to_tensor(value)
    r = x.shape.rank
    if r is None:
        raise ValueError("tf.unstack needs a tensor of known rank.")
    if r == 0:
        raise ValueError("tf.unstack: the input must have rank >= 1, got a scalar.")
    ax = _axis(axis, r, "tf.unstack", "Unpack")
    n = x.shape[ax] if num is None else int(num)
    if n is None:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}\nhint: pass "
                         f"num=, the size of axis {ax}.")
    if x.shape[ax] is not None and x.shape[ax] != n:
        raise _error("Unpack", "tf.unstack", f"Input shape axis {ax} must equal {n}, got shape "
                     f"{x.shape.as_list()}", "leave num=None to take it from the shape.")
    return list(execute(UNPACK, (x,), {"axis": ax, "num": n}))


def _split_at(x, sizes: list, axis: int) -> tuple:
    pre = (_pyslice(None),) * axis
    out = []
    start = 0
    for n in sizes:
        out.append(x[pre + (_pyslice(start, start + n),)])
        start += n
    return tuple(out)


def _split_kernel(x, *, axis, num):
    n = x.shape[axis]
    if n % num:
        raise _error("Split", "tf.split", f"Number of ways to split should evenly divide the "
                     f"split dimension, but got split_dim {axis} (size = {n}) and num_split "
                     f"{num}", "pass a list of sizes to split unevenly.")
    return _split_at(x, [n // num] * num, axis)


def _split_rule(x, *, axis, num):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype)] * num
    dims = x.shape.as_list()
    d = dims[axis]
    if d is not None and d % num:
        raise ValueError(f"Number of ways to split should evenly divide the split dimension, "
                         f"but got split_dim {axis} (size = {d}) and num_split {num}")
    dims[axis] = None if d is None else d // num
    return [(TensorShape(dims), x.dtype)] * num


def _resolve_sizes(sizes: list, n, fn: str = "tf.split") -> list:
    """Split sizes with the -1 entry filled in; checked against the dimension n (or None)."""
    free = [i for i, s in enumerate(sizes) if s == -1]
    hint = "sizes must add up to the size of the split dimension; one may be -1."
    if len(free) > 1:
        raise _error("SplitV", fn, "There can only be one -1 in the input.", hint)
    if any(s < -1 for s in sizes):
        raise _error("SplitV", fn, f"Split sizes must be >= -1, got {sizes}", hint)
    total = sum(s for s in sizes if s != -1)
    if n is None:
        return [None if s == -1 else s for s in sizes]
    if free:
        if total > n:
            raise _error("SplitV", fn, f"Determined shape must either match input shape along "
                         f"split_dim exactly if fully specified, or be less than the size of "
                         f"the input along split_dim if not fully specified.  Got: {total}", hint)
        sizes = list(sizes)
        sizes[free[0]] = n - total
    elif total != n:
        if len(sizes) == 1:
            msg = (f"If there is only one output, it must have the same size as the input. "
                   f"Input size: {n} output size: {total}")
        else:
            msg = (f"Determined shape must either match input shape along split_dim exactly if "
                   f"fully specified, or be less than the size of the input along split_dim "
                   f"if not fully specified.  Got: {total}")
        raise _error("SplitV", fn, msg, hint)
    return sizes


def _splitv_kernel(x, sizes, *, axis, num):
    return _split_at(x, _resolve_sizes(sizes.tolist(), x.shape[axis]), axis)


def _splitv_rule(x, sizes, *, axis, num):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype)] * num
    dims = x.shape.as_list()
    v = constant_value(sizes)
    parts = [None] * num if v is None else _resolve_sizes(np.reshape(v, -1).tolist(), dims[axis])
    return [(TensorShape(dims[:axis] + [p] + dims[axis + 1:]), x.dtype) for p in parts]


SPLIT = defop("Split", _split_kernel, _split_rule,
              lambda op, *dys: (concat(list(dys), op.attrs["axis"]),),
              num_outputs=None, public_name="tf.split")
SPLITV = defop("SplitV", _splitv_kernel, _splitv_rule,
               lambda op, *dys: (concat(list(dys), op.attrs["axis"]), None),
               num_outputs=None, public_name="tf.split")


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits a tensor into `num` equal parts, or parts of the given sizes (`tf.split`).

    >>> [t.shape[0] for t in tf.split(tf.range(6), [1, 2, -1])]
    [1, 2, 3]
    """
    x = to_tensor(value)
    r = x.shape.rank
    if r == 0:
        raise ValueError("tf.split: cannot split a scalar.\nhint: split tensors of rank >= 1.")
    a = _axis(axis, r, "tf.split", "Split")
    sp = num_or_size_splits
    if isinstance(sp, _INT_TYPES) or (_is_tensor_like(sp) and to_tensor(sp).shape.rank == 0):
        n = _as_int(sp, "tf.split", "num_or_size_splits")
        if n < 1:
            raise _error("Split", "tf.split", f"num_split must be at least 1, got {n}",
                         "split into one or more parts.")
        if r is None and a < 0:
            raise ValueError("tf.split: a negative axis needs a tensor of known rank.")
        return list(execute(SPLIT, (x,), {"axis": a, "num": n}))
    sizes = _int_tensor(sp, "tf.split", "num_or_size_splits")
    if num is None:
        num = sizes.shape[0] if sizes.shape.rank == 1 else None
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {sizes.shape}\nhint: "
                             f"pass num=, the number of parts.")
    v = constant_value(sizes)
    if v is not None and r is not None:
        _resolve_sizes(np.reshape(v, -1).tolist(), x.shape[a])
    return list(execute(SPLITV, (x, sizes), {"axis": a, "num": int(num)}))


# -- pad ----------------------------------------------------------------------------------
def _check_paddings(p: np.ndarray, rank: int, op: str, fn: str = "tf.pad"):
    if p.shape != (rank, 2):
        raise _error(op, fn, f"The first dimension of paddings must be the rank of inputs "
                     f"{list(p.shape)} (rank {rank})",
                     f"give paddings of shape [{rank}, 2]: [before, after] for each dimension.")
    if (p < 0).any():
        raise _error(op, fn, f"Paddings must be non-negative: {p.tolist()}",
                     "use tf.slice to remove elements.")


def _pad_kernel(x, paddings, *cv):
    p = np.asarray(paddings)
    _check_paddings(p, np.ndim(x), "PadV2" if cv else "Pad")
    shape = tuple((np.array(np.shape(x), dtype=np.int64) + p.sum(1)).tolist())
    out = np.full(shape, cv[0] if cv else 0, dtype=x.dtype)
    out[tuple(_pyslice(b, b + d) for b, d in zip(p[:, 0].tolist(), np.shape(x)))] = x
    return out


def _pad_rule(x, paddings, *rest, **attrs):
    p = constant_value(paddings)
    r = x.shape.rank
    if r is None:
        r = paddings.shape[0] if paddings.shape.rank == 2 else None
        if r is None:
            return TensorShape(None), x.dtype
    dims = x.shape.as_list() if x.shape.rank is not None else [None] * r
    if p is None:
        return TensorShape([None] * r), x.dtype
    p = np.asarray(p)
    if p.shape != (r, 2):
        raise ValueError(f"The first dimension of paddings must be the rank of inputs "
                         f"{list(p.shape)} (rank {r})")
    return TensorShape([None if d is None else d + int(a) + int(b)
                        for d, (a, b) in zip(dims, p.tolist())]), x.dtype


def _pad_grad(op, dy):
    x, paddings = op.inputs[:2]
    p = constant_value(paddings)
    begin = p[:, 0].astype(np.int32) if p is not None else paddings[:, 0]
    dx = slice_(dy, begin, shape_tensor(x))
    return (dx,) + (None,) * (len(op.inputs) - 1)


PAD = defop("Pad", _pad_kernel, _pad_rule, _pad_grad, public_name="tf.pad")
PADV2 = defop("PadV2", _pad_kernel, _pad_rule, _pad_grad, public_name="tf.pad")


def _mirror_pad_kernel(x, paddings, *, mode):
    p = np.asarray(paddings)
    _check_paddings(p, np.ndim(x), "MirrorPad")
    off = 1 if mode == "REFLECT" else 0
    for d, (a, b) in zip(np.shape(x), p.tolist()):
        if max(a, b) > d - off:
            word = "less than" if off else "no greater than"
            raise _error("MirrorPad", "tf.pad", f"paddings must be {word} the dimension size: "
                         f"{a}, {b} {'not less than' if off else 'greater than'} {d}",
                         f"{mode} padding can mirror at most {d - off} elements of a dimension "
                         f"of size {d}.")
    return np.pad(x, p, mode=mode.lower())


def _mirror_pad_grad_kernel(dy, paddings, *, mode):
    # folds the mirrored borders back onto the elements they copy, one axis at a time
    off = 1 if mode == "REFLECT" else 0
    g = dy
    for ax, (before, after) in enumerate(np.asarray(paddings).tolist()):
        if not before and not after:
            continue
        moved = np.moveaxis(g, ax, 0)
        n = moved.shape[0] - before - after
        core = moved[before:before + n].copy()
        if before:
            core[off:off + before] += moved[:before][::-1]
        if after:
            core[n - off - after:n - off] += moved[before + n:][::-1]
        g = np.moveaxis(core, 0, ax)
    return g


MIRROR_PAD = defop("MirrorPad", _mirror_pad_kernel, _pad_rule,
                   lambda op, dy: (execute(MIRROR_PAD_GRAD, (to_tensor(dy), op.inputs[1]),
                                           op.attrs), None),
                   public_name="tf.pad")


def _mirror_pad_grad_rule(dy, paddings, *, mode):
    p = constant_value(paddings)
    if dy.shape.rank is None:
        return TensorShape(None), dy.dtype
    if p is None:
        return TensorShape([None] * dy.shape.rank), dy.dtype
    return TensorShape([None if d is None else d - int(a) - int(b)
                        for d, (a, b) in zip(dy.shape.as_list(), np.asarray(p).tolist())]), \
        dy.dtype


MIRROR_PAD_GRAD = defop("MirrorPadGrad", _mirror_pad_grad_kernel, _mirror_pad_grad_rule,
                        lambda op, g: (execute(MIRROR_PAD, (to_tensor(g), op.inputs[1]),
                                               op.attrs), None),
                        public_name="tf.pad")


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pads a tensor: `paddings[i] = [before, after]` elements for dimension i (`tf.pad`).

    mode: "CONSTANT" (fill with `constant_values`), "REFLECT" (mirror without the edge) or
    "SYMMETRIC" (mirror with the edge).

    >>> tf.pad(tf.constant([[1, 2, 3]]), [[0, 0], [2, 2]], "REFLECT").numpy()
    array([[3, 2, 1, 2, 3, 2, 1]], dtype=int32)
    """
    x = to_tensor(tensor)
    m = str(mode).upper()
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f'Value of argument `mode` expected to be one of "CONSTANT", '
                         f'"REFLECT", or "SYMMETRIC". Received `mode` = {mode}')
    p = _int_tensor(paddings, "tf.pad", "paddings")
    known = constant_value(p) if _graphs else None  # eager kernels check paddings themselves
    if known is not None and x.shape.rank is not None:
        _check_paddings(np.asarray(known), x.shape.rank,
                        "Pad" if m == "CONSTANT" else "MirrorPad")
    if m != "CONSTANT":
        return execute(MIRROR_PAD, (x, p), {"mode": m})
    if not _is_tensor_like(constant_values) and constant_values == 0:
        return execute(PAD, (x, p))
    cv = to_tensor(constant_values) if _is_tensor_like(constant_values) else \
        convert_to_tensor(constant_values, dtype=x.dtype)
    if cv.dtype is not x.dtype:
        raise TypeError(f"tf.pad: constant_values has dtype {cv.dtype.name} but the tensor "
                        f"has dtype {x.dtype.name}.\nhint: tf.cast(constant_values, "
                        f"tf.{x.dtype.name}).")
    return execute(PADV2, (x, p, reshape(cv, [])))


# -- slice, strided_slice and indexing (t[...]) --------------------------------------------
# An index key is a static tuple of ints, slices, None (tf.newaxis) and Ellipsis, kept as the
# `key` attribute of StridedSlice; parts known only at run time are `KeyInput` markers naming
# an extra scalar input of the op (variables' slice assignment reads the same keys).
def _key_axes(key: tuple, rank: int):
    """(part, input axis) for each part of a key; the axis is None for tf.newaxis."""
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    pos = 0
    for k in key:
        if k is Ellipsis:
            pos += rank - used
        elif k is None:
            yield k, None
        else:
            yield k, pos
            pos += 1


_INDEX_HINT = ("index with Python ints, slices (`a:b:step`), `...`, tf.newaxis (None) or scalar "
               "int32/int64 tensors; use tf.gather for a list of indices and tf.boolean_mask "
               "for a mask.")


def _index_error(shape: tuple, key: tuple, fn: str = "tf.Tensor.__getitem__"):
    rank = len(shape)
    for i, k in enumerate(key):
        if type(k) is _pyslice and k.step == 0:
            return _error("StridedSlice", fn, f"strides[{i}] must be non-zero: slice step "
                          f"cannot be zero", "use a positive step to go forward or a negative "
                          "one to go backward.")
    if sum(1 for k in key if k is Ellipsis) > 1:
        return _error("StridedSlice", fn, "Multiple ellipses in slice spec not allowed",
                      "use `...` at most once in an index.")
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > rank:
        what = "Attempting to slice scalar input." if rank == 0 else \
            f"Index out of range using input dim {rank}; input has only {rank} dims"
        return _error("StridedSlice", fn, f"{what} (index {key} into a tensor of shape "
                      f"{list(shape)})", f"a tensor of rank {rank} takes at most {rank} "
                      f"indices; add dimensions with tf.newaxis or tf.reshape first.")
    for k, axis in _key_axes(key, rank):
        if type(k) is int:
            d = shape[axis]
            if not -d <= k < d:
                return _error("StridedSlice", fn, f"slice index {k} of dimension {axis} out of "
                              f"bounds: the dimension has size {d} (tensor shape "
                              f"{list(shape)})",
                              f"valid indices for dimension {axis} are {-d} to {d - 1} "
                              f"(negative ones count from the end); slices such as "
                              f"[{k}:] are clipped instead of failing." if d else
                              f"dimension {axis} is empty: it has no element to index.")
    return _error("StridedSlice", fn, f"invalid index {key} for a tensor of shape {list(shape)}",
                  _INDEX_HINT)


def _strided_slice_kernel(x, *dyn, key):
    if dyn:
        key = _resolve_key(key, dyn)
    try:
        return x[key]
    except (IndexError, ValueError):
        raise _index_error(np.shape(x), key) from None


def _strided_slice_rule(x, *dyn, key):
    if x.shape.rank is None:
        return TensorShape(None), x.dtype
    dims = x.shape.as_list()
    r = len(dims)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > r:
        raise ValueError(f"Index out of range using input dim {r}; input has only {r} dims "
                         f"(index {key} into shape {x.shape})")
    out = []
    pos = 0
    for k in key:
        if k is Ellipsis:
            out.extend(dims[pos:pos + r - used])
            pos += r - used
        elif k is None:
            out.append(1)
        elif type(k) is _pyslice:
            d = dims[pos]
            pos += 1
            if d is None or any(type(v) is _KeyInput for v in (k.start, k.stop, k.step)):
                out.append(None)
            else:
                out.append(len(builtins.range(*k.indices(d))))
        else:
            d = dims[pos]
            if type(k) is int and d is not None and not -d <= k < d:
                raise ValueError(f"slice index {k} of dimension {pos} out of bounds: the "
                                 f"dimension has size {d} (tensor shape {x.shape})")
            pos += 1
    if Ellipsis not in key:
        out.extend(dims[pos:])
    return TensorShape(out), x.dtype


def _strided_slice_grad(op, dy):
    dyn = tuple(op.inputs[1:])
    dx = execute(STRIDED_SLICE_GRAD, (to_tensor(dy), shape_tensor(op.inputs[0])) + dyn,
                 op.attrs)
    return (dx,) + (None,) * len(dyn)


def _strided_slice_grad_kernel(dy, shape, *dyn, key):
    if dyn:
        key = _resolve_key(key, dyn)
    out = np.zeros(tuple(shape.tolist()), dtype=dy.dtype)
    out[key] = dy
    return out


def _strided_slice_grad_grad(op, g):
    dyn = tuple(op.inputs[2:])
    return (execute(STRIDED_SLICE, (to_tensor(g),) + dyn, op.attrs), None) + (None,) * len(dyn)


STRIDED_SLICE = defop("StridedSlice", _strided_slice_kernel, _strided_slice_rule,
                      _strided_slice_grad, public_name="tf.strided_slice")
STRIDED_SLICE_GRAD = defop("StridedSliceGrad", _strided_slice_grad_kernel,
                           lambda dy, shape, *dyn, key: (_dims_rule(shape), dy.dtype),
                           _strided_slice_grad_grad, public_name="tf.strided_slice")


def _bad_index(k) -> TypeError:
    return TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     f"scalar tf.int32/tf.int64 tensors are valid indices, got {k!r}\n"
                     f"hint: {_INDEX_HINT}")


def _index_part(k, dyn: list):
    """One integer of an index: a Python int, or a `_KeyInput` marker for a symbolic scalar."""
    tk = type(k)
    if tk is int:
        return k
    if tk is bool or tk is np.bool_:
        raise _bad_index(k)
    if isinstance(k, np.integer):
        return int(k)
    if hasattr(k, "_is_variable"):
        k = k.value()
    if isinstance(k, Tensor):
        if k.dtype._kind != "i" or k.dtype.size < 2 or k.shape.rank != 0:
            raise _bad_index(k)
        v = constant_value(k)
        if v is not None:
            return int(v)
        dyn.append(k)
        return _KeyInput(len(dyn) - 1)
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind == "i":
        return int(k)
    raise _bad_index(k)


def _parse_key(key, fn: str = "tf.Tensor.__getitem__"):
    """A static index key and the symbolic scalars it refers to."""
    if type(key) is not tuple:
        key = tuple(key) if type(key) is list else (key,)  # TensorFlow reads a list as a tuple
    parts = []
    dyn: list = []
    for i, k in enumerate(key):
        if k is None:
            parts.append(None)
        elif k is Ellipsis:
            if Ellipsis in parts:
                raise _error("StridedSlice", fn, "Multiple ellipses in slice spec not allowed",
                             "use `...` at most once in an index.")
            parts.append(Ellipsis)
        elif type(k) is _pyslice:
            s = _pyslice(*(None if v is None else _index_part(v, dyn)
                           for v in (k.start, k.stop, k.step)))
            if s.step == 0 and type(s.step) is int:
                raise _error("StridedSlice", fn, f"strides[{i}] must be non-zero: slice step "
                             f"cannot be zero", "use a positive step to go forward or a "
                             "negative one to go backward.")
            parts.append(s)
        else:
            parts.append(_index_part(k, dyn))
    return tuple(parts), dyn


def _is_mask(key) -> bool:
    tk = type(key)
    if tk is bool or tk is np.bool_:
        return True
    if tk is np.ndarray:
        return key.dtype == np.bool_
    if isinstance(key, Tensor) or hasattr(key, "_is_variable"):
        return key.dtype is _dtypes.bool
    return False


_SIMPLE_PARTS = (int, _pyslice, type(None), type(Ellipsis))


def getitem(tensor, key):
    """`tensor[key]` with TensorFlow's rules (`tf.Tensor.__getitem__`).

    Keys combine ints (negative ones count from the end), slices with steps, `...` and
    `tf.newaxis`; scalar int tensors may stand for ints. A list key reads as a tuple, and a
    bool tensor key is `tf.boolean_mask`.

    >>> t = tf.reshape(tf.range(12), [3, 4])
    >>> t[1:, ::2].numpy()
    array([[ 4,  6],
           [ 8, 10]], dtype=int32)
    >>> t[..., -1, tf.newaxis].shape
    TensorShape([3, 1])
    """
    if type(tensor) is _Eager and not _tapes and not _graphs:
        tk = type(key)
        if tk is int or tk is _pyslice:
            try:
                return _wrap(tensor._value[key])
            except (IndexError, ValueError, TypeError):
                pass
        elif tk is tuple:
            for k in key:
                if type(k) not in _SIMPLE_PARTS:
                    break
            else:
                try:
                    return _wrap(tensor._value[key])
                except (IndexError, ValueError, TypeError):
                    pass
    x = tensor if isinstance(tensor, Tensor) else to_tensor(tensor)
    if _is_mask(key):
        return boolean_mask(x, key)
    parts, dyn = _parse_key(key)
    return execute(STRIDED_SLICE, (x, *dyn), {"key": parts})


def _index_list(v, fn: str, arg: str) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, np.ndarray):
        return v.reshape(-1).tolist()
    t = _int_tensor(v, fn, arg)
    known = constant_value(t)
    if known is not None:
        return np.reshape(known, -1).tolist()
    if t.shape.rank != 1 or t.shape[0] is None:
        raise ValueError(f"{fn}: the length of {arg} must be known while tracing, got shape "
                         f"{t.shape}.")
    return unstack(t)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """Extracts `input_[begin:end:strides]`, one entry per indexed dimension
    (`tf.strided_slice`).

    Bit i of a mask modifies entry i: `begin_mask`/`end_mask` ignore begin[i]/end[i] (slice to
    the edge), `ellipsis_mask` makes it `...`, `new_axis_mask` makes it tf.newaxis, and
    `shrink_axis_mask` takes the single index begin[i], removing the dimension.

    >>> tf.strided_slice(tf.reshape(tf.range(6), [2, 3]), [0, 1], [2, 3], [1, 1]).numpy()
    array([[1, 2],
           [4, 5]], dtype=int32)
    """
    x = to_tensor(input_)
    b = _index_list(begin, "tf.strided_slice", "begin")
    e = _index_list(end, "tf.strided_slice", "end")
    s = [1] * len(b) if strides is None else _index_list(strides, "tf.strided_slice", "strides")
    if not len(b) == len(e) == len(s):
        raise ValueError(f"tf.strided_slice: begin, end and strides must have one length, got "
                         f"{len(b)}, {len(e)} and {len(s)}.")
    key = []
    for i in builtins.range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(b[i])
        else:
            key.append(_pyslice(None if begin_mask & bit else b[i],
                                None if end_mask & bit else e[i], s[i]))
    parts, dyn = _parse_key(tuple(key), "tf.strided_slice")
    return execute(STRIDED_SLICE, (x, *dyn), {"key": parts})


def _slice_kernel(x, begin, size):
    shape = np.shape(x)
    b, s = begin.tolist(), size.tolist()
    hint = "begin[i] + size[i] must lie within dimension i; size -1 takes the rest."
    if not len(b) == len(s) == len(shape):
        raise _error("Slice", "tf.slice", f"Expected begin and size arguments to be 1-D tensors "
                     f"of size {len(shape)}, but got shapes [{len(b)}] and [{len(s)}] instead.",
                     f"give one begin and one size per dimension of the input of shape "
                     f"{list(shape)}.")
    idx = []
    for i, (bi, si, d) in enumerate(zip(b, s, shape)):
        if not 0 <= bi <= d:
            raise _error("Slice", "tf.slice", f"Expected begin[{i}] in [0, {d}], but got {bi}",
                         hint)
        if si == -1:
            si = d - bi
        if not 0 <= si <= d - bi:
            raise _error("Slice", "tf.slice", f"Expected size[{i}] in [0, {d - bi}], but got "
                         f"{si}", hint)
        idx.append(_pyslice(bi, bi + si))
    return x[tuple(idx)]


def _slice_rule(x, begin, size):
    b, s = constant_value(begin), constant_value(size)
    r = x.shape.rank
    if r is None:
        n = size.shape[0] if size.shape.rank == 1 else None
        return TensorShape(None if n is None else [None] * n), x.dtype
    if s is None:
        return TensorShape([None] * r), x.dtype
    dims = x.shape.as_list()
    s = np.reshape(s, -1).tolist()
    if len(s) != r:
        raise ValueError(f"Expected begin and size arguments to be 1-D tensors of size {r}, "
                         f"but got size of length {len(s)}")
    out = []
    for i, si in enumerate(s):
        if si == -1:
            out.append(None if b is None or dims[i] is None else dims[i] - int(b[i]))
        else:
            out.append(si)
    return TensorShape(out), x.dtype


def _slice_grad(op, dy):
    x, begin, _ = op.inputs
    y = op.outputs[0]
    b = constant_value(begin)
    if b is not None and x.shape.is_fully_defined() and y.shape.is_fully_defined():
        b = np.reshape(b, -1).astype(np.int64)
        after = np.array(x.shape.as_list(), np.int64) - b - np.array(y.shape.as_list(), np.int64)
        pads = np.stack([b, after], axis=1).astype(np.int32)
    else:
        b32 = _m.cast(begin, _dtypes.int32)
        after = _m.subtract(_m.subtract(shape_tensor(x), b32), shape(y))
        pads = stack([b32, after], axis=1)
    return pad(dy, pads), None, None


SLICE = defop("Slice", _slice_kernel, _slice_rule, _slice_grad, public_name="tf.slice")


def slice_(input_, begin, size, name=None):
    """Extracts `size[i]` elements from `begin[i]` along each dimension i; size -1 takes the
    rest (`tf.slice`).

    >>> tf.slice(tf.reshape(tf.range(6), [2, 3]), [0, 1], [2, -1]).numpy()
    array([[1, 2],
           [4, 5]], dtype=int32)
    """
    x = to_tensor(input_)
    b = _int_tensor(begin, "tf.slice", "begin")
    s = _int_tensor(size, "tf.slice", "size")
    if b.dtype is not s.dtype:
        b, s = _m.cast(b, _dtypes.int64), _m.cast(s, _dtypes.int64)
    return execute(SLICE, (x, b, s))


# -- fills and sequences ------------------------------------------------------------------
def _fill_kernel(dims, value):
    d = dims.tolist()
    for n in d:
        if n < 0:
            raise _error("Fill", "tf.fill", f"Dimension {n} must be >= 0 (dims {d})",
                         "dimensions are sizes: use 0 or more.")
    return np.full(d, value, dtype=value.dtype)


FILL = defop("Fill", _fill_kernel, lambda dims, value: (_dims_rule(dims), value.dtype),
             lambda op, dy: (None, _m.reduce_sum(dy)), public_name="tf.fill")


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
    return execute(FILL, (_shape_arg(dims, "tf.fill"), v))


def _filled(shape, dtype, one: bool, fn: str):
    dtype = _dtypes.as_dtype(dtype)
    if dtype is _dtypes.string:
        if one:
            raise TypeError("Cannot convert 1 to EagerTensor of dtype string")
        value = np.array(b"", dtype=object)
    else:
        value = dtype._np.type(1 if one else 0)
    if not _graphs:
        dims = _static_dims(shape)
        if dims is not None:
            if dtype is _dtypes.string:
                return _wrap(np.full(dims, b"", dtype=object))
            return _wrap(np.ones(dims, dtype._np) if one else np.zeros(dims, dtype._np))
    return execute(FILL, (_shape_arg(shape, fn), _wrap(value)))


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
    if dtype is None and type(input) is _Eager and not _graphs:
        v = input._value
        return _wrap(np.ones_like(v) if one else np.zeros_like(v))
    x = to_tensor(input)
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
    if not _graphs and type(start) is int and type(limit) is int and type(delta) is int \
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
    gstop = _m.reduce_sum(_m.multiply(dy, w), axis=a)
    gstart = _m.reduce_sum(_m.subtract(dy, _m.multiply(dy, w)), axis=a)
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
    n = _int_tensor(num, "tf.linspace", "num")
    r = broadcast_shapes(s.shape, e.shape, "tf.linspace").rank
    a = _axis(axis, r, "tf.linspace", "LinSpace", extra=1)
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
            and off_value is None and axis in (None, -1) and not _graphs:
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
    on = None if on_value is None else (to_tensor(on_value) if _is_tensor_like(on_value) or
                                        dtype is None else convert_to_tensor(on_value, dtype))
    off = None if off_value is None else (to_tensor(off_value) if _is_tensor_like(off_value) or
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
    a = -1 if axis is None else _as_int(axis, "tf.one_hot", "axis")
    if r is not None and a != -1:
        if not 0 <= a <= r:
            raise _error("OneHot", "tf.one_hot", f"Expected axis to be -1 or between [0, "
                         f"{r + 1}).  But received: {a}", "use -1 for a new last axis.")
        a = -1 if a == r else a
    return execute(ONE_HOT, (idx, _int_tensor(depth, "tf.one_hot", "depth"), on, off),
                   {"axis": a})


def sequence_mask(lengths, maxlen=None, dtype=_dtypes.bool, name=None):
    """`mask[..., j] = j < lengths[...]`, with `maxlen` columns (default max(lengths))
    (`tf.sequence_mask`).

    >>> tf.sequence_mask([1, 3], 4).numpy()
    array([[ True, False, False, False],
           [ True,  True,  True, False]])
    """
    lens = _int_tensor(lengths, "tf.sequence_mask", "lengths")
    dtype = _dtypes.as_dtype(dtype)
    if maxlen is None:
        if type(lens) is _Eager:
            maxlen = int(lens._value.max()) if lens._value.size else 0
        else:
            maxlen = _m.reduce_max(lens)
    m = _int_tensor(maxlen, "tf.sequence_mask", "maxlen")
    if m.shape.rank not in (0, None):
        raise ValueError(f"tf.sequence_mask: Argument `maxlen` must be scalar, got shape "
                         f"{m.shape}.")
    row = range_(0, _m.cast(m, lens.dtype), 1)
    if type(lens) is _Eager and type(row) is _Eager and not _graphs:
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
        return execute(WHERE, (to_tensor(condition),))
    if _is_tensor_like(condition):
        c = to_tensor(condition)
        if c.dtype is not _dtypes.bool:
            raise InvalidArgumentError(
                None, "SelectV2", f"tf.where: condition must be a bool tensor but is a "
                f"{c.dtype.name} tensor [Op:SelectV2]\nhint: compare first, e.g. "
                f"tf.where(c > 0, x, y), or tf.cast(c, tf.bool).")
    else:
        c = convert_to_tensor(condition, dtype=_dtypes.bool)
    x, y = binary_inputs(x, y, SELECT)
    if type(c) is _Eager and type(x) is _Eager and type(y) is _Eager and not _tapes \
            and not _graphs:
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
    return execute(IDENTITY, (to_tensor(input),))


STOP_GRADIENT = defop("StopGradient", lambda x: x, same_rule, grad=None,
                      public_name="tf.stop_gradient")


def stop_gradient(input, name=None):  # noqa: A002
    """`input`, as a constant for gradients: no gradient flows through it
    (`tf.stop_gradient`)."""
    return execute(STOP_GRADIENT, (to_tensor(input),))


# -- gather and scatter -------------------------------------------------------------------
def _check_indices(idx: np.ndarray, n: int, op: str, fn: str, axis: int):
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = np.argwhere((idx < 0) | (idx >= n))[0]
        pos = ",".join(str(i) for i in bad.tolist())
        raise _error(op, fn, f"indices[{pos}] = {np.asarray(idx)[tuple(bad)]} is not in "
                     f"[0, {n})", f"indices along axis {axis} must lie in [0, {n}); negative "
                     f"indices do not count from the end in tf.gather.")


_UNSIGNED = {np.dtype(np.int8): np.uint8, np.dtype(np.int16): np.uint16,
             np.dtype(np.int32): np.uint32, np.dtype(np.int64): np.uint64}


def _take(params, indices, axis: int):
    # negative indices viewed as unsigned are out of range, so `take` rejects them too
    u = _UNSIGNED.get(indices.dtype)
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
    nb = _prod(ps[:bd])
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
    nb = _prod(ps[:bd])
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
    lambda dy, indices, shape, **attrs: (_dims_rule(shape), dy.dtype),
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
    if type(params) is _Eager and not batch_dims and not _tapes and not _graphs and \
            type(indices) is _Eager and indices._value.dtype.kind in "iu":
        pv = params._value
        a = 0 if axis is None else axis
        if type(a) is int and -pv.ndim <= a < pv.ndim:
            return _wrap(_take(pv, indices._value, a % pv.ndim))
    p = to_tensor(params)
    idx = _int_tensor(indices, "tf.gather", "indices")
    pr, ir = p.shape.rank, idx.shape.rank
    bd = _as_int(batch_dims, "tf.gather", "batch_dims")
    if bd < 0:
        if ir is None:
            raise ValueError("tf.gather: negative batch_dims needs indices of known rank.")
        bd += ir
    a = bd if axis is None else _as_int(axis, "tf.gather", "axis")
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
    if bd == 0 and type(p) is _Eager and type(idx) is _Eager and not _tapes and not _graphs:
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
    idx = _int_tensor(indices, "tf.gather_nd", "indices")
    bd = _as_int(batch_dims, "tf.gather_nd", "batch_dims")
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
                   lambda indices, updates, shape: (_dims_rule(shape), updates.dtype),
                   lambda op, dy: (None, gather_nd(dy, op.inputs[0]), None),
                   public_name="tf.scatter_nd")


def scatter_nd(indices, updates, shape, name=None):
    """A tensor of zeros of `shape` with `updates` added at `indices` (repeated indices sum)
    (`tf.scatter_nd`).

    >>> tf.scatter_nd([[0], [2], [0]], [1, 2, 3], [4]).numpy()
    array([4, 0, 2, 0], dtype=int32)
    """
    idx = _int_tensor(indices, "tf.scatter_nd", "indices")
    return execute(SCATTER_ND, (idx, to_tensor(updates), _shape_arg(shape, "tf.scatter_nd")))


def _tensor_scatter(mode: str):
    op = {"update": "TensorScatterUpdate", "add": "TensorScatterAdd",
          "sub": "TensorScatterSub"}[mode]
    fn = f"tf.tensor_scatter_nd_{mode}"

    def kernel(tensor, indices, updates):
        idx = _check_updates(indices, np.shape(updates), np.shape(tensor), op, fn)
        out = np.array(tensor, copy=True)
        if mode == "update":
            out[idx] = updates
        elif mode == "add":
            np.add.at(out, idx, updates)
        else:
            np.subtract.at(out, idx, updates)
        return out

    def grad(op_, dy):
        indices = op_.inputs[1]
        dy = to_tensor(dy)
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


def _tensor_scatter_inputs(tensor, indices, updates, opdef):
    t = to_tensor(tensor)
    u = to_tensor(updates) if _is_tensor_like(updates) else convert_to_tensor(updates, t.dtype)
    if u.dtype is not t.dtype:
        raise InvalidArgumentError(
            None, opdef.name, f"{opdef.public_name}: updates has dtype {u.dtype.name} but "
            f"tensor has dtype {t.dtype.name} [Op:{opdef.name}]\nhint: tf.cast(updates, "
            f"tf.{t.dtype.name}).")
    return t, _int_tensor(indices, opdef.public_name, "indices"), u


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


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """The elements (or slices) of `tensor` where `mask` is true; the mask covers dimensions
    axis .. axis + rank(mask) - 1, which become one (`tf.boolean_mask`).

    >>> tf.boolean_mask(tf.constant([[1, 2], [3, 4]]), [True, False]).numpy()
    array([[1, 2]], dtype=int32)
    """
    x = to_tensor(tensor)
    m = to_tensor(mask)
    mr = m.shape.rank
    if mr == 0:
        raise ValueError("mask cannot be scalar.\nhint: use tf.where(mask, x, y) or a Python "
                         "`if` for a single condition.")
    if mr is None:
        raise ValueError("Number of mask dimensions must be specified, even if some dimensions "
                         "are None. E.g. shape=[None] is ok, but shape=None is not.")
    a = 0 if axis is None else _axis(axis, x.shape.rank, "tf.boolean_mask", "GatherV2")
    xs = x.shape
    part = xs[a:a + mr]
    if xs.rank is not None and (xs.rank < a + mr or not part.is_compatible_with(m.shape)):
        raise ValueError(f"Shapes {part} and {m.shape} are incompatible\nhint: the mask must "
                         f"have the shape of dimensions {a}..{a + mr - 1} of the tensor "
                         f"{xs}.")
    if type(x) is _Eager and type(m) is _Eager and not _tapes and not _graphs:
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
    a = _axis(axis, x.shape.rank, "tf.repeat", "_RepeatIndices")
    r = _int_tensor(repeats, "tf.repeat", "repeats")
    if r.shape.rank not in (0, 1, None):
        raise ValueError(f"tf.repeat: repeats must be a scalar or a vector, got shape "
                         f"{r.shape}.")
    d = x.shape[a] if x.shape.rank is not None else None
    n = _wrap(np.int32(d)) if d is not None else shape_tensor(x)[a]
    if type(x) is _Eager and type(r) is _Eager and not _tapes and not _graphs:
        return _wrap(np.take(x._value, _repeat_indices_kernel(r._value, d), axis=a))
    idx = execute(REPEAT_INDICES, (r, n))
    if a == 0:
        x = reshape(x, shape_tensor(x))  # the gradient reaches `input` dense, as in TF
    return gather(x, idx, axis=a)


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
    c = to_tensor(clip_norm) if _is_tensor_like(clip_norm) else \
        convert_to_tensor(clip_norm, dtype=x.dtype)
    l2sum = _m.reduce_sum(_m.multiply(x, x), axes, keepdims=True)
    pred = _m.greater(l2sum, 0.0)
    # the norm of an all-zero slice is 0, with a finite gradient (sqrt is not used at 0)
    l2norm = where(pred, _m.sqrt(where(pred, l2sum, ones_like(l2sum))), l2sum)
    return _m.divide_no_check(_m.multiply(x, c), _m.maximum(l2norm, c))
