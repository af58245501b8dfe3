"""tf.random.gamma / poisson and their stateless forms: TensorFlow's shape conventions, dtypes,
seeding, moments, and the implicit reparameterization gradient of gamma samples.

Moments are checked against the distributions' own (gamma: mean a/b, variance a/b^2, excess
kurtosis 6/a; Poisson: mean = variance = lam, fourth central moment lam + 3 lam^2), within
five standard errors of the sample statistic, so fixed seeds are far from the edge.
Gradient references are derived without the implicit-function formula the code uses: a
central difference of the quantile function (tests/ops/specs_random.py), and the identities
E[dx/da] = dE[x]/da = 1 / b and E[2 x dx/da] = dE[x^2]/da = (2a + 1) / b^2.
"""

import doctest
import sys

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError
from rill.ops import random_gamma_ops
from tests.conftest import require_tf_python, run_json
from tests.ops.specs_random import gamma_sample_grad

N = 40_000


@pytest.fixture(autouse=True)
def _no_global_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def _within(stat, expected, se, k=5.0):
    assert abs(stat - expected) < k * se, (stat, expected, se)


def _check_gamma_moments(x, a, b):
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    mean, var = a / b, a / b ** 2
    _within(x.mean(0), mean, np.sqrt(var / n))
    _within(x.var(0), var, var * np.sqrt((2 + 6 / a) / n))


# -- shapes and dtypes --------------------------------------------------------------------------
@pytest.mark.parametrize("shape,alpha,beta,expected", [
    ([10], [0.5, 1.5], None, [10, 2]),
    ([7, 5], [[1.0], [3.0], [5.0]], [[3.0, 4.0]], [7, 5, 3, 2]),
    ([], 2.0, None, []),
    ([3], 2.0, [1.0, 2.0], [3, 2]),
    ([0, 2], [1.0], None, [0, 2, 1]),
])
def test_gamma_shape_is_shape_plus_broadcast_parameters(shape, alpha, beta, expected):
    assert tf.random.gamma(shape, alpha, beta, seed=1).shape.as_list() == expected


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64])
def test_gamma_dtypes(dtype):
    t = tf.random.gamma([4], [1.0, 2.0], dtype=dtype)
    assert t.dtype == dtype and t.shape == [4, 2]
    assert tf.random.stateless_gamma([4, 2], [1, 2], [1.0, 2.0], dtype=dtype).dtype == dtype


def test_gamma_argument_errors():
    with pytest.raises(ValueError, match="dtype"):
        tf.random.gamma([2], 1.0, dtype=tf.int32)
    with pytest.raises(ValueError, match="dtype"):
        tf.random.gamma([2], 1.0, dtype=tf.bfloat16)
    with pytest.raises(ValueError, match="requested dtype float32.*float64"):
        tf.random.gamma([2], tf.constant(1.0, tf.float64))
    for bad in ([10, 3], [3, 1]):
        with pytest.raises(InvalidArgumentError, match="must end with broadcasted shape"):
            tf.random.stateless_gamma(bad, [1, 2], [0.5, 1.5])
    with pytest.raises(InvalidArgumentError, match="must end with broadcasted shape"):
        tf.random.stateless_poisson([10, 3], [1, 2], [5.0, 15.0])


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64, tf.int32, tf.int64])
def test_poisson_dtypes_and_shapes(dtype):
    t = tf.random.poisson([10], [0.5, 1.5], dtype=dtype)
    assert t.shape == [10, 2] and t.dtype == dtype
    s = tf.random.stateless_poisson([7, 5, 2], [12, 34], [5, 15], dtype=dtype)
    assert s.shape == [7, 5, 2] and s.dtype == dtype
    assert tf.random.stateless_poisson([3], [1, 2], 2.0).dtype == tf.int32  # the default
    assert tf.random.poisson([3], tf.constant([1, 5])).dtype == tf.float32


def test_poisson_argument_errors():
    with pytest.raises(ValueError, match="dtype"):
        tf.random.poisson([3], 2.0, dtype=tf.bool)
    with pytest.raises(TypeError, match="lam"):
        tf.random.poisson([3], tf.constant([True]))


def test_gamma_values_stay_positive():
    # most Gamma(0.01) draws underflow float32; TensorFlow floors them at the smallest normal
    x = tf.random.gamma([1000], 0.01, seed=3).numpy()
    assert (x >= np.finfo(np.float32).tiny).all() and np.isfinite(x).all()


