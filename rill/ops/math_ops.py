"""`tf.math`: elementwise arithmetic, comparisons, logic and matrix products.

Each op is one short block: kernel, rule and gradient side by side. Gradients use the public
functions of this module, so they are themselves differentiable. Reductions, scans and
segment ops live in `reduction_ops`, sorting and counting in `sort_ops`; `rill.math`
re-exports all of them.

`kinds` strings name the NumPy dtype kinds an op accepts: f float16/32/64, V bfloat16,
i signed and u unsigned integers, c complex, b bool, O string.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

from rill._core import blas as _blas
from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensorError, dispatch
from rill._core.errors import InvalidArgumentError, UnimplementedError
from rill._core.op import OpDef, defop, execute, quiet
from rill._core.tensor import EagerTensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill.ops._util import (
    binary_inputs,
    bool_broadcast_rule,
    bool_same_rule,
    broadcast_rule,
    broadcast_shapes,
    check_kinds,
    eager_binary,
    eager_op,
    same_rule,
    sum_to,
    to_tensor,
    unary_op,
    unbroadcast,
)
from rill.ops._util import binary_op as _binary_op

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor

F = "fV"  # floating point
FC = "fVc"  # floating point and complex
R = "fViu"  # real numbers
SN = "fVic"  # signed numbers
N = "fViuc"  # all numbers
INTS = "iu"
BOOL = "b"


def _cj(t):
    """conj(t) for complex tensors (TensorFlow's convention for complex gradients)."""
    if type(t) is _Eager and t._value.dtype.kind != "c":
        return t
    return conj(t) if t.dtype.is_complex else t


def binary_op(name, kernel, grad, public_name, rule=broadcast_rule, doc=None, kinds=N,
              string_op=None, numpy_grad=None):
    """`_util.binary_op` with this module's default dtype kinds (all numbers)."""
    return _binary_op(name, kernel, grad, public_name, rule, doc, kinds, string_op,
                      numpy_grad)


# -- private helpers used by gradients ----------------------------------------------------
def _select_rule(c, a, b):
    shape = broadcast_shapes(broadcast_shapes(c.shape, a.shape, "Select"), b.shape, "Select")
    return shape, a.dtype


def _select_grad(op, dy):
    c, a, b = op.inputs
    zeros = zeros_like(dy)
    ga = unbroadcast(select(c, dy, zeros), a) if op.needs_grad(1) else None
    gb = unbroadcast(select(c, zeros, dy), b) if op.needs_grad(2) else None
    return None, ga, gb


SELECT = defop("_MathSelect", np.where, _select_rule, _select_grad,
               public_name="rill.math.select")


def select(condition, x, y):
    """`x` where `condition` else `y`, with broadcasting (what gradients here use for
    `tf.where`; x and y must have one dtype)."""
    x, y = binary_inputs(x, y, SELECT)
    return execute(SELECT, (to_tensor(condition), x, y))


ONES_LIKE = defop("OnesLike", np.ones_like, same_rule, None, public_name="tf.ones_like")
ZEROS_LIKE = defop("ZerosLike", np.zeros_like, same_rule, None, public_name="tf.zeros_like")


def zeros_like(x):
    return execute(ZEROS_LIKE, (to_tensor(x),))


def ones_like(x):
    return execute(ONES_LIKE, (to_tensor(x),))


# -- arithmetic ---------------------------------------------------------------------------
def _string_add_kernel(x, y):
    return np.asarray(np.add(x, y), dtype=object)  # 0-d object arrays add to a bare bytes


STRING_ADD = defop("Add", _string_add_kernel, broadcast_rule, None, public_name="tf.math.add")

# `numpy_grad`s: the same gradients on NumPy values, for plain eager backward passes
# (`OpDef`); `reach` holds the ids of the inputs that need one. Real floats only (others
# return None: the rule runs); two NumPy scalars need no unbroadcast.
_FLOAT_SCALARS = frozenset((np.float16, np.float32, np.float64))
_ndarray = np.ndarray


def _real(xv, yv) -> bool:
    return xv.dtype.kind == "f" and yv.dtype.kind == "f"


def _add_np_grad(x, y, dy, reach):
    xv, yv = x._value, y._value
    if type(xv) in _FLOAT_SCALARS and type(yv) in _FLOAT_SCALARS and type(dy) is not _ndarray:
        return dy, dy
    if not _real(xv, yv):
        return None
    return (sum_to(dy, xv.shape) if id(x) in reach else None,
            sum_to(dy, yv.shape) if id(y) in reach else None)


def _sub_np_grad(x, y, dy, reach):
    xv, yv = x._value, y._value
    if type(xv) in _FLOAT_SCALARS and type(yv) in _FLOAT_SCALARS and type(dy) is not _ndarray:
        return dy, -dy
    if not _real(xv, yv):
        return None
    return (sum_to(dy, xv.shape) if id(x) in reach else None,
            sum_to(-dy, yv.shape) if id(y) in reach else None)


def _mul_np_grad(x, y, dy, reach):
    xv, yv = x._value, y._value
    if type(xv) in _FLOAT_SCALARS and type(yv) in _FLOAT_SCALARS and type(dy) is not _ndarray:
        return (dy * yv if id(x) in reach else None, dy * xv if id(y) in reach else None)
    if not _real(xv, yv):  # complex gradients use conjugates: the rule with ops
        return None
    return (sum_to(dy * yv, xv.shape) if id(x) in reach else None,
            sum_to(dy * xv, yv.shape) if id(y) in reach else None)


add = binary_op(
    "AddV2", np.add,
    lambda op, dy: (unbroadcast(dy, op.inputs[0]) if op.needs_grad(0) else None,
                    unbroadcast(dy, op.inputs[1]) if op.needs_grad(1) else None),
    "tf.math.add", doc="x + y elementwise, with broadcasting (`tf.add`; strings concatenate).",
    kinds=N + "O", string_op=STRING_ADD, numpy_grad=_add_np_grad)

subtract = binary_op(
    "Sub", np.subtract,
    lambda op, dy: (unbroadcast(dy, op.inputs[0]) if op.needs_grad(0) else None,
                    unbroadcast(negative(dy), op.inputs[1]) if op.needs_grad(1) else None),
    "tf.math.subtract", doc="x - y elementwise, with broadcasting (`tf.subtract`).",
    numpy_grad=_sub_np_grad)

multiply = binary_op(
    "Mul", np.multiply,
    lambda op, dy: (unbroadcast(multiply(dy, _cj(op.inputs[1])), op.inputs[0])
                    if op.needs_grad(0) else None,
                    unbroadcast(multiply(dy, _cj(op.inputs[0])), op.inputs[1])
                    if op.needs_grad(1) else None),
    "tf.math.multiply", doc="x * y elementwise, with broadcasting (`tf.multiply`).",
    numpy_grad=_mul_np_grad)


def _real_div_grad(op, dy):
    x, y = op.inputs
    gx = unbroadcast(realdiv(dy, _cj(y)), x) if op.needs_grad(0) else None
    gy = unbroadcast(negative(multiply(dy, _cj(realdiv(op.outputs[0], y)))), y) \
        if op.needs_grad(1) else None
    return gx, gy


realdiv = binary_op("RealDiv", quiet(np.true_divide), _real_div_grad, "tf.realdiv", kinds=FC,
                    doc="x / y for floating point and complex tensors (`tf.realdiv`).")
divide_no_check = realdiv
REALDIV = realdiv.opdef

# integer tensors are divided as floats: 8- and 16-bit ints as float32, wider as float64
_INT_DIV_DTYPE = {np.dtype(t): (_dtypes.float32 if np.dtype(t).itemsize <= 2 else
                                _dtypes.float64)
                  for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                            np.uint32, np.uint64)}


