"""Conversion of Python and NumPy values to tensors: `tf.constant`, `tf.convert_to_tensor`.

TensorFlow's inference rules: Python floats become float32, ints int32 (int64 when they do not
fit), bools bool, str/bytes string (UTF-8 bytes); NumPy arrays keep their dtype.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensor, CompositeTensorError
from rill._core.errors import InvalidArgumentError
from rill._core.tensor import EagerTensor, Tensor, wrap

_F32 = np.dtype(np.float32)
_new = object.__new__
_I32 = np.dtype(np.int32)
_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31 - 1
_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def _to_bytes(x):
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, np.str_):
        return str(x).encode("utf-8")
    return bytes(x) if isinstance(x, (bytes, np.bytes_)) else x


def _string_array(value) -> np.ndarray:
    arr = np.asarray(value, dtype=object)
    flat = arr.reshape(-1)
    for i, x in enumerate(flat):
        if not isinstance(x, (str, bytes, np.str_, np.bytes_)):
            raise TypeError(f"Failed to convert elements of {value!r} to Tensor: {x!r} is not "
                            f"a string.\nhint: string tensors hold only str or bytes.")
        flat[i] = _to_bytes(x)
    return arr


def _python_array(value) -> np.ndarray:
    """A NumPy array for Python data, with TensorFlow's default dtypes."""
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        if _INT32_MIN <= value <= _INT32_MAX:
            return np.int32(value)
        if _INT64_MIN <= value <= _INT64_MAX:
            return np.int64(value)
        raise _out_of_range(value)
    if isinstance(value, (str, bytes)):
        return np.array(_to_bytes(value), dtype=object)
    if value is None:
        raise _unsupported(value)
    arr = _np_array(value)
    kind = arr.dtype.kind
    if kind not in "bO" and _first_leaf_is_bool(value):
        # TensorFlow takes the dtype from the first element: bool, then numbers are refused
        raise _mixed(value, "it starts with a bool and also holds numbers")
    if kind == "f":
        if arr.dtype == np.float64 and not _has_numpy_leaf(value, np.float64):
            arr = arr.astype(_F32)
    elif kind in "iu":
        if arr.dtype == np.int64 and not _has_numpy_leaf(value, np.int64):
            if arr.size == 0 or (arr.min() >= _INT32_MIN and arr.max() <= _INT32_MAX):
                arr = arr.astype(_I32)
    elif kind in "US":
        try:
            arr = _string_array(value)  # from the Python data: refuses numbers among strings
        except TypeError:
            raise ValueError(f"Can't convert Python sequence with mixed types to Tensor: "
                             f"{value!r}.\nhint: a string tensor holds only str or "
                             f"bytes.") from None
    elif kind == "O":
        flat = arr.reshape(-1)
        if flat.size and all(isinstance(x, (str, bytes)) for x in flat):
            return _string_array(arr)
        if any(x is None for x in flat):
            if all(x is None for x in flat):
                raise _unsupported(None)
            raise _mixed(value, "it holds None among its values")
        if any(isinstance(x, int) for x in flat):
            raise _out_of_range(value)
        raise ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                         f"({type(value)}) to a Tensor.\nhint: tensors hold numbers, bools or "
                         f"strings in nested lists of one shape; check for None.")
    return arr


def _np_array(value) -> np.ndarray:
    try:
        return np.array(value)
    except ValueError as exc:
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: "
                         f"{value!r}.\nhint: every row must have the same length; use "
                         f"tf.ragged.constant for ragged data.") from exc


def _unsupported(value) -> ValueError:
    return ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                      f"({type(value)}) to a Tensor.\nhint: tensors hold numbers, bools or "
                      f"strings; use a placeholder value (e.g. 0 or float('nan')) where data "
                      f"is missing.")


def _mixed(value, why: str) -> ValueError:
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return ValueError(f"Can't convert Python sequence with mixed types to Tensor.\n"
                      f"{text} cannot be one tensor: {why}.\nhint: give every element one "
                      f"type (write missing values as float('nan') or 0, bools as 0/1 or "
                      f"True/False throughout).")


def _first_leaf_is_bool(value) -> bool:
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (bool, np.bool_))


def _out_of_range(value) -> ValueError:
    return ValueError(f"Can't convert Python sequence with out-of-range integer to Tensor: "
                      f"{value!r}.\nhint: integers must fit in int64 (or uint64 with "
                      f"dtype=tf.uint64).")


