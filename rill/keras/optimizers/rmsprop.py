"""`keras.optimizers.RMSprop`: steps scaled by a moving average of squared gradients."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum.

    `v = rho * v + (1 - rho) * g**2`; centered: `a = rho * a + (1 - rho) * g` and
    `d = v - a**2 + epsilon`, else `d = v + epsilon`; `step = lr * g / sqrt(d)`; with
    momentum `s = momentum * s + step` and `w -= s`, else `w -= step`.

    Args:
        learning_rate: float or schedule (default 0.001). rho: decay of the average
            (default 0.9). momentum: default 0. epsilon: default 1e-7. centered: subtract
            the squared mean gradient. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> _ = keras.optimizers.RMSprop(0.01).apply_gradients([(tf.constant(2.0), w)])
    >>> round(float(w), 4)  # 1 - 0.01 * 2 / sqrt(0.1 * 4)
    0.9684
    """

    _hyper = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.momentum = rho, momentum
        self.epsilon = 1e-7 if epsilon is None else epsilon
        self.centered = bool(centered)
        self._slot_names = ("velocity",) + (("momentum",) if momentum > 0 else ()) + (
            ("average_gradient",) if centered else ())

    def _update_variable(self, g, var, slots, c) -> None:
        (lr,) = c
        rho = self.rho
        v = slots[0]
        vv = v.value() * rho + self._square(g) * (1.0 - rho)
        v.assign(vv)
        if self.centered:
            a = slots[-1]
            av = a.value() * rho + g * (1.0 - rho)
            a.assign(av)
            denominator = vv - tf.square(av) + self.epsilon
        else:
            denominator = vv + self.epsilon
        step = g * lr / tf.sqrt(denominator)
        if self.momentum > 0:
            s = slots[1]
            step = s.value() * self.momentum + step
            s.assign(step)
        var.assign_sub(step)
