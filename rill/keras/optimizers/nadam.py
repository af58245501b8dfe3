"""`keras.optimizers.Nadam`: Adam with Nesterov momentum (Dozat)."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam, Dozat's "Incorporating Nesterov Momentum into Adam" with Keras' momentum
    schedule `u_t = b1 * (1 - 0.5 * 0.96**t)` (Dozat's paper uses `0.96**(t / 250)`).

    At step `t`: `P_t = u_1 * ... * u_t` (kept in a variable), `m = b1 * m + (1 - b1) * g`,
    `v = b2 * v + (1 - b2) * g**2`,
    `m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)`,
    `v_hat = v / (1 - b2**t)`, and `w -= lr * m_hat / (sqrt(v_hat) + epsilon)`.

    Args:
        learning_rate: float or schedule (default 0.001). beta_1: default 0.9. beta_2:
            default 0.999. epsilon: default 1e-7. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> _ = keras.optimizers.Nadam(learning_rate=0.01).apply_gradients([(tf.constant(1.), w)])
    >>> round(float(w), 4)
    0.9894
    """

    _hyper = ("beta_1", "beta_2", "epsilon")
    _slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2 = beta_1, beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon
        self._u_product = None

    def build(self, var_list) -> None:
        """Creates the moments of each variable and the running product of the momentum
        schedule."""
        super().build(var_list)
        if self._u_product is None:
            dtype = var_list[0].dtype if var_list else tf.float32
            self._u_product = self._new_variable(1.0, dtype, "u_product")

    def _coefficients(self, lr, t) -> tuple:
        b1 = self.beta_1
        decay = 0.96 ** t
        u_t = b1 - 0.5 * b1 * decay
        u_next = b1 - 0.5 * b1 * 0.96 * decay
        if isinstance(t, float):  # eager: Python floats
            product = float(self._u_product.numpy()) * u_t
            self._u_product.assign(product)
        else:
            product = tf.cast(self._u_product.value(), tf.float64) * u_t
            self._u_product.assign(tf.cast(product, self._u_product.dtype))
        # sqrt(v / (1 - b2**t)) + eps, divided through by 1 / sqrt(1 - b2**t)
        k = (1.0 - self.beta_2 ** t) ** 0.5
        lr_k = lr * k
        return (lr_k * u_next / (1.0 - product * u_next), lr_k * (1.0 - u_t) / (1.0 - product),
                self.epsilon * k)

    def _update_variable(self, g, var, slots, c) -> None:
        c_m, c_g, eps = c
        m, v = slots
        mv = m.value()
        mv = mv + (g - mv) * (1.0 - self.beta_1)
        m.assign(mv)
        vv = v.value()
        vv = vv + (self._square(g) - vv) * (1.0 - self.beta_2)
        v.assign(vv)
        var.assign_sub((mv * c_m + g * c_g) / (tf.sqrt(vv) + eps))
