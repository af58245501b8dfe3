"""`keras.optimizers.legacy.Optimizer`: tf.keras 2's `OptimizerV2` hooks for custom optimizers.

A tf.keras 2 optimizer (the book's era) is written as

    class MyMomentum(keras.optimizers.legacy.Optimizer):
        def __init__(self, learning_rate=0.001, momentum=0.9, name="MyMomentum", **kwargs):
            super().__init__(name, **kwargs)
            self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
            self._set_hyper("momentum", momentum)

        def _create_slots(self, var_list):
            for var in var_list:
                self.add_slot(var, "momentum")

        def _resource_apply_dense(self, grad, var):
            ...  # self._decayed_lr(dtype), self.get_slot(var, "momentum"), self._get_hyper(...)

The step itself (dropping None gradients, clipping, constraints, `iterations`) is the Keras 3
base class's; this class creates the hyperparameter variables and slots on the first step
and calls `_resource_apply_dense` (or `_resource_apply_sparse` for `tf.IndexedSlices`) for
each variable, with `apply_state` when the hook takes it.
"""

from __future__ import annotations

import inspect
import numbers

import rill as tf
from rill.keras.optimizers import base_optimizer
from rill.keras.optimizers._state import _initial
from rill.keras.optimizers.schedules import LearningRateSchedule
from rill.keras.saving.serialization import serialize_keras_object

_ALLOWED = ("clipnorm", "clipvalue", "global_clipnorm", "lr", "decay")
_OWN = ("learning_rate", "lr", "decay")  # hyperparameters the base class holds itself


class _VariableList(list):
    """A list that is also callable: tf.keras 2's `optimizer.variables()` is a method, Keras
    3's `optimizer.variables` a property; both read the same list."""

    def __call__(self) -> list:
        return list(self)


