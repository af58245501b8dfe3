"""Tests for convolution and pooling (rill/ops/conv_ops.py): forward against loop-based NumPy
references, adjoint identities for the transposed convolutions, TensorFlow's tie and
padding rules, errors, shape rules with unknown dimensions, and parity with TensorFlow when
it is installed. Gradients (first and second order) are checked numerically by
specs_nn.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core.errors import InvalidArgumentError
from tests.ops.specs_nn import conv_input_ref, conv_ref, depthwise_ref, pool_ref
from tests.ops.test_nn_ops import PARITY_SCRIPTS, tensorflow_results

CONV_CASES = [(1, "SAME", 1), (1, "VALID", 1), (2, "SAME", 1), (2, "VALID", 1),
              (3, "SAME", 1), (1, "SAME", 2), (2, "VALID", 2)]


def traced_shape(fn, *shapes):
    specs = [tf.TensorSpec(s, tf.float32) for s in shapes]
    return tf.function(fn, input_signature=specs).get_concrete_function() \
        .structured_outputs.shape


@pytest.mark.parametrize("s,padding,d", CONV_CASES)
@pytest.mark.parametrize("shape,kshape", [((2, 5, 5, 3), (3, 3, 3, 4)),
                                          ((1, 7, 6, 1), (2, 3, 1, 2)),
                                          ((2, 6, 6, 5), (1, 1, 5, 3))])
def test_conv2d_matches_reference(rng, s, padding, d, shape, kshape):
    x, w = rng.standard_normal(shape), rng.standard_normal(kshape)
    out = tf.nn.conv2d(x, w, s, padding, dilations=d)
    np.testing.assert_allclose(out.numpy(), conv_ref(x, w, s, padding, d), rtol=1e-10,
                               atol=1e-12)


def test_empty_outputs_like_tensorflow():
    # a window one larger than the input gives an empty output, as in TensorFlow
    assert tf.nn.conv2d(np.ones((1, 2, 5, 8)), np.ones((3, 3, 8, 2)), 1, "VALID").shape == \
        (1, 0, 3, 2)
    assert tf.nn.max_pool2d(np.ones((1, 2, 5, 1)), 3, 1, "VALID").shape == (1, 0, 3, 1)


def test_conv2d_float32_and_stride_forms(rng):
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    want = conv_ref(x.astype(np.float64), w.astype(np.float64), 2, "SAME")
    for strides in (2, [2], [2, 2], [1, 2, 2, 1]):
        out = tf.nn.conv2d(x, w, strides, "SAME")
        assert out.dtype == tf.float32
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-5)


def test_conv2d_explicit_padding_and_nchw(rng):
    x, w = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    pads = [[0, 0], [1, 2], [0, 1], [0, 0]]
    out = tf.nn.conv2d(x, w, 1, pads)
    np.testing.assert_allclose(out.numpy(), conv_ref(x, w, 1, [(1, 2), (0, 1)]), rtol=1e-10)
    nchw = tf.nn.conv2d(np.transpose(x, (0, 3, 1, 2)), w, [1, 1, 2, 2], "SAME",
                        data_format="NCHW")
    np.testing.assert_allclose(nchw.numpy(),
                               np.transpose(conv_ref(x, w, 2, "SAME"), (0, 3, 1, 2)),
                               rtol=1e-10)


@pytest.mark.parametrize("s,padding", [(1, "SAME"), (2, "VALID"), (2, "SAME")])
def test_conv1d_and_convolution(rng, s, padding):
    x, w = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4))
    want = conv_ref(x[:, None], w[None], s, padding)[:, 0]
    np.testing.assert_allclose(tf.nn.conv1d(x, w, s, padding).numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(tf.nn.convolution(x, w, s, padding).numpy(), want,
                               rtol=1e-10)
    ncw = tf.nn.conv1d(np.transpose(x, (0, 2, 1)), w, s, padding, data_format="NCW")
    np.testing.assert_allclose(ncw.numpy(), np.transpose(want, (0, 2, 1)), rtol=1e-10)


@pytest.mark.parametrize("s,padding,d", CONV_CASES)
def test_conv2d_transpose_is_the_adjoint(rng, s, padding, d):
    """<conv2d(x, w), y> == <x, conv2d_transpose(y, w)> for all x, y."""
    x_shape = (2, 7, 6, 3)
    w = rng.standard_normal((3, 3, 3, 4))
    x = rng.standard_normal(x_shape)
    y = rng.standard_normal(tf.nn.conv2d(x, w, s, padding, dilations=d).shape)
    back = tf.nn.conv2d_transpose(y, w, x_shape, s, padding, dilations=d).numpy()
    np.testing.assert_allclose(back, conv_input_ref(x_shape, w, y, s, padding, d), rtol=1e-10)
    lhs = np.sum(tf.nn.conv2d(x, w, s, padding, dilations=d).numpy() * y)
    np.testing.assert_allclose(lhs, np.sum(x * back), rtol=1e-10)


def test_conv_transpose_1d_and_nchw(rng):
    w = rng.standard_normal((3, 2, 4))  # [width, out_channels, in_channels]
    y = rng.standard_normal((2, 4, 4))
    out = tf.nn.conv1d_transpose(y, w, [2, 8, 2], 2, "SAME")
    want = conv_input_ref((2, 1, 8, 2), w[None], y[:, None], 2, "SAME")[:, 0]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(tf.nn.conv_transpose(y, w, [2, 8, 2], 2).numpy(), want,
                               rtol=1e-10)
    w2 = rng.standard_normal((3, 3, 2, 4))
    y2 = rng.standard_normal((1, 4, 3, 3))  # NCHW
    out2 = tf.nn.conv2d_transpose(y2, w2, [1, 2, 5, 5], 2, "SAME", data_format="NCHW")
    want2 = conv_input_ref((1, 5, 5, 2), w2, np.transpose(y2, (0, 2, 3, 1)), 2, "SAME")
    np.testing.assert_allclose(out2.numpy(), np.transpose(want2, (0, 3, 1, 2)), rtol=1e-10)


def test_conv2d_transpose_bad_output_shape(rng):
    with pytest.raises(InvalidArgumentError, match="spatial size"):
        tf.nn.conv2d_transpose(np.ones((1, 3, 3, 4)), np.ones((3, 3, 2, 4)), [1, 9, 9, 2], 1,
                               "SAME")
    with pytest.raises(InvalidArgumentError, match="channels"):
        tf.nn.conv2d_transpose(np.ones((1, 3, 3, 4)), np.ones((3, 3, 2, 4)), [1, 3, 3, 5], 1,
                               "SAME")


@pytest.mark.parametrize("s,padding,d", [(1, "SAME", 1), (2, "VALID", 1), (1, "SAME", 2)])
def test_depthwise_and_separable(rng, s, padding, d):
    x, w = rng.standard_normal((2, 6, 5, 3)), rng.standard_normal((3, 3, 3, 2))
    out = tf.nn.depthwise_conv2d(x, w, [1, s, s, 1], padding, dilations=[d, d])
    np.testing.assert_allclose(out.numpy(), depthwise_ref(x, w, s, padding, d), rtol=1e-10)
    pw = rng.standard_normal((1, 1, 6, 4))
    sep = tf.nn.separable_conv2d(x, w, pw, [1, s, s, 1], padding, dilations=[d, d])
    np.testing.assert_allclose(sep.numpy(), conv_ref(depthwise_ref(x, w, s, padding, d), pw),
                               rtol=1e-10)


def test_conv_gradients_agree_with_transpose(rng):
    x = tf.constant(rng.standard_normal((2, 5, 5, 3)))
    w = tf.constant(rng.standard_normal((3, 3, 3, 4)))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.nn.conv2d(x, w, 2, "SAME")
        loss = tf.reduce_sum(y * y)
    gx, gw = tape.gradient(loss, [x, w])
    dy = 2 * y.numpy()
    np.testing.assert_allclose(gx.numpy(), conv_input_ref(x.shape, w.numpy(), dy, 2, "SAME"),
                               rtol=1e-10)
    assert gw.shape == w.shape


# -- pooling ------------------------------------------------------------------------------
POOL_CASES = [(2, 2, "VALID"), (2, 2, "SAME"), (3, 2, "SAME"), (3, 1, "VALID"), (2, 1, "SAME"),
              (3, 3, "SAME")]


@pytest.mark.parametrize("k,s,padding", POOL_CASES)
@pytest.mark.parametrize("shape", [(2, 5, 5, 3), (1, 6, 7, 2)])
def test_pools_match_reference(rng, k, s, padding, shape):
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(tf.nn.max_pool2d(x, k, s, padding).numpy(),
                               pool_ref(x, k, s, padding, "max"))
    np.testing.assert_allclose(tf.nn.avg_pool2d(x, k, s, padding).numpy(),
                               pool_ref(x, k, s, padding, "avg"), rtol=1e-12)
    np.testing.assert_allclose(tf.nn.max_pool(x, [1, k, k, 1], [1, s, s, 1], padding).numpy(),
                               pool_ref(x, k, s, padding, "max"))


def test_avg_pool_same_does_not_count_padding():
    x = np.arange(9.).reshape(1, 3, 3, 1)
    out = tf.nn.avg_pool2d(x, 2, 1, "SAME").numpy()[0, :, :, 0]
    # the last row/column windows average 2 (or 1) real values, not 4
    np.testing.assert_allclose(out, [[2., 3., 3.5], [5., 6., 6.5], [6.5, 7.5, 8.]])


def test_pool_1d_int_and_nchw(rng):
    x = rng.standard_normal((2, 7, 3))
    want = pool_ref(x[:, None], 1, 1, "VALID", "max")[:, 0]
    np.testing.assert_allclose(tf.nn.max_pool1d(x, 1, 1, "VALID").numpy(), want)
    np.testing.assert_allclose(tf.nn.avg_pool1d(x, 3, 2, "SAME").numpy()[:, 0],
                               x[:, :2].mean(1))
    xi = np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1)
    out = tf.nn.max_pool2d(xi, 2, 2, "SAME")
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy()[0, :, :, 0], [[5, 7], [13, 15]])
    xc = rng.standard_normal((1, 2, 4, 4))
    out = tf.nn.max_pool2d(xc, 2, 2, "VALID", data_format="NCHW")
    want = pool_ref(np.transpose(xc, (0, 2, 3, 1)), 2, 2, "VALID", "max")
    np.testing.assert_allclose(out.numpy(), np.transpose(want, (0, 3, 1, 2)))


def test_max_pool_gradient_ties_go_to_first_in_window():
    x = tf.constant(np.ones((1, 4, 4, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    g = tape.gradient(y, x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(g, [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    x = tf.constant(np.ones((1, 3, 3, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 1, "SAME")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.ones((1, 3, 3, 1)))


def test_max_pool_gradient_overlapping_windows():
    # 1-D windows of 3 with stride 1 over [0, 5, 1, 2]: outputs 5 and 5 both route to x[1]
    x = tf.constant(np.array([0., 5., 1., 2.]).reshape(1, 4, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool1d(x, 3, 1, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy().ravel(), [0, 2, 0, 0])


def test_avg_pool_gradient_spreads_evenly():
    x = tf.constant(np.zeros((1, 3, 3, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.avg_pool2d(x, 2, 2, "SAME")
    g = tape.gradient(y, x).numpy()[0, :, :, 0]
    np.testing.assert_allclose(g, [[.25, .25, .5], [.25, .25, .5], [.5, .5, 1.]])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.sampled_from(["SAME", "VALID"]),
       st.integers(3, 7), st.integers(3, 7))
def test_max_pool_property(k, s, padding, h, w):
    rng = np.random.default_rng(h * 10 + w)
    x = rng.standard_normal((1, h, w, 2))
    np.testing.assert_allclose(tf.nn.max_pool2d(x, k, s, padding).numpy(),
                               pool_ref(x, k, s, padding, "max"))


# -- errors and rules ---------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,text", [
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5)), np.ones((3, 3, 1, 1)), 1, "SAME"),
     InvalidArgumentError, "rank 4"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 2)), np.ones((3, 3, 3, 1)), 1, "SAME"),
     InvalidArgumentError, "2 channels"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), 1, "FULL"),
     InvalidArgumentError, "padding"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), [2, 2, 2, 2], "SAME"),
     InvalidArgumentError, "batch and channel"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), 0, "SAME"),
     InvalidArgumentError, "positive"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 1), np.int32), np.ones((3, 3, 1, 1), np.int32),
                          1, "SAME"), InvalidArgumentError, "float"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 1), np.float32), np.ones((3, 3, 1, 1)), 1,
                          "SAME"), InvalidArgumentError, "float64"),
    (lambda: tf.nn.conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), 1, "SAME",
                          data_format="NWHC"), InvalidArgumentError, "data_format"),
    (lambda: tf.nn.conv2d(np.ones((1, 1, 5, 1)), np.ones((3, 3, 1, 1)), 1, "VALID"),
     InvalidArgumentError, "output size would be negative"),
    (lambda: tf.nn.max_pool2d(np.ones((5, 5, 1)), 2, 2, "SAME"), InvalidArgumentError,
     "rank 4"),
    (lambda: tf.nn.avg_pool2d(np.ones((1, 4, 4, 1), np.int32), 2, 2, "SAME"),
     InvalidArgumentError, "float"),
    (lambda: tf.nn.max_pool2d(np.ones((1, 4, 4, 1)), 2, 2, [[0, 0]] * 4), InvalidArgumentError,
     "padding"),
])
def test_errors(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


def test_rules_with_unknown_dims():
    w = tf.constant(np.ones((3, 3, 3, 4), np.float32))
    assert traced_shape(lambda x: tf.nn.conv2d(x, w, 2, "SAME"), [None, None, 7, 3]) \
        .as_list() == [None, None, 4, 4]
    assert traced_shape(lambda x: tf.nn.conv2d(x, w, 1, "VALID"), [2, 5, None, 3]) \
        .as_list() == [2, 3, None, 4]
    assert traced_shape(lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), [None, 5, 6, 2]) \
        .as_list() == [None, 2, 3, 2]
    assert traced_shape(lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), [None, None, 5, 2]) \
        .as_list() == [None, None, 3, 2]
    dw = tf.constant(np.ones((3, 3, 3, 2), np.float32))
    assert traced_shape(lambda x: tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME"),
                        [None, 4, 4, 3]).as_list() == [None, 4, 4, 6]


def test_gradients_traced_with_unknown_batch(rng):
    w = tf.constant(rng.standard_normal((3, 3, 2, 3)))

    @tf.function(input_signature=[tf.TensorSpec([None, 5, 5, 2], tf.float64),
                                  tf.TensorSpec([3, 3, 2, 3], tf.float64)])
    def grads(x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.nn.max_pool2d(tf.nn.conv2d(x, w, 1, "SAME"), 2, 2, "SAME")
            loss = tf.reduce_sum(tf.nn.avg_pool2d(y, 2, 1, "SAME"))
        return tape.gradient(loss, [x, w])

    x = rng.standard_normal((2, 5, 5, 2))
    gx, gw = grads(tf.constant(x), w)
    with tf.GradientTape() as tape:
        xt = tf.constant(x)
        tape.watch([xt, w])
        y = tf.nn.max_pool2d(tf.nn.conv2d(xt, w, 1, "SAME"), 2, 2, "SAME")
        loss = tf.reduce_sum(tf.nn.avg_pool2d(y, 2, 1, "SAME"))
    ex, ew = tape.gradient(loss, [xt, w])
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-10)


# -- parity with TensorFlow (skipped when it is not installed) ----------------------------
PARITY_SCRIPTS["conv"] = r"""
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
w = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
dw = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
for s in (1, 2, 3):
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        c = tf.nn.conv2d(xt, w, s, "SAME")
        m = tf.nn.max_pool2d(xt, 3, s, "SAME")
        a = tf.nn.avg_pool2d(xt, 2, s, "SAME")
        d = tf.nn.depthwise_conv2d(xt, dw, [1, s, s, 1], "SAME")
    out[f"conv{s}"] = c.numpy().tolist()
    out[f"max{s}"] = m.numpy().tolist()
    out[f"avg{s}"] = a.numpy().tolist()
    out[f"dw{s}"] = d.numpy().tolist()
    out[f"gmax{s}"] = tape.gradient(m, xt).numpy().tolist()
    out[f"gavg{s}"] = tape.gradient(a, xt).numpy().tolist()
    out[f"gconv{s}"] = tape.gradient(c, xt).numpy().tolist()
"""


@pytest.fixture
def tf_results(tf_python):
    return tensorflow_results(tf_python)


@pytest.mark.parametrize("s", [1, 2, 3])
def test_same_padding_parity_with_tensorflow(tf_results, s):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
    dw = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        mine = {"conv": tf.nn.conv2d(xt, w, s, "SAME"), "max": tf.nn.max_pool2d(xt, 3, s, "SAME"),
                "avg": tf.nn.avg_pool2d(xt, 2, s, "SAME"),
                "dw": tf.nn.depthwise_conv2d(xt, dw, [1, s, s, 1], "SAME")}
    for key in ("max", "avg", "conv"):
        mine["g" + key] = tape.gradient(mine[key], xt)
    for key, val in mine.items():
        np.testing.assert_allclose(val.numpy(), np.array(tf_results[f"{key}{s}"]), rtol=1e-4,
                                   atol=1e-4, err_msg=key)


def test_docstring_examples():
    import doctest

    from rill.ops import conv_ops
    result = doctest.testmod(conv_ops, extraglobs={"tf": tf, "np": np},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
