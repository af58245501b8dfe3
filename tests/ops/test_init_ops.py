"""TensorFlow 2's initializer classes (rill/ops/init_ops.py)."""

import doctest

import numpy as np
import pytest

import rill as tf
from rill.ops import init_ops


@pytest.mark.parametrize("shape", [[2, 3], (2, 3), tf.TensorShape([2, 3])])
def test_zeros_and_ones_accept_every_shape_form(shape):
    z = tf.zeros_initializer()(shape)
    o = tf.ones_initializer()(shape)
    assert z.dtype == tf.float32 and o.dtype == tf.float32
    np.testing.assert_array_equal(z.numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(o.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64, tf.float64, tf.bool, "float16"])
def test_zeros_and_ones_dtypes(dtype):
    d = tf.as_dtype(dtype)
    assert tf.zeros_initializer()([2], dtype).dtype == d
    np.testing.assert_array_equal(tf.ones_initializer()([2], dtype).numpy(),
                                  np.ones(2, d.as_numpy_dtype))


def test_fill_initializers_reject_strings_and_open_shapes():
    with pytest.raises(ValueError, match="numeric or boolean"):
        tf.zeros_initializer()([2], tf.string)
    with pytest.raises(ValueError, match="fully defined"):
        tf.ones_initializer()(tf.TensorShape([None, 2]))


def test_constant_fills_or_reshapes():
    np.testing.assert_array_equal(tf.constant_initializer(3)([2, 2]).numpy(), [[3, 3], [3, 3]])
    assert tf.constant_initializer(3)([2]).dtype == tf.int32  # inferred, like tf.constant
    got = tf.constant_initializer([1, 2, 3, 4])([2, 2], tf.float32)
    assert got.dtype == tf.float32
    np.testing.assert_array_equal(got.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tf.constant_initializer(np.arange(4.0))([4]).numpy(),
                                  [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(tf.constant_initializer(True)([2], tf.bool).numpy(),
                                  [True, True])


def test_constant_errors():
    with pytest.raises(TypeError, match="4 elements"):
        tf.constant_initializer([1, 2, 3])([2, 2])
    with pytest.raises(TypeError, match="EagerTensor"):
        tf.constant_initializer(tf.constant([1.0]))
    with pytest.raises(TypeError, match="ResourceVariable"):
        tf.constant_initializer(tf.Variable(1.0))


def test_random_normal_statistics_and_dtype():
    draws = tf.random_normal_initializer(mean=2.0, stddev=0.5)([20000], tf.float64).numpy()
    assert draws.dtype == np.float64
    assert abs(draws.mean() - 2.0) < 0.03 and abs(draws.std() - 0.5) < 0.03
    with pytest.raises(ValueError, match="floating point"):
        tf.random_normal_initializer()([2], tf.int32)


def test_random_uniform_ranges():
    draws = tf.random_uniform_initializer(-1.0, 3.0)([20000]).numpy()
    assert draws.min() >= -1.0 and draws.max() < 3.0
    assert abs(draws.mean() - 1.0) < 0.05
    ints = tf.random_uniform_initializer(0, 5, seed=1)([1000], tf.int32).numpy()
    assert ints.dtype == np.int32 and set(ints.tolist()) == {0, 1, 2, 3, 4}
    with pytest.raises(TypeError, match="integer minval"):
        tf.random_uniform_initializer()([2], tf.int32)  # default bounds are +-0.05
    with pytest.raises(ValueError, match="numeric"):
        tf.random_uniform_initializer()([2], tf.bool)


@pytest.mark.parametrize("make", [lambda s: tf.random_normal_initializer(seed=s),
                                  lambda s: tf.random_uniform_initializer(seed=s)])
def test_seeded_initializers_repeat_and_unseeded_do_not(make):
    a = make(7)
    first = a([5]).numpy()
    np.testing.assert_array_equal(first, a([5]).numpy())
    np.testing.assert_array_equal(first, make(7)([5]).numpy())
    assert not np.array_equal(first, make(8)([5]).numpy())
    b = make(None)
    assert not np.array_equal(b([5]).numpy(), b([5]).numpy())


@pytest.mark.parametrize("init, config", [
    (tf.zeros_initializer(), {}),
    (tf.ones_initializer(), {}),
    (tf.constant_initializer([1, 2]), {"value": [1, 2]}),
    (tf.random_normal_initializer(1.0, 2.0, seed=3), {"mean": 1.0, "stddev": 2.0, "seed": 3}),
    (tf.random_uniform_initializer(-1, 1), {"minval": -1, "maxval": 1, "seed": None}),
])
def test_config_round_trip(init, config):
    assert init.get_config() == config
    again = type(init).from_config(init.get_config())
    assert type(again) is type(init) and again.get_config() == config


def test_seeded_config_round_trip_gives_the_same_values():
    init = tf.random_normal_initializer(seed=11)
    again = tf.random_normal_initializer.from_config(init.get_config())
    np.testing.assert_array_equal(init([3]).numpy(), again([3]).numpy())


def test_keyword_arguments():
    assert tf.zeros_initializer()([2], partition_shape=[2], partition_offset=[0]).shape == (2,)
    with pytest.raises(TypeError, match="partition_shape"):
        tf.ones_initializer()([2], foo=1)


def test_initializers_create_variables_and_work_while_tracing():
    v = tf.Variable(tf.constant_initializer(0.5)([2, 2], tf.float32))
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 0.5, np.float32))

    @tf.function
    def fn(x):
        return x + tf.ones_initializer()([2]) + tf.random_uniform_initializer(0.0, 1.0)([2])

    out = fn(tf.zeros([2])).numpy()
    assert ((out >= 1.0) & (out < 2.0)).all()


def test_docstring_examples():
    result = doctest.testmod(init_ops, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
