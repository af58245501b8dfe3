"""Losses as metrics: the streaming mean of a loss function of `keras.losses` (the
cross-entropies, KL divergence, Poisson and the hinges).

The loss functions live in `rill.keras.losses`, imported when a metric is created.
"""

from __future__ import annotations

import importlib

from rill.keras.metrics.base_metric import MeanMetricWrapper


def _loss_function(name: str, who: str):
    try:
        return getattr(importlib.import_module("rill.keras.losses"), name)
    except (ImportError, AttributeError) as exc:
        raise ImportError(f"keras.metrics.{who} needs the loss function "
                          f"keras.losses.{name}, which could not be loaded: {exc}.\nhint: "
                          f"check that rill.keras.losses imports and defines {name}.") from exc


class _LossMetric(MeanMetricWrapper):
    """The mean of the loss function `_loss` over every batch seen; the constructor's keyword
    arguments that differ from their defaults go to the function."""

    _loss = ""
    _defaults: dict = {}

    def __init__(self, name: str | None = None, dtype=None, **kwargs):
        fn = _loss_function(self._loss, type(self).__name__)
        passed = {k: v for k, v in kwargs.items() if v != self._defaults[k]}
        super().__init__(fn, name=name or self._loss, dtype=dtype, **passed)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        """Name, dtype and the loss' arguments."""
        return {"name": self.name, "dtype": self.dtype,
                **{k: getattr(self, k) for k in self._defaults}}


class BinaryCrossentropy(_LossMetric):
    """Mean binary cross-entropy between 0/1 labels and predicted probabilities (or logits).

    >>> round(float(keras.metrics.BinaryCrossentropy()([[0, 1]], [[0.5, 0.5]])), 4)
    0.6931
    """

    _loss = "binary_crossentropy"
    _defaults = {"from_logits": False, "label_smoothing": 0}

    def __init__(self, name: str = "binary_crossentropy", dtype=None,
                 from_logits: bool = False, label_smoothing: float = 0):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    """Mean cross-entropy between one-hot labels and predicted distributions (or logits).

    >>> round(float(keras.metrics.CategoricalCrossentropy()([[0, 1]], [[0.5, 0.5]])), 4)
    0.6931
    """

    _loss = "categorical_crossentropy"
    _defaults = {"from_logits": False, "label_smoothing": 0, "axis": -1}

    def __init__(self, name: str = "categorical_crossentropy", dtype=None,
                 from_logits: bool = False, label_smoothing: float = 0, axis: int = -1):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    """Mean cross-entropy between integer labels and predicted distributions (or logits).

    >>> round(float(keras.metrics.SparseCategoricalCrossentropy()([1], [[0.5, 0.5]])), 4)
    0.6931
    """

    _loss = "sparse_categorical_crossentropy"
    _cast_labels = False
    _class_id_labels = True
    _defaults = {"from_logits": False, "ignore_class": None, "axis": -1}

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype=None,
                 from_logits: bool = False, ignore_class: int | None = None, axis: int = -1):
        super().__init__(name, dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)


class KLDivergence(_LossMetric):
    """Mean Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))`.

    >>> round(float(keras.metrics.KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 4)
    0.1438
    """

    _loss = "kl_divergence"

    def __init__(self, name: str = "kl_divergence", dtype=None):
        super().__init__(name, dtype)


class Poisson(_LossMetric):
    """Mean Poisson loss `y_pred - y_true * log(y_pred)`.

    >>> round(float(keras.metrics.Poisson()([[1.0]], [[2.0]])), 4)
    1.3069
    """

    _loss = "poisson"

    def __init__(self, name: str = "poisson", dtype=None):
        super().__init__(name, dtype)


class Hinge(_LossMetric):
    """Mean hinge loss `max(1 - y_true * y_pred, 0)` (labels -1/1; 0/1 are converted).

    >>> float(keras.metrics.Hinge()([[1.0, 0.0]], [[0.5, -0.5]]))
    0.5
    """

    _loss = "hinge"

    def __init__(self, name: str = "hinge", dtype=None):
        super().__init__(name, dtype)


class SquaredHinge(_LossMetric):
    """Mean squared hinge loss `max(1 - y_true * y_pred, 0) ** 2`.

    >>> float(keras.metrics.SquaredHinge()([[1.0, 0.0]], [[0.5, -0.5]]))
    0.25
    """

    _loss = "squared_hinge"

    def __init__(self, name: str = "squared_hinge", dtype=None):
        super().__init__(name, dtype)


class CategoricalHinge(_LossMetric):
    """Mean categorical hinge loss `max(neg - pos + 1, 0)`.

    >>> float(keras.metrics.CategoricalHinge()([[0.0, 1.0]], [[0.6, 0.4]]))
    1.2000000476837158
    """

    _loss = "categorical_hinge"

    def __init__(self, name: str = "categorical_hinge", dtype=None):
        super().__init__(name, dtype)
