"""Tensors: properties, Python protocols, NumPy interop, strict dtypes, and repr/str exactly
as TensorFlow 2 prints them (the expected strings were printed by TensorFlow 2.21)."""

import copy
import pickle

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError

T = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)


@pytest.fixture
def t():
    return tf.constant(T)


REPRS = [
    ('tf.constant([[1., 2., 3.], [4., 5., 6.]])',
     '<tf.Tensor: shape=(2, 3), dtype=float32, numpy=\narray([[1., 2., 3.],\n       [4.'
     ', 5., 6.]], dtype=float32)>',
     'tf.Tensor(\n[[1. 2. 3.]\n [4. 5. 6.]], shape=(2, 3), dtype=float32)'),
    ('tf.constant(42)',
     '<tf.Tensor: shape=(), dtype=int32, numpy=42>',
     'tf.Tensor(42, shape=(), dtype=int32)'),
    ('tf.constant(42.)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=42.0>',
     'tf.Tensor(42.0, shape=(), dtype=float32)'),
    ('tf.constant(1.5, tf.float64)',
     '<tf.Tensor: shape=(), dtype=float64, numpy=1.5>',
     'tf.Tensor(1.5, shape=(), dtype=float64)'),
    ('tf.constant(True)',
     '<tf.Tensor: shape=(), dtype=bool, numpy=True>',
     'tf.Tensor(True, shape=(), dtype=bool)'),
    ('tf.constant([True, False])',
     '<tf.Tensor: shape=(2,), dtype=bool, numpy=array([ True, False])>',
     'tf.Tensor([ True False], shape=(2,), dtype=bool)'),
    ('tf.constant("café")',
     "<tf.Tensor: shape=(), dtype=string, numpy=b'caf\\xc3\\xa9'>",
     "tf.Tensor(b'caf\\xc3\\xa9', shape=(), dtype=string)"),
    ('tf.constant(["a", "bc"])',
     "<tf.Tensor: shape=(2,), dtype=string, numpy=array([b'a', b'bc'], dtype=object)>",
     "tf.Tensor([b'a' b'bc'], shape=(2,), dtype=string)"),
    ('tf.constant([[b"x"]])',
     "<tf.Tensor: shape=(1, 1), dtype=string, numpy=array([[b'x']], dtype=object)>",
     "tf.Tensor([[b'x']], shape=(1, 1), dtype=string)"),
    ('tf.constant(np.arange(24).reshape(2, 3, 4))',
     '<tf.Tensor: shape=(2, 3, 4), dtype=int64, numpy=\narray([[[ 0,  1,  2,  3],\n    '
     '    [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]],\n\n       [[12, 13, 14, 15],\n '
     '       [16, 17, 18, 19],\n        [20, 21, 22, 23]]])>',
     'tf.Tensor(\n[[[ 0  1  2  3]\n  [ 4  5  6  7]\n  [ 8  9 10 11]]\n\n [[12 13 14 15]'
     '\n  [16 17 18 19]\n  [20 21 22 23]]], shape=(2, 3, 4), dtype=int64)'),
    ('tf.constant(np.arange(24.).reshape(2, 3, 4))',
     '<tf.Tensor: shape=(2, 3, 4), dtype=float64, numpy=\narray([[[ 0.,  1.,  2.,  3.],'
     '\n        [ 4.,  5.,  6.,  7.],\n        [ 8.,  9., 10., 11.]],\n\n       [[12., '
     '13., 14., 15.],\n        [16., 17., 18., 19.],\n        [20., 21., 22., 23.]]])>',
     'tf.Tensor(\n[[[ 0.  1.  2.  3.]\n  [ 4.  5.  6.  7.]\n  [ 8.  9. 10. 11.]]\n\n [['
     '12. 13. 14. 15.]\n  [16. 17. 18. 19.]\n  [20. 21. 22. 23.]]], shape=(2, 3, 4), dt'
     'ype=float64)'),
    ('tf.constant([], tf.float32)',
     '<tf.Tensor: shape=(0,), dtype=float32, numpy=array([], dtype=float32)>',
     'tf.Tensor([], shape=(0,), dtype=float32)'),
    ('tf.constant(np.zeros((0, 3), np.float32))',
     '<tf.Tensor: shape=(0, 3), dtype=float32, numpy=array([], shape=(0, 3), dtype=floa'
     't32)>',
     'tf.Tensor([], shape=(0, 3), dtype=float32)'),
    ('tf.constant(1.5, tf.float16)',
     '<tf.Tensor: shape=(), dtype=float16, numpy=1.5>',
     'tf.Tensor(1.5, shape=(), dtype=float16)'),
    ('tf.constant([1.5, 2], tf.float16)',
     '<tf.Tensor: shape=(2,), dtype=float16, numpy=array([1.5, 2. ], dtype=float16)>',
     'tf.Tensor([1.5 2. ], shape=(2,), dtype=float16)'),
    ('tf.constant(1.5, tf.bfloat16)',
     '<tf.Tensor: shape=(), dtype=bfloat16, numpy=1.5>',
     'tf.Tensor(1.5, shape=(), dtype=bfloat16)'),
    ('tf.constant([1.5, 2], tf.bfloat16)',
     '<tf.Tensor: shape=(2,), dtype=bfloat16, numpy=array([1.5, 2], dtype={BF16})>',
     'tf.Tensor([1.5 2], shape=(2,), dtype=bfloat16)'),
    ('tf.constant(1 + 2j)',
     '<tf.Tensor: shape=(), dtype=complex128, numpy=(1+2j)>',
     'tf.Tensor((1+2j), shape=(), dtype=complex128)'),
    ('tf.constant([1 + 2j, 3])',
     '<tf.Tensor: shape=(2,), dtype=complex128, numpy=array([1.+2.j, 3.+0.j])>',
     'tf.Tensor([1.+2.j 3.+0.j], shape=(2,), dtype=complex128)'),
    ('tf.constant(3, tf.uint8)',
     '<tf.Tensor: shape=(), dtype=uint8, numpy=3>',
     'tf.Tensor(3, shape=(), dtype=uint8)'),
    ('tf.constant([3, 4], tf.int64)',
     '<tf.Tensor: shape=(2,), dtype=int64, numpy=array([3, 4])>',
     'tf.Tensor([3 4], shape=(2,), dtype=int64)'),
    ('tf.constant(np.arange(2000.))',
     '<tf.Tensor: shape=(2000,), dtype=float64, numpy=\narray([0.000e+00, 1.000e+00, 2.'
     '000e+00, ..., 1.997e+03, 1.998e+03,\n       1.999e+03], shape=(2000,))>',
     'tf.Tensor([0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03], shap'
     'e=(2000,), dtype=float64)'),
    ('tf.constant(0.1)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=0.10000000149011612>',
     'tf.Tensor(0.1, shape=(), dtype=float32)'),
    ('tf.constant([0.1, 1e-8])',
     '<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1.e-01, 1.e-08], dtype=float3'
     '2)>',
     'tf.Tensor([1.e-01 1.e-08], shape=(2,), dtype=float32)'),
    ('tf.constant(1e20)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=1.0000000200408773e+20>',
     'tf.Tensor(1e+20, shape=(), dtype=float32)'),
    ('tf.constant(np.float32(np.nan))',
     '<tf.Tensor: shape=(), dtype=float32, numpy=nan>',
     'tf.Tensor(nan, shape=(), dtype=float32)'),
    ('tf.constant([np.inf, -np.inf, np.nan])',
     '<tf.Tensor: shape=(3,), dtype=float32, numpy=array([ inf, -inf,  nan], dtype=floa'
     't32)>',
     'tf.Tensor([ inf -inf  nan], shape=(3,), dtype=float32)'),
    ('tf.constant(2 ** 40)',
     '<tf.Tensor: shape=(), dtype=int64, numpy=1099511627776>',
     'tf.Tensor(1099511627776, shape=(), dtype=int64)'),
    ('tf.constant(np.arange(12.).reshape(3, 4) / 3, tf.float64)',
     '<tf.Tensor: shape=(3, 4), dtype=float64, numpy=\narray([[0.        , 0.33333333, '
     '0.66666667, 1.        ],\n       [1.33333333, 1.66666667, 2.        , 2.33333333]'
     ',\n       [2.66666667, 3.        , 3.33333333, 3.66666667]])>',
     'tf.Tensor(\n[[0.         0.33333333 0.66666667 1.        ]\n [1.33333333 1.666666'
     '67 2.         2.33333333]\n [2.66666667 3.         3.33333333 3.66666667]], shape'
     '=(3, 4), dtype=float64)'),
    ('tf.constant(0.1, tf.float16)',
     '<tf.Tensor: shape=(), dtype=float16, numpy=0.0999755859375>',
     'tf.Tensor(0.1, shape=(), dtype=float16)'),
    ('tf.constant(0.1, tf.bfloat16)',
     '<tf.Tensor: shape=(), dtype=bfloat16, numpy=0.10009765625>',
     'tf.Tensor(0.100098, shape=(), dtype=bfloat16)'),
    ('tf.constant(0.1, tf.float64)',
     '<tf.Tensor: shape=(), dtype=float64, numpy=0.1>',
     'tf.Tensor(0.1, shape=(), dtype=float64)'),
    ('tf.constant(1 + 2j, tf.complex64)',
     '<tf.Tensor: shape=(), dtype=complex64, numpy=(1+2j)>',
     'tf.Tensor((1+2j), shape=(), dtype=complex64)'),
    ('tf.constant(0.1 + 2j, tf.complex64)',
     '<tf.Tensor: shape=(), dtype=complex64, numpy=(0.10000000149011612+2j)>',
     'tf.Tensor((0.1+2j), shape=(), dtype=complex64)'),
    ('tf.constant(-3, tf.int8)',
     '<tf.Tensor: shape=(), dtype=int8, numpy=-3>',
     'tf.Tensor(-3, shape=(), dtype=int8)'),
    ('tf.constant(3, tf.uint64)',
     '<tf.Tensor: shape=(), dtype=uint64, numpy=3>',
     'tf.Tensor(3, shape=(), dtype=uint64)'),
    ('tf.constant(1e-5)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=9.999999747378752e-06>',
     'tf.Tensor(1e-05, shape=(), dtype=float32)'),
    ('tf.constant(123456789.)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=123456792.0>',
     'tf.Tensor(1.2345679e+08, shape=(), dtype=float32)'),
    ('tf.constant(np.float32(1) / 3)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=0.3333333432674408>',
     'tf.Tensor(0.33333334, shape=(), dtype=float32)'),
    ('tf.constant(b"\\x00ab")',
     "<tf.Tensor: shape=(), dtype=string, numpy=b'\\x00ab'>",
     "tf.Tensor(b'\\x00ab', shape=(), dtype=string)"),
    ('tf.constant(np.inf)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=inf>',
     'tf.Tensor(inf, shape=(), dtype=float32)'),
    ('tf.constant(1e300, tf.float64)',
     '<tf.Tensor: shape=(), dtype=float64, numpy=1e+300>',
     'tf.Tensor(1e+300, shape=(), dtype=float64)'),
    ('tf.constant(-0.0)',
     '<tf.Tensor: shape=(), dtype=float32, numpy=-0.0>',
     'tf.Tensor(-0.0, shape=(), dtype=float32)'),
    ('tf.constant([0.1], tf.bfloat16)',
     '<tf.Tensor: shape=(1,), dtype=bfloat16, numpy=array([0.100098], dtype={BF16})>',
     'tf.Tensor([0.100098], shape=(1,), dtype=bfloat16)'),
    ('tf.constant(1 / 3, tf.bfloat16)',
     '<tf.Tensor: shape=(), dtype=bfloat16, numpy=0.333984375>',
     'tf.Tensor(0.333984, shape=(), dtype=bfloat16)'),
]


