"""`tf.SparseTensor` and the `tf.sparse` ops.

A SparseTensor is three tensors: `indices` (int64, [n, rank], one coordinate per row),
`values` ([n]) and `dense_shape` (int64, [rank]). Most ops here split into a small op on the
indices (no gradient: it returns new indices and where each output value comes from) and a
`tf.gather` (or segment sum) of the values, so gradients reach the values without a gradient
rule of their own. `SparseToDense` and `SparseTensorDenseMatMul` are the differentiable
primitives.

Like TensorFlow, ops that need canonical (row-major) order check it and say to call
`tf.sparse.reorder`.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensor, TypeSpec
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops import math_ops as m
from rill.ops._util import dims_rule, int_tensor, op_error, to_tensor
from rill.ops.array_ops import broadcast_to, fill, where
from rill.ops.array_ops import reshape as _dense_reshape
from rill.ops.array_ops import shape as _shape
from rill.ops.gather_scatter_ops import boolean_mask, gather, gather_nd
from rill.ops.manip_ops import concat as _concat
from rill.ops.manip_ops import stack
from rill.ops.reduction_ops import reduce_max as _reduce_max
from rill.ops.reduction_ops import reduce_sum as _reduce_sum
from rill.ops.reduction_ops import unsorted_segment_sum

_I64 = np.dtype(np.int64)


def _int64(value, fn: str, arg: str):
    t = int_tensor(value, fn, arg)
    return m.cast(t, _dtypes.int64) if t.dtype is not _dtypes.int64 else t


# -- the value type -----------------------------------------------------------------------
class SparseTensor(CompositeTensor):
    """A tensor stored as the coordinates and values of its non-zero elements
    (`tf.SparseTensor`, also `tf.sparse.SparseTensor`).

    >>> st = tf.SparseTensor(indices=[[0, 1], [2, 3]], values=[1., 2.], dense_shape=[3, 4])
    >>> tf.sparse.to_dense(st).numpy()[2]
    array([0., 0., 0., 2.], dtype=float32)
    """

    __slots__ = ("_indices", "_values", "_dense_shape")

    def __init__(self, indices, values, dense_shape):
        fn = "tf.SparseTensor"
        self._indices = _int64(indices, fn, "indices")
        self._values = to_tensor(values)
        self._dense_shape = _int64(dense_shape, fn, "dense_shape")
        ir, vr, sr = (self._indices.shape.rank, self._values.shape.rank,
                      self._dense_shape.shape.rank)
        if ir not in (2, None) or vr not in (1, None) or sr not in (1, None):
            raise ValueError(f"{fn}: indices must have rank 2, values rank 1 and dense_shape "
                             f"rank 1; got shapes {self._indices.shape}, "
                             f"{self._values.shape} and {self._dense_shape.shape}.\nhint: "
                             f"indices=[[row, col], ...], values=[v, ...], "
                             f"dense_shape=[rows, cols].")
        n_i, n_v = self._indices.shape[0], self._values.shape[0]
        r_i, r_s = self._indices.shape[1], self._dense_shape.shape[0]
        if (n_i is not None and n_v is not None and n_i != n_v) or \
                (r_i is not None and r_s is not None and r_i != r_s):
            raise ValueError(f"{fn}: {n_i} index rows of {r_i} coordinates, {n_v} values and "
                             f"a dense_shape of {r_s} dimensions do not fit together.\nhint: "
                             f"one index row per value, one coordinate per dimension.")

    @classmethod
    def from_value(cls, sparse_tensor_value) -> SparseTensor:
        """A SparseTensor from a SparseTensor or any object with `indices`, `values` and
        `dense_shape` (such as tf.compat.v1.SparseTensorValue)."""
        if isinstance(sparse_tensor_value, SparseTensor):
            return sparse_tensor_value
        v = sparse_tensor_value
        return cls(v.indices, v.values, v.dense_shape)

    @classmethod
    def _from_parts(cls, indices, values, dense_shape) -> SparseTensor:
        st = object.__new__(cls)
        st._indices, st._values, st._dense_shape = indices, values, dense_shape
        return st

    # -- properties ----------------------------------------------------------------------
    @property
    def indices(self):
        """The int64 [n, rank] coordinates of the stored values."""
        return self._indices

    @property
    def values(self):
        """The [n] stored values."""
        return self._values

    @property
    def dense_shape(self):
        """The int64 [rank] shape of the dense tensor."""
        return self._dense_shape

    @property
    def dtype(self) -> _dtypes.DType:
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        """The static shape of the dense tensor (None where unknown while tracing)."""
        v = constant_value(self._dense_shape)
        if v is not None:
            return TensorShape([int(d) for d in np.reshape(v, -1)])
        return dims_rule(self._dense_shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def ndim(self):
        return self.shape.rank

    def with_values(self, new_values) -> SparseTensor:
        """The same indices and shape with `new_values` (of the same length)."""
        return SparseTensor._from_parts(self._indices, to_tensor(new_values), self._dense_shape)

    def consumers(self) -> list:
        return []

    # -- operators (TensorFlow defines *, / and // by a dense tensor, nothing else) -------
    def __mul__(self, other):
        return _cwise(self, other, m.multiply, "mul")

    def __truediv__(self, other):
        return _cwise(self, other, m.truediv, "div")

    __div__ = __truediv__

    def __rmul__(self, other):
        return _cwise(self, other, m.multiply, "mul")

    def __abs__(self):
        return self.with_values(m.abs(self._values))

    def __repr__(self) -> str:
        return (f"SparseTensor(indices={self._indices!s}, values={self._values!s}, "
                f"dense_shape={self._dense_shape!s})")

    def __bool__(self):
        raise TypeError("Using a tf.SparseTensor as a Python bool is not allowed.")

    # -- composite protocol --------------------------------------------------------------
    def _rill_components(self) -> list:
        return [self._indices, self._values, self._dense_shape]

    def _rill_with_components(self, components: list) -> SparseTensor:
        return SparseTensor._from_parts(*components)

    def _rill_invariants(self) -> list:
        r = self._dense_shape.shape[0]
        return [TensorShape([None, r]), TensorShape([None]), TensorShape([r])]

    def _rill_key(self):
        return ("indices", "values", "dense_shape")

    def _rill_spec(self):
        return SparseTensorSpec(self.shape, self.dtype)

    @classmethod
    def _rill_dispatch(cls, api, args, kwargs, fn=None):
        handler = _DISPATCH.get(api)
        if handler is not None:
            return handler(*args, **kwargs)
        if api in _ZERO_PRESERVING and fn is not None and len(args) == 1 and not kwargs:
            return args[0].with_values(fn(args[0].values))
        return NotImplemented


def _cwise(sp: SparseTensor, other, op, name: str):
    """`sp * dense` (or `/`): the dense side, broadcast to the dense shape, read at the
    indices."""
    if isinstance(other, CompositeTensor):
        return NotImplemented
    d = to_tensor(other) if isinstance(other, Tensor) or hasattr(other, "_is_variable") \
        else m.cast(to_tensor(other), sp.dtype) if not hasattr(other, "dtype") \
        else to_tensor(other)
    if d.dtype is not sp.dtype:
        try:
            d = to_tensor(other, dtype=sp.dtype)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                None, f"SparseDenseCwise{name.capitalize()}",
                f"cannot compute SparseDenseCwise{name.capitalize()} as input #3(zero-based) "
                f"was expected to be a {sp.dtype.name} tensor but is a {d.dtype.name} tensor"
                f"\nhint: cast the dense side to {sp.dtype.name}.") from None
    if d.shape.rank == 0:
        return sp.with_values(op(sp.values, d))
    picked = gather_nd(broadcast_to(d, sp.dense_shape), sp.indices)
    return sp.with_values(op(sp.values, picked))


class SparseTensorSpec(TypeSpec):
    """Describes a SparseTensor (dense shape and dtype) (`tf.SparseTensorSpec`)."""

    __slots__ = ("_shape", "_dtype")

    def __init__(self, shape=None, dtype=_dtypes.float32):
        self._shape = as_shape(shape)
        self._dtype = _dtypes.as_dtype(dtype)

    @property
    def value_type(self):
        return SparseTensor

    @classmethod
    def from_value(cls, value) -> SparseTensorSpec:
        return cls(value.shape, value.dtype)

    def is_compatible_with(self, other) -> bool:
        return other.dtype == self._dtype and self._shape.is_compatible_with(other.shape)

    def _rill_component_specs(self) -> list:
        from rill.function.signature import TensorSpec
        r = self._shape.rank
        return [TensorSpec([None, r], _dtypes.int64), TensorSpec([None], self._dtype),
                TensorSpec([r], _dtypes.int64)]

    def _rill_from_components(self, components: list) -> SparseTensor:
        return SparseTensor._from_parts(*components)

    _rill_value_type = SparseTensor

    def _rill_key(self):
        return ("indices", "values", "dense_shape")

    def _key(self) -> tuple:
        return (self._shape._dims, self._dtype.name)

    def __repr__(self) -> str:
        return f"SparseTensorSpec(TensorShape({self._shape.as_list() if self._shape.rank is not None else None}), {self._dtype!r})"  # noqa: E501


def _check_sparse(x, fn: str, arg: str = "sp_input") -> SparseTensor:
    if isinstance(x, SparseTensor):
        return x
    if hasattr(x, "indices") and hasattr(x, "dense_shape") and hasattr(x, "values") and \
            not hasattr(x, "_as_tensor"):
        return SparseTensor.from_value(x)
    raise TypeError(f"Input must be a SparseTensor.\n{fn}: argument {arg} is a "
                    f"{type(x).__name__}.\nhint: make one with tf.sparse.from_dense(x) or "
                    f"tf.SparseTensor(indices, values, dense_shape).")


# -- index validation ---------------------------------------------------------------------
def _coords(row) -> str:
    return "[" + ",".join(str(int(c)) for c in row) + "]"


def validate_indices(indices: np.ndarray, shape: np.ndarray, op: str, fn: str,
                     check_order: bool = True) -> None:
    """Raises TensorFlow's errors for indices out of bounds, out of order or repeated."""
    if len(indices) == 0 or indices.shape[1] == 0:
        return
    bad = ((indices < 0) | (indices >= shape)).any(1)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(
            None, op, f"indices[{i}] = {_coords(indices[i])} is out of bounds: need 0 <= index "
            f"< {_coords(shape)} [Op:{op}]\n{fn}: index row {i} lies outside the dense shape "
            f"{shape.tolist()}.\nhint: every coordinate must lie in [0, dim); fix the "
            f"indices or enlarge the shape (tf.sparse.reset_shape).")
    if not check_order or len(indices) < 2:
        return
    diff = indices[1:] - indices[:-1]
    nz = diff != 0
    has = nz.any(1)
    first = np.argmax(nz, 1)
    sign = diff[np.arange(len(diff)), first]
    wrong = ~has | (sign < 0)
    if wrong.any():
        k = int(np.argmax(wrong))
        i = k + 1
        if not has[k]:
            raise InvalidArgumentError(
                None, op, f"indices[{i}] = {_coords(indices[i])} is repeated [Op:{op}]\n"
                f"{fn}: rows {k} and {i} of indices name the same element.\nhint: each "
                f"element may appear once; sum duplicates first (tf.sparse.add of "
                f"separate parts, or tf.math.unsorted_segment_sum).")
        raise InvalidArgumentError(
            None, op, f"indices[{i}] = {_coords(indices[i])} is out of order. Many sparse ops "
            f"require sorted indices.\n    Use `tf.sparse.reorder` to create a correctly "
            f"ordered copy.\n\n [Op:{op}]\n{fn}: index row {i} comes before row {k} "
            f"({_coords(indices[k])}) in row-major order.\nhint: call tf.sparse.reorder(st) "
            f"first.")


