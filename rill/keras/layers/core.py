"""Core layers: Dense, Activation, Identity (Lambda is in `lambda_layer.py`, InputLayer in
`input_layer.py`)."""

from __future__ import annotations

import rill as tf
from rill.keras import activations, regularizers
from rill.keras.layers import _weight_args as W
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.input_spec import InputSpec

_linear = activations.linear


class Dense(Layer):
    """A densely connected layer: `activation(inputs @ kernel + bias)`.

    Inputs of rank above 2 are multiplied over their last axis: `(batch, t, d)` gives
    `(batch, t, units)`.

    Args:
        units: the output size.
        activation: a name ("relu"), a function, or None (linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (names, objects or functions).
        kernel_regularizer, bias_regularizer: regularizers of the weights (added to
            `losses`); activity_regularizer: of the output.
        kernel_constraint, bias_constraint: applied by the optimizer after each update.

    >>> layer = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")
    >>> layer(np.array([[1., 2., 3.]])).numpy()
    array([[7., 7.]], dtype=float32)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        try:
            ok = not isinstance(units, bool) and int(units) == units and int(units) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}.\n"
                             f"hint: Dense(units=10) for 10 outputs.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        W.set_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        W.set_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        last = input_shape[-1] if input_shape.rank else None
        if last is None:
            raise ValueError(f"Dense {self.name!r}: the last dimension of the inputs must be "
                             f"known to build the kernel, got input shape {input_shape}.\n"
                             f"hint: give the input a static last axis, e.g. "
                             f"keras.Input(shape=(n_features,)).")
        self.kernel = W.add_weight(self, "kernel", (last, self.units))
        self.bias = W.add_weight(self, "bias", (self.units,)) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.built = True

    def call(self, inputs):
        if inputs.ndim is not None and inputs.ndim < 2:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected min_ndim=2, found ndim={inputs.ndim}. Full shape "
                             f"received: {tuple(inputs.shape.as_list())}\nhint: give the input "
                             f"a batch axis, e.g. x[None] or tf.expand_dims(x, 0).")
        kernel = self.kernel.value()  # value(): matmul's eager fast path
        if inputs.dtype != kernel.dtype and not inputs.dtype.is_floating:
            inputs = tf.cast(inputs, kernel.dtype)  # counts, one-hot ints: promoted as Keras 3
        y = tf.matmul(inputs, kernel)
        if self.bias is not None:
            y = y + self.bias.value()
        act = self.activation
        return y if act is _linear else act(y)

    def compute_output_shape(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        return tf.TensorShape(input_shape.as_list()[:-1] + [self.units])

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, **W.config(self, "kernel", "bias"),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


class Activation(Layer):
    """Applies an activation function to its input.

    >>> keras.layers.Activation("relu")(np.array([-1., 2.])).numpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged (a placeholder in architectures).

    >>> keras.layers.Identity()(np.array([1., 2.])).numpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
