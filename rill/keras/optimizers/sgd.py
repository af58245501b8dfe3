"""`keras.optimizers.SGD`: gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

import rill as tf
from rill.keras.optimizers.base_optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent.

    Without momentum `w -= lr * g`. With momentum (Keras' form, the learning rate inside the
    velocity): `v = momentum * v - lr * g`, then `w += v`, or with `nesterov`
    `w += momentum * v - lr * g`.

    Args:
        learning_rate: float or schedule (default 0.01). momentum: in [0, 1] (default 0).
        nesterov: use Nesterov momentum. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(tf.constant(1.0), w)])
    >>> round(float(w), 4)  # 1 - 0.1 - (0.9 * 0.1 + 0.1)
    0.71
    """

    _hyper = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float in [0, 1]; got {momentum!r}.\n"
                             f"hint: 0.9 is a common choice; 0 disables momentum.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slot_names = ("momentum",) if self.momentum else ()

    def _sparse_step(self, g, var, slots, c) -> bool:
        if slots:  # the velocity decays everywhere: dense, as in Keras
            return False
        (lr,) = c
        var.scatter_sub(tf.IndexedSlices(g.values * lr, g.indices, g.dense_shape))
        return True

    def _update_variable(self, g, var, slots, c) -> None:
        (lr,) = c
        if not slots:
            var.assign_sub(g * lr)
            return
        m = slots[0]
        step = g * lr
        velocity = m.value() * self.momentum - step
        m.assign(velocity)
        var.assign_add(velocity * self.momentum - step if self.nesterov else velocity)
