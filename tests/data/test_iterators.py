"""Iteration: eager iterators, Optional, checkpoint state hooks, and datasets inside
tf.function."""

import numpy as np
import pytest

import rill as tf
from tests.data._util import py, values

R = tf.data.Dataset.range


def test_iter_next_get_next_and_end():
    it = iter(R(2))
    assert int(next(it)) == 0 and int(it.get_next()) == 1
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()
    opt = iter(R(1)).get_next_as_optional()
    assert bool(opt.has_value()) and int(opt.get_value()) == 0
    empty = iter(R(0)).get_next_as_optional()
    assert not bool(empty.has_value())
    assert it.element_spec == tf.TensorSpec([], tf.int64)


def test_as_numpy_iterator_gives_numpy_and_bytes():
    ds = tf.data.Dataset.from_tensor_slices(({"a": np.arange(2.0)},
                                             np.array([b"x", b"y"], object)))
    first = next(ds.as_numpy_iterator())
    assert isinstance(first[0]["a"], np.floating) and first[1] == b"x"


def test_save_and_restore_mid_epoch():
    X = np.arange(40).reshape(20, 2)
    ds = tf.data.Dataset.from_tensor_slices(X).shuffle(20).map(lambda r: r * 3).batch(3)
    it = iter(ds)
    before = [py(next(it)) for _ in range(2)]
    state = it._save()
    rest = [py(b) for b in it]
    other = iter(ds)  # a new iterator of the same pipeline, moved to the saved position
    other._restore(state)
    assert [py(b) for b in other] == rest
    seen = np.concatenate([np.array(b) for b in before + rest])
    assert sorted(seen[:, 0].tolist()) == sorted((X[:, 0] * 3).tolist())


def test_restore_across_epochs_of_a_generator_pipeline():
    ds = tf.data.Dataset.from_generator(lambda: iter(range(6)),
                                        output_signature=tf.TensorSpec([], tf.int64))
    ds = ds.shuffle(4, seed=None).repeat(3)
    it = iter(ds)
    for _ in range(8):
        next(it)
    state = it._save()
    import json
    state = json.loads(json.dumps(state))  # plain values: any checkpoint format can hold it
    rest = values(it)
    again = iter(ds)
    again._restore(state)
    assert values(again) == rest and len(rest) == 10


def test_for_loop_in_tf_function_is_a_graph_loop():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(1.0, 6.0, dtype=np.float32)).batch(2)

    @tf.function
    def total(d):
        s = tf.constant(0.0)
        for b in d:
            s += tf.reduce_sum(b)
        return s
    assert float(total(ds)) == 15.0
    assert float(total(ds)) == 15.0  # each call iterates anew
    cf = total.get_concrete_function(ds)
    types = [op.type for op in cf.graph.get_operations()]
    assert "AnonymousIteratorV3" in types and "While" in types


def test_for_loop_in_tf_function_with_break_and_reshuffle():
    ds = R(10).shuffle(10)

    @tf.function
    def first_two_sum(d):
        s = tf.constant(np.int64(0))
        n = tf.constant(0)
        for x in d:
            if n >= 2:
                break
            s += x
            n += 1
        return s, n
    s, n = first_two_sum(ds)
    assert int(n) == 2 and 0 <= int(s) <= 17
    seen = {int(first_two_sum(ds)[0]) for _ in range(8)}
    assert len(seen) > 1  # a new shuffle on every call, not a constant baked in at trace


def test_next_on_an_eager_iterator_inside_tf_function():
    it = iter(R(5).map(lambda x: x * 10))

    @tf.function
    def step(iterator):
        return next(iterator) + 1
    assert [int(step(it)) for _ in range(3)] == [1, 11, 21]
    assert int(next(it)) == 30  # the same iterator, advanced by the graph
    step(it)
    with pytest.raises(tf.errors.OutOfRangeError):
        step(it)


def test_iter_inside_tf_function():
    ds = R(4)

    @tf.function
    def first_plus_second(d):
        it = iter(d)
        return next(it) + next(it)
    assert int(first_plus_second(ds)) == 1
    assert int(first_plus_second(ds)) == 1


def test_from_tensor_slices_of_a_symbolic_tensor_says_what_to_do():
    @tf.function
    def f(x):
        return tf.data.Dataset.from_tensor_slices(x)
    with pytest.raises(TypeError, match="outside the tf.function"):
        f(tf.constant([1, 2]))
