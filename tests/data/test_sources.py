"""tf.data sources: values derived independently (Python lists, NumPy)."""

import collections

import numpy as np
import pytest

import rill as tf
from tests.data._util import values


def test_from_tensor_slices_nested_tuple_and_dict():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6) * 10
    ds = tf.data.Dataset.from_tensor_slices((X, {"a": y, "b": [b"u"] * 6}))
    spec = ds.element_spec
    assert spec[0] == tf.TensorSpec([2], tf.float32)
    assert spec[1]["a"] == tf.TensorSpec([], tf.int64)
    assert spec[1]["b"] == tf.TensorSpec([], tf.string)
    out = values(ds)
    assert out[3] == ([6.0, 7.0], {"a": 30, "b": b"u"})
    assert len(ds) == 6 and int(ds.cardinality()) == 6


def test_from_tensor_slices_list_is_a_tensor_and_copies_input():
    a = np.array([1, 2, 3])
    ds = tf.data.Dataset.from_tensor_slices(a)
    a[0] = 99  # the dataset keeps its own copy
    assert values(ds) == [1, 2, 3]
    assert tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]]).element_spec.shape == [2]


def test_from_tensor_slices_namedtuple():
    P = collections.namedtuple("P", "x y")
    ds = tf.data.Dataset.from_tensor_slices(P(np.arange(3), np.arange(3) * 2.0))
    first = next(iter(ds))
    assert isinstance(first, P) and float(first.y) == 0.0


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match="Dimensions 3 and 4 are not compatible"):
        tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.data.Dataset.from_tensor_slices(np.float32(1.0))


def test_from_tensors_and_range():
    ds = tf.data.Dataset.from_tensors(([1, 2], 3.0))
    assert values(ds) == [([1, 2], 3.0)] and len(ds) == 1
    assert values(tf.data.Dataset.range(5)) == list(range(5))
    assert values(tf.data.Dataset.range(2, 9, 3)) == list(range(2, 9, 3))
    assert values(tf.data.Dataset.range(5, 0, -2)) == [5, 3, 1]
    r = tf.data.Dataset.range(3, dtype=tf.int32)
    assert r.element_spec == tf.TensorSpec([], tf.int32) and len(r) == 3


def test_from_generator_signature_args_and_errors():
    def gen(n, word):
        for i in range(int(n)):
            yield i, [word] * (i + 1)
    sig = (tf.TensorSpec([], tf.int32), tf.TensorSpec([None], tf.string))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig, args=(3, "w"))
    assert values(ds) == [(0, [b"w"]), (1, [b"w", b"w"]), (2, [b"w"] * 3)]
    assert values(ds) == values(ds)  # the generator is called anew
    bad = tf.data.Dataset.from_generator(lambda: iter([[1], [1, 2]]),
                                         output_signature=tf.TensorSpec([1], tf.int32))
    it = iter(bad)
    assert next(it).numpy().tolist() == [1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="yielded an element of shape"):
        next(it)
    legacy = tf.data.Dataset.from_generator(lambda: iter([1.5]), output_types=tf.float32)
    assert values(legacy) == [1.5]


def test_from_generator_exception_reaches_consumer():
    def gen():
        yield 1
        raise KeyError("broken source")
    it = iter(tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64)))
    next(it)
    with pytest.raises(KeyError, match="broken source"):
        next(it)


def test_zip_and_concatenate():
    a = tf.data.Dataset.range(4)
    b = tf.data.Dataset.from_tensor_slices(np.array([10.0, 20.0, 30.0]))
    assert values(tf.data.Dataset.zip((a, b))) == [(0, 10.0), (1, 20.0), (2, 30.0)]
    assert values(tf.data.Dataset.zip({"k": a, "v": b}))[1] == {"k": 1, "v": 20.0}
    assert len(tf.data.Dataset.zip(a, b)) == 3
    c = a.concatenate(tf.data.Dataset.range(7, 9))
    assert values(c) == [0, 1, 2, 3, 7, 8] and len(c) == 6
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        a.concatenate(b)


def test_concatenate_relaxes_shapes():
    a = tf.data.Dataset.from_tensors([1, 2])
    b = tf.data.Dataset.from_tensors([3])
    c = a.concatenate(b)
    assert c.element_spec.shape.as_list() == [None]
    assert values(c) == [[1, 2], [3]]


def test_choose_and_sample_from_datasets():
    ds = [tf.data.Dataset.from_tensors(np.int64(i)).repeat() for i in range(3)]
    choice = tf.data.Dataset.from_tensor_slices(np.array([0, 2, 1, 1, 0], np.int64))
    assert values(tf.data.Dataset.choose_from_datasets(ds, choice)) == [0, 2, 1, 1, 0]
    s = tf.data.Dataset.sample_from_datasets(ds, weights=[0.0, 1.0, 0.0], seed=3).take(5)
    assert values(s) == [1] * 5
    mixed = tf.data.Dataset.sample_from_datasets(
        [tf.data.Dataset.range(0, 50), tf.data.Dataset.range(100, 150)], seed=1)
    out = values(mixed)
    assert sorted(out) == list(range(50)) + list(range(100, 150))  # stop_on_empty=False
    assert [x for x in out if x < 100] == list(range(50))  # each source keeps its order
    assert values(tf.data.Dataset.sample_from_datasets(
        [tf.data.Dataset.range(0, 50), tf.data.Dataset.range(100, 150)], seed=1)) == out


def test_len_errors_like_tensorflow():
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(tf.data.Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(tf.data.Dataset.range(3).filter(lambda x: x > 0))
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2
    assert tf.data.is_dataset(tf.data.Dataset.range(1)) and not tf.data.is_dataset([1])
