"""Accuracy metrics: the per-sample functions (tf.keras 2's `keras.metrics.binary_accuracy`,
...) and their streaming means, plus `resolve_accuracy`, which picks the accuracy that
`compile(metrics=["accuracy"])` means for given targets and predictions.
"""

from __future__ import annotations

import rill as tf
from rill.keras.metrics.base_metric import MeanMetricWrapper, _snake, align


def _tensors(y_true, y_pred):
    y_pred = tf.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, "float32")
    return tf.cast(y_true, y_pred.dtype), y_pred


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, else 0.0 (elementwise).

    >>> keras.metrics.accuracy([1, 2, 3], [1, 2, 4]).numpy()
    array([1., 1., 0.], dtype=float32)
    """
    y_true, y_pred = align(*_tensors(y_true, y_pred))
    return tf.cast(tf.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where the prediction, thresholded (`y_pred > threshold`), equals the 0/1 label.

    >>> keras.metrics.binary_accuracy([1, 0, 1], [0.7, 0.6, 0.2]).numpy()
    array([1., 0., 0.], dtype=float32)
    """
    y_true, y_pred = align(*_tensors(y_true, y_pred))
    predicted = tf.cast(y_pred > tf.cast(threshold, y_pred.dtype), y_pred.dtype)
    return tf.cast(tf.equal(y_true, predicted), "float32")


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg max of the one-hot label equals the arg max of the prediction.

    >>> keras.metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                                    [[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]).numpy()
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if y_true.shape.rank is not None and y_true.shape.rank != y_pred.shape.rank:
        raise ValueError(f"categorical_accuracy: expected one-hot labels of the predictions' "
                         f"shape {y_pred.shape}, got y_true of shape {y_true.shape}.\nhint: "
                         f"for integer class ids use sparse_categorical_accuracy.")
    return tf.cast(tf.equal(tf.argmax(y_true, -1), tf.argmax(y_pred, -1)), "float32")


def _class_ids(y_true, y_pred, who: str):
    """Integer labels as `y_pred.shape[:-1]` (a trailing axis of size 1 dropped)."""
    if y_true.shape.rank is not None and y_pred.shape.rank is not None:
        if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
            y_true = tf.squeeze(y_true, -1)
        if y_true.shape.rank != y_pred.shape.rank - 1:
            raise ValueError(f"{who}: expected integer labels of shape (n,) or (n, 1) for "
                             f"predictions of shape (n, k), got y_true of shape "
                             f"{y_true.shape} and y_pred of shape {y_pred.shape}.\nhint: for "
                             f"one-hot labels use the categorical (non-sparse) accuracy; "
                             f"predictions need a class axis.")
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the arg max of the prediction.

    Labels of shape `(n,)` or `(n, 1)` against predictions `(n, k)`.

    >>> keras.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3],
    ...                                                    [0.05, 0.95, 0.0]]).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = tf.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, "float32")
    y_true = tf.convert_to_tensor(y_true)
    y_true = _class_ids(y_true, y_pred, "sparse_categorical_accuracy")
    if y_true.dtype.is_integer:  # class ids compared as integers: no casts
        if y_true.dtype not in (tf.int32, tf.int64):
            y_true = tf.cast(y_true, "int64")
        predicted = tf.argmax(y_pred, -1, output_type=y_true.dtype)
    else:
        predicted = tf.cast(tf.argmax(y_pred, -1), y_true.dtype)
    return tf.cast(tf.equal(y_true, predicted), "float32")


