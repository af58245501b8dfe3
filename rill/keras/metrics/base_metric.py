"""`Metric`, the base of streaming metrics, and the reduction metrics `Mean`, `Sum` and
`MeanMetricWrapper` (any per-sample function as a streaming mean).

A metric keeps its state in non-trainable `tf.Variable`s and changes them only with
`assign`/`assign_add`, so `update_state` works eagerly and inside `tf.function` alike; the
variables are created under `tf.init_scope`, so a metric may be created (or built) while a
function is being traced.
"""

from __future__ import annotations

import re
import sys

import rill as tf
from rill.keras import backend
from rill.keras.saving.serialization import AutoConfig, serialize_keras_object

_MODULE = "keras.metrics"
# argument orders of `add_weight`: tf.keras 2 (name first) and Keras 3 (shape first)
_TFK2_WEIGHT_ARGS = ("name", "shape", "aggregation", "synchronization", "initializer", "dtype")
_K3_WEIGHT_ARGS = ("shape", "initializer", "dtype", "name")


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _is_variable(x) -> bool:
    return getattr(type(x), "_is_variable", False) is True


def align(x1, x2, expand_rank_1: bool = True):
    """`x1`, `x2` brought to one rank when they differ by a trailing axis of size 1.

    `(n,)` against `(n, 1)` becomes `(n, 1)` and `(n, 1)` (or `(n,)` and `(n,)` with
    `expand_rank_1=False`), so labels and predictions never broadcast to `(n, n)`.
    """
    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 is None or r2 is None or r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, tf.expand_dims(x2, -1)
        return tf.squeeze(x1, -1), x2
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return tf.expand_dims(x1, -1), x2
        return x1, tf.squeeze(x2, -1)
    return x1, x2


def _builtin(cls) -> bool:
    return cls.__module__.startswith("rill.keras.metrics")


def _initial_value(initializer, shape, dtype):
    if initializer is None or initializer == "zeros":
        return tf.zeros(shape, dtype)
    if initializer == "ones":
        return tf.ones(shape, dtype)
    if isinstance(initializer, (int, float)):
        return tf.fill(shape, tf.constant(initializer, dtype))
    from rill.keras import initializers  # noqa: PLC0415 - only custom initializers need it
    return tf.cast(initializers.get(initializer)(shape, dtype=dtype), dtype)


