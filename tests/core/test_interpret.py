"""The one graph interpreter (`rill._core.graph.interpret`) and its "ops needed" walk."""

import numpy as np
import pytest

import rill as tf
from rill._core.graph import interpret, needed_ops


def _graph(fn, *specs):
    cf = tf.function(fn).get_concrete_function(*specs)
    return cf.graph


def _two_branches(x, y):
    used = x * 2.0 + 3.0
    unused = tf.exp(y)  # noqa: F841 - an op the output does not need
    return used


def _run_kernels(op, values):
    out = op.opdef.kernel(*values, **op.attrs)
    return (out,) if op.opdef.num_outputs == 1 else tuple(out)


def test_needed_ops_are_the_ancestors_in_graph_order():
    g = _graph(_two_branches, tf.TensorSpec([3]), tf.TensorSpec([3]))
    out = g.outputs[0]
    ops = needed_ops(g, [out])
    assert "Exp" not in [op.type for op in ops]
    positions = [g.operations.index(op) for op in ops]
    assert positions == sorted(positions)
    chosen = {id(op) for op in ops}
    assert id(out.op) in chosen
    assert all(id(x.op) in chosen for op in ops for x in op.inputs)  # closed under inputs
    # roots add what they need: the Exp and the placeholder it reads
    exp = next(op for op in g.operations if op.type == "Exp")
    assert exp in needed_ops(g, [out], [exp])


def test_kernels_on_numpy_values():
    g = _graph(_two_branches, tf.TensorSpec([3]), tf.TensorSpec([3]))
    x = np.array([1.0, -2.0, 0.5], np.float32)
    (got,) = interpret(g, g.inputs, [x, np.zeros(3, np.float32)], g.outputs, _run_kernels)
    np.testing.assert_allclose(got, 2 * x + 3)


def test_replay_is_recorded_on_tapes():
    g = _graph(lambda x: x * x * 3.0, tf.TensorSpec([2]))
    x = tf.constant([1.0, -4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        (y,) = interpret(g, g.inputs, [x], g.outputs)
    np.testing.assert_allclose(y.numpy(), [3.0, 48.0])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0, -24.0])  # d(3x^2) = 6x


def test_replayed_op_errors_name_the_op_and_the_users_line():
    g = _graph(lambda x: tf.reshape(x, [2, 2]), tf.TensorSpec([None]))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        interpret(g, g.inputs, [tf.constant([1.0, 2.0, 3.0])], g.outputs)
    text = str(info.value)
    assert "in operation 'Reshape' (Reshape)" in text and "test_interpret.py" in text
