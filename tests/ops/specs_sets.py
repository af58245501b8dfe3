"""Op specs for rill/ops/sets_ops.py and queue_ops.py (format: tests/ops/opspec.py).

Set references use Python sets row by row; queue references are the values enqueued.
"""

import numpy as np

from rill._core import dtypes
from rill.ops import queue_ops as Q
from rill.ops import sets_ops as SE
from rill.ops import sparse_ops as S
from tests.ops.opspec import OpSpec


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _const(value, dtype=np.int32):
    return lambda rng: np.asarray(value, dtype)


def _ref_union(a, b):
    rows = [sorted(set(x) | set(y)) for x, y in zip(a.tolist(), b.tolist())]
    width = max(len(r) for r in rows)
    return np.array([r + [0] * (width - len(r)) for r in rows], np.int32)


def _roundtrip(x):
    q = Q.FIFOQueue(10, dtypes.float64, shapes=[(2,)])
    q.enqueue_many(x)
    closed_before = q.is_closed()
    first = q.dequeue()
    q.close()
    rest = q.dequeue_many(int(q.size()))
    return [first, rest, closed_before, q.is_closed()]


SPECS = [
    OpSpec("SparseToSparseSetOperation", lambda a, b: S.to_dense(SE.union(a, b)),
           _ins(_const([[2, 3, 5, 7], [7, 9, 0, 0]]), _const([[4, 5, 6], [9, 10, 0]])),
           ref=_ref_union, grad=False),
    OpSpec("SetSize", lambda i, v, s: SE.size(S.SparseTensor(i, v, s)),
           _ins(_const([[0, 0], [0, 1], [1, 0], [1, 2]], np.int64), _const([4, 4, 1, 2]),
                _const([3, 3], np.int64)),
           ref=lambda i, v, s: np.array([1, 2, 0], np.int32), grad=False),
    OpSpec(["QueueEnqueueV2", "QueueDequeueV2", "QueueSizeV2", "QueueCloseV2",
            "QueueIsClosedV2"], _roundtrip, _ins(lambda rng: rng.standard_normal((3, 2))),
           ref=lambda x: [x[0], x[1:], np.bool_(False), np.bool_(True)], grad=False),
]
