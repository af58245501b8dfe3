"""Helpers that make most op declarations one or two lines.

- `make_unary` / `make_binary`: the public function of an elementwise op, with a fast eager
  path (no tape, no graph: kernel call and wrap) and the general path through `execute`.
- shape rules: `same_rule`, `broadcast_rule`, `reduction_rule`.
- argument parsers of the array ops: `int_tensor`, `shape_arg`, `axis_arg`, `axes_arg`,
  `as_int`; `dims_rule`, the static shape that a shape tensor describes.
- `unbroadcast`: sums a gradient back to an input's shape (the one place broadcasting is
  undone in gradients).
"""

from __future__ import annotations

import operator

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensorError, dispatch
from rill._core.convert import convert_to_tensor, scalar_like
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import OpDef, OpRecord, defop, emit, execute
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill._core.variable import Variable

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_new = object.__new__
_Eager = EagerTensor
_Var = Variable
_NO_ATTRS: dict = {}
_ndarray = np.ndarray
# on two NumPy float scalars these give the ufunc's result some 15x faster (scalar math)
_SCALAR_MATH = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul}
_PY_SCALARS = (int, float, bool, complex)
_FLOAT_SCALARS = frozenset((np.float16, np.float32, np.float64))
_I32 = np.dtype(np.int32)
_INT_TYPES = (int, np.integer)
# Python numbers as eager constants of a float dtype (`dt.type(2)` alone costs ~0.2 us; a
# lookup is ~7x cheaper, and a tape records the shared tensor): per dtype, bounded, and never
# for 0 (-0.0 == 0.0) or NaN (NaN != NaN)
_NUMBERS: dict = {}


def _as_constant(dt: np.dtype, number) -> EagerTensor:
    """An eager tensor of `dt.type(number)`, shared for the constants user code repeats
    (`2 * x`, `x ** 2`)."""
    cache = _NUMBERS.get(dt)
    if cache is None:
        cache = _NUMBERS[dt] = {}
    t = cache.get(number)
    if t is None:
        t = _new(_Eager)
        t._value = dt.type(number)
        if number == number and number != 0:
            if len(cache) >= 256:
                cache.clear()
            cache[number] = t
    return t


# -- input conversion ---------------------------------------------------------------------
def to_tensor(x, name: str = "x", dtype=None):
    """Converts one op argument (tensor, variable, NumPy or Python value) to a tensor."""
    if type(x) is _Eager and dtype is None:
        return x
    return convert_to_tensor(x, dtype=dtype)


def binary_inputs(x, y, opdef: OpDef, names=("x", "y")):
    """Converts two arguments of a binary op; dtypes must agree (TensorFlow does not promote).

    A non-tensor argument takes the other argument's dtype (`t + 10`, `t * np.ones(3)`).
    """
    x_is = isinstance(x, Tensor) or hasattr(x, "_is_variable")
    y_is = isinstance(y, Tensor) or hasattr(y, "_is_variable")
    if x_is:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y) if y_is else _like(y, x, opdef, names[1])
    elif y_is:
        y = convert_to_tensor(y)
        x = _like(x, y, opdef, names[0])
    else:
        x = convert_to_tensor(x)
        y = _like(y, x, opdef, names[1])
    if x.dtype is not y.dtype:
        raise dtype_mismatch(opdef, x, y, names)
    return x, y


