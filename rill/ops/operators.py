"""Python operators on tensors and variables (`t + 1`, `t @ m`, `t[0]`, ...).

Installed onto `Tensor` and `Variable` here so that `rill._core` never imports op
definitions. Each operator is the public op itself (`Tensor.__add__` is `tf.math.add`).
"""

from __future__ import annotations

from rill._core.tensor import Tensor
from rill._core.variable import Variable
from rill.ops import math_ops as m


def _reflect(fn):
    return lambda self, other: fn(other, self)


def _optional(module, name):
    return getattr(module, name, None)


def install() -> None:
    """Installs the operators; called once when `rill` is imported."""
    table = {
        "__add__": m.add,
        "__radd__": _reflect(m.add),
        "__sub__": m.subtract,
        "__rsub__": _reflect(m.subtract),
        "__mul__": m.multiply,
        "__rmul__": _reflect(m.multiply),
        "__pow__": m.pow,
        "__rpow__": _reflect(m.pow),
        "__matmul__": m.matmul,
        "__rmatmul__": _reflect(m.matmul),
        "__neg__": m.negative,
    }
    optional = {
        "__truediv__": ("truediv", False), "__rtruediv__": ("truediv", True),
        "__floordiv__": ("floordiv", False), "__rfloordiv__": ("floordiv", True),
        "__mod__": ("floormod", False), "__rmod__": ("floormod", True),
        "__abs__": ("abs", None), "__invert__": ("logical_not_or_invert", None),
        "__and__": ("logical_and_or_bitwise", False), "__rand__": ("logical_and_or_bitwise", True),
        "__or__": ("logical_or_or_bitwise", False), "__ror__": ("logical_or_or_bitwise", True),
        "__xor__": ("logical_xor_or_bitwise", False),
        "__rxor__": ("logical_xor_or_bitwise", True),
        "__lt__": ("less", False), "__le__": ("less_equal", False),
        "__gt__": ("greater", False), "__ge__": ("greater_equal", False),
        "__eq__": ("tensor_equals", False), "__ne__": ("tensor_not_equals", False),
    }
    for dunder, (name, reflected) in optional.items():
        fn = _optional(m, name)
        if fn is not None:
            table[dunder] = _reflect(fn) if reflected else fn
    from rill.ops import indexing_ops
    getitem = _optional(indexing_ops, "getitem")
    if getitem is not None:
        table["__getitem__"] = getitem
    for cls in (Tensor, Variable):
        for dunder, fn in table.items():
            if cls is Variable and dunder == "__getitem__":
                continue
            setattr(cls, dunder, fn)
    Tensor.__hash__ = Tensor.__hash__
    Tensor.OVERLOADABLE_OPERATORS = frozenset(table)
