"""`tf.IndexedSlices`: a sparse set of rows of a dense tensor (the gradient of `tf.gather`).

`values[i]` is row `indices[i]` of a tensor of shape `dense_shape`; rows that repeat are summed
when densified. Ops accept IndexedSlices wherever they accept tensors (`convert_to_tensor`
calls `_as_tensor`), tapes densify them before summing (`_to_dense`), and optimizers scatter
them into variables (`Variable.scatter_sub`).
"""

from __future__ import annotations

import warnings

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensor, TypeSpec
from rill._core.convert import convert_to_tensor
from rill._core.tensor_shape import TensorShape, as_shape

# TensorFlow warns when a traced conversion makes a dense tensor of this many elements or more
LARGE_SPARSE_NUM_ELEMENTS = 100_000_000


class IndexedSlices(CompositeTensor):
    """Rows `indices` of a tensor of shape `dense_shape`, holding `values` (`tf.IndexedSlices`).

    >>> s = tf.IndexedSlices(tf.constant([[1., 2.]]), tf.constant([1]), tf.constant([3, 2]))
    >>> tf.convert_to_tensor(s).numpy()
    array([[0., 0.],
           [1., 2.],
           [0., 0.]], dtype=float32)
    """

    __slots__ = ("_values", "_indices", "_dense_shape")

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        if not self._indices.dtype.is_integer:
            raise TypeError(f"tf.IndexedSlices: indices must be an integer tensor, got "
                            f"{self._indices.dtype.name}.\nhint: pass int32 or int64 row "
                            f"numbers.")
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)

    @property
    def values(self):
        return self._values

    @property
    def indices(self):
        return self._indices

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        """The static shape of the dense tensor (unknown without a dense_shape)."""
        from rill._core.graph import constant_value
        if self._dense_shape is None:
            return TensorShape(None)
        known = constant_value(self._dense_shape)
        if known is not None:
            return TensorShape([int(d) for d in known])
        n = self._dense_shape.shape
        return TensorShape(None if n.rank is None or n[0] is None else [None] * n[0])

    @property
    def device(self) -> str:
        return self._values.device

    @property
    def name(self):
        return self._values.name

    @property
    def op(self):
        return self._values.op

    @property
    def graph(self):
        return self._values.graph

    def _to_dense(self, dtype=None):
        """The dense tensor: rows scattered into zeros, repeated rows summed. While a function
        is traced, a dense shape of 100,000,000 elements or more warns, as TensorFlow does."""
        if dtype is not None and _dtypes.as_dtype(dtype) is not self.dtype:
            raise ValueError(f"Incompatible tensor conversion requested to `dtype` "
                             f"{_dtypes.as_dtype(dtype).name} for IndexedSlices ({self}) with "
                             f"dtype {self.dtype.name}\nhint: tf.cast the values first.")
        if self._dense_shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices for argument "
                             f"`value` without dense_shape: {self}\nhint: create it as "
                             f"tf.IndexedSlices(values, indices, dense_shape).")
        if _context.active and _context.state.graphs:
            from rill._core.graph import constant_value
            known = constant_value(self._dense_shape)
            n = None if known is None else int(np.prod(known))
            if n is not None and n >= LARGE_SPARSE_NUM_ELEMENTS:
                warnings.warn(f"Converting sparse IndexedSlices to a dense Tensor with {n} "
                              f"elements. This may consume a large amount of memory.",
                              UserWarning, stacklevel=4)
        from rill.ops.array_ops import expand_dims
        from rill.ops.gather_scatter_ops import scatter_nd
        return scatter_nd(expand_dims(self._indices, -1), self._values, self._dense_shape)

    _as_tensor = _to_dense

    def __neg__(self) -> IndexedSlices:
        from rill.ops import math_ops
        return IndexedSlices(math_ops.negative(self._values), self._indices, self._dense_shape)

    def __repr__(self) -> str:
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!s}"
        return f"IndexedSlices(indices={self._indices!s}, values={self._values!s}{shape})"

    __str__ = __repr__

    # -- composite protocol: tf.function arguments and results, tf.nest --------------------
    def _rill_gradient_tensor(self):
        return self._values  # a tape differentiates the values (the rows)

    def _rill_with_gradient(self, gradient) -> IndexedSlices:
        return IndexedSlices(gradient, self._indices, self._dense_shape)

    def _rill_components(self) -> list:
        parts = [self._values, self._indices]
        return parts if self._dense_shape is None else parts + [self._dense_shape]

    def _rill_with_components(self, components: list) -> IndexedSlices:
        return IndexedSlices(*components)

    def _rill_key(self):
        return ("values", "indices", "dense_shape")[:len(self._rill_components())]

    def _rill_spec(self) -> IndexedSlicesSpec:
        return self._type_spec

    @property
    def _type_spec(self) -> IndexedSlicesSpec:
        shape = TensorShape([None]).concatenate(self._values.shape[1:]) \
            if self._values.shape.rank else TensorShape(None)
        if self._dense_shape is not None:
            shape = shape.merge_with(self.shape) if shape.is_compatible_with(self.shape) \
                else self.shape
        return IndexedSlicesSpec(
            shape, self.dtype, self._indices.dtype,
            None if self._dense_shape is None else self._dense_shape.dtype,
            self._indices.shape.merge_with(self._values.shape[:1]))


