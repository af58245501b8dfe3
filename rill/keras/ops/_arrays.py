"""`keras.ops` NumPy-like arrays: creation, shapes, joining and splitting, indexing, sorting.

Defaults are Keras 3's: `zeros`/`ones`/`full`/`eye` make floatx; `arange` of ints makes int32;
`argsort` returns int32; `axis=None` flattens where NumPy does (`take`, `roll`, `repeat`).
"""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.ops._convert import convert_to_tensor, dtype_name, is_weak, promote, scalar
from rill.keras.ops._math import where as _where

__all__ = [
    "append", "arange", "argsort", "array", "bincount", "broadcast_to", "concatenate", "copy",
    "diag", "diagonal", "digitize", "empty", "expand_dims", "eye", "flip", "full", "full_like",
    "hstack", "identity", "linspace", "meshgrid", "moveaxis", "ndim", "nonzero", "ones",
    "ones_like", "pad", "ravel", "repeat", "reshape", "roll", "searchsorted", "size", "sort",
    "split", "squeeze", "stack", "swapaxes", "take", "take_along_axis", "tile", "trace", "tri",
    "tril", "triu", "transpose", "vstack", "zeros", "zeros_like",
]


def _rank(x) -> int:
    return x.shape.rank


def _norm_axis(axis: int, rank: int, who: str) -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"{who}: axis {axis} is out of range for a tensor of rank {rank}.\n"
                         f"hint: use an axis in [{-rank}, {rank - 1}].")
    return axis % rank


def _dims(shape):
    return [shape] if isinstance(shape, int) else list(shape)


# -- creation -------------------------------------------------------------------------------
def zeros(shape, dtype=None):
    """A tensor of zeros (floatx by default)."""
    return tf.zeros(_dims(shape), dtype_name(dtype))


def ones(shape, dtype=None):
    """A tensor of ones (floatx by default)."""
    return tf.ones(_dims(shape), dtype_name(dtype))


empty = zeros


def full(shape, fill_value, dtype=None):
    """A tensor filled with `fill_value` (floatx by default)."""
    dtype = dtype_name(dtype)
    return tf.fill(_dims(shape), scalar(fill_value, dtype))


def zeros_like(x, dtype=None):
    x = convert_to_tensor(x)
    return tf.zeros(tf.shape(x), dtype_name(dtype or x.dtype))


def ones_like(x, dtype=None):
    x = convert_to_tensor(x)
    return tf.ones(tf.shape(x), dtype_name(dtype or x.dtype))


def full_like(x, fill_value, dtype=None):
    """A tensor shaped like x filled with `fill_value`, in x's dtype unless `dtype` is given."""
    x = convert_to_tensor(x)
    dtype = dtype_name(dtype or x.dtype)
    return tf.fill(tf.shape(x), scalar(fill_value, dtype))


