"""Metrics counted from the confusion matrix at one or more thresholds: the four counts,
Precision, Recall, and the "X at fixed Y" metrics (PrecisionAtRecall, ...).

Predictions are probabilities in [0, 1] (others raise, as tf.keras 2 does) and count as
positive above a threshold; labels count as positive when nonzero.
"""

from __future__ import annotations

import rill as tf
from rill.keras.metrics import metrics_utils
from rill.keras.metrics.base_metric import Metric


def _ratio(num, other):
    return tf.math.divide_no_nan(num, num + other)


class _ThresholdMetric(Metric):
    """Shared state: one entry per threshold of the counts named in `_counts`."""

    _counts: tuple = ()
    _default_threshold = 0.5

    def _init_thresholds(self, thresholds, top_k=None) -> None:
        default = self._default_threshold if top_k is None else metrics_utils.NEG_INF
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_thresholds(thresholds, default,
                                                         type(self).__name__)
        self._evenly = metrics_utils.evenly_spaced(self.thresholds)

    def _make_counts(self, names: tuple) -> None:
        for kind in names:
            setattr(self, _NAMES[kind], self.add_variable((len(self.thresholds),), "zeros",
                                                          name=_NAMES[kind]))

    def _update(self, y_true, y_pred, sample_weight, top_k=None, class_id=None) -> None:
        metrics_utils.update_confusion_matrix_variables(
            {k: getattr(self, _NAMES[k]) for k in self._counts}, y_true, y_pred,
            self.thresholds, who=type(self).__name__, top_k=top_k, class_id=class_id,
            sample_weight=sample_weight, evenly=self._evenly)

    def _scalar(self, value):
        return value[0] if len(self.thresholds) == 1 else value


_NAMES = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
          "fn": "false_negatives"}


class _ConditionCount(_ThresholdMetric):
    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._init_thresholds(thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's (weighted) count at each threshold."""
        metrics_utils.update_confusion_matrix_variables(
            {self._kind: self.accumulator}, y_true, y_pred, self.thresholds,
            who=type(self).__name__, sample_weight=sample_weight, evenly=self._evenly)

    def result(self):
        """The count: a scalar for one threshold, else one per threshold."""
        return self._scalar(tf.identity(self.accumulator))

    def get_config(self) -> dict:
        """Name, dtype and the thresholds as given."""
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The (weighted) number of positive labels predicted above the threshold(s) (0.5).

    >>> float(keras.metrics.TruePositives()([0, 1, 1, 1], [1, 0, 1, 1]))
    2.0
    """

    _kind = "tp"


class FalsePositives(_ConditionCount):
    """The (weighted) number of negative labels predicted above the threshold(s) (0.5).

    >>> float(keras.metrics.FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1]))
    2.0
    """

    _kind = "fp"


class TrueNegatives(_ConditionCount):
    """The (weighted) number of negative labels predicted at or below the threshold(s).

    >>> float(keras.metrics.TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0]))
    2.0
    """

    _kind = "tn"


class FalseNegatives(_ConditionCount):
    """The (weighted) number of positive labels predicted at or below the threshold(s).

    >>> float(keras.metrics.FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0]))
    2.0
    """

    _kind = "fn"


class _PrecisionRecall(_ThresholdMetric):
    def __init__(self, thresholds=None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._init_thresholds(thresholds, top_k)
        self.top_k, self.class_id = top_k, class_id
        self._make_counts(self._counts)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's true positives and false positives (Precision) or false
        negatives (Recall), at each threshold."""
        self._update(y_true, y_pred, sample_weight, self.top_k, self.class_id)

    def get_config(self) -> dict:
        """Name, dtype, thresholds (as given), top_k and class_id."""
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """`true_positives / (true_positives + false_positives)` over all batches seen.

    Args:
        thresholds: a probability, or a list of them (then the result has one entry per
            threshold); a prediction above it is positive (default 0.5).
        top_k: count only each row's `k` highest predictions as positive.
        class_id: score only this class (column) of multi-class predictions.
        name, dtype: as for every metric.

    >>> precision = keras.metrics.Precision()
    >>> round(float(precision([0, 1, 1, 1, 0, 1, 0, 1], [1, 1, 0, 1, 0, 1, 0, 1])), 4)
    0.8
    """

    _counts = ("tp", "fp")

    def result(self):
        """The precision (0 before any positive prediction)."""
        return self._scalar(_ratio(self.true_positives, self.false_positives))


