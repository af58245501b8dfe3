"""Probabilistic losses: the cross-entropies (binary, binary focal, categorical, sparse
categorical), the Kullback-Leibler divergence and the Poisson loss.

Probabilities are clipped to [epsilon, 1 - epsilon] (`keras.backend.epsilon()`) before any
log. With `from_logits=True` the stable primitives of `tf.nn` are used. As in Keras, when the
predictions are, inside a traced function, the direct output of a softmax (or sigmoid) op, the
loss is computed from that op's logits instead, so that saturated probabilities do not flatten
the gradient.
"""

from __future__ import annotations

import warnings

import rill as tf
from rill.keras.losses.loss import (
    LossFunctionWrapper,
    _Configured,
    _epsilon,
    _shape,
    _tensor,
    align_pair,
    convert_pair,
    squeeze_or_expand,
)

_DEFAULT = "sum_over_batch_size"


def _check_smoothing(label_smoothing, who: str) -> None:
    if isinstance(label_smoothing, (int, float)) and not 0 <= label_smoothing <= 1:
        raise ValueError(f"{who}: `label_smoothing` must be in [0, 1], got {label_smoothing}."
                         f"\nhint: 0 disables smoothing; 0.1 is a common value.")


def _check_axis(axis, who: str) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{who}: `axis` must be an int, got {axis!r} of type "
                         f"{type(axis).__name__}.\nhint: pass the class axis, e.g. axis=-1.")


def _logits_of(output, op_type: str, who: str, from_logits: bool, axis: int = -1):
    """(logits, True) when `output` is a sigmoid/softmax output whose logits are known (a
    `_keras_logits` attribute, or the op of a traced graph), else (output, from_logits)."""
    logits = getattr(output, "_keras_logits", None)
    if logits is None:
        try:
            op = output.op  # eager tensors and variables have no op
        except AttributeError:
            op = None
        if op is not None and op.type == op_type and len(op.inputs) == 1:
            rank = output.shape.rank
            op_axis = op.attrs.get("axis", -1)
            if rank is None or op_axis % rank == axis % rank:
                logits = op.inputs[0]
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f"{who} received from_logits=True, but y_pred was produced by a "
                      f"{op_type} activation and so does not hold logits; the {op_type}'s "
                      f"input is used.", stacklevel=3)
    return logits, True


def _clip(p):
    eps = _epsilon(p.dtype)
    return tf.clip_by_value(p, eps, 1 - eps)


def _elementwise_bce(target, output, from_logits: bool, who: str):
    output, from_logits = _logits_of(output, "Sigmoid", who, from_logits)
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    p = _clip(output)
    return -(target * tf.math.log(p) + (1 - target) * tf.math.log(1 - p))


