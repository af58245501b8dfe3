"""tf.custom_gradient and tf.recompute_grad (semantics checked against tensorflow 2.21)."""

import numpy as np
import pytest

import rill as tf


def close(t, expected, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(tf.convert_to_tensor(t)), expected, rtol=rtol,
                               atol=1e-7)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@tf.custom_gradient
def softplus(z):
    exp = tf.exp(z)

    def grad(upstream):
        return upstream / (1 + 1 / exp)

    return tf.math.log(exp + 1), grad


def test_gradient_comes_from_grad_fn():
    @tf.custom_gradient
    def scaled_identity(x):
        return tf.identity(x), lambda dy: dy * 5.0

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scaled_identity(x) * 2.0
    close(tape.gradient(y, x), 10.0)


def test_returning_the_input_itself_works():
    @tf.custom_gradient
    def passthrough(x):
        return x, lambda dy: dy * 5.0

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = passthrough(x) * 2.0
    close(tape.gradient(y, x), 10.0)


def test_upstream_gradient_is_passed_in():
    x = tf.constant([-1.0, 0.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(softplus(x) * tf.constant([1.0, 2.0, 3.0]))
    close(tape.gradient(y, x), sigmoid(np.array([-1.0, 0.0, 3.0])) * [1, 2, 3], rtol=1e-6)


def test_functools_wraps_keeps_name():
    assert softplus.__name__ == "softplus"


def test_second_order_through_custom_gradient():
    x = tf.constant(0.5)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = softplus(x)
        d = t1.gradient(y, x)
    s = sigmoid(0.5)
    close(d, s)
    close(t2.gradient(d, x), s * (1 - s), rtol=1e-6)


def test_two_arguments_and_python_arguments():
    @tf.custom_gradient
    def two(a, b):
        return a + b, lambda dy: (dy * 2.0, dy * 3.0)

    @tf.custom_gradient
    def times(x, k):
        return x * k, lambda dy: (dy * k, None)

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = two(x, x)
        z = times(x, 3.0)
    close(tape.gradient(y, x), [5.0, 5.0])
    close(tape.gradient(z, x), [3.0, 3.0])


def test_wrong_number_of_gradients():
    @tf.custom_gradient
    def two(a, b):
        return a + b, lambda dy: dy * 2.0

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = two(x, x)
    with pytest.raises(ValueError, match="expected to return 2 gradients, but returned 1"):
        tape.gradient(y, x)


def test_several_outputs_unused_ones_get_zeros():
    seen = []

    @tf.custom_gradient
    def split(a):
        def grad(dy1, dy2):
            seen.append(dy2.numpy())
            return dy1 + 10.0 * dy2

        return (a * 1.0, a * 2.0), grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        p, q = split(x)
        y = tf.reduce_sum(p)
    close(tape.gradient(y, x), [1.0, 1.0])
    np.testing.assert_array_equal(seen[0], [0.0, 0.0])


def test_variables_are_passed_to_grad_fn():
    v = tf.Variable(2.0)

    @tf.custom_gradient
    def f(x):
        y = x * v

        def grad(dy, variables=None):
            assert len(variables) == 1 and variables[0] is v
            return dy * v, [tf.reduce_sum(dy * x) * 10.0]

        return y, grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(f(x))
    gx, gv = tape.gradient(y, [x, v])
    close(gx, [2.0, 2.0])
    close(gv, 30.0)


def test_variables_need_the_variables_keyword():
    v = tf.Variable(2.0)

    @tf.custom_gradient
    def bad(x):
        return x * v, lambda dy: dy

    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(TypeError, match="must accept keyword argument 'variables'"):
            bad(x)


def test_variable_gradient_count_is_checked():
    v, w = tf.Variable(2.0), tf.Variable(3.0)

    @tf.custom_gradient
    def f(x):
        def grad(dy, variables=None):
            return dy, [dy]

        return x * v * w, grad

    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    with pytest.raises(ValueError, match="Must return gradient for each variable"):
        tape.gradient(y, [x, v, w])


def test_grad_fn_must_be_callable():
    @tf.custom_gradient
    def nofn(x):
        return x * 2.0, 5

    with pytest.raises(TypeError, match="grad_fn"):
        nofn(tf.constant(1.0))


def test_no_tape_just_computes():
    close(softplus(tf.constant(0.0)), np.log(2.0))


def test_custom_gradient_inside_tf_function():
    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = softplus(x)
        return tape.gradient(y, x)

    close(step(tf.constant([100.0, 0.0])), [1.0, 0.5])


# -- recompute_grad -----------------------------------------------------------------------
def test_recompute_grad_matches_plain_gradients():
    v = tf.Variable(2.0)
    calls = []

    def block(x):
        calls.append(1)
        return tf.tanh(x * v) * 3.0

    recomputed = tf.recompute_grad(block)
    x = tf.constant(0.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = recomputed(x)
    gx, gv = tape.gradient(y, [x, v])
    t = np.tanh(1.0)
    close(gx, 3 * (1 - t ** 2) * 2.0, rtol=1e-6)
    close(gv, 3 * (1 - t ** 2) * 0.5, rtol=1e-6)
    assert len(calls) == 2  # forward, then again in the backward pass


def test_recompute_grad_keeps_no_intermediates_on_the_tape():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.recompute_grad(lambda a: tf.sin(a) * tf.cos(a))(x)
    assert [r.opdef.name for r in tape._records_with_reads()] == ["CustomGradient"]
    close(tape.gradient(y, x), np.cos(2 * np.array([1.0, 2.0])), rtol=1e-6)


# -- through tf.function, with the tape outside (the graph carries the custom gradient) ----
def test_custom_gradient_through_function_with_tape_outside():
    f = tf.function(lambda x: softplus(x))
    x = tf.Variable([100.0])
    with tf.GradientTape() as tape:
        y = f(x)
    close(tape.gradient(y, x), [1.0])  # TF: [1.]


def test_custom_gradient_through_function_with_tape_inside():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = softplus(x)
        return tape.gradient(y, x)

    close(f(tf.constant([100.0])), [1.0])


def test_plain_softplus_through_function_is_still_nan():
    def plain(z):
        return tf.math.log(tf.exp(z) + 1)

    f = tf.function(plain)
    x = tf.Variable([100.0])
    with tf.GradientTape() as tape:
        y = f(x)
    assert np.isnan(tape.gradient(y, x).numpy()).all()  # TF: [nan] too


def test_custom_gradient_through_function_second_order_matches_eager():
    f = tf.function(lambda x: softplus(x))
    x = tf.constant([1.0, -2.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    close(g, sigmoid(np.array([1.0, -2.0])))
    s = sigmoid(np.array([1.0, -2.0]))
    close(outer.gradient(g, x), s * (1 - s), rtol=1e-5)


def test_custom_gradient_with_variables_through_function_and_cond():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            return dy * 10.0, [dy * 100.0]
        return x * w, grad

    x = tf.constant(2.0)
    for f in (tf.function(lambda x: scale(x)),
              tf.function(lambda x: tf.cond(x > 0, lambda: scale(x), lambda: x))):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        close(y, 6.0)
        gx, gw = tape.gradient(y, [x, w])
        close(gx, 10.0)
        close(gw, 100.0)


def test_recompute_grad_through_function_with_tape_outside():
    v = tf.Variable(2.0)
    f = tf.function(tf.recompute_grad(lambda x: tf.tanh(x * v) * 3.0))
    x = tf.constant(0.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    gx, gv = tape.gradient(y, [x, v])
    t = np.tanh(1.0)
    close(gx, 3 * (1 - t ** 2) * 2.0, rtol=1e-6)
    close(gv, 3 * (1 - t ** 2) * 0.5, rtol=1e-6)


def test_bad_grad_fn_through_function_fails_when_the_gradient_is_asked():
    @tf.custom_gradient
    def bad(x):
        return x * 2.0, lambda dy: (dy, dy)

    f = tf.function(lambda x: bad(x))
    x = tf.constant(1.0)
    close(f(x), 2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    with pytest.raises(ValueError, match="expected to return 1 gradients"):
        tape.gradient(y, x)
