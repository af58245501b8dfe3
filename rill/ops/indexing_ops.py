"""Slicing and indexing ops: `t[...]` (`getitem`), `tf.strided_slice` and `tf.slice`.

`tf.slice` is `slice_` here, so the builtin stays usable. Begin/size are tensor inputs; an
index key is a static attribute whose symbolic parts are extra scalar inputs.
"""

from __future__ import annotations

import builtins

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill._core.variable import KeyInput as _KeyInput
from rill._core.variable import resolve_key as _resolve_key
from rill.ops import math_ops as _m
from rill.ops._util import dims_rule, int_tensor, shape_tensor, to_tensor
from rill.ops._util import op_error as _error
from rill.ops.array_ops import shape
from rill.ops.gather_scatter_ops import boolean_mask
from rill.ops.manip_ops import pad, stack, unstack

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor
_pyslice = builtins.slice


# -- slice, strided_slice and indexing (t[...]) -------------------------------------------
# An index key is a static tuple of ints, slices, None (tf.newaxis) and Ellipsis, kept as the
# `key` attribute of StridedSlice; parts known only at run time are `KeyInput` markers naming
# an extra scalar input of the op (variables' slice assignment reads the same keys).
def _key_axes(key: tuple, rank: int):
    """(part, input axis) for each part of a key; the axis is None for tf.newaxis."""
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    pos = 0
    for k in key:
        if k is Ellipsis:
            pos += rank - used
        elif k is None:
            yield k, None
        else:
            yield k, pos
            pos += 1


_INDEX_HINT = ("index with Python ints, slices (`a:b:step`), `...`, tf.newaxis (None) or scalar "
               "int32/int64 tensors; use tf.gather for a list of indices and tf.boolean_mask "
               "for a mask.")


def _index_error(shape: tuple, key: tuple, fn: str = "tf.Tensor.__getitem__"):
    rank = len(shape)
    for i, k in enumerate(key):
        if type(k) is _pyslice and k.step == 0:
            return _error("StridedSlice", fn, f"strides[{i}] must be non-zero: slice step "
                          f"cannot be zero", "use a positive step to go forward or a negative "
                          "one to go backward.")
    if sum(1 for k in key if k is Ellipsis) > 1:
        return _error("StridedSlice", fn, "Multiple ellipses in slice spec not allowed",
                      "use `...` at most once in an index.")
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > rank:
        what = "Attempting to slice scalar input." if rank == 0 else \
            f"Index out of range using input dim {rank}; input has only {rank} dims"
        return _error("StridedSlice", fn, f"{what} (index {key} into a tensor of shape "
                      f"{list(shape)})", f"a tensor of rank {rank} takes at most {rank} "
                      f"indices; add dimensions with tf.newaxis or tf.reshape first.")
    for k, axis in _key_axes(key, rank):
        if type(k) is int:
            d = shape[axis]
            if not -d <= k < d:
                return _error("StridedSlice", fn, f"slice index {k} of dimension {axis} out of "
                              f"bounds: the dimension has size {d} (tensor shape "
                              f"{list(shape)})",
                              f"valid indices for dimension {axis} are {-d} to {d - 1} "
                              f"(negative ones count from the end); slices such as "
                              f"[{k}:] are clipped instead of failing." if d else
                              f"dimension {axis} is empty: it has no element to index.")
    return _error("StridedSlice", fn, f"invalid index {key} for a tensor of shape {list(shape)}",
                  _INDEX_HINT)


def _strided_slice_kernel(x, *dyn, key):
    if dyn:
        key = _resolve_key(key, dyn)
    try:
        return x[key]
    except (IndexError, ValueError):
        raise _index_error(np.shape(x), key) from None


def _strided_slice_rule(x, *dyn, key):
    if x.shape.rank is None:
        return TensorShape(None), x.dtype
    dims = x.shape.as_list()
    r = len(dims)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > r:
        raise ValueError(f"Index out of range using input dim {r}; input has only {r} dims "
                         f"(index {key} into shape {x.shape})")
    out = []
    pos = 0
    for k in key:
        if k is Ellipsis:
            out.extend(dims[pos:pos + r - used])
            pos += r - used
        elif k is None:
            out.append(1)
        elif type(k) is _pyslice:
            d = dims[pos]
            pos += 1
            if d is None or any(type(v) is _KeyInput for v in (k.start, k.stop, k.step)):
                out.append(None)
            else:
                out.append(len(builtins.range(*k.indices(d))))
        else:
            d = dims[pos]
            if type(k) is int and d is not None and not -d <= k < d:
                raise ValueError(f"slice index {k} of dimension {pos} out of bounds: the "
                                 f"dimension has size {d} (tensor shape {x.shape})")
            pos += 1
    if Ellipsis not in key:
        out.extend(dims[pos:])
    return TensorShape(out), x.dtype


def _strided_slice_grad(op, dy):
    dyn = tuple(op.inputs[1:])
    dx = execute(STRIDED_SLICE_GRAD, (to_tensor(dy), shape_tensor(op.inputs[0])) + dyn,
                 op.attrs)
    return (dx,) + (None,) * len(dyn)


