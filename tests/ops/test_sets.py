"""tf.sets on dense tensors and SparseTensors: the book's example and Python-set references.

Results are SparseTensors with each row's set sorted, as TensorFlow returns them; expected
values are computed with Python sets row by row (the book's are quoted).
"""

import numpy as np
import pytest

import rill as tf

SET1 = [[2, 3, 5, 7], [7, 9, 0, 0]]
SET2 = [[4, 5, 6], [9, 10, 0]]


def _rows(sp) -> list:
    """The sets of a SparseTensor result, row by row (its stored values)."""
    out = [[] for _ in range(int(sp.dense_shape[0]))]
    for (i, _), v in zip(sp.indices.numpy().tolist(), sp.values.numpy().tolist()):
        out[i].append(v)
    return out


def test_book_example():
    set1, set2 = tf.constant(SET1), tf.constant(SET2)
    assert tf.sparse.to_dense(tf.sets.union(set1, set2)).numpy().tolist() == \
        [[2, 3, 4, 5, 6, 7], [0, 7, 9, 10, 0, 0]]
    assert tf.sparse.to_dense(tf.sets.difference(set1, set2)).numpy().tolist() == \
        [[2, 3, 7], [7, 0, 0]]
    assert tf.sparse.to_dense(tf.sets.intersection(set1, set2)).numpy().tolist() == \
        [[5, 0], [0, 9]]


@pytest.mark.parametrize("op, ref", [
    ("union", lambda a, b: a | b), ("intersection", lambda a, b: a & b),
    ("difference", lambda a, b: a - b)])
def test_against_python_sets(op, ref):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 6, (4, 5))
    b = rng.integers(0, 6, (4, 3))
    got = _rows(getattr(tf.sets, op)(tf.constant(a), tf.constant(b)))
    assert got == [sorted(ref(set(x), set(y))) for x, y in zip(a.tolist(), b.tolist())]


def test_sparse_inputs_and_aminusb():
    a = tf.sparse.from_dense(tf.constant(SET1))  # zeros are not stored: row 1 is {7, 9}
    b = tf.constant(SET2)
    assert _rows(tf.sets.difference(a, b)) == [[2, 3, 7], [7]]
    assert _rows(tf.sets.difference(a, b, aminusb=False)) == [[4, 6], [0, 10]]
    assert _rows(tf.sets.union(a, tf.sparse.from_dense(b))) == [[2, 3, 4, 5, 6, 7],
                                                                [7, 9, 10]]
    assert tf.sets.size(a).numpy().tolist() == [4, 2]
    with pytest.raises(TypeError, match="Expected `SparseTensor`"):
        tf.sets.size(tf.constant(SET1))


def test_strings_and_higher_ranks():
    u = tf.sets.union(tf.constant([["a", "b"]]), tf.constant([["c", "a"]]))
    assert u.values.numpy().tolist() == [b"a", b"b", b"c"]
    i = tf.sets.intersection(tf.constant([[[1, 2], [3, 4]]]), tf.constant([[[2, 2], [5, 4]]]))
    assert i.indices.numpy().tolist() == [[0, 0, 0], [0, 1, 0]]
    assert i.values.numpy().tolist() == [2, 4]
    assert i.dense_shape.numpy().tolist() == [1, 2, 1]
    empty = tf.sets.intersection(tf.constant([[1]]), tf.constant([[2]]))
    assert empty.dense_shape.numpy().tolist() == [1, 0]


def test_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="has rank 1 < 2"):
        tf.sets.union(tf.constant([1, 2]), tf.constant([2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Mismatched shapes"):
        tf.sets.union(tf.constant([[1, 2]]), tf.constant([[2], [3]]))
    with pytest.raises(TypeError, match="invalid dtype"):
        tf.sets.union(tf.constant([[1.]]), tf.constant([[2.]]))


def test_sets_inside_tf_function():
    @tf.function
    def common(a, b):
        return tf.sparse.to_dense(tf.sets.intersection(a, b))

    assert common(tf.constant(SET1), tf.constant(SET2)).numpy().tolist() == [[5, 0], [0, 9]]
