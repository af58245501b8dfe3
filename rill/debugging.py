"""`tf.debugging`: the public namespace (explicit re-exports)."""
