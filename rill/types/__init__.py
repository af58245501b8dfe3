"""`tf.types`: the protocols of TensorFlow's types (`tf.types.experimental`)."""

from rill.types import experimental

__all__ = ["experimental"]