def _named(opdef: OpDef, public_name: str) -> OpDef:
    """An unregistered twin of `opdef` that names `public_name` in error messages."""
    return OpDef(opdef.name, opdef.kernel, opdef.rule, opdef.grad, public_name=public_name)


_TRUEDIV = _named(REALDIV, "tf.math.truediv")
_DIVIDE = _named(REALDIV, "tf.math.divide")


def _true_divide(x, y, named: OpDef):
    if type(x) is _Eager and type(y) is _Eager and not _active:
        xv, yv = x._value, y._value
        if xv.dtype is yv.dtype and xv.dtype.kind in "fc":
            try:
                return _wrap(np.true_divide(xv, yv))
            except Exception:  # noqa: BLE001 - the general path raises TensorFlow's error
                pass
    t = eager_binary(REALDIV, x, y, "fc")  # floats: a tape, a variable, a number
    if t is not None:
        return t
    try:
        inputs = _float_division_inputs(x, y, named)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.math.truediv", (x, y))
    return execute(REALDIV, inputs)


def _float_division_inputs(x, y, named: OpDef) -> tuple:
    """Both operands of a true division: integers are cast to floats (int32 -> float64)."""
    x, y = binary_inputs(x, y, named)
    target = _INT_DIV_DTYPE.get(x.dtype._np)
    if target is not None:
        return cast(x, target), cast(y, target)
    check_kinds(named, FC, x)
    return x, y


def truediv(x, y, name=None):
    """x / y with Python 3 division: integer tensors are converted to floats first
    (int8/int16 to float32, int32/int64 to float64), as `tf.math.truediv` does.

    >>> tf.math.truediv(tf.constant([7, -7]), tf.constant([2, 2])).numpy()
    array([ 3.5, -3.5])
    """
    return _true_divide(x, y, _TRUEDIV)


def divide(x, y, name=None):
    """x / y elementwise (`tf.divide`): integers are divided as floats, like `truediv`."""
    return _true_divide(x, y, _DIVIDE)


def _no_int_zero(y, op_name: str):
    if y.dtype.kind in "iu" and not np.all(y):
        raise InvalidArgumentError(None, op_name, f"Integer division by zero [Op:{op_name}]\n"
                                   f"hint: mask the zeros first, e.g. with tf.where(y == 0, "
                                   f"1, y), or divide floats.")


def _floordiv_kernel(x, y):
    if x.dtype.kind in "iu":
        _no_int_zero(y, "FloorDiv")
        return np.floor_divide(x, y)
    return np.floor(np.true_divide(x, y))  # TensorFlow floors the rounded quotient


def _floormod_kernel(x, y):
    if x.dtype.kind in "iu":
        _no_int_zero(y, "FloorMod")
    return np.remainder(x, y)


floordiv = binary_op("FloorDiv", _floordiv_kernel, None, "tf.math.floordiv", kinds=R,
                     doc="floor(x / y) elementwise (`x // y`); integer division by zero "
                         "raises.")


def _floormod_grad(op, dy):
    x, y = op.inputs
    gx = unbroadcast(dy, x) if op.needs_grad(0) else None
    gy = unbroadcast(multiply(dy, negative(floordiv(x, y))), y) if op.needs_grad(1) else None
    return gx, gy


floormod = binary_op("FloorMod", _floormod_kernel, _floormod_grad, "tf.math.floormod", kinds=R,
                     doc="Remainder of floor division (`x % y`): the result has the sign of "
                         "y.")
mod = floormod


def _div_no_nan_kernel(x, y):
    if not np.ndim(y) and y != 0:  # a nonzero scalar divisor (the mean of a loss)
        return np.divide(x, y)
    out = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)), dtype=x.dtype)
    np.divide(x, y, out=out, where=y != 0)
    return out if out.ndim else out[()]


def _div_no_nan_grad(op, dy):
    x, y = op.inputs
    cx, cy = _cj(x), _cj(y)  # complex inputs: the gradient of x / y conjugates both
    gx = unbroadcast(divide_no_nan(dy, cy), x) if op.needs_grad(0) else None
    gy = unbroadcast(multiply(dy, divide_no_nan(divide_no_nan(negative(cx), cy), cy)), y) \
        if op.needs_grad(1) else None
    return gx, gy


DIV_NO_NAN = defop("DivNoNan", _div_no_nan_kernel, broadcast_rule, _div_no_nan_grad,
                   public_name="tf.math.divide_no_nan")


def divide_no_nan(x, y, name=None):
    """x / y, but 0 where y is 0 (`tf.math.divide_no_nan`); integers divide as floats.

    >>> tf.math.divide_no_nan(tf.constant([1., 2.]), tf.constant([0., 4.])).numpy()
    array([0. , 0.5], dtype=float32)
    """
    return execute(DIV_NO_NAN, _float_division_inputs(x, y, DIV_NO_NAN))


