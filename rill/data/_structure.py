"""Elements: nested structures of tensors, described by nested structures of specs.

tf.data's structures are tuples (namedtuples too) and dicts; a Python *list* is a tensor, as
in TensorFlow (`from_tensor_slices([1, 2])` has scalar elements). Inside a pipeline an element
is a flat tuple of NumPy values (arrays, or NumPy scalars for rank 0) in `tf.nest` order, and
only the iterator packs it into the user's structure of EagerTensors. A leaf whose spec is a
`DatasetSpec` holds a Dataset (the windows of `Dataset.window`).

Sparse and ragged elements are more leaf spec kinds (`tf.RaggedTensorSpec`,
`tf.SparseTensorSpec`): their values travel as one object per leaf (see `_composite`).

A failure inside the pipeline travels as an `Error` value in place of an element, so
Python-generator stages survive it (TensorFlow's iterators go on after a failed element) and
the iterator raises it at the element's position.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor_shape import TensorShape
from rill.data import _composite as _C
from rill.function.signature import TensorSpec

_new = object.__new__


# -- nesting (lists are leaves) ---------------------------------------------------------------
def is_structure(x) -> bool:
    return isinstance(x, (tuple, Mapping))


def _keys(m) -> list:
    try:
        return sorted(m)
    except TypeError:
        return list(m)


def flatten(x) -> list:
    """Leaves of a tf.data structure in tf.nest order (dicts by sorted key)."""
    if isinstance(x, tuple):
        out = []
        for c in x:
            out.extend(flatten(c) if is_structure(c) else (c,))
        return out
    if isinstance(x, Mapping):
        out = []
        for k in _keys(x):
            c = x[k]
            out.extend(flatten(c) if is_structure(c) else (c,))
        return out
    return [x]


def pack(structure, flat):
    """`structure` rebuilt with the leaves of `flat`, in order."""
    it = iter(flat)

    def build(s):
        if isinstance(s, tuple):
            items = [build(c) for c in s]
            return type(s)(*items) if hasattr(type(s), "_fields") else tuple(items)
        if isinstance(s, Mapping):
            built = {k: build(s[k]) for k in _keys(s)}
            return type(s)((k, built[k]) for k in s) if type(s) is not dict else \
                {k: built[k] for k in s}
        return next(it)
    return build(structure)


def map_structure(fn, structure):
    return pack(structure, [fn(x) for x in flatten(structure)])


def same_structure(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(same_structure(a[k], b[k]) for k in a)
    return not is_structure(a) and not is_structure(b)


# -- specs ------------------------------------------------------------------------------------
class DatasetSpec:
    """The spec of a leaf that is itself a dataset (`tf.data.DatasetSpec`)."""

    def __init__(self, element_spec, dataset_shape=()):
        self._element_spec = element_spec
        self._dataset_shape = TensorShape(dataset_shape)

    @property
    def element_spec(self):
        return self._element_spec

    @property
    def shape(self) -> TensorShape:
        return self._dataset_shape

    def __eq__(self, other) -> bool:
        return isinstance(other, DatasetSpec) and other._element_spec == self._element_spec

    def __hash__(self) -> int:
        return hash(("DatasetSpec", repr(self._element_spec)))

    def __repr__(self) -> str:
        return f"DatasetSpec({self._element_spec!r}, {self._dataset_shape!r})"


def spec_of_value(v) -> TensorSpec:
    return TensorSpec(np.shape(v), _dtypes.from_numpy(v.dtype))


def to_value(x, what: str):
    """One leaf of a user's structure as a NumPy value (or a Dataset)."""
    from rill.data.dataset import Dataset
    if isinstance(x, Dataset):
        return x
    if isinstance(x, _C.COMPOSITE_VALUES):
        return x
    if isinstance(x, Tensor) and not isinstance(x, EagerTensor):
        raise TypeError(
            f"{what}: got the symbolic tensor {x!r}; tf.data builds its datasets from values "
            f"in rill.\nhint: create the dataset outside the tf.function and iterate it inside "
            f"(a `for` over a dataset in a tf.function becomes a graph loop).")
    return convert_to_tensor(x)._value


def normalize(element, what: str):
    """(spec structure, flat NumPy values) of a user element."""
    flat = [to_value(x, what) for x in flatten(element)]
    specs = [leaf_spec(v) for v in flat]
    return pack(element, specs), flat


def leaf_spec(v):
    from rill.data.dataset import Dataset
    if isinstance(v, Dataset):
        return DatasetSpec(v.element_spec)
    if isinstance(v, _C.COMPOSITE_VALUES):
        return _C.spec_of(v)
    return spec_of_value(v)


