"""`tf.sets`: set operations along the last dimension of dense tensors or SparseTensors.

A rank-n input holds one set per index of its first n - 1 dimensions: the values along the
last dimension (all of them for a dense tensor, the stored ones for a SparseTensor;
duplicates count once). Results are SparseTensors whose rows hold each result set sorted,
as TensorFlow returns them.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor_shape import TensorShape
from rill.ops._util import to_tensor
from rill.ops.array_ops import shape, where
from rill.ops.gather_scatter_ops import gather_nd
from rill.ops.sparse_ops import SparseTensor, validate_indices

_I64 = np.dtype(np.int64)
_ALLOWED = (_dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.int64, _dtypes.uint8,
            _dtypes.uint16, _dtypes.string)


def _groups(indices, values, dense_shape, validate: bool, op: str, fn: str) -> dict:
    """{batch index tuple: set of values} of one input."""
    if validate:
        validate_indices(indices, np.asarray(dense_shape), op, fn)
    out: dict = {}
    for key, v in zip(map(tuple, indices[:, :-1].tolist()), values.tolist()):
        out.setdefault(key, set()).add(v)
    return out


def _set_kernel(ai, av, ashape, bi, bv, bshape, *, operation, validate):
    op, fn = "SparseToSparseSetOperation", f"tf.sets.{operation}"
    for s, name in ((ashape, "a"), (bshape, "b")):
        if len(s) < 2:
            raise InvalidArgumentError(
                None, op, f"Shape {s.tolist()} has rank {len(s)} < 2 [Op:{op}]\n{fn}: argument "
                f"{name} holds one set per row of its last dimension, so it needs rank >= 2."
                f"\nhint: add a batch dimension, e.g. x[None, :] (tf.expand_dims(x, 0)).")
    if list(ashape[:-1]) != list(bshape[:-1]):
        raise InvalidArgumentError(
            None, op, f"Mismatched shapes {ashape[:-1].tolist()} vs {bshape[:-1].tolist()} "
            f"[Op:{op}]\n{fn}: a and b must have the same batch dimensions (all but the "
            f"last).\nhint: pair each set of a with one set of b.")
    ga = _groups(ai, av, ashape, validate, op, fn)
    gb = _groups(bi, bv, bshape, validate, op, fn)
    combine = {"union": set.union, "intersection": set.intersection,
               "a-b": set.difference, "b-a": lambda x, y: y - x}[operation]
    rows, vals = [], []
    longest = 0
    for key in sorted(set(ga) | set(gb)):
        result = sorted(combine(ga.get(key, set()), gb.get(key, set())))
        longest = max(longest, len(result))
        for j, v in enumerate(result):
            rows.append(key + (j,))
            vals.append(v)
    rank = len(ashape)
    indices = np.array(rows, _I64).reshape(-1, rank)
    values = np.empty(len(vals), dtype=object) if av.dtype == object else \
        np.array(vals, dtype=av.dtype)
    if av.dtype == object:
        values[:] = vals
    return indices, values, np.array(list(ashape[:-1]) + [longest], _I64)


def _set_rule(ai, av, ashape, bi, bv, bshape, **attrs):
    r = ashape.shape[0]
    return [(TensorShape([None, r]), _dtypes.int64), (TensorShape([None]), av.dtype),
            (TensorShape([r]), _dtypes.int64)]


SET_OPERATION = defop("SparseToSparseSetOperation", _set_kernel, _set_rule, grad=None,
                      num_outputs=3, public_name="tf.sets.union")


def _size_kernel(indices, values, dense_shape, *, validate):
    groups = _groups(indices, values, dense_shape, validate, "SetSize", "tf.sets.size")
    out = np.zeros(tuple(int(d) for d in dense_shape[:-1]), np.int32)
    for key, s in groups.items():
        out[key] = len(s)
    return out


SET_SIZE = defop("SetSize", _size_kernel,
                 lambda indices, values, dense_shape, **attrs: (
                     TensorShape(None) if dense_shape.shape[0] is None else
                     TensorShape([None] * (dense_shape.shape[0] - 1)), _dtypes.int32),
                 grad=None, public_name="tf.sets.size")


def _as_sparse(x, fn: str, arg: str) -> SparseTensor:
    """A set argument as a SparseTensor; a dense tensor stores every element."""
    if isinstance(x, SparseTensor):
        sp = x
    else:
        t = to_tensor(x) if isinstance(x, Tensor) or hasattr(x, "_is_variable") else \
            to_tensor(x)
        idx = where(_all_true(t))
        sp = SparseTensor._from_parts(idx, gather_nd(t, idx), shape(t, out_type=_dtypes.int64))
    if sp.dtype not in _ALLOWED:
        raise TypeError(f"'{arg}' has invalid dtype `{sp.dtype!r}` not in supported dtypes: "
                        f"`{', '.join(d.name for d in _ALLOWED)}`.\n{fn}: sets hold integers "
                        f"or strings.\nhint: cast floats to integers first (tf.cast).")
    return sp


def _all_true(t):
    from rill.ops.array_ops import fill
    return fill(shape(t), True)


def _set_operation(a, b, operation: str, validate_indices: bool, fn: str) -> SparseTensor:
    sa, sb = _as_sparse(a, fn, "a"), _as_sparse(b, fn, "b")
    if sa.dtype is not sb.dtype:
        raise TypeError(f"Types don't match, {sa.dtype!r} vs {sb.dtype!r}.\n{fn}: a and b "
                        f"must hold the same dtype.\nhint: tf.cast one of them.")
    idx, vals, shp = execute(SET_OPERATION, (sa.indices, sa.values, sa.dense_shape,
                                             sb.indices, sb.values, sb.dense_shape),
                             {"operation": operation, "validate": bool(validate_indices)})
    return SparseTensor._from_parts(idx, vals, shp)


def union(a, b, validate_indices=True) -> SparseTensor:
    """The union of the sets along the last dimension of `a` and `b` (`tf.sets.union`).

    >>> u = tf.sets.union([[2, 3, 5, 7], [7, 9, 0, 0]], [[4, 5, 6], [9, 10, 0]])
    >>> tf.sparse.to_dense(u).numpy().tolist()
    [[2, 3, 4, 5, 6, 7], [0, 7, 9, 10, 0, 0]]
    """
    return _set_operation(a, b, "union", validate_indices, "tf.sets.union")


def intersection(a, b, validate_indices=True) -> SparseTensor:
    """The intersection of the sets of `a` and `b` (`tf.sets.intersection`).

    >>> i = tf.sets.intersection([[2, 3, 5, 7], [7, 9, 0, 0]], [[4, 5, 6], [9, 10, 0]])
    >>> tf.sparse.to_dense(i).numpy().tolist()
    [[5, 0], [0, 9]]
    """
    return _set_operation(a, b, "intersection", validate_indices, "tf.sets.intersection")


def difference(a, b, aminusb=True, validate_indices=True) -> SparseTensor:
    """The sets of `a` without the elements of `b` (or b - a with aminusb=False)
    (`tf.sets.difference`).

    >>> d = tf.sets.difference([[2, 3, 5, 7], [7, 9, 0, 0]], [[4, 5, 6], [9, 10, 0]])
    >>> tf.sparse.to_dense(d).numpy().tolist()
    [[2, 3, 7], [7, 0, 0]]
    """
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices,
                          "tf.sets.difference")


def size(a, validate_indices=True):
    """The number of distinct values in each set of a SparseTensor (int32, shape of the batch
    dimensions) (`tf.sets.size`).

    >>> st = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1, 1, 4], [2, 3])
    >>> tf.sets.size(st).numpy()
    array([1, 1], dtype=int32)
    """
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a!r}.\ntf.sets.size counts the "
                        f"stored values of each set of a SparseTensor.\nhint: "
                        f"tf.sparse.from_dense(x) (it drops zeros), or tf.sets.union(x, x).")
    sp = _as_sparse(a, "tf.sets.size", "a")
    return execute(SET_SIZE, (sp.indices, sp.values, sp.dense_shape),
                   {"validate": bool(validate_indices)})


set_union = union
set_intersection = intersection
set_difference = difference
set_size = size


__tf_names__ = {
    "sets": "difference intersection set_difference set_intersection set_size set_union size union",
}
