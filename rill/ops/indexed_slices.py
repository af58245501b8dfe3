"""`tf.IndexedSlices`: a sparse set of rows of a dense tensor (the gradient of `tf.gather`).

`values[i]` is row `indices[i]` of a tensor of shape `dense_shape`; rows that repeat are summed
when densified. Ops accept IndexedSlices wherever they accept tensors (`convert_to_tensor`
calls `_as_tensor`), tapes densify them before summing (`_to_dense`), and optimizers scatter
them into variables (`Variable.scatter_sub`).
"""

from __future__ import annotations

from rill._core.convert import convert_to_tensor
from rill._core.tensor_shape import TensorShape


class IndexedSlices:
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
        """The static shape of the dense tensor (unknown dimensions are None)."""
        from rill._core.graph import constant_value
        if self._dense_shape is not None:
            known = constant_value(self._dense_shape)
            if known is not None:
                return TensorShape([int(d) for d in known])
        vs = self._values.shape
        return TensorShape([None]).concatenate(vs[1:]) if vs.rank else TensorShape(None)

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

    def _to_dense(self):
        """The dense tensor: rows scattered into zeros, repeated rows summed."""
        if self._dense_shape is None:
            raise ValueError("Tensor conversion requested for IndexedSlices without "
                             "dense_shape.\nhint: create it as tf.IndexedSlices(values, "
                             "indices, dense_shape).")
        from rill.ops.array_ops import expand_dims
        from rill.ops.gather_scatter_ops import scatter_nd
        return scatter_nd(expand_dims(self._indices, -1), self._values, self._dense_shape)

    _as_tensor = _to_dense

    def __neg__(self) -> IndexedSlices:
        from rill.ops import math_ops
        return IndexedSlices(math_ops.negative(self._values), self._indices, self._dense_shape)

    def __repr__(self) -> str:
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape}"
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    __str__ = __repr__
