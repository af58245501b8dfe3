"""keras.constraints: projections against NumPy formulas (axes, epsilon), variables, aliases
(tf.keras 2's `nonneg()`), get/serialize round trips and the chapter's custom constraint."""

import json
import os
import subprocess

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras import constraints as C
from tests.keras.chapter_code import (
    my_glorot_initializer,
    my_l1_regularizer,
    my_positive_weights,
    my_softplus,
)

W = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=np.float32)
EPS = 1e-7  # keras.backend.epsilon()


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), b, rtol=tol, atol=tol)


def norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_max_norm(axis):
    n = norms(W, tuple(axis) if isinstance(axis, list) else axis)
    close(C.MaxNorm(2.0, axis=axis)(W), W * np.clip(n, 0, 2.0) / (EPS + n))
    # weights already inside the ball are unchanged
    close(C.MaxNorm(100.0, axis=axis)(W), W, 1e-5)


@pytest.mark.parametrize("axis", [0, 1])
def test_unit_norm(axis):
    out = np.asarray(C.UnitNorm(axis=axis)(W))
    close(out, W / (EPS + norms(W, axis)))
    close(norms(out, axis), 1.0, 1e-5)


@pytest.mark.parametrize("rate", [1.0, 0.5, 0.0])
def test_min_max_norm(rate):
    n = norms(W, 0)
    desired = rate * np.clip(n, 4.5, 6.0) + (1 - rate) * n
    close(C.MinMaxNorm(4.5, 6.0, rate)(W), W * desired / (EPS + n), 1e-5)


def test_non_neg_and_aliases():
    close(C.NonNeg()(W), np.maximum(W, 0))
    assert isinstance(keras.constraints.nonneg(), C.NonNeg)
    assert C.non_neg is C.NonNeg and C.max_norm is C.MaxNorm and C.unit_norm is C.UnitNorm
    assert C.min_max_norm is C.MinMaxNorm and C.maxnorm is C.MaxNorm
    w = tf.constant([1.5, -0.5], tf.float64)
    assert C.NonNeg()(w).dtype == tf.float64
    assert C.Constraint()(w) is w


def test_conv_kernel_axes():
    k = np.random.default_rng(0).normal(size=(3, 3, 4, 8)).astype(np.float32)
    out = np.asarray(C.MaxNorm(1.0, axis=[0, 1, 2])(k))
    assert out.shape == k.shape
    np.testing.assert_array_less(norms(out, (0, 1, 2)), 1.0 + 1e-5)


def test_variable_update_as_in_the_chapter():
    v = tf.Variable(W)
    v.assign(C.MaxNorm(1.0)(v))
    np.testing.assert_array_less(norms(v.numpy(), 0), 1.0 + 1e-6)


def test_configs_and_round_trip():
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert C.UnitNorm().get_config() == {"axis": 0}
    assert C.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0,
                                           "axis": 0}
    assert C.NonNeg().get_config() == {}
    for c in (C.MaxNorm(3.0, axis=[0, 1]), C.NonNeg(), C.UnitNorm(1),
              C.MinMaxNorm(0.5, 2.0, 0.3, 1)):
        config = C.serialize(c)
        assert config["module"] == "keras.constraints"
        back = C.deserialize(json.loads(json.dumps(config)))
        assert type(back) is type(c) and back.get_config() == c.get_config()
        close(back(W), c(W))


def test_get():
    assert C.get(None) is None
    assert isinstance(C.get("non_neg"), C.NonNeg) and isinstance(C.get("nonneg"), C.NonNeg)
    assert isinstance(C.get("max_norm"), C.MaxNorm) and isinstance(C.get("UnitNorm"),
                                                                   C.UnitNorm)
    assert isinstance(C.get(C.NonNeg), C.NonNeg)
    assert isinstance(C.get({"class_name": "MaxNorm", "config": {"max_value": 3}}), C.MaxNorm)
    with pytest.raises(ValueError, match="Could not locate constraint 'positive'"):
        C.get("positive")
    assert keras.Constraint is C.Constraint


def test_chapter_function_constraint():
    fn = C.get(my_positive_weights)
    assert fn is my_positive_weights
    close(fn(tf.constant(W)), C.nonneg()(W))
    close(fn(tf.constant(W)), tf.nn.relu(W))


def test_custom_subclass():
    class Clip(C.Constraint):
        def __init__(self, limit):
            self.limit = limit

        def __call__(self, w):
            return tf.clip_by_value(w, -self.limit, self.limit)

    c = Clip(2.0)
    assert c.get_config() == {"limit": 2.0}
    back = C.deserialize(C.serialize(c), custom_objects={"Clip": Clip})
    close(back(W), np.clip(W, -2, 2))


def test_docstrings_run():
    import doctest

    result = doctest.testmod(C, extraglobs={"tf": tf, "keras": keras, "np": np})
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.skipif(not os.environ.get("RILL_TF_PYTHON"), reason="RILL_TF_PYTHON not set")
def test_values_match_tensorflow():
    code = ("import json, numpy as np, keras, tensorflow as tf\nC = keras.constraints\n"
            f"w = tf.constant(np.array({W.tolist()}, dtype='float32'))\n"
            "cs = [C.MaxNorm(2.0), C.MaxNorm(3.0, axis=1), C.UnitNorm(), C.MinMaxNorm(1., 2., "
            "0.5), C.NonNeg()]\nprint(json.dumps([np.asarray(c(w)).tolist() for c in cs]))")
    run = subprocess.run([os.environ["RILL_TF_PYTHON"], "-c", code], capture_output=True,
                         text=True, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    ours = [C.MaxNorm(2.0), C.MaxNorm(3.0, axis=1), C.UnitNorm(), C.MinMaxNorm(1., 2., 0.5),
            C.NonNeg()]
    for c, expected in zip(ours, theirs):
        close(c(W), expected, 1e-5)


def test_chapter_dense_layer_with_custom_functions():
    layers = pytest.importorskip("rill.keras.layers")
    if not hasattr(layers, "Dense"):
        pytest.skip("keras.layers.Dense is not available yet")

    layer = keras.layers.Dense(30, activation=my_softplus,
                               kernel_initializer=my_glorot_initializer,
                               kernel_regularizer=my_l1_regularizer,
                               kernel_constraint=my_positive_weights)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    y = layer(x)
    kernel = layer.kernel.numpy()
    close(y, np.logaddexp(0, x @ kernel), 1e-5)
    close(layer.losses[0], 0.01 * np.abs(kernel).sum(), 1e-5)
    for variable in layer.variables:  # the chapter's training-loop step
        if variable.constraint is not None:
            variable.assign(variable.constraint(variable))
    close(layer.kernel, np.maximum(kernel, 0))