def _smooth_binary(y_true, label_smoothing):
    if not label_smoothing:
        return y_true
    ls = tf.cast(label_smoothing, y_true.dtype)
    return y_true * (1 - ls) + 0.5 * ls


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean(-(y log p + (1 - y) log(1 - p)), axis) for 0/1 labels y and probabilities p
    (p = sigmoid(y_pred) if `from_logits`). `label_smoothing` s moves the labels towards 0.5:
    y * (1 - s) + s / 2.

    >>> keras.losses.binary_crossentropy([[0., 1.]], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    who = "keras.losses.binary_crossentropy"
    _check_smoothing(label_smoothing, who)
    y_true, y_pred = align_pair(y_true, y_pred, who, strict=True)
    y_true = _smooth_binary(y_true, label_smoothing)
    return tf.reduce_mean(_elementwise_bce(y_true, y_pred, from_logits, who), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean((1 - p_t)**gamma * bce, axis) with p_t = y p + (1 - y)(1 - p): the binary
    cross-entropy with easy examples down-weighted. With `apply_class_balancing`, each term is
    also weighted by alpha (label 1) or 1 - alpha (label 0).

    >>> keras.losses.binary_focal_crossentropy([[0., 1.]], [[0.5, 0.5]]).numpy()
    array([0.1732868], dtype=float32)
    """
    who = "keras.losses.binary_focal_crossentropy"
    _check_smoothing(label_smoothing, who)
    y_true, y_pred = align_pair(y_true, y_pred, who, strict=True)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
        y_pred = tf.sigmoid(y_pred)
    else:
        bce = _elementwise_bce(y_true, y_pred, False, who)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = tf.pow(1 - p_t, tf.cast(gamma, y_pred.dtype)) * bce
    if apply_class_balancing:
        a = tf.cast(alpha, y_pred.dtype)
        focal = (y_true * a + (1 - y_true) * (1 - a)) * focal
    return tf.reduce_mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y log p, axis) for one-hot (or probability) labels y and probabilities p, the
    predictions rescaled to sum to 1 (p = softmax(y_pred) if `from_logits`). `label_smoothing`
    s spreads s over the classes: y * (1 - s) + s / num_classes.

    >>> keras.losses.categorical_crossentropy([[0., 1., 0.]], [[0.25, 0.5, 0.25]]).numpy()
    array([0.6931472], dtype=float32)
    """
    who = "keras.losses.categorical_crossentropy"
    _check_axis(axis, who)
    _check_smoothing(label_smoothing, who)
    y_true, y_pred = align_pair(y_true, y_pred, who, strict=True)
    if y_pred.shape.rank and y_pred.shape[-1] == 1:
        warnings.warn(f"{who}: y_pred has shape {_shape(y_pred)}, one class; the loss is 0."
                      f"\nhint: for two classes use binary_crossentropy with one probability "
                      f"per sample.", stacklevel=2)
    if label_smoothing:
        ls = tf.cast(label_smoothing, y_pred.dtype)
        num_classes = tf.cast(tf.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1 - ls) + ls / num_classes
    output, from_logits = _logits_of(y_pred, "Softmax", who, from_logits, axis)
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=output, axis=axis)
    p = _clip(output / tf.reduce_sum(output, axis=axis, keepdims=True))
    return -tf.reduce_sum(y_true * tf.math.log(p), axis=axis)


def _sparse_labels(y_true, y_pred, axis: int, who: str):
    """Integer class ids of the shape of `y_pred` without its class axis."""
    y_true = _tensor(y_true)
    rank = y_pred.shape.rank
    if rank is not None and not -rank <= axis < rank:
        raise ValueError(f"{who}: axis {axis} is out of range for y_pred of shape "
                         f"{_shape(y_pred)}.\nhint: pass the class axis, usually -1.")
    if rank is not None and y_true.shape.rank == rank and y_true.shape[axis] == 1:
        y_true = tf.squeeze(y_true, [axis])
    if rank is not None and y_true.shape.rank is not None:
        expected = y_pred.shape.as_list()
        del expected[axis]
        if y_true.shape.rank != rank - 1 or not y_true.shape.is_compatible_with(expected):
            raise ValueError(f"{who}: y_true of shape {_shape(y_true)} does not fit y_pred of "
                             f"shape {_shape(y_pred)}: expected one class id per sample, of "
                             f"shape {tuple(expected)}.\nhint: pass integer class ids (not "
                             f"one-hot rows; for those use categorical_crossentropy).")
    if not y_true.dtype.is_integer:
        y_true = tf.cast(y_true, "int32")
    return y_true


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """-log p[y] for integer class ids y and probabilities p along `axis` (p =
    softmax(y_pred) if `from_logits`). Labels equal to `ignore_class` get a loss of 0 (and
    `SparseCategoricalCrossentropy` leaves them out of the reduction).

    >>> keras.losses.sparse_categorical_crossentropy([1, 2], [[0.25, 0.5, 0.25]] * 2).numpy()
    array([0.6931472, 1.3862944], dtype=float32)
    """
    who = "keras.losses.sparse_categorical_crossentropy"
    _check_axis(axis, who)
    _, y_pred = convert_pair(0.0, y_pred)
    labels = _sparse_labels(y_true, y_pred, axis, who)
    if ignore_class is not None:
        valid = tf.not_equal(labels, tf.cast(ignore_class, labels.dtype))
        labels = tf.where(valid, labels, tf.zeros_like(labels))
    output, from_logits = _logits_of(y_pred, "Softmax", who, from_logits, axis)
    rank = output.shape.rank
    if rank is not None and axis % rank != rank - 1:  # the op takes classes on the last axis
        perm = [i for i in range(rank) if i != axis % rank] + [axis % rank]
        output = tf.transpose(output, perm)
    if not from_logits:
        output = tf.math.log(_clip(output))
    res = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=output)
    if ignore_class is not None:
        res = tf.where(valid, res, tf.zeros_like(res))
    return res


