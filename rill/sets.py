"""`tf.sets`: set operations on dense tensors and SparseTensors (explicit re-exports of
`rill.ops.sets_ops`)."""

from rill.ops.sets_ops import (
    difference,
    intersection,
    set_difference,
    set_intersection,
    set_size,
    set_union,
    size,
    union,
)

__all__ = ["difference", "intersection", "set_difference", "set_intersection", "set_size",
           "set_union", "size", "union"]
