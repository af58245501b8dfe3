"""Activation layers against NumPy."""

import numpy as np
import pytest

from rill import keras

X = np.array([[-3.0, -0.5, 0.0, 0.2, 1.0, 2.5, 7.0]], np.float32)


@pytest.mark.parametrize("kwargs, ref", [
    ({}, np.maximum(X, 0)),
    ({"max_value": 2.0}, np.clip(X, 0, 2)),
    ({"negative_slope": 0.1}, np.where(X > 0, X, 0.1 * X)),
    # x > threshold passes (capped), below: negative_slope * (x - threshold)
    ({"threshold": 0.5, "negative_slope": 0.2, "max_value": 5.0},
     np.where(X > 0.5, np.minimum(X, 5.0), 0.2 * (X - 0.5))),
])
def test_relu_variants(kwargs, ref):
    np.testing.assert_allclose(keras.layers.ReLU(**kwargs)(X).numpy(), ref, rtol=1e-6)


def test_relu_arguments_are_checked():
    with pytest.raises(ValueError, match="(?s)max_value must be a number >= 0.*hint"):
        keras.layers.ReLU(max_value=-1.0)


def test_leaky_relu_and_its_tf_keras_2_alpha():
    np.testing.assert_allclose(keras.layers.LeakyReLU()(X).numpy(), np.where(X > 0, X, 0.3 * X),
                               rtol=1e-6)
    old = keras.layers.LeakyReLU(alpha=0.1)
    np.testing.assert_allclose(old(X).numpy(), np.where(X > 0, X, 0.1 * X), rtol=1e-6)
    assert old.get_config()["negative_slope"] == 0.1 and old.alpha == 0.1


def test_prelu_learns_one_slope_per_unit_or_shared(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    layer = keras.layers.PReLU(shared_axes=[1])
    layer(x)
    alpha = rng.standard_normal((1, 4)).astype(np.float32)
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).numpy(), np.where(x > 0, x, alpha * x), rtol=1e-6)
    assert keras.layers.PReLU()(x).shape == (2, 3, 4)


def test_elu_and_softmax():
    np.testing.assert_allclose(keras.layers.ELU(alpha=0.5)(X).numpy(),
                               np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), rtol=1e-6)
    e = np.exp(X - X.max())
    np.testing.assert_allclose(keras.layers.Softmax()(X).numpy(), e / e.sum(), rtol=1e-6)
    mask = np.array([[True, True, False, True, False, True, False]])
    y = keras.layers.Softmax()(X, mask=mask).numpy()
    em = np.where(mask, np.exp(X), 0)
    np.testing.assert_allclose(y, em / em.sum(), rtol=1e-5, atol=1e-7)
    x3 = X.reshape(1, 7, 1)
    y3 = keras.layers.Softmax(axis=[1, 2])(x3).numpy()
    np.testing.assert_allclose(y3, np.exp(x3) / np.exp(x3).sum(), rtol=1e-5)
