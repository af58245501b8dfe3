"""`tf.math`: elementwise arithmetic, reductions and matrix products.

Each op is one short block: kernel, rule and gradient side by side. Gradients use the public
functions of this module, so they are themselves differentiable.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops._util import (
    binary_op,
    normalize_axis,
    reduction_rule,
    same_rule,
    to_tensor,
    unary_op,
    unbroadcast,
)


def _g(op, i):
    return op.needs_grad(i)


# -- arithmetic ---------------------------------------------------------------------------
add = binary_op(
    "AddV2", np.add,
    lambda op, dy: (unbroadcast(dy, op.inputs[0]) if _g(op, 0) else None,
                    unbroadcast(dy, op.inputs[1]) if _g(op, 1) else None),
    "tf.math.add", doc="x + y elementwise, with broadcasting (`tf.add`).")

subtract = binary_op(
    "Sub", np.subtract,
    lambda op, dy: (unbroadcast(dy, op.inputs[0]) if _g(op, 0) else None,
                    unbroadcast(negative(dy), op.inputs[1]) if _g(op, 1) else None),
    "tf.math.subtract", doc="x - y elementwise, with broadcasting (`tf.subtract`).")

multiply = binary_op(
    "Mul", np.multiply,
    lambda op, dy: (unbroadcast(multiply(dy, op.inputs[1]), op.inputs[0]) if _g(op, 0) else None,
                    unbroadcast(multiply(dy, op.inputs[0]), op.inputs[1]) if _g(op, 1) else None),
    "tf.math.multiply", doc="x * y elementwise, with broadcasting (`tf.multiply`).")


def _real_div_grad(op, dy):
    x, y = op.inputs
    gx = unbroadcast(divide_no_check(dy, y), x) if _g(op, 0) else None
    gy = unbroadcast(negative(multiply(dy, divide_no_check(op.outputs[0], y))), y) \
        if _g(op, 1) else None
    return gx, gy


divide_no_check = binary_op("RealDiv", np.true_divide, _real_div_grad, "tf.math.realdiv")

negative = unary_op("Neg", np.negative, lambda op, dy: (negative(dy),), "tf.math.negative",
                    doc="-x elementwise (`tf.negative`).")

square = unary_op("Square", np.square,
                  lambda op, dy: (multiply(dy, multiply(op.inputs[0], 2.0)),),
                  "tf.math.square", doc="x * x elementwise (`tf.square`).")

exp = unary_op("Exp", np.exp, lambda op, dy: (multiply(dy, op.outputs[0]),), "tf.math.exp",
               doc="e ** x elementwise (`tf.exp`).")

log = unary_op("Log", np.log, lambda op, dy: (divide_no_check(dy, op.inputs[0]),),
               "tf.math.log", doc="Natural logarithm elementwise (`tf.math.log`).")


def _pow_kernel(x, y):
    if x.dtype.kind in "iu" and np.any(np.asarray(y) < 0):
        raise ValueError("Integers to negative integer powers are not allowed.")
    return np.power(x, y)


def _pow_grad(op, dy):
    x, y = op.inputs
    gx = gy = None
    if _g(op, 0):
        gx = unbroadcast(multiply(dy, multiply(y, pow(x, subtract(y, 1)))), x)
    if _g(op, 1):
        safe_log = log(where_positive(x))
        gy = unbroadcast(multiply(dy, multiply(op.outputs[0], safe_log)), y)
    return gx, gy


pow = binary_op("Pow", _pow_kernel, _pow_grad, "tf.math.pow",  # noqa: A001 - TF's name
                doc="x ** y elementwise, with broadcasting (`tf.pow`).")


def _where_positive(x):
    return np.where(x > 0, x, np.ones_like(x))


where_positive = unary_op("_WherePositive", _where_positive, None, "rill.math.where_positive",
                          doc="x where x > 0, else 1 (keeps log finite in Pow's gradient).")


# -- reductions ---------------------------------------------------------------------------
def _sum_kernel(x, *, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _sum_grad(op, dy):
    x = op.inputs[0]
    axis, keepdims = op.attrs["axis"], op.attrs["keepdims"]
    if not keepdims and axis is not None and x.shape.rank is not None:
        kept = TensorShape([1 if i in axis else d for i, d in enumerate(x.shape.as_list())])
        dy = reshape_to(dy, kept, x)
    elif not keepdims:
        dy = reshape_to(dy, TensorShape([1] * (x.shape.rank or 0)), x)
    from rill.ops._util import BROADCAST_TO, shape_tensor
    return (execute(BROADCAST_TO, (dy, shape_tensor(x))),)


SUM = defop("Sum", _sum_kernel, reduction_rule, _sum_grad, public_name="tf.math.reduce_sum")


def reshape_to(t, shape: TensorShape, like):
    """Reshape for gradient code: `t` to `shape`, taking unknown dims from `like`."""
    from rill.ops import array_ops
    if shape.is_fully_defined():
        return array_ops.reshape(t, shape.as_list())
    dyn = array_ops.shape(like)
    dims = [d if d is not None else dyn[i] for i, d in enumerate(shape.as_list())]
    return array_ops.reshape(t, array_ops.stack(dims))


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum of elements along `axis` (all axes when None).

    >>> tf.reduce_sum(tf.constant([[1, 2], [3, 4]]), axis=0).numpy()
    array([4, 6], dtype=int32)
    """
    x = to_tensor(input_tensor)
    return execute(SUM, (x,), {"axis": normalize_axis(axis, x.shape.rank),
                               "keepdims": bool(keepdims)})


