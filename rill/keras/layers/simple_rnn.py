"""`keras.layers.SimpleRNNCell` and `keras.layers.SimpleRNN`: the fully connected RNN,
`h' = activation(x @ kernel + h @ recurrent_kernel + bias)`, whose output is its state."""

from __future__ import annotations

import rill as tf
from rill.keras.layers._rnn_cell import RNNCellBase
from rill.keras.layers.rnn import RNN, cell_properties, init_cell_layer


class SimpleRNNCell(RNNCellBase):
    """One step of a fully connected RNN; use it in `keras.layers.RNN` (or use `SimpleRNN`).

    Args:
        units: the size of the output (and of the state).
        activation: default tanh. use_bias: whether to add `bias`.
        kernel_initializer, recurrent_initializer, bias_initializer, *_regularizer,
            *_constraint: of `kernel (input_dim, units)`, `recurrent_kernel (units, units)`
            and `bias (units,)`.
        dropout, recurrent_dropout: fractions of the inputs / of the state dropped in
            training (one mask per sequence). seed: of the dropout masks.

    >>> cell = keras.layers.SimpleRNNCell(2, kernel_initializer="ones", activation=None)
    >>> out, state = cell(np.ones((1, 3)), [np.zeros((1, 2))])
    >>> out.numpy()
    array([[3., 3.]], dtype=float32)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, None, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.state_size = self.units

    def build(self, input_shape):
        self._kernels(input_shape, 1)
        self._add_bias((self.units,))
        self.built = True

    def _fused_step(self, training, inputs, state):
        in_mask, rec_mask = self._dropout_masks(inputs, state, training)
        bias = self.bias.value() if self.bias is not None else None
        project = self._project_fn(self.kernel.value(), bias, in_mask)
        rk, act = self.recurrent_kernel.value(), self.activation

        def step(zx, states):
            h = states[0]
            out = act(zx + tf.matmul(h if rec_mask is None else h * rec_mask, rk))
            return out, [out]

        return project, step


@cell_properties(SimpleRNNCell)
class SimpleRNN(RNN):
    """A fully connected RNN layer: `RNN(SimpleRNNCell(units, ...))` over `(batch, time,
    features)` inputs (see `SimpleRNNCell` for the step, `RNN` for the sequence arguments).

    >>> keras.layers.SimpleRNN(4)(np.ones((2, 5, 3))).shape
    TensorShape([2, 4])
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False,
                 zero_output_for_mask=False, **kwargs):
        init_cell_layer(self, "simple_rnn_cell", locals())
