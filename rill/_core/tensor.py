"""Tensors: the public `tf.Tensor` base class and `EagerTensor`, a NumPy array that is
immutable by convention.

Operators (`+`, `@`, `[]`, ...) are installed on `Tensor` by `rill.ops.operators`, which keeps
this layer free of any op's definition.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.tensor_shape import TensorShape

_new = object.__new__
CPU_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


class Tensor:
    """A multidimensional array with a static dtype (`tf.Tensor`).

    Eager tensors (`EagerTensor`) hold a value; symbolic tensors (`rill._core.graph.
    GraphTensor`) exist while a `tf.function` is traced and only know their shape and dtype.
    """

    __slots__ = ()
    __array_priority__ = 100
    OVERLOADABLE_OPERATORS = frozenset()

    @property
    def ndim(self) -> int:
        return self.shape.rank

    def get_shape(self) -> TensorShape:
        return self.shape

    def ref(self):
        """A hashable reference to this tensor (`tensor.ref()`), usable as a dict key."""
        return Reference(self)

    def experimental_ref(self):
        return Reference(self)

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __reduce__(self):
        return _rebuild, (self.numpy(),)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def _rebuild(value):
    return wrap(np.asarray(value))


class Reference:
    """A hashable wrapper around a tensor or variable, compared by identity (`t.ref()`)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self):
        return f"<Reference wrapping {self._obj!r}>"


class EagerTensor(Tensor):
    """A tensor with a concrete value: a NumPy array (or NumPy scalar for rank 0)."""

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value):
        self._value = value

    @property
    def dtype(self) -> _dtypes.DType:
        return _dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def device(self) -> str:
        return CPU_DEVICE

    @property
    def backing_device(self) -> str:
        return CPU_DEVICE

    @property
    def name(self):
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    @property
    def graph(self):
        raise AttributeError("Tensor.graph is undefined when eager execution is enabled.")

    @property
    def op(self):
        raise AttributeError("Tensor.op is undefined when eager execution is enabled.")

    def numpy(self):
        """The value as a NumPy array (a NumPy scalar for rank 0), a copy the caller owns."""
        v = self._value
        if v.ndim == 0:
            return v[()] if isinstance(v, np.ndarray) else v
        return v.copy()

    def __array__(self, dtype=None, copy=None):
        v = np.asarray(self._value)
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        return v.copy() if copy else v

    def __len__(self) -> int:
        shape = self._value.shape
        if not shape:
            raise TypeError("len is not well defined for a rank-0 tensor.")
        return shape[0]

    def __iter__(self):
        v = self._value
        if not v.shape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        # rows as recorded ops (`self[i]`) under a tape, so gradients flow through
        if _context.active and _context.state.tapes:
            return (self[i] for i in range(v.shape[0]))
        return (wrap(v[i]) for i in range(v.shape[0]))

    def __bool__(self) -> bool:
        v = self._value
        if v.size > 1:
            raise ValueError(f"The truth value of a tensor of shape {_shape_text(v.shape)} "
                             f"with more than one element is ambiguous.\nhint: use "
                             f"tf.reduce_any(x) or tf.reduce_all(x).")
        return bool(v.size) and bool(v.reshape(-1)[0]) if v.ndim else bool(v)

    __nonzero__ = __bool__

    def __float__(self) -> float:
        return float(_scalar(self._value))

    def __int__(self) -> int:
        return int(_scalar(self._value))

    def __complex__(self) -> complex:
        return complex(_scalar(self._value))

    def __index__(self) -> int:
        v = self._value
        if v.ndim != 0 or v.dtype.kind not in "iub":
            raise TypeError(f"Only integer scalar tensors can be used as an index, got "
                            f"shape={tuple(v.shape)} dtype={self.dtype.name}.")
        return int(v)

    def __format__(self, spec: str) -> str:
        v = self._value
        return format(self.numpy() if v.ndim == 0 else np.asarray(v), spec)

    def __repr__(self) -> str:
        return (f"<tf.Tensor: shape={_shape_text(self._value.shape)}, dtype={self.dtype.name}, "
                f"numpy={_numpy_repr(self._value)}>")

    def __str__(self) -> str:
        return (f"tf.Tensor({_numpy_str(self._value)}, shape={_shape_text(self._value.shape)}, "
                f"dtype={self.dtype.name})")


def _scalar(v):
    """The one element of a one-element array (float(tf.constant([2.5])) is 2.5)."""
    if v.ndim and v.size == 1:
        return v.reshape(-1)[0]
    if v.ndim:
        raise TypeError(f"Only one-element tensors can be converted to Python scalars, got "
                        f"shape {_shape_text(v.shape)}.\nhint: reduce the tensor first, e.g. "
                        f"tf.reduce_sum(x), or index one element.")
    return v


def is_tensor(x) -> bool:
    """True for tensors (eager or symbolic) and variables (`tf.is_tensor`); False for NumPy
    arrays and Python values."""
    return isinstance(x, Tensor) or hasattr(x, "_is_variable")


def is_symbolic_tensor(x) -> bool:
    """True for the symbolic tensors of a graph being traced (`tf.is_symbolic_tensor`)."""
    return isinstance(x, Tensor) and not isinstance(x, EagerTensor)


def wrap(value) -> EagerTensor:
    """Wraps a NumPy array or scalar as an EagerTensor without copying or checking."""
    t = _new(EagerTensor)
    t._value = value
    return t


def _shape_text(shape: tuple) -> str:
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _numpy_repr(v) -> str:
    if v.ndim == 0:
        # TensorFlow prints scalars as Python values: every float digit of float32 shows
        s = v[()] if isinstance(v, np.ndarray) else v
        kind = v.dtype.kind
        if kind == "f" or v.dtype.name == "bfloat16":
            return repr(float(s))
        if kind == "c":
            return repr(complex(s))
        return repr(s) if kind == "O" else str(s)
    text = repr(np.asarray(v))
    return ("\n" + text) if "\n" in text else text


def _numpy_str(v) -> str:
    if v.ndim == 0:
        s = v[()] if isinstance(v, np.ndarray) else v
        return repr(s) if v.dtype.kind == "O" else str(s)
    text = np.array2string(np.asarray(v))
    return ("\n" + text) if "\n" in text else text


__tf_names__ = {"tf": "is_symbolic_tensor is_tensor Tensor"}
