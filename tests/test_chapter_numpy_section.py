"""Every example of the chapter section "Using TensorFlow like NumPy" (chapter 12): values,
shapes and dtypes of what the book prints. The book's `id=` in reprs is from an old TF and
is not part of TensorFlow 2's repr."""

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill._core.errors import InvalidArgumentError

MATRIX = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)


@pytest.fixture
def t():
    return tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def check(tensor, expected, dtype, shape):
    assert isinstance(tensor, tf.Tensor)
    assert tensor.dtype is dtype and tensor.shape == shape
    np.testing.assert_array_equal(tensor.numpy(), np.asarray(expected, dtype.as_numpy_dtype))


# -- Tensors and operations -----------------------------------------------------------------
def test_matrix_and_scalar_constants(t):
    check(t, MATRIX, tf.float32, (2, 3))
    assert repr(t) == ("<tf.Tensor: shape=(2, 3), dtype=float32, numpy=\n"
                       "array([[1., 2., 3.],\n       [4., 5., 6.]], dtype=float32)>")
    s = tf.constant(42)
    check(s, 42, tf.int32, ())
    assert repr(s) == "<tf.Tensor: shape=(), dtype=int32, numpy=42>"


def test_shape_and_dtype(t):
    assert t.shape == tf.TensorShape([2, 3]) and repr(t.shape) == "TensorShape([2, 3])"
    assert t.dtype == tf.float32 and repr(t.dtype) == "tf.float32"


def test_indexing(t):
    check(t[:, 1:], [[2.0, 3.0], [5.0, 6.0]], tf.float32, (2, 2))
    check(t[..., 1, tf.newaxis], [[2.0], [5.0]], tf.float32, (2, 1))


def test_operations(t):
    check(t + 10, [[11.0, 12.0, 13.0], [14.0, 15.0, 16.0]], tf.float32, (2, 3))
    check(tf.add(t, 10), (t + 10).numpy(), tf.float32, (2, 3))  # t + 10 calls tf.add
    check(tf.square(t), [[1.0, 4.0, 9.0], [16.0, 25.0, 36.0]], tf.float32, (2, 3))
    check(t @ tf.transpose(t), [[14.0, 32.0], [32.0, 77.0]], tf.float32, (2, 2))
    check(tf.matmul(t, tf.transpose(t)), [[14.0, 32.0], [32.0, 77.0]], tf.float32, (2, 2))
    check(t - 1, MATRIX - 1, tf.float32, (2, 3))
    check(t * 2, MATRIX * 2, tf.float32, (2, 3))


def test_numpy_like_functions_with_other_names(t):
    check(tf.multiply(t, t), MATRIX * MATRIX, tf.float32, (2, 3))
    np.testing.assert_allclose(tf.exp(t).numpy(), np.exp(MATRIX), rtol=1e-6)
    np.testing.assert_allclose(tf.sqrt(t).numpy(), np.sqrt(MATRIX), rtol=1e-6)
    check(tf.reshape(t, [3, 2]), MATRIX.reshape(3, 2), tf.float32, (3, 2))
    check(tf.squeeze(tf.reshape(t, [1, 2, 3])), MATRIX, tf.float32, (2, 3))
    check(tf.tile(t, [1, 2]), np.tile(MATRIX, [1, 2]), tf.float32, (2, 6))
    assert float(tf.reduce_mean(t)) == pytest.approx(np.mean(MATRIX))
    assert float(tf.reduce_sum(t)) == pytest.approx(np.sum(MATRIX))
    assert float(tf.reduce_max(t)) == np.max(MATRIX)
    np.testing.assert_allclose(tf.math.log(t).numpy(), np.log(MATRIX), rtol=1e-6)


def test_aliases():
    assert tf.add is tf.math.add
    assert not hasattr(tf, "log")  # only tf.math.log, as in TensorFlow


def test_keras_backend_example(t):
    K = keras.backend
    check(K.square(K.transpose(t)) + 10, [[11.0, 26.0], [14.0, 35.0], [19.0, 46.0]],
          tf.float32, (3, 2))


# -- Tensors and NumPy ----------------------------------------------------------------------
def test_tensors_and_numpy(t):
    a = np.array([2.0, 4.0, 5.0])
    check(tf.constant(a), [2.0, 4.0, 5.0], tf.float64, (3,))
    for arr in (t.numpy(), np.array(t)):
        assert type(arr) is np.ndarray and arr.dtype == np.float32
        np.testing.assert_array_equal(arr, MATRIX)
    check(tf.square(a), [4.0, 16.0, 25.0], tf.float64, (3,))
    sq = np.square(t)
    assert type(sq) is np.ndarray and sq.dtype == np.float32
    np.testing.assert_array_equal(sq, [[1.0, 4.0, 9.0], [16.0, 25.0, 36.0]])


# -- Type conversions -----------------------------------------------------------------------
def test_no_automatic_type_conversions():
    with pytest.raises(InvalidArgumentError, match="expected to be a float"):
        tf.constant(2.0) + tf.constant(40)
    # the book abbreviates this message as "[...]expected to be a double[...]"; TensorFlow 2
    # (and rill) say which input had which type:
    with pytest.raises(InvalidArgumentError,
                       match="expected to be a float tensor but is a double tensor"):
        tf.constant(2.0) + tf.constant(40.0, dtype=tf.float64)
    t2 = tf.constant(40.0, dtype=tf.float64)
    check(tf.constant(2.0) + tf.cast(t2, tf.float32), 42.0, tf.float32, ())


# -- Variables ------------------------------------------------------------------------------
def test_variables():
    v = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert repr(v) == ("<tf.Variable 'Variable:0' shape=(2, 3) dtype=float32, numpy=\n"
                       "array([[1., 2., 3.],\n       [4., 5., 6.]], dtype=float32)>")
    v.assign(2 * v)
    np.testing.assert_array_equal(v.numpy(), [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]])
    v[0, 1].assign(42)
    np.testing.assert_array_equal(v.numpy(), [[2.0, 42.0, 6.0], [8.0, 10.0, 12.0]])
    v[:, 2].assign([0.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [[2.0, 42.0, 0.0], [8.0, 10.0, 1.0]])
    v.scatter_nd_update(indices=[[0, 0], [1, 2]], updates=[100.0, 200.0])
    np.testing.assert_array_equal(v.numpy(), [[100.0, 42.0, 0.0], [8.0, 10.0, 200.0]])
    v.assign_add(tf.ones([2, 3]))
    v.assign_sub(tf.ones([2, 3]))
    np.testing.assert_array_equal(v.numpy(), [[100.0, 42.0, 0.0], [8.0, 10.0, 200.0]])
    with pytest.raises(TypeError, match="does not support item assignment"):
        v[0, 1] = 1.0
    assert v.dtype is tf.float32 and np.square(v).dtype == np.float32


# -- Other data structures: string tensors --------------------------------------------------
def test_string_tensors_are_utf8_bytes():
    s = tf.constant("café")
    assert s.dtype is tf.string and s.numpy() == b"caf\xc3\xa9"
    u = tf.constant([ord(c) for c in "café"])
    check(u, [99, 97, 102, 233], tf.int32, (4,))


@pytest.mark.skipif(not hasattr(tf, "strings"), reason="tf.strings is not implemented yet")
def test_unicode_strings_as_code_points():
    u = tf.strings.unicode_decode(tf.constant("café"), "UTF-8")
    assert u.numpy().tolist() == [99, 97, 102, 233]
    assert tf.strings.unicode_encode(u, "UTF-8").numpy() == b"caf\xc3\xa9"