def reciprocal_no_nan(x, name=None):
    """1 / x, but 0 where x is 0 (`tf.math.reciprocal_no_nan`)."""
    x = to_tensor(x)
    return divide_no_nan(ones_like(x), x)


def _mul_no_nan_kernel(x, y):
    with np.errstate(invalid="ignore"):  # inf * 0 is masked below
        out = np.multiply(x, y)
    return np.where(y == 0, np.zeros_like(out), out)


MUL_NO_NAN = defop("MulNoNan", _mul_no_nan_kernel, broadcast_rule,
                   lambda op, dy: (unbroadcast(multiply_no_nan(dy, op.inputs[1]), op.inputs[0])
                                   if op.needs_grad(0) else None,
                                   unbroadcast(multiply_no_nan(op.inputs[0], dy), op.inputs[1])
                                   if op.needs_grad(1) else None),
                   public_name="tf.math.multiply_no_nan")


def multiply_no_nan(x, y, name=None):
    """x * y, but 0 where y is 0 even if x is inf or nan (`tf.math.multiply_no_nan`)."""
    x, y = binary_inputs(x, y, MUL_NO_NAN)
    check_kinds(MUL_NO_NAN, FC, x)
    return execute(MUL_NO_NAN, (x, y))


def _pow_kernel(x, y):
    kind = x.dtype.kind
    if kind == "f" and type(y) is not _ndarray and y == 2:  # np.power's exact x * x, faster
        return x * x
    if kind in "iu" and np.any(y < 0):
        raise InvalidArgumentError(None, "Pow", "Integers to negative integer powers are not "
                                   "allowed [Op:Pow]\nhint: cast to a float dtype first, e.g. "
                                   "tf.pow(tf.cast(x, tf.float32), y).")
    return np.power(x, y)


def _pow_grad(op, dy):
    x, y = op.inputs
    gx = gy = None
    if op.needs_grad(0):
        gx = unbroadcast(multiply(dy, multiply(y, pow(x, subtract(y, 1.0)))), x)
    if op.needs_grad(1):
        positive = greater(x, zeros_like(x))
        safe_log = select(positive, log(select(positive, x, ones_like(x))), zeros_like(x))
        gy = unbroadcast(multiply(dy, multiply(op.outputs[0], safe_log)), y)
    return gx, gy


def _pow_np_grad(x, y, dy, reach):
    xv, yv = x._value, y._value
    scalars = type(xv) in _FLOAT_SCALARS and type(yv) in _FLOAT_SCALARS and \
        type(dy) is not _ndarray
    if id(y) in reach or not (scalars or _real(xv, yv)):  # d/dy (log x), complex: the rule
        return None
    # x ** (y - 1) as `pow` computes it (the ufunc; x ** 1 is x)
    g = dy * (yv * (xv if type(yv) is not _ndarray and yv == 2 else np.power(xv, yv - 1)))
    return (g if scalars else sum_to(g, xv.shape)), None


pow = binary_op("Pow", _pow_kernel, _pow_grad, "tf.math.pow",  # noqa: A001 - TF's name
                doc="x ** y elementwise, with broadcasting (`tf.pow`).", kinds=FC + "i",
                numpy_grad=_pow_np_grad)


def _sqdiff_grad(op, dy):
    x, y = op.inputs
    g = multiply(dy, multiply(subtract(x, y), 2.0))
    return (unbroadcast(g, x) if op.needs_grad(0) else None,
            unbroadcast(negative(g), y) if op.needs_grad(1) else None)


squared_difference = binary_op(
    "SquaredDifference", lambda x, y: np.square(np.subtract(x, y)), _sqdiff_grad,
    "tf.math.squared_difference", doc="(x - y) ** 2 elementwise, with broadcasting.", kinds=R)


def _minmax_grad(compare):
    def grad(op, dy):
        x, y = op.inputs
        mask = compare(x, y)  # ties go to x, as in TensorFlow
        zeros = zeros_like(dy)
        gx = unbroadcast(select(mask, dy, zeros), x) if op.needs_grad(0) else None
        gy = unbroadcast(select(mask, zeros, dy), y) if op.needs_grad(1) else None
        return gx, gy
    return grad


maximum = binary_op("Maximum", np.maximum, _minmax_grad(lambda x, y: greater_equal(x, y)),
                    "tf.math.maximum", kinds=R,
                    doc="Elementwise max(x, y) with broadcasting; NaN propagates.")
minimum = binary_op("Minimum", np.minimum, _minmax_grad(lambda x, y: less_equal(x, y)),
                    "tf.math.minimum", kinds=R,
                    doc="Elementwise min(x, y) with broadcasting; NaN propagates.")


def scalar_mul(scalar, x, name=None):
    """`scalar * x` for a 0-D `scalar` (`tf.math.scalar_mul`)."""
    if hasattr(scalar, "shape") and TensorShape(scalar.shape).rank not in (0, None):
        raise ValueError(f"The input scalar must be a 0-D value. Received shape "
                         f"{tuple(scalar.shape)}.\nhint: pass a Python number or a 0-D tensor.")
    return multiply(scalar, x)


# -- unary arithmetic ---------------------------------------------------------------------
negative = unary_op("Neg", np.negative, lambda op, dy: (negative(dy),), "tf.math.negative",
                    doc="-x elementwise (`tf.negative`).", kinds=SN)


def _abs_grad(op, dy):
    return (multiply(dy, sign(op.inputs[0])),)


_abs_real = unary_op("Abs", np.abs, _abs_grad, "tf.math.abs", kinds="fVi")


def _complex_abs_grad(op, dy):
    x = op.inputs[0]
    return (divide_no_nan(multiply(cast(dy, x.dtype), x), cast(op.outputs[0], x.dtype)),)


COMPLEX_ABS = defop("ComplexAbs", np.abs,
                    lambda x: (x.shape, x.dtype.real_dtype), _complex_abs_grad,
                    public_name="tf.math.abs")


def abs(x, name=None):  # noqa: A001 - TF's name
    """|x| elementwise (`tf.abs`); the magnitude (a real tensor) for complex x.

    >>> tf.abs(tf.constant([-1.5, 2.0])).numpy()
    array([1.5, 2. ], dtype=float32)
    """
    if type(x) is not _Eager or x._value.dtype.kind == "c":
        try:
            x = to_tensor(x)
        except CompositeTensorError:  # composite (issue 11)
            return dispatch("tf.math.abs", (x,))
        if x.dtype.is_complex:
            return execute(COMPLEX_ABS, (x,))
    return _abs_real(x)


