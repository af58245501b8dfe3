"""Text and CSV readers, list_files, save/load, tf.io files, checkpointed iterators."""

import gzip
import zlib

import numpy as np
import pytest

import rill as tf
from tests.data._util import py, values


def _write(path, data: bytes, kind=None):
    if kind == "GZIP":
        data = gzip.compress(data)
    elif kind == "ZLIB":
        data = zlib.compress(data)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


@pytest.mark.parametrize("kind", [None, "GZIP", "ZLIB"])
def test_text_lines(tmp_path, kind):
    a = _write(tmp_path / "a.txt", b"one\r\ntwo\n\nthree", kind)
    b = _write(tmp_path / "b.txt", b"four\n", kind)
    ds = tf.data.TextLineDataset([a, b], compression_type=kind)
    assert values(ds) == [b"one", b"two", b"", b"three", b"four"]


def test_decode_csv():
    a, b, c = tf.io.decode_csv(['1,2.5,"a,b"', ',,x'], [[0], [1.0], [""]])
    assert py(a) == [1, 0] and py(b) == [2.5, 1.0] and py(c) == [b"a,b", b"x"]
    assert a.dtype == tf.int32 and b.dtype == tf.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expect 3 fields but have 2"):
        tf.io.decode_csv(["1,2"], [[0], [1.0], [""]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="is not a valid float: x"):
        tf.io.decode_csv(["1,x"], [[0], [1.0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="required but missing"):
        tf.io.decode_csv([","], [tf.constant([], tf.int32), [0]])
    (x,) = tf.io.decode_csv(["a;b;7"], [[0]], field_delim=";", select_cols=[2])
    assert py(x) == [7]
    lines = tf.data.Dataset.from_tensor_slices(["3,4", "5,6"])
    assert values(lines.map(lambda l: tf.io.decode_csv(l, [[0], [0]]))) == [(3, 4), (5, 6)]


def test_csv_dataset(tmp_path):
    p = _write(tmp_path / "d.csv", b"a,b,c\n1,2.5,x\n3,,\"y,z\"\n")
    ds = tf.data.experimental.CsvDataset(p, [tf.int32, [9.0], tf.string], header=True)
    assert values(ds) == [(1, 2.5, b"x"), (3, 9.0, b"y,z")]
    only = tf.data.experimental.CsvDataset(p, [[0], [""]], header=True, select_cols=[0, 2])
    assert values(only) == [(1, b"x"), (3, b"y,z")]


def test_make_csv_dataset(tmp_path):
    rows = "".join(f"{i},{i * 0.5},{'abc'[i % 3]},{i % 2}\n" for i in range(10))
    p = _write(tmp_path / "m.csv", ("n,f,s,label\n" + rows).encode())
    ds = tf.data.experimental.make_csv_dataset(p, batch_size=4, label_name="label",
                                               num_epochs=1, shuffle=False)
    batches = list(ds)
    feats, label = batches[0]
    assert list(feats) == ["n", "f", "s"]
    assert py(feats["n"]) == [0, 1, 2, 3] and feats["n"].dtype == tf.int32
    assert py(feats["f"]) == [0.0, 0.5, 1.0, 1.5] and feats["f"].dtype == tf.float32
    assert py(feats["s"]) == [b"a", b"b", b"c", b"a"]
    assert py(label) == [0, 1, 0, 1]
    assert sum(len(py(b[1])) for b in batches) == 10


def test_list_files(tmp_path):
    for n in ("b.txt", "a.txt", "c.dat"):
        _write(tmp_path / n, b"")
    pattern = str(tmp_path / "*.txt")
    names = values(tf.data.Dataset.list_files(pattern, shuffle=False))
    assert names == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert sorted(values(tf.data.Dataset.list_files(pattern, seed=1))) == names
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        tf.data.Dataset.list_files(str(tmp_path / "*.none"))


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_save_and_load(tmp_path, compression):
    ds = tf.data.Dataset.from_tensor_slices(({"x": np.arange(6.0).reshape(3, 2)},
                                             np.array([b"a", b"", b"ccc"], object)))
    path = str(tmp_path / "saved")
    ds.save(path, compression=compression)
    back = tf.data.Dataset.load(path)
    assert back.element_spec == ds.element_spec
    assert values(back) == values(ds)


def test_io_files_and_gfile(tmp_path):
    p = str(tmp_path / "sub" / "f.bin")
    tf.io.write_file(p, tf.constant(b"\x00bytes"))
    assert tf.io.read_file(p).numpy() == b"\x00bytes"
    g = tf.io.gfile
    assert g.exists(p) and not g.exists(p + "x") and g.isdir(str(tmp_path / "sub"))
    g.makedirs(str(tmp_path / "x" / "y"))
    with g.GFile(str(tmp_path / "x" / "t.txt"), "w") as f:
        f.write("hi")
    assert g.glob(str(tmp_path / "x" / "*.txt")) == [str(tmp_path / "x" / "t.txt")]
    assert sorted(g.listdir(str(tmp_path / "x"))) == ["t.txt", "y"]
    with pytest.raises(tf.errors.NotFoundError):
        tf.io.read_file(str(tmp_path / "nope"))
    files = tf.data.Dataset.list_files(str(tmp_path / "sub" / "*"), shuffle=False)
    assert values(files.map(tf.io.read_file)) == [b"\x00bytes"]


def test_iterator_through_tf_train_checkpoint(tmp_path):
    if not hasattr(tf.train, "Checkpoint"):
        pytest.skip("tf.train.Checkpoint is not built")
    ds = tf.data.Dataset.range(20).shuffle(20).batch(3)
    it = iter(ds)
    next(it)
    ckpt = tf.train.Checkpoint(iterator=it)
    path = ckpt.write(str(tmp_path / "it"))
    rest = values(it)
    fresh = iter(ds)
    tf.train.Checkpoint(iterator=fresh).read(path)
    assert values(fresh) == rest
