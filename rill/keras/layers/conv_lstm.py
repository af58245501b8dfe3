"""`keras.layers.ConvLSTM1D/2D/3D`: an LSTM whose products are convolutions (Shi et al.,
2015), over sequences of images `(batch, time, *spatial, channels)`.

The gates are the LSTM's (input, forget, candidate, output, in that order along the last axis
of `kernel (*kernel_size, channels, 4*filters)` and `recurrent_kernel (*kernel_size,
filters, 4*filters)`): `z = conv(x, kernel) + conv_same(h, recurrent_kernel) + bias`. The
input convolutions of all steps run as one batch before the loop.
"""

from __future__ import annotations

import math

import rill as tf
from rill.keras.layers._rnn_cell import RNNCellBase
from rill.keras.layers.input_spec import InputSpec
from rill.keras.layers.lstm import _ForgetBiasInitializer
from rill.keras.layers.rnn import RNN, cell_properties, init_cell_layer


def _tuple(value, rank: int, arg: str, who: str) -> tuple:
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, int) and v > 0 for v in values):
        raise ValueError(f"{who}: {arg} must be a positive integer or a tuple of {rank}, got "
                         f"{value!r}.\nhint: e.g. {arg}={(3,) * rank if rank > 1 else 3}.")
    return values


def _conv_length(n, k: int, s: int, d: int, padding: str):
    if n is None:
        return None
    return math.ceil(n / s) if padding == "same" else math.ceil((n - (k - 1) * d) / s)


