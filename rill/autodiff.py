"""`tf.autodiff`: the public namespace (explicit re-exports)."""
