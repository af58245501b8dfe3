"""`tf.random`: the public namespace (explicit re-exports)."""
