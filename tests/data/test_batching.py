"""Batching transformations: batches built independently with NumPy."""

import numpy as np
import pytest

import rill as tf
from tests.data._util import values

R = tf.data.Dataset.range


def test_batch_shapes_and_values():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = tf.data.Dataset.from_tensor_slices((X, y)).batch(4)
    assert ds.element_spec[0].shape.as_list() == [None, 2]
    out = list(ds)
    assert [b[0].shape.as_list() for b in out] == [[4, 2], [4, 2], [2, 2]]
    np.testing.assert_array_equal(out[2][0].numpy(), X[8:])
    np.testing.assert_array_equal(out[1][1].numpy(), y[4:8])
    dropped = tf.data.Dataset.from_tensor_slices((X, y)).batch(4, drop_remainder=True)
    assert dropped.element_spec[1].shape.as_list() == [4] and len(dropped) == 2
    assert len(ds) == 3


def test_batch_of_generic_elements_and_strings():
    ds = R(5).map(lambda x: (x, tf.fill([2], x))).batch(2)
    assert values(ds) == [([0, 1], [[0, 0], [1, 1]]), ([2, 3], [[2, 2], [3, 3]]),
                          ([4], [[4, 4]])]
    s = tf.data.Dataset.from_tensor_slices(np.array([b"a", b"bb", b"c"], dtype=object))
    assert values(s.batch(2)) == [[b"a", b"bb"], [b"c"]]
    assert values(s.batch(2).unbatch()) == [b"a", b"bb", b"c"]


def test_batch_shape_mismatch_is_a_clear_error():
    gen = tf.data.Dataset.from_generator(lambda: iter([[1], [1, 2]]),
                                         output_signature=tf.TensorSpec([None], tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Cannot batch tensors with different shapes in component 0"):
        list(gen.batch(2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="greater than zero"):
        R(3).batch(0)


def test_padded_batch():
    ds = R(1, 5).map(lambda x: tf.fill([x], x))
    out = values(ds.padded_batch(2))
    assert out == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    out = values(ds.padded_batch(3, padded_shapes=[5], padding_values=np.int64(-1)))
    assert out[0] == [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1], [3, 3, 3, -1, -1]]
    assert ds.padded_batch(2, padded_shapes=[5]).element_spec.shape.as_list() == [None, 5]
    with pytest.raises(tf.errors.InvalidArgumentError, match="smaller size"):
        list(ds.padded_batch(2, padded_shapes=[2]))


def test_unbatch_rebatch():
    ds = R(7).batch(3)
    assert values(ds.unbatch()) == list(range(7))
    assert values(ds.rebatch(2)) == [[0, 1], [2, 3], [4, 5], [6]]
    with pytest.raises(ValueError, match="scalar elements"):
        R(3).rebatch(2)


def test_group_by_window_and_bucket_by_sequence_length():
    ds = R(10).group_by_window(lambda x: x % 2, lambda k, w: w.batch(3), window_size=3)
    out = values(ds)
    assert out == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    lengths = [1, 5, 2, 6, 3, 7]
    seqs = tf.data.Dataset.from_generator(lambda: (np.ones(n, np.int32) * n for n in lengths),
                                          output_signature=tf.TensorSpec([None], tf.int32))
    b = seqs.bucket_by_sequence_length(lambda s: tf.shape(s)[0], [4], [2, 2])
    got = values(b)
    # lengths below 4 go to bucket 0, the others to bucket 1; each batch is padded; a
    # bucket is emitted when full, the leftovers at the end by bucket (checked against
    # TensorFlow 2.21)
    assert got == [[[1, 0], [2, 2]], [[5, 5, 5, 5, 5, 0], [6, 6, 6, 6, 6, 6]],
                   [[3, 3, 3]], [[7] * 7]]
    late = tf.data.Dataset.from_generator(lambda: (np.ones(n, np.int32) * n for n in [7, 1]),
                                          output_signature=tf.TensorSpec([None], tf.int32))
    assert values(late.bucket_by_sequence_length(lambda s: tf.shape(s)[0], [4], [2, 2])) == \
        [[[1]], [[7] * 7]]
