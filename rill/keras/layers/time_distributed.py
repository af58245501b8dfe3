"""`keras.layers.TimeDistributed`: applies a layer to every time step of its input."""

from __future__ import annotations

import rill as tf
from rill.keras.layers._rnn_cell import deserialize_layer, layer_scope
from rill.keras.layers.base_layer import Layer
from rill.keras.saving.serialization import serialize_keras_object


def _merge_axes(x):
    """`(batch, time, ...)` -> `(batch * time, ...)`, keeping the static inner shape."""
    inner = x.shape.as_list()[2:]
    if None in inner:
        return tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))
    return tf.reshape(x, [-1] + inner)


class TimeDistributed(Layer):
    """Applies `layer` to each slice `inputs[:, t]`: `(batch, time, ...)` in, `(batch, time,
    ...)` out. The steps are run as one batch of `batch * time` samples (the same weights
    for every step).

    >>> td = keras.layers.TimeDistributed(keras.layers.Dense(2))
    >>> td(np.ones((4, 3, 5))).shape
    TensorShape([4, 3, 2])
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: `layer` must be a keras.layers.Layer "
                             f"instance, got {layer!r}.\nhint: "
                             f"TimeDistributed(keras.layers.Dense(10)).")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _inner_shape(self, input_shape) -> tf.TensorShape:
        shape = tf.TensorShape(input_shape)
        if shape.rank is None or shape.rank < 3:
            raise ValueError(f"TimeDistributed {self.name!r}: expects inputs of rank >= 3 "
                             f"(batch, time, ...), got shape {shape}.\nhint: give the input "
                             f"a time axis, e.g. keras.Input(shape=(timesteps, features)).")
        return tf.TensorShape([None if shape[0] is None or shape[1] is None
                               else shape[0] * shape[1]]).concatenate(shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            with layer_scope(self):
                self.layer.build(self._inner_shape(input_shape))
            self.layer.built = True
        self.built = True

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape)
        inner = tf.TensorShape(self.layer.compute_output_shape(self._inner_shape(shape)))
        return tf.TensorShape(shape[:2]).concatenate(inner[1:])

    def call(self, inputs, training=None, mask=None):
        x = _merge_axes(inputs)
        kwargs = {}
        has_training, _, has_mask = self.layer._call_spec[:3]
        if has_training:
            kwargs["training"] = training
        if has_mask and mask is not None:
            kwargs["mask"] = _merge_axes(mask) if mask.shape.rank > 2 else \
                tf.reshape(mask, [-1])
        y = self.layer(x, **kwargs)
        lead = [d if d is not None else tf.shape(inputs)[i]
                for i, d in enumerate(inputs.shape.as_list()[:2])]
        inner = y.shape.as_list()[1:]
        if None in inner or any(isinstance(d, tf.Tensor) for d in lead):
            shape = tf.concat([tf.stack([tf.convert_to_tensor(d) for d in lead]),
                               tf.shape(y)[1:]], 0)
            return tf.reshape(y, shape)
        return tf.reshape(y, lead + inner)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return cls(**config)
