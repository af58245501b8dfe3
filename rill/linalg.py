"""`tf.linalg`: the public linear-algebra namespace."""

