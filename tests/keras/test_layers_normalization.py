"""BatchNormalization (moving statistics by hand) and LayerNormalization (NumPy)."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def _bn_numpy(x, mean, var, gamma, beta, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_batch_norm_training_uses_batch_stats_and_updates_moving_ones(rng):
    bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    mm, mv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((8, 3)).astype(np.float32) * [1, 2, 3] + [0, 5, -5]
        y = bn(x, training=True).numpy()
        np.testing.assert_allclose(y, _bn_numpy(x, x.mean(0), x.var(0), 1, 0, 1e-3),
                                   rtol=1e-4, atol=1e-5)
        mm = mm * 0.9 + x.mean(0) * 0.1  # the biased batch variance, as Keras 3
        mv = mv * 0.9 + x.var(0) * 0.1
        np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bn.moving_variance.numpy(), mv, rtol=1e-5, atol=1e-6)
    before = bn.moving_mean.numpy()
    y = bn(x, training=False).numpy()  # inference: the moving statistics, no update
    np.testing.assert_allclose(y, _bn_numpy(x, mm, mv, 1, 0, 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    np.testing.assert_allclose(bn(x).numpy(), y)  # no flag: inference
    assert [w.name.split("/")[-1] for w in bn.weights] == [
        "gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


def test_batch_norm_gamma_beta_and_a_channel_axis(rng):
    bn = keras.layers.BatchNormalization(axis=1, momentum=0.0, gamma_initializer="ones",
                                         beta_initializer="zeros")
    x = rng.standard_normal((4, 2, 5)).astype(np.float32)
    bn(x)
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    bn.set_weights([gamma, beta, np.zeros(2), np.ones(2)])
    y = bn(x, training=True).numpy()
    mean = x.mean(axis=(0, 2))
    var = x.var(axis=(0, 2))
    hand = _bn_numpy(x, mean[None, :, None], var[None, :, None], gamma[None, :, None],
                     beta[None, :, None], 1e-3)
    np.testing.assert_allclose(y, hand, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5)  # momentum 0


def test_frozen_batch_norm_runs_in_inference_mode(rng):
    bn = keras.layers.BatchNormalization()
    x = rng.standard_normal((6, 2)).astype(np.float32) + 3
    bn(x)
    bn.trainable = False
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y, _bn_numpy(x, 0, 1, 1, 0, 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [0, 0])


def test_batch_norm_inside_tf_function_and_a_model(rng):
    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(momentum=0.5)])
    x = rng.standard_normal((10, 3)).astype(np.float32)
    step = tf.function(lambda v: model(v, training=True))
    step(x)
    step(x)
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.75 * x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.25 + 0.75 * x.var(0), rtol=1e-5)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="(?s)axis 3 is out of range.*hint"):
        keras.layers.BatchNormalization(axis=3)(np.ones((2, 3)))
    with pytest.raises(NotImplementedError, match="renorm"):
        keras.layers.BatchNormalization(renorm=True)


def test_layer_norm_matches_numpy(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    ln = keras.layers.LayerNormalization()
    y = ln(x).numpy()
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    ln2 = keras.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    ln2(x)
    gamma = rng.standard_normal((4, 5)).astype(np.float32)
    beta = rng.standard_normal((4, 5)).astype(np.float32)
    ln2.set_weights([gamma, beta])
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(ln2(x).numpy(), gamma * (x - mean) / np.sqrt(var + 1e-5) + beta,
                               rtol=1e-4, atol=1e-5)


def test_layer_norm_rms_scaling(rng):
    x = rng.standard_normal((2, 6)).astype(np.float32)
    ln = keras.layers.LayerNormalization(rms_scaling=True, epsilon=1e-6)
    y = ln(x).numpy()
    assert [w.name.split("/")[-1] for w in ln.weights] == ["gamma:0"]
    hand = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(y, hand, rtol=1e-4, atol=1e-5)
