"""tf.DType objects and tf.as_dtype, checked against TensorFlow 2's documented behaviour."""

import pickle

import ml_dtypes
import numpy as np
import pytest

import rill as tf

# name, NumPy type, floating, integer, complex, bool, unsigned, size
ALL = [
    ("float16", np.float16, 1, 0, 0, 0, 0, 2),
    ("bfloat16", ml_dtypes.bfloat16, 1, 0, 0, 0, 0, 2),
    ("float32", np.float32, 1, 0, 0, 0, 0, 4),
    ("float64", np.float64, 1, 0, 0, 0, 0, 8),
    ("int8", np.int8, 0, 1, 0, 0, 0, 1),
    ("int16", np.int16, 0, 1, 0, 0, 0, 2),
    ("int32", np.int32, 0, 1, 0, 0, 0, 4),
    ("int64", np.int64, 0, 1, 0, 0, 0, 8),
    ("uint8", np.uint8, 0, 1, 0, 0, 1, 1),
    ("uint16", np.uint16, 0, 1, 0, 0, 1, 2),
    ("uint32", np.uint32, 0, 1, 0, 0, 1, 4),
    ("uint64", np.uint64, 0, 1, 0, 0, 1, 8),
    ("bool", np.bool_, 0, 0, 0, 1, 0, 1),
    ("complex64", np.complex64, 0, 0, 1, 0, 0, 8),
    ("complex128", np.complex128, 0, 0, 1, 0, 0, 16),
    ("string", object, 0, 0, 0, 0, 0, 0),
]


@pytest.mark.parametrize("name, np_type, fl, it, cx, bo, un, size", ALL)
def test_dtype_properties(name, np_type, fl, it, cx, bo, un, size):
    d = getattr(tf, name)
    assert isinstance(d, tf.DType) and d.name == name
    assert d.as_numpy_dtype is np_type
    assert (d.is_floating, d.is_integer, d.is_complex, d.is_bool, d.is_unsigned) == \
        (bool(fl), bool(it), bool(cx), bool(bo), bool(un))
    assert d.is_numeric == bool(fl or it or cx)
    assert d.size == size
    assert repr(d) == f"tf.{name}" and str(d) == f"<dtype: '{name}'>"
    assert d.base_dtype is d
    assert tf.as_dtype(name) is d and tf.dtypes.as_dtype(d) is d
    assert getattr(tf.dtypes, name) is d
    assert pickle.loads(pickle.dumps(d)) is d


def test_aliases_and_real_dtype():
    assert tf.half is tf.float16 and tf.double is tf.float64
    assert tf.complex64.real_dtype is tf.float32 and tf.complex128.real_dtype is tf.float64
    assert tf.float32.real_dtype is tf.float32


@pytest.mark.parametrize("d", [tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8, tf.uint16,
                               tf.uint32, tf.uint64])
def test_integer_min_max(d):
    info = np.iinfo(d.as_numpy_dtype)
    assert d.min == info.min and d.max == info.max
    assert d.limits == (0, info.max)  # TensorFlow's image-intensity limits clip negatives


@pytest.mark.parametrize("d, lo, hi", [
    (tf.float16, -65504.0, 65504.0),
    (tf.float32, -3.4028234663852886e38, 3.4028234663852886e38),
    (tf.float64, -1.7976931348623157e308, 1.7976931348623157e308),
    (tf.bfloat16, -3.3895313892515355e38, 3.3895313892515355e38),
])
def test_float_min_max(d, lo, hi):
    assert float(d.min) == lo and float(d.max) == hi


def test_limits_and_errors():
    assert tf.float32.limits == (0, 1) and tf.bool.limits == (0, True)
    for d in (tf.bool, tf.complex64, tf.string):
        with pytest.raises(TypeError, match="Cannot find minimum value"):
            d.min
        with pytest.raises(TypeError, match="Cannot find maximum value"):
            d.max
    for d in (tf.float16, tf.complex64, tf.string):
        with pytest.raises(ValueError, match="does not have defined limits"):
            d.limits


@pytest.mark.parametrize("value, expected", [
    ("float32", tf.float32), ("float", tf.float32), ("double", tf.float64),
    ("half", tf.float16), ("int32", tf.int32), ("bool", tf.bool), ("string", tf.string),
    (np.float32, tf.float32), (np.float64, tf.float64), (np.int32, tf.int32),
    (np.int64, tf.int64), (np.dtype("int16"), tf.int16), (np.bool_, tf.bool),
    (np.uint16, tf.uint16), (np.complex64, tf.complex64), (np.float16, tf.float16),
    (ml_dtypes.bfloat16, tf.bfloat16), (float, tf.float32), (bool, tf.bool), (object, tf.string),
    (np.str_, tf.string), (np.bytes_, tf.string), (np.dtype("U3"), tf.string),
    (np.dtype("S3"), tf.string), (np.dtype(">f4"), tf.float32), (np.longlong, tf.int64),
    (tf.int8, tf.int8),
])
def test_as_dtype(value, expected):
    assert tf.as_dtype(value) is expected


@pytest.mark.parametrize("value", ["int", "str", "bytes", "complex", "foo", int, complex, str,
                                   bytes, None, 3])
def test_as_dtype_rejects_ambiguous_or_unknown(value):
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`"):
        tf.as_dtype(value)


def test_equality_and_hashing():
    assert tf.float32 == "float32" and tf.float32 == np.float32
    assert tf.float32 != tf.float64 and not (tf.float32 != "float32")
    assert tf.float32 != 3 and tf.float32 != "foo" and tf.float32 != None  # noqa: E711
    assert hash(tf.float32) == hash(tf.as_dtype("float32"))
    assert {tf.float32: 1}[tf.as_dtype(np.float32)] == 1
    assert tf.float32.is_compatible_with("float32")
    assert not tf.float32.is_compatible_with(tf.float64)


def test_numpy_interop_of_dtypes():
    assert np.zeros(3, dtype=tf.float32.as_numpy_dtype).dtype == np.float32
    assert np.dtype(tf.string.as_numpy_dtype) == np.dtype(object)
    assert tf.constant([1.0], tf.bfloat16).numpy().dtype == ml_dtypes.bfloat16
