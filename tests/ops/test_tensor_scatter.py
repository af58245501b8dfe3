"""tf.tensor_scatter_nd_min / _max beside _add / _sub / _update: values against NumPy's
ufunc.at, dtypes, errors, and TensorFlow's gradient (the upstream gradient goes to every entry
equal to the result, split evenly between ties). Registry-wide checks (numerical gradients to
second order, traced equals eager) come from tests/ops/specs_array.py."""

import sys

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError
from tests.conftest import require_tf_python, run_json

FNS = {"min": (tf.tensor_scatter_nd_min, np.minimum), "max": (tf.tensor_scatter_nd_max,
                                                              np.maximum)}


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_values_against_numpy(mode, dtype):
    fn, ufunc = FNS[mode]
    rng = np.random.default_rng(1)
    t = (rng.standard_normal((4, 3)) * 10).astype(dtype)
    idx = np.array([[0], [3], [0], [2]])  # a repeated row
    u = (rng.standard_normal((4, 3)) * 10).astype(dtype)
    want = t.copy()
    ufunc.at(want, (idx[:, 0],), u)
    out = fn(t, idx, u)
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), want)
    # element coordinates (full index) and a traced call give the same
    eidx = np.array([[1, 2], [1, 2], [0, 0]])
    eu = np.array([5, -5, 7]).astype(dtype)
    want = t.copy()
    ufunc.at(want, (eidx[:, 0], eidx[:, 1]), eu)
    np.testing.assert_array_equal(tf.function(fn)(t, eidx, eu).numpy(), want)


def test_existing_family_members():
    for name in ("tensor_scatter_nd_add", "tensor_scatter_nd_sub", "tensor_scatter_nd_update",
                 "tensor_scatter_nd_min", "tensor_scatter_nd_max"):
        assert callable(getattr(tf, name)), name


def test_errors():
    with pytest.raises(InvalidArgumentError, match="does not index into shape"):
        tf.tensor_scatter_nd_max([1, 2, 3], [[3]], [1])
    with pytest.raises(InvalidArgumentError, match="dtype"):
        tf.tensor_scatter_nd_min(tf.constant([1.0, 2.0]), [[0]], tf.constant([1]))
    with pytest.raises(InvalidArgumentError, match="updates has shape"):
        tf.tensor_scatter_nd_min([1, 2, 3], [[0], [1]], [1])


def _grads(fn, x, idx, u, dy=None):
    x, u = tf.constant(x), tf.constant(u)
    with tf.GradientTape() as tape:
        tape.watch([x, u])
        y = fn(x, idx, u)
    gx, gu = tape.gradient(y, [x, u], output_gradients=dy)
    return y.numpy(), gx.numpy(), gu.numpy()


def test_gradient_splits_between_ties():
    # out[0] = max(1, 4, 4) = 4: the two updates tie and share; out[1], out[2] keep x
    y, gx, gu = _grads(tf.tensor_scatter_nd_max, [1.0, 5.0, 3.0], [[0], [2], [1], [0]],
                       [4.0, 2.0, 1.0, 4.0], tf.constant([6.0, 2.0, 3.0]))
    np.testing.assert_array_equal(y, [4.0, 5.0, 3.0])
    np.testing.assert_array_equal(gx, [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(gu, [3.0, 0.0, 0.0, 3.0])
    # a tie between the tensor's entry and one update: halves
    _, gx, gu = _grads(tf.tensor_scatter_nd_min, [2.0, 5.0], [[0], [1]], [2.0, 7.0])
    np.testing.assert_array_equal(gx, [0.5, 1.0])
    np.testing.assert_array_equal(gu, [0.5, 0.0])


PARITY = r'''
import json
import numpy as np
import {module} as tf
out = []
for fn in (tf.tensor_scatter_nd_min, tf.tensor_scatter_nd_max):
    x = tf.constant([[1., 5.], [3., 3.], [0., -1.]])
    u = tf.constant([[2., 5.], [3., -4.], [2., 5.]])
    idx = tf.constant([[0], [1], [0]])
    with tf.GradientTape() as tape:
        tape.watch([x, u])
        y = fn(x, idx, u)
        loss = tf.reduce_sum(y * tf.constant([[1., 2.], [3., 4.], [5., 6.]]))
    out.append([np.asarray(t).tolist() for t in [y] + tape.gradient(loss, [x, u])])
out.append(tf.tensor_scatter_nd_max([1, 5, 3], [[0], [2], [0]], [4, 2, 9]).numpy().tolist())
print(json.dumps(out))
'''


def _run(python, module):
    return run_json(python, PARITY.format(module=module))


def test_parity_with_tensorflow():
    theirs = _run(require_tf_python(), "tensorflow")
    assert _run(sys.executable, "rill") == theirs
