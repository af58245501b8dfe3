"""`MonitorCallback`: what `EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau` share:
reading a monitored value from the logs, and deciding whether it improved."""

from __future__ import annotations

import operator
import warnings

from rill.keras.callbacks.callback import Callback

# substrings of metric names that are better when larger (checked after the loss names)
_MAX_NAMES = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2",
              "sensitivity", "specificity", "cosine_similarity")
_MIN_NAMES = ("loss", "error", "mae", "mse", "mape", "msle", "rmse", "crossentropy", "hinge",
              "divergence", "poisson", "logcosh", "huber", "false_")


def _metric_directions(model) -> dict:
    """`{name: "up" | "down"}` for the model's metrics that declare a `_direction`."""
    found: dict = {}
    stack = list(getattr(model, "metrics", None) or [])
    while stack:
        metric = stack.pop()
        stack.extend(getattr(metric, "metrics", None) or [])  # compiled-metric containers
        direction = getattr(metric, "_direction", None)
        if direction in ("up", "down"):
            found[getattr(metric, "name", None)] = direction
    return found


class MonitorCallback(Callback):
    """A callback that watches `monitor` in the epoch logs.

    Args:
        monitor: the name in the logs, e.g. `"val_loss"` or `"val_accuracy"`.
        mode: `"min"`, `"max"`, or `"auto"`: minimize losses and errors, maximize accuracy,
            AUC, precision, recall and similar (a metric's own `_direction` wins).
        baseline: the value to improve on at first (None: the first value improves).
        min_delta: the least change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None,
                 min_delta: float = 0):
        super().__init__()
        name = type(self).__name__
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{name}: mode {mode!r} is unknown, falling back to 'auto'.\nhint: "
                          f"pass mode='min', 'max' or 'auto'.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self._minimize = None

    def _direction(self) -> str:
        if self.mode != "auto":
            return self.mode
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss" or name.endswith("_loss"):
            return "min"
        declared = _metric_directions(self.model).get(name)
        if declared is not None:
            return "max" if declared == "up" else "min"
        lower = name.lower()
        if any(word in lower for word in _MAX_NAMES):
            return "max"
        if any(word in lower for word in _MIN_NAMES):
            return "min"
        warnings.warn(f"{type(self).__name__}: cannot tell whether monitor={self.monitor!r} "
                      f"should be minimized or maximized; minimizing it.\nhint: pass "
                      f"mode='max' (or mode='min') to {type(self).__name__}.", stacklevel=4)
        return "min"

    def _minimizes(self) -> bool:
        if self._minimize is None:  # decided on first use, when the model is known
            self._minimize = self._direction() == "min"
        return self._minimize

    @property
    def monitor_op(self):
        """The comparison in effect: `operator.lt` when minimizing, else `operator.gt`."""
        return operator.lt if self._minimizes() else operator.gt

    def _is_improvement(self, value: float, reference) -> bool:
        """Whether `value` beats `reference` by more than `min_delta` (always if None)."""
        if reference is None:
            return True
        if self._minimizes():
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def _get_monitor_value(self, logs, what: str):
        """The monitored value as a float, or None with a warning listing the logs' keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            keys = ", ".join(logs) or "(none)"
            hint = ("pass validation_data (or validation_split) to fit() to get val_ "
                    "metrics, or monitor one of the available ones"
                    if self.monitor.startswith("val_") else
                    f"set {type(self).__name__}(monitor=...) to one of the available metrics")
            warnings.warn(f"{what} conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {keys}.\nhint: {hint}.",
                          stacklevel=3)
            return None
        if hasattr(value, "numpy"):
            value = value.numpy()
        return float(value)
