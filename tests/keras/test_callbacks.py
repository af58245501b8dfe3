"""keras.callbacks driven by hand as fit/evaluate/predict drive them, on a stand-in model.

Expected values are worked out by hand from each callback's documented rule (noted next to
each case), not read back from the code.
"""

import csv
import doctest
import importlib
import re
import urllib.parse
import warnings

import numpy as np
import pytest

import rill as tf
from rill import keras

cb = keras.callbacks
BAR = "━" * 20
TIME = r"\d+(us|ms|s)/step"


class StubOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate
        self.iterations = 0


class StubModel:
    """What callbacks use of a model: stop_training, weights, optimizer, saving."""

    def __init__(self, learning_rate=0.1, metrics=()):
        self.stop_training = False
        self.optimizer = StubOptimizer(learning_rate)
        self.metrics = list(metrics)
        self.history = None
        self.calls = []
        self._weights = [np.zeros(2), np.zeros(())]

    def get_weights(self):
        return self._weights   # live arrays: callbacks must copy them

    def set_weights(self, weights):
        for w, new in zip(self._weights, weights):
            w[...] = new
        self.calls.append(("set_weights", float(weights[1])))

    def mark(self, value):
        """Sets every weight to `value` (to tell the epochs' weights apart)."""
        for w in self._weights:
            w[...] = value

    def save(self, filepath, overwrite=True):
        self.calls.append(("save", str(filepath)))

    def save_weights(self, filepath, overwrite=True):
        self.calls.append(("save_weights", str(filepath)))


def fit(callbacks, epoch_logs, model=None, steps=2, verbose=0, batch_logs=None):
    """Drives `callbacks` through a fit of len(epoch_logs) epochs as Model.fit does; before
    each epoch's end the weights are set to the epoch's index. Returns (model, list, epochs
    run)."""
    model = model or StubModel()
    cbs = cb.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                          model=model, verbose=verbose, epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    logs, run = None, 0
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            cbs.on_train_batch_end(step, (batch_logs or {}).get((epoch, step), {"loss": 1.0}))
        model.mark(epoch)
        cbs.on_epoch_end(epoch, dict(logs))
        run += 1
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return model, cbs, run


def losses(values, key="val_loss"):
    return [{key: v} for v in values]


def test_doctests():
    for name in ("callback", "history", "early_stopping", "model_checkpoint", "learning_rate",
                 "terminate_on_nan", "lambda_callback"):
        module = importlib.import_module(f"rill.keras.callbacks.{name}")
        result = doctest.testmod(module, extraglobs={"keras": keras},
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, name


# -- Callback and CallbackList -------------------------------------------------------------
class Recorder(cb.Callback):
    """Records every hook it receives, under its tag."""

    def __init__(self, tag, events):
        super().__init__()
        self.tag, self.events = tag, events


def _recording(hook):
    def method(self, *args):
        self.events.append((self.tag, hook) + tuple(a for a in args if not isinstance(a, dict)))
    return method


for _hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
              "on_predict_batch_end", "on_train_begin", "on_train_end", "on_test_begin",
              "on_test_end", "on_predict_begin", "on_predict_end"):
    setattr(Recorder, _hook, _recording(_hook))


def test_callback_list_dispatches_every_hook_in_order():
    events = []
    cbs = cb.CallbackList([Recorder("a", events), [Recorder("b", events)]])
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_test_begin()
    cbs.on_test_batch_begin(0)
    cbs.on_test_batch_end(0)
    cbs.on_test_end()
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_train_end()
    cbs.on_predict_begin()
    cbs.on_predict_batch_begin(3)
    cbs.on_predict_batch_end(3)
    cbs.on_predict_end()
    hooks = ["on_train_begin", ("on_epoch_begin", 0), ("on_train_batch_begin", 0),
             ("on_train_batch_end", 0), "on_test_begin", ("on_test_batch_begin", 0),
             ("on_test_batch_end", 0), "on_test_end", ("on_epoch_end", 0), "on_train_end",
             "on_predict_begin", ("on_predict_batch_begin", 3), ("on_predict_batch_end", 3),
             "on_predict_end"]
    expected = []
    for hook in hooks:
        hook = hook if isinstance(hook, tuple) else (hook,)
        expected += [("a",) + hook, ("b",) + hook]
    assert events == expected


def test_history_and_progbar_are_appended_after_the_given_callbacks():
    first = cb.EarlyStopping()
    cbs = cb.CallbackList([first], add_history=True, add_progbar=True)
    assert [type(c) for c in cbs.callbacks] == [cb.EarlyStopping, cb.History, cb.ProgbarLogger]
    assert cbs._history is cbs.callbacks[1] and cbs._progbar is cbs.callbacks[2]
    assert len(cbs) == 3 and list(cbs) == cbs.callbacks


