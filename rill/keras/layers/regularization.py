"""Regularization layers: Dropout and the noise layers act only when `training` is true;
ActivityRegularization adds a loss on its input."""

from __future__ import annotations

import math

import rill as tf
from rill.keras import regularizers
from rill.keras.layers.base_layer import Layer


def _rate(rate, who: str) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"{who}: invalid value received for argument `rate`. Expected a float "
                         f"value in [0, 1). Received: rate={rate!r}.\nhint: rate is the "
                         f"fraction of inputs to drop, e.g. {who}(0.2).")
    return float(rate)


def _noise_shape(noise_shape, inputs):
    """`noise_shape` with its None entries taken from the input's shape."""
    if noise_shape is None:
        return tf.shape(inputs)
    static = inputs.shape.as_list()
    dims = [static[i] if d is None else d for i, d in enumerate(noise_shape)]
    if None not in dims:
        return dims
    dynamic = tf.shape(inputs)
    return tf.stack([dynamic[i] if d is None else tf.constant(d, dynamic.dtype)
                     for i, d in enumerate(dims)])


class Dropout(Layer):
    """Sets a fraction `rate` of the inputs to 0 during training and scales the others by
    `1 / (1 - rate)`; the identity otherwise.

    Args:
        rate: the fraction to drop, in [0, 1).
        noise_shape: the shape of the keep/drop mask, broadcast over the input (None entries
            take the input's size), e.g. `(batch, 1, features)` to drop whole features.
        seed: a seed for the random mask.

    >>> layer = keras.layers.Dropout(0.5)
    >>> layer(np.ones((2, 2)), training=False).numpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate, type(self).__name__)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return tf.nn.dropout(inputs, rate=self.rate, seed=self.seed,
                                 noise_shape=_noise_shape(self.noise_shape, inputs))
        return inputs

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class AlphaDropout(Dropout):
    """Dropout for SELU networks: dropped inputs take SELU's negative saturation value and an
    affine correction keeps the mean and variance of the inputs (training only).

    >>> keras.layers.AlphaDropout(0.2)(np.ones((1, 3)), training=False).numpy()
    array([[1., 1., 1.]], dtype=float32)
    """

    def call(self, inputs, training=False):
        if not (training and 0 < self.rate < 1):
            return inputs
        alpha_p = -1.6732632423543772 * 1.0507009873554805  # -alpha * scale of SELU
        shape = _noise_shape(self.noise_shape, inputs)
        kept = tf.cast(tf.random.uniform(shape, seed=self.seed, dtype=inputs.dtype) >=
                       self.rate, inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` during training.

    >>> keras.layers.GaussianNoise(0.1)(np.ones((1, 2))).numpy()
    array([[1., 1.]], dtype=float32)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a number >= 0, got {stddev!r}.\n"
                             f"hint: GaussianNoise(0.1).")
        self.stddev = float(stddev)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return inputs + tf.random.normal(tf.shape(inputs), stddev=self.stddev,
                                             dtype=inputs.dtype, seed=self.seed)
        return inputs

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` during training.

    >>> keras.layers.GaussianDropout(0.3)(np.ones((1, 2))).numpy()
    array([[1., 1.]], dtype=float32)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate, "GaussianDropout")
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and 0 < self.rate < 1:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return inputs * tf.random.normal(tf.shape(inputs), mean=1.0, stddev=stddev,
                                             dtype=inputs.dtype, seed=self.seed)
        return inputs

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ActivityRegularization(Layer):
    """Returns its input and adds `(l1 * sum|x| + l2 * sum x^2) / batch_size` to `losses`.

    >>> layer = keras.layers.ActivityRegularization(l2=0.5)
    >>> _ = layer(np.array([[1., 2.], [3., 4.]]))
    >>> float(layer.losses[0])  # 0.5 * 30 / 2
    7.5
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
