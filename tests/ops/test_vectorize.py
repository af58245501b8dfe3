"""Vectorization (rill/ops/vectorize.py): tf.vectorized_map and the vectorized
GradientTape.jacobian / batch_jacobian / tf.hessians.

vectorized_map results are compared with a NumPy function applied row by row; Jacobians with
central differences of a NumPy forward (independent of rill's gradients) and with the
one-pass-per-row loop. A spy on the per-op fallback checks that the ops with batching rules
really run batched.
"""

import logging

import numpy as np
import pytest

import rill as tf
from rill.ops import vectorize


@pytest.fixture
def loops(monkeypatch):
    """The op types that fell back to running once per element."""
    seen = []
    original = vectorize._loop

    def spy(op, *args):
        seen.append(op.type)
        return original(op, *args)

    monkeypatch.setattr(vectorize, "_loop", spy)
    return seen


RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 3, 4))
W = RNG.standard_normal((4, 2))
IDX = np.array([2, 0, 1])


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


# (name, rill fn of one row (3, 4), NumPy fn of one row)
CASES = [
    ("elementwise", lambda r: tf.sin(r) * r + 1.0, lambda r: np.sin(r) * r + 1),
    ("broadcast_invariant", lambda r: r - tf.constant(W[:, 0][None]), lambda r: r - W[:, 0]),
    ("matmul_left", lambda r: tf.matmul(r, tf.constant(W)), lambda r: r @ W),
    ("matmul_right", lambda r: tf.matmul(tf.constant(W.T), r, transpose_b=True),
     lambda r: W.T @ r.T),
    ("matmul_both", lambda r: tf.matmul(r, r, transpose_a=True), lambda r: r.T @ r),
    ("reductions", lambda r: tf.reduce_sum(r, 1) + tf.reduce_max(r, 0)[:3] + tf.reduce_mean(r),
     lambda r: r.sum(1) + r.max(0)[:3] + r.mean()),
    ("softmax_axis0", lambda r: tf.nn.softmax(r, axis=0), lambda r: _softmax(r, 0)),
    ("reshape_transpose", lambda r: tf.transpose(tf.reshape(r, [2, 6])),
     lambda r: r.reshape(2, 6).T),
    ("expand_squeeze", lambda r: tf.squeeze(tf.expand_dims(r, -1) * 2.0, [2]),
     lambda r: r * 2),
    ("concat_stack", lambda r: tf.stack([tf.concat([r, tf.ones([3, 1], tf.float64)], 1)] * 2, 1),
     lambda r: np.stack([np.concatenate([r, np.ones((3, 1))], 1)] * 2, 1)),
    ("gather_rows_of_row", lambda r: tf.gather(r, tf.constant(IDX), axis=1)[:, :2],
     lambda r: r[:, IDX][:, :2]),
    ("slices", lambda r: r[1:, ::2] + tf.slice(r, [0, 1], [2, 2]),
     lambda r: r[1:, ::2] + r[0:2, 1:3]),
    ("pad_tile", lambda r: tf.tile(tf.pad(r, [[1, 0], [0, 1]]), [1, 2]),
     lambda r: np.tile(np.pad(r, [[1, 0], [0, 1]]), [1, 2])),
    ("einsum", lambda r: tf.einsum("ij,jk->ik", r, tf.constant(W)), lambda r: r @ W),
    ("cumsum_argmax",
     lambda r: tf.cumsum(r, axis=1) * tf.cast(tf.argmax(r, 1), tf.float64)[:, None],
     lambda r: np.cumsum(r, 1) * np.argmax(r, 1)[:, None]),
    ("where_broadcast_to",
     lambda r: tf.where(r > 0, r, tf.broadcast_to(tf.constant(0.5, tf.float64), [3, 4])),
     lambda r: np.where(r > 0, r, 0.5)),
    ("unstack_add_n", lambda r: tf.add_n(tf.unstack(r, axis=1)), lambda r: r.sum(1)),
    ("shape_fill", lambda r: tf.zeros(tf.shape(r), tf.float64) + r, lambda r: r),
]


@pytest.mark.parametrize("name,fn,ref", CASES, ids=[c[0] for c in CASES])
def test_vectorized_map_matches_rows(name, fn, ref, loops):
    out = tf.vectorized_map(fn, tf.constant(X))
    np.testing.assert_allclose(out.numpy(), np.stack([ref(r) for r in X]), rtol=1e-12)
    assert loops == []


