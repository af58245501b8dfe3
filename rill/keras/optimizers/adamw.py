"""`keras.optimizers.AdamW`: Adam with decoupled weight decay (Loshchilov & Hutter)."""

from __future__ import annotations

from rill.keras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose weights also decay, apart from the gradient: each step first
    `w -= w * weight_decay * lr`, then the Adam update.

    Args:
        learning_rate: default 0.001. weight_decay: default 0.004. beta_1, beta_2, epsilon,
            amsgrad: as in `Adam`. Other keyword arguments: see `Optimizer`.

    >>> w = tf.Variable(1.0)
    >>> opt = keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> _ = opt.apply_gradients([(tf.constant(1.0), w)])
    >>> round(float(w), 4)  # 1 - 1 * 0.5 * 0.1, then - 0.1
    0.85
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float; got None.\nhint: use "
                             "keras.optimizers.Adam for no weight decay.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
