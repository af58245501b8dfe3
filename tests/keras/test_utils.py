"""keras.utils: to_categorical, normalize, set_random_seed, get_file (local file:// URLs only,
never the network) and the Sequence/PyDataset base class."""

import hashlib
import io
import os
import tarfile
import zipfile

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.utils import data as data_utils

U = keras.utils


# -- to_categorical / normalize ---------------------------------------------------------------
def test_to_categorical():
    np.testing.assert_array_equal(U.to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    out = U.to_categorical(np.array([[1], [0]]), num_classes=3)
    assert out.shape == (2, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 0, 0]])
    grid = U.to_categorical(np.array([[0, 1], [2, 0]]))
    assert grid.shape == (2, 2, 3)
    np.testing.assert_array_equal(grid[1, 0], [0, 0, 1])
    assert U.to_categorical([1, 0], dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(U.to_categorical(y=[1], num_classes=2), [[0, 1]])
    np.testing.assert_array_equal(U.to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    t = U.to_categorical(tf.constant([[2], [0]]), num_classes=4)
    assert tf.is_tensor(t)
    np.testing.assert_array_equal(t.numpy(), np.eye(4)[[2, 0]])
    with pytest.raises(ValueError, match=r"label 3 is outside \[0, 3\)"):
        U.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="integers"):
        U.to_categorical([0.5, 1.0])


def test_normalize():
    x = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(U.normalize(x), [[0.6, 0.8], [1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(U.normalize(x, order=1), [[3 / 7, 4 / 7], [1, 0], [0, 0]])
    np.testing.assert_allclose(U.normalize(x, axis=0),
                               x / np.linalg.norm(x, axis=0, keepdims=True))
    t = U.normalize(tf.constant(x))
    assert tf.is_tensor(t)
    np.testing.assert_allclose(t.numpy(), [[0.6, 0.8], [1.0, 0.0], [0.0, 0.0]])


# -- set_random_seed ------------------------------------------------------------------------
def _draws():
    import random

    model_weights = keras.initializers.GlorotUniform()((4, 3)).numpy()
    noise = tf.random.normal([3]).numpy()
    return model_weights, noise, np.random.rand(2), random.random()


def test_set_random_seed_makes_runs_identical():
    U.set_random_seed(1234)
    first = _draws()
    U.set_random_seed(1234)
    second = _draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    U.set_random_seed(99)
    assert not np.array_equal(first[0], _draws()[0])


def test_set_random_seed_gives_identical_training_losses():
    def train():
        U.set_random_seed(7)
        w = tf.Variable(keras.initializers.HeNormal()((3, 1)))
        x = tf.random.normal([16, 3])
        y = tf.reduce_sum(x, axis=1, keepdims=True)
        losses = []
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(x @ w - y))
            w.assign_sub(0.1 * tape.gradient(loss, w))
            losses.append(float(loss))
        return losses

    assert train() == train()


def test_set_random_seed_validates():
    with pytest.raises(ValueError, match=r"set_random_seed: expected `seed` to be an integer"):
        U.set_random_seed(1.5)
    with pytest.raises(ValueError, match="2\\*\\*32"):
        U.set_random_seed(-1)


# -- get_file -------------------------------------------------------------------------------
@pytest.fixture
def home(tmp_path, monkeypatch):
    keras_home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    return keras_home


def _source(tmp_path, name="data.bin", payload=b"rill get_file test payload\n"):
    src = tmp_path / "remote" / name
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(payload)
    return src, src.as_uri(), payload


def test_get_file_downloads_into_keras_home_and_reuses_the_cache(tmp_path, home, capsys):
    src, url, payload = _source(tmp_path)
    path = U.get_file("data.bin", origin=url)
    assert path == os.path.join(str(home), "datasets", "data.bin")
    assert open(path, "rb").read() == payload
    assert "Downloading data from" in capsys.readouterr().out
    src.write_bytes(b"changed at the origin")
    assert U.get_file("data.bin", origin=url) == path  # cached: not downloaded again
    assert open(path, "rb").read() == payload
    assert "Downloading" not in capsys.readouterr().out
    assert U.get_file("data.bin", origin=url, force_download=True) == path
    assert open(path, "rb").read() == b"changed at the origin"
    # no temporary files are left next to the cached file
    assert os.listdir(os.path.dirname(path)) == ["data.bin"]


def test_get_file_name_subdir_and_cache_dir(tmp_path, home):
    _, url, _ = _source(tmp_path, "from_url.txt")
    assert U.get_file(origin=url).endswith(os.path.join("datasets", "from_url.txt"))
    other = tmp_path / "elsewhere"
    path = U.get_file("x.txt", url, cache_subdir="models", cache_dir=str(other))
    assert path == os.path.join(str(other), "models", "x.txt") and os.path.exists(path)
    with pytest.raises(ValueError, match="origin"):
        U.get_file("x.txt")


def test_get_file_checks_hashes(tmp_path, home):
    src, url, payload = _source(tmp_path)
    sha256 = hashlib.sha256(payload).hexdigest()
    md5 = hashlib.md5(payload).hexdigest()
    path = U.get_file("a.bin", url, file_hash=sha256)
    assert U.get_file("b.bin", url, md5_hash=md5)
    assert U.get_file("c.bin", url, file_hash=md5, hash_algorithm="md5")
    assert data_utils.validate_file(path, sha256) and data_utils.validate_file(path, md5)
    assert data_utils.hash_file(path) == sha256
    with pytest.raises(ValueError, match="incomplete or corrupted file"):
        U.get_file("d.bin", url, file_hash="0" * 64)
    # a failed download leaves nothing in the cache
    assert not os.path.exists(os.path.join(str(home), "datasets", "d.bin"))
    assert not [f for f in os.listdir(os.path.join(str(home), "datasets")) if "part" in f]
    # a cached file whose hash does not match is downloaded again
    with open(path, "wb") as f:
        f.write(b"corrupted")
    assert open(U.get_file("a.bin", url, file_hash=sha256), "rb").read() == payload


def test_get_file_reports_missing_files(tmp_path, home):
    with pytest.raises(Exception, match="URL fetch failure"):
        U.get_file("missing.bin", (tmp_path / "nope.bin").as_uri())
    assert not os.path.exists(os.path.join(str(home), "datasets", "missing.bin"))


def _tar_gz(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def test_get_file_extracts_tar_and_zip(tmp_path, home):
    remote = tmp_path / "remote"
    remote.mkdir()
    _tar_gz(remote / "pack.tar.gz", {"pack/a.txt": b"A", "pack/sub/b.txt": b"B"})
    folder = U.get_file("pack", (remote / "pack.tar.gz").as_uri(), extract=True)
    assert folder == os.path.join(str(home), "datasets", "pack")
    assert open(os.path.join(folder, "pack", "sub", "b.txt"), "rb").read() == b"B"
    assert os.path.exists(os.path.join(str(home), "datasets", "pack_archive"))
    # tf.keras 2's untar=True extracts too; a name with an extension gives <stem>_extracted
    assert U.get_file("pack2", (remote / "pack.tar.gz").as_uri(), untar=True).endswith("pack2")
    folder = U.get_file("pack.tar.gz", (remote / "pack.tar.gz").as_uri(), extract=True)
    assert folder.endswith("pack_extracted")
    assert os.path.exists(os.path.join(folder, "pack", "a.txt"))
    with zipfile.ZipFile(remote / "z.zip", "w") as z:
        z.writestr("inner/c.txt", "C")
    folder = U.get_file("zipped", (remote / "z.zip").as_uri(), extract=True)
    assert open(os.path.join(folder, "inner", "c.txt")).read() == "C"
    # the extraction is reused when the archive is cached
    os.remove(os.path.join(folder, "inner", "c.txt"))
    assert U.get_file("zipped", (remote / "z.zip").as_uri(), extract=True) == folder
    (remote / "plain.bin").write_bytes(b"not an archive")
    with pytest.raises(ValueError, match="is not a tar or zip archive"):
        U.get_file("plain", (remote / "plain.bin").as_uri(), extract=True)


def test_extract_archive_refuses_paths_outside_the_folder(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../escaped.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        data_utils.extract_archive(str(evil), str(tmp_path / "out"))
    assert not (tmp_path / "escaped.txt").exists()
    evil_tar = tmp_path / "evil.tar.gz"
    _tar_gz(evil_tar, {"../escaped.txt": b"x"})
    with pytest.raises(tarfile.TarError):
        data_utils.extract_archive(str(evil_tar), str(tmp_path / "out2"))
    assert not (tmp_path / "escaped.txt").exists()
    assert data_utils.extract_archive(str(evil), str(tmp_path), archive_format=None) is False


def test_keras_home_default(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_utils.keras_home() == os.path.join(str(tmp_path), ".keras")


# -- Sequence / PyDataset -------------------------------------------------------------------
class Batches(keras.utils.Sequence):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n, self.epochs = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2, 1), float(i)), np.full((2, 1), 2.0 * i)

    def on_epoch_end(self):
        self.epochs += 1


def test_sequence_and_pydataset():
    assert keras.utils.Sequence is keras.utils.PyDataset
    ds = Batches(3, workers=2)
    assert len(ds) == 3 and ds.num_batches == 3 and ds.workers == 2
    assert ds.use_multiprocessing is False and ds.max_queue_size == 10
    assert [float(x[0, 0]) for x, _ in ds] == [0.0, 1.0, 2.0]
    ds.on_epoch_begin()
    ds.on_epoch_end()
    assert ds.epochs == 1

    class NoInit(keras.utils.PyDataset):  # tf.keras 2 subclasses often skip super().__init__
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return np.zeros((1, 1))

    assert NoInit().workers == 1 and NoInit().num_batches == 1
    with pytest.raises(NotImplementedError, match="__getitem__"):
        keras.utils.PyDataset()[0]
    assert keras.utils.PyDataset().num_batches is None


def test_plot_model_explains():
    with pytest.raises(ImportError, match="model.summary"):
        keras.utils.plot_model(None)


def test_docstrings_run():
    import doctest
    import importlib

    for name in ("numerical", "random", "data"):
        mod = importlib.import_module(f"rill.keras.utils.{name}")
        result = doctest.testmod(mod, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0, name