sign = unary_op("Sign", np.sign, lambda op, dy: (zeros_like(dy),), "tf.math.sign",
                doc="-1, 0 or 1 by the sign of x (x / |x| for complex).", kinds=SN)

square = unary_op("Square", np.square,
                  lambda op, dy: (multiply(dy, multiply(_cj(op.inputs[0]), 2.0)),),
                  "tf.math.square", doc="x * x elementwise (`tf.square`).", kinds=N)

reciprocal = unary_op(
    "Reciprocal", np.reciprocal,
    lambda op, dy: (negative(multiply(dy, _cj(square(op.outputs[0])))),),
    "tf.math.reciprocal", doc="1 / x elementwise (`tf.math.reciprocal`).", kinds=FC)

sqrt = unary_op("Sqrt", quiet(np.sqrt),
                lambda op, dy: (realdiv(dy, multiply(_cj(op.outputs[0]), 2.0)),),
                "tf.math.sqrt", doc="Square root elementwise (`tf.sqrt`).", kinds=FC)


def _rsqrt_grad(op, dy):
    y = op.outputs[0]
    return (multiply(dy, multiply(multiply(y, square(y)), -0.5)),)


rsqrt = unary_op("Rsqrt", quiet(lambda x: np.reciprocal(np.sqrt(x))), _rsqrt_grad, "tf.math.rsqrt",
                 doc="1 / sqrt(x) elementwise (`tf.math.rsqrt`).", kinds=FC)


# -- exponentials, logarithms and activations ---------------------------------------------
exp = unary_op("Exp", quiet(np.exp), lambda op, dy: (multiply(dy, _cj(op.outputs[0])),),
               "tf.math.exp", doc="e ** x elementwise (`tf.exp`).", kinds=FC)

expm1 = unary_op("Expm1", quiet(np.expm1),
                 lambda op, dy: (multiply(dy, exp(op.inputs[0])),),
                 "tf.math.expm1", doc="exp(x) - 1, accurate for small x.", kinds=FC)

log = unary_op("Log", quiet(np.log), lambda op, dy: (realdiv(dy, _cj(op.inputs[0])),),
               "tf.math.log", doc="Natural logarithm elementwise (`tf.math.log`).", kinds=FC)

log1p = unary_op("Log1p", quiet(np.log1p), lambda op, dy: (realdiv(dy, add(op.inputs[0], 1.0)),),
                 "tf.math.log1p", doc="log(1 + x), accurate for small x.", kinds=FC)


def _sigmoid_kernel(x):
    # e = exp(-|x|) never overflows: 1/(1+e) for x >= 0, e/(1+e) below; exact in both tails
    # and about 4x faster than exp(-logaddexp(0, -x))
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


def _sigmoid_grad(op, dy):
    y = op.outputs[0]
    return (multiply(dy, multiply(y, subtract(1.0, y))),)


sigmoid = unary_op("Sigmoid", _sigmoid_kernel, _sigmoid_grad, "tf.math.sigmoid", kinds=F,
                   doc="1 / (1 + exp(-x)), computed without overflow (`tf.sigmoid`).")

tanh = unary_op("Tanh", np.tanh,
                lambda op, dy: (multiply(dy, subtract(1.0, square(op.outputs[0]))),),
                "tf.math.tanh", doc="Hyperbolic tangent elementwise (`tf.tanh`).", kinds=FC)

