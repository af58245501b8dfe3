"""tf.SparseTensor and tf.sparse: the chapter's examples, TensorFlow's sparse tensor guide,
gradients, validation errors and tf.function.

Expected values come from the guide and the book (quoted), NumPy on the dense equivalent, or
hand computation; printed forms were taken from TensorFlow 2.21 (noted where used).
"""

import numpy as np
import pytest

import rill as tf


def _st():
    return tf.SparseTensor(indices=[[0, 1], [1, 0], [2, 3]], values=[1., 2., 3.],
                           dense_shape=[3, 4])


# -- the chapter ------------------------------------------------------------------------------
def test_chapter_sparse_tensor_to_dense_and_scaling():
    s = _st()
    want = np.array([[0, 1, 0, 0], [2, 0, 0, 0], [0, 0, 0, 3]], np.float32)
    np.testing.assert_array_equal(tf.sparse.to_dense(s).numpy(), want)
    s2 = s * 2.0
    assert isinstance(s2, tf.SparseTensor)
    np.testing.assert_array_equal(tf.sparse.to_dense(s2).numpy(), 2 * want)


def test_chapter_adding_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand type\\(s\\) for \\+: "
                                        "'SparseTensor' and 'float'"):
        _st() + 1.


def test_chapter_sparse_dense_matmul():
    s4 = tf.constant([[10., 20.], [30., 40.], [50., 60.], [70., 80.]])
    got = tf.sparse.sparse_dense_matmul(_st(), s4).numpy()
    dense = tf.sparse.to_dense(_st()).numpy()
    np.testing.assert_allclose(got, dense @ s4.numpy())
    np.testing.assert_array_equal(got, [[30., 40.], [20., 40.], [210., 240.]])


def test_chapter_unordered_indices_say_to_reorder():
    s5 = tf.SparseTensor(indices=[[0, 2], [0, 1]], values=[1., 2.], dense_shape=[3, 4])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.sparse.to_dense(s5)
    text = str(info.value)
    assert text.startswith("indices[1] = [0,1] is out of order. Many sparse ops require "
                           "sorted indices.")  # TensorFlow's first line
    assert "tf.sparse.reorder" in text and "hint:" in text
    s6 = tf.sparse.reorder(s5)
    np.testing.assert_array_equal(tf.sparse.to_dense(s6).numpy()[0], [0., 2., 1., 0.])


def test_printing_matches_tensorflow():
    # str(SparseTensor) in TensorFlow 2.21
    want = ("SparseTensor(indices=tf.Tensor(\n[[0 1]\n [1 0]\n [2 3]], shape=(3, 2), "
            "dtype=int64), values=tf.Tensor([1. 2. 3.], shape=(3,), dtype=float32), "
            "dense_shape=tf.Tensor([3 4], shape=(2,), dtype=int64))")
    assert str(_st()) == want
    assert repr(_st()) == want


def test_properties():
    s = _st()
    assert s.shape == tf.TensorShape([3, 4])
    assert s.dtype == tf.float32
    assert s.indices.dtype == tf.int64 and s.dense_shape.dtype == tf.int64
    assert tf.SparseTensor.from_value(s) is s
    assert tf.sparse.SparseTensor is tf.SparseTensor