def _has_numpy_leaf(value, np_type) -> bool:
    """True when a list holds NumPy scalars/arrays or tensors of `np_type` (kept as is)."""
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            if x:
                stack.append(x[0])
        elif isinstance(x, (np.ndarray, np.generic)):
            return x.dtype == np_type
        elif isinstance(x, EagerTensor):
            return x._value.dtype == np_type
        elif hasattr(x, "_is_variable"):
            return x.dtype.as_numpy_dtype == np_type
        else:
            return False
    return False


# which kinds of Python data convert to which kinds of dtype (as TensorFlow allows)
_ALLOWED = {"b": "b", "i": "biu", "u": "biu", "f": "biuf", "c": "biufc"}


def _cast_python(value, dtype: _dtypes.DType):
    """A NumPy array of Python/NumPy data in `dtype`, refusing lossy conversions of Python
    data (floats to ints, out-of-range ints, complex to real); NumPy data casts like astype."""
    npd = dtype._np
    if dtype is _dtypes.string:
        return _string_array(value)
    if isinstance(value, np.generic) and value.dtype.kind not in "USO":
        return value if value.dtype == npd else npd.type(value)
    if type(value) is float and dtype._kind == "f":
        return npd.type(value)
    src = _np_array(value)
    kind = src.dtype.kind
    if kind == "O" and any(x is None for x in src.reshape(-1)):
        raise _mixed(value, "it holds None among its values")
    if kind not in _ALLOWED.get(dtype._kind, "") and src.size:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}.\n"
                        f"hint: pass {dtype.name} data, or tf.cast a tensor (it truncates "
                        f"floats toward zero).")
    if kind in "iu" and dtype._kind in "iu" and src.size:
        info = np.iinfo(npd)
        if src.min() < info.min or src.max() > info.max:
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}: "
                            f"out of range [{info.min}, {info.max}].\nhint: use a wider "
                            f"dtype such as tf.int64.")
    out = src.astype(npd)
    return out if out.ndim else out[()]


def constant(value, dtype=None, shape=None, name=None) -> EagerTensor:
    """Creates a constant tensor from a Python value, NumPy array or tensor (`tf.constant`).

    >>> tf.constant([[1., 2.], [3., 4.]]).dtype
    tf.float32
    """
    if dtype is None and shape is None and type(value) is list and value \
            and type(value[0]) is float and None not in value:  # NumPy makes None a NaN
        try:
            t = _new(EagerTensor)
            t._value = np.array(value, _F32)
            return t
        except (ValueError, TypeError):
            pass
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, Tensor) or hasattr(value, "_is_variable"):
        t = value.value() if hasattr(value, "_is_variable") else value
        if not isinstance(t, EagerTensor):
            raise TypeError("tf.constant needs a concrete value, got a symbolic tensor.\n"
                            "hint: use tf.identity or tf.convert_to_tensor inside tf.function.")
        arr = t._value
        if dtype is not None and arr.dtype != dtype._np:
            raise TypeError(f"Expected tensor {t.numpy()} with dtype tf.{dtype.name}, but got "
                            f"dtype tf.{t.dtype.name}.\nhint: use tf.cast(x, tf.{dtype.name}).")
    elif dtype is None:
        if isinstance(value, np.ndarray):
            arr = _native(value)
        elif isinstance(value, np.generic):
            arr = value if value.dtype.kind not in "US" else np.array(_to_bytes(value), object)
        else:
            arr = _python_array(value)
    elif isinstance(value, np.ndarray):
        arr = _native(value)
        if arr.dtype.kind in "US" or dtype is _dtypes.string:
            arr = _string_array(arr)
        elif arr.dtype != dtype._np:
            arr = arr.astype(dtype._np)
    else:
        arr = _cast_python(value, dtype)
    if shape is not None:
        arr = _reshape_constant(arr, shape)
    elif isinstance(arr, np.ndarray) and arr is value:
        arr = arr.copy()  # tensors never alias caller-owned arrays
    return wrap(arr)


