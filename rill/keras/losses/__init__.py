"""`keras.losses`: the `Loss` base class, the built-in losses (classes and functions), and
`get`/`serialize`/`deserialize`.

A loss function maps `(y_true, y_pred)` to one loss per sample, reducing over the last axis; a
`Loss` object also weights the samples and reduces the batch to one number:

>>> y_true, y_pred = [[0.], [1.]], [[1.], [1.]]
>>> keras.losses.mean_squared_error(y_true, y_pred).numpy()
array([1., 0.], dtype=float32)
>>> float(keras.losses.MeanSquaredError()(y_true, y_pred))
0.5
>>> keras.losses.get("mse") is keras.losses.mean_squared_error
True

Names of both dialects work: tf.keras 2's aliases (`mse`, `MAE`, `kld`, `logcosh`, ...) and
`keras.losses.Reduction`, and Keras 3's reduction strings.
"""

from __future__ import annotations

import inspect

from rill.keras.losses.hinge_losses import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from rill.keras.losses.loss import Loss, LossFunctionWrapper, Reduction
from rill.keras.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from rill.keras.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from rill.keras.saving.serialization import (
    deserialize_keras_object,
    get_registered_object,
    serialize_keras_object,
)

# tf.keras 2's short names
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh,
            CosineSimilarity, BinaryCrossentropy, BinaryFocalCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson,
            Hinge, SquaredHinge, CategoricalHinge)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, huber, log_cosh, cosine_similarity,
              binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
              sparse_categorical_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
              categorical_hinge)
_ALIASES = {"mse": mse, "MSE": MSE, "mae": mae, "MAE": MAE, "mape": mape, "MAPE": MAPE,
            "msle": msle, "MSLE": MSLE, "kld": kld, "KLD": KLD, "bce": bce, "BCE": BCE,
            "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh}

for _fn in _FUNCTIONS:
    _fn._keras_module = "keras.losses"
del _fn


def _module_objects() -> dict:
    objects = {c.__name__: c for c in _CLASSES}
    objects.update({f.__name__: f for f in _FUNCTIONS})
    objects.update(_ALIASES)
    return objects


def serialize(loss):
    """A JSON-ready config of a `Loss` or a loss function (Keras 3's format).

    >>> keras.losses.serialize(keras.losses.Huber(delta=2.0))["config"]["delta"]
    2.0
    >>> keras.losses.serialize(keras.losses.mse)["config"]
    'mean_squared_error'
    """
    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """The loss (an instance or a function) that `config` describes: a dict written by
    `serialize`, tf.keras 2's `{"class_name", "config"}`, or a name."""
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=_module_objects(),
                                    printable_module_name="loss function")


def get(identifier):
    """The loss for `identifier`: None, a name (a function's name such as "mse" gives the
    function, a class name gives an instance), a config dict, a `Loss` or a callable.

    >>> keras.losses.get("CategoricalCrossentropy").name
    'categorical_crossentropy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        objects = _module_objects()
        if get_registered_object(identifier, None, objects) is None:
            raise ValueError(f"keras.losses.get: unknown loss {identifier!r}.\nvalid names: "
                             f"{', '.join(sorted(objects, key=str.lower))}\nhint: pass one of "
                             f"these names, a keras.losses.Loss, or a function (y_true, y_pred) "
                             f"-> per-sample losses (custom names need custom_object_scope or "
                             f"register_keras_serializable).")
        obj = deserialize(identifier)
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"keras.losses.get: could not interpret the loss identifier "
                         f"{identifier!r}.\nhint: pass a name such as 'mse', a config dict, a "
                         f"keras.losses.Loss or a function (y_true, y_pred) -> losses.")
    return obj


__all__ = sorted([c.__name__ for c in _CLASSES] + [f.__name__ for f in _FUNCTIONS]
                 + list(_ALIASES) + ["Reduction", "get", "serialize", "deserialize"])
