"""Compiled gradients through a tf.function called under a tape (its forward/backward pair).

Each case is a Python function, its tensor arguments and the variables it reads. The
gradient of a fixed random projection of its outputs, taken by a tape outside the traced
function, must equal central differences of the eager function (float64), and the tape must
hold one recorded op for the call (the compiled pair, not a replay of the graph).
"""

import numpy as np
import pytest

import rill as tf
from rill.function.forward_backward import GradientPair

RS = np.random.RandomState(7)
W1 = tf.Variable(RS.randn(3, 4))
B1 = tf.Variable(RS.randn(4))
W2 = tf.Variable(RS.randn(4, 1))
V = tf.Variable(RS.randn(2))
FROZEN = tf.Variable(RS.randn(2), trainable=False)


def mlp(x, y):
    h = tf.nn.tanh(tf.matmul(x, W1) + B1)
    return tf.reduce_mean((tf.matmul(h, W2) - y) ** 2)


def cond_fn(x):
    if tf.reduce_sum(x) > 0:
        return x * V
    return tf.sin(x) * FROZEN


def while_fn(x):
    i = tf.constant(0)
    while i < 3:
        x = x * x * 0.5 + V
        i += 1
    return x


def multi(x, n):
    return {"scaled": x * tf.cast(n, tf.float64), "count": n * 2, "v": V * x,
            "const": tf.constant(1.0, tf.float64)}


def loop_cond(x):
    return tf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, tf.cos(a) * V), [0, x])[1]


def gathered(x):
    return tf.gather(x * V, [1, 1, 0]), tf.reduce_logsumexp(x)


def two_args(a, b):
    return tf.reduce_sum(a * b * V) + tf.reduce_sum(tf.exp(a))


CASES = {
    "mlp step": (mlp, [RS.randn(5, 3), RS.randn(5, 1)], [W1, B1, W2]),
    "cond true": (cond_fn, [np.array([0.7, 0.4])], [V]),
    "cond false": (cond_fn, [np.array([-0.7, 0.2])], [V]),
    "while (autograph)": (while_fn, [np.array([0.3, -0.2])], [V]),
    "while_loop": (loop_cond, [np.array([0.3, -0.2])], [V]),
    "multiple outputs": (multi, [np.array([0.3, 0.2]), np.array(3, np.int32)], [V]),
    "gather and logsumexp": (gathered, [np.array([0.3, 0.2])], [V]),
    "two inputs": (two_args, [np.array([0.1, 0.5]), np.array([-1.0, 2.0])], [V]),
}


def _project(out, weights):
    """A scalar from the float outputs: sum(out_i * w_i) with fixed random weights."""
    leaves = [o for o in tf.nest.flatten(out) if o is not None and o.dtype.is_floating]
    return tf.add_n([tf.reduce_sum(o * w) for o, w in zip(leaves, weights)])


def _weights(fn, args):
    out = fn(*[tf.constant(a) for a in args])
    rs = np.random.RandomState(1)
    return [rs.randn(*o.shape) for o in tf.nest.flatten(out)
            if o is not None and o.dtype.is_floating]


def _numerical(fn, args, variables, weights, eps=1e-6):
    """Central differences of the eager function, per float argument and variable."""
    def value():
        return float(_project(fn(*[tf.constant(a) for a in args]), weights))
    grads = []
    for a in args:
        if a.dtype.kind != "f":
            grads.append(None)
            continue
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            up = value()
            a[i] = old - eps
            down = value()
            a[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    for v in variables:
        base = v.numpy()
        g = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            for sign in (1, -1):
                moved = base.copy()
                moved[i] += sign * eps
                v.assign(moved)
                g[i] += sign * value() / (2 * eps)
        v.assign(base)
        grads.append(g)
    return grads


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_through_a_call_equal_numerical_derivatives(name):
    fn, raw, variables = CASES[name]
    args = [np.array(a) for a in raw]
    weights = _weights(fn, args)
    expected = _numerical(fn, args, variables, weights)
    f = tf.function(fn)
    tensors = [tf.constant(a) for a in args]
    f(*tensors)  # traced once, before the tape
    with tf.GradientTape() as tape:
        tape.watch([t for t in tensors if t.dtype.is_floating])
        out = f(*tensors)
        calls = [r for r in tape._records_with_reads()
                 if isinstance(getattr(r.opdef.grad, "__self__", None), GradientPair)]
        target = _project(out, weights)
    assert len(calls) == 1  # one op for the whole call
    got = tape.gradient(target, tensors + variables)
    for g, e, a in zip(got, expected, tensors + variables):
        if e is None:
            assert g is None, f"{name}: integer input {a!r} gets None"
        else:
            np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-7, err_msg=name)
    assert f.experimental_get_tracing_count() == 1


def test_equals_the_eager_gradient_and_the_replayed_one():
    fn, raw, variables = CASES["mlp step"]
    tensors = [tf.constant(a) for a in raw]

    def grads(call):
        with tf.GradientTape() as tape:
            loss = call(*tensors)
        return [g.numpy() for g in tape.gradient(loss, variables)]

    eager = grads(fn)
    f = tf.function(fn)
    compiled = grads(f)
    cf = f.get_concrete_function(*tensors)
    assert isinstance(cf._pair, GradientPair)
    cf._pair = False  # forces the op-by-op replay
    replayed = grads(f)
    for a, b, c in zip(eager, compiled, replayed):
        np.testing.assert_allclose(b, a, rtol=1e-12)
        np.testing.assert_allclose(c, a, rtol=1e-12)


