"""Files: `tf.io.read_file`, `write_file`, `matching_files` and the basics of `tf.io.gfile`
(local paths only)."""

from __future__ import annotations

import glob as _glob
import os
import shutil
from types import SimpleNamespace

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import NotFoundError
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape


def as_path(p) -> str:
    p = getattr(p, "_value", p)
    if isinstance(p, np.ndarray):
        p = p.item()
    if isinstance(p, bytes):
        p = p.decode()
    return os.fspath(p)


def _read_kernel(filename):
    path = as_path(filename)
    try:
        with open(path, "rb") as f:
            return np.array(f.read(), dtype=object)
    except FileNotFoundError:
        raise NotFoundError(None, "ReadFile", f"{path}; No such file or directory") from None


def _write_kernel(filename, contents):
    path = as_path(filename)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as f:
        f.write(np.asarray(contents).item())
    return ()


def _glob_kernel(pattern):
    pats = [as_path(p) for p in np.asarray(pattern, dtype=object).reshape(-1)]
    found = sorted({m for p in pats for m in _glob.glob(p)})
    out = np.empty(len(found), dtype=object)
    out[:] = [f.encode() for f in found]
    return out


READ_FILE = defop("ReadFile", _read_kernel, lambda f: (TensorShape([]), _dtypes.string),
                  grad=None, stateful=True, public_name="tf.io.read_file")
WRITE_FILE = defop("WriteFile", _write_kernel, lambda f, c: [], grad=None, num_outputs=0,
                   stateful=True, public_name="tf.io.write_file")
MATCHING_FILES = defop("MatchingFiles", _glob_kernel,
                       lambda p: (TensorShape([None]), _dtypes.string), grad=None,
                       stateful=True, public_name="tf.io.matching_files")


def read_file(filename, name=None):
    """The bytes of a file as a scalar string tensor."""
    return execute(READ_FILE, (convert_to_tensor(filename, dtype=_dtypes.string),), {})


def write_file(filename, contents, name=None):
    """Writes a scalar string tensor to a file (creating its folder)."""
    execute(WRITE_FILE, (convert_to_tensor(filename, dtype=_dtypes.string),
                         convert_to_tensor(contents, dtype=_dtypes.string)), {})


def matching_files(pattern, name=None):
    """The sorted file names matching a glob pattern (or several)."""
    return execute(MATCHING_FILES, (convert_to_tensor(pattern, dtype=_dtypes.string),), {})


class GFile:
    """A file object (`tf.io.gfile.GFile`) on local paths."""

    def __init__(self, name, mode: str = "r"):
        self._f = open(as_path(name), mode)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __iter__(self):
        return iter(self._f)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def size(self) -> int:
        return os.fstat(self._f.fileno()).st_size


def _listdir(path) -> list:
    path = as_path(path)
    if not os.path.isdir(path):
        raise NotFoundError(None, None, f"Could not find directory {path}")
    return os.listdir(path)


def _remove(path) -> None:
    try:
        os.remove(as_path(path))
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{as_path(path)}; No such file or directory") from None


def _copy(src, dst, overwrite: bool = False) -> None:
    if not overwrite and os.path.exists(as_path(dst)):
        from rill._core.errors import AlreadyExistsError
        raise AlreadyExistsError(None, None, f"file already exists: {as_path(dst)}")
    shutil.copyfile(as_path(src), as_path(dst))


def _rename(src, dst, overwrite: bool = False) -> None:
    if not overwrite and os.path.exists(as_path(dst)):
        from rill._core.errors import AlreadyExistsError
        raise AlreadyExistsError(None, None, f"file already exists: {as_path(dst)}")
    os.replace(as_path(src), as_path(dst))


def _stat(path):
    st = os.stat(as_path(path))
    return SimpleNamespace(length=st.st_size, mtime_nsec=st.st_mtime_ns,
                           is_directory=os.path.isdir(as_path(path)))


gfile = SimpleNamespace(
    GFile=GFile,
    Open=GFile,
    exists=lambda path: os.path.exists(as_path(path)),
    glob=lambda pattern: sorted(_glob.glob(as_path(pattern))),
    isdir=lambda path: os.path.isdir(as_path(path)),
    listdir=_listdir,
    makedirs=lambda path: os.makedirs(as_path(path), exist_ok=True),
    mkdir=lambda path: os.mkdir(as_path(path)),
    remove=_remove,
    rmtree=lambda path: shutil.rmtree(as_path(path)),
    rename=_rename,
    copy=_copy,
    stat=_stat,
    walk=lambda top, topdown=True, onerror=None: os.walk(as_path(top), topdown, onerror),
    join=lambda *parts: os.path.join(*[as_path(p) for p in parts]),
)