def relax(a, b):
    """The most specific spec structure compatible with both (None where they differ)."""
    if isinstance(a, TensorSpec) and isinstance(b, TensorSpec):
        if a.dtype != b.dtype:
            return None
        return TensorSpec(a.shape.most_specific_compatible_shape(b.shape), a.dtype)
    if isinstance(a, DatasetSpec) and isinstance(b, DatasetSpec) and a == b:
        return a
    if isinstance(a, _C.COMPOSITE_SPECS) or isinstance(b, _C.COMPOSITE_SPECS):
        return _C.relax(a, b)
    if not is_structure(a) or not same_structure(a, b):
        return None
    fa, fb = flatten(a), flatten(b)
    out = [relax(x, y) for x, y in zip(fa, fb)]
    return None if any(o is None for o in out) else pack(a, out)


def batched(structure, size):
    """The spec structure of batches of `size` (None: unknown) elements."""
    def f(s):
        if isinstance(s, _C.COMPOSITE_SPECS):
            return _C.batched_spec(s, size)
        if not isinstance(s, TensorSpec):
            raise TypeError(f"batch: elements with a {type(s).__name__} component cannot be "
                            f"batched yet.\nhint: map the component to tensors first.")
        return TensorSpec(TensorShape([size]).concatenate(s.shape), s.dtype)
    return map_structure(f, structure)


def unbatched(structure, what: str = "unbatch"):
    def f(s):
        if isinstance(s, _C.COMPOSITE_SPECS) and s.shape.rank != 0:
            return _C.sliced_spec(s)
        if not isinstance(s, TensorSpec) or s.shape.rank == 0:
            raise ValueError(f"{what}: cannot unbatch an input with scalar components "
                             f"({s!r}).\nhint: every component needs a batch dimension.")
        if s.shape.rank is None:
            return TensorSpec(None, s.dtype)
        return TensorSpec(s.shape[1:], s.dtype)
    return map_structure(f, structure)


def batch_leaves(values: list, spec, what: str = "batch"):
    """Stacks one component of several elements into a batch."""
    try:
        return np.stack(values)
    except ValueError:
        shapes = [np.shape(v) for v in values]
        bad = next(i for i, s in enumerate(shapes) if s != shapes[0])
        raise InvalidArgumentError(
            None, what,
            f"Cannot batch tensors with different shapes in component {{}}. First element had "
            f"shape {list(shapes[0])} and element {bad} had shape {list(shapes[bad])}.\nhint: "
            f"use padded_batch to pad them to a common shape, or ragged_batch.") from None


# -- errors travelling as elements ----------------------------------------------------------
class Error:
    """A failure in place of an element: raised by the iterator at its position."""

    __slots__ = ("exc", "where")

    def __init__(self, exc: BaseException, where: str):
        self.exc = exc
        self.where = where

    def raise_(self):
        exc = self.exc
        note = f"(tf.data: {self.where})"
        if hasattr(exc, "add_note") and note not in getattr(exc, "__notes__", ()):
            exc.add_note(note)
        raise exc


# -- packing elements for the user ------------------------------------------------------------
def _wrap(v):
    t = _new(EagerTensor)
    t._value = v
    return t


def _same(v):
    return v


def _as_numpy_string(v):
    return v[()] if type(v) is np.ndarray and v.ndim == 0 else v


def packer(structure, numpy: bool = False):
    """A function: flat tuple of values -> the user's structure of EagerTensors (or NumPy
    values with `numpy`; scalar strings as bytes, as TensorFlow's as_numpy_iterator)."""
    specs = flatten(structure)

    def leaf_fn(s):
        if _C.is_dense_like(s):
            return _same if numpy else _wrap
        if not isinstance(s, TensorSpec):
            return _same
        if numpy:
            return _as_numpy_string if s.dtype is _dtypes.string else _same
        return _wrap
    fns = [leaf_fn(s) for s in specs]
    if not is_structure(structure):
        f = fns[0]
        return lambda flat: f(flat[0])
    if all(f is _same for f in fns):
        if type(structure) is tuple and all(not is_structure(c) for c in structure):
            return tuple
        return lambda flat: pack(structure, flat)
    if all(f is _wrap for f in fns) and type(structure) is tuple and \
            all(not is_structure(c) for c in structure):
        return lambda flat: tuple([_wrap(v) for v in flat])
    return lambda flat: pack(structure, [f(v) for f, v in zip(fns, flat)])


def unpacker(structure):
    """A function: the user's structure (tensors, arrays, Python values) -> flat tuple of
    NumPy values (used on the results of eagerly run functions)."""
    def unpack(value):
        flat = flatten(value)
        return tuple(to_value(x, "tf.data") for x in flat)
    return unpack
