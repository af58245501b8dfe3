"""Segment reductions beyond sums: `tf.math.unsorted_segment_max/min/prod/mean/sqrt_n` and
`tf.math.segment_max/min/prod/mean` (the reductions of ragged and sparse tensors use them).

`unsorted_segment_sum` and `segment_sum` live in `reduction_ops`; the ops here follow them:
ids need not be sorted, negative ids are dropped, and empty segments hold the reduction's
identity (the dtype's lowest value for max, as TensorFlow's kernels do).
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as m
from rill.ops._util import check_kinds, to_tensor
from rill.ops.reduction_ops import (
    _segment_gather,
    _segment_ids,
    reduce_max,
    unsorted_segment_sum,
)


def _identity(kind: str, dtype: np.dtype):
    if kind == "prod":
        return 1
    if dtype.kind == "f":
        info = np.finfo(dtype)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
    else:
        info = np.finfo(np.float32)  # bfloat16 and friends
    return info.min if kind == "max" else info.max


def _segment_kernel(kind: str):
    ufunc = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}[kind]

    def kernel(data, ids, num_segments):
        n = int(num_segments)
        out = np.full((n,) + data.shape[ids.ndim:], _identity(kind, data.dtype), data.dtype)
        ids = ids.reshape(-1)
        flat = data.reshape((ids.size,) + data.shape[ids.ndim if ids.ndim else 1:]) \
            if ids.size else data.reshape((0,) + out.shape[1:])
        keep = (ids >= 0) & (ids < n)
        if ids.size and ids.max() >= n:
            from rill.ops._util import op_error
            bad = int(np.argmax(ids >= n))
            raise op_error(f"UnsortedSegment{kind.capitalize()}",
                           f"tf.math.unsorted_segment_{kind}",
                           f"segment_ids[{bad}] = {int(ids[bad])} is out of range [0, {n})",
                           "segment ids must be smaller than num_segments.")
        ufunc.at(out, ids[keep], flat[keep])
        return out
    return kernel


def _segment_rule(data, ids, num_segments):
    n = constant_value(num_segments)
    n = None if n is None else int(n)
    if data.shape.rank is None or ids.shape.rank is None:
        return TensorShape(None), data.dtype
    return TensorShape([n]).concatenate(data.shape[ids.shape.rank:]), data.dtype


def _min_max_grad(op, dy):
    # the maximum's gradient goes to the elements equal to it, shared among ties
    data, ids, n = op.inputs
    out = op.outputs[0]
    picked = m.equal(data, _segment_gather(out, ids))
    hits = m.cast(picked, dy.dtype)
    ties = unsorted_segment_sum(hits, ids, n)
    share = m.realdiv(_segment_gather(dy, ids), _segment_gather(m.maximum(ties, m.ones_like(
        ties)), ids))
    return m.multiply(hits, share), None, None


def _prod_grad(op, dy):
    # the product of the other elements, exact where data has zeros
    data, ids, n = op.inputs
    zero = m.equal(data, m.zeros_like(data))
    safe = m.select(zero, m.ones_like(data), data)
    nonzero_prod = unsorted_segment_prod(safe, ids, n)
    zeros = _segment_gather(unsorted_segment_sum(m.cast(zero, data.dtype), ids, n), ids)
    others = m.select(zero, m.select(m.equal(zeros, m.ones_like(zeros)),
                                     _segment_gather(nonzero_prod, ids), m.zeros_like(data)),
                      m.select(m.equal(zeros, m.zeros_like(zeros)),
                               m.realdiv(_segment_gather(op.outputs[0], ids), safe),
                               m.zeros_like(data)))
    return m.multiply(others, _segment_gather(dy, ids)), None, None


SEGMENT_MAX = defop("UnsortedSegmentMax", _segment_kernel("max"), _segment_rule,
                    _min_max_grad, public_name="tf.math.unsorted_segment_max")
SEGMENT_MIN = defop("UnsortedSegmentMin", _segment_kernel("min"), _segment_rule,
                    _min_max_grad, public_name="tf.math.unsorted_segment_min")
SEGMENT_PROD = defop("UnsortedSegmentProd", _segment_kernel("prod"), _segment_rule,
                     _prod_grad, public_name="tf.math.unsorted_segment_prod")


def _unsorted(opdef, kinds, data, segment_ids, num_segments):
    x = to_tensor(data)
    check_kinds(opdef, kinds, x, "data")
    ids = _segment_ids(segment_ids, opdef)
    n = m.cast(to_tensor(num_segments), _dtypes.int32)
    return execute(opdef, (x, ids, n))


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Maximum of the parts of `data` by segment id; empty segments hold the dtype's lowest
    value (`tf.math.unsorted_segment_max`).

    >>> tf.math.unsorted_segment_max(tf.constant([1, 5, 3]), [1, 1, 0], 2).numpy()
    array([3, 5], dtype=int32)
    """
    return _unsorted(SEGMENT_MAX, m.R, data, segment_ids, num_segments)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Minimum of the parts of `data` by segment id; empty segments hold the dtype's highest
    value (`tf.math.unsorted_segment_min`)."""
    return _unsorted(SEGMENT_MIN, m.R, data, segment_ids, num_segments)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Product of the parts of `data` by segment id; 1 for empty segments
    (`tf.math.unsorted_segment_prod`)."""
    return _unsorted(SEGMENT_PROD, m.N, data, segment_ids, num_segments)


