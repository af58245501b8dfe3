"""Hinge losses for maximum-margin classifiers: labels are -1/1 (0/1 labels are converted,
as in Keras, when every label is 0 or 1)."""

from __future__ import annotations

import rill as tf
from rill.keras.losses.loss import LossFunctionWrapper, align_pair

_DEFAULT = "sum_over_batch_size"


def _signed_labels(y_true):
    """2y - 1 when every label is 0 or 1, else the labels unchanged."""
    binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0), tf.equal(y_true, 1)))
    return tf.where(binary, 2 * y_true - 1, y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), axis=-1).

    >>> keras.losses.hinge([[0., 1.]], [[-0.5, 2.]]).numpy()
    array([0.25], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.hinge")
    margin = 1 - _signed_labels(y_true) * y_pred
    return tf.reduce_mean(tf.maximum(margin, tf.zeros_like(margin)), axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)**2, axis=-1).

    >>> keras.losses.squared_hinge([[0., 1.]], [[0.5, 2.]]).numpy()
    array([1.125], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.squared_hinge")
    margin = 1 - _signed_labels(y_true) * y_pred
    return tf.reduce_mean(tf.square(tf.maximum(margin, tf.zeros_like(margin))), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(neg - pos + 1, 0) with pos = sum(y_true * y_pred) and neg = max((1 - y_true) *
    y_pred) over the last axis, for one-hot labels.

    >>> keras.losses.categorical_hinge([[0., 1., 0.]], [[0.3, 0.6, 0.1]]).numpy().round(4)
    array([0.7], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.categorical_hinge")
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1 - y_true) * y_pred, axis=-1)
    margin = neg - pos + 1
    return tf.maximum(margin, tf.zeros_like(margin))


class Hinge(LossFunctionWrapper):
    """The hinge loss (`hinge` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """The squared hinge loss (`squared_hinge` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """The categorical hinge loss (`categorical_hinge` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
