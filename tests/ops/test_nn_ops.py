"""Tests for tf.nn activations, softmax, cross-entropies and helpers (rill/ops/nn_ops.py):
forward against NumPy, stability at +-1000, errors, shape rules with unknown dimensions,
dropout statistics, and parity with TensorFlow when it is installed. Gradients are checked
numerically (to second order) by specs_nn.py."""

import functools
import json
import math
import subprocess
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rill as tf
from rill._core.errors import InvalidArgumentError

SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805
FLOATS = [np.float32, np.float64]
EXTREME = np.array([[-1000., 0., 1000.], [1000., 1000., -1000.]])


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _grad(fn, *xs):
    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = tf.reduce_sum(fn(*ts))
    return [g.numpy() for g in tape.gradient(y, ts)]


def traced_shape(fn, *specs):
    return tf.function(fn, input_signature=list(specs)).get_concrete_function() \
        .structured_outputs.shape


# -- activations --------------------------------------------------------------------------
ACTIVATIONS = [
    (tf.nn.relu, lambda x: np.maximum(x, 0)),
    (tf.nn.relu6, lambda x: np.clip(x, 0, 6)),
    (tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    (tf.nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0)))),
    (tf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    (lambda x: tf.nn.leaky_relu(x, alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x)),
    (tf.nn.gelu, lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))),
    (lambda x: tf.nn.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    (tf.nn.silu, lambda x: x / (1 + np.exp(-x))),
    (lambda x: tf.nn.swish(x, beta=2.0), lambda x: x / (1 + np.exp(-2 * x))),
    (tf.nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (tf.nn.tanh, np.tanh),
    (tf.nn.softplus, lambda x: np.logaddexp(0, x)),
]


@pytest.mark.parametrize("fn,ref", ACTIVATIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_activations_match_numpy(rng, fn, ref, dtype):
    x = (rng.standard_normal((3, 5)) * 4).astype(dtype)
    out = fn(x)
    assert out.dtype == tf.as_dtype(dtype) and out.shape == x.shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), ref(x.astype(np.float64)), rtol=tol, atol=tol)


@pytest.mark.parametrize("fn", [f for f, _ in ACTIVATIONS])
def test_activations_finite_at_extremes(fn):
    out = fn(EXTREME.astype(np.float32)).numpy()
    assert np.all(np.isfinite(out))
    g = _grad(fn, EXTREME)[0]
    assert np.all(np.isfinite(g))


def test_relu_on_integers_and_gradient_at_zero():
    out = tf.nn.relu(np.array([-2, 0, 3], np.int32))
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), [0, 0, 3])
    np.testing.assert_array_equal(tf.nn.relu6(np.array([-1, 3, 9], np.int64)).numpy(), [0, 3, 6])
    # TensorFlow's subgradients at the kinks: relu 0, relu6 0 at both ends, elu 1, selu scale
    x = np.array([0., 6.])
    np.testing.assert_array_equal(_grad(tf.nn.relu, x)[0], [0, 1])
    np.testing.assert_array_equal(_grad(tf.nn.relu6, x)[0], [0, 0])
    np.testing.assert_allclose(_grad(tf.nn.elu, np.array([0.]))[0], [1.])
    np.testing.assert_allclose(_grad(tf.nn.selu, np.array([0.]))[0], [SELU_S])