def _strided_slice_grad_kernel(dy, shape, *dyn, key):
    if dyn:
        key = _resolve_key(key, dyn)
    out = np.zeros(tuple(shape.tolist()), dtype=dy.dtype)
    out[key] = dy
    return out


def _strided_slice_grad_grad(op, g):
    dyn = tuple(op.inputs[2:])
    return (execute(STRIDED_SLICE, (to_tensor(g),) + dyn, op.attrs), None) + (None,) * len(dyn)


STRIDED_SLICE = defop("StridedSlice", _strided_slice_kernel, _strided_slice_rule,
                      _strided_slice_grad, public_name="tf.strided_slice")
STRIDED_SLICE_GRAD = defop("StridedSliceGrad", _strided_slice_grad_kernel,
                           lambda dy, shape, *dyn, key: (dims_rule(shape), dy.dtype),
                           _strided_slice_grad_grad, public_name="tf.strided_slice")


def _bad_index(k) -> TypeError:
    return TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     f"scalar tf.int32/tf.int64 tensors are valid indices, got {k!r}\n"
                     f"hint: {_INDEX_HINT}")


def _index_part(k, dyn: list):
    """One integer of an index: a Python int, or a `_KeyInput` marker for a symbolic scalar."""
    tk = type(k)
    if tk is int:
        return k
    if tk is bool or tk is np.bool_:
        raise _bad_index(k)
    if isinstance(k, np.integer):
        return int(k)
    if hasattr(k, "_is_variable"):
        k = k.value()
    if isinstance(k, Tensor):
        if k.dtype._kind != "i" or k.dtype.size < 2 or k.shape.rank != 0:
            raise _bad_index(k)
        v = constant_value(k)
        if v is not None:
            return int(v)
        dyn.append(k)
        return _KeyInput(len(dyn) - 1)
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind == "i":
        return int(k)
    raise _bad_index(k)


def _parse_key(key, fn: str = "tf.Tensor.__getitem__"):
    """A static index key and the symbolic scalars it refers to."""
    if type(key) is not tuple:
        key = tuple(key) if type(key) is list else (key,)  # TensorFlow reads a list as a tuple
    parts = []
    dyn: list = []
    for i, k in enumerate(key):
        if k is None:
            parts.append(None)
        elif k is Ellipsis:
            if Ellipsis in parts:
                raise _error("StridedSlice", fn, "Multiple ellipses in slice spec not allowed",
                             "use `...` at most once in an index.")
            parts.append(Ellipsis)
        elif type(k) is _pyslice:
            s = _pyslice(*(None if v is None else _index_part(v, dyn)
                           for v in (k.start, k.stop, k.step)))
            if s.step == 0 and type(s.step) is int:
                raise _error("StridedSlice", fn, f"strides[{i}] must be non-zero: slice step "
                             f"cannot be zero", "use a positive step to go forward or a "
                             "negative one to go backward.")
            parts.append(s)
        else:
            parts.append(_index_part(k, dyn))
    return tuple(parts), dyn


def _is_mask(key) -> bool:
    tk = type(key)
    if tk is bool or tk is np.bool_:
        return True
    if tk is np.ndarray:
        return key.dtype == np.bool_
    if isinstance(key, Tensor) or hasattr(key, "_is_variable"):
        return key.dtype is _dtypes.bool
    return False


_SIMPLE_PARTS = (int, _pyslice, type(None), type(Ellipsis))


def getitem(tensor, key):
    """`tensor[key]` with TensorFlow's rules (`tf.Tensor.__getitem__`).

    Keys combine ints (negative ones count from the end), slices with steps, `...` and
    `tf.newaxis`; scalar int tensors may stand for ints. A list key reads as a tuple, and a
    bool tensor key is `tf.boolean_mask`.

    >>> t = tf.reshape(tf.range(12), [3, 4])
    >>> t[1:, ::2].numpy()
    array([[ 4,  6],
           [ 8, 10]], dtype=int32)
    >>> t[..., -1, tf.newaxis].shape
    TensorShape([3, 1])
    """
    if type(tensor) is _Eager and not _active:
        tk = type(key)
        if tk is int or tk is _pyslice:
            try:
                return _wrap(tensor._value[key])
            except (IndexError, ValueError, TypeError):
                pass
        elif tk is tuple:
            for k in key:
                if type(k) not in _SIMPLE_PARTS:
                    break
            else:
                try:
                    return _wrap(tensor._value[key])
                except (IndexError, ValueError, TypeError):
                    pass
    x = tensor if isinstance(tensor, Tensor) else to_tensor(tensor)
    if _is_mask(key):
        return boolean_mask(x, key)
    parts, dyn = _parse_key(key)
    return execute(STRIDED_SLICE, (x, *dyn), {"key": parts})


