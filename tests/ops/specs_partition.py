"""Op specs for rill/ops/partition_ops.py (format: tests/ops/opspec.py).

References are Python loops over the rows; the gradients of DynamicPartition (a
DynamicStitch) and DynamicStitch (gathers) are checked numerically by the registry test.
"""

import numpy as np

from rill.ops import math_ops as M
from rill.ops import partition_ops as P
from tests.ops.opspec import OpSpec


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _ref_partition(data, parts, n):
    out = [[] for _ in range(n)]
    for idx in np.ndindex(parts.shape):
        out[parts[idx]].append(data[idx])
    tail = data.shape[parts.ndim:]
    return [np.array(o).reshape((len(o), *tail)) for o in out]


def _ref_stitch(indices, data):
    rows = {}
    for idx, d in zip(indices, data):
        for pos in np.ndindex(idx.shape):
            rows[int(idx[pos])] = d[pos]
    tail = data[0].shape[indices[0].ndim:]
    out = np.zeros((max(rows) + 1, *tail))
    for k, v in rows.items():
        out[k] = v
    return out


_PARTS = np.array([2, 0, 2, 1, 0], np.int32)
_PARTS2 = np.array([[1, 0, 1], [0, 0, 2]], np.int32)
_I0, _I1 = np.array([4, 0], np.int32), np.array([[1, 3], [2, 5]], np.int32)

SPECS = [
    OpSpec("DynamicPartition", lambda x, p: [M.square(t) for t in P.dynamic_partition(x, p, 3)],
           _ins(lambda rng: rng.standard_normal((5, 2)), lambda rng: _PARTS),
           ref=lambda x, p: [np.square(t) for t in _ref_partition(x, p, 3)], second_order=True),
    OpSpec("DynamicPartition", lambda x, p: P.dynamic_partition(x, p, 4),
           _ins(lambda rng: rng.standard_normal((2, 3)), lambda rng: _PARTS2),
           ref=lambda x, p: _ref_partition(x, p, 4), name="DynamicPartition[2-d, empty part]"),
    OpSpec("DynamicStitch", lambda a, b, i, j: M.square(P.dynamic_stitch([i, j], [a, b])),
           _ins(lambda rng: rng.standard_normal((2, 3)), lambda rng: rng.standard_normal((2, 2, 3)),
                lambda rng: _I0, lambda rng: _I1),
           ref=lambda a, b, i, j: np.square(_ref_stitch([i, j], [a, b])), second_order=True),
]
