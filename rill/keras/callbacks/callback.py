"""`Callback`, the base of every callback, and `CallbackList`, which `fit`, `evaluate` and
`predict` use to call every hook of every callback in order."""

from __future__ import annotations

import sys

# the batch hooks of each loop; on_batch_begin/on_batch_end are tf.keras 2's names of the
# train ones (the default train hooks call them)
BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}
INDEXED_HOOKS = ("on_epoch_begin", "on_epoch_end") + tuple(
    hook for hooks in BATCH_HOOKS.values() for hook in hooks)
PLAIN_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
               "on_predict_begin", "on_predict_end")


def print_msg(message: str) -> None:
    """Prints one line to `sys.stdout` as it is now (so redirections and capsys see it)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def check_save_freq(save_freq, who: str):
    """`save_freq` if it is "epoch" or a positive number of batches, else a ValueError."""
    if save_freq != "epoch" and (isinstance(save_freq, bool) or
                                 not isinstance(save_freq, int) or save_freq < 1):
        raise ValueError(f"{who}: `save_freq` must be 'epoch' or a positive number of "
                         f"batches; got {save_freq!r}.\nhint: save_freq='epoch', or e.g. "
                         f"save_freq=100 to save every 100 batches.")
    return save_freq


def pythonify_logs(logs) -> dict:
    """A new dict of the logs with scalar tensors and arrays as Python floats; nested dicts
    merged; keys sorted, as Keras passes logs to callbacks."""
    out: dict = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        if hasattr(value, "numpy"):
            value = value.numpy()
        if getattr(value, "ndim", None) == 0:
            value = float(value)
        out[key] = value
    return out


def _default(hook):
    hook._is_default = True
    return hook


class Callback:
    """The base class of callbacks: override the hooks you need.

    `fit`, `evaluate` and `predict` call `set_model` and `set_params` first, then the hooks.
    `params` is a dict with `verbose`, `epochs` and `steps` (None when the number of steps
    per epoch is unknown); `logs` are dicts of Python floats: at the end of an epoch the
    epoch's metrics plus `val_*` ones; at the end of a batch the metrics so far in the epoch.
    The default `on_train_batch_begin`/`on_train_batch_end` call tf.keras 2's
    `on_batch_begin`/`on_batch_end`, so either name works. Set `self.model.stop_training =
    True` to stop training after the current batch.

    >>> class Collect(keras.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
    >>> cb = Collect()
    >>> cb.on_epoch_end(0, {"loss": 0.25})
    0 0.25
    """

    # class-level defaults, so subclasses whose __init__ skips super().__init__() still work
    params = None
    _model = None

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params: dict) -> None:
        """Stores the loop's parameters (`verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model) -> None:
        """Stores the model being trained, evaluated or run."""
        self._model = model

    @property
    def model(self):
        """The model given to `set_model` (None before)."""
        return self._model

    @model.setter
    def model(self, model):
        self._model = model

    def _implements_batch_hooks(self, kind: str = "train") -> bool:
        """Whether this callback does anything in the batch hooks of `kind` ("train", "test",
        "predict"); loops may skip batch hooks (and their logs) when no callback does."""
        return any(not getattr(getattr(self, hook, None), "_is_default", False)
                   for hook in BATCH_HOOKS[kind])

    @_default
    def on_batch_begin(self, batch, logs=None):
        """tf.keras 2's name of `on_train_batch_begin`."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """tf.keras 2's name of `on_train_batch_end`."""

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each training epoch (`epoch` counts from 0)."""

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each training epoch with the epoch's metrics (and `val_*`)."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch; calls `on_batch_begin` by default."""
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the metrics so far in the epoch; calls
        `on_batch_end` by default."""
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of `evaluate` (and of validation in `fit`)."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of `evaluate` (and of validation in `fit`)."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of `predict`."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of `predict`; `logs["outputs"]` holds the batch's
        outputs."""

    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` (and of each validation in `fit`)."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate` (and of each validation) with its metrics."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""


def _flatten(callbacks) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flatten(item)]
    return [callbacks]


