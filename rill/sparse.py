"""`tf.sparse`: SparseTensor and its ops (explicit re-exports of `rill.ops.sparse_ops`)."""

from rill.ops.sparse_ops import (
    SparseTensor,
    SparseTensorSpec,
    add,
    concat,
    expand_dims,
    eye,
    fill_empty_rows,
    from_dense,
    mask,
    maximum,
    minimum,
    reduce_max,
    reduce_sum,
    reorder,
    reset_shape,
    reshape,
    retain,
    segment_mean,
    segment_sqrt_n,
    segment_sum,
    slice,
    sparse_dense_matmul,
    split,
    to_dense,
    to_indicator,
    transpose,
)

matmul = sparse_dense_matmul

__all__ = [
    "SparseTensor", "SparseTensorSpec", "add", "concat", "expand_dims", "eye",
    "fill_empty_rows", "from_dense", "mask", "matmul", "maximum", "minimum", "reduce_max",
    "reduce_sum", "reorder", "reset_shape", "reshape", "retain", "segment_mean",
    "segment_sqrt_n", "segment_sum", "slice", "sparse_dense_matmul", "split", "to_dense",
    "to_indicator", "transpose",
]
