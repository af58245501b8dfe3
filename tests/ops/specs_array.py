"""Op specs for rill/ops/array_ops.py, manip_ops.py, indexing_ops.py and
gather_scatter_ops.py (format: tests/ops/opspec.py).

Differentiable inputs are float64; index, shape and condition inputs are int or bool arrays,
which the harness passes as they are and never differentiates. `second_order` specs square
the op's output, so that the gradient of the gradient runs through the op's gradient ops.
"""

import numpy as np

from rill._core.op import execute
from rill.ops import array_ops as A
from rill.ops import gather_scatter_ops as GS
from rill.ops import indexing_ops as IX
from rill.ops import manip_ops as MA
from rill.ops import math_ops as M
from tests.ops.opspec import OpSpec, normal


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _const(value):
    return lambda rng: np.asarray(value)


def _sq(fn):
    """fn with its (first) output squared: makes second derivatives non-trivial."""
    return lambda *xs: M.multiply(fn(*xs), fn(*xs))


def _spec(ops, fn, makers, ref=None, square=False, **kw):
    if square:
        fn, r = _sq(fn), ref
        ref = None if r is None else (lambda *a: np.square(r(*a)))
        kw.setdefault("second_order", True)
    return OpSpec(ops, fn, _ins(*makers), ref=ref, **kw)


def _np_mirror_pad(x, p, mode):
    return np.pad(x, p, mode=mode.lower())


