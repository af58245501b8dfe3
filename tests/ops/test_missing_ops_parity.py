"""Functions added to close gaps with TensorFlow: partition/stitch, confusion_matrix,
in_top_k, unravel_index, cumulative_logsumexp, angle, polyval, monotonicity checks,
nextafter, accumulate_n, histograms, as_string, bitcast, type_spec_from_value.

Expected values are derived by hand or with NumPy; the parity test runs one table of cases
under rill and, with RILL_TF_PYTHON (tests/conftest.py), under TensorFlow, and compares
values, dtypes and exception types.
"""

import doctest
import os
import sys

import numpy as np
import pytest

import rill as tf
from rill.ops import histogram_ops, math_misc_ops, partition_ops
from tests.conftest import run_json


@pytest.mark.parametrize("module", [partition_ops, math_misc_ops, histogram_ops])
def test_docstring_examples(module):
    result = doctest.testmod(module, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_partition_then_stitch_restores_data():
    data = np.arange(12.0).reshape(6, 2)
    parts = np.array([1, 0, 2, 1, 1, 0])
    pieces = tf.dynamic_partition(data, parts, 3)
    np.testing.assert_array_equal(pieces[1].numpy(), data[[0, 3, 4]])
    positions = tf.dynamic_partition(np.arange(6, dtype=np.int32), parts, 3)
    np.testing.assert_array_equal(tf.dynamic_stitch(positions, pieces).numpy(), data)


def test_stitch_gradient_is_gather_and_unfilled_rows_are_zero():
    a = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.dynamic_stitch([[3, 0]], [a])
        s = tf.reduce_sum(y * tf.constant([10.0, 20.0, 30.0, 40.0]))
    np.testing.assert_array_equal(y.numpy(), [2.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(tape.gradient(s, a).numpy(), [40.0, 10.0])


def test_confusion_matrix_counts_and_weights():
    lab, pred = [0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 0, 2]
    expected = np.zeros((3, 3), np.int32)
    for i, j in zip(lab, pred):
        expected[i, j] += 1
    np.testing.assert_array_equal(tf.math.confusion_matrix(lab, pred).numpy(), expected)
    w = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    with tf.GradientTape() as tape:
        tape.watch(w)
        m = tf.math.confusion_matrix(lab, pred, num_classes=4, weights=w, dtype=tf.float32)
        s = tf.reduce_sum(m * m)
    assert m.shape == (4, 4) and m.numpy()[2, 2] == 10.0 and m.numpy()[2, 0] == 5.0
    # d/dw_k of sum(m**2) is 2 * m[label_k, prediction_k]
    np.testing.assert_array_equal(tape.gradient(s, w).numpy(),
                                  [2.0, 4.0, 6.0, 20.0, 10.0, 20.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative"):
        tf.math.confusion_matrix([0, 1], [-1, 1])


def test_in_top_k_ties_and_non_finite():
    p = [[1.0, 3.0, 3.0, 0.0], [0.0, 1.0, 2.0, np.nan], [5.0, 1.0, 1.0, 1.0]]
    # row 0: target 2 ties with class 1 at the top; row 1 has a NaN; row 2: target 3 has one
    # strictly higher score
    np.testing.assert_array_equal(tf.math.in_top_k([2, 2, 3], p, 1).numpy(),
                                  [True, False, False])
    np.testing.assert_array_equal(tf.nn.in_top_k([2, 2, 3], p, 2).numpy(), [True, False, True])
    # out-of-range targets are never in the top k; row 2 target 0 is the highest score
    np.testing.assert_array_equal(tf.math.in_top_k([4, -1, 0], p, 4).numpy(),
                                  [False, False, True])


def test_unravel_index_matches_numpy():
    idx = np.array([0, 7, 59, 33], np.int32)
    np.testing.assert_array_equal(tf.unravel_index(idx, [3, 4, 5]).numpy(),
                                  np.stack(np.unravel_index(idx, (3, 4, 5))))


def test_cumulative_logsumexp_large_inputs_do_not_overflow():
    x = np.array([1000.0, 1000.0, 1000.0])
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(x).numpy(),
                               1000.0 + np.log([1.0, 2.0, 3.0]))


def test_small_math_functions():
    np.testing.assert_allclose(tf.math.angle(tf.constant([-2j, -1 + 0j])).numpy(),
                               [-np.pi / 2, np.pi])
    assert tf.math.polyval([2.0, 0.0, -1.0], tf.constant(3.0)).numpy() == 17.0
    assert tf.math.is_non_decreasing([[1, 2], [2, 5]]).numpy()
    assert not tf.math.is_strictly_increasing([[1, 2], [2, 5]]).numpy()
    one = tf.math.nextafter(tf.constant(1.0, tf.float64), tf.constant(0.0, tf.float64))
    assert one.numpy() == 1.0 - 2.0 ** -53
    a = tf.constant([[1, 2]])
    np.testing.assert_array_equal(tf.math.accumulate_n([a, a, a]).numpy(), [[3, 6]])


def test_histograms_by_hand():
    v = [0.0, 0.49, 0.5, 0.99, 1.0, -3.0, 7.0]
    # bins of width 0.25 over [0, 1): 0, 1, 2, 3, 3 (the high end), 0 (below), 3 (above)
    np.testing.assert_array_equal(tf.histogram_fixed_width_bins(v, [0.0, 1.0], 4).numpy(),
                                  [0, 1, 2, 3, 3, 0, 3])
    np.testing.assert_array_equal(tf.histogram_fixed_width(v, [0.0, 1.0], 4).numpy(),
                                  [2, 1, 1, 3])


def test_bitcast_round_trip_and_shapes():
    x = tf.constant([[1.5, -2.0]], tf.float64)
    b = tf.bitcast(x, tf.uint16)
    assert b.shape == (1, 2, 4)
    np.testing.assert_array_equal(tf.bitcast(b, tf.float64).numpy(), x.numpy())
    assert tf.bitcast(tf.constant(1.0), tf.int32).numpy() == 0x3F800000


def test_type_spec_from_value():
    assert tf.type_spec_from_value(tf.constant([1, 2])) == tf.TensorSpec([2], tf.int32)
    assert tf.type_spec_from_value(np.zeros((2, 3))) == tf.TensorSpec([2, 3], tf.float64)
    assert isinstance(tf.type_spec_from_value(tf.ragged.constant([[1], []])),
                      tf.RaggedTensorSpec)
    with pytest.raises(TypeError, match="hint"):
        tf.type_spec_from_value({"a": 1})


def test_as_string_is_top_level():
    assert tf.as_string([7]).numpy().tolist() == [b"7"]


# -- parity with TensorFlow --------------------------------------------------------------
CASES = r'''
nan, inf = float("nan"), float("inf")
CASES = [
 "tf.math.confusion_matrix([1, 2, 4], [2, 2, 4])",
 "tf.math.confusion_matrix([1, 2], [2, 2], num_classes=4, weights=[0.5, 1.5], dtype=tf.float32)",
 "tf.math.confusion_matrix([1., 2.], [2., 0.])",
 "tf.math.confusion_matrix([-1, 2], [2, 2])",
 "tf.math.confusion_matrix([1, 2, 4], [2, 2, 4], num_classes=3)",
 "tf.math.in_top_k([0, 1], [[1., 1., 0.], [0., 2., 1.]], 1)",
 "tf.math.in_top_k([2, 3], [[1., 1., 1.], [0., 2., 1.]], 1)",
 "tf.math.in_top_k([0, 1], [[nan, 1., 1.], [0., 2., inf]], 2)",
 "tf.math.in_top_k([0, 1], [[1., 1., 1.], [0., 2., 1.]], 0)",
 "tf.nn.in_top_k(tf.constant([0, 1], tf.int64), [[1., 1., 0.], [0., 2., 1.]], 5)",
 "tf.math.in_top_k([0, 1, 2], [[1., 1., 1.], [0., 2., 1.]], 1)",
 "tf.math.in_top_k([0., 1.], [[1., 1., 1.], [0., 2., 1.]], 1)",
 "tf.unravel_index([22, 41, 37], [7, 6])",
 "tf.unravel_index(5, [2, 3])",
 "tf.unravel_index([-1], [2, 3])",
 "tf.unravel_index(tf.constant([1], tf.int64), [2, 3])",
 "tf.unravel_index([6], [2, 3])",
 "tf.unravel_index([1], [2, 0])",
 "tf.dynamic_partition([10, 20, 30, 40], [0, 1, 0, 2], 3)",
 "tf.dynamic_partition([[1., 2.], [3., 4.]], [[0, 1], [1, 0]], 2)",
 "tf.dynamic_partition([1., 2.], [0, 2], 2)",
 "tf.dynamic_partition([1., 2.], [0, 1, 1], 2)",
 "tf.dynamic_partition([1., 2.], tf.constant([0, 1], tf.int64), 2)",
 "tf.dynamic_stitch([[0, 2], [1, 5]], [[1., 3.], [2., 4.]])",
 "tf.dynamic_stitch([[0, 2], [2]], [[1., 3.], [9.]])",
 "tf.dynamic_stitch([6, [4, 1], [[5, 2], [0, 3]]], [[61., 62.], [[41., 42.], [11., 12.]], "
 "[[[51., 52.], [21., 22.]], [[1., 2.], [31., 32.]]]])",
 "tf.dynamic_stitch([[0, -1]], [[1., 3.]])",
 "tf.dynamic_stitch([[0, 1]], [[1., 3., 4.]])",
 "tf.math.cumulative_logsumexp([1., 2., 3.])",
 "tf.math.cumulative_logsumexp([[1., 2.], [3., 4.]], axis=1, exclusive=True, reverse=True)",
 "tf.math.cumulative_logsumexp([-inf, -inf, 1.])",
 "tf.math.cumulative_logsumexp([1, 2, 3])",
 "tf.math.cumulative_logsumexp([[1., 2.], [3., 4.]], axis=2)",
 "tf.math.angle([-1., 2., 0.])",
 "tf.math.angle([1+1j, -1j])",
 "tf.math.angle([-1, 2])",
 "tf.math.polyval([1., 2., 3.], 2.)",
 "tf.math.polyval([], 2.)",
 "tf.math.polyval([1, 2], 2)",
 "tf.math.polyval(tf.constant([1., 2.]), 2.)",
 "tf.math.is_non_decreasing([[1, 1], [0, 3]])",
 "tf.math.is_non_decreasing([])",
 "tf.math.is_strictly_increasing([1., 2.])",
 "tf.math.is_non_decreasing(['a', 'b'])",
 "tf.math.nextafter([1., 0.], [2., -1.])",
 "tf.math.nextafter([1., 2.], [[2.], [0.]])",
 "tf.math.nextafter(tf.constant([1.], tf.float16), tf.constant([2.], tf.float16))",
 "tf.math.accumulate_n([tf.constant([1., 2.]), tf.constant([3., 4.])], shape=[2])",
 "tf.math.accumulate_n([[1., 2.], [3., 4.]])",
 "tf.math.accumulate_n([tf.constant([1., 2.]), tf.constant([3., 4.])], shape=[3])",
 "tf.math.accumulate_n([tf.constant([1., 2.])], tensor_dtype=tf.int32)",
 "tf.histogram_fixed_width([-1., 0., 1.5, 2., 5., 15.], [0., 5.], nbins=5)",
 "tf.histogram_fixed_width([1, 2, 3], [0, 4], nbins=2, dtype=tf.int64)",
 "tf.histogram_fixed_width([1.], [4., 0.], nbins=2)",
 "tf.histogram_fixed_width([1.], [0., 4.], nbins=0)",
 "tf.histogram_fixed_width([nan], [0., 4.], nbins=2)",
 "tf.histogram_fixed_width_bins([-1., 0., 1.5, 2., 5., 15.], [0., 5.], nbins=5)",
 "tf.histogram_fixed_width_bins([[1., 2.], [3., 4.]], [0., 4.], nbins=2)",
 "tf.histogram_fixed_width_bins([1., 3.], [2., 2.], nbins=2)",
 "tf.as_string([1.5, -2.25], precision=1, width=7)",
 "tf.as_string([3, 40], width=4, fill='0')",
 "tf.bitcast(tf.constant([1., 2.]), tf.uint8)",
 "tf.bitcast(tf.constant([[1, 2, 3, 4]], tf.uint8), tf.int32)",
 "tf.bitcast(tf.constant(1., tf.float64), tf.float32)",
 "tf.bitcast(tf.constant([1+2j], tf.complex64), tf.float32)",
 "tf.bitcast(tf.constant([1, 2, 3], tf.uint8), tf.int16)",
 "tf.bitcast(tf.constant([True]), tf.int8)",
 "repr(tf.type_spec_from_value(tf.constant([1., 2.])))",
 "repr(tf.type_spec_from_value([1, 2]))",
 "repr(tf.type_spec_from_value(tf.ragged.constant([[1], [2, 3]])))",
 "repr(tf.type_spec_from_value(tf.sparse.SparseTensor([[0, 0]], [1.], [2, 3])))",
 "repr(tf.type_spec_from_value(tf.TensorArray(tf.float32, size=2)))",
 "tf.type_spec_from_value(object())",
]
'''

SCRIPT = CASES + r'''
import json, sys
import numpy as np
import {module} as tf

def show(v):
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [show(t) for t in v]
    a = np.asarray(v)
    vals = [repr(b) for b in a.reshape(-1)] if a.dtype == object else np.where(
        np.isfinite(a), a, 0).tolist() if a.dtype.kind in "fc" and a.size else a.tolist()
    return [str(v.dtype.name), list(a.shape), str(vals) if a.dtype.kind == "c" else vals,
            np.isnan(a).tolist() if a.dtype.kind == "f" else None]

out = []
for case in CASES:
    try:
        out.append(show(eval(case)))
    except Exception as exc:
        out.append("error " + type(exc).__name__)
print(json.dumps(out))
'''


def _run(python, module):
    env = {"PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(__file__)))}
    return run_json(python, SCRIPT.replace("{module}", module), env=env)


def test_parity_with_tensorflow(tf_python):
    namespace = {}
    exec(CASES, namespace)
    ours = _run(sys.executable, "rill")
    theirs = _run(tf_python, "tensorflow")
    for case, a, b in zip(namespace["CASES"], ours, theirs):
        if isinstance(a, list) and a and isinstance(a[0], list) and isinstance(b, list):
            assert len(a) == len(b), case
            pairs = list(zip(a, b))
        else:
            pairs = [(a, b)]
        for x, y in pairs:
            if isinstance(x, list) and isinstance(y, list) and x[0] in ("float32", "float64"):
                assert x[0] == y[0] and x[1] == y[1] and x[3] == y[3], case
                np.testing.assert_allclose(x[2], y[2], rtol=1e-6, err_msg=case)
            else:
                assert x == y, case