# -- to_dense (differentiable in values and default_value) --------------------------------
def _to_dense_kernel(indices, values, dense_shape, default_value, *, validate):
    shape = tuple(int(d) for d in dense_shape)
    validate_indices(indices, np.asarray(dense_shape), "SparseToDense", "tf.sparse.to_dense",
                     check_order=validate)
    out = np.full(shape, default_value, dtype=values.dtype)
    if len(indices) and out.ndim:
        out[tuple(indices.T)] = values
    elif len(indices):  # a scalar: the (last) stored value
        out[()] = np.reshape(values, -1)[-1]
    return out


def _to_dense_grad(op, dy):
    indices = op.inputs[0]
    picked = gather_nd(dy, indices)
    d_default = m.subtract(_reduce_sum(dy), _reduce_sum(picked))
    return None, picked, None, d_default


SPARSE_TO_DENSE = defop(
    "SparseToDense", _to_dense_kernel,
    lambda indices, values, dense_shape, default_value, *, validate: (
        dims_rule(dense_shape), values.dtype),
    _to_dense_grad, public_name="tf.sparse.to_dense")


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor of a SparseTensor, `default_value` (0) where nothing is stored
    (`tf.sparse.to_dense`). With `validate_indices`, indices must be in row-major order and
    unique.

    >>> st = tf.SparseTensor([[0, 1], [1, 0]], [1, 2], [2, 2])
    >>> tf.sparse.to_dense(st).numpy()
    array([[0, 1],
           [2, 0]], dtype=int32)
    """
    sp = _check_sparse(sp_input, "tf.sparse.to_dense")
    if default_value is None:
        default = _zero(sp.dtype)
    else:
        default = to_tensor(default_value, dtype=sp.dtype) if not hasattr(
            default_value, "dtype") else to_tensor(default_value)
    return execute(SPARSE_TO_DENSE, (sp.indices, sp.values, sp.dense_shape, default),
                   {"validate": bool(validate_indices)})


def _zero(dtype):
    from rill._core.tensor import wrap
    if dtype is _dtypes.string:
        return wrap(np.array(b"", dtype=object))
    return wrap(np.zeros((), dtype._np))


def from_dense(tensor, name=None) -> SparseTensor:
    """The SparseTensor of the non-zero elements of a dense tensor (`tf.sparse.from_dense`).

    >>> st = tf.sparse.from_dense(tf.constant([[0, 3], [4, 0]]))
    >>> st.indices.numpy().tolist(), st.values.numpy().tolist()
    ([[0, 1], [1, 0]], [3, 4])
    """
    t = to_tensor(tensor)
    idx = where(m.not_equal(t, _zero(t.dtype)))
    return SparseTensor._from_parts(idx, gather_nd(t, idx), _shape(t, out_type=_dtypes.int64))


# -- reorder ------------------------------------------------------------------------------
def _reorder_kernel(indices, dense_shape):
    if len(indices) == 0:
        return indices.copy(), np.zeros(0, _I64)
    perm = np.lexsort(indices.T[::-1]).astype(_I64)
    return indices[perm], perm


SPARSE_REORDER = defop(
    "_SparseReorder", _reorder_kernel,
    lambda indices, dense_shape: [(indices.shape, _dtypes.int64),
                                  (TensorShape([indices.shape[0]]), _dtypes.int64)],
    grad=None, num_outputs=2, public_name="tf.sparse.reorder")


def reorder(sp_input, name=None) -> SparseTensor:
    """The same SparseTensor with its entries in row-major (canonical) order
    (`tf.sparse.reorder`).

    >>> st = tf.sparse.reorder(tf.SparseTensor([[1, 0], [0, 1]], [1., 2.], [2, 2]))
    >>> st.values.numpy()
    array([2., 1.], dtype=float32)
    """
    sp = _check_sparse(sp_input, "tf.sparse.reorder")
    idx, perm = execute(SPARSE_REORDER, (sp.indices, sp.dense_shape))
    return SparseTensor._from_parts(idx, gather(sp.values, perm), sp.dense_shape)


# -- sparse x dense matmul ----------------------------------------------------------------
def _matmul_kernel(indices, values, dense_shape, b, *, adjoint_a, adjoint_b):
    rows, cols = (indices[:, 1], indices[:, 0]) if adjoint_a else (indices[:, 0], indices[:, 1])
    vals = np.conj(values) if adjoint_a and values.dtype.kind == "c" else values
    bm = np.conj(b.T) if adjoint_b else b
    n_out = int(dense_shape[1 if adjoint_a else 0])
    inner = int(dense_shape[0 if adjoint_a else 1])
    if bm.ndim != 2 or inner != bm.shape[0]:
        raise InvalidArgumentError(
            None, "SparseTensorDenseMatMul",
            f"Cannot multiply A and B because inner dimension does not match: {inner} vs. "
            f"{bm.shape[0] if bm.ndim == 2 else bm.shape}.  Did you forget a transpose?  "
            f"Dimensions of A: [{n_out}, {inner}).  Dimensions of B: {list(b.shape)}\n"
            f"hint: the sparse matrix has {inner} columns (after adjoint_a), so the dense "
            f"matrix needs {inner} rows (after adjoint_b).")
    if len(cols) and (cols.min() < 0 or cols.max() >= inner or rows.min() < 0
                      or rows.max() >= n_out):
        raise InvalidArgumentError(None, "SparseTensorDenseMatMul",
                                   "tf.sparse.sparse_dense_matmul: an index of A lies outside "
                                   "its dense shape.\nhint: check indices against dense_shape.")
    out = np.zeros((n_out, bm.shape[1]), np.result_type(vals.dtype, bm.dtype))
    np.add.at(out, rows, vals[:, None] * bm[cols])
    return out


def _matmul_rule(indices, values, dense_shape, b, *, adjoint_a, adjoint_b):
    dims = dims_rule(dense_shape)
    n_out = dims[1 if adjoint_a else 0] if dims.rank == 2 else None
    bs = b.shape
    k = bs[0 if adjoint_b else 1] if bs.rank == 2 else None
    return TensorShape([n_out, k]), values.dtype


def _matmul_grad(op, dy):
    indices, values, dense_shape, b = op.inputs
    aa, ab = op.attrs["adjoint_a"], op.attrs["adjoint_b"]
    rows = gather(indices, 1 if aa else 0, axis=1)
    cols = gather(indices, 0 if aa else 1, axis=1)
    bm = _adjoint(b) if ab else b
    d_values = _reduce_sum(m.multiply(gather(dy, rows), gather(bm, cols)), axis=1)
    if aa and values.dtype.is_complex:
        d_values = m.conj(d_values)
    d_bm = execute(SPARSE_MATMUL, (indices, values, dense_shape, dy),
                   {"adjoint_a": not aa, "adjoint_b": False})
    return None, d_values, None, _adjoint(d_bm) if ab else d_bm


def _adjoint(x):
    from rill.ops.manip_ops import transpose
    return transpose(x, conjugate=x.dtype.is_complex)


SPARSE_MATMUL = defop("SparseTensorDenseMatMul", _matmul_kernel, _matmul_rule, _matmul_grad,
                      public_name="tf.sparse.sparse_dense_matmul")


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """The matrix product of a rank-2 SparseTensor and a dense matrix (or of a dense matrix
    and a SparseTensor) (`tf.sparse.sparse_dense_matmul`); differentiable in the sparse
    values and the dense matrix.

    >>> st = tf.SparseTensor([[0, 0], [1, 1]], [2., 3.], [2, 2])
    >>> tf.sparse.sparse_dense_matmul(st, tf.ones([2, 1])).numpy().ravel()
    array([2., 3.], dtype=float32)
    """
    if isinstance(b, SparseTensor) and not isinstance(sp_a, SparseTensor):
        # a @ B = (B^H @ a^H)^H
        out = sparse_dense_matmul(b, to_tensor(sp_a), adjoint_a=not adjoint_b,
                                  adjoint_b=not adjoint_a)
        return _adjoint(out)
    sp = _check_sparse(sp_a, "tf.sparse.sparse_dense_matmul", "sp_a")
    d = to_tensor(b) if hasattr(b, "dtype") else to_tensor(b, dtype=sp.dtype)
    if d.dtype is not sp.dtype:
        raise InvalidArgumentError(
            None, "SparseTensorDenseMatMul",
            f"cannot compute SparseTensorDenseMatMul as input #3(zero-based) was expected to "
            f"be a {_dtypes.c_name(sp.dtype)} tensor but is a {_dtypes.c_name(d.dtype)} tensor "
            f"[Op:SparseTensorDenseMatMul]\nhint: tf.cast(b, tf.{sp.dtype.name}).")
    return execute(SPARSE_MATMUL, (sp.indices, sp.values, sp.dense_shape, d),
                   {"adjoint_a": bool(adjoint_a), "adjoint_b": bool(adjoint_b)})


# -- add ----------------------------------------------------------------------------------
def _union_kernel(a, b):
    both = np.concatenate([a, b])
    if len(both) == 0:
        return both.copy(), np.zeros(0, _I64), np.zeros(0, _I64)
    uniq, inv = np.unique(both, axis=0, return_inverse=True)
    inv = inv.reshape(-1).astype(_I64)
    return uniq.astype(_I64), inv[:len(a)], inv[len(a):]


SPARSE_UNION = defop(
    "_SparseUnionIndices", _union_kernel,
    lambda a, b: [(TensorShape([None, a.shape[1]]), _dtypes.int64),
                  (TensorShape([a.shape[0]]), _dtypes.int64),
                  (TensorShape([b.shape[0]]), _dtypes.int64)],
    grad=None, num_outputs=3, public_name="tf.sparse.add")


def add(a, b, threshold=0, name=None):
    """The sum of two SparseTensors (a SparseTensor), or of a SparseTensor and a dense
    tensor (a dense tensor) (`tf.sparse.add`). Sums whose magnitude is below `threshold` are
    dropped from a sparse result.

    >>> a = tf.SparseTensor([[0, 0]], [1.], [1, 2])
    >>> b = tf.SparseTensor([[0, 0], [0, 1]], [2., 3.], [1, 2])
    >>> tf.sparse.add(a, b).values.numpy()
    array([3., 3.], dtype=float32)
    """
    a_sp, b_sp = isinstance(a, SparseTensor), isinstance(b, SparseTensor)
    if a_sp and b_sp:
        if a.dtype is not b.dtype:
            raise TypeError(f"tf.sparse.add: the two SparseTensors have dtypes "
                            f"{a.dtype.name} and {b.dtype.name}.\nhint: tf.cast one of them.")
        idx, sa, sb = execute(SPARSE_UNION, (a.indices, b.indices))
        n = _shape(idx)[0]
        vals = unsorted_segment_sum(_concat([a.values, b.values], 0), _concat([sa, sb], 0), n)
        out = SparseTensor._from_parts(idx, vals, a.dense_shape)
        thresh = constant_value(to_tensor(threshold)) if not isinstance(threshold, (int, float)) \
            else threshold
        if thresh is None or np.any(thresh != 0):
            keep = m.greater_equal(m.abs(vals), m.cast(to_tensor(threshold),
                                                       m.abs(vals).dtype))
            out = retain(out, keep)
        return out
    if a_sp or b_sp:
        sp, dense = (a, b) if a_sp else (b, a)
        d = to_tensor(dense, dtype=sp.dtype) if not hasattr(dense, "dtype") else \
            to_tensor(dense)
        from rill.ops.gather_scatter_ops import tensor_scatter_nd_add
        return tensor_scatter_nd_add(broadcast_to(d, m.cast(sp.dense_shape, _dtypes.int32)),
                                     sp.indices, sp.values)
    raise TypeError("tf.sparse.add: at least one argument must be a SparseTensor.\nhint: "
                    "add dense tensors with tf.add.")


# -- reductions ---------------------------------------------------------------------------
def _reduce_kernel(indices, dense_shape, *, axes, keepdims):
    r = len(dense_shape)
    kept = [i for i in range(r) if i not in axes]
    keys = indices[:, kept]
    if not kept:
        uniq, inv = np.zeros((min(len(indices), 1), 0), _I64), np.zeros(len(indices), _I64)
    elif len(indices):
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1).astype(_I64)
    else:
        uniq, inv = keys, np.zeros(0, _I64)
    if keepdims:
        full = np.zeros((len(uniq), r), _I64)
        full[:, kept] = uniq
        shape = np.array([1 if i in axes else dense_shape[i] for i in range(r)], _I64)
        return inv, full, shape
    return inv, uniq.astype(_I64), np.asarray(dense_shape)[kept].astype(_I64)


def _reduce_rule(indices, dense_shape, *, axes, keepdims):
    r = dense_shape.shape[0]
    out_r = r if keepdims or r is None else r - len(axes)
    return [(TensorShape([indices.shape[0]]), _dtypes.int64),
            (TensorShape([None, out_r]), _dtypes.int64), (TensorShape([out_r]), _dtypes.int64)]


SPARSE_REDUCE = defop("_SparseReduceIndices", _reduce_kernel, _reduce_rule, grad=None,
                      num_outputs=3, public_name="tf.sparse.reduce_sum")


def _sparse_reduce(sp_input, axis, keepdims, output_is_sparse, segment, fn):
    sp = _check_sparse(sp_input, fn)
    rank = sp.dense_shape.shape[0]
    if rank is None:
        raise ValueError(f"{fn} needs a SparseTensor of known rank.")
    if axis is None:
        axes = tuple(range(rank))
    else:
        axis = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        axes = tuple(sorted({int(a) % rank for a in axis}))
    ids, idx, shp = execute(SPARSE_REDUCE, (sp.indices, sp.dense_shape),
                            {"axes": axes, "keepdims": bool(keepdims)})
    vals = segment(sp.values, ids, _shape(idx)[0])
    out = SparseTensor._from_parts(idx, vals, shp)
    return out if output_is_sparse else to_dense(out, validate_indices=False)


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """The sum of a SparseTensor's values along `axis` (all axes when None), a dense tensor
    or, with `output_is_sparse`, a SparseTensor (`tf.sparse.reduce_sum`).

    >>> st = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1, 1, 1], [2, 3])
    >>> tf.sparse.reduce_sum(st, axis=1).numpy()
    array([2, 1], dtype=int32)
    """
    return _sparse_reduce(sp_input, axis, keepdims, output_is_sparse, unsorted_segment_sum,
                          "tf.sparse.reduce_sum")


def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """The maximum of the stored values along `axis`; elements that are not stored take no
    part, and a reduction over none of them gives 0 (`tf.sparse.reduce_max`).

    >>> st = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], [-7, 4, 3], [3, 2])
    >>> tf.sparse.reduce_max(st, axis=1).numpy()
    array([-7,  4,  0], dtype=int32)
    """
    from rill.ops.segment_ops import unsorted_segment_max
    return _sparse_reduce(sp_input, axis, keepdims, output_is_sparse, unsorted_segment_max,
                          "tf.sparse.reduce_max")


# -- structure: concat, reshape, slice, transpose, retain, reset_shape --------------------
def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None, concat_dim=None):
    """SparseTensors joined along `axis` (`tf.sparse.concat`); with `expand_nonconcat_dims`
    the other dimensions may differ and the result takes the largest.

    >>> a = tf.SparseTensor([[0, 0]], [1], [2, 2])
    >>> b = tf.SparseTensor([[1, 1]], [2], [2, 3])
    >>> tf.sparse.to_dense(tf.sparse.concat(1, [a, b])).numpy()
    array([[1, 0, 0, 0, 0],
           [0, 0, 0, 2, 0]], dtype=int32)
    """
    if concat_dim is not None:
        axis = concat_dim
    sps = [_check_sparse(s, "tf.sparse.concat", "sp_inputs") for s in sp_inputs]
    rank = sps[0].dense_shape.shape[0]
    a = int(axis) % rank
    shapes = [s.dense_shape for s in sps]
    if expand_nonconcat_dims:
        biggest = shapes[0]
        for s in shapes[1:]:
            biggest = m.maximum(biggest, s)
    else:
        biggest = shapes[0]
        _check_same_dims(sps, a)
    one_hot = np.zeros(rank, _I64)
    one_hot[a] = 1
    offset = None
    parts = []
    for s in sps:
        if offset is None:
            parts.append(s.indices)
            offset = m.multiply(s.dense_shape, one_hot)
        else:
            parts.append(m.add(s.indices, offset))
            offset = m.add(offset, m.multiply(s.dense_shape, one_hot))
    total = m.add(m.multiply(biggest, 1 - one_hot), offset)
    joined = SparseTensor._from_parts(_concat(parts, 0),
                                      _concat([s.values for s in sps], 0), total)
    return reorder(joined)


def _check_same_dims(sps, axis):
    known = [constant_value(s.dense_shape) for s in sps]
    if any(k is None for k in known):
        return
    first = np.delete(np.asarray(known[0]), axis)
    for i, k in enumerate(known[1:], 1):
        if not np.array_equal(np.delete(np.asarray(k), axis), first):
            raise InvalidArgumentError(
                None, "SparseConcat", f"Input shapes must match: expected {len(first) + 1} "
                f"dimensions equal to {np.asarray(known[0]).tolist()} except along the concat "
                f"dimension, got {np.asarray(k).tolist()} for input {i} [Op:SparseConcat]\n"
                f"hint: pass expand_nonconcat_dims=True to take the largest of the other "
                f"dimensions.")


def _reshape_kernel(indices, input_shape, new_shape):
    dims = [int(d) for d in new_shape]
    total = int(np.prod(input_shape)) if len(input_shape) else 1
    if dims.count(-1) > 1:
        raise op_error("SparseReshape", "tf.sparse.reshape", "only one output dimension may "
                       "be -1", "give every dimension but one.")
    if -1 in dims:
        rest = int(np.prod([d for d in dims if d != -1])) if len(dims) > 1 else 1
        if rest == 0 or total % rest:
            raise op_error("SparseReshape", "tf.sparse.reshape", f"Input to reshape is a "
                           f"tensor with {total} dense values, but the requested shape "
                           f"requires a multiple of {rest}", "the sizes must agree.")
        dims[dims.index(-1)] = total // rest
    if int(np.prod(dims)) != total:
        raise op_error("SparseReshape", "tf.sparse.reshape",
                       f"Input to reshape is a SparseTensor with {total} dense values, but the "
                       f"requested shape has {int(np.prod(dims))}",
                       "the new shape must hold as many elements as the old one.")
    strides = np.cumprod([1] + [int(d) for d in input_shape[::-1]][:-1])[::-1]
    linear = (indices * strides).sum(1) if len(indices) else np.zeros(0, _I64)
    out = np.stack(np.unravel_index(linear, dims), 1) if len(indices) and dims else \
        np.zeros((len(indices), len(dims)), _I64)
    return out.astype(_I64), np.array(dims, _I64)


SPARSE_RESHAPE = defop(
    "SparseReshape", _reshape_kernel,
    lambda indices, input_shape, new_shape: [
        (TensorShape([indices.shape[0], new_shape.shape[0]]), _dtypes.int64),
        (new_shape.shape, _dtypes.int64)],
    grad=None, num_outputs=2, public_name="tf.sparse.reshape")


def reshape(sp_input, shape, name=None) -> SparseTensor:
    """A SparseTensor of the same values in row-major order with a new dense shape (one
    dimension may be -1) (`tf.sparse.reshape`).

    >>> st = tf.sparse.reshape(tf.SparseTensor([[1, 1]], [5], [2, 2]), [4])
    >>> st.indices.numpy().tolist()
    [[3]]
    """
    sp = _check_sparse(sp_input, "tf.sparse.reshape")
    idx, shp = execute(SPARSE_RESHAPE, (sp.indices, sp.dense_shape,
                                        _int64(shape, "tf.sparse.reshape", "shape")))
    return SparseTensor._from_parts(idx, sp.values, shp)


def _slice_kernel(indices, dense_shape, start, size):
    end = np.minimum(start + size, dense_shape)
    keep = ((indices >= start) & (indices < end)).all(1) if len(indices) else \
        np.zeros(0, bool)
    shape = np.maximum(end - start, 0).astype(_I64)
    return (indices[keep] - start).astype(_I64), np.flatnonzero(keep).astype(_I64), shape


SPARSE_SLICE = defop(
    "_SparseSlice", _slice_kernel,
    lambda indices, dense_shape, start, size: [
        (TensorShape([None, indices.shape[1]]), _dtypes.int64),
        (TensorShape([None]), _dtypes.int64), (dense_shape.shape, _dtypes.int64)],
    grad=None, num_outputs=3, public_name="tf.sparse.slice")


def slice(sp_input, start, size, name=None) -> SparseTensor:  # noqa: A001 - TF's name
    """The part of a SparseTensor in the box [start, start + size) (clipped to its shape),
    with coordinates relative to `start` (`tf.sparse.slice`).

    >>> st = tf.SparseTensor([[0, 0], [1, 2], [2, 3]], [1, 2, 3], [3, 4])
    >>> tf.sparse.slice(st, [1, 1], [2, 3]).indices.numpy().tolist()
    [[0, 1], [1, 2]]
    """
    sp = _check_sparse(sp_input, "tf.sparse.slice")
    idx, keep, shp = execute(SPARSE_SLICE, (sp.indices, sp.dense_shape,
                                            _int64(start, "tf.sparse.slice", "start"),
                                            _int64(size, "tf.sparse.slice", "size")))
    return SparseTensor._from_parts(idx, gather(sp.values, keep), shp)


def transpose(sp_input, perm=None, name=None) -> SparseTensor:
    """The SparseTensor with its dimensions permuted (reversed by default), in row-major
    order (`tf.sparse.transpose`)."""
    sp = _check_sparse(sp_input, "tf.sparse.transpose")
    rank = sp.dense_shape.shape[0]
    if perm is None:
        perm = list(range(rank))[::-1]
    perm = int_tensor(perm, "tf.sparse.transpose", "perm")
    out = SparseTensor._from_parts(gather(sp.indices, perm, axis=1), sp.values,
                                   gather(sp.dense_shape, perm))
    return reorder(out)


def retain(sp_input, to_retain) -> SparseTensor:
    """The entries of a SparseTensor where the bool vector `to_retain` is true
    (`tf.sparse.retain`)."""
    sp = _check_sparse(sp_input, "tf.sparse.retain")
    keep = to_tensor(to_retain, dtype=_dtypes.bool) if not hasattr(to_retain, "dtype") else \
        to_tensor(to_retain)
    return SparseTensor._from_parts(boolean_mask(sp.indices, keep),
                                    boolean_mask(sp.values, keep), sp.dense_shape)


def reset_shape(sp_input, new_shape=None) -> SparseTensor:
    """The SparseTensor with a new dense shape: the given one (no dimension may shrink
    below an index), or the tight bounding box of its indices (`tf.sparse.reset_shape`)."""
    sp = _check_sparse(sp_input, "tf.sparse.reset_shape")
    if new_shape is None:
        rank = sp.dense_shape.shape[0]
        tight = m.add(_reduce_max(sp.indices, axis=0), 1)
        zeros = np.zeros(rank, _I64)
        return SparseTensor._from_parts(sp.indices, sp.values, m.maximum(tight, zeros))
    shp = _int64(new_shape, "tf.sparse.reset_shape", "new_shape")
    known, old = constant_value(shp), constant_value(sp.dense_shape)
    if known is not None and old is not None:
        if len(known) != len(old) or np.any(np.asarray(known) < old):
            raise ValueError(f"tf.sparse.reset_shape: new_shape {np.asarray(known).tolist()} "
                             f"must have the rank of {np.asarray(old).tolist()} and be no "
                             f"smaller in any dimension.\nhint: use tf.sparse.slice to "
                             f"shrink a SparseTensor.")
    return SparseTensor._from_parts(sp.indices, sp.values, shp)


# -- fill_empty_rows, to_indicator, mask, segment ops -------------------------------------
def _nrows(dense_shape):
    dims = dims_rule(dense_shape)
    return dims[0] if dims.rank else None


def _fill_kernel(indices, dense_shape):
    nrows = int(dense_shape[0])
    counts = np.bincount(indices[:, 0], minlength=nrows) if len(indices) else \
        np.zeros(nrows, np.int64)
    empty = counts == 0
    rows = np.flatnonzero(empty)
    filler = np.zeros((len(rows), indices.shape[1]), _I64)
    filler[:, 0] = rows
    both = np.concatenate([indices, filler])
    order = np.argsort(both[:, 0], kind="stable").astype(_I64)
    return both[order], order, empty


SPARSE_FILL = defop(
    "_SparseFillEmptyRows", _fill_kernel,
    lambda indices, dense_shape: [
        (TensorShape([None, indices.shape[1]]), _dtypes.int64),
        (TensorShape([None]), _dtypes.int64), (TensorShape([_nrows(dense_shape)]), _dtypes.bool)],
    grad=None, num_outputs=3, public_name="tf.sparse.fill_empty_rows")


def fill_empty_rows(sp_input, default_value, name=None):
    """(SparseTensor with `default_value` at column 0 of every empty row, bool vector of the
    rows that were empty) (`tf.sparse.fill_empty_rows`).

    >>> st, empty = tf.sparse.fill_empty_rows(tf.SparseTensor([[1, 1]], [5], [3, 2]), -1)
    >>> st.indices.numpy().tolist(), st.values.numpy().tolist(), empty.numpy().tolist()
    ([[0, 0], [1, 1], [2, 0]], [-1, 5, -1], [True, False, True])
    """
    sp = _check_sparse(sp_input, "tf.sparse.fill_empty_rows")
    idx, source, empty = execute(SPARSE_FILL, (sp.indices, sp.dense_shape))
    default = to_tensor(default_value, dtype=sp.dtype) if not hasattr(default_value, "dtype") \
        else to_tensor(default_value)
    n_empty = _reduce_sum(m.cast(empty, _dtypes.int32))
    fills = fill(_dense_reshape(n_empty, [1]), default)
    vals = gather(_concat([sp.values, fills], 0), source)
    return SparseTensor._from_parts(idx, vals, sp.dense_shape), empty


def to_indicator(sp_input, vocab_size, name=None):
    """A dense bool tensor with one more dimension of size `vocab_size`: True at
    [..., v] for every value v stored in row [...] (`tf.sparse.to_indicator`).

    >>> st = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [2, 0, 1], [2, 2])
    >>> tf.sparse.to_indicator(st, 3).numpy().astype(int).tolist()
    [[1, 0, 1], [0, 1, 0]]
    """
    sp = _check_sparse(sp_input, "tf.sparse.to_indicator")
    if not sp.dtype.is_integer:
        raise TypeError(f"tf.sparse.to_indicator: values must be integers (vocabulary ids), "
                        f"got {sp.dtype.name}.")
    outer = sp.indices[:, :-1]
    idx = _concat([outer, _dense_reshape(m.cast(sp.values, _dtypes.int64), [-1, 1])], 1)
    shape = _concat([sp.dense_shape[:-1],
                          _dense_reshape(m.cast(to_tensor(vocab_size), _dtypes.int64), [1])], 0)
    from rill.ops.gather_scatter_ops import scatter_nd
    ones = m.ones_like(m.cast(sp.values, _dtypes.int32))
    return m.greater(scatter_nd(idx, ones, shape), 0)


def mask(a, mask_indices, name=None):
    """The tf.IndexedSlices `a` without the rows whose index is in `mask_indices`
    (`tf.sparse.mask`)."""
    from rill.ops.indexed_slices import IndexedSlices
    idx = to_tensor(a.indices)
    drop = to_tensor(mask_indices, dtype=idx.dtype) if not hasattr(mask_indices, "dtype") \
        else m.cast(to_tensor(mask_indices), idx.dtype)
    hit = m.equal(_dense_reshape(idx, [-1, 1]), _dense_reshape(drop, [1, -1]))
    keep = m.logical_not(_reduce_any(hit))
    return IndexedSlices(boolean_mask(a.values, keep), boolean_mask(idx, keep), a.dense_shape)


def _reduce_any(x):
    from rill.ops.reduction_ops import reduce_any
    return reduce_any(x, axis=1)


def _segment(data, indices, segment_ids, num_segments, scale):
    x = gather(to_tensor(data), to_tensor(indices))
    ids = to_tensor(segment_ids)
    if num_segments is None:
        n = m.add(m.cast(_reduce_max(ids), _dtypes.int32), 1)
    else:
        n = num_segments
    total = unsorted_segment_sum(x, ids, n)
    if scale is None:
        return total
    count = unsorted_segment_sum(m.ones_like(m.cast(ids, x.dtype)), ids, n)
    count = scale(m.maximum(count, m.ones_like(count)))
    extra = (x.shape.rank or 1) - 1
    return m.realdiv(total, _dense_reshape(count, [-1] + [1] * extra))


def segment_sum(data, indices, segment_ids, num_segments=None, name=None):
    """Sums of the rows `data[indices]` by segment id (`tf.sparse.segment_sum`).

    >>> c = tf.constant([[1, 2], [3, 4], [5, 6]])
    >>> tf.sparse.segment_sum(c, [0, 2], [0, 0]).numpy()
    array([[6, 8]], dtype=int32)
    """
    return _segment(data, indices, segment_ids, num_segments, None)


def segment_mean(data, indices, segment_ids, num_segments=None, name=None):
    """Means of the rows `data[indices]` by segment id (`tf.sparse.segment_mean`)."""
    return _segment(data, indices, segment_ids, num_segments, lambda c: c)


def segment_sqrt_n(data, indices, segment_ids, num_segments=None, name=None):
    """Sums of the rows `data[indices]` by segment id divided by the square root of each
    segment's size (`tf.sparse.segment_sqrt_n`)."""
    return _segment(data, indices, segment_ids, num_segments, m.sqrt)


