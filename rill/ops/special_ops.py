"""`tf.math` special functions: log-gamma, digamma, polygamma, Hurwitz zeta, erfc, the
inverse error functions and the modified Bessel functions of order 0 and 1.

NumPy has none of these, so each kernel is a published algorithm in vectorized NumPy,
evaluated in float64 (float16/bfloat16/float32 inputs are computed in float64 and rounded
back). Edge values follow TensorFlow: poles give inf (lgamma) or nan (digamma), inputs outside
a function's domain give nan. Gradients are written with rill ops, so they differentiate again.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

from rill.ops import math_ops as M
from rill.ops._util import binary_op, unary_op

F = "fV"  # floating point, bfloat16 included
_SQRT_PI = _pymath.sqrt(_pymath.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI


def _in_float64(fn):
    """A kernel computing `fn` in float64 and returning the input's dtype (0-d as a scalar).
    Quiet by itself (not `quiet`): compiled graphs call a `quiet` kernel's inner function
    unguarded, and `np.where` here evaluates branches that divide by zero or overflow."""
    def kernel(*xs):
        dtype = np.result_type(*xs)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*(np.asarray(x, np.float64) for x in xs)))
        out = out.astype(dtype, copy=False)
        return out if out.ndim else out[()]
    return kernel


# -- log-gamma, digamma, polygamma, zeta --------------------------------------------------
# Lanczos' approximation with g = 7 and 9 terms (Numerical Recipes, 3rd ed., 6.1; Godfrey's
# coefficients): Gamma(x) = sqrt(2 pi) t^(x - 1/2) e^-t A(x), t = x + g - 1/2, relative error
# below 1e-15 for x >= 1/2.
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * _pymath.log(2.0 * _pymath.pi)


def _lgamma_lanczos(x):
    """log Gamma(x) for x >= 1/2."""
    a = np.full_like(x, _LANCZOS[0])
    for k in range(1, len(_LANCZOS)):
        a += _LANCZOS[k] / (x + (k - 1))
    t = x + 6.5
    return _HALF_LOG_2PI + (x - 0.5) * np.log(t) - t + np.log(a)


def _sinpi_abs(x):
    """|sin(pi x)|, exactly 0 at the integers (the argument reduced mod 1 first)."""
    return np.abs(np.sin(np.pi * (x - np.round(x))))


def _lgamma(x):
    small = x < 0.5
    # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
    y = np.where(small, 1.0 - x, x)
    out = _lgamma_lanczos(np.where(np.isnan(y), 1.0, y))
    out = np.where(small, np.log(np.pi / _sinpi_abs(x)) - out, out)
    out = np.where(np.isinf(x), np.inf, out)
    return np.where(np.isnan(x), np.nan, out)


# Asymptotic series of digamma: log x - 1/(2x) - sum B_2k / (2k x^2k); B_2k / 2k for k = 1..8.
_DIGAMMA_ASYM = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12,
                 -3617 / 8160)


def _digamma(x):
    neg = x <= 0
    pole = neg & (x == np.floor(x))  # also -inf; TensorFlow gives nan at the poles
    y = np.where(neg, 1.0 - x, x)
    y = np.where(np.isnan(y), 1.0, y)
    acc = np.zeros_like(y)
    for _ in range(10):  # psi(y) = psi(y + 1) - 1/y, up to y >= 10 (series exact there)
        m = y < 10.0
        acc -= np.where(m, 1.0 / np.where(m, y, 1.0), 0.0)
        y = np.where(m, y + 1.0, y)
    inv2 = 1.0 / (y * y)
    s = np.zeros_like(y)
    for c in reversed(_DIGAMMA_ASYM):
        s = (s + c) * inv2
    out = acc + np.log(y) - 0.5 / y - s
    # reflection: psi(1 - x) - psi(x) = pi cot(pi x)
    r = x - np.round(x)
    out = np.where(neg, out - np.pi / np.tan(np.pi * np.where(pole, 0.5, r)), out)
    return np.where(pole | np.isnan(x), np.nan, out)


# B_2j / (2j)! for j = 1..12: the Euler-Maclaurin tail of the Hurwitz zeta function.
_BERNOULLI_2J = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
                 43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730)
_EM = tuple(b / _pymath.factorial(2 * j + 2) for j, b in enumerate(_BERNOULLI_2J))
_EM_TERMS = 10  # terms summed directly before the Euler-Maclaurin tail


def _zeta_em(x, q):
    """sum_{k >= 0} (q + k)^-x for x > 1 and q > 0 (Euler-Maclaurin summation)."""
    s = np.zeros(np.broadcast(x, q).shape)
    for k in range(_EM_TERMS):
        s += (q + k) ** -x
    a = q + _EM_TERMS
    b = a ** -x
    s += a * b / (x - 1.0) + 0.5 * b
    p = x * b / a  # x (x+1) ... (x+2j-2) a^(-x-2j+1)
    inv2 = 1.0 / (a * a)
    for j, c in enumerate(_EM):
        s += c * p
        p = p * (x + 2 * j + 1) * (x + 2 * j + 2) * inv2
    return s


def _zeta(x, q):
    x, q = np.broadcast_arrays(x, q)
    q_int = q == np.floor(q)
    x_int = x == np.floor(x)
    nonpos = q <= 0
    # q <= 0 with integer x: the terms up to q + m > 0 one by one, then the tail from q + m
    shift = np.where(nonpos & ~q_int & x_int & np.isfinite(q), np.ceil(-q), 0.0)
    head = np.zeros(x.shape)
    if shift.any():
        for k in range(int(shift.max())):
            head += np.where(k < shift, (q + k) ** -x, 0.0)
    ok = (x > 1) & np.isfinite(x)
    xs = np.where(ok, x, 2.0)
    out = head + _zeta_em(xs, np.where(ok & (q + shift > 0), q + shift, 1.0))
    out = np.where(np.isinf(x), np.where(q > 1, 0.0, np.where(q == 1, 1.0, np.inf)), out)
    out = np.where(q == np.inf, 0.0, out)
    even = x_int & (np.fmod(x, 2.0) == 0)
    out = np.where(nonpos & q_int, np.where(even, np.inf, np.nan), out)
    out = np.where(nonpos & ~q_int & ~x_int, np.nan, out)
    out = np.where(x == 1, np.inf, np.where(x < 1, np.nan, out))
    return np.where(np.isnan(x) | np.isnan(q), np.nan, out)


def _polygamma(n, x):
    n, x = np.broadcast_arrays(n, x)
    valid = (n >= 0) & (n == np.floor(n))
    order = np.where(valid & (n >= 1), n, 1.0)
    sign = np.where(np.fmod(order, 2.0) == 1, 1.0, -1.0)
    out = sign * np.exp(_lgamma(order + 1.0)) * _zeta(order + 1.0, x)
    out = np.where(n == 0, _digamma(x), out)
    return np.where(valid, out, np.nan)


# -- erfc and the inverse error functions -------------------------------------------------
_ERFC_CF_START = 2.0  # below, 1 - erf(x) keeps 14 digits; above, the continued fraction
_ERFC_CF_TERMS = 60


def _erfcx_cf(x):
    """exp(x^2) erfc(x) for x >= 2 by its continued fraction (Abramowitz-Stegun 7.1.14),
    evaluated from the tail: 1/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))."""
    d = np.zeros_like(x)
    for k in range(_ERFC_CF_TERMS, 0, -1):
        d = (0.5 * k) / (x + d)
    return 1.0 / (_SQRT_PI * (x + d))


def _exp_minus_square(x):
    """exp(-x^2) with x^2 split so that its rounding error does not reach the exponent."""
    hi = np.round(x * 16.0) / 16.0
    return np.exp(-hi * hi) * np.exp(-(x - hi) * (x + hi))


def _erfc(x):
    tail = x >= _ERFC_CF_START
    xt = np.where(tail, x, _ERFC_CF_START)
    near = 1.0 - M._erf_kernel(np.where(tail, 0.0, x))
    far = _exp_minus_square(xt) * _erfcx_cf(xt)
    return np.where(tail, np.where(np.isinf(x), 0.0, far), near)


def _erfcx(y):
    """exp(y^2) erfc(y) for y >= 0."""
    tail = y >= _ERFC_CF_START
    yn = np.where(tail, 0.0, y)
    return np.where(tail, _erfcx_cf(np.where(tail, y, _ERFC_CF_START)),
                    (1.0 - M._erf_kernel(yn)) * np.exp(yn * yn))


# M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision:
# erfinv(x) ~ x p(w) with w = -log(1 - x^2), a polynomial in w - 2.5 (w < 5) or sqrt(w) - 3.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _poly(coefs, t):
    p = np.full_like(t, coefs[0])
    for c in coefs[1:]:
        p = p * t + c
    return p


def _erfinv_core(x, z):
    """y >= 0 with erf(y) = x and erfc(y) = z, for 0 <= x = 1 - z < 1. Each argument must be
    exact where it is used: x for x < 1/2, z for z <= 1/2 (neither is formed from the other
    there, so that erfinv(1e-30) and ndtri(1e-300) keep their digits)."""
    central = x < 0.5
    w = np.where(central, -np.log1p(-x * x), -np.log(z) - np.log(2.0 - z))
    y = x * np.where(w < 5.0, _poly(_GILES_CENTRAL, w - 2.5), _poly(_GILES_TAIL, np.sqrt(w) - 3.0))
    # far tail (beyond Giles' single-precision range): y^2 = -log(z sqrt(pi) y), iterated
    # (Abramowitz-Stegun 7.1.23 to two terms: erfc(y) ~ exp(-y^2) (1 - 1/(2y^2)) / (y sqrt(pi)))
    far = w > 16.0
    if far.any():
        yf = np.sqrt(w)
        for _ in range(4):
            yf = np.sqrt(np.maximum(-np.log(z * _SQRT_PI * yf) + np.log1p(-0.5 / (yf * yf)),
                                    1.0))
        y = np.where(far, yf, y)
    shape = np.shape(y)  # x's and z's, which callers pass alike
    c, t = np.nonzero(np.ravel(central))[0], np.nonzero(~np.ravel(central))[0]
    yc, yt = np.ravel(y)[c], np.ravel(y)[t]  # each branch on its own elements: 2.5x faster
    xc, log_zt = np.ravel(x)[c], np.log(np.ravel(z)[t])
    for _ in range(3):  # Newton on erf(y) = x (central) or erfc(y) = z (tails), in scaled form
        yc = yc - (M._erf_kernel(yc) - xc) * np.exp(yc * yc) / _TWO_OVER_SQRT_PI
        yt = yt - (np.exp(log_zt + yt * yt) - _erfcx(np.abs(yt))) / _TWO_OVER_SQRT_PI
    out = np.empty(y.size)
    out[c], out[t] = yc, yt
    return out.reshape(shape)


def _erfinv(v):
    a = np.abs(v)
    inside = a < 1.0
    x = np.where(inside, a, 0.0)
    y = _erfinv_core(x, 1.0 - x)
    y = np.where(inside, y, np.where(a == 1.0, np.inf, np.nan))
    return np.copysign(y, v)


def _ndtri(p):
    inside = (p > 0.0) & (p < 1.0)
    lower = p < 0.5
    q = np.where(inside, p, 0.5)
    z = np.where(lower, 2.0 * q, 2.0 * (1.0 - q))  # erfc(y) = z; exact in both halves
    y = _erfinv_core(1.0 - z, z) * _pymath.sqrt(2.0)
    out = np.where(lower, -y, y)
    out = np.where(p == 0.0, -np.inf, np.where(p == 1.0, np.inf, out))
    return np.where(inside | (p == 0.0) | (p == 1.0), out, np.nan)


# -- modified Bessel functions I0, I1 (exponentially scaled) ------------------------------
_BESSEL_SERIES_MAX = 20.0  # power series up to |x| = 20, Hankel's asymptotic series above
_BESSEL_ASYM_TERMS = 30


def _bessel_ie(x, order: int):
    """exp(-|x|) I_order(|x|) for order 0 or 1 (Abramowitz-Stegun 9.6.10 and 9.7.1)."""
    a = np.abs(x)
    small = a <= _BESSEL_SERIES_MAX
    s = np.where(small, a, 0.0)
    h = 0.25 * s * s
    term = np.ones_like(s) if order == 0 else 0.5 * s
    total = term.copy()
    k = 0
    while True:  # positive terms: no cancellation; converged when the largest term is tiny
        k += 1
        term = term * h / (k * (k + order))
        total += term
        if not np.any(term > 1e-17 * total):
            break
    series = total * np.exp(-s)
    # Hankel: I_nu(x) ~ e^x / sqrt(2 pi x) sum_k (-1)^k prod_j (mu - (2j-1)^2) / (k! (8x)^k)
    b = np.where(small, _BESSEL_SERIES_MAX, a)
    mu = 4.0 * order * order
    term = np.ones_like(b)
    total = term.copy()
    for k in range(1, _BESSEL_ASYM_TERMS + 1):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * b)
        total += term
    asym = np.where(np.isinf(b), 0.0, total / np.sqrt(2.0 * np.pi * b))
    return np.where(small, series, asym)


def _bessel_i0e(x):
    return np.where(np.isnan(x), np.nan, _bessel_ie(x, 0))


def _bessel_i1e(x):
    return np.where(np.isnan(x), np.nan, np.copysign(_bessel_ie(x, 1), x))


def _unscale(fn):
    """I(x) = e^|x| Ie(x) from the scaled kernel `fn`; inf where e^|x| overflows the input's
    dtype, as in TensorFlow (which multiplies in that dtype; so also nan at +-inf)."""
    def kernel(x):
        dtype = np.result_type(x)
        x64 = np.asarray(x, np.float64)
        with np.errstate(all="ignore"):
            e = np.exp(np.abs(x64))
            e = np.where(e > float(np.finfo(dtype).max), np.inf, e)
            out = np.asarray(e * fn(x64)).astype(dtype, copy=False)
        return out if out.ndim else out[()]
    return kernel


# -- ops ------------------------------------------------------------------------------------
def _lgamma_grad(op, dy):
    return (M.multiply(dy, digamma(op.inputs[0])),)


def _digamma_grad(op, dy):
    x = op.inputs[0]
    return (M.multiply(dy, polygamma(M.ones_like(x), x)),)


def _polygamma_grad(op, dy):
    n, x = op.inputs  # TensorFlow gives no gradient for the order
    return None, M.unbroadcast(M.multiply(dy, polygamma(M.add(n, 1.0), x)), x)


def _zeta_grad(op, dy):
    x, q = op.inputs  # d/dq zeta(x, q) = -x zeta(x + 1, q); none for x, as in TensorFlow
    return None, M.unbroadcast(M.multiply(dy, M.negative(M.multiply(x, zeta(M.add(x, 1.0), q)))),
                               q)


def _erfc_grad(op, dy):
    x = op.inputs[0]
    return (M.multiply(dy, M.multiply(M.exp(M.negative(M.square(x))), -_TWO_OVER_SQRT_PI)),)


def _erfinv_grad(op, dy):
    y = op.outputs[0]
    return (M.multiply(dy, M.multiply(M.exp(M.square(y)), 0.5 * _SQRT_PI)),)


def _ndtri_grad(op, dy):
    y = op.outputs[0]
    return (M.multiply(dy, M.multiply(M.exp(M.multiply(M.square(y), 0.5)),
                                      _pymath.sqrt(2.0 * _pymath.pi))),)


def _bessel_i0_grad(op, dy):
    return (M.multiply(dy, bessel_i1(op.inputs[0])),)


def _bessel_i0e_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return (M.multiply(dy, M.subtract(bessel_i1e(x), M.multiply(M.sign(x), y))),)


def _tiny_safe(x):
    """(|x| is not tiny, x with tiny values replaced by 1): I1(x)/x is 1/2 near 0."""
    big = M.greater(M.abs(x), np.finfo(x.dtype.as_numpy_dtype).tiny ** 0.5)
    return big, M.select(big, x, M.ones_like(x))


def _bessel_i1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    big, safe = _tiny_safe(x)
    d = M.subtract(bessel_i0(safe), M.divide(M.select(big, y, M.zeros_like(y)), safe))
    return (M.multiply(dy, M.select(big, d, M.multiply(M.ones_like(x), 0.5))),)


def _bessel_i1e_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    big, safe = _tiny_safe(x)
    y_safe = M.select(big, y, M.zeros_like(y))
    d = M.subtract(bessel_i0e(safe),
                   M.multiply(y_safe, M.add(M.sign(safe), M.reciprocal(safe))))
    return (M.multiply(dy, M.select(big, d, M.multiply(M.ones_like(x), 0.5))),)


lgamma = unary_op(
    "Lgamma", _in_float64(_lgamma), _lgamma_grad, "tf.math.lgamma", kinds=F,
    doc="""log |Gamma(x)| elementwise (`tf.math.lgamma`); inf at 0 and the negative integers.

    >>> float(tf.math.lgamma(tf.constant(5.0)))  # log(4!)
    3.178053855895996
    """)

digamma = unary_op(
    "Digamma", _in_float64(_digamma), _digamma_grad, "tf.math.digamma", kinds=F,
    doc="""psi(x) = d/dx log Gamma(x) elementwise (`tf.math.digamma`); nan at 0 and the
    negative integers.

    >>> round(float(tf.math.digamma(tf.constant(1.0, tf.float64))), 12)  # -Euler's gamma
    -0.577215664902
    """)

_polygamma_op = binary_op("Polygamma", _in_float64(_polygamma), _polygamma_grad,
                       "tf.math.polygamma", kinds=F)
_zeta_op = binary_op("Zeta", _in_float64(_zeta), _zeta_grad, "tf.math.zeta", kinds=F)


def polygamma(a, x, name=None):
    """The polygamma function psi^(a)(x), the a-th derivative of digamma
    (`tf.math.polygamma`): (-1)^(a+1) a! zeta(a + 1, x) for integer a >= 1, digamma for
    a = 0, nan for other orders. `a` and `x` have one floating dtype and broadcast.

    >>> round(float(tf.math.polygamma(1.0, tf.constant(1.0, tf.float64))), 12)  # pi^2/6
    1.644934066848
    """
    return _polygamma_op(a, x)


def zeta(x, q, name=None):
    """The Hurwitz zeta function sum_{k >= 0} (q + k)^-x (`tf.math.zeta`); inf at x = 1, nan
    for x < 1. `x` and `q` have one floating dtype and broadcast.

    >>> round(float(tf.math.zeta(tf.constant(2.0, tf.float64), 1.0)), 12)  # pi^2/6
    1.644934066848
    """
    return _zeta_op(x, q)


erfc = unary_op(
    "Erfc", _in_float64(_erfc), _erfc_grad, "tf.math.erfc", kinds=F,
    doc="""1 - erf(x) elementwise (`tf.math.erfc`), accurate where it is tiny (large x).

    >>> print(f"{float(tf.math.erfc(tf.constant(10.0, tf.float64))):.12e}")  # 1 - erf: 0
    2.088487583763e-45
    """)

erfinv = unary_op(
    "Erfinv", _in_float64(_erfinv), _erfinv_grad, "tf.math.erfinv", kinds=F,
    doc="""The inverse of erf on (-1, 1) (`tf.math.erfinv`); +-inf at +-1, nan outside.

    >>> round(float(tf.math.erfinv(tf.constant(0.5, tf.float64))), 12)
    0.476936276204
    """)

ndtri = unary_op(
    "Ndtri", _in_float64(_ndtri), _ndtri_grad, "tf.math.ndtri", kinds=F,
    doc="""The inverse of the standard normal CDF on (0, 1) (`tf.math.ndtri`): sqrt(2)
    erfinv(2p - 1), accurate in both tails; -inf at 0, inf at 1, nan outside.

    >>> round(float(tf.math.ndtri(tf.constant(0.975, tf.float64))), 6)
    1.959964
    """)


def erfcinv(x, name=None):
    """The inverse of erfc on (0, 2) (`tf.math.erfcinv`): -ndtri(x / 2) / sqrt(2).

    >>> round(float(tf.math.erfcinv(tf.constant(0.5, tf.float64))), 12)
    0.476936276204
    """
    x = M.to_tensor(x)
    return M.multiply(ndtri(M.multiply(x, 0.5)), -_pymath.sqrt(0.5))


bessel_i0e = unary_op(
    "BesselI0e", _in_float64(_bessel_i0e), _bessel_i0e_grad, "tf.math.bessel_i0e", kinds=F,
    doc="""exp(-|x|) I0(x), the exponentially scaled modified Bessel function of order 0
    (`tf.math.bessel_i0e`, `tf.math.special.bessel_i0e`).""")
bessel_i1e = unary_op(
    "BesselI1e", _in_float64(_bessel_i1e), _bessel_i1e_grad, "tf.math.bessel_i1e", kinds=F,
    doc="""exp(-|x|) I1(x), the exponentially scaled modified Bessel function of order 1
    (`tf.math.bessel_i1e`, `tf.math.special.bessel_i1e`).""")
bessel_i0 = unary_op(
    "BesselI0", _unscale(_bessel_i0e), _bessel_i0_grad,
    "tf.math.bessel_i0", kinds=F,
    doc="""I0(x), the modified Bessel function of the first kind of order 0
    (`tf.math.bessel_i0`, `tf.math.special.bessel_i0`).

    >>> round(float(tf.math.bessel_i0(tf.constant(1.0, tf.float64))), 12)
    1.266065877752
    """)
bessel_i1 = unary_op(
    "BesselI1", _unscale(_bessel_i1e), _bessel_i1_grad,
    "tf.math.bessel_i1", kinds=F,
    doc="""I1(x), the modified Bessel function of the first kind of order 1
    (`tf.math.bessel_i1`, `tf.math.special.bessel_i1`).""")


__tf_names__ = {
    "math": "bessel_i0 bessel_i0e bessel_i1 bessel_i1e digamma erfc erfcinv erfinv lgamma ndtri "
            "polygamma zeta",
    "math.special": "bessel_i0 bessel_i0e bessel_i1 bessel_i1e",
}
