"""`keras.layers.GRUCell` and `keras.layers.GRU` (Cho et al., 2014).

One step, with Keras' gate order (update z, reset r, candidate) along the last axis of
`kernel (input_dim, 3*units)` and `recurrent_kernel (units, 3*units)`:

    z = recurrent_activation(x @ W_z + h @ U_z + b_z)
    r = recurrent_activation(x @ W_r + h @ U_r + b_r)
    reset_after=True (default; bias (2, 3*units): input and recurrent biases):
        candidate = activation(x @ W_h + b_h + r * (h @ U_h + b'_h))
    reset_after=False (bias (3*units,)):
        candidate = activation(x @ W_h + b_h + (r * h) @ U_h)
    h' = z * h + (1 - z) * candidate
"""

from __future__ import annotations

import rill as tf
from rill.keras.layers._rnn_cell import RNNCellBase
from rill.keras.layers.rnn import RNN, cell_properties, init_cell_layer


class GRUCell(RNNCellBase):
    """One step of a GRU; use it in `keras.layers.RNN` (or use `GRU`).

    Args:
        units: the size of the output (and of the state).
        activation: of the candidate (default tanh); recurrent_activation: of the gates
            (default sigmoid).
        reset_after: apply the reset gate after the recurrent product (Keras' and cuDNN's
            default; two bias rows) or before it.
        use_bias, initializers, regularizers, constraints, dropout, recurrent_dropout, seed:
            as in `LSTMCell`.

    >>> cell = keras.layers.GRUCell(2, kernel_initializer="zeros",
    ...                             recurrent_initializer="zeros")
    >>> out, state = cell(np.ones((1, 3)), [np.ones((1, 2))])
    >>> out.numpy()  # z = 0.5: halfway between h = 1 and the candidate tanh(0) = 0
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.reset_after = bool(reset_after)
        self.state_size = self.units

    def build(self, input_shape):
        self._kernels(input_shape, 3)
        self._add_bias((2, 3 * self.units) if self.reset_after else (3 * self.units,))
        self.built = True

    def _fused_step(self, training, inputs, state):
        in_mask, rec_mask = self._dropout_masks(inputs, state, training)
        bias = self.bias.value() if self.bias is not None else None
        in_bias, rec_bias = (bias[0], bias[1]) if bias is not None and self.reset_after \
            else (bias, None)
        project = self._project_fn(self.kernel.value(), in_bias, in_mask)
        rk, u = self.recurrent_kernel.value(), self.units
        act, gate, after = self.activation, self.recurrent_activation, self.reset_after
        rk_zr, rk_h = (None, None) if after else (rk[:, :2 * u], rk[:, 2 * u:])

        def step(zx, states):
            h = states[0]
            hd = h if rec_mask is None else h * rec_mask
            xz, xr, xh = tf.split(zx, 3, axis=1)
            if after:
                zh = tf.matmul(hd, rk)
                hz, hr, hh = tf.split(zh + rec_bias if rec_bias is not None else zh, 3, axis=1)
                r = gate(xr + hr)
                cand = act(xh + r * hh)
            else:
                hz, hr = tf.split(tf.matmul(hd, rk_zr), 2, axis=1)
                r = gate(xr + hr)
                cand = act(xh + tf.matmul(r * hd, rk_h))
            z = gate(xz + hz)
            h = z * h + (1.0 - z) * cand
            return h, [h]

        return project, step

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}


@cell_properties(GRUCell)
class GRU(RNN):
    """Gated Recurrent Unit layer: `RNN(GRUCell(units, ...))` over `(batch, time,
    features)` inputs (see `GRUCell` for the step, `RNN` for the sequence arguments).

    >>> seq, h = keras.layers.GRU(4, return_sequences=True, return_state=True)(
    ...     np.ones((2, 5, 3)))
    >>> seq.shape, h.shape
    (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 time_major=False, zero_output_for_mask=False, use_cudnn="auto", **kwargs):
        init_cell_layer(self, "gru_cell", locals())
        self.use_cudnn = use_cudnn
