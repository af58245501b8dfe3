"""Counting values into bins: `tf.histogram_fixed_width` (the `HistogramFixedWidth` op),
`tf.histogram_fixed_width_bins` and `tf.math.confusion_matrix` (built from other ops).
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops import array_ops, debugging_ops, manip_ops, reduction_ops
from rill.ops import math_ops as m
from rill.ops._util import op_error, to_tensor

_COUNT_DTYPES = (_dtypes.int32, _dtypes.int64)


def _check_range(lo, hi, nbins: int, op: str, fn: str):
    if nbins <= 0:
        raise op_error(op, fn, f"nbins should be a positive number, but got '{nbins}'",
                       "nbins is the number of bins, >= 1.")
    if not lo < hi:
        raise op_error(op, fn, f"value_range should satisfy value_range[0] < value_range[1], "
                       f"but got '[{lo:g}, {hi:g}]'", "value_range is [low, high].")


def _histogram_kernel(values, value_range, nbins, *, dtype):
    fn = "tf.histogram_fixed_width"
    if value_range.shape != (2,):
        raise op_error("HistogramFixedWidth", fn, "value_range should be a vector of 2 "
                       "elements.", "value_range is [low, high].")
    lo, hi = value_range.astype(np.float64)
    n = int(nbins)
    _check_range(lo, hi, n, "HistogramFixedWidth", fn)
    v = values.reshape(-1).astype(np.float64)
    if np.isnan(v).any():
        raise op_error("HistogramFixedWidth", fn, "Histogram values must not contain NaN",
                       "drop NaNs first: tf.boolean_mask(x, ~tf.math.is_nan(x)).")
    # values below the range count in the first bin, values above it in the last
    step = (hi - lo) / n
    bins = np.minimum(np.floor((np.maximum(v, lo) - lo) / step), n - 1).astype(np.int64)
    return np.bincount(bins, minlength=n).astype(dtype._np)


def _histogram_rule(values, value_range, nbins, *, dtype):
    n = constant_value(nbins)
    return TensorShape([None if n is None else int(n)]), dtype


HISTOGRAM_FIXED_WIDTH = defop("HistogramFixedWidth", _histogram_kernel, _histogram_rule,
                              grad=None, public_name="tf.histogram_fixed_width")


def _histogram_inputs(values, value_range, nbins, dtype, fn: str):
    dtype = _dtypes.as_dtype(dtype)
    if dtype not in _COUNT_DTYPES:
        raise op_error("HistogramFixedWidth", fn, f"dtype must be int32 or int64, got "
                       f"{dtype.name}", "the result holds counts or bin indices: tf.int32.")
    v = to_tensor(values)
    r = convert_to_tensor(value_range, dtype=v.dtype) if not hasattr(value_range, "dtype") \
        else to_tensor(value_range)
    if r.dtype is not v.dtype:
        r = m.cast(r, v.dtype)
    return v, r, convert_to_tensor(nbins, dtype=_dtypes.int32), dtype


def histogram_fixed_width(values, value_range, nbins=100, dtype=_dtypes.int32, name=None):
    """Counts of `values` in `nbins` equal bins over `value_range` = [low, high]; values
    below low count in the first bin, values at or above high in the last.

    >>> tf.histogram_fixed_width([-1., 0., 1.5, 2., 5., 15.], [0., 5.], nbins=5).numpy()
    array([2, 1, 1, 0, 2], dtype=int32)
    """
    v, r, n, dtype = _histogram_inputs(values, value_range, nbins, dtype,
                                       "tf.histogram_fixed_width")
    return execute(HISTOGRAM_FIXED_WIDTH, (v, r, n), {"dtype": dtype})


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=_dtypes.int32,
                               name=None):
    """The bin index of each of `values` among `nbins` equal bins over `value_range`
    ([low, high]); values outside the range go to the first or last bin.

    >>> tf.histogram_fixed_width_bins([-1., 0., 1.5, 2., 5., 15.], [0., 5.], nbins=5).numpy()
    array([0, 0, 1, 2, 4, 4], dtype=int32)
    """
    fn = "tf.histogram_fixed_width_bins"
    v, r, n, dtype = _histogram_inputs(values, value_range, nbins, dtype, fn)
    nv = constant_value(n)
    if nv is not None and int(nv) <= 0:
        raise op_error("HistogramFixedWidthBins", fn, f"nbins {int(nv)} must > 0",
                       "nbins is the number of bins, >= 1.")
    if not v.dtype.is_floating:
        v, r = m.cast(v, _dtypes.float64), m.cast(r, _dtypes.float64)
    nf = m.cast(n, v.dtype)
    scaled = m.divide(m.subtract(v, r[0]), m.subtract(r[1], r[0]))
    idx = m.clip_by_value(m.floor(m.multiply(nf, scaled)), 0, m.subtract(nf, 1))
    return m.cast(idx, dtype)


def _squeeze_last(a, b):
    ra, rb = a.shape.rank, b.shape.rank
    if ra is not None and rb is not None and ra == rb + 1 and a.shape[-1] == 1:
        return array_ops.squeeze(a, [-1]), b
    if ra is not None and rb is not None and rb == ra + 1 and b.shape[-1] == 1:
        return a, array_ops.squeeze(b, [-1])
    return a, b


def confusion_matrix(labels, predictions, num_classes=None, weights=None,
                     dtype=_dtypes.int32, name=None):
    """The `num_classes` x `num_classes` matrix whose entry [i, j] counts (or sums `weights`
    over) the examples with label i and prediction j. `num_classes` defaults to one more than
    the largest label or prediction.

    >>> tf.math.confusion_matrix([1, 2, 2], [2, 2, 0]).numpy()
    array([[0, 0, 0],
           [0, 0, 1],
           [1, 0, 1]], dtype=int32)
    """
    fn = "tf.math.confusion_matrix"
    dtype = _dtypes.as_dtype(dtype)
    lab = m.cast(to_tensor(labels), _dtypes.int64)
    pred = m.cast(to_tensor(predictions), _dtypes.int64)
    lab, pred = _squeeze_last(lab, pred)
    w = None if weights is None else m.cast(to_tensor(weights), dtype)
    if lab.shape.is_fully_defined() and pred.shape.is_fully_defined() and \
            lab.shape != pred.shape:
        raise InvalidArgumentError(
            None, "ConfusionMatrix", f"{fn}: labels and predictions must have one shape, got "
            f"{lab.shape} and {pred.shape}\nhint: one prediction for each label.")
    debugging_ops.assert_non_negative(lab, message="`labels` contains negative values.")
    debugging_ops.assert_non_negative(pred, message="`predictions` contains negative values.")
    if num_classes is None:
        both = manip_ops.concat([array_ops.reshape(lab, [-1]), array_ops.reshape(pred, [-1])], 0)
        n = m.add(reduction_ops.reduce_max(both), 1)
    else:
        n = m.cast(to_tensor(num_classes), _dtypes.int64)
        debugging_ops.assert_less(lab, n, message="`labels` out of bound")
        debugging_ops.assert_less(pred, n, message="`predictions` out of bound")
    flat = array_ops.reshape(m.add(m.multiply(lab, n), pred), [-1])
    vals = array_ops.ones_like(flat, dtype=dtype) if w is None else array_ops.reshape(w, [-1])
    counts = reduction_ops.unsorted_segment_sum(vals, flat, m.multiply(n, n))
    return array_ops.reshape(counts, manip_ops.stack([n, n]))


__tf_names__ = {
    "tf": "histogram_fixed_width histogram_fixed_width_bins",
    "math": "confusion_matrix",
}
