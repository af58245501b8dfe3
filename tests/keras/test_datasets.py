"""keras.datasets: each loader on small archives of the real format that the tests write to a
temp folder and serve through file:// URLs (never the network); the downloads land in
KERAS_HOME under Keras' file names and are checked against the hashes. Optionally, the same
files are loaded by real Keras (RILL_TF_PYTHON) and the results compared."""

import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import tarfile

import numpy as np
import pytest

from rill import keras
from rill.keras.datasets import _common

D = keras.datasets
rng = np.random.default_rng(0)


def _ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = seqs
    return out


def _tar_gz(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def _cifar_batch(n, label_keys):
    batch = {b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)}
    for key in label_keys:
        batch[key] = [int(v) for v in rng.integers(0, 10, size=n)]
    return batch


def _idx(kind, arr):
    header = struct.pack(">II", 2049, len(arr)) if kind == "labels" else \
        struct.pack(">IIII", 2051, len(arr), 28, 28)
    return gzip.compress(header + arr.tobytes())


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """Small files in Keras' formats, and the data they hold."""
    root = tmp_path_factory.mktemp("remote")
    data = {}
    data["mnist"] = dict(x_train=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
                         y_train=np.array([5, 0, 4, 1, 9], np.uint8),
                         x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
                         y_test=np.array([7, 2, 1], np.uint8))
    np.savez(root / "mnist.npz", **data["mnist"])
    fashion = dict(train_labels=np.array([9, 0, 0, 3], np.uint8),
                   train_images=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
                   t10k_labels=np.array([2, 1], np.uint8),
                   t10k_images=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8))
    for name, arr in fashion.items():
        split, kind = name.split("_")
        fname = f"{split}-{kind}-idx{1 if kind == 'labels' else 3}-ubyte.gz"
        (root / fname).write_bytes(_idx(kind, arr))
    data["fashion"] = fashion
    # CIFAR batches are pickled dicts; protocol 4 stores bytes natively, as the original
    # Python 2 files do (protocol 2 from Python 3 would need `_codecs`, which is refused)
    batches = {f"data_batch_{i}": _cifar_batch(2, [b"labels"]) for i in range(1, 6)}
    batches["test_batch"] = _cifar_batch(3, [b"labels"])
    _tar_gz(root / "cifar-10-python.tar.gz",
            {f"cifar-10-batches-py/{k}": pickle.dumps(v, protocol=4) for k, v in
             batches.items()})
    data["cifar10"] = batches
    c100 = {k: _cifar_batch(n, [b"fine_labels", b"coarse_labels"]) for k, n in
            (("train", 4), ("test", 2))}
    _tar_gz(root / "cifar-100-python.tar.gz",
            {f"cifar-100-python/{k}": pickle.dumps(v, protocol=4) for k, v in c100.items()})
    data["cifar100"] = c100
    imdb = dict(x_train=_ragged([[1, 2], [3], [4, 5, 6], [2, 2, 2, 2]]),
                y_train=np.array([0, 1, 0, 1]),
                x_test=_ragged([[6, 1], [5, 4, 3]]), y_test=np.array([1, 0]))
    np.savez(root / "imdb.npz", **imdb)
    data["imdb"] = imdb
    reuters = dict(x=_ragged([[1, 2, 3], [4], [5, 6], [7, 1, 1, 1], [2, 9]]),
                   y=np.array([3, 4, 3, 19, 1]))
    np.savez(root / "reuters.npz", **reuters)
    data["reuters"] = reuters
    (root / "imdb_word_index.json").write_text(json.dumps({"the": 1, "and": 2}))
    (root / "reuters_word_index.json").write_text(json.dumps({"the": 1, "of": 2}))
    data["boston"] = dict(x=rng.normal(size=(10, 13)), y=rng.normal(size=10))
    np.savez(root / "boston_housing.npz", **data["boston"])
    data["california"] = dict(x=rng.normal(size=(20, 8)).astype(np.float32),
                              y=rng.normal(size=20).astype(np.float32))
    np.savez(root / "california_housing.npz", **data["california"])
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()}
    return root, data, hashes


@pytest.fixture
def served(remote, tmp_path, monkeypatch):
    """Keras' origins pointed at the local files; KERAS_HOME a fresh temp folder."""
    root, data, hashes = remote
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", root.as_uri() + "/")
    monkeypatch.setattr(_common, "CIFAR_ORIGIN_FOLDER", root.as_uri() + "/")
    monkeypatch.setattr(_common, "FILE_HASHES", hashes)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    return data, tmp_path / "home" / "datasets"