class IndexedSlicesSpec(TypeSpec):
    """Describes a `tf.IndexedSlices`: the dense shape, the dtypes of values, indices and
    dense shape (None: no dense_shape), and the indices' shape (`tf.IndexedSlicesSpec`).

    >>> tf.IndexedSlicesSpec([3, 2])
    IndexedSlicesSpec(TensorShape([3, 2]), tf.float32, tf.int64, None, TensorShape([None]))
    """

    __slots__ = ("_shape", "_dtype", "_indices_dtype", "_dense_shape_dtype", "_indices_shape")

    def __init__(self, shape=None, dtype=_dtypes.float32, indices_dtype=_dtypes.int64,
                 dense_shape_dtype=None, indices_shape=None):
        self._shape = as_shape(shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self._indices_dtype = _dtypes.as_dtype(indices_dtype)
        self._dense_shape_dtype = None if dense_shape_dtype is None \
            else _dtypes.as_dtype(dense_shape_dtype)
        self._indices_shape = as_shape(indices_shape).with_rank(1)

    @property
    def value_type(self):
        return IndexedSlices

    _rill_value_type = IndexedSlices

    def _rill_component_specs(self) -> list:
        from rill.function.signature import TensorSpec
        rest = self._shape[1:] if self._shape.rank is not None else TensorShape(None)
        specs = [TensorSpec(self._indices_shape.concatenate(rest), self._dtype),
                 TensorSpec(self._indices_shape, self._indices_dtype)]
        if self._dense_shape_dtype is not None:
            specs.append(TensorSpec([self._shape.rank], self._dense_shape_dtype))
        return specs

    def _rill_from_components(self, components: list) -> IndexedSlices:
        return IndexedSlices(*components)

    def _rill_key(self):
        return ("values", "indices", "dense_shape")[:len(self._rill_component_specs())]

    def is_compatible_with(self, other) -> bool:
        if isinstance(other, IndexedSlices):
            other = other._type_spec
        return isinstance(other, IndexedSlicesSpec) and other._dtype is self._dtype and \
            self._shape.is_compatible_with(other._shape)

    def _key(self) -> tuple:
        return (self._shape._dims, self._dtype.name, self._indices_dtype.name,
                None if self._dense_shape_dtype is None else self._dense_shape_dtype.name,
                self._indices_shape._dims)

    def __repr__(self) -> str:
        def shape(s):
            return f"TensorShape({s.as_list() if s.rank is not None else None})"
        return (f"IndexedSlicesSpec({shape(self._shape)}, {self._dtype!r}, "
                f"{self._indices_dtype!r}, {self._dense_shape_dtype!r}, "
                f"{shape(self._indices_shape)})")


__tf_names__ = {"tf": "IndexedSlices IndexedSlicesSpec"}
