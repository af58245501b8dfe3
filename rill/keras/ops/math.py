"""`keras.ops.math`: top_k, logsumexp, erf, segment sums and other math helpers."""

from __future__ import annotations

import rill as tf
from rill.keras.ops._convert import convert_to_tensor, floating

__all__ = ["erf", "in_top_k", "logsumexp", "rsqrt", "segment_sum", "top_k"]


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The k largest values along the last axis and their int32 indices: (values, indices)."""
    values, indices = tf.math.top_k(convert_to_tensor(x), k=k, sorted=sorted)
    return values, indices


def in_top_k(targets, predictions, k):
    """True where the target class's score is among the k highest of its row (ties count as
    in, as in TensorFlow)."""
    predictions = convert_to_tensor(predictions)
    targets = tf.cast(convert_to_tensor(targets), "int32")
    target_score = tf.gather(predictions, targets, axis=1, batch_dims=1)
    higher = tf.reduce_sum(tf.cast(tf.greater(predictions, tf.expand_dims(target_score, -1)),
                                   "int32"), axis=-1)
    return tf.less(higher, k)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along `axis`, stable for large values."""
    axis = list(axis) if isinstance(axis, tuple) else axis
    return tf.reduce_logsumexp(floating(x), axis, keepdims)


def erf(x):
    """The error function."""
    return tf.math.erf(floating(x))


def rsqrt(x):
    """1 / sqrt(x)."""
    return tf.math.rsqrt(floating(x))


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sums of the rows of `data` with the same segment id."""
    segment_ids = tf.cast(convert_to_tensor(segment_ids), "int32")
    if num_segments is None:
        num_segments = tf.reduce_max(segment_ids) + 1
    return tf.math.unsorted_segment_sum(convert_to_tensor(data), segment_ids, num_segments)
