"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

import rill as tf
from rill.keras import activations, constraints, initializers, regularizers
from rill.keras.layers.base_layer import Layer


def _non_negative(value, arg: str, who: str, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{who}: {arg} must be a number >= 0, got {value!r}.\nhint: e.g. "
                         f"{who}({arg}=0.1).")
    return float(value)


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)


class ReLU(_Elementwise):
    """The rectified linear unit: `min(x, max_value)` for `x > threshold`, else
    `negative_slope * (x - threshold)`.

    >>> keras.layers.ReLU(max_value=4.)(np.array([2., 9.])).numpy()
    array([2., 4.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(max_value, "max_value", "ReLU", allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "ReLU")
        self.threshold = _non_negative(threshold, "threshold", "ReLU")

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """`x` for `x > 0`, else `negative_slope * x` (tf.keras 2 calls it `alpha`; default 0.3).

    >>> keras.layers.LeakyReLU(negative_slope=0.5)(np.array([-2., 3.])).numpy()
    array([-1.,  3.], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "LeakyReLU")

    @property
    def alpha(self) -> float:
        return self.negative_slope

    def call(self, inputs):
        return tf.nn.leaky_relu(inputs, alpha=self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """A leaky ReLU whose slope `alpha` is learned: `x` for `x > 0`, else `alpha * x`.

    `alpha` has the input's sample shape, except along `shared_axes` (size 1 there).

    >>> layer = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.5))
    >>> layer(np.array([[-2., 3.]])).numpy()
    array([[-1.,  3.]], dtype=float32)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = shared_axes if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            self.shared_axes = [int(a) for a in axes]
        self.supports_masking = True

    def build(self, input_shape):
        dims = tf.TensorShape(input_shape).as_list()[1:]
        for a in self.shared_axes or ():
            dims[a - 1] = 1
        if None in dims:
            raise ValueError(f"PReLU {self.name!r}: the input's sample shape must be known "
                             f"(except along shared_axes), got {tf.TensorShape(input_shape)}."
                             f"\nhint: pass shared_axes for the axes of unknown size.")
        self.alpha = self.add_weight(name="alpha", shape=tuple(dims),
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return tf.nn.relu(inputs) - self.alpha.value() * tf.nn.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """The exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    >>> keras.layers.ELU(alpha=2.)(np.array([0., 1.])).numpy()
    array([0., 1.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax along `axis`; positions where `mask` is False get probability 0.

    >>> keras.layers.Softmax()(np.array([[0., 0.]])).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else list(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = inputs + (1.0 - tf.cast(mask, inputs.dtype)) * -1e9
        if isinstance(self.axis, list) and len(self.axis) > 1:
            out = tf.exp(inputs - tf.reduce_logsumexp(inputs, self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            out = tf.nn.softmax(inputs, axis=axis)
        return out if mask is None else out * tf.cast(mask, out.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