def test_given_history_and_progbar_are_not_duplicated():
    history, progbar = cb.History(), cb.ProgbarLogger()
    cbs = cb.CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert cbs.callbacks == [progbar, history]
    assert cbs._history is history and cbs._progbar is progbar
    assert cb.CallbackList(None).callbacks == []
    single = cb.TerminateOnNaN()
    assert cb.CallbackList(single).callbacks == [single]


def test_callback_list_sets_model_and_params():
    model = StubModel()
    es, lam = cb.EarlyStopping(), cb.LambdaCallback()
    cbs = cb.CallbackList([es, lam], add_history=True, model=model, verbose=2, epochs=3,
                          steps=7)
    params = {"verbose": 2, "epochs": 3, "steps": 7}
    for c in cbs.callbacks:
        assert c.model is model and c.params == params
    assert model.history is cbs._history
    late = cb.TerminateOnNaN()
    cbs.append(late)
    assert late.model is model and late.params == params and cbs.callbacks[-1] is late


def test_callback_without_super_init_still_works():
    class Bare(cb.Callback):
        def __init__(self):   # skips super().__init__(), as some user code does
            self.n = 0

    bare = Bare()
    assert bare.model is None and bare.params is None
    cb.CallbackList([bare], model="m", verbose=0)
    assert bare.model == "m"


def test_logs_become_sorted_python_floats():
    got = []
    lam = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: got.append(logs))
    cbs = cb.CallbackList([lam])
    cbs.on_epoch_end(0, {"mae": np.float32(0.5), "loss": tf.constant(0.25),
                         "nested": {"acc": np.array(0.75)}})
    cbs.on_epoch_end(1)
    assert got[0] == {"acc": 0.75, "loss": 0.25, "mae": 0.5}
    # top-level keys sorted; a nested dict's entries take its key's place
    assert list(got[0]) == ["loss", "mae", "acc"]
    assert all(type(v) is float for v in got[0].values())
    assert got[1] == {}


def test_each_hook_shares_one_logs_dict_so_later_callbacks_see_additions():
    model = StubModel(learning_rate=0.5)
    _, cbs, _ = fit([cb.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))],
                    losses([1.0, 2.0]), model=model)
    assert cbs._history.history == {"val_loss": [1.0, 2.0], "learning_rate": [0.1, 0.2]}


def test_predict_batch_outputs_pass_through_unconverted():
    got = []
    out = np.ones((2, 3))
    cbs = cb.CallbackList([cb.LambdaCallback(
        on_predict_batch_end=lambda batch, logs: got.append(logs["outputs"]))])
    cbs.on_predict_batch_end(0, {"outputs": out})
    assert got[0] is out


def test_train_batch_hooks_call_the_tf_keras_2_names():
    events = []

    class Old(cb.Callback):
        def on_batch_begin(self, batch, logs=None):
            events.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            events.append(("end", batch, logs["loss"]))

    cbs = cb.CallbackList([Old()])
    cbs.on_train_batch_begin(4)
    cbs.on_train_batch_end(4, {"loss": 0.5})
    cbs.on_test_batch_end(4, {"loss": 9.0})       # not a training batch
    cbs.on_predict_batch_end(4, {"outputs": 1})
    assert events == [("begin", 4), ("end", 4, 0.5)]


def test_which_callbacks_need_batch_hooks():
    class Batchy(cb.Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    def needs(callbacks, kind="train"):
        return cb.CallbackList(callbacks)._should_call_batch_hooks(kind)

    assert not needs([cb.History(), cb.EarlyStopping(), cb.CSVLogger("x.csv")])
    assert needs([Batchy()]) and not needs([Batchy()], "test")
    assert needs([cb.TerminateOnNaN()])
    assert needs([cb.ProgbarLogger()]) and needs([cb.ProgbarLogger()], "predict")
    assert not needs([cb.LambdaCallback(on_epoch_end=print)])
    assert needs([cb.LambdaCallback(on_batch_end=print)])
    assert needs([cb.LambdaCallback(on_test_batch_end=print)], "test")
    assert not needs([cb.ModelCheckpoint("m.keras")])
    assert needs([cb.ModelCheckpoint("m.keras", save_freq=5)])
    cbs = cb.CallbackList([Batchy()])
    assert cbs._should_call_train_batch_hooks and not cbs._should_call_test_batch_hooks
    assert not cbs._should_call_predict_batch_hooks


def test_lambda_batch_hooks_are_visible_on_the_class():
    """Loops that look for overridden hooks on the class see LambdaCallback's."""
    lam = cb.LambdaCallback(on_batch_end=print)
    assert type(lam).on_train_batch_end is not cb.Callback.on_train_batch_end


def test_callback_list_errors():
    with pytest.raises(TypeError, match=r"class EarlyStopping, not an instance") as info:
        cb.CallbackList([cb.EarlyStopping])
    assert "hint: pass EarlyStopping(...)" in str(info.value)
    with pytest.raises(TypeError, match=r"expected keras.callbacks.Callback instances") as info:
        cb.CallbackList([lambda epoch, logs: None])
    assert "LambdaCallback" in str(info.value) and "hint:" in str(info.value)


# -- History -------------------------------------------------------------------------------
def test_history_records_epoch_logs():
    model, cbs, _ = fit([], [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 0.5}])
    history = cbs._history
    assert history.history == {"loss": [0.5, 0.25], "val_loss": [0.75, 0.5]}
    assert history.epoch == [0, 1]
    assert model.history is history
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_history_epoch_restarts_with_each_training():
    history = cb.History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 2.0})
    assert history.epoch == [0] and history.history == {"loss": [1.0, 2.0]}


