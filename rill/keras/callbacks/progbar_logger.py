"""`ProgbarLogger`: prints `fit`'s, `evaluate`'s and `predict`'s progress with `Progbar`."""

from __future__ import annotations

from rill.keras.callbacks.callback import Callback, print_msg
from rill.keras.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints a progress bar per epoch (and for `evaluate` and `predict`), as Keras does:

        Epoch 1/5
        8/8 ━━━━━━━━━━━━━━━━━━━━ 0s 14ms/step - loss: 0.6415 - val_loss: 0.5184

    `params["verbose"]` chooses the bar (1) or one line per epoch (2); the `Epoch i/n` line
    is printed when `params["epochs"] > 1`; `params["steps"]` is the bar's length (None
    when unknown: the bar counts the steps and knows the length at the end of the epoch).
    The values shown are the logs as given: running means within an epoch, and the epoch's
    metrics plus `val_*` ones at its end. Validation inside `fit` is silent.

    `fit`, `evaluate` and `predict` add one when `verbose` is not 0.
    """

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self) -> None:
        self.seen = 0
        self.progbar = None
        self._bar()  # the clock starts now (verbose=2 sees no batch until the end)

    def _bar(self) -> Progbar:
        if self.progbar is None:
            self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=())  # fit's logs are already means
        return self.progbar

    def _update(self, batch, logs) -> None:
        self.seen = batch + 1
        if self.verbose == 1:
            self._bar().update(self.seen, logs, finalize=False)

    def _finalize(self, logs) -> None:
        bar = self._bar()
        if bar.target is None:
            bar.target = self.seen
        bar.update(bar.target, logs, finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._reset()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)