def _like(value, other, opdef: OpDef, name: str):
    """Converts a non-tensor value to the dtype of the tensor `other`."""
    if isinstance(value, _PY_SCALARS):
        if isinstance(other, _Eager) and other._value.dtype.kind != "O":
            return _wrap(scalar_like(value, other._value, opdef.public_name, name))
        if other.dtype is _dtypes.string:
            raise _string_with_number(value, other, opdef, name)
    dtype = other.dtype
    try:
        return convert_to_tensor(value, dtype=dtype)
    except CompositeTensorError:  # composite (issue 11)
        raise
    except (TypeError, ValueError) as exc:
        if isinstance(value, _PY_SCALARS) and isinstance(exc, TypeError):
            # a Python number TensorFlow's op builder refuses: TypeError, as there
            kind = type(value).__name__
            raise TypeError(
                f"Expected {dtype.name} passed to parameter '{name}' of op '{opdef.name}', got "
                f"{value!r} of type '{kind}' instead.\n{opdef.public_name}: a Python {kind} "
                f"is not converted to {dtype.name} implicitly.\nhint: cast the tensor first, "
                f"e.g. tf.cast(x, tf.float32), or pass a value of dtype {dtype.name}."
            ) from None
        raise InvalidArgumentError(
            None, opdef.name,
            f"{opdef.public_name}: argument {name}={value!r} cannot be converted to "
            f"{dtype.name} like the other argument: {exc}\n"
            f"hint: pass a value of dtype {dtype.name}, or tf.cast the other argument."
        ) from None


def _string_with_number(value, other, opdef: OpDef, name: str) -> Exception:
    """A Python number with a string tensor: TensorFlow's error (the number is not
    converted to text)."""
    kind = "bool" if isinstance(value, bool) else "int32" if isinstance(value, int) else \
        "float32" if isinstance(value, float) else "complex128"
    index = 1 if name == "y" else 0
    why = (f"\n{opdef.public_name}: the Python {type(value).__name__} {value!r} is not "
           f"converted to a string.\nhint: pass a string (str({value!r})) to join text.")
    if type(other) is _Eager:
        return InvalidArgumentError(
            None, opdef.name, f"cannot compute {opdef.name} as input #{index}(zero-based) was "
            f"expected to be a string tensor but is a {kind} tensor [Op:{opdef.name}]{why}")
    return TypeError(f"Input '{name}' of '{opdef.name}' Op has type {kind} that does not "
                     f"match type string of argument '{'x' if name == 'y' else 'y'}'.{why}")


def dtype_mismatch(opdef: OpDef, x, y, names=("x", "y")) -> InvalidArgumentError:
    xd, yd = x.dtype, y.dtype
    return InvalidArgumentError(
        None, opdef.name,
        f"cannot compute {opdef.name} as input #1(zero-based) was expected to be a "
        f"{_dtypes.c_name(xd)} tensor but is a {_dtypes.c_name(yd)} tensor [Op:{opdef.name}]\n"
        f"{opdef.public_name}: argument {names[1]} has dtype {yd.name} but argument "
        f"{names[0]} has dtype {xd.name}; TensorFlow never converts dtypes implicitly.\n"
        f"hint: cast one side, e.g. {opdef.public_name}({names[0]}, "
        f"tf.cast({names[1]}, tf.{xd.name}))")


def op_error(op: str, fn: str, message: str, hint: str) -> InvalidArgumentError:
    """An InvalidArgumentError naming the public function and the op, with a hint line."""
    return InvalidArgumentError(None, op, f"{fn}: {message} [Op:{op}]\nhint: {hint}")


# -- array arguments: axes, integer and shape tensors -------------------------------------
def is_tensor_like(x) -> bool:
    """Whether `x` is a tensor, a variable or another object that converts to a tensor."""
    return isinstance(x, Tensor) or hasattr(x, "_is_variable") or hasattr(x, "_as_tensor")


def as_int(value, fn: str, arg: str) -> int:
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
    first = f"Cannot convert {value!r} to EagerTensor of dtype int32\n" \
        if isinstance(value, (float, np.floating)) else ""
    raise TypeError(f"{first}{fn}: argument {arg} must be a Python integer known while "
                    f"tracing, got {value!r}.\nhint: pass a Python int such as {arg}=0.")


def axis_arg(axis, rank, fn: str, op: str, extra: int = 0, arg: str = "axis") -> int:
    """One axis in [-(rank+extra), rank+extra), made non-negative when the rank is known."""
    a = as_int(axis, fn, arg)
    if rank is None:
        return a
    n = rank + extra
    if not -n <= a < n:
        raise op_error(op, fn, f"{arg}={a} is out of range for a tensor of rank {rank} "
                     f"(expected {arg} in [{-n}, {n})).",
                     f"use an {arg} between {-n} and {n - 1}; negative values count from the "
                     f"end.")
    return a % n if n else 0


