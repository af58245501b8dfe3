"""rill: TensorFlow 2's programming model in plain Python on NumPy.

    import rill as tf

Every public name is imported explicitly below, so a reader can see where it comes from.
Each block is TensorFlow's top-level alias set for one op group.
"""

import warnings as _warnings

from rill import autodiff, debugging, errors, linalg, math, nn, random
from rill._core import nest
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

# -- array ops (tf.reshape, tf.zeros, tf.where, ...) ---------------------------------------
from rill.ops.array_ops import (
    broadcast_to,
    clip_by_norm,
    expand_dims,
    fill,
    identity,
    linspace,
    meshgrid,
    one_hot,
    ones,
    ones_like,
    rank,
    reshape,
    searchsorted,
    sequence_mask,
    shape,
    shape_n,
    size,
    squeeze,
    stop_gradient,
    where,
    zeros,
    zeros_like,
)
from rill.ops.array_ops import range_ as range

# -- random/debugging (tf.Assert, tf.assert_equal, tf.is_tensor, ...) -----------------------
from rill.ops.debugging_ops import (
    Assert,
    assert_equal,
    assert_greater,
    assert_less,
    assert_rank,
    is_symbolic_tensor,
    is_tensor,
)

# -- gather and scatter (tf.gather, tf.scatter_nd, tf.boolean_mask, tf.IndexedSlices, ...) --
from rill.ops.gather_scatter_ops import (
    boolean_mask,
    gather,
    gather_nd,
    repeat,
    scatter_nd,
    tensor_scatter_nd_add,
    tensor_scatter_nd_sub,
    tensor_scatter_nd_update,
)
from rill.ops.indexed_slices import IndexedSlices

# -- slicing (tf.slice, tf.strided_slice; t[...] is installed by rill.ops.operators) -------
from rill.ops.indexing_ops import slice_ as slice
from rill.ops.indexing_ops import strided_slice

# -- nn/linalg (tf.einsum, tf.tensordot, tf.eye, tf.norm; the rest is tf.nn.*, tf.linalg.*) --
from rill.ops.linalg_ops import einsum, eye, norm, tensordot

# -- array manipulation (tf.transpose, tf.concat, tf.stack, tf.split, tf.pad, ...) ---------
from rill.ops.manip_ops import (
    concat,
    pad,
    reverse,
    roll,
    split,
    stack,
    tile,
    transpose,
    unstack,
)

# -- math ops (tf.add, ...) -----------------------------------------------------------------
from rill.ops.math_ops import (
    abs,
    acos,
    acosh,
    add,
    add_n,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cast,
    clip_by_value,
    complex,
    cos,
    cosh,
    divide,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    realdiv,
    round,
    scalar_mul,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    truediv,
)
from rill.ops.reduction_ops import (
    argmax,
    argmin,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from rill.ops.sort_ops import argsort, sort, unique

# -- tf.function, graphs and Python ops (tf.function, tf.print, tf.config, ...) ------------
# isort: split
from rill import config
from rill._core.context import executing_eagerly
from rill._core.graph import init_scope
from rill.function.function import function
from rill.function.printing import print
from rill.function.py_func import numpy_function, py_function
from rill.function.signature import TensorSpec

# isort: split

# -- control flow (tf.cond, tf.case, tf.switch_case, tf.while_loop, tf.TensorArray, ...) ---
from rill import autograph
from rill.ops.control_flow_ops import case, cond, switch_case, while_loop
from rill.ops.tensor_array_ops import TensorArray

# isort: split
# -- autodiff (tf.custom_gradient, tf.recompute_grad; tf.GradientTape is above) -------------
from rill._core.custom_gradient import custom_gradient, recompute_grad
from rill.ops import custom_gradient_ops as _custom_gradient_ops  # noqa: F401 (graph op)

# isort: split
# -- utilities (tf.name_scope, tf.Module, tf.map_fn, initializers, tf.dtypes, ...) ---------
from rill import dtypes
from rill._core.module import Module
from rill._core.scopes import (
    control_dependencies,
    device,
    get_current_name_scope,
    get_static_value,
    inside_function,
    name_scope,
)
from rill.ops.functional_ops import foldl, foldr, hessians, map_fn, scan, vectorized_map
from rill.ops.init_ops import (
    constant_initializer,
    ones_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    zeros_initializer,
)
from rill.ops.misc_ops import (
    AggregationMethod,
    RegisterGradient,
    broadcast_dynamic_shape,
    broadcast_static_shape,
    clip_by_global_norm,
    ensure_shape,
    get_logger,
    group,
    identity_n,
    no_gradient,
    no_op,
    parallel_stack,
    reverse_sequence,
    saturate_cast,
    timestamp,
    truncatediv,
    truncatemod,
    unique_with_counts,
)
from rill.ops.misc_ops import tuple_ as tuple

# -- end of utilities block ------------------------------------------------------------------

_operators.install()
# Kernels follow TensorFlow, which returns inf/nan without warnings: silence NumPy's
# floating-point RuntimeWarnings raised inside rill's own modules (user code is unaffected).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"rill\.")

from rill import version  # noqa: E402 - tf.version

__version__ = version.VERSION  # the TensorFlow API level; rill.version.RILL_VERSION is rill's
newaxis = None


def __getattr__(name: str):
    # Keras is imported on first use, after the engine above is complete, so a growing Keras
    # never slows `import rill` and may subclass `tf.Module` at module level.
    if name == "keras":
        import importlib

        return importlib.import_module("rill.keras")
    if name == "train":  # tf.train: checkpoints (loaded on first use, like keras)
        import importlib

        return importlib.import_module("rill.train")
    if name in ("data", "io"):  # tf.data, tf.io: input pipelines and files (first use)
        import importlib

        return importlib.import_module(f"rill.{name}")
    if name == "image":  # tf.image: resizing, crops, flips, color (loaded on first use)
        import importlib

        return importlib.import_module("rill.image")
    if name in _DATA_STRUCTURES:  # tf.sparse, tf.ragged, tf.strings, ... (first use)
        import importlib

        module, attr = _DATA_STRUCTURES[name]
        value = importlib.import_module(module)
        value = getattr(value, attr) if attr else value
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rill' has no attribute {name!r}")


# -- other data structures (sparse, ragged and string tensors, sets, queues): lazy ---------
_DATA_STRUCTURES = {
    "sparse": ("rill.sparse", None), "ragged": ("rill.ragged", None),
    "strings": ("rill.strings", None), "sets": ("rill.sets", None),
    "queue": ("rill.queue", None),
    "SparseTensor": ("rill.ops.sparse_ops", "SparseTensor"),
    "SparseTensorSpec": ("rill.ops.sparse_ops", "SparseTensorSpec"),
    "RaggedTensor": ("rill.ops.ragged.ragged_tensor", "RaggedTensor"),
    "RaggedTensorSpec": ("rill.ops.ragged.ragged_tensor", "RaggedTensorSpec"),
}