@pytest.mark.parametrize("fn,ref", ACTIVATIONS)
def test_activations_on_scalars_and_their_gradients(fn, ref):
    for v in (-1.5, 0.0, 2.0):
        np.testing.assert_allclose(fn(tf.constant(v)).numpy(), ref(np.array(v)), rtol=1e-6)
        x = tf.constant(v, tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        eps = 1e-6
        want = (ref(np.array(v + eps)) - ref(np.array(v - eps))) / (2 * eps)
        if v != 0.0:  # kinks at 0
            np.testing.assert_allclose(tape.gradient(y, x).numpy(), want, rtol=1e-4)


def test_elu_gradient_of_a_nan_output_is_the_incoming_gradient():
    # TensorFlow's EluGrad: (y < 0) ? dy * (y + 1) : dy
    dy = tf.constant([2.0, 3.0, 4.0])
    y = tf.constant([np.nan, -0.5, 1.0])
    from rill._core.op import execute
    from rill.ops.nn_ops import ELU_GRAD
    np.testing.assert_array_equal(execute(ELU_GRAD, (dy, y)).numpy(), [2.0, 1.5, 4.0])


@pytest.mark.parametrize("fn", [tf.nn.elu, tf.nn.selu, tf.nn.gelu, tf.nn.silu,
                                tf.nn.leaky_relu, tf.nn.softmax])
def test_activations_reject_integers(fn):
    with pytest.raises(InvalidArgumentError, match="int32"):
        fn(np.array([1, 2], np.int32))


# -- softmax ------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, -1, 0, 1])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_and_log_softmax(rng, axis, dtype):
    x = (rng.standard_normal((3, 4)) * 3).astype(dtype)
    ax = -1 if axis is None else axis
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(tf.nn.softmax(x, axis=axis).numpy(), _softmax(x, ax),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(tf.nn.log_softmax(x, axis=axis).numpy(),
                               np.log(_softmax(x.astype(np.float64), ax)), rtol=tol, atol=tol)


def test_softmax_stable_at_extremes():
    p = tf.nn.softmax(EXTREME.astype(np.float32)).numpy()
    np.testing.assert_allclose(p, [[0, 0, 1], [.5, .5, 0]], atol=1e-7)
    lp = tf.nn.log_softmax(EXTREME.astype(np.float32)).numpy()
    np.testing.assert_allclose(lp, [[-2000, -1000, 0], [-np.log(2), -np.log(2), -2000 - np.log(2)]],
                               rtol=1e-6)
    for fn in (tf.nn.softmax, tf.nn.log_softmax):
        assert np.all(np.isfinite(_grad(fn, EXTREME)[0]))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-50, 50)))
def test_softmax_properties(x):
    p = tf.nn.softmax(x).numpy()
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(tf.nn.log_softmax(x).numpy(), np.log(p), rtol=1e-9, atol=1e-9)


def test_softmax_axis_errors():
    with pytest.raises(InvalidArgumentError, match="out of range"):
        tf.nn.softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(InvalidArgumentError, match="scalar"):
        tf.nn.softmax(np.float32(1.0))


# -- cross-entropies ----------------------------------------------------------------------
def test_sigmoid_cross_entropy(rng):
    z = rng.uniform(0, 1, (3, 4))
    x = rng.standard_normal((3, 4)) * 3
    want = -z * np.log(1 / (1 + np.exp(-x))) - (1 - z) * np.log(1 - 1 / (1 + np.exp(-x)))
    out = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)
    z32 = np.array([[1., 0., 1.], [0., 1., 0.]], np.float32)
    out = tf.nn.sigmoid_cross_entropy_with_logits(labels=z32, logits=EXTREME.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), [[1000, np.log(2), 0], [1000, 0, 0]], rtol=1e-6)
    gz, gx = _grad(lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                   z32.astype(np.float64), EXTREME)
    np.testing.assert_allclose(gx, [[-1, 0.5, 0], [1, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(gz, -EXTREME)


def test_sigmoid_cross_entropy_errors():
    with pytest.raises(ValueError, match="both labels and logits"):
        tf.nn.sigmoid_cross_entropy_with_logits(logits=np.ones(2))
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=np.ones(3), logits=np.ones(2))
    with pytest.raises(InvalidArgumentError, match="float32"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=np.ones(2, np.float32),
                                                logits=np.ones(2))


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_cross_entropy(rng, dtype):
    z = rng.uniform(0.1, 1, (3, 4))
    z /= z.sum(-1, keepdims=True)
    x = rng.standard_normal((3, 4)) * 3
    out = tf.nn.softmax_cross_entropy_with_logits(z.astype(dtype), x.astype(dtype))
    assert out.dtype == tf.as_dtype(dtype) and out.shape == (3,)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), -(z * np.log(_softmax(x))).sum(-1), rtol=tol)
    out0 = tf.nn.softmax_cross_entropy_with_logits(z.T, x.T, axis=0)
    np.testing.assert_allclose(out0.numpy(), -(z * np.log(_softmax(x))).sum(-1), rtol=1e-12)


