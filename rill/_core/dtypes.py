"""Data types: TensorFlow's `tf.DType` objects over NumPy dtypes.

Every tensor stores a NumPy array; its `DType` is found by looking the array's NumPy dtype up
in `_BY_NUMPY`. Strings are NumPy object arrays of `bytes`.

`ml_dtypes` (bfloat16) takes most of a second to import, so it is imported only when the
bfloat16 dtype's NumPy type is first needed (`_load_ml_dtypes`).
"""

from __future__ import annotations

import builtins

import numpy as np


class DType:
    """A tensor element type (`tf.float32`, `tf.int64`, `tf.string`, ...)."""

    __slots__ = ("name", "_np", "_kind", "size")

    def __init__(self, name: str, np_dtype: np.dtype, kind: str):
        self.name = name
        self._np = np_dtype
        self._kind = kind  # "f" float, "i" signed int, "u" unsigned, "c" complex, "b", "s"
        self.size = np_dtype.itemsize if kind != "s" else 0

    @property
    def as_numpy_dtype(self) -> type:
        """The NumPy scalar type of this dtype (`np.float32` for `tf.float32`, `object` for
        `tf.string`)."""
        return object if self._kind == "s" else self._np.type

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def real_dtype(self) -> DType:
        if self is complex64:
            return float32
        if self is complex128:
            return float64
        return self

    @property
    def is_floating(self) -> bool:
        return self._kind == "f"

    @property
    def is_integer(self) -> bool:
        return self._kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self._kind == "u"

    @property
    def is_complex(self) -> bool:
        return self._kind == "c"

    @property
    def is_bool(self) -> bool:
        return self._kind == "b"

    @property
    def is_numeric(self) -> bool:
        return self._kind in "fiuc"

    @property
    def is_quantized(self) -> bool:
        return False

    def _finfo(self):
        return _load_ml_dtypes().finfo(self._np) if self is bfloat16 else np.finfo(self._np)

    @property
    def min(self):
        """The smallest representable value (raises TypeError for bool, complex and string)."""
        if self._kind == "f":
            return self._np.type(self._finfo().min)
        if self._kind in "iu":
            return np.iinfo(self._np).min
        raise TypeError(f"Cannot find minimum value of {self.name}.")

    @property
    def max(self):
        """The largest representable value (raises TypeError for bool, complex and string)."""
        if self._kind == "f":
            return self._np.type(self._finfo().max)
        if self._kind in "iu":
            return np.iinfo(self._np).max
        raise TypeError(f"Cannot find maximum value of {self.name}.")

    @property
    def limits(self):
        """TensorFlow's image intensity range: (0, max) for integers, (0, 1) for floats."""
        if self._kind == "b":
            return (0, True)
        if self._kind in "iu":
            return (0, self.max)
        if self._kind == "f" and self._np.itemsize >= 4:
            return (0, 1)
        raise ValueError(f"{self} does not have defined limits.")

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return as_dtype, (self.name,)


class _LazyDType(DType):
    """A dtype whose NumPy type lives in `ml_dtypes`, imported on first use of `_np`."""

    __slots__ = ("_np_lazy",)

    def __init__(self, name: str, kind: str, size: int):
        self.name = name
        self._np_lazy = None
        self._kind = kind
        self.size = size

    @property
    def _np(self) -> np.dtype:
        if self._np_lazy is None:
            _load_ml_dtypes()
        return self._np_lazy


float16 = DType("float16", np.dtype(np.float16), "f")
bfloat16 = _LazyDType("bfloat16", "f", 2)
float32 = DType("float32", np.dtype(np.float32), "f")
float64 = DType("float64", np.dtype(np.float64), "f")
int8 = DType("int8", np.dtype(np.int8), "i")
int16 = DType("int16", np.dtype(np.int16), "i")
int32 = DType("int32", np.dtype(np.int32), "i")
int64 = DType("int64", np.dtype(np.int64), "i")
uint8 = DType("uint8", np.dtype(np.uint8), "u")
uint16 = DType("uint16", np.dtype(np.uint16), "u")
uint32 = DType("uint32", np.dtype(np.uint32), "u")
uint64 = DType("uint64", np.dtype(np.uint64), "u")
bool = DType("bool", np.dtype(np.bool_), "b")  # noqa: A001 - TensorFlow's public name
complex64 = DType("complex64", np.dtype(np.complex64), "c")
complex128 = DType("complex128", np.dtype(np.complex128), "c")
string = DType("string", np.dtype(object), "s")
half = float16
double = float64

