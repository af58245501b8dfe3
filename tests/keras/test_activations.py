"""keras.activations: every function against its NumPy formula (including extreme inputs),
gradients against central differences, get/serialize/deserialize, the chapter's custom
activation, and (optionally) values against real TensorFlow."""

import json
import math
import os
import subprocess

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras import activations as A
from tests.keras.chapter_code import my_softplus

X = np.array([-30.0, -4.0, -3.0, -1.0, -0.3, 0.0, 0.3, 1.0, 3.0, 4.0, 30.0])
_erf = np.vectorize(math.erf)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def sig(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0, x)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


REFERENCES = {
    "relu": (A.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (A.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "relu6": (A.relu6, lambda x: np.clip(x, 0, 6)),
    "elu": (A.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "selu": (A.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA *
                                                     np.expm1(np.minimum(x, 0)))),
    "celu": (A.celu, lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0)))),
    "sigmoid": (A.sigmoid, sig),
    "hard_sigmoid": (A.hard_sigmoid, lambda x: np.clip((x + 3) / 6, 0, 1)),
    "log_sigmoid": (A.log_sigmoid, lambda x: -np.logaddexp(0, -x)),
    "sparse_sigmoid": (A.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1)),
    "tanh": (A.tanh, np.tanh),
    "hard_tanh": (A.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "tanh_shrink": (A.tanh_shrink, lambda x: x - np.tanh(x)),
    "hard_shrink": (A.hard_shrink, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    "soft_shrink": (A.soft_shrink, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
    "softplus": (A.softplus, softplus),
    "sparse_plus": (A.sparse_plus, lambda x: np.where(x <= -1, 0, np.where(x >= 1, x,
                                                                           (x + 1) ** 2 / 4))),
    "squareplus": (A.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    "softsign": (A.softsign, lambda x: x / (1 + np.abs(x))),
    "exponential": (A.exponential, np.exp),
    "linear": (A.linear, lambda x: x),
    "gelu": (A.gelu, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "silu": (A.silu, lambda x: x * sig(x)),
    "hard_silu": (A.hard_silu, lambda x: x * np.clip((x + 3) / 6, 0, 1)),
    "mish": (A.mish, lambda x: x * np.tanh(softplus(x))),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_numpy(name, dtype):
    fn, ref = REFERENCES[name]
    x = X.astype(dtype)
    out = fn(tf.constant(x))
    assert out.dtype == tf.as_dtype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), ref(X), rtol=tol, atol=tol)
    assert np.all(np.isfinite(out.numpy())) or name == "exponential"


def test_relu_generalized():
    def ref(x, slope, max_value, thr):
        pos = np.where(x > thr, x if max_value is None else np.minimum(x, max_value), 0.0)
        return pos + np.where(x > thr, 0.0, slope * (x - thr))

    for slope, max_value, thr in [(0.1, None, 0.0), (0.0, 2.0, 0.0), (0.0, None, 1.0),
                                  (0.1, 2.0, 0.5), (0.1, None, 1.0)]:
        out = A.relu(tf.constant(X), negative_slope=slope, max_value=max_value, threshold=thr)
        np.testing.assert_allclose(out.numpy(), ref(X, slope, max_value, thr), atol=1e-12)
    # tf.keras 2's name of the slope
    np.testing.assert_allclose(A.relu(X, alpha=0.3).numpy(), np.where(X > 0, X, 0.3 * X))
    np.testing.assert_allclose(A.leaky_relu(X, negative_slope=0.1).numpy(),
                               np.where(X > 0, X, 0.1 * X))


def test_parameterized_activations():
    np.testing.assert_allclose(A.elu(X, alpha=0.5).numpy(),
                               np.where(X > 0, X, 0.5 * np.expm1(np.minimum(X, 0))))
    np.testing.assert_allclose(A.celu(X, alpha=2.0).numpy(),
                               np.maximum(X, 0) + np.minimum(0, 2 * np.expm1(np.minimum(X, 0)
                                                                             / 2)))
    approx = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(A.gelu(X, approximate=True).numpy(), approx, atol=1e-12)
    np.testing.assert_allclose(A.threshold(X, 0.5, -1.0).numpy(), np.where(X > 0.5, X, -1.0))
    np.testing.assert_allclose(A.hard_shrink(X, 2.0).numpy(), np.where(np.abs(X) > 2, X, 0))
    np.testing.assert_allclose(A.squareplus(X, b=1).numpy(), (X + np.sqrt(X * X + 1)) / 2)
    g = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(A.glu(g).numpy(), g[:, :2] * sig(g[:, 2:]))
    np.testing.assert_allclose(A.glu(g.T, axis=0).numpy(), (g[:, :2] * sig(g[:, 2:])).T)


def test_softmax_family():
    x = np.random.default_rng(0).normal(size=(3, 4)) * 10
    for axis in (-1, 0):
        np.testing.assert_allclose(A.softmax(x, axis=axis).numpy(), softmax(x, axis))
        np.testing.assert_allclose(A.log_softmax(x, axis=axis).numpy(),
                                   np.log(softmax(x, axis)), atol=1e-12)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(A.softmax(x, axis=(0, 1)).numpy(), e / e.sum())
    np.testing.assert_allclose(A.softmax(np.array([1000.0, 0.0])).numpy(), [1.0, 0.0])
    np.testing.assert_allclose(A.softmax(np.array([1.0, 2.0, 3.0])).numpy(),
                               softmax(np.array([1.0, 2.0, 3.0])))


def sparsemax_by_bisection(z):
    """The projection onto the simplex: max(z - tau, 0) with tau solving sum = 1."""
    lo, hi = z.min() - 1, z.max()
    for _ in range(200):
        tau = (lo + hi) / 2
        lo, hi = (tau, hi) if np.maximum(z - tau, 0).sum() > 1 else (lo, tau)
    return np.maximum(z - (lo + hi) / 2, 0)


def test_sparsemax():
    x = np.array([[1.0, 2.0, 3.0], [0.1, 0.2, 0.15], [0.5, 0.4, -2.0]])
    out = A.sparsemax(x).numpy()
    expected = np.stack([sparsemax_by_bisection(r) for r in x])
    np.testing.assert_allclose(out, expected, atol=1e-9)
    np.testing.assert_allclose(A.sparsemax(x.T, axis=0).numpy(), expected.T, atol=1e-9)


@pytest.mark.parametrize("fn", [
    A.sigmoid, A.tanh, A.softplus, A.softsign, A.selu, A.elu, A.gelu, A.silu, A.mish,
    A.log_sigmoid, A.squareplus, lambda x: A.gelu(x, approximate=True),
    lambda x: A.elu(x, alpha=0.5), lambda x: A.celu(x, alpha=2.0),
    lambda x: A.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5),
    A.hard_sigmoid, A.hard_silu, A.sparse_plus,
])
def test_gradients_match_central_differences(fn):
    # points kept away from the kinks (0, +-1, 0.5, 2, +-3)
    x = np.array([-5.2, -2.3, -0.7, -0.2, 0.2, 0.8, 1.6, 2.4, 4.1])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(fn(xt))
    h = 1e-6
    numeric = (fn(tf.constant(x + h)).numpy() - fn(tf.constant(x - h)).numpy()) / (2 * h)
    np.testing.assert_allclose(tape.gradient(y, xt).numpy(), numeric, rtol=1e-5, atol=1e-7)


def test_softmax_gradient():
    x = tf.constant([[0.3, -1.2, 2.0]], tf.float64)
    w = tf.constant([[1.0, 2.0, -1.0]], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(A.softmax(x) * w)
    s = softmax(x.numpy())
    expected = s * (w.numpy() - (s * w.numpy()).sum())  # J^T w for J = diag(s) - s s^T
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected, atol=1e-12)


def test_inside_tf_function():
    f = tf.function(lambda x: A.get("gelu")(x) + A.hard_sigmoid(x))
    ref = REFERENCES["gelu"][1](X) + np.clip((X + 3) / 6, 0, 1)
    np.testing.assert_allclose(f(tf.constant(X)).numpy(), ref, atol=1e-12)


# -- get / serialize / deserialize ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(A._module_objects()))
def test_round_trip_every_builtin(name):
    fn = A.get(name)
    assert A.deserialize(A.serialize(fn)) is fn
    assert A.serialize(fn) == fn.__name__
    config = {"module": "keras.activations", "class_name": "function", "config": fn.__name__,
              "registered_name": fn.__name__}
    assert A.get(config) is fn and A.deserialize(json.loads(json.dumps(config))) is fn
    assert fn._keras_module == "keras.activations"


def test_get_and_aliases():
    assert A.get(None) is A.linear and A.get("linear") is A.linear
    x = tf.constant([1.0])
    assert A.linear(x) is x
    assert A.get("swish") is A.silu and A.get("hard_swish") is A.hard_silu
    assert A.serialize(A.swish) == "silu"
    assert A.get(tf.nn.relu) is tf.nn.relu
    with pytest.raises(ValueError, match="Could not locate activation function 'relux'"):
        A.get("relux")
    with pytest.raises(ValueError, match="Could not interpret activation function"):
        A.get(42)


# -- the chapter's custom activation ----------------------------------------------------------
def test_chapter_custom_activation():
    assert A.get(my_softplus) is my_softplus
    x = np.array([-2.0, 0.0, 3.0], np.float32)
    np.testing.assert_allclose(my_softplus(tf.constant(x)).numpy(), A.softplus(x).numpy(),
                               rtol=1e-6)
    config = A.serialize(my_softplus)
    assert config["class_name"] == "function" and config["config"] == "my_softplus"
    assert A.deserialize(config, custom_objects={"my_softplus": my_softplus}) is my_softplus
    with pytest.raises(ValueError, match="my_softplus"):
        A.deserialize(json.loads(json.dumps(config)))
    # the chapter's alternatives to an exponential layer
    assert A.get("exponential") is A.exponential
    np.testing.assert_allclose(A.get("exponential")(x).numpy(), np.exp(x), rtol=1e-6)


def test_registered_custom_activation():
    @keras.saving.register_keras_serializable(package="test_activations")
    def scaled_tanh(x):
        return 2 * tf.tanh(x)

    config = A.serialize(scaled_tanh)
    assert A.deserialize(json.loads(json.dumps(config))) is scaled_tanh


def test_layer_configs_deserialize_through_keras_layers():
    layers = pytest.importorskip("rill.keras.layers")
    if not hasattr(layers, "LeakyReLU"):
        pytest.skip("keras.layers.LeakyReLU is not available yet")
    act = A.get({"class_name": "LeakyReLU", "config": {"negative_slope": 0.1}})
    np.testing.assert_allclose(act(np.array([-1.0, 2.0], np.float32)).numpy(), [-0.1, 2.0])


def test_docstrings_run():
    import doctest

    result = doctest.testmod(A, extraglobs={"tf": tf, "keras": keras, "np": np})
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.skipif(not os.environ.get("RILL_TF_PYTHON"), reason="RILL_TF_PYTHON not set")
def test_values_match_tensorflow():
    names = sorted(n for n in A._FUNCTIONS if n not in ("glu", "threshold", "sparsemax"))
    code = ("import json, numpy as np, keras\nA = keras.activations\n"
            f"x = np.array({X.tolist()}, dtype='float32')\n"
            f"print(json.dumps({{n: np.asarray(getattr(A, n)(x)).tolist() for n in {names}}}))")
    run = subprocess.run([os.environ["RILL_TF_PYTHON"], "-c", code], capture_output=True,
                         text=True, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    for name in names:
        ours = getattr(A, name)(tf.constant(X.astype(np.float32))).numpy()
        np.testing.assert_allclose(ours, theirs[name], rtol=2e-5, atol=1e-6, err_msg=name)
