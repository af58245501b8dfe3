"""`ModelCheckpoint`: saves the model (or its weights) during `fit`."""

from __future__ import annotations

import os
import warnings

from rill.keras.callbacks.callback import check_save_freq, print_msg
from rill.keras.callbacks.monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Saves the model with `model.save(path)`, or its weights with
    `model.save_weights(path)`, at the end of every epoch or every `save_freq` batches.

    `filepath` is formatted with `epoch` (from 1), `batch` (from 1, for saves every
    `save_freq` batches) and the logs' names: `"ckpt_{epoch:02d}_{val_loss:.2f}.keras"`.
    Missing directories are created.

    Args:
        filepath: where to save; a format string as above.
        monitor: the metric that decides what is best, for `save_best_only`.
        verbose: 1 prints a line for each save (or each epoch that is not saved).
        save_best_only: save only when `monitor` improves on the best so far (saves
            anyway, with a warning, when `monitor` is not in the logs).
        save_weights_only: save the weights only (`model.save_weights`).
        mode: `"min"`, `"max"` or `"auto"` (from the metric's name).
        save_freq: `"epoch"`, or save every this many batches.
        initial_value_threshold: the value the first save must beat with `save_best_only`.

    >>> class Stub:
    ...     def save_weights(self, path, overwrite=True): print("saved", path)
    >>> ckpt = keras.callbacks.ModelCheckpoint("w_{epoch:02d}.weights.h5", monitor="loss",
    ...                                        save_best_only=True, save_weights_only=True)
    >>> ckpt.set_model(Stub())
    >>> for epoch, loss in enumerate([0.5, 0.7, 0.4]):
    ...     ckpt.on_epoch_end(epoch, {"loss": loss})
    saved w_01.weights.h5
    saved w_03.weights.h5
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        check_save_freq(save_freq, "ModelCheckpoint")
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_since_save = 0
        self._current_epoch = 0

    def _implements_batch_hooks(self, kind: str = "train") -> bool:
        return kind == "train" and self.save_freq != "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch: int, batch, logs) -> str:
        logs = logs or {}
        fields = dict(logs, epoch=epoch + 1)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: cannot format filepath {self.filepath!r}: no "
                           f"{e.args[0]!r} in the logs. Available: epoch"
                           f"{', batch' if batch is not None else ''}, "
                           f"{', '.join(logs) or '(no logs)'}.\nhint: name only these in "
                           f"the filepath (val_ metrics need validation data).") from None

    def _should_save(self, epoch: int, logs, path: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        if (logs or {}).get(self.monitor) is None:
            warnings.warn(f"ModelCheckpoint: can save best model only with {self.monitor} "
                          f"available; saving anyway. Available metrics are: "
                          f"{', '.join(logs or {}) or '(none)'}.\nhint: monitor one of "
                          f"them, or pass validation data to fit() for val_ metrics.",
                          stacklevel=4)
            return True
        current = self._get_monitor_value(logs, "ModelCheckpoint")
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {path}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch: int, batch, logs) -> None:
        path = self._path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        if os.path.isdir(path):
            raise IsADirectoryError(f"ModelCheckpoint: filepath {path!r} is an existing "
                                    f"directory.\nhint: give a file name, e.g. "
                                    f"{os.path.join(path, 'model.keras')!r}.")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {path}")
