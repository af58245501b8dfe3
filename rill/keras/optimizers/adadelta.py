"""`keras.optimizers.Adadelta`: steps in units of past steps (Zeiler)."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta: `E[g2] = rho * E[g2] + (1 - rho) * g**2`,
    `d = -sqrt(E[d2] + epsilon) / sqrt(E[g2] + epsilon) * g`,
    `E[d2] = rho * E[d2] + (1 - rho) * d**2`, and `w += lr * d`.

    Args:
        learning_rate: float or schedule (default 0.001; Zeiler's method uses 1.0). rho:
            default 0.95. epsilon: default 1e-7. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> opt = keras.optimizers.Adadelta(learning_rate=1.0, rho=0.0, epsilon=0.01)
    >>> _ = opt.apply_gradients([(tf.constant(0.99), w)])
    >>> round(float(w), 4)  # 1 - sqrt(0.01) / sqrt(0.99**2 + 0.01) * 0.99
    0.9005
    """

    _hyper = ("rho", "epsilon")
    _slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = 1e-7 if epsilon is None else epsilon

    def _update_variable(self, g, var, slots, c) -> None:
        (lr,) = c
        rho, eps = self.rho, self.epsilon
        acc_g, acc_d = slots
        gv = acc_g.value() * rho + self._square(g) * (1.0 - rho)
        acc_g.assign(gv)
        delta = tf.sqrt(acc_d.value() + eps) * g / tf.sqrt(gv + eps)
        acc_d.assign(acc_d.value() * rho + tf.square(delta) * (1.0 - rho))
        var.assign_sub(delta * lr)
