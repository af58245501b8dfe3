"""The `checkpoint` file of a checkpoint folder, and the functions that read checkpoints.

The file is TensorFlow's `CheckpointState` in protobuf text format, which rill writes and
reads itself:

    model_checkpoint_path: "ckpt-3"
    all_model_checkpoint_paths: "ckpt-2"
    all_model_checkpoint_paths: "ckpt-3"
    all_model_checkpoint_timestamps: 1700000000.5
    all_model_checkpoint_timestamps: 1700000100.25
    last_preserved_timestamp: 1699999999.0

Paths inside the folder are written relative to it.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np

from rill._core.errors import NotFoundError
from rill.train import _atomic, _format

_LINE = re.compile(r'^\s*(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([-+0-9.eEinfa]+))\s*$')
_MAX_STATE = 1 << 20


class CheckpointState:
    """The contents of a `checkpoint` file (TensorFlow's field names)."""

    def __init__(self, model_checkpoint_path=None, all_model_checkpoint_paths=(),
                 all_model_checkpoint_timestamps=(), last_preserved_timestamp=None):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps)
        self.last_preserved_timestamp = last_preserved_timestamp

    def __repr__(self) -> str:
        return (f"CheckpointState(model_checkpoint_path={self.model_checkpoint_path!r}, "
                f"all_model_checkpoint_paths={self.all_model_checkpoint_paths!r})")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def update_checkpoint_state(directory: str, model_checkpoint_path: str,
                            all_model_checkpoint_paths=None,
                            all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None) -> None:
    """Writes the folder's `checkpoint` file atomically (paths made relative to it)."""
    def rel(p):
        p = os.fspath(p)
        inside = os.path.dirname(os.path.abspath(p)) == os.path.abspath(directory)
        return os.path.basename(p) if inside else p

    lines = [f"model_checkpoint_path: {_quote(rel(model_checkpoint_path))}"]
    lines += [f"all_model_checkpoint_paths: {_quote(rel(p))}"
              for p in all_model_checkpoint_paths or ()]
    lines += [f"all_model_checkpoint_timestamps: {float(t)!r}"
              for t in all_model_checkpoint_timestamps or ()]
    if last_preserved_timestamp is not None:
        lines.append(f"last_preserved_timestamp: {float(last_preserved_timestamp)!r}")
    _atomic.write_bytes(os.path.join(directory, "checkpoint"), ("\n".join(lines) + "\n").encode())


def get_checkpoint_state(checkpoint_dir, latest_filename=None) -> CheckpointState | None:
    """The parsed `checkpoint` file of `checkpoint_dir` (paths made absolute if relative),
    or None when there is none. Unreadable content raises ValueError."""
    path = os.path.join(os.fspath(checkpoint_dir), latest_filename or "checkpoint")
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        raw = f.read(_MAX_STATE + 1)
    if len(raw) > _MAX_STATE:
        raise ValueError(f"{path!r} is not a checkpoint state file (over 1 MiB).\nhint: "
                         f"delete it; it is rewritten at the next save.")
    state = CheckpointState()
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"{path!r} line {n} is not a CheckpointState field: {line!r}.\n"
                             f"hint: delete the file; it is rewritten at the next save.")
        field, text, number = m.groups()
        try:
            if field == "model_checkpoint_path" and text is not None:
                state.model_checkpoint_path = _abs(checkpoint_dir, _unquote(text))
            elif field == "all_model_checkpoint_paths" and text is not None:
                state.all_model_checkpoint_paths.append(_abs(checkpoint_dir, _unquote(text)))
            elif field == "all_model_checkpoint_timestamps" and number is not None:
                state.all_model_checkpoint_timestamps.append(float(number))
            elif field == "last_preserved_timestamp" and number is not None:
                state.last_preserved_timestamp = float(number)
        except ValueError:
            raise ValueError(f"{path!r} line {n}: bad value {line!r}.\nhint: delete the "
                             f"file; it is rewritten at the next save.") from None
    return state


def _abs(directory, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(os.fspath(directory), path)


def latest_checkpoint(checkpoint_dir, latest_filename=None) -> str | None:
    """The prefix of the newest checkpoint recorded in `checkpoint_dir`, or None.

    >>> tf.train.latest_checkpoint("./tf_ckpts")  # doctest: +SKIP
    './tf_ckpts/ckpt-3'
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not state.model_checkpoint_path:
        return None
    if not _format.exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


def _resolve(ckpt_dir_or_file) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        found = latest_checkpoint(path)
        if found is None:
            raise NotFoundError(None, None, f"Unsuccessful TensorSliceReader constructor: "
                                            f"Failed to find any matching files for {path!r}: "
                                            f"the folder holds no checkpoint.\nhint: pass a "
                                            f"checkpoint prefix such as "
                                            f"{os.path.join(path, 'ckpt-1')!r}.")
        return found
    return path


class CheckpointReader:
    """Reads the tensors of one checkpoint (`tf.train.load_checkpoint`)."""

    def __init__(self, ckpt_dir_or_file):
        self._reader = _format.Reader(_resolve(ckpt_dir_or_file))

    def get_variable_to_shape_map(self) -> dict:
        return {k: self._reader.shape(k) for k in self._reader.keys}

    def get_variable_to_dtype_map(self) -> dict:
        from rill import dtypes
        return {k: dtypes.as_dtype(self._reader.dtype(k)) for k in self._reader.keys}

    def has_tensor(self, name: str) -> bool:
        return name in self._reader or name == "_CHECKPOINTABLE_OBJECT_GRAPH"

    def get_tensor(self, name: str):
        if name == "_CHECKPOINTABLE_OBJECT_GRAPH":
            return json.dumps(self._reader.graph, sort_keys=True).encode()
        if name not in self._reader:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint "
                                            f"{self._reader.path!r}.\nhint: "
                                            f"tf.train.list_variables(path) lists the keys.")
        value = self._reader.get(name)
        return value[()] if value.ndim == 0 else value


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    """A reader of the checkpoint at `ckpt_dir_or_file` (a folder means its latest)."""
    return CheckpointReader(ckpt_dir_or_file)


def list_variables(ckpt_dir_or_file) -> list:
    """`[(key, shape), ...]` sorted by key, as TensorFlow lists them.

    >>> tf.train.list_variables("./tf_ckpts")  # doctest: +SKIP
    [('_CHECKPOINTABLE_OBJECT_GRAPH', []), ('net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE', [5]),...]
    """
    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    shapes["_CHECKPOINTABLE_OBJECT_GRAPH"] = []
    return sorted(shapes.items())


def load_variable(ckpt_dir_or_file, name: str) -> np.ndarray:
    """The saved value of the key `name` (a trailing `:0` is ignored)."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)
