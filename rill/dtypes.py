"""`tf.dtypes`: the dtype objects and the casts between them (explicit re-exports of
`rill._core.dtypes`, which cannot import ops, and of the cast ops)."""

from rill._core.dtypes import (
    DType,
    as_dtype,
    bfloat16,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from rill.ops.math_ops import cast, complex
from rill.ops.misc_ops import saturate_cast

__all__ = [
    "DType", "as_dtype", "bfloat16", "bool", "cast", "complex", "complex64", "complex128",
    "double", "float16", "float32", "float64", "half", "int8", "int16", "int32", "int64",
    "saturate_cast", "string", "uint8", "uint16", "uint32", "uint64",
]
