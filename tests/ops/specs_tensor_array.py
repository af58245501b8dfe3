"""Op specs for rill/ops/tensor_array_ops.py (format: tests/ops/opspec.py)."""

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


SPECS = [
    OpSpec(["TensorListSetItem"], lambda b, v: T.write_item(b, _i(1), v, False),
           lambda rng: [normal(3, 2)(rng), normal(2)(rng)], ref=lambda b, v: _set(b, 1, v),
           second_order=True),
    OpSpec(["TensorListSetItem"], lambda b, v: T.write_item(b, _i(4), v, True),
           lambda rng: [normal(2, 2)(rng), normal(2)(rng)], ref=_grown, second_order=True,
           name="TensorListSetItem:grow"),
    OpSpec(["TensorListSetItem"], lambda b, v: T.write_item(b, _i(0), v, False),
           lambda rng: [normal(3)(rng), normal(2)(rng)],
           ref=lambda b, v: _set(np.zeros((3, 2)), 0, v), name="TensorListSetItem:first"),
    OpSpec(["TensorListGetItem"], lambda b: T.read_item(b, _i(2)),
           lambda rng: [normal(4, 3)(rng)], ref=lambda b: b[2], second_order=True),
    OpSpec(["TensorArrayFit"], lambda x, like: T.fit(x, like),
           lambda rng: [normal(4, 2)(rng), normal(3, 2)(rng)],
           ref=lambda x, like: _fitted(x, 3), second_order=True),
    OpSpec(["TensorArrayFit"], lambda x, like: T.fit(x, like),
           lambda rng: [normal(2, 2)(rng), normal(3, 2)(rng)],
           ref=lambda x, like: _fitted(x, 3), name="TensorArrayFit:pad"),
    OpSpec(["TensorListReserve"],
           lambda n: execute(T.RESERVE, (n,), {"dtype": dtypes.float64,
                                               "element_shape": (2,)}),
           lambda rng: [np.int32(3)], ref=lambda n: np.zeros((3, 2)), grad=False),
]
