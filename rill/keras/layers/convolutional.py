"""Convolution layers: Conv1D/2D/3D (grouped, dilated, causal in 1-D), Conv1D/2D/3DTranspose,
DepthwiseConv1D/2D and SeparableConv1D/2D, channels_last or channels_first.

One base class per family holds the arguments, the weights and the computation; each public
class fixes the rank. The convolutions are `tf.nn` ops (`convolution`, `conv_transpose`,
`depthwise_conv2d`, `separable_conv2d`; the 1-D depthwise and separable layers run the 2-D
op on a height of 1, as Keras does), then the bias and the activation.
"""

from __future__ import annotations

import rill as tf
from rill.keras import activations, regularizers
from rill.keras.layers import _spatial_args as A
from rill.keras.layers import _weight_args as W
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.input_spec import InputSpec

_linear = activations.linear


def _positive(value, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{who}: invalid value for argument `{name}`. Expected a strictly "
                         f"positive value. Received {name}={value!r}.\nhint: e.g. {name}=32.")
    return value


class _Spatial(Layer):
    """What every convolution layer shares: rank, window geometry, bias, activation."""

    _rank = 2

    def _init_spatial(self, kernel_size, strides, padding, data_format, dilation_rate,
                      activation, use_bias, bias_initializer, bias_regularizer,
                      bias_constraint, allow_causal=False):
        who, rank = type(self).__name__, self._rank
        self.kernel_size = A.int_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = A.int_tuple(strides, rank, "strides", who)
        self.dilation_rate = A.int_tuple(dilation_rate, rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}\nhint: use strides=1 with a "
                             f"dilation, or dilation_rate=1 with strides.")
        self.padding = A.padding_mode(padding, who, allow_causal)
        self.data_format = A.data_format(data_format, who)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        W.set_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)

    @property
    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def _input_channels(self, input_shape) -> int:
        shape = tf.TensorShape(input_shape)
        channels = shape[self._channel_axis] if shape.rank else None
        if channels is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the channel dimension of "
                             f"the inputs should be defined. The input_shape received is "
                             f"{shape}, where axis {self._channel_axis} is the channel "
                             f"dimension, which found to be `None`.\nhint: give the input a "
                             f"static channel axis, e.g. keras.Input(shape=(28, 28, 1)).")
        return channels

    def _finish_build(self, channels: int, bias_size: int):
        """Adds the bias and fixes the input's channels (after the kernels are made)."""
        self.bias = W.add_weight(self, "bias", (bias_size,)) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self._rank + 2,
                                    axes={self._channel_axis: channels})
        self.built = True

    def _finish(self, y):
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias.value(), data_format=A.tf_format(
                self.data_format, self._rank) if self.data_format == "channels_first" else None)
        act = self.activation
        return y if act is _linear else act(y)

    def _spatial_config(self) -> dict:
        return {"kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **W.config(self, "bias"),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    def _conv_shape(self, input_shape, channels):
        shape = tf.TensorShape(input_shape).as_list()
        spatial = [A.conv_length(n, k, self.padding, s, d) for n, k, s, d in zip(
            A.spatial_dims(shape, self.data_format), self.kernel_size, self.strides,
            self.dilation_rate)]
        return tf.TensorShape(A.with_spatial(shape, spatial, channels, self.data_format))


# -- Conv1D, Conv2D, Conv3D ---------------------------------------------------------------
class _Conv(_Spatial):
    """`activation(conv(inputs, kernel) + bias)`; the kernel is
    `kernel_size + (in_channels // groups, filters)`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        self.filters = _positive(filters, "filters", who)
        self.groups = _positive(groups, "groups", who)
        if self.filters % self.groups:
            raise ValueError(f"{who}: the number of filters must be evenly divisible by the "
                             f"number of groups. Received: groups={groups}, filters="
                             f"{filters}.\nhint: choose filters as a multiple of groups.")
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias, bias_initializer, bias_regularizer,
                           bias_constraint, allow_causal=self._rank == 1)
        W.set_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the number of input "
                             f"channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} "
                             f"channels (full input shape is {tf.TensorShape(input_shape)})."
                             f"\nhint: use groups that divide the input's channels.")
        self.kernel = W.add_weight(
            self, "kernel", self.kernel_size + (channels // self.groups, self.filters))
        self._finish_build(channels, self.filters)

    def call(self, inputs):
        padding = self.padding.upper()
        if self.padding == "causal":  # pad (k - 1) * d on the left of the time axis
            left = [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0]
            padding = [[0, 0], [0, 0], left] if self.data_format == "channels_first" else \
                [[0, 0], left, [0, 0]]
        y = tf.nn.convolution(inputs, self.kernel.value(), strides=self.strides,
                              padding=padding, dilations=self.dilation_rate,
                              data_format=A.tf_format(self.data_format, self._rank))
        return self._finish(y)

    def compute_output_shape(self, input_shape):
        return self._conv_shape(input_shape, self.filters)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, **self._spatial_config(),
                "groups": self.groups, **W.config(self, "kernel")}


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); `padding="causal"` pads only the past,
    so output step t sees inputs up to t.

    >>> keras.layers.Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 3))).shape
    TensorShape([2, 10, 4])
    """

    _rank = 1


class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels) (or channels_first).

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or one int per spatial axis.
        padding: "valid" or "same".
        data_format: "channels_last" (default) or "channels_first".
        groups: split the input channels into this many groups, each convolved with its
            own `filters // groups` filters.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as in Dense.

    >>> keras.layers.Conv2D(8, 3, strides=2, padding="same")(np.zeros((1, 9, 9, 3))).shape
    TensorShape([1, 5, 5, 8])
    """

    _rank = 2


class Conv3D(_Conv):
    """3-D convolution over (batch, depth, height, width, channels).

    >>> keras.layers.Conv3D(2, 3)(np.zeros((1, 5, 6, 7, 1))).shape
    TensorShape([1, 3, 4, 5, 2])
    """

    _rank = 3


# -- transposed convolutions --------------------------------------------------------------
class _ConvTranspose(_Spatial):
    """The transpose (input gradient) of a convolution: each input position spreads
    `kernel`-weighted copies over the output; the kernel is
    `kernel_size + (filters, in_channels)`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        self.filters = _positive(filters, "filters", who)
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias, bias_initializer, bias_regularizer,
                           bias_constraint)
        self.output_padding = None if output_padding is None else A.int_tuple(
            output_padding, self._rank, "output_padding", who, allow_zero=True)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{who}: strides {self.strides} must be greater than "
                             f"output_padding {self.output_padding}.\nhint: output_padding "
                             f"picks one of the `strides` output sizes; keep it below them.")
        W.set_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = W.add_weight(self, "kernel", self.kernel_size + (self.filters, channels))
        self._finish_build(channels, self.filters)

    def _spatial_out(self, spatial):
        pads = self.output_padding or (None,) * self._rank
        return [A.deconv_length(n, k, self.padding, s, p, d) for n, k, s, p, d in zip(
            spatial, self.kernel_size, self.strides, pads, self.dilation_rate)]

    def call(self, inputs):
        static = inputs.shape.as_list()
        known = self.compute_output_shape(static).as_list()
        out = known
        if None in known:  # e.g. the batch: the output shape is computed while running
            dynamic = tf.shape(inputs)
            size = [dynamic[i] if d is None else d for i, d in enumerate(static)]
            spatial = self._spatial_out(A.spatial_dims(size, self.data_format))
            out = tf.stack(A.with_spatial(size, spatial, self.filters, self.data_format))
        y = tf.nn.conv_transpose(inputs, self.kernel.value(), out, strides=self.strides,
                                 padding=self.padding.upper(), dilations=self.dilation_rate,
                                 data_format=A.tf_format(self.data_format, self._rank))
        if None in known:
            y = tf.ensure_shape(y, known)
        return self._finish(y)

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        spatial = self._spatial_out(A.spatial_dims(shape, self.data_format))
        return tf.TensorShape(A.with_spatial(shape, spatial, self.filters, self.data_format))

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, **self._spatial_config(),
                "output_padding": self.output_padding, **W.config(self, "kernel")}


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution (upsampling a sequence by `strides`).

    >>> keras.layers.Conv1DTranspose(2, 3, strides=2)(np.zeros((1, 4, 3))).shape
    TensorShape([1, 9, 2])
    """

    _rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution: with `padding="same"` the output is `strides` times the
    input; `output_padding` picks among the sizes that convolve back to the input's.

    >>> keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(
    ...     np.zeros((1, 5, 5, 2))).shape
    TensorShape([1, 10, 10, 4])
    """

    _rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution.

    >>> keras.layers.Conv3DTranspose(2, 2, strides=2)(np.zeros((1, 2, 3, 4, 1))).shape
    TensorShape([1, 4, 6, 8, 2])
    """

    _rank = 3


# -- depthwise and separable convolutions -------------------------------------------------
class _Depthwise(_Spatial):
    """Helpers of the depthwise family: the 2-D op, with 1-D inputs given a height of 1."""

    def _depthwise(self, inputs, kernel):
        fmt = A.tf_format(self.data_format, 2)
        if self._rank == 2:
            return tf.nn.depthwise_conv2d(inputs, kernel, self.strides,
                                          self.padding.upper(), data_format=fmt,
                                          dilations=self.dilation_rate)
        axis = 2 if self.data_format == "channels_first" else 1
        y = tf.nn.depthwise_conv2d(tf.expand_dims(inputs, axis), tf.expand_dims(kernel, 0),
                                   (1,) + self.strides, self.padding.upper(),
                                   data_format=fmt, dilations=(1,) + self.dilation_rate)
        return tf.squeeze(y, [axis])

    def _pointwise(self, h, kernel):
        fmt = A.tf_format(self.data_format, self._rank)
        return tf.nn.convolution(h, kernel, strides=1, padding="VALID", data_format=fmt)

    def _init_depthwise(self, depth_multiplier, depthwise_initializer, depthwise_regularizer,
                        depthwise_constraint):
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier",
                                          type(self).__name__)
        W.set_args(self, "depthwise", depthwise_initializer, depthwise_regularizer,
                   depthwise_constraint)

    def _depthwise_config(self) -> dict:
        return {"depth_multiplier": self.depth_multiplier, **W.config(self, "depthwise")}


class _DepthwiseConv(_Depthwise):
    """Each input channel convolved with its own `depth_multiplier` filters; the kernel is
    `kernel_size + (in_channels, depth_multiplier)`."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias, bias_initializer, bias_regularizer,
                           bias_constraint)
        self._init_depthwise(depth_multiplier, depthwise_initializer, depthwise_regularizer,
                             depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = W.add_weight(self, "kernel",
                                   self.kernel_size + (channels, self.depth_multiplier),
                                   prefix="depthwise")
        self._finish_build(channels, channels * self.depth_multiplier)

    def call(self, inputs):
        return self._finish(self._depthwise(inputs, self.kernel.value()))

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape)
        channels = shape[self._channel_axis] if shape.rank else None
        return self._conv_shape(input_shape, None if channels is None else
                                channels * self.depth_multiplier)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._spatial_config(), **self._depthwise_config()}


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution: channel c of the output block c * M .. c * M + M - 1 sees
    only input channel c.

    >>> keras.layers.DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((1, 8, 3))).shape
    TensorShape([1, 6, 6])
    """

    _rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution (the first half of a separable convolution).

    >>> keras.layers.DepthwiseConv2D(3, padding="same")(np.zeros((1, 5, 5, 4))).shape
    TensorShape([1, 5, 5, 4])
    """

    _rank = 2


