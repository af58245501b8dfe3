"""tf.IndexedSlices as TensorFlow 2.21 documents and behaves: attributes, dense conversion
(repeated rows summed; TensorFlow's errors; its warning for a traced conversion of 10^8
elements or more), gradients of gather and embedding lookups, ops that densify, the spec,
and tf.function arguments and results."""

import warnings

import numpy as np
import pytest

import rill as tf


def _slices():
    return tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                            tf.constant([2, 0, 2]), tf.constant([4, 2]))


def test_attributes():
    s = _slices()
    assert s.dtype == tf.float32 and s.shape == tf.TensorShape([4, 2])
    assert s.values.shape == (3, 2) and s.indices.numpy().tolist() == [2, 0, 2]
    assert s.dense_shape.numpy().tolist() == [4, 2] and s.device == s.values.device
    assert tf.IndexedSlices(tf.ones([1, 2]), [0]).shape == tf.TensorShape(None)
    assert str(s).startswith("IndexedSlices(indices=tf.Tensor([2 0 2], shape=(3,)")


def test_dense_conversion_sums_repeated_rows():
    dense = tf.convert_to_tensor(_slices()).numpy()
    np.testing.assert_array_equal(dense, [[3, 4], [0, 0], [1 + 5, 2 + 6], [0, 0]])
    np.testing.assert_array_equal((-_slices()).values.numpy()[0], [-1.0, -2.0])


def test_ops_densify_it():
    # TensorFlow converts an IndexedSlices operand to its dense tensor
    want = np.array([[3, 4], [0, 0], [6, 8], [0, 0]], np.float32)
    np.testing.assert_array_equal((_slices() + tf.ones([4, 2])).numpy(), want + 1)
    np.testing.assert_array_equal(tf.multiply(_slices(), 2.0).numpy(), want * 2)
    assert float(tf.reduce_sum(_slices())) == want.sum()
    with pytest.raises(TypeError):
        _slices() + _slices()  # noqa: B018 - no operator between two IndexedSlices


def test_conversion_errors():
    with pytest.raises(ValueError, match="^Incompatible tensor conversion requested to "
                                         "`dtype` float64 for IndexedSlices"):
        tf.convert_to_tensor(_slices(), dtype=tf.float64)
    with pytest.raises(ValueError, match="^Tensor conversion requested for IndexedSlices for "
                                         "argument `value` without dense_shape"):
        tf.convert_to_tensor(tf.IndexedSlices(tf.ones([1, 2]), tf.constant([0])))


def _traced_conversion(rows):
    @tf.function
    def f(values):
        s = tf.IndexedSlices(values, tf.constant([0]), tf.constant([rows, 1]))
        return tf.convert_to_tensor(s)[:2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f.get_concrete_function(tf.TensorSpec([1, 1]))
    return [str(w.message) for w in caught if w.category is UserWarning]


def test_a_large_traced_conversion_warns_as_tensorflow():
    assert _traced_conversion(100_000_000) == [
        "Converting sparse IndexedSlices to a dense Tensor with 100000000 elements. This may "
        "consume a large amount of memory."]
    assert _traced_conversion(99_999_999) == []  # below TensorFlow's threshold


@pytest.mark.parametrize("lookup", [lambda v, i: tf.gather(v, i),
                                    lambda v, i: tf.nn.embedding_lookup(v, i)])
def test_gradients_of_lookups_are_indexed_slices(lookup):
    v = tf.Variable(np.arange(8.0).reshape(4, 2))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(lookup(v, tf.constant([[0, 2], [0, 3]])) * 2.0)
    g = tape.gradient(y, v)
    assert isinstance(g, tf.IndexedSlices)
    assert g.indices.numpy().tolist() == [0, 2, 0, 3]
    np.testing.assert_array_equal(g.values.numpy(), np.full((4, 2), 2.0))
    np.testing.assert_array_equal(tf.convert_to_tensor(g).numpy(),
                                  [[4, 4], [0, 0], [2, 2], [2, 2]])


def test_spec():
    spec = _slices()._type_spec
    assert spec == tf.IndexedSlicesSpec([4, 2], tf.float32, tf.int32, tf.int32, [3])
    assert repr(tf.IndexedSlicesSpec([3, 2])) == (
        "IndexedSlicesSpec(TensorShape([3, 2]), tf.float32, tf.int64, None, "
        "TensorShape([None]))")
    assert spec.value_type is tf.IndexedSlices and spec.is_compatible_with(_slices())


def test_through_tf_function():
    v = tf.Variable(np.arange(8.0).reshape(4, 2))

    @tf.function
    def grad(ids):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.gather(v, ids))
        return tape.gradient(y, v)

    g = grad(tf.constant([3, 1]))
    assert isinstance(g, tf.IndexedSlices) and g.indices.numpy().tolist() == [3, 1]

    @tf.function
    def doubled(s):
        return tf.IndexedSlices(s.values * 2.0, s.indices, s.dense_shape)

    out = doubled(_slices())
    assert isinstance(out, tf.IndexedSlices)
    np.testing.assert_array_equal(out.values.numpy(), _slices().values.numpy() * 2)


def test_cast_keeps_indexed_slices_sparse():
    s = tf.IndexedSlices(tf.constant([[1.5, 2.5]]), tf.constant([1]), tf.constant([3, 2]))
    c = tf.cast(s, tf.float64)
    assert isinstance(c, tf.IndexedSlices)  # as TensorFlow: only the values are cast
    assert c.dtype == tf.float64
    np.testing.assert_array_equal(c.values.numpy(), [[1.5, 2.5]])
    np.testing.assert_array_equal(c.indices.numpy(), [1])
    np.testing.assert_array_equal(tf.convert_to_tensor(c).numpy(), [[0, 0], [1.5, 2.5], [0, 0]])


def test_tape_differentiates_indexed_slices_through_their_values():
    values = tf.constant([[1.0, 2.0]])
    s = tf.IndexedSlices(values, tf.constant([1]), tf.constant([3, 2]))
    with tf.GradientTape() as tape:
        tape.watch(s)
        y = tf.reduce_sum(s.values * s.values)
    g = tape.gradient(y, s)
    assert isinstance(g, tf.IndexedSlices)
    np.testing.assert_array_equal(g.values.numpy(), [[2.0, 4.0]])  # d(v^2)/dv = 2v
    np.testing.assert_array_equal(g.indices.numpy(), [1])


def test_a_sparse_tensor_is_no_gradient_source_as_in_tensorflow():
    sp = tf.sparse.from_dense([[1.0, 0.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match="Type SparseTensor is not supported as a gradient"):
        with tf.GradientTape() as tape:
            tape.watch(sp)
