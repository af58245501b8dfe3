"""`tf.TensorSpec` and the cache keys of traced functions.

A call's arguments are encoded into a hashable key that decides whether an existing graph
can run it: tensors by shape and dtype (`("T", dims, numpy dtype)`), variables by shape, dtype,
trainability and aliasing (`("VS", dims, numpy dtype, trainable, alias)`: a new variable of the
same spec runs the same graph, as in TensorFlow; `alias` numbers the distinct variables of the
call, so f(a, a) and f(a, b) differ), objects whose class defines `__tf_tracing_type__` by
the TraceType it returns (`("TT", trace type)`, see trace_type.py), unhashable objects by
identity (`("O", id)`), Python values by type and value (`("P", type, value)`), containers by
type and children. A variable
the function can also reach outside its arguments (`pinned`) is keyed by identity
(`("V", id)`), so its graph never runs on another variable. Keys of relaxed graphs
(input_signature, reduce_retracing) hold None dimensions; `compatible(pattern, key)` says
whether a graph traced for `pattern` runs a call whose key is `key`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core import nest
from rill._core.composite import CompositeTensor, TypeSpec
from rill._core.convert import constant
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor_shape import TensorShape, as_shape


class TensorSpec(TypeSpec):
    """Describes a tensor: shape (dimensions may be None), dtype and optional name.

    >>> spec = tf.TensorSpec([None, 3], tf.float32, name="x")
    >>> spec.is_compatible_with(tf.zeros([5, 3]))
    True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=_dtypes.float32, name: str | None = None):
        self._shape = as_shape(shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor, name: str | None = None) -> TensorSpec:
        """The spec of a tensor (or variable or NumPy array)."""
        if isinstance(tensor, (np.ndarray, np.generic)):
            return cls(tensor.shape, _dtypes.from_numpy(tensor.dtype), name)
        if name is None and type(tensor).__name__ == "GraphTensor":
            name = tensor.op.name
        return cls(tensor.shape, tensor.dtype, name)

    @classmethod
    def from_spec(cls, spec, name: str | None = None) -> TensorSpec:
        return cls(spec.shape, spec.dtype, spec.name if name is None else name)

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def value_type(self):
        return Tensor

    def is_compatible_with(self, spec_or_tensor) -> bool:
        """True when the dtypes agree and the shapes are compatible (None matches any)."""
        other = spec_or_tensor
        if isinstance(other, (np.ndarray, np.generic)):
            other = TensorSpec.from_tensor(other)
        if not (hasattr(other, "shape") and hasattr(other, "dtype")):
            return False
        return other.dtype == self._dtype and self._shape.is_compatible_with(other.shape)

    def most_specific_common_supertype(self, others) -> TensorSpec | None:
        """The narrowest spec compatible with this one and all `others` (None if none)."""
        shape = self._shape
        for o in others:
            if o.dtype != self._dtype:
                return None
            shape = _relax_shape(shape, o.shape)
        return TensorSpec(shape, self._dtype, self._name)

    def _key(self) -> tuple:
        return (self._shape._dims, self._dtype.name, self._name)

    def __repr__(self) -> str:
        return (f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, "
                f"name={self._name!r})")

    def __reduce__(self):
        return TensorSpec, (self._shape._dims, self._dtype.name, self._name)


def _relax_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([p if p == q else None for p, q in zip(a._dims, b._dims)])


# -- keys ---------------------------------------------------------------------------------
_PY_LEAVES = (int, float, bool, str, bytes, complex, type(None))


