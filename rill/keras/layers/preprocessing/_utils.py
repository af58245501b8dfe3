"""Shared parts of the preprocessing layers: seeds, `adapt` data, argument checks and the
categorical encodings (one_hot, multi_hot, count)."""

from __future__ import annotations

import random as _random

import numpy as np

import rill as tf
from rill.keras import backend


def strings():
    """`tf.strings` (its ops module while the namespace is not exported yet)."""
    ns = getattr(tf, "strings", None)
    if ns is None:
        from rill.ops import string_ops as ns
    return ns


def is_ragged(x) -> bool:
    return hasattr(x, "flat_values") and hasattr(x, "with_flat_values")


class SeedGenerator:
    """A layer's random stream: a state variable [seed, counter] whose counter moves at each
    draw, so a seeded layer repeats its sequence (eager, traced, in tf.data) and two layers
    with one seed draw alike. Held outside the layer's weights, as in Keras 3.

    >>> g = SeedGenerator(3)
    >>> [int(v) for v in g.next()], [int(v) for v in g.next()]
    ([3, 0], [3, 1])
    """

    def __init__(self, seed=None):
        if seed is None:
            seed = _random.randint(1, 10 ** 9)
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}.\nhint: seed=42.")
        with tf.init_scope():
            self.state = tf.Variable(np.array([int(seed), 0], np.int64), trainable=False,
                                     name="seed_generator_state")

    def next(self):
        """The seed pair of the next draw (an int64 tensor [2])."""
        seed = self.state.value()
        self.state.assign_add(np.array([0, 1], np.int64))
        return seed


def uniform(generator: SeedGenerator, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
    """Uniform values in [minval, maxval) from the layer's stream."""
    return tf.random.stateless_uniform(shape, seed=generator.next(), minval=minval,
                                       maxval=maxval, dtype=dtype)


# -- adapt ------------------------------------------------------------------------------------
def adapt_batches(data, who: str, steps=None):
    """The batches of `adapt` data as NumPy arrays: one array for an array or tensor, each
    element (or its `x` in `(x, y)` pairs) of a tf.data dataset or another iterable."""
    if isinstance(data, (np.ndarray, tf.Tensor, list, tuple)) and not _is_batch_list(data):
        yield np.asarray(data)
        return
    if data is None or not hasattr(data, "__iter__"):
        raise TypeError(f"{who}.adapt: data must be a NumPy array, a tensor, a tf.data "
                        f"Dataset or an iterable of batches, got {type(data).__name__}.\n"
                        f"hint: layer.adapt(x_train) or layer.adapt(dataset.batch(64)).")
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):
            batch = batch[0]
        yield np.asarray(batch)


def _is_batch_list(data) -> bool:
    return isinstance(data, list) and len(data) > 0 and all(
        isinstance(b, (np.ndarray, tf.Tensor)) and np.ndim(b) > 0 for b in data) and \
        len({np.shape(b)[1:] for b in data}) == 1 and len({np.shape(b) for b in data}) > 1


def as_input(inputs, dtype=None):
    """`inputs` as a tensor (NumPy, lists and tf.data elements alike)."""
    t = inputs if isinstance(inputs, tf.Tensor) else tf.convert_to_tensor(inputs)
    if dtype is not None and t.dtype != tf.as_dtype(dtype):
        t = tf.cast(t, dtype)
    return t


# -- argument checks --------------------------------------------------------------------------
def positive_int(value, who: str, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{who}: {arg} must be a positive integer, got {value!r}.\nhint: "
                         f"pass e.g. {arg}=32.")
    return int(value)


def data_format(value, who: str) -> str:
    fmt = value or backend.image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first', "
                         f"got {value!r}.\nhint: leave it None for "
                         f"keras.config.image_data_format().")
    return fmt


def one_of(value, allowed, who: str, arg: str):
    if value not in allowed:
        raise ValueError(f"{who}: {arg} must be one of {list(allowed)}, got {value!r}.\nhint: "
                         f"{arg}={allowed[0]!r}.")
    return value


