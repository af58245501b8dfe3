"""Kernel fusion in traced graphs (rill/function/fuse.py): which patterns fuse, which do not,
and that fused graphs compute exactly (bit for bit) what the unfused ops compute eagerly,
gradients included, with max-pool ties, non-positive windows and nan/inf gradients."""

import numpy as np
import pytest

import rill as tf

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def _types(fn, *args):
    return [op.type for op in tf.function(fn).get_concrete_function(*args)
            .optimized_graph.get_operations()]


def _block(x, w, b):
    return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "SAME"), b))


@pytest.fixture
def conv_args():
    rng = np.random.default_rng(0)
    return (tf.constant(rng.standard_normal((3, 7, 6, 5)).astype(np.float32)),
            tf.constant(rng.standard_normal((3, 3, 5, 4)).astype(np.float32)),
            tf.constant(rng.standard_normal(4).astype(np.float32)))


def test_conv_bias_relu_becomes_one_op_with_the_same_bits(conv_args):
    types = _types(_block, *conv_args)
    assert types.count("_FusedConv2D") == 1
    assert not {"Conv2D", "BiasAdd", "Relu"} & set(types)
    np.testing.assert_array_equal(tf.function(_block)(*conv_args).numpy(),
                                  _block(*conv_args).numpy())


def test_conv_bias_without_relu_and_3d(conv_args):
    def lin(x, w, b):
        return tf.nn.bias_add(tf.nn.conv2d(x, w, 2, "VALID"), b)

    fused = [op for op in tf.function(lin).get_concrete_function(*conv_args)
             .optimized_graph.get_operations() if op.type == "_FusedConv2D"]
    assert len(fused) == 1 and fused[0].get_attr("fused_ops") == ("BiasAdd",)
    np.testing.assert_array_equal(tf.function(lin)(*conv_args).numpy(),
                                  lin(*conv_args).numpy())
    rng = np.random.default_rng(1)
    x3 = tf.constant(rng.standard_normal((2, 4, 5, 4, 3)))
    w3 = tf.constant(rng.standard_normal((2, 3, 2, 3, 4)))

    def block3(x, w, b):
        return tf.nn.relu(tf.nn.bias_add(tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME"), b))

    b3 = tf.constant(rng.standard_normal(4))
    assert "_FusedConv3D" in _types(block3, x3, w3, b3)
    np.testing.assert_array_equal(tf.function(block3)(x3, w3, b3).numpy(),
                                  block3(x3, w3, b3).numpy())


def test_intermediates_read_elsewhere_are_not_fused(conv_args):
    def conv_used_twice(x, w, b):
        z = tf.nn.conv2d(x, w, 1, "SAME")
        return tf.nn.relu(tf.nn.bias_add(z, b)), z

    assert "_FusedConv2D" not in _types(conv_used_twice, *conv_args)

    def biased_used_twice(x, w, b):  # conv + bias fuse; the Relu stays
        zb = tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "SAME"), b)
        return tf.nn.relu(zb), zb * 2.0

    types = _types(biased_used_twice, *conv_args)
    assert types.count("_FusedConv2D") == 1 and "Relu" in types and "BiasAdd" not in types
    got = tf.function(biased_used_twice)(*conv_args)
    for g, want in zip(got, biased_used_twice(*conv_args)):
        np.testing.assert_array_equal(g.numpy(), want.numpy())

    def channels_first_bias(x, w, b):  # the bias runs over axis 1: not a conv's bias
        z = tf.nn.conv2d(x, w, 1, "SAME")  # (3, 7, 6, 4): axis 1 has 7 entries
        return tf.nn.relu(tf.nn.bias_add(z, tf.concat([b, b[:3]], 0), data_format="NCHW"))

    assert "_FusedConv2D" not in _types(channels_first_bias, *conv_args)


def _pool_grad(kind):
    """The gradient through relu -> max pool of `kind` ("tiled" or "overlapping")."""
    ksize, strides = ((2, 2), (2, 2)) if kind == "tiled" else ((3, 3), (2, 2))

    def grads(x, dy):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(tf.nn.relu(x), ksize, strides, "VALID")
        return tape.gradient(y, x, output_gradients=dy)

    return grads


