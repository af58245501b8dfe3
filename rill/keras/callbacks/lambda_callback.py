"""`LambdaCallback`: a callback made of plain functions."""

from __future__ import annotations

from rill.keras.callbacks.callback import BATCH_HOOKS, INDEXED_HOOKS, PLAIN_HOOKS, Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the given functions, called with positional arguments:
    `(epoch, logs)` for epoch hooks, `(batch, logs)` for batch hooks and `(logs)` for the
    begin/end hooks. Any hook name is accepted (`on_test_batch_end=...`); `on_batch_begin`
    and `on_batch_end` run for training batches, as in tf.keras 2.

    >>> cb = keras.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: print("epoch", epoch, logs["loss"]))
    >>> cb.on_epoch_end(0, {"loss": 0.5})
    epoch 0 0.5
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(INDEXED_HOOKS + PLAIN_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unexpected arguments {unknown}.\nhint: the hooks "
                            f"are {', '.join(INDEXED_HOOKS + PLAIN_HOOKS)}.")
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        for name, fn in given.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"LambdaCallback: `{name}` must be a function; got {fn!r}."
                                f"\nhint: e.g. LambdaCallback({name}=lambda *args: None).")
        self._hooks = {name: fn for name, fn in given.items() if fn is not None}

    def _implements_batch_hooks(self, kind: str = "train") -> bool:
        return any(hook in self._hooks for hook in BATCH_HOOKS[kind])


def _indexed(name):
    default = getattr(Callback, name)

    def hook(self, index, logs=None):
        fn = self._hooks.get(name)
        if fn is None:
            return default(self, index, logs)
        return fn(index, logs)

    hook.__name__ = name
    return hook


def _plain(name):
    def hook(self, logs=None):
        fn = self._hooks.get(name)
        if fn is not None:
            fn(logs)

    hook.__name__ = name
    return hook


# class-level hooks (not instance attributes), so that loops checking the class for
# overridden batch hooks see them
for _name in INDEXED_HOOKS:
    setattr(LambdaCallback, _name, _indexed(_name))
for _name in PLAIN_HOOKS:
    setattr(LambdaCallback, _name, _plain(_name))
del _name
