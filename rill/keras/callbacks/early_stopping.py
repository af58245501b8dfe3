"""`EarlyStopping`: stops `fit` when the monitored metric stops improving."""

from __future__ import annotations

import numpy as np

from rill.keras.callbacks.callback import print_msg
from rill.keras.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training (sets `model.stop_training = True`) once `monitor` has not improved
    for `patience` epochs.

    An epoch improves when its value beats the best so far by more than `min_delta`. With a
    `baseline`, epochs count towards `patience` until one also beats the baseline. Training
    never stops after the first epoch.

    Args:
        monitor: the metric to watch in the epoch logs.
        min_delta: the least change that counts as an improvement.
        patience: the number of epochs without improvement to wait before stopping.
        verbose: 1 prints when training stops and when weights are restored.
        mode: `"min"`, `"max"` or `"auto"` (from the metric's name).
        baseline: a value the metric must beat; training stops after `patience` epochs
            without beating it.
        restore_best_weights: at the end of training, set the weights of the best epoch
            (with `model.get_weights()`/`set_weights()`), whether or not training stopped
            early.
        start_from_epoch: the number of epochs to wait (warm-up) before watching.

    After training, `stopped_epoch` is the epoch (from 0) it stopped at (0 if it did not)
    and `best_epoch` the best one.

    >>> es = keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    >>> class Stub: stop_training = False
    >>> es.set_model(Stub()); es.on_train_begin()
    >>> for epoch, loss in enumerate([3.0, 2.0, 2.5, 2.4]):
    ...     es.on_epoch_end(epoch, {"loss": loss})
    ...     if es.model.stop_training: break
    >>> es.stopped_epoch, es.best_epoch, es.best
    (2, 1, 2.0)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline=None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__(monitor, mode, min_delta=min_delta)
        for arg, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if value < 0:
                raise ValueError(f"EarlyStopping: `{arg}` must be >= 0; got {value!r}.\nhint: "
                                 f"e.g. EarlyStopping(patience=10).")
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def _weights(self) -> list:
        return [np.array(w, copy=True) for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        current = self._get_monitor_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # the first watched epoch's weights, in case no epoch ever improves
            self.best_weights = self._weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