# -- ProgbarLogger -------------------------------------------------------------------------
def test_progbar_logger_fit_verbose_1(capsys):
    epoch_logs = [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 1e-4}]
    fit([], epoch_logs, steps=3, verbose=1)
    lines = capsys.readouterr().out.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == ""
    assert re.fullmatch(rf"3/3 {BAR} 0s {TIME} - loss: 0\.5000 - val_loss: 0\.7500", lines[1])
    assert re.fullmatch(rf"3/3 {BAR} 0s {TIME} - loss: 0\.2500 - val_loss: 1\.0000e-04",
                        lines[3])


def test_progbar_logger_shows_logs_as_given_not_averaged(capsys):
    """Batch logs are running means already; the epoch's line shows the epoch logs."""
    batch_logs = {(0, 0): {"loss": 3.0}, (0, 1): {"loss": 1.0}}
    fit([], [{"loss": 2.5}], steps=2, verbose=1, batch_logs=batch_logs)
    out = capsys.readouterr().out
    assert "Epoch" not in out   # a single epoch has no "Epoch 1/1" line, as in Keras
    assert re.fullmatch(rf"2/2 {BAR} 0s {TIME} - loss: 2\.5000\n", out)


def test_progbar_logger_verbose_2(capsys):
    fit([], [{"loss": 0.5}, {"loss": 0.25}], steps=4, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(rf"4/4 - 0s - {TIME} - loss: 0\.5000", lines[1])
    assert re.fullmatch(rf"4/4 - 0s - {TIME} - loss: 0\.2500", lines[3])


def test_progbar_logger_silent_validation_and_verbose_0(capsys):
    logger = cb.ProgbarLogger()
    cbs = cb.CallbackList([logger], verbose=1, epochs=1, steps=1)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_test_begin()                  # fit's validation: nothing printed
    cbs.on_test_batch_end(0, {"loss": 7.0})
    cbs.on_test_end({"loss": 7.0})
    cbs.on_epoch_end(0, {"loss": 1.0, "val_loss": 7.0})
    cbs.on_train_end()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("- loss: 1.0000 - val_loss: 7.0000\n")
    fit([], [{"loss": 1.0}], verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_logger_evaluate_and_predict(capsys):
    cbs = cb.CallbackList(None, add_progbar=True, verbose=1, epochs=1, steps=3)
    cbs.on_test_begin()
    for step in range(3):
        cbs.on_test_batch_end(step, {"loss": 2.0})
    cbs.on_test_end({"loss": 2.0, "mae": 0.5})
    assert re.fullmatch(rf"3/3 {BAR} 0s {TIME} - loss: 2\.0000 - mae: 0\.5000\n",
                        capsys.readouterr().out)
    cbs = cb.CallbackList(None, add_progbar=True, verbose=1, epochs=1, steps=None)
    cbs.on_predict_begin()
    for step in range(5):   # an unknown number of steps: the bar learns it at the end
        cbs.on_predict_batch_end(step, {"outputs": np.zeros(2)})
    cbs.on_predict_end()
    assert re.fullmatch(rf"5/5 {BAR} 0s {TIME}\n", capsys.readouterr().out)


def test_progbar_logger_after_fit_prints_evaluate(capsys):
    """The same logger is silent in fit's validation but prints a later evaluate."""
    logger = cb.ProgbarLogger()
    fit([logger], [{"loss": 1.0}], verbose=1)
    capsys.readouterr()
    cbs = cb.CallbackList([logger], verbose=1, epochs=1, steps=1)
    cbs.on_test_begin()
    cbs.on_test_end({"loss": 3.0})
    assert capsys.readouterr().out.endswith("- loss: 3.0000\n")


def test_progbar_logger_on_a_terminal(monkeypatch):
    import io
    import sys

    class FakeTerminal(io.StringIO):
        def isatty(self):
            return True

    out = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    fit([], [{"loss": 0.5}], steps=2, verbose=1)
    text = out.getvalue()
    assert text.startswith("\r\x1b[1m1/2\x1b[0m ") and text.endswith("- loss: 0.5000\n")
    assert "\r\x1b[1m2/2\x1b[0m " in text


# -- EarlyStopping ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, values, stopped, run", [
    # patience 0: the first epoch that does not improve stops (never the first epoch)
    (dict(), [1.0, 0.9, 0.95, 0.8], 2, 3),
    # patience 2: improvements at 0 and 2, then epochs 3 and 4 do not improve
    (dict(patience=2), [1.0, 1.1, 0.5, 0.6, 0.7, 0.4], 4, 5),
    # min_delta 0.1: 0.95 is not below 1.0 - 0.1
    (dict(patience=1, min_delta=0.1), [1.0, 0.95, 0.92, 0.85], 1, 2),
    # min_delta 0.01: each epoch improves by more than 0.01
    (dict(patience=1, min_delta=0.01), [1.0, 0.95, 0.92, 0.85], 0, 4),
    # a negative min_delta counts as its absolute value
    (dict(patience=1, min_delta=-0.1), [1.0, 0.95, 0.92, 0.85], 1, 2),
    # start_from_epoch 2: epochs 0 and 1 are not watched
    (dict(start_from_epoch=2), [1.0, 2.0, 3.0, 2.5, 2.6], 4, 5),
    (dict(), [1.0, 2.0, 3.0, 2.5, 2.6], 1, 2),
])
def test_early_stopping(kwargs, values, stopped, run):
    es = cb.EarlyStopping(**kwargs)
    model, _, epochs_run = fit([es], losses(values))
    assert es.stopped_epoch == stopped and epochs_run == run
    assert model.stop_training == (stopped > 0)