def factor_range(factor, who: str, arg: str = "factor", bounds=(-1.0, 1.0), symmetric=True):
    """(lower, upper) from a number f (giving (-f, f), or (0, f) when not `symmetric`) or a
    pair, within `bounds`."""
    low_b, high_b = bounds
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and \
            all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in factor):
        lower, upper = sorted(float(v) for v in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        f = abs(float(factor))
        lower, upper = (-f if symmetric else 0.0), f
    else:
        raise ValueError(f"{who}: {arg} must be a number or a pair (lower, upper), got "
                         f"{factor!r}.\nhint: {arg}=0.2 or {arg}=(-0.2, 0.3).")
    if lower < low_b or upper > high_b:
        raise ValueError(f"{who}: {arg} must lie within [{low_b}, {high_b}], got {factor!r}."
                         f"\nhint: {arg} is a fraction, e.g. {arg}=0.2.")
    return lower, upper


# -- categorical outputs ----------------------------------------------------------------------
def encode(indices, output_mode: str, depth: int, dtype, count_weights=None):
    """Integer indices as "int" (unchanged), "one_hot" (a trailing axis of size 1 is
    replaced by `depth`), or "multi_hot"/"count" (the last axis of rank-2 inputs, all of a
    rank-1 input, axis 1 of higher ranks, is summed into `depth` bins). Values outside
    [0, depth) are dropped, as in Keras."""
    if output_mode == "int":
        return indices
    x = indices
    if x.shape.rank == 0:
        x = tf.reshape(x, [1])
    if output_mode == "one_hot":
        if x.shape.rank > 1 and x.shape[-1] == 1:
            x = tf.squeeze(x, -1)
        return tf.one_hot(x, depth, dtype=dtype)
    if x.shape.rank > 2:  # Keras reduces axis 1 of higher-rank inputs (its multi_hot)
        perm = [0, *range(2, x.shape.rank), 1]
        x = tf.transpose(x, perm)
        if count_weights is not None:
            count_weights = tf.transpose(count_weights, perm)
    single = x.shape.rank == 1
    if single:
        x = tf.expand_dims(x, 0)
        if count_weights is not None:
            count_weights = tf.expand_dims(tf.convert_to_tensor(count_weights), 0)
    # scatter-add into (rows, depth): no (rows, n, depth) one-hot intermediate
    x = tf.cast(x, tf.int64)
    n = tf.shape(x, out_type=tf.int64)[-1]
    flat = tf.reshape(x, [-1])
    rows = tf.size(flat, out_type=tf.int64) // tf.maximum(n, 1)
    row_ids = tf.reshape(tf.tile(tf.expand_dims(tf.range(rows), 1), tf.stack([1, n])), [-1])
    inside = tf.logical_and(flat >= 0, flat < depth)
    updates = tf.ones_like(flat, dtype=dtype) if count_weights is None else \
        tf.reshape(tf.cast(count_weights, dtype), [-1])
    updates = tf.where(inside, updates, tf.zeros_like(updates))
    flat = tf.where(inside, flat, tf.zeros_like(flat))
    out = tf.tensor_scatter_nd_add(tf.zeros(tf.stack([rows, depth]), dtype),
                                   tf.stack([row_ids, flat], 1), updates)
    if output_mode == "multi_hot":
        out = tf.minimum(out, tf.ones_like(out))
    lead = tf.shape(x, out_type=tf.int64)[:-1]
    out = tf.reshape(out, tf.concat([lead, tf.constant([depth], tf.int64)], 0))
    static = x.shape.as_list()[:-1] if x.shape.rank is not None else None
    out = tf.ensure_shape(out, None if static is None else static + [depth])
    return out[0] if single else out


def encoded_shape(input_shape, output_mode: str, depth: int) -> tf.TensorShape:
    """The output shape of `encode` for an input shape."""
    dims = tf.TensorShape(input_shape).as_list()
    if output_mode == "int":
        return tf.TensorShape(dims)
    if output_mode == "one_hot":
        if not dims:
            return tf.TensorShape([1, depth])
        if len(dims) > 1 and dims[-1] == 1:
            dims = dims[:-1]
        return tf.TensorShape(dims + [depth])
    if len(dims) > 2:
        return tf.TensorShape([dims[0], *dims[2:], depth])
    return tf.TensorShape(dims[:-1] + [depth])