def _pool_inputs(seed):
    """Integer-valued inputs: many ties, whole windows <= 0 (relu zeros), odd sizes; dy
    holds a nan and infinities on windows with positive and non-positive maxima."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, (4, 9, 7, 3)).astype(np.float32)
    x[0, :2, :2, 0] = -1.0  # a window whose maximum is negative
    x[1, :2, :2, 1] = 2.0  # a positive tie over the whole window
    return x


def _reference_pool_grad(x, dy):
    """Each 2x2 window's gradient to its first maximum, times relu'(x) there."""
    a = np.maximum(x, 0)
    want = np.zeros_like(x)
    for n, i, j, c in np.ndindex(*dy.shape):
        win = a[n, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c]
        u, v = np.unravel_index(np.argmax(win), win.shape)
        with np.errstate(invalid="ignore"):
            want[n, 2 * i + u, 2 * j + v, c] = dy[n, i, j, c] * np.float32(win[u, v] > 0)
    return want


@pytest.mark.parametrize("finite", [True, False])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # eager inf * 0
def test_relu_grad_folds_into_a_tiled_max_pool_grad_with_the_same_bits(finite):
    x = _pool_inputs(0)
    dy = np.random.default_rng(1).standard_normal((4, 4, 3, 3)).astype(np.float32)
    grads = _pool_grad("tiled")
    ops = tf.function(grads).get_concrete_function(tf.constant(x), tf.constant(dy)) \
        .optimized_graph.get_operations()
    types = [op.type for op in ops]
    assert "_FusedMaxPoolGrad" in types and "ReluGrad" not in types
    assert "MaxPoolGrad" not in types
    if not finite:
        dy[0, 0, 0, 0], dy[1, 0, 0, 1], dy[2, 1, 1, 2], dy[3, 2, 1, 0] = \
            np.inf, -np.inf, np.nan, np.inf
    traced = tf.function(grads)(tf.constant(x), tf.constant(dy)).numpy()
    eager = grads(tf.constant(x), tf.constant(dy)).numpy()
    np.testing.assert_array_equal(traced, eager)
    if not finite:
        assert np.isnan(eager[0, :2, :2, 0]).sum() == 1  # inf * 0 at the negative window's first
        assert np.isinf(eager[1, :2, :2, 1]).sum() == 1  # a positive tie: the first element only
    np.testing.assert_array_equal(eager, _reference_pool_grad(x, dy))


def test_the_fused_max_pool_gradient_differentiates_as_the_ops_it_replaced():
    """A tape outside a traced gradient: the fused op's own gradient (with respect to dy) is
    the relu mask of MaxPoolGradGrad, as the eager chain of ReluGrad and MaxPoolGrad gives."""
    x = tf.constant(_pool_inputs(5))
    rng = np.random.default_rng(6)
    w = tf.Variable(rng.standard_normal((4, 4, 3, 3)).astype(np.float32))
    v = tf.constant(rng.standard_normal((4, 9, 7, 3)).astype(np.float32))

    def inner(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.nn.max_pool2d(tf.nn.relu(x), 2, 2, "VALID") * w)
        return tf.reduce_sum(tape.gradient(y, x) * v)

    traced = tf.function(inner)
    assert "_FusedMaxPoolGrad" in [op.type for op in traced.get_concrete_function(x)
                                   .optimized_graph.get_operations()]
    results = []
    for call in (traced, inner):
        with tf.GradientTape() as tape:
            out = call(x)
        results.append(tape.gradient(out, w).numpy())
    # d/dw of sum(routed(w * relu'(y)) * v): v read at each window's first maximum, masked
    want = np.zeros((4, 4, 3, 3), np.float32)
    a = np.maximum(x.numpy(), 0)
    for n, i, j, c in np.ndindex(*want.shape):
        win = a[n, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c]
        u, t = np.unravel_index(np.argmax(win), win.shape)
        want[n, i, j, c] = v.numpy()[n, 2 * i + u, 2 * j + t, c] * (win[u, t] > 0)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], want, rtol=1e-6)


def test_relu_grad_stays_after_an_overlapping_max_pool_grad():
    x = _pool_inputs(2)
    dy = np.random.default_rng(3).standard_normal((4, 4, 3, 3)).astype(np.float32)
    grads = _pool_grad("overlapping")
    ops = tf.function(grads).get_concrete_function(tf.constant(x), tf.constant(dy)) \
        .optimized_graph.get_operations()
    relu_grad = next(op for op in ops if op.type == "ReluGrad")
    assert relu_grad.inputs[0].op.type == "MaxPoolGrad"
    np.testing.assert_array_equal(tf.function(grads)(tf.constant(x), tf.constant(dy)).numpy(),
                                  grads(tf.constant(x), tf.constant(dy)).numpy())


def test_training_step_gradients_fused_equal_eager():
    """conv -> bias -> relu -> pool, twice, as the W6 network: the traced step uses both
    rewrites and gives the eager gradients bit for bit."""
    rng = np.random.default_rng(4)
    x = tf.constant(rng.integers(0, 4, (5, 12, 11, 2)).astype(np.float32))  # ties
    params = [tf.Variable(rng.integers(-2, 3, s).astype(np.float32))
              for s in [(3, 3, 2, 4), (4,), (3, 3, 4, 3), (3,)]]
    weights = tf.constant(rng.standard_normal((5, 1, 1, 3)).astype(np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            h = x
            for k in range(2):
                h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, params[2 * k], 1, "VALID"),
                                              params[2 * k + 1]))
                h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            loss = tf.reduce_sum(h * weights)
        return tape.gradient(loss, params)

    types = [op.type for op in tf.function(step).get_concrete_function(x)
             .optimized_graph.get_operations()]
    assert types.count("_FusedConv2D") == 2 and "Relu" not in types
    assert types.count("_FusedMaxPoolGrad") == 2 and "ReluGrad" not in types
    for t, e in zip(tf.function(step)(x), step(x)):
        np.testing.assert_array_equal(t.numpy(), e.numpy())


def test_a_tape_outside_differentiates_the_fused_graph(conv_args):
    x, w, b = conv_args
    fn = tf.function(lambda x, w, b: tf.nn.max_pool2d(_block(x, w, b), 2, 2, "VALID"))
    grads = []
    for call in (fn, fn.python_function):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b])
            y = call(x, w, b)
        grads.append(tape.gradient(y, [x, w, b]))
    for t, e in zip(*grads):
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=1e-5, atol=1e-5)