class _SeparableConv(_Depthwise):
    """A depthwise convolution then a 1x1 (pointwise) convolution to `filters` channels;
    weights `depthwise_kernel` (kernel_size + (in, M)), `pointwise_kernel`
    ((1,) * rank + (in * M, filters)) and `bias`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _positive(filters, "filters", type(self).__name__)
        self._init_spatial(kernel_size, strides, padding, data_format, dilation_rate,
                           activation, use_bias, bias_initializer, bias_regularizer,
                           bias_constraint)
        self._init_depthwise(depth_multiplier, depthwise_initializer, depthwise_regularizer,
                             depthwise_constraint)
        W.set_args(self, "pointwise", pointwise_initializer, pointwise_regularizer,
                   pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = W.add_weight(
            self, "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            prefix="depthwise")
        self.pointwise_kernel = W.add_weight(
            self, "pointwise_kernel",
            (1,) * self._rank + (channels * self.depth_multiplier, self.filters),
            prefix="pointwise")
        self._finish_build(channels, self.filters)

    def call(self, inputs):
        h = self._depthwise(inputs, self.depthwise_kernel.value())
        return self._finish(self._pointwise(h, self.pointwise_kernel.value()))

    def compute_output_shape(self, input_shape):
        return self._conv_shape(input_shape, self.filters)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, **self._spatial_config(),
                **self._depthwise_config(), **W.config(self, "pointwise")}


class SeparableConv1D(_SeparableConv):
    """Depthwise then pointwise 1-D convolution.

    >>> keras.layers.SeparableConv1D(4, 3)(np.zeros((2, 8, 3))).shape
    TensorShape([2, 6, 4])
    """

    _rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise then pointwise 2-D convolution (far fewer weights than Conv2D).

    >>> keras.layers.SeparableConv2D(8, 3, padding="same")(np.zeros((1, 6, 6, 4))).shape
    TensorShape([1, 6, 6, 8])
    """

    _rank = 2
