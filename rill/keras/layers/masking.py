"""`keras.layers.Masking`: marks the time steps whose features all equal `mask_value` as
padding, for the layers downstream (recurrent layers skip them, losses ignore them)."""

from __future__ import annotations

import rill as tf
from rill.keras.layers.base_layer import Layer


class Masking(Layer):
    """Masks the steps `(batch, time)` where every feature equals `mask_value`; their
    values become 0 and the output carries the mask `(batch, time)`.

    >>> x = np.array([[[1., 2.], [0., 0.], [3., 0.]]])
    >>> keras.layers.Masking()(x).numpy()[0, 1]
    array([0., 0.], dtype=float32)
    >>> keras.layers.Masking().compute_mask(tf.constant(x)).numpy()
    array([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise ValueError(f"Masking: mask_value must be a number, got {mask_value!r}.\n"
                             f"hint: Masking(mask_value=0.0) masks the all-zero steps.")
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return tf.reduce_any(tf.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = tf.reduce_any(tf.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * tf.cast(keep, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
