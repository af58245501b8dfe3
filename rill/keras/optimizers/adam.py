"""`keras.optimizers.Adam`: adaptive moment estimation (Kingma & Ba), optionally AMSGrad."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Adam(Optimizer):
    """Adam, with the bias correction folded into the step size.

    `m = b1 * m + (1 - b1) * g`, `v = b2 * v + (1 - b2) * g**2`,
    `w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + epsilon)` at step `t = 1, 2, ...`
    (epsilon is added to sqrt(v) unscaled, as in Keras). With `amsgrad`, `v` in the step is
    the running maximum of `v` (Reddi et al.).

    Args:
        learning_rate: float or schedule (default 0.001). beta_1: default 0.9. beta_2:
            default 0.999. epsilon: default 1e-7. amsgrad: default False. Other keyword
            arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> _ = keras.optimizers.Adam(0.1).apply_gradients([(tf.constant(3.0), w)])
    >>> round(float(w), 4)  # the first step is lr * sign(g)
    0.9
    """

    _hyper = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2 = beta_1, beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon
        self.amsgrad = bool(amsgrad)
        self._slot_names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())

    def _coefficients(self, lr, t) -> tuple:
        return (lr * (1.0 - self.beta_2 ** t) ** 0.5 / (1.0 - self.beta_1 ** t),)

    def _update_variable(self, g, var, slots, c) -> None:
        (alpha,) = c
        m, v = slots[0], slots[1]
        mv = m.value()
        mv = mv + (g - mv) * (1.0 - self.beta_1)
        m.assign(mv)
        vv = v.value()
        vv = vv + (self._square(g) - vv) * (1.0 - self.beta_2)
        v.assign(vv)
        if self.amsgrad:
            vv = tf.maximum(slots[2].value(), vv)
            slots[2].assign(vv)
        var.assign_sub(mv * alpha / (tf.sqrt(vv) + self.epsilon))
