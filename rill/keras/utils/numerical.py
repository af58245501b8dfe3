"""`keras.utils.to_categorical` and `keras.utils.normalize` (NumPy in, NumPy out; tensors in,
tensors out).

>>> keras.utils.to_categorical([0, 2, 1])
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]], dtype=float32)
>>> keras.utils.normalize(np.array([[3.0, 4.0]]))
array([[0.6, 0.8]])
"""

from __future__ import annotations

import numpy as np

import rill as tf


def to_categorical(x=None, num_classes=None, dtype="float32", *, y=None):
    """One-hot encodes integer class labels: shape `s` -> `s + (num_classes,)`.

    A trailing axis of length 1 is dropped first (labels of shape `(n, 1)` give `(n, C)`).
    `num_classes` defaults to `max(x) + 1`. `y` is tf.keras 2's name of `x`.
    """
    if y is not None:
        x = y
    if x is None:
        raise TypeError("to_categorical: missing the labels `x`.\nhint: "
                        "to_categorical([0, 2, 1], num_classes=3).")
    if tf.is_tensor(x):
        from rill.keras.ops.nn import one_hot

        if x.shape.rank and x.shape.rank > 1 and x.shape[-1] == 1:
            x = tf.squeeze(x, [-1])
        depth = num_classes or int(tf.reduce_max(x)) + 1
        return one_hot(x, depth, dtype=dtype)
    labels = np.asarray(x)
    if labels.dtype.kind not in "iub" and not np.all(np.equal(np.mod(labels, 1), 0)):
        raise ValueError(f"to_categorical: labels must be integers, got values of dtype "
                         f"{labels.dtype}.\nhint: pass class indices such as [0, 2, 1].")
    labels = labels.astype("int64")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    num_classes = int(num_classes or (flat.max() + 1 if flat.size else 0))
    bad = flat[(flat < 0) | (flat >= num_classes)]
    if bad.size:
        raise ValueError(f"to_categorical: label {int(bad[0])} is outside [0, {num_classes}) "
                         f"for num_classes={num_classes}.\nhint: pass a larger num_classes, "
                         f"or labels counted from 0.")
    out = np.zeros((flat.size, num_classes), dtype=dtype)
    out[np.arange(flat.size), flat] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """x divided by its L`order` norm along `axis` (zero vectors stay zero)."""
    if tf.is_tensor(x):
        from rill.keras.ops.nn import normalize as ops_normalize

        return ops_normalize(x, axis=axis, order=order)
    x = np.asarray(x)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm = np.where(norm == 0, 1, norm)
    return x / norm