class Optimizer(base_optimizer.Optimizer):
    """The base class of tf.keras 2 (`OptimizerV2`) style optimizers.

    Args:
        name: the optimizer's name (the first positional argument, as in tf.keras 2).
        **kwargs: `clipnorm`, `clipvalue`, `global_clipnorm`, `lr` and `decay` (tf.keras 2's
            inverse-time decay of the learning rate, read by `_decayed_lr`).

    Subclasses set hyperparameters with `_set_hyper`, create slots in `_create_slots` with
    `add_slot`, and update one variable in `_resource_apply_dense(grad, var)`.

    >>> class PlainSGD(keras.optimizers.legacy.Optimizer):
    ...     def __init__(self, learning_rate=0.1, name="PlainSGD", **kwargs):
    ...         super().__init__(name, **kwargs)
    ...         self._set_hyper("learning_rate", learning_rate)
    ...     def _resource_apply_dense(self, grad, var):
    ...         var.assign_sub(self._decayed_lr(var.dtype) * grad)
    >>> w = tf.Variable(1.0)
    >>> _ = PlainSGD().apply_gradients([(tf.constant(2.0), w)])
    >>> round(float(w), 4)
    0.8
    """

    def __init__(self, name=None, gradient_aggregator=None, gradient_transformers=None,
                 **kwargs):
        unknown = sorted(k for k in kwargs if k not in _ALLOWED)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {unknown} "
                            f"passed to the optimizer.\nhint: tf.keras 2 optimizers take "
                            f"{', '.join(_ALLOWED)}; set other hyperparameters with "
                            f"self._set_hyper(name, value).")
        object.__setattr__(self, "_hyper_v2", {})
        self._slot_dict: dict = {}  # id(var) -> {slot name: slot variable}
        self._slot_order: list = []
        lr = kwargs.pop("lr", 0.001)
        super().__init__(learning_rate=lr, name=name or type(self).__name__, **kwargs)
        self._initial_decay = self.decay

    # -- hyperparameters ---------------------------------------------------------------------
    def _set_hyper(self, name: str, value) -> None:
        """Sets a hyperparameter: a float (kept in a variable, so it can change after
        tracing), a callable of nothing, or (for the learning rate) a schedule."""
        if name in ("learning_rate", "lr"):
            self._set_learning_rate(value)
            return
        if name == "decay":
            object.__setattr__(self, "decay", float(value))
            self._initial_decay = float(value)
            return
        hyper = self._hyper_v2
        current = hyper.get(name)
        if hasattr(current, "_is_variable") and isinstance(value, numbers.Real):
            current.assign(value)
        else:
            hyper[name] = value

    def _get_hyper(self, name: str, dtype=None):
        """The hyperparameter's value (a callable is called), cast to `dtype` if given."""
        if name in _OWN:
            value = self._learning_rate if name != "decay" else self._initial_decay
        else:
            if name not in self._hyper_v2:
                raise KeyError(f"{type(self).__name__}._get_hyper: no hyperparameter {name!r}; "
                               f"set ones are {sorted(self._hyper_v2)}.\nhint: call "
                               f"self._set_hyper({name!r}, value) in __init__.")
            self._create_hypers()
            value = self._hyper_v2[name]
        if isinstance(value, LearningRateSchedule):
            return value
        if callable(value) and not hasattr(value, "_is_variable"):
            value = value()
        return value if dtype is None else tf.cast(value, dtype)

    def _create_hypers(self) -> None:
        for name in sorted(self._hyper_v2):
            value = self._hyper_v2[name]
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                with tf.init_scope():
                    self._hyper_v2[name] = self._new_variable(float(value), tf.float32, name)

    def _serialize_hyperparameter(self, name: str):
        """The hyperparameter as a config value (a schedule as its config)."""
        value = self._get_hyper(name)
        if isinstance(value, LearningRateSchedule):
            return serialize_keras_object(value)
        if tf.is_tensor(value) or hasattr(value, "_is_variable"):
            return float(value.numpy())
        return value

    def _decayed_lr(self, var_dtype):
        """The learning rate of this step, as `var_dtype`: a schedule evaluated at
        `iterations`, then tf.keras 2's decay `lr / (1 + decay * iterations)`."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule) or lr is not self._learning_rate_var:
            lr = self._schedule_value()
        lr = tf.cast(lr, var_dtype)
        if self._initial_decay > 0.0:
            step = tf.cast(self._iterations, var_dtype)
            lr = lr / (1.0 + tf.cast(self._initial_decay, var_dtype) * step)
        return lr

    def __getattr__(self, name: str):
        hyper = self.__dict__.get("_hyper_v2")
        if hyper is not None and name in hyper:
            return hyper[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        hyper = self.__dict__.get("_hyper_v2")
        if hyper is not None and name in hyper:
            self._set_hyper(name, value)
        else:
            super().__setattr__(name, value)

    # -- slots -------------------------------------------------------------------------------
    def _create_slots(self, var_list) -> None:
        """Creates the slots of `var_list` with `add_slot` (none by default)."""

    def add_slot(self, var, slot_name: str, initializer="zeros", shape=None):
        """The slot `slot_name` of `var` (created on first request): a variable of `var`'s
        shape (or `shape`) and dtype, initialized by `initializer` (a name, a Keras
        initializer, a number or a tensor)."""
        slots = self._slot_dict.setdefault(id(var), {})
        if slot_name in slots:
            return slots[slot_name]
        if slot_name not in self._slot_order:
            self._slot_order.append(slot_name)
        shape = var.shape if shape is None else shape
        with tf.init_scope():
            value = initializer if tf.is_tensor(initializer) else \
                _initial(initializer, shape, var.dtype)
            base = var.name.split(":")[0].replace("/", "_")
            slot = self._new_variable(value, var.dtype, f"{base}/{slot_name}")
        slots[slot_name] = slot
        return slot

    def get_slot(self, var, slot_name: str):
        """The slot `slot_name` of `var`."""
        slot = self._slot_dict.get(id(var), {}).get(slot_name)
        if slot is None:
            raise KeyError(f"{type(self).__name__}.get_slot: variable {var.name!r} has no slot "
                           f"{slot_name!r} (slots: {self.get_slot_names()}).\nhint: create it "
                           f"in _create_slots with self.add_slot(var, {slot_name!r}).")
        return slot

    def get_slot_names(self) -> list:
        """The names of the slots, in creation order."""
        return list(self._slot_order)

    def build(self, var_list) -> None:
        """Creates the hyperparameter variables and the slots (`_create_slots`)."""
        super().build(var_list)
        with tf.init_scope():
            self._create_hypers()
            self._create_slots(list(var_list))

    _create_all_weights = build

    @property
    def variables(self) -> list:
        """`iterations`, the learning rate, the hyperparameters, then the slots (also
        callable, as tf.keras 2's `variables()` method)."""
        return _VariableList(self._variables)

    @property
    def weights(self) -> list:
        """The same as `variables`."""
        return list(self._variables)

    # -- the step ----------------------------------------------------------------------------
    def _update_step(self, grads, variables, lr, eager) -> None:
        cls = type(self)
        if cls._resource_apply_dense is Optimizer._resource_apply_dense and \
                cls.update_step is not base_optimizer.Optimizer.update_step:
            super()._update_step(grads, variables, lr, eager)  # a Keras 3 style update_step
            return
        kwargs = {"apply_state": self._prepare(variables)} \
            if _takes(self._resource_apply_dense, "apply_state") else {}
        sparse = cls._resource_apply_sparse is not Optimizer._resource_apply_sparse
        for g, var in zip(grads, variables):
            if isinstance(g, tf.IndexedSlices) and sparse:
                self._resource_apply_sparse(g.values, var, g.indices, **kwargs)
            else:
                self._resource_apply_dense(tf.convert_to_tensor(g), var, **kwargs)

    def _prepare(self, var_list) -> dict:
        """`apply_state`: per (device, dtype) of the variables, what `_prepare_local` puts
        there (the decayed learning rate as `lr_t`)."""
        state: dict = {}
        for var in var_list:
            key = (var.device, var.dtype.base_dtype)
            if key not in state:
                state[key] = {}
                self._prepare_local(key[0], key[1], state)
        return state

    def _prepare_local(self, var_device, var_dtype, apply_state) -> None:
        apply_state[(var_device, var_dtype)]["lr_t"] = tf.identity(self._decayed_lr(var_dtype))

    def _fallback_apply_state(self, var_device, var_dtype) -> dict:
        state = {(var_device, var_dtype): {}}
        self._prepare_local(var_device, var_dtype, state)
        return state[(var_device, var_dtype)]

    def _resource_apply_dense(self, grad, handle, apply_state=None):
        """Updates `handle` (the variable) from its dense gradient; subclasses implement
        it."""
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  f"_resource_apply_dense(grad, var).\nhint: update var with "
                                  f"var.assign_sub(...) from grad and the slots.")

    def _resource_apply_sparse(self, grad, handle, indices, apply_state=None):
        """Updates the rows `indices` of `handle` from their gradient `grad` (by default the
        gradient is made dense and `_resource_apply_dense` is used)."""
        raise NotImplementedError

    def get_gradients(self, loss, params) -> list:
        """The gradients of `loss` with respect to `params` (`tf.gradients`, so only while a
        `tf.function` traces, as in tf.keras 2), clipped as configured."""
        if tf.executing_eagerly():
            raise RuntimeError(f"{type(self).__name__}.get_gradients is not supported when "
                               f"eager execution is enabled.\nhint: use tf.GradientTape: "
                               f"tape.gradient(loss, params), or call it inside a "
                               f"tf.function.")
        params = list(params)
        grads = tf.gradients(loss, params)
        missing = [p.name for g, p in zip(grads, params) if g is None]
        if missing:
            raise ValueError(f"{type(self).__name__}.get_gradients: variables {missing} have "
                             f"`None` for gradient.\nhint: the loss does not depend on them "
                             f"(or only through ops without a gradient); drop them from "
                             f"params.")
        return self._clip_gradients(grads)

    def get_updates(self, loss, params) -> list:
        """tf.keras 2's graph-mode step: `[apply_gradients(zip(get_gradients(...), ...))]`."""
        params = list(params)
        grads = self.get_gradients(loss, params)
        return [self.apply_gradients(zip(grads, params))]

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """tf.keras 2's base config: the name, and the clipping options that are set
        (subclasses add their hyperparameters with `_serialize_hyperparameter`)."""
        config = {"name": self.name}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """`cls(**config)`, with `lr` read as `learning_rate` and a schedule config
        deserialized."""
        config = dict(config)
        if "lr" in config:
            config["learning_rate"] = config.pop("lr")
        return super().from_config(config, custom_objects=custom_objects)

    def __repr__(self) -> str:
        return f"<keras.optimizers.legacy.{type(self).__name__} name={self.name!r}>"


def _takes(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