# -- distributions ---------------------------------------------------------------------------
@pytest.mark.parametrize("alpha,beta", [(0.3, 1.0), (1.0, 1.0), (2.5, 4.0), (50.0, 0.5)])
def test_gamma_moments(alpha, beta):
    x = tf.random.gamma([N], alpha, beta, dtype=tf.float64, seed=11).numpy()
    _check_gamma_moments(x, alpha, beta)
    s = tf.random.stateless_gamma([N], [5, 6], alpha, beta, dtype=tf.float64).numpy()
    _check_gamma_moments(s, alpha, beta)


def test_gamma_each_column_follows_its_parameters():
    a, b = np.array([[0.5, 2.0, 8.0]]), np.array([[2.0], [0.25]])
    x = tf.random.gamma([N], a, b, dtype=tf.float64, seed=4).numpy()
    assert x.shape == (N, 2, 3)
    for i in range(2):
        for j in range(3):
            _check_gamma_moments(x[:, i, j], a[0, j], b[i, 0])


@pytest.mark.parametrize("lam", [0.5, 4.0, 150.0])
def test_poisson_moments(lam):
    for x in (tf.random.poisson([N], lam, dtype=tf.float64, seed=12).numpy(),
              tf.random.stateless_poisson([N], [7, 8], lam, dtype=tf.int64).numpy()):
        x = np.asarray(x, np.float64)
        assert (x == np.round(x)).all() and (x >= 0).all()
        _within(x.mean(), lam, np.sqrt(lam / N))
        _within(x.var(), lam, np.sqrt((lam + 2 * lam ** 2) / N))


def test_poisson_zero_and_negative_rates():
    x = tf.random.poisson([5], [0.0, -1.0], seed=1).numpy()
    assert (x[:, 0] == 0).all() and np.isnan(x[:, 1]).all()


# -- seeds -----------------------------------------------------------------------------------
def test_stateful_seed_rules():
    tf.random.set_seed(3)
    a = tf.random.gamma([4], 2.0).numpy(), tf.random.poisson([4], 2.0).numpy()
    tf.random.set_seed(3)
    b = tf.random.gamma([4], 2.0).numpy(), tf.random.poisson([4], 2.0).numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # an op seed continues its sequence
    c, d = tf.random.gamma([50], 2.0, seed=9).numpy(), tf.random.gamma([50], 2.0, seed=9).numpy()
    assert not np.array_equal(c, d)


def test_stateless_ops_depend_on_the_seed_only():
    tf.random.set_seed(1)
    g = tf.random.stateless_gamma([50, 2], [1, 2], [1.0, 3.0]).numpy()
    p = tf.random.stateless_poisson([50], [1, 2], 3.0).numpy()
    tf.random.set_seed(99)
    np.testing.assert_array_equal(g, tf.random.stateless_gamma([50, 2], [1, 2], [1.0, 3.0]))
    np.testing.assert_array_equal(p, tf.random.stateless_poisson([50], [1, 2], 3.0))
    assert not np.array_equal(g, tf.random.stateless_gamma([50, 2], [1, 3], [1.0, 3.0]))
    traced = tf.function(lambda: tf.random.stateless_gamma([50, 2], [1, 2], [1.0, 3.0]))
    np.testing.assert_array_equal(traced(), g)
    np.testing.assert_array_equal(traced(), g)


def test_traced_gamma_draws_fresh_values():
    f = tf.function(lambda a: tf.random.gamma([20], a, seed=5))
    a = tf.constant([1.0, 2.0])
    x, y = f(a).numpy(), f(a).numpy()
    assert x.shape == (20, 2) and not np.array_equal(x, y)


# -- gradients -------------------------------------------------------------------------------
def test_random_gamma_grad_matches_the_quantile_derivative():
    alpha = np.array([0.05, 0.5, 1.0, 2.0, 7.0, 30.0])
    sample = np.array([1e-8, 0.2, 1.3, 0.7, 9.0, 26.0])
    got = random_gamma_ops._gamma_grad_kernel(alpha, sample)
    np.testing.assert_allclose(got, gamma_sample_grad(alpha, sample), rtol=1e-6)
    # float32 in, float32 out; alpha <= 0 has no distribution
    out = random_gamma_ops._gamma_grad_kernel(np.float32([2.0, 0.0]), np.float32([1.0, 1.0]))
    assert out.dtype == np.float32 and np.isnan(out[1])


