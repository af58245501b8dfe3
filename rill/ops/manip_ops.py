"""Array manipulation ops: transpose, tile, reverse, roll, concat, stack/unstack, split, pad.

Each op is one block: kernel, shape/dtype rule (unknown dimensions stay None) and gradient
written with public ops. Permutations, multiples, shifts, split sizes and paddings are tensor
inputs, so they may be symbolic while tracing; axes and modes are static attributes.
"""

from __future__ import annotations

import builtins

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensorError, dispatch
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as _m
from rill.ops import reduction_ops as _r
from rill.ops._util import (
    as_int,
    axes_arg,
    axis_arg,
    int_tensor,
    is_tensor_like,
    same_rule,
    shape_tensor,
    to_tensor,
)
from rill.ops._util import op_error as _error
from rill.ops.array_ops import identity, range_, rank, reshape

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor
_pyslice = builtins.slice
_I32 = np.dtype(np.int32)
_INT_TYPES = (int, np.integer)


def _same_dtype(values, fn: str, op: str, pack: bool = False) -> list:
    """Converts a list of values to tensors of one dtype: the first tensor's, else the first
    value's (or, when `pack`, that of the whole list read as one constant, as tf.stack)."""
    if is_tensor_like(values) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{fn}: expected a list of tensors, got {type(values).__name__}.\n"
                        f"hint: pass a Python list, e.g. {fn}([a, b], axis=0).")
    first = next((v for v in values if is_tensor_like(v)), None)
    dtype = to_tensor(first).dtype if first is not None else None
    if dtype is None and pack:
        try:
            dtype = convert_to_tensor(list(values)).dtype
        except CompositeTensorError:  # composite (issue 11)
            raise
        except (TypeError, ValueError):
            dtype = None
    out = []
    for v in values:
        if is_tensor_like(v) or dtype is None:
            t = to_tensor(v)
            dtype = dtype or t.dtype
        else:
            t = convert_to_tensor(v, dtype=dtype)
        out.append(t)
    for i, t in enumerate(out):
        if t.dtype is not dtype:
            j = next(k for k, u in enumerate(out) if u.dtype is dtype)
            raise InvalidArgumentError(
                None, op, f"{fn}: values[{i}] has dtype {t.dtype.name} but values[{j}] has "
                f"dtype {dtype.name}; all values must have one dtype [Op:{op}]\n"
                f"hint: tf.cast the values to one dtype first.")
    return out


# -- transpose, tile, reverse, roll -------------------------------------------------------
def _check_perm(perm: list, rank: int, fn: str):
    if len(perm) != rank:
        raise _error("Transpose", fn, f"transpose expects a vector of size {rank}. But input(1) "
                     f"is a vector of size {len(perm)}", f"give a permutation of "
                     f"{list(builtins.range(rank))}.")
    for p in perm:
        if not 0 <= p < rank:
            raise _error("Transpose", fn, f"{p} is out of range [0 .. {rank})",
                         f"give a permutation of {list(builtins.range(rank))}.")
    for i in builtins.range(rank):
        if i not in perm:
            raise _error("Transpose", fn, f"{i} is missing from {perm}.",
                         f"give a permutation of {list(builtins.range(rank))}.")


def _transpose_kernel(x, perm):
    p = perm.tolist()
    _check_perm(p, np.ndim(x), "tf.transpose")
    return np.transpose(x, p)


def _transpose_rule(x, perm):
    p = constant_value(perm)
    if x.shape.rank is None:
        n = len(p) if p is not None else (perm.shape[0] if perm.shape.rank == 1 else None)
        return TensorShape(None if n is None else [None] * n), x.dtype
    dims = x.shape.as_list()
    if p is None:
        return TensorShape([None] * len(dims)), x.dtype
    p = [int(i) for i in p]
    _check_perm(p, len(dims), "tf.transpose")
    return TensorShape([dims[i] for i in p]), x.dtype