def _np_gather_grad(dy, idx, shape, axis):
    out = np.zeros(shape)
    moved = np.moveaxis(out, axis, 0)
    dyt = np.moveaxis(dy, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
    np.add.at(moved, idx, dyt)
    return out


def _np_scatter(indices, updates, shape):
    out = np.zeros(shape, updates.dtype)
    np.add.at(out, tuple(np.moveaxis(indices, -1, 0)), updates)
    return out


def _np_tensor_scatter(t, indices, updates, mode):
    out = t.copy()
    idx = tuple(np.moveaxis(indices, -1, 0))
    if mode == "update":
        out[idx] = updates
    elif mode == "add":
        np.add.at(out, idx, updates)
    elif mode == "sub":
        np.subtract.at(out, idx, updates)
    else:
        (np.minimum if mode == "min" else np.maximum).at(out, idx, updates)
    return out


def _np_one_hot(idx, depth, axis=-1):
    out = (idx[..., None] == np.arange(depth)).astype(np.float32)
    return np.moveaxis(out, -1, axis)


_IDX = _const(np.array([2, 0, 2, 1]))
_IDX2 = _const(np.array([[0, 3], [1, 1], [2, 0]]))
_KEY = (slice(None, None, -1), 1, None, slice(0, 3, 2))

SPECS = [
    # shape queries
    _spec(["Shape"], lambda x: execute(A.SHAPE, (x,), {"out_type": A._dtypes.int32}),
          [normal(2, 3)], ref=lambda x: np.array(x.shape), grad=False),
    _spec(["Rank"], lambda x: execute(A.RANK, (x,)), [normal(2, 3, 1)],
          ref=lambda x: np.int32(3), grad=False),
    _spec(["Size"], lambda x: execute(A.SIZE, (x,), {"out_type": A._dtypes.int64}),
          [normal(2, 3)], ref=lambda x: np.int64(6), grad=False),
    # reshaping
    _spec(["Reshape"], lambda x: A.reshape(x, [3, -1]), [normal(2, 3, 2)],
          ref=lambda x: x.reshape(3, -1), square=True),
    _spec(["Reshape"], lambda x, s: A.reshape(x, s), [normal(6), _const([2, 3])],
          ref=lambda x, s: x.reshape(s), name="Reshape[shape tensor]"),
    _spec(["Squeeze"], lambda x: A.squeeze(x, [0, 3]), [normal(1, 2, 3, 1)],
          ref=lambda x: x.reshape(2, 3), square=True),
    _spec(["Squeeze"], lambda x: A.squeeze(x), [normal(1, 2, 1)],
          ref=lambda x: x.reshape(2), name="Squeeze[all]"),
    _spec(["ExpandDims"], lambda x: execute(A.EXPAND_DIMS, (x,), {"axis": 1}),
          [normal(2, 3)], ref=lambda x: x[:, None], square=True),
    _spec(["Transpose"], lambda x: MA.transpose(x, [2, 0, 1]), [normal(2, 3, 4)],
          ref=lambda x: x.transpose(2, 0, 1), square=True),
    _spec(["Transpose"], lambda x, p: MA.transpose(x, p), [normal(2, 3), _const([1, 0])],
          ref=lambda x, p: x.T, name="Transpose[perm tensor]"),
    _spec(["ConjugateTranspose"],
          lambda x: M.real(MA.transpose(M.complex(x, M.multiply(x, 2.0)), conjugate=True)),
          [normal(2, 3)], ref=lambda x: x.T, square=True),
    _spec(["InvertPermutation"], lambda p: MA.invert_permutation(p), [_const([2, 0, 1, 3])],
          ref=lambda p: np.argsort(p), grad=False),
    _spec(["Tile"], lambda x: MA.tile(x, [2, 1, 3]), [normal(2, 3, 1)],
          ref=lambda x: np.tile(x, (2, 1, 3)), square=True),
    _spec(["BroadcastTo"], lambda x: A.broadcast_to(x, [2, 3, 4]), [normal(3, 1)],
          ref=lambda x: np.broadcast_to(x, (2, 3, 4)), square=True),
    _spec(["ReverseV2"], lambda x: MA.reverse(x, [0, 2]), [normal(2, 3, 4)],
          ref=lambda x: x[::-1, :, ::-1], square=True),
    _spec(["Roll"], lambda x: MA.roll(x, [1, -2], [0, 1]), [normal(3, 4)],
          ref=lambda x: np.roll(x, (1, -2), (0, 1)), square=True),
    # joining and splitting
    _spec(["ConcatV2"], lambda a, b: MA.concat([a, b], axis=1), [normal(2, 3), normal(2, 1)],
          ref=lambda a, b: np.concatenate([a, b], 1), square=True),
    _spec(["Pack"], lambda a, b: MA.stack([a, b], axis=-1), [normal(2, 3), normal(2, 3)],
          ref=lambda a, b: np.stack([a, b], -1), square=True),
    _spec(["Unpack"], lambda x: MA.unstack(x, axis=1), [normal(2, 3)],
          ref=lambda x: [x[:, i] for i in range(3)]),
    _spec(["Unpack"], lambda x: M.multiply(MA.unstack(x)[1], MA.unstack(x)[1]), [normal(3, 2)],
          ref=lambda x: x[1] ** 2, second_order=True, name="Unpack[one output used]"),
    _spec(["Split"], lambda x: MA.split(x, 2, axis=1), [normal(3, 4)],
          ref=lambda x: np.split(x, 2, 1)),
    _spec(["SplitV"], lambda x: [M.multiply(p, p) for p in MA.split(x, [1, -1, 2], axis=0)],
          [normal(6, 2)], ref=lambda x: [np.square(p) for p in np.split(x, [1, 4], 0)],
          second_order=True),
    _spec(["Split"], lambda x: M.multiply(MA.split(x, 3)[2], MA.split(x, 3)[2]), [normal(6)],
          ref=lambda x: x[4:] ** 2, second_order=True, name="Split[one output used]"),
    # padding
    _spec(["Pad"], lambda x: MA.pad(x, [[1, 0], [2, 3]]), [normal(2, 3)],
          ref=lambda x: np.pad(x, [[1, 0], [2, 3]]), square=True),
    _spec(["PadV2"], lambda x: MA.pad(x, [[0, 2]], constant_values=1.5), [normal(3)],
          ref=lambda x: np.pad(x, [[0, 2]], constant_values=1.5), square=True),
    _spec(["MirrorPad"], lambda x: MA.pad(x, [[1, 2], [2, 1]], "REFLECT"), [normal(4, 3)],
          ref=lambda x: _np_mirror_pad(x, [[1, 2], [2, 1]], "REFLECT"), square=True),
    _spec(["MirrorPad"], lambda x: MA.pad(x, [[3, 1], [0, 2]], "SYMMETRIC"), [normal(3, 2)],
          ref=lambda x: _np_mirror_pad(x, [[3, 1], [0, 2]], "SYMMETRIC"),
          name="MirrorPad[SYMMETRIC]"),
    _spec(["MirrorPadGrad"],
          lambda dy: execute(MA.MIRROR_PAD_GRAD, (dy, A.to_tensor(np.array([[1, 2], [0, 1]]))),
                             {"mode": "REFLECT"}),
          [normal(6, 4)], ref=None, square=True),
    # slicing and indexing
    _spec(["Slice"], lambda x: IX.slice_(x, [1, 0, 2], [2, -1, 1]), [normal(3, 2, 4)],
          ref=lambda x: x[1:3, :, 2:3], square=True),
    _spec(["StridedSlice"], lambda x: x[_KEY], [normal(4, 3, 5)], ref=lambda x: x[_KEY],
          square=True),
    _spec(["StridedSlice"], lambda x: x[..., -1], [normal(2, 3)], ref=lambda x: x[..., -1],
          name="StridedSlice[ellipsis]"),
    _spec(["StridedSlice"],
          lambda x: IX.strided_slice(x, [0, 1], [0, 3], [1, 2], begin_mask=1, end_mask=1),
          [normal(3, 4)], ref=lambda x: x[:, 1:3:2], name="StridedSlice[masks]"),
    _spec(["StridedSliceGrad"],
          lambda dy: execute(IX.STRIDED_SLICE_GRAD, (dy, A.to_tensor(np.array([4, 3]))),
                             {"key": (slice(None, None, 2), 1)}),
          [normal(2)], ref=lambda dy: np.array([[0, dy[0], 0], [0, 0, 0], [0, dy[1], 0],
                                                [0, 0, 0]]), square=True),
    # fills and sequences
    _spec(["Fill"], lambda v: A.fill([2, 3], v), [normal()],
          ref=lambda v: np.full((2, 3), v), square=True),
    _spec(["ZerosLike"], lambda x: execute(M.ZEROS_LIKE, (x,)), [normal(2, 2)],
          ref=lambda x: np.zeros((2, 2)), grad=False),
    _spec(["OnesLike"], lambda x: execute(M.ONES_LIKE, (x,)), [normal(2, 2)],
          ref=lambda x: np.ones((2, 2)), grad=False),
    _spec(["Range"], lambda s, lim, d: A.range_(s, lim, d),
          [_const(np.float64(1.0)), _const(np.float64(2.0)), _const(np.float64(0.25))],
          ref=lambda s, lim, d: np.arange(s, lim, d), grad=False),
    _spec(["LinSpace"], lambda a, b: A.linspace(a, b, 5, axis=1), [normal(2), normal(3, 1)],
          ref=lambda a, b: np.linspace(a, b, 5, axis=1), square=True),
    _spec(["OneHot"], lambda i: A.one_hot(i, 4, axis=0), [_IDX2],
          ref=lambda i: _np_one_hot(i, 4, 0), grad=False),
    # selection
    _spec(["Where"], lambda c: A.where(c), [_const([[True, False], [True, True]])],
          ref=lambda c: np.argwhere(c), grad=False),
    _spec(["SelectV2"], lambda c, x, y: A.where(c, x, y),
          [_const([True, False, True]), normal(2, 3), normal(1)],
          ref=lambda c, x, y: np.where(c, x, y), square=True),
    _spec(["Identity"], lambda x: A.identity(x), [normal(3)], ref=lambda x: x, square=True),
    _spec(["StopGradient"], lambda x: A.stop_gradient(x), [normal(3)], ref=lambda x: x,
          grad=False),
    # gather and scatter
    _spec(["GatherV2"], lambda x, i: GS.gather(x, i), [normal(3, 2), _IDX],
          ref=lambda x, i: x[i], square=True),
    _spec(["GatherV2"], lambda x, i: GS.gather(x, i, axis=1), [normal(2, 4, 2), _IDX2],
          ref=lambda x, i: np.take(x, i, 1), square=True, name="GatherV2[axis=1]"),
    _spec(["GatherV2"], lambda x, i: GS.gather(x, i, axis=2, batch_dims=1),
          [normal(3, 2, 4), _IDX2],
          ref=lambda x, i: np.stack([np.take(x[b], i[b], 1) for b in range(3)]),
          square=True, name="GatherV2[batch_dims]"),
    _spec(["_GatherGrad"],
          lambda dy, i: execute(GS.GATHER_GRAD, (dy, A.to_tensor(i),
                                                A.to_tensor(np.array([2, 4, 3]))),
                                {"axis": 1, "batch_dims": 0}),
          [normal(2, 3, 2, 3), _IDX2], ref=lambda dy, i: _np_gather_grad(dy, i, (2, 4, 3), 1),
          square=True),
    _spec(["GatherNd"], lambda x, i: GS.gather_nd(x, i),
          [normal(3, 4, 2), _const([[0, 1], [2, 3], [0, 1]])],
          ref=lambda x, i: x[i[:, 0], i[:, 1]], square=True),
    _spec(["GatherNd"], lambda x, i: GS.gather_nd(x, i, batch_dims=1),
          [normal(2, 3, 2), _const([[[1], [0]], [[2], [2]]])],
          ref=lambda x, i: np.stack([x[b][i[b, :, 0]] for b in range(2)]),
          name="GatherNd[batch_dims]"),
    _spec(["ScatterNd"], lambda i, u: GS.scatter_nd(i, u, [4, 2]),
          [_const([[0], [3], [0]]), normal(3, 2)],
          ref=lambda i, u: _np_scatter(i, u, (4, 2)), square=True),
    _spec(["TensorScatterUpdate"], lambda t, i, u: GS.tensor_scatter_nd_update(t, i, u),
          [normal(4, 2), _const([[1], [3]]), normal(2, 2)],
          ref=lambda t, i, u: _np_tensor_scatter(t, i, u, "update"), square=True),
    _spec(["TensorScatterAdd"], lambda t, i, u: GS.tensor_scatter_nd_add(t, i, u),
          [normal(3, 3), _const([[0, 1], [2, 2], [0, 1]]), normal(3)],
          ref=lambda t, i, u: _np_tensor_scatter(t, i, u, "add"), square=True),
    _spec(["TensorScatterSub"], lambda t, i, u: GS.tensor_scatter_nd_sub(t, i, u),
          [normal(3), _const([[2], [2]]), normal(2)],
          ref=lambda t, i, u: _np_tensor_scatter(t, i, u, "sub"), square=True),
    _spec(["TensorScatterMax"], lambda t, i, u: GS.tensor_scatter_nd_max(t, i, u),
          [normal(4, 2), _const([[1], [3], [1]]), normal(3, 2)],
          ref=lambda t, i, u: _np_tensor_scatter(t, i, u, "max"), square=True),
    _spec(["TensorScatterMin"], lambda t, i, u: GS.tensor_scatter_nd_min(t, i, u),
          [normal(3, 3), _const([[0, 1], [2, 2], [0, 1]]), normal(3)],
          ref=lambda t, i, u: _np_tensor_scatter(t, i, u, "min"), square=True),
    _spec(["_RepeatIndices", "GatherV2"], lambda x: GS.repeat(x, [2, 0, 1], axis=1),
          [normal(2, 3)], ref=lambda x: np.repeat(x, [2, 0, 1], axis=1), square=True),
    _spec(["LowerBound"], lambda s, v: A.searchsorted(s, v),
          [lambda rng: np.sort(rng.standard_normal((2, 5)), -1), normal(2, 3)],
          ref=lambda s, v: np.stack([np.searchsorted(s[i], v[i]) for i in range(2)]),
          grad=False),
    _spec(["UpperBound"], lambda s, v: A.searchsorted(s, v, side="right"),
          [_const([1.0, 2.0, 2.0, 3.0]), _const([2.0, 0.0, 5.0])],
          ref=lambda s, v: np.searchsorted(s, v, "right"), grad=False),
]
