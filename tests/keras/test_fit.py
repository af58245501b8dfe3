"""fit / evaluate / predict against NumPy re-implementations of the same computation."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def _data(n=20, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)[:d] + 0.3).astype(np.float32)
    return X, y


def _linear(d=3, W=None, b=None):
    model = keras.Sequential([keras.Input(shape=(d,)), keras.layers.Dense(1)])
    W = np.linspace(-0.5, 0.5, d, dtype=np.float32).reshape(d, 1) if W is None else W
    b = np.array([0.1], np.float32) if b is None else b
    model.set_weights([W, b])
    return model


def _mse(W, b, X, y, sw=None):
    per = ((X @ W + b - y) ** 2).mean(axis=-1)
    return float((per if sw is None else per * sw).sum() / len(X))


def test_one_sgd_step_of_fit_equals_the_hand_update():
    X, y = _data()
    W0, b0 = np.linspace(-0.5, 0.5, 3, dtype=np.float32).reshape(3, 1), np.float32([0.1])
    model = _linear(W=W0, b=b0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(X, y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    err = X @ W0 + b0 - y
    W1 = W0 - 0.1 * (2 / len(X)) * X.T @ err
    b1 = b0 - 0.1 * (2 / len(X)) * err.sum(axis=0)
    W, b = model.get_weights()
    np.testing.assert_allclose(W, W1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, b1, rtol=1e-5, atol=1e-6)
    # the logged loss is the loss of the batch before the update
    assert history.history["loss"][0] == pytest.approx(_mse(W0, b0, X, y), rel=1e-5)
    assert model.history is history and history.epoch == [0]


def _mlp_numpy(params, X, y, lr, batch, epochs):
    W1, b1, W2, b2 = [p.astype(np.float64).copy() for p in params]
    losses = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for s in range(0, len(X), batch):
            xb, yb = X[s:s + batch].astype(np.float64), y[s:s + batch].astype(np.float64)
            h = np.maximum(xb @ W1 + b1, 0)
            pred = h @ W2 + b2
            err = pred - yb
            total += (err ** 2).mean() * len(xb)
            count += len(xb)
            d = 2 * err / err.size
            gW2, gb2 = h.T @ d, d.sum(0)
            dh = (d @ W2.T) * (h > 0)
            gW1, gb1 = xb.T @ dh, dh.sum(0)
            W1 -= lr * gW1
            b1 -= lr * gb1
            W2 -= lr * gW2
            b2 -= lr * gb2
        losses.append(total / count)
    return [W1, b1, W2, b2], losses


def test_minibatch_sgd_on_an_mlp_matches_numpy_over_epochs():
    X, y = _data(n=22)
    rng = np.random.RandomState(1)
    params = [rng.randn(3, 5).astype(np.float32) * 0.5, np.zeros(5, np.float32),
              rng.randn(5, 1).astype(np.float32) * 0.5, np.zeros(1, np.float32)]
    model = keras.Sequential([keras.layers.Dense(5, activation="relu", input_shape=(3,)),
                              keras.layers.Dense(1)])
    model.set_weights(params)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(X, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    expected, losses = _mlp_numpy(params, X, y, 0.05, 8, 3)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # the epoch loss is the mean over samples (each batch weighted by its size)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-4)
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 3}


def test_labels_of_shape_n_are_aligned_with_predictions_n_1():
    X, y = _data()
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    W, b = model.get_weights()
    loss, mae = model.evaluate(X, y[:, 0], verbose=0)
    assert loss == pytest.approx(_mse(W, b, X, y), rel=1e-5)
    assert mae == pytest.approx(float(np.abs(X @ W + b - y).mean()), rel=1e-5)


def test_evaluate_returns_a_scalar_a_list_or_a_dict():
    X, y = _data()
    model = _linear()
    W, b = model.get_weights()
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.evaluate(X, y, verbose=0), float)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    result = model.evaluate(X, y, batch_size=6, verbose=0)
    mse = _mse(W, b, X, y)
    np.testing.assert_allclose(result, [mse, np.abs(X @ W + b - y).mean(), mse], rtol=1e-5)
    d = model.evaluate(X, y, verbose=0, return_dict=True)
    assert list(d) == ["loss", "mae", "mse"]


def test_predict_is_batched_and_concatenated():
    X, _ = _data(n=70)
    model = _linear()
    W, b = model.get_weights()
    out = model.predict(X, batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 1)
    np.testing.assert_allclose(out, X @ W + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(X[:5]), X[:5] @ W + b, rtol=1e-5)
    np.testing.assert_allclose(model(X[:5]).numpy(), X[:5] @ W + b, rtol=1e-5)


def test_validation_split_uses_the_last_fraction():
    X, y = _data(n=40)
    model = _linear()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    history = model.fit(X, y, validation_split=0.25, epochs=1, batch_size=10, verbose=0)
    W, b = model.get_weights()
    assert history.history["val_loss"][0] == pytest.approx(_mse(W, b, X[30:], y[30:]),
                                                          rel=1e-5)
    assert history.params["steps"] == 3  # 30 training samples in batches of 10


def test_validation_data_loss_equals_evaluate_after_the_epoch():
    X, y = _data(n=30)
    Xv, yv = _data(n=12, seed=5)
    model = _linear()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse",
                  metrics=["mae"])
    history = model.fit(X, y, validation_data=(Xv, yv), epochs=2, batch_size=7, verbose=0)
    val_loss, val_mae = model.evaluate(Xv, yv, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_mae"][-1] == pytest.approx(val_mae, rel=1e-6)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]


def test_train_loss_equals_evaluate_when_nothing_changes():
    X, y = _data(n=25)
    model = _linear()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse",
                  metrics=["mae"])
    history = model.fit(X, y, epochs=1, batch_size=4, verbose=0)
    loss, mae = model.evaluate(X, y, batch_size=7, verbose=0)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history.history["mae"][0] == pytest.approx(mae, rel=1e-5)


def test_sample_weight_scales_each_sample_loss():
    X, y = _data()
    sw = np.linspace(0, 2, len(X)).astype(np.float32)
    model = _linear()
    W0, b0 = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse",
                  weighted_metrics=["mse"])
    logs = model.evaluate(X, y, sample_weight=sw, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(_mse(W0, b0, X, y, sw), rel=1e-5)
    # the weighted metric divides by the sum of weights
    per = ((X @ W0 + b0 - y) ** 2).mean(-1)
    assert logs["mse"] == pytest.approx(float((per * sw).sum() / sw.sum()), rel=1e-5)
    model.fit(X, y, sample_weight=sw, batch_size=len(X), shuffle=False, verbose=0)
    err = (X @ W0 + b0 - y) * sw[:, None]
    W1 = W0 - 0.1 * (2 / len(X)) * X.T @ err
    np.testing.assert_allclose(model.get_weights()[0], W1, rtol=1e-5, atol=1e-6)


def test_class_weight_is_a_sample_weight_by_class():
    rng = np.random.RandomState(3)
    X = rng.randn(16, 3).astype(np.float32)
    y = rng.randint(0, 3, 16)
    weights = {0: 1.0, 1: 4.0, 2: 0.25}

    def make():
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
        m.set_weights([np.full((3, 3), 0.1, np.float32) + np.eye(3, dtype=np.float32),
                       np.zeros(3, np.float32)])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                  loss="sparse_categorical_crossentropy")
        return m

    a, b = make(), make()
    ha = a.fit(X, y, class_weight=weights, batch_size=16, shuffle=False, verbose=0)
    hb = b.fit(X, y, sample_weight=np.array([weights[c] for c in y], np.float32),
               batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(a.get_weights()[0], b.get_weights()[0], rtol=1e-6)
    z = X @ (np.full((3, 3), 0.1) + np.eye(3))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    hand = float(np.mean(-np.log(p[np.arange(16), y]) * [weights[c] for c in y]))
    assert ha.history["loss"][0] == pytest.approx(hand, rel=1e-5) == hb.history["loss"][0]


@pytest.mark.parametrize("kind", ["binary", "sparse", "categorical"])
def test_accuracy_string_picks_the_variant_from_the_shapes(kind):
    rng = np.random.RandomState(0)
    X = rng.randn(30, 4).astype(np.float32)
    units, act, loss = {"binary": (1, "sigmoid", "binary_crossentropy"),
                        "sparse": (3, "softmax", "sparse_categorical_crossentropy"),
                        "categorical": (3, "softmax", "categorical_crossentropy")}[kind]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=act)])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    p = model.predict(X, verbose=0)
    if kind == "binary":
        y = (rng.rand(30) > 0.5).astype(np.float32)
        hand = np.mean((p[:, 0] > 0.5) == y)
    else:
        labels = rng.randint(0, 3, 30)
        y = labels if kind == "sparse" else np.eye(3, dtype=np.float32)[labels]
        hand = np.mean(p.argmax(1) == labels)
    _, acc = model.evaluate(X, y, verbose=0)
    assert acc == pytest.approx(hand)


def test_no_retracing_across_epochs_with_a_partial_last_batch():
    X, y = _data(n=50)
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, y, batch_size=16, epochs=1, verbose=0)
    fns = dict(model._trainer_state.functions)
    counts = {k: f.experimental_get_tracing_count() for k, f in fns.items()}
    model.fit(X, y, batch_size=16, epochs=4, verbose=0)
    model.fit(X, y, batch_size=16, epochs=2, verbose=0)
    assert {k: f.experimental_get_tracing_count()
            for k, f in model._trainer_state.functions.items()} == counts
    # full batches and the partial one: at most two shapes
    assert all(c <= 3 for c in counts.values())


class _Spy(keras.layers.Layer):
    seen: list = []

    def call(self, inputs, training=None):
        _Spy.seen.append(training)
        return inputs


def test_training_flag_reaches_layers_true_in_fit_false_elsewhere():
    X, y = _data()
    _Spy.seen = []
    model = keras.Sequential([keras.Input((3,)), _Spy(), keras.layers.Dropout(0.999),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    model.fit(X, y, epochs=1, verbose=0, batch_size=20)
    assert True in _Spy.seen and False not in _Spy.seen
    _Spy.seen = []
    W, b = model.get_weights()
    out = model.predict(X, verbose=0)  # no dropout at inference
    np.testing.assert_allclose(out, X @ W + b, rtol=1e-5)
    model.evaluate(X, y, verbose=0)
    assert _Spy.seen and set(_Spy.seen) == {False}


def test_dropout_is_active_in_fit():
    X = np.ones((64, 3), np.float32)
    y = np.zeros((64, 1), np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.5),
                              keras.layers.Dense(1, use_bias=False)])
    model.set_weights([np.ones((3, 1), np.float32)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    loss_train = model.fit(X, y, batch_size=64, verbose=0).history["loss"][0]
    loss_eval = model.evaluate(X, y, verbose=0)
    assert loss_eval == pytest.approx(9.0)
    # with dropout: each of the 3 inputs is 0 or 2, so the mean squared output differs
    assert loss_train != pytest.approx(9.0)


def test_run_eagerly_gives_the_same_training():
    X, y = _data(n=24)
    results = []
    for eager in (False, True):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(1)])
        model.set_weights([np.full((3, 4), 0.2, np.float32), np.zeros(4, np.float32),
                           np.full((4, 1), -0.3, np.float32), np.zeros(1, np.float32)])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"],
                      run_eagerly=eager)
        h = model.fit(X, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
        results.append((h.history, model.get_weights()))
    assert results[0][0].keys() == results[1][0].keys()
    for key in results[0][0]:
        np.testing.assert_allclose(results[0][0][key], results[1][0][key], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_train_and_test_on_batch():
    X, y = _data()
    model = _linear()
    W0, b0 = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse",
                  metrics=["mae"])
    loss, mae = model.test_on_batch(X, y)
    assert loss == pytest.approx(_mse(W0, b0, X, y), rel=1e-5)
    model.reset_metrics()
    logs = model.train_on_batch(X, y, return_dict=True)
    assert logs["loss"] == pytest.approx(_mse(W0, b0, X, y), rel=1e-5)
    err = X @ W0 + b0 - y
    np.testing.assert_allclose(model.get_weights()[0],
                               W0 - 0.1 * (2 / len(X)) * X.T @ err, rtol=1e-5, atol=1e-6)


def test_generators_and_sequences_train_like_arrays():
    X, y = _data(n=24)

    def gen():
        while True:
            for s in range(0, 24, 8):
                yield X[s:s + 8], y[s:s + 8]

    class Seq(keras.utils.Sequence if hasattr(keras.utils, "Sequence") else object):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return X[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    class Batches:  # re-iterable, as a tf.data.Dataset is: one pass per epoch
        def __iter__(self):
            for s in range(0, 24, 8):
                yield X[s:s + 8], y[s:s + 8]

    weights = []
    for data, kwargs in ((X, {"y": y, "batch_size": 8, "shuffle": False}),
                         (gen(), {"steps_per_epoch": 3}), (Seq(), {"shuffle": False}),
                         (Batches(), {})):
        model = _linear()
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
        model.fit(data, epochs=2, verbose=0, **kwargs)
        weights.append(model.get_weights()[0])
    for other in weights[1:]:
        np.testing.assert_allclose(weights[0], other, rtol=1e-6)


def test_early_stopping_end_to_end():
    X, y = _data(n=40)
    model = _linear()
    # a learning rate this large makes the loss grow: EarlyStopping stops after `patience`
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=3.0), loss="mse")
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    history = model.fit(X, y, epochs=20, batch_size=40, verbose=0, callbacks=[stop])
    losses = history.history["loss"]
    # Keras' rule: stop once `patience` epochs in a row did not improve on the best
    assert len(losses) == 2 and losses[1] > losses[0]
    assert model.stop_training


def test_callbacks_get_python_float_logs_and_params():
    X, y = _data(n=10)
    seen = {}

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batch", []).append(dict(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen.setdefault("epoch", []).append(dict(logs))

    model = _linear()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, y, batch_size=4, epochs=2, verbose=0, callbacks=[Spy()])
    assert len(seen["batch"]) == 6 and len(seen["epoch"]) == 2
    for logs in seen["batch"] + seen["epoch"]:
        assert set(logs) == {"loss", "mae"}
        assert all(type(v) is float for v in logs.values())


def test_fit_prints_a_progress_bar(capsys):
    X, y = _data(n=10)
    model = _linear()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, y, batch_size=5, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss" in out


# -- errors ----------------------------------------------------------------------------------
def test_errors_are_clear():
    X, y = _data()
    model = _linear()
    with pytest.raises(RuntimeError, match=r"(?s)compile\(\).*hint"):
        model.fit(X, y, verbose=0)
    with pytest.raises(ValueError, match=r"(?s)unknown loss 'msee'.*mean_squared_error"):
        model.compile(optimizer="sgd", loss="msee")
    with pytest.raises(ValueError, match=r"(?s)unknown optimizer 'sgdd'.*hint"):
        model.compile(optimizer="sgdd", loss="mse")
    with pytest.raises(ValueError, match=r"(?s)unknown metric 'maee'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["maee"])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"(?s)fit.*'x' sizes: 20.*'y' sizes: 10.*hint"):
        model.fit(X, y[:10], verbose=0)


def test_dense_on_rank_1_input_via_fit_is_an_error():
    X, y = _data()
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="hint") as info:
        model.fit(X[:, 0], y, verbose=0)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "x.reshape(-1, 1)" in notes or not hasattr(info.value, "add_note")


def test_predict_on_a_model_without_layers_is_an_error():
    with pytest.raises(ValueError, match="hint"):
        keras.Sequential().predict(np.zeros((2, 3), np.float32), verbose=0)


def test_model_checkpoint_saves_the_best_weights(tmp_path):
    X, y = _data(n=30)
    Xv, yv = _data(n=10, seed=3)
    model = _linear()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    path = str(tmp_path / "best.weights.h5")
    ckpt = keras.callbacks.ModelCheckpoint(path, save_weights_only=True, save_best_only=True)
    history = model.fit(X, y, epochs=4, batch_size=10, validation_data=(Xv, yv), verbose=0,
                        callbacks=[ckpt])
    best = int(np.argmin(history.history["val_loss"]))
    restored = _linear()
    restored.compile(optimizer="sgd", loss="mse")
    restored.load_weights(path)
    assert restored.evaluate(Xv, yv, verbose=0) == pytest.approx(
        history.history["val_loss"][best], rel=1e-5)


def test_run_functions_eagerly_runs_the_python_step_each_batch():
    X, y = _data(n=12)
    calls = []

    class Counting(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            calls.append(tf.executing_eagerly())
            return self.dense(inputs)

    model = Counting()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, y, batch_size=4, epochs=2, verbose=0)
    traced = len(calls)
    assert traced <= 4 and not any(calls)  # traced: Python runs only while tracing
    tf.config.run_functions_eagerly(True)
    try:
        calls.clear()
        model.fit(X, y, batch_size=4, epochs=2, verbose=0)
    finally:
        tf.config.run_functions_eagerly(False)
    assert calls == [True] * 6


def test_an_endless_py_dataset_needs_steps_per_epoch():
    X, y = _data(n=8)

    class Endless(keras.utils.PyDataset):
        def __len__(self):
            raise NotImplementedError

        def __getitem__(self, i):
            return X[:4], y[:4]

    model = _linear()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(Endless(), verbose=0)
    history = model.fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_validation_freq_and_initial_epoch():
    X, y = _data(n=20)
    model = _linear()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, y, epochs=5, initial_epoch=1, validation_data=(X, y),
                        validation_freq=2, verbose=0)
    assert history.epoch == [1, 2, 3, 4]
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_fit_does_not_modify_the_data():
    X, y = _data(n=20)
    X0, y0 = X.copy(), y.copy()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, y, epochs=2, batch_size=20, shuffle=False, verbose=0)
    model.predict(X, verbose=0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