def test_early_stopping_baseline():
    # the best improves (0.9 then 0.8) but never beats 0.5: patience counts from the start,
    # and epoch 2 (no improvement, 3 epochs waited) stops
    es = cb.EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    _, _, run = fit([es], losses([0.9, 0.8, 0.85, 0.7], "loss"))
    assert (es.stopped_epoch, run) == (2, 3)
    # without a baseline epoch 2 is the first epoch waited
    es = cb.EarlyStopping(monitor="loss", patience=2)
    _, _, run = fit([es], losses([0.9, 0.8, 0.85, 0.7], "loss"))
    assert (es.stopped_epoch, run) == (0, 4)
    # beating the baseline at epoch 1 resets the count: epochs 2 and 3 wait, 3 stops
    es = cb.EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    _, _, run = fit([es], losses([0.9, 0.4, 0.45, 0.46, 0.47], "loss"))
    assert (es.stopped_epoch, run) == (3, 4)


def test_early_stopping_mode_auto_maximizes_accuracy():
    values = [0.5, 0.6, 0.55]
    es = cb.EarlyStopping(monitor="val_accuracy")
    fit([es], losses(values, "val_accuracy"))
    assert es.stopped_epoch == 2 and es.best == 0.6
    es = cb.EarlyStopping(monitor="val_accuracy", mode="min")
    fit([es], losses(values, "val_accuracy"))
    assert es.stopped_epoch == 1 and es.best == 0.5
    for name in ("val_acc", "auc", "val_sparse_categorical_accuracy", "precision"):
        assert cb.EarlyStopping(monitor=name).monitor_op(2, 1)       # greater is better
    for name in ("val_loss", "mae", "val_mean_squared_error", "val_output_1_loss"):
        assert cb.EarlyStopping(monitor=name).monitor_op(1, 2)       # less is better


def test_mode_from_a_metric_direction_and_unknown_names():
    class Custom:
        name, _direction = "score", "up"

    class Container:
        metrics = [Custom()]

    es = cb.EarlyStopping(monitor="val_score")
    fit([es], losses([1.0, 2.0, 1.5], "val_score"), model=StubModel(metrics=[Container()]))
    assert es.stopped_epoch == 2 and es.best == 2.0
    es = cb.EarlyStopping(monitor="val_score")
    with pytest.warns(UserWarning, match=r"cannot tell whether monitor='val_score'") as rec:
        fit([es], losses([1.0, 2.0, 1.5], "val_score"))
    assert "hint: pass mode='max'" in str(rec[0].message)
    assert es.stopped_epoch == 1   # minimized


def test_early_stopping_restores_the_best_weights(capsys):
    es = cb.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    # best at epoch 1; epochs 2 and 3 do not improve: stop at 3, restore epoch 1's weights
    model, _, run = fit([es], losses([1.0, 0.5, 0.7, 0.8, 0.1]))
    assert run == 4 and es.best_epoch == 1
    assert model.calls == [("set_weights", 1.0)]
    np.testing.assert_array_equal(model.get_weights()[0], [1.0, 1.0])
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best "
                                       "epoch: 2.\n")