def test_validation_errors():
    out_of_bounds = tf.SparseTensor([[0, 5]], [1.], [3, 4])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"indices\[0\] = \[0,5\] is out of bounds: need 0 <= index < "
                             r"\[3,4\]"):
        tf.sparse.to_dense(out_of_bounds)
    repeated = tf.SparseTensor([[0, 1], [0, 1]], [1., 2.], [3, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = \[0,1\] is "
                                                             r"repeated"):
        tf.sparse.to_dense(repeated)
    with pytest.raises(ValueError, match="rank 2"):
        tf.SparseTensor([0, 1], [1.], [3])


# -- TensorFlow's sparse tensor guide ---------------------------------------------------------
def test_guide_from_dense():
    st = tf.sparse.from_dense([[1, 0, 0, 8], [0, 0, 0, 0], [0, 0, 3, 0]])
    assert st.indices.numpy().tolist() == [[0, 0], [0, 3], [2, 2]]
    assert st.values.numpy().tolist() == [1, 8, 3]
    assert st.dense_shape.numpy().tolist() == [3, 4]


def test_guide_sparse_add():
    st_a = tf.SparseTensor(indices=[[0, 2], [3, 4]], values=[31, 2], dense_shape=[4, 10])
    st_b = tf.SparseTensor(indices=[[0, 2], [7, 0]], values=[56, 38], dense_shape=[4, 10])
    st_sum = tf.sparse.add(st_a, st_b)
    # the guide prints { [0, 2]: 87 [3, 4]: 2 [7, 0]: 38 }
    assert st_sum.indices.numpy().tolist() == [[0, 2], [3, 4], [7, 0]]
    assert st_sum.values.numpy().tolist() == [87, 2, 38]


def test_guide_sparse_dense_matmul():
    st_c = tf.SparseTensor(indices=([0, 1], [1, 0], [1, 1]), values=[13, 15, 17],
                           dense_shape=(2, 2))
    mb = tf.constant([[4], [6]])
    assert tf.sparse.sparse_dense_matmul(st_c, mb).numpy().tolist() == [[78], [162]]


def test_guide_concat_and_slice():
    a = tf.SparseTensor([[0, 0], [1, 2]], [1, 2], [2, 3])
    b = tf.SparseTensor([[0, 1], [1, 0]], [3, 4], [2, 2])
    joined = tf.sparse.concat(1, [a, b])
    want = np.concatenate([tf.sparse.to_dense(a).numpy(), tf.sparse.to_dense(b).numpy()], 1)
    np.testing.assert_array_equal(tf.sparse.to_dense(joined).numpy(), want)
    part = tf.sparse.slice(joined, [0, 1], [2, 3])
    np.testing.assert_array_equal(tf.sparse.to_dense(part).numpy(), want[:, 1:4])
    grown = tf.sparse.concat(0, [a, b], expand_nonconcat_dims=True)
    assert grown.dense_shape.numpy().tolist() == [4, 3]


def test_reduce_sum_and_max_docs_examples():
    x = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1, 1, 1], [2, 3])
    assert int(tf.sparse.reduce_sum(x)) == 3
    assert tf.sparse.reduce_sum(x, 0).numpy().tolist() == [1, 1, 1]
    assert tf.sparse.reduce_sum(x, 1).numpy().tolist() == [2, 1]
    assert tf.sparse.reduce_sum(x, 1, keepdims=True).numpy().tolist() == [[2], [1]]
    assert int(tf.sparse.reduce_sum(x, [0, 1])) == 3
    y = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1, 2, 3], [3, 3])
    assert int(tf.sparse.reduce_max(y)) == 3
    assert tf.sparse.reduce_max(y, 0).numpy().tolist() == [1, 3, 2]
    assert tf.sparse.reduce_max(y, 1).numpy().tolist() == [2, 3, 0]  # empty row: 0
    z = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], [-7, 4, 3], [3, 2])
    assert tf.sparse.reduce_max(z, 1).numpy().tolist() == [-7, 4, 0]  # stored values only
    sparse_out = tf.sparse.reduce_max(z, 1, output_is_sparse=True)
    assert sparse_out.indices.numpy().tolist() == [[0], [1]]
    assert sparse_out.values.numpy().tolist() == [-7, 4]


def _dense(st):
    return tf.sparse.to_dense(st).numpy()


def test_structure_ops_against_numpy():
    st = tf.SparseTensor([[0, 1], [1, 0], [1, 3], [2, 2]], [1, 2, 3, 4], [3, 4])
    d = _dense(st)
    np.testing.assert_array_equal(_dense(tf.sparse.reshape(st, [4, 3])), d.reshape(4, 3))
    np.testing.assert_array_equal(_dense(tf.sparse.reshape(st, [-1])), d.reshape(-1))
    np.testing.assert_array_equal(_dense(tf.sparse.transpose(st)), d.T)
    kept = tf.sparse.retain(st, [True, False, True, False])
    np.testing.assert_array_equal(_dense(kept), np.where(np.isin(d, [1, 3]), d, 0))
    assert tf.sparse.reset_shape(st).dense_shape.numpy().tolist() == [3, 4]
    assert tf.sparse.reset_shape(st, [5, 6]).dense_shape.numpy().tolist() == [5, 6]
    with pytest.raises(ValueError, match="smaller"):
        tf.sparse.reset_shape(st, [2, 4])
    np.testing.assert_array_equal(_dense(tf.sparse.expand_dims(st, 0)), d[None])
    np.testing.assert_array_equal(_dense(tf.sparse.eye(3)), np.eye(3, dtype=np.float32))
    halves = tf.sparse.split(sp_input=st, num_split=2, axis=1)
    np.testing.assert_array_equal(_dense(halves[1]), d[:, 2:])
    np.testing.assert_array_equal(_dense(tf.sparse.maximum(st, st * 2)), 2 * d)


def test_fill_empty_rows_and_to_indicator():
    st = tf.SparseTensor([[1, 0], [1, 2], [3, 1]], [5, 6, 7], [5, 3])
    filled, empty = tf.sparse.fill_empty_rows(st, -1)
    assert filled.indices.numpy().tolist() == [[0, 0], [1, 0], [1, 2], [2, 0], [3, 1],
                                               [4, 0]]
    assert filled.values.numpy().tolist() == [-1, 5, 6, -1, 7, -1]
    assert empty.numpy().tolist() == [True, False, True, False, True]
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [2, 0, 1], [2, 2])
    assert tf.sparse.to_indicator(ids, 3).numpy().tolist() == [[True, False, True],
                                                               [False, True, False]]


