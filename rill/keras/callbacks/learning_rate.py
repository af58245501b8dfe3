"""Callbacks that set the optimizer's learning rate: `LearningRateScheduler` (a function of
the epoch) and `ReduceLROnPlateau` (cut when the monitored metric stalls)."""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np

from rill.keras.callbacks.callback import Callback, print_msg
from rill.keras.callbacks.monitor_callback import MonitorCallback


def _optimizer(callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None:
        raise ValueError(f"{type(callback).__name__}: the model has no optimizer.\nhint: "
                         f"compile() the model before fit().")
    return optimizer


def _lr_attr(optimizer, who: str):
    for attr in ("learning_rate", "lr"):
        if hasattr(optimizer, attr):
            return attr
    raise ValueError(f"{who}: the optimizer {type(optimizer).__name__} has no "
                     f"`learning_rate` attribute.\nhint: use a keras.optimizers optimizer.")


def get_learning_rate(optimizer, who: str = "callback") -> float:
    """The optimizer's current learning rate as a float: a float, a variable, or a schedule
    (evaluated at `optimizer.iterations`)."""
    lr = getattr(optimizer, _lr_attr(optimizer, who))
    if callable(lr) and not hasattr(lr, "dtype") and not hasattr(lr, "numpy"):
        lr = lr(getattr(optimizer, "iterations", 0))
    if hasattr(lr, "numpy"):
        lr = lr.numpy()
    return float(lr)


def set_learning_rate(optimizer, value: float, who: str = "callback") -> None:
    """Sets the learning rate: assigns it when it is a variable, else sets the attribute."""
    attr = _lr_attr(optimizer, who)
    current = getattr(optimizer, attr)
    if hasattr(current, "assign"):
        current.assign(value)
        return
    try:
        setattr(optimizer, attr, value)
    except (TypeError, AttributeError) as e:
        raise TypeError(f"{who}: cannot set the optimizer's learning rate to {value!r}: {e}"
                        f"\nhint: a LearningRateSchedule already sets the rate at each step; "
                        f"create the optimizer with a float learning_rate to use {who}.") \
            from None


def _takes_lr(schedule) -> bool:
    """Whether `schedule` accepts `(epoch, lr)` rather than `(epoch)` alone."""
    try:
        params = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):
        return True
    kinds = [p.kind for p in params]
    return (inspect.Parameter.VAR_POSITIONAL in kinds or
            sum(k in (inspect.Parameter.POSITIONAL_ONLY,
                      inspect.Parameter.POSITIONAL_OR_KEYWORD) for k in kinds) >= 2)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch to `schedule(epoch, lr)` (or
    `schedule(epoch)`), `epoch` counting from 0 and `lr` the current rate; adds
    `learning_rate` to the epoch's logs (so `History` records it).

    Args:
        schedule: a function of the epoch (and the current learning rate) returning a float.
        verbose: 1 prints the new rate each epoch.

    >>> class Opt: learning_rate = 0.1
    >>> class Stub: optimizer = Opt()
    >>> cb = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    >>> cb.set_model(Stub())
    >>> cb.on_epoch_begin(0); cb.on_epoch_begin(1)
    >>> logs = {}
    >>> cb.on_epoch_end(1, logs); logs
    {'learning_rate': 0.025}
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: `schedule` must be a function of the "
                            f"epoch (and learning rate); got {schedule!r}.\nhint: e.g. "
                            f"LearningRateScheduler(lambda epoch, lr: lr * 0.9).")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer(self)
        if _takes_lr(self.schedule):
            lr = self.schedule(epoch, get_learning_rate(optimizer, "LearningRateScheduler"))
        else:
            lr = self.schedule(epoch)
        if hasattr(lr, "numpy"):
            lr = lr.numpy()
        if isinstance(lr, bool) or not isinstance(lr, (numbers.Real, np.ndarray)) or \
                np.ndim(lr) != 0:
            raise ValueError(f"LearningRateScheduler: the schedule must return a float; got "
                             f"{lr!r} ({type(lr).__name__}) for epoch {epoch}.\nhint: return "
                             f"the learning rate, e.g. lambda epoch, lr: lr * 0.9.")
        lr = float(lr)
        set_learning_rate(optimizer, lr, "LearningRateScheduler")
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(_optimizer(self), "LearningRateScheduler")


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` once `monitor` has not improved for
    `patience` epochs; adds `learning_rate` (before any cut) to the epoch's logs.

    Args:
        monitor: the metric to watch in the epoch logs.
        factor: the multiplier, below 1: `new_lr = max(lr * factor, min_lr)`.
        patience: the number of epochs without improvement before a cut.
        verbose: 1 prints each cut.
        mode: `"min"`, `"max"` or `"auto"` (from the metric's name).
        min_delta: the least change that counts as an improvement.
        cooldown: the number of epochs after a cut during which epochs are not counted.
        min_lr: the lowest learning rate.

    >>> class Opt: learning_rate = 0.1
    >>> class Stub: optimizer = Opt()
    >>> cb = keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=1)
    >>> cb.set_model(Stub()); cb.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     cb.on_epoch_end(epoch, {"loss": loss})
    >>> Stub.optimizer.learning_rate
    0.025
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs):
        if "epsilon" in kwargs:
            warnings.warn("ReduceLROnPlateau: `epsilon` is deprecated, use `min_delta`.\n"
                          "hint: ReduceLROnPlateau(min_delta=...).", stacklevel=2)
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected arguments {sorted(kwargs)}.\nhint: "
                            f"see help(keras.callbacks.ReduceLROnPlateau).")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: `factor` must be < 1 (it multiplies the "
                             f"learning rate); got factor={factor}.\nhint: e.g. factor=0.5 "
                             f"halves the rate.")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether the last cut was less than `cooldown` epochs ago."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        optimizer = _optimizer(self)
        lr = get_learning_rate(optimizer, "ReduceLROnPlateau")
        if logs is not None:
            logs["learning_rate"] = lr
        current = self._get_monitor_value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience or lr <= np.float32(self.min_lr):
            return
        new_lr = max(lr * self.factor, self.min_lr)
        set_learning_rate(optimizer, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
        self.cooldown_counter = self.cooldown
        self.wait = 0
