"""`tf.RaggedTensor`: rows of different lengths, stored as `values` and `row_splits`.

Row i of a RaggedTensor is `values[row_splits[i]:row_splits[i + 1]]`; `values` is a tensor or
another RaggedTensor (nested ragged dimensions). The innermost values are `flat_values`, a
tensor whose leading dimension runs over all stored elements and whose other dimensions are
the uniform inner dimensions. So the components are `flat_values` and one row-splits vector
per ragged dimension (`nested_row_splits`), which is how tf.function traces a RaggedTensor.

The ops on row partitions (row ids, gathering and slicing rows, coordinates) are small
non-differentiable ops returning positions into the values; values are moved with
`tf.gather`, so gradients reach `flat_values` through ordinary ops.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.composite import CompositeTensor, TypeSpec
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops import math_ops as m
from rill.ops._util import int_tensor, to_tensor
from rill.ops.array_ops import reshape, shape, where
from rill.ops.gather_scatter_ops import boolean_mask, gather
from rill.ops.manip_ops import concat
from rill.ops.reduction_ops import cumsum, reduce_max

_I64 = np.dtype(np.int64)


# -- partition ops (no gradients: they return positions) ----------------------------------
def _rowids_kernel(splits):
    return np.repeat(np.arange(len(splits) - 1, dtype=splits.dtype), np.diff(splits))


ROW_IDS = defop("_RaggedValueRowIds", _rowids_kernel,
                lambda splits: (TensorShape([None]), splits.dtype), grad=None,
                public_name="tf.RaggedTensor.value_rowids")


def _splits_kernel(rowids, nrows):
    n = int(nrows)
    if len(rowids) and (rowids.min() < 0 or rowids.max() >= n or np.any(np.diff(rowids) < 0)):
        raise InvalidArgumentError(
            None, "_RaggedRowIdsToSplits",
            "Arguments to from_value_rowids do not form a valid RaggedTensor: value_rowids "
            f"must be sorted and lie in [0, nrows={n}).\nhint: sort the values by row id, "
            "or pass a larger nrows.")
    counts = np.bincount(rowids, minlength=n) if len(rowids) else np.zeros(n, np.int64)
    return np.concatenate([[0], np.cumsum(counts)]).astype(rowids.dtype)


ROW_IDS_TO_SPLITS = defop(
    "_RaggedRowIdsToSplits", _splits_kernel,
    lambda rowids, nrows: (TensorShape([_known_plus_one(nrows)]), rowids.dtype), grad=None,
    public_name="tf.RaggedTensor.from_value_rowids")


def _known_plus_one(n):
    v = constant_value(n)
    return None if v is None else int(v) + 1


def _coords_kernel(*splits):
    ids = np.arange(int(splits[-1][-1]) if len(splits[-1]) else 0)
    cols = []
    for s in reversed(splits):
        rid = np.repeat(np.arange(len(s) - 1), np.diff(s))
        row = rid[ids]
        cols.append(ids - s[row])
        ids = row
    cols.append(ids)
    return np.stack(cols[::-1], 1).astype(_I64)


COORDS = defop("_RaggedValueCoordinates", _coords_kernel,
               lambda *splits: (TensorShape([None, len(splits) + 1]), _dtypes.int64), grad=None,
               public_name="tf.RaggedTensor.to_tensor")


def _gather_rows_kernel(splits, indices):
    n = len(splits) - 1
    if indices.size and (indices.min() < -n or indices.max() >= n):
        bad = indices[(indices < -n) | (indices >= n)].reshape(-1)[0]
        raise InvalidArgumentError(
            None, "_RaggedGatherRows", f"indices[{int(np.argmax(indices.reshape(-1) == bad))}] "
            f"= {int(bad)} is not in [0, {n})\ntf.gather: a RaggedTensor of {n} rows has no row "
            f"{int(bad)}.\nhint: row indices must lie in [0, nrows).")
    idx = np.where(indices < 0, indices + n, indices).reshape(-1)
    starts = splits[idx]
    lengths = splits[idx + 1] - starts
    new = np.concatenate([[0], np.cumsum(lengths)]).astype(splits.dtype)
    pos = np.repeat(starts - new[:-1], lengths) + np.arange(new[-1], dtype=splits.dtype)
    return new, pos.astype(splits.dtype)


GATHER_ROWS = defop(
    "_RaggedGatherRows", _gather_rows_kernel,
    lambda splits, indices: [(TensorShape([_n_plus_one(indices)]), splits.dtype),
                             (TensorShape([None]), splits.dtype)],
    grad=None, num_outputs=2, public_name="tf.gather")


def _n_plus_one(indices):
    n = indices.shape.num_elements()
    return None if n is None else n + 1


def _slice_rows_kernel(splits, *, start, stop, step):
    """Each row sliced by Python's slice(start, stop, step), vectorized over rows."""
    starts = splits[:-1].astype(np.int64)
    lens = np.diff(splits).astype(np.int64)
    if step > 0:
        s = np.zeros_like(lens) if start is None else \
            np.clip(np.where(start < 0, start + lens, start), 0, lens)
        e = lens if stop is None else np.clip(np.where(stop < 0, stop + lens, stop), 0, lens)
        count = np.maximum(0, -((s - e) // step))
    else:
        s = lens - 1 if start is None else \
            np.clip(np.where(start < 0, start + lens, start), -1, lens - 1)
        e = np.full_like(lens, -1) if stop is None else \
            np.clip(np.where(stop < 0, stop + lens, stop), -1, lens - 1)
        count = np.maximum(0, -((e - s) // step))
    new = np.concatenate([[0], np.cumsum(count)])
    k = np.arange(new[-1]) - np.repeat(new[:-1], count)
    pos = np.repeat(starts + s, count) + k * step
    return new.astype(splits.dtype), pos.astype(splits.dtype)


SLICE_ROWS = defop(
    "_RaggedSliceRows", _slice_rows_kernel,
    lambda splits, *, start, stop, step: [(splits.shape, splits.dtype),
                                          (TensorShape([None]), splits.dtype)],
    grad=None, num_outputs=2, public_name="tf.RaggedTensor.__getitem__")


def _splits_dtype(dtype):
    d = _dtypes.as_dtype(dtype)
    if d not in (_dtypes.int32, _dtypes.int64):
        raise ValueError(f"row_splits_dtype must be int32 or int64, got {d.name}.")
    return d


def _int_vector(value, dtype, fn: str, arg: str):
    t = int_tensor(value, fn, arg)
    if dtype is not None and t.dtype is not dtype:
        t = m.cast(t, dtype)
    return t


def _check_splits(splits, nvals, fn: str):
    """TensorFlow's checks of a row partition, run when the values are known (eager)."""
    s = constant_value(splits)
    if s is None:
        return
    s = np.asarray(s)
    why = None
    if s.ndim != 1 or len(s) == 0:
        why = "row_splits must be a non-empty vector"
    elif s[0] != 0:
        why = "zeroth element of row_splits must be 0"
    elif np.any(np.diff(s) < 0):
        why = "row_splits must be sorted in ascending order"
    elif nvals is not None and s[-1] != nvals:
        why = (f"Last row_splits value must equal the number of values: {int(s[-1])} vs. "
               f"{nvals}")
    if why:
        raise InvalidArgumentError(
            None, "RaggedTensorFromRowSplits",
            f"Arguments to {fn} do not form a valid RaggedTensor:{why}\nhint: row_splits "
            f"starts at 0, never decreases and ends at the number of values.")


def _nvals(values):
    if isinstance(values, RaggedTensor):
        return values._nrows_static()
    return values.shape[0] if values.shape.rank else None


def _as_values(values):
    return values if isinstance(values, RaggedTensor) else to_tensor(values)


def _binary(name: str, reflected: bool = False):
    def op(self, other):
        from rill.ops.ragged.ragged_ops import elementwise
        fn = getattr(m, name)
        args = (other, self) if reflected else (self, other)
        return elementwise(fn, args, api=f"tf.math.{name}")
    op.__name__ = name
    return op


# -- the value type -----------------------------------------------------------------------
class RaggedTensor(CompositeTensor):
    """A tensor with rows of different lengths (`tf.RaggedTensor`).

    >>> rt = tf.RaggedTensor.from_row_splits([3, 1, 4, 1, 5], row_splits=[0, 2, 2, 5])
    >>> rt.to_list()
    [[3, 1], [], [4, 1, 5]]
    """

    __slots__ = ("_values", "_row_splits")

    def __init__(self, values, row_splits, internal=False):
        if not internal:
            raise ValueError("RaggedTensor constructor is private; please use one of the "
                             "factory methods instead (e.g., RaggedTensor.from_row_lengths())"
                             "\nhint: tf.ragged.constant for Python lists, "
                             "tf.RaggedTensor.from_row_splits(values, row_splits) otherwise.")
        self._values = values
        self._row_splits = row_splits

    # -- factories -----------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True) -> RaggedTensor:
        """Row i is values[row_splits[i]:row_splits[i + 1]].

        >>> tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 1, 3]).to_list()
        [[1], [2, 3]]
        """
        values = _as_values(values)
        splits = _int_vector(row_splits, None, "tf.RaggedTensor.from_row_splits", "row_splits")
        if splits.dtype not in (_dtypes.int32, _dtypes.int64):
            splits = m.cast(splits, _dtypes.int64)
        if validate:
            _check_splits(splits, _nvals(values), "from_row_splits")
        return cls(values, splits, internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True) -> RaggedTensor:
        """Row i holds the next row_lengths[i] values.

        >>> tf.RaggedTensor.from_row_lengths([1, 2, 3], [2, 0, 1]).to_list()
        [[1, 2], [], [3]]
        """
        lengths = _int_vector(row_lengths, None, "from_row_lengths", "row_lengths")
        if lengths.dtype is _dtypes.int32 and not isinstance(row_lengths, Tensor):
            lengths = m.cast(lengths, _dtypes.int64)
        zero = _wrap(np.zeros(1, lengths.dtype._np))
        return cls.from_row_splits(values, concat([zero, cumsum(lengths)], 0),
                                   validate=validate)

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True) -> RaggedTensor:
        """Row i starts at values[row_starts[i]] (row_starts[0] is 0)."""
        values = _as_values(values)
        starts = _int_vector(row_starts, None, "from_row_starts", "row_starts")
        if starts.dtype is _dtypes.int32 and not isinstance(row_starts, Tensor):
            starts = m.cast(starts, _dtypes.int64)
        n = m.cast(_nrows_of(values), starts.dtype)
        return cls.from_row_splits(values, concat([starts, reshape(n, [1])], 0),
                                   validate=validate)

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True) -> RaggedTensor:
        """Row i ends before values[row_limits[i]]."""
        limits = _int_vector(row_limits, None, "from_row_limits", "row_limits")
        if limits.dtype is _dtypes.int32 and not isinstance(row_limits, Tensor):
            limits = m.cast(limits, _dtypes.int64)
        zero = _wrap(np.zeros(1, limits.dtype._np))
        return cls.from_row_splits(values, concat([zero, limits], 0), validate=validate)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None,
                          validate=True) -> RaggedTensor:
        """values[i] belongs to row value_rowids[i] (sorted); `nrows` defaults to the last
        row id + 1.

        >>> tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=4).to_list()
        [[1, 2], [], [3], []]
        """
        values = _as_values(values)
        rowids = _int_vector(value_rowids, None, "from_value_rowids", "value_rowids")
        if rowids.dtype is _dtypes.int32 and not isinstance(value_rowids, Tensor):
            rowids = m.cast(rowids, _dtypes.int64)
        if nrows is None:
            n = shape(rowids, out_type=rowids.dtype)[0]
            last = reduce_max(concat([_wrap(np.array([-1], rowids.dtype._np)), rowids], 0))
            nrows = m.add(last, _wrap(np.array(1, rowids.dtype._np)))
            del n
        else:
            nrows = m.cast(to_tensor(nrows), rowids.dtype)
        return cls(values, execute(ROW_IDS_TO_SPLITS, (rowids, nrows)), internal=True)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None,
                               validate=True) -> RaggedTensor:
        """A RaggedTensor with one ragged dimension per row-splits vector (outermost first)."""
        if isinstance(nested_row_splits, (Tensor, np.ndarray)):
            raise TypeError("nested_row_splits must be a list of Tensors.")
        result = _as_values(flat_values)
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None,
                                validate=True) -> RaggedTensor:
        """A RaggedTensor with one ragged dimension per row-lengths vector."""
        result = _as_values(flat_values)
        for lengths in reversed(list(nested_row_lengths)):
            result = cls.from_row_lengths(result, lengths, validate=validate)
        return result

    @classmethod
    def from_nested_value_rowids(cls, flat_values, nested_value_rowids, nested_nrows=None,
                                 name=None, validate=True) -> RaggedTensor:
        """A RaggedTensor with one ragged dimension per value-rowids vector."""
        rowids = list(nested_value_rowids)
        nrows = [None] * len(rowids) if nested_nrows is None else list(nested_nrows)
        result = _as_values(flat_values)
        for ids, n in reversed(list(zip(rowids, nrows))):
            result = cls.from_value_rowids(result, ids, n, validate=validate)
        return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=_dtypes.int64) -> RaggedTensor:
        """A RaggedTensor of a dense tensor: rows cut to `lengths`, or with trailing
        `padding` removed, or whole (`ragged_rank` outer dimensions become ragged).

        >>> tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], padding=0).to_list()
        [[1, 2], [3]]
        """
        from rill.ops.ragged import ragged_ops
        return ragged_ops.from_tensor(cls, tensor, lengths, padding, ragged_rank,
                                      _splits_dtype(row_splits_dtype))

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype=_dtypes.int64) -> RaggedTensor:
        """The RaggedTensor of a rank-2 SparseTensor in row-major order: row i holds the
        values stored in row i, left-aligned.

        >>> st = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 2, 3], [3, 4])
        >>> tf.RaggedTensor.from_sparse(st).to_list()
        [[1, 2], [], [3]]
        """
        if st_input.dense_shape.shape[0] not in (2, None):
            raise ValueError(f"rank(st_input) must be 2, got {st_input.dense_shape.shape[0]}.")
        rows = gather(st_input.indices, 0, axis=1)
        rows = m.cast(rows, _splits_dtype(row_splits_dtype))
        nrows = m.cast(st_input.dense_shape[0], rows.dtype)
        return cls(st_input.values, execute(ROW_IDS_TO_SPLITS, (rows, nrows)), internal=True)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True,
                                name=None) -> RaggedTensor:
        """Rows of `uniform_row_length` values each (stored as row splits)."""
        values = _as_values(values)
        k = m.cast(to_tensor(uniform_row_length), _dtypes.int64)
        n = m.cast(_nrows_of(values), _dtypes.int64)
        if nrows is None:
            nrows = m.floordiv(n, m.maximum(k, _wrap(np.int64(1))))
        from rill.ops.array_ops import range_
        splits = m.multiply(range_(0, m.add(m.cast(to_tensor(nrows), _dtypes.int64), 1), 1,
                                   dtype=_dtypes.int64), k)
        return cls(values, splits, internal=True)

    # -- structure -----------------------------------------------------------------------
    @property
    def values(self):
        """The concatenated rows (a tensor, or a RaggedTensor when nested)."""
        return self._values

    @property
    def row_splits(self):
        """The row-splits vector of the outermost ragged dimension."""
        return self._row_splits

    @property
    def flat_values(self):
        """The innermost values: a tensor with one row per stored element."""
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v._values
        return v

    @property
    def nested_row_splits(self) -> tuple:
        """The row splits of every ragged dimension, outermost first."""
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt._row_splits)
            rt = rt._values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        """The number of ragged dimensions."""
        v = self._values
        return 1 + (v.ragged_rank if isinstance(v, RaggedTensor) else 0)

    @property
    def dtype(self) -> _dtypes.DType:
        return self.flat_values.dtype

    @property
    def row_splits_dtype(self) -> _dtypes.DType:
        return self._row_splits.dtype

    @property
    def shape(self) -> TensorShape:
        """The static shape: nrows, None for each ragged dimension, then the inner dims."""
        inner = self.flat_values.shape
        rest = inner[1:] if inner.rank is not None else TensorShape(None)
        return TensorShape([self._nrows_static()] + [None] * self.ragged_rank).concatenate(
            rest)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def ndim(self):
        return self.shape.rank

    @property
    def uniform_row_length(self):
        return None

    def _nrows_static(self):
        n = self._row_splits.shape[0] if self._row_splits.shape.rank else None
        return None if n is None else n - 1

    def nrows(self, out_type=None, name=None):
        """The number of rows (a scalar of the row-splits dtype)."""
        n = m.subtract(shape(self._row_splits, out_type=self._row_splits.dtype)[0],
                       _wrap(np.array(1, self._row_splits.dtype._np)))
        return n if out_type is None else m.cast(n, out_type)

    def row_starts(self, name=None):
        """Where each row starts in `values`."""
        return self._row_splits[:-1]

    def row_limits(self, name=None):
        """Where each row ends in `values` (exclusive)."""
        return self._row_splits[1:]

    def row_lengths(self, axis=1, name=None):
        """The length of each row (axis 1), or of each row of a nested dimension."""
        if axis in (0, -self.shape.rank if self.shape.rank else 0):
            return self.nrows()
        if axis == 1:
            return m.subtract(self._row_splits[1:], self._row_splits[:-1])
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.row_lengths(axis - 1))
        raise ValueError(f"row_lengths: axis {axis} is not a ragged dimension.")

    def nested_row_lengths(self, name=None) -> tuple:
        """The row lengths of every ragged dimension, outermost first."""
        return tuple(m.subtract(s[1:], s[:-1]) for s in self.nested_row_splits)

    def value_rowids(self, name=None):
        """The row of each element of `values`."""
        return execute(ROW_IDS, (self._row_splits,))

    def nested_value_rowids(self, name=None) -> tuple:
        return tuple(execute(ROW_IDS, (s,)) for s in self.nested_row_splits)

    def bounding_shape(self, axis=None, name=None, out_type=None):
        """The smallest dense shape that holds every row (int64 vector, or one dimension).

        >>> tf.ragged.constant([[1, 2, 3], [4]]).bounding_shape().numpy()
        array([2, 3])
        """
        dtype = self._row_splits.dtype if out_type is None else _dtypes.as_dtype(out_type)
        dims = [m.cast(self.nrows(), dtype)]
        for s in self.nested_row_splits:
            lengths = m.subtract(s[1:], s[:-1])
            longest = reduce_max(concat([_wrap(np.zeros(1, s.dtype._np)), lengths], 0))
            dims.append(m.cast(longest, dtype))
        fv = self.flat_values
        inner = shape(fv, out_type=dtype)[1:]
        from rill.ops.manip_ops import stack
        out = concat([stack(dims), inner], 0)
        return out if axis is None else gather(out, axis)

    def with_values(self, new_values) -> RaggedTensor:
        """The same row partition (outermost) with new `values`."""
        new_values = _as_values(new_values)
        return RaggedTensor(new_values, self._row_splits, internal=True)

    def with_flat_values(self, new_values) -> RaggedTensor:
        """The same nested row partitions with new `flat_values`."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype) -> RaggedTensor:
        """The same RaggedTensor with row splits of `dtype` (int32 or int64)."""
        dtype = _splits_dtype(dtype)
        values = self._values.with_row_splits_dtype(dtype) \
            if isinstance(self._values, RaggedTensor) else self._values
        splits = self._row_splits if self._row_splits.dtype is dtype else \
            m.cast(self._row_splits, dtype)
        return RaggedTensor(values, splits, internal=True)

    def merge_dims(self, outer_axis, inner_axis) -> RaggedTensor:
        """Dimensions outer_axis..inner_axis merged into one.

        >>> tf.ragged.constant([[[1, 2], [3]], [[4]]]).merge_dims(0, 1).to_list()
        [[1, 2], [3], [4]]
        """
        from rill.ops.ragged import ragged_ops
        return ragged_ops.merge_dims(self, outer_axis, inner_axis)

    # -- conversions ---------------------------------------------------------------------
    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor padded with `default_value` (0) to the bounding shape, or cut or
        padded to `shape`.

        >>> tf.ragged.constant([[1, 2], [3]]).to_tensor(-1).numpy()
        array([[ 1,  2],
               [ 3, -1]], dtype=int32)
        """
        from rill.ops.ragged import ragged_ops
        return ragged_ops.to_tensor(self, default_value, shape)

    def to_sparse(self, name=None):
        """The SparseTensor of the stored elements (coordinates in row-major order)."""
        from rill.ops.ragged import ragged_ops
        return ragged_ops.to_sparse(self)

    def to_list(self) -> list:
        """The rows as nested Python lists (eager only).

        >>> tf.ragged.constant([[1, 2], [3]]).to_list()
        [[1, 2], [3]]
        """
        return _nested(self, lambda a: a.tolist())

    def numpy(self):
        """The rows as a NumPy array: rows of one length are stacked into one array, rows of
        different lengths make an object array of rows (eager only)."""
        values = self._values.numpy() if isinstance(self._values, RaggedTensor) else \
            self._eager(self._values)
        splits = self._eager(self._row_splits)
        rows = [values[a:b] for a, b in zip(splits[:-1], splits[1:])]
        if not rows:
            return np.zeros((0, 0) + values.shape[1:], dtype=values.dtype)
        if all(len(row) == len(rows[0]) for row in rows):
            return np.array(rows)
        out = np.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            out[i] = row
        return out

    @staticmethod
    def _eager(t) -> np.ndarray:
        if not isinstance(t, EagerTensor):
            raise ValueError("numpy() needs an eager RaggedTensor (not one traced inside "
                             "tf.function).\nhint: return it from the function and call "
                             "numpy() on the result.")
        return np.asarray(t._value)

    # -- printing ------------------------------------------------------------------------
    def __repr__(self) -> str:
        if not self._is_eager():
            return (f"tf.RaggedTensor(values={self._values!r}, row_splits="
                    f"{self._row_splits!r})")
        with np.printoptions(formatter={"all": _formatter}):
            text = _formatter(self.numpy())
        return f"<tf.RaggedTensor {text}>"

    __str__ = __repr__

    def _is_eager(self) -> bool:
        return all(isinstance(t, EagerTensor) for t in self._rill_components())

    # -- Python protocols ----------------------------------------------------------------
    def __getitem__(self, key):
        from rill.ops.ragged import ragged_getitem
        return ragged_getitem.getitem(self, key)

    def __iter__(self):
        if not self._is_eager():
            raise TypeError("Iterating over a symbolic tf.RaggedTensor is not allowed.\n"
                            "hint: use tf.map_fn, or tf.range with indexing.")
        return (self[i] for i in range(int(self.nrows())))

    def __bool__(self):
        raise TypeError("RaggedTensor may not be used as a boolean.")

    def __hash__(self):
        raise TypeError("RaggedTensor is unhashable.")

    __array_priority__ = 200

    # operators: elementwise on the flat values, as TensorFlow defines them for RaggedTensors
    __add__ = _binary("add")
    __radd__ = _binary("add", True)
    __sub__ = _binary("subtract")
    __rsub__ = _binary("subtract", True)
    __mul__ = _binary("multiply")
    __rmul__ = _binary("multiply", True)
    __truediv__ = _binary("truediv")
    __rtruediv__ = _binary("truediv", True)
    __floordiv__ = _binary("floordiv")
    __rfloordiv__ = _binary("floordiv", True)
    __mod__ = _binary("floormod")
    __rmod__ = _binary("floormod", True)
    __pow__ = _binary("pow")
    __rpow__ = _binary("pow", True)
    __lt__ = _binary("less")
    __le__ = _binary("less_equal")
    __gt__ = _binary("greater")
    __ge__ = _binary("greater_equal")
    __eq__ = _binary("equal")
    __ne__ = _binary("not_equal")
    __and__ = _binary("logical_and")
    __rand__ = _binary("logical_and", True)
    __or__ = _binary("logical_or")
    __ror__ = _binary("logical_or", True)
    __xor__ = _binary("logical_xor")
    __rxor__ = _binary("logical_xor", True)

    def __neg__(self):
        return self.with_flat_values(m.negative(self.flat_values))

    def __abs__(self):
        return self.with_flat_values(m.abs(self.flat_values))

    def __invert__(self):
        return self.with_flat_values(m.logical_not(self.flat_values))

    def consumers(self) -> list:
        return []

    # -- composite protocol --------------------------------------------------------------
    def _rill_components(self) -> list:
        return [self.flat_values] + list(self.nested_row_splits)

    def _rill_gradient_tensor(self):
        return self.flat_values  # as TensorFlow: gradients flow through the flat values

    def _rill_with_gradient(self, gradient) -> RaggedTensor:
        return self.with_flat_values(gradient)

    def _rill_with_components(self, components: list) -> RaggedTensor:
        result = components[0]
        for splits in reversed(components[1:]):
            result = RaggedTensor(result, splits, internal=True)
        return result

    def _rill_invariants(self) -> list:
        fv = self.flat_values.shape
        inner = TensorShape([None]).concatenate(fv[1:]) if fv.rank is not None else \
            TensorShape(None)
        return [inner] + [TensorShape([None])] * self.ragged_rank

    def _rill_key(self):
        return ("flat_values",) + tuple(f"row_splits_{i}" for i in range(self.ragged_rank))

    def _rill_spec(self):
        return RaggedTensorSpec.from_value(self)

    @classmethod
    def _rill_dispatch(cls, api, args, kwargs, fn=None):
        from rill.ops.ragged import ragged_ops
        return ragged_ops.dispatch(api, args, kwargs, fn)


