"""`Loss`, the base of every loss, `LossFunctionWrapper`, and the reductions.

A loss's `call(y_true, y_pred)` returns one loss per sample (per element of the batch
dimensions); `__call__` weights them with `sample_weight` and reduces them:

- `"sum_over_batch_size"` (the default; tf.keras 2's `"auto"` too): sum(w * loss) / N, where
  N is the number of elements of the per-sample loss (not the sum of the weights),
- `"mean"`: the same as Keras 3 defines it,
- `"mean_with_sample_weight"`: the weighted mean, sum(w * loss) / sum(w),
- `"sum"`: sum(w * loss),
- `"none"` or None: the weighted per-sample losses.

Labels of shape `(n,)` against predictions of shape `(n, 1)` (or the reverse) are aligned by
adding or removing the trailing axis of size 1, never broadcast to `(n, n)`.
"""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.saving.serialization import (
    AutoConfig,
    deserialize_keras_object,
    serialize_keras_object,
)

_MODULE = "keras.losses"
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight",
               "auto")
_PER_ELEMENT = ("sum_over_batch_size", "mean", "auto")


class Reduction:
    """tf.keras 2's names of the reductions (Keras 3 takes the strings themselves).

    >>> keras.losses.Reduction.SUM_OVER_BATCH_SIZE
    'sum_over_batch_size'
    """

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls) -> tuple:
        """Every tf.keras 2 reduction name."""
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key) -> None:
        """Raises ValueError unless `key` is one of `Reduction.all()`."""
        if key not in cls.all():
            raise ValueError(f"Reduction.validate: invalid reduction key {key!r}, expected one "
                             f"of {cls.all()}.\nhint: use e.g. "
                             f"keras.losses.Reduction.SUM_OVER_BATCH_SIZE.")