# -- a few more of tf.sparse --------------------------------------------------------------
def expand_dims(sp_input, axis=None, name=None) -> SparseTensor:
    """The SparseTensor with a dimension of size 1 inserted at `axis`
    (`tf.sparse.expand_dims`)."""
    sp = _check_sparse(sp_input, "tf.sparse.expand_dims")
    rank = sp.dense_shape.shape[0]
    a = int(-1 if axis is None else axis)
    a = a % (rank + 1)
    n = _shape(sp.indices, out_type=_dtypes.int64)[:1]
    zeros = fill(_concat([n, [1]], 0), np.int64(0))
    idx = _concat([sp.indices[:, :a], zeros, sp.indices[:, a:]], 1)
    shp = _concat([sp.dense_shape[:a], np.array([1], _I64), sp.dense_shape[a:]], 0)
    return SparseTensor._from_parts(idx, sp.values, shp)


def eye(num_rows, num_columns=None, dtype=_dtypes.float32, name=None) -> SparseTensor:
    """A sparse identity matrix (`tf.sparse.eye`)."""
    from rill.ops.array_ops import range_
    n = m.cast(to_tensor(num_rows), _dtypes.int64)
    cols = n if num_columns is None else m.cast(to_tensor(num_columns), _dtypes.int64)
    k = m.minimum(n, cols)
    diag = range_(0, k, 1, dtype=_dtypes.int64)
    idx = stack([diag, diag], axis=1)
    vals = m.ones_like(m.cast(diag, dtype))
    return SparseTensor._from_parts(idx, vals, stack([n, cols]))