def _nrows_of(values):
    if isinstance(values, RaggedTensor):
        return values.nrows()
    return shape(values, out_type=_dtypes.int64)[0]


def _nested(rt: RaggedTensor, leaf):
    """Rows of an eager RaggedTensor as nested lists whose innermost rows are `leaf(array)`."""
    splits = [np.asarray(s._value) for s in rt.nested_row_splits]
    fv = rt.flat_values
    if not isinstance(fv, EagerTensor):
        raise ValueError("to_list() and numpy() need an eager RaggedTensor (not one traced "
                         "inside tf.function).\nhint: return it from the function and call "
                         "them on the result.")
    values = np.asarray(fv._value)
    rows = [leaf(values[a:b]) for a, b in zip(splits[-1][:-1], splits[-1][1:])]
    for s in reversed(splits[:-1]):
        rows = [rows[a:b] for a, b in zip(s[:-1], s[1:])]
    return rows


def _formatter(x):
    if isinstance(x, np.ndarray):
        if x.size:
            return np.array2string(x, separator=", ")
        return repr(x.tolist())
    return str(x)


# -- RaggedTensorSpec ---------------------------------------------------------------------
class RaggedTensorSpec(TypeSpec):
    """Describes a RaggedTensor: shape (None for ragged dimensions), dtype, ragged_rank and
    row-splits dtype (`tf.RaggedTensorSpec`).

    >>> tf.RaggedTensorSpec([None, None], tf.int32)
    RaggedTensorSpec(TensorShape([None, None]), tf.int32, 1, tf.int64)
    """

    __slots__ = ("_shape", "_dtype", "_ragged_rank", "_row_splits_dtype", "_flat_values_spec")

    def __init__(self, shape=None, dtype=_dtypes.float32, ragged_rank=None,
                 row_splits_dtype=_dtypes.int64, flat_values_spec=None):
        self._shape = as_shape(shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self._row_splits_dtype = _splits_dtype(row_splits_dtype)
        rank = self._shape.rank
        if ragged_rank is None:
            if rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = rank - 1
        if rank is not None and not 0 <= ragged_rank < max(rank, 1):
            raise ValueError(f"ragged_rank must be non-negative and less than the rank "
                             f"{rank}, got {ragged_rank}.")
        self._ragged_rank = int(ragged_rank)
        self._flat_values_spec = flat_values_spec

    @classmethod
    def from_value(cls, value) -> RaggedTensorSpec:
        """The spec of a RaggedTensor."""
        return cls(value.shape, value.dtype, value.ragged_rank, value.row_splits_dtype)

    @property
    def ragged_rank(self) -> int:
        return self._ragged_rank

    @property
    def row_splits_dtype(self):
        return self._row_splits_dtype

    @property
    def flat_values_spec(self):
        return self._flat_values_spec

    @property
    def value_type(self):
        return RaggedTensor

    def is_compatible_with(self, other) -> bool:
        if isinstance(other, RaggedTensorSpec) or isinstance(other, RaggedTensor):
            return (other.dtype == self._dtype and other.ragged_rank == self._ragged_rank
                    and self._shape.is_compatible_with(other.shape))
        return False

    def _rill_component_specs(self) -> list:
        from rill.function.signature import TensorSpec
        s = self._shape
        if self._flat_values_spec is not None:
            fv = self._flat_values_spec
        elif s.rank is None:
            fv = TensorSpec(None, self._dtype)
        else:
            fv = TensorSpec(TensorShape([None]).concatenate(s[self._ragged_rank + 1:]),
                            self._dtype)
        n = s[0] if s.rank else None
        first = TensorSpec([None if n is None else n + 1], self._row_splits_dtype)
        rest = [TensorSpec([None], self._row_splits_dtype)
                for _ in range(self._ragged_rank - 1)]
        return [fv, first] + rest

    def _rill_from_components(self, components: list):
        result = components[0]
        for splits in reversed(components[1:]):
            result = RaggedTensor(result, splits, internal=True)
        return result

    _rill_value_type = RaggedTensor

    def _rill_key(self):
        return ("flat_values",) + tuple(f"row_splits_{i}" for i in range(self._ragged_rank))

    def _key(self) -> tuple:
        return (self._shape._dims, self._dtype.name, self._ragged_rank,
                self._row_splits_dtype.name)

    def __repr__(self) -> str:
        dims = None if self._shape.rank is None else self._shape.as_list()
        return (f"RaggedTensorSpec(TensorShape({dims}), {self._dtype!r}, {self._ragged_rank}, "
                f"{self._row_splits_dtype!r})")


__all__ = ["RaggedTensor", "RaggedTensorSpec", "boolean_mask", "where"]


__tf_names__ = {"tf ragged": "RaggedTensor RaggedTensorSpec"}