def axes_arg(axis, rank, fn: str, op: str) -> tuple:
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
        a = axis_arg(a, rank, fn, op)
        if a in out:
            raise op_error(op, fn, f"axis {a} specified more than once.",
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


def int_tensor(value, fn: str, arg: str):
    """An int32/int64 tensor argument (Python lists become int32, or int64 when they must)."""
    arr = _py_ints(value)
    if arr is not None:
        return _wrap(arr)
    if is_tensor_like(value):
        t = to_tensor(value)
    else:
        try:
            t = convert_to_tensor(value, dtype_hint=_dtypes.int32)
        except CompositeTensorError:  # composite (issue 11)
            raise
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{fn}: argument {arg}={value!r} must be a list of integers or "
                            f"an integer tensor: {exc}") from None
    if not t.dtype.is_integer:
        raise InvalidArgumentError(
            None, fn, f"{fn}: argument {arg} must have an integer dtype (int32 or int64), got "
            f"{t.dtype.name}\nhint: pass integers, or tf.cast({arg}, tf.int32).")
    return t


def shape_arg(shape, fn: str):
    """A shape argument (list with ints or scalar tensors, TensorShape, 1-D tensor) as a
    1-D integer tensor."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"{fn}: the shape {shape} has unknown dimensions.\nhint: pass a "
                             f"fully defined shape, or tf.shape(x) for a dynamic one.")
        return _wrap(np.array(shape.as_list(), dtype=_I32))
    if isinstance(shape, (list, tuple)):
        if any(is_tensor_like(d) for d in shape):
            # the ops modules import this one, so their functions are imported when needed
            from rill.ops.array_ops import reshape
            from rill.ops.manip_ops import stack
            from rill.ops.math_ops import cast
            parts = [to_tensor(d) if is_tensor_like(d) else to_tensor(d, dtype=_dtypes.int32)
                     for d in shape]
            parts = [cast(p, _dtypes.int32) if p.dtype is not _dtypes.int32 else p
                     for p in parts]
            return stack([reshape(p, []) if p.shape.rank else p for p in parts])
        if any(d is None for d in shape):
            raise ValueError(f"{fn}: the shape {list(shape)} has unknown (None) dimensions."
                             f"\nhint: pass integers, or tf.shape(x) for a dynamic shape.")
    if isinstance(shape, _INT_TYPES) and not isinstance(shape, bool):
        shape = [shape]
    t = int_tensor(shape, fn, "shape")
    if t.shape.rank == 0:
        from rill.ops.array_ops import reshape
        t = reshape(t, [1])
    elif t.shape.rank not in (1, None):
        raise ValueError(f"{fn}: the shape must be a 1-D list of dimensions, got a tensor "
                         f"of shape {t.shape}.")
    return t


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
        if src is not None and len(key) == 1 and type(key[0]) is slice:
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


def dims_rule(shape) -> TensorShape:
    """The static shape described by a 1-D shape tensor (known values, else unknown dims)."""
    dims = _partial_dims(shape)
    return TensorShape(dims)


# -- shape/dtype rules --------------------------------------------------------------------
def broadcast_shapes(a: TensorShape, b: TensorShape, op_name: str = "") -> TensorShape:
    """Static broadcast of two shapes; unknown dimensions stay unknown where they matter."""
    if a.rank is None or b.rank is None:
        return TensorShape(None)
    da0, db0 = a.as_list(), b.as_list()
    n = max(len(da0), len(db0))
    da = [1] * (n - len(da0)) + da0
    db = [1] * (n - len(db0)) + db0
    out = []
    for p, q in zip(da, db):
        if p == 1:
            out.append(q)
        elif q == 1:
            out.append(p)
        elif p is None:
            out.append(q)
        elif q is None or p == q:
            out.append(p)
        else:
            where = f" for {op_name}" if op_name else ""
            raise ValueError(f"Dimensions must be equal, but are {p} and {q}{where} with input "
                             f"shapes: {_dims_text(da0)}, {_dims_text(db0)}.\nshapes {a} and {b} "
                             f"cannot be broadcast together.\nhint: {BROADCAST_HINT}")
    return TensorShape(out)


BROADCAST_HINT = ("broadcasting matches dimensions from the last one, and each pair must be "
                  "equal or 1: reshape one side or add an axis (tf.expand_dims, x[:, None]).")


def _dims_text(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def same_rule(x, **attrs):
    return x.shape, x.dtype


def broadcast_rule(x, y, **attrs):
    return broadcast_shapes(x.shape, y.shape), x.dtype


def bool_broadcast_rule(x, y, **attrs):
    return broadcast_shapes(x.shape, y.shape), _dtypes.bool


def bool_same_rule(x, **attrs):
    return x.shape, _dtypes.bool


def reduction_rule(x, *, axis, keepdims, **attrs):
    shape = x.shape
    if shape.rank is None:
        return TensorShape(None), x.dtype
    dims = shape.as_list()
    axes = range(len(dims)) if axis is None else axis
    if keepdims:
        out = [1 if i in axes else d for i, d in enumerate(dims)]
    else:
        out = [d for i, d in enumerate(dims) if i not in axes]
    return TensorShape(out), x.dtype


# -- public function factories ------------------------------------------------------------
# NumPy kinds an op accepts (`kinds=`): f float16/32/64, V bfloat16, i/u signed/unsigned ints,
# c complex, b bool, O string. None accepts every dtype.
_ALL_KINDS = "biufcOV"


def check_kinds(opdef: OpDef, kinds: str | None, x, arg: str = "x") -> None:
    """Raises TensorFlow's InvalidArgumentError when `x`'s dtype is not one `opdef` takes."""
    if kinds is None or x.dtype._np.kind in kinds:
        return
    allowed = ", ".join(d.name for d in _dtypes.ALL_DTYPES if d._np.kind in kinds)
    good = next((d for d in (_dtypes.float32, _dtypes.int32, _dtypes.bool)
                 if d._np.kind in kinds), None)
    fix = f"tf.cast({arg}, tf.{good.name})" if good is not None else f"tf.cast({arg}, ...)"
    if x.dtype is _dtypes.string:  # math on text (issue 11): TensorFlow's first line
        raise InvalidArgumentError(
            None, opdef.name,
            f"Value for attr 'T' of string is not in the list of allowed values: {allowed} "
            f"[Op:{opdef.name}]\n{opdef.public_name}: argument {arg} is a string tensor; "
            f"string tensors hold bytes, not numbers.\nhint: parse numbers with "
            f"tf.strings.to_number({arg}), or use the tf.strings ops (length, join, ...).")
    raise InvalidArgumentError(
        None, opdef.name,
        f"{opdef.public_name}: argument {arg} has dtype {x.dtype.name}, which {opdef.name} "
        f"does not support (expected one of: {allowed}) [Op:{opdef.name}]\n"
        f"hint: cast it to a supported dtype first, e.g. {fix}.")


def eager_unary(opdef: OpDef, x, kinds: str):
    """The eager fast path of a unary op for what the inline one leaves (a tape or a hook
    active, a variable operand): the kernel, then `emit` (tapes and hooks). None when the op
    must take the general path (a graph is being traced, another input or dtype)."""
    if _active:
        graphs, tapes, hooks = _state.lists
        if graphs:
            return None
    else:
        tapes = hooks = None
    if type(x) is not _Eager:
        if type(x) is not _Var:
            return None
        if tapes or hooks:
            x = x._eager_read(tapes)  # recorded on the tapes (else its array serves)
    v = x._value
    if v.dtype.kind not in kinds:
        return None
    try:
        out = opdef.kernel(v)
    except Exception:  # noqa: BLE001 - the general path raises TensorFlow's error
        return None
    t = _new(_Eager)
    t._value = out
    if tapes or hooks:
        emit(opdef, (x,), _NO_ATTRS, (t,), tapes, hooks)
    return t


def eager_binary(opdef: OpDef, x, y, kinds: str, attrs: dict = _NO_ATTRS):
    """`eager_unary` for a binary op: both operands eager (tensors or variables) of one
    dtype, or one a Python number that takes the other's float dtype (`0.5 * t`, `v + 1.0`).
    """
    if _active:
        graphs, tapes, hooks = _state.lists
        if graphs:
            return None
    else:
        tapes = hooks = None
    tx, ty = type(x), type(y)
    if tapes or hooks:  # variables read as tensors (recorded): a rank-0 read is a scalar
        if tx is _Var:
            x = x._eager_read(tapes)
            tx = _Eager
        if ty is _Var:
            y = y._eager_read(tapes)
            ty = _Eager
    kernel = opdef.kernel
    if tx is _Eager or tx is _Var:  # (nothing sees a variable's read: its array serves)
        xv = x._value
        if ty is _Eager or ty is _Var:
            yv = y._value
            t = type(xv)
            if t is type(yv) and t in _FLOAT_SCALARS:  # without asking NumPy for dtypes
                if "f" not in kinds:
                    return None
                kernel = _SCALAR_MATH.get(kernel, kernel)
            else:
                dt = xv.dtype
                if yv.dtype is not dt or dt.kind not in kinds:
                    return None
                if dt.kind in "fc" and t is not _ndarray and type(yv) is not _ndarray:
                    kernel = _SCALAR_MATH.get(kernel, kernel)
        elif ty is float or ty is int:
            dt = xv.dtype
            if dt.kind != "f" or "f" not in kinds:
                return None
            y = _as_constant(dt, y)
            yv = y._value
            if type(xv) is not _ndarray:
                kernel = _SCALAR_MATH.get(kernel, kernel)
        else:
            return None
    elif (ty is _Eager or ty is _Var) and (tx is float or tx is int):
        yv = y._value
        dt = yv.dtype
        if dt.kind != "f" or "f" not in kinds:
            return None
        x = _as_constant(dt, x)
        xv = x._value
        if type(yv) is not _ndarray:
            kernel = _SCALAR_MATH.get(kernel, kernel)
    else:
        return None
    try:
        out = kernel(xv, yv, **attrs) if attrs else kernel(xv, yv)
    except Exception:  # noqa: BLE001 - the general path raises TensorFlow's error
        return None
    t = _new(_Eager)
    t._value = out
    if tapes or hooks:
        if hooks or len(tapes) != 1:
            emit(opdef, (x, y), attrs, (t,), tapes, hooks)
        else:  # one tape and no hook: `record` inlined
            tape = tapes[0]
            ids = tape._ids
            if id(x) in ids or id(y) in ids:  # (a number's constant is never watched)
                if tape._reads is not None:  # a GradientTape: a flat record (`tape.FLAT`)
                    tape._records.append((opdef, x, y, t, attrs))
                else:
                    tape._records.append(OpRecord(opdef, (x, y), attrs, (t,)))
                ids.add(id(t))
    return t


def eager_op(opdef: OpDef, inputs: tuple, attrs: dict = _NO_ATTRS):
    """The eager fast path of an op on eager tensors already checked by the caller: the
    kernel, then `emit` (tapes and hooks). None when a graph is traced, or when the kernel
    fails (the general path then raises TensorFlow's error)."""
    if _active:
        graphs, tapes, hooks = _state.lists
        if graphs:
            return None
    else:
        tapes = hooks = None
    try:
        out = opdef.kernel(*[x._value for x in inputs], **attrs)
    except Exception:  # noqa: BLE001
        return None
    t = _new(_Eager)
    t._value = out
    if tapes or hooks:
        emit(opdef, inputs, attrs, (t,), tapes, hooks)
    return t


def make_unary(opdef: OpDef, doc: str | None = None, kinds: str | None = None):
    """The public function of an elementwise unary op, with the fast eager path.

    `kinds`: the NumPy dtype kinds the op accepts (see `_ALL_KINDS`); None: any.
    """
    kernel = opdef.kernel
    ok = kinds or _ALL_KINDS

    def fn(x, name=None):
        if type(x) is _Eager and not _active:
            v = x._value
            if v.dtype.kind in ok:
                try:
                    out = kernel(v)
                except Exception:  # the general path below raises TensorFlow's error type
                    pass
                else:
                    t = _new(_Eager)
                    t._value = out
                    return t
        t = eager_unary(opdef, x, ok)  # a tape, a variable
        if t is not None:
            return t
        try:
            x = to_tensor(x)
        except CompositeTensorError:  # composite (issue 11)
            return dispatch(opdef.public_name, (x,), {}, fn)
        if kinds is not None:
            check_kinds(opdef, kinds, x)
        return execute(opdef, (x,))

    fn.__name__ = opdef.public_name.rsplit(".", 1)[-1]
    fn.__qualname__ = fn.__name__
    fn.__doc__ = doc or f"Elementwise `{opdef.name}` (`{opdef.public_name}`)."
    fn.opdef = opdef
    return fn


def make_binary(opdef: OpDef, doc: str | None = None, kinds: str | None = None,
                string_op: OpDef | None = None):
    """The public function of an elementwise binary op, with the fast eager path.

    `kinds`: the NumPy dtype kinds the op accepts (see `_ALL_KINDS`); None: any.
    `string_op`: the op that string tensors run instead (TensorFlow's `Add` for `+`).
    """
    kernel = opdef.kernel
    scalar = _SCALAR_MATH.get(kernel)  # for two float scalars (NumPy scalar math)
    ok = kinds or _ALL_KINDS
    if string_op is not None:
        ok = ok.replace("O", "")

    def fn(x, y, name=None):
        tx = type(x)
        if (tx is _Eager or tx is _Var) and not _active:  # (a variable's array serves:
            xv = x._value  # nothing sees a read in plain eager mode)
            ty = type(y)
            if ty is _Eager or ty is _Var:
                yv = y._value
                xd = xv.dtype
                if xd is yv.dtype and xd.kind in ok:
                    try:
                        out = kernel(xv, yv) if scalar is None or type(xv) is _ndarray or \
                            xd.kind not in "fc" else scalar(xv, yv)
                    except Exception:  # the general path below raises TensorFlow's error type
                        pass
                    else:
                        t = _new(_Eager)
                        t._value = out
                        return t
            elif (ty is float or ty is int) and xv.dtype.kind == "f" and "f" in ok:
                try:
                    yv = _as_constant(xv.dtype, y)._value
                    out = kernel(xv, yv) if scalar is None or type(xv) is _ndarray else \
                        scalar(xv, yv)
                except Exception:
                    pass
                else:
                    t = _new(_Eager)
                    t._value = out
                    return t
        t = eager_binary(opdef, x, y, ok)  # a tape, a variable, a number on the left
        if t is not None:
            return t
        try:
            x, y = binary_inputs(x, y, opdef)
        except CompositeTensorError:  # composite (issue 11)
            return dispatch(opdef.public_name, (x, y), {}, fn)
        if kinds is not None:
            check_kinds(opdef, kinds, x)
        if string_op is not None and x.dtype is _dtypes.string:
            return execute(string_op, (x, y))
        return execute(opdef, (x, y))

    fn.__name__ = opdef.public_name.rsplit(".", 1)[-1]
    fn.__qualname__ = fn.__name__
    fn.__doc__ = doc or f"Elementwise `{opdef.name}` with broadcasting (`{opdef.public_name}`)."
    fn.opdef = opdef
    return fn


def unary_op(name: str, kernel, grad, public_name: str, rule=same_rule, doc: str | None = None,
             kinds: str | None = None):
    """Declares an elementwise unary op and returns its public function."""
    return make_unary(defop(name, kernel, rule, grad, public_name=public_name), doc, kinds)


def binary_op(name: str, kernel, grad, public_name: str, rule=broadcast_rule,
              doc: str | None = None, kinds: str | None = None, string_op=None,
              numpy_grad=None):
    """Declares an elementwise binary op and returns its public function."""
    opdef = defop(name, kernel, rule, grad, public_name=public_name, numpy_grad=numpy_grad)
    return make_binary(opdef, doc, kinds, string_op)


# -- gradients ----------------------------------------------------------------------------
def unbroadcast(dy, x):
    """Sums `dy` over the axes along which `x` was broadcast, giving `x`'s shape."""
    if type(dy) is _Eager and type(x) is _Eager:  # without building TensorShapes
        shape = x._value.shape
        if dy._value.shape == shape:
            return dy
        if not _active:
            return _wrap(sum_to(dy._value, shape))
    xs, ds = x.shape, dy.shape
    if xs == ds and xs.is_fully_defined():
        return dy
    if hasattr(dy, "_to_dense"):  # a tf.IndexedSlices gradient
        dy = dy._to_dense()
    return execute(SUM_TO_SHAPE, (dy, shape_tensor(x)))


def shape_tensor(x):
    """`tf.shape(x)` as an int32 tensor (a constant when the shape is static)."""
    s = x.shape
    if s.is_fully_defined():
        return _wrap(np.array(s.as_list(), dtype=np.int32))
    return execute(SHAPE, (x,), {"out_type": _dtypes.int32})


def _sum_to_shape(dy, shape):
    return sum_to(dy, tuple(np.asarray(shape).tolist()))


def sum_to(dy, shape: tuple):
    """`unbroadcast` on NumPy values: `dy` summed to `shape`."""
    if dy.shape == shape:
        return dy
    lead = dy.ndim - len(shape)
    if lead > 0 and dy.shape[lead:] == shape:  # a bias: only leading axes to sum
        return np.add.reduce(dy, axis=tuple(range(lead)), dtype=dy.dtype)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape)
                                      if d == 1 and dy.shape[i + lead] != 1)
    out = np.sum(dy, axis=axes, keepdims=True, dtype=dy.dtype) if axes else dy
    return out.reshape(shape)


