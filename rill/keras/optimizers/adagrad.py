"""`keras.optimizers.Adagrad`: per-coordinate steps scaled by the sum of squared gradients."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): `a += g**2`, `w -= lr * g / sqrt(a + epsilon)`, the
    accumulator `a` starting at `initial_accumulator_value`.

    Args:
        learning_rate: float or schedule (default 0.001). initial_accumulator_value: default
            0.1. epsilon: default 1e-7. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> opt = keras.optimizers.Adagrad(0.1, initial_accumulator_value=0.0, epsilon=0.0)
    >>> _ = opt.apply_gradients([(tf.constant(4.0), w)])
    >>> round(float(w), 4)
    0.9
    """

    _hyper = ("initial_accumulator_value", "epsilon")
    _slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError(f"Adagrad: `initial_accumulator_value` must be >= 0; got "
                             f"{initial_accumulator_value}.\nhint: 0.1 is the default.")
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = 1e-7 if epsilon is None else epsilon
        self._slot_initial = {"accumulator": float(initial_accumulator_value)}

    def _update_variable(self, g, var, slots, c) -> None:
        (lr,) = c
        (a,) = slots
        av = a.value() + self._square(g)
        a.assign(av)
        var.assign_sub(g * lr / tf.sqrt(av + self.epsilon))
