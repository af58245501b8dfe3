"""`tf.nn`: the public namespace (explicit re-exports)."""
