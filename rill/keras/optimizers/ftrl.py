"""`keras.optimizers.Ftrl`: Follow The Regularized Leader, proximal (McMahan et al., 2013)."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal with L1, L2 and L2-shrinkage regularization, per coordinate.

    With `p = -learning_rate_power` (0.5: McMahan's `sqrt`), `n` the accumulator (starting at
    `initial_accumulator_value`) and `z` the linear term:
    `g_s = g + 2 * l2_shrinkage * w`; `n' = n + g**2`;
    `z += g_s - (n'**p - n**p) / lr * w`; `q = n'**p / lr + 2 * (l2 + beta / (2 * lr))`;
    `w = (clip(z, -l1, l1) - z) / q` (zero while `|z| <= l1`); `n = n'`.

    Args:
        learning_rate: float or schedule (default 0.001). learning_rate_power: <= 0 (default
            -0.5). initial_accumulator_value: >= 0 (default 0.1).
            l1_regularization_strength, l2_regularization_strength,
            l2_shrinkage_regularization_strength: >= 0 (default 0). beta: default 0. Other
            keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(0.0)
    >>> opt = keras.optimizers.Ftrl(1.0, initial_accumulator_value=0.0)
    >>> _ = opt.apply_gradients([(tf.constant(2.0), w)])
    >>> float(w)  # -z / (sqrt(n) / lr) = -2 / 2
    -1.0
    """

    _hyper = ("learning_rate_power", "initial_accumulator_value",
              "l1_regularization_strength", "l2_regularization_strength",
              "l2_shrinkage_regularization_strength", "beta")
    _slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        checks = (("initial_accumulator_value", initial_accumulator_value, ">= 0", 1),
                  ("learning_rate_power", learning_rate_power, "<= 0", -1),
                  ("l1_regularization_strength", l1_regularization_strength, ">= 0", 1),
                  ("l2_regularization_strength", l2_regularization_strength, ">= 0", 1),
                  ("l2_shrinkage_regularization_strength",
                   l2_shrinkage_regularization_strength, ">= 0", 1))
        for key, value, want, sign in checks:
            if value * sign < 0:
                raise ValueError(f"Ftrl: `{key}` must be {want}; got {key}={value}.\nhint: "
                                 f"see the defaults in help(keras.optimizers.Ftrl).")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        self._slot_initial = {"accumulator": float(initial_accumulator_value)}

    def _coefficients(self, lr, t) -> tuple:
        return (1.0 / lr, 2.0 * self.l2_regularization_strength + self.beta / lr)

    def _power(self, x):
        p = -self.learning_rate_power
        return tf.sqrt(x) if p == 0.5 else tf.pow(x, p)

    def _update_variable(self, g, var, slots, c) -> None:
        inv_lr, l2 = c
        acc, linear = slots
        av, wv = acc.value(), var.value()
        shrinkage = self.l2_shrinkage_regularization_strength
        g_s = g + wv * (2.0 * shrinkage) if shrinkage else g
        new_acc = av + self._square(g)
        new_pow = self._power(new_acc)
        z = linear.value() + g_s - (new_pow - self._power(av)) * inv_lr * wv
        linear.assign(z)
        l1 = self.l1_regularization_strength
        var.assign((tf.clip_by_value(z, -l1, l1) - z) / (new_pow * inv_lr + l2))
        acc.assign(new_acc)
