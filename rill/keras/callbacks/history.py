"""`History`: the epoch-end logs of a `fit`, which `fit` returns (also as `model.history`)."""

from __future__ import annotations

from rill.keras.callbacks.callback import Callback


class History(Callback):
    """Records the logs of each epoch: `history` maps each name (`loss`, metrics, `val_*`)
    to its list of values, one per epoch; `epoch` lists the epochs (from 0).

    `fit` adds one to its callbacks and returns it.

    >>> h = keras.callbacks.History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25})
    >>> h.history, h.epoch
    ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