class Recall(_PrecisionRecall):
    """`true_positives / (true_positives + false_negatives)` over all batches seen (same
    arguments as `Precision`).

    >>> float(keras.metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1]))
    0.6666666865348816
    """

    _counts = ("tp", "fn")

    def result(self):
        """The recall (0 before any positive label)."""
        return self._scalar(_ratio(self.true_positives, self.false_negatives))


class SensitivitySpecificityBase(Metric):
    """Base of the metrics that report the best value of one rate subject to a constraint
    on another, over `num_thresholds` evenly spaced thresholds in [0, 1]."""

    _value_name = ""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        who = type(self).__name__
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{who}: `{self._value_name}` must be a number in [0, 1], got "
                             f"{value!r}.\nhint: e.g. {self._value_name}=0.5.")
        if not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"{who}: `num_thresholds` must be an integer > 0, got "
                             f"{num_thresholds!r}.\nhint: the default is 200.")
        super().__init__(name=name, dtype=dtype)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        setattr(self, self._value_name, value)
        n = num_thresholds
        self.thresholds = [0.5] if n == 1 else [i / (n - 1) for i in range(n)]
        for kind in ("tp", "fp", "tn", "fn"):
            setattr(self, _NAMES[kind], self.add_variable((len(self.thresholds),), "zeros",
                                                          name=_NAMES[kind]))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's four counts at each threshold."""
        metrics_utils.update_confusion_matrix_variables(
            {k: getattr(self, _NAMES[k]) for k in ("tp", "tn", "fp", "fn")}, y_true, y_pred,
            self.thresholds, who=type(self).__name__, class_id=self.class_id,
            sample_weight=sample_weight, evenly=self.num_thresholds > 1)

    def _rates(self) -> dict:
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        return {"sensitivity": _ratio(tp, fn), "recall": _ratio(tp, fn),
                "specificity": _ratio(tn, fp), "precision": _ratio(tp, fp)}

    def _best(self, constrained: str, reported: str):
        """The largest `reported` rate over the thresholds where `constrained` >= value."""
        rates = self._rates()
        feasible = rates[constrained] >= tf.cast(self.value, rates[constrained].dtype)
        return tf.reduce_max(tf.where(feasible, rates[reported],
                                      tf.zeros_like(rates[reported])))

    def get_config(self) -> dict:
        """Name, dtype, the constraint's value, num_thresholds and class_id."""
        return {"name": self.name, "dtype": self.dtype, self._value_name: self.value,
                "num_thresholds": self.num_thresholds, "class_id": self.class_id}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) at a specificity of at least `specificity`.

    >>> m = keras.metrics.SensitivityAtSpecificity(0.5)
    >>> float(m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]))
    0.5
    """

    _value_name = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        """max sensitivity over thresholds with specificity >= the target."""
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity at a sensitivity (recall) of at least `sensitivity`.

    >>> m = keras.metrics.SpecificityAtSensitivity(0.5)
    >>> float(m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]))
    0.6666666865348816
    """

    _value_name = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        """max specificity over thresholds with sensitivity >= the target."""
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision at a recall of at least `recall`.

    >>> m = keras.metrics.PrecisionAtRecall(0.5)
    >>> float(m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]))
    0.5
    """

    _value_name = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        """max precision over thresholds with recall >= the target."""
        return self._best("recall", "precision")


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall at a precision of at least `precision`.

    >>> m = keras.metrics.RecallAtPrecision(0.8)
    >>> float(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
    0.5
    """

    _value_name = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        """max recall over thresholds with precision >= the target."""
        return self._best("precision", "recall")