def split(sp_input=None, num_split=None, axis=None, name=None, keyword_required=None):
    """`num_split` SparseTensors cut along `axis` (the first ones one longer when the size
    does not divide) (`tf.sparse.split`)."""
    sp = _check_sparse(sp_input, "tf.sparse.split")
    shape = constant_value(sp.dense_shape)
    if shape is None:
        raise ValueError("tf.sparse.split needs a dense shape known while tracing.")
    rank = len(shape)
    a = int(axis) % rank
    size, k = int(shape[a]), int(num_split)
    base, extra = divmod(size, k)
    out, start = [], 0
    for i in range(k):
        n = base + (1 if i < extra else 0)
        begin = [0] * rank
        begin[a] = start
        length = [int(d) for d in shape]
        length[a] = n
        out.append(slice(sp, begin, length))
        start += n
    return out


def maximum(sp_a, sp_b, name=None) -> SparseTensor:
    """Elementwise maximum of two SparseTensors of one shape (missing elements are 0)
    (`tf.sparse.maximum`)."""
    return _binary_sparse(sp_a, sp_b, m.maximum)


def minimum(sp_a, sp_b, name=None) -> SparseTensor:
    """Elementwise minimum of two SparseTensors of one shape (missing elements are 0)
    (`tf.sparse.minimum`)."""
    return _binary_sparse(sp_a, sp_b, m.minimum)


