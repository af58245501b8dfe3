"""Op specs for rill/ops/random_ops.py (format: tests/ops/opspec.py).

Random ops have no NumPy reference (their values are random) and no gradient; these specs
exercise each op's kernel against its shape/dtype rule. Distributions and seed rules are
tested in tests/ops/test_random_ops.py.
"""

import math

import numpy as np

import rill as tf
from rill.ops import random_gamma_ops as RG
from rill.ops import random_ops as R
from tests.ops.opspec import OpSpec


def _shape(*dims):
    return lambda rng: [np.array(dims, dtype=np.int32)]


def _f64(*dims):
    return lambda rng: [np.array(dims, dtype=np.int32), rng.uniform(0.5, 3.0, dims[-1:])]


# -- an independent reference for RandomGammaGrad: the quantile's derivative ------------------
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(200)


def gamma_cdf(a: float, x: float) -> float:
    """P(a, x) by Gauss-Legendre quadrature: with t = x v^(1/a) and v = r^m (m = ceil(a)),
    P = x^a / Gamma(a + 1) * int_0^1 exp(-x r^(m/a)) m r^(m-1) dr, a smooth integrand."""
    m = max(1, math.ceil(a))
    r = (_NODES + 1) / 2
    f = np.exp(-x * r ** (m / a)) * m * r ** (m - 1)
    return float(np.exp(a * np.log(x) - math.lgamma(a + 1)) * np.dot(_WEIGHTS, f) / 2)


def gamma_quantile(a: float, u: float) -> float:
    """x with P(a, x) = u, by bisection."""
    lo, hi = 0.0, 1.0
    while gamma_cdf(a, hi) < u:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gamma_cdf(a, mid) < u else (lo, mid)
        if hi - lo <= 1e-15 * hi:
            break
    return (lo + hi) / 2


def gamma_sample_grad(alpha, sample) -> np.ndarray:
    """d sample / d alpha at a fixed quantile u = P(alpha, sample): a central difference of
    the quantile function (no implicit-function formula involved)."""
    out = []
    for a, x in zip(*(np.ravel(v) for v in np.broadcast_arrays(alpha, sample))):
        u, h = gamma_cdf(a, x), 1e-4 * a
        out.append((gamma_quantile(a + h, u) - gamma_quantile(a - h, u)) / (2 * h))
    return np.reshape(out, np.broadcast_shapes(np.shape(alpha), np.shape(sample)))


_GENERATOR: list = []


def _gen():
    """One generator for all specs, made eagerly on first use: a traced spec must not make
    one each call (tf.function refuses new variables after its first trace, as TensorFlow
    does)."""
    if not _GENERATOR:
        with tf.init_scope():
            _GENERATOR.append(R.Generator.from_seed(7))
    return _GENERATOR[0]


SPECS = [
    OpSpec(["RandomStandardNormal"], lambda s: R.normal(s, seed=1), _shape(2, 3), grad=False),
    OpSpec(["RandomStandardNormal"], lambda s: R.normal(s, dtype="float64"), _shape(4),
           grad=False, name="RandomStandardNormal[f64]"),
    OpSpec(["RandomUniform"], lambda s: R.uniform(s, seed=2), _shape(3, 1), grad=False),
    OpSpec(["RandomUniform"], lambda s: R.uniform(s, dtype="float16"), _shape(5), grad=False,
           name="RandomUniform[f16]"),
    OpSpec(["TruncatedNormal"], lambda s: R.truncated_normal(s, seed=3), _shape(2, 2),
           grad=False),
    OpSpec(["RandomUniformInt"], lambda s: R.uniform(s, 0, 10, dtype="int32", seed=4),
           _shape(6), grad=False),
    OpSpec(["RandomUniformInt"], lambda s: R.uniform(s, -5, 5, dtype="int64"), _shape(2, 2),
           grad=False, name="RandomUniformInt[i64]"),
    OpSpec(["Multinomial"], lambda logits, n: R.categorical(logits, n, seed=5),
           lambda rng: [rng.standard_normal((3, 4)), np.array(5, dtype=np.int32)], grad=False),
    OpSpec(["Multinomial"], lambda logits, n: R.categorical(logits, n, dtype="int32"),
           lambda rng: [rng.standard_normal((1, 2)), np.array(0, dtype=np.int32)], grad=False,
           name="Multinomial[int32, no samples]"),
    OpSpec(["RandomShuffle"], lambda x: R.shuffle(x, seed=6),
           lambda rng: [rng.standard_normal((5, 2))], grad=False),
    OpSpec(["StatelessRandomNormal"], lambda s: R.stateless_normal(s, seed=[1, 2]),
           _shape(2, 3), grad=False),
    OpSpec(["StatelessRandomUniform"], lambda s: R.stateless_uniform(s, seed=[3, 4]),
           _shape(4), grad=False),
    OpSpec(["StatelessTruncatedNormal"],
           lambda s: R.stateless_truncated_normal(s, seed=[5, 6], dtype="float64"),
           _shape(3, 3), grad=False),
    OpSpec(["StatelessRandomUniformInt"],
           lambda s: R.stateless_uniform(s, [7, 8], minval=1, maxval=9, dtype="int32"),
           _shape(5), grad=False),
    OpSpec(["StatelessRandomUniformFullInt"],
           lambda s: R.stateless_uniform(s, [7, 8], minval=None, maxval=None, dtype="uint32"),
           _shape(2, 2), grad=False),
    OpSpec(["StatelessMultinomial"],
           lambda logits: R.stateless_categorical(logits, 4, seed=[1, 1]),
           lambda rng: [rng.standard_normal((2, 3))], grad=False),
    OpSpec(["RandomGamma"], lambda s, a: RG.gamma(s, a, dtype="float64", seed=8), _f64(4, 3),
           grad=False),
    OpSpec(["RandomGamma"], lambda s, a: RG.gamma(s, a, dtype="float64"), _f64(2),
           grad=False, name="RandomGamma[unseeded]"),
    OpSpec(["RandomPoissonV2"], lambda s, lam: RG.poisson(s, lam, dtype="int64", seed=9),
           _f64(5, 2), grad=False),
    OpSpec(["StatelessRandomGammaV2"],
           lambda s, a: RG.stateless_gamma(s, [1, 2], a, dtype="float64"), _f64(3, 2),
           grad=False),
    OpSpec(["StatelessRandomPoisson"],
           lambda s, lam: RG.stateless_poisson(s, [3, 4], lam, dtype="float32"), _f64(6, 3),
           grad=False),
    OpSpec(["RandomGammaGrad"], lambda a, x: RG.execute(RG.RANDOM_GAMMA_GRAD, (a, x)),
           lambda rng: [rng.uniform(0.3, 4.0, (2, 1)), rng.uniform(0.1, 6.0, (2, 3))],
           ref=gamma_sample_grad, grad=False, rtol=1e-5, atol=1e-7),
    OpSpec(["StatefulStandardNormalV2"], lambda s: _gen().normal(s), _shape(2, 2), grad=False),
    OpSpec(["StatefulUniform"], lambda s: _gen().uniform(s, dtype="float64"), _shape(3),
           grad=False),
    OpSpec(["StatefulTruncatedNormal"], lambda s: _gen().truncated_normal(s), _shape(4, 1),
           grad=False),
    OpSpec(["StatefulUniformInt"], lambda s: _gen().uniform(s, 0, 3, dtype="int64"),
           _shape(5), grad=False),
    OpSpec(["StatefulUniformFullInt"], lambda s: _gen().uniform_full_int(s, dtype="int32"),
           _shape(2), grad=False),
]
