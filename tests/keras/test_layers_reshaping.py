"""Flatten, Reshape, Permute and RepeatVector against NumPy."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def test_flatten(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(keras.layers.Flatten()(x).numpy(), x.reshape(2, 12))
    first = keras.layers.Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(first, x.transpose(0, 2, 1).reshape(2, 12))
    assert keras.layers.Flatten()(np.ones(3)).shape == (3, 1)
    assert keras.layers.Flatten().compute_output_shape((None, 2, None)) == (None, None)


def test_flatten_with_an_unknown_sample_dim_inside_tf_function():
    f = tf.function(lambda v: keras.layers.Flatten()(v),
                    input_signature=[tf.TensorSpec([None, None, 2])])
    assert f(np.ones((3, 4, 2), np.float32)).shape == (3, 8)


def test_reshape(rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_array_equal(keras.layers.Reshape((3, 2))(x).numpy(), x.reshape(5, 3, 2))
    np.testing.assert_array_equal(keras.layers.Reshape((-1, 3))(x).numpy(),
                                  x.reshape(5, 2, 3))
    assert keras.layers.Reshape((-1, 3)).compute_output_shape((None, 6)) == (None, 2, 3)
    with pytest.raises(ValueError, match="(?s)total size.*hint"):
        keras.layers.Reshape((4, 2))(x)
    with pytest.raises(ValueError, match="(?s)at most one -1.*hint"):
        keras.layers.Reshape((-1, -1))
    out = keras.layers.Reshape((2, -1))(keras.Input((8,)))
    assert out.shape.as_list() == [None, 2, 4]


def test_permute(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(keras.layers.Permute((3, 1, 2))(x).numpy(),
                                  x.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match="(?s)start from 1.*hint"):
        keras.layers.Permute((0, 1))


def test_repeat_vector(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(keras.layers.RepeatVector(4)(x).numpy(),
                                  np.repeat(x[:, None, :], 4, axis=1))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        keras.layers.RepeatVector(2)(np.ones((1, 2, 3)))