def test_early_stopping_restores_even_without_stopping():
    es = cb.EarlyStopping(patience=5, restore_best_weights=True)
    model, _, run = fit([es], losses([1.0, 0.5, 0.7]))
    assert run == 3 and es.stopped_epoch == 0
    assert model.calls == [("set_weights", 1.0)]
    es = cb.EarlyStopping(patience=5)
    model, _, _ = fit([es], losses([1.0, 0.5, 0.7]))
    assert model.calls == []


def test_early_stopping_missing_metric_warns_with_available_keys():
    es = cb.EarlyStopping()
    with pytest.warns(UserWarning) as rec:
        model, _, run = fit([es], [{"loss": 1.0, "mae": 2.0}] * 3)
    message = str(rec[0].message)
    assert "Early stopping conditioned on metric `val_loss` which is not available" in message
    assert "Available metrics are: loss, mae" in message
    assert "hint: pass validation_data" in message
    assert run == 3 and not model.stop_training


def test_early_stopping_argument_errors():
    with pytest.raises(ValueError, match=r"EarlyStopping: `patience` must be >= 0; got -1"):
        cb.EarlyStopping(patience=-1)
    with pytest.warns(UserWarning, match=r"EarlyStopping: mode 'bigger' is unknown"):
        es = cb.EarlyStopping(mode="bigger")
    assert es.mode == "auto"


# -- ReduceLROnPlateau ------------------------------------------------------------------------
def lr_after_each_epoch(callback, values, learning_rate=1.0, key="val_loss"):
    model = StubModel(learning_rate)
    rates, logged = [], []
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        logs = {key: value}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        rates.append(model.optimizer.learning_rate)
    return rates, logged


def test_reduce_lr_on_plateau_factor_and_patience():
    # no improvement after epoch 0: every 2nd epoch waited halves the rate
    rates, logged = lr_after_each_epoch(cb.ReduceLROnPlateau(factor=0.5, patience=2),
                                        [1.0] * 5)
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.5]   # the rate before the epoch's cut
    # improvements reset the count
    rates, _ = lr_after_each_epoch(cb.ReduceLROnPlateau(factor=0.5, patience=2),
                                   [1.0, 0.5, 0.5, 0.4, 0.4])
    assert rates == [1.0] * 5


def test_reduce_lr_on_plateau_min_delta():
    # 0.95 improves on 1.0 by less than min_delta=0.1: a cut at epoch 1
    rates, _ = lr_after_each_epoch(cb.ReduceLROnPlateau(factor=0.5, patience=1,
                                                        min_delta=0.1), [1.0, 0.95])
    assert rates == [1.0, 0.5]


def test_reduce_lr_on_plateau_cooldown():
    # cut at epoch 1 (cooldown 2); epoch 2 spends one cooldown epoch and is not counted;
    # epoch 3 spends the last one, counts, and cuts; epoch 4 is in cooldown; epoch 5 cuts
    rates, _ = lr_after_each_epoch(cb.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2),
                                   [1.0] * 6)
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_reduce_lr_on_plateau_min_lr():
    rates, _ = lr_after_each_epoch(cb.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05),
                                   [1.0] * 4)
    assert rates[:2] == [1.0, 0.1] and rates[2] == rates[3] == pytest.approx(0.05)


def test_reduce_lr_on_plateau_mode_max(capsys):
    reduce = cb.ReduceLROnPlateau("accuracy", factor=0.5, patience=1, verbose=1)
    rates, _ = lr_after_each_epoch(reduce, [0.5, 0.6, 0.6], key="accuracy")
    assert rates == [1.0, 1.0, 0.5]
    assert capsys.readouterr().out == ("\nEpoch 3: ReduceLROnPlateau reducing learning rate "
                                       "to 0.5.\n")


def test_reduce_lr_assigns_a_variable_in_place():
    var = tf.Variable(0.1)
    model = StubModel(var)
    reduce = cb.ReduceLROnPlateau("loss", factor=0.5, patience=0)
    fit([reduce], losses([1.0, 1.0], "loss"), model=model)
    assert model.optimizer.learning_rate is var
    assert var.numpy() == np.float32(0.05)


def test_reduce_lr_with_a_rill_optimizer():
    model = StubModel()
    model.optimizer = keras.optimizers.SGD(learning_rate=0.1)
    reduce = cb.ReduceLROnPlateau("loss", factor=0.1, patience=0)
    _, cbs, _ = fit([reduce], losses([1.0, 1.0], "loss"), model=model)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01, rel=1e-6)
    assert cbs._history.history["learning_rate"] == [pytest.approx(0.1)] * 2


