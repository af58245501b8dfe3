"""Ragged and sparse elements of datasets. Expected specs and values written out by hand
(checked against TensorFlow 2.21's behaviour for the same pipelines)."""

import numpy as np
import pytest

import rill as tf

ROWS = [[1, 2], [], [3, 4, 5]]


def _dense(st):
    return tf.sparse.to_dense(st).numpy().tolist()


def _rt():
    return tf.ragged.constant(ROWS)


def test_slices_of_a_ragged_tensor_are_dense_rows():
    ds = tf.data.Dataset.from_tensor_slices(_rt())
    assert ds.element_spec == tf.RaggedTensorSpec([None], tf.int32, 0, tf.int64)
    out = list(ds)
    assert all(isinstance(x, tf.Tensor) for x in out)
    assert [x.numpy().tolist() for x in out] == ROWS
    assert len(ds) == 3


def test_slices_of_a_3d_ragged_tensor_are_ragged():
    rt = tf.ragged.constant([[[1], [2, 3]], [[4]]])
    ds = tf.data.Dataset.from_tensor_slices(rt)
    assert ds.element_spec == tf.RaggedTensorSpec([None, None], tf.int32, 1, tf.int64)
    assert [x.to_list() for x in ds] == [[[1], [2, 3]], [[4]]]
    back = ds.batch(2).unbatch()
    assert [x.to_list() for x in back] == [[[1], [2, 3]], [[4]]]


def test_batch_and_unbatch_of_ragged_rows():
    b = tf.data.Dataset.from_tensor_slices(_rt()).batch(2)
    assert b.element_spec == tf.RaggedTensorSpec([None, None], tf.int32, 1, tf.int64)
    out = list(b)
    assert all(isinstance(x, tf.RaggedTensor) for x in out)
    assert [x.to_list() for x in out] == [[[1, 2], []], [[3, 4, 5]]]
    d = tf.data.Dataset.from_tensor_slices(_rt()).batch(2, drop_remainder=True)
    assert d.element_spec.shape.as_list() == [2, None]
    u = b.unbatch()
    assert u.element_spec == tf.RaggedTensorSpec([None], tf.int32, 0, tf.int64)
    assert [x.numpy().tolist() for x in u] == ROWS


def test_ragged_with_dense_components():
    ds = tf.data.Dataset.from_tensor_slices((_rt(), [7, 8, 9]))
    spec = ds.element_spec
    assert spec[0] == tf.RaggedTensorSpec([None], tf.int32, 0, tf.int64)
    assert spec[1].shape.as_list() == []
    (r, y), = list(ds.batch(3))
    assert r.to_list() == ROWS and y.numpy().tolist() == [7, 8, 9]


def test_from_tensors_ragged_batches_to_higher_ragged_rank():
    ds = tf.data.Dataset.from_tensors(_rt()).repeat(2).batch(2)
    assert ds.element_spec == tf.RaggedTensorSpec([None, 3, None], tf.int32, 2, tf.int64)
    assert [x.to_list() for x in ds] == [[ROWS, ROWS]]


def test_ragged_batch_of_variable_length_dense_elements():
    d = tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4], [5, 6]]).map(
        lambda x: x[:x[0] % 3])
    assert d.element_spec.shape.as_list() == [None]
    with pytest.raises(tf.errors.InvalidArgumentError):
        list(d.batch(2))
    rb = d.ragged_batch(2)
    assert rb.element_spec == tf.RaggedTensorSpec([None, None], tf.int32, 1, tf.int64)
    assert [x.to_list() for x in rb] == [[[1], []], [[5, 6]]]
    assert [x.numpy().tolist() for x in rb.unbatch()] == [[1], [], [5, 6]]
    # fully known shapes batch densely, as in TensorFlow
    fixed = tf.data.Dataset.from_tensor_slices(np.arange(6).reshape(3, 2)).ragged_batch(2)
    assert isinstance(fixed.element_spec, tf.TensorSpec)
    assert [x.numpy().tolist() for x in fixed] == [[[0, 1], [2, 3]], [[4, 5]]]
    assert tf.data.experimental.dense_to_ragged_batch(2)(d).element_spec == rb.element_spec


def test_slices_batch_unbatch_of_a_sparse_tensor():
    st = tf.SparseTensor([[0, 0], [1, 2], [2, 1]], [1., 2., 3.], [3, 4])
    ds = tf.data.Dataset.from_tensor_slices(st)
    assert ds.element_spec == tf.SparseTensorSpec([4], tf.float32)
    out = list(ds)
    assert all(isinstance(x, tf.SparseTensor) for x in out)
    assert [_dense(x) for x in out] == [[1, 0, 0, 0], [0, 0, 2, 0], [0, 3, 0, 0]]
    assert out[1].indices.numpy().tolist() == [[2]]
    b = ds.batch(2)
    assert b.element_spec == tf.SparseTensorSpec([None, 4], tf.float32)
    bs = list(b)
    assert bs[0].indices.numpy().tolist() == [[0, 0], [1, 2]]
    assert bs[1].dense_shape.numpy().tolist() == [1, 4]
    assert [_dense(x) for x in b.unbatch()] == [_dense(x) for x in out]
    assert b.unbatch().element_spec == tf.SparseTensorSpec([4], tf.float32)


def test_map_over_ragged_and_sparse_elements():
    ds = tf.data.Dataset.from_tensor_slices(_rt())
    m = ds.map(lambda x: x * 2)   # dense rows: traced
    assert m.element_spec == tf.TensorSpec([None], tf.int32)
    assert [x.numpy().tolist() for x in m] == [[2, 4], [], [6, 8, 10]]
    mb = ds.batch(2).map(lambda x: x * 2)   # ragged batches: run eagerly
    assert mb.element_spec == tf.RaggedTensorSpec([None, None], tf.int32, 1, tf.int64)
    assert [x.to_list() for x in mb] == [[[2, 4], []], [[6, 8, 10]]]
    par = ds.batch(2).map(lambda x: x * 2, num_parallel_calls=2)
    assert [x.to_list() for x in par] == [[[2, 4], []], [[6, 8, 10]]]
    st = tf.SparseTensor([[0, 0], [1, 2]], [1., 2.], [2, 3])
    sm = tf.data.Dataset.from_tensor_slices(st).map(lambda x: tf.sparse.to_dense(x))
    assert sm.element_spec == tf.TensorSpec([3], tf.float32)
    assert [x.numpy().tolist() for x in sm] == [[1, 0, 0], [0, 0, 2]]