class Metric(tf.Module, AutoConfig):
    """Base class of streaming metrics: state in variables, `update_state`, `result`.

    A subclass creates its state in `__init__` with `add_weight` (or `add_variable`),
    accumulates it in `update_state(...)` with `assign`/`assign_add`, and computes the value in
    `result()`. Calling the metric runs `update_state` then returns `result()`;
    `reset_state()` (or tf.keras 2's `reset_states()`) sets every variable back to 0.

    Args:
        name: the metric's name (default: the class name in snake_case).
        dtype: the dtype of the state and result (default: `keras.backend.floatx()`).

    >>> class Total(keras.metrics.Metric):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.total = self.add_weight("total", initializer="zeros")
    ...     def update_state(self, values, sample_weight=None):
    ...         self.total.assign_add(tf.reduce_sum(tf.cast(values, self.dtype)))
    ...     def result(self):
    ...         return tf.identity(self.total)
    >>> m = Total()
    >>> float(m([1, 2])), float(m([3])), m.name
    (3.0, 6.0, 'total')
    """

    _keras_module = _MODULE
    _config_keys: tuple = ()  # attributes that a built-in's get_config adds to name and dtype

    def __init__(self, name: str | None = None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string, got "
                            f"{type(name).__name__} {name!r}.\nhint: pass e.g. "
                            f"name='my_metric'.")
        name = name or _snake(type(self).__name__)
        scope = re.sub(r"\W", "_", name)  # any string may name a metric; scopes need less
        super().__init__(name=scope if scope.isidentifier() else f"_{scope}")
        self._name = name
        self._dtype = backend.standardize_dtype(dtype)
        self._tracked()

    # -- state -------------------------------------------------------------------------------
    def _tracked(self) -> tuple[list, list]:
        d = self.__dict__
        if "_own_variables" not in d:  # attributes may be set before __init__ runs
            d["_own_variables"], d["_sub_metrics"] = [], []
        return d["_own_variables"], d["_sub_metrics"]

    def __setattr__(self, name: str, value) -> None:
        if not name.startswith("_"):
            own, subs = self._tracked()
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if _is_variable(item) and all(item is not v for v in own):
                    own.append(item)
                elif isinstance(item, Metric) and all(item is not m for m in subs):
                    subs.append(item)
        super().__setattr__(name, value)

    def _check_init(self, what: str) -> None:
        if "_dtype" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.{what}: the metric is not initialized: "
                               f"its __init__ did not call super().__init__().\nhint: add "
                               f"`super().__init__(**kwargs)` at the start of "
                               f"{type(self).__name__}.__init__.")

    def add_weight(self, *args, **kwargs):
        """A new state variable (non-trainable, zeros unless `initializer` says otherwise).

        Both argument orders are accepted: tf.keras 2's `add_weight(name, shape=(), ...,
        initializer=None, dtype=None)` (a string first) and Keras 3's `add_weight(shape=(),
        initializer=None, dtype=None, name=None)`.

        >>> m = keras.metrics.Metric(name="m")
        >>> m.add_weight("total", initializer="zeros").name
        'total:0'
        """
        order = _TFK2_WEIGHT_ARGS if args and isinstance(args[0], str) else _K3_WEIGHT_ARGS
        if len(args) > len(order):
            raise TypeError(f"{type(self).__name__}.add_weight takes at most {len(order)} "
                            f"positional arguments ({', '.join(order)}), got {len(args)}.\n"
                            f"hint: pass the others by keyword.")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"{type(self).__name__}.add_weight got `{key}` both "
                                f"positionally and by keyword.\nhint: pass it once.")
            kwargs[key] = value
        kwargs.pop("synchronization", None)
        return self.add_variable(**kwargs)

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name: str | None = None):
        """A new state variable (Keras 3's signature): non-trainable, created eagerly."""
        self._check_init("add_variable")
        dtype = tf.as_dtype(backend.standardize_dtype(dtype or self._dtype))
        shape = tuple(tf.TensorShape(shape).as_list())
        with tf.init_scope():
            var = tf.Variable(_initial_value(initializer, shape, dtype), dtype=dtype,
                              trainable=False, name=name or "variable")
        self._tracked()[0].append(var)
        return var

    @property
    def variables(self) -> list:
        """The state variables: this metric's in creation order, then its sub-metrics'."""
        own, subs = self._tracked()
        out, seen = [], set()
        # only what was made by add_weight or assigned as an attribute (a variable, a metric,
        # or a list of them): never the variables of a model a metric may refer to
        for v in [*own, *(v for m in subs for v in m.variables)]:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    @property
    def non_trainable_variables(self) -> list:
        """The same as `variables`: a metric's state is never trained."""
        return self.variables

    @property
    def trainable_variables(self) -> list:
        """Always empty."""
        return []

    weights = variables

    # -- the protocol ------------------------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Accumulates one batch into the state variables (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__}.update_state is not implemented.\n"
                                  f"hint: define update_state(self, y_true, y_pred, "
                                  f"sample_weight=None) updating variables with assign_add.")

    def result(self):
        """The metric's value from the state variables (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__}.result is not implemented.\n"
                                  f"hint: define result(self) returning a tensor computed "
                                  f"from the state variables.")

    def reset_state(self) -> None:
        """Sets every state variable to zero (called by `fit` at each epoch's start)."""
        cls = type(self)
        if cls.reset_states is not Metric.reset_states and cls.reset_state is Metric.reset_state:
            return self.reset_states()  # a tf.keras 2 subclass overrides the old name
        for v in self.variables:
            v.assign(tf.zeros(v.shape, v.dtype))

    def reset_states(self) -> None:
        """tf.keras 2's name of `reset_state`."""
        cls = type(self)
        if cls.reset_state is not Metric.reset_state and cls.reset_states is Metric.reset_states:
            return self.reset_state()
        for v in self.variables:
            v.assign(tf.zeros(v.shape, v.dtype))

    def __call__(self, *args, **kwargs):
        """`update_state(*args, **kwargs)`, then the running `result()`."""
        self._check_init("__call__")
        self.update_state(*args, **kwargs)
        return self.result()

    # -- identity and config -----------------------------------------------------------------
    @property
    def name(self) -> str:
        """The metric's name (the key of its value in `fit`'s logs)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def dtype(self) -> str:
        """The dtype of the state and result, as a string ('float32')."""
        return self._dtype

    def get_config(self) -> dict:
        """`{"name", "dtype"}` plus the constructor's arguments, as JSON-ready values."""
        config = {"name": self.name, "dtype": self.dtype}
        cls = type(self)
        owner = next(k for k in cls.__mro__ if "get_config" in k.__dict__)
        if _builtin(cls) or not _builtin(owner):  # built-in, or a user's get_config calling super
            config.update({k: getattr(self, k) for k in self._config_keys})
        else:  # a user's subclass without get_config: its constructor's arguments
            config.update(self._auto_config(skip=("name", "dtype")))
        return config

    @classmethod
    def from_config(cls, config: dict):
        """A new metric from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _samplewise(values, sample_weight, reduce_fn, dtype):
    """Per-sample values (axes after the first reduced) and the matching weights.

    Weights of lower rank than the values first reduce the values' extra axes; a scalar
    weight weighs the whole batch as one sample (as Keras 3 does).
    """
    values = tf.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = tf.cast(sample_weight, dtype)
        values, sample_weight = align(values, sample_weight)
        w_rank, v_rank = sample_weight.shape.rank, values.shape.rank
        if v_rank > w_rank:
            values = reduce_fn(values, axis=list(range(w_rank, v_rank)))
        sample_weight = tf.broadcast_to(sample_weight, tf.shape(values))
        values = values * sample_weight
        if w_rank > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, w_rank)))
    if values.shape.rank > 1:
        values = reduce_fn(values, axis=list(range(1, values.shape.rank)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen.

    >>> m = keras.metrics.Sum()
    >>> float(m([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]))
    4.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values, sample_weight=None) -> None:
        """Adds the (weighted) sum of `values`."""
        values, _ = _samplewise(values, sample_weight, tf.reduce_sum, self.dtype)
        self.total.assign_add(tf.reduce_sum(values))

    def result(self):
        """The running sum."""
        return tf.identity(self.total)


class Mean(Metric):
    """The (weighted) mean of all values seen: `total / count`, 0 before any update.

    Values of shape `(n, ...)` count as `n` samples (each the mean of its own values);
    `sample_weight` weighs the samples.

    >>> m = keras.metrics.Mean()
    >>> float(m([1, 3, 5, 7])), float(m([4], sample_weight=[4]))
    (4.0, 4.0)
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values, sample_weight=None) -> None:
        """Adds the batch's (weighted) values to the total and their weight to the count."""
        values, sample_weight = _samplewise(values, sample_weight, tf.reduce_mean, self.dtype)
        self.total.assign_add(tf.reduce_sum(values))
        if sample_weight is not None:
            count = tf.reduce_sum(sample_weight)
        elif values.shape.rank:
            count = tf.cast(tf.shape(values)[0], self.dtype)
        else:
            count = tf.constant(1, self.dtype)
        self.count.assign_add(count)

    def result(self):
        """`total / count` (0 while the count is 0)."""
        return tf.math.divide_no_nan(self.total, self.count)


