"""`tf.train.Checkpoint`: saves and restores the variables of a graph of objects.

>>> v = tf.Variable(3.0)
>>> ckpt = tf.train.Checkpoint(v=v)
>>> path = ckpt.write(os.path.join(tmp, "one"))   # doctest: +SKIP
>>> v.assign(0.0); ckpt.read(path); float(v)       # doctest: +SKIP
3.0
"""

from __future__ import annotations

import os

import rill as tf
from rill.train import _format, _graph, _restore
from rill.train.state import update_checkpoint_state


class CheckpointOptions:
    """Accepted for TensorFlow compatibility; rill has no options to set."""

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False,
                 experimental_skip_slot_variables=False, experimental_sharding_callback=None):
        self.experimental_io_device = experimental_io_device
        self.experimental_enable_async_checkpoint = experimental_enable_async_checkpoint
        self.experimental_write_callbacks = experimental_write_callbacks
        self.enable_async = enable_async


class Checkpoint:
    """Groups trackable objects (variables, `tf.Module`s, Keras layers, models, optimizers,
    dataset iterators) so their state can be saved and restored together.

    Args:
        root: an object whose children become the checkpoint's own (optional).
        **kwargs: the objects to save, by name (`model=model, optimizer=opt`).

    `save(prefix)` writes `prefix-<n>` (numbered by `save_counter`) and records it in the
    folder's `checkpoint` file; `write(path)` writes exactly `path`. `restore(path)` and
    `read(path)` assign the saved values; values for objects that do not exist yet are
    assigned when they are created (see docs/checkpoints.md).
    """

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_root", root)
        if root is not None and not _graph.is_trackable(root):
            raise ValueError(_not_trackable("root", root))
        for name, value in sorted(kwargs.items()):
            if name == "save_counter":
                raise ValueError("tf.train.Checkpoint: `save_counter` is a reserved name.\n"
                                 "hint: give the object another name.")
            setattr(self, name, value)

    # -- tracking ----------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if not _graph.is_trackable(value):
            raise ValueError(_not_trackable(name, value))
        object.__setattr__(self, name, value)
        self._children[name] = value
        _restore.notify()

    def __delattr__(self, name):
        object.__delattr__(self, name)
        self._children.pop(name, None)

    def _checkpoint_children(self) -> list:
        out = []
        if self._root is not None:
            out.extend(_graph.children(self._root))
        out.extend(sorted(self._children.items()))
        if self._save_counter is not None:
            out.append(("save_counter", self._save_counter))
        return out

    @property
    def save_counter(self):
        """The number of `save()` calls (an int64 variable, created on first use)."""
        self._make_save_counter()
        return self._save_counter

    def _make_save_counter(self) -> None:
        if self._save_counter is None:
            with tf.init_scope():
                counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="save_counter")
            object.__setattr__(self, "_save_counter", counter)

    # -- saving ------------------------------------------------------------------------------
    def write(self, file_prefix, options=None) -> str:
        """Writes the checkpoint to exactly `file_prefix` (`<file_prefix>.index`); returns
        `file_prefix`. Does not number it or update the folder's `checkpoint` file."""
        prefix = _prefix(file_prefix, "write")
        _restore.notify()
        tensors, meta = _graph.collect(self)
        _format.write(prefix, tensors, meta)
        for callback in getattr(options, "experimental_write_callbacks", None) or ():
            callback(prefix)
        return prefix

    def save(self, file_prefix, options=None) -> str:
        """Adds one to `save_counter`, writes `<file_prefix>-<save_counter>` and records it
        as the latest checkpoint in the folder's `checkpoint` file; returns its path."""
        prefix = _prefix(file_prefix, "save")
        self.save_counter.assign_add(1)
        path = f"{prefix}-{int(self._save_counter.numpy())}"
        self.write(path, options)
        update_checkpoint_state(os.path.dirname(path) or ".", path, [path])
        return path

    # -- restoring ---------------------------------------------------------------------------
    def read(self, save_path, options=None):
        """Restores what `write` wrote at `save_path`; returns a status (see `restore`)."""
        return self.restore(save_path, options)

    def restore(self, save_path, options=None):
        """Assigns the values saved at `save_path` to the matching variables; values for
        objects not created yet are assigned when they are (deferred restoration).

        Returns a status with `assert_consumed()`, `assert_existing_objects_matched()`,
        `assert_nontrivial_match()` and `expect_partial()`. `save_path=None` restores nothing
        (the status says so).
        """
        if save_path is None:
            return InitializationOnlyStatus()
        reader = _format.Reader(_prefix(save_path, "restore"))
        if any(k.startswith("save_counter/") for k in reader.keys):
            self._make_save_counter()
        return CheckpointLoadStatus(self, _restore.start(self, reader))

    def sync(self) -> None:
        """Waits for asynchronous saves (rill saves synchronously: returns at once)."""