def standardize_reduction(reduction, who: str = "Loss"):
    """`reduction` if it names a reduction, else a ValueError listing the valid ones."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{who}: invalid `reduction` {reduction!r}; expected one of "
                         f"{list(_REDUCTIONS)}.\nhint: pass reduction="
                         f"'sum_over_batch_size' (the default), 'sum' or 'none' (by keyword: "
                         f"Loss(reduction=..., name=...)).")
    return reduction


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _is_builtin(cls) -> bool:
    return cls.__module__.startswith("rill.keras.losses")


# -- converting and aligning labels and predictions -------------------------------------------
def _tensor(x, dtype=None):
    if not hasattr(x, "dtype") and dtype is not None:  # lists, numbers: exact before the cast
        x = np.asarray(x)
    x = tf.convert_to_tensor(x)
    return x if dtype is None or x.dtype == dtype else tf.cast(x, dtype)


def convert_pair(y_true, y_pred, dtype=None, integer_labels: bool = False):
    """(y_true, y_pred) as tensors: y_pred floating (`dtype` if given, else its own float dtype,
    else floatx), y_true cast to y_pred's dtype (integer labels kept as they are when
    `integer_labels`: class ids for a sparse loss, which would cast them back)."""
    y_pred = _tensor(y_pred, dtype)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, backend.floatx())
    if integer_labels:
        y_true = _tensor(y_true)
        if y_true.dtype.is_integer:
            return y_true, y_pred
    return _tensor(y_true, y_pred.dtype), y_pred


def squeeze_or_expand(x1, x2, expand_rank_1: bool = True):
    """`x1`, `x2` brought to one rank when their ranks differ by a trailing axis of size 1:
    `(n,)` and `(n, 1)` become `(n, 1)` and `(n, 1)` (`(n,)` twice if not `expand_rank_1`)."""
    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 is None or r2 is None or r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, tf.expand_dims(x2, -1)
        return tf.squeeze(x1, [-1]), x2
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return tf.expand_dims(x1, -1), x2
        return x1, tf.squeeze(x2, [-1])
    return x1, x2


def _shape(x) -> str:
    return str(tuple(x.shape.as_list())) if x.shape.rank is not None else "<unknown>"


def _broadcastable(a, b) -> bool:
    if a.rank is None or b.rank is None:
        return True
    return all(d1 is None or d2 is None or d1 == d2 or d1 == 1 or d2 == 1
               for d1, d2 in zip(reversed(a.as_list()), reversed(b.as_list())))


def _same_shape(a, b) -> bool:
    return a.rank is None or b.rank is None or a.is_compatible_with(b)


def align_pair(y_true, y_pred, who: str, strict: bool = False, min_rank: int = 1):
    """Converts (`convert_pair`), aligns (`squeeze_or_expand`) and checks labels against
    predictions for the loss `who`: broadcastable shapes (the same shape if `strict`), and
    predictions of at least `min_rank` dimensions (losses reduce over the last axis)."""
    y_true, y_pred = convert_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand(y_true, y_pred)
    ok = _same_shape if strict else _broadcastable
    if not ok(y_true.shape, y_pred.shape):
        raise ValueError(
            f"{who}: y_true of shape {_shape(y_true)} and y_pred of shape {_shape(y_pred)} "
            f"are incompatible{'' if strict else ' (they do not broadcast)'}.\nhint: labels "
            f"must have the predictions' shape (a trailing axis of size 1 may be missing); "
            f"reshape or one-hot encode them, or pick the loss that fits the labels "
            f"(sparse_categorical_crossentropy takes integer class ids).")
    if y_pred.shape.rank is not None and y_pred.shape.rank < min_rank:
        raise ValueError(f"{who}: y_pred must have at least {min_rank} dimension(s) (the loss "
                         f"reduces over the last axis), got shape {_shape(y_pred)}.\nhint: add "
                         f"a batch axis, e.g. tf.reshape(y_pred, [-1, 1]).")
    return y_true, y_pred


def _epsilon(dtype):
    return tf.constant(backend.epsilon(), dtype)


# -- weighting and reducing --------------------------------------------------------------------
def _align_weights(values, weights, who: str):
    """`weights` fitted to `values` (never the reverse): a trailing axis of size 1 removed,
    trailing axes added until the ranks match, then checked to broadcast."""
    given = _shape(weights)
    rv, rw = values.shape.rank, weights.shape.rank
    if rv == 0 and rw:  # Keras multiplies anyway: mean(loss) * mean(weights) in the end
        warnings.warn(f"{who}: the loss is one value for the whole batch (rank-1 predictions "
                      f"reduced over their only axis), so sample_weight of shape {given} "
                      f"scales it instead of weighting samples.\nhint: give predictions and "
                      f"labels the shape (batch, 1).", stacklevel=4)
        return weights
    if rv is not None and rw is not None:
        if rw == rv + 1 and weights.shape[-1] == 1:
            weights, rw = tf.squeeze(weights, [-1]), rv
        while 0 < rw < rv:
            weights, rw = tf.expand_dims(weights, -1), rw + 1
    if not _broadcastable(values.shape, weights.shape) or (
            rv is not None and rw is not None and rw > rv):
        raise ValueError(f"{who}: sample_weight of shape {given} does not fit the "
                         f"per-sample losses of shape {_shape(values)}.\nhint: pass one weight "
                         f"per sample, or a shape that broadcasts to the losses.")
    return weights


def _mask_weights(mask, reduction, dtype):
    mask = tf.cast(mask, dtype)
    if reduction in _PER_ELEMENT:  # the valid entries share the whole batch's weight
        total = tf.cast(tf.size(mask), dtype)
        return mask * tf.math.divide_no_nan(total, tf.reduce_sum(mask))
    return mask


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", who: str = "Loss"):
    """Weights the per-sample losses `values` by `sample_weight` (and a 0/1 `mask` of valid
    entries) and applies `reduction` (see the module docstring)."""
    reduction = standardize_reduction(reduction, who)
    values = tf.convert_to_tensor(values)
    if not values.dtype.is_floating:
        values = tf.cast(values, backend.floatx())
    weights = None
    if mask is not None:
        weights = _mask_weights(mask, reduction, values.dtype)
    if sample_weight is not None:
        sw = _tensor(sample_weight, values.dtype)
        if weights is not None:
            sw = weights * _align_weights(weights, sw, who)
        weights = sw
    if weights is not None:
        weights = _align_weights(values, weights, who)
        values = values * weights
    if reduction in ("none", None) or values.shape.rank == 0:
        return values
    total = tf.reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = tf.reduce_sum(weights * tf.ones_like(values))
    elif values.shape.is_fully_defined() and values.shape.num_elements():
        return total / values.shape.num_elements()  # a plain division: 0-d Python math
    else:
        divisor = tf.cast(tf.size(values), values.dtype)
    return tf.math.divide_no_nan(total, divisor)


# -- the base classes ---------------------------------------------------------------------------
class Loss(AutoConfig):
    """Base class of losses: subclasses implement `call(y_true, y_pred)`, returning one loss
    per sample; calling the loss weights and reduces them.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"none"`/None, `"mean"`,
            `"mean_with_sample_weight"`, or tf.keras 2's `keras.losses.Reduction` names.
        name: the loss's name (default: the class name in snake_case).
        dtype: the dtype of the computation (default: the predictions' float dtype).

    >>> class Absolute(keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return tf.abs(y_true - y_pred)
    >>> float(Absolute()([1., 2.], [2., 4.]))
    1.5
    >>> float(Absolute(reduction="sum")([1., 2.], [2., 4.], sample_weight=[1., 0.5]))
    2.0
    """

    _keras_module = _MODULE
    _integer_labels = False  # True: `call` takes integer class ids as they came

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_keras_module" not in cls.__dict__:  # a user's loss is saved under its own module
            cls._keras_module = _MODULE if _is_builtin(cls) else None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self.name = name or _snake(type(self).__name__)
        self._dtype = None if dtype is None else backend.standardize_dtype(dtype)

    @property
    def dtype(self) -> str:
        """The computation dtype's name (floatx unless set)."""
        return self._dtype or backend.floatx()

    def call(self, y_true, y_pred):
        """The per-sample losses; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__}.call is not implemented.\nhint: "
                                  f"define call(self, y_true, y_pred) returning one loss per "
                                  f"sample.")

    def _call_with_mask(self, y_true, y_pred):
        """(per-sample losses, a mask of the valid ones or None)."""
        return self.call(y_true, y_pred), None

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss of the batch (the per-sample losses when reduction is "none").

        `call` receives tensors of the predictions' dtype, with labels of shape `(n,)` and
        predictions of shape `(n, 1)` (or the reverse) both brought to `(n, 1)`."""
        if "reduction" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} was not initialized.\nhint: call "
                                 f"super().__init__(**kwargs) in {type(self).__name__}."
                                 f"__init__.")
        cc = sys.modules.get("rill.keras.layers._call_context")
        keras_mask = cc.get_mask(y_pred) if cc is not None and cc.masks else None
        y_true, y_pred = squeeze_or_expand(*convert_pair(y_true, y_pred, self._dtype,
                                                         self._integer_labels))
        losses, mask = self._call_with_mask(y_true, y_pred)
        if keras_mask is not None:  # a masking layer's mask on the predictions
            keras_mask = tf.cast(keras_mask, tf.bool)
            mask = keras_mask if mask is None else tf.logical_and(tf.cast(mask, tf.bool),
                                                                 keras_mask)
        losses = tf.convert_to_tensor(losses)
        if losses.dtype != y_pred.dtype and losses.dtype.is_floating:
            losses = tf.cast(losses, y_pred.dtype)
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction,
                                      who=f"{type(self).__name__} '{self.name}'")

    def get_config(self) -> dict:
        """`name`, `reduction` (and `dtype` when set); a custom subclass also gets the plain
        arguments its constructor received."""
        config = {"name": self.name, "reduction": self.reduction}
        if self._dtype is not None:
            config["dtype"] = self._dtype
        if not _is_builtin(type(self)):
            try:
                extra = self._auto_config(skip=("name", "reduction", "dtype"))
            except NotImplementedError:
                if type(self).get_config is Loss.get_config:
                    raise
                extra = {}
            config = {**extra, **config}
        return config

    @classmethod
    def from_config(cls, config: dict):
        """`cls(**config)`."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _module_objects() -> dict:
    from rill.keras import losses  # noqa: PLC0415 - the package imports this module
    return losses._module_objects()


class LossFunctionWrapper(Loss):
    """A Loss around a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses.

    >>> loss = keras.losses.LossFunctionWrapper(keras.losses.huber, delta=2.0)
    >>> float(loss([[0.], [0.]], [[1.], [3.]]))  # (0.5 + (2 * 3 - 2)) / 2
    2.25
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: `fn` must be a function (y_true, y_pred) -> "
                            f"per-sample losses, got {fn!r}.\nhint: pass e.g. "
                            f"keras.losses.mean_squared_error.")
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None),
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        self._integer_labels = getattr(fn, "_integer_labels", False)

    def call(self, y_true, y_pred):
        """`fn(y_true, y_pred, **kwargs)` after aligning a trailing axis of size 1."""
        y_true, y_pred = squeeze_or_expand(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        """The base config plus the function's arguments (and the function itself for a plain
        LossFunctionWrapper)."""
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = serialize_keras_object(self.fn)
            config.update(serialize_keras_object(self._fn_kwargs))
        elif _is_builtin(type(self)):
            config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuilds the wrapper, deserializing `fn` from the built-in or registered names."""
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_keras_object(config["fn"],
                                                    module_objects=_module_objects(),
                                                    printable_module_name="loss function")
        return cls(**config)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}({getattr(self.fn, '__name__', self.fn)}, "
                f"kwargs={self._fn_kwargs}) name={self.name!r}>")


class _Configured(LossFunctionWrapper):
    """A built-in wrapper whose function arguments are also attributes (`loss.from_logits`)."""

    def __init__(self, fn, reduction, name, dtype, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
