"""`keras.regularizers`: penalties on weights, `regularizer(w)` -> a scalar loss.

Defaults follow Keras 3 (and tf.keras 2 for the classes): `L1(l1=0.01)`, `L2(l2=0.01)`,
`L1L2(l1=0.0, l2=0.0)`; the lowercase names are the same classes (`l1_l2` therefore defaults
to no penalty, as in Keras 3; tf.keras 2's function defaulted both factors to 0.01).

>>> reg = keras.regularizers.L1L2(l1=0.1, l2=0.5)
>>> round(float(reg(tf.constant([1.0, -2.0]))), 5)  # 0.1 * 3 + 0.5 * 5
2.8
"""

from __future__ import annotations

import rill as tf
from rill.keras.saving.serialization import (
    AutoConfig,
    module_api,
)

_MODULE = "keras.regularizers"


def _factor(value, name: str, who: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{who}: `{name}` must be a non-negative float, got {value!r}.\n"
                         f"hint: pass e.g. {name}=0.01.")
    return float(value)


class Regularizer(AutoConfig):
    """Base class of regularizers: `__call__(x)` returns the penalty (a scalar tensor).

    A subclass implements `__call__`; `get_config` defaults to the constructor's arguments
    (the chapter's `MyL1Regularizer` writes its own, which works too).
    """

    _keras_module = _MODULE

    def __call__(self, x):
        return tf.constant(0.0)

    def get_config(self) -> dict:
        """The constructor's arguments, as JSON-ready values."""
        return self._auto_config()

    @classmethod
    def from_config(cls, config: dict):
        """The regularizer that `get_config` describes."""
        return cls(**config)


class L1(Regularizer):
    """`l1 * sum(|x|)`."""

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1", "L1")

    def __call__(self, x):
        x = tf.convert_to_tensor(x)
        return tf.multiply(tf.constant(self.l1, x.dtype), tf.reduce_sum(tf.abs(x)))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(x^2)` (no factor 1/2)."""

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2", "L2")

    def __call__(self, x):
        x = tf.convert_to_tensor(x)
        return tf.multiply(tf.constant(self.l2, x.dtype), tf.reduce_sum(tf.square(x)))

    def get_config(self) -> dict:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x^2)`."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1", "L1L2")
        self.l2 = _factor(l2, "l2", "L1L2")

    def __call__(self, x):
        x = tf.convert_to_tensor(x)
        total = tf.zeros((), x.dtype)
        if self.l1:
            total = total + tf.constant(self.l1, x.dtype) * tf.reduce_sum(tf.abs(x))
        if self.l2:
            total = total + tf.constant(self.l2, x.dtype) * tf.reduce_sum(tf.square(x))
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-D weight.

    With `v_i` the L2-normalized rows (`mode="rows"`) or columns (`mode="columns"`), the
    penalty is `factor * mean_{i<j} |v_i . v_j|`.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: invalid `mode` {mode!r}; expected "
                             f"'rows' or 'columns'.\nhint: use mode='rows'.")
        self.mode = mode

    def __call__(self, x):
        x = tf.convert_to_tensor(x)
        if x.shape.rank != 2:
            raise ValueError(f"OrthogonalRegularizer: the weight must be 2-D, got shape "
                             f"{x.shape}.\nhint: apply it to Dense kernels (in, out).")
        if self.mode == "columns":
            x = tf.transpose(x)
        v = tf.math.l2_normalize(x, axis=1)
        gram = tf.abs(tf.matmul(v, v, transpose_b=True))
        n = int(x.shape[0])
        off_diagonal = tf.reduce_sum(gram) - tf.reduce_sum(tf.linalg.diag_part(gram))
        pairs = max(n * (n - 1) / 2, 1.0)
        return tf.constant(self.factor / 2 / pairs, x.dtype) * off_diagonal

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)


def _module_objects() -> dict:
    return {"Regularizer": Regularizer, **{c.__name__: c for c in _CLASSES}, "l1": L1,
            "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}


serialize, deserialize, get = module_api(_module_objects, "regularizer", "A")


for _cls in (Regularizer, *_CLASSES):
    _cls._keras_module = _MODULE
