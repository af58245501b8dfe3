"""Functional models: graphs of layers and raw ops, several inputs and outputs, shared layers,
nested models; losses per output checked against NumPy."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def _set(layer, W, b):
    layer.set_weights([np.asarray(W, np.float32), np.asarray(b, np.float32)])


def test_sequential_functional_and_subclassed_agree():
    rng = np.random.RandomState(0)
    weights = [rng.randn(4, 6).astype(np.float32), rng.randn(6).astype(np.float32),
               rng.randn(6, 2).astype(np.float32), rng.randn(2).astype(np.float32)]
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                            keras.layers.Dense(2)])
    inp = keras.Input((4,))
    out = keras.layers.Dense(2)(keras.layers.Dense(6, activation="relu")(inp))
    fun = keras.Model(inputs=inp, outputs=out)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = keras.layers.Dense(6, activation="relu")
            self.d2 = keras.layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    sub = Sub()
    sub.build((None, 4))
    X = rng.randn(9, 4).astype(np.float32)
    hand = np.maximum(X @ weights[0] + weights[1], 0) @ weights[2] + weights[3]
    for model in (seq, fun, sub):
        model.set_weights(weights)
        np.testing.assert_allclose(model.predict(X, verbose=0), hand, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(model(X).numpy(), hand, rtol=1e-5, atol=1e-5)
    assert type(fun).__name__ == "Functional" and isinstance(fun, keras.Model)


def _two_in_two_out():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    h = keras.layers.Dense(4, activation="tanh", name="h")(a)
    main = keras.layers.Dense(1, name="main")(keras.layers.concatenate([h, b], name="concatenate"))
    aux = keras.layers.Dense(3, activation="softmax", name="aux")(h)
    model = keras.Model(inputs=[a, b], outputs=[main, aux])
    rng = np.random.RandomState(1)
    _set(model.get_layer("h"), rng.randn(3, 4) * 0.5, rng.randn(4) * 0.1)
    _set(model.get_layer("main"), rng.randn(6, 1) * 0.5, [0.2])
    _set(model.get_layer("aux"), rng.randn(4, 3) * 0.5, np.zeros(3))
    return model


def _two_forward(model, A, B):
    Wh, bh = model.get_layer("h").get_weights()
    h = np.tanh(A @ Wh + bh)
    Wm, bm = model.get_layer("main").get_weights()
    main = np.concatenate([h, B], 1) @ Wm + bm
    Wa, ba = model.get_layer("aux").get_weights()
    z = h @ Wa + ba
    aux = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    return main, aux


def test_several_inputs_and_outputs_with_loss_dicts_and_weights():
    rng = np.random.RandomState(2)
    A, B = rng.randn(12, 3).astype(np.float32), rng.randn(12, 2).astype(np.float32)
    y_main = rng.randn(12, 1).astype(np.float32)
    y_aux = rng.randint(0, 3, 12)
    model = _two_in_two_out()
    assert model.output_names == ["main", "aux"]
    model.compile(optimizer="sgd",
                  loss={"main": "mse", "aux": "sparse_categorical_crossentropy"},
                  loss_weights={"main": 0.9, "aux": 0.1},
                  metrics={"main": ["mae"], "aux": ["accuracy"]})
    logs = model.evaluate({"a": A, "b": B}, {"main": y_main, "aux": y_aux}, verbose=0,
                          return_dict=True)
    main, aux = _two_forward(model, A, B)
    mse = float(np.mean((main - y_main) ** 2))
    ce = float(np.mean(-np.log(aux[np.arange(12), y_aux])))
    assert logs["main_loss"] == pytest.approx(mse, rel=1e-5)
    assert logs["aux_loss"] == pytest.approx(ce, rel=1e-5)
    assert logs["loss"] == pytest.approx(0.9 * mse + 0.1 * ce, rel=1e-5)
    assert logs["main_mae"] == pytest.approx(float(np.mean(np.abs(main - y_main))), rel=1e-5)
    assert logs["aux_accuracy"] == pytest.approx(float(np.mean(aux.argmax(1) == y_aux)))
    # Keras 3's order: the loss, the per-output losses, then the other metrics by name
    values = model.evaluate([A, B], [y_main, y_aux], verbose=0)
    assert values == pytest.approx([logs["loss"], logs["main_loss"], logs["aux_loss"],
                                    logs["aux_accuracy"], logs["main_mae"]])
    history = model.fit([A, B], [y_main, y_aux], epochs=1, verbose=0)
    assert sorted(history.history) == ["aux_accuracy", "aux_loss", "loss", "main_loss",
                                       "main_mae"]
    out = model.predict({"a": A, "b": B}, verbose=0)
    assert isinstance(out, list) and out[0].shape == (12, 1) and out[1].shape == (12, 3)


def test_loss_lists_and_one_loss_for_every_output():
    rng = np.random.RandomState(3)
    A, B = rng.randn(8, 3).astype(np.float32), rng.randn(8, 2).astype(np.float32)
    y1, y2 = rng.randn(8, 1).astype(np.float32), rng.rand(8, 3).astype(np.float32)
    model = _two_in_two_out()
    main, aux = _two_forward(model, A, B)
    l1, l2 = float(np.mean((main - y1) ** 2)), float(np.mean((aux - y2) ** 2))
    model.compile(optimizer="sgd", loss=["mse", "mse"], loss_weights=[1.0, 0.5])
    assert model.evaluate([A, B], [y1, y2], verbose=0)[0] == pytest.approx(l1 + 0.5 * l2,
                                                                          rel=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate([A, B], [y1, y2], verbose=0)[0] == pytest.approx(l1 + l2, rel=1e-5)
    with pytest.raises(ValueError, match="hint"):
        model.compile(optimizer="sgd", loss=["mse"] * 3)
        model.evaluate([A, B], [y1, y2], verbose=0)


def test_raw_tf_ops_on_symbolic_tensors_are_replayed():
    inp = keras.Input(shape=(3,))
    dense = keras.layers.Dense(2, name="d")
    z = dense(inp)
    z = tf.concat([z * 2.0 + 1.0, tf.reduce_sum(inp, axis=1, keepdims=True)], axis=1)
    out = tf.nn.relu(z - 1.5)
    model = keras.Model(inp, out)
    _set(dense, [[1.0, -1.0], [0.5, 0.5], [0.0, 2.0]], [0.1, -0.2])
    X = np.random.RandomState(4).randn(5, 3).astype(np.float32)
    W, b = dense.get_weights()
    hand = np.maximum(np.concatenate([(X @ W + b) * 2 + 1, X.sum(1, keepdims=True)], 1)
                      - 1.5, 0)
    np.testing.assert_allclose(model.predict(X, verbose=0), hand, rtol=1e-5, atol=1e-6)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    model.fit(X, hand, epochs=1, verbose=0)  # differentiable through the raw ops


def test_shared_layers_apply_the_same_weights_twice():
    a = keras.Input((3,))
    b = keras.Input((3,))
    shared = keras.layers.Dense(2, name="shared")
    out = keras.layers.subtract([shared(a), shared(b)])
    model = keras.Model([a, b], out)
    assert len(model.trainable_weights) == 2
    W, bias = shared.get_weights()
    rng = np.random.RandomState(5)
    A, B = rng.randn(4, 3).astype(np.float32), rng.randn(4, 3).astype(np.float32)
    np.testing.assert_allclose(model.predict([A, B], verbose=0), (A - B) @ W, rtol=1e-5,
                               atol=1e-5)


def test_nested_models_are_layers():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu")],
                             name="inner")
    inp = keras.Input((3,))
    out = keras.layers.Dense(1)(inner(inp))
    outer = keras.Model(inp, out)
    inp2 = keras.Input((3,))
    outermost = keras.Model(inp2, outer(inp2) * 3.0)
    assert len(outermost.weights) == 4
    W1, b1, W2, b2 = outermost.get_weights()
    X = np.random.RandomState(6).randn(5, 3).astype(np.float32)
    hand = (np.maximum(X @ W1 + b1, 0) @ W2 + b2) * 3
    np.testing.assert_allclose(outermost.predict(X, verbose=0), hand, rtol=1e-5, atol=1e-5)
    outermost.compile(optimizer="sgd", loss="mse")
    outermost.fit(X, hand, epochs=1, verbose=0)
    assert outer.get_layer("inner") is inner


def test_dict_inputs_and_outputs_by_name():
    a = keras.Input((2,), name="a")
    b = keras.Input((2,), name="b")
    model = keras.Model({"a": a, "b": b}, {"sum": keras.layers.add([a, b]),
                                           "diff": keras.layers.subtract([a, b])})
    A, B = np.ones((3, 2), np.float32), np.full((3, 2), 2.0, np.float32)
    out = model.predict({"b": B, "a": A}, verbose=0)
    np.testing.assert_allclose(out["sum"], A + B)
    np.testing.assert_allclose(out["diff"], A - B)


def test_inputs_of_the_wrong_shape_are_an_error():
    model = keras.Model(*(lambda i: (i, keras.layers.Dense(1)(i)))(keras.Input((3,))))
    with pytest.raises(ValueError, match=r"(?s)expected.*3.*hint"):
        model.predict(np.zeros((2, 4), np.float32), verbose=0)


def test_get_layer_by_name_or_index():
    model = _two_in_two_out()
    assert model.get_layer("aux").name == "aux"
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError, match=r"(?s)no layer named 'nope'.*aux"):
        model.get_layer("nope")


def test_functional_summary_has_the_keras_3_layout():
    model = _two_in_two_out()
    lines = []
    model.summary(line_length=76, print_fn=lines.append)
    text = lines[0]
    # the table as real Keras 3.15 prints it (TF 2.21) for the same graph and names
    expected_rows = [
        "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃",
        "│ a (InputLayer)      │ (None, 3)         │          0 │ -                 │",
        "│ h (Dense)           │ (None, 4)         │         16 │ a[0][0]           │",
        "│ b (InputLayer)      │ (None, 2)         │          0 │ -                 │",
        "│ concatenate         │ (None, 6)         │          0 │ h[0][0], b[0][0]  │",
        "│ (Concatenate)       │                   │            │                   │",
        "│ main (Dense)        │ (None, 1)         │          7 │ concatenate[0][0] │",
        "│ aux (Dense)         │ (None, 3)         │         15 │ h[0][0]           │",
    ]
    rows = [ln for ln in text.splitlines() if ln.startswith(("│", "┃"))]
    assert rows == expected_rows
    assert text.startswith(f'Model: "{model.name}"\n┏━━━━')
    assert " Total params: 38 (152.00 B)\n" in text
    assert " Trainable params: 38 (152.00 B)\n" in text
    assert " Non-trainable params: 0 (0.00 B)\n" in text


# Real Keras 3.15 (TF 2.21), terminal width 80, for the model built in the test below
OUTER_EXPANDED = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ x (InputLayer)                  │ (None, 3)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ inner (Sequential)              │ (None, 4)              │            16 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ di (Dense)                 │ (None, 4)              │            16 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ o (Dense)                       │ (None, 1)              │             5 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 21 (84.00 B)
 Trainable params: 21 (84.00 B)
 Non-trainable params: 0 (0.00 B)
"""
OUTER_TRAINABLE_ROWS = [
    "┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃",
    "│ x (InputLayer)              │ (None, 3)             │          0 │   -   │",
    "│ inner (Sequential)          │ (None, 4)             │         16 │   N   │",
    "│ o (Dense)                   │ (None, 1)             │          5 │   Y   │",
]


def test_nested_summary_expanded_and_trainable(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu",
                                                                    name="di")], name="inner")
    inp = keras.Input((3,), name="x")
    outer = keras.Model(inp, keras.layers.Dense(1, name="o")(inner(inp)), name="outer")
    lines = []
    outer.summary(expand_nested=True, print_fn=lines.append)
    assert lines == [OUTER_EXPANDED]
    inner.trainable = False
    lines = []
    outer.summary(show_trainable=True, print_fn=lines.append)
    rows = [ln for ln in lines[0].splitlines() if ln.startswith(("│", "┃"))]
    assert rows == OUTER_TRAINABLE_ROWS
    assert " Non-trainable params: 16 (64.00 B)\n" in lines[0]


def test_raw_ops_show_in_the_summary_as_tf_keras_2_named_them():
    inp = keras.Input((3,), name="i")
    out = keras.layers.Dense(2, name="d")(tf.concat([inp, inp * 2.0], axis=1))
    lines = []
    keras.Model(inp, out).summary(line_length=150, print_fn=lines.append)
    assert "tf.math.multiply (TFOpLambda)" in lines[0] and "tf.concat (TFOpLambda)" in lines[0]
    assert "i[0][0], tf.math.multiply[0][0]" in lines[0]
