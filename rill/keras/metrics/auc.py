"""`AUC`: the area under the ROC or precision-recall curve, from confusion counts kept at
`num_thresholds` thresholds.

The curve's points are the (x, y) rates at consecutive thresholds, and the area is a
Riemann sum over them: for ROC, x is the false positive rate and y the recall; for PR, x is
the recall and y the precision. `summation_method="interpolation"` uses trapezoids for ROC
and, for PR, the interpolation of Davis & Goadrich (2006), which interpolates the counts
between two thresholds rather than the precision; "minoring" / "majoring" take the lower /
upper of the two heights.
"""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.metrics import metrics_utils
from rill.keras.metrics.base_metric import Metric

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMS = ("interpolation", "majoring", "minoring")


def _choice(value, options, arg: str) -> str:
    key = str(getattr(value, "value", value))
    found = options.get(key.lower()) if isinstance(options, dict) else \
        next((o for o in options if o == key.lower()), None)
    if found is None:
        shown = list(options.values()) if isinstance(options, dict) else list(options)
        raise ValueError(f"AUC: `{arg}` must be one of {shown}, got {value!r}.\nhint: e.g. "
                         f"AUC({arg}={shown[0]!r}).")
    return found


class AUC(Metric):
    """Approximate area under the ROC or PR curve over all batches seen.

    Args:
        num_thresholds: how many thresholds to count at (evenly spaced in [0, 1], plus
            -epsilon and 1 + epsilon so that every prediction is inside); more is finer.
        curve: "ROC" or "PR" (or "PRGAIN").
        summation_method: "interpolation" (default), "minoring" or "majoring".
        thresholds: explicit thresholds in [0, 1] instead of `num_thresholds`.
        multi_label: with predictions `(n, labels)`, compute one AUC per label and average
            them (weighted by `label_weights`); otherwise all predictions are pooled.
        num_labels: the number of labels with `multi_label` (else taken from the first
            batch).
        label_weights: one weight per label (per class when pooling).
        from_logits: the predictions are logits (a sigmoid is applied first).

    >>> m = keras.metrics.AUC(num_thresholds=3)
    >>> float(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
    0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype=None, thresholds=None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights=None, from_logits: bool = False):
        self.curve = _choice(curve, _CURVES, "curve")
        self.summation_method = _choice(summation_method, _SUMS, "summation_method")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(metrics_utils.parse_thresholds(thresholds, 0.5, "AUC"))
            self._evenly = metrics_utils.evenly_spaced([0.0] + inner + [1.0])
        else:
            if not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"AUC: `num_thresholds` must be an integer > 1, got "
                                 f"{num_thresholds!r}.\nhint: the default is 200.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self.num_thresholds = len(inner) + 2
        eps = backend.epsilon()
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        super().__init__(name=name, dtype=dtype)
        if num_labels is not None and not multi_label:
            raise ValueError(f"AUC: `num_labels` ({num_labels}) is only used with "
                             f"multi_label=True.\nhint: pass multi_label=True, or drop "
                             f"num_labels.")
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, dtype="float64").ravel().tolist()
        self._from_logits = from_logits
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels:
            self._build(tf.TensorShape([None, num_labels]))

    @property
    def thresholds(self) -> list:
        """Every threshold counted at, including the two end points."""
        return list(self._thresholds)

    def _build(self, shape) -> None:
        if self.multi_label:
            if shape.rank != 2 or shape[-1] is None:
                raise ValueError(f"AUC: multi_label=True needs predictions of shape "
                                 f"(n, labels) with a known number of labels, got shape "
                                 f"{shape}.\nhint: pass num_labels, or predictions of rank 2.")
            self._num_labels = shape[-1]
            var_shape = (self.num_thresholds, self._num_labels)
        else:
            var_shape = (self.num_thresholds,)
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, self.add_variable(var_shape, "zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's counts at every threshold."""
        y_pred = tf.convert_to_tensor(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = tf.sigmoid(tf.cast(y_pred, self.dtype))
        counts = {"tp": self.true_positives, "tn": self.true_negatives,
                  "fp": self.false_positives, "fn": self.false_negatives}
        metrics_utils.update_confusion_matrix_variables(
            counts, y_true, y_pred, self._thresholds, who="AUC", sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            evenly=self._evenly)

    def _interpolate_pr_auc(self):
        """Davis & Goadrich: between thresholds i and i+1, TP grows linearly with P = TP + FP,
        so precision = TP / P = slope + intercept / P integrates in closed form."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        p = tp + fp
        d_tp, d_p = tp[:-1] - tp[1:], p[:-1] - p[1:]
        slope = tf.math.divide_no_nan(d_tp, tf.maximum(d_p, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = tf.logical_and(p[:-1] > 0, p[1:] > 0)
        p_ratio = tf.where(both, tf.math.divide_no_nan(p[:-1], tf.maximum(p[1:], 0.0)),
                           tf.ones_like(p[1:]))
        return tf.math.divide_no_nan(slope * (d_tp + intercept * tf.math.log(p_ratio)),
                                     tf.maximum(tp[1:] + fn[1:], 0.0))

    def _curve(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = tf.math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return tf.math.divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, tf.math.divide_no_nan(tp, tp + fp)
        scale = tf.math.divide_no_nan(tp + fn, tn + fp)  # PRGAIN (Flach & Kull)
        no_tp = tf.equal(tp, 0.0)
        recall_gain = tf.where(no_tp, tf.zeros_like(tp),
                               1.0 - scale * tf.math.divide_no_nan(fn, tp))
        precision_gain = tf.where(no_tp, tf.ones_like(tp),
                                  1.0 - scale * tf.math.divide_no_nan(fp, tp))
        return tf.maximum(recall_gain, 0.0), precision_gain

    def result(self):
        """The area (0 before any update)."""
        if not self._built:
            return tf.constant(0.0, self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr_auc()
        else:
            x, y = self._curve()
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = tf.minimum(y[:-1], y[1:])
            else:
                heights = tf.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * heights
        if not self.multi_label:
            return tf.reduce_sum(terms)
        by_label = tf.reduce_sum(terms, 0)
        if self.label_weights is None:
            return tf.reduce_mean(by_label)
        w = tf.constant(self.label_weights, self.dtype)
        return tf.math.divide_no_nan(tf.reduce_sum(by_label * w), tf.reduce_sum(w))

    def get_config(self) -> dict:
        """Every argument (explicit thresholds without the two end points)."""
        config = {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": self.label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