def test_softmax_cross_entropy_stable_and_gradient():
    z = np.array([[0., 0., 1.], [0., 1., 0.]])
    out = tf.nn.softmax_cross_entropy_with_logits(z.astype(np.float32),
                                                  EXTREME.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), [0., np.log(2)], rtol=1e-6)
    gz, gx = _grad(tf.nn.softmax_cross_entropy_with_logits, z, EXTREME)
    np.testing.assert_allclose(gx, _softmax(EXTREME) - z, atol=1e-12)
    assert np.all(np.isfinite(gz))
    with pytest.raises(InvalidArgumentError, match="same shape"):
        tf.nn.softmax_cross_entropy_with_logits(np.ones((2, 3)), np.ones((2, 4)))


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_sparse_softmax_cross_entropy(rng, label_dtype):
    x = rng.standard_normal((2, 3, 5)) * 3
    y = rng.integers(0, 5, (2, 3)).astype(label_dtype)
    out = tf.nn.sparse_softmax_cross_entropy_with_logits(y, x)
    want = -np.log(np.take_along_axis(_softmax(x), y[..., None].astype(int), -1))[..., 0]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    gx = _grad(lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(y, x), x)[0]
    np.testing.assert_allclose(gx, _softmax(x) - np.eye(5)[y], atol=1e-12)


