"""`keras.optimizers.schedules`: learning rates as functions of the optimizer's step.

A schedule is called with the step (the optimizer passes its `iterations` variable, so a
schedule evaluates inside a traced step too) and returns a float32 scalar tensor.

>>> s = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> round(float(s(20)), 6)
0.025
"""

from __future__ import annotations

import math

import rill as tf
from rill.keras.saving.serialization import (
    AutoConfig,
    deserialize_keras_object,
    serialize_keras_object,
)


class LearningRateSchedule(AutoConfig):
    """The base class of learning rate schedules: subclasses implement `__call__(step)`.

    >>> class Halving(keras.optimizers.schedules.LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (tf.cast(step, tf.float32) + 1.0)
    >>> round(float(Halving(0.1)(1)), 6)
    0.05
    """

    _keras_module = "keras.optimizers.schedules"

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `__call__(self, step)`.\nhint: return the learning "
                                  f"rate at `step` (a scalar integer tensor).")

    def get_config(self) -> dict:
        """The constructor's arguments (built-in schedules list all of them)."""
        return self._auto_config()

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def _check_steps(cls: str, key: str, value) -> None:
    if not value > 0:
        raise ValueError(f"{cls}: argument `{key}` must be > 0; got {key}={value}.\nhint: the "
                         f"number of steps over which the learning rate decays, e.g. 1000.")


def _float(step):
    return tf.cast(step, tf.float32)


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; with `staircase` the
    exponent is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = _float(step) / float(self.decay_steps)
        if self.staircase:
            p = tf.floor(p)
        return tf.constant(self.initial_learning_rate, tf.float32) * tf.pow(
            tf.constant(self.decay_rate, tf.float32), p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <=
    boundaries[i]`, and `values[-1]` after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"PiecewiseConstantDecay: the length of boundaries should be 1 less "
                             f"than the length of values; got boundaries={boundaries} (length "
                             f"{len(boundaries)}) and values={values} (length {len(values)}).\n"
                             f"hint: n boundaries split the steps into n + 1 intervals.")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        s = tf.cast(step, tf.float64)
        values = tf.constant(self.values)
        result = values[-1]
        for i in reversed(range(len(self.boundaries))):
            result = tf.where(s <= float(self.boundaries[i]), values[i], result)
        return result

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, the step capped at
    `decay_steps`; with `cycle`, `decay_steps` grows to the first multiple above the step."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_steps("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power = end_learning_rate, power
        self.cycle, self.name = cycle, name

    def __call__(self, step):
        s = _float(step)
        steps = tf.constant(float(self.decay_steps), tf.float32)
        if self.cycle:
            steps = steps * tf.where(tf.equal(s, 0.0), 1.0, tf.math.ceil(s / steps))
        else:
            s = tf.minimum(s, steps)
        start = tf.constant(self.initial_learning_rate, tf.float32)
        end = tf.constant(self.end_learning_rate, tf.float32)
        return (start - end) * tf.pow(1.0 - s / steps, float(self.power)) + end

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`; with `staircase` the
    ratio `step / decay_steps` is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check_steps("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = _float(step) / float(self.decay_steps)
        if self.staircase:
            p = tf.floor(p)
        return tf.constant(self.initial_learning_rate, tf.float32) / (
            1.0 + float(self.decay_rate) * p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


def _cosine(fraction, alpha: float):
    return (1.0 - alpha) * (0.5 * (1.0 + tf.cos(math.pi * fraction))) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR without restarts), after an optional linear warmup.

    Without `warmup_target`: `lr(step) = initial * ((1 - alpha) * c + alpha)` where
    `c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))`. With it, the rate rises
    linearly from `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays
    from `warmup_target` over `decay_steps`.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_steps("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        s = _float(step)
        initial = tf.constant(self.initial_learning_rate, tf.float32)
        steps = float(self.decay_steps)
        if self.warmup_target is None:
            return initial * _cosine(tf.minimum(s, steps) / steps, float(self.alpha))
        target = tf.constant(self.warmup_target, tf.float32)
        warm = float(self.warmup_steps)
        s = tf.minimum(s, steps + warm)
        return tf.cond(
            s < warm,
            lambda: (target - initial) * (s / warm) + initial,
            lambda: target * _cosine((s - warm) / steps, float(self.alpha)))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter): the first period lasts
    `first_decay_steps`, each next one `t_mul` times longer and starting `m_mul` times
    lower; within a period the multiplier decays from 1 to `alpha` along a cosine."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _check_steps("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = (initial_learning_rate,
                                                              first_decay_steps)
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        fraction = _float(step) / float(self.first_decay_steps)
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restart = tf.floor(fraction)
            fraction = fraction - restart
        else:
            restart = tf.floor(tf.math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            done = (1.0 - tf.pow(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - done) / tf.pow(t_mul, restart)
        decay = tf.pow(float(self._m_mul), restart) * (0.5 * (1.0 + tf.cos(math.pi * fraction)))
        alpha = float(self.alpha)
        return tf.constant(self.initial_learning_rate, tf.float32) * (
            (1.0 - alpha) * decay + alpha)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_BUILTINS = {c.__name__: c for c in (
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
    InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule) -> dict:
    """The schedule's config in Keras 3's format."""
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None) -> LearningRateSchedule:
    """The schedule that `config` (what `serialize` returned) describes."""
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=_BUILTINS,
                                    printable_module_name="learning rate schedule")
