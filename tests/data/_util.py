"""Helpers of the tf.data tests."""

import numpy as np

import rill as tf


def py(t):
    """A tensor's value as plain Python (lists, numbers, bytes)."""
    v = t.numpy() if hasattr(t, "numpy") else t
    return v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v


def values(ds):
    """The elements of a dataset (or iterator) as plain Python structures."""
    return [tf.nest.map_structure(py, x) for x in ds]
