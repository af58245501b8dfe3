"""`tf.train.CheckpointManager`: numbered checkpoints in one folder, oldest deleted."""

from __future__ import annotations

import os
import time
from collections import OrderedDict

from rill.train import _format
from rill.train.state import get_checkpoint_state, update_checkpoint_state


def _remove(prefix: str) -> None:
    for path in (_format.index_path(prefix),):
        try:
            os.remove(path)
        except OSError:
            pass


def _as_int(value) -> int:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return int(value)


class CheckpointManager:
    """Saves `checkpoint` as `<directory>/<checkpoint_name>-<n>` and keeps the newest
    `max_to_keep` (None keeps all).

    Args:
        checkpoint: the `tf.train.Checkpoint` to save.
        directory: the folder (created if needed); its `checkpoint` file lists the kept
            checkpoints, so a new manager on the same folder continues where the last left.
        max_to_keep: how many recent checkpoints to keep.
        keep_checkpoint_every_n_hours: also keep (forever) one checkpoint per this many hours
            among those that `max_to_keep` would delete.
        checkpoint_name: the file name prefix (default "ckpt").
        step_counter, checkpoint_interval: with both, `save()` writes only when the step has
            advanced by at least `checkpoint_interval` since the last save.
        init_fn: called by `restore_or_initialize()` when there is no checkpoint.

    >>> manager = tf.train.CheckpointManager(ckpt, "./tf_ckpts", max_to_keep=3)  # doctest: +SKIP
    >>> ckpt.restore(manager.latest_checkpoint)                                # doctest: +SKIP
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None, last_checkpoint_step=None):
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep <= 0):
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep!r}.\nhint: max_to_keep=None keeps every "
                             f"checkpoint.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not "
                             "None.\nhint: pass step_counter=the step variable your loop "
                             "increments.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._last_checkpoint_step = last_checkpoint_step
        self._init_fn = init_fn
        self._recover()

    def _recover(self) -> None:
        now = time.time()
        state = get_checkpoint_state(self._directory)
        self._maybe_delete: OrderedDict = OrderedDict()
        if state is None:
            self._latest_checkpoint = None
            self._last_preserved = now - 1.0
            return
        self._latest_checkpoint = state.model_checkpoint_path
        preserved = state.last_preserved_timestamp
        self._last_preserved = min(preserved if preserved is not None else now - 1.0, now)
        paths = state.all_model_checkpoint_paths
        stamps = state.all_model_checkpoint_timestamps or [self._last_preserved] * len(paths)
        for path, stamp in zip(paths, stamps):
            stamp = min(stamp, now)
            if stamp > self._last_preserved:
                self._maybe_delete[path] = stamp

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def latest_checkpoint(self) -> str | None:
        """The prefix of the newest checkpoint, or None (pass it to `restore`)."""
        return self._latest_checkpoint

    @property
    def checkpoints(self) -> list:
        """The managed checkpoints, oldest first (not those kept by the hours rule)."""
        return list(self._maybe_delete)

    def save(self, checkpoint_number=None, check_interval=True, options=None) -> str | None:
        """Saves a new checkpoint and deletes the oldest beyond `max_to_keep`.

        Numbered by `checkpoint.save_counter` (incremented every time), or by
        `checkpoint_number` if given. Returns the path, or None when the
        `checkpoint_interval` rule skips this save.
        """
        if self._checkpoint_interval is not None:
            step = _as_int(self._step_counter)
            last = self._last_checkpoint_step
            if last is not None and (step == last or (
                    check_interval and step < last + self._checkpoint_interval)):
                return None
            self._last_checkpoint_step = step
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = _as_int(counter if checkpoint_number is None else checkpoint_number)
        os.makedirs(self._directory, exist_ok=True)
        path = self._checkpoint.write(f"{self._prefix}-{number}", options=options)
        stamp = time.time()
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = stamp
        self._latest_checkpoint = path
        self._record()
        self._sweep()
        self._record()
        return path

    def _sweep(self) -> None:
        if not self._max_to_keep:
            return
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = self._maybe_delete.popitem(last=False)
            if self._keep_hours and stamp - self._keep_hours * 3600.0 >= self._last_preserved:
                self._last_preserved = stamp
                continue
            _remove(path)

    def _record(self) -> None:
        update_checkpoint_state(self._directory, self._latest_checkpoint,
                                list(self._maybe_delete),
                                list(self._maybe_delete.values()), self._last_preserved)

    def restore_or_initialize(self):
        """Restores the latest checkpoint and returns its path; with none, calls `init_fn`
        (if given) and returns None."""
        if self._latest_checkpoint is not None:
            self._checkpoint.restore(self._latest_checkpoint)
            if self._checkpoint_interval is not None:
                self._last_checkpoint_step = _as_int(self._step_counter)
            return self._latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None
