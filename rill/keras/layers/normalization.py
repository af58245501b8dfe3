"""Normalization layers: BatchNormalization and LayerNormalization."""

from __future__ import annotations

import rill as tf
from rill.keras import constraints, initializers, regularizers
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.input_spec import InputSpec


def _axes(axis, shape: tf.TensorShape, who: str) -> list:
    rank = shape.rank
    if rank is None:
        raise ValueError(f"{who}: the input rank must be known to build the layer.\nhint: give "
                         f"the input a static shape (keras.Input(shape=...)).")
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"{who}: axis {a} is out of range for inputs of rank {rank} "
                             f"(shape {shape}).\nhint: use an axis in [-{rank}, {rank}).")
        out.append(a % rank)
    for a in out:
        if shape[a] is None:
            raise ValueError(f"{who}: axis {a} of the input must have a known size to build "
                             f"the layer, got input shape {shape}.\nhint: give the input a "
                             f"static size on the normalized axes.")
    return sorted(set(out))


class _Normalization(Layer):
    """Shared parts: the gamma/beta weights and their broadcast shape."""

    def _init_params(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                     beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint):
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _build_params(self, input_shape, scale: bool, center: bool):
        shape = tf.TensorShape(input_shape)
        axes = _axes(self.axis, shape, f"{type(self).__name__} {self.name!r}")
        param_shape = tuple(shape[a] for a in axes)
        self._norm_axes = axes
        self._reduce_axes = [i for i in range(shape.rank) if i not in axes]
        # parameters are reshaped to broadcast unless they sit on the last axis
        self._bcast = None if axes == [shape.rank - 1] else \
            [shape[i] if i in axes else 1 for i in range(shape.rank)]
        self.gamma = self.add_weight(name="gamma", shape=param_shape,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if scale else None
        self.beta = self.add_weight(name="beta", shape=param_shape,
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if center else None
        self.input_spec = InputSpec(ndim=shape.rank, axes={a: shape[a] for a in axes})
        return param_shape

    def _param(self, x):
        x = x.value() if isinstance(x, tf.Variable) else x
        return x if self._bcast is None else tf.reshape(x, self._bcast)

    def _normalize(self, inputs, mean, variance):
        """`(x - mean) / sqrt(variance + epsilon) * gamma + beta`, as one scale and shift."""
        inv = tf.math.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self._param(self.gamma)
        shift = -mean * inv
        if self.beta is not None:
            shift = shift + self._param(self.beta)
        return inputs * inv + shift

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def _param_config(self) -> dict:
        return {"axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


class BatchNormalization(_Normalization):
    """Normalizes each feature with the batch's mean and variance during training, and with
    moving averages of them at inference: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    Each training call updates `moving = moving * momentum + batch_stat * (1 - momentum)`
    (the batch variance is the biased one). A frozen layer (`trainable=False`) always runs in
    inference mode.

    Args:
        axis: the feature axis (or axes) to keep; the others are reduced.
        momentum: of the moving averages. epsilon: added to the variance.
        center, scale: whether to learn `beta` / `gamma`.

    >>> bn = keras.layers.BatchNormalization(momentum=0.5)
    >>> bn(np.array([[1.], [3.]]), training=True).numpy().round(4)  # (x - 2) / sqrt(1.001)
    array([[-0.9995],
           [ 0.9995]], dtype=float32)
    >>> bn.moving_mean.numpy(), bn.moving_variance.numpy()
    (array([1.], dtype=float32), array([1.], dtype=float32))
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, fused=None, virtual_batch_size=None, adjustment=None,
                 **kwargs):
        super().__init__(**kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotImplementedError("BatchNormalization: renorm, virtual_batch_size and "
                                      "adjustment are not supported by rill.\nhint: leave "
                                      "them at their defaults.")
        self._init_params(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)
        self.momentum = float(momentum)
        self.synchronized = bool(synchronized)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        shape = self._build_params(input_shape, self.scale, self.center)
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape, trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               trainable=False,
                                               initializer=self.moving_variance_initializer)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            mean, variance = tf.nn.moments(inputs, self._reduce_axes)
            m = self.momentum
            for moving, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
                moving.assign(moving.value() * m + value * (1.0 - m))
            return self._normalize(inputs, self._param(mean), self._param(variance))
        return self._normalize(inputs, self._param(self.moving_mean),
                               self._param(self.moving_variance))

    def get_config(self) -> dict:
        return {**super().get_config(), **self._param_config(), "momentum": self.momentum,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer),
                "synchronized": self.synchronized}


class LayerNormalization(_Normalization):
    """Normalizes each sample over `axis`: `gamma * (x - mean) / sqrt(var + epsilon) + beta`
    (with `rms_scaling`: `gamma * x / sqrt(mean(x^2) + epsilon)`).

    >>> ln = keras.layers.LayerNormalization(epsilon=0.0)
    >>> ln(np.array([[1., 3.]])).numpy()
    array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self._init_params(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        rms = self.rms_scaling
        self._build_params(input_shape, self.scale or rms, self.center and not rms)
        self.built = True

    def call(self, inputs):
        if self.rms_scaling:
            mean_square = tf.reduce_mean(tf.square(inputs), self._norm_axes, keepdims=True)
            return self._normalize(inputs, tf.zeros_like(mean_square), mean_square)
        mean, variance = tf.nn.moments(inputs, self._norm_axes, keepdims=True)
        return self._normalize(inputs, mean, variance)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._param_config(),
                "rms_scaling": self.rms_scaling}