@pytest.mark.parametrize("stateless", [False, True])
def test_gamma_gradient_is_unbiased(stateless):
    # one sample per distribution: the gradient w.r.t. alpha is the per-sample derivative
    a0, b0 = 2.5, 2.0
    alpha = tf.constant(np.full(N, a0))
    beta = tf.constant(np.full(N, b0))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([alpha, beta])
        if stateless:
            x = tf.random.stateless_gamma([N], [3, 4], alpha, beta, dtype=tf.float64)
        else:
            x = tf.random.gamma([], alpha, beta, dtype=tf.float64, seed=13)
        sq = x * x
    dx = tape.gradient(x, alpha).numpy()
    d2 = tape.gradient(sq, alpha).numpy()
    _within(dx.mean(), 1 / b0, dx.std() / np.sqrt(N))
    _within(d2.mean(), (2 * a0 + 1) / b0 ** 2, d2.std() / np.sqrt(N))
    # beta is a scale: dx/dbeta = -x / beta exactly
    np.testing.assert_allclose(tape.gradient(x, beta).numpy(), -x.numpy() / b0, rtol=1e-12)


def test_gamma_gradient_sums_over_sample_axes():
    alpha = tf.Variable([[1.0, 4.0]])
    with tf.GradientTape() as tape:
        x = tf.random.gamma([30, 2], alpha, seed=2)
    g = tape.gradient(x, alpha)
    ref = gamma_sample_grad(np.array([[1.0, 4.0]]), x.numpy().astype(np.float64))
    assert g.shape == [1, 2]
    np.testing.assert_allclose(g.numpy(), ref.sum(axis=(0, 1)).reshape(1, 2), rtol=1e-4)


def test_gamma_gradient_inside_tf_function():
    @tf.function
    def grad(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            x = tf.random.stateless_gamma([8, 2], [1, 1], a)
        return x, tape.gradient(x, a)

    a = tf.constant([0.7, 3.0])
    x, g = grad(a)
    ref = gamma_sample_grad(np.float64([0.7, 3.0]), x.numpy().astype(np.float64)).sum(0)
    np.testing.assert_allclose(g.numpy(), ref, rtol=1e-4)


def test_poisson_has_no_gradient():
    lam = tf.constant([2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(lam)
        x = tf.random.poisson([4], lam)
    assert tape.gradient(x, lam) is None


def test_docstring_examples():
    result = doctest.testmod(random_gamma_ops, extraglobs={"tf": tf})
    assert result.attempted > 0 and result.failed == 0


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
PARITY = r'''
import json, sys
import numpy as np
import {module} as tf
out = {{}}
def spec(name, t):
    out[name] = [list(t.shape), t.dtype.name]
spec("gamma", tf.random.gamma([7, 5], [[1.], [3.], [5.]], beta=[[3., 4.]], seed=1))
spec("gamma64", tf.random.gamma([2], [1., 2.], dtype=tf.float64))
spec("poisson", tf.random.poisson([10], [1, 5], dtype=tf.int64))
spec("poisson_int_rate", tf.random.poisson([3], tf.constant([1, 5])))
spec("sgamma", tf.random.stateless_gamma([7, 5, 2], seed=[12, 34], alpha=[.5, 1.5]))
spec("spoisson", tf.random.stateless_poisson([30, 3, 1], [12, 34], lam=[[1.], [3.], [5.]]))
spec("spoisson_f", tf.random.stateless_poisson([4], [1, 2], 2.0, dtype=tf.float16))
a = tf.constant([0.5, 1.0, 2.0, 10.0, 0.1], tf.float64)
x = tf.constant([0.3, 1.0, 2.5, 9.0, 1e-5], tf.float64)
if "{module}" == "tensorflow":
    out["grad"] = tf.raw_ops.RandomGammaGrad(alpha=a, sample=x).numpy().tolist()
else:
    from rill.ops.random_gamma_ops import RANDOM_GAMMA_GRAD, execute
    out["grad"] = execute(RANDOM_GAMMA_GRAD, (a, x)).numpy().tolist()
print(json.dumps(out))
'''


def _run(python, module):
    return run_json(python, PARITY.format(module=module))


def test_parity_with_tensorflow():
    theirs = _run(require_tf_python(), "tensorflow")
    ours = _run(sys.executable, "rill")
    for key in theirs:
        if key == "grad":
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6)
        else:
            assert ours[key] == theirs[key], key