sparse_categorical_crossentropy._integer_labels = True  # Loss keeps int labels uncast


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1].

    >>> keras.losses.kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).numpy().round(4)
    array([0.1438], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.kl_divergence")
    eps = _epsilon(y_pred.dtype)
    y_true = tf.clip_by_value(y_true, eps, tf.cast(1, y_pred.dtype))
    y_pred = tf.clip_by_value(y_pred, eps, tf.cast(1, y_pred.dtype))
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), axis=-1).

    >>> keras.losses.poisson([[0.]], [[2.]]).numpy()
    array([2.], dtype=float32)
    """
    y_true, y_pred = align_pair(y_true, y_pred, "keras.losses.poisson")
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + _epsilon(y_pred.dtype)),
                          axis=-1)


# -- classes ----------------------------------------------------------------------------------
class BinaryCrossentropy(_Configured):
    """The binary cross-entropy between 0/1 labels and probabilities (or logits).

    >>> float(keras.losses.BinaryCrossentropy(from_logits=True)([[1.], [0.]], [[0.], [0.]]))
    0.6931471824645996
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_DEFAULT,
                 name="binary_crossentropy", dtype=None):
        _check_smoothing(label_smoothing, "BinaryCrossentropy")
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_Configured):
    """The binary focal cross-entropy (`binary_focal_crossentropy` per sample)."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction=_DEFAULT,
                 name="binary_focal_crossentropy", dtype=None):
        _check_smoothing(label_smoothing, "BinaryFocalCrossentropy")
        super().__init__(binary_focal_crossentropy, reduction, name, dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_Configured):
    """The cross-entropy between one-hot labels and probabilities (or logits).

    >>> float(keras.losses.CategoricalCrossentropy()([[0., 1.]], [[0.5, 0.5]]))
    0.6931471824645996
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_DEFAULT,
                 name="categorical_crossentropy", dtype=None):
        _check_smoothing(label_smoothing, "CategoricalCrossentropy")
        _check_axis(axis, "CategoricalCrossentropy")
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Configured):
    """The cross-entropy between integer class ids and probabilities (or logits); samples
    labelled `ignore_class` count neither in the sum nor in the batch size.

    >>> loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    >>> round(float(loss([1, -1], [[0.5, 0.5], [0.9, 0.1]])), 4)
    0.6931
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction=_DEFAULT, axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        _check_axis(axis, "SparseCategoricalCrossentropy")
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def _call_with_mask(self, y_true, y_pred):
        losses = self.call(y_true, y_pred)
        if self.ignore_class is None:
            return losses, None
        y_true, y_pred = squeeze_or_expand(y_true, y_pred)
        labels = _sparse_labels(y_true, y_pred, self.axis, type(self).__name__)
        return losses, tf.not_equal(labels, tf.cast(self.ignore_class, labels.dtype))


class KLDivergence(LossFunctionWrapper):
    """The Kullback-Leibler divergence (`kl_divergence` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """The Poisson loss (`poisson` per sample)."""

    def __init__(self, reduction=_DEFAULT, name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
