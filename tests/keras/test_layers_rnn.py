"""Recurrent layers: SimpleRNN, LSTM, GRU and their cells, RNN over custom and stacked cells,
Bidirectional, TimeDistributed, ConvLSTM.

Values are checked against NumPy steps written here from the published equations with Keras'
gate order (LSTM: input, forget, candidate, output; GRU: update, reset, candidate), gradients
against central differences, traced against eager (and the traced loop is one While node).
"""

import types

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.layers._rnn_cell import module_objects
from tests.keras.layer_harness import run_layer_test
from tests.keras.tf_layer_parity import assert_parity, run_docstrings

L = types.SimpleNamespace(**module_objects())
pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


# -- NumPy references --------------------------------------------------------------------------
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(w, u, b):
    h_units = u.shape[0]

    def step(x, states):
        h, c = states
        z = x @ w + h @ u + (0 if b is None else b)
        i, f, g, o = (z[:, k * h_units:(k + 1) * h_units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, [h, c]
    return step


def gru_step(w, u, b, reset_after):
    n = u.shape[0]

    def step(x, states):
        h = states[0]
        b_in = 0 if b is None else (b[0] if reset_after else b)
        xz = x @ w + b_in
        if reset_after:
            hz = h @ u + (0 if b is None else b[1])
            z = sigmoid(xz[:, :n] + hz[:, :n])
            r = sigmoid(xz[:, n:2 * n] + hz[:, n:2 * n])
            cand = np.tanh(xz[:, 2 * n:] + r * hz[:, 2 * n:])
        else:
            z = sigmoid(xz[:, :n] + h @ u[:, :n])
            r = sigmoid(xz[:, n:2 * n] + h @ u[:, n:2 * n])
            cand = np.tanh(xz[:, 2 * n:] + (r * h) @ u[:, 2 * n:])
        h = z * h + (1 - z) * cand
        return h, [h]
    return step


def simple_step(w, u, b):
    def step(x, states):
        h = np.tanh(x @ w + states[0] @ u + (0 if b is None else b))
        return h, [h]
    return step


def np_rnn(step, x, states, mask=None, go_backwards=False, zero_output=False):
    """(outputs in processing order, last output, final states), masked steps skipped."""
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    outs, prev = [], None
    for t in steps:
        out, new = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            keep = np.zeros_like(out) if prev is None or zero_output else prev
            out = np.where(m, out, keep)
            new = [np.where(m, a, s) for a, s in zip(new, states)]
        outs.append(out)
        prev, states = out, new
    return np.stack(outs, 1), prev, states


def reference(layer, x, **kwargs):
    cell = layer.cell
    w = [np.asarray(v, np.float64) for v in layer.get_weights()]
    bias = w[2] if len(w) > 2 else None
    if isinstance(cell, L.LSTMCell):
        step, zeros = lstm_step(w[0], w[1], bias), 2
    elif isinstance(cell, L.GRUCell):
        step, zeros = gru_step(w[0], w[1], bias, cell.reset_after), 1
    else:
        step, zeros = simple_step(w[0], w[1], bias), 1
    states = kwargs.pop("states", None) or [np.zeros((x.shape[0], cell.units))] * zeros
    return np_rnn(step, x.astype(np.float64), states, **kwargs)


KINDS = [("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
         ("LSTM", {"use_bias": False}), ("GRU", {"use_bias": False})]


def _x(shape=(3, 6, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k[0]}-{sorted(k[1])}")
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mode", ["eager", "traced", "unroll"])
def test_values_against_numpy(kind, go_backwards, mode):
    name, extra = kind
    x = _x()
    layer = getattr(L, name)(5, return_sequences=True, return_state=True,
                             go_backwards=go_backwards, unroll=mode == "unroll", **extra)
    call = tf.function(layer) if mode == "traced" else layer
    seq, *states = call(x)
    ref_seq, ref_last, ref_states = reference(layer, x, go_backwards=go_backwards)
    np.testing.assert_allclose(seq, ref_seq, rtol=1e-5, atol=1e-5)
    for a, b in zip(states, ref_states):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    last = getattr(L, name)(5, go_backwards=go_backwards, **extra)
    last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(x), ref_last, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS[:4], ids=lambda k: f"{k[0]}-{sorted(k[1])}")
@pytest.mark.parametrize("traced", [False, True])
def test_initial_state_and_mask(kind, traced):
    name, extra = kind
    x = _x()
    rng = np.random.default_rng(1)
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False  # post-padding
    mask[1, :2] = False  # pre-padding
    mask[2, 3] = False  # a hole
    layer = getattr(L, name)(5, return_sequences=True, return_state=True, **extra)
    n_states = 2 if name == "LSTM" else 1
    h0 = [rng.standard_normal((3, 5)).astype(np.float32) for _ in range(n_states)]
    for zero_output in (False, True):
        layer.zero_output_for_mask = zero_output
        call = tf.function(layer) if traced else layer  # a new trace for the new setting
        seq, *states = call(x, initial_state=h0, mask=mask)
        ref_seq, _, ref_states = reference(layer, x, states=[s.astype(np.float64) for s in h0],
                                           mask=mask, zero_output=zero_output)
        np.testing.assert_allclose(seq, ref_seq, rtol=1e-5, atol=1e-5)
        for a, b in zip(states, ref_states):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_cells_step_by_hand():
    x = _x((2, 4))
    for cell, n in ((L.LSTMCell(3), 2), (L.GRUCell(3), 1), (L.GRUCell(3, reset_after=False), 1),
                    (L.SimpleRNNCell(3), 1)):
        h = [np.full((2, 3), 0.5, np.float32)] * n
        out, new = cell(x, h)
        wrapper = L.RNN(cell)
        ref_out, _, ref_new = reference(wrapper, x[:, None], states=[s.astype(np.float64)
                                                                      for s in h])
        np.testing.assert_allclose(out, ref_out[:, 0], rtol=1e-5, atol=1e-6)
        for a, b in zip(new, ref_new):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_unit_forget_bias_and_weight_layout():
    lstm = L.LSTM(3, name="lstm")
    lstm(_x((1, 2, 4)))
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (4, 12) and recurrent.shape == (3, 12)
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert [w.name for w in lstm.weights] == ["lstm/lstm_cell/kernel:0",
                                              "lstm/lstm_cell/recurrent_kernel:0",
                                              "lstm/lstm_cell/bias:0"]
    gru = L.GRU(3, name="g")
    gru(_x((1, 2, 4)))
    assert [tuple(w.shape.as_list()) for w in gru.weights] == [(4, 9), (3, 9), (2, 9)]
    gru2 = L.GRU(3, reset_after=False)
    gru2(_x((1, 2, 4)))
    assert gru2.weights[2].shape.as_list() == [9]
    assert L.LSTM(3, unit_forget_bias=False).cell.unit_forget_bias is False


def test_regularizers_and_constraints_reach_the_cell_weights():
    layer = L.LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1",
                   kernel_constraint="non_neg", recurrent_constraint="non_neg")
    model = keras.Sequential([keras.Input((4, 2)), layer])
    assert len(model.losses) == 2
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    model.fit(_x((8, 4, 2)), _x((8, 3), seed=1), epochs=1, batch_size=8, verbose=0)
    assert (np.asarray(layer.cell.kernel) >= 0).all()
    assert (np.asarray(layer.cell.recurrent_kernel) >= 0).all()
    assert layer.kernel_constraint is layer.cell.kernel_constraint


def test_stateful_layer_in_fit_carries_states_between_batches():
    x, y = _x((4, 10, 1)), _x((4, 10, 1), seed=1)
    gru = L.GRU(3, stateful=True, return_sequences=True)
    model = keras.Sequential([keras.Input(batch_shape=(2, None, 1)), gru,
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    after_fit = np.asarray(gru.states[0]).copy()
    assert after_fit.any()
    model.predict(x[:2], batch_size=2, verbose=0)
    assert not np.allclose(np.asarray(gru.states[0]), after_fit)
    gru.reset_states()
    assert not np.asarray(gru.states[0]).any()


# -- the loop in traced code ----------------------------------------------------------------
def _op_types(fn, x):
    return [op.type for op in fn.get_concrete_function(x).graph.get_operations()]


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_traced_loop_is_one_while_node(name):
    layer = getattr(L, name)(4, return_sequences=True)
    fn = tf.function(lambda v: layer(v))
    short, long = _op_types(fn, _x((2, 5, 3))), _op_types(fn, _x((2, 100, 3)))
    loops = [t for t in long if t in ("While", "StatelessWhile")]
    assert len(loops) == 1
    assert len(short) == len(long)  # the graph does not grow with the sequence
    unrolled = getattr(L, name)(4, unroll=True)
    ops = _op_types(tf.function(lambda v: unrolled(v)), _x((2, 5, 3)))
    assert "While" not in ops and "StatelessWhile" not in ops
    assert len(ops) > len(_op_types(tf.function(lambda v: unrolled(v)), _x((2, 2, 3))))


def test_dynamic_time_axis_traced():
    layer = L.GRU(3, return_sequences=True)
    fn = tf.function(lambda v: layer(v), input_signature=[tf.TensorSpec([None, None, 2])])
    for steps in (1, 4, 7):
        x = _x((2, steps, 2))
        np.testing.assert_allclose(fn(x), layer(x), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="unroll"):
        unrolled = L.GRU(3, unroll=True)
        tf.function(lambda v: unrolled(v), input_signature=[tf.TensorSpec([2, None, 2])])(
            _x((2, 3, 2)))


# -- gradients -------------------------------------------------------------------------------
def _numeric_check(layer, x, traced: bool, seed=0):
    rng = np.random.default_rng(seed)
    xv = tf.constant(x)
    out = layer(xv)
    weights = [np.asarray(out) for out in tf.nest.flatten(out)]
    probes = [rng.standard_normal(w.shape) for w in weights]

    def loss():
        outs = tf.nest.flatten(layer(xv))
        return tf.add_n([tf.reduce_sum(o * p) for o, p in zip(outs, probes)])

    def grads():
        with tf.GradientTape() as tape:
            tape.watch(xv)
            value = loss()
        return tape.gradient(value, [xv] + layer.trainable_weights)

    g = (tf.function(grads) if traced else grads)()
    directions = [rng.standard_normal(x.shape)] + \
        [rng.standard_normal(w.shape.as_list()) for w in layer.trainable_weights]
    analytic = sum(float(np.sum(np.asarray(a) * d)) for a, d in zip(g, directions))
    eps = 1e-6
    originals = [np.asarray(w) for w in layer.trainable_weights]
    values = []
    for sign in (1, -1):
        xv = tf.constant(x + sign * eps * directions[0])
        for w, o, d in zip(layer.trainable_weights, originals, directions[1:]):
            w.assign(o + sign * eps * d)
        values.append(float(loss()))
    for w, o in zip(layer.trainable_weights, originals):
        w.assign(o)
    numeric = (values[0] - values[1]) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", KINDS[:4], ids=lambda k: f"{k[0]}-{sorted(k[1])}")
@pytest.mark.parametrize("traced", [False, True])
def test_gradients_against_central_differences(kind, traced):
    name, extra = kind
    layer = getattr(L, name)(3, return_sequences=True, return_state=True, dtype="float64",
                             **extra)
    _numeric_check(layer, _x((2, 4, 3)).astype(np.float64), traced)


def test_gradient_through_masked_go_backwards_and_stacked_cells():
    mask = np.array([[True, True, False, True], [False, True, True, True]])

    class Masked(keras.layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x, mask=mask)

    rnn = L.RNN([L.LSTMCell(3, dtype="float64"), L.GRUCell(2, dtype="float64")],
                go_backwards=True, return_sequences=True, dtype="float64")
    for traced in (False, True):
        _numeric_check(Masked(rnn, dtype="float64"), _x((2, 4, 3)).astype(np.float64), traced)


def test_tape_outside_a_traced_call_matches_eager():
    layer = L.LSTM(4, return_sequences=True)
    x = tf.constant(_x((2, 5, 3)))
    fn = tf.function(lambda v: layer(v))
    grads = []
    for call in (layer, fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(call(x) ** 2)
        grads.append(tape.gradient(loss, [x] + layer.trainable_weights))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- custom, stacked and stateful -------------------------------------------------------------
class MinimalRNNCell(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        h = tf.matmul(inputs, self.kernel) + tf.matmul(states[0], self.recurrent_kernel)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class LNSimpleRNNCell(keras.layers.Layer):
    """The book's cell (a SimpleRNNCell followed by layer normalization)."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.state_size = units
        self.output_size = units
        self.simple_rnn_cell = L.SimpleRNNCell(units, activation=None)
        self.layer_norm = keras.layers.LayerNormalization()
        self.activation = keras.activations.get(activation)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            batch_size, dtype = tf.shape(inputs)[0], inputs.dtype
        return [tf.zeros([batch_size, self.state_size], dtype=dtype)]

    def call(self, inputs, states):
        outputs, new_states = self.simple_rnn_cell(inputs, states)
        norm_outputs = self.activation(self.layer_norm(outputs))
        return norm_outputs, [norm_outputs]


@pytest.mark.parametrize("traced", [False, True])
def test_custom_cell(traced):
    x = _x((2, 5, 3))
    layer = L.RNN(MinimalRNNCell(4), return_sequences=True, return_state=True)
    seq, h = (tf.function(layer) if traced else layer)(x)
    k, r = layer.get_weights()

    def step(xt, s):
        h = xt @ k + s[0] @ r
        return h, [h]

    ref, _, states = np_rnn(step, x, [np.zeros((2, 4))])
    np.testing.assert_allclose(seq, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h, states[0], rtol=1e-5, atol=1e-5)
    clone = L.RNN.from_config(layer.get_config(),
                              custom_objects={"MinimalRNNCell": MinimalRNNCell})
    assert isinstance(clone.cell, MinimalRNNCell) and clone.cell.units == 4


def test_the_books_layer_normalized_cell_trains_with_fit():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 1)).astype(np.float32)
    y = np.cumsum(x, axis=1)[..., 0:1].repeat(2, -1)
    model = keras.Sequential([
        L.RNN(LNSimpleRNNCell(8), return_sequences=True, input_shape=[None, 1]),
        L.RNN(LNSimpleRNNCell(8), return_sequences=True),
        L.TimeDistributed(keras.layers.Dense(2))])
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (64, 8, 2)


def test_stacked_cells_equal_stacked_layers():
    x = _x((2, 5, 3))
    stacked = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_sequences=True, return_state=True)
    seq, (h1, c1), h2 = stacked(x)
    first, second = L.LSTM(4, return_sequences=True, return_state=True), \
        L.GRU(3, return_sequences=True, return_state=True)
    first(x)
    first.set_weights(stacked.get_weights()[:3])
    mid, rh1, rc1 = first(x)
    second(mid)
    second.set_weights(stacked.get_weights()[3:])
    out, rh2 = second(mid)
    for a, b in ((seq, out), (h1, rh1), (c1, rc1), (h2, rh2)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert stacked.cell.state_size == [[4, 4], 3] and stacked.cell.output_size == 3
    config = stacked.get_config()
    clone = L.RNN.from_config(config)
    assert isinstance(clone.cell, L.StackedRNNCells) and clone.get_config() == config


@pytest.mark.parametrize("traced", [False, True])
def test_stateful(traced):
    x = _x((2, 6, 3))
    whole = L.LSTM(4, return_state=True)
    ref = whole(x)
    layer = L.LSTM(4, stateful=True, return_state=True, batch_input_shape=(2, 6, 3))
    layer(x[:, :3])
    layer.set_weights(whole.get_weights())
    layer.reset_states()
    assert len(layer.weights) == 3 and len(layer.states) == 2
    call = tf.function(layer) if traced else layer
    call(x[:, :3])
    out = call(x[:, 3:])
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.states[0], ref[1], rtol=1e-5, atol=1e-6)
    layer.reset_state()
    assert not np.asarray(layer.states[0]).any()
    layer.reset_states([np.ones((2, 4)), np.zeros((2, 4))])
    np.testing.assert_array_equal(layer.states[0], np.ones((2, 4)))


def test_stateful_errors():
    with pytest.raises(ValueError, match="fixed batch size"):
        L.GRU(2, stateful=True)(keras.Input((4, 3)))
    with pytest.raises(AttributeError, match="stateful"):
        L.GRU(2).reset_states()
    layer = L.GRU(2, stateful=True)
    layer(_x((2, 3, 1)))
    with pytest.raises(ValueError, match="built for batches of 2, got a batch of 3"):
        layer(_x((3, 3, 1)))


def test_encoder_decoder_with_initial_states_in_a_functional_model():
    enc_in, dec_in = keras.Input((None, 3)), keras.Input((None, 4))
    _, h, c = L.LSTM(8, return_state=True)(enc_in)
    dec = L.LSTM(8, return_sequences=True)(dec_in, initial_state=[h, c])
    model = keras.Model([enc_in, dec_in], keras.layers.Dense(4, activation="softmax")(dec))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x1, x2 = _x((16, 5, 3)), _x((16, 6, 4), seed=1)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (16, 6))]
    history = model.fit([x1, x2], y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    gru = L.GRU(3)
    h0 = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(gru([_x((2, 4, 2)), h0]),  # tf.keras 2: [inputs, *states]
                               gru(_x((2, 4, 2)), initial_state=[h0]), rtol=1e-6)


# -- wrappers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    x = _x((2, 5, 3))
    bi = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode=merge_mode)
    out = bi(x)
    fwd = np.asarray(bi.forward_layer(x))
    bwd = np.asarray(bi.backward_layer(x))[:, ::-1]
    expected = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd,
                "mul": fwd * bwd, "ave": (fwd + bwd) / 2, None: [fwd, bwd]}[merge_mode]
    for a, b in zip(tf.nest.flatten(out), tf.nest.flatten(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert bi.forward_layer.name.startswith("forward_") and bi.backward_layer.go_backwards


def test_bidirectional_states_and_weights():
    x = _x((2, 5, 3))
    bi = L.Bidirectional(L.GRU(3, return_state=True))
    out, h_fwd, h_bwd = bi(x)
    assert out.shape == (2, 6) and h_fwd.shape == (2, 3)
    np.testing.assert_allclose(out[:, :3], h_fwd, rtol=1e-6)
    np.testing.assert_allclose(out[:, 3:], h_bwd, rtol=1e-6)
    assert len(bi.weights) == 6 and bi.weights[0].name.startswith("bidirectional")
    again = L.Bidirectional(L.GRU(3, return_state=True), weights=bi.get_weights())
    np.testing.assert_allclose(again(x)[0], out, rtol=1e-6)
    with pytest.raises(ValueError, match="merge_mode"):
        L.Bidirectional(L.GRU(3), merge_mode="max")


def test_time_distributed_applies_the_layer_per_step():
    x = _x((2, 5, 3))
    dense = keras.layers.Dense(4)
    td = L.TimeDistributed(dense)
    out = td(x)
    for t in range(5):
        np.testing.assert_allclose(out[:, t], dense(x[:, t]), rtol=1e-6, atol=1e-6)
    fn = tf.function(lambda v: td(v), input_signature=[tf.TensorSpec([None, None, 3])])
    np.testing.assert_allclose(fn(x), out, rtol=1e-6)
    with pytest.raises(ValueError, match="rank >= 3"):
        L.TimeDistributed(keras.layers.Dense(2))(np.ones((2, 3), np.float32))


# -- dropout ----------------------------------------------------------------------------------
def test_dropout_only_in_training_and_one_mask_per_sequence():
    x = np.ones((4, 6, 5), np.float32)
    layer = L.SimpleRNN(5, dropout=0.5, return_sequences=True, activation=None,
                        kernel_initializer="identity", recurrent_initializer="zeros", seed=3)
    plain = layer(x, training=False)
    np.testing.assert_allclose(plain, x, rtol=1e-6)
    for call in (layer, tf.function(lambda v: layer(v, training=True))):
        dropped = np.asarray(call(x, training=True) if call is layer else call(x))
        assert set(np.unique(dropped)) <= {0.0, 2.0}
        for t in range(1, 6):  # the same input mask at every step
            np.testing.assert_array_equal(dropped[:, t], dropped[:, 0])
    rec = L.LSTM(3, recurrent_dropout=0.5)
    np.testing.assert_allclose(rec(_x(), training=False), rec(_x()), rtol=1e-6)
    assert np.isfinite(np.asarray(rec(_x(), training=True))).all()


# -- errors -----------------------------------------------------------------------------------
def test_errors_name_the_layer_and_argument():
    with pytest.raises(ValueError, match=r"LSTM 'lstm_bad'.*rank at least 3.*\nhint:"):
        L.LSTM(2, name="lstm_bad")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"LSTMCell: units must be a positive integer"):
        L.LSTM(0)
    with pytest.raises(ValueError, match="state_size"):
        L.RNN(keras.layers.Dense(2))
    with pytest.raises(ValueError, match=r"initial_state has 1 tensors.*2 states"):
        L.LSTM(2)(_x(), initial_state=[np.zeros((3, 2), np.float32)])
    with pytest.raises(ValueError, match="dropout must be a number"):
        L.GRU(2, dropout="a lot")


# -- the omnibus harness ----------------------------------------------------------------------
def _harness_cases():
    return [
        (L.SimpleRNN, {"units": 3}, (2, 4, 5), (2, 3), 3, 0, 0, {}),
        (L.LSTM, {"units": 3, "return_sequences": True}, (2, 4, 5), (2, 4, 3), 3, 0, 0, {}),
        (L.LSTM, {"units": 3, "return_state": True, "go_backwards": True}, (2, 4, 5),
         [(2, 3)] * 3, 3, 0, 0, {}),
        (L.LSTM, {"units": 2, "dropout": 0.3, "recurrent_dropout": 0.2, "seed": 1},
         (2, 4, 5), (2, 2), 3, 0, 0, {}),
        (L.GRU, {"units": 3, "kernel_regularizer": "l2", "activity_regularizer": "l1"},
         (2, 4, 5), (2, 3), 3, 0, 2, {}),
        (L.GRU, {"units": 3, "reset_after": False, "use_bias": False, "unroll": True},
         (2, 4, 5), (2, 3), 2, 0, 0, {}),
        (L.RNN, {"cell": L.LSTMCell(3), "return_sequences": True}, (2, 4, 5), (2, 4, 3),
         3, 0, 0, {}),
        (L.RNN, {"cell": [L.GRUCell(3), L.SimpleRNNCell(2)]}, (2, 4, 5), (2, 2), 6, 0, 0, {}),
        (L.RNN, {"cell": MinimalRNNCell(2), "time_major": True}, (4, 2, 5), (2, 2), 2, 0, 0,
         {"custom_objects": {"MinimalRNNCell": MinimalRNNCell}, "run_symbolic_check": False}),
        (L.Bidirectional, {"layer": L.LSTM(3, return_sequences=True)}, (2, 4, 5), (2, 4, 6),
         6, 0, 0, {}),
        (L.Bidirectional, {"layer": L.GRU(3), "merge_mode": "sum"}, (2, 4, 5), (2, 3),
         6, 0, 0, {}),
        (L.Bidirectional, {"layer": L.SimpleRNN(3), "merge_mode": None}, (2, 4, 5),
         [(2, 3), (2, 3)], 6, 0, 0, {}),
        (L.TimeDistributed, {"layer": keras.layers.Dense(3)}, (2, 4, 5), (2, 4, 3),
         2, 0, 0, {}),
        (L.ConvLSTM1D, {"filters": 2, "kernel_size": 3}, (2, 3, 6, 2), (2, 4, 2), 3, 0, 0, {}),
        (L.ConvLSTM2D, {"filters": 2, "kernel_size": 3, "padding": "same",
                        "return_sequences": True}, (2, 3, 5, 4, 2), (2, 3, 5, 4, 2),
         3, 0, 0, {}),
        (L.ConvLSTM3D, {"filters": 2, "kernel_size": 2, "return_state": True},
         (2, 2, 3, 3, 3, 1), [(2, 2, 2, 2, 2)] * 3, 3, 0, 0, {}),
    ]


# the layers this file covers, for the omnibus test's check that every public layer is
# tested (cells and StackedRNNCells run inside RNN rows and test_cells_step_by_hand)
COVERED = (L.RNN, L.StackedRNNCells, L.SimpleRNN, L.SimpleRNNCell, L.LSTM, L.LSTMCell, L.GRU,
           L.GRUCell, L.Bidirectional, L.TimeDistributed, L.ConvLSTM1D, L.ConvLSTM2D,
           L.ConvLSTM3D)


@pytest.mark.parametrize("index", range(len(_harness_cases())))
def test_harness(index):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, n_losses, extra = \
        _harness_cases()[index]
    extra = dict(extra)
    objects = {**module_objects(), **extra.pop("custom_objects", {})}
    run_layer_test(cls, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=n_train,
                   expected_num_non_trainable_weights=n_frozen,
                   expected_num_losses=n_losses, custom_objects=objects, **extra)


# -- fit --------------------------------------------------------------------------------------
def sequence_task(n, seed):
    """Label: does the sum of x0 * x1 over 12 steps exceed 0? (needs the whole sequence)"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 12, 2)).astype(np.float32)
    return x, ((x[..., 0] * x[..., 1]).sum(1) > 0).astype(np.float32)


def test_fit_learns_a_sequence_task():
    keras.utils.set_random_seed(0)
    x, y = sequence_task(1024, 0)
    xt, yt = sequence_task(256, 1)
    model = keras.Sequential([keras.Input((12, 2)), L.LSTM(16),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy > 0.85  # TensorFlow's Keras on the same task and settings: 0.88-0.93


def test_docstring_examples():
    run_docstrings("rnn", "simple_rnn", "lstm", "gru", "bidirectional", "time_distributed",
                   "conv_lstm")


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
def _spec(name, **kwargs):
    return {"layer": name, "kwargs": kwargs}


def test_loads_tensorflow_configs(tf_python):
    import json
    import subprocess
    script = (
        "import json, os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import keras; L = "
        "keras.layers; layers = [L.LSTM(3, return_sequences=True), L.GRU(3, dropout=0.1), "
        "L.SimpleRNN(3), L.Bidirectional(L.LSTM(2)), L.ConvLSTM2D(2, 3), "
        "L.RNN([L.LSTMCell(2), L.GRUCell(3)]), L.Masking(), L.Attention(), "
        "L.MultiHeadAttention(2, 2), L.EinsumDense('ab,bc->ac', 3, bias_axes='c'), "
        "L.GroupQueryAttention(2, 2, 1)]; "
        "print(json.dumps([keras.saving.serialize_keras_object(x) for x in layers]))")
    proc = subprocess.run([tf_python, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from rill.keras.layers._rnn_cell import deserialize_layer
    for config in json.loads(proc.stdout.strip().splitlines()[-1]):
        layer = deserialize_layer(config)
        assert type(layer).__name__ in (config["class_name"], "GroupQueryAttention")


def test_parity_with_tensorflow(tf_python):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    mask = np.ones((3, 6), bool)
    mask[0, 4:], mask[1, :2], mask[2, 3] = False, False, False
    h0 = rng.standard_normal((3, 5)).astype(np.float32)
    cases = []
    for name, extra in [("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}),
                        ("SimpleRNN", {})]:
        for flags in [{}, {"return_sequences": True, "return_state": True},
                      {"go_backwards": True, "return_sequences": True},
                      {"return_state": True, "go_backwards": True},
                      {"unroll": True, "return_sequences": True}]:
            cases.append((_spec(name, units=5, **extra, **flags), [x], {}))
            cases.append((_spec(name, units=5, **extra, **flags), [x], {"mask": mask}))
        cases.append((_spec(name, units=5, return_sequences=True, zero_output_for_mask=True,
                            **extra), [x], {"mask": mask}))
    cases.append((_spec("LSTM", units=5, return_state=True), [x],
                  {"initial_state": [h0, 2 * h0]}))
    cases.append((_spec("GRU", units=5, return_sequences=True), [x], {"initial_state": [h0]}))
    for mode in ["concat", "sum", "mul", "ave", None]:
        cases.append((_spec("Bidirectional", layer=_spec("LSTM", units=3,
                                                         return_sequences=True),
                            merge_mode=mode), [x], {"mask": mask}))
    cases.append((_spec("Bidirectional", layer=_spec("GRU", units=3, return_state=True)),
                  [x], {}))
    cases.append((_spec("TimeDistributed", layer=_spec("Dense", units=3)), [x], {}))
    images = rng.standard_normal((2, 3, 6, 5, 2)).astype(np.float32)
    cases.append((_spec("ConvLSTM2D", filters=3, kernel_size=3), [images], {}))
    cases.append((_spec("ConvLSTM2D", filters=3, kernel_size=[3, 2], padding="same",
                        return_sequences=True, return_state=True), [images], {}))
    cases.append((_spec("ConvLSTM2D", filters=3, kernel_size=3, strides=2,
                        go_backwards=True), [images], {}))
    cases.append((_spec("ConvLSTM1D", filters=3, kernel_size=2, dilation_rate=2,
                        return_sequences=True), [images[:, :, 0]], {}))
    cases.append((_spec("ConvLSTM3D", filters=2, kernel_size=2, return_state=True),
                  [rng.standard_normal((2, 2, 4, 4, 3, 1)).astype(np.float32)], {}))
    assert_parity(L, cases, tf_python)


def test_model_reset_states_resets_every_stateful_layer():
    # tf.keras 2's Model.reset_states (the book's ResetStatesCallback calls it)
    model = keras.Sequential([keras.Input(batch_shape=(2, 3, 1)),
                              keras.layers.SimpleRNN(4, stateful=True),
                              keras.layers.Dense(1)])
    x = np.ones((2, 3, 1), np.float32)
    first = model.predict_on_batch(x)
    second = model.predict_on_batch(x)
    assert not np.allclose(first, second)  # the state carried over
    model.reset_states()
    np.testing.assert_allclose(model.predict_on_batch(x), first, rtol=1e-6)
