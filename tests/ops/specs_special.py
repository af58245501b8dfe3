"""Op specs for rill/ops/special_ops.py (format: tests/ops/opspec.py).

References are independent of rill's algorithms: Python's math.lgamma/erf/erfc, NumPy's i0,
finite differences of math.lgamma (digamma), brute-force sums (zeta, polygamma), bisection on
math.erfc (the inverse error functions) and the trapezoid rule on Bessel's integral (I1).
Inputs stay inside each function's domain and away from poles, so central differences hold.
"""

import math

import numpy as np

import rill as tf
from tests.ops.opspec import OpSpec


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def uniform(*shape, low=-1.0, high=1.0):
    return lambda rng: rng.uniform(low, high, shape)


def _off_integers(*shape, low, high, gap=0.1):
    """Uniform values at least `gap` from every integer (the poles of lgamma and digamma)."""
    def make(rng):
        x = rng.uniform(low, high, shape)
        frac = x - np.floor(x)
        return np.floor(x) + np.clip(frac, gap, 1 - gap)
    return make


# -- references -----------------------------------------------------------------------------
def _vec(fn):
    return np.vectorize(fn, otypes=[np.float64])


lgamma_ref = _vec(math.lgamma)
erfc_ref = _vec(math.erfc)


def digamma_ref(x):
    """The derivative of math.lgamma by the five-point stencil (error ~ h^4, ~1e-11 here;
    h shrinks near the poles, where the higher derivatives grow)."""
    x = np.asarray(x, np.float64)
    h = 1e-3 * np.where(x < 0.5, np.minimum(1.0, np.abs(x - np.round(x))), 1.0)
    f = lgamma_ref
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


def zeta_ref(s, q, n=20_000):
    """sum_k (q + k)^-s by brute force: n terms, then the integral and trapezoid corrections
    of the tail (error ~ s^3 / (q + n)^(s + 3))."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    k = np.arange(n, dtype=np.float64)
    total = np.sum((q[..., None] + k) ** -s[..., None], axis=-1)
    a = q + n
    return total + a ** (1 - s) / (s - 1) + 0.5 * a ** -s + s * a ** (-s - 1) / 12


def polygamma_ref(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for integer n >= 1."""
    n = np.asarray(n, np.float64)
    sign = np.where(np.mod(n, 2) == 1, 1.0, -1.0)
    return sign * _vec(math.factorial)(n.astype(int)) * zeta_ref(n + 1, x)