def test_vectorized_map_gather_with_batched_indices(loops):
    table = tf.constant(RNG.standard_normal((6, 2)))
    idx = tf.constant([[1, 5], [0, 0], [3, 2]])
    out = tf.vectorized_map(lambda i: tf.gather(table, i), idx)
    np.testing.assert_array_equal(out.numpy(), table.numpy()[idx.numpy()])
    both = tf.vectorized_map(lambda a: tf.gather(a[0], a[1]), (tf.constant(X[:3, :, 0]), idx % 3))
    np.testing.assert_array_equal(both.numpy(), [X[i, :, 0][idx.numpy()[i] % 3] for i in range(3)])
    assert loops == []


def test_structures_and_invariant_outputs():
    xs = tf.constant(X[:, 0])
    out = tf.vectorized_map(lambda a: {"s": a[0] + a[1], "c": tf.constant(7.0)}, (xs, xs * 2))
    np.testing.assert_allclose(out["s"].numpy(), 3 * X[:, 0])
    np.testing.assert_array_equal(out["c"].numpy(), np.full(5, 7.0, np.float32))


def test_op_without_rule_loops_once_per_element(loops, caplog):
    mats = tf.constant(RNG.standard_normal((4, 3, 3)) + 3 * np.eye(3))
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        out = tf.vectorized_map(lambda m: tf.linalg.inv(m) * 2.0, mats)
    np.testing.assert_allclose(out.numpy(), 2 * np.linalg.inv(mats.numpy()), rtol=1e-10)
    assert loops == ["MatrixInverse"] and "MatrixInverse" in caplog.text
    with pytest.raises(ValueError, match="MatrixInverse.*fallback_to_while_loop"):
        tf.vectorized_map(lambda m: tf.linalg.inv(m), mats, fallback_to_while_loop=False)


def test_python_control_flow_and_effects_run_as_a_loop():
    def fn(r):  # a Python `if` on a tensor: cannot be traced without autograph
        return r * 2.0 if float(tf.reduce_sum(r)) > 0 else -r

    out = tf.vectorized_map(fn, tf.constant(X[:, 0]))
    np.testing.assert_allclose(out.numpy(), [r * 2 if r.sum() > 0 else -r for r in X[:, 0]])
    counter = tf.Variable(0.0, dtype=tf.float64)
    tf.vectorized_map(lambda r: counter.assign_add(tf.reduce_sum(r)) * 0.0 + r,
                      tf.constant(X[:, 0]))
    np.testing.assert_allclose(counter.numpy(), X[:, 0].sum())


def test_random_draws_differ_between_elements():
    out = tf.vectorized_map(lambda r: r + tf.random.normal([3], dtype=tf.float64),
                            tf.zeros([6, 3], tf.float64)).numpy()
    assert out.shape == (6, 3) and len({tuple(row) for row in out}) == 6


def test_vectorized_map_inside_tf_function(loops):
    f = tf.function(lambda e: tf.vectorized_map(lambda r: tf.matmul(r, tf.constant(W)), e))
    np.testing.assert_allclose(f(tf.constant(X)).numpy(), X @ W)
    assert loops == []