class ConvLSTMCell(RNNCellBase):
    """One step of a convolutional LSTM of `rank` 1, 2 or 3 (used by `ConvLSTM1D/2D/3D`)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = f"ConvLSTM{rank}D"
        if rank not in (1, 2, 3):
            raise ValueError(f"ConvLSTM: rank must be 1, 2 or 3, got {rank!r}.")
        self._init_cell(filters, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.rank, self.filters = rank, self.units
        self.kernel_size = _tuple(kernel_size, rank, "kernel_size", who)
        self.strides = _tuple(strides, rank, "strides", who)
        self.dilation_rate = _tuple(dilation_rate, rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 cannot be combined with dilation_rate > 1, "
                             f"got strides={self.strides}, dilation_rate={self.dilation_rate}."
                             f"\nhint: use one or the other.")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}.")
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{who}: data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}.")
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [-1, -1]  # two feature maps [h, c]: see get_initial_state

    def _channels_last(self, shape) -> list:
        shape = list(tf.TensorShape(shape).as_list())
        if self.data_format == "channels_first":
            shape = shape[:1] + shape[2:] + shape[1:2]
        return shape

    def build(self, input_shape):
        shape = self._channels_last(input_shape)
        if None in shape[1:]:
            raise ValueError(f"ConvLSTM{self.rank}D {self.name!r}: the spatial and channel "
                             f"axes of the inputs must be known, got {input_shape}.\nhint: "
                             f"keras.Input(shape=(time, *image_shape, channels)).")
        self.spatial_dims, self.input_dim = tuple(shape[1:-1]), shape[-1]
        f = self.filters
        self._add_kernels(self.kernel_size + (self.input_dim, 4 * f),
                          self.kernel_size + (f, 4 * f))
        init = _ForgetBiasInitializer(self.bias_initializer, f) if self.unit_forget_bias \
            else None
        self._add_bias((4 * f,), init)
        self.built = True

    def output_spatial(self) -> list:
        """The spatial shape of the states and outputs."""
        return [_conv_length(n, k, s, d, self.padding) for n, k, s, d in
                zip(self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate)]

    def get_initial_state(self, batch_size=None):
        spatial = self.output_spatial()
        shape = [batch_size, *spatial, self.filters] if self.data_format == "channels_last" \
            else [batch_size, self.filters, *spatial]
        if isinstance(batch_size, tf.Tensor):
            shape = tf.stack(shape)
        zeros = tf.zeros(shape, dtype=self.dtype)
        return [zeros, zeros]

    def _to_last(self, x):
        if self.data_format == "channels_last":
            return x
        r = x.shape.rank
        return tf.transpose(x, [0, *range(2, r), 1])

    def _to_first(self, x):
        if self.data_format == "channels_last":
            return x
        r = x.shape.rank
        return tf.transpose(x, [0, r - 1, *range(1, r - 1)])

    def _fused_step(self, training, inputs, state):
        in_mask, rec_mask = self._dropout_masks(inputs, state, training)
        kernel, rk = self.kernel.value(), self.recurrent_kernel.value()
        bias = self.bias.value() if self.bias is not None else None
        pad = self.padding.upper()
        act, gate, rank = self.activation, self.recurrent_activation, self.rank

        def project(x):
            if in_mask is not None:
                x = x * in_mask
            lead = x.shape.rank - rank - 1  # 1 for one step, 2 for (time, batch)
            if lead == 2:
                shape = tf.shape(x)
                x = tf.reshape(x, tf.concat([[-1], shape[2:]], 0))
            x = self._to_last(x)
            y = tf.nn.convolution(x, kernel, strides=self.strides, padding=pad,
                                  dilations=self.dilation_rate)
            if bias is not None:
                y = y + bias
            if lead == 2:
                y = tf.reshape(y, tf.concat([shape[:2], tf.shape(y)[1:]], 0))
            return y

        def step(zx, states):
            h, c = self._to_last(states[0]), self._to_last(states[1])
            hd = h if rec_mask is None else h * self._to_last(rec_mask)
            z = zx + tf.nn.convolution(hd, rk, strides=1, padding="SAME")
            i, f, zc, o = tf.split(z, 4, axis=-1)
            c = gate(f) * c + gate(i) * act(zc)
            h = self._to_first(gate(o) * act(c))
            return h, [h, self._to_first(c)]

        return project, step

    def get_config(self) -> dict:
        config = {**super().get_config(), "filters": self.filters,
                  "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                  "padding": self.padding, "data_format": self.data_format,
                  "dilation_rate": list(self.dilation_rate),
                  "unit_forget_bias": self.unit_forget_bias}
        del config["units"]
        return config


@cell_properties(ConvLSTMCell)
class _ConvLSTM(RNN):
    """ConvLSTM of `_rank`: `RNN(ConvLSTMCell(...))` over `(batch, time, *spatial,
    channels)` (channels after time with channels_first)."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
        init_cell_layer(self, "conv_lstm_cell", locals(), self._rank)
        self.input_spec = InputSpec(ndim=self._rank + 3)

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape)
        cell = self.cell
        step = cell._channels_last([shape[0], *shape.as_list()[2:]])
        spatial = [_conv_length(n, k, s, d, cell.padding) for n, k, s, d in
                   zip(step[1:-1], cell.kernel_size, cell.strides, cell.dilation_rate)]
        state = [*spatial, cell.filters] if cell.data_format == "channels_last" \
            else [cell.filters, *spatial]
        out = tf.TensorShape([shape[0], shape[1], *state] if self.return_sequences
                             else [shape[0], *state])
        if self.return_state:
            return [out] + [tf.TensorShape([shape[0], *state])] * 2
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out


class ConvLSTM1D(_ConvLSTM):
    """A 1-D convolutional LSTM over `(batch, time, steps, channels)`.

    >>> keras.layers.ConvLSTM1D(2, 3)(np.ones((1, 4, 6, 1))).shape
    TensorShape([1, 4, 2])
    """

    _rank = 1


class ConvLSTM2D(_ConvLSTM):
    """A 2-D convolutional LSTM over `(batch, time, rows, cols, channels)`.

    >>> keras.layers.ConvLSTM2D(2, 3, padding="same")(np.ones((1, 4, 5, 5, 1))).shape
    TensorShape([1, 5, 5, 2])
    """

    _rank = 2


class ConvLSTM3D(_ConvLSTM):
    """A 3-D convolutional LSTM over `(batch, time, d1, d2, d3, channels)`.

    >>> keras.layers.ConvLSTM3D(2, 3)(np.ones((1, 2, 4, 4, 4, 1))).shape
    TensorShape([1, 2, 2, 2, 2])
    """

    _rank = 3
