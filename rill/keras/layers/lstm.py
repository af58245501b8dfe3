"""`keras.layers.LSTMCell` and `keras.layers.LSTM` (Hochreiter & Schmidhuber, 1997).

One step, with Keras' gate order (input, forget, candidate, output) along the last axis of
`kernel (input_dim, 4*units)`, `recurrent_kernel (units, 4*units)` and `bias (4*units,)`:

    z = x @ kernel + h @ recurrent_kernel + bias
    i, f, o = recurrent_activation(z_i), recurrent_activation(z_f), recurrent_activation(z_o)
    c' = f * c + i * activation(z_c)
    h' = o * activation(c')
"""

from __future__ import annotations

import rill as tf
from rill.keras import initializers
from rill.keras.layers._rnn_cell import RNNCellBase
from rill.keras.layers.rnn import RNN, cell_properties, init_cell_layer


class _ForgetBiasInitializer:
    """`bias_initializer` for the input and candidate gates, ones for the forget gate."""

    def __init__(self, base, units: int):
        self.base, self.units = base, units

    def __call__(self, shape, dtype=None, **kwargs):
        u, ones = self.units, initializers.get("ones")
        return tf.concat([self.base((u,), dtype=dtype), ones((u,), dtype=dtype),
                          self.base((2 * u,), dtype=dtype)], 0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM; use it in `keras.layers.RNN` (or use `LSTM`).

    Args:
        units: the size of the output and of both states `[h, c]`.
        activation: of the candidate and the output (default tanh).
        recurrent_activation: of the gates (default sigmoid).
        use_bias: whether to add `bias`; unit_forget_bias: start the forget gate's bias at 1.
        kernel_initializer, recurrent_initializer, bias_initializer, *_regularizer,
            *_constraint: of `kernel`, `recurrent_kernel` and `bias`.
        dropout, recurrent_dropout: fractions of the inputs / of `h` dropped in training
            (one mask per sequence). seed: of the dropout masks.

    >>> cell = keras.layers.LSTMCell(2, kernel_initializer="zeros")
    >>> h, (h2, c) = cell(np.ones((1, 3)), [np.zeros((1, 2)), np.zeros((1, 2))])
    >>> h.numpy()  # z = 0 plus a forget bias: c = 0.5 * tanh(0), so h = 0
    array([[0., 0.]], dtype=float32)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        self._kernels(input_shape, 4)
        init = _ForgetBiasInitializer(self.bias_initializer, self.units) \
            if self.unit_forget_bias else None
        self._add_bias((4 * self.units,), init)
        self.built = True

    def _fused_step(self, training, inputs, state):
        in_mask, rec_mask = self._dropout_masks(inputs, state, training)
        bias = self.bias.value() if self.bias is not None else None
        project = self._project_fn(self.kernel.value(), bias, in_mask)
        rk, act, gate = self.recurrent_kernel.value(), self.activation, \
            self.recurrent_activation

        def step(zx, states):
            h, c = states[0], states[1]
            z = zx + tf.matmul(h if rec_mask is None else h * rec_mask, rk)
            i, f, zc, o = tf.split(z, 4, axis=1)
            c = gate(f) * c + gate(i) * act(zc)
            h = gate(o) * act(c)
            return h, [h, c]

        return project, step

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@cell_properties(LSTMCell)
class LSTM(RNN):
    """Long Short-Term Memory layer: `RNN(LSTMCell(units, ...))` over `(batch, time,
    features)` inputs (see `LSTMCell` for the step, `RNN` for the sequence arguments).

    `return_state=True` returns `[output, h, c]`.

    >>> lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> seq, h, c = lstm(np.ones((2, 5, 3)))
    >>> seq.shape, h.shape, c.shape
    (TensorShape([2, 5, 4]), TensorShape([2, 4]), TensorShape([2, 4]))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 time_major=False, zero_output_for_mask=False, use_cudnn="auto", **kwargs):
        init_cell_layer(self, "lstm_cell", locals())
        self.use_cudnn = use_cudnn
