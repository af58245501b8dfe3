"""Tests for tf.linalg (rill/ops/linalg_ops.py): forward against NumPy, errors, shape rules
with unknown dimensions, gradients in traced functions, and parity with TensorFlow when it
is installed. Gradients of every op are also checked numerically by specs_linalg.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core.errors import InvalidArgumentError
from tests.ops.test_nn_ops import PARITY_SCRIPTS, tensorflow_results


def _spd(rng, n, batch=()):
    b = rng.standard_normal(batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def _sig(shape, dtype=tf.float32):
    return tf.TensorSpec(shape, dtype)


def traced_shape(fn, *specs):
    """The static output shape(s) of fn traced with input_signature `specs`."""
    out = tf.function(fn, input_signature=list(specs)).get_concrete_function() \
        .structured_outputs
    return [o.shape for o in out] if isinstance(out, (list, tuple)) else out.shape


# -- einsum and tensordot -----------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ba", [(2, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...i,i", [(2, 3), (3,)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("abc->cab", [(2, 3, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.complex64])
def test_einsum_matches_numpy(rng, eq, shapes, dtype):
    xs = [(rng.standard_normal(s) * 3).astype(dtype) for s in shapes]
    out = tf.einsum(eq, *xs)
    want = np.einsum(eq.replace(" ", ""), *xs)
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5)


def test_einsum_large_uses_same_result(rng):
    a, b = rng.standard_normal((64, 80)), rng.standard_normal((80, 96))
    np.testing.assert_allclose(tf.einsum("ij,jk->ik", a, b).numpy(), a @ b, rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.einsum("ij,jk->ik", [a, b]).numpy(), a @ b,
                               rtol=1e-10)


@pytest.mark.parametrize("eq,args,exc,text", [
    ("ij,jk->ik", [np.ones((2, 3))], ValueError, "2 operand"),
    ("ij->ji", [np.ones((2, 3, 4))], InvalidArgumentError, "subscripts"),
    ("ij,jk->ik", [np.ones((2, 3)), np.ones((4, 5))], InvalidArgumentError, "size 3"),
    ("i1->i", [np.ones(3)], ValueError, "invalid character"),
    ("ij->kk", [np.ones((2, 3))], ValueError, "twice"),
    ("ij->k", [np.ones((2, 3))], ValueError, "appears in no input"),
])
def test_einsum_errors(eq, args, exc, text):
    with pytest.raises(exc, match=text):
        tf.einsum(eq, *args)


def test_einsum_dtype_mismatch():
    with pytest.raises(InvalidArgumentError, match="one dtype"):
        tf.einsum("i,i->", np.ones(2, np.float32), np.ones(2, np.float64))


def test_einsum_rule_unknown_dims():
    shape = traced_shape(lambda a, b: tf.einsum("...ij,jk->...ik", a, b),
                         _sig([None, 2, 3]), _sig([3, None]))
    assert shape.as_list() == [None, 2, None]
    assert traced_shape(lambda a: tf.einsum("ij->ji", a), _sig([None, 4])).as_list() == \
        [4, None]
    assert traced_shape(lambda a: tf.einsum("...i->...", a), _sig(None)).rank is None


def test_einsum_gradient_in_tf_function(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))

    @tf.function
    def grads(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = tf.reduce_sum(tf.einsum("ij,jk->ik", a, b) ** 2)
        return tape.gradient(y, [a, b])

    ga, gb = grads(tf.constant(a), tf.constant(b))
    c = a @ b
    np.testing.assert_allclose(ga.numpy(), 2 * c @ b.T, rtol=1e-10)
    np.testing.assert_allclose(gb.numpy(), 2 * a.T @ c, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2))
def test_einsum_batched_matmul_property(m, k, n, batch):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.standard_normal((batch + 1, m, k))
    b = rng.standard_normal((k, n))
    np.testing.assert_allclose(tf.einsum("...mk,kn->...mn", a, b).numpy(), a @ b,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("axes", [1, 0, 2, [[1], [0]], [[0, 1], [1, 0]], [1, 0]])
def test_tensordot(rng, axes):
    a = rng.standard_normal((3, 3))
    b = rng.standard_normal((3, 3))
    np.testing.assert_allclose(tf.tensordot(a, b, axes).numpy(), np.tensordot(a, b, axes),
                               rtol=1e-10)


def test_tensordot_errors():
    with pytest.raises(ValueError, match="axes=3"):
        tf.tensordot(np.ones((2, 2)), np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="differ in length"):
        tf.tensordot(np.ones((2, 2)), np.ones((2, 2)), [[0, 1], [0]])


# -- transposes, diagonals, bands, eye, trace ---------------------------------------------
def test_matrix_transpose_and_adjoint():
    x = np.arange(24).reshape(2, 3, 4) + 1j * np.ones((2, 3, 4))
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(x).numpy(),
                                  np.swapaxes(x, -1, -2))
    np.testing.assert_array_equal(tf.linalg.adjoint(x).numpy(), np.swapaxes(x, -1, -2).conj())
    np.testing.assert_array_equal(tf.linalg.matrix_transpose(x, conjugate=True).numpy(),
                                  np.swapaxes(x, -1, -2).conj())
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.linalg.matrix_transpose(np.ones(3))


def test_diag_and_diag_part():
    d = np.array([[1, 2], [3, 4]], np.int32)
    out = tf.linalg.diag(d).numpy()
    assert out.dtype == np.int32 and out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[1], np.diag([3, 4]))
    np.testing.assert_array_equal(tf.linalg.diag([1., 2.], k=1).numpy(),
                                  np.diag([1., 2.], k=1))
    np.testing.assert_array_equal(tf.linalg.diag([1., 2.], k=-1, num_rows=4).numpy(),
                                  [[0, 0], [1, 0], [0, 2], [0, 0]])
    np.testing.assert_array_equal(tf.linalg.diag([1., 2.], padding_value=9).numpy(),
                                  [[1, 9], [9, 2]])
    x = np.arange(12.).reshape(3, 4)
    for k in (0, 1, -1, 3, -2):
        np.testing.assert_array_equal(tf.linalg.diag_part(x, k=k).numpy(),
                                      np.diagonal(x, offset=k))
    with pytest.raises(InvalidArgumentError, match="does not fit"):
        tf.linalg.diag([1., 2.], num_rows=3, num_cols=4)
    with pytest.raises(NotImplementedError, match="single diagonal"):
        tf.linalg.diag_part(x, k=(0, 1))


def test_set_diag():
    x = np.zeros((2, 3, 3))
    out = tf.linalg.set_diag(x, np.ones((2, 3))).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_array_equal(tf.linalg.set_diag(np.zeros((3, 3)), [5., 6.], k=1).numpy(),
                                  np.diag([5., 6.], k=1))


@pytest.mark.parametrize("lo,up", [(0, -1), (-1, 0), (1, 1), (0, 0), (-1, -1), (2, 0)])
def test_band_part(rng, lo, up):
    x = rng.standard_normal((2, 4, 5))
    i, j = np.arange(4)[:, None], np.arange(5)[None, :]
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    np.testing.assert_array_equal(tf.linalg.band_part(x, lo, up).numpy(), x * keep)
    np.testing.assert_array_equal(
        tf.linalg.band_part(x, tf.constant(lo), tf.constant(up)).numpy(), x * keep)


def test_eye_and_trace():
    np.testing.assert_array_equal(tf.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(tf.eye(2, 3, dtype=tf.int32).numpy(), np.eye(2, 3))
    out = tf.linalg.eye(2, batch_shape=[3, 1], dtype=tf.float64)
    assert out.shape == (3, 1, 2, 2) and out.dtype == tf.float64
    assert tf.eye(tf.constant(2)).shape == (2, 2)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.eye(-1)
    x = np.arange(18.).reshape(2, 3, 3)
    np.testing.assert_array_equal(tf.linalg.trace(x).numpy(), np.trace(x, axis1=1, axis2=2))


# -- inverse, determinants, solves, factorizations ----------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_inv_det_slogdet(rng, dtype):
    a = (rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(tf.linalg.inv(a).numpy(), np.linalg.inv(a), rtol=tol)
    np.testing.assert_allclose(tf.linalg.inv(a, adjoint=True).numpy(),
                               np.linalg.inv(np.swapaxes(a, -1, -2).conj()), rtol=tol)
    d = tf.linalg.det(a)
    assert d.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(d.numpy(), np.linalg.det(a), rtol=tol)
    if dtype != np.complex128:
        sign, logdet = tf.linalg.slogdet(a)
        ws, wl = np.linalg.slogdet(a)
        np.testing.assert_allclose(sign.numpy(), ws)
        np.testing.assert_allclose(logdet.numpy(), wl, rtol=tol)


def test_det_scalar_dtype():
    out = tf.linalg.det(np.eye(2, dtype=np.float32))
    assert out.dtype == tf.float32 and out.shape == ()


def test_singular_and_not_positive_definite():
    with pytest.raises(InvalidArgumentError, match="not invertible"):
        tf.linalg.inv(np.zeros((2, 2)))
    with pytest.raises(InvalidArgumentError, match="Cholesky"):
        tf.linalg.cholesky(-np.eye(2))
    with pytest.raises(InvalidArgumentError, match="square"):
        tf.linalg.det(np.ones((2, 3)))
    with pytest.raises(InvalidArgumentError, match="float or complex"):
        tf.linalg.inv(np.eye(2, dtype=np.int32))


def test_cholesky_and_logdet(rng):
    a = _spd(rng, 4, (2,))
    chol = tf.linalg.cholesky(a).numpy()
    np.testing.assert_allclose(chol, np.linalg.cholesky(a), rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.logdet(a).numpy(), np.linalg.slogdet(a)[1],
                               rtol=1e-10)
    b = rng.standard_normal((2, 4, 2))
    np.testing.assert_allclose(tf.linalg.cholesky_solve(chol, b).numpy(),
                               np.linalg.solve(a, b), rtol=1e-8)


def test_solve_and_triangular_solve(rng):
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3, 2))
    np.testing.assert_allclose(tf.linalg.solve(a, b).numpy(), np.linalg.solve(a, b),
                               rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.solve(a, b, adjoint=True).numpy(),
                               np.linalg.solve(np.swapaxes(a, -1, -2), b), rtol=1e-10)
    low = np.tril(a)
    np.testing.assert_allclose(tf.linalg.triangular_solve(a, b).numpy(),
                               np.linalg.solve(low, b), rtol=1e-10)
    np.testing.assert_allclose(tf.linalg.triangular_solve(a, b, lower=False).numpy(),
                               np.linalg.solve(np.triu(a), b), rtol=1e-10)
    with pytest.raises(InvalidArgumentError, match="rhs must have shape"):
        tf.linalg.solve(a[0], b[0, :, 0])
    with pytest.raises(InvalidArgumentError, match="float64"):
        tf.linalg.solve(a, b.astype(np.float32))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 3, 5)])
@pytest.mark.parametrize("full", [False, True])
def test_qr(rng, shape, full):
    x = rng.standard_normal(shape)
    q, r = tf.linalg.qr(x, full_matrices=full)
    wq, wr = np.linalg.qr(x, mode="complete" if full else "reduced")
    assert q.shape == wq.shape and r.shape == wr.shape
    np.testing.assert_allclose((q.numpy() @ r.numpy()), x, atol=1e-12)
    np.testing.assert_allclose(np.triu(r.numpy()), r.numpy())


def test_qr_gradient_full_tall_raises(rng):
    x = tf.constant(rng.standard_normal((3, 2)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        q, r = tf.linalg.qr(x, full_matrices=True)
        y = tf.reduce_sum(q)
    with pytest.raises(NotImplementedError, match="not unique"):
        tape.gradient(y, x)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_svd(rng, shape, full):
    x = rng.standard_normal(shape)
    s, u, v = tf.linalg.svd(x, full_matrices=full)
    ws = np.linalg.svd(x, compute_uv=False)
    np.testing.assert_allclose(s.numpy(), ws, rtol=1e-10)
    k = min(shape[-2:])
    # TensorFlow returns v (not its adjoint): x = u[:, :k] diag(s) v[:, :k]^T
    recon = (u.numpy()[..., :k] * s.numpy()[..., None, :]) @ np.swapaxes(v.numpy()[..., :k],
                                                                         -1, -2)
    np.testing.assert_allclose(recon, x, atol=1e-12)
    m, n = shape[-2:]
    assert u.shape[-2:] == ((m, m) if full else (m, k))
    assert v.shape[-2:] == ((n, n) if full else (n, k))
    s_only = tf.linalg.svd(x, compute_uv=False)
    np.testing.assert_allclose(s_only.numpy(), ws, rtol=1e-10)


def test_eigh(rng):
    a = _spd(rng, 4, (2,))
    e, v = tf.linalg.eigh(a)
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(a), rtol=1e-10)
    np.testing.assert_allclose((v.numpy() * e.numpy()[..., None, :]) @
                               np.swapaxes(v.numpy(), -1, -2), a, atol=1e-10)
    np.testing.assert_allclose(tf.linalg.eigvalsh(a).numpy(), np.linalg.eigvalsh(a),
                               rtol=1e-10)


def test_eigh_gradient_of_eigenvalues(rng):
    # d(sum of eigenvalues)/dA is the identity on the lower triangle (the trace's gradient)
    a = tf.constant(_spd(rng, 3))
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.reduce_sum(tf.linalg.eigvalsh(a))
    np.testing.assert_allclose(tape.gradient(y, a).numpy(), np.eye(3), atol=1e-10)


def test_matvec_pinv_global_norm_normalize(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    np.testing.assert_allclose(tf.linalg.matvec(a, b).numpy(), np.einsum("bij,bj->bi", a, b))
    np.testing.assert_allclose(tf.linalg.matvec(a, rng.standard_normal(3),
                                                transpose_a=True).shape, (2, 4))
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(tf.linalg.pinv(x).numpy(), np.linalg.pinv(x), atol=1e-10)
    ts = [np.ones(3), np.ones((2, 2))]
    np.testing.assert_allclose(tf.linalg.global_norm(ts).numpy(), np.sqrt(7.0))
    n, norm = tf.linalg.normalize(np.array([3., 4.]))
    np.testing.assert_allclose(n.numpy(), [0.6, 0.8])
    np.testing.assert_allclose(norm.numpy(), [5.0])


# -- norms --------------------------------------------------------------------------------
@pytest.mark.parametrize("ord_,axis", [
    ("euclidean", None), ("euclidean", 1), (1, 0), (2, -1), (np.inf, 1), (3, 1), (0.5, 0),
    ("fro", (0, 1)), ("euclidean", (0, 1)), (1, (0, 1)), (np.inf, (0, 1)), (2, (0, 1)),
    (1, (1, 0)), (2, (-1, -2)),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_numpy(rng, ord_, axis, keepdims):
    x = rng.standard_normal((3, 4))
    out = tf.norm(x, ord=ord_, axis=list(axis) if isinstance(axis, tuple) else axis,
                  keepdims=keepdims)
    if axis is None:
        want = np.linalg.norm(x.reshape(-1))
        want = np.reshape(want, (1, 1)) if keepdims else want
    else:
        o = "fro" if ord_ == "euclidean" and isinstance(axis, tuple) else (
            None if ord_ == "euclidean" else ord_)
        want = np.linalg.norm(x, ord=o, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)


def test_norm_batched_matrix_and_complex(rng):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(tf.linalg.norm(x, ord=2, axis=[-2, -1]).numpy(),
                               np.linalg.norm(x, ord=2, axis=(-2, -1)), rtol=1e-10)
    z = np.array([3 + 4j, 0j])
    out = tf.norm(z)
    assert out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), 5.0)


@pytest.mark.parametrize("ord_,axis", [("fro", 0), ("fro", None), (-1, None), ("nuc", (0, 1)),
                                       (3, (0, 1))])
def test_norm_invalid(ord_, axis):
    with pytest.raises(ValueError, match="'ord' must be"):
        tf.norm(np.ones((2, 2)), ord=ord_, axis=list(axis) if isinstance(axis, tuple) else axis)


def test_norm_gradient(rng):
    x = tf.constant(rng.standard_normal(5))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.norm(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), x.numpy() / np.linalg.norm(x))


# -- shape rules with unknown dimensions --------------------------------------------------
def test_rules_unknown_dims():
    assert traced_shape(tf.linalg.inv, _sig([None, 3, 3])).as_list() == [None, 3, 3]
    assert traced_shape(tf.linalg.det, _sig([None, None, None])).as_list() == [None]
    assert traced_shape(lambda x: list(tf.linalg.svd(x)), _sig([None, 5, 3])) == \
        [tf.TensorShape([None, 3]), tf.TensorShape([None, 5, 3]), tf.TensorShape([None, 3, 3])]
    assert traced_shape(lambda x: list(tf.linalg.qr(x)), _sig([4, None])) == \
        [tf.TensorShape([4, None]), tf.TensorShape([None, None])]
    assert traced_shape(tf.linalg.diag_part, _sig([2, None, 3])).as_list() == [2, None]
    assert traced_shape(tf.linalg.diag, _sig([None, 3])).as_list() == [None, 3, 3]
    assert traced_shape(lambda a, b: tf.linalg.solve(a, b), _sig([None, 3, 3]),
                        _sig([None, 3, 2])).as_list() == [None, 3, 2]
    assert traced_shape(tf.linalg.cholesky, _sig(None)).rank is None


def test_gradients_traced_with_unknown_batch(rng):
    @tf.function(input_signature=[_sig([None, 3, 3], tf.float64)])
    def grad_det(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.reduce_sum(tf.linalg.det(a))
        return tape.gradient(y, a)

    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    want = np.linalg.det(a)[:, None, None] * np.linalg.inv(np.swapaxes(a, -1, -2))
    np.testing.assert_allclose(grad_det(tf.constant(a)).numpy(), want, rtol=1e-10)


# -- parity with TensorFlow (skipped when it is not installed) ----------------------------
PARITY_SCRIPTS["linalg"] = r"""
x = np.arange(12.).reshape(3, 4) / 7 - 0.5
out["einsum_implicit"] = tf.einsum("ba", x).numpy().tolist()
out["diag_k_rows"] = tf.linalg.diag([1., 2.], k=-1, num_rows=4).numpy().tolist()
out["diag_cols"] = tf.linalg.diag([1., 2.], num_cols=3).numpy().tolist()
out["norm_inf"] = tf.norm(x, ord=np.inf, axis=[0, 1]).numpy().tolist()
out["norm_1"] = tf.norm(x, ord=1, axis=[-2, -1], keepdims=True).numpy().tolist()
out["band"] = tf.linalg.band_part(x, 1, 0).numpy().tolist()
out["diag_part"] = tf.linalg.diag_part(x, k=-1).numpy().tolist()
"""


@pytest.fixture
def tf_results(tf_python):
    return tensorflow_results(tf_python)


def test_parity_with_tensorflow(tf_results):
    x = np.arange(12.).reshape(3, 4) / 7 - 0.5
    mine = {
        "einsum_implicit": tf.einsum("ba", x),
        "diag_k_rows": tf.linalg.diag([1., 2.], k=-1, num_rows=4),
        "diag_cols": tf.linalg.diag([1., 2.], num_cols=3),
        "norm_inf": tf.norm(x, ord=np.inf, axis=[0, 1]),
        "norm_1": tf.norm(x, ord=1, axis=[-2, -1], keepdims=True),
        "band": tf.linalg.band_part(x, 1, 0),
        "diag_part": tf.linalg.diag_part(x, k=-1),
    }
    for key, val in mine.items():
        np.testing.assert_allclose(val.numpy(), np.array(tf_results[key]), rtol=1e-6,
                                   err_msg=key)


def test_docstring_examples():
    import doctest

    from rill.ops import linalg_ops
    result = doctest.testmod(linalg_ops, extraglobs={"tf": tf, "np": np},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