softplus = unary_op(
    "Softplus", lambda x: np.logaddexp(0, x),
    lambda op, dy: (multiply(dy, sigmoid(op.inputs[0])),),
    "tf.math.softplus", kinds=F,
    doc="log(1 + exp(x)), stable for large |x| (`tf.math.softplus`, `tf.nn.softplus`).")


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x| (`tf.math.log_sigmoid`).

    >>> float(tf.math.log_sigmoid(tf.constant(-1000.)))
    -1000.0
    """
    return negative(softplus(negative(x)))


def softsign(features, name=None):
    """x / (1 + |x|) elementwise (`tf.math.softsign`, `tf.nn.softsign`)."""
    x = to_tensor(features)
    return realdiv(x, add(abs(x), 1.0))


def _erf_table(h: float = 0.125, n_centers: int = 49, degree: int = 13) -> np.ndarray:
    """Taylor coefficients of erf around c = 0, h, 2h, ... (row k: powers of x - k*h).

    erf's derivatives are Hermite polynomials: erf^(n+1)(c) = 2/sqrt(pi) (-1)^n H_n(c)
    exp(-c^2). Within h/2 of a center, degree 13 is exact to double precision.
    """
    table = np.zeros((n_centers, degree + 1))
    for k in range(n_centers):
        c = k * h
        scale = 2.0 / _pymath.sqrt(_pymath.pi) * _pymath.exp(-c * c)
        h_prev, h_cur = 0.0, 1.0  # H_{-1}, H_0
        table[k, 0] = _pymath.erf(c)
        fact = 1.0
        for n in range(degree):  # coefficient of t^(n+1) uses H_n
            fact *= n + 1
            table[k, n + 1] = scale * (-1) ** n * h_cur / fact
            h_prev, h_cur = h_cur, 2 * c * h_cur - 2 * n * h_prev
    return table


_ERF = {}


def _erf_kernel(x):
    table = _ERF.get("t")
    if table is None:
        table = _ERF["t"] = _erf_table()
    a = np.abs(np.asarray(x, dtype=np.float64))
    last = (len(table) - 1) * 0.125
    k = (np.fmin(a, last) * 8.0 + 0.5).astype(np.intp)  # fmin maps NaN to the last row
    t = np.minimum(a, last + 0.0625) - k * 0.125  # beyond 6.06, erf(x) is 1 in float64
    rows = table[k]
    acc = rows[..., -1].copy()
    for j in range(table.shape[1] - 2, -1, -1):
        acc *= t
        acc += rows[..., j]
    out = np.copysign(acc, x).astype(x.dtype, copy=False)
    return out if out.ndim else out[()]


erf = unary_op(
    "Erf", _erf_kernel,
    lambda op, dy: (multiply(dy, multiply(exp(negative(square(op.inputs[0]))),
                                          2.0 / _pymath.sqrt(_pymath.pi))),),
    "tf.math.erf", doc="The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to x.",
    kinds=F)


def _xlogy_kernel(x, y):
    out = np.multiply(x, np.log(np.where(x == 0, np.ones_like(y), y)))
    return np.where(x == 0, np.zeros_like(out), out)


def _xdivy_kernel(x, y):
    out = np.true_divide(x, np.where(x == 0, np.ones_like(y), y))
    return np.where(x == 0, np.zeros_like(out), out)


def _xlogy_grad(op, dy):
    x, y = op.inputs
    nonzero = cast(not_equal(x, zeros_like(x)), x.dtype)
    gx = unbroadcast(multiply(dy, xlogy(nonzero, y)), x) if op.needs_grad(0) else None
    gy = unbroadcast(multiply(dy, xdivy(x, y)), y) if op.needs_grad(1) else None
    return gx, gy


def _xdivy_grad(op, dy):
    x, y = op.inputs
    nonzero = cast(not_equal(x, zeros_like(x)), x.dtype)
    gx = unbroadcast(multiply(dy, xdivy(nonzero, y)), x) if op.needs_grad(0) else None
    gy = unbroadcast(multiply(dy, negative(xdivy(x, square(y)))), y) if op.needs_grad(1) else None
    return gx, gy


xlogy = binary_op("Xlogy", quiet(_xlogy_kernel), _xlogy_grad, "tf.math.xlogy", kinds=FC,
                  doc="x * log(y), and 0 where x is 0 (`tf.math.xlogy`).")
xdivy = binary_op("Xdivy", quiet(_xdivy_kernel), _xdivy_grad, "tf.math.xdivy", kinds=FC,
                  doc="x / y, and 0 where x is 0 (`tf.math.xdivy`).")


# -- trigonometric and hyperbolic ---------------------------------------------------------
def _one_minus_square(x):
    return subtract(1.0, square(x))


sin = unary_op("Sin", np.sin, lambda op, dy: (multiply(dy, cos(op.inputs[0])),),
               "tf.math.sin", doc="Sine elementwise.", kinds=FC)
cos = unary_op("Cos", np.cos, lambda op, dy: (negative(multiply(dy, sin(op.inputs[0]))),),
               "tf.math.cos", doc="Cosine elementwise.", kinds=FC)
tan = unary_op("Tan", np.tan,
               lambda op, dy: (multiply(dy, add(square(op.outputs[0]), 1.0)),),
               "tf.math.tan", doc="Tangent elementwise.", kinds=FC)
asin = unary_op("Asin", np.arcsin,
                lambda op, dy: (realdiv(dy, sqrt(_one_minus_square(op.inputs[0]))),),
                "tf.math.asin", doc="Inverse sine elementwise.", kinds=FC)
acos = unary_op("Acos", np.arccos,
                lambda op, dy: (negative(realdiv(dy, sqrt(_one_minus_square(op.inputs[0])))),),
                "tf.math.acos", doc="Inverse cosine elementwise.", kinds=FC)
atan = unary_op("Atan", np.arctan,
                lambda op, dy: (realdiv(dy, add(square(op.inputs[0]), 1.0)),),
                "tf.math.atan", doc="Inverse tangent elementwise.", kinds=FC)
sinh = unary_op("Sinh", np.sinh, lambda op, dy: (multiply(dy, cosh(op.inputs[0])),),
                "tf.math.sinh", doc="Hyperbolic sine elementwise.", kinds=FC)
cosh = unary_op("Cosh", np.cosh, lambda op, dy: (multiply(dy, sinh(op.inputs[0])),),
                "tf.math.cosh", doc="Hyperbolic cosine elementwise.", kinds=FC)
asinh = unary_op("Asinh", np.arcsinh,
                 lambda op, dy: (realdiv(dy, sqrt(add(square(op.inputs[0]), 1.0))),),
                 "tf.math.asinh", doc="Inverse hyperbolic sine elementwise.", kinds=FC)
acosh = unary_op("Acosh", np.arccosh,
                 lambda op, dy: (realdiv(dy, sqrt(subtract(square(op.inputs[0]), 1.0))),),
                 "tf.math.acosh", doc="Inverse hyperbolic cosine elementwise.", kinds=FC)
atanh = unary_op("Atanh", np.arctanh,
                 lambda op, dy: (realdiv(dy, _one_minus_square(op.inputs[0])),),
                 "tf.math.atanh", doc="Inverse hyperbolic tangent elementwise.", kinds=FC)


def _atan2_grad(op, dy):
    y, x = op.inputs
    g = realdiv(dy, add(square(x), square(y)))
    return (unbroadcast(multiply(g, x), y) if op.needs_grad(0) else None,
            unbroadcast(negative(multiply(g, y)), x) if op.needs_grad(1) else None)


_atan2 = binary_op("Atan2", np.arctan2, _atan2_grad, "tf.math.atan2", kinds=F)


def atan2(y, x, name=None):
    """The angle of the point (x, y) in (-pi, pi], elementwise (`tf.math.atan2`)."""
    return _atan2(y, x)


# -- rounding and clipping ----------------------------------------------------------------
floor = unary_op("Floor", np.floor, None, "tf.math.floor", kinds=F,
                 doc="Largest integer not greater than x, elementwise (`tf.floor`).")
ceil = unary_op("Ceil", np.ceil, None, "tf.math.ceil", kinds=F,
                doc="Smallest integer not less than x, elementwise (`tf.math.ceil`).")
round = unary_op("Round", np.round, None, "tf.math.round",  # noqa: A001 - TF's name
                 kinds=R, doc="Rounds half to even (banker's rounding), as `tf.round` does.")
rint = unary_op("Rint", np.rint, None, "tf.math.rint", kinds=F,
                doc="Nearest integer, halves to even (`tf.math.rint`).")


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips values to [clip_value_min, clip_value_max] (`tf.clip_by_value`).

    The gradient passes where clip_value_min <= t <= clip_value_max (bounds included).

    >>> tf.clip_by_value(tf.constant([-1., 0.5, 2.]), 0., 1.).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    t = to_tensor(t)
    out = maximum(minimum(t, clip_value_max), clip_value_min)
    if t.shape.rank is not None and out.shape.rank is not None and \
            not out.shape.is_compatible_with(t.shape):
        raise ValueError(f"clip_by_value: the bounds broadcast the input of shape {t.shape} to "
                         f"{out.shape}; Shapes {t.shape} and {out.shape} are incompatible.\n"
                         f"hint: clip_value_min and clip_value_max must broadcast to the "
                         f"shape of t.")
    return out


# -- predicates and comparisons -----------------------------------------------------------
is_nan = unary_op("IsNan", np.isnan, None, "tf.math.is_nan", bool_same_rule, kinds=F,
                  doc="True where x is NaN.")
is_inf = unary_op("IsInf", np.isinf, None, "tf.math.is_inf", bool_same_rule, kinds=F,
                  doc="True where x is +inf or -inf.")
is_finite = unary_op("IsFinite", np.isfinite, None, "tf.math.is_finite", bool_same_rule,
                     kinds=F, doc="True where x is neither infinite nor NaN.")


def _equal_kernel(x, y, *, incompatible_shape_error=True):
    if not incompatible_shape_error:
        try:
            return np.equal(x, y)
        except ValueError:
            return np.bool_(False)
    return np.equal(x, y)


def _not_equal_kernel(x, y, *, incompatible_shape_error=True):
    if not incompatible_shape_error:
        try:
            return np.not_equal(x, y)
        except ValueError:
            return np.bool_(True)
    return np.not_equal(x, y)


def _equality_rule(x, y, incompatible_shape_error=True):
    try:
        return bool_broadcast_rule(x, y)
    except ValueError:
        if incompatible_shape_error:
            raise
        return TensorShape([]), _dtypes.bool


equal = binary_op("Equal", _equal_kernel, None, "tf.math.equal", _equality_rule, kinds=None,
                  doc="x == y elementwise, with broadcasting (`tf.equal`).")
not_equal = binary_op("NotEqual", _not_equal_kernel, None, "tf.math.not_equal", _equality_rule,
                      kinds=None, doc="x != y elementwise, with broadcasting (`tf.not_equal`).")
less = binary_op("Less", np.less, None, "tf.math.less", bool_broadcast_rule, kinds=R,
                 doc="x < y elementwise (`tf.less`).")
less_equal = binary_op("LessEqual", np.less_equal, None, "tf.math.less_equal",
                       bool_broadcast_rule, kinds=R, doc="x <= y elementwise.")
greater = binary_op("Greater", np.greater, None, "tf.math.greater", bool_broadcast_rule,
                    kinds=R, doc="x > y elementwise (`tf.greater`).")
greater_equal = binary_op("GreaterEqual", np.greater_equal, None, "tf.math.greater_equal",
                          bool_broadcast_rule, kinds=R, doc="x >= y elementwise.")
_NO_SHAPE_ERROR = {"incompatible_shape_error": False}


def _tensor_compare(self, other, opdef, mismatch):
    if other is None:
        return mismatch
    if type(self) is _Eager and type(other) is _Eager and not _active:
        a, b = self._value, other._value
        if a.dtype is b.dtype:
            return _wrap(opdef.kernel(a, b, incompatible_shape_error=False))
    x, y = binary_inputs(self, other, opdef)
    return execute(opdef, (x, y), _NO_SHAPE_ERROR)


def tensor_equals(self, other):
    """`self == other` (TensorFlow 2): an elementwise bool tensor; False for None and for
    shapes that do not broadcast. Mixed dtypes raise, as in TensorFlow."""
    return _tensor_compare(self, other, equal.opdef, False)


def tensor_not_equals(self, other):
    """`self != other`: an elementwise bool tensor; True for None and unbroadcastable shapes."""
    return _tensor_compare(self, other, not_equal.opdef, True)


# -- logical and bitwise ------------------------------------------------------------------
logical_and = binary_op("LogicalAnd", np.logical_and, None, "tf.math.logical_and", kinds=BOOL,
                        doc="x AND y elementwise for bool tensors.")
logical_or = binary_op("LogicalOr", np.logical_or, None, "tf.math.logical_or", kinds=BOOL,
                       doc="x OR y elementwise for bool tensors.")
logical_xor = binary_op("LogicalXor", np.logical_xor, None, "tf.math.logical_xor",
                        kinds=BOOL, doc="x XOR y elementwise for bool tensors.")
logical_not = unary_op("LogicalNot", np.logical_not, None, "tf.math.logical_not", kinds=BOOL,
                       doc="NOT x elementwise for bool tensors.")
bitwise_and = binary_op("BitwiseAnd", np.bitwise_and, None, "tf.bitwise.bitwise_and",
                        kinds=INTS, doc="x & y bit by bit for integer tensors.")
bitwise_or = binary_op("BitwiseOr", np.bitwise_or, None, "tf.bitwise.bitwise_or", kinds=INTS,
                       doc="x | y bit by bit for integer tensors.")
bitwise_xor = binary_op("BitwiseXor", np.bitwise_xor, None, "tf.bitwise.bitwise_xor",
                        kinds=INTS, doc="x ^ y bit by bit for integer tensors.")
invert = unary_op("Invert", np.invert, None, "tf.bitwise.invert", kinds=INTS,
                  doc="~x bit by bit for integer tensors.")


def logical_not_or_invert(x):
    """`~x`: logical NOT for bool tensors, bitwise inversion for integer tensors."""
    x = to_tensor(x)
    return logical_not(x) if x.dtype is _dtypes.bool else invert(x)


def _logical_or_bitwise(logical, bitwise):
    lop, bop = logical.opdef, bitwise.opdef

    def fn(x, y):
        x, y = binary_inputs(x, y, lop)
        if x.dtype is _dtypes.bool:
            return execute(lop, (x, y))
        check_kinds(bop, INTS, x)
        return execute(bop, (x, y))
    fn.__doc__ = f"The `{lop.name}` of bool tensors, `{bop.name}` of integer tensors."
    return fn


logical_and_or_bitwise = _logical_or_bitwise(logical_and, bitwise_and)
logical_or_or_bitwise = _logical_or_bitwise(logical_or, bitwise_or)
logical_xor_or_bitwise = _logical_or_bitwise(logical_xor, bitwise_xor)


# -- complex numbers ----------------------------------------------------------------------
def _complex_dtype(real: _dtypes.DType) -> _dtypes.DType:
    return _dtypes.complex128 if real is _dtypes.float64 else _dtypes.complex64


def _complex_kernel(re, im):
    out = np.add(re, np.multiply(im, 1j))
    return out.astype(np.complex128 if re.dtype == np.float64 else np.complex64, copy=False)


COMPLEX = defop("Complex", _complex_kernel,
                lambda re, im: (broadcast_shapes(re.shape, im.shape, "Complex"),
                                _complex_dtype(re.dtype)),
                lambda op, dy: (unbroadcast(real(dy), op.inputs[0]) if op.needs_grad(0) else None,
                                unbroadcast(imag(dy), op.inputs[1]) if op.needs_grad(1) else None),
                public_name="tf.complex")


def complex(real, imag, name=None):  # noqa: A001 - TF's name
    """real + imag * 1j from two float32 (or two float64) tensors (`tf.complex`)."""
    re, im = binary_inputs(real, imag, COMPLEX, ("real", "imag"))
    if re.dtype not in (_dtypes.float32, _dtypes.float64):
        raise InvalidArgumentError(
            None, "Complex", f"tf.complex: real and imag must be float32 or float64, got "
            f"{re.dtype.name}.\nhint: tf.cast both to tf.float32 or tf.float64.")
    return execute(COMPLEX, (re, im))


def _real_part_rule(x):
    return x.shape, x.dtype.real_dtype


REAL = defop("Real", np.real, _real_part_rule,
             lambda op, dy: (complex(dy, zeros_like(dy)),), public_name="tf.math.real")
IMAG = defop("Imag", np.imag, _real_part_rule,
             lambda op, dy: (complex(zeros_like(dy), dy),), public_name="tf.math.imag")
_conj = unary_op("Conj", np.conj, lambda op, dy: (conj(dy),), "tf.math.conj", kinds="c")


def real(input, name=None):  # noqa: A002 - TF's name
    """The real part of a complex tensor; a real tensor is returned as it is."""
    x = to_tensor(input)
    return execute(REAL, (x,)) if x.dtype.is_complex else x


def imag(input, name=None):  # noqa: A002 - TF's name
    """The imaginary part of a complex tensor; zeros for a real tensor."""
    x = to_tensor(input)
    return execute(IMAG, (x,)) if x.dtype.is_complex else zeros_like(x)


def conj(x, name=None):
    """The complex conjugate; a real tensor is returned as it is (`tf.math.conj`)."""
    x = to_tensor(x)
    return _conj(x) if x.dtype.is_complex else x


# -- matrix product -----------------------------------------------------------------------
_for_flops = _blas.for_flops


def _matmul_kernel(a, b, *, transpose_a, transpose_b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"In[0] and In[1] must be matrices (rank >= 2), got shapes "
                         f"{a.shape} and {b.shape}")
    if transpose_a:
        a = a.swapaxes(-1, -2)  # (the method: np.swapaxes adds a Python wrapper's call)
    if transpose_b:
        b = b.swapaxes(-1, -2)
    _for_flops(max(a.size * b.shape[-1], b.size * a.shape[-2]))
    return np.matmul(a, b)


def _matmul_rule(a, b, *, transpose_a, transpose_b):
    sa, sb = a.shape, b.shape
    if a.dtype is not b.dtype:
        raise ValueError(f"dtypes {a.dtype.name} and {b.dtype.name} differ")
    if sa.rank is None or sb.rank is None:
        return TensorShape(None), a.dtype
    if sa.rank < 2 or sb.rank < 2:
        raise ValueError(f"matmul needs tensors of rank >= 2, got shapes {sa} and {sb}")
    la, lb = sa.as_list(), sb.as_list()
    m, ka = (la[-1], la[-2]) if transpose_a else (la[-2], la[-1])
    kb, n = (lb[-1], lb[-2]) if transpose_b else (lb[-2], lb[-1])
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"Matrix size-incompatible: In[0]: {sa}, In[1]: {sb}"
                         f"{' (transposed)' if transpose_a or transpose_b else ''}")
    batch = broadcast_shapes(TensorShape(la[:-2]), TensorShape(lb[:-2]), "MatMul")
    return batch.concatenate([m, n]), a.dtype


def _matmul_grad(op, dy):
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    ga = gb = None
    a, b = _cj(a), _cj(b)  # gradients of complex products use conjugates
    if op.needs_grad(0):
        ga = matmul(b, dy, transpose_a=tb, transpose_b=True) if ta else \
            matmul(dy, b, transpose_b=not tb)
        ga = unbroadcast(ga, op.inputs[0])
    if op.needs_grad(1):
        gb = matmul(dy, a, transpose_a=True, transpose_b=ta) if tb else \
            matmul(a, dy, transpose_a=not ta)
        gb = unbroadcast(gb, op.inputs[1])
    return ga, gb


MATMUL = defop("MatMul", _matmul_kernel, _matmul_rule, _matmul_grad, public_name="tf.linalg.matmul")
MATMUL.fresh_output = True  # compiled code may overwrite the product (see function/codegen.py)
_NO_TRANSPOSE = {"transpose_a": False, "transpose_b": False}


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Matrix product of the last two axes, batched over the leading ones (`tf.matmul`).

    >>> tf.matmul(tf.constant([[1., 2.]]), tf.constant([[3.], [4.]])).numpy()
    array([[11.]], dtype=float32)
    """
    if type(a) is _Eager and type(b) is _Eager and not _active and not (
            transpose_a or transpose_b or adjoint_a or adjoint_b or output_type):
        av, bv = a._value, b._value
        if av.dtype is bv.dtype and av.ndim >= 2 and bv.ndim >= 2 and av.dtype.kind in "fc":
            _for_flops(av.size * bv.shape[-1])
            try:
                return _wrap(np.matmul(av, bv))
            except ValueError:  # the general path raises TensorFlow's error
                pass
    if not (adjoint_a or adjoint_b or output_type):  # a tape, a variable, transposes
        t = eager_binary(MATMUL, a, b, "fc", _NO_TRANSPOSE if not (transpose_a or transpose_b)
                         else {"transpose_a": bool(transpose_a),
                               "transpose_b": bool(transpose_b)})
        if t is not None:
            return t
    a, b = binary_inputs(a, b, MATMUL, ("a", "b"))
    check_kinds(MATMUL, "fVic", a, "a")
    try:
        _matmul_rule(a, b, transpose_a=transpose_a or adjoint_a,
                     transpose_b=transpose_b or adjoint_b)
    except ValueError as exc:
        raise InvalidArgumentError(None, "MatMul", f"tf.linalg.matmul: {exc} [Op:MatMul]\n"
                                   f"hint: the last axis of a must match the second-to-last "
                                   f"axis of b (after transposes).") from None
    if adjoint_a:
        a, transpose_a = conj(a), not transpose_a
    if adjoint_b:
        b, transpose_b = conj(b), not transpose_b
    attrs = _NO_TRANSPOSE if not (transpose_a or transpose_b) else \
        {"transpose_a": bool(transpose_a), "transpose_b": bool(transpose_b)}
    out = execute(MATMUL, (a, b), attrs)
    if output_type is not None:
        out = cast(out, output_type)
    return out