def _keras_mask(y_pred):
    """The mask a masking layer attached to `y_pred` (Embedding(mask_zero=True), Masking)."""
    cc = sys.modules.get("rill.keras.layers._call_context")
    return cc.get_mask(y_pred) if cc is not None and cc.masks else None


class MeanMetricWrapper(Mean):
    """A function `fn(y_true, y_pred, **kwargs)` of per-sample values as a streaming mean.

    Labels and predictions are cast to the metric's dtype and brought to one rank (`(n,)`
    against `(n, 1)` never broadcasts to `(n, n)`) before `fn` sees them; the result is the
    weighted mean of `fn`'s values over every batch seen.

    Args:
        fn: the function, returning one value per sample (or per element).
        name: the metric's name (default "mean_metric_wrapper").
        dtype: the metric's dtype.
        **kwargs: extra keyword arguments for `fn`.

    >>> def abs_error(y_true, y_pred):
    ...     return tf.abs(y_true - y_pred)
    >>> m = keras.metrics.MeanMetricWrapper(abs_error, name="abs_error")
    >>> float(m([[1.0], [2.0]], [[2.0], [4.0]]))
    1.5
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name or "mean_metric_wrapper", dtype=dtype)
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: `fn` must be a function (y_true, y_pred) -> "
                            f"values, got {type(fn).__name__} {fn!r}.\nhint: pass e.g. "
                            f"keras.metrics.binary_accuracy or your own function.")
        self._fn = fn
        self._fn_kwargs = kwargs

    _cast_labels = True  # False keeps integer class ids as they are (sparse losses)
    # True: labels are class ids, (n,) or (n, 1) against predictions (n, k), and compile()
    # passes them as they came (no (n,) -> (n, 1) expansion for the metric to undo)
    _class_id_labels = False

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds `fn(y_true, y_pred)`'s values, weighted by `sample_weight` (and by the keras
        mask of `y_pred`, when a masking layer produced it)."""
        keras_mask = _keras_mask(y_pred)
        if keras_mask is not None:
            keras_mask = tf.cast(keras_mask, self.dtype)
            sample_weight = keras_mask if sample_weight is None else \
                keras_mask * tf.cast(sample_weight, self.dtype)
        y_true = tf.cast(y_true, self.dtype) if self._cast_labels else \
            tf.convert_to_tensor(y_true)
        y_pred = tf.cast(y_pred, self.dtype)
        y_true, y_pred = align(y_true, y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        """Name and dtype; for MeanMetricWrapper itself also `fn` and its arguments."""
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = serialize_keras_object(self._fn)
            config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config: dict):
        """A new metric; a saved `fn` is looked up by name (pass custom ones in
        `custom_objects`)."""
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from rill.keras import metrics  # noqa: PLC0415 - the package imports this module
            config["fn"] = metrics.deserialize(config["fn"])
        return cls(**config)
