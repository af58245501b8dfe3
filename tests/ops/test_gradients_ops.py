"""tf.gradients inside tf.function (rill/ops/gradients_ops.py): values against derivatives
worked by hand, grad_ys, stop_gradients, variables, unconnected sources, second order, the
eager error, and parity with TensorFlow."""

import doctest
import sys

import numpy as np
import pytest

import rill as tf
from rill.ops import gradients_ops
from tests.conftest import require_tf_python, run_json


def test_eager_call_raises_tensorflows_error():
    with pytest.raises(RuntimeError, match="^tf.gradients is not supported when eager "
                                           "execution is enabled. Use tf.GradientTape instead."):
        tf.gradients(tf.constant(1.0), tf.constant(2.0))


def test_values_of_several_ys_and_xs():
    @tf.function
    def f(x, y):
        a = x * x * y  # da/dx = 2xy, da/dy = x^2
        b = tf.sin(y)  # db/dy = cos y
        return tf.gradients([a, b], [x, y])

    gx, gy = f(tf.constant(3.0), tf.constant(0.5))
    assert float(gx) == pytest.approx(3.0)
    assert float(gy) == pytest.approx(9.0 + np.cos(0.5))


def test_grad_ys_weight_each_target():
    @tf.function
    def f(x):
        return tf.gradients([x * 2.0, x ** 2], x, grad_ys=[tf.constant([1.0, 0.0]),
                                                         tf.constant([3.0, 1.0])])[0]

    # 2 * [1, 0] + 2x * [3, 1] at x = [1, 2]
    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [8.0, 4.0])


def test_stop_gradients_and_unconnected():
    @tf.function
    def f(x, z):
        a = x * 2.0
        b = a + x  # with a stopped only the direct path counts
        stopped = tf.gradients(b, x, stop_gradients=[a])[0]
        full = tf.gradients(b, x)[0]
        none = tf.gradients(b, z)
        zero = tf.gradients(b, z, unconnected_gradients="zero")[0]
        return stopped, full, none, zero

    stopped, full, none, zero = f(tf.constant(1.0), tf.constant([1.0, 2.0]))
    assert float(stopped) == 1.0 and float(full) == 3.0
    assert none == [None] and zero.numpy().tolist() == [0.0, 0.0]


def test_variables_and_captured_tensors_as_sources():
    v = tf.Variable([1.0, -2.0])
    c = tf.constant([0.5, 4.0])

    @tf.function
    def f(x):
        y = tf.reduce_sum(v * v * x + c * x)  # d/dv = 2 v x, d/dc = x, d/dx = v^2 + c
        return tf.gradients(y, [v, c, x])

    gv, gc, gx = f(tf.constant([3.0, 1.0]))
    np.testing.assert_allclose(gv.numpy(), [6.0, -4.0])
    np.testing.assert_allclose(gc.numpy(), [3.0, 1.0])
    np.testing.assert_allclose(gx.numpy(), [1.5, 8.0])


def test_second_order_and_hessians():
    @tf.function
    def f(x):
        y = tf.reduce_sum(x ** 3)
        g = tf.gradients(y, x)[0]  # 3 x^2
        return g, tf.gradients(g, x)[0], tf.hessians(y, x)[0]

    g, gg, h = f(tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    np.testing.assert_allclose(gg.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))


def test_through_control_flow_and_gather():
    @tf.function
    def f(x):
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * x, lambda: -x)
        z = tf.reduce_sum(tf.gather(y, [0, 0, 1]))
        return tf.gradients(z, x)[0]

    g = f(tf.constant([2.0, 3.0]))
    np.testing.assert_allclose(tf.convert_to_tensor(g).numpy(), [8.0, 6.0])


def test_docstring_examples():
    result = doctest.testmod(gradients_ops, extraglobs={"tf": tf})
    assert result.attempted > 0 and result.failed == 0


PARITY = r'''
import json
import numpy as np
import {module} as tf
v = tf.Variable([1.0, -2.0])

@tf.function
def f(x):
    y = tf.tanh(x) * tf.reduce_sum(v * x)
    g = tf.gradients(y, [x, v], grad_ys=tf.constant([1.0, 2.0]))
    return g + tf.gradients(g[0], x) + tf.hessians(tf.reduce_sum(x ** 3 * v), x)

print(json.dumps([np.asarray(t).tolist() for t in f(tf.constant([0.3, 0.7]))]))
'''


def _run(python, module):
    return run_json(python, PARITY.format(module=module))


def test_parity_with_tensorflow():
    theirs = _run(require_tf_python(), "tensorflow")
    ours = _run(sys.executable, "rill")
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
