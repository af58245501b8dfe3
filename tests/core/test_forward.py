"""tf.autodiff.ForwardAccumulator: JVPs, Hessian-vector products both ways, variables,
unconnected tensors, nesting, graph mode, and a registry-wide check of every op's JVP against
central differences (the double-VJP needs no per-op rule, so every spec is checked)."""


import numpy as np
import pytest

import rill as tf
from tests import test_registry as R


def close(t, expected, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(tf.convert_to_tensor(t)), expected, rtol=rtol,
                               atol=1e-7)


X = np.array([1.0, 2.0])
V = np.array([0.5, -1.0])


def test_jvp_of_a_sum_of_cubes():
    x, v = tf.constant(X), tf.constant(V)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        y = tf.reduce_sum(x ** 3)
        y2 = y * 2.0
    close(acc.jvp(y), np.sum(3 * X ** 2 * V))
    close(acc.jvp(y2), 2 * np.sum(3 * X ** 2 * V))
    close(acc.jvp(x), V)
    out = acc.jvp([y, {"a": y2}])
    close(out[0], -10.5)
    close(out[1]["a"], -21.0)


def test_unconnected_tensors():
    x = tf.constant(X)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(V)) as acc:
        c = tf.constant(3.0) * 2.0
        i = tf.cast(x, tf.int32)
        m = tf.argmax(x)
        s = tf.stop_gradient(x) * 2.0
    assert acc.jvp(c) is None
    assert acc.jvp(i) is None and acc.jvp(m) is None and acc.jvp(s) is None
    zero = acc.jvp(c, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zero.shape == () and float(zero) == 0.0


def test_hessian_vector_product_forward_over_backward():
    x, v = tf.constant(X), tf.constant(V)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x ** 3)
        g = tape.gradient(y, x)
    close(g, 3 * X ** 2)
    close(acc.jvp(g), 6 * X * V)


def test_hessian_vector_product_backward_over_forward():
    x, v = tf.constant(X), tf.constant(V)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            y = tf.reduce_sum(x ** 3)
        jvp = acc.jvp(y)
    close(tape.gradient(jvp, x), 6 * X * V)


def test_hvp_of_a_small_network_matches_the_hessian(rng):
    a = rng.standard_normal((3, 3))
    x = tf.constant(rng.standard_normal(3))
    v = rng.standard_normal(3)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(v)) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x * tf.linalg.matvec(tf.constant(a), x))
        g = tape.gradient(y, x)
    close(acc.jvp(g), (a + a.T) @ v, rtol=1e-10)


def test_variables_as_primals():
    w = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(w, tf.constant([1.0, 0.0])) as acc:
        y = tf.reduce_sum(w * w)
    close(acc.jvp(y), 2.0)


def test_nested_accumulators_give_second_derivatives():
    x = tf.constant(0.7)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as inner:
            y = tf.sin(x) * x
        d1 = inner.jvp(y)
    d2 = outer.jvp(d1)
    close(d1, np.cos(0.7) * 0.7 + np.sin(0.7))
    close(d2, 2 * np.cos(0.7) - 0.7 * np.sin(0.7))


def test_custom_gradient_is_used_forward():
    @tf.custom_gradient
    def softplus(z):
        e = tf.exp(z)
        return tf.math.log(e + 1.0), lambda dy: dy / (1 + 1 / e)

    x = tf.constant([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 1.0])) as acc:
        y = softplus(x)
    close(acc.jvp(y), 1 / (1 + np.exp(-np.array([1.0, 2.0]))))


def test_errors():
    x = tf.constant(X)
    with pytest.raises(ValueError, match="shape"):
        tf.autodiff.ForwardAccumulator(x, tf.constant(np.ones(3)))
    with pytest.raises(ValueError, match="dtype"):
        tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 2.0], tf.float32))
    with pytest.raises(ValueError, match="primals but"):
        tf.autodiff.ForwardAccumulator([x, x], [tf.constant(V)])
    with pytest.raises(TypeError, match="primals must be tensors"):
        tf.autodiff.ForwardAccumulator(3.0, 1.0)
    acc = tf.autodiff.ForwardAccumulator(x, V)  # NumPy tangents are converted
    close(acc.jvp(x), V)
    with acc:
        with pytest.raises(ValueError, match="Accumulator is already recording"):
            with acc:
                pass


def test_nothing_is_recorded_after_exit():
    x = tf.constant(X)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(V)) as acc:
        pass
    y = x * 2.0
    assert acc.jvp(y) is None


def test_accumulator_inside_tf_function():
    @tf.function
    def jvp(x, v):
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            y = tf.reduce_sum(tf.exp(x) * x)
        return acc.jvp(y)

    xv = np.array([0.1, -0.3])
    close(jvp(tf.constant(xv), tf.constant(V)), np.sum(np.exp(xv) * (1 + xv) * V))


def test_tf_function_called_under_an_accumulator():
    f = tf.function(lambda x: tf.reduce_sum(tf.sin(x)))
    x = tf.constant(X)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(V)) as acc:
        y = f(x)
    close(acc.jvp(y), np.sum(np.cos(X) * V))


# -- every op: JVP against central differences ---------------------------------------------
@pytest.mark.parametrize("entry", [e for e, _ in R.GRAD_SPECS], ids=[i for _, i in R.GRAD_SPECS])
def test_every_op_jvp_matches_numerical(entry):
    spec, arrays, positions, weights = R._differentiable_case(entry)
    dirs = R._directions(spec, arrays, positions, 5)
    xs = R._tensors(arrays)
    primals = [xs[i] for i in positions]
    # forward mode differentiates each op's gradient function (the double-VJP trick): every
    # differentiable op has a second-order spec, so none may be missing here
    with tf.autodiff.ForwardAccumulator(primals, [tf.constant(d) for d in dirs]) as acc:
        f = R._weighted_sum(R._as_list(spec.fn(*xs)), weights)
    t = acc.jvp(f)
    analytic = 0.0 if t is None else float(np.real(np.asarray(t)))
    eps = 1e-6
    numeric = (R._f_value(spec, R._shifted(arrays, positions, dirs, eps), weights)
               - R._f_value(spec, R._shifted(arrays, positions, dirs, -eps), weights)) / (2 * eps)
    grads = R._grads(spec, arrays, weights, positions)
    scale = float(sum(np.sum(np.abs(g * d)) for g, d in zip(grads, dirs)))
    assert R._close(analytic, numeric, scale, spec), (
        f"{spec.ops}: JVP {analytic!r}, numerical {numeric!r}")