def _bfloat16_in_repr() -> str:
    import ml_dtypes

    text = repr(np.array([1.0, 2.0], ml_dtypes.bfloat16))
    return text[text.index("dtype=") + 6:-1]


@pytest.mark.parametrize("expr, expected_repr, expected_str", REPRS)
def test_repr_and_str_match_tensorflow(expr, expected_repr, expected_str):
    value = eval(expr, {"tf": tf, "np": np})
    # NumPy's own repr spells the bfloat16 dtype as the installed ml_dtypes does
    # ("bfloat16" before 0.7, "dtype(bfloat16)" since); TensorFlow prints the same.
    expected_repr = expected_repr.replace("{BF16}", _bfloat16_in_repr())
    assert repr(value) == expected_repr
    assert str(value) == expected_str


def test_variable_repr():
    assert repr(tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])) == (
        "<tf.Variable 'Variable:0' shape=(2, 3) dtype=float32, numpy=\n"
        "array([[1., 2., 3.],\n       [4., 5., 6.]], dtype=float32)>")
    assert repr(tf.Variable(1.0)) == \
        "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>"


def test_properties(t):
    assert t.shape == tf.TensorShape([2, 3]) and t.get_shape() == [2, 3]
    assert t.dtype is tf.float32 and t.ndim == 2
    assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    assert isinstance(t, tf.Tensor) and type(t.shape[0]) is int
    with pytest.raises(AttributeError, match="eager"):
        t.name