# -- n-ary and casts ----------------------------------------------------------------------
def _add_n_kernel(*xs):
    out = xs[0] + xs[1]
    for x in xs[2:]:
        out = out + x
    return out if len(xs) > 1 else xs[0]


def _add_n_rule(*xs):
    shape = xs[0].shape
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"AddN needs one dtype, got {xs[0].dtype.name} and "
                             f"{x.dtype.name}")
        shape = shape.merge_with(x.shape)
    return shape, xs[0].dtype


ADD_N = defop("AddN", _add_n_kernel, _add_n_rule, lambda op, dy: (dy,) * len(op.inputs),
              public_name="tf.math.add_n")


def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape and dtype (`tf.add_n`); no broadcasting.

    >>> tf.add_n([tf.constant([1., 2.]), tf.constant([3., 4.])]).numpy()
    array([4., 6.], dtype=float32)
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("tf.add_n: inputs must be a non-empty list of tensors.\n"
                         "hint: tf.add_n([a, b])")
    if len(inputs) > 1 and all(type(t) is _Eager for t in inputs):  # checked at once
        v = inputs[0]._value
        if v.dtype.kind in "fc" and all(t._value.dtype is v.dtype and
                                        t._value.shape == v.shape for t in inputs):
            t = eager_op(ADD_N, tuple(inputs))
            if t is not None:
                return t
    ts = [to_tensor(x) for x in inputs]
    if len(ts) == 1:
        return ts[0]
    first = ts[0]
    for i, t in enumerate(ts[1:], 1):
        if t.dtype is not first.dtype:
            raise InvalidArgumentError(
                None, "AddN", f"tf.add_n: input #{i} has dtype {t.dtype.name} but input #0 "
                f"has dtype {first.dtype.name} [Op:AddN]\nhint: tf.cast the inputs to one "
                f"dtype, e.g. tf.cast(x, tf.{first.dtype.name}).")
        if not t.shape.is_compatible_with(first.shape):
            raise InvalidArgumentError(
                None, "AddN", f"tf.add_n: inputs must have the same shape; input #{i} has "
                f"shape {t.shape} but input #0 has shape {first.shape} [Op:AddN]\nhint: "
                f"tf.add_n does not broadcast; use tf.broadcast_to or a + b.")
    check_kinds(ADD_N, N, first, "inputs")
    return execute(ADD_N, tuple(ts))