def test_reduce_lr_errors():
    with pytest.raises(ValueError, match=r"`factor` must be < 1.*factor=1.5") as info:
        cb.ReduceLROnPlateau(factor=1.5)
    assert "hint:" in str(info.value)
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau: unexpected arguments \['foo'\]"):
        cb.ReduceLROnPlateau(foo=1)
    with pytest.warns(UserWarning, match="epsilon"):
        assert cb.ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5
    model = StubModel()
    model.optimizer = None
    reduce = cb.ReduceLROnPlateau()
    reduce.set_model(model)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: the model has no optimizer"):
        reduce.on_epoch_end(0, {"val_loss": 1.0})


def test_reduce_lr_with_a_schedule_cannot_cut():
    model = StubModel()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model.optimizer = keras.optimizers.SGD(learning_rate=schedule)
    reduce = cb.ReduceLROnPlateau("loss", patience=0)
    reduce.set_model(model)
    logs = {"loss": 1.0}
    reduce.on_epoch_end(0, logs)
    assert logs["learning_rate"] == pytest.approx(0.1)   # the schedule at step 0
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau: cannot set the optimizer's"):
        reduce.on_epoch_end(1, {"loss": 1.0})


def test_learning_rate_read_from_a_schedule_object():
    from rill.keras.callbacks.learning_rate import get_learning_rate

    opt = StubOptimizer(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    opt.iterations = tf.Variable(10, dtype=tf.int64)
    assert get_learning_rate(opt) == pytest.approx(0.05)   # 0.1 * 0.5 ** (10 / 10)
    assert get_learning_rate(StubOptimizer(tf.constant(0.25))) == 0.25


# -- LearningRateScheduler -------------------------------------------------------------------
def test_scheduler_with_epoch_only():
    sched = cb.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch)
    model, cbs, _ = fit([sched], losses([1.0, 1.0, 1.0]))
    assert cbs._history.history["learning_rate"] == [0.1, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.025


def test_scheduler_with_epoch_and_lr():
    def schedule(epoch, lr):
        return lr * 0.5 if epoch > 0 else lr

    model, cbs, _ = fit([cb.LearningRateScheduler(schedule)], losses([1.0] * 3),
                        model=StubModel(learning_rate=1.0))
    assert cbs._history.history["learning_rate"] == [1.0, 0.5, 0.25]

    def with_default(epoch, lr=None):   # two positional parameters: gets the rate
        return 2 * lr

    model, cbs, _ = fit([cb.LearningRateScheduler(with_default)], losses([1.0] * 2),
                        model=StubModel(learning_rate=1.0))
    assert cbs._history.history["learning_rate"] == [2.0, 4.0]


def test_scheduler_with_a_keras_schedule_and_a_variable():
    var = tf.Variable(1.0)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model = StubModel(var)
    fit([cb.LearningRateScheduler(schedule)], losses([1.0] * 3), model=model)
    assert model.optimizer.learning_rate is var
    assert var.numpy() == np.float32(0.025)      # 0.1 * 0.5 ** 2


def test_scheduler_verbose(capsys):
    sched = cb.LearningRateScheduler(lambda epoch: 0.5, verbose=1)
    fit([sched], losses([1.0]))
    assert capsys.readouterr().out == ("\nEpoch 1: LearningRateScheduler setting learning "
                                       "rate to 0.5.\n")


def test_scheduler_errors():
    with pytest.raises(TypeError, match=r"LearningRateScheduler: `schedule` must be"):
        cb.LearningRateScheduler(0.1)
    sched = cb.LearningRateScheduler(lambda epoch: "fast")
    sched.set_model(StubModel())
    with pytest.raises(ValueError, match=r"must return a float; got 'fast' \(str\) for epoch 0"):
        sched.on_epoch_begin(0)

    class NoLR:
        pass

    model = StubModel()
    model.optimizer = NoLR()
    sched = cb.LearningRateScheduler(lambda epoch: 0.1)
    sched.set_model(model)
    with pytest.raises(ValueError, match=r"optimizer NoLR has no `learning_rate`"):
        sched.on_epoch_begin(0)


# -- TerminateOnNaN --------------------------------------------------------------------------
@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
def test_terminate_on_nan(loss, capsys):
    model = StubModel()
    cbs = cb.CallbackList([cb.TerminateOnNaN()], model=model)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cbs.on_test_batch_end(1, {"loss": loss})      # evaluation batches do not count
    assert not model.stop_training
    cbs.on_train_batch_end(2, {"loss": np.float32(loss)})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_terminate_on_nan_raise_error():
    cbs = cb.CallbackList([cb.TerminateOnNaN(raise_error=True)], model=StubModel())
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 3") as info:
        cbs.on_train_batch_end(3, {"loss": float("nan")})
    assert "hint:" in str(info.value)


def raw(path):
    return path.read_bytes().decode()   # keeps the csv module's \r\n line ends


# -- CSVLogger -------------------------------------------------------------------------------
def test_csv_logger_writes_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "acc": 0.25, "val_loss": 1.0, "val_acc": 0.125},
            {"loss": 0.375, "acc": 0.5, "val_loss": 0.75, "val_acc": 0.25}]
    fit([cb.CSVLogger(path)], logs)
    assert raw(path) == ("epoch,acc,loss,val_acc,val_loss\r\n"
                                "0,0.25,0.5,0.125,1.0\r\n"
                                "1,0.5,0.375,0.25,0.75\r\n")


