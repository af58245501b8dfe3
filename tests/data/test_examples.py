"""tf.train.Example protocol buffers and tf.io parsing, checked against TensorFlow-written
fixtures (tests/data/fixtures/make_fixtures.py) whose inputs are in expected.json."""

import json
import os

import numpy as np
import pytest

import rill as tf
from tests.data._util import py

pytest.importorskip("google.protobuf")
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
EXPECTED = json.load(open(os.path.join(FIXTURES, "expected.json")))
FEATURES = {"id": tf.io.FixedLenFeature([], tf.int64),
            "x": tf.io.FixedLenFeature([3], tf.float32),
            "name": tf.io.FixedLenFeature([], tf.string),
            "tags": tf.io.VarLenFeature(tf.int64),
            "missing": tf.io.FixedLenFeature([2], tf.float32, default_value=[0.5, -1.0])}


def _check_row(got, row):
    assert int(got["id"]) == row["id"]
    np.testing.assert_array_equal(got["x"].numpy(), np.float32(row["x"]))
    assert got["name"].numpy() == row["name"].encode()
    assert isinstance(got["tags"], tf.SparseTensor)   # VarLenFeature, as in TensorFlow
    assert py(got["tags"].values) == row["tags"]
    assert py(got["tags"].indices) == [[i] for i in range(len(row["tags"]))]
    assert py(got["missing"]) == [0.5, -1.0]


def test_parse_single_example_of_tensorflow_records():
    ds = tf.data.TFRecordDataset(os.path.join(FIXTURES, "examples.tfrecord"))
    parsed = list(ds.map(lambda r: tf.io.parse_single_example(r, FEATURES)))
    assert len(parsed) == len(EXPECTED["examples"])
    for got, row in zip(parsed, EXPECTED["examples"]):
        _check_row(got, row)


def test_parse_example_batched():
    ds = tf.data.TFRecordDataset(os.path.join(FIXTURES, "examples.gz.tfrecord"), "GZIP")
    batch = next(iter(ds.batch(5).map(lambda b: tf.io.parse_example(b, FEATURES))))
    rows = EXPECTED["examples"]
    assert py(batch["id"]) == [r["id"] for r in rows]
    assert batch["x"].shape.as_list() == [5, 3]
    longest = max(len(r["tags"]) for r in rows)
    dense = [r["tags"] + [0] * (longest - len(r["tags"])) for r in rows]
    assert isinstance(batch["tags"], tf.SparseTensor)
    assert py(tf.sparse.to_dense(batch["tags"])) == dense
    assert py(batch["tags"].dense_shape) == [5, longest]


def test_sequence_example():
    ds = tf.data.TFRecordDataset(os.path.join(FIXTURES, "sequence.tfrecord"))
    for rec, want in zip(ds, EXPECTED["sequences"]):
        ctx, seq = tf.io.parse_single_sequence_example(
            rec, context_features={"label": tf.io.FixedLenFeature([], tf.int64)},
            sequence_features={"tokens": tf.io.FixedLenSequenceFeature([2], tf.int64),
                               "words": tf.io.VarLenFeature(tf.string)})
        assert int(ctx["label"]) == want["label"]
        assert py(seq["tokens"]) == want["tokens"]
        longest = max(len(w) for w in want["words"])
        assert py(seq["words"]) == [[x.encode() for x in w] + [b""] * (longest - len(w))
                                    for w in want["words"]]


def test_examples_written_by_rill_round_trip(tmp_path):
    path = str(tmp_path / "mine.tfrecord")
    with tf.io.TFRecordWriter(path, "ZLIB") as w:
        for r in EXPECTED["examples"]:
            f = tf.train.Feature
            w.write(tf.train.Example(features=tf.train.Features(feature={
                "id": f(int64_list=tf.train.Int64List(value=[r["id"]])),
                "x": f(float_list=tf.train.FloatList(value=r["x"])),
                "name": f(bytes_list=tf.train.BytesList(value=[r["name"].encode()])),
                "tags": f(int64_list=tf.train.Int64List(value=r["tags"]))})
            ).SerializeToString())
    ds = tf.data.TFRecordDataset(path, "ZLIB").map(
        lambda r: tf.io.parse_single_example(r, FEATURES))
    for got, row in zip(ds, EXPECTED["examples"]):
        _check_row(got, row)
    ex = tf.train.Example.FromString(next(iter(tf.data.TFRecordDataset(path, "ZLIB"))).numpy())
    assert list(ex.features.feature["tags"].int64_list.value) == EXPECTED["examples"][0]["tags"]


