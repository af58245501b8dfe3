"""`keras.ops` NumPy-like math: elementwise functions, comparisons, reductions, products.

Argument names and dtype rules are Keras 3's (`axis`, `keepdims`; ints become floatx in
sqrt/log/mean/divide; see `_convert`). Each function is a thin layer over rill's ops.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

import rill as tf
from rill.keras.ops._convert import axes, convert_to_tensor, floating, promote, scalar

__all__ = [
    "abs", "absolute", "add", "all", "amax", "amin", "any", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin", "average", "ceil", "clip",
    "cos", "cosh", "count_nonzero", "cumprod", "cumsum", "divide", "dot", "einsum", "equal",
    "exp", "expm1", "floor", "floor_divide", "greater", "greater_equal", "inner", "isclose",
    "isfinite", "isinf", "isnan", "less", "less_equal", "log", "log10", "log1p", "log2",
    "logaddexp", "logical_and", "logical_not", "logical_or", "logical_xor", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mod", "multiply", "nan_to_num", "negative",
    "not_equal", "outer", "power", "prod", "reciprocal", "round", "sign", "sin", "sinh", "sqrt",
    "square", "std", "subtract", "sum", "tan", "tanh", "tensordot", "true_divide", "trunc",
    "var", "where",
]


# -- arithmetic -------------------------------------------------------------------------------
def add(x1, x2):
    """x1 + x2 (broadcasting)."""
    return tf.add(*promote(x1, x2))


def subtract(x1, x2):
    """x1 - x2."""
    return tf.subtract(*promote(x1, x2))


def multiply(x1, x2):
    """x1 * x2."""
    return tf.multiply(*promote(x1, x2))


def divide(x1, x2):
    """x1 / x2 (true division; integers give floatx)."""
    a, b = promote(x1, x2)
    if not (a.dtype.is_floating or a.dtype.is_complex):
        a, b = floating(a), floating(b)
    return tf.divide(a, b)


true_divide = divide


def floor_divide(x1, x2):
    """floor(x1 / x2)."""
    return tf.math.floordiv(*promote(x1, x2))


def mod(x1, x2):
    """x1 mod x2 with the sign of x2 (NumPy's `%`)."""
    return tf.math.floormod(*promote(x1, x2))


def power(x1, x2):
    """x1 ** x2."""
    return tf.pow(*promote(x1, x2))


def negative(x):
    return tf.negative(convert_to_tensor(x))


def abs(x):  # noqa: A001 - Keras's name
    """|x|."""
    return tf.abs(convert_to_tensor(x))


absolute = abs


def square(x):
    """x * x (bools become int32)."""
    x = convert_to_tensor(x)
    return tf.square(tf.cast(x, "int32") if x.dtype == tf.bool else x)


def sign(x):
    return tf.sign(convert_to_tensor(x))


def reciprocal(x):
    return tf.math.reciprocal(floating(x))


def maximum(x1, x2):
    return tf.maximum(*promote(x1, x2))


def minimum(x1, x2):
    return tf.minimum(*promote(x1, x2))


def clip(x, x_min, x_max):
    """x limited to [x_min, x_max] (bools become int32)."""
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.clip_by_value(x, scalar(x_min, x.dtype), scalar(x_max, x.dtype))


# -- float-valued elementwise functions (ints become floatx) -------------------------------
def _unary(fn, name, doc):
    def op(x):
        return fn(floating(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


sqrt = _unary(tf.sqrt, "sqrt", "Square root.")
exp = _unary(tf.exp, "exp", "e ** x.")
expm1 = _unary(tf.math.expm1, "expm1", "exp(x) - 1, accurate near 0.")
log = _unary(tf.math.log, "log", "Natural logarithm.")
log1p = _unary(tf.math.log1p, "log1p", "log(1 + x), accurate near 0.")
log2 = _unary(lambda x: tf.math.log(x) / scalar(_pymath.log(2.0), x.dtype), "log2",
              "Base-2 logarithm.")
log10 = _unary(lambda x: tf.math.log(x) / scalar(_pymath.log(10.0), x.dtype), "log10",
               "Base-10 logarithm.")
sin = _unary(tf.sin, "sin", "Sine.")
cos = _unary(tf.cos, "cos", "Cosine.")
tan = _unary(tf.math.tan, "tan", "Tangent.")
arcsin = _unary(tf.math.asin, "arcsin", "Inverse sine.")
arccos = _unary(tf.math.acos, "arccos", "Inverse cosine.")
arctan = _unary(tf.math.atan, "arctan", "Inverse tangent.")
sinh = _unary(tf.math.sinh, "sinh", "Hyperbolic sine.")
cosh = _unary(tf.math.cosh, "cosh", "Hyperbolic cosine.")
tanh = _unary(tf.tanh, "tanh", "Hyperbolic tangent.")
arcsinh = _unary(tf.math.asinh, "arcsinh", "Inverse hyperbolic sine.")
arccosh = _unary(tf.math.acosh, "arccosh", "Inverse hyperbolic cosine.")
arctanh = _unary(tf.math.atanh, "arctanh", "Inverse hyperbolic tangent.")


def arctan2(x1, x2):
    """The angle of the point (x2, x1), in (-pi, pi]."""
    a, b = (floating(v) for v in promote(x1, x2))
    return tf.math.atan2(a, b)


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)), stable."""
    a, b = (floating(v) for v in promote(x1, x2))
    big = tf.maximum(a, b)
    return big + tf.math.log1p(tf.exp(-tf.abs(a - b)))


def _float_or_same(fn):
    def op(x):
        x = convert_to_tensor(x)
        return fn(x) if x.dtype.is_floating else x

    return op


floor = _float_or_same(tf.floor)
ceil = _float_or_same(tf.math.ceil)
trunc = _float_or_same(lambda x: tf.sign(x) * tf.floor(tf.abs(x)))
floor.__doc__, ceil.__doc__, trunc.__doc__ = "Round down.", "Round up.", "Round toward 0."


def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Rounds half to even, to `decimals` decimal places."""
    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        return x
    if decimals == 0:
        return tf.round(x)
    factor = scalar(10.0 ** decimals, x.dtype)
    return tf.round(x * factor) / factor


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf` (default: the dtype's max), -inf -> `neginf`."""
    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        return x
    info = np.finfo(x.dtype.as_numpy_dtype)
    x = tf.where(tf.math.is_nan(x), scalar(nan, x.dtype), x)
    x = tf.where(tf.equal(x, np.inf), scalar(info.max if posinf is None else posinf, x.dtype), x)
    return tf.where(tf.equal(x, -np.inf), scalar(info.min if neginf is None else neginf,
                                                  x.dtype), x)


# -- comparisons and logic ----------------------------------------------------------------------
def _compare(fn, name):
    def op(x1, x2):
        return fn(*promote(x1, x2))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} (a bool tensor)."
    return op


equal = _compare(tf.equal, "equal")
not_equal = _compare(tf.not_equal, "not_equal")
greater = _compare(tf.greater, "greater")
greater_equal = _compare(tf.greater_equal, "greater_equal")
less = _compare(tf.less, "less")
less_equal = _compare(tf.less_equal, "less_equal")


def _bool(x):
    x = convert_to_tensor(x)
    return x if x.dtype == tf.bool else tf.not_equal(x, tf.zeros((), x.dtype))


def logical_and(x1, x2):
    return tf.logical_and(_bool(x1), _bool(x2))


def logical_or(x1, x2):
    return tf.logical_or(_bool(x1), _bool(x2))


def logical_xor(x1, x2):
    return tf.math.logical_xor(_bool(x1), _bool(x2))


def logical_not(x):
    return tf.logical_not(_bool(x))


def isnan(x):
    x = convert_to_tensor(x)
    return tf.math.is_nan(x) if x.dtype.is_floating else tf.zeros(tf.shape(x), tf.bool)


def isinf(x):
    x = convert_to_tensor(x)
    return tf.math.is_inf(x) if x.dtype.is_floating else tf.zeros(tf.shape(x), tf.bool)


def isfinite(x):
    x = convert_to_tensor(x)
    return tf.math.is_finite(x) if x.dtype.is_floating else tf.ones(tf.shape(x), tf.bool)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2|."""
    a, b = (floating(v) for v in promote(x1, x2))
    close = tf.less_equal(tf.abs(a - b), scalar(atol, a.dtype) + scalar(rtol, a.dtype) *
                          tf.abs(b))
    close = tf.logical_or(close, tf.equal(a, b))  # equal infinities
    if equal_nan:
        close = tf.logical_or(close, tf.logical_and(tf.math.is_nan(a), tf.math.is_nan(b)))
    return close


def where(condition, x1=None, x2=None):
    """Picks x1 where condition holds, else x2; with only `condition`, the indices of its
    nonzero elements (one int32 tensor per axis)."""
    condition = _bool(condition)
    if x1 is None and x2 is None:
        idx = tf.cast(tf.where(condition), "int32")
        return [idx[:, i] for i in range(condition.shape.rank)]
    if x1 is None or x2 is None:
        raise ValueError("where: pass both x1 and x2, or neither.\nhint: "
                         "keras.ops.where(cond, x1, x2) selects; where(cond) finds indices.")
    a, b = promote(x1, x2)
    return tf.where(condition, a, b)


# -- reductions -----------------------------------------------------------------------------
def _summable(x):
    x = convert_to_tensor(x)
    return tf.cast(x, "int32") if x.dtype == tf.bool else x


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Sum over `axis` (all axes when None); bools count as int32."""
    return tf.reduce_sum(_summable(x), axes(axis), keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over `axis`."""
    x = _summable(x) if dtype is None else convert_to_tensor(x, dtype)
    return tf.reduce_prod(x, axes(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over `axis`; ints give floatx."""
    return tf.reduce_mean(floating(x), axes(axis), keepdims)


def average(x, axis=None, weights=None):
    """Mean, weighted by `weights` (shaped like x, or 1-D along `axis`)."""
    if weights is None:
        return mean(x, axis)
    x, w = (floating(v) for v in promote(x, weights))
    if axis is not None and w.shape.rank == 1 and x.shape.rank > 1:
        shape = [1] * x.shape.rank
        shape[axis] = -1
        w = tf.reshape(w, shape)
    return tf.reduce_sum(x * w, axis) / tf.reduce_sum(w * tf.ones_like(x), axis)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by N)."""
    return tf.math.reduce_variance(floating(x), axes(axis), keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation."""
    return tf.math.reduce_std(floating(x), axes(axis), keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Maximum over `axis` (at least `initial` when given)."""
    out = tf.reduce_max(convert_to_tensor(x), axes(axis), keepdims)
    return out if initial is None else tf.maximum(out, scalar(initial, out.dtype))


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Minimum over `axis` (at most `initial` when given)."""
    out = tf.reduce_min(convert_to_tensor(x), axes(axis), keepdims)
    return out if initial is None else tf.minimum(out, scalar(initial, out.dtype))


def amax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    return min(x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """True where every element along `axis` is nonzero."""
    return tf.reduce_all(_bool(x), axes(axis), keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """True where some element along `axis` is nonzero."""
    return tf.reduce_any(_bool(x), axes(axis), keepdims)


def count_nonzero(x, axis=None):
    """The number of nonzero elements along `axis` (int32)."""
    return tf.reduce_sum(tf.cast(_bool(x), "int32"), axes(axis))


def _arg(fn, x, axis, keepdims):
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    out = tf.cast(fn(x, axis=axis), "int32")
    if keepdims:
        out = tf.expand_dims(out, axis) if axis is not None else out
    return out


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value along `axis` (of the flattened x when None), int32."""
    return _arg(tf.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value along `axis` (of the flattened x when None), int32."""
    return _arg(tf.argmin, x, axis, keepdims)


def _cumulative(fn, x, axis, dtype):
    x = _summable(x) if dtype is None else convert_to_tensor(x, dtype)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return fn(x, axis=axis)


def cumsum(x, axis=None, dtype=None):
    """Running sum along `axis` (over the flattened x when None)."""
    return _cumulative(tf.math.cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    """Running product along `axis` (over the flattened x when None)."""
    return _cumulative(tf.math.cumprod, x, axis, dtype)


# -- products -------------------------------------------------------------------------------
def matmul(x1, x2):
    """Matrix product with NumPy's rules (1-D operands are vectors; batch dims broadcast)."""
    a, b = promote(x1, x2)
    if a.shape.rank == 1 and b.shape.rank == 1:
        return tf.reduce_sum(a * b)
    if a.shape.rank == 1:
        return tf.squeeze(tf.matmul(tf.expand_dims(a, 0), b), -2)
    if b.shape.rank == 1:
        return tf.squeeze(tf.matmul(a, tf.expand_dims(b, -1)), -1)
    return tf.matmul(a, b)


def dot(x1, x2):
    """NumPy's dot: scalars multiply, 1-D/2-D as matmul, N-D contracts x1's last axis with
    x2's second-to-last."""
    a, b = promote(x1, x2)
    if a.shape.rank == 0 or b.shape.rank == 0:
        return a * b
    if b.shape.rank <= 2:
        return matmul(a, b) if a.shape.rank <= 2 else tf.tensordot(a, b, [[a.shape.rank - 1],
                                                                         [0]])
    return tf.tensordot(a, b, [[a.shape.rank - 1], [b.shape.rank - 2]])


def tensordot(x1, x2, axes=2):
    """Sum of products over the given axes (an int: the last/first `axes` axes)."""
    return tf.tensordot(*promote(x1, x2), axes)


def inner(x1, x2):
    """Sum of products over the last axes."""
    a, b = promote(x1, x2)
    if a.shape.rank == 0 or b.shape.rank == 0:
        return a * b
    return tf.tensordot(a, b, [[a.shape.rank - 1], [b.shape.rank - 1]])


def outer(x1, x2):
    """Outer product of the flattened inputs."""
    a, b = promote(x1, x2)
    return tf.reshape(a, [-1, 1]) * tf.reshape(b, [1, -1])


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation (`einsum("ij,jk->ik", a, b)`)."""
    return tf.einsum(subscripts, *promote(*operands))

