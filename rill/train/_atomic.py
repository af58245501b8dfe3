"""Atomic saves: write beside the target, then rename into place.

Every file rill saves (checkpoints, weights, models, the `checkpoint` state file) is written
to a temporary name in the target's folder and renamed over the target only once it is
complete, so a process that dies while saving leaves the previous file untouched (at worst a
stray `.<name>.rill-tmp-*` file remains). A folder (the suffix-less model format) is built
under a temporary name and swapped in with two renames.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator

_TMP_TAG = ".rill-tmp-"


def temp_name(path: str) -> str:
    """A fresh temporary name in `path`'s folder (hidden, tagged with the process id)."""
    folder, base = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{base}{_TMP_TAG}{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not supported on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sync_file(path: str) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _discard(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)


@contextlib.contextmanager
def atomic_path(path: str, overwrite: bool = True) -> Iterator[str]:
    """Yields a temporary path to write; on success it replaces `path` in one rename.

    >>> with atomic_path("weights.bin") as tmp:  # doctest: +SKIP
    ...     open(tmp, "wb").write(b"...")
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {path!r}: the folder {folder!r} does not "
                                f"exist.\nhint: create it first (os.makedirs).")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"Cannot save to {path!r}: the file exists and "
                              f"overwrite=False.\nhint: pass overwrite=True, or choose "
                              f"another path.")
    tmp = temp_name(path)
    try:
        yield tmp
        if os.path.isdir(tmp):
            _replace_dir(tmp, path)
        else:
            _sync_file(tmp)
            if os.path.isdir(path) and not os.path.islink(path):
                raise IsADirectoryError(f"Cannot save to {path!r}: it is an existing folder."
                                        f"\nhint: remove it, or give a file name.")
            os.replace(tmp, path)
        _fsync_dir(folder)
    except BaseException:
        _discard(tmp)
        raise


def _replace_dir(tmp: str, path: str) -> None:
    """Swaps the folder `tmp` in for `path`: the old one is renamed aside first and removed
    after, so a crash in between leaves it (complete) under a `.rill-tmp-` name."""
    if os.path.lexists(path):
        if not os.path.isdir(path) or os.path.islink(path):
            os.remove(path)
            os.rename(tmp, path)
            return
        old = temp_name(path)
        os.rename(path, old)
        os.rename(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, path)


def write_bytes(path: str, data: bytes, overwrite: bool = True) -> None:
    """Writes `data` to `path` atomically."""
    with atomic_path(path, overwrite) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
