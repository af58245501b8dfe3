"""`tf.math`: the public math namespace (explicit re-exports of `rill.ops.math_ops`)."""