def test_numpy_and_array(t):
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, T)
    a[0, 0] = 99.0  # numpy() hands out a copy: the tensor is unchanged
    assert t.numpy()[0, 0] == 1.0
    np.testing.assert_array_equal(np.array(t), T)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert isinstance(tf.constant(1.5).numpy(), np.float32)
    assert tf.constant("a").numpy() == b"a"


def test_len_iteration_and_conversions(t):
    assert len(t) == 2
    rows = list(t)
    assert len(rows) == 2 and all(isinstance(r, tf.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[1].numpy(), T[1])
    with pytest.raises(TypeError):
        len(tf.constant(1))
    with pytest.raises(TypeError):
        iter(tf.constant(1))
    assert float(tf.constant(2.5)) == 2.5 and float(tf.constant([2.5])) == 2.5
    assert int(tf.constant(2.7)) == 2 and int(tf.constant([3])) == 3
    assert complex(tf.constant(1 + 2j)) == 1 + 2j
    with pytest.raises(TypeError):
        float(t)


def test_bool():
    assert bool(tf.constant(1.0)) and not bool(tf.constant(0.0))
    assert bool(tf.constant([1.0])) and not bool(tf.constant([]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tf.constant([1.0, 2.0]))


def test_index():
    assert [0, 1, 2][tf.constant(1)] == 1
    assert list(range(tf.constant(3))) == [0, 1, 2]
    with pytest.raises(TypeError):
        [0, 1, 2][tf.constant(1.0)]
    with pytest.raises(TypeError):
        [0, 1, 2][tf.constant([1])]


def test_format(t):
    assert f"{tf.constant(2.5):.2f}" == "2.50"
    assert f"{t}" == "[[1. 2. 3.]\n [4. 5. 6.]]"


def test_unhashable_and_ref(t):
    with pytest.raises(TypeError, match=r"unhashable\. Instead, use tensor\.ref\(\)"):
        hash(t)
    with pytest.raises(TypeError):
        {t}
    r = t.ref()
    assert r.deref() is t and r == t.ref() and r != tf.constant(T).ref()
    assert {t.ref(): 1}[t.ref()] == 1
    v = tf.Variable(1.0)
    with pytest.raises(TypeError):
        hash(v)
    assert v.ref().deref() is v


def test_copy_and_pickle(t):
    assert copy.copy(t) is t
    np.testing.assert_array_equal(copy.deepcopy(t).numpy(), T)
    back = pickle.loads(pickle.dumps(t))
    assert back.dtype is tf.float32 and np.array_equal(back.numpy(), T)


def test_is_tensor():
    assert tf.is_tensor(tf.constant(1.0)) and tf.is_tensor(tf.Variable(1.0))
    assert not tf.is_tensor(np.array(1.0)) and not tf.is_tensor(1.0)
    assert not tf.is_tensor([tf.constant(1.0)])
    assert not tf.is_symbolic_tensor(tf.constant(1.0))


def test_numpy_functions_on_tensors_return_arrays(t):
    out = np.square(t)
    assert type(out) is np.ndarray and out.dtype == np.float32
    np.testing.assert_array_equal(out, T ** 2)
    assert type(np.add(t, t)) is np.ndarray
    assert np.mean(t) == pytest.approx(3.5)


def test_tensorflow_functions_on_arrays_return_tensors():
    a = np.array([2.0, 4.0, 5.0])
    s = tf.square(a)
    assert isinstance(s, tf.Tensor) and s.dtype is tf.float64
    np.testing.assert_array_equal(s.numpy(), [4.0, 16.0, 25.0])
    assert tf.constant(a).dtype is tf.float64


def test_python_scalars_take_the_tensor_dtype(t):
    assert (t + 10).dtype is tf.float32
    np.testing.assert_array_equal((t + 10).numpy(), T + 10)
    assert (tf.constant([1, 2]) + 1).dtype is tf.int32
    assert (t * np.float32(2.0)).dtype is tf.float32
    assert (tf.constant(2.0, tf.float64) * 2).dtype is tf.float64


@pytest.mark.parametrize("a, b, expected, got", [
    (lambda: tf.constant(2.0), lambda: tf.constant(40), "float", "int32"),
    (lambda: tf.constant(2.0), lambda: tf.constant(40.0, tf.float64), "float", "double"),
    (lambda: tf.constant(2), lambda: tf.constant(40.0), "int32", "float"),
    (lambda: tf.constant(2.0, tf.float16), lambda: tf.constant(1.0), "half", "float"),
])
def test_mixing_dtypes_raises(a, b, expected, got):
    with pytest.raises(InvalidArgumentError) as e:
        a() + b()
    text = str(e.value)
    assert f"cannot compute AddV2 as input #1(zero-based) was expected to be a {expected} " \
           f"tensor but is a {got} tensor" in text
    assert "tf.cast" in text and "hint:" in text
    with pytest.raises(InvalidArgumentError, match="expected to be a"):
        tf.multiply(a(), b())


def test_python_float_with_int_tensor_raises():
    # TensorFlow: TypeError, eagerly and traced (user code catches TypeError)
    with pytest.raises(TypeError, match="^Cannot convert 1.0 to EagerTensor of dtype int32"):
        tf.constant([1, 2]) + 1.0
    with pytest.raises(TypeError, match="^Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.constant([1, 2]) * 1.5
    with pytest.raises(TypeError, match="^Expected int32 passed to parameter 'y' of op 'Mul', "
                                        "got 1.5 of type 'float' instead"):
        tf.function(lambda x: x * 1.5)(tf.constant([1, 2]))


def test_cast_fixes_the_mismatch():
    t2 = tf.constant(40.0, dtype=tf.float64)
    out = tf.constant(2.0) + tf.cast(t2, tf.float32)
    assert out.dtype is tf.float32 and float(out) == 42.0
