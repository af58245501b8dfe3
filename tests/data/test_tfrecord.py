"""TFRecord files: round trips, compression, corruption, and files written by TensorFlow."""

import gzip
import os
import struct

import numpy as np
import pytest

import rill as tf
from rill.io.tfrecord import crc32c, masked_crc32c
from tests.data._util import values

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def test_crc32c_known_values():
    # the check value of CRC-32C (RFC 3720, B.4) and a record header written by TensorFlow
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"\x00" * 32) == 0x8A9136AA
    assert masked_crc32c(struct.pack("<Q", 5)).to_bytes(4, "little").hex() == "eab2043e"
    data = np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    bitwise = 0xFFFFFFFF  # a bit-at-a-time reference for the fast table/lane version
    for byte in data[:3000]:
        bitwise ^= byte
        for _ in range(8):
            bitwise = (bitwise >> 1) ^ (0x82F63B78 if bitwise & 1 else 0)
    assert crc32c(data[:3000]) == bitwise ^ 0xFFFFFFFF
    assert crc32c(data) == crc32c(data[7000:], crc32c(data[:7000]))


def test_bytes_match_the_format(tmp_path):
    path = str(tmp_path / "a.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"hello")
    raw = open(path, "rb").read()
    assert raw[:8] == struct.pack("<Q", 5) and raw[12:17] == b"hello" and len(raw) == 21
    assert struct.unpack("<I", raw[17:])[0] == masked_crc32c(b"hello")


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_round_trip(tmp_path, compression):
    path = str(tmp_path / "r.tfrecord")
    records = [b"", b"a", bytes(range(256)) * 40, b"text"]
    with tf.io.TFRecordWriter(path, compression) as w:
        for r in records:
            w.write(r)
        w.write(tf.constant(b"tensor"))
    ds = tf.data.TFRecordDataset(path, compression_type=compression)
    assert ds.element_spec == tf.TensorSpec([], tf.string)
    assert values(ds) == records + [b"tensor"]
    if compression == "GZIP":
        assert gzip.open(path).read(8) == struct.pack("<Q", 0)
    opts = tf.io.TFRecordOptions(compression_type=compression)
    with tf.io.TFRecordWriter(path, opts) as w:
        w.write(b"x")
    assert values(tf.data.TFRecordDataset([path], compression or "")) == [b"x"]


def test_several_files_and_parallel_reads(tmp_path):
    paths = []
    for f in range(3):
        paths.append(str(tmp_path / f"p{f}.tfrecord"))
        with tf.io.TFRecordWriter(paths[-1]) as w:
            for i in range(4):
                w.write(f"{f}-{i}".encode())
    seq = values(tf.data.TFRecordDataset(paths))
    assert seq == [f"{f}-{i}".encode() for f in range(3) for i in range(4)]
    par = values(tf.data.TFRecordDataset(paths, num_parallel_reads=2))
    assert sorted(par) == sorted(seq) and par[:2] == [b"0-0", b"1-0"]  # interleaved by file
    names = tf.data.Dataset.from_tensor_slices(paths)
    assert values(tf.data.TFRecordDataset(names)) == seq


def test_corrupted_and_truncated_records(tmp_path):
    path = str(tmp_path / "c.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"hello")
        w.write(b"world!")
    raw = bytearray(open(path, "rb").read())
    bad = bytearray(raw)
    bad[14] ^= 1  # a bit of the first record's data
    open(path, "wb").write(bad)
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at 12"):
        list(tf.data.TFRecordDataset(path))
    open(path, "wb").write(raw[:20])
    with pytest.raises(tf.errors.DataLossError, match="truncated record at 0"):
        list(tf.data.TFRecordDataset(path))
    bad = bytearray(raw)
    bad[30] ^= 0xFF  # the second record's length
    open(path, "wb").write(bad)
    it = iter(tf.data.TFRecordDataset(path))
    assert next(it).numpy() == b"hello"
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at 21"):
        next(it)
    assert values(tf.data.TFRecordDataset(path).ignore_errors()) == [b"hello"]


def test_tensorflow_written_files_read_back():
    plain = values(tf.data.TFRecordDataset(os.path.join(FIXTURES, "examples.tfrecord")))
    gz = values(tf.data.TFRecordDataset(os.path.join(FIXTURES, "examples.gz.tfrecord"),
                                        "GZIP"))
    assert len(plain) == 5 and plain == gz