def _counts(data, ids, n):
    ones = m.ones_like(m.cast(ids, data.dtype))
    count = unsorted_segment_sum(ones, ids, n)
    count = m.maximum(count, m.ones_like(count))
    rank = data.shape.rank
    extra = (rank or 1) - (ids.shape.rank or 1)
    if extra > 0:
        from rill.ops.array_ops import reshape
        count = reshape(count, [-1] + [1] * extra)
    return count


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Mean of the parts of `data` by segment id; 0 for empty segments
    (`tf.math.unsorted_segment_mean`)."""
    x = to_tensor(data)
    ids = to_tensor(segment_ids)
    return m.realdiv(unsorted_segment_sum(x, ids, num_segments), _counts(x, ids, num_segments))


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Sum of the parts of `data` by segment id divided by the square root of their count
    (`tf.math.unsorted_segment_sqrt_n`)."""
    x = to_tensor(data)
    ids = to_tensor(segment_ids)
    return m.realdiv(unsorted_segment_sum(x, ids, num_segments),
                     m.sqrt(_counts(x, ids, num_segments)))


def _num_segments(ids):
    ids = to_tensor(ids)
    return m.add(m.cast(reduce_max(ids), _dtypes.int32), 1) if ids.shape.num_elements() != 0 \
        else 0


def segment_max(data, segment_ids, name=None):
    """`unsorted_segment_max` for sorted ids; the number of segments is max(ids) + 1."""
    return unsorted_segment_max(data, segment_ids, _num_segments(segment_ids))


def segment_min(data, segment_ids, name=None):
    """`unsorted_segment_min` for sorted ids; the number of segments is max(ids) + 1."""
    return unsorted_segment_min(data, segment_ids, _num_segments(segment_ids))


def segment_prod(data, segment_ids, name=None):
    """`unsorted_segment_prod` for sorted ids; the number of segments is max(ids) + 1."""
    return unsorted_segment_prod(data, segment_ids, _num_segments(segment_ids))


def segment_mean(data, segment_ids, name=None):
    """`unsorted_segment_mean` for sorted ids; the number of segments is max(ids) + 1."""
    return unsorted_segment_mean(data, segment_ids, _num_segments(segment_ids))



__tf_names__ = {
    "math": "segment_max segment_mean segment_min segment_prod unsorted_segment_max "
            "unsorted_segment_mean unsorted_segment_min unsorted_segment_prod "
            "unsorted_segment_sqrt_n",
}
