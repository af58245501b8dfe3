"""Op specs for rill/ops/misc_ops.py (format: tests/ops/opspec.py).

References are written independently of the kernels: Python loops and dicts, or NumPy
formulas other than the ones the kernels use.
"""

import numpy as np

from rill.ops import math_ops as M
from rill.ops import misc_ops as X
from tests.ops.opspec import OpSpec


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _const(value, dtype=np.int32):
    return lambda rng: np.asarray(value, dtype=dtype)


def _away_from_integers(rng, shape):
    """Floats whose quotient by 2.5 stays away from whole numbers (truncation jumps there)."""
    q = rng.integers(-4, 5, shape) + rng.uniform(0.2, 0.8, shape)
    return q * 2.5


def _ref_truncdiv(x, y):
    out = np.empty(np.broadcast_shapes(x.shape, y.shape), dtype=x.dtype)
    for idx in np.ndindex(out.shape):
        a, b = int(np.broadcast_to(x, out.shape)[idx]), int(np.broadcast_to(y, out.shape)[idx])
        q = abs(a) // abs(b)
        out[idx] = q if (a >= 0) == (b > 0) else -q
    return out


def _ref_unique_counts(x):
    order, counts = [], {}
    for v in x.tolist():
        if v not in counts:
            order.append(v)
            counts[v] = 0
        counts[v] += 1
    idx = [order.index(v) for v in x.tolist()]
    return (np.array(order, x.dtype), np.array(idx, np.int32),
            np.array([counts[v] for v in order], np.int32))


def _ref_reverse_sequence(x, lengths, seq_axis, batch_axis):
    out = x.copy()
    for b, n in enumerate(lengths.tolist()):
        for j in range(n):
            src = [slice(None)] * x.ndim
            dst = [slice(None)] * x.ndim
            src[batch_axis] = dst[batch_axis] = b
            src[seq_axis], dst[seq_axis] = n - 1 - j, j
            out[tuple(dst)] = x[tuple(src)]
    return out


SPECS = [
    OpSpec("EnsureShape", lambda x: M.square(X.ensure_shape(x, [None, 3])),
           _ins(lambda rng: rng.standard_normal((2, 3))), ref=np.square, second_order=True),
    OpSpec("BroadcastArgs", X.broadcast_dynamic_shape,
           _ins(_const([4, 1, 3]), _const([5, 1])), ref=lambda a, b: np.array([4, 5, 3]),
           grad=False),
    OpSpec("TruncateDiv", X.truncatediv,
           _ins(_const([7, -7, 7, -7, 0, 9]), _const([2, 2, -2, -2, 3, -4])),
           ref=_ref_truncdiv, grad=False, name="TruncateDiv_int"),
    OpSpec("TruncateDiv", X.truncatediv,
           _ins(lambda rng: _away_from_integers(rng, (2, 3)), _const([2.5], np.float64)),
           ref=lambda x, y: np.sign(x / y) * np.floor(np.abs(x / y)), grad=False,
           name="TruncateDiv_float"),
    OpSpec("TruncateMod", X.truncatemod,
           _ins(_const([7, -7, 7, -7, 0, 9]), _const([2, 2, -2, -2, 3, -4])),
           ref=lambda x, y: x - _ref_truncdiv(x, y) * y, grad=False, name="TruncateMod_int"),
    OpSpec("TruncateMod", lambda x, y: M.square(X.truncatemod(x, y)),
           _ins(lambda rng: _away_from_integers(rng, (2, 3)),
                lambda rng: rng.uniform(2.4, 2.6, (3,))),
           ref=lambda x, y: np.square(x - np.sign(x / y) * np.floor(np.abs(x / y)) * y),
           second_order=True, name="TruncateMod_float"),
    OpSpec("UniqueWithCounts", lambda x: list(X.unique_with_counts(x)),
           _ins(_const([4, 1, 4, 2, 1, 4])), ref=_ref_unique_counts, grad=False),
    OpSpec("ReverseSequence",
           lambda x, n: M.square(X.reverse_sequence(x, n, seq_axis=2, batch_axis=1)),
           _ins(lambda rng: rng.standard_normal((2, 3, 4)), _const([2, 4, 0])),
           ref=lambda x, n: np.square(_ref_reverse_sequence(x, n, 2, 1)), second_order=True),
    OpSpec("Timestamp", X.timestamp, lambda rng: [], grad=False),
]


def _ref_unravel(i, d):
    out = np.zeros((len(d), len(i)), i.dtype)
    for col, flat in enumerate(i):
        for row in range(len(d) - 1, -1, -1):
            flat, out[row, col] = divmod(int(flat), int(d[row]))
    return out


def _ref_bitcast_u8(x):
    return np.array([list(v.tobytes()) for v in x.reshape(-1)], np.uint8).reshape(
        *x.shape, x.dtype.itemsize)


SPECS += [
    OpSpec("UnravelIndex", X.unravel_index,
           _ins(lambda rng: rng.integers(0, 60, 7).astype(np.int32), _const([3, 4, 5])),
           ref=_ref_unravel, grad=False),
    OpSpec("Bitcast", lambda x: X.bitcast(M.cast(x, "float32"), "uint8"),
           _ins(lambda rng: rng.standard_normal((2, 3))),
           ref=lambda x: _ref_bitcast_u8(x.astype(np.float32)), grad=False),
]