def _cast_kernel(x, *, dtype):
    return x.astype(dtype._np)


def _cast_rule(x, *, dtype):
    return x.shape, dtype


def _cast_grad(op, dy):
    src = op.inputs[0].dtype
    if not (src.is_floating or src.is_complex) or not (dy.dtype.is_floating or
                                                      dy.dtype.is_complex):
        return (None,)
    if dy.dtype.is_complex and not src.is_complex:
        return (cast(real(dy), src),)
    return (cast(dy, src),)


CAST = defop("Cast", _cast_kernel, _cast_rule, _cast_grad, public_name="tf.cast")


def cast(x, dtype, name=None):
    """Converts `x` to `dtype` (floats to ints truncate toward zero, as in TensorFlow)."""
    dtype = _dtypes.as_dtype(dtype)
    if hasattr(x, "_to_dense") and hasattr(x, "indices"):  # IndexedSlices: cast the values
        return type(x)(cast(x.values, dtype), x.indices, x.dense_shape)
    try:
        x = to_tensor(x)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.cast", (x, dtype))
    if x.dtype is dtype:
        return x
    if (x.dtype is _dtypes.string) is not (dtype is _dtypes.string):
        src, dst = _tf_type_name(x.dtype), _tf_type_name(dtype)
        raise UnimplementedError(
            None, "Cast", f"Cast {src} to {dst} is not supported [Op:Cast]\ntf.cast converts "
            f"between numeric and bool dtypes; it does not parse or format text.\nhint: "
            f"convert the text in Python or NumPy (e.g. float(s)) before making the tensor.")
    return execute(CAST, (x,), {"dtype": dtype})