def test_segment_ops_and_mask():
    c = tf.constant([[1., 2., 3., 4.], [-1., -2., -3., -4.], [5., 6., 7., 8.]])
    np.testing.assert_array_equal(tf.sparse.segment_sum(c, [0, 1], [0, 0]).numpy(),
                                  [[0., 0., 0., 0.]])
    np.testing.assert_array_equal(tf.sparse.segment_sum(c, [0, 1, 2], [0, 0, 1]).numpy(),
                                  [[0., 0., 0., 0.], [5., 6., 7., 8.]])
    np.testing.assert_allclose(tf.sparse.segment_mean(c, [0, 2], [0, 0]).numpy(),
                               [[3., 4., 5., 6.]])
    np.testing.assert_allclose(tf.sparse.segment_sqrt_n(c, [0, 2], [0, 0]).numpy(),
                               [[6 / np.sqrt(2), 8 / np.sqrt(2), 10 / np.sqrt(2),
                                 12 / np.sqrt(2)]])
    slices = tf.IndexedSlices(tf.constant([[1., 2.], [3., 4.], [5., 6.]]), tf.constant([0, 4, 7]),
                              tf.constant([10, 2]))
    masked = tf.sparse.mask(slices, [4])
    assert masked.indices.numpy().tolist() == [0, 7]
    assert masked.values.numpy().tolist() == [[1., 2.], [5., 6.]]


def test_elementwise_with_dense_and_dispatch():
    st = _st()
    row = tf.constant([1., 2., 3., 4.])
    np.testing.assert_array_equal(_dense(st * row), _dense(st) * row.numpy())
    np.testing.assert_array_equal(_dense(st / row), _dense(st) / row.numpy())
    np.testing.assert_array_equal(_dense(tf.abs(st * -1.0)), _dense(st))
    assert tf.shape(st).numpy().tolist() == [3, 4]
    assert int(tf.size(st)) == 12 and int(tf.rank(st)) == 2
    assert tf.cast(st, tf.int32).values.dtype == tf.int32
    dense = tf.sparse.add(st, tf.ones([3, 4]))
    np.testing.assert_array_equal(dense.numpy(), _dense(st) + 1)
    with pytest.raises(ValueError, match="Attempt to convert a value"):
        tf.reduce_sum(st)  # TensorFlow does not dispatch reduce_sum on SparseTensors


# -- gradients ---------------------------------------------------------------------------------
def test_sparse_dense_matmul_gradients_for_values_and_dense_side():
    idx = [[0, 1], [1, 0], [2, 3]]
    values = tf.constant([1., 2., 3.])
    b = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    w = np.array([[1., -1.], [2., 0.5], [0., 3.]], np.float32)
    with tf.GradientTape() as tape:
        tape.watch([values, b])
        st = tf.SparseTensor(idx, values, [3, 4])
        loss = tf.reduce_sum(tf.sparse.sparse_dense_matmul(st, b) * w)
    g_values, g_b = tape.gradient(loss, [values, b])
    # d loss / d values[k] = sum_j w[row_k, j] * b[col_k, j];  d loss / d b = A^T w
    want_values = [float(w[r] @ b.numpy()[c]) for r, c in idx]
    a = np.zeros((3, 4), np.float32)
    for (r, c), v in zip(idx, values.numpy()):
        a[r, c] = v
    np.testing.assert_allclose(g_values.numpy(), want_values, rtol=1e-6)
    np.testing.assert_allclose(g_b.numpy(), a.T @ w, rtol=1e-6)


def test_to_dense_gradient_reaches_the_values():
    values = tf.constant([1., 2., 3.])
    with tf.GradientTape() as tape:
        tape.watch(values)
        dense = tf.sparse.to_dense(tf.SparseTensor([[0, 0], [1, 1], [2, 0]], values, [3, 2]))
        loss = tf.reduce_sum(dense * tf.constant([[1., 2.], [3., 4.], [5., 6.]]))
    assert tape.gradient(loss, values).numpy().tolist() == [1., 4., 5.]


# -- tf.function -------------------------------------------------------------------------------
def test_sparse_tensors_through_tf_function():
    @tf.function(input_signature=[tf.SparseTensorSpec([None, 4], tf.float32)])
    def scaled_rows(st):
        return tf.sparse.reduce_sum(st * 2.0, axis=1), tf.sparse.reorder(st)

    sums, st = scaled_rows(_st())
    assert sums.numpy().tolist() == [2., 4., 6.]
    assert isinstance(st, tf.SparseTensor)
    np.testing.assert_array_equal(_dense(st), _dense(_st()))
    other = tf.SparseTensor([[0, 0], [0, 3]], [5., 1.], [1, 4])
    assert scaled_rows(other)[0].numpy().tolist() == [12.]
    assert scaled_rows.experimental_get_tracing_count() == 1