def _transpose_grad(op, dy):
    perm = op.inputs[1]
    p = constant_value(perm)
    inv = np.argsort(p).astype(np.int32) if p is not None else invert_permutation(perm)
    return transpose(dy, inv, conjugate=op.type == "ConjugateTranspose"), None


TRANSPOSE = defop("Transpose", _transpose_kernel, _transpose_rule, _transpose_grad,
                  public_name="tf.transpose")
CONJUGATE_TRANSPOSE = defop("ConjugateTranspose",
                            lambda x, perm: np.conj(_transpose_kernel(x, perm)),
                            _transpose_rule, _transpose_grad, public_name="tf.transpose")


def _invert_permutation_kernel(p):
    out = np.empty_like(p)
    out[p] = np.arange(p.shape[0], dtype=p.dtype)
    return out


INVERT_PERMUTATION = defop("InvertPermutation", _invert_permutation_kernel, same_rule,
                           grad=None, public_name="tf.math.invert_permutation")


def invert_permutation(x, name=None):
    """The inverse permutation: y[x[i]] = i (`tf.math.invert_permutation`)."""
    return execute(INVERT_PERMUTATION, (int_tensor(x, "tf.math.invert_permutation", "x"),))


def transpose(a, perm=None, conjugate=False, name="transpose"):
    """Permutes the dimensions (`perm`, default reversed), conjugating complex values when
    `conjugate` (`tf.transpose`).

    >>> tf.transpose(tf.zeros([2, 3, 4]), perm=[0, 2, 1]).shape
    TensorShape([2, 4, 3])
    """
    if type(a) is _Eager and not _active and not conjugate:
        v = a._value
        if perm is None:
            return _wrap(v.transpose())
        if type(perm) is list or type(perm) is tuple:
            for p in perm:
                if type(p) is not int:
                    break
            else:
                if sorted(perm) == list(builtins.range(v.ndim)):
                    return _wrap(v.transpose(perm))
    x = to_tensor(a)
    r = x.shape.rank
    conj = bool(conjugate) and x.dtype.is_complex
    if perm is None:
        if r is None:
            perm = reverse(range_(rank(x)), [0])
        else:
            perm = list(builtins.range(r - 1, -1, -1))
    if isinstance(perm, (list, tuple, np.ndarray)) and not any(map(is_tensor_like, perm)):
        p = [as_int(i, "tf.transpose", "perm") for i in perm]
        if r is not None:
            _check_perm(p, r, "tf.transpose")
        if type(x) is _Eager and not _active:
            out = np.transpose(x._value, p)
            return _wrap(np.conj(out) if conj else out)
        perm = _wrap(np.array(p, dtype=_I32))
    else:
        perm = int_tensor(perm, "tf.transpose", "perm")
    return execute(CONJUGATE_TRANSPOSE if conj else TRANSPOSE, (x, perm))


def _tile_kernel(x, multiples):
    m = multiples.tolist()
    if len(m) != np.ndim(x):
        raise _error("Tile", "tf.tile", f"Expected multiples argument to be a vector of length "
                     f"{np.ndim(x)} but got length {len(m)}",
                     "give one multiple per dimension of the input.")
    for i, v in enumerate(m):
        if v < 0:
            raise _error("Tile", "tf.tile", f"Expected multiples[{i}] >= 0, but got {v}",
                         "multiples must be non-negative.")
    return np.tile(x, m)


def _tile_rule(x, multiples):
    m = constant_value(multiples)
    r = x.shape.rank
    if r is None:
        n = len(m) if m is not None else (multiples.shape[0] if multiples.shape.rank else None)
        return TensorShape(None if n is None else [None] * n), x.dtype
    if m is None:
        return TensorShape([None] * r), x.dtype
    m = [int(v) for v in np.reshape(m, -1)]
    if len(m) != r:
        raise ValueError(f"Expected multiples argument to be a vector of length {r} but got "
                         f"length {len(m)}")
    return TensorShape([None if d is None else d * k for d, k in zip(x.shape.as_list(), m)]), \
        x.dtype