# -- jacobians ----------------------------------------------------------------------------
def _numeric_jacobian(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    cols = []
    for i in range(x.size):
        d = np.zeros(x.size)
        d[i] = eps
        d = d.reshape(x.shape)
        cols.append((f(x + d) - f(x - d)) / (2 * eps))
    y = f(x)
    return np.stack(cols, -1).reshape(y.shape + x.shape)


W1 = RNG.standard_normal((3, 5))
W2 = RNG.standard_normal((5, 4))

JACOBIAN_CASES = [
    ("mlp", lambda x: tf.tanh(tf.matmul(tf.nn.relu(tf.matmul(x, W1) + 0.1), W2)),
     lambda x: np.tanh(np.maximum(x @ W1 + 0.1, 0) @ W2)),
    ("softmax_xent_like", lambda x: tf.nn.log_softmax(tf.matmul(x, W1)) * tf.reduce_sum(x),
     lambda x: np.log(_softmax(x @ W1)) * x.sum()),
    ("broadcast_reduce", lambda x: tf.reduce_sum(x[:, None, :] * x[None], axis=0) / 3.0,
     lambda x: (x[:, None, :] * x[None]).sum(0) / 3),
    ("slice_concat", lambda x: tf.concat([x[:, :2] ** 2, tf.exp(x[:, 1:])], 1),
     lambda x: np.concatenate([x[:, :2] ** 2, np.exp(x[:, 1:])], 1)),
    ("gather_transpose", lambda x: tf.transpose(tf.gather(x, [1, 0, 1])) * tf.sigmoid(x[0, 0]),
     lambda x: x[[1, 0, 1]].T / (1 + np.exp(-x[0, 0]))),
]


@pytest.mark.parametrize("name,fn,ref", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_jacobian_matches_finite_differences(name, fn, ref, loops):
    x = tf.constant(RNG.standard_normal((2, 3)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = fn(x)
    j = tape.jacobian(y, x)
    np.testing.assert_allclose(j.numpy(), _numeric_jacobian(ref, x.numpy()), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(j.numpy(), tape.jacobian(y, x, experimental_use_pfor=False)
                               .numpy(), rtol=1e-12, atol=1e-14)
    assert loops == []


def test_batch_jacobian(loops):
    x = tf.constant(RNG.standard_normal((4, 3)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.tanh(tf.matmul(x, W1)) * tf.reduce_sum(x, 1, keepdims=True)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == [4, 5, 3]
    for i in range(4):
        ref = _numeric_jacobian(lambda r: np.tanh(r @ W1) * r.sum(), x.numpy()[i])
        np.testing.assert_allclose(bj.numpy()[i], ref, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(bj.numpy(), tape.batch_jacobian(
        y, x, experimental_use_pfor=False).numpy(), rtol=1e-12, atol=1e-14)
    assert loops == []


def test_jacobian_sources_variables_and_unconnected():
    v = tf.Variable(RNG.standard_normal((3, 2)))
    x = tf.constant(RNG.standard_normal(3))
    other = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.linalg.matvec(tf.transpose(v), x) ** 2  # y_k = (sum_i v_ik x_i)^2
    jx, jv, jo = tape.jacobian(y, [x, v, other])
    s = x.numpy() @ v.numpy()
    np.testing.assert_allclose(jx.numpy(), 2 * s[:, None] * v.numpy().T)
    ref_v = np.zeros((2, 3, 2))
    for k in range(2):
        ref_v[k, :, k] = 2 * s[k] * x.numpy()
    np.testing.assert_allclose(jv.numpy(), ref_v)
    assert jo is None
    zero = tape.jacobian(y, other, unconnected_gradients="zero")
    assert zero.shape == [2] and not zero.numpy().any()


def test_jacobian_under_an_outer_tape_gives_hessians():
    x = tf.constant([0.3, -1.2, 2.0], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.sin(x) * tf.reduce_sum(x ** 2)
        j = inner.jacobian(y, x)
    h = outer.jacobian(j, x)
    ref = _numeric_jacobian(
        lambda z: _numeric_jacobian(lambda w: np.sin(w) * (w ** 2).sum(), z, 1e-5), x.numpy(),
        1e-4)
    np.testing.assert_allclose(h.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_jacobian_inside_tf_function():
    @tf.function
    def jac(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.matmul(x, W1) ** 2
        return tape.jacobian(y, x)

    x = tf.constant(RNG.standard_normal((2, 3)))
    ref = _numeric_jacobian(lambda z: (z @ W1) ** 2, x.numpy())
    np.testing.assert_allclose(jac(x).numpy(), ref, rtol=1e-6, atol=1e-8)


def test_custom_gradient_reading_values_falls_back_to_the_loop():
    @tf.custom_gradient
    def scaled(x):
        def grad(dy):
            return dy * float(np.sum(dy.numpy()) * 0 + 3.0)  # needs an eager dy
        return tf.identity(x), grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scaled(x) * 2.0
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), 6 * np.eye(2))


def test_jacobian_in_chunks(monkeypatch):
    monkeypatch.setattr(vectorize, "MEMORY_LIMIT", 512)
    x = tf.constant(RNG.standard_normal(12))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.tanh(x) * tf.reduce_sum(x)
    ref = _numeric_jacobian(lambda z: np.tanh(z) * z.sum(), x.numpy())
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), ref, rtol=1e-6, atol=1e-8)


def test_hessians_are_vectorized(loops):
    a = RNG.standard_normal((3, 3))

    @tf.function
    def hess(x):
        return tf.hessians(tf.reduce_sum(tf.tanh(tf.linalg.matvec(tf.constant(a), x)) ** 2), x)

    x = tf.constant(RNG.standard_normal(3))
    f = lambda z: (np.tanh(a @ z) ** 2).sum()  # noqa: E731
    ref = _numeric_jacobian(lambda z: _numeric_jacobian(f, z, 1e-5), x.numpy(), 1e-4)
    np.testing.assert_allclose(hess(x)[0].numpy(), ref, rtol=1e-5, atol=1e-6)
    assert loops == []
