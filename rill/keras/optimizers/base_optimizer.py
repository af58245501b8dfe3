"""`keras.optimizers.Optimizer`: the base class of every optimizer (Keras 3 semantics).

One step (`apply_gradients`, `apply`, `minimize`) does, in order: drop pairs whose gradient is
None (with a warning), create missing state (`build`, under `tf.init_scope` so a first call
inside `tf.function` creates it eagerly), unscale (`loss_scale_factor`), clip (`clipnorm`,
`clipvalue`, `global_clipnorm`), decay the weights (decoupled: `w -= w * weight_decay * lr`),
update each variable (`_update_step`), apply each variable's `constraint`, update the moving
averages (`use_ema`) and add one to `iterations`.

Scalar coefficients that depend on the step (bias corrections, the learning rate) are computed
once per step: as Python floats when running eagerly, as a few float64 scalar ops when traced
(then cast to each variable's dtype), so eager and traced steps give the same values.

A subclass lists its per-variable state in `_slot_names`, computes its coefficients in
`_coefficients(lr, t)` (Python floats or float64 tensors, `t` the 1-based step) and updates one
variable in `_update_variable(g, var, slots, c)`. Keras 3 style custom optimizers (overriding
`build` and `update_step(gradient, variable, learning_rate)`) work too.
"""

from __future__ import annotations

import inspect
import numbers
import re
import warnings

import rill as tf
from rill.keras.optimizers import _state
from rill.keras.optimizers.schedules import LearningRateSchedule
from rill.keras.saving.serialization import AutoConfig, serialize_keras_object

_BASE_KEYS = ("name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
              "clipvalue", "use_ema", "ema_momentum", "ema_overwrite_frequency",
              "loss_scale_factor", "gradient_accumulation_steps")
