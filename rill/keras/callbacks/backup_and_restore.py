"""`BackupAndRestore`: resume a `fit` that was interrupted (killed, preempted) where it was."""

from __future__ import annotations

import json
import os
import shutil

from rill.keras.callbacks.callback import Callback, check_save_freq

_META = "rill_training_metadata"


class BackupAndRestore(Callback):
    """Backs up the model's weights and optimizer state at the end of every epoch (or every
    `save_freq` batches); when `fit` starts again after an interruption, restores them and
    continues from the first epoch that had not finished.

    The backup is one file, `<backup_dir>/latest.weights.h5` (Keras 3's weights layout with
    the epoch reached stored in it), written to a temporary name and renamed into place, so a
    process killed while backing up leaves the previous backup intact. A copy of the
    position is also written to `training_metadata.json` for people to read.

    Args:
        backup_dir: the folder of the backup (created if needed).
        save_freq: `"epoch"`, or back up every this many batches (resuming then restarts
            the interrupted epoch at the batch after the backup when the training loop
            supports it, else at its start).
        double_checkpoint: also keep the previous backup (`.bkp`) and fall back to it when
            the latest cannot be read.
        delete_checkpoint: remove the backup when training finishes normally.

    Resuming reproduces an uninterrupted run exactly when the batches are the same in every
    epoch (`shuffle=False`, or a seeded order that does not depend on earlier epochs).

    >>> cb = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
    >>> cb.save_freq
    'epoch'
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is empty.\nhint: pass a folder, "
                             "e.g. BackupAndRestore(backup_dir='/tmp/backup').")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = check_save_freq(save_freq, "BackupAndRestore")
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._current_epoch = 0
        self._batches_seen = 0
        self._last_batch = -1

    # -- restoring ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        model = self.model
        if not model.built:
            raise ValueError(f"To use the BackupAndRestore callback, your model must be built "
                             f"before you call fit(); {model.name!r} is not.\nhint: start it "
                             f"with keras.Input(shape=...), or call model.build(shape) first.")
        for path in (self._weights_path, self._prev_weights_path):
            if not os.path.exists(path):
                continue
            try:
                self._restore(path)
                return
            except (ValueError, OSError):
                if not (self.double_checkpoint and path == self._weights_path
                        and os.path.exists(self._prev_weights_path)):
                    raise

    def _restore(self, path: str) -> None:
        import h5py

        from rill.keras.saving import h5_guard, keras_format
        h5_guard.check(path, repr(path))
        model = self.model
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        with h5py.File(path, "r") as f:
            keras_format.load_weights_file(model, f, repr(path))
            raw = f.attrs.get(_META)
        position = json.loads(raw) if raw is not None else {}
        epoch = int(position.get("epoch", 0))
        batch = int(position.get("batch", -1))
        self._current_epoch = epoch
        object.__setattr__(model, "_initial_epoch", epoch)
        if batch >= 0:
            object.__setattr__(model, "_initial_step", batch + 1)

    # -- backing up --------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._last_batch = -1

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch = -1
        if self.save_freq == "epoch":
            self._backup()

    def _implements_batch_hooks(self, kind: str = "train") -> bool:
        return kind == "train" and self.save_freq != "epoch"

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._last_batch = batch
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._backup()

    def _backup(self) -> None:
        import h5py

        from rill.keras.saving import weights_io
        from rill.train import _atomic
        os.makedirs(self.backup_dir, exist_ok=True)
        position = {"epoch": self._current_epoch, "batch": self._last_batch}
        if self.double_checkpoint and os.path.exists(self._weights_path):
            with _atomic.atomic_path(self._prev_weights_path) as tmp:
                shutil.copyfile(self._weights_path, tmp)
        with _atomic.atomic_path(self._weights_path) as tmp:
            with h5py.File(tmp, "w") as f:
                weights_io.save_state(self.model, f)
                f.attrs[_META] = json.dumps(position)
        _atomic.write_bytes(self._metadata_path, json.dumps(position).encode())

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            for path in (self._weights_path, self._prev_weights_path, self._metadata_path):
                if os.path.exists(path):
                    os.remove(path)
            try:
                os.rmdir(self.backup_dir)
            except OSError:
                pass