# -- matrix product -----------------------------------------------------------------------
def _matmul_kernel(a, b, *, transpose_a, transpose_b):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def _matmul_rule(a, b, *, transpose_a, transpose_b):
    sa, sb = a.shape, b.shape
    if a.dtype is not b.dtype:
        raise ValueError(f"dtypes {a.dtype.name} and {b.dtype.name} differ")
    if sa.rank is None or sb.rank is None:
        return TensorShape(None), a.dtype
    if sa.rank < 2 or sb.rank < 2:
        raise ValueError(f"matmul needs tensors of rank >= 2, got shapes {sa} and {sb}")
    la, lb = sa.as_list(), sb.as_list()
    m, ka = (la[-1], la[-2]) if transpose_a else (la[-2], la[-1])
    kb, n = (lb[-1], lb[-2]) if transpose_b else (lb[-2], lb[-1])
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"Matrix size-incompatible: In[0]: {sa}, In[1]: {sb}")
    from rill.ops._util import broadcast_shapes
    batch = broadcast_shapes(TensorShape(la[:-2]), TensorShape(lb[:-2]), "MatMul")
    return batch.concatenate([m, n]), a.dtype


def _matmul_grad(op, dy):
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    ga = gb = None
    if _g(op, 0):
        ga = matmul(b, dy, transpose_a=tb, transpose_b=True) if ta else \
            matmul(dy, b, transpose_b=not tb)
        ga = unbroadcast(ga, a)
    if _g(op, 1):
        gb = matmul(dy, a, transpose_a=True, transpose_b=ta) if tb else \
            matmul(a, dy, transpose_a=not ta)
        gb = unbroadcast(gb, b)
    return ga, gb


MATMUL = defop("MatMul", _matmul_kernel, _matmul_rule, _matmul_grad, public_name="tf.linalg.matmul")


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Matrix product of the last two axes, batched over the leading ones (`tf.matmul`).

    >>> tf.matmul(tf.constant([[1., 2.]]), tf.constant([[3.], [4.]])).numpy()
    array([[11.]], dtype=float32)
    """
    from rill.ops._util import binary_inputs
    a, b = binary_inputs(a, b, MATMUL, ("a", "b"))
    if adjoint_a:
        a, transpose_a = _conj(a), not transpose_a
    if adjoint_b:
        b, transpose_b = _conj(b), not transpose_b
    return execute(MATMUL, (a, b), {"transpose_a": bool(transpose_a),
                                    "transpose_b": bool(transpose_b)})


def _conj(x):
    return conj(x) if x.dtype.is_complex else x


conj = unary_op("Conj", np.conj, lambda op, dy: (conj(dy),), "tf.math.conj",
                doc="Complex conjugate (`tf.math.conj`).")


# -- n-ary and fills ----------------------------------------------------------------------
def _add_n_kernel(*xs):
    out = xs[0] + xs[1]
    for x in xs[2:]:
        out = out + x
    return out if len(xs) > 1 else xs[0]


def _add_n_rule(*xs):
    shape = xs[0].shape
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"AddN needs one dtype, got {xs[0].dtype.name} and "
                             f"{x.dtype.name}")
        shape = shape.merge_with(x.shape)
    return shape, xs[0].dtype


ADD_N = defop("AddN", _add_n_kernel, _add_n_rule, lambda op, dy: (dy,) * len(op.inputs),
              public_name="tf.math.add_n")


def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape and dtype (`tf.add_n`)."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("inputs must be a non-empty list of tensors.\nhint: tf.add_n([a, b])")
    ts = [to_tensor(x) for x in inputs]
    if len(ts) == 1:
        return ts[0]
    return execute(ADD_N, tuple(ts))


ONES_LIKE = defop("OnesLike", np.ones_like, same_rule, None, public_name="tf.ones_like")
ZEROS_LIKE = defop("ZerosLike", np.zeros_like, same_rule, None, public_name="tf.zeros_like")


def _cast_kernel(x, *, dtype):
    return x.astype(dtype._np)


def _cast_rule(x, *, dtype):
    return x.shape, dtype


def _cast_grad(op, dy):
    src = op.inputs[0].dtype
    if not (src.is_floating or src.is_complex) or not (dy.dtype.is_floating or
                                                      dy.dtype.is_complex):
        return (None,)
    return (cast(dy, src),)


CAST = defop("Cast", _cast_kernel, _cast_rule, _cast_grad, public_name="tf.cast")


def cast(x, dtype, name=None):
    """Converts `x` to `dtype` (floats to ints truncate toward zero, as in TensorFlow)."""
    dtype = _dtypes.as_dtype(dtype)
    x = to_tensor(x)
    if x.dtype is dtype:
        return x
    return execute(CAST, (x,), {"dtype": dtype})
