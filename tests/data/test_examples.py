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
    assert py(got["tags"]) == row["tags"]
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
    assert py(batch["tags"]) == dense  # VarLenFeature: tf.sparse.to_dense of TF's result


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
    with pytest.raises(NotImplementedError, match="RaggedTensor"):
        tf.io.RaggedFeature(tf.int64)


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