_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _tf_type_name(dtype) -> str:
    """The name TensorFlow's kernels use for a dtype in messages (`float` for float32)."""
    return _TF_TYPE_NAMES.get(dtype.name, dtype.name)


def reshape_to(t, shape: TensorShape, like):
    """Reshape for gradient code: `t` to `shape`, taking unknown dims from `like`."""
    from rill.ops import array_ops, manip_ops
    if shape.is_fully_defined():
        return array_ops.reshape(t, shape.as_list())
    dyn = array_ops.shape(like)
    n = like.shape.rank
    parts = manip_ops.unstack(dyn, num=n) if n is not None else None
    dims = [d if d is not None else parts[i] for i, d in enumerate(shape.as_list())]
    return array_ops.reshape(t, manip_ops.stack(dims))


__tf_names__ = {
    "tf": "clip_by_value realdiv",
    "tf dtypes": "cast complex",
    "tf linalg": "matmul",
    "tf math": "abs acos acosh add add_n asin asinh atan atan2 atanh cos cosh divide equal exp "
               "floor greater greater_equal less less_equal logical_and logical_not logical_or "
               "maximum minimum multiply negative not_equal pow round scalar_mul sign sin sinh "
               "sqrt square subtract tan truediv",
    "tf math nn": "sigmoid tanh",
    "math": "ceil conj divide_no_nan erf expm1 floordiv floormod imag is_finite is_inf is_nan log "
            "log1p log_sigmoid logical_xor mod multiply_no_nan real reciprocal reciprocal_no_nan "
            "rint rsqrt squared_difference xdivy xlogy",
    "math nn": "softplus softsign",
}
