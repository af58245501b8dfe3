"""The fast convolution and pooling kernels (rill/ops/_conv_kernels.py) and the N-D public
functions (conv3d, conv3d_transpose, max_pool3d, avg_pool3d, pool, grouped conv2d).

The kernels walk the batch in chunks spread over threads; the registry-wide specs use inputs
too small for that, so here the chunk size and the threading threshold are lowered to force
several chunks on two threads, and every kernel is checked against the loop references of
specs_conv.py (derived from the definition, not from the kernels). Also: float32 stays
float32, results do not depend on the thread count, TensorFlow's tie and NaN rules of the
max-pool gradient, errors, and parity with TensorFlow when RILL_TF_PYTHON is set.
"""

import json
import subprocess

import numpy as np
import pytest

import rill as tf
from rill._core import blas
from rill._core.errors import InvalidArgumentError
from rill.ops import _conv_kernels as K
from tests.ops.specs_conv import (
    conv_nd_filter_ref,
    conv_nd_input_ref,
    conv_nd_ref,
    max_pool_nd_grad_ref,
    pool_nd_ref,
)


@pytest.fixture(params=["serial", "threads"])
def chunked(request, monkeypatch):
    """Tiny chunks; with "threads" every kernel runs its chunks on two threads."""
    monkeypatch.setattr(K, "CHUNK_BYTES", 256)
    if request.param == "threads":
        monkeypatch.setattr(K, "PARALLEL_COST", 0)
        monkeypatch.setattr(K, "_blas_policy_on", lambda: True)
        saved = blas.large_product_threads()
        blas.set_large_product_threads(2)
        yield request.param
        blas.set_large_product_threads(saved)
    else:
        monkeypatch.setattr(K, "PARALLEL_COST", 1 << 62)
        yield request.param


def _geometry(x_shape, ks, s, padding, d):
    explicit = None
    if not isinstance(padding, str):
        explicit, padding = tuple(tuple(p) for p in padding), "EXPLICIT"
    return K.geometry(x_shape[1:-1], ks, s, d, padding, explicit)


# (x shape, filter shape, strides, padding, dilations, groups): both im2col layouts, groups,
# 1-D, 3-D, strides, dilations, paddings, non-overlapping windows
CASES = [
    ((7, 9, 8, 5), (3, 3, 5, 4), (1, 1), "SAME", (1, 1), 1),
    ((5, 9, 8, 1), (3, 2, 1, 4), (2, 1), "VALID", (1, 2), 1),
    ((6, 8, 8, 6), (2, 2, 3, 4), (2, 2), "VALID", (1, 1), 2),
    ((5, 7, 7, 3), (3, 3, 1, 6), (1, 1), "SAME", (2, 2), 3),
    ((9, 11, 4), (3, 4, 3), (2,), [(2, 0)], (1,), 1),
    ((4, 4, 5, 4, 4), (2, 3, 2, 4, 3), (1, 2, 1), "SAME", (1, 1, 1), 1),
    ((3, 5, 5, 5, 2), (2, 2, 2, 1, 4), (1, 1, 1), "VALID", (2, 1, 1), 2),
    # a group per channel with one filter each (depthwise, multiplier 1): the scaling path
    ((5, 7, 6, 4), (3, 3, 1, 4), (1, 2), "SAME", (1, 1), 4),
    ((4, 6, 6, 3), (2, 2, 1, 3), (2, 2), "VALID", (1, 1), 3),
    ((3, 4, 4, 4, 2), (2, 2, 2, 1, 2), (1, 1, 1), "SAME", (1, 2, 1), 2),
    ((6, 9, 1), (3, 1, 1), (1,), [(1, 2)], (1,), 1),
]


