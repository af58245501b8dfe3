"""`keras.layers.Embedding`: integer indices to dense vectors."""

from __future__ import annotations

import rill as tf
from rill.keras import constraints, initializers, regularizers
from rill.keras.layers.base_layer import Layer


class Embedding(Layer):
    """Maps each index in `[0, input_dim)` to a trainable vector of size `output_dim`:
    `(batch, ...)` -> `(batch, ..., output_dim)`.

    Args:
        input_dim: the vocabulary size. output_dim: the size of each vector.
        embeddings_initializer: default "uniform" (in [-0.05, 0.05]).
        mask_zero: index 0 is padding: `compute_mask` marks the other positions.
        input_length: tf.keras 2's fixed sequence length (sets the input shape).

    >>> emb = keras.layers.Embedding(3, 2, embeddings_initializer="ones")
    >>> emb(np.array([[0, 2]])).shape
    TensorShape([1, 2, 2])
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, **kwargs):
        if input_length is not None and not ({"input_shape", "batch_input_shape"} & set(kwargs)):
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Embedding: {arg} must be a positive integer, got "
                                 f"{value!r}.\nhint: Embedding(input_dim=vocab_size, "
                                 f"output_dim=8).")
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length
        self.supports_masking = self.mask_zero

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings",
                                          shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if not inputs.dtype.is_integer:
            inputs = tf.cast(inputs, tf.int32)
        return tf.gather(self.embeddings.value(), inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return tf.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(tf.TensorShape(input_shape).as_list() + [self.output_dim])

    def get_config(self) -> dict:
        config = {**super().get_config(), "input_dim": self.input_dim,
                  "output_dim": self.output_dim,
                  "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                  "embeddings_regularizer": regularizers.serialize(
                      self.embeddings_regularizer),
                  "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                  "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                  "mask_zero": self.mask_zero}
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return config