def _index_list(v, fn: str, arg: str) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, np.ndarray):
        return v.reshape(-1).tolist()
    t = int_tensor(v, fn, arg)
    known = constant_value(t)
    if known is not None:
        return np.reshape(known, -1).tolist()
    if t.shape.rank != 1 or t.shape[0] is None:
        raise ValueError(f"{fn}: the length of {arg} must be known while tracing, got shape "
                         f"{t.shape}.")
    return unstack(t)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """Extracts `input_[begin:end:strides]`, one entry per indexed dimension
    (`tf.strided_slice`).

    Bit i of a mask modifies entry i: `begin_mask`/`end_mask` ignore begin[i]/end[i] (slice to
    the edge), `ellipsis_mask` makes it `...`, `new_axis_mask` makes it tf.newaxis, and
    `shrink_axis_mask` takes the single index begin[i], removing the dimension.

    >>> tf.strided_slice(tf.reshape(tf.range(6), [2, 3]), [0, 1], [2, 3], [1, 1]).numpy()
    array([[1, 2],
           [4, 5]], dtype=int32)
    """
    x = to_tensor(input_)
    b = _index_list(begin, "tf.strided_slice", "begin")
    e = _index_list(end, "tf.strided_slice", "end")
    s = [1] * len(b) if strides is None else _index_list(strides, "tf.strided_slice", "strides")
    if not len(b) == len(e) == len(s):
        raise ValueError(f"tf.strided_slice: begin, end and strides must have one length, got "
                         f"{len(b)}, {len(e)} and {len(s)}.")
    key = []
    for i in builtins.range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(b[i])
        else:
            key.append(_pyslice(None if begin_mask & bit else b[i],
                                None if end_mask & bit else e[i], s[i]))
    parts, dyn = _parse_key(tuple(key), "tf.strided_slice")
    return execute(STRIDED_SLICE, (x, *dyn), {"key": parts})


def _slice_kernel(x, begin, size):
    shape = np.shape(x)
    b, s = begin.tolist(), size.tolist()
    hint = "begin[i] + size[i] must lie within dimension i; size -1 takes the rest."
    if not len(b) == len(s) == len(shape):
        raise _error("Slice", "tf.slice", f"Expected begin and size arguments to be 1-D tensors "
                     f"of size {len(shape)}, but got shapes [{len(b)}] and [{len(s)}] instead.",
                     f"give one begin and one size per dimension of the input of shape "
                     f"{list(shape)}.")
    idx = []
    for i, (bi, si, d) in enumerate(zip(b, s, shape)):
        if not 0 <= bi <= d:
            raise _error("Slice", "tf.slice", f"Expected begin[{i}] in [0, {d}], but got {bi}",
                         hint)
        if si == -1:
            si = d - bi
        if not 0 <= si <= d - bi:
            raise _error("Slice", "tf.slice", f"Expected size[{i}] in [0, {d - bi}], but got "
                         f"{si}", hint)
        idx.append(_pyslice(bi, bi + si))
    return x[tuple(idx)]


def _slice_rule(x, begin, size):
    b, s = constant_value(begin), constant_value(size)
    r = x.shape.rank
    if r is None:
        n = size.shape[0] if size.shape.rank == 1 else None
        return TensorShape(None if n is None else [None] * n), x.dtype
    if s is None:
        return TensorShape([None] * r), x.dtype
    dims = x.shape.as_list()
    s = np.reshape(s, -1).tolist()
    if len(s) != r:
        raise ValueError(f"Expected begin and size arguments to be 1-D tensors of size {r}, "
                         f"but got size of length {len(s)}")
    out = []
    for i, si in enumerate(s):
        if si == -1:
            out.append(None if b is None or dims[i] is None else dims[i] - int(b[i]))
        else:
            out.append(si)
    return TensorShape(out), x.dtype


def _slice_grad(op, dy):
    x, begin, _ = op.inputs
    y = op.outputs[0]
    b = constant_value(begin)
    if b is not None and x.shape.is_fully_defined() and y.shape.is_fully_defined():
        b = np.reshape(b, -1).astype(np.int64)
        after = np.array(x.shape.as_list(), np.int64) - b - np.array(y.shape.as_list(), np.int64)
        pads = np.stack([b, after], axis=1).astype(np.int32)
    else:
        b32 = _m.cast(begin, _dtypes.int32)
        after = _m.subtract(_m.subtract(shape_tensor(x), b32), shape(y))
        pads = stack([b32, after], axis=1)
    return pad(dy, pads), None, None


SLICE = defop("Slice", _slice_kernel, _slice_rule, _slice_grad, public_name="tf.slice")


def slice_(input_, begin, size, name=None):
    """Extracts `size[i]` elements from `begin[i]` along each dimension i; size -1 takes the
    rest (`tf.slice`).

    >>> tf.slice(tf.reshape(tf.range(6), [2, 3]), [0, 1], [2, -1]).numpy()
    array([[1, 2],
           [4, 5]], dtype=int32)
    """
    x = to_tensor(input_)
    b = int_tensor(begin, "tf.slice", "begin")
    s = int_tensor(size, "tf.slice", "size")
    if b.dtype is not s.dtype:
        b, s = _m.cast(b, _dtypes.int64), _m.cast(s, _dtypes.int64)
    return execute(SLICE, (x, b, s))


__tf_names__ = {"tf": "slice=slice_ strided_slice"}
