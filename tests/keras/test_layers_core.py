"""Dense, Activation, Identity and Lambda against NumPy."""

import numpy as np
import pytest

import rill as tf
from rill import keras
from tests.keras.chapter_code import (
    my_glorot_initializer,
    my_l1_regularizer,
    my_positive_weights,
    my_softplus,
)


def _dense(units, X, **kwargs):
    layer = keras.layers.Dense(units, **kwargs)
    return layer, layer(X).numpy()


def test_dense_is_x_times_w_plus_b(rng):
    X = rng.standard_normal((5, 4)).astype(np.float32)
    layer, y = _dense(3, X, activation="tanh", bias_initializer="ones")
    W, b = layer.get_weights()
    np.testing.assert_array_equal(b, np.ones(3))
    np.testing.assert_allclose(y, np.tanh(X @ W + b), rtol=1e-5, atol=1e-6)
    limit = np.sqrt(6 / (4 + 3))  # glorot_uniform
    assert np.all(np.abs(W) <= limit)


def test_dense_works_over_the_last_axis_of_higher_rank_inputs(rng):
    X = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    layer, y = _dense(6, X, use_bias=False)
    (W,) = layer.get_weights()
    assert y.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(y, np.einsum("abcd,de->abce", X, W), rtol=1e-5, atol=1e-5)


def test_dense_regularizers_and_constraints(rng):
    X = rng.standard_normal((3, 2)).astype(np.float32)
    layer, y = _dense(2, X, kernel_regularizer=keras.regularizers.L1(0.1),
                      bias_regularizer=keras.regularizers.L2(0.5), bias_initializer="ones",
                      kernel_constraint=keras.constraints.NonNeg())
    W, b = layer.get_weights()
    assert [float(v) for v in layer.losses] == pytest.approx(
        [0.1 * np.abs(W).sum(), 0.5 * (b ** 2).sum()], rel=1e-6)
    assert layer.kernel.constraint is layer.kernel_constraint
    assert layer.bias.constraint is None


def test_dense_with_the_chapters_custom_functions(rng):
    layer = keras.layers.Dense(30, activation=my_softplus,
                               kernel_initializer=my_glorot_initializer,
                               kernel_regularizer=my_l1_regularizer,
                               kernel_constraint=my_positive_weights)
    X = rng.standard_normal((4, 8)).astype(np.float32)
    y = layer(X).numpy()
    W, b = layer.get_weights()
    np.testing.assert_allclose(y, np.log1p(np.exp(X @ W + b)), rtol=1e-5, atol=1e-6)
    assert float(layer.losses[0]) == pytest.approx(0.01 * np.abs(W).sum(), rel=1e-5)
    clipped = layer.kernel.constraint(layer.kernel).numpy()
    np.testing.assert_array_equal(clipped, np.maximum(W, 0))


def test_dense_config_matches_keras_keys():
    config = keras.layers.Dense(3, activation="relu", name="d").get_config()
    # the keys of Keras 3.15's Dense config (plus tf.keras 2's activity_regularizer)
    assert set(config) == {"name", "trainable", "dtype", "units", "activation", "use_bias",
                           "kernel_initializer", "bias_initializer", "kernel_regularizer",
                           "bias_regularizer", "activity_regularizer", "kernel_constraint",
                           "bias_constraint"}
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["activation"] == "relu"


def test_dense_build_errors():
    with pytest.raises(ValueError, match="(?s)last dimension.*hint"):
        keras.layers.Dense(2).build(tf.TensorShape([None, None]))
    with pytest.raises(ValueError, match="(?s)positive integer.*hint"):
        keras.layers.Dense(2.5)


def test_activation_and_identity():
    x = np.array([[-1.0, 0.5, 2.0]], np.float32)
    np.testing.assert_allclose(keras.layers.Activation("sigmoid")(x).numpy(),
                               1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(keras.layers.Activation(tf.nn.relu)(x).numpy(),
                               np.maximum(x, 0))
    np.testing.assert_array_equal(keras.layers.Identity()(x).numpy(), x)


def scale_by(x, factor=1.0):
    return x * factor


def test_lambda_arguments_output_shape_and_named_function_config():
    x = np.array([[1.0, 2.0]], np.float32)
    layer = keras.layers.Lambda(scale_by, arguments={"factor": 3.0})
    np.testing.assert_allclose(layer(x).numpy(), 3 * x)
    config = layer.get_config()
    assert config["function"]["config"] == "scale_by" and config["arguments"] == {"factor": 3.0}
    with pytest.raises(ValueError, match="scale_by"):
        keras.layers.Lambda.from_config(config)
    clone = keras.layers.Lambda.from_config(config, custom_objects={"scale_by": scale_by})
    np.testing.assert_allclose(clone(x).numpy(), 3 * x)
    built_in = keras.layers.Lambda.from_config(keras.layers.Lambda(tf.exp).get_config())
    np.testing.assert_allclose(built_in(x).numpy(), np.exp(x), rtol=1e-6)
    shaped = keras.layers.Lambda(lambda v: tf.reshape(v, (-1, 2, 1)), output_shape=(2, 1))
    assert shaped.compute_output_shape((None, 2)) == (None, 2, 1)
    fn_shaped = keras.layers.Lambda(scale_by, output_shape=lambda s: s)
    assert fn_shaped.compute_output_shape((4, 2)) == (4, 2)


def test_lambda_passes_mask_and_training_when_the_function_takes_them():
    seen = {}

    def fn(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    layer = keras.layers.Lambda(fn)
    layer(np.ones((1, 2), np.float32), training=True, mask=tf.constant([[True, False]]))
    assert seen["training"] is True and seen["mask"].numpy().tolist() == [[True, False]]
    masked = keras.layers.Lambda(lambda x: x, mask=lambda x, m: tf.not_equal(x, 0))
    np.testing.assert_array_equal(masked.compute_mask(tf.constant([0.0, 1.0])).numpy(),
                                  [False, True])