def _prefix(file_prefix, what: str) -> str:
    if hasattr(file_prefix, "numpy"):
        file_prefix = file_prefix.numpy()
    if isinstance(file_prefix, bytes):
        file_prefix = file_prefix.decode()
    if not isinstance(file_prefix, (str, os.PathLike)) or not os.fspath(file_prefix):
        raise ValueError(f"Checkpoint.{what}: expected a path (a string), got "
                         f"{file_prefix!r}.\nhint: e.g. ckpt.{what}('./ckpts/ckpt').")
    prefix = os.fspath(file_prefix)
    if what in ("save", "write"):
        folder = os.path.dirname(prefix)
        if folder:
            os.makedirs(folder, exist_ok=True)
    return prefix


def _not_trackable(name, value) -> str:
    return (f"`Checkpoint` was expecting {name} to be a trackable object (a tf.Variable, "
            f"tf.Module, Keras layer, model or optimizer, a dataset iterator, or a list or "
            f"dict of these), got {value!r} ({type(value).__name__}).\nhint: wrap plain "
            f"values in a tf.Variable: tf.train.Checkpoint({name}=tf.Variable(...)).")


class CheckpointLoadStatus:
    """What a `restore` matched; its assertions raise `AssertionError` naming what is
    missing."""

    def __init__(self, checkpoint: Checkpoint, restore):
        self._checkpoint = checkpoint
        self._restore = restore

    def _unmatched(self):
        _restore.notify()
        self._restore.apply()
        return _restore.unmatched(self._restore, self._checkpoint)

    def assert_consumed(self):
        """Asserts that every saved value was assigned and every variable got one."""
        live, pending = self._unmatched()
        if pending:
            raise AssertionError(
                f"Unresolved values in checkpoint {self._restore.path!r}: {_few(pending)} "
                f"have no matching object yet.\nhint: create (build) those objects, or call "
                f"expect_partial() if the checkpoint holds more than you restore.")
        if live:
            raise AssertionError(
                f"Some objects had no value in checkpoint {self._restore.path!r}: "
                f"{_few(live)}.\nhint: they were added after the checkpoint was written; "
                f"use assert_existing_objects_matched() only if that is expected.")
        return self

    def assert_existing_objects_matched(self):
        """Asserts that every variable that exists now got a saved value."""
        live, _ = self._unmatched()
        if live:
            raise AssertionError(
                f"Some existing objects had no value in checkpoint {self._restore.path!r}: "
                f"{_few(live)}.\nhint: restore a checkpoint written from the same "
                f"structure of objects.")
        return self

    def assert_nontrivial_match(self):
        """Asserts that at least one saved value was assigned."""
        self._unmatched()
        if not self._restore.matched_ids:
            raise AssertionError(f"Nothing in checkpoint {self._restore.path!r} matched the "
                                 f"objects of this Checkpoint.\nhint: the names given to "
                                 f"tf.train.Checkpoint(...) must be those used when saving.")
        return self

    def expect_partial(self):
        """Marks a partial restore as intended (rill warns about nothing, so a no-op)."""
        return self

    def run_restore_ops(self, session=None) -> None:
        """Restores eagerly already; kept for TensorFlow 1 style code."""

    def initialize_or_restore(self, session=None) -> None:
        """Restores eagerly already; kept for TensorFlow 1 style code."""


class InitializationOnlyStatus:
    """The status of `restore(None)`: nothing was restored."""

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.\nhint: pass manager.latest_checkpoint or "
                             "tf.train.latest_checkpoint(folder), and check it is not None.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None) -> None:
        pass

    def initialize_or_restore(self, session=None) -> None:
        pass


def _few(keys: list, n: int = 8) -> str:
    shown = ", ".join(repr(k) for k in keys[:n])
    return shown + (f" and {len(keys) - n} more" if len(keys) > n else "")
