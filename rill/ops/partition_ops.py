"""`tf.dynamic_partition` and `tf.dynamic_stitch`: split a tensor's rows into groups by a
partition index, and interleave groups back by position. Each is the other's gradient.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops import array_ops, gather_scatter_ops
from rill.ops._util import op_error, to_tensor

_FN_P, _FN_S = "tf.dynamic_partition", "tf.dynamic_stitch"


# -- DynamicPartition ---------------------------------------------------------------------
def _partition_kernel(data, partitions, *, num_partitions):
    p = partitions.ndim
    if data.shape[:p] != partitions.shape:
        raise op_error("DynamicPartition", _FN_P,
                       f"data.shape must start with partitions.shape, got data.shape = "
                       f"{list(data.shape)}, partitions.shape = {list(partitions.shape)}",
                       "partitions holds one group index per leading element of data.")
    bad = np.flatnonzero((partitions < 0) | (partitions >= num_partitions))
    if bad.size:
        i = np.unravel_index(bad[0], partitions.shape)
        where = ",".join(str(int(k)) for k in i)
        raise op_error("DynamicPartition", _FN_P,
                       f"partitions[{where}] = {partitions[i]} is not in [0, {num_partitions})",
                       f"every partition index must be in [0, num_partitions={num_partitions}).")
    return tuple(data[partitions == k] for k in range(num_partitions))


def _partition_rule(data, partitions, *, num_partitions):
    tail = TensorShape(None)
    if data.shape.rank is not None and partitions.shape.rank is not None:
        tail = TensorShape(data.shape.as_list()[partitions.shape.rank:])
    return [(TensorShape([None]).concatenate(tail), data.dtype)] * num_partitions


def _partition_grad(op, *dys):
    data, partitions = op.inputs
    positions = array_ops.reshape(
        array_ops.range_(array_ops.size(partitions)), array_ops.shape(partitions))
    parts = dynamic_partition(positions, partitions, op.attrs["num_partitions"])
    stitched = dynamic_stitch(parts, list(dys))
    return array_ops.reshape(stitched, array_ops.shape(data)), None


DYNAMIC_PARTITION = defop("DynamicPartition", _partition_kernel, _partition_rule,
                          _partition_grad, num_outputs=None, public_name=_FN_P)


def dynamic_partition(data, partitions, num_partitions, name=None) -> list:
    """Splits `data` into `num_partitions` tensors: output k holds the elements (rows, for
    `partitions` of lower rank than `data`) whose partition index is k, in order.

    >>> [t.numpy().tolist() for t in tf.dynamic_partition([10, 20, 30, 40], [0, 1, 0, 2], 3)]
    [[10, 30], [20], [40]]
    """
    n = int(num_partitions)
    if n < 1:
        raise op_error("DynamicPartition", _FN_P,
                       f"Value for attr 'num_partitions' of {n} must be at least minimum 1",
                       "num_partitions is the number of output tensors.")
    x = to_tensor(data)
    p = convert_to_tensor(partitions, dtype=_dtypes.int32)
    return list(execute(DYNAMIC_PARTITION, (x, p), {"num_partitions": n}))


# -- DynamicStitch ------------------------------------------------------------------------
def _stitch_kernel(*args, n):
    indices, data = args[:n], args[n:]
    tail = None
    for i, (idx, d) in enumerate(zip(indices, data)):
        if d.shape[:idx.ndim] != idx.shape:
            raise op_error("DynamicStitch", _FN_S,
                           f"data[{i}].shape = {list(d.shape)} does not start with "
                           f"indices[{i}].shape = {list(idx.shape)}",
                           "data[i] holds one row for each entry of indices[i].")
        if tail is None:
            tail = d.shape[idx.ndim:]
        elif d.shape[idx.ndim:] != tail:
            raise op_error("DynamicStitch", _FN_S,
                           f"Need data[{i}].shape[{idx.ndim}:] = {list(d.shape[idx.ndim:])} "
                           f"to match data[0] (its rows are {list(tail)})",
                           "all rows of data must have one shape.")
    size = max((int(idx.max()) + 1 for idx in indices if idx.size), default=0)
    out = np.zeros((size, *tail), dtype=data[0].dtype)
    for idx, d in zip(indices, data):  # later entries overwrite earlier ones, as in TF
        flat = idx.reshape(-1)
        if flat.size and flat.min() < 0:
            raise op_error("DynamicStitch", _FN_S,
                           f"indices[{int(np.argmax(flat < 0))}] is out of range",
                           "indices must be non-negative.")
        out[flat] = d.reshape(flat.size, *tail)
    return out


def _stitch_rule(*args, n):
    indices, data = args[:n], args[n:]
    for d in data[1:]:
        if d.dtype is not data[0].dtype:
            raise TypeError(f"{_FN_S}: all data must have one dtype, got "
                            f"{data[0].dtype.name} and {d.dtype.name}.\nhint: tf.cast them.")
    tail = TensorShape(None)
    idx, d = indices[0], data[0]
    if idx.shape.rank is not None and d.shape.rank is not None:
        tail = TensorShape(d.shape.as_list()[idx.shape.rank:])
    return TensorShape([None]).concatenate(tail), data[0].dtype


def _stitch_grad(op, dy):
    n = op.attrs["n"]
    return (None,) * n + tuple(gather_scatter_ops.gather(dy, i) for i in op.inputs[:n])


DYNAMIC_STITCH = defop("DynamicStitch", _stitch_kernel, _stitch_rule, _stitch_grad,
                       public_name=_FN_S)


def dynamic_stitch(indices, data, name=None):
    """Interleaves the values of `data` into one tensor: `out[indices[m][i]] = data[m][i]`
    (rows, when `data[m]` has more dimensions than `indices[m]`). Positions that no index names
    are zero; where an index repeats, the last one wins.

    >>> tf.dynamic_stitch([[0, 2], [1, 3]], [[1., 3.], [2., 4.]]).numpy()
    array([1., 2., 3., 4.], dtype=float32)
    """
    if not isinstance(indices, (list, tuple)) or not isinstance(data, (list, tuple)) \
            or len(indices) != len(data) or not indices:
        raise ValueError(f"{_FN_S}: indices and data must be lists of one length >= 1, got "
                         f"{type(indices).__name__} and {type(data).__name__}.\nhint: "
                         f"tf.dynamic_stitch([i0, i1], [d0, d1]).")
    idx = [convert_to_tensor(i, dtype=_dtypes.int32) for i in indices]
    first = next((d for d in data if hasattr(d, "dtype")), data[0])
    dt = to_tensor(first).dtype
    ds = [convert_to_tensor(d, dtype=dt) for d in data]
    return execute(DYNAMIC_STITCH, (*idx, *ds), {"n": len(idx)})


__tf_names__ = {"tf": "dynamic_partition dynamic_stitch"}