def test_sparse_softmax_cross_entropy_extremes_and_errors():
    out = tf.nn.sparse_softmax_cross_entropy_with_logits([2, 0],
                                                         EXTREME.astype(np.float32))
    np.testing.assert_allclose(out.numpy(), [0, np.log(2)], rtol=1e-6)
    assert np.all(np.isfinite(_grad(
        lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits([2, 0], x), EXTREME)[0]))
    with pytest.raises(InvalidArgumentError, match=r"label value of 5 .* \[0, 3\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([5, 0], np.ones((2, 3)))
    with pytest.raises(InvalidArgumentError, match="label value of -1"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([-1, 0], np.ones((2, 3)))
    with pytest.raises(InvalidArgumentError, match="int32 or int64"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([1., 0.], np.ones((2, 3)))
    with pytest.raises(ValueError, match="without its last"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([[1, 0]], np.ones((2, 3)))


def test_weighted_cross_entropy_and_poisson(rng):
    z, x = rng.uniform(0, 1, (3, 4)), rng.standard_normal((3, 4)) * 3
    s = 1 / (1 + np.exp(-x))
    want = -(2.5 * z * np.log(s) + (1 - z) * np.log(1 - s))
    np.testing.assert_allclose(tf.nn.weighted_cross_entropy_with_logits(z, x, 2.5).numpy(),
                               want, rtol=1e-10)
    t = rng.uniform(0, 3, (4,))
    c = rng.standard_normal(4)
    np.testing.assert_allclose(tf.nn.log_poisson_loss(t, c).numpy(), np.exp(c) - t * c)
    full = tf.nn.log_poisson_loss(t, c, compute_full_loss=True).numpy()
    stirling = np.where(t > 1, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t), 0)
    np.testing.assert_allclose(full, np.exp(c) - t * c + stirling, rtol=1e-10)


# -- bias, normalization, regularization --------------------------------------------------
def test_bias_add(rng):
    x, b = rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(tf.nn.bias_add(x, b).numpy(), x + b)
    xc, bc = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(3)
    np.testing.assert_allclose(tf.nn.bias_add(xc, bc, data_format="NCHW").numpy(),
                               xc + bc[:, None, None])
    gx, gb = _grad(lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"), xc, bc)
    np.testing.assert_allclose(gb, np.full(3, 40.))
    with pytest.raises(InvalidArgumentError, match="does not match"):
        tf.nn.bias_add(x, np.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        tf.nn.bias_add(x, np.ones((1, 4)))
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.nn.bias_add(np.ones(4), np.ones(4))


def test_l2_loss_normalize_moments(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(tf.nn.l2_loss(x).numpy(), 0.5 * np.sum(x * x))
    np.testing.assert_allclose(tf.nn.l2_normalize(x, axis=1).numpy(),
                               x / np.linalg.norm(x, axis=1, keepdims=True))
    np.testing.assert_allclose(tf.nn.l2_normalize(np.zeros(3)).numpy(), np.zeros(3))
    mean, var = tf.nn.moments(x, axes=[0])
    np.testing.assert_allclose(mean.numpy(), x.mean(0))
    np.testing.assert_allclose(var.numpy(), x.var(0))
    mean, var = tf.nn.moments(x, axes=[0, 1], keepdims=True)
    assert mean.shape == (1, 1) and var.shape == (1, 1)
    h = x.astype(np.float16)
    mean, var = tf.nn.moments(h, axes=[1])
    assert mean.dtype == tf.float16
    np.testing.assert_allclose(var.numpy(), h.astype(np.float32).var(1), rtol=1e-2)


def test_batch_normalization_and_misc(rng):
    x = rng.standard_normal((4, 3))
    m, v = x.mean(0), x.var(0)
    out = tf.nn.batch_normalization(x, m, v, offset=1.0, scale=2.0, variance_epsilon=1e-3)
    np.testing.assert_allclose(out.numpy(), (x - m) / np.sqrt(v + 1e-3) * 2 + 1, rtol=1e-10)
    np.testing.assert_allclose(tf.nn.crelu(np.array([-1., 2.])).numpy(), [0, 2, 1, 0])
    np.testing.assert_allclose(tf.nn.zero_fraction(np.array([0., 1., 0., 2.])).numpy(), 0.5)
    np.testing.assert_allclose(tf.nn.compute_average_loss(np.array([1., 2., 3.])).numpy(), 2.0)
    np.testing.assert_allclose(tf.nn.compute_average_loss(np.array([1., 3.]),
                                                          global_batch_size=4).numpy(), 1.0)
    params = rng.standard_normal((5, 3))
    np.testing.assert_allclose(tf.nn.embedding_lookup(params, [3, 1]).numpy(), params[[3, 1]])
    mean, var = tf.nn.normalize_moments(4.0, np.array([8.]), np.array([20.]), None)
    np.testing.assert_allclose([mean.numpy()[0], var.numpy()[0]], [2.0, 1.0])


# -- dropout ------------------------------------------------------------------------------
def test_dropout_scales_kept_units():
    x = np.ones((200, 50), np.float32)
    out = tf.nn.dropout(x, rate=0.25, seed=1).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert 0.70 < kept.mean() < 0.80
    assert tf.nn.dropout(x, rate=0.0) is not None
    np.testing.assert_array_equal(tf.nn.dropout(x, rate=0.0).numpy(), x)


def test_dropout_noise_shape_and_tensor_rate():
    x = np.ones((50, 40), np.float32)
    out = tf.nn.dropout(x, 0.5, noise_shape=[50, 1]).numpy()
    assert np.all(out == out[:, :1])  # one decision per row
    out = tf.nn.dropout(x, 0.5, noise_shape=[None, 1]).numpy()
    assert np.all(out == out[:, :1])
    out = tf.nn.dropout(x, tf.constant(0.5)).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}


def test_dropout_gradient_and_errors():
    x = tf.constant(np.ones((10, 10)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.dropout(x, 0.5)
        total = tf.reduce_sum(y)
    g = tape.gradient(total, x).numpy()
    np.testing.assert_array_equal(g, y.numpy())  # x is ones: dy/dx is the mask times 2
    with pytest.raises(ValueError, match=r"range \[0, 1\)"):
        tf.nn.dropout(x, 1.0)
    with pytest.raises(ValueError, match="floating-point"):
        tf.nn.dropout(np.ones(3, np.int32), 0.5)


# -- rules with unknown dimensions --------------------------------------------------------
def test_rules_with_unknown_dims():
    f32 = tf.float32
    assert traced_shape(tf.nn.relu, tf.TensorSpec([None, 3], f32)).as_list() == [None, 3]
    assert traced_shape(lambda x: tf.nn.softmax(x, axis=0),
                        tf.TensorSpec([None, 3], f32)).as_list() == [None, 3]
    assert traced_shape(lambda y, x: tf.nn.sparse_softmax_cross_entropy_with_logits(y, x),
                        tf.TensorSpec([None], tf.int32),
                        tf.TensorSpec([None, 5], f32)).as_list() == [None]
    assert traced_shape(lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x, axis=1),
                        tf.TensorSpec([None, 4, 2], f32),
                        tf.TensorSpec([None, None, 2], f32)).as_list() == [None, 2]
    assert traced_shape(lambda x, b: tf.nn.bias_add(x, b), tf.TensorSpec(None, f32),
                        tf.TensorSpec([3], f32)).rank is None


def test_cross_entropy_gradient_traced(rng):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([None, 4], tf.float64)])
    def grad(y, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))
        return tape.gradient(loss, x)

    x = rng.standard_normal((3, 4))
    y = np.array([0, 3, 1], np.int32)
    np.testing.assert_allclose(grad(tf.constant(y), tf.constant(x)).numpy(),
                               _softmax(x) - np.eye(4)[y], atol=1e-12)


# -- parity with TensorFlow (skipped when it is not installed) ----------------------------
# Each test module registers a script body that fills `out`; all of them run in one
# TensorFlow process (importing TensorFlow takes seconds).
PARITY_SCRIPTS: dict = {}


@functools.cache
def _run_tensorflow(python: str, names: tuple) -> dict:
    parts = "".join(f"def _{name}(out):\n" + textwrap.indent(PARITY_SCRIPTS[name], "    ") +
                    f"\n_{name}(out)\n" for name in names)
    script = f"import json, numpy as np, tensorflow as tf\nout = {{}}\n{parts}" \
             "print(json.dumps(out))\n"
    proc = subprocess.run([python, "-c", script], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode:
        return {"error": proc.stderr[-800:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def tensorflow_results(tf_python: str) -> dict:
    """What TensorFlow (the `tf_python` fixture of tests/conftest.py) computes for every
    registered parity script."""
    out = _run_tensorflow(tf_python, tuple(sorted(PARITY_SCRIPTS)))
    assert "error" not in out, f"the TensorFlow parity scripts failed: {out.get('error')}"
    return out


PARITY_SCRIPTS["nn"] = r"""
x = np.linspace(-4, 4, 17).astype(np.float32)
z = np.linspace(0, 1, 17).astype(np.float32)
out["gelu"] = tf.nn.gelu(x).numpy().tolist()
out["gelu_approx"] = tf.nn.gelu(x, approximate=True).numpy().tolist()
out["selu"] = tf.nn.selu(x).numpy().tolist()
out["elu"] = tf.nn.elu(x).numpy().tolist()
out["leaky"] = tf.nn.leaky_relu(x).numpy().tolist()
out["silu"] = tf.nn.silu(x).numpy().tolist()
out["sig_xent"] = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x).numpy().tolist()
out["l2n"] = tf.nn.l2_normalize(x).numpy().tolist()
out["log_softmax"] = tf.nn.log_softmax(x).numpy().tolist()
"""


@pytest.fixture
def tf_results(tf_python):
    return tensorflow_results(tf_python)


def test_parity_with_tensorflow(tf_results):
    x = np.linspace(-4, 4, 17).astype(np.float32)
    z = np.linspace(0, 1, 17).astype(np.float32)
    mine = {
        "gelu": tf.nn.gelu(x), "gelu_approx": tf.nn.gelu(x, approximate=True),
        "selu": tf.nn.selu(x), "elu": tf.nn.elu(x), "leaky": tf.nn.leaky_relu(x),
        "silu": tf.nn.silu(x),
        "sig_xent": tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
        "l2n": tf.nn.l2_normalize(x), "log_softmax": tf.nn.log_softmax(x),
    }
    for key, val in mine.items():
        np.testing.assert_allclose(val.numpy(), np.array(tf_results[key]), rtol=2e-6,
                                   atol=2e-6, err_msg=key)


def test_docstring_examples():
    import doctest

    from rill.ops import nn_ops
    result = doctest.testmod(nn_ops, extraglobs={"tf": tf, "np": np},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