def _tile_grad(op, dy):
    x, mult = op.inputs
    m = constant_value(mult)
    if m is not None and x.shape.is_fully_defined():
        r = x.shape.rank
        split_shape = [v for pair in zip(np.reshape(m, -1).tolist(), x.shape.as_list())
                       for v in pair]
    else:
        r = x.shape.rank if x.shape.rank is not None else mult.shape[0]
        pairs = stack([_m.cast(mult, _dtypes.int32), shape_tensor(x)], axis=1)
        split_shape = reshape(pairs, [-1])
    g = reshape(dy, split_shape)
    return _r.reduce_sum(g, axis=list(builtins.range(0, 2 * r, 2))), None


TILE = defop("Tile", _tile_kernel, _tile_rule, _tile_grad, public_name="tf.tile")


def tile(input, multiples, name=None):  # noqa: A002
    """Repeats the whole tensor `multiples[i]` times along each axis i (`tf.tile`).

    >>> tf.tile(tf.constant([[1, 2]]), [2, 2]).numpy()
    array([[1, 2, 1, 2],
           [1, 2, 1, 2]], dtype=int32)
    """
    x = to_tensor(input)
    return execute(TILE, (x, int_tensor(multiples, "tf.tile", "multiples")))


REVERSE = defop("ReverseV2", lambda x, *, axis: np.flip(x, axis) if axis else x, same_rule,
                lambda op, dy: (reverse(dy, op.attrs["axis"]),), public_name="tf.reverse")


