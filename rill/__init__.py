"""rill: TensorFlow 2's programming model in plain Python on NumPy.

    import rill as tf

Every public name is imported explicitly below, so a reader can see where it comes from.
Each block is TensorFlow's top-level alias set for one op group.
"""

from rill import autodiff, debugging, errors, keras, linalg, math, nn, random
from rill._core import dtypes, nest
from rill._core.convert import constant, convert_to_tensor
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
from rill._core.graph import Graph, Operation
from rill._core.tape import GradientTape, UnconnectedGradients
from rill._core.tensor import Tensor
from rill._core.tensor_shape import TensorShape
from rill._core.variable import Variable, VariableAggregation, VariableSynchronization
from rill.ops import operators as _operators

# -- array ops (tf.reshape, ...) ------------------------------------------------------------
from rill.ops.array_ops import reshape, shape, stack, unstack

# -- math ops (tf.add, ...) -----------------------------------------------------------------
from rill.ops.math_ops import (
    add,
    add_n,
    cast,
    exp,
    matmul,
    multiply,
    negative,
    pow,
    reduce_sum,
    square,
    subtract,
)

_operators.install()

__version__ = "0.1.0"
newaxis = None