def _bisect(f, target, lo, hi, steps=200):
    """The root of the increasing function f(y) = target in [lo, hi], scalar by scalar."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-16 * max(abs(lo), 1e-300):
            break
    return 0.5 * (lo + hi)


def _erfinv_scalar(x):
    if abs(x) < 1e-6:  # the Maclaurin series: sqrt(pi)/2 (x + pi x^3 / 12 + ...)
        return math.sqrt(math.pi) / 2 * (x + math.pi * x ** 3 / 12)
    if x >= 0.5:  # erfc(y) = 1 - x: exact there, and decreasing in y
        return _bisect(lambda y: -math.erfc(y), -(1.0 - x), 0.0, 30.0)
    if x <= -0.5:
        return -_erfinv_scalar(-x)
    return _bisect(math.erf, x, -1.0, 1.0)


def _ndtri_scalar(p):
    if p < 0.5:  # Phi(y) = erfc(-y / sqrt 2) / 2: no cancellation for small p
        return _bisect(lambda y: 0.5 * math.erfc(-y / math.sqrt(2)), p, -40.0, 0.0)
    return -_ndtri_scalar(1.0 - p) if p > 0.5 else 0.0


erfinv_ref = _vec(_erfinv_scalar)
ndtri_ref = _vec(_ndtri_scalar)


def bessel_ref(x, order, n=400):
    """I_order(x) = (1/pi) integral_0^pi exp(x cos t) cos(order t) dt, by the trapezoid rule
    (exponentially accurate for this periodic integrand)."""
    t = np.linspace(0.0, np.pi, n + 1)
    w = np.full(n + 1, np.pi / n)
    w[0] = w[-1] = np.pi / (2 * n)
    x = np.asarray(x, np.float64)
    vals = np.exp(x[..., None] * np.cos(t)) * np.cos(order * t)
    return vals @ w / np.pi


# -- specs ------------------------------------------------------------------------------------
def _unary(op, fn, ref, inputs, rtol=1e-9, atol=1e-12, name=""):
    return OpSpec([op], fn, inputs, ref=ref, second_order=True, rtol=rtol, atol=atol,
                  name=name or op)


SPECS = [
    _unary("Lgamma", tf.math.lgamma, lgamma_ref, _ins(_off_integers(3, 4, low=-6, high=12))),
    _unary("Lgamma", tf.math.lgamma, lgamma_ref, _ins(uniform(5, low=30.0, high=1e4)),
           name="lgamma_large"),
    _unary("Digamma", tf.math.digamma, digamma_ref, _ins(_off_integers(3, 4, low=-6, high=12)),
           rtol=1e-8, atol=1e-9),
    OpSpec(["Polygamma"], lambda x: tf.math.polygamma(1.0, x), _ins(uniform(3, 4, low=0.2,
                                                                            high=8.0)),
           ref=lambda x: polygamma_ref(1.0, x), second_order=True, rtol=1e-9, atol=1e-12,
           name="trigamma"),
    OpSpec(["Polygamma"], lambda x: tf.math.polygamma(tf.constant([[0.0], [2.0], [3.0]],
                                                                  tf.float64), x),
           _ins(uniform(3, 4, low=0.3, high=6.0)),
           ref=lambda x: np.concatenate([digamma_ref(x[:1]), polygamma_ref(2.0, x[1:2]),
                                         polygamma_ref(3.0, x[2:])]),
           second_order=True, rtol=1e-8, atol=1e-9, name="polygamma_orders"),
    OpSpec(["Zeta"], lambda q: tf.math.zeta(tf.constant([[1.5], [2.0], [4.5]], tf.float64), q),
           _ins(uniform(3, 4, low=0.2, high=10.0)),
           ref=lambda q: zeta_ref(np.array([[1.5], [2.0], [4.5]]), q),
           second_order=True, rtol=1e-9, atol=1e-12),
    _unary("Erfc", tf.math.erfc, erfc_ref, _ins(uniform(3, 4, low=-3.0, high=8.0)),
           rtol=1e-12, atol=0.0),
    _unary("Erfinv", tf.math.erfinv, erfinv_ref, _ins(uniform(3, 4, low=-0.999, high=0.999)),
           rtol=1e-12),
    _unary("Ndtri", tf.math.ndtri, ndtri_ref, _ins(uniform(3, 4, low=1e-4, high=1 - 1e-4)),
           rtol=1e-12),
    _unary("Ndtri", tf.math.erfcinv, lambda x: erfinv_ref(1.0 - x),
           _ins(uniform(3, 4, low=0.01, high=1.99)), rtol=1e-10, name="erfcinv"),
    _unary("BesselI0", tf.math.bessel_i0, np.i0, _ins(uniform(3, 4, low=-12.0, high=12.0)),
           rtol=1e-12),
    _unary("BesselI0e", tf.math.special.bessel_i0e, lambda x: np.exp(-np.abs(x)) * np.i0(x),
           _ins(uniform(3, 4, low=-30.0, high=30.0)), rtol=1e-12),
    _unary("BesselI1", tf.math.bessel_i1, lambda x: bessel_ref(x, 1),
           _ins(uniform(3, 4, low=-12.0, high=12.0)), rtol=1e-11),
    _unary("BesselI1e", tf.math.special.bessel_i1e,
           lambda x: np.exp(-np.abs(x)) * bessel_ref(x, 1),
           _ins(uniform(3, 4, low=-30.0, high=30.0)), rtol=1e-11),
]