def encode(value, path: str, leaves: list, refs: list, pinned=frozenset()):
    """The key of an argument structure. Tensor leaves are appended to `leaves` as
    (path, tensor or TensorSpec), in `tf.nest` order; variables and objects keyed by identity
    go to `refs` (the concrete function keeps them alive, so their ids stay unique)."""
    t = type(value)
    if t is EagerTensor or isinstance(value, EagerTensor):
        leaves.append((path, value))
        v = value._value
        return ("T", v.shape, v.dtype)
    if t in _PY_LEAVES:
        return ("P", t, value)
    if isinstance(value, (np.ndarray, np.generic)):
        value = constant(value)
        leaves.append((path, value))
        return ("T", value._value.shape, value._value.dtype)
    if isinstance(value, TensorSpec):
        leaves.append((path, value))
        return ("T", value.shape._dims, value.dtype._np)
    if isinstance(value, CompositeTensor) or hasattr(value, "_rill_component_specs"):
        # RaggedTensor, SparseTensor and their specs: keyed by kind, structure and the
        # keys of their component tensors, which become leaves (issue 11)
        if isinstance(value, CompositeTensor):
            kind, parts = type(value), value._rill_components()
        else:
            kind, parts = value._rill_value_type, value._rill_component_specs()
        names = value._rill_key()
        return (kind, names, tuple(encode(c, _join(path, n), leaves, refs, pinned)
                                   for n, c in zip(names, parts)))
    if hasattr(value, "_is_variable"):
        if id(value) in pinned:
            refs.append(value)
            return ("V", id(value))
        alias = 0
        for r in refs:
            if r is value:
                break
            if hasattr(r, "_is_variable") and id(r) not in pinned:
                alias += 1
        refs.append(value)
        return ("VS", value._shape._dims, value.dtype._np, bool(value.trainable), alias)
    method = getattr(t, "__tf_tracing_type__", None)
    if method is not None:  # the tracing protocol of user classes (trace_type.py)
        from rill.function.trace_type import _TRACING
        return ("TT", method(value, _TRACING))
    if isinstance(value, Mapping):
        keys = nest._sorted(value)
        return (t, tuple(keys), tuple(encode(value[k], _join(path, k), leaves, refs, pinned)
                                      for k in keys))
    if isinstance(value, (list, tuple)):
        names = getattr(t, "_fields", None) or range(len(value))
        return (t, tuple(encode(c, _join(path, i), leaves, refs, pinned)
                         for i, c in zip(names, value)))
    if isinstance(value, Tensor):  # a symbolic tensor: only get_concrete_function sees one
        leaves.append((path, TensorSpec(value.shape, value.dtype)))
        return ("T", value.shape._dims, value.dtype._np)
    try:
        hash(value)
    except TypeError:
        refs.append(value)
        return ("O", id(value))
    return ("P", t, value)


def _join(path: str, part) -> str:
    return f"{path}_{part}" if path else str(part)


def _is_leaf(node) -> bool:
    return type(node[0]) is str


def compatible(pattern, key) -> bool:
    """Whether a graph traced for `pattern` (dims may be None) runs a call keyed `key`."""
    if pattern is key or pattern == key:
        return True
    if type(pattern) is not tuple or type(key) is not tuple or len(pattern) != len(key):
        return False
    if _is_leaf(pattern):
        if pattern[0] == "TT" and key[0] == "TT":
            return key[1].is_subtype_of(pattern[1])
        if pattern[0] != "T" or key[0] != "T" or pattern[2] != key[2]:
            return False
        dims, got = pattern[1], key[1]
        if dims is None:
            return True
        if got is None or len(dims) != len(got):
            return False
        return all(d is None or d == g for d, g in zip(dims, got))
    if pattern[0] is not key[0]:
        return False
    if len(pattern) == 3 and pattern[1] != key[1]:  # dict keys
        return False
    return all(compatible(p, k) for p, k in zip(pattern[-1], key[-1]))


def relax(old, new):
    """A pattern that covers both keys, with differing dimensions set to None; None when
    they differ in anything else (structure, dtype, rank, Python values)."""
    if old == new:
        return old
    if type(old) is not tuple or type(new) is not tuple or len(old) != len(new):
        return None
    if _is_leaf(old):
        if old[0] == "TT" and new[0] == "TT":
            common = old[1].most_specific_common_supertype([new[1]])
            return None if common is None else ("TT", common)
        if old[0] != "T" or new[0] != "T" or old[2] != new[2]:
            return None
        a, b = old[1], new[1]
        if a is None or b is None or len(a) != len(b):
            return None
        return ("T", tuple(p if p == q else None for p, q in zip(a, b)), old[2])
    if old[0] is not new[0] or (len(old) == 3 and old[1] != new[1]):
        return None
    children = []
    for p, q in zip(old[-1], new[-1]):
        c = relax(p, q)
        if c is None:
            return None
        children.append(c)
    return old[:-1] + (tuple(children),)


def has_trace_types(key) -> bool:
    """Whether a key holds a TraceType (a graph for it may serve its subtypes)."""
    if type(key) is not tuple or not key:
        return False
    if _is_leaf(key):
        return key[0] == "TT"
    return any(has_trace_types(c) for c in key[-1])


def tensor_specs(key) -> list:
    """The (dims, numpy dtype) of the tensor leaves of a key, in leaf order."""
    out: list = []

    def walk(node):
        if _is_leaf(node):
            if node[0] == "T":
                out.append((node[1], node[2]))
        else:
            for c in node[-1]:
                walk(c)
    walk(key)
    return out