def _in_top_k(labels, y_pred, k: int):
    """Whether each label's score is among the `k` largest of its row: fewer than `k` classes
    score strictly higher (so ties at the boundary count as in, as `tf.math.in_top_k`); an
    out-of-range label or a non-finite score is never in."""
    num_classes = tf.shape(y_pred)[-1]
    labels = tf.cast(labels, "int32")
    valid = tf.logical_and(labels >= 0, labels < num_classes)
    safe = tf.where(valid, labels, tf.zeros_like(labels))
    score = tf.reduce_sum(tf.where(tf.one_hot(safe, num_classes, dtype="bool"), y_pred,
                                   tf.zeros_like(y_pred)), -1)
    higher = tf.reduce_sum(tf.cast(y_pred > score[..., None], "int32"), -1)
    finite = tf.math.is_finite(score)
    return tf.logical_and(tf.logical_and(valid, finite), higher < k)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the one-hot label's class is among the `k` highest predictions.

    >>> keras.metrics.top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1).numpy()
    array([0., 1.], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    return tf.cast(_in_top_k(tf.argmax(y_true, -1), y_pred, k), "float32")


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5,
                                      from_sorted_ids: bool = False):
    """1.0 where the integer label is among the `k` highest predictions (with
    `from_sorted_ids=True`, `y_pred` holds class ids sorted by score instead).

    >>> keras.metrics.sparse_top_k_categorical_accuracy([2, 1],
    ...     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=2).numpy()
    array([1., 1.], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if from_sorted_ids:
        y_true, y_pred = align(y_true, y_pred)
        hit = tf.equal(y_true, y_pred[..., :k]) if y_true.shape.rank == y_pred.shape.rank \
            else tf.equal(y_true[..., None], y_pred[..., :k])
        return tf.cast(tf.reduce_any(hit, -1), "float32")
    y_true = _class_ids(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    return tf.cast(_in_top_k(y_true, y_pred, k), "float32")


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (`accuracy`, averaged).

    >>> float(keras.metrics.Accuracy()([1, 2, 3, 4], [0, 2, 3, 4]))
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match 0/1 labels (`binary_accuracy`, averaged).

    >>> float(keras.metrics.BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]))
    0.75
    """

    _config_keys = ("threshold",)

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg max of predictions matches one-hot labels.

    >>> float(keras.metrics.CategoricalAccuracy()([[0, 0, 1], [0, 1, 0]],
    ...                                           [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg max of predictions matches integer labels.

    >>> float(keras.metrics.SparseCategoricalAccuracy()([[2], [1]],
    ...                                                 [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]))
    0.5
    """

    _cast_labels = False
    _class_id_labels = True

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the `k` highest predictions.

    >>> float(keras.metrics.TopKCategoricalAccuracy(k=1)([[0, 0, 1], [0, 1, 0]],
    ...                                                  [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    0.5
    """

    _config_keys = ("k",)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions.

    >>> float(keras.metrics.SparseTopKCategoricalAccuracy(k=1)([2, 1],
    ...                                                        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
    0.5
    """

    _config_keys = ("k",)
    _class_id_labels = True

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype=None, from_sorted_ids: bool = False):
        kwargs = {"from_sorted_ids": True} if from_sorted_ids else {}
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         **kwargs)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        if from_sorted_ids:
            self._config_keys = ("k", "from_sorted_ids")


# -- compile(metrics=["accuracy"]) -----------------------------------------------------------
_LOSS_KINDS = {"binary_crossentropy": "binary", "bce": "binary",
               "binary_focal_crossentropy": "binary", "hinge": "binary",
               "squared_hinge": "binary", "categorical_crossentropy": "categorical",
               "cce": "categorical", "categorical_focal_crossentropy": "categorical",
               "categorical_hinge": "categorical", "kl_divergence": "categorical",
               "sparse_categorical_crossentropy": "sparse_categorical"}


def _loss_kind(loss) -> str | None:
    """The accuracy kind a loss implies (a name, a function or a Loss object), or None."""
    if loss is None:
        return None
    candidates = [loss] if isinstance(loss, str) else [
        getattr(getattr(loss, "fn", None), "__name__", None), getattr(loss, "__name__", None),
        type(loss).__name__, getattr(loss, "name", None)]
    for name in candidates:
        if isinstance(name, str) and _snake(name) in _LOSS_KINDS:
            return _LOSS_KINDS[_snake(name)]
    return None


def accuracy_kind(y_true, y_pred, loss=None) -> str:
    """"binary", "categorical" or "sparse_categorical": what "accuracy" means here.

    The rule is Keras' (tf.keras 2 and 3): predictions with a last axis of size 1 are
    binary; labels of lower rank than the predictions, or with a last axis of size 1 against
    several classes, are sparse; anything else is categorical. Two cases Keras leaves to
    chance are settled: predictions of rank 1 are binary (one probability per sample), and
    when the shapes are unknown the loss decides (`loss` may be a name, a function or a
    `keras.losses.Loss`; "categorical" if it does not tell).
    """
    t, p = tf.TensorShape(getattr(y_true, "shape", y_true)), \
        tf.TensorShape(getattr(y_pred, "shape", y_pred))
    if p.rank is None or t.rank is None:
        return _loss_kind(loss) or "categorical"
    p_last = p[-1] if p.rank else None
    t_last = t[-1] if t.rank else None
    if p.rank <= 1 or p_last == 1:
        return "binary"
    if t.rank < p.rank or (t_last == 1 and p_last is not None and p_last > 1):
        return "sparse_categorical"
    if p_last is None:
        return _loss_kind(loss) or "categorical"
    return "categorical"


def resolve_accuracy(y_true, y_pred, loss=None, name: str = "accuracy"):
    """The accuracy metric that `compile(metrics=["accuracy"])` stands for, named `name`.

    `y_true` and `y_pred` are the first batch's targets and predictions (tensors, or just
    their shapes); see `accuracy_kind` for the rule.

    >>> m = keras.metrics.resolve_accuracy(tf.zeros((4,)), tf.zeros((4, 3)))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'accuracy')
    """
    cls = {"binary": BinaryAccuracy, "categorical": CategoricalAccuracy,
           "sparse_categorical": SparseCategoricalAccuracy}[accuracy_kind(y_true, y_pred, loss)]
    return cls(name=name)