def array(x, dtype=None):
    return convert_to_tensor(x, dtype)


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - NumPy's names
    """Ones on the k-th diagonal of an N x M matrix (floatx by default)."""
    return tf.constant(np.eye(N, M, k), dtype_name(dtype))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - NumPy's names
    """Ones at and below the k-th diagonal."""
    return tf.constant(np.tri(N, M, k), dtype_name(dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop); int32 for ints, floatx for floats."""
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        values = (start, stop, step)
        if all(is_weak(v) for v in values):
            dtype = "int32" if all(isinstance(v, int) for v in values) else backend.floatx()
        else:
            dtype = promote(*values)[0].dtype
    dtype = dtype_name(dtype)
    return tf.range(scalar(start, dtype), scalar(stop, dtype), scalar(step, dtype),
                    dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from start to stop (stop excluded if not `endpoint`)."""
    dtype = dtype_name(dtype)
    start, stop = (scalar(v, "float64") for v in (start, stop))
    step = (stop - start) / (num - 1 if endpoint else num) if num > 1 else stop - start
    end = stop if endpoint else stop - step
    values = tf.linspace(start, end, num, axis=axis) if num > 1 else \
        tf.reshape(start, [1])[:num]
    values = tf.cast(values, dtype)
    return (values, tf.cast(step, dtype)) if retstep else values


# -- shapes ---------------------------------------------------------------------------------
def reshape(x, newshape):
    return tf.reshape(convert_to_tensor(x), _dims(newshape))


def transpose(x, axes=None):
    """Permutes the axes (reverses them when `axes` is None)."""
    return tf.transpose(convert_to_tensor(x), None if axes is None else list(axes))


def expand_dims(x, axis):
    """Inserts length-1 axes at `axis` (an int or a tuple, positions in the result)."""
    x = convert_to_tensor(x)
    if isinstance(axis, int):
        return tf.expand_dims(x, axis)
    out_rank = _rank(x) + len(axis)
    for a in sorted(_norm_axis(a, out_rank, "expand_dims") for a in axis):
        x = tf.expand_dims(x, a)
    return x


def squeeze(x, axis=None):
    """Removes length-1 axes (all of them, or those in `axis`)."""
    x = convert_to_tensor(x)
    if axis is None:
        return tf.squeeze(x)
    return tf.squeeze(x, [axis] if isinstance(axis, int) else list(axis))


def ravel(x):
    return tf.reshape(convert_to_tensor(x), [-1])


def broadcast_to(x, shape):
    return tf.broadcast_to(convert_to_tensor(x), _dims(shape))


def swapaxes(x, axis1, axis2):
    x = convert_to_tensor(x)
    perm = list(range(_rank(x)))
    a, b = _norm_axis(axis1, len(perm), "swapaxes"), _norm_axis(axis2, len(perm), "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return tf.transpose(x, perm)


def moveaxis(x, source, destination):
    """Moves axes `source` to positions `destination` (ints or tuples)."""
    x = convert_to_tensor(x)
    rank = _rank(x)
    src = [_norm_axis(a, rank, "moveaxis") for a in _dims(source)]
    dst = [_norm_axis(a, rank, "moveaxis") for a in _dims(destination)]
    order = [i for i in range(rank) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return tf.transpose(x, order)


def ndim(x) -> int:
    return _rank(convert_to_tensor(x))


def size(x):
    """The number of elements."""
    return tf.size(convert_to_tensor(x))


def copy(x):
    return tf.identity(convert_to_tensor(x))


# -- joining and splitting ------------------------------------------------------------------
def concatenate(xs, axis=0):
    """Joins tensors along an existing axis (dtypes promoted)."""
    return tf.concat(promote(*xs), axis)


def append(x1, x2, axis=None):
    a, b = promote(x1, x2)
    if axis is None:
        a, b, axis = tf.reshape(a, [-1]), tf.reshape(b, [-1]), 0
    return tf.concat([a, b], axis)


def stack(x, axis=0):
    """Joins tensors along a new axis."""
    return tf.stack(promote(*x), axis=axis)


def hstack(xs):
    xs = promote(*xs)
    return tf.concat(xs, 0 if _rank(xs[0]) == 1 else 1)


def vstack(xs):
    xs = [tf.reshape(t, [1, -1]) if _rank(t) < 2 else t for t in promote(*xs)]
    return tf.concat(xs, 0)


def split(x, indices_or_sections, axis=0):
    """NumPy's split: an int gives that many equal parts; a list gives the split points."""
    x = convert_to_tensor(x)
    length = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if length is not None and length % indices_or_sections:
            raise ValueError(f"split: axis {axis} of length {length} does not divide into "
                             f"{indices_or_sections} equal parts.\nhint: pass split points, "
                             f"e.g. [2, 5], for unequal parts.")
        return tf.split(x, indices_or_sections, axis=axis)
    points = [0, *indices_or_sections, length]
    return tf.split(x, [b - a for a, b in zip(points[:-1], points[1:])], axis=axis)


def tile(x, repeats):
    """Repeats the whole tensor `repeats` times along each axis."""
    x = convert_to_tensor(x)
    reps = _dims(repeats)
    if len(reps) > _rank(x):
        x = tf.reshape(x, [1] * (len(reps) - _rank(x)) + x.shape.as_list())
    reps = [1] * (_rank(x) - len(reps)) + reps
    return tf.tile(x, reps)


def repeat(x, repeats, axis=None):
    """Repeats each element `repeats` times along `axis` (of the flattened x when None)."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.repeat(x, repeats, axis=axis)


def flip(x, axis=None):
    x = convert_to_tensor(x)
    axis = list(range(_rank(x))) if axis is None else _dims(axis)
    return tf.reverse(x, axis)


def roll(x, shift, axis=None):
    """Shifts elements cyclically along `axis` (of the flattened x when None)."""
    x = convert_to_tensor(x)
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), tf.shape(x))
    return tf.roll(x, shift, axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads with `pad_width` ((before, after) per axis, or one pair / int for all axes)."""
    x = convert_to_tensor(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (_rank(x), 2)).tolist()
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"pad: unsupported mode {mode!r}.\nhint: use 'constant', 'reflect' "
                         f"or 'symmetric'.")
    if mode == "constant":
        return tf.pad(x, width, constant_values=constant_values or 0)
    return tf.pad(x, width, mode=mode.upper())


def meshgrid(*x, indexing="xy"):
    return tf.meshgrid(*[convert_to_tensor(v) for v in x], indexing=indexing)


def _band(x, k, lower: bool):
    x = convert_to_tensor(x)
    rows, cols = x.shape[-2], x.shape[-1]
    mask = np.tri(rows, cols, k, dtype=bool)
    if not lower:
        mask = ~np.tri(rows, cols, k - 1, dtype=bool)
    return tf.where(tf.constant(mask), x, tf.zeros_like(x))


def tril(x, k=0):
    """x with the elements above the k-th diagonal set to 0."""
    return _band(x, k, lower=True)


def triu(x, k=0):
    """x with the elements below the k-th diagonal set to 0."""
    return _band(x, k, lower=False)


def diag(x, k=0):
    """A 1-D x on the k-th diagonal of a matrix, or the k-th diagonal of a 2-D x."""
    x = convert_to_tensor(x)
    if _rank(x) == 1:
        return tf.linalg.diag(x, k=k)
    return tf.linalg.diag_part(x, k=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The `offset` diagonal of the matrices on axes (axis1, axis2), as the last axis."""
    return tf.linalg.diag_part(moveaxis(x, (axis1, axis2), (-2, -1)), k=offset)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the `offset` diagonal."""
    return tf.reduce_sum(diagonal(x, offset, axis1, axis2), -1)


# -- indexing -------------------------------------------------------------------------------
def _wrap_negative(indices, length):
    indices = convert_to_tensor(indices)
    if indices.dtype.is_floating:
        indices = tf.cast(indices, "int32")
    if length is None:
        return indices
    return tf.where(tf.less(indices, 0), indices + tf.cast(length, indices.dtype), indices)


def take(x, indices, axis=None):
    """Elements at `indices` along `axis` (of the flattened x when None); negative indices
    count from the end."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.gather(x, _wrap_negative(indices, x.shape[axis]), axis=axis)


def take_along_axis(x, indices, axis=None):
    """NumPy's take_along_axis: picks x's elements along `axis` at `indices` (same rank as x;
    other axes broadcast)."""
    x = convert_to_tensor(x)
    if axis is None:
        x, indices, axis = tf.reshape(x, [-1]), tf.reshape(convert_to_tensor(indices), [-1]), 0
    axis = _norm_axis(axis, _rank(x), "take_along_axis")
    x_last = moveaxis(x, axis, -1)
    idx_last = moveaxis(_wrap_negative(indices, x.shape[axis]), axis, -1)
    lead = np.broadcast_shapes(tuple(x_last.shape.as_list()[:-1]),
                               tuple(idx_last.shape.as_list()[:-1]))
    x_last = tf.broadcast_to(x_last, [*lead, x_last.shape[-1]])
    idx_last = tf.broadcast_to(idx_last, [*lead, idx_last.shape[-1]])
    out = tf.gather(x_last, idx_last, batch_dims=len(lead))
    return moveaxis(out, -1, axis)


def nonzero(x):
    """The indices of x's nonzero elements, one int32 tensor per axis."""
    return _where(x)


# -- sorting and searching ------------------------------------------------------------------
def sort(x, axis=-1):
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.sort(x, axis=axis)


def argsort(x, axis=-1):
    """Indices that sort x along `axis` (stable; int32)."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.cast(tf.argsort(x, axis=axis, stable=True), "int32")


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion points of `values` into a 1-D sorted sequence (int32)."""
    seq, vals = promote(sorted_sequence, values)
    if _rank(seq) != 1:
        raise ValueError(f"searchsorted: `sorted_sequence` must be 1-D, got shape "
                         f"{seq.shape}.\nhint: search each row separately.")
    flat = tf.reshape(vals, [1, -1])
    out = tf.searchsorted(tf.reshape(seq, [1, -1]), flat, side=side)
    return tf.reshape(out, tf.shape(vals))


def digitize(x, bins):
    """The index of the bin each x falls in (bins increasing; NumPy's `right=False`)."""
    return searchsorted(bins, x, side="right")


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or sums of `weights`) of each non-negative int in x."""
    x = convert_to_tensor(x)
    dtype = "int32" if weights is None else dtype_name(convert_to_tensor(weights).dtype)
    return tf.math.bincount(x, weights=weights, minlength=minlength, dtype=dtype)
