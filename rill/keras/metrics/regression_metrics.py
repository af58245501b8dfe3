"""Regression metrics: streaming means of per-sample errors, and the root mean squared error.

Each per-sample error is the mean over the last axis (as Keras' loss functions of the same
name), so a batch of shape `(n, d)` counts as `n` samples; a rank-1 batch `(n,)` is one
sample, as in Keras.
"""

from __future__ import annotations

import math

import rill as tf
from rill.keras import backend
from rill.keras.metrics.base_metric import Mean, MeanMetricWrapper, align


def _squared_error(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_pred - y_true), -1)


def _absolute_error(y_true, y_pred):
    return tf.reduce_mean(tf.abs(y_pred - y_true), -1)


def _absolute_percentage_error(y_true, y_pred):
    eps = tf.constant(backend.epsilon(), y_true.dtype)
    return 100.0 * tf.reduce_mean(tf.abs(y_true - y_pred) / tf.maximum(tf.abs(y_true), eps), -1)


def _squared_logarithmic_error(y_true, y_pred):
    eps = tf.constant(backend.epsilon(), y_true.dtype)
    log_true = tf.math.log1p(tf.maximum(y_true, eps))
    log_pred = tf.math.log1p(tf.maximum(y_pred, eps))
    return tf.reduce_mean(tf.square(log_pred - log_true), -1)


def _log_cosh(y_true, y_pred):
    x = y_pred - y_true  # log(cosh(x)) = x + softplus(-2x) - log 2, stable for large |x|
    return tf.reduce_mean(x + tf.math.softplus(-2.0 * x) - math.log(2.0), -1)


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """The cosine of the angle between labels and predictions along `axis` (0 for a zero
    vector): the metric's per-sample value (the loss of that name is its negative).

    >>> keras.metrics.cosine_similarity([[0.0, 1.0], [1.0, 1.0]],
    ...                                 [[1.0, 0.0], [1.0, 1.0]]).numpy().round(4)
    array([0., 1.], dtype=float32)
    """
    y_pred = tf.cast(y_pred, "float32") if not tf.convert_to_tensor(y_pred).dtype.is_floating \
        else tf.convert_to_tensor(y_pred)
    y_true, y_pred = align(tf.cast(y_true, y_pred.dtype), y_pred)
    return tf.reduce_sum(tf.math.l2_normalize(y_true, axis) * tf.math.l2_normalize(y_pred, axis),
                         axis)


class MeanSquaredError(MeanMetricWrapper):
    """Mean of `(y_pred - y_true) ** 2`.

    >>> float(keras.metrics.MeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
    0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of `|y_pred - y_true|`.

    >>> float(keras.metrics.MeanAbsoluteError()([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
    0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean of `100 * |y_true - y_pred| / max(|y_true|, epsilon)`.

    >>> float(keras.metrics.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]))
    37.5
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype=None):
        super().__init__(_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean of `(log(1 + y_pred) - log(1 + y_true)) ** 2` (values below epsilon clipped).

    >>> round(float(keras.metrics.MeanSquaredLogarithmicError()([[0.0]], [[math.e - 1]])), 4)
    1.0
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype=None):
        super().__init__(_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Mean of `log(cosh(y_pred - y_true))`.

    >>> round(float(keras.metrics.LogCoshError()([[0.0]], [[1.0]])), 4)
    0.4338
    """

    def __init__(self, name: str = "logcosh", dtype=None):
        super().__init__(_log_cosh, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions along `axis`.

    >>> round(float(keras.metrics.CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]],
    ...                                              [[1.0, 0.0], [1.0, 1.0]])), 4)
    0.5
    """

    _config_keys = ("axis",)

    def __init__(self, name: str = "cosine_similarity", dtype=None, axis: int = -1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class RootMeanSquaredError(Mean):
    """`sqrt` of the (weighted) mean of `(y_pred - y_true) ** 2` over all batches.

    >>> float(keras.metrics.RootMeanSquaredError()([[2.0], [4.0]], [[1.0], [1.0]]))
    2.2360680103302
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's squared errors."""
        y_true, y_pred = align(tf.cast(y_true, self.dtype), tf.cast(y_pred, self.dtype))
        super().update_state(tf.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        """The square root of the running mean squared error."""
        return tf.sqrt(super().result())
