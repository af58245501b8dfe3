"""`keras.ops.core`: conversion, shapes, dtypes, control flow and scatter/slice updates.

>>> keras.ops.shape(np.zeros((2, 3)))
(2, 3)
>>> int(keras.ops.while_loop(lambda i: i < 5, lambda i: i + 1, 0))
5
"""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras.ops._convert import cast, convert_to_tensor, dtype_name

__all__ = [
    "cast", "cond", "convert_to_numpy", "convert_to_tensor", "custom_gradient", "dtype",
    "fori_loop", "is_tensor", "map", "scan", "scatter", "scatter_update", "shape", "slice",
    "slice_update", "stop_gradient", "switch", "unstack", "vectorized_map", "while_loop",
]


def convert_to_numpy(x) -> np.ndarray:
    """x as a NumPy array."""
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def is_tensor(x) -> bool:
    """True for rill tensors and variables (not NumPy arrays)."""
    return tf.is_tensor(x) or isinstance(x, tf.Variable)


def dtype(x) -> str:
    """x's dtype as a string ('float32')."""
    return dtype_name(convert_to_tensor(x).dtype)


def shape(x) -> tuple:
    """x's shape as a tuple; unknown dimensions (symbolic tensors) are scalar tensors."""
    x = convert_to_tensor(x)
    static = x.shape.as_list() if x.shape.rank is not None else None
    if static is None:
        raise ValueError("shape: the tensor has an unknown rank.\nhint: use tf.shape(x).")
    if None not in static:
        return tuple(static)
    dynamic = tf.shape(x)
    return tuple(d if d is not None else dynamic[i] for i, d in enumerate(static))


def stop_gradient(variable):
    """The value with no gradient flowing through it."""
    return tf.stop_gradient(convert_to_tensor(variable))


def custom_gradient(f):
    """`tf.custom_gradient`: f returns (value, grad_fn)."""
    return tf.custom_gradient(f)


# -- control flow ---------------------------------------------------------------------------
def cond(pred, true_fn, false_fn):
    """true_fn() if pred else false_fn() (a graph conditional inside tf.function)."""
    return tf.cond(pred, true_fn, false_fn)


def switch(index, branches, *operands):
    """branches[index](*operands); out-of-range indices are clamped."""
    index = tf.clip_by_value(tf.cast(convert_to_tensor(index), "int32"), 0, len(branches) - 1)
    return tf.switch_case(index, [lambda b=b: b(*operands) for b in branches])


def _tensors(structure):
    return tf.nest.map_structure(convert_to_tensor, structure)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`; a single non-tuple loop
    variable is passed and returned as is."""
    is_tuple = isinstance(loop_vars, (list, tuple))
    loop_vars = tuple(loop_vars) if is_tuple else (loop_vars,)

    def _body(*args):
        out = body(*args)
        return tuple(out) if is_tuple else (out,)

    out = tf.while_loop(cond, _body, _tensors(loop_vars), maximum_iterations=maximum_iterations)
    out = tuple(out)
    return out if is_tuple else out[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for i in [lower, upper)."""
    _, out = tf.while_loop(lambda i, _: i < upper,
                           lambda i, val: (i + 1, body_fun(i, val)),
                           (convert_to_tensor(lower), _tensors(init_val)))
    return out


def _length(xs, length, who):
    flat = tf.nest.flatten(xs)
    n = int(flat[0].shape[0]) if flat else length
    if n is None:
        raise ValueError(f"{who}: pass `xs` with a static leading dimension, or `length`.")
    return n


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """JAX's scan: `carry, y = f(carry, x)` over the leading axis of xs; returns
    `(final_carry, stacked ys)`. The loop runs in Python over the (static) length, so it
    works eagerly and inside tf.function, with gradients."""
    xs = None if xs is None else _tensors(xs)
    n = _length(xs, length, "scan") if xs is not None else length
    carry, ys = _tensors(init), []
    for i in (reversed(range(n)) if reverse else range(n)):
        x = None if xs is None else tf.nest.map_structure(lambda t, i=i: t[i], xs)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or ys[0] is None:
        return carry, None
    return carry, tf.nest.map_structure(lambda *v: tf.stack(list(v)), *ys)


def map(f, xs):  # noqa: A001 - Keras's name
    """[f(x) for x in xs] along the leading axis, stacked."""
    xs = _tensors(xs)
    n = _length(xs, None, "map")
    outs = [f(tf.nest.map_structure(lambda t, i=i: t[i], xs)) for i in range(n)]
    return tf.nest.map_structure(lambda *v: tf.stack(list(v)), *outs)


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along axis 0, stacked."""
    return tf.vectorized_map(function, _tensors(elements))


def unstack(x, num=None, axis=0):
    return tf.unstack(convert_to_tensor(x), num=num, axis=axis)


# -- slices and scatters --------------------------------------------------------------------
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """The block of `inputs` of size `shape` starting at `start_indices`."""
    return tf.slice(convert_to_tensor(inputs), start_indices, shape)


def slice_update(inputs, start_indices, updates):
    """inputs with the block starting at `start_indices` replaced by `updates`."""
    inputs = convert_to_tensor(inputs)
    updates = tf.cast(convert_to_tensor(updates), inputs.dtype)
    grid = np.stack(np.meshgrid(*[np.arange(d) for d in updates.shape.as_list()],
                                indexing="ij"), axis=-1).astype(np.int32)
    start = tf.cast(convert_to_tensor(start_indices), "int32")
    return tf.tensor_scatter_nd_update(inputs, tf.constant(grid) + start, updates)


def scatter(indices, values, shape):
    """A zeros tensor of `shape` with `values` added at `indices` (duplicates sum)."""
    return tf.scatter_nd(convert_to_tensor(indices), convert_to_tensor(values), list(shape))


def scatter_update(inputs, indices, updates, reduction=None):
    """inputs with the elements at `indices` replaced by (or, with reduction='add', increased
    by) `updates`."""
    inputs = convert_to_tensor(inputs)
    updates = tf.cast(convert_to_tensor(updates), inputs.dtype)
    indices = convert_to_tensor(indices)
    if reduction == "add":
        return tf.tensor_scatter_nd_add(inputs, indices, updates)
    if reduction is not None:
        raise ValueError(f"scatter_update: unsupported reduction {reduction!r}.\nhint: use "
                         f"None (replace) or 'add'.")
    return tf.tensor_scatter_nd_update(inputs, indices, updates)