def test_csv_logger_adds_val_columns_as_keras_does(tmp_path):
    path = tmp_path / "log.csv"
    fit([cb.CSVLogger(path, separator=";")], [{"loss": 0.5}, {"loss": 0.25, "val_loss": 1.0}])
    assert raw(path) == "epoch;loss;val_loss\r\n0;0.5;NA\r\n1;0.25;1.0\r\n"


def test_csv_logger_flushes_each_row(tmp_path):
    path = tmp_path / "log.csv"
    logger = cb.CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 1.0})
    with open(path, newline="") as f:      # readable before training ends
        assert list(csv.reader(f)) == [["epoch", "loss", "val_loss"], ["0", "0.5", "1.0"]]
    logger.on_train_end()
    assert logger.csv_file.closed


def test_csv_logger_append(tmp_path):
    path = tmp_path / "log.csv"
    fit([cb.CSVLogger(path)], [{"loss": 0.5, "val_loss": 1.0}])
    fit([cb.CSVLogger(path, append=True)], [{"loss": 0.25, "val_loss": 0.75}])
    assert raw(path) == ("epoch,loss,val_loss\r\n0,0.5,1.0\r\n0,0.25,0.75\r\n")
    fit([cb.CSVLogger(path)], [{"loss": 2.0, "val_loss": 3.0}])     # overwrites
    assert raw(path) == "epoch,loss,val_loss\r\n0,2.0,3.0\r\n"
    fresh = tmp_path / "new.csv"
    fit([cb.CSVLogger(fresh, append=True)], [{"loss": 2.0, "val_loss": 3.0}])
    assert raw(fresh) == "epoch,loss,val_loss\r\n0,2.0,3.0\r\n"


# -- ModelCheckpoint -------------------------------------------------------------------------
def test_checkpoint_every_epoch(tmp_path):
    path = str(tmp_path / "model_{epoch:02d}.keras")
    model, _, _ = fit([cb.ModelCheckpoint(path)], losses([1.0, 2.0, 3.0]))
    assert model.calls == [("save", str(tmp_path / f"model_0{i}.keras")) for i in (1, 2, 3)]


def test_checkpoint_weights_only_and_names_from_logs(tmp_path):
    path = str(tmp_path / "w_{epoch:02d}-{val_loss:.2f}.weights.h5")
    ckpt = cb.ModelCheckpoint(path, save_weights_only=True)
    model, _, _ = fit([ckpt], losses([1.0, 0.5]))
    assert model.calls == [("save_weights", str(tmp_path / "w_01-1.00.weights.h5")),
                           ("save_weights", str(tmp_path / "w_02-0.50.weights.h5"))]


def test_checkpoint_best_only(tmp_path, capsys):
    path = str(tmp_path / "best_{epoch}.keras")
    ckpt = cb.ModelCheckpoint(path, save_best_only=True, verbose=1)
    # epoch 1 (1.0) is the first best; 1.2 is worse; 0.8 better; 0.8 again is not better
    model, _, _ = fit([ckpt], losses([1.0, 1.2, 0.8, 0.8]))
    assert [c[1] for c in model.calls] == [str(tmp_path / "best_1.keras"),
                                           str(tmp_path / "best_3.keras")]
    assert ckpt.best == 0.8
    out = capsys.readouterr().out
    assert (f"\nEpoch 1: val_loss improved from None to 1.00000, saving model to "
            f"{tmp_path / 'best_1.keras'}\n") in out
    assert "\nEpoch 2: val_loss did not improve from 1.00000\n" in out
    assert f"\nEpoch 3: finished saving model to {tmp_path / 'best_3.keras'}\n" in out


def test_checkpoint_best_only_max_and_threshold(tmp_path):
    path = str(tmp_path / "m{epoch}.keras")
    ckpt = cb.ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
    model, _, _ = fit([ckpt], losses([0.5, 0.4, 0.7], "val_accuracy"))
    assert [c[1][-8:] for c in model.calls] == ["m1.keras", "m3.keras"]
    ckpt = cb.ModelCheckpoint(path, save_best_only=True, initial_value_threshold=0.9)
    model, _, _ = fit([ckpt], losses([1.0, 0.85, 0.95]))
    assert [c[1][-8:] for c in model.calls] == ["m2.keras"]


def test_checkpoint_best_only_without_the_metric_warns_and_saves(tmp_path):
    ckpt = cb.ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match=r"can save best model only with val_loss available"):
        model, _, _ = fit([ckpt], [{"loss": 1.0}])
    assert len(model.calls) == 1


