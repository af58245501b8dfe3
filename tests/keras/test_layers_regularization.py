"""Dropout and the noise layers: statistics and scaling in training, identity otherwise."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def test_dropout_zeroes_a_fraction_and_scales_the_rest():
    x = np.ones((100, 100), np.float32)
    y = keras.layers.Dropout(0.2)(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.8)}
    assert abs((y == 0).mean() - 0.2) < 0.02
    np.testing.assert_array_equal(keras.layers.Dropout(0.2)(x).numpy(), x)
    np.testing.assert_array_equal(keras.layers.Dropout(0.0)(x, training=True).numpy(), x)


def test_dropout_noise_shape_shares_the_decision():
    x = np.ones((64, 5, 8), np.float32)
    y = keras.layers.Dropout(0.5, noise_shape=(None, 1, 8))(x, training=True).numpy()
    assert (y == y[:, :1, :]).all()  # one decision per (sample, feature), shared over axis 1
    assert 0.4 < (y == 0).mean() < 0.6


def test_dropout_in_a_functional_model_follows_the_fit_flag():
    inp = keras.Input((50,))
    out = keras.layers.Dense(50, kernel_initializer="identity", use_bias=False)(
        keras.layers.Dropout(0.5)(inp))
    model = keras.Model(inp, out)
    x = np.ones((4, 50), np.float32)
    np.testing.assert_allclose(model(x).numpy(), x)
    y = model(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}


def test_dropout_rate_is_checked():
    with pytest.raises(ValueError, match="(?s)rate=1.5.*hint"):
        keras.layers.Dropout(1.5)


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs(rng):
    x = rng.standard_normal((400, 250)).astype(np.float32)
    y = keras.layers.AlphaDropout(0.2)(x, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.2, atol=1e-5)
    assert abs(dropped.mean() - 0.2) < 0.01  # dropped units take one value
    np.testing.assert_array_equal(keras.layers.AlphaDropout(0.2)(x).numpy(), x)


def test_gaussian_noise_and_gaussian_dropout_statistics():
    x = np.ones((300, 300), np.float32)
    noisy = keras.layers.GaussianNoise(0.5)(x, training=True).numpy()
    assert abs(noisy.mean() - 1) < 0.01 and abs(noisy.std() - 0.5) < 0.01
    scaled = keras.layers.GaussianDropout(0.2)(x, training=True).numpy()
    assert abs(scaled.mean() - 1) < 0.01 and abs(scaled.std() - np.sqrt(0.2 / 0.8)) < 0.01
    np.testing.assert_array_equal(keras.layers.GaussianNoise(0.5)(x, training=False), x)
    np.testing.assert_array_equal(keras.layers.GaussianDropout(0.5)(x), x)


def test_activity_regularization_adds_its_loss_per_sample():
    x = np.array([[1.0, -2.0], [3.0, 0.0]], np.float32)
    layer = keras.layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    hand = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 2
    assert [float(v) for v in layer.losses] == pytest.approx([hand])


def test_seeded_dropout_repeats_with_the_global_seed():
    x = np.ones((10, 10), np.float32)
    tf.random.set_seed(7)
    a = keras.layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    tf.random.set_seed(7)
    b = keras.layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
