"""shuffle: seeds, reshuffling, buffers; the index fast path agrees with the general path."""

import numpy as np
import pytest

import rill as tf
from tests.data._util import values

R = tf.data.Dataset.range


def test_shuffle_is_a_permutation_and_seeded_orders_repeat():
    a = values(R(100).shuffle(100, seed=7))
    assert sorted(a) == list(range(100)) and a != list(range(100))
    assert values(R(100).shuffle(100, seed=7)) == a  # same seed: same first order


def test_reshuffle_each_iteration():
    ds = R(50).shuffle(50, seed=3)
    first, second = values(ds), values(ds)
    assert first != second and sorted(second) == list(range(50))
    again = R(50).shuffle(50, seed=3)  # a new dataset replays the same sequence of orders
    assert values(again) == first and values(again) == second
    fixed = R(50).shuffle(50, seed=3, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    epochs = values(R(20).shuffle(20, seed=1).repeat(2))
    assert epochs[:20] != epochs[20:] and sorted(epochs[20:]) == list(range(20))


def test_global_seed_makes_unseeded_shuffles_deterministic():
    tf.random.set_seed(5)
    a = values(R(30).shuffle(30))
    tf.random.set_seed(5)
    b = values(R(30).shuffle(30))
    tf.random.set_seed(None)
    assert a == b


def test_small_buffer_only_reorders_locally():
    out = values(R(1000).shuffle(10, seed=0))
    assert sorted(out) == list(range(1000))
    # an element can leave the buffer only after it entered: it is never early by >= 10
    assert all(x <= i + 10 for i, x in enumerate(out))
    assert out != list(range(1000))


def test_index_plan_and_general_path_agree():
    X = np.arange(300, dtype=np.float32).reshape(100, 3)
    fast = tf.data.Dataset.from_tensor_slices(X).shuffle(37, seed=11)  # index plan
    slow = tf.data.Dataset.from_generator(lambda: iter(X), output_signature=tf.TensorSpec(
        [3], tf.float32)).shuffle(37, seed=11)  # elements through the buffer
    assert values(fast) == values(slow)
    full_fast = tf.data.Dataset.from_tensor_slices(X).shuffle(100, seed=2).batch(32)
    full_slow = tf.data.Dataset.from_generator(lambda: iter(X), output_signature=tf.TensorSpec(
        [3], tf.float32)).shuffle(100, seed=2).batch(32)
    assert values(full_fast) == values(full_slow)


def test_shuffle_batch_covers_every_row_once():
    X = np.arange(1000).reshape(500, 2)
    y = np.arange(500)
    batches = list(tf.data.Dataset.from_tensor_slices((X, y)).shuffle(500, seed=4).batch(32)
                   .prefetch(tf.data.AUTOTUNE))
    xs = np.concatenate([b[0].numpy() for b in batches])
    ys = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(ys.tolist()) == list(range(500))
    np.testing.assert_array_equal(xs, X[ys])  # rows stay paired with their labels
    assert [len(b[1].numpy()) for b in batches] == [32] * 15 + [20]


def test_shuffle_arguments():
    with pytest.raises(ValueError, match="greater than zero"):
        R(3).shuffle(0)
    assert len(R(7).shuffle(3)) == 7
