"""The optimizer's state: its variables, per-variable slots, weight moving averages (EMA),
gradient accumulators, and the weight decay exclusions. Mixed into `Optimizer`."""

from __future__ import annotations

import re

import numpy as np

import rill as tf


def _initial(initializer, shape, dtype):
    if initializer is None or initializer == "zeros":
        return tf.zeros(shape, dtype)
    if initializer == "ones":
        return tf.ones(shape, dtype)
    if isinstance(initializer, (int, float)):
        return tf.fill(shape, tf.constant(initializer, dtype))
    if isinstance(initializer, str):
        from rill.keras import initializers
        initializer = initializers.get(initializer)
    return initializer(shape, dtype=dtype)


class StateMixin:
    """Variables of an optimizer, created eagerly (under `tf.init_scope`)."""

    def _init_state(self) -> None:
        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._index: dict = {}
        self._slots: list = []
        self._ema: list = []
        self._accumulators: list = []
        self._exclude_ids: set = set()
        self._exclude_pattern = None

    @property
    def variables(self) -> list:
        """`iterations`, the learning rate, then the slots, in creation order."""
        return list(self._variables)

    def _new_variable(self, value, dtype, name: str):
        with tf.init_scope():
            var = tf.Variable(value, dtype=dtype, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(var)
        return var

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     name=None):
        """A new optimizer variable (Keras 3's hook for custom optimizers)."""
        dtype = tf.as_dtype(dtype or "float32")
        with tf.init_scope():
            return self._new_variable(_initial(initializer, shape, dtype), dtype,
                                      name or "variable")

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A new variable with the shape and dtype of `reference_variable`."""
        base = reference_variable.name.split(":")[0].replace("/", "_")
        with tf.init_scope():
            return self._new_variable(
                _initial(initializer, reference_variable.shape, reference_variable.dtype),
                reference_variable.dtype, f"{base}_{name}")

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One variable per trainable variable, or a tuple of such lists for a list of names."""
        names = [name] if isinstance(name, str) else list(name)
        out = tuple([] for _ in names)
        for v in trainable_variables:
            for lst, n in zip(out, names):
                lst.append(self.add_variable_from_reference(v, n, initializer))
        return out[0] if isinstance(name, str) else out

    def build(self, var_list) -> None:
        """Creates the state for the variables of `var_list` not yet known: one slot per name
        in `_slot_names` (plus moving averages and gradient accumulators when configured)."""
        new = [v for v in var_list if id(v) not in self._index]
        with tf.init_scope():
            for v in new:
                self._index[id(v)] = len(self._trainable_variables)
                self._trainable_variables.append(v)
                self._slots.append([
                    self.add_variable_from_reference(v, s, self._slot_initial.get(s, "zeros"))
                    for s in self._slot_names])
                if self.use_ema:
                    base = v.name.split(":")[0].replace("/", "_")
                    self._ema.append(self._new_variable(v.value(), v.dtype, f"{base}_average"))
                if self.gradient_accumulation_steps:
                    self._accumulators.append(self.add_variable_from_reference(
                        v, "gradient_accumulator"))
        self.built = True

    def _ensure_built(self, variables) -> None:
        index = self._index
        if self.built and all(id(v) in index for v in variables):
            return
        for v in variables:
            if not hasattr(v, "assign"):
                raise TypeError(f"{type(self).__name__}: can only update tf.Variables; got "
                                f"{type(v).__name__} {v!r}.\nhint: pass "
                                f"model.trainable_variables (or your tf.Variable objects).")
        with tf.init_scope():
            if not self.built:
                self.build(variables)
                self.built = True
            elif type(self).build.__module__.startswith("rill.keras.optimizers"):
                self.build(variables)
        unknown = [v.name for v in variables if id(v) not in index]
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown variables {unknown}: this "
                             f"optimizer was built for other variables.\nhint: call "
                             f"optimizer.build(all_trainable_variables) first, or use one "
                             f"optimizer per model.")

    def _get_variable_index(self, variable) -> int:
        return self._index[id(variable)]

    def assign(self, variable, value) -> None:
        """`variable.assign(value)` (Keras 3's helper for custom `update_step`s)."""
        variable.assign(value)

    def assign_add(self, variable, value) -> None:
        """`variable.assign_add(value)`."""
        variable.assign_add(value)

    def assign_sub(self, variable, value) -> None:
        """`variable.assign_sub(value)`."""
        variable.assign_sub(value)

    # -- weights -----------------------------------------------------------------------------
    def get_weights(self) -> list:
        """The values of `variables`, as NumPy arrays."""
        return [np.asarray(v.numpy()) for v in self._variables]

    def set_weights(self, weights) -> None:
        """Sets `variables` from NumPy arrays (the optimizer must be built)."""
        if len(weights) != len(self._variables):
            raise ValueError(f"{type(self).__name__}.set_weights: got {len(weights)} arrays for "
                             f"{len(self._variables)} variables.\nhint: build the optimizer "
                             f"(optimizer.build(model.trainable_variables)) before setting "
                             f"its weights.")
        for v, w in zip(self._variables, weights):
            v.assign(np.asarray(w, dtype=v.dtype.as_numpy_dtype))

    def save_own_variables(self, store) -> None:
        """Writes `variables` into `store` under the keys "0", "1", ... (Keras 3 saving)."""
        for i, v in enumerate(self._variables):
            store[str(i)] = np.asarray(v.numpy())

    def load_own_variables(self, store) -> None:
        """Reads `variables` back from what `save_own_variables` wrote."""
        self.set_weights([store[str(i)] for i in range(len(store))])

    # -- weight decay exclusions -------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Excludes variables (by object, or by a substring of their name) from weight decay."""
        if self.built:
            raise ValueError(f"{type(self).__name__}.exclude_from_weight_decay() can only be "
                             f"called before the optimizer is built.\nhint: call it right "
                             f"after creating the optimizer, before the first step.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(map(re.escape, var_names))) \
            if var_names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(variable.name) is None

    # -- moving averages and accumulation ---------------------------------------------------
    def _update_ema(self, eager: bool) -> None:
        it = self._iterations
        if eager:
            mom = 0.0 if int(it.numpy()) == 0 else float(self.ema_momentum)
        else:
            mom = tf.cast(tf.not_equal(it.value(), 0), tf.float64) * float(self.ema_momentum)
        for v, avg in zip(self._trainable_variables, self._ema):
            c = mom if eager else tf.cast(mom, v.dtype)
            avg.assign(avg.value() * c + v.value() * (1.0 - c))
        freq = self.ema_overwrite_frequency
        if freq:
            def overwrite():
                for v, avg in zip(self._trainable_variables, self._ema):
                    v.assign(avg.value())
                return tf.constant(0)

            if eager:
                if (int(it.numpy()) + 1) % freq == 0:
                    overwrite()
            else:
                tf.cond(tf.equal((it.value() + 1) % freq, 0), overwrite,
                        lambda: tf.constant(0))

    def finalize_variable_values(self, var_list) -> None:
        """Copies the moving averages into the variables (when `use_ema`)."""
        if self.use_ema:
            for v in var_list:
                if id(v) in self._index:
                    v.assign(self._ema[self._index[id(v)]].value())

    def _accumulate_and_update(self, grads, variables, eager: bool) -> None:
        n = self.gradient_accumulation_steps
        accs = [self._accumulators[self._index[id(v)]] for v in variables]

        def update():
            mean = [(g + a.value()) / float(n) for g, a in zip(grads, accs)]
            self._clip_decay_update(mean, variables, eager)
            for a in accs:
                a.assign(tf.zeros_like(a))
            return tf.constant(0)

        def accumulate():
            for g, a in zip(grads, accs):
                a.assign_add(g)
            return tf.constant(0)

        if eager:
            (update if (int(self._iterations.numpy()) + 1) % n == 0 else accumulate)()
        else:
            tf.cond(tf.equal((self._iterations.value() + 1) % n, 0), update, accumulate)