def _binary_sparse(a, b, op):
    a, b = _check_sparse(a, "tf.sparse"), _check_sparse(b, "tf.sparse")
    idx, sa, sb = execute(SPARSE_UNION, (a.indices, b.indices))
    n = _shape(idx)[0]
    va = unsorted_segment_sum(a.values, sa, n)
    vb = unsorted_segment_sum(b.values, sb, n)
    return SparseTensor._from_parts(idx, op(va, vb), a.dense_shape)


# -- dispatch of public ops on SparseTensors ----------------------------------------------
def _shape_of(sp, out_type=_dtypes.int32, name=None):
    return m.cast(sp.dense_shape, out_type)


def _size_of(sp, out_type=_dtypes.int32, name=None):
    from rill.ops.reduction_ops import reduce_prod
    return m.cast(reduce_prod(sp.dense_shape), out_type)


def _rank_of(sp, name=None):
    return m.cast(_shape(sp.dense_shape)[0], _dtypes.int32)


def _cast_of(sp, dtype, name=None):
    return sp.with_values(m.cast(sp.values, dtype))


def _identity_of(sp, name=None):
    return sp.with_values(sp.values)


_DISPATCH = {"tf.shape": _shape_of, "tf.size": _size_of, "tf.rank": _rank_of,
             "tf.cast": _cast_of, "tf.identity": _identity_of,
             "tf.math.abs": lambda x, name=None: x.with_values(m.abs(x.values))}
# TensorFlow maps these over the values of a SparseTensor (f(0) = 0)
_ZERO_PRESERVING = frozenset(
    f"tf.math.{n}" for n in ("abs", "sign", "sin", "tan", "tanh", "sqrt", "square", "asin",
                             "atan", "asinh", "atanh", "sinh", "negative", "expm1"))

__all__ = ["SparseTensor", "SparseTensorSpec", "add", "concat", "expand_dims", "eye",
           "fill_empty_rows", "from_dense", "mask", "maximum", "minimum", "reduce_max",
           "reduce_sum", "reorder", "reset_shape", "reshape", "retain", "segment_mean",
           "segment_sqrt_n", "segment_sum", "slice", "sparse_dense_matmul", "split",
           "to_dense", "to_indicator", "transpose"]


__tf_names__ = {
    "tf sparse": "SparseTensor SparseTensorSpec",
    "sparse": "add concat expand_dims eye fill_empty_rows from_dense mask "
              "matmul=sparse_dense_matmul maximum minimum reduce_max reduce_sum reorder "
              "reset_shape reshape retain segment_mean segment_sqrt_n segment_sum slice "
              "sparse_dense_matmul split to_dense to_indicator transpose",
}
