"""`keras.layers.Lambda`: wraps a function of tensors as a layer."""

from __future__ import annotations

import inspect

import rill as tf
from rill.keras import activations
from rill.keras.layers.base_layer import Layer
from rill.keras.saving.serialization import deserialize_keras_object, serialize_keras_object


class Lambda(Layer):
    """A layer that applies `function(inputs, **arguments)`.

    Args:
        function: the function; it also receives `mask=` and `training=` when its signature
            names them.
        output_shape: the output shape without the batch axis (a tuple), or a function of
            the input shape; inferred by running `function` when None.
        mask: a mask for the output, or a function `(inputs, mask) -> mask`.
        arguments: extra keyword arguments for `function`.

    Only named functions can be saved in a config (`get_config` refuses a `lambda`).

    >>> exponential_layer = keras.layers.Lambda(lambda x: tf.exp(x))
    >>> exponential_layer(np.array([0., 1.])).numpy()
    array([1.      , 2.718282], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {function!r}.\nhint: "
                            f"keras.layers.Lambda(lambda x: tf.exp(x)).")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_takes = {k for k in ("mask", "training") if k in params}
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if "mask" in self._fn_takes:
            kwargs["mask"] = mask
        if "training" in self._fn_takes:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        spec = self._output_shape
        if spec is None:
            return super().compute_output_shape(input_shape)
        if callable(spec):
            return spec(input_shape)
        first = tf.nest.flatten(input_shape) if not isinstance(input_shape, tf.TensorShape) \
            else [input_shape]
        batch = tf.TensorShape(first[0])[0] if first and tf.TensorShape(first[0]).rank else None
        return tf.TensorShape([batch, *spec])

    def get_config(self) -> dict:
        fn = self.function
        if getattr(fn, "__name__", "<lambda>") == "<lambda>":
            raise NotImplementedError(
                f"Lambda {self.name!r}: its function is a Python lambda, which cannot be saved "
                f"in a config.\nhint: define it with `def` (and register it with "
                f"@keras.saving.register_keras_serializable(), or pass it in custom_objects "
                f"when loading), or subclass keras.layers.Layer.")
        return {**super().get_config(), "function": serialize_keras_object(fn),
                "output_shape": _ser(self._output_shape), "mask": _ser(self.mask),
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, dict) and value.get("class_name") == "function":
                config[key] = _function(value, custom_objects)
        return super().from_config(config)


def _ser(value):
    if value is None or isinstance(value, (list, tuple)):
        return None if value is None else list(value)
    return serialize_keras_object(value)


def _function(config: dict, custom_objects):
    try:
        return deserialize_keras_object(config, custom_objects=custom_objects,
                                        printable_module_name="Lambda function")
    except ValueError:
        if str(config.get("module", "")).startswith("rill") or config.get("module") == "builtins":
            for space in (tf, tf.math, tf.nn, activations):  # rill's own ops, by name
                fn = getattr(space, str(config.get("config")), None)
                if callable(fn):
                    return fn
        raise
