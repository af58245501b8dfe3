"""`keras.metrics`: streaming metrics, the per-sample metric functions, and
`get` / `serialize` / `deserialize`.

A metric accumulates batches in variables (`update_state`), reports `result()` and starts
over with `reset_state()`; calling it does both of the first two. The loss functions are
also reachable here under their names (`keras.metrics.mean_squared_error is
keras.losses.mean_squared_error`), as in Keras.

>>> m = keras.metrics.get("mae")
>>> float(m([[1.0], [2.0]], [[2.0], [2.0]])), m.name
(0.5, 'mean_absolute_error')
"""

from __future__ import annotations

import importlib
import inspect

from rill.keras.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    accuracy_kind,
    binary_accuracy,
    categorical_accuracy,
    resolve_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from rill.keras.metrics.auc import AUC
from rill.keras.metrics.base_metric import Mean, MeanMetricWrapper, Metric, Sum, _snake
from rill.keras.metrics.confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from rill.keras.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from rill.keras.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    cosine_similarity,
)
from rill.keras.saving.serialization import deserialize_keras_object, serialize_keras_object

_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError,
            MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
            CosineSimilarity, LogCoshError, AUC, FalseNegatives, FalsePositives, Precision,
            PrecisionAtRecall, Recall, RecallAtPrecision, SensitivityAtSpecificity,
            SpecificityAtSensitivity, TrueNegatives, TruePositives, Hinge, SquaredHinge,
            CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy,
            CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy)
_ALIASES = {"acc": Accuracy, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
            "mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError,
            "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
            "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError,
            "MSLE": MeanSquaredLogarithmicError, "logcosh": LogCoshError,
            "kld": KLDivergence, "KLD": KLDivergence}
_FUNCTIONS = (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
              top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, cosine_similarity)
for _f in _FUNCTIONS:
    _f._keras_module = "keras.metrics"

# the loss functions under their keras.metrics names (tf.keras 2's short ones too)
_LOSS_ALIASES = {
    **{n: n for n in ("binary_crossentropy", "binary_focal_crossentropy",
                      "categorical_crossentropy", "categorical_focal_crossentropy",
                      "sparse_categorical_crossentropy", "categorical_hinge", "hinge",
                      "squared_hinge", "huber", "kl_divergence", "log_cosh", "poisson",
                      "mean_absolute_error", "mean_absolute_percentage_error",
                      "mean_squared_error", "mean_squared_logarithmic_error")},
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence", "logcosh": "log_cosh"}


def _loss_alias(name: str):
    """The loss function `name` stands for, or None when `keras.losses` lacks it."""
    try:
        losses = importlib.import_module("rill.keras.losses")
    except ImportError:
        return None
    return getattr(losses, name, None) or getattr(losses, _LOSS_ALIASES[name], None)


def __getattr__(name: str):
    if name in _LOSS_ALIASES:
        fn = _loss_alias(name)
        if fn is not None:
            return fn
    raise AttributeError(f"module 'rill.keras.metrics' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {n for n in _LOSS_ALIASES if _loss_alias(n) is not None})


def _class_objects() -> dict:
    objects = {cls.__name__: cls for cls in _CLASSES}
    objects.update({_snake(cls.__name__): cls for cls in _CLASSES})
    objects.update(_ALIASES)
    return objects


def _function_objects() -> dict:
    objects = {n: fn for n in _LOSS_ALIASES if (fn := _loss_alias(n)) is not None}
    objects.update({f.__name__: f for f in _FUNCTIONS})
    return objects


def serialize(metric) -> dict:
    """A JSON-ready config of a metric object or function.

    >>> keras.metrics.serialize(keras.metrics.Mean())["config"]
    {'name': 'mean', 'dtype': 'float32'}
    """
    return serialize_keras_object(metric)


def deserialize(config, custom_objects: dict | None = None):
    """The metric (or function) that `config` describes; custom classes and functions by
    name in `custom_objects` (or registered with `register_keras_serializable`)."""
    is_function = isinstance(config, dict) and config.get("class_name") == "function"
    objects = _function_objects() if is_function else {**_function_objects(),
                                                       **_class_objects()}
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=objects, printable_module_name="metric")


def get(identifier):
    """A metric from a name ("accuracy", "mse", "AUC", "binary_accuracy", ...), a config
    dict, a Metric class or instance, or a function (returned as it is).

    A name gives a new instance of its class ("mse" -> `MeanSquaredError()`); None gives
    None. For "accuracy" in `compile`, see `resolve_accuracy`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _class_objects().get(identifier)
        if cls is None:
            cls = deserialize(identifier)
        return cls() if inspect.isclass(cls) else cls
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}.\nhint: pass a "
                     f"name (e.g. 'accuracy', 'mse', 'AUC'), a config dict, a "
                     f"keras.metrics.Metric or a function (y_true, y_pred) -> values.")


__all__ = sorted([c.__name__ for c in _CLASSES] + [f.__name__ for f in _FUNCTIONS] +
                 ["accuracy_kind", "resolve_accuracy", "get", "serialize", "deserialize"])
