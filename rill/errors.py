"""`tf.errors`: the exception types raised by ops."""

