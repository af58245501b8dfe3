"""compile(steps_per_execution=N): N batches per compiled call, the same training as N=1,
and the batch callbacks once per call (Keras 3's semantics)."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def _data(n=37, d=5, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, d).astype(np.float32), rng.randint(0, classes, n)


def _model(spe, batch_norm=False, optimizer="adam", **compile_kw):
    keras.utils.set_random_seed(1)
    layers = [keras.Input((5,)), keras.layers.Dense(8, activation="relu")]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization())
    model = keras.Sequential(layers + [keras.layers.Dense(3, activation="softmax")])
    opt = keras.optimizers.Adam(0.01) if optimizer == "adam" else keras.optimizers.SGD(0.1)
    model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=spe, **compile_kw)
    return model


def _fit(spe, source="arrays", epochs=3, **kw):
    X, y = _data()
    model = _model(spe, **kw)
    if source == "arrays":
        history = model.fit(X, y, batch_size=4, epochs=epochs, verbose=0)
    elif source == "dataset":
        ds = tf.data.Dataset.from_tensor_slices((X, y)).batch(4)
        history = model.fit(ds, epochs=epochs, verbose=0)
    else:  # a generator that cycles: steps_per_epoch cuts the epochs
        def gen():
            while True:
                for s in range(0, len(X), 4):
                    yield X[s:s + 4], y[s:s + 4]
        history = model.fit(gen(), steps_per_epoch=7, epochs=epochs, verbose=0)
    return model, history.history


# 37 samples in batches of 4: 9 full batches and one of 1; 4 and 3 do not divide 10
@pytest.mark.parametrize("spe", [2, 3, 4, 100])
@pytest.mark.parametrize("source,kw", [("arrays", {}), ("dataset", {}), ("generator", {}),
                                       ("arrays", {"batch_norm": True}),
                                       ("arrays", {"run_eagerly": True})])
def test_training_is_the_same_as_one_step_per_call(spe, source, kw):
    ref, ref_logs = _fit(1, source, **kw)
    model, logs = _fit(spe, source, **kw)
    for a, b in zip(ref.get_weights(), model.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert logs.keys() == ref_logs.keys()
    for key, values in ref_logs.items():
        assert logs[key] == pytest.approx(values, rel=1e-6)
    steps = 7 if source == "generator" else 10
    assert int(model.optimizer.iterations.numpy()) == 3 * steps


def test_sgd_matches_the_update_written_by_hand():
    """Two epochs of plain SGD on a linear model, grouped 4 batches per call, against
    NumPy (mean squared error, batches of 5 taken in order)."""
    rng = np.random.RandomState(3)
    X = rng.randn(23, 3).astype(np.float32)
    y = rng.randn(23, 1).astype(np.float32)
    W, b = rng.randn(3, 1).astype(np.float32), np.zeros(1, np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.set_weights([W, b])
    model.compile(keras.optimizers.SGD(0.05), "mse", steps_per_execution=4)
    model.fit(X, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    W, b = W.astype(np.float64), b.astype(np.float64)
    for _ in range(2):
        for s in range(0, 23, 5):
            xb, yb = X[s:s + 5], y[s:s + 5]
            err = xb @ W + b - yb
            W, b = W - 0.05 * 2 * xb.T @ err / len(xb), b - 0.05 * 2 * err.sum(0) / len(xb)
    np.testing.assert_allclose(model.get_weights()[0], W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-6)


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("train_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("train_end", batch, dict(logs)))

    def on_test_batch_end(self, batch, logs=None):
        self.events.append(("test_end", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("predict_end", batch, tuple(logs["outputs"].shape)))


def test_batch_callbacks_run_once_per_call_with_the_last_steps_logs():
    X, y = _data(n=10)
    model = _model(4, optimizer="sgd")
    rec = _Recorder()
    model.fit(X, y, batch_size=2, epochs=1, verbose=0, callbacks=[rec],
              validation_data=(X, y))
    train = [e for e in rec.events if e[0].startswith("train")]
    # 5 batches: calls of 4 and 1; each hook numbered by the call's first / last step
    assert [e[:2] for e in train] == [("train_begin", 0), ("train_end", 3),
                                      ("train_begin", 4), ("train_end", 4)]
    assert [e for e in rec.events if e[0] == "test_end"] == [("test_end", 3), ("test_end", 4)]
    # the logs at a call's end are the metrics after its last step; after the last call
    # they are the epoch's
    assert set(train[1][2]) == {"loss", "accuracy"}
    assert train[3][2] == pytest.approx({k: v[-1] for k, v in model.history.history.items()
                                         if not k.startswith("val_")})
    rec.events.clear()
    model.predict(X, batch_size=2, verbose=0, callbacks=[rec])
    assert rec.events == [("predict_end", 3, (8, 3)), ("predict_end", 4, (2, 3))]


def test_evaluate_and_predict_agree_with_one_step_per_call():
    X, y = _data()
    ref, model = _model(1), _model(3)
    model.set_weights(ref.get_weights())
    assert model.evaluate(X, y, batch_size=4, verbose=0) == \
        pytest.approx(ref.evaluate(X, y, batch_size=4, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(X, batch_size=4, verbose=0),
                               ref.predict(X, batch_size=4, verbose=0), rtol=1e-6)
    dicts = {"a": X[:, :2], "b": X[:, 2:]}
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    net = keras.Model({"a": a, "b": b}, keras.layers.Dense(2)(keras.layers.Concatenate()([a, b])))
    net.compile("sgd", "mse", steps_per_execution=4)
    expected = net.predict(dicts, batch_size=5, verbose=0)
    np.testing.assert_allclose(expected, net(dicts).numpy(), rtol=1e-6, atol=1e-6)


def test_a_group_is_one_compiled_call_whatever_its_length():
    X, y = _data()
    model = _model(4)
    model.fit(X, y, batch_size=4, epochs=2, verbose=0)
    fns = [f for k, f in model._trainer_state.functions.items() if k[0] == "train"]
    # 9 full batches and a partial one: groups stacked as (4, 4, 5), (4, 4, 5), (1, 4, 5)
    # and (1, 1, 5); traced once for each shape, not again in later epochs
    traces = sum(f.experimental_get_tracing_count() for f in fns)
    model.fit(X, y, batch_size=4, epochs=2, verbose=0)
    assert sum(f.experimental_get_tracing_count() for f in fns) == traces


def test_stop_training_ends_fit_after_the_current_call():
    X, y = _data()
    model = _model(4)

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    model.fit(X, y, batch_size=4, epochs=3, verbose=0, callbacks=[Stop()])
    assert int(model.optimizer.iterations.numpy()) == 4


@pytest.mark.parametrize("bad", [0, -2, 1.5, "auto", True])
def test_bad_steps_per_execution_is_refused(bad):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="(?s)steps_per_execution.*hint:"):
        model.compile("sgd", "mse", steps_per_execution=bad)


def test_jit_compile_is_accepted_and_the_attribute_is_settable():
    X, y = _data()
    model = _model(1, jit_compile=True)
    model.fit(X, y, batch_size=8, epochs=1, verbose=0)
    model.steps_per_execution = 5
    assert model.steps_per_execution == 5
    model.fit(X, y, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 10


_PARITY = r'''
import json, os, sys
import numpy as np
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
if sys.argv[1] == "tf":
    import keras
else:
    from rill import keras
rng = np.random.RandomState(0)
X, y = rng.randn(16, 3).astype("float32"), rng.randn(16, 1).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="tanh"),
                          keras.layers.Dense(1)])
model.set_weights([np.full((3, 2), 0.3, "float32"), np.zeros(2, "float32"),
                   np.ones((2, 1), "float32"), np.zeros(1, "float32")])
model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"], steps_per_execution=4)
events = []

class Recorder(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        events.append(["begin", batch])

    def on_train_batch_end(self, batch, logs=None):
        events.append(["end", batch, round(float(logs["loss"]), 5)])

h = model.fit(X, y, batch_size=2, epochs=2, shuffle=False, verbose=0, callbacks=[Recorder()])
print(json.dumps({"events": events, "history": h.history,
                  "weights": [w.tolist() for w in model.get_weights()],
                  "iterations": int(model.optimizer.iterations.numpy())}))
'''


def test_parity_with_keras_3(tf_python, tmp_path):
    """Two epochs of 8 batches, 4 per call, in rill and in Keras 3: the same callback calls,
    logs, History and weights."""
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "spe.py"
    script.write_text(_PARITY)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    ours, theirs = (json.loads(subprocess.run(
        [python, str(script), which], capture_output=True, text=True, check=True,
        env=env).stdout.strip().splitlines()[-1]) for python, which in
        ((sys.executable, "rill"), (tf_python, "tf")))
    assert ours["events"] == theirs["events"]
    assert ours["iterations"] == theirs["iterations"] == 16
    for key, values in theirs["history"].items():
        assert ours["history"][key] == pytest.approx(values, rel=1e-5)
    for a, b in zip(ours["weights"], theirs["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