def test_parse_errors_name_the_feature():
    rec = next(iter(tf.data.TFRecordDataset(os.path.join(FIXTURES, "examples.tfrecord"))))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Feature: q \\(data type: int64\\) is required"):
        tf.io.parse_single_example(rec, {"q": tf.io.FixedLenFeature([1], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Key: id.  Data types don't match"):
        tf.io.parse_single_example(rec, {"id": tf.io.FixedLenFeature([], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Key: x.  Can't parse"):
        tf.io.parse_single_example(rec, {"x": tf.io.FixedLenFeature([2], tf.float32)})
    with pytest.raises(NotImplementedError, match="partitions"):
        tf.io.RaggedFeature(tf.int64, partitions=["n"])


def test_serialize_tensor_matches_tensorflow():
    recs = [r.numpy() for r in tf.data.TFRecordDataset(os.path.join(FIXTURES,
                                                                     "tensors.tfrecord"))]
    want = EXPECTED["tensors"]
    assert py(tf.io.parse_tensor(recs[0], tf.float32)) == want["f"]
    assert int(tf.io.parse_tensor(recs[1], tf.int64)) == want["i"]
    assert py(tf.io.parse_tensor(recs[2], tf.string)) == [s.encode() for s in want["s"]]
    # rill writes the same bytes as TensorFlow
    assert tf.io.serialize_tensor(tf.constant(want["f"], tf.float32)).numpy() == recs[0]
    assert tf.io.serialize_tensor(tf.constant(want["i"], tf.int64)).numpy() == recs[1]
    assert tf.io.serialize_tensor(tf.constant(want["s"])).numpy() == recs[2]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
        tf.io.parse_tensor(recs[0], tf.int32)


def _example(**features):
    f = {}
    for k, v in features.items():
        if isinstance(v[0], int):
            f[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=v))
        else:
            f[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
    return tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString()


def test_varlen_sparse_and_ragged_features_as_tensorflow():
    # expected values: TensorFlow 2.21's parse_single_example/parse_example of these records
    a = _example(v=[3, 1, 4], s=[b"a", b"b"], w2=[7, 8], s2=[b"x"])
    b = _example(s=[b"c"])
    c = _example(v=[5], w2=[9])
    feats = {"v": tf.io.VarLenFeature(tf.int64), "s": tf.io.VarLenFeature(tf.string),
             "r": tf.io.RaggedFeature(tf.int64, value_key="w2"),
             "q": tf.io.RaggedFeature(tf.string, value_key="s2", row_splits_dtype=tf.int64)}
    one = tf.io.parse_single_example(a, feats)
    assert py(one["v"].indices) == [[0], [1], [2]] and py(one["v"].values) == [3, 1, 4]
    assert py(one["v"].dense_shape) == [3]
    assert py(one["s"].values) == [b"a", b"b"]
    assert not isinstance(one["r"], tf.RaggedTensor) and py(one["r"]) == [7, 8]
    empty = tf.io.parse_single_example(b, feats)
    assert empty["v"].indices.shape.as_list() == [0, 1] and py(empty["v"].dense_shape) == [0]
    assert py(empty["r"]) == []
    batch = tf.io.parse_example([a, b, c], feats)
    assert py(batch["v"].indices) == [[0, 0], [0, 1], [0, 2], [2, 0]]
    assert py(batch["v"].values) == [3, 1, 4, 5] and py(batch["v"].dense_shape) == [3, 3]
    assert py(batch["s"].indices) == [[0, 0], [0, 1], [1, 0]]
    assert py(batch["s"].dense_shape) == [3, 2]
    assert isinstance(batch["r"], tf.RaggedTensor)
    assert batch["r"].to_list() == [[7, 8], [], [9]]
    assert batch["r"].row_splits.dtype == tf.int32   # RaggedFeature's default
    assert batch["q"].to_list() == [[b"x"], [], []] and batch["q"].row_splits.dtype == tf.int64
    # inside Dataset.map (traced): sparse and ragged results come out as such
    ds = tf.data.Dataset.from_tensor_slices([a, b, c]).batch(3).map(
        lambda x: tf.io.parse_example(x, feats))
    assert isinstance(ds.element_spec["v"], tf.SparseTensorSpec)
    assert isinstance(ds.element_spec["r"], tf.RaggedTensorSpec)
    got = next(iter(ds))
    assert py(got["v"].values) == [3, 1, 4, 5] and got["r"].to_list() == [[7, 8], [], [9]]
    single = tf.data.Dataset.from_tensor_slices([a, b, c]).map(
        lambda x: tf.io.parse_single_example(x, feats))
    assert [py(e["v"].values) for e in single] == [[3, 1, 4], [], [5]]
    rb = next(iter(single.ragged_batch(3)))   # dense [None] rows: ragged_batch, not batch
    assert rb["r"].to_list() == [[7, 8], [], [9]]
    assert py(tf.sparse.to_dense(rb["v"])) == [[3, 1, 4], [0, 0, 0], [5, 0, 0]]
