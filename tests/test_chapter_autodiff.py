"""Every example of the chapter section "Computing Gradients Using Autodiff" (chapter 12).

Expected values are worked out by hand from f(w1, w2) = 3 w1^2 + 2 w1 w2:
df/dw1 = 6 w1 + 2 w2, df/dw2 = 2 w1; at (5, 3) the gradient is (36, 10) and the Hessian is
[[6, 2], [2, 0]] (TensorFlow gives None for the last entry: 2 w1 does not depend on w2).
"""

import gc
import weakref

import numpy as np
import pytest

import rill as tf


def f(w1, w2):
    return 3 * w1 ** 2 + 2 * w1 * w2


@pytest.fixture
def ws():
    return tf.Variable(5.), tf.Variable(3.)


def scalar(t, value, dtype=tf.float32):
    assert isinstance(t, tf.Tensor)
    assert t.dtype is dtype and t.shape == ()
    assert float(t) == pytest.approx(value)


def test_finite_differences_in_python():
    w1, w2 = 5, 3
    eps = 1e-6
    assert (f(w1 + eps, w2) - f(w1, w2)) / eps == pytest.approx(36.0, abs=1e-4)
    assert (f(w1, w2 + eps) - f(w1, w2)) / eps == pytest.approx(10.0, abs=1e-4)


def test_gradient_tape_gives_36_and_10(ws):
    w1, w2 = ws
    with tf.GradientTape() as tape:
        z = f(w1, w2)
    gradients = tape.gradient(z, [w1, w2])
    assert isinstance(gradients, list) and len(gradients) == 2
    scalar(gradients[0], 36.0)
    scalar(gradients[1], 10.0)
    assert repr(gradients[0]) == "<tf.Tensor: shape=(), dtype=float32, numpy=36.0>"


def test_stop_recording_pauses_the_tape(ws):
    w1, w2 = ws
    with tf.GradientTape() as tape:
        z = f(w1, w2)
        with tape.stop_recording():
            ignored = w1 * 100.0
    assert tape.gradient(ignored, w1) is None
    with tf.GradientTape() as tape:
        z = f(w1, w2)
        with tape.stop_recording():
            pass
    scalar(tape.gradient(z, w1), 36.0)


def test_second_gradient_call_raises(ws):
    w1, w2 = ws
    with tf.GradientTape() as tape:
        z = f(w1, w2)
    scalar(tape.gradient(z, w1), 36.0)
    with pytest.raises(RuntimeError, match="A non-persistent GradientTape can only be used to "
                       r"compute one set of gradients \(or jacobians\)"):
        tape.gradient(z, w2)


def test_persistent_tape(ws):
    w1, w2 = ws
    with tf.GradientTape(persistent=True) as tape:
        z = f(w1, w2)
    scalar(tape.gradient(z, w1), 36.0)
    scalar(tape.gradient(z, w2), 10.0)
    ref = weakref.ref(z)
    del tape, z
    gc.collect()
    assert ref() is None


def test_constants_are_not_watched():
    c1, c2 = tf.constant(5.), tf.constant(3.)
    with tf.GradientTape() as tape:
        z = f(c1, c2)
    assert tape.gradient(z, [c1, c2]) == [None, None]


def test_watched_constants():
    c1, c2 = tf.constant(5.), tf.constant(3.)
    with tf.GradientTape() as tape:
        tape.watch(c1)
        tape.watch(c2)
        z = f(c1, c2)
    g = tape.gradient(z, [c1, c2])
    scalar(g[0], 36.0)
    scalar(g[1], 10.0)


def test_list_of_targets_sums_their_gradients(ws):
    w1, w2 = ws
    with tf.GradientTape(persistent=True) as tape:
        z1 = f(w1, w2)        # (36, 10)
        z2 = w1 * w2          # (3, 5)
        z3 = w2 ** 3          # (0, 27)
    total = tape.gradient([z1, z2, z3], [w1, w2])
    separate = [tape.gradient(z, [w1, w2]) for z in (z1, z2, z3)]
    scalar(total[0], 39.0)
    scalar(total[1], 42.0)
    assert float(total[0]) == sum(float(s[0]) for s in separate if s[0] is not None)
    assert float(total[1]) == sum(float(s[1]) for s in separate)
    del tape


def test_hessians_with_nested_tapes(ws):
    w1, w2 = ws
    with tf.GradientTape(persistent=True) as hessian_tape:
        with tf.GradientTape() as jacobian_tape:
            z = f(w1, w2)
        jacobians = jacobian_tape.gradient(z, [w1, w2])
    hessians = [hessian_tape.gradient(jacobian, [w1, w2]) for jacobian in jacobians]
    del hessian_tape
    scalar(jacobians[0], 36.0)
    scalar(jacobians[1], 10.0)
    scalar(hessians[0][0], 6.0)
    scalar(hessians[0][1], 2.0)
    scalar(hessians[1][0], 2.0)
    assert hessians[1][1] is None


def test_argmax_has_no_gradient(ws):
    w1, w2 = ws
    with tf.GradientTape() as tape:
        z = tf.cast(tf.argmax(tf.stack([w1, w2])), tf.float32)
    assert tape.gradient(z, [w1, w2]) == [None, None]


def test_stop_gradient(ws):
    w1, w2 = ws

    def g(w1, w2):
        return 3 * w1 ** 2 + tf.stop_gradient(2 * w1 * w2)

    with tf.GradientTape() as tape:
        z = g(w1, w2)
    assert float(z) == float(f(w1, w2)) == 105.0
    gradients = tape.gradient(z, [w1, w2])
    scalar(gradients[0], 30.0)
    assert gradients[1] is None


def my_softplus(z):
    return tf.math.log(tf.exp(z) + 1.0)


@tf.custom_gradient
def my_better_softplus(z):
    exp = tf.exp(z)

    def my_softplus_gradients(grad):
        return grad / (1 + 1 / exp)

    return tf.math.log(exp + 1), my_softplus_gradients


def test_naive_softplus_gradient_is_nan_at_100():
    x = tf.Variable([100.])
    with tf.GradientTape() as tape:
        z = my_softplus(x)
    (g,) = tape.gradient(z, [x])
    assert g.shape == (1,) and g.dtype is tf.float32
    assert np.isnan(g.numpy()[0])


def test_better_softplus_gradient_is_one_at_100():
    x = tf.Variable([100.])
    with tf.GradientTape() as tape:
        z = my_better_softplus(x)
    (g,) = tape.gradient(z, [x])
    np.testing.assert_array_equal(g.numpy(), np.array([1.0], np.float32))
    # the main output still overflows, as the chapter says
    assert np.isinf(z.numpy()[0])


def test_better_softplus_matches_softplus_where_finite():
    x = tf.Variable([-3.0, 0.0, 2.0])
    with tf.GradientTape() as tape:
        z = my_better_softplus(x)
    g = tape.gradient(z, x)
    xs = np.array([-3.0, 0.0, 2.0])
    np.testing.assert_allclose(z.numpy(), np.log1p(np.exp(xs)), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), 1 / (1 + np.exp(-xs)), rtol=1e-6)