def _check(cb) -> None:
    if isinstance(cb, type):
        raise TypeError(f"CallbackList: `callbacks` holds the class {cb.__name__}, not an "
                        f"instance.\nhint: pass {cb.__name__}(...), e.g. "
                        f"callbacks=[keras.callbacks.EarlyStopping(patience=3)].")
    missing = [h for h in ("set_model", "set_params") + INDEXED_HOOKS + PLAIN_HOOKS
               if not hasattr(cb, h)]
    if missing:
        raise TypeError(f"CallbackList: expected keras.callbacks.Callback instances in "
                        f"`callbacks`; got {cb!r} ({type(cb).__name__}), which lacks "
                        f"{', '.join(missing[:3])}.\nhint: subclass keras.callbacks.Callback, "
                        f"or use keras.callbacks.LambdaCallback(on_epoch_end=...).")


class CallbackList(Callback):
    """Calls each hook on every callback, in order: the given callbacks, then `History` (if
    `add_history` and none is given), then `ProgbarLogger` (if `add_progbar` and none is
    given), as Keras orders them (so `learning_rate` set in the logs by a scheduler shows in
    the history and the progress bar).

    Args:
        callbacks: a callback, or a (nested) list of them.
        add_history: add a `History` unless one is given; it is `self._history`.
        add_progbar: add a `ProgbarLogger` unless one is given; it is `self._progbar`.
        model: the model, given to every callback with `set_model` (and, with a history,
            `model.history` is set to it).
        **params: the loop's parameters (`verbose`, `epochs`, `steps`), given to every
            callback with `set_params`.

    Logs given to the hooks are passed on as new dicts of Python floats (see
    `pythonify_logs`); each hook's dict is shared by the callbacks in turn, so a callback
    may add entries for those after it. `predict` batch logs are passed on unconverted.

    >>> seen = []
    >>> cbs = keras.callbacks.CallbackList(
    ...     [keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))],
    ...     add_history=True, verbose=0, epochs=1, steps=2)
    >>> cbs.on_train_begin(); cbs.on_epoch_end(0, {"loss": 0.5})
    >>> seen, cbs._history.history
    ([0], {'loss': [0.5]})
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params):
        super().__init__()
        from rill.keras.callbacks.history import History
        from rill.keras.callbacks.progbar_logger import ProgbarLogger

        self.callbacks = _flatten(callbacks)
        for cb in self.callbacks:
            _check(cb)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback) -> None:
        """Adds a callback at the end (with this list's model and params)."""
        _check(callback)
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict) -> None:
        """Gives `params` to every callback."""
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model) -> None:
        """Gives `model` to every callback; sets `model.history` to the `History`, if any."""
        self._model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def _should_call_batch_hooks(self, kind: str = "train") -> bool:
        """Whether any callback does something in the batch hooks of `kind`."""
        return any(cb._implements_batch_hooks(kind) if hasattr(cb, "_implements_batch_hooks")
                   else True for cb in self.callbacks)

    @property
    def _should_call_train_batch_hooks(self) -> bool:
        return self._should_call_batch_hooks("train")

    @property
    def _should_call_test_batch_hooks(self) -> bool:
        return self._should_call_batch_hooks("test")

    @property
    def _should_call_predict_batch_hooks(self) -> bool:
        return self._should_call_batch_hooks("predict")

    def _indexed(self, hook: str, index: int, logs) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(index, logs)

    def _plain(self, hook: str, logs) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._indexed("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._indexed("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self._indexed("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._indexed("on_batch_end", batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._indexed("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._indexed("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._indexed("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._indexed("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        logs = dict(logs or {})
        for cb in self.callbacks:
            cb.on_predict_batch_begin(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        logs = dict(logs or {})  # the outputs stay as they are
        for cb in self.callbacks:
            cb.on_predict_batch_end(batch, logs)

    def on_train_begin(self, logs=None):
        self._plain("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._plain("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._plain("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._plain("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._plain("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._plain("on_predict_end", logs)
