"""Answers and errors that probing found different from TensorFlow's, each checked against
TensorFlow 2.21: the expected values and messages below are TensorFlow's."""

import re

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError, UnimplementedError

inf, nan = np.inf, np.nan


# -- gather with 64-bit indices --------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_negative_gather_indices_raise_for_every_index_dtype(dtype):
    p = tf.constant([1.0, 2.0, 3.0])
    idx = tf.constant([-1], dtype)
    for call in (lambda: tf.gather(p, idx), lambda: tf.nn.embedding_lookup(p, idx),
                 lambda: tf.function(lambda i: tf.gather(p, i))(idx),
                 lambda: tf.gather(tf.ones([2, 3]), idx, axis=1)):
        with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = -1 is not in \["):
            call()
    assert tf.gather(p, tf.constant([2, 0], dtype)).numpy().tolist() == [3.0, 1.0]


def test_argmax_indices_gather_as_int64():
    p = tf.constant([[1.0, 5.0], [7.0, 2.0]])
    i = tf.argmax(p, axis=1)  # int64, as TensorFlow returns
    assert i.dtype == tf.int64
    assert tf.gather(tf.constant([10.0, 20.0]), i).numpy().tolist() == [20.0, 10.0]


# -- softmax --------------------------------------------------------------------------------
def test_softmax_of_non_finite_rows_as_tensorflow_float32():
    # float32: in a row holding NaN or +inf those entries are NaN, the others 0
    got = tf.nn.softmax(tf.constant([[inf, 1.0, 2.0], [1.0, nan, 2.0], [-inf, 0.0, 0.0]]))
    np.testing.assert_array_equal(got.numpy(), [[nan, 0, 0], [0, nan, 0], [0, 0.5, 0.5]])
    traced = tf.function(tf.nn.softmax)(tf.constant([inf, 1.0]))
    np.testing.assert_array_equal(traced.numpy(), [nan, 0.0])
    np.testing.assert_array_equal(tf.nn.softmax(tf.constant([-inf, -inf])).numpy(), [nan, nan])
    # float64 rows are all NaN in TensorFlow too
    np.testing.assert_array_equal(
        tf.nn.softmax(tf.constant([inf, 1.0], tf.float64)).numpy(), [nan, nan])
    np.testing.assert_array_equal(tf.nn.log_softmax(tf.constant([-inf, 1.0])).numpy(),
                                  [-inf, 0.0])


def test_softmax_over_an_empty_axis_is_empty():
    for fn in (tf.nn.softmax, tf.nn.log_softmax):
        assert fn(tf.zeros([2, 0])).shape == (2, 0)
        assert fn(tf.zeros([0, 3])).shape == (0, 3)


# -- reductions --------------------------------------------------------------------------------
def test_float16_mean_accumulates_in_float16():
    assert np.isinf(float(tf.reduce_mean(tf.constant([60000.0, 60000.0], tf.float16))))
    assert np.isinf(float(tf.function(tf.reduce_mean)(
        tf.constant([60000.0, 60000.0], tf.float16))))
    assert float(tf.reduce_mean(tf.constant([1000.0, 3000.0, 5.0], tf.float16))) == 1335.0
    assert float(tf.reduce_mean(tf.ones([3000], tf.float16))) == 1.0
    # bfloat16 accumulates in float32: the mean of [6e4, 6e4] is 6e4 rounded to bfloat16
    assert float(tf.reduce_mean(tf.constant([60000.0, 60000.0], tf.bfloat16))) == 59904.0


@pytest.mark.parametrize("fn", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max,
                                tf.reduce_min, tf.reduce_prod])
def test_reducing_a_scalar_along_an_axis_raises(fn):
    for axis in (0, -1):
        with pytest.raises(InvalidArgumentError,
                           match=rf"^Invalid reduction dimension \({axis} for input with 0 "):
            fn(tf.constant(1.0), axis=axis)
        with pytest.raises(InvalidArgumentError, match="Invalid reduction dimension"):
            tf.function(lambda x: fn(x, axis=axis))(tf.constant(1.0))
    assert float(fn(tf.constant(3.0))) == 3.0


def test_duplicate_reduction_axes_raise_however_written():
    x = tf.ones([2, 3])
    for axes in ([0, -2], [0, 0], [-1, 1]):
        with pytest.raises(InvalidArgumentError,
                           match="^Invalid reduction arguments: Axes contains duplicate"):
            tf.reduce_sum(x, axis=axes)
    with pytest.raises(InvalidArgumentError, match="duplicate dimension: 0"):
        tf.function(lambda t: tf.reduce_sum(t, axis=[0, -2]))(x)
    assert float(tf.reduce_sum(x, axis=[-1, 0])) == 6.0


def test_float_axes_raise_type_error():
    x = tf.ones([2, 3])
    for call in (lambda: tf.reduce_sum(x, axis=1.0), lambda: tf.concat([x, x], axis=1.0),
                 lambda: tf.argmax(x, axis=1.0), lambda: tf.cumsum(x, axis=1.0),
                 lambda: tf.reduce_mean(x, axis=[1.0])):
        with pytest.raises(TypeError, match=r"^Cannot convert 1\.0 to EagerTensor of dtype "
                                            r"int32"):
            call()
    assert tf.argmax(x, axis=tf.constant(1)).shape == (2,)


# -- reshape -------------------------------------------------------------------------------------
def test_reshape_refuses_sizes_below_minus_one():
    with pytest.raises(InvalidArgumentError, match="Size 0 must be non-negative, not -2"):
        tf.reshape(tf.zeros([6]), [-2, 3])
    with pytest.raises(InvalidArgumentError, match="must be non-negative, not -2"):
        tf.function(lambda x: tf.reshape(x, [-2, 3]))(tf.zeros([6]))


@pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")
@pytest.mark.parametrize("src,shape,want", [
    ([0, 3], [-1, 3], (0, 3)), ([0, 3], [0, -1], (0, 3)), ([3, 0], [0, -1], (0, 3)),
    ([0, 6], [0, -1, 2], (0, 3, 2)), ([0, 3], [5, -1], (5, 0)), ([0, 3], [-1, 0], (3, 0)),
    ([2, 0, 3], [0, -1], (0, 6)), ([0, 4], [2, 0, -1], (2, 0, 2)), ([0, 3], [-1], (0,)),
])
def test_reshape_of_zero_size_tensors_infers_minus_one(src, shape, want):
    assert tf.reshape(tf.zeros(src), shape).shape == want
    assert RESHAPE(tf.zeros(src), shape).shape == want


RESHAPE = tf.function(tf.reshape)


# -- conversion and casts -------------------------------------------------------------------------
def test_string_casts_are_unimplemented():
    for x, dtype, text in [(tf.constant("1.5"), tf.float32, "string to float"),
                           (tf.constant("1"), tf.int32, "string to int32"),
                           (tf.constant(1.0), tf.string, "float to string")]:
        with pytest.raises(UnimplementedError, match=f"^Cast {text} is not supported"):
            tf.cast(x, dtype)
    assert tf.cast(tf.constant("a"), tf.string).numpy() == b"a"


def test_python_float_with_an_int_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="^Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.constant([1, 2]) * 1.5
    with pytest.raises(TypeError, match="^Expected int32 passed to parameter 'y' of op 'Mul'"):
        tf.function(lambda x: x * 1.5)(tf.constant([1, 2]))


def test_broadcast_mismatch_names_the_shapes_as_tensorflow():
    with pytest.raises(InvalidArgumentError, match=r"^Incompatible shapes: \[2,3\] vs\. \[4\] "
                                                   r"\[Op:AddV2\]\n.*\nhint: broadcasting"):
        tf.ones([2, 3]) + tf.ones([4])
    with pytest.raises(InvalidArgumentError, match=r"^Incompatible shapes: \[2,3\] vs\. \[4\]"):
        tf.multiply(tf.ones([2, 3]), tf.ones([4]))
    with pytest.raises(ValueError, match=r"^Dimensions must be equal, but are 3 and 4"):
        tf.function(lambda x, y: x + y)(tf.ones([2, 3]), tf.ones([4]))


def test_string_plus_number_names_the_dtypes():
    with pytest.raises(InvalidArgumentError, match=r"^cannot compute AddV2 as input "
                                                   r"#1\(zero-based\) was expected to be a "
                                                   r"string tensor but is a int32 tensor"):
        tf.constant("a") + 1
    with pytest.raises(TypeError, match="^Input 'y' of 'AddV2' Op has type int32 that does "
                                        "not match type string"):
        tf.function(lambda s: s + 1)(tf.constant("a"))


def test_assign_add_needs_the_variable_shape():
    v = tf.Variable([1.0, 2.0])
    for delta, shape in [([1.0, 2.0, 3.0], "[3]"), (1.0, "[]"), ([[1.0, 2.0]], "[1,2]")]:
        with pytest.raises(InvalidArgumentError,
                           match=rf"^Cannot update variable with shape \[2\] using a Tensor "
                                 rf"with shape {re.escape(shape)}, shapes must be equal"):
            v.assign_add(delta)
    with pytest.raises(InvalidArgumentError, match="AssignSubVariableOp"):
        v.assign_sub([1.0])
    with pytest.raises(ValueError, match="^Dimension 0 in both shapes must be equal, but are "
                                         "2 and 3"):
        tf.function(lambda: v.assign_add([1.0, 2.0, 3.0]))()
    with pytest.raises(ValueError, match="^Shapes must be equal rank, but are 1 and 0"):
        tf.function(lambda: v.assign_add(1.0))()
    assert v.numpy().tolist() == [1.0, 2.0]
    v.assign_add([1.0, 1.0])
    assert v.numpy().tolist() == [2.0, 3.0]


# -- fidelity (issue 7, item 8) ------------------------------------------------------------------
def test_plus_concatenates_strings_eagerly_and_traced():
    a = tf.constant("a")
    assert (a + a).numpy() == b"aa" and (a + a).dtype == tf.string
    assert tf.function(lambda s: s + s)(a).numpy() == b"aa"
    got = tf.constant([["x", "y"]]) + tf.constant(["1", "2"])
    assert got.numpy().tolist() == [[b"x1", b"y2"]]
    assert tf.add(a, "b").numpy() == b"ab"


def test_numpy_of_a_symbolic_tensor_is_an_attribute_error():
    @tf.function
    def f(x):
        try:
            return tf.constant(x.numpy())
        except AttributeError:  # code written for TensorFlow catches this
            return x * 2.0

    assert float(f(tf.constant(3.0))) == 6.0


def test_py_function_and_numpy_function_as_decorators():
    @tf.py_function(Tout=tf.float32)
    def double(x):
        return x * 2

    @tf.numpy_function(Tout=tf.float32)
    def triple(x):
        return (x * 3).astype(np.float32)

    assert float(double(tf.constant(2.0))) == 4.0
    assert float(triple(tf.constant(2.0))) == 6.0
    assert float(tf.function(lambda x: double(x) + triple(x))(tf.constant(1.0))) == 5.0
    assert double.__name__ == "double"
