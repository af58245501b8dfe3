"""Sequential: add/pop, the three ways it gets built, summary as Keras 3 prints it."""

import numpy as np
import pytest

from rill import keras

# Real Keras 3.15 (TF 2.21) output for this model, terminal width 80:
#   keras.Sequential([keras.layers.Dense(30, activation="elu", input_shape=(8,), name="hidden"),
#                     keras.layers.Dense(1, name="out")], name="reg").summary()
REG_SUMMARY = """\
Model: "reg"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ hidden (Dense)                  │ (None, 30)             │           270 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ out (Dense)                     │ (None, 1)              │            31 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 301 (1.18 KB)
 Trainable params: 301 (1.18 KB)
 Non-trainable params: 0 (0.00 B)
"""


def _reg():
    return keras.Sequential([
        keras.layers.Dense(30, activation="elu", input_shape=(8,), name="hidden"),
        keras.layers.Dense(1, name="out")], name="reg")


def test_summary_matches_keras_3(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    lines = []
    _reg().summary(print_fn=lines.append)
    assert lines == [REG_SUMMARY]


def test_summary_prints_to_stdout_and_shows_optimizer_params(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    model = _reg()
    model.summary()
    assert capsys.readouterr().out == REG_SUMMARY
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 8), np.float32), np.zeros((4, 1), np.float32), verbose=0)
    model.summary()
    out = capsys.readouterr().out
    # Adam keeps two slots per weight (602) plus its iteration count and learning rate
    assert " Trainable params: 301 (1.18 KB)\n" in out
    assert " Optimizer params: " in out


def test_summary_columns_follow_line_length_and_positions():
    lines = []
    _reg().summary(line_length=60, positions=[0.5, 0.8, 1.0], print_fn=lines.append)
    first = lines[0].splitlines()[1]
    # rich shrinks the padded columns (30+2, 18+2, 12+2) to fit 60 - 4 borders
    assert first == "┏" + "━" * 29 + "┳" + "━" * 16 + "┳" + "━" * 11 + "┓"
    lines = []
    _reg().summary(line_length=76, show_trainable=True, print_fn=lines.append)
    header = lines[0].splitlines()[2]
    assert header.endswith("┃ Trai… ┃")
    assert "│   Y   │" in lines[0]


def test_built_from_input_shape_from_input_or_on_first_call():
    a = _reg()
    assert a.built and len(a.weights) == 4
    b = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    assert b.built and len(b.layers) == 1  # the InputLayer is not among the layers
    c = keras.Sequential([keras.layers.Dense(2)])
    assert not c.built and c.weights == []
    c(np.zeros((3, 8), np.float32))
    assert c.built and [w.shape.as_list() for w in c.weights] == [[8, 2], [2]]


def test_add_and_pop():
    model = keras.Sequential(name="s")
    model.add(keras.Input((4,)))
    model.add(keras.layers.Dense(3, name="d1"))
    model.add(keras.layers.Dense(2, name="d2"))
    assert [layer.name for layer in model.layers] == ["d1", "d2"]
    assert model.predict(np.ones((1, 4), np.float32), verbose=0).shape == (1, 2)
    model.pop()
    assert [layer.name for layer in model.layers] == ["d1"]
    assert model.predict(np.ones((1, 4), np.float32), verbose=0).shape == (1, 3)
    assert model.get_layer("d1") is model.layers[0] is model.get_layer(index=0)
    with pytest.raises(TypeError, match="hint"):
        model.add("dense")
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_unbuilt_summary_explains_how_to_build():
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"(?s)not yet been built.*hint"):
        model.summary()


def test_sequential_inside_functional_and_training():
    inner = keras.Sequential([keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    inp = keras.Input((3,))
    model = keras.Model(inp, inner(inp))
    X = np.random.RandomState(0).randn(16, 3).astype(np.float32)
    W1, b1, W2, b2 = model.get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               np.maximum(X @ W1 + b1, 0) @ W2 + b2, rtol=1e-5, atol=1e-5)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, X[:, :1], epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_weights_round_trip_through_files(tmp_path):
    model = _reg()
    model.set_weights([np.full(w.shape, i, np.float32) for i, w in
                       enumerate(model.get_weights())])
    for name in ("w.weights.h5", "w.npz", "ckpt"):
        path = str(tmp_path / name)
        model.save_weights(path)
        other = _reg()
        other.load_weights(path)
        for a, b in zip(model.get_weights(), other.get_weights()):
            np.testing.assert_array_equal(a, b)
    small = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"(?s)shape \(8, 2\).*holds shape \(8, 30\).*hint"):
        small.load_weights(str(tmp_path / "w.weights.h5"))
    wide = keras.Sequential([keras.layers.Dense(30, input_shape=(7,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"(?s)shape \(7, 30\).*\(8, 30\).*hint"):
        wide.load_weights(str(tmp_path / "w.weights.h5"))