def test_checkpoint_every_n_batches(tmp_path):
    path = str(tmp_path / "m_{epoch}_{batch}.keras")
    ckpt = cb.ModelCheckpoint(path, save_freq=2)
    # 3 batches per epoch: saves after the 2nd, 4th and 6th batch seen
    model, _, _ = fit([ckpt], losses([1.0, 1.0]), steps=3)
    assert [c[1][len(str(tmp_path)) + 1:] for c in model.calls] == [
        "m_1_2.keras", "m_2_1.keras", "m_2_3.keras"]


def test_checkpoint_creates_directories(tmp_path):
    path = tmp_path / "a" / "b" / "m.keras"
    model, _, _ = fit([cb.ModelCheckpoint(path)], losses([1.0]))
    assert (tmp_path / "a" / "b").is_dir() and model.calls == [("save", str(path))]


def test_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match=r"ModelCheckpoint: `save_freq` must be 'epoch'"):
        cb.ModelCheckpoint("m.keras", save_freq="batch")
    with pytest.raises(ValueError, match=r"got 0"):
        cb.ModelCheckpoint("m.keras", save_freq=0)
    ckpt = cb.ModelCheckpoint(str(tmp_path / "m_{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match=r"no 'val_acc' in the logs") as info:
        fit([ckpt], losses([1.0]))
    assert "Available: epoch, val_loss" in str(info.value) and "hint:" in str(info.value)
    ckpt = cb.ModelCheckpoint(str(tmp_path))
    with pytest.raises(IsADirectoryError, match="is an existing directory"):
        fit([ckpt], losses([1.0]))


# -- LambdaCallback --------------------------------------------------------------------------
def test_lambda_callback_hooks():
    events = []
    lam = cb.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_batch_end=lambda batch, logs: events.append(("batch_end", batch, logs["loss"])),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, logs["val_loss"])),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_batch_end=lambda batch, logs: events.append(("test_batch_end", batch)))
    fit([lam], losses([0.5]), steps=2)
    cb.CallbackList([lam]).on_test_batch_end(7)
    assert events == ["train_begin", ("epoch_begin", 0), ("batch_end", 0, 1.0),
                      ("batch_end", 1, 1.0), ("epoch_end", 0, 0.5), "train_end",
                      ("test_batch_end", 7)]


def test_lambda_callback_errors():
    with pytest.raises(TypeError, match=r"LambdaCallback: unexpected arguments \['on_step'\]"):
        cb.LambdaCallback(on_step=print)
    with pytest.raises(TypeError, match=r"`on_epoch_end` must be a function"):
        cb.LambdaCallback(on_epoch_end=3)


# -- RemoteMonitor and TensorBoard -----------------------------------------------------------
def test_remote_monitor_posts_epoch_logs(monkeypatch):
    from rill.keras.callbacks import remote_monitor

    sent = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    def urlopen(request, timeout=None):
        sent.append(request)
        return Response()

    monkeypatch.setattr(remote_monitor.urllib.request, "urlopen", urlopen)
    monitor = cb.RemoteMonitor(root="http://example.test", headers={"X-Run": "7"})
    monitor.on_epoch_end(2, {"loss": np.float32(0.5)})
    request = sent[0]
    assert request.full_url == "http://example.test/publish/epoch/end/"
    assert request.get_method() == "POST" and request.get_header("X-run") == "7"
    form = urllib.parse.parse_qs(request.data.decode())
    assert form == {"data": ['{"epoch": 2, "loss": 0.5}']}
    cb.RemoteMonitor(send_as_json=True).on_epoch_end(0, {"loss": 1.0})
    assert sent[1].data == b'{"epoch": 0, "loss": 1.0}'
    assert sent[1].get_header("Content-type") == "application/json"


def test_remote_monitor_unreachable_warns():
    monitor = cb.RemoteMonitor(root="http://127.0.0.1:9")    # nothing listens there
    with pytest.warns(UserWarning, match=r"RemoteMonitor: could not reach the server"):
        monitor.on_epoch_end(0, {"loss": 1.0})


def test_tensorboard_stand_in_warns_once_and_writes_nothing(tmp_path, monkeypatch):
    from rill.keras.callbacks import tensorboard

    monkeypatch.setattr(tensorboard, "_warned", False)
    log_dir = tmp_path / "logs"
    board = cb.TensorBoard(log_dir, histogram_freq=1, write_graph=False, profile_batch=0)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fit([board], losses([1.0]))
        fit([cb.TensorBoard(str(log_dir))], losses([1.0]))
    assert len(rec) == 1 and "rill does not write TensorBoard logs yet" in str(rec[0].message)
    assert "hint:" in str(rec[0].message)
    assert not log_dir.exists() and board.histogram_freq == 1
