"""`keras.optimizers.Lion`: sign of an interpolated momentum (Chen et al., 2023)."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum): `w -= lr * sign(b1 * m + (1 - b1) * g)`, then
    `m = b2 * m + (1 - b2) * g`.

    Args:
        learning_rate: float or schedule (default 0.001). beta_1: in (0, 1] (default 0.9).
            beta_2: default 0.99. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable([1.0, 1.0])
    >>> _ = keras.optimizers.Lion(0.1).apply_gradients([(tf.constant([3.0, -0.01]), w)])
    >>> w.numpy()
    array([0.9, 1.1], dtype=float32)
    """

    _hyper = ("beta_1", "beta_2")
    _slot_names = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: argument `beta_1` must be in (0, 1]; got "
                             f"beta_1={beta_1}.\nhint: otherwise Lion degenerates to signSGD; "
                             f"0.9 is the default.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def _update_variable(self, g, var, slots, c) -> None:
        (lr,) = c
        (m,) = slots
        mv = m.value()
        var.assign_sub(tf.sign(mv * self.beta_1 + g * (1.0 - self.beta_1)) * lr)
        m.assign(mv * self.beta_2 + g * (1.0 - self.beta_2))
