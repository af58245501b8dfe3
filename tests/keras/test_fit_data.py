"""The data handling behind fit/evaluate/predict: batching, shuffling, splits, weights."""

import numpy as np
import pytest

from rill.keras.models import data_adapter as da


def _epoch(handler):
    return [leaves for _, leaves in handler.epoch()]


def test_arrays_batch_in_order_with_a_partial_last_batch():
    x = np.arange(10, dtype=np.float64).reshape(10, 1)
    y = np.arange(10)
    h = da.DataHandler(x, y, batch_size=4, shuffle=False)
    batches = _epoch(h)
    assert h.steps == 3 and h.num_samples == 10
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert batches[0][0].dtype == np.float32  # floats become floatx
    assert batches[2][1].dtype == y.dtype
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)


def test_shuffle_draws_a_new_permutation_each_epoch_and_keeps_pairs():
    x = np.arange(100, dtype=np.float32).reshape(100, 1)
    y = np.arange(100) * 2
    h = da.DataHandler(x, y, batch_size=16, shuffle=True)
    np.random.seed(0)
    e1 = np.concatenate([b[1] for b in _epoch(h)])
    e2 = np.concatenate([b[1] for b in _epoch(h)])
    assert sorted(e1) == sorted(y) and not np.array_equal(e1, e2)
    for leaves in _epoch(h):
        np.testing.assert_array_equal(leaves[0][:, 0] * 2, leaves[1])


def test_structures_of_inputs_are_kept():
    x = {"a": np.zeros((6, 2)), "b": np.ones((6, 3))}
    y = [np.zeros(6), np.ones((6, 1))]
    h = da.DataHandler(x, y, batch_size=4)
    structure, leaves = next(h.epoch())
    assert isinstance(structure, tuple) and set(structure[0]) == {"a", "b"}
    assert [leaf.shape for leaf in leaves] == [(4, 2), (4, 3), (4,), (4, 1)]


def test_python_lists_of_numbers_are_one_array():
    h = da.DataHandler([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [1, 2, 3], batch_size=2)
    structure, leaves = next(h.epoch())
    assert leaves[0].shape == (2, 2) and leaves[1].tolist() == [1, 2]


def test_mismatched_lengths_name_the_arguments():
    with pytest.raises(ValueError, match=r"(?s)'x' sizes: 10.*'y' sizes: 9.*hint"):
        da.DataHandler(np.zeros((10, 2)), np.zeros(9))


def test_class_weight_becomes_sample_weight():
    y = np.array([0, 1, 2, 1])
    h = da.DataHandler(np.zeros((4, 1)), y, class_weight={1: 3.0, 2: 0.5}, batch_size=4)
    _, leaves = next(h.epoch())
    np.testing.assert_allclose(leaves[2], [1.0, 3.0, 0.5, 3.0])
    onehot = np.eye(3)[y]
    h = da.DataHandler(np.zeros((4, 1)), onehot, class_weight={1: 3.0}, batch_size=4)
    np.testing.assert_allclose(next(h.epoch())[1][2], [1.0, 3.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="class_weight.*sample_weight"):
        da.DataHandler(np.zeros((4, 1)), y, sample_weight=np.ones(4), class_weight={1: 2.0})


def test_validation_split_takes_the_last_fraction():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    (tx, ty, tsw), (vx, vy, vsw) = da.train_validation_split(x, y, None, 0.25)
    assert ty.tolist() == list(range(7)) and vy.tolist() == [7, 8, 9]
    assert tsw is None and vsw is None
    with pytest.raises(ValueError, match="not enough"):
        da.train_validation_split(x[:1], y[:1], None, 0.5)


def test_generators_run_until_exhausted_or_for_steps_per_epoch():
    def gen():
        for i in range(5):
            yield np.full((2, 1), i, np.float32), np.full(2, i)

    h = da.DataHandler(gen(), caller="fit")
    assert h.steps is None
    assert len(_epoch(h)) == 5 and h.num_batches == 5
    h = da.DataHandler(gen(), steps_per_epoch=2)
    assert [b[1][0] for b in _epoch(h)] == [0, 1]
    assert [b[1][0] for b in _epoch(h)] == [2, 3]  # the next epoch continues
    with pytest.warns(UserWarning, match="ran out of data"):
        assert len(_epoch(h)) == 1
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        da.DataHandler(gen(), np.zeros(3))


def test_sequences_are_indexed_each_epoch_and_told_when_it_ends():
    class Seq:
        def __init__(self):
            self.ends = 0

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((2, 1), i, np.float32), np.full(2, i)

        def on_epoch_end(self):
            self.ends += 1

    seq = Seq()
    h = da.DataHandler(seq)
    assert h.steps == 3
    assert [b[1][0] for b in _epoch(h)] == [0, 1, 2]
    assert [b[1][0] for b in _epoch(h)] == [0, 1, 2] and seq.ends == 2
    with pytest.raises(ValueError, match="batch_size"):
        da.DataHandler(seq, batch_size=4)


def test_steps_per_epoch_on_arrays_continues_across_epochs():
    x = np.arange(6, dtype=np.float32)[:, None]
    h = da.DataHandler(x, batch_size=2, steps_per_epoch=2, shuffle=False)
    first = [b[0][0, 0] for b in _epoch(h)]
    second = [b[0][0, 0] for b in _epoch(h)]
    assert first == [0, 2] and second == [4, 0]


def test_unpack_and_pack():
    assert da.unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert da.unpack_x_y_sample_weight([1, 2, 3]) == (1, 2, 3)
    assert da.pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    assert da.pack_x_y_sample_weight(1, 2) == (1, 2)
    with pytest.raises(ValueError, match="hint"):
        da.unpack_x_y_sample_weight((1, 2, 3, 4))
