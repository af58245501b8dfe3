"""tf.constant and tf.convert_to_tensor: TensorFlow's dtype inference and conversion rules."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf


@pytest.mark.parametrize("value, dtype", [
    (1.5, tf.float32), (1, tf.int32), (2 ** 40, tf.int64), (-(2 ** 63), tf.int64),
    ([1, 2 ** 40], tf.int64), ([1, 2.5], tf.float32), (True, tf.bool), ([True, False], tf.bool),
    (1 + 2j, tf.complex128), ([], tf.float32), ("a", tf.string), (b"a", tf.string),
    ([[1.0, 2.0], [3.0, 4.0]], tf.float32), (((1, 2), (3, 4)), tf.int32),
    (np.array([1.0, 2.0]), tf.float64), (np.array([1, 2]), tf.int64),
    (np.float32(1), tf.float32), (np.float64(1), tf.float64), (np.int64(3), tf.int64),
    (np.array([1, 2], np.uint8), tf.uint8), (np.array([True]), tf.bool),
    ([np.float64(1), np.float64(2)], tf.float64),
    ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], tf.float64),
])
def test_inferred_dtype(value, dtype):
    assert tf.constant(value).dtype is dtype


def test_values_and_shapes():
    t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == [2, 3]
    np.testing.assert_array_equal(t.numpy(), np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    assert tf.constant([[], []]).shape == [2, 0]
    assert tf.constant(42).numpy() == 42 and tf.constant(42).shape == []


def test_strings_are_utf8_bytes():
    assert tf.constant("café").numpy() == b"caf\xc3\xa9"
    assert tf.constant(["a", "é"]).numpy().tolist() == [b"a", b"\xc3\xa9"]
    assert tf.constant(np.array(["ab", "c"])).numpy().tolist() == [b"ab", b"c"]
    assert tf.constant([b"a", "b"]).numpy().tolist() == [b"a", b"b"]
    assert tf.constant("x", tf.string).dtype is tf.string


@pytest.mark.parametrize("value, dtype, expected", [
    (0.1, tf.float64, np.float64(0.1)),  # converted directly: no float32 rounding
    (1e300, tf.float64, np.float64(1e300)),
    (0.1, tf.float16, np.float16(0.1)),
    (2 ** 40, tf.int64, 2 ** 40),
    (True, tf.int32, 1), (True, tf.float32, 1.0), (1.0, tf.complex64, 1 + 0j),
    (1, tf.complex64, 1 + 0j), (3, tf.float32, 3.0),
    ([1.5], tf.bfloat16, [1.5]),
    (np.array([0.1]), tf.float32, [np.float32(0.1)]),
    (np.array([1.7]), tf.int32, [1]),  # NumPy data casts like astype (truncates)
    (np.float64(1.5), tf.int32, 1),
    ([], tf.int32, []), (2 ** 63, tf.uint64, 2 ** 63),
])
def test_explicit_dtype(value, dtype, expected):
    t = tf.constant(value, dtype)
    assert t.dtype is dtype
    assert np.asarray(t.numpy()).tolist() == np.asarray(expected).astype(
        dtype.as_numpy_dtype).tolist()


@pytest.mark.parametrize("value, dtype, exc, match", [
    (1.5, tf.int32, TypeError, "Cannot convert 1.5 to EagerTensor of dtype int32"),
    (2.0, tf.int32, TypeError, "Cannot convert 2.0"),
    ([1.0, 2.0], tf.int32, TypeError, "dtype int32"),
    (300, tf.int8, TypeError, "out of range"),
    (-1, tf.uint8, TypeError, "out of range"),
    (2 ** 40, tf.int32, TypeError, "out of range"),
    (1, tf.bool, TypeError, "dtype bool"),
    (1 + 1j, tf.float32, TypeError, "dtype float32"),
    ("a", tf.float32, TypeError, "dtype float32"),
    (1, tf.string, TypeError, "not a string"),
])
def test_lossy_python_conversions_raise(value, dtype, exc, match):
    with pytest.raises(exc, match=match):
        tf.constant(value, dtype)


@pytest.mark.parametrize("value, match", [
    (2 ** 63, "out-of-range integer"),
    ([1, 2 ** 70], "out-of-range integer"),
    (None, r"Attempt to convert a value \(None\) with an unsupported type"),
    (object(), "unsupported type"),
    ([[1, 2], [3]], "non-rectangular"),
    (["a", 1], "mixed types"),
])
def test_invalid_values(value, match):
    with pytest.raises(ValueError, match=match):
        tf.constant(value)


def test_constant_of_a_tensor():
    t = tf.constant([1.5])
    assert tf.constant(t) is not None and tf.constant(t).numpy().tolist() == [1.5]
    with pytest.raises(TypeError, match=r"Expected tensor \[1.5\] with dtype tf.int32, but "
                                        r"got dtype tf.float32"):
        tf.constant(t, tf.int32)
    assert tf.constant(tf.Variable([1.0, 2.0])).numpy().tolist() == [1.0, 2.0]


def test_shape_argument():
    np.testing.assert_array_equal(tf.constant(0, shape=[2, 3]).numpy(), np.zeros((2, 3)))
    assert tf.constant(0, shape=[2, 3]).dtype is tf.int32
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=[2, 2]).numpy(),
                                  [[1, 2], [3, 4]])
    np.testing.assert_array_equal(tf.constant([7], shape=[2, 2]).numpy(), [[7, 7], [7, 7]])
    assert tf.constant(1, tf.float32, shape=(2,)).numpy().tolist() == [1.0, 1.0]
    assert tf.constant(1, shape=tf.TensorShape([2])).shape == [2]
    assert tf.constant([[1, 2]], shape=[2]).shape == [2]
    assert tf.constant(3, shape=[]).shape == []
    with pytest.raises(TypeError, match="unsupported shape"):
        tf.constant([1, 2, 3], shape=[2, 2])
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        tf.constant([1, 2, 3, 4], shape=[-1, 2])


def test_constant_does_not_alias_numpy_arrays():
    a = np.array([1.0, 2.0])
    t = tf.constant(a)
    a[0] = 99.0
    assert t.numpy()[0] == 1.0


def test_convert_to_tensor():
    assert tf.convert_to_tensor([1, 2]).dtype is tf.int32
    assert tf.convert_to_tensor([1, 2], dtype=tf.float32).dtype is tf.float32
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype is tf.float32
    assert tf.convert_to_tensor(["a"], dtype_hint=tf.float32).dtype is tf.string
    assert tf.convert_to_tensor(1.5, dtype_hint=tf.int32).dtype is tf.float32
    t = tf.constant([1, 2])
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor(t, dtype_hint=tf.float32) is t
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype int32"):
        tf.convert_to_tensor(t, dtype=tf.float32)
    v = tf.Variable([1.0])
    assert isinstance(tf.convert_to_tensor(v), tf.Tensor)
    assert tf.convert_to_tensor(np.float64(1.0)).dtype is tf.float64
    with pytest.raises(TypeError, match="Cannot convert 1.5"):
        tf.convert_to_tensor(1.5, dtype=tf.int32)
    with pytest.raises(ValueError, match="unsupported type"):
        tf.convert_to_tensor(None)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-(2 ** 31), 2 ** 31 - 1), min_size=1, max_size=6))
def test_int_lists_are_int32(values):
    t = tf.constant(values)
    assert t.dtype is tf.int32 and t.numpy().tolist() == values


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e30, 1e30), min_size=1, max_size=6))
def test_float_lists_are_float32(values):
    t = tf.constant(values)
    assert t.dtype is tf.float32
    np.testing.assert_array_equal(t.numpy(), np.array(values, np.float32))
    assert tf.constant(values, tf.float64).numpy().tolist() == values


# -- values TensorFlow refuses (checked against TensorFlow 2.21) -------------------------------
@pytest.mark.parametrize("make", [tf.constant, tf.Variable, tf.convert_to_tensor])
@pytest.mark.parametrize("value", [[1.0, None], [1, None], [[1.0, 2.0], [None, 3.0]],
                                   [np.float32(1), None]])
def test_none_among_values_is_refused(make, value):
    with pytest.raises(ValueError, match="^Can't convert Python sequence with mixed types to "
                                         "Tensor.\n"):
        make(value)


def test_none_alone_and_none_with_a_dtype():
    for value in (None, [None]):
        with pytest.raises(ValueError, match=r"^Attempt to convert a value \(None\) with an "
                                             r"unsupported type"):
            tf.constant(value)
    with pytest.raises(ValueError, match="mixed types"):
        tf.constant([1.0, None], dtype=tf.float32)


def test_dtype_comes_from_the_first_element():
    # a leading bool refuses numbers after it; a leading number takes bools as 0/1
    for value in ([True, 1], [True, 1.0], [np.bool_(True), 1]):
        with pytest.raises(ValueError, match="mixed types"):
            tf.constant(value)
    t = tf.constant([1.0, True])
    assert t.dtype == tf.float32 and t.numpy().tolist() == [1.0, 1.0]
    t = tf.constant([[1, 2], [True, 3]])
    assert t.dtype == tf.int32 and t.numpy().tolist() == [[1, 2], [1, 3]]


def test_numpy_object_arrays_must_hold_strings():
    with pytest.raises(ValueError, match=r"^Failed to convert a NumPy array to a Tensor "
                                         r"\(Unsupported object type list\)"):
        tf.constant(np.array([[1, 2], [3]], dtype=object))
    with pytest.raises(ValueError, match=r"Unsupported object type int\)"):
        tf.constant(np.array([1, 2], dtype=object))
    t = tf.constant(np.array(["a", "b"], dtype=object))
    assert t.dtype == tf.string and t.numpy().tolist() == [b"a", b"b"]
