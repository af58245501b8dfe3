"""Op specs for rill/ops/sparse_ops.py and segment_ops.py (format: tests/ops/opspec.py).

References are dense NumPy computations or Python loops over the (index, value) pairs;
never the kernels' own code paths.
"""

import numpy as np

from rill.ops import math_ops as M
from rill.ops import segment_ops as SG
from rill.ops import sparse_ops as S
from tests.ops.opspec import OpSpec

IDX = np.array([[0, 1], [1, 0], [1, 2], [2, 3]], np.int64)  # row-major order
SHAPE = np.array([3, 4], np.int64)


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _const(value, dtype=np.int64):
    return lambda rng: np.asarray(value, dtype)


def _vals(n=4):
    return lambda rng: rng.standard_normal(n)


def _dense(idx, vals, shape, default=0.0):
    out = np.full(tuple(shape), default)
    for (i, j), v in zip(idx.tolist(), vals.tolist()):
        out[i, j] = v
    return out


def _sp(i, v, s):
    return S.SparseTensor(i, v, s)


def _ref_reorder(idx, vals, shape):
    pairs = sorted(zip(map(tuple, idx.tolist()), vals.tolist()))
    return np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs])


def _ref_add(ia, va, ib, vb, shape):
    d = {}
    for k, v in list(zip(map(tuple, ia.tolist()), va)) + list(zip(map(tuple, ib.tolist()), vb)):
        d[k] = d.get(k, 0.0) + v
    keys = sorted(d)
    return np.array(keys, np.int64), np.array([d[k] for k in keys])


def _ref_row_max(idx, vals, shape):
    out = np.zeros(shape[0])
    seen = set()
    for (i, _), v in zip(idx.tolist(), vals.tolist()):
        out[i] = v if i not in seen else max(out[i], v)
        seen.add(i)
    return out


def _ref_slice(idx, vals, shape, start, size):
    keep = [k for k, (i, j) in enumerate(idx.tolist())
            if start[0] <= i < start[0] + size[0] and start[1] <= j < start[1] + size[1]]
    return (idx[keep] - start).astype(np.int64), vals[keep]


def _ref_fill(idx, vals, shape):
    rows = {i for i, _ in idx.tolist()}
    entries = [(tuple(k), v) for k, v in zip(idx.tolist(), vals.tolist())]
    entries += [((r, 0), -1.0) for r in range(shape[0]) if r not in rows]
    entries.sort(key=lambda e: e[0][0])
    return (np.array([e[0] for e in entries], np.int64), np.array([e[1] for e in entries]),
            np.array([r not in rows for r in range(shape[0])]))


def _ref_segment(kind):
    def ref(data, ids):
        n = 3
        init = {"max": np.finfo(data.dtype).min, "min": np.finfo(data.dtype).max,
                "prod": 1.0}[kind]
        out = np.full((n,) + data.shape[1:], init)
        for row, i in zip(data, ids.tolist()):
            out[i] = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}[kind](out[i],
                                                                                      row)
        return out
    return ref


SPECS = [
    OpSpec("SparseToDense", lambda i, v, s: S.to_dense(_sp(i, v, s)),
           _ins(_const(IDX), _vals(), _const(SHAPE)), ref=_dense),
    OpSpec("SparseToDense", lambda i, v, s: M.square(S.to_dense(_sp(i, v, s), 2.5)),
           _ins(_const(IDX), _vals(), _const(SHAPE)),
           ref=lambda i, v, s: np.square(_dense(i, v, s, 2.5)), second_order=True,
           name="SparseToDense:default"),
    OpSpec("_SparseReorder",
           lambda i, v, s: [S.reorder(_sp(i, v, s)).indices, S.reorder(_sp(i, v, s)).values],
           _ins(_const(IDX[[2, 0, 3, 1]]), _vals(), _const(SHAPE)), ref=_ref_reorder),
    OpSpec("SparseTensorDenseMatMul",
           lambda i, v, s, b: S.sparse_dense_matmul(_sp(i, v, s), b),
           _ins(_const(IDX), _vals(), _const(SHAPE), lambda rng: rng.standard_normal((4, 2))),
           ref=lambda i, v, s, b: _dense(i, v, s) @ b, second_order=True),
    OpSpec("SparseTensorDenseMatMul",
           lambda i, v, s, b: S.sparse_dense_matmul(_sp(i, v, s), b, adjoint_a=True,
                                                    adjoint_b=True),
           _ins(_const(IDX), _vals(), _const(SHAPE), lambda rng: rng.standard_normal((2, 3))),
           ref=lambda i, v, s, b: _dense(i, v, s).T @ b.T, name="SparseTensorDenseMatMul:adj"),
    OpSpec("_SparseUnionIndices",
           lambda ia, va, ib, vb, s: [S.add(_sp(ia, va, s), _sp(ib, vb, s)).indices,
                                      S.add(_sp(ia, va, s), _sp(ib, vb, s)).values],
           _ins(_const(IDX), _vals(), _const([[0, 1], [0, 2], [2, 3]]), _vals(3),
                _const(SHAPE)), ref=_ref_add),
    OpSpec(["_SparseReduceIndices", "UnsortedSegmentMax"],
           lambda i, v, s: S.reduce_max(_sp(i, v, s), axis=1),
           _ins(_const(IDX), _vals(), _const(SHAPE)), ref=_ref_row_max),
    OpSpec("_SparseReduceIndices", lambda i, v, s: S.reduce_sum(_sp(i, v, s), axis=0),
           _ins(_const(IDX), _vals(), _const(SHAPE)),
           ref=lambda i, v, s: _dense(i, v, s).sum(0), name="_SparseReduceIndices:sum"),
    OpSpec("SparseReshape",
           lambda i, v, s: S.to_dense(S.reshape(_sp(i, v, s), [2, -1])),
           _ins(_const(IDX), _vals(), _const(SHAPE)),
           ref=lambda i, v, s: _dense(i, v, s).reshape(2, 6)),
    OpSpec("_SparseSlice",
           lambda i, v, s, a, b: [S.slice(_sp(i, v, s), a, b).indices,
                                  S.slice(_sp(i, v, s), a, b).values],
           _ins(_const(IDX), _vals(), _const(SHAPE), _const([1, 0]), _const([2, 3])),
           ref=_ref_slice),
    OpSpec("_SparseFillEmptyRows",
           lambda i, v, s: list(_fill(i, v, s)),
           _ins(_const([[1, 1], [1, 3]]), _vals(2), _const(SHAPE)), ref=_ref_fill),
    OpSpec("UnsortedSegmentMax", lambda x, ids: SG.unsorted_segment_max(x, ids, 3),
           _ins(lambda rng: rng.standard_normal((5, 2)), _const([0, 2, 0, 2, 1], np.int32)),
           ref=_ref_segment("max"), name="UnsortedSegmentMax:dense"),
    OpSpec("UnsortedSegmentMin", lambda x, ids: SG.unsorted_segment_min(x, ids, 3),
           _ins(lambda rng: rng.standard_normal((5, 2)), _const([0, 2, 0, 2, 1], np.int32)),
           ref=_ref_segment("min")),
    OpSpec("UnsortedSegmentProd", lambda x, ids: SG.unsorted_segment_prod(x, ids, 3),
           _ins(lambda rng: rng.standard_normal((5, 2)), _const([0, 2, 0, 2, 1], np.int32)),
           ref=_ref_segment("prod"), second_order=True),
]


def _fill(i, v, s):
    st, empty = S.fill_empty_rows(_sp(i, v, s), -1.0)
    return st.indices, st.values, empty
