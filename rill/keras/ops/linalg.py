"""`keras.ops.linalg`: norms and matrix decompositions (NumPy's conventions).

>>> float(keras.ops.norm(np.array([3.0, 4.0])))
5.0
"""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras.ops._convert import floating

__all__ = ["cholesky", "det", "eigh", "inv", "norm", "qr", "solve", "svd"]


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002 - NumPy's name
    a = tf.abs(x)
    if ord is None or ord == 2:
        return tf.sqrt(tf.reduce_sum(tf.square(x), axis, keepdims))
    if ord == np.inf:
        return tf.reduce_max(a, axis, keepdims)
    if ord == -np.inf:
        return tf.reduce_min(a, axis, keepdims)
    if ord == 0:
        return tf.reduce_sum(tf.cast(tf.not_equal(x, 0), x.dtype), axis, keepdims)
    if ord == 1:
        return tf.reduce_sum(a, axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; vector norms take a number.\n"
                         f"hint: pass two axes for 'fro' or 'nuc'.")
    return tf.pow(tf.reduce_sum(tf.pow(a, ord), axis, keepdims), 1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):  # noqa: A002 - NumPy's name
    r, c = (a % x.shape.rank for a in axis)
    if ord in (None, "fro"):
        out = tf.sqrt(tf.reduce_sum(tf.square(x), [r, c], keepdims=True))
    elif ord in ("nuc", 2, -2):
        moved = tf.transpose(x, [i for i in range(x.shape.rank) if i not in (r, c)] + [r, c])
        s = tf.linalg.svd(moved, compute_uv=False)
        out = {"nuc": tf.reduce_sum, 2: tf.reduce_max, -2: tf.reduce_min}[ord](s, -1)
        for a in sorted((r, c)):
            out = tf.expand_dims(out, a)
    elif ord in (1, -1, np.inf, -np.inf):
        summed_axis, kept_axis = (r, c) if ord in (1, -1) else (c, r)
        sums = tf.reduce_sum(tf.abs(x), summed_axis, keepdims=True)
        pick = tf.reduce_max if ord in (1, np.inf) else tf.reduce_min
        out = pick(sums, kept_axis, keepdims=True)
    else:
        raise ValueError(f"norm: invalid matrix norm order {ord!r}.\nhint: use None, 'fro', "
                         f"'nuc', 1, -1, 2, -2, inf or -inf.")
    return out if keepdims else tf.squeeze(out, [r, c])


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    """NumPy's norm: the 2-norm of the flattened x by default; a vector norm for one axis;
    a matrix norm for two axes (or a 2-D x with `ord`)."""
    x = floating(x)
    if axis is None:
        if ord is None:
            out = tf.sqrt(tf.reduce_sum(tf.square(x)))
            return tf.reshape(out, [1] * x.shape.rank) if keepdims else out
        axis = tuple(range(x.shape.rank))
    if isinstance(axis, int):
        return _vector_norm(x, ord, axis, keepdims)
    axis = tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    return _matrix_norm(x, ord, axis, keepdims)


def inv(x):
    return tf.linalg.inv(floating(x))


def det(x):
    return tf.linalg.det(floating(x))


def cholesky(x, upper=False):
    """The lower (or upper) Cholesky factor."""
    lower = tf.linalg.cholesky(floating(x))
    return tf.linalg.adjoint(lower) if upper else lower


def qr(x, mode="reduced"):
    """(q, r) with x = q @ r; mode 'reduced' or 'complete'."""
    return tf.linalg.qr(floating(x), full_matrices=mode == "complete")


def solve(a, b):
    """The x with a @ x = b."""
    return tf.linalg.solve(floating(a), floating(b))


def svd(x, full_matrices=True, compute_uv=True):
    """NumPy's order: (u, s, vh) with x = u @ diag(s) @ vh; only s if not `compute_uv`."""
    x = floating(x)
    if not compute_uv:
        return tf.linalg.svd(x, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)


def eigh(x):
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix."""
    return tf.linalg.eigh(floating(x))
