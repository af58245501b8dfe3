"""`keras.backend` (K): math functions over rill ops, as in tf.keras."""
