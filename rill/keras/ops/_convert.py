"""Conversion and dtype promotion for `keras.ops`, as Keras 3 does it.

- Python values convert with Keras' defaults: floats to `floatx()` (float32), ints to int32,
  bools to bool; NumPy arrays and tensors keep their dtype.
- Binary ops promote JAX-style: an int meets a float -> the float type; two floats -> the
  wider; two ints -> NumPy's promotion (uint8 + int8 -> int16). A Python scalar is *weak*: it
  takes the other operand's dtype (`int32_tensor + 1` stays int32; `+ 1.5` becomes floatx).
"""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras import backend

_FLOAT_RANK = {"float16": 1, "bfloat16": 1, "float32": 2, "float64": 3}


def dtype_name(dtype) -> str:
    """The standard name of a dtype ('float32', 'int64', ...)."""
    return backend.standardize_dtype(dtype)


def is_weak(x) -> bool:
    """A plain Python scalar (NumPy scalars carry a dtype and are not weak)."""
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


def _python_dtype(value) -> str | None:
    kind = np.asarray(value).dtype.kind
    return {"b": "bool", "i": "int32", "u": "int32", "f": backend.floatx(),
            "c": "complex64"}.get(kind)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` as a rill tensor; Python values get Keras' default dtypes (see module docstring).

    >>> keras.ops.convert_to_tensor([1.0, 2.0]).dtype
    tf.float32
    """
    if dtype is not None:
        dtype = dtype_name(dtype)
    if isinstance(x, tf.Variable):
        x = tf.convert_to_tensor(x)  # the variable's value (a read the tape records)
    if tf.is_tensor(x):
        return x if dtype is None or dtype_name(x.dtype) == dtype else tf.cast(x, dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        t = tf.constant(x)
        return t if dtype is None or dtype_name(t.dtype) == dtype else tf.cast(t, dtype)
    if isinstance(x, (list, tuple)) and any(tf.is_tensor(v) or isinstance(v, tf.Variable)
                                            for v in tf.nest.flatten(x)):
        t = tf.convert_to_tensor(x)
        return t if dtype is None else tf.cast(t, dtype)
    try:
        target = dtype or _python_dtype(x)
    except (ValueError, TypeError):
        target = None
    if target is None:
        return tf.convert_to_tensor(x)
    return tf.constant(np.asarray(x).astype(tf.as_dtype(target).as_numpy_dtype), target)


def result_type(*dtypes) -> str:
    """The dtype a binary op on these dtypes returns (JAX-like lattice, see module doc)."""
    names = [dtype_name(d) for d in dtypes]
    complexes = [n for n in names if n.startswith("complex")]
    if complexes:
        return "complex128" if "complex128" in complexes or "float64" in names else "complex64"
    floats = [n for n in names if n in _FLOAT_RANK]
    if floats:
        if set(floats) == {"float16", "bfloat16"}:
            return "float32"
        return max(floats, key=lambda n: (_FLOAT_RANK[n], n == "bfloat16"))
    ints = [n for n in names if "int" in n]
    if ints:
        out = np.result_type(*[np.dtype(n) for n in ints]).name
        return "int64" if out == "float64" else out  # uint64 with a signed int
    return names[0] if names else backend.floatx()


def _weak_dtype(value, other: str) -> str:
    if isinstance(value, bool):
        return other
    if isinstance(value, int):
        return "int32" if other == "bool" else other
    if isinstance(value, float):
        return other if other in _FLOAT_RANK or other.startswith("complex") else \
            backend.floatx()
    return "complex64"


def scalar(value, dtype):
    """`value` as a tensor of `dtype`; Python floats convert exactly (no float32 detour, which
    `tf.cast(0.1, tf.float64)` takes)."""
    if tf.is_tensor(value) or isinstance(value, tf.Variable):
        return tf.cast(value, dtype)
    dtype = tf.as_dtype(dtype_name(dtype))
    return tf.constant(np.asarray(value).astype(dtype.as_numpy_dtype), dtype)


def cast(x, dtype):
    x = convert_to_tensor(x)
    return x if dtype_name(x.dtype) == dtype_name(dtype) else tf.cast(x, dtype)


def promote(*values):
    """The values as tensors of one dtype (Python scalars are weak)."""
    strong = [convert_to_tensor(v) for v in values if not is_weak(v)]
    if not strong:
        tensors = [convert_to_tensor(v) for v in values]
    else:
        base = result_type(*[t.dtype for t in strong])
        tensors = [convert_to_tensor(v, _weak_dtype(v, base)) if is_weak(v)
                   else convert_to_tensor(v) for v in values]
    target = result_type(*[t.dtype for t in tensors])
    return [cast(t, target) for t in tensors]


def floating(x):
    """x as a tensor, ints and bools cast to floatx (for sqrt, log, mean, ...)."""
    x = convert_to_tensor(x)
    return x if x.dtype.is_floating or x.dtype.is_complex else tf.cast(x, backend.floatx())


def axes(axis):
    """An axis argument for rill reductions (tuples become lists)."""
    return list(axis) if isinstance(axis, tuple) else axis
