"""`keras.optimizers.Adamax`: Adam with the infinity norm (Kingma & Ba, section 7)."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax: `m = b1 * m + (1 - b1) * g`, `u = max(b2 * u, |g|)`,
    `w -= lr / (1 - b1**t) * m / (u + epsilon)`.

    Args:
        learning_rate: float or schedule (default 0.001). beta_1: default 0.9. beta_2:
            default 0.999. epsilon: default 1e-7. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> _ = keras.optimizers.Adamax(0.1).apply_gradients([(tf.constant(-2.0), w)])
    >>> round(float(w), 4)
    1.1
    """

    _hyper = ("beta_1", "beta_2", "epsilon")
    _slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2 = beta_1, beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon

    def _coefficients(self, lr, t) -> tuple:
        return (lr / (1.0 - self.beta_1 ** t),)

    def _update_variable(self, g, var, slots, c) -> None:
        (alpha,) = c
        m, u = slots
        mv = m.value()
        mv = mv + (g - mv) * (1.0 - self.beta_1)
        m.assign(mv)
        uv = tf.maximum(u.value() * self.beta_2, self._abs(g))
        u.assign(uv)
        var.assign_sub(mv * alpha / (uv + self.epsilon))