def reverse(tensor, axis, name=None):
    """Reverses the order of elements along the axes in `axis` (`tf.reverse`).

    >>> tf.reverse(tf.constant([[1, 2], [3, 4]]), [1]).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    x = to_tensor(tensor)
    if isinstance(axis, _INT_TYPES):
        raise _error("ReverseV2", "tf.reverse", "'dims' must be 1-dimension, not 0",
                     f"pass a list of axes, e.g. axis=[{axis}].")
    if x.shape.rank is None:
        raise ValueError("tf.reverse needs a tensor of known rank.")
    return execute(REVERSE, (x,), {"axis": axes_arg(axis, x.shape.rank, "tf.reverse", "ReverseV2")})


def _roll_kernel(x, shift, *, axis):
    s = shift.tolist()
    if isinstance(s, int):
        s = [s] * len(axis) if len(axis) == 1 else s
    if not isinstance(s, list) or len(s) != len(axis):
        raise _error("Roll", "tf.roll", "shift and axis must have the same size",
                     "give one shift per axis.")
    return np.roll(x, s, axis) if axis else x


ROLL = defop("Roll", _roll_kernel, lambda x, shift, *, axis: (x.shape, x.dtype),
             lambda op, dy: (roll(dy, _m.negative(op.inputs[1]), op.attrs["axis"]), None),
             public_name="tf.roll")


def roll(input, shift, axis, name=None):  # noqa: A002
    """Rolls elements along `axis` by `shift` places, wrapping around (`tf.roll`).

    >>> tf.roll(tf.constant([1, 2, 3, 4]), shift=1, axis=0).numpy()
    array([4, 1, 2, 3], dtype=int32)
    """
    x = to_tensor(input)
    r = x.shape.rank
    scalar = isinstance(axis, _INT_TYPES)
    axes = (axis_arg(axis, r, "tf.roll", "Roll"),) if scalar else tuple(
        axis_arg(a, r, "tf.roll", "Roll") for a in (np.asarray(constant_value(to_tensor(axis)))
                                                  .tolist() if is_tensor_like(axis) else axis))
    s = int_tensor(shift, "tf.roll", "shift")
    n = 1 if s.shape.rank == 0 else s.shape[0] if s.shape.rank == 1 else None
    if n is not None and n != len(axes):
        raise _error("Roll", "tf.roll", "shift and axis must have the same size",
                     f"give one shift per axis (got {n} shifts for {len(axes)} axes).")
    return execute(ROLL, (x, s), {"axis": axes})


# -- concat, stack, unstack, split --------------------------------------------------------
def _concat_kernel(*xs, axis):
    try:
        return np.concatenate(xs, axis=axis)
    except ValueError:
        first = list(np.shape(xs[0]))
        for i, x in enumerate(xs[1:], 1):
            s = list(np.shape(x))
            if len(s) != len(first):
                msg = (f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                       f"{first} vs. shape[{i}] = {s}")
                break
            bad = [d for d in builtins.range(len(s)) if d != axis and s[d] != first[d]]
            if bad:
                msg = (f"ConcatOp : Dimension {bad[0]} in both shapes must be equal: shape[0] "
                       f"= {first} vs. shape[{i}] = {s}")
                break
        else:
            raise
        raise _error("ConcatV2", "tf.concat", msg,
                     f"all values must have the same shape except along axis {axis}.") from None


def _concat_rule(*xs, axis):
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"dtypes differ: {xs[0].dtype.name} vs {x.dtype.name}")
    known = [x.shape for x in xs if x.shape.rank is not None]
    if not known:
        return TensorShape(None), xs[0].dtype
    r = known[0].rank
    out = []
    for d in builtins.range(r):
        col = [s[d] for s in known]
        if any(s.rank != r for s in known):
            raise ValueError(f"Ranks of all input tensors should match: {[str(s) for s in known]}")
        if d == axis:
            out.append(None if len(known) < len(xs) or None in col else sum(col))
        else:
            vals = {v for v in col if v is not None}
            if len(vals) > 1:
                raise ValueError(f"Dimension {d} in both shapes must be equal: "
                                 f"{[str(s) for s in known]}")
            out.append(vals.pop() if vals else None)
    return TensorShape(out), xs[0].dtype


def _concat_grad(op, dy):
    axis = op.attrs["axis"]
    xs = op.inputs
    dims = [x.shape[axis] if x.shape.rank is not None else None for x in xs]
    if None in dims:
        dims = stack([shape_tensor(x)[axis] for x in xs])
    return tuple(split(dy, dims, axis=axis))


CONCAT = defop("ConcatV2", _concat_kernel, _concat_rule, _concat_grad, public_name="tf.concat")


def _eager_values(values):
    """The NumPy values of a list of eager tensors of one dtype, while nothing is active (no
    tape, graph or hook), else None."""
    if _active or (type(values) is not list and type(values) is not tuple):
        return None
    out = []
    for t in values:
        if type(t) is not _Eager:
            return None
        out.append(t._value)
    dt = out[0].dtype if out else None
    for v in out:
        if v.dtype != dt:
            return None
    return out


def concat(values, axis, name="concat"):
    """Joins tensors along an existing axis (`tf.concat`).

    >>> tf.concat([tf.constant([[1, 2]]), tf.constant([[3, 4]])], axis=0).shape
    TensorShape([2, 2])
    """
    vals = _eager_values(values)
    if vals and len(vals) > 1 and type(axis) is int:
        try:
            return _wrap(np.concatenate(vals, axis))
        except ValueError:  # wrong shapes, axis or scalars: the general path explains
            pass
    try:
        ts = _same_dtype(values, "tf.concat", "ConcatV2")
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.concat", (values, axis))
    if not ts:
        raise ValueError("tf.concat needs at least one tensor.\nhint: tf.concat([a, b], 0)")
    if len(ts) == 1:
        return identity(ts[0])
    r = next((t.shape.rank for t in ts if t.shape.rank is not None), None)
    if r == 0:
        raise _error("ConcatV2", "tf.concat", "ConcatOp : Can't concatenate scalars (use "
                     "tf.stack instead)", "tf.stack(values) joins scalars into a vector.")
    a = axis_arg(axis, r, "tf.concat", "ConcatV2")
    return execute(CONCAT, tuple(ts), {"axis": a})


def _stack_kernel(*xs, axis):
    try:
        return np.stack(xs, axis=axis)
    except ValueError:
        shapes = [list(np.shape(x)) for x in xs]
        i = next(i for i, s in enumerate(shapes) if s != shapes[0])
        raise _error("Pack", "tf.stack", f"Shapes of all inputs must match: values[0].shape = "
                     f"{shapes[0]} != values[{i}].shape = {shapes[i]}",
                     "stack takes tensors of one shape; use tf.concat to join along an "
                     "existing axis.") from None


def _stack_rule(*xs, axis):
    s = xs[0].shape
    for x in xs[1:]:
        if not s.is_compatible_with(x.shape):
            raise ValueError(f"Shapes of all inputs must match: {xs[0].shape} vs {x.shape}")
        s = s.merge_with(x.shape)
    if s.rank is None:
        return TensorShape(None), xs[0].dtype
    dims = s.as_list()
    ax = axis if axis >= 0 else axis + len(dims) + 1
    return TensorShape(dims[:ax] + [len(xs)] + dims[ax:]), xs[0].dtype


def _stack_grad(op, dy):
    return tuple(unstack(dy, num=len(op.inputs), axis=op.attrs["axis"]))


PACK = defop("Pack", _stack_kernel, _stack_rule, _stack_grad, public_name="tf.stack")


def stack(values, axis=0, name="stack"):
    """Stacks tensors of one shape along a new axis (`tf.stack`).

    >>> tf.stack([tf.constant([1, 2]), tf.constant([3, 4])], axis=1).numpy()
    array([[1, 3],
           [2, 4]], dtype=int32)
    """
    if isinstance(values, (list, tuple)) and not values:
        return _wrap(np.zeros((0,), np.float32))
    vals = _eager_values(values)
    if vals and type(axis) is int:
        try:
            return _wrap(np.stack(vals, axis))
        except ValueError:
            pass
    try:
        ts = _same_dtype(values, "tf.stack", "Pack", pack=True)
    except CompositeTensorError:  # composite (issue 11)
        return dispatch("tf.stack", (values, axis))
    r = next((t.shape.rank for t in ts if t.shape.rank is not None), None)
    a = axis_arg(axis, r, "tf.stack", "Pack", extra=1)
    return execute(PACK, tuple(ts), {"axis": a})


def _unstack_kernel(x, *, axis, num):
    if x.shape[axis] != num:
        raise _error("Unpack", "tf.unstack", f"Input shape axis {axis} must equal {num}, got "
                     f"shape {list(x.shape)}", "leave num=None to take it from the shape.")
    return tuple(np.moveaxis(x, axis, 0))


def _unstack_rule(x, *, axis, num):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype)] * num
    dims = x.shape.as_list()
    del dims[axis]
    return [(TensorShape(dims), x.dtype)] * num


def _unstack_grad(op, *dys):
    return (stack(list(dys), axis=op.attrs["axis"]),)


UNPACK = defop("Unpack", _unstack_kernel, _unstack_rule, _unstack_grad, num_outputs=None,
               public_name="tf.unstack")


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits a tensor into a list of tensors along `axis`, removing it (`tf.unstack`).

    >>> [t.numpy().tolist() for t in tf.unstack(tf.constant([[1, 2], [3, 4]]))]
    [[1, 2], [3, 4]]
    """
    x = to_tensor(value)
    r = x.shape.rank
    if r is None:
        raise ValueError("tf.unstack needs a tensor of known rank.")
    if r == 0:
        raise ValueError("tf.unstack: the input must have rank >= 1, got a scalar.")
    ax = axis_arg(axis, r, "tf.unstack", "Unpack")
    n = x.shape[ax] if num is None else int(num)
    if n is None:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}\nhint: pass "
                         f"num=, the size of axis {ax}.")
    if x.shape[ax] is not None and x.shape[ax] != n:
        raise _error("Unpack", "tf.unstack", f"Input shape axis {ax} must equal {n}, got shape "
                     f"{x.shape.as_list()}", "leave num=None to take it from the shape.")
    return list(execute(UNPACK, (x,), {"axis": ax, "num": n}))


