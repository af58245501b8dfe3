"""SpatialDropout1D/2D/3D: Dropout that drops whole feature maps (every position of a
channel together), for convolutional features whose neighbours are correlated."""

from __future__ import annotations

import rill as tf
from rill.keras.layers import _spatial_args as A
from rill.keras.layers.input_spec import InputSpec
from rill.keras.layers.regularization import Dropout


class _SpatialDropout(Dropout):
    """Dropout with a noise shape of (batch, 1, ..., 1, channels) (or channels first)."""

    _rank = 1

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = A.data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        shape = tf.shape(inputs)
        ones = [1] * self._rank
        noise = [shape[0], shape[1], *ones] if self.data_format == "channels_first" else \
            [shape[0], *ones, shape[-1]]
        return tf.nn.dropout(inputs, rate=self.rate, seed=self.seed,
                             noise_shape=tf.stack(noise))

    def get_config(self) -> dict:
        config = {**super().get_config()}
        config.pop("noise_shape", None)
        if self._rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) during training.

    >>> keras.layers.SpatialDropout1D(0.5)(np.ones((1, 3, 2)), training=False).numpy()[0, 0]
    array([1., 1.], dtype=float32)
    """

    _rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, None, seed, name, dtype, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, height, width, channels) during training."""

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps of (batch, depth, height, width, channels) during training."""

    _rank = 3