@pytest.mark.parametrize("xs,ws,s,padding,d,g", CASES)
def test_chunked_conv_kernels_match_references(chunked, xs, ws, s, padding, d, g):
    rng = np.random.default_rng(len(xs) * 10 + g)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    outs, pads = _geometry(xs, ws[:-2], s, padding, d)
    y = K.conv(x, w, s, d, pads, outs)
    np.testing.assert_allclose(y, conv_nd_ref(x, w, s, padding, d, g), rtol=1e-10,
                               atol=1e-12)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(K.conv_input(xs, w, dy, s, d, pads, outs),
                               conv_nd_input_ref(xs, w, dy, s, padding, d, g), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(K.conv_filter(x, ws, dy, s, d, pads, outs),
                               conv_nd_filter_ref(x, ws, dy, s, padding, d, g), rtol=1e-10,
                               atol=1e-12)


POOLS = [((9, 8, 8, 3), (2, 2), (2, 2), "VALID"), ((7, 7, 6, 2), (3, 3), (2, 1), "SAME"),
         ((6, 9, 3), (3,), (1,), "VALID"), ((5, 4, 5, 3, 2), (2, 2, 2), (2, 2, 2), "SAME")]


@pytest.mark.parametrize("xs,k,s,padding", POOLS)
def test_chunked_pool_kernels_match_references(chunked, xs, k, s, padding):
    rng = np.random.default_rng(len(xs))
    x = rng.permutation(int(np.prod(xs))).reshape(xs) * 0.1  # no near ties
    outs, pads = _geometry(xs, k, s, padding, (1,) * len(k))
    y = K.max_pool(x, k, s, pads, outs)
    np.testing.assert_array_equal(y, pool_nd_ref(x, k, s, padding, "max"))
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(K.max_pool_grad(x, y, dy, k, s, pads, outs),
                               max_pool_nd_grad_ref(x, dy, k, s, padding), rtol=1e-12)
    np.testing.assert_allclose(K.avg_pool(x, k, s, pads, outs),
                               pool_nd_ref(x, k, s, padding, "avg"), rtol=1e-12)
    back = K.avg_pool_grad(xs, dy, k, s, pads, outs)  # the adjoint of avg_pool
    np.testing.assert_allclose(np.sum(back * x), np.sum(K.avg_pool(x, k, s, pads, outs) * dy),
                               rtol=1e-10)
    # the relu-fused gradient routes dy * (y > 0): half the maxima made negative
    shifted = x - np.median(x)
    y = K.max_pool(shifted, k, s, pads, outs)
    np.testing.assert_allclose(K.max_pool_grad(shifted, y, dy, k, s, pads, outs, relu=True),
                               max_pool_nd_grad_ref(shifted, dy * (y > 0), k, s, padding),
                               rtol=1e-12)


def test_results_do_not_depend_on_threads(monkeypatch):
    """Chunks are summed in one fixed order, so 1 or 2 threads give the same bits."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 13, 13, 32)).astype(np.float32)
    dy = rng.standard_normal((16, 11, 11, 64)).astype(np.float32)
    args = ((3, 3, 32, 64), dy, (1, 1), (1, 1), [(0, 0)] * 2, [11, 11])
    monkeypatch.setattr(K, "CHUNK_BYTES", 64 << 10)
    monkeypatch.setattr(K, "PARALLEL_COST", 1 << 62)
    serial = K.conv_filter(x, *args)
    monkeypatch.setattr(K, "PARALLEL_COST", 0)
    monkeypatch.setattr(K, "_blas_policy_on", lambda: True)
    saved = blas.large_product_threads()
    try:
        blas.set_large_product_threads(2)
        threaded = K.conv_filter(x, *args)
    finally:
        blas.set_large_product_threads(saved)
    np.testing.assert_array_equal(serial, threaded)


def test_chunk_runner_shares_work_and_reraises(monkeypatch):
    monkeypatch.setattr(K, "_blas_policy_on", lambda: True)
    saved = blas.large_product_threads()
    try:
        blas.set_large_product_threads(3)
        assert K._chunked(10, 3, 1 << 30, lambda a, b: (a, b)) == \
            [(0, 3), (3, 6), (6, 9), (9, 10)]

        def fail(a, b):
            if a == 6:
                raise ValueError("chunk 6")
            return a

        with pytest.raises(ValueError, match="chunk 6"):
            K._chunked(10, 3, 1 << 30, fail)

        class Idle:  # helpers that never run: the caller does every chunk itself
            def submit(self, fn):
                pass

        monkeypatch.setattr(K, "_executor", lambda workers: Idle())
        assert K._chunked(5, 2, 1 << 30, lambda a, b: b - a) == [2, 2, 1]
    finally:
        blas.set_large_product_threads(saved)


def test_w6_shapes_float32_against_float64():
    """The benchmark's shapes (several chunks, threads when the machine has them): float32
    in, float32 out, close to the float64 reference."""
    rng = np.random.default_rng(2)
    x = rng.random((64, 13, 13, 32), dtype=np.float32)
    w = (rng.standard_normal((3, 3, 32, 64)) * 0.1).astype(np.float32)
    y = tf.nn.conv2d(x, w, 1, "VALID")
    assert y.dtype == tf.float32
    want = conv_nd_ref(x.astype(np.float64), w.astype(np.float64), (1, 1))
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-4, atol=1e-4)
    xt, wt = tf.constant(x), tf.constant(w)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt])
        out = tf.reduce_sum(tf.nn.conv2d(xt, wt, 1, "VALID") * dy)
    gx, gw = tape.gradient(out, [xt, wt])
    assert gx.dtype == gw.dtype == tf.float32
    np.testing.assert_allclose(gx.numpy(), conv_nd_input_ref(
        x.shape, w.astype(np.float64), dy.astype(np.float64), (1, 1)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw.numpy(), conv_nd_filter_ref(
        x.astype(np.float64), w.shape, dy.astype(np.float64), (1, 1)), rtol=1e-4, atol=1e-3)


def test_max_pool_gradient_ties_and_non_finite_dy():
    # relu outputs: whole windows of zeros; the gradient goes to each window's first element
    x = np.zeros((8, 4, 4, 3), np.float32)
    x[:, 1, 1] = 1.0
    y = K.max_pool(x, (2, 2), (2, 2), [(0, 0)] * 2, [2, 2])
    dy = np.ones(y.shape, np.float32)
    g = K.max_pool_grad(x, y, dy, (2, 2), (2, 2), [(0, 0)] * 2, [2, 2])
    np.testing.assert_array_equal(g, max_pool_nd_grad_ref(x, dy, (2, 2), (2, 2), "VALID"))
    assert g[0, :, :, 0].tolist() == [[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    # a nan or inf gradient reaches only its window's maximum; every other entry is exactly 0
    dy[0, 0, 0, 0], dy[0, 1, 1, 0] = np.nan, np.inf
    g = K.max_pool_grad(x, y, dy, (2, 2), (2, 2), [(0, 0)] * 2, [2, 2])
    assert np.isnan(g[0, 1, 1, 0]) and np.isinf(g[0, 2, 2, 0])
    assert np.count_nonzero(~np.isfinite(g)) == 2 and np.all(g[np.isfinite(g)] >= 0)
    assert g[0, 0, 0, 0] == 0 and not np.signbit(g).any()
    # fused with relu's gradient: the same values as ReluGrad first, nan and inf included
    x[2] -= 2.0  # windows whose maximum is negative: their dy (inf, nan too) is masked
    y = K.max_pool(x, (2, 2), (2, 2), [(0, 0)] * 2, [2, 2])
    dy[2, 0, 1, 0], dy[2, 1, 1, 1] = np.inf, np.nan
    for d in (np.where(np.isfinite(dy), dy, 1.0), dy):
        with np.errstate(invalid="ignore"):  # inf * 0, as ReluGrad's kernel computes it
            masked = np.multiply(d, y > 0, dtype=d.dtype)
            got = K.max_pool_grad(x, y, d, (2, 2), (2, 2), [(0, 0)] * 2, [2, 2], relu=True)
        want = K.max_pool_grad(x, y, masked, (2, 2), (2, 2), [(0, 0)] * 2, [2, 2])
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("keep", [True, False])
def test_scratch_buffers_never_leak_into_results(chunked, monkeypatch, keep):
    """Intermediates live in per-thread buffers reused across calls (or fresh ones when over
    SCRATCH_BYTES): a result must survive the next call and match the references."""
    if not keep:
        monkeypatch.setattr(K, "SCRATCH_BYTES", 0)
    rng = np.random.default_rng(7)
    for xs, ws in [((6, 9, 8, 5), (3, 3, 5, 4)), ((5, 9, 8, 1), (3, 2, 1, 4))]:
        outs, pads = _geometry(xs, ws[:-2], (1, 1), "VALID", (1, 1))
        runs = []
        for _ in range(2):
            x, w = rng.standard_normal(xs), rng.standard_normal(ws)
            dy = rng.standard_normal((xs[0], *outs, ws[-1]))
            got = (K.conv(x, w, (1, 1), (1, 1), pads, outs),
                   K.conv_input(xs, w, dy, (1, 1), (1, 1), pads, outs),
                   K.conv_filter(x, ws, dy, (1, 1), (1, 1), pads, outs))
            runs.append(((x, w, dy), got))
        for (x, w, dy), (y, dx, dw) in runs:
            np.testing.assert_allclose(y, conv_nd_ref(x, w, (1, 1), "VALID", (1, 1), 1),
                                       rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(
                dx, conv_nd_input_ref(xs, w, dy, (1, 1), "VALID", (1, 1), 1), rtol=1e-10,
                atol=1e-12)
            np.testing.assert_allclose(
                dw, conv_nd_filter_ref(x, ws, dy, (1, 1), "VALID", (1, 1), 1), rtol=1e-10,
                atol=1e-12)


def test_kernels_never_return_a_view_of_their_input():
    x = np.ones((2, 4, 4, 3), np.float32)
    for out in (K.max_pool(x, (1, 1), (1, 1), [(0, 0)] * 2, [4, 4]),
                K.conv(x, np.ones((1, 1, 3, 3), np.float32), (1, 1), (1, 1), [(0, 0)] * 2,
                       [4, 4])):
        assert not np.shares_memory(out, x)


# -- the public N-D functions ------------------------------------------------------------
def test_conv3d_and_convolution(rng):
    x, w = rng.standard_normal((2, 5, 6, 4, 3)), rng.standard_normal((3, 2, 2, 3, 4))
    want = conv_nd_ref(x, w, (2, 1, 2), "SAME")
    np.testing.assert_allclose(tf.nn.conv3d(x, w, [1, 2, 1, 2, 1], "SAME").numpy(), want,
                               rtol=1e-10)
    np.testing.assert_allclose(tf.nn.convolution(x, w, [2, 1, 2], "SAME").numpy(), want,
                               rtol=1e-10)
    ncdhw = tf.nn.conv3d(np.moveaxis(x, -1, 1), w, [1, 1, 2, 1, 2], "SAME",
                         data_format="NCDHW")
    np.testing.assert_allclose(ncdhw.numpy(), np.moveaxis(want, -1, 1), rtol=1e-10)


def test_conv3d_transpose_is_the_adjoint(rng):
    x_shape = (2, 5, 4, 6, 3)
    w = rng.standard_normal((3, 2, 3, 3, 4))
    x = rng.standard_normal(x_shape)
    y = tf.nn.conv3d(x, w, [1, 2, 1, 2, 1], "SAME")
    dy = rng.standard_normal(y.shape)
    back = tf.nn.conv3d_transpose(dy, w, x_shape, [1, 2, 1, 2, 1], "SAME").numpy()
    np.testing.assert_allclose(back, conv_nd_input_ref(x_shape, w, dy, (2, 1, 2), "SAME"),
                               rtol=1e-10)
    np.testing.assert_allclose(np.sum(y.numpy() * dy), np.sum(x * back), rtol=1e-10)
    np.testing.assert_allclose(tf.nn.conv_transpose(dy, w, x_shape, [2, 1, 2]).numpy(), back,
                               rtol=1e-10)


def test_grouped_conv2d_and_its_gradients(rng):
    x, w = rng.standard_normal((2, 6, 5, 6)), rng.standard_normal((3, 3, 2, 9))
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 1, "SAME").numpy(),
                               conv_nd_ref(x, w, (1, 1), "SAME", groups=3), rtol=1e-10)
    xt, wt = tf.constant(x), tf.constant(w)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt])
        y = tf.nn.conv2d(xt, wt, 2, "VALID")
    dy = np.ones(y.shape)
    gx, gw = tape.gradient(y, [xt, wt])
    np.testing.assert_allclose(gx.numpy(), conv_nd_input_ref(x.shape, w, dy, (2, 2),
                                                             groups=3), rtol=1e-10)
    np.testing.assert_allclose(gw.numpy(), conv_nd_filter_ref(x, w.shape, dy, (2, 2),
                                                              groups=3), rtol=1e-10)


def test_pool3d_and_pool(rng):
    x = rng.standard_normal((2, 5, 4, 6, 3))
    np.testing.assert_allclose(tf.nn.max_pool3d(x, 2, 2, "SAME").numpy(),
                               pool_nd_ref(x, (2, 2, 2), (2, 2, 2), "SAME", "max"))
    np.testing.assert_allclose(tf.nn.avg_pool3d(x, [1, 3, 2, 2, 1], 1, "VALID").numpy(),
                               pool_nd_ref(x, (3, 2, 2), (1, 1, 1), "VALID", "avg"),
                               rtol=1e-12)
    np.testing.assert_allclose(tf.nn.max_pool(x, 2, 2, "VALID").numpy(),
                               pool_nd_ref(x, (2, 2, 2), (2, 2, 2), "VALID", "max"))
    np.testing.assert_allclose(tf.nn.pool(x, [2, 2, 2], "AVG", [2, 2, 2], "SAME").numpy(),
                               pool_nd_ref(x, (2, 2, 2), (2, 2, 2), "SAME", "avg"), rtol=1e-12)
    x1 = rng.standard_normal((2, 9, 3))
    dilated = tf.nn.pool(x1, [3], "MAX", padding="VALID", dilations=[2]).numpy()
    want = np.max(np.stack([x1[:, k * 2:k * 2 + 5] for k in range(3)]), axis=0)
    np.testing.assert_array_equal(dilated, want)
    ncw = tf.nn.pool(np.moveaxis(x1, -1, 1), [3], "AVG", dilations=[2], data_format="NCW")
    np.testing.assert_allclose(ncw.numpy(), np.moveaxis(
        np.mean(np.stack([x1[:, k * 2:k * 2 + 5] for k in range(3)]), axis=0), -1, 1),
        rtol=1e-12)


def test_dilated_pool_gradient_goes_to_the_first_tap():
    x = tf.constant(np.array([1., 0., 1., 0., 1.]).reshape(1, 5, 1))  # every window ties
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.pool(x, [2], "MAX", dilations=[2])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy().ravel(), [1, 1, 1, 0, 0])


@pytest.mark.parametrize("call,exc,text", [
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 4)), np.ones((3, 3, 3, 2)), 1, "SAME"),
     InvalidArgumentError, "evenly divisible by filter depth: 4 vs 3"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 4)), np.ones((3, 3, 2, 5)), 1, "SAME"),
     InvalidArgumentError, "evenly divisible by number of groups: 5 vs 2"),
    (lambda: tf.nn.conv3d(np.ones((1, 5, 5, 4)), np.ones((3, 3, 3, 4, 2)), 1, "SAME"),
     InvalidArgumentError, "rank 5"),
    (lambda: tf.nn.max_pool3d(np.ones((1, 4, 4, 1)), 2, 2, "SAME"), InvalidArgumentError,
     "rank 5"),
    (lambda: tf.nn.max_pool(np.ones((1, 2, 2, 2, 2, 1)), 2, 2, "SAME"),
     InvalidArgumentError, "rank 3, 4 or 5"),
    (lambda: tf.nn.pool(np.ones((1, 7, 2)), [2], "MIN"), ValueError, "'MAX' or 'AVG'"),
    (lambda: tf.nn.pool(np.ones((1, 7, 2)), [2], "MAX", padding="SAME", dilations=[2]),
     ValueError, "not implemented for `dilation_rate` > 1"),
    (lambda: tf.nn.pool(np.ones((1, 7, 2)), [2], "MAX", strides=[2], dilations=[2]),
     ValueError, "`strides > 1` not supported"),
    (lambda: tf.nn.conv_transpose(np.ones((1, 2, 2, 2, 2, 1)), np.ones((1,) * 6), [1] * 6, 1),
     InvalidArgumentError, "1-D, 2-D and 3-D"),
])
def test_errors(call, exc, text):
    with pytest.raises(exc, match=text) as info:
        call()
    assert "hint:" in str(info.value)


# -- parity with TensorFlow (skipped unless RILL_TF_PYTHON is set) -------------------------
TF_SCRIPT = r"""
import json, sys
import numpy as np, tensorflow as tf
a = json.load(sys.stdin)
x3, w3 = np.array(a["x3"], np.float32), np.array(a["w3"], np.float32)
x2, wg = np.array(a["x2"], np.float32), np.array(a["wg"], np.float32)
out = {}
xt = tf.constant(x3)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(xt)
    c = tf.nn.conv3d(xt, w3, [1, 2, 1, 2, 1], "SAME")
    m = tf.nn.max_pool3d(xt, 2, 2, "SAME")
    v = tf.nn.avg_pool3d(xt, 3, 2, "SAME")
out["conv3d"] = c.numpy().tolist()
out["max3d"] = m.numpy().tolist()
out["avg3d"] = v.numpy().tolist()
out["gconv3d"] = tape.gradient(c, xt).numpy().tolist()
out["gmax3d"] = tape.gradient(m, xt).numpy().tolist()
out["gavg3d"] = tape.gradient(v, xt).numpy().tolist()
out["t3d"] = tf.nn.conv3d_transpose(c, w3, x3.shape, [1, 2, 1, 2, 1], "SAME").numpy().tolist()
out["grouped"] = tf.nn.conv2d(x2, wg, 2, "SAME").numpy().tolist()
out["pool"] = tf.nn.pool(x2, [2, 2], "MAX", padding="VALID", dilations=[2, 2]).numpy().tolist()
json.dump(out, sys.stdout)
"""


def test_parity_with_tensorflow(tf_python):
    rng = np.random.default_rng(0)
    x3 = rng.standard_normal((2, 5, 4, 6, 3)).astype(np.float32)
    w3 = rng.standard_normal((3, 2, 3, 3, 4)).astype(np.float32)
    x2 = rng.standard_normal((2, 7, 6, 6)).astype(np.float32)
    wg = rng.standard_normal((3, 3, 2, 6)).astype(np.float32)
    args = {"x3": x3.tolist(), "w3": w3.tolist(), "x2": x2.tolist(), "wg": wg.tolist()}
    proc = subprocess.run([tf_python, "-c", TF_SCRIPT], input=json.dumps(args),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    theirs = json.loads(proc.stdout.strip().splitlines()[-1])
    xt = tf.constant(x3)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        c = tf.nn.conv3d(xt, w3, [1, 2, 1, 2, 1], "SAME")
        m = tf.nn.max_pool3d(xt, 2, 2, "SAME")
        v = tf.nn.avg_pool3d(xt, 3, 2, "SAME")
    mine = {"conv3d": c, "max3d": m, "avg3d": v, "gconv3d": tape.gradient(c, xt),
            "gmax3d": tape.gradient(m, xt), "gavg3d": tape.gradient(v, xt),
            "t3d": tf.nn.conv3d_transpose(c, w3, x3.shape, [1, 2, 1, 2, 1], "SAME"),
            "grouped": tf.nn.conv2d(x2, wg, 2, "SAME"),
            "pool": tf.nn.pool(x2, [2, 2], "MAX", padding="VALID", dilations=[2, 2])}
    for key, value in mine.items():
        np.testing.assert_allclose(np.asarray(value), np.array(theirs[key]), rtol=1e-5,
                                   atol=1e-5, err_msg=key)
