"""Op specs for the RaggedTensor ops of rill/ops/ragged/ (format: tests/ops/opspec.py).

References are Python loops over the rows, written from the definitions (row i is
values[splits[i]:splits[i + 1]]).
"""

import numpy as np

from rill._core.op import execute
from rill.ops import math_ops as M
from rill.ops.ragged import ragged_ops as O
from rill.ops.ragged import ragged_tensor as T
from tests.ops.opspec import OpSpec

SPLITS = np.array([0, 2, 2, 5, 6], np.int64)  # rows of 2, 0, 3 and 1 values


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _const(value, dtype=np.int64):
    return lambda rng: np.asarray(value, dtype)


def _rows(splits, values):
    return [values[a:b] for a, b in zip(splits[:-1], splits[1:])]


def _rt(values, splits):
    return T.RaggedTensor.from_row_splits(values, splits)


def _ref_gather(splits, values, idx):
    rows = [_rows(splits, values)[i] for i in idx.tolist()]
    lengths = [len(r) for r in rows]
    return np.cumsum([0] + lengths), np.concatenate(rows)


def _ref_slice_rows(splits, values):
    rows = [r[1:] for r in _rows(splits, values)]
    return np.cumsum([0] + [len(r) for r in rows]), np.concatenate(rows)


def _ref_coords(splits, values):
    return np.array([[i, j] for i, r in enumerate(_rows(splits, values))
                     for j in range(len(r))], np.int64)


def _ref_range(starts, limits, deltas):
    rows = [list(range(a, b, d)) for a, b, d in zip(starts, limits, deltas)]
    return np.cumsum([0] + [len(r) for r in rows]), np.array(sum(rows, []), np.int32)


def _ref_column_sums(splits, values):
    rows = _rows(splits, values)
    out = np.zeros(max(len(r) for r in rows))
    for r in rows:
        out[:len(r)] += r
    return out


SPECS = [
    OpSpec("_RaggedValueRowIds", lambda s: execute(T.ROW_IDS, (s,)), _ins(_const(SPLITS)),
           ref=lambda s: np.repeat(np.arange(4), [2, 0, 3, 1]), grad=False),
    OpSpec("_RaggedRowIdsToSplits",
           lambda ids, n: execute(T.ROW_IDS_TO_SPLITS, (ids, n)),
           _ins(_const([0, 0, 2, 2, 2, 3]), _const(5)),
           ref=lambda ids, n: np.array([0, 2, 2, 5, 6, 6]), grad=False),
    OpSpec("_RaggedValueCoordinates", lambda s, v: O.coordinates(_rt(v, s)),
           _ins(_const(SPLITS), lambda rng: rng.standard_normal(6)), ref=_ref_coords,
           grad=False),
    OpSpec("_RaggedGatherRows",
           lambda s, v, idx: [O.gather_(_rt(v, s), idx).row_splits,
                              M.square(O.gather_(_rt(v, s), idx).values)],
           _ins(_const(SPLITS), lambda rng: rng.standard_normal(6), _const([3, 0, 2, 0])),
           ref=lambda s, v, idx: (lambda r: (r[0], np.square(r[1])))(_ref_gather(s, v, idx)),
           second_order=True),
    OpSpec("_RaggedSliceRows",
           lambda s, v: [_rt(v, s)[:, 1:].row_splits, _rt(v, s)[:, 1:].values],
           _ins(_const(SPLITS), lambda rng: rng.standard_normal(6)), ref=_ref_slice_rows),
    OpSpec("RaggedRange",
           lambda a, b, d: [O.range(a, b, d).row_splits, O.range(a, b, d).values],
           _ins(_const([3, 5, 1], np.int32), _const([5, 5, 8], np.int32),
                _const([1, 2, 3], np.int32)), ref=_ref_range, grad=False),
    OpSpec(["_RaggedReduceGroups", "UnsortedSegmentSum"],
           lambda s, v: O.reduce("sum", _rt(v, s), axis=0),
           _ins(_const(SPLITS), lambda rng: rng.standard_normal(6)), ref=_ref_column_sums),
]