def eq(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_mnist(served):
    data, cache = served
    (x_train, y_train), (x_test, y_test) = D.mnist.load_data()
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"),
                     (y_test, "y_test")):
        eq(got, data["mnist"][key])
    assert x_train.dtype == np.uint8 and (cache / "mnist.npz").exists()


def test_fashion_mnist(served):
    data, cache = served
    (x_train, y_train), (x_test, y_test) = D.fashion_mnist.load_data()
    f = data["fashion"]
    eq(x_train, f["train_images"]), eq(y_train, f["train_labels"])
    eq(x_test, f["t10k_images"]), eq(y_test, f["t10k_labels"])
    assert x_train.shape == (4, 28, 28)
    assert (cache / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()


def _cifar_images(batches):
    data = np.concatenate([b[b"data"] for b in batches])
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def test_cifar10(served):
    data, cache = served
    (x_train, y_train), (x_test, y_test) = D.cifar10.load_data()
    train = [data["cifar10"][f"data_batch_{i}"] for i in range(1, 6)]
    eq(x_train, _cifar_images(train))
    eq(y_train, np.concatenate([b[b"labels"] for b in train]).reshape(-1, 1))
    eq(x_test, _cifar_images([data["cifar10"]["test_batch"]]))
    assert x_train.shape == (10, 32, 32, 3) and y_test.shape == (3, 1)
    assert y_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert (cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").exists()
    keras.backend.set_image_data_format("channels_first")
    try:
        assert D.cifar10.load_data()[0][0].shape == (10, 3, 32, 32)
    finally:
        keras.backend.set_image_data_format("channels_last")


def test_cifar100(served):
    data, _ = served
    for mode in ("fine", "coarse"):
        (x_train, y_train), (x_test, y_test) = D.cifar100.load_data(label_mode=mode)
        eq(x_train, _cifar_images([data["cifar100"]["train"]]))
        eq(y_test, np.reshape(data["cifar100"]["test"][f"{mode}_labels".encode()], (-1, 1)))
    with pytest.raises(ValueError, match="label_mode"):
        D.cifar100.load_data(label_mode="medium")


def test_imdb(served):
    data, _ = served
    imdb = data["imdb"]
    rs = np.random.RandomState(113)  # Keras shuffles train then test with one generator
    p_train, p_test = rs.permutation(4), rs.permutation(2)
    (x_train, y_train), (x_test, y_test) = D.imdb.load_data(num_words=8)
    eq(y_train, imdb["y_train"][p_train])
    eq(y_test, imdb["y_test"][p_test])
    # start_char 1, indices + 3, indices >= num_words (8) become oov_char 2
    expected = {(1, 2): [1, 4, 5], (3,): [1, 6], (4, 5, 6): [1, 7, 2, 2],
                (2, 2, 2, 2): [1, 5, 5, 5, 5], (6, 1): [1, 2, 4], (5, 4, 3): [1, 2, 7, 6]}
    assert list(x_train) == [expected[tuple(imdb["x_train"][i])] for i in p_train]
    assert list(x_test) == [expected[tuple(imdb["x_test"][i])] for i in p_test]
    assert x_train.dtype == object and x_train.shape == (4,)
    # maxlen keeps sequences strictly shorter (after start_char); oov_char=None drops words
    (x_train, _), (x_test, _) = D.imdb.load_data(maxlen=4, oov_char=None, num_words=8,
                                                 start_char=None, index_from=0)
    assert sorted(map(tuple, x_train)) == [(1, 2), (3,), (4, 5, 6)]
    assert sorted(map(tuple, x_test)) == [(5, 4, 3), (6, 1)]
    # skip_top: indices below it become oov
    (x_train, _), _ = D.imdb.load_data(skip_top=6, num_words=100)
    assert sorted(map(tuple, x_train))[0] == (2, 2, 2)  # [1, 4, 5] -> all below 6
    with pytest.raises(ValueError, match="maxlen"):
        D.imdb.load_data(maxlen=1)
    assert D.imdb.get_word_index() == {"the": 1, "and": 2}


def test_reuters(served):
    data, _ = served
    r = data["reuters"]
    perm = np.random.RandomState(113).permutation(5)
    (x_train, y_train), (x_test, y_test) = D.reuters.load_data(test_split=0.4)
    assert len(x_train) == 3 and len(x_test) == 2  # int(5 * 0.6)
    eq(np.concatenate([y_train, y_test]), r["y"][perm])
    # default num_words is the largest index (12 = 9 + 3), which itself becomes oov (Keras)
    first = [1] + [w + 3 if w + 3 < 12 else 2 for w in r["x"][perm[0]]]
    assert x_train[0] == first
    assert len(D.reuters.get_label_names()) == 46 and D.reuters.get_label_names()[3] == "earn"
    assert D.reuters.get_word_index() == {"the": 1, "of": 2}


def test_housing(served):
    data, _ = served
    b = data["boston"]
    perm = np.random.RandomState(113).permutation(10)
    (x_train, y_train), (x_test, y_test) = D.boston_housing.load_data()
    eq(x_train, b["x"][perm][:8]), eq(y_test, b["y"][perm][8:])
    (x_train, _), (x_test, _) = D.boston_housing.load_data(test_split=0.0, seed=1)
    eq(x_train, b["x"][np.random.RandomState(1).permutation(10)])
    assert len(x_test) == 0
    with pytest.raises(ValueError, match="test_split"):
        D.boston_housing.load_data(test_split=1.0)
    c = data["california"]
    (x_train, y_train), (x_test, y_test) = D.california_housing.load_data()
    perm = np.random.RandomState(113).permutation(20)
    eq(x_train, c["x"][perm][:16]), eq(y_test, c["y"][perm][16:])
    assert x_train.dtype == np.float32 and x_train.shape == (16, 8)
    (x_small, _), _ = D.california_housing.load_data(version="small", test_split=0.5)
    assert len(x_small) == 10  # fewer than 600 samples: all are kept
    with pytest.raises(ValueError, match="version"):
        D.california_housing.load_data(version="medium")


def test_cache_is_reused_and_hashes_checked(served, remote, monkeypatch, tmp_path):
    root, data, _ = remote
    D.mnist.load_data()
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", (tmp_path / "gone").as_uri() + "/")
    eq(D.mnist.load_data()[0][1], data["mnist"]["y_train"])  # from the cache
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", root.as_uri() + "/")
    monkeypatch.setattr(_common, "FILE_HASHES", {"boston_housing.npz": "f" * 64})
    with pytest.raises(ValueError, match="incomplete or corrupted"):
        D.boston_housing.load_data()


def test_keras_origins_and_hashes():
    assert _common.ORIGIN_FOLDER == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert _common.FILE_HASHES["mnist.npz"].startswith("731c5ac6")


def test_pickles_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = _ragged([Evil()])
    np.savez(tmp_path / "evil.npz", x=evil)
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        _common.load_npz(str(tmp_path / "evil.npz"))


@pytest.mark.skipif(not os.environ.get("RILL_TF_PYTHON"), reason="RILL_TF_PYTHON not set")
def test_same_results_as_keras(served, remote, tmp_path):
    root, _, _ = remote
    ours = {"imdb": D.imdb.load_data(num_words=8, maxlen=5),
            "reuters": D.reuters.load_data(test_split=0.4, skip_top=2),
            "boston": D.boston_housing.load_data(),
            "california": D.california_housing.load_data(version="small"),
            "fashion": D.fashion_mnist.load_data(), "cifar100": D.cifar100.load_data()}
    cifar_dir = tmp_path / "cifar100"
    with tarfile.open(root / "cifar-100-python.tar.gz") as tar:
        tar.extractall(cifar_dir, filter="data")
    code = f"""
import json, numpy as np
import keras.src.datasets as ds
from keras.src.datasets import imdb, reuters, boston_housing, california_housing
from keras.src.datasets import fashion_mnist, cifar100
root = {str(root)!r}
for m in (imdb, reuters, boston_housing, california_housing):
    m.get_file = lambda fname=None, origin=None, **kw: root + "/" + origin.split("/")[-1]
fashion_mnist.get_file = lambda fname, origin=None, **kw: root + "/" + fname
cifar100.get_file = lambda *a, **kw: {str(cifar_dir)!r}
out = {{"imdb": imdb.load_data(num_words=8, maxlen=5),
       "reuters": reuters.load_data(test_split=0.4, skip_top=2),
       "boston": boston_housing.load_data(),
       "california": california_housing.load_data(version="small"),
       "fashion": fashion_mnist.load_data(), "cifar100": cifar100.load_data()}}
def plain(v):
    if isinstance(v, (tuple, list)):
        return [plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v] if v.dtype == object else v.tolist()
    return v
print(json.dumps({{k: plain(v) for k, v in out.items()}}))
"""
    run = subprocess.run([os.environ["RILL_TF_PYTHON"], "-c", code], capture_output=True,
                         text=True, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    for name, ((xa, ya), (xb, yb)) in ours.items():
        (txa, tya), (txb, tyb) = theirs[name]
        for got, want in ((xa, txa), (ya, tya), (xb, txb), (yb, tyb)):
            got = [list(s) for s in got] if got.dtype == object else got.tolist()
            assert got == want, name
