"""Regression losses: each function returns the mean over the last axis of an elementwise
error (one value per sample); each class wraps its function.

Labels are cast to the predictions' dtype and a trailing axis of size 1 is added or removed to
match (`(n,)` against `(n, 1)` gives `n` losses, never `n * n`).
"""

from __future__ import annotations

import math

import rill as tf
from rill.keras.losses.loss import LossFunctionWrapper, _Configured, _epsilon, align_pair

_DEFAULT = "sum_over_batch_size"


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)**2, axis=-1).

    >>> keras.losses.mean_squared_error([[0., 1.]], [[1., 1.]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.mean_squared_error")
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|, axis=-1).

    >>> keras.losses.mean_absolute_error([[0., 1.]], [[1., 3.]]).numpy()
    array([1.5], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.mean_absolute_error")
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon), axis=-1).

    >>> keras.losses.mean_absolute_percentage_error([[2., 4.]], [[1., 5.]]).numpy()
    array([37.5], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.mean_absolute_percentage_error")
    eps = _epsilon(y_pred.dtype)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), eps))
    return tf.cast(100.0, y_pred.dtype) * tf.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(1 + y_pred) - log(1 + y_true))**2, axis=-1), values below epsilon raised to
    epsilon.

    >>> keras.losses.mean_squared_logarithmic_error([[3.]], [[0.]]).numpy().round(4)  # log(4)**2
    array([1.9218], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.mean_squared_logarithmic_error")
    eps = _epsilon(y_pred.dtype)
    first = tf.math.log1p(tf.maximum(y_pred, eps))
    second = tf.math.log1p(tf.maximum(y_true, eps))
    return tf.reduce_mean(tf.square(first - second), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """mean of 0.5 * e**2 where |e| <= delta, else delta * |e| - 0.5 * delta**2 (e = y_pred -
    y_true), over the last axis.

    >>> keras.losses.huber([[0., 0.]], [[0.5, 3.]]).numpy()
    array([1.3125], dtype=float32)
    """
    if isinstance(delta, (int, float)) and delta < 0:
        raise ValueError(f"keras.losses.huber: `delta` must be >= 0, got {delta}.\nhint: delta "
                         f"is where the loss turns from quadratic to linear, e.g. 1.0.")
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.huber")
    delta = tf.cast(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = tf.abs(error)
    half = tf.constant(0.5, y_pred.dtype)
    quadratic = half * tf.square(error)
    linear = delta * abs_error - half * tf.square(delta)
    return tf.reduce_mean(tf.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed as x + softplus(-2x) - log(2) so
    that large errors do not overflow.

    >>> keras.losses.log_cosh([[0.]], [[1.]]).numpy().round(4)
    array([0.4338], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.log_cosh")
    x = y_pred - y_true
    log2 = tf.constant(math.log(2.0), y_pred.dtype)
    return tf.reduce_mean(x + tf.math.softplus(tf.cast(-2.0, x.dtype) * x) - log2, axis=-1)


def _l2_normalize(x, axis):
    eps = _epsilon(x.dtype)
    # min(1/|x|, 1/eps) as rsqrt(max(|x|^2, eps^2)): finite gradients at x = 0
    return x * tf.math.rsqrt(tf.maximum(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True),
                                        eps * eps))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for vectors pointing the
    same way, 0 for orthogonal ones (and when either is a zero vector).

    >>> y_true, y_pred = [[1., 0.], [1., 1.]], [[2., 0.], [-1., -1.]]
    >>> keras.losses.cosine_similarity(y_true, y_pred).numpy().round(4)
    array([-1.,  1.], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.cosine_similarity")
    return -tf.reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


# -- classes ----------------------------------------------------------------------------------
class MeanSquaredError(LossFunctionWrapper):
    """The mean of the squared errors (`mean_squared_error` per sample).

    >>> float(keras.losses.MeanSquaredError()([[0.], [1.]], [[1.], [1.]]))
    0.5
    """

    def __init__(self, reduction=_DEFAULT, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """The mean of the absolute errors (`mean_absolute_error` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """The mean absolute percentage error (`mean_absolute_percentage_error` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """The mean squared logarithmic error (`mean_squared_logarithmic_error` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class Huber(_Configured):
    """The Huber loss: quadratic for errors up to `delta`, linear beyond (`huber`).

    >>> float(keras.losses.Huber(delta=2.0)([[0.], [0.]], [[1.], [3.]]))
    2.25
    """

    def __init__(self, delta=1.0, reduction=_DEFAULT, name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """The mean log-cosh of the errors (`log_cosh` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_Configured):
    """The negated cosine similarity along `axis` (`cosine_similarity` per sample)."""

    def __init__(self, axis=-1, reduction=_DEFAULT, name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)