def test_unconnected_sources_as_tensorflow():
    # as TensorFlow (checked with 2.21): an input of the call that only other outputs
    # depend on gets zeros (the call is one op); one that no output depends on
    # differentiably, or that is not an input, gets None
    f = tf.function(lambda a, b: (a * 2.0, tf.reduce_sum(b)))
    g = tf.function(lambda a, b: a * 2.0 + tf.cast(tf.argmax(b), tf.float32))
    a, b, c = tf.constant([1.0, 2.0]), tf.constant([3.0]), tf.constant(4.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b, c])
        first, _ = f(a, b)
        other = g(a, b)
    np.testing.assert_array_equal(tape.gradient(first, b).numpy(), [0.0])
    assert tape.gradient(first, c) is None
    assert tape.gradient(other, b) is None
    np.testing.assert_array_equal(tape.gradient(first, a).numpy(), [2.0, 2.0])


def test_persistent_tape_computes_gradients_twice():
    v = tf.Variable(3.0)
    f = tf.function(lambda x: x ** 3 * v)
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
    for _ in range(2):
        gx, gv = tape.gradient(y, [x, v])
        assert (gx.numpy(), gv.numpy()) == (36.0, 8.0)  # 3 x^2 v, x^3
    jac = tape.jacobian(y, x)
    assert jac.numpy() == 36.0


def test_second_order_with_nested_tapes():
    f = tf.function(lambda x: tf.reduce_sum(tf.sin(x) * x))
    x = tf.constant([0.5, -1.0], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    xn = x.numpy()
    np.testing.assert_allclose(g.numpy(), np.cos(xn) * xn + np.sin(xn))
    np.testing.assert_allclose(h.numpy(), 2 * np.cos(xn) - xn * np.sin(xn))
    assert f.experimental_get_tracing_count() == 1


def test_backward_recorded_by_a_tape_started_after_the_call():
    f = tf.function(lambda x: x ** 3)
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    seed = tf.constant(1.5)
    with tf.GradientTape() as later:
        later.watch(seed)
        g = tape.gradient(y, x, output_gradients=seed)
    assert g.numpy() == 18.0  # 1.5 * 3 x^2
    assert later.gradient(g, seed).numpy() == 12.0  # linear in the seed


def test_variables_read_inside_get_gradients_and_are_watched():
    w = tf.Variable([1.0, 2.0])
    frozen = tf.Variable([5.0, 5.0], trainable=False)
    f = tf.function(lambda x: tf.reduce_sum(w * x * frozen))
    with tf.GradientTape() as tape:
        y = f(tf.constant([3.0, 4.0]))
    assert tape.watched_variables() == (w,)
    gw, gf = tape.gradient(y, [w, frozen])
    np.testing.assert_array_equal(gw.numpy(), [15.0, 20.0])
    assert gf is None  # not watched (not trainable)


def test_variable_arguments_get_gradients_for_the_variable_passed():
    f = tf.function(lambda x, v: tf.reduce_sum(x * v * v))
    x = tf.constant([1.0, 2.0])
    for start in ([1.0, 1.0], [2.0, 3.0]):
        v = tf.Variable(start)
        with tf.GradientTape() as tape:
            y = f(x, v)
        np.testing.assert_allclose(tape.gradient(y, v).numpy(), 2 * x.numpy() * start)
    assert f.experimental_get_tracing_count() == 1


def test_effects_run_once_per_call():
    count = tf.Variable(0.0)
    v = tf.Variable(2.0)

    @tf.function
    def step(x):
        count.assign_add(1.0)
        return x * v

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = step(x)
    assert tape.gradient(y, [x, v])[1].numpy() == 3.0
    assert count.numpy() == 1.0


def test_random_values_of_the_forward_are_the_backwards():
    @tf.function
    def dropout(x):
        return tf.nn.dropout(x, rate=0.5, seed=1)

    x = tf.ones([50])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = dropout(x)
    g = tape.gradient(y, x)
    np.testing.assert_array_equal(g.numpy(), y.numpy())  # both 0 or 2 where kept


def test_missing_gradient_replays_and_fails_only_when_needed():
    @tf.function
    def f(x):
        return x * 2.0, tf.cast(tf.argmax(x), tf.float32)

    x = tf.constant([1.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, _ = f(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 2.0])


def test_output_gradients_that_are_not_one_and_sparse_ones():
    f = tf.function(lambda x: (tf.reduce_sum(x * x), x * 3.0))
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        total, scaled = f(x)
        picked = tf.gather(scaled, [1, 1])  # its gradient reaches the call as IndexedSlices
    np.testing.assert_array_equal(tape.gradient(total, x).numpy(), [2.0, 4.0])
    seeded = tape.gradient(total, x, output_gradients=tf.constant(3.0))
    np.testing.assert_array_equal(seeded.numpy(), [6.0, 12.0])
    np.testing.assert_array_equal(tape.gradient(picked, x).numpy(), [0.0, 6.0])
    np.testing.assert_array_equal(tape.gradient([total, picked], x).numpy(), [2.0, 10.0])
