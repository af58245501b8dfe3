"""tf.data transformations: values derived independently (Python, NumPy)."""

import numpy as np
import pytest

import rill as tf
from tests.data._util import values

R = tf.data.Dataset.range


def test_map_is_traced_once():
    calls = []

    def f(x):
        calls.append(1)  # a Python side effect: runs while tracing only
        return x * 2 + 1
    ds = R(5).map(f)
    assert len(calls) == 1
    assert values(ds) == [2 * i + 1 for i in range(5)]
    assert values(ds) == [2 * i + 1 for i in range(5)]
    assert len(calls) == 1


def test_map_autograph_if_and_structures():
    def f(x):
        if x > 2:
            y = x * 10
        else:
            y = x
        return {"y": y, "pair": [x, y]}
    out = values(R(5).map(f))
    assert [o["y"] for o in out] == [0, 1, 2, 30, 40]
    assert out[4]["pair"] == (4, 40)  # lists returned by map become tuples


def test_map_unpacks_tuples_not_dicts():
    ds = tf.data.Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 2))
    assert values(ds.map(lambda a, b: a + b)) == [0, 3, 6]
    d = tf.data.Dataset.from_tensor_slices({"a": np.arange(3)})
    assert values(d.map(lambda e: e["a"] * 3)) == [0, 3, 6]


def test_map_untraceable_falls_back_with_warning():
    with pytest.warns(UserWarning, match="running it eagerly"):
        ds = R(3).map(lambda x: x.numpy() + 1)
    assert values(ds) == [1, 2, 3]


def test_map_with_py_function():
    ds = R(4).map(lambda x: tf.py_function(lambda v: v * 3, [x], tf.int64))
    assert values(ds) == [0, 3, 6, 9]


def test_map_does_not_write_into_its_input():
    X = np.arange(6.0).reshape(3, 2)
    ds = tf.data.Dataset.from_tensor_slices(X).map(lambda r: r * 2.0 + 1.0)
    assert values(ds) == (X * 2 + 1).tolist()
    assert values(tf.data.Dataset.from_tensor_slices(X)) == X.tolist()


def test_filter_take_skip_repeat():
    ds = R(10).filter(lambda x: x % 3 == 0)
    assert values(ds) == [0, 3, 6, 9]
    assert values(R(10).take(3)) == [0, 1, 2] and len(R(10).take(30)) == 10
    assert values(R(10).skip(7)) == [7, 8, 9] and len(R(10).skip(12)) == 0
    assert values(R(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert values(R(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert int(R(3).repeat().take(7).cardinality()) == 7
    assert values(R(0).repeat()) == []
    assert values(R(5).take(-1)) == list(range(5)) and values(R(5).skip(-1)) == []
    with pytest.raises(ValueError, match="bool"):
        R(3).filter(lambda x: x)


def test_enumerate_shard_take_while_unique_scan_reduce():
    assert values(R(3).map(lambda x: x * 5).enumerate(start=2)) == [(2, 0), (3, 5), (4, 10)]
    assert values(R(10).shard(3, 1)) == [1, 4, 7] and len(R(10).shard(3, 1)) == 3
    with pytest.raises(tf.errors.InvalidArgumentError, match="Index must be between"):
        R(10).shard(3, 3)
    assert values(R(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    u = tf.data.Dataset.from_tensor_slices(np.array([3, 1, 3, 2, 1]))
    assert values(u.unique()) == [3, 1, 2]
    s = R(5).scan(np.int64(0), lambda acc, x: (acc + x, acc * 10))
    assert values(s) == [0, 0, 10, 30, 60]
    assert int(R(5).reduce(np.int64(0), lambda acc, x: acc + x)) == 10
    # a state whose shape grows: traced again with a relaxed shape
    grow = R(3).reduce(np.zeros([0], np.int64),
                       lambda acc, x: tf.concat([acc, tf.reshape(x, [1])], 0))
    assert grow.numpy().tolist() == [0, 1, 2]


def test_flat_map_interleave_window():
    fm = R(3).flat_map(lambda x: tf.data.Dataset.from_tensors(x).repeat(x))
    assert values(fm) == [1, 2, 2]
    il = R(1, 4).interleave(lambda x: tf.data.Dataset.from_tensors(x).repeat(3),
                            cycle_length=2, block_length=2)
    # orders checked against TensorFlow 2.21: a cycle of open inputs, block_length elements
    # from each in turn; an exhausted one is replaced by the next input in its place
    assert values(il) == [1, 1, 2, 2, 1, 2, 3, 3, 3]
    il = R(1, 6).interleave(lambda x: tf.data.Dataset.from_tensors(x).repeat(6 - x),
                            cycle_length=3, block_length=2)
    assert values(il) == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 1, 4, 4, 5]
    w = R(7).window(3, shift=2)
    assert [values(win) for win in w] == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    w = R(7).window(3, shift=2, drop_remainder=True)
    assert [values(win) for win in w] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    w = R(8).window(2, shift=3, stride=2)
    assert [values(win) for win in w] == [[0, 2], [3, 5], [6]]
    assert values(R(6).window(3).flat_map(lambda win: win.batch(3))) == [[0, 1, 2],
                                                                         [3, 4, 5]]


def test_cache_memory_and_file(tmp_path):
    calls = []
    ds = R(4).map(lambda x: tf.py_function(lambda v: calls.append(1) or v, [x], tf.int64))
    cached = ds.cache()
    assert values(cached) == [0, 1, 2, 3] and values(cached) == [0, 1, 2, 3]
    assert len(calls) == 4
    f = str(tmp_path / "c")
    assert values(R(3).map(lambda x: (x, x)).cache(f)) == \
        [(0, 0), (1, 1), (2, 2)]
    again = tf.data.Dataset.from_tensors(np.int64(9)).map(lambda x: (x, x)).cache(f)
    assert values(again) == [(0, 0), (1, 1), (2, 2)]  # read back from the file


def test_ignore_errors_and_error_position():
    ds = tf.data.Dataset.from_tensor_slices(np.array([1.0, 0.0, 2.0]))
    checked = ds.map(lambda x: tf.debugging.check_numerics(1.0 / x, "inf"))
    it = iter(checked)
    assert float(next(it)) == 1.0
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        next(it)
    assert "on element 1" in "".join(getattr(e.value, "__notes__", []))
    assert float(next(it)) == 0.5  # the iterator goes on after a failed element
    assert values(checked.ignore_errors()) == [1.0, 0.5]


def test_apply_options_get_single_element():
    ds = R(4).apply(lambda d: d.map(lambda x: x + 1))
    assert values(ds) == [1, 2, 3, 4]
    o = tf.data.Options()
    o.experimental_deterministic = False
    assert ds.with_options(o).options().deterministic is False
    assert int(R(1).get_single_element()) == 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than one"):
        R(2).get_single_element()
