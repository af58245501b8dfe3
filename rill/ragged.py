"""`tf.ragged`: RaggedTensor constructors and ops (explicit re-exports of
`rill.ops.ragged`)."""

from rill.ops.ragged.ragged_ops import (
    boolean_mask,
    constant,
    constant_value,
    map_flat_values,
    range,
    row_splits_to_segment_ids,
    segment_ids_to_row_splits,
    stack,
)
from rill.ops.ragged.ragged_tensor import RaggedTensor, RaggedTensorSpec

__all__ = ["RaggedTensor", "RaggedTensorSpec", "boolean_mask", "constant", "constant_value",
           "map_flat_values", "range", "row_splits_to_segment_ids",
           "segment_ids_to_row_splits", "stack"]
