"""Gradients across the boundary of a tf.function, and inside it."""

import numpy as np
import pytest

import rill as tf


def test_tape_outside_differentiates_through_a_call():
    v = tf.Variable(2.0)
    f = tf.function(lambda x: x * x * v)
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    gx, gv = tape.gradient(y, [x, v])
    assert y.numpy() == 18.0
    assert gx.numpy() == 12.0  # d(x^2 v)/dx = 2 x v
    assert gv.numpy() == 9.0  # x^2


def test_tape_outside_watches_variables_read_inside():
    w = tf.Variable([1.0, 2.0])
    f = tf.function(lambda x: tf.reduce_sum(w * x))
    with tf.GradientTape() as tape:
        y = f(tf.constant([3.0, 4.0]))
    assert tape.watched_variables() == (w,)
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [3.0, 4.0])


def test_second_order_through_a_function():
    f = tf.function(lambda x: x ** 3)
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        dy = inner.gradient(y, x)
    assert dy.numpy() == 12.0  # 3 x^2
    assert outer.gradient(dy, x).numpy() == 12.0  # 6 x


def test_unwatched_call_uses_the_compiled_path_and_gives_no_gradient():
    f = tf.function(lambda x: x * 2.0)
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        y = f(x)
    assert tape.gradient(y, x) is None


def test_gradient_through_nested_structures():
    f = tf.function(lambda d: {"out": d["a"] * d["b"]})
    a, b = tf.constant(2.0), tf.constant(5.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        out = f({"a": a, "b": b})["out"]
    ga, gb = tape.gradient(out, [a, b])
    assert (ga.numpy(), gb.numpy()) == (5.0, 2.0)


def test_tape_inside_a_function_builds_a_backward_graph():
    @tf.function
    def grad_of_cube(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x ** 3
        return tape.gradient(y, x)

    assert grad_of_cube(tf.constant(2.0)).numpy() == 12.0
    graph = grad_of_cube.get_concrete_function(tf.constant(2.0)).graph
    types = [op.type for op in graph.get_operations()]
    assert types.count("Pow") >= 2  # forward and backward ops are in the graph


def test_training_step_inside_a_function():
    w = tf.Variable([[0.5], [-0.5]])
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    y = tf.constant([[1.0], [2.0]])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
        g = tape.gradient(loss, w)
        w.assign_sub(0.01 * g)
        return loss

    w0 = w.numpy().copy()
    loss0 = step().numpy()
    pred = x.numpy() @ w0
    np.testing.assert_allclose(loss0, np.mean((pred - y.numpy()) ** 2), rtol=1e-6)
    grad = 2 * x.numpy().T @ (pred - y.numpy()) / 2
    np.testing.assert_allclose(w.numpy(), w0 - 0.01 * grad, rtol=1e-5)
    losses = [float(step()) for _ in range(20)]
    assert losses[-1] < losses[0]
    assert step.experimental_get_tracing_count() == 1


@pytest.mark.skipif(not hasattr(tf, "custom_gradient"), reason="tf.custom_gradient not built")
def test_custom_gradient_inside_a_function():
    @tf.custom_gradient
    def clip_grad(x):
        def grad(dy):
            return tf.clip_by_value(dy, -0.5, 0.5)
        return tf.identity(x), grad

    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = clip_grad(x) * 10.0
        return tape.gradient(y, x)

    assert f(tf.constant(1.0)).numpy() == 0.5  # 10 clipped to 0.5


def test_watching_an_outside_tensor_inside_a_traced_function():
    w = tf.constant(3.0)

    @tf.function
    def grad_of_square():
        with tf.GradientTape() as tape:
            tape.watch(w)
            y = w * w
        return tape.gradient(y, w)

    assert float(grad_of_square()) == 6.0  # d(w^2)/dw at 3
