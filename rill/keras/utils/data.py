"""`keras.utils.get_file` (cached, verified downloads) and `Sequence`/`PyDataset` (batches by
index, for `fit`).

Downloads go to `$KERAS_HOME/<cache_subdir>` (default `~/.keras/datasets`; `/tmp/.keras`
when the home folder is not writable). A download is written to a temporary file in that
folder, checked against `file_hash`, then renamed into place, so an interrupted or corrupted
download never leaves a file that looks cached. Archives are extracted as Keras 3 does:
`get_file("name", origin, extract=True)` returns the folder `<cache>/name` holding the
archive's contents (`<cache>/stem_extracted` when `fname` has an extension).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

_CHUNK = 1 << 16


def keras_home() -> str:
    """`$KERAS_HOME`, else `~/.keras` (or `/tmp/.keras` if the home folder is read-only)."""
    if os.environ.get("KERAS_HOME"):
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else tempfile.gettempdir(), ".keras")


def _hasher(algorithm: str, file_hash: str | None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"get_file: unknown hash_algorithm {algorithm!r}.\nhint: use 'auto', "
                     f"'sha256' or 'md5'.")


def hash_file(fpath, algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """The hex digest of a file ('sha256' or 'md5')."""
    hasher = _hasher(algorithm, None) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto") -> bool:
    """Whether the file's hash is `file_hash` ('auto': sha256 for 64 hex digits, else md5)."""
    return hash_file(fpath, _hasher(algorithm, file_hash)) == str(file_hash)


def _formats(archive_format):
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    return [archive_format] if isinstance(archive_format, str) else list(archive_format)


def _safe_zip_extract(archive: zipfile.ZipFile, path: str) -> None:
    root = os.path.realpath(path)
    for member in archive.namelist():
        target = os.path.realpath(os.path.join(path, member))
        if os.path.commonpath([root, target]) != root:
            raise ValueError(f"extract_archive: the zip member {member!r} would be written "
                             f"outside {path!r}.\nhint: the archive is unsafe; do not use it.")
    archive.extractall(path)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extracts a tar (.tar, .tar.gz, .tar.bz2) or zip archive into `path`; False if the file
    is none of `archive_format` ("auto": tar then zip). Members that would land outside
    `path` (absolute paths, `..`, links) are refused."""
    for kind in _formats(archive_format):
        if kind == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                archive.extractall(path, filter="data")
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _safe_zip_extract(archive, path)
            return True
        if kind not in ("tar", "zip"):
            raise ValueError(f"extract_archive: unknown archive_format {kind!r}.\nhint: use "
                             f"'auto', 'tar', 'zip' or a list of them.")
    return False


def _download(origin: str, target: str, file_hash, algorithm: str) -> None:
    print(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.",
                               suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin) as response:
            shutil.copyfileobj(response, out, _CHUNK)
        if file_hash is not None and not validate_file(tmp, file_hash, algorithm):
            name = _hasher(algorithm, file_hash).name
            raise ValueError(f"get_file: incomplete or corrupted file detected: the {name} "
                             f"hash of the file downloaded from {origin} does not match the "
                             f"provided value {file_hash}.\nhint: check `file_hash` (and "
                             f"`hash_algorithm`), or retry the download.")
        os.replace(tmp, target)
    except urllib.error.HTTPError as e:
        raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}\nhint: check "
                        f"the URL and your network connection.") from e
    except urllib.error.URLError as e:
        raise Exception(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}\nhint: "
                        f"check the URL and your network connection.") from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _extract_into(archive: str, folder: str, archive_format) -> None:
    parent = os.path.dirname(folder)
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(folder)}.")
    try:
        if not extract_archive(archive, staging, archive_format):
            kinds = " or ".join(_formats(archive_format)) or "known"
            raise ValueError(f"get_file: {archive!r} is not a {kinds} archive.\nhint: pass "
                             f"archive_format='tar' or 'zip' to match the file, or "
                             f"extract=False.")
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False) -> str:
    """Downloads `origin` into the Keras cache unless it is already there; returns its path.

    Args:
        fname: the file name in the cache (default: the last part of the URL).
        origin: the URL (`https://...`, `file://...`).
        file_hash: expected sha256 or md5 hex digest; a cached file that does not match is
            downloaded again, a download that does not match raises ValueError.
        md5_hash: tf.keras 2's md5-only `file_hash`.
        cache_subdir: folder under the cache (default "datasets"); cache_dir: the cache
            (default `$KERAS_HOME` or `~/.keras`).
        extract / untar: extract the archive (tar or zip; `archive_format`) and return the
            folder holding its contents.
        force_download: download even if the file is cached.

    >>> path = keras.utils.get_file("data.csv", "file:///tmp/data.csv")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError("get_file: please specify the `origin` argument (the URL of the file "
                         "to download).\nhint: get_file('mnist.npz', origin='https://...').")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    if os.path.exists(base) and not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    given = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if given else \
        os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: cannot tell the file name from origin {origin!r}.\nhint: "
                         f"pass fname='name.ext'.")
    extract = extract or untar
    if extract and given and "." in os.path.basename(fname):
        target = os.path.join(datadir, fname)
        folder = os.path.join(datadir, f"{fname[:fname.find('.')]}_extracted")
    elif extract:
        target, folder = os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)
    else:
        target, folder = os.path.join(datadir, fname), None
    os.makedirs(os.path.dirname(target), exist_ok=True)
    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and \
            not validate_file(target, file_hash, hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because its "
              f"hash does not match the original value of {file_hash}, so we will re-download "
              f"the data.")
        download = True
    if download:
        _download(origin, target, file_hash, hash_algorithm)
    if folder is None:
        return target
    if download or not os.path.isdir(folder):
        _extract_into(target, folder, "tar" if untar else archive_format)
    return folder


class PyDataset:
    """Base class of datasets that produce batches by index (Keras 3's `PyDataset`; tf.keras
    2's `Sequence` is the same class).

    A subclass implements `__len__` (the number of batches) and `__getitem__(index)` (one
    batch: `x`, `(x, y)` or `(x, y, sample_weight)`), and may override `on_epoch_end` (e.g.
    to reshuffle). `fit` calls them in order each epoch.

    >>> class Squares(keras.utils.PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, i):
    ...         return np.array([[float(i)]]), np.array([[float(i * i)]])
    >>> len(Squares()), Squares()[2][1].tolist()
    (3, [[4.0]])
    """

    workers = 1
    use_multiprocessing = False
    max_queue_size = 10

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}.__getitem__(index) is not "
                                  f"implemented.\nhint: return the batch number `index`.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__}.__len__() is not implemented.\n"
                                  f"hint: return the number of batches per epoch.")

    @property
    def num_batches(self):
        """The number of batches (`len(self)`), or None if `__len__` is not implemented."""
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self):
        """Called at the start of each epoch."""

    def on_epoch_end(self):
        """Called at the end of each epoch."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset


def plot_model(model, to_file="model.png", *args, **kwargs):
    """Not available in rill (drawing needs pydot and graphviz)."""
    raise ImportError("plot_model: drawing a model needs pydot and graphviz, which rill does "
                      "not use.\nhint: print the architecture with model.summary() instead.")
