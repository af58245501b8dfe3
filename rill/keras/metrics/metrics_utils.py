"""Confusion-matrix counting shared by Precision, Recall, AUC and the counts.

For each threshold `t`, a prediction `p` is positive when `p > t` (strictly); a label is
positive when it is nonzero. `update_confusion_matrix_variables` adds the (weighted) true and
false positives and negatives of one batch to the given variables, one entry per threshold.
Evenly spaced thresholds (AUC's) are counted by bucketing each prediction once, O(n + T);
other thresholds by comparing every prediction with every threshold, O(n T).
"""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.metrics.base_metric import align

NEG_INF = -1e10  # the score of predictions outside the top k
KINDS = ("tp", "fp", "tn", "fn")


def parse_thresholds(thresholds, default: float, who: str) -> list[float]:
    """`thresholds` (a number or a list of numbers in [0, 1]) as a list; `default` if None."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    bad = [t for t in values if not isinstance(t, (int, float, np.number)) or not 0 <= t <= 1]
    if bad or not values:
        raise ValueError(f"{who}: `thresholds` must be a number or a non-empty list of "
                         f"numbers in [0, 1], got {thresholds!r}.\nhint: e.g. thresholds=0.5 "
                         f"or thresholds=[0.3, 0.5, 0.7].")
    return [float(t) for t in values]


def evenly_spaced(thresholds) -> bool:
    """Whether `thresholds` are `i / (T - 1)` for `i = 0 .. T - 1` (T >= 3), up to epsilon."""
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n) / (n - 1),
                                       atol=backend.epsilon()))


def _filter_top_k(y_pred, k: int):
    """Predictions outside each row's `k` largest set to NEG_INF (ties: lowest index first)."""
    _, idx = tf.math.top_k(y_pred, k)
    keep = tf.reduce_sum(tf.one_hot(idx, tf.shape(y_pred)[-1], dtype=y_pred.dtype), -2)
    return y_pred * keep + NEG_INF * (1.0 - keep)


def _check_range(y_pred, who: str):
    if tf.executing_eagerly():
        values = y_pred.numpy()
        if values.size and not (np.all(values >= 0) and np.all(values <= 1)):
            raise tf.errors.InvalidArgumentError(
                None, None,
                f"{who}: predictions must be probabilities in [0, 1], got values from "
                f"{np.nanmin(values):g} to {np.nanmax(values):g}.\nhint: apply a sigmoid (or "
                f"softmax) first, or use a model output with that activation; AUC accepts "
                f"from_logits=True.")
        return
    tf.debugging.assert_greater_equal(y_pred, tf.zeros_like(y_pred),
                                      message=f"{who}: predictions must be >= 0")
    tf.debugging.assert_less_equal(y_pred, tf.ones_like(y_pred),
                                   message=f"{who}: predictions must be <= 1")


def update_confusion_matrix_variables(variables: dict, y_true, y_pred, thresholds, *,
                                      who: str, top_k=None, class_id=None,
                                      sample_weight=None, multi_label: bool = False,
                                      label_weights=None, evenly: bool = False) -> None:
    """Adds one batch's counts to `variables` (a dict with some of "tp", "fp", "tn", "fn").

    Each variable has shape `(T,)` (or `(T, labels)` with `multi_label`). `sample_weight`
    broadcasts against the predictions; `label_weights` (one per class) weigh the classes
    when they are flattened together (not multi-label).
    """
    dtype = variables[next(iter(variables))].dtype
    y_true = tf.cast(y_true, dtype)
    y_pred = tf.cast(y_pred, dtype)
    _check_range(y_pred, who)
    y_pred, y_true = align(y_pred, y_true)
    if y_true.shape.rank is not None and y_pred.shape.rank is not None and \
            y_true.shape.rank != y_pred.shape.rank:
        raise ValueError(f"{who}: labels of shape {y_true.shape} do not match predictions of "
                         f"shape {y_pred.shape}.\nhint: pass labels with the predictions' "
                         f"shape (one 0/1 label per prediction).")
    if sample_weight is not None:
        sample_weight = tf.expand_dims(tf.cast(sample_weight, dtype), -1)
        _, sample_weight = align(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.shape.rank is not None and y_pred.shape.rank < 2:
            raise ValueError(f"{who}: class_id={class_id} needs predictions of shape "
                             f"(n, classes), got shape {y_pred.shape}.\nhint: drop class_id "
                             f"for one prediction per sample.")
        y_true, y_pred = y_true[..., class_id:class_id + 1], y_pred[..., class_id:class_id + 1]
    weights = tf.ones_like(y_pred) if sample_weight is None else \
        tf.broadcast_to(sample_weight, tf.shape(y_pred))
    if label_weights is not None and not multi_label:
        weights = weights * tf.cast(label_weights, dtype)
    positive = tf.cast(tf.not_equal(y_true, 0), dtype)
    if not multi_label:
        y_pred, positive, weights = (tf.reshape(x, [-1]) for x in (y_pred, positive, weights))
    true_w, false_w = positive * weights, (1.0 - positive) * weights
    if evenly:
        tp, fp = _bucket_counts(y_pred, (true_w, false_w), thresholds, multi_label)
    else:
        tp, fp = _compare_counts(y_pred, (true_w, false_w), thresholds, dtype)
    counts = {"tp": tp, "fp": fp}
    if "fn" in variables:
        counts["fn"] = tf.reduce_sum(true_w, 0) - tp
    if "tn" in variables:
        counts["tn"] = tf.reduce_sum(false_w, 0) - fp
    for kind, var in variables.items():
        var.assign_add(counts[kind])


def _compare_counts(y_pred, label_weights: tuple, thresholds, dtype) -> list:
    """Weighted counts of predictions above each threshold: (T,) or (T, labels)."""
    t = tf.constant(np.asarray(thresholds), dtype)
    t = tf.reshape(t, [-1] + [1] * y_pred.shape.rank)
    above = tf.cast(y_pred[None] > t, dtype)  # (T, n) or (T, n, labels)
    return [tf.reduce_sum(above * w[None], 1) for w in label_weights]


def _bucket_counts(y_pred, label_weights: tuple, thresholds, multi_label: bool) -> list:
    """The same counts for thresholds `i / (T - 1)`: each prediction falls in the bucket of
    the highest threshold it exceeds, and a reversed cumulative sum gives, per threshold,
    the weight of every prediction above it."""
    n_t = len(thresholds)
    with_eps = thresholds[0] < 0.0 or thresholds[-1] > 1.0  # AUC's -eps / 1+eps end points
    p = tf.clip_by_value(y_pred, 0.0, 1.0)
    # p > i / (T - 1)  <=>  i <= ceil(p (T - 1)) - 1; shifted by one so ids are >= 0
    ids = tf.math.ceil(p * float(n_t - 1))
    if with_eps:
        ids = tf.maximum(ids, 1.0)  # p = 0 still exceeds the first threshold, -eps
    ids = tf.cast(ids, "int32")
    if multi_label:
        n_labels = tf.shape(y_pred)[-1]
        ids = ids * n_labels + tf.range(n_labels)[None, :]
        segments = (n_t + 1) * n_labels
    else:
        segments = n_t + 1
    out = []
    for w in label_weights:
        buckets = tf.math.unsorted_segment_sum(tf.reshape(w, [-1]), tf.reshape(ids, [-1]),
                                               segments)
        if multi_label:
            buckets = tf.reshape(buckets, [n_t + 1, n_labels])
        out.append(tf.math.cumsum(buckets, axis=0, reverse=True)[1:])
    return out
