"""`keras.constraints`: projections applied to a weight after each optimizer update.

`constraint(w)` returns the projected value; the optimizer assigns it back. Norms are taken
along `axis` (0 by default: each column of a Dense kernel `(in, out)`, i.e. each unit's
incoming weights; use `axis=[0, 1, 2]` for a Conv2D kernel).

>>> keras.constraints.NonNeg()(tf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
>>> keras.constraints.UnitNorm()(tf.constant([[3.0], [4.0]])).numpy().ravel()
array([0.6, 0.8], dtype=float32)
"""

from __future__ import annotations

import rill as tf
from rill.keras import backend
from rill.keras.saving.serialization import (
    AutoConfig,
    module_api,
)

_MODULE = "keras.constraints"


class Constraint(AutoConfig):
    """Base class of constraints: `__call__(w)` returns the constrained weight (here: `w`)."""

    _keras_module = _MODULE

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        """The constructor's arguments, as JSON-ready values."""
        return self._auto_config()

    @classmethod
    def from_config(cls, config: dict):
        """The constraint that `get_config` describes."""
        return cls(**config)


def _c(value, w):
    return tf.constant(value, w.dtype)  # exact for float64 (tf.cast would go via float32)


def _norms(w, axis):
    return tf.sqrt(tf.reduce_sum(tf.square(w), axis=axis, keepdims=True))


def _rescale(w, norms, desired):
    return w * (desired / (_c(backend.epsilon(), w) + norms))


def _axis(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


class MaxNorm(Constraint):
    """Rescales weights whose norm along `axis` exceeds `max_value` down to `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, _axis(axis)

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = tf.clip_by_value(norms, _c(0, w), _c(self.max_value, w))
        return _rescale(w, norms, desired)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0."""

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        return tf.where(tf.greater_equal(w, _c(0, w)), w, tf.zeros_like(w))

    def get_config(self) -> dict:
        return {}


class UnitNorm(Constraint):
    """Scales weights to norm 1 along `axis`."""

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        return w / (_c(backend.epsilon(), w) + _norms(w, self.axis))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves norms along `axis` toward `[min_value, max_value]`:
    `new_norm = rate * clip(norm, min_value, max_value) + (1 - rate) * norm`."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate = min_value, max_value, rate
        self.axis = _axis(axis)

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        clipped = tf.clip_by_value(norms, _c(self.min_value, w), _c(self.max_value, w))
        rate = _c(self.rate, w)
        desired = rate * clipped + (1 - rate) * norms
        return _rescale(w, norms, desired)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Keras 3 snake_case names, and tf.keras 2's older spellings (`keras.constraints.nonneg()`)
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
maxnorm, nonneg, unitnorm = MaxNorm, NonNeg, UnitNorm

_CLASSES = (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)


def _module_objects() -> dict:
    return {"Constraint": Constraint, **{c.__name__: c for c in _CLASSES}, "max_norm": MaxNorm,
            "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
            "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm}


serialize, deserialize, get = module_api(_module_objects, "constraint", "A")


for _cls in (Constraint, *_CLASSES):
    _cls._keras_module = _MODULE
