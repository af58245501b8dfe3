"""Op specs for rill/ops/tensor_array_ops.py (format: tests/ops/opspec.py).

The list ops return a `TensorList`; each spec ends in `TensorListStack` (or a read), so its
outputs are dense and comparable with NumPy, and gradients flow back through the lists.
"""

import numpy as np

from rill._core import dtypes
from rill._core.op import execute
from rill._core.tensor import wrap
from rill.ops import tensor_array_ops as T
from tests.ops.opspec import OpSpec, normal


def _i(i):
    return wrap(np.int32(i))


def _set(buffer, index, value):
    out = buffer.copy()
    out[index] = value
    return out


def _grown(buffer, value):
    out = np.zeros((5,) + buffer.shape[1:])
    out[:len(buffer)] = buffer
    out[4] = value
    return out


def _fitted(x, n):
    out = np.zeros((n,) + x.shape[1:])
    m = min(n, len(x))
    out[:m] = x[:m]
    return out


def _scattered(b, v):
    out = b.copy()
    out[[2, 0]] = v
    return out


def _write_then_stack(index, dynamic):
    def fn(b, v):
        return T.stack_items(T.write_item(T.from_tensor(b), _i(index), v, dynamic))
    return fn


SPECS = [
    OpSpec(["TensorListSetItem", "TensorListFromTensor", "TensorListStack"],
           _write_then_stack(1, False),
           lambda rng: [normal(3, 2)(rng), normal(2)(rng)], ref=lambda b, v: _set(b, 1, v),
           second_order=True),
    OpSpec(["TensorListSetItem", "TensorListResize"], _write_then_stack(4, True),
           lambda rng: [normal(2, 2)(rng), normal(2)(rng)], ref=_grown, second_order=True,
           name="TensorListSetItem:grow"),
    OpSpec(["TensorListSetItem"],
           lambda v: T.stack_items(T.write_item(
               execute(T.RESERVE, (_i(3),), {"dtype": dtypes.float64, "element_shape": None}),
               _i(0), v, False)),
           lambda rng: [normal(2)(rng)], ref=lambda v: _set(np.zeros((3, 2)), 0, v),
           name="TensorListSetItem:first"),
    OpSpec(["TensorListGetItem", "TensorListZerosLike"],
           lambda b: T.read_item(T.from_tensor(b), _i(2)),
           lambda rng: [normal(4, 3)(rng)], ref=lambda b: b[2], second_order=True),
    OpSpec(["TensorListGetItem"],  # a read of what an earlier version held
           lambda b, v: [T.read_item(lst, _i(1)) + T.read_item(
               T.write_item(lst, _i(1), v, False), _i(1))
               for lst in [T.from_tensor(b)]][0],
           lambda rng: [normal(3, 2)(rng), normal(2)(rng)], ref=lambda b, v: b[1] + v,
           second_order=True, name="TensorListGetItem:versions"),
    OpSpec(["TensorListResize"], lambda x, like: T.stack_items(T.resize(T.from_tensor(x),
                                                                        T.from_tensor(like))),
           lambda rng: [normal(4, 2)(rng), normal(3, 2)(rng)],
           ref=lambda x, like: _fitted(x, 3), second_order=True),
    OpSpec(["TensorListResize"], lambda x, like: T.stack_items(T.resize(T.from_tensor(x),
                                                                        T.from_tensor(like))),
           lambda rng: [normal(2, 2)(rng), normal(3, 2)(rng)],
           ref=lambda x, like: _fitted(x, 3), name="TensorListResize:pad"),
    OpSpec(["TensorListScatterIntoExistingList"],
           lambda b, v: T.stack_items(T.scatter_items(T.from_tensor(b), v,
                                                      wrap(np.array([2, 0], np.int32)), False)),
           lambda rng: [normal(3, 2)(rng), normal(2, 2)(rng)], ref=_scattered,
           second_order=True),
    # split into rows of lengths 1, 2, 3 (ragged elements), then concat them back
    OpSpec(["TensorListSplit", "TensorListConcat", "TensorListSplitLike"],
           lambda x: T.execute(T.CONCAT, [lst := T.execute(T.SPLIT, (
               x * x, wrap(np.array([1, 2, 3], np.int64)))), lst]),
           lambda rng: [normal(6, 2)(rng)], ref=lambda x: x * x, second_order=True),
    OpSpec(["TensorListReserve"],
           lambda n: T.stack_items(execute(T.RESERVE, (n,), {"dtype": dtypes.float64,
                                                              "element_shape": (2,)})),
           lambda rng: [np.int32(3)], ref=lambda n: np.zeros((3, 2)), grad=False),
]