ALL_DTYPES = (float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, uint16,
              uint32, uint64, bool, complex64, complex128, string)

_BY_NUMPY: dict = {d._np: d for d in ALL_DTYPES if not isinstance(d, _LazyDType)}
_BY_NAME: dict = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update(half=float16, double=float64, float=float32)
# TensorFlow accepts only these Python types (int, complex and str have no one width)
_BY_PYTHON = {float: float32, builtins.bool: bool, object: string}
_AMBIGUOUS = (int, complex, bytes, builtins.str)
# TensorFlow's C names, used in messages ("expected to be a double tensor")
C_NAMES = {"float32": "float", "float64": "double", "float16": "half", "bfloat16": "bfloat16"}


_ml_dtypes = None


def _load_ml_dtypes():
    """Imports `ml_dtypes` once and registers the NumPy types of the lazy dtypes."""
    global _ml_dtypes
    if _ml_dtypes is None:
        import ml_dtypes

        bfloat16._np_lazy = np.dtype(ml_dtypes.bfloat16)
        _BY_NUMPY[bfloat16._np_lazy] = bfloat16
        _ml_dtypes = ml_dtypes
    return _ml_dtypes


def _lazy_by_numpy(npd: np.dtype) -> DType | None:
    """The lazy dtype for a NumPy dtype made by `ml_dtypes` outside rill, if it is one."""
    if npd.name == "bfloat16":
        _load_ml_dtypes()
        return bfloat16
    return None


def as_dtype(type_value) -> DType:
    """Converts a `DType`, NumPy dtype or type, Python type or name to a `tf.DType`."""
    if isinstance(type_value, DType):
        return type_value
    try:
        found = _BY_NUMPY.get(type_value) or _BY_NAME.get(type_value)
    except TypeError:  # unhashable
        found = None
    if found is not None:
        return found
    if type_value in _BY_PYTHON:
        return _BY_PYTHON[type_value]
    npd = None
    if type_value is not None and not isinstance(type_value, str) \
            and type_value not in _AMBIGUOUS:
        try:
            npd = np.dtype(type_value)
        except TypeError:
            npd = None
    if npd is not None:
        if npd.kind in "SUO":
            return string
        found = _BY_NUMPY.get(npd) or _BY_NUMPY.get(npd.newbyteorder("=")) \
            or _lazy_by_numpy(npd)
        if found is not None:
            return found
    raise TypeError(f"Cannot convert the argument `type_value`: {type_value!r} to a rill "
                    f"DType.\nhint: use one of "
                    f"{', '.join('tf.' + d.name for d in ALL_DTYPES)}; Python int, complex "
                    f"and str have no one width: say tf.int32, tf.complex64 or tf.string.")


def from_numpy(np_dtype: np.dtype) -> DType:
    """The `DType` of a NumPy array's dtype (fast path used by every tensor)."""
    found = _BY_NUMPY.get(np_dtype)
    if found is None:
        if np_dtype.kind in "SU":
            return string
        found = _lazy_by_numpy(np_dtype)
        if found is not None:
            return found
        raise TypeError(f"NumPy dtype {np_dtype} has no rill equivalent.\n"
                        f"hint: convert the array with .astype(np.float32) or another "
                        f"supported type first.")
    return found


def c_name(dtype: DType) -> str:
    return C_NAMES.get(dtype.name, dtype.name)


__tf_names__ = {
    "tf dtypes": "as_dtype bfloat16 bool complex128 complex64 double DType float16 float32 float64 "
                 "half int16 int32 int64 int8 string uint16 uint32 uint64 uint8",
}
