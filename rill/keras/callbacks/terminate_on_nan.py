"""`TerminateOnNaN`: stops training when the loss becomes NaN or infinite."""

from __future__ import annotations

import math

from rill.keras.callbacks.callback import Callback, print_msg


class TerminateOnNaN(Callback):
    """Stops training (`model.stop_training = True`) at the first batch whose `loss` is NaN
    or infinite, or raises `RuntimeError` with `raise_error=True`.

    >>> class Stub: stop_training = False
    >>> cb = keras.callbacks.TerminateOnNaN()
    >>> cb.set_model(Stub())
    >>> cb.on_batch_end(3, {"loss": float("nan")})
    Batch 3: Invalid loss, terminating training
    >>> cb.model.stop_training
    True
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"TerminateOnNaN: NaN or Inf loss encountered at batch {batch}. "
                               f"Loss value: {loss}. Terminating training immediately.\nhint: "
                               f"lower the learning rate, clip gradients (clipnorm=1.0), or "
                               f"check the inputs for NaN.")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