def _native(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind in "US":
        return _string_array(arr)
    if arr.dtype.kind == "O":
        for x in arr.reshape(-1):
            if not isinstance(x, (str, bytes, np.str_, np.bytes_)):
                raise ValueError(
                    f"Failed to convert a NumPy array to a Tensor (Unsupported object type "
                    f"{type(x).__name__}).\nA NumPy array of dtype object becomes a tensor "
                    f"only when it holds strings.\nhint: convert it to a numeric array first "
                    f"(np.asarray(a, dtype=np.float32)); ragged rows need tf.ragged.constant.")
        return _string_array(arr)
    if not arr.dtype.isnative:
        return arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _reshape_constant(arr, shape) -> np.ndarray:
    from rill._core.tensor_shape import TensorShape
    shape = TensorShape(shape)
    if not shape.is_fully_defined():
        raise ValueError(f"tf.constant needs a fully defined shape, got {shape}.")
    shape = tuple(shape.as_list())
    arr = np.asarray(arr)
    if arr.size == 1:
        return np.full(shape, arr.reshape(()), dtype=arr.dtype)
    n = int(np.prod(shape)) if shape else 1
    if arr.size != n:
        raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tried to "
                        f"convert a value of {arr.size} elements to shape {list(shape)} "
                        f"({n} elements).\nhint: give a scalar to fill the shape, or a value "
                        f"with exactly {n} elements.")
    return arr.reshape(shape)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None, preferred_dtype=None):
    """Converts tensors, variables, NumPy arrays and Python values to a tensor.

    A tensor of another dtype than `dtype` raises; Python values are converted to `dtype`.
    """
    if isinstance(value, Tensor):
        if dtype is not None:
            dtype = _dtypes.as_dtype(dtype)
            if value.dtype is not dtype:
                raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor "
                                 f"with dtype {value.dtype.name}: {value!r}\n"
                                 f"hint: use tf.cast(x, tf.{dtype.name}).")
        return value
    if hasattr(value, "_is_variable"):
        t = value.value()
        if dtype is not None and t.dtype is not _dtypes.as_dtype(dtype):
            raise ValueError(f"Tensor conversion requested dtype {_dtypes.as_dtype(dtype).name}"
                             f" for variable with dtype {t.dtype.name}.\nhint: use tf.cast.")
        return t
    if hasattr(value, "_as_tensor"):  # IndexedSlices and other tensor-likes
        # IndexedSlices checks the dtype itself, to say what TensorFlow says
        t = value._to_dense(dtype) if dtype is not None and hasattr(value, "_to_dense") \
            else value._as_tensor()
        return convert_to_tensor(t, dtype=dtype)
    if isinstance(value, CompositeTensor):  # RaggedTensor, SparseTensor: ops dispatch on it
        raise CompositeTensorError(value)
    hint = dtype_hint or preferred_dtype
    if dtype is None and hint is not None:
        try:
            return constant(value, dtype=hint)
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=dtype)


def scalar_like(value, like: np.ndarray, op_name: str, arg: str):
    """A Python number as a NumPy scalar of an array's dtype (`t + 10` keeps t's dtype)."""
    npd = like.dtype
    kind = npd.kind
    if kind in "iu":
        if isinstance(value, float):  # even 2.0: TensorFlow never mixes float and int
            name = _dtypes.from_numpy(npd).name
            raise TypeError(
                f"Cannot convert {value!r} to EagerTensor of dtype {name}\n{op_name}: the "
                f"Python float {value!r} (argument {arg}) cannot be used with a {name} tensor; "
                f"TensorFlow never converts floats to integers implicitly.\n"
                f"hint: cast the tensor first, e.g. tf.cast(x, tf.float32), or pass an int.")
        if isinstance(value, complex):
            raise TypeError(f"{op_name}: cannot convert complex {value!r} to "
                            f"{_dtypes.from_numpy(npd).name}.")
        info = np.iinfo(npd)
        if not info.min <= value <= info.max:
            raise InvalidArgumentError(
                None, op_name, f"{op_name}: {value!r} (argument {arg}) does not fit in "
                f"{_dtypes.from_numpy(npd).name}.\nhint: cast the tensor to a wider dtype.")
    elif kind == "b" and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op_name}: cannot convert {value!r} (argument {arg}) to bool.\n"
                        f"hint: compare first, e.g. x > 0.")
    elif kind == "f" and isinstance(value, complex):
        raise TypeError(f"{op_name}: cannot convert complex {value!r} to "
                        f"{_dtypes.from_numpy(npd).name}.")
    elif kind == "O":
        return np.array(_to_bytes(value), dtype=object)
    return npd.type(value)


__tf_names__ = {"tf": "constant convert_to_tensor"}