def _split_at(x, sizes: list, axis: int) -> tuple:
    pre = (_pyslice(None),) * axis
    out = []
    start = 0
    for n in sizes:
        out.append(x[pre + (_pyslice(start, start + n),)])
        start += n
    return tuple(out)


def _split_kernel(x, *, axis, num):
    n = x.shape[axis]
    if n % num:
        raise _error("Split", "tf.split", f"Number of ways to split should evenly divide the "
                     f"split dimension, but got split_dim {axis} (size = {n}) and num_split "
                     f"{num}", "pass a list of sizes to split unevenly.")
    return _split_at(x, [n // num] * num, axis)


def _split_rule(x, *, axis, num):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype)] * num
    dims = x.shape.as_list()
    d = dims[axis]
    if d is not None and d % num:
        raise ValueError(f"Number of ways to split should evenly divide the split dimension, "
                         f"but got split_dim {axis} (size = {d}) and num_split {num}")
    dims[axis] = None if d is None else d // num
    return [(TensorShape(dims), x.dtype)] * num


def _resolve_sizes(sizes: list, n, fn: str = "tf.split") -> list:
    """Split sizes with the -1 entry filled in; checked against the dimension n (or None)."""
    free = [i for i, s in enumerate(sizes) if s == -1]
    hint = "sizes must add up to the size of the split dimension; one may be -1."
    if len(free) > 1:
        raise _error("SplitV", fn, "There can only be one -1 in the input.", hint)
    if any(s < -1 for s in sizes):
        raise _error("SplitV", fn, f"Split sizes must be >= -1, got {sizes}", hint)
    total = sum(s for s in sizes if s != -1)
    if n is None:
        return [None if s == -1 else s for s in sizes]
    if free:
        if total > n:
            raise _error("SplitV", fn, f"Determined shape must either match input shape along "
                         f"split_dim exactly if fully specified, or be less than the size of "
                         f"the input along split_dim if not fully specified.  Got: {total}", hint)
        sizes = list(sizes)
        sizes[free[0]] = n - total
    elif total != n:
        if len(sizes) == 1:
            msg = (f"If there is only one output, it must have the same size as the input. "
                   f"Input size: {n} output size: {total}")
        else:
            msg = (f"Determined shape must either match input shape along split_dim exactly if "
                   f"fully specified, or be less than the size of the input along split_dim "
                   f"if not fully specified.  Got: {total}")
        raise _error("SplitV", fn, msg, hint)
    return sizes