def _sum_to_shape_rule(dy, shape):
    v = constant_value(shape)
    if v is not None:
        return TensorShape([int(d) for d in v]), dy.dtype
    n = shape.shape[0] if shape.shape.rank else None
    return TensorShape(None if n is None else [None] * n), dy.dtype


def _sum_to_shape_grad(op, g):
    return execute(BROADCAST_TO, (g, shape_tensor(op.inputs[0]))), None


def _broadcast_to_kernel(x, shape):
    return np.broadcast_to(x, tuple(int(d) for d in shape)).copy()


def _broadcast_to_rule(x, shape):
    v = constant_value(shape)
    if v is not None:
        return broadcast_shapes(x.shape, TensorShape([int(d) for d in v]), "BroadcastTo"), \
            x.dtype
    n = shape.shape[0] if shape.shape.rank else None
    return TensorShape(None if n is None else [None] * n), x.dtype


def _broadcast_to_grad(op, g):
    return execute(SUM_TO_SHAPE, (g, shape_tensor(op.inputs[0]))), None


def _shape_kernel(x, *, out_type):
    return np.array(np.shape(x), dtype=out_type._np)


def _shape_rule(x, *, out_type):
    return TensorShape([x.shape.rank]), out_type


SUM_TO_SHAPE = defop("SumToShape", _sum_to_shape, _sum_to_shape_rule, _sum_to_shape_grad,
                     public_name="rill.ops.unbroadcast")
BROADCAST_TO = defop("BroadcastTo", _broadcast_to_kernel, _broadcast_to_rule,
                     _broadcast_to_grad, public_name="tf.broadcast_to")
SHAPE = defop("Shape", _shape_kernel, _shape_rule, grad=None, public_name="tf.shape")