_IGNORED_KWARGS = ("jit_compile", "is_legacy_optimizer", "amsgrad_v1", "mesh")


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Optimizer(_state.StateMixin, AutoConfig):
    """The base class of Keras optimizers.

    Args:
        learning_rate: a float, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable of the step (or of nothing) returning the learning rate.
        weight_decay: if set, decoupled weight decay: `w -= w * weight_decay * lr` each step.
        clipnorm: clip each gradient to this L2 norm. clipvalue: clip each gradient's values
            to `[-clipvalue, clipvalue]`. global_clipnorm: clip all gradients together so
            their global norm is at most this (only one of the three may be set).
        use_ema: keep an exponential moving average of the weights (`ema_momentum`), and
            copy it into the weights every `ema_overwrite_frequency` steps if set.
        loss_scale_factor: gradients are divided by this before the update.
        gradient_accumulation_steps: update every N steps with the mean gradient.
        name: the optimizer's name (default: the class name in snake case).
        lr: tf.keras 2's name of `learning_rate` (deprecated, warns).
        decay: tf.keras 2's inverse-time decay: `lr / (1 + decay * iterations)`.

    >>> opt = keras.optimizers.SGD(learning_rate=0.1)
    >>> w = tf.Variable([1.0, 2.0])
    >>> _ = opt.apply_gradients([(tf.constant([1.0, -1.0]), w)])
    >>> w.numpy(), int(opt.iterations)
    (array([0.9, 2.1], dtype=float32), 1)
    """

    _keras_module = "keras.optimizers"
    _slot_names: tuple = ()
    _hyper: tuple = ()
    _slot_initial: dict = {}

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        cls = type(self).__name__
        if "lr" in kwargs:
            warnings.warn(f"{cls}: the `lr` argument is deprecated, use `learning_rate` "
                          f"instead.\nhint: {cls}(learning_rate={kwargs['lr']!r}).",
                          UserWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        self.decay = float(kwargs.pop("decay", 0.0) or 0.0)
        for key in _IGNORED_KWARGS:
            kwargs.pop(key, None)
        if kwargs:
            raise ValueError(f"{cls}: argument(s) not recognized: {kwargs}.\nhint: the "
                             f"arguments are learning_rate, {', '.join(_BASE_KEYS[2:])}, name, "
                             f"and the optimizer's own hyperparameters.")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{cls}: only one of `clipnorm`, `clipvalue` and "
                             f"`global_clipnorm` can be set; got clipnorm={clipnorm}, "
                             f"clipvalue={clipvalue}, global_clipnorm={global_clipnorm}.\n"
                             f"hint: keep the one you need and drop the others.")
        for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm),
                           ("weight_decay", weight_decay),
                           ("loss_scale_factor", loss_scale_factor)):
            if value is not None and (not isinstance(value, numbers.Real) or value < 0):
                raise ValueError(f"{cls}: `{key}` must be a non-negative float or None; got "
                                 f"{value!r}.\nhint: e.g. {cls}({key}=1.0).")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"{cls}: `ema_momentum` must be in [0, 1]; got {ema_momentum}.\n"
                             f"hint: values near 1 (0.99) average over many steps.")
        if gradient_accumulation_steps is not None and (
                not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise ValueError(f"{cls}: `gradient_accumulation_steps` must be an int >= 2; got "
                             f"{gradient_accumulation_steps!r}.\nhint: pass None to update "
                             f"every step.")
        self.name = name or _snake(cls)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, \
            global_clipnorm
        self.use_ema, self.ema_momentum = bool(use_ema), ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._init_state()
        with tf.init_scope():
            self._iterations = self._new_variable(0, tf.int64, "iteration")
            self._one = tf.constant(1, tf.int64)  # converting the Python 1 costs more than adding
            self._learning_rate_var = None
            self._learning_rate = None
            self._set_learning_rate(learning_rate)

    # -- learning rate ---------------------------------------------------------------------
    def _set_learning_rate(self, value):
        cls = type(self).__name__
        if isinstance(value, LearningRateSchedule) or (callable(value) and not
                                                        hasattr(value, "dtype")):
            self._learning_rate = value
            self._lr_takes_step = isinstance(value, LearningRateSchedule) or _takes_arg(value)
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(f"{cls}: this optimizer was created with a LearningRateSchedule, "
                            f"so its learning rate cannot be set to {value!r}.\nhint: create "
                            f"the optimizer with a float learning_rate to make it settable.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{cls}: `learning_rate` must be a float, a LearningRateSchedule or "
                            f"a callable; got {value!r} ({type(value).__name__}).\nhint: e.g. "
                            f"{cls}(learning_rate=0.001).") from None
        if self._learning_rate_var is None:
            with tf.init_scope():
                self._learning_rate_var = self._new_variable(value, tf.float32,
                                                             "learning_rate")
        else:
            self._learning_rate_var.assign(value)
        self._learning_rate = self._learning_rate_var

    @property
    def learning_rate(self):
        """The learning rate: a float32 `tf.Variable` (assign to it, or set this property, to
        change it, also inside an already traced function), or for a schedule its value at the
        current step."""
        if self._learning_rate is self._learning_rate_var:
            return self._learning_rate_var
        return self._schedule_value()

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_learning_rate(value)

    lr = learning_rate

    def _schedule_value(self):
        fn = self._learning_rate
        return fn(self._iterations) if self._lr_takes_step else fn()

    def _current_lr(self, eager: bool):
        """The learning rate of this step (with tf.keras 2's decay): a Python float eagerly,
        a float64 scalar tensor when traced."""
        if self._learning_rate is self._learning_rate_var:
            lr = self._learning_rate_var.numpy() if eager else self._learning_rate_var.value()
        else:
            lr = self._schedule_value()
        lr = float(lr) if eager else tf.cast(lr, tf.float64)
        if self.decay:
            it = float(self._iterations.numpy()) if eager else \
                tf.cast(self._iterations.value(), tf.float64)
            lr = lr / (1.0 + self.decay * it)
        return lr

    @property
    def iterations(self):
        """The number of steps applied so far (an int64 `tf.Variable`)."""
        return self._iterations

    # -- the step ----------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        **kwargs):
        """Applies one update to each variable from its gradient; returns `iterations`.

        `grads_and_vars`: (gradient, variable) pairs, a list or a zip; pairs whose gradient is
        None are skipped with a warning.
        """
        pairs = list(grads_and_vars)
        for i, p in enumerate(pairs):
            if not isinstance(p, (tuple, list)) or len(p) != 2:
                raise TypeError(f"{type(self).__name__}.apply_gradients: expected (gradient, "
                                f"variable) pairs; item {i} is {p!r}.\nhint: "
                                f"optimizer.apply_gradients(zip(gradients, "
                                f"model.trainable_variables)).")
        return self.apply([p[0] for p in pairs], [p[1] for p in pairs])

    def apply(self, grads, trainable_variables=None):
        """Keras 3's form: `apply(grads, trainable_variables)`; the variables may be omitted
        once the optimizer is built (they are then those it was built with)."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{type(self).__name__}.apply: gradients without variables "
                                 f"need a built optimizer.\nhint: call "
                                 f"optimizer.build(trainable_variables) first, or pass them.")
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients for "
                             f"{len(variables)} variables.\nhint: pass one gradient per "
                             f"variable, in the same order.")
        if not grads:
            return self._iterations
        if any(g is None for g in grads):
            grads, variables = self._drop_missing(grads, variables)
        self._ensure_built(variables)
        grads = [self._as_gradient(g, v) for g, v in zip(grads, variables)]
        if self.loss_scale_factor:
            grads = [g / self.loss_scale_factor for g in grads]
        eager = tf.executing_eagerly()
        if self.gradient_accumulation_steps:
            self._accumulate_and_update(grads, variables, eager)
        else:
            self._clip_decay_update(grads, variables, eager)
        for v in variables:
            if v.constraint is not None:
                v.assign(v.constraint(v))
        if self.use_ema:
            self._update_ema(eager)
        self._iterations.assign_add(self._one)
        return self._iterations

    def minimize(self, loss, var_list, tape=None):
        """Computes the gradients of `loss` (a tensor recorded by `tape`, or a callable of no
        arguments) with respect to `var_list` and applies them."""
        if callable(var_list) and not hasattr(var_list, "_is_variable"):
            var_list = var_list()
        var_list = list(tf.nest.flatten(var_list))
        if callable(loss):
            with tf.GradientTape() as tape:
                loss = loss()
        elif tape is None:
            raise ValueError(f"{type(self).__name__}.minimize: `tape` is required when a "
                             f"tensor loss is passed.\nhint: pass tape=the GradientTape that "
                             f"recorded the loss, or pass the loss as a function of no "
                             f"arguments.")
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def _drop_missing(self, grads, variables):
        missing = [v.name for g, v in zip(grads, variables) if g is None]
        if len(missing) == len(variables):
            raise ValueError(
                f"No gradients provided for any variable: {missing}.\nhint: every gradient is "
                f"None, so the loss does not depend on these variables: compute the loss inside "
                f"the `with tf.GradientTape()` block from their values, pass "
                f"tape.gradient(loss, variables) in the same order, and rerun the step inside "
                f"`with tf.debugging.explain_gradients():` to see why each is None.")
        warnings.warn(
            f"Gradients do not exist for variables {missing} when minimizing the loss: "
            f"tape.gradient returned None for them, because the loss does not depend on them "
            f"(not read while the tape was recording, reached only through integer values or "
            f"ops without a gradient, or not trainable). They are left unchanged. If using "
            f"`model.compile()`, did you forget to provide a `loss` argument?\nhint: rerun the "
            f"step inside `with tf.debugging.explain_gradients():` to see why each is None.",
            UserWarning, stacklevel=4)
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        return [g for g, _ in kept], [v for _, v in kept]

    def _as_gradient(self, g, var):
        if isinstance(g, tf.IndexedSlices):  # kept sparse: see _update_step
            values = g.values if g.dtype == var.dtype else tf.cast(g.values, var.dtype)
            if not g.shape.is_compatible_with(var.shape):
                raise ValueError(f"{type(self).__name__}: the gradient of variable "
                                 f"{var.name!r} has dense shape {g.shape}, expected the "
                                 f"variable's shape {var.shape}.\nhint: pair each gradient "
                                 f"with its own variable.")
            return tf.IndexedSlices(values, g.indices, g.dense_shape)
        if not tf.is_tensor(g):
            g = tf.convert_to_tensor(g, dtype=var.dtype)
        if g.dtype != var.dtype:
            g = tf.cast(g, var.dtype)
        if g.shape != var.shape and not g.shape.is_compatible_with(var.shape):
            raise ValueError(f"{type(self).__name__}: the gradient of variable {var.name!r} "
                             f"has shape {g.shape}, expected the variable's shape "
                             f"{var.shape}.\nhint: pair each gradient with its own variable: "
                             f"zip(tape.gradient(loss, variables), variables).")
        return g

    def _clip_decay_update(self, grads, variables, eager):
        grads = self._clip_gradients(grads)
        lr = self._current_lr(eager)
        if self.weight_decay:
            self._apply_weight_decay(variables, lr, eager)
        self._update_step(grads, variables, lr, eager)

    def _clip_gradients(self, grads):
        if self.clipnorm:
            return [tf.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            return tf.clip_by_global_norm(grads, self.global_clipnorm)[0]
        if self.clipvalue:
            return [tf.clip_by_value(_dense(g), -self.clipvalue, self.clipvalue)
                    for g in grads]
        return grads

    def _apply_weight_decay(self, variables, lr, eager):
        wd = self.weight_decay * lr
        for v in variables:
            if self._use_weight_decay(v):
                v.assign_sub(v.value() * (wd if eager else tf.cast(wd, v.dtype)))

    def _update_step(self, grads, variables, lr, eager):
        """Updates every variable; built-in optimizers compute their coefficients once."""
        if type(self).update_step is not Optimizer.update_step:  # a Keras 3 custom optimizer
            lr32 = tf.constant(lr, tf.float32) if eager else tf.cast(lr, tf.float32)
            for g, v in zip(grads, variables):
                self.update_step(g, v, lr32)  # a tf.IndexedSlices as it came, as in Keras
            return
        t = float(self._iterations.numpy()) + 1.0 if eager else \
            tf.cast(self._iterations.value(), tf.float64) + 1.0
        coeffs = self._coefficients(lr, t)
        by_dtype = {}
        slots, index = self._slots, self._index
        for g, v in zip(grads, variables):
            c = coeffs
            if not eager:
                c = by_dtype.get(v.dtype)
                if c is None:
                    c = by_dtype[v.dtype] = tuple(tf.cast(x, v.dtype) for x in coeffs)
            if isinstance(g, tf.IndexedSlices):
                self._update_sparse(g, v, slots[index[id(v)]], c)
            else:
                self._update_variable(g, v, slots[index[id(v)]], c)

    def _update_sparse(self, g, var, slots, c) -> None:
        """A `tf.IndexedSlices` gradient, as Keras 3 applies one with TensorFlow: its ops
        keep a gradient sparse through elementwise functions (so `square(g)` squares each
        slice before repeated rows are summed) and densify it where it meets a dense slot.
        Optimizers that stay sparse (SGD without momentum) override `_sparse_step`."""
        if self._sparse_step(g, var, slots, c):
            return
        dense = tf.convert_to_tensor(g)
        self._sparse_grad = (dense, g)
        try:
            self._update_variable(dense, var, slots, c)
        finally:
            self._sparse_grad = None

    def _sparse_step(self, g, var, slots, c) -> bool:
        """Applies the IndexedSlices `g` to the rows it names only, if this optimizer can
        (returns whether it did)."""
        return False

    _sparse_grad = None

    def _square(self, g):
        """`g**2`; for a densified IndexedSlices gradient, the sum over repeated rows of the
        slices' squares (Keras 3's `ops.square` acts on the slices)."""
        return self._of_slices(g, tf.square)

    def _abs(self, g):
        return self._of_slices(g, tf.abs)

    def _of_slices(self, g, fn):
        found = self._sparse_grad
        if found is None or found[0] is not g:
            return fn(g)
        s = found[1]
        return tf.convert_to_tensor(tf.IndexedSlices(fn(s.values), s.indices, s.dense_shape))

    def _coefficients(self, lr, t) -> tuple:
        """The step's scalar coefficients from `lr` and the 1-based step `t` (Python floats
        eagerly, float64 tensors when traced); the default is `(lr,)`."""
        return (lr,)

    def _update_variable(self, g, var, slots, c) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_step("
                                  f"gradient, variable, learning_rate).\nhint: see "
                                  f"keras.optimizers.SGD for a short example.")

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable (Keras 3's hook for custom optimizers)."""
        self._update_variable(gradient, variable, self._slots[self._index[id(variable)]],
                              self._coefficients(learning_rate, tf.cast(
                                  self._iterations + 1, variable.dtype)))

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras 3's config: the base arguments, then the optimizer's hyperparameters."""
        lr = self._learning_rate
        if lr is self._learning_rate_var:
            lr = float(lr.numpy())
        else:
            lr = serialize_keras_object(lr)
        config = {"name": self.name, "learning_rate": lr}
        for key in _BASE_KEYS[2:]:
            config[key] = getattr(self, key)
        if self.decay:
            config["decay"] = self.decay
        config.update(self._auto_config(
            skip=_BASE_KEYS + ("lr", "decay") + _IGNORED_KWARGS + tuple(self._hyper)))
        config.update({k: getattr(self, k) for k in self._hyper})
        return {k: v.item() if isinstance(v, numbers.Number) and hasattr(v, "item") else v
                for k, v in config.items()}  # NumPy scalars as JSON numbers

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """The optimizer that `config` describes (a schedule config is deserialized)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from rill.keras.optimizers import schedules
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<keras.optimizers.{type(self).__name__} name={self.name!r}>"


def _dense(g):
    return tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g


def _takes_arg(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in params)