def _splitv_kernel(x, sizes, *, axis, num):
    return _split_at(x, _resolve_sizes(sizes.tolist(), x.shape[axis]), axis)


def _splitv_rule(x, sizes, *, axis, num):
    if x.shape.rank is None:
        return [(TensorShape(None), x.dtype)] * num
    dims = x.shape.as_list()
    v = constant_value(sizes)
    parts = [None] * num if v is None else _resolve_sizes(np.reshape(v, -1).tolist(), dims[axis])
    return [(TensorShape(dims[:axis] + [p] + dims[axis + 1:]), x.dtype) for p in parts]


SPLIT = defop("Split", _split_kernel, _split_rule,
              lambda op, *dys: (concat(list(dys), op.attrs["axis"]),),
              num_outputs=None, public_name="tf.split")
SPLITV = defop("SplitV", _splitv_kernel, _splitv_rule,
               lambda op, *dys: (concat(list(dys), op.attrs["axis"]), None),
               num_outputs=None, public_name="tf.split")


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits a tensor into `num` equal parts, or parts of the given sizes (`tf.split`).

    >>> [t.shape[0] for t in tf.split(tf.range(6), [1, 2, -1])]
    [1, 2, 3]
    """
    x = to_tensor(value)
    r = x.shape.rank
    if r == 0:
        raise ValueError("tf.split: cannot split a scalar.\nhint: split tensors of rank >= 1.")
    a = axis_arg(axis, r, "tf.split", "Split")
    sp = num_or_size_splits
    if isinstance(sp, _INT_TYPES) or (is_tensor_like(sp) and to_tensor(sp).shape.rank == 0):
        n = as_int(sp, "tf.split", "num_or_size_splits")
        if n < 1:
            raise _error("Split", "tf.split", f"num_split must be at least 1, got {n}",
                         "split into one or more parts.")
        if r is None and a < 0:
            raise ValueError("tf.split: a negative axis needs a tensor of known rank.")
        return list(execute(SPLIT, (x,), {"axis": a, "num": n}))
    sizes = int_tensor(sp, "tf.split", "num_or_size_splits")
    if num is None:
        num = sizes.shape[0] if sizes.shape.rank == 1 else None
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {sizes.shape}\nhint: "
                             f"pass num=, the number of parts.")
    v = constant_value(sizes)
    if v is not None and r is not None:
        _resolve_sizes(np.reshape(v, -1).tolist(), x.shape[a])
    return list(execute(SPLITV, (x, sizes), {"axis": a, "num": int(num)}))


# -- pad ----------------------------------------------------------------------------------
def _check_paddings(p: np.ndarray, rank: int, op: str, fn: str = "tf.pad"):
    if p.shape != (rank, 2):
        raise _error(op, fn, f"The first dimension of paddings must be the rank of inputs "
                     f"{list(p.shape)} (rank {rank})",
                     f"give paddings of shape [{rank}, 2]: [before, after] for each dimension.")
    if (p < 0).any():
        raise _error(op, fn, f"Paddings must be non-negative: {p.tolist()}",
                     "use tf.slice to remove elements.")


def _pad_kernel(x, paddings, *cv):
    p = np.asarray(paddings)
    _check_paddings(p, np.ndim(x), "PadV2" if cv else "Pad")
    shape = tuple((np.array(np.shape(x), dtype=np.int64) + p.sum(1)).tolist())
    out = np.full(shape, cv[0] if cv else 0, dtype=x.dtype)
    out[tuple(_pyslice(b, b + d) for b, d in zip(p[:, 0].tolist(), np.shape(x)))] = x
    return out


def _pad_rule(x, paddings, *rest, **attrs):
    p = constant_value(paddings)
    r = x.shape.rank
    if r is None:
        r = paddings.shape[0] if paddings.shape.rank == 2 else None
        if r is None:
            return TensorShape(None), x.dtype
    dims = x.shape.as_list() if x.shape.rank is not None else [None] * r
    if p is None:
        return TensorShape([None] * r), x.dtype
    p = np.asarray(p)
    if p.shape != (r, 2):
        raise ValueError(f"The first dimension of paddings must be the rank of inputs "
                         f"{list(p.shape)} (rank {r})")
    return TensorShape([None if d is None else d + int(a) + int(b)
                        for d, (a, b) in zip(dims, p.tolist())]), x.dtype


def _pad_grad(op, dy):
    x, paddings = op.inputs[:2]
    p = constant_value(paddings)
    begin = p[:, 0].astype(np.int32) if p is not None else paddings[:, 0]
    from rill.ops.indexing_ops import slice_  # indexing_ops imports this module
    dx = slice_(dy, begin, shape_tensor(x))
    return (dx,) + (None,) * (len(op.inputs) - 1)


PAD = defop("Pad", _pad_kernel, _pad_rule, _pad_grad, public_name="tf.pad")
PADV2 = defop("PadV2", _pad_kernel, _pad_rule, _pad_grad, public_name="tf.pad")


def _mirror_pad_kernel(x, paddings, *, mode):
    p = np.asarray(paddings)
    _check_paddings(p, np.ndim(x), "MirrorPad")
    off = 1 if mode == "REFLECT" else 0
    for d, (a, b) in zip(np.shape(x), p.tolist()):
        if max(a, b) > d - off:
            word = "less than" if off else "no greater than"
            raise _error("MirrorPad", "tf.pad", f"paddings must be {word} the dimension size: "
                         f"{a}, {b} {'not less than' if off else 'greater than'} {d}",
                         f"{mode} padding can mirror at most {d - off} elements of a dimension "
                         f"of size {d}.")
    return np.pad(x, p, mode=mode.lower())


def _mirror_pad_grad_kernel(dy, paddings, *, mode):
    # folds the mirrored borders back onto the elements they copy, one axis at a time
    off = 1 if mode == "REFLECT" else 0
    g = dy
    for ax, (before, after) in enumerate(np.asarray(paddings).tolist()):
        if not before and not after:
            continue
        moved = np.moveaxis(g, ax, 0)
        n = moved.shape[0] - before - after
        core = moved[before:before + n].copy()
        if before:
            core[off:off + before] += moved[:before][::-1]
        if after:
            core[n - off - after:n - off] += moved[before + n:][::-1]
        g = np.moveaxis(core, 0, ax)
    return g


MIRROR_PAD = defop("MirrorPad", _mirror_pad_kernel, _pad_rule,
                   lambda op, dy: (execute(MIRROR_PAD_GRAD, (to_tensor(dy), op.inputs[1]),
                                           op.attrs), None),
                   public_name="tf.pad")


def _mirror_pad_grad_rule(dy, paddings, *, mode):
    p = constant_value(paddings)
    if dy.shape.rank is None:
        return TensorShape(None), dy.dtype
    if p is None:
        return TensorShape([None] * dy.shape.rank), dy.dtype
    return TensorShape([None if d is None else d - int(a) - int(b)
                        for d, (a, b) in zip(dy.shape.as_list(), np.asarray(p).tolist())]), \
        dy.dtype


MIRROR_PAD_GRAD = defop("MirrorPadGrad", _mirror_pad_grad_kernel, _mirror_pad_grad_rule,
                        lambda op, g: (execute(MIRROR_PAD, (to_tensor(g), op.inputs[1]),
                                               op.attrs), None),
                        public_name="tf.pad")


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pads a tensor: `paddings[i] = [before, after]` elements for dimension i (`tf.pad`).

    mode: "CONSTANT" (fill with `constant_values`), "REFLECT" (mirror without the edge) or
    "SYMMETRIC" (mirror with the edge).

    >>> tf.pad(tf.constant([[1, 2, 3]]), [[0, 0], [2, 2]], "REFLECT").numpy()
    array([[3, 2, 1, 2, 3, 2, 1]], dtype=int32)
    """
    x = to_tensor(tensor)
    m = str(mode).upper()
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f'Value of argument `mode` expected to be one of "CONSTANT", '
                         f'"REFLECT", or "SYMMETRIC". Received `mode` = {mode}')
    p = int_tensor(paddings, "tf.pad", "paddings")
    known = constant_value(p) if _state.graphs else None  # eager kernels check paddings themselves
    if known is not None and x.shape.rank is not None:
        _check_paddings(np.asarray(known), x.shape.rank,
                        "Pad" if m == "CONSTANT" else "MirrorPad")
    if m != "CONSTANT":
        return execute(MIRROR_PAD, (x, p), {"mode": m})
    if not is_tensor_like(constant_values) and constant_values == 0:
        return execute(PAD, (x, p))
    cv = to_tensor(constant_values) if is_tensor_like(constant_values) else \
        convert_to_tensor(constant_values, dtype=x.dtype)
    if cv.dtype is not x.dtype:
        raise TypeError(f"tf.pad: constant_values has dtype {cv.dtype.name} but the tensor "
                        f"has dtype {x.dtype.name}.\nhint: tf.cast(constant_values, "
                        f"tf.{x.dtype.name}).")
    return execute(PADV2, (x, p, reshape(cv, [])))


__tf_names__ = {
    "tf": "concat pad reverse roll split stack tile transpose unstack",
    "math": "invert_permutation",
}
