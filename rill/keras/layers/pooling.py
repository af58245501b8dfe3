"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D (windows of `pool_size`,
`strides` defaulting to the window) and the global poolings over all spatial axes
(`keepdims`; GlobalAveragePooling1D skips masked steps)."""

from __future__ import annotations

import rill as tf
from rill.keras.layers import _spatial_args as A
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.input_spec import InputSpec


class _Pooling(Layer):
    """Max or average over windows, through `tf.nn.max_pool` / `tf.nn.avg_pool`."""

    _rank = 2
    _pool = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        who = type(self).__name__
        self.pool_size = A.int_tuple(pool_size, self._rank, "pool_size", who)
        self.strides = self.pool_size if strides is None else \
            A.int_tuple(strides, self._rank, "strides", who)
        self.padding = A.padding_mode(padding, who)
        self.data_format = A.data_format(data_format, who)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs):
        fn = tf.nn.max_pool if self._pool == "max" else tf.nn.avg_pool
        return fn(inputs, self.pool_size, self.strides, self.padding.upper(),
                  data_format=A.tf_format(self.data_format, self._rank))

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        spatial = [A.conv_length(n, k, self.padding, s) for n, k, s in zip(
            A.spatial_dims(shape, self.data_format), self.pool_size, self.strides)]
        channels = shape[1] if self.data_format == "channels_first" else shape[-1]
        return tf.TensorShape(A.with_spatial(shape, spatial, channels, self.data_format))

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """The maximum of each window of `pool_size` steps.

    >>> keras.layers.MaxPooling1D()(np.arange(6.).reshape(1, 6, 1)).numpy().ravel()
    array([1., 3., 5.], dtype=float32)
    """

    _rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """The maximum of each `pool_size` window of an image.

    >>> keras.layers.MaxPooling2D(2)(np.zeros((1, 5, 5, 3))).shape
    TensorShape([1, 2, 2, 3])
    """

    _rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(_Pooling):
    """The maximum of each `pool_size` window of a volume.

    >>> keras.layers.MaxPooling3D()(np.zeros((1, 4, 4, 5, 2))).shape
    TensorShape([1, 2, 2, 2, 2])
    """

    _rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """The mean of each window of `pool_size` steps ('same' padding is not counted).

    >>> keras.layers.AveragePooling1D(2)(np.arange(4.).reshape(1, 4, 1)).numpy().ravel()
    array([0.5, 2.5], dtype=float32)
    """

    _rank = 1
    _pool = "avg"


class AveragePooling2D(_Pooling):
    """The mean of each `pool_size` window of an image.

    >>> keras.layers.AveragePooling2D(2, padding="same")(np.ones((1, 3, 3, 1))).shape
    TensorShape([1, 2, 2, 1])
    """

    _rank = 2
    _pool = "avg"


class AveragePooling3D(_Pooling):
    """The mean of each `pool_size` window of a volume."""

    _rank = 3
    _pool = "avg"


class _GlobalPooling(Layer):
    """Max or mean over every spatial axis; `keepdims` keeps them with size 1."""

    _rank = 2
    _pool = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = A.data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _axes(self) -> list:
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self._rank))

    def call(self, inputs):
        fn = tf.reduce_max if self._pool == "max" else tf.reduce_mean
        return fn(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        axes = self._axes()
        if self.keepdims:
            return tf.TensorShape([1 if i in axes else d for i, d in enumerate(shape)])
        return tf.TensorShape([d for i, d in enumerate(shape) if i not in axes])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the steps: (batch, steps, features) -> (batch, features).

    >>> keras.layers.GlobalMaxPooling1D()(np.arange(6.).reshape(1, 3, 2)).numpy()
    array([[4., 5.]], dtype=float32)
    """

    _rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over height and width."""

    _rank = 2


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over depth, height and width."""

    _rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps; with a mask (from `Embedding(mask_zero=True)` or `Masking`)
    only the unmasked steps count.

    >>> keras.layers.GlobalAveragePooling1D()(np.arange(6.).reshape(1, 3, 2)).numpy()
    array([[2., 3.]], dtype=float32)
    """

    _rank = 1
    _pool = "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        axis = self._axes()[0]
        keep = tf.expand_dims(tf.cast(mask, tf.bool), 1 if axis == 2 else 2)
        weights = tf.cast(keep, inputs.dtype)
        total = tf.reduce_sum(tf.where(keep, inputs, tf.zeros_like(inputs)), axis=axis,
                              keepdims=self.keepdims)
        return total / tf.reduce_sum(weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over height and width: (batch, h, w, c) -> (batch, c).

    >>> keras.layers.GlobalAveragePooling2D(keepdims=True)(np.ones((2, 3, 3, 4))).shape
    TensorShape([2, 1, 1, 4])
    """

    _rank = 2
    _pool = "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over depth, height and width."""

    _rank = 3
    _pool = "avg"