def first_difference(old, new, path: str = "", relaxed: bool = False):
    """(path, old leaf, new leaf) where two keys first differ, or None. With `relaxed`,
    `old` is a pattern and leaves it is compatible with do not count as differences."""
    if old == new or (relaxed and compatible(old, new)):
        return None
    if type(old) is not tuple or type(new) is not tuple or _is_leaf(old) or _is_leaf(new) \
            or old[0] is not new[0] or len(old) != len(new) or len(old[-1]) != len(new[-1]) \
            or (len(old) == 3 and old[1] != new[1]):
        return path, old, new
    names = old[1] if len(old) == 3 else range(len(old[-1]))
    for name, p, q in zip(names, old[-1], new[-1]):
        found = first_difference(p, q, _join(path, name), relaxed)
        if found is not None:
            return found
    return None


def encode_call(pos: tuple, kw: dict, names: list, pinned=frozenset()):
    """The key of a canonical call (positional values, keyword values), the tensor leaves
    [(name, tensor or spec)] in tf.nest order, and the variables and objects keyed by
    identity or spec (see `variable_args`)."""
    leaves: list = []
    refs: list = []
    keys = nest._sorted(kw)
    pos_node = (tuple, tuple(encode(v, n, leaves, refs, pinned) for v, n in zip(pos, names)))
    kw_node = (dict, tuple(keys), tuple(encode(kw[k], str(k), leaves, refs, pinned)
                                        for k in keys))
    return (tuple, (pos_node, kw_node)), leaves, refs


def variable_args(refs: list, pinned=frozenset()) -> list:
    """The distinct variables keyed by spec (not `pinned`) among `refs`, in alias order: the
    variables a call binds to the variable slots of its concrete function."""
    out: list = []
    for r in refs:
        if hasattr(r, "_is_variable") and id(r) not in pinned and \
                not any(r is o for o in out):
            out.append(r)
    return out


def call_leaves(key) -> list:
    """The per-argument keys of a call key, in the order of `encode_call`'s names."""
    pos_node, kw_node = key[1]
    return list(pos_node[1]) + list(kw_node[2])


def is_tensor_leaf(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray, np.generic, TensorSpec))


def describe_leaf(node) -> str:
    """A short text for one key leaf (used by messages)."""
    if not isinstance(node, tuple) or not node:
        return repr(node)
    kind = node[0]
    if kind == "T":
        dims = node[1]
        shape = "<unknown>" if dims is None else str(TensorShape(list(dims)))
        return f"a tensor of shape {shape} and dtype {_dtypes.from_numpy(node[2]).name}"
    if kind == "P":
        return f"the Python {node[1].__name__} {node[2]!r}"
    if kind == "VS":
        shape = "<unknown>" if node[1] is None else str(TensorShape(list(node[1])))
        return (f"a {'trainable' if node[3] else 'non-trainable'} variable of shape {shape} "
                f"and dtype {_dtypes.from_numpy(node[2]).name}")
    if kind == "V":
        return f"the variable at {node[1]:#x}"
    if kind == "O":
        return f"the object at {node[1]:#x}"
    if kind == "TT":
        return f"a value of trace type {node[1]!r}"
    n = len(node[-1])
    return f"a {node[0].__name__} of {n} item{'s' if n != 1 else ''}"


def type_spec_from_value(value):
    """The TypeSpec that describes `value`: a TensorSpec for a tensor (or anything that
    converts to one), RaggedTensorSpec, SparseTensorSpec, IndexedSlicesSpec or
    TensorArraySpec for those values (`tf.type_spec_from_value`).

    >>> tf.type_spec_from_value(tf.constant([1., 2.]))
    TensorSpec(shape=(2,), dtype=tf.float32, name=None)
    """
    import sys
    if isinstance(value, Tensor):
        return TensorSpec(value.shape, value.dtype)
    if hasattr(value, "_rill_spec") and not isinstance(value, type):
        return value._rill_spec()  # RaggedTensor, SparseTensor, IndexedSlices
    from rill.ops.tensor_array_ops import TensorArray, TensorArraySpec
    if isinstance(value, TensorArray):
        return TensorArraySpec.from_value(value)
    data = sys.modules.get("rill.data.dataset")
    if data is not None and isinstance(value, data.Dataset):
        from rill.data._structure import DatasetSpec
        return DatasetSpec(value.element_spec, TensorShape([]))
    if value is not None and not hasattr(value, "_is_variable") and \
            not isinstance(value, (tuple, dict)):
        try:
            t = constant(value)
        except (TypeError, ValueError):
            pass
        else:
            return TensorSpec(t.shape, t.dtype)
    raise TypeError(f"Could not build a TypeSpec for {value!r} of unsupported type "
                    f"{type(value)}.\nhint: tf.type_spec_from_value takes one tensor-like value "
                    f"(a tensor, array, number, RaggedTensor, SparseTensor, IndexedSlices or "
                    f"TensorArray); for a structure use tf.nest.map_structure over it.")


__tf_names__ = {"tf": "TensorSpec type_spec_from_value"}
