"""keras.ops: values against NumPy, Keras 3's dtype rules (observed in Keras 3.15 under
TensorFlow 2.21 and written down here), control flow, gradients, and the submodule names."""

import json
import os
import subprocess

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras import ops

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4))
B = rng.normal(size=(3, 4))
P = np.abs(A) + 0.1  # positive
I = np.array([[3, -1, 2], [0, 5, -4]])


def check(out, expected, tol=1e-10):
    out = ops.convert_to_numpy(out)
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    assert out.shape == np.shape(expected)


UNARY = [
    ("abs", np.abs), ("absolute", np.abs), ("sqrt", np.sqrt, P), ("square", np.square),
    ("exp", np.exp), ("expm1", np.expm1), ("log", np.log, P), ("log1p", np.log1p, P),
    ("log2", np.log2, P), ("log10", np.log10, P), ("sign", np.sign), ("floor", np.floor),
    ("ceil", np.ceil), ("round", np.round), ("trunc", np.trunc), ("sin", np.sin),
    ("cos", np.cos), ("tan", np.tan), ("tanh", np.tanh), ("sinh", np.sinh), ("cosh", np.cosh),
    ("arctan", np.arctan), ("arcsinh", np.arcsinh), ("negative", np.negative),
    ("arcsin", np.arcsin, np.tanh(A)), ("arccos", np.arccos, np.tanh(A)),
    ("arctanh", np.arctanh, np.tanh(A)), ("arccosh", np.arccosh, P + 1),
    ("reciprocal", np.reciprocal, P), ("ravel", np.ravel), ("transpose", np.transpose),
    ("isnan", np.isnan), ("isfinite", np.isfinite), ("isinf", np.isinf),
    ("logical_not", np.logical_not), ("copy", np.copy), ("flip", np.flip),
    ("sort", np.sort), ("cumsum", np.cumsum), ("cumprod", np.cumprod, P),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("relu", lambda x: np.maximum(x, 0)),
    ("softplus", lambda x: np.logaddexp(0, x)), ("silu", lambda x: x / (1 + np.exp(-x))),
    ("erf", np.vectorize(__import__("math").erf)), ("rsqrt", lambda x: 1 / np.sqrt(x), P),
]


@pytest.mark.parametrize("spec", UNARY, ids=lambda s: s[0])
def test_unary(spec):
    name, ref = spec[:2]
    x = spec[2] if len(spec) > 2 else A
    check(getattr(ops, name)(x), ref(x))


BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
    ("divide", np.divide), ("true_divide", np.true_divide), ("power", np.power, P, B),
    ("maximum", np.maximum), ("minimum", np.minimum), ("equal", np.equal, A, A),
    ("not_equal", np.not_equal), ("greater", np.greater), ("greater_equal", np.greater_equal),
    ("less", np.less), ("less_equal", np.less_equal), ("logical_and", np.logical_and),
    ("logical_or", np.logical_or), ("logical_xor", np.logical_xor),
    ("arctan2", np.arctan2), ("logaddexp", np.logaddexp), ("mod", np.mod, A, P),
    ("floor_divide", np.floor_divide, A, P), ("isclose", np.isclose, A, A + 1e-9),
    ("matmul", np.matmul, A, B.T), ("dot", np.dot, A, B.T), ("inner", np.inner),
    ("outer", np.outer), ("append", np.append),
]


@pytest.mark.parametrize("spec", BINARY, ids=lambda s: s[0])
def test_binary(spec):
    name, ref = spec[:2]
    x, y = spec[2:] if len(spec) > 2 else (A, B)
    check(getattr(ops, name)(x, y), ref(x, y))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "std", "var", "all",
                                  "any", "amax", "amin"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, axis, keepdims):
    ref = getattr(np, name)
    check(getattr(ops, name)(A, axis=axis, keepdims=keepdims), ref(A, axis=axis,
                                                                     keepdims=keepdims))


def test_arg_and_index_reductions():
    check(ops.argmax(A), np.argmax(A))
    check(ops.argmax(A, axis=1), np.argmax(A, axis=1))
    check(ops.argmin(A, axis=0), np.argmin(A, axis=0))
    check(ops.argmax(A, axis=1, keepdims=True), np.argmax(A, axis=1, keepdims=True))
    check(ops.argsort(I, axis=1), np.argsort(I, axis=1, kind="stable"))
    check(ops.argsort(np.array([2, 1, 2, 1])), [1, 3, 0, 2])
    check(ops.count_nonzero(I), np.count_nonzero(I))
    check(ops.count_nonzero(I, axis=0), np.count_nonzero(I, axis=0))
    check(ops.cumsum(A, axis=1), np.cumsum(A, axis=1))
    check(ops.average(A, axis=1, weights=np.array([1.0, 2.0, 3.0, 4.0])),
          np.average(A, axis=1, weights=[1, 2, 3, 4]))
    check(ops.max(np.array([-3.0, -5.0]), initial=0.0), 0.0)
    values, indices = ops.top_k(np.array([1.0, 5.0, 3.0, 4.0]), 2)
    check(values, [5.0, 4.0])
    check(indices, [1, 3])
    check(ops.in_top_k(np.array([1, 0]), np.array([[0.1, 0.9, 0.0], [0.3, 0.5, 0.4]]), 2),
          [True, False])
    check(ops.logsumexp(A, axis=1), np.log(np.exp(A).sum(axis=1)))
    check(ops.segment_sum(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 2, 1])),
          [3.0, 4.0, 3.0])


def test_products_and_einsum():
    a3 = rng.normal(size=(2, 3, 4))
    b4 = rng.normal(size=(2, 4, 5))
    check(ops.dot(a3, B.T), np.dot(a3, B.T))
    check(ops.dot(A, b4), np.dot(A, b4))
    check(ops.dot(a3, b4), np.dot(a3, b4))
    check(ops.dot(2.0, A), 2.0 * A)
    check(ops.matmul(A[0], B.T), A[0] @ B.T)
    check(ops.matmul(a3, b4), a3 @ b4)
    check(ops.matmul(a3, np.ones((4, 2))), a3 @ np.ones((4, 2)))
    check(ops.tensordot(A, B, axes=([1], [1])), np.tensordot(A, B, axes=([1], [1])))
    b4t = b4.transpose(1, 0, 2)
    check(ops.tensordot(a3, b4t, axes=1), np.tensordot(a3, b4t, axes=1))
    check(ops.einsum("ij,kj->ik", A, B), np.einsum("ij,kj->ik", A, B))
    check(ops.trace(np.arange(9.0).reshape(3, 3)), 12.0)
    check(ops.diagonal(np.arange(9.0).reshape(3, 3), offset=1), [1.0, 5.0])
    check(ops.diag(np.array([1.0, 2.0])), np.diag([1.0, 2.0]))
    check(ops.diag(np.arange(9.0).reshape(3, 3)), [0.0, 4.0, 8.0])


def test_creation():
    check(ops.arange(5), np.arange(5))
    check(ops.arange(1, 10, 3), np.arange(1, 10, 3))
    check(ops.arange(0.0, 1.0, 0.25), np.arange(0, 1, 0.25))
    check(ops.linspace(0, 1, 5), np.linspace(0, 1, 5), 1e-7)
    check(ops.linspace(0, 1, 4, endpoint=False), np.linspace(0, 1, 4, endpoint=False), 1e-7)
    values, step = ops.linspace(0.0, 2.0, 5, retstep=True)
    assert float(step) == 0.5
    check(ops.zeros((2, 3)), np.zeros((2, 3)))
    check(ops.ones(3), np.ones(3))
    check(ops.full((2,), 7.0), [7.0, 7.0])
    check(ops.full_like(I, 2.5), np.full_like(I, 2.5))
    check(ops.zeros_like(A), np.zeros_like(A))
    check(ops.ones_like(I), np.ones_like(I))
    check(ops.eye(2, 3, k=1), np.eye(2, 3, k=1))
    check(ops.identity(3), np.eye(3))
    check(ops.tri(3, 4, k=1), np.tri(3, 4, k=1))
    check(ops.tril(A, k=-1), np.tril(A, k=-1))
    check(ops.triu(A, k=1), np.triu(A, k=1))
    check(ops.array([1, 2]), [1, 2])


def test_shapes():
    x = np.arange(24).reshape(2, 3, 4)
    check(ops.reshape(x, (4, -1)), x.reshape(4, -1))
    check(ops.transpose(x, (2, 0, 1)), x.transpose(2, 0, 1))
    check(ops.expand_dims(x, 1), np.expand_dims(x, 1))
    check(ops.expand_dims(x, (0, -1)), np.expand_dims(x, (0, -1)))
    check(ops.squeeze(np.ones((1, 3, 1))), np.ones(3))
    check(ops.squeeze(np.ones((1, 3, 1)), axis=0), np.ones((3, 1)))
    check(ops.swapaxes(x, 0, 2), np.swapaxes(x, 0, 2))
    check(ops.moveaxis(x, 0, -1), np.moveaxis(x, 0, -1))
    check(ops.moveaxis(x, (0, 1), (2, 0)), np.moveaxis(x, (0, 1), (2, 0)))
    check(ops.broadcast_to(np.arange(3), (2, 3)), np.broadcast_to(np.arange(3), (2, 3)))
    check(ops.concatenate([A, B], axis=1), np.concatenate([A, B], axis=1))
    check(ops.stack([A, B], axis=1), np.stack([A, B], axis=1))
    check(ops.hstack([A, B]), np.hstack([A, B]))
    check(ops.vstack([np.arange(3), np.arange(3)]), np.vstack([np.arange(3)] * 2))
    for a, b in zip(ops.split(np.arange(6), 3), np.split(np.arange(6), 3)):
        check(a, b)
    for a, b in zip(ops.split(np.arange(6), [1, 4]), np.split(np.arange(6), [1, 4])):
        check(a, b)
    with pytest.raises(ValueError, match="split: axis 0 of length 6"):
        ops.split(np.arange(6), 4)
    check(ops.tile(np.array([1, 2]), 2), np.tile([1, 2], 2))
    check(ops.tile(np.array([[1, 2]]), (2, 1, 2)), np.tile([[1, 2]], (2, 1, 2)))
    check(ops.repeat(I, 2), np.repeat(I, 2))
    check(ops.repeat(I, 2, axis=0), np.repeat(I, 2, axis=0))
    check(ops.roll(x, 2), np.roll(x, 2))
    check(ops.roll(x, -1, axis=1), np.roll(x, -1, axis=1))
    check(ops.pad(I, ((1, 0), (2, 1))), np.pad(I, ((1, 0), (2, 1))))
    check(ops.pad(I, 1, constant_values=9), np.pad(I, 1, constant_values=9))
    check(ops.pad(A, ((0, 0), (1, 1)), mode="reflect"), np.pad(A, ((0, 0), (1, 1)), "reflect"))
    assert ops.shape(x) == (2, 3, 4) and ops.ndim(x) == 3 and int(ops.size(x)) == 24
    for a, b in zip(ops.meshgrid(np.arange(2), np.arange(3)),
                    np.meshgrid(np.arange(2), np.arange(3))):
        check(a, b)


def test_indexing_and_searching():
    check(ops.take(I, [0, 3]), np.take(I, [0, 3]))
    check(ops.take(I, [2, 0, -1], axis=1), np.take(I, [2, 0, -1], axis=1))
    idx = np.argsort(A, axis=1)[:, :2]
    check(ops.take_along_axis(A, idx, axis=1), np.take_along_axis(A, idx, axis=1))
    idx0 = np.array([[2, 0, 1, 1]])
    check(ops.take_along_axis(A, idx0, axis=0), np.take_along_axis(A, idx0, axis=0))
    check(ops.where(A > 0, A, 0.0), np.where(A > 0, A, 0.0))
    for a, b in zip(ops.where(I > 0), np.where(I > 0)):
        check(a, b)
    for a, b in zip(ops.nonzero(I), np.nonzero(I)):
        check(a, b)
    check(ops.searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.5, 4.0])),
          np.searchsorted([1.0, 2.0, 3.0], [2.0, 0.5, 4.0]))
    check(ops.searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.0]), side="right"), [2])
    check(ops.digitize(np.array([0.2, 1.5, 3.0]), np.array([1.0, 2.0, 3.0])),
          np.digitize([0.2, 1.5, 3.0], [1.0, 2.0, 3.0]))
    check(ops.bincount(np.array([0, 1, 1, 3])), np.bincount([0, 1, 1, 3]))
    check(ops.clip(A, -0.5, 0.5), np.clip(A, -0.5, 0.5))
    check(ops.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0])),
          np.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0])))
    check(ops.round(np.array([0.5, 1.5, 2.567]), 2), np.round([0.5, 1.5, 2.567], 2))


def test_keras_3_dtype_rules():
    # dtypes observed with keras.ops under TensorFlow 2.21 (Keras 3.15)
    def dt(x):
        return ops.dtype(x)

    assert dt(ops.convert_to_tensor([1.0, 2.0])) == "float32"
    assert dt(ops.convert_to_tensor([1, 2])) == "int32"
    assert dt(ops.convert_to_tensor(np.ones(2))) == "float64"
    assert dt(ops.convert_to_tensor(np.arange(3))) == "int64"
    i32 = np.arange(1, 4, dtype="int32")
    assert dt(ops.divide(i32, i32)) == "float32" and dt(ops.divide(3, 2)) == "float32"
    assert dt(ops.mean(i32)) == "float32" and dt(ops.sqrt(i32)) == "float32"
    assert dt(ops.add(i32, 1.5)) == "float32" and dt(ops.add(i32, 2)) == "int32"
    assert dt(ops.add(np.ones(3, "float16"), 1.5)) == "float16"
    assert dt(ops.add(np.arange(3, dtype="int64"), np.ones(3, "float32"))) == "float32"
    assert dt(ops.add(np.arange(3, dtype="uint8"), np.ones(3, "int8"))) == "int16"
    assert dt(ops.arange(5)) == "int32" and dt(ops.arange(0.0, 1.0, 0.25)) == "float32"
    assert dt(ops.full((2,), 3)) == "float32" and dt(ops.zeros(2)) == "float32"
    assert dt(ops.ones(2, dtype="int32")) == "int32" and dt(ops.eye(2)) == "float32"
    assert dt(ops.argmax(np.array([1, 3, 2]))) == "int32"
    assert dt(ops.argsort(np.array([3, 1, 2]))) == "int32"
    assert dt(ops.sum(np.array([True, False]))) == "int32"
    assert dt(ops.square(np.array([True, False]))) == "int32"
    assert dt(ops.power(i32, 2)) == "int32" and dt(ops.clip(i32, 1, 2)) == "int32"
    assert dt(ops.full_like(np.arange(3), 2.5)) == "int64"
    assert dt(ops.one_hot(np.array([0, 2]), 3)) == "float32"
    assert dt(ops.cast([1.7, -2.2], "int32")) == "int32"
    check(ops.cast([1.7, -2.2], "int32"), [1, -2])
    keras.backend.set_floatx("float64")
    try:
        assert dt(ops.convert_to_tensor(1.5)) == "float64" and dt(ops.zeros(2)) == "float64"
    finally:
        keras.backend.set_floatx("float32")


def test_core_helpers():
    x = np.array([1.0, 2.0])
    t = ops.convert_to_tensor(x)
    assert ops.is_tensor(t) and not ops.is_tensor(x)
    assert isinstance(ops.convert_to_numpy(t), np.ndarray)
    assert ops.convert_to_tensor(t) is t
    assert ops.dtype(ops.convert_to_tensor(x, dtype="float32")) == "float32"
    check(ops.slice(np.arange(12).reshape(3, 4), (1, 1), (2, 2)), [[5, 6], [9, 10]])
    check(ops.slice_update(np.zeros((3, 3)), (1, 1), np.ones((2, 2))),
          np.pad(np.ones((2, 2)), ((1, 0), (1, 0))))
    check(ops.scatter(np.array([[0], [2], [0]]), np.array([1.0, 2.0, 3.0]), (4,)),
          [4.0, 0.0, 2.0, 0.0])
    check(ops.scatter_update(np.zeros(4), np.array([[1], [3]]), np.array([5.0, 6.0])),
          [0.0, 5.0, 0.0, 6.0])
    check(ops.scatter_update(np.ones(3), np.array([[1], [1]]), np.array([1.0, 2.0]),
                             reduction="add"), [1.0, 4.0, 1.0])
    parts = ops.unstack(np.arange(6).reshape(2, 3), axis=1)
    assert len(parts) == 3
    check(parts[1], [1, 4])
    y = ops.stop_gradient(tf.constant(2.0))
    check(y, 2.0)


def test_control_flow():
    check(ops.while_loop(lambda i: i < 5, lambda i: i + 1, 0), 5)
    i, s = ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    check(i, 5)
    check(s, 10)
    check(ops.while_loop(lambda i: i < 100, lambda i: i + 1, 0, maximum_iterations=3), 3)
    check(ops.fori_loop(0, 4, lambda i, v: v + i, 10), 16)
    check(ops.cond(True, lambda: 1, lambda: 2), 1)
    check(ops.cond(tf.constant(False), lambda: tf.constant(1), lambda: tf.constant(2)), 2)
    check(ops.switch(1, [lambda x: x + 1, lambda x: x * 10], tf.constant(3)), 30)
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), np.int64(0), np.arange(1, 5))
    check(carry, 10)
    check(ys, [0, 2, 9, 24])  # carries 0, 1, 3, 6 times x 1, 2, 3, 4
    # init and xs share a dtype (a Python float converts to floatx, as in Keras)
    carry, ys = ops.scan(lambda c, x: (c + x, c), 0.0, np.arange(1.0, 4.0, dtype=np.float32),
                         reverse=True)
    check(carry, 6.0)
    check(ys, [5.0, 3.0, 0.0])
    check(ops.vectorized_map(lambda x: x * 2, np.arange(3)), [0, 2, 4])
    check(ops.map(lambda x: ops.sum(x), np.arange(6).reshape(3, 2)), [1, 5, 9])


def test_control_flow_inside_tf_function():
    @tf.function
    def f(n):
        return ops.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + 2), (0, 0))[1]

    check(f(tf.constant(4)), 8)

    @tf.function
    def g(x):
        return ops.cond(ops.sum(x) > 0, lambda: x * 2, lambda: -x)

    check(g(tf.constant([1.0, 2.0])), [2.0, 4.0])
    check(g(tf.constant([-1.0, -2.0])), [1.0, 2.0])


def test_gradients_flow_through_ops():
    x = tf.Variable([[1.0, -2.0], [3.0, 0.5]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = ops.sum(ops.square(ops.matmul(x, ops.transpose(x)))) + ops.mean(ops.exp(x))
        y = y + ops.scan(lambda c, v: (c + ops.sum(v * v), None), np.float64(0), x)[0]
    g = tape.gradient(y, x).numpy()
    xn = x.numpy()
    expected = 4 * (xn @ xn.T) @ xn + np.exp(xn) / 4 + 2 * xn
    np.testing.assert_allclose(g, expected, rtol=1e-10)


def test_nn():
    x = rng.normal(size=(2, 5))
    check(ops.gelu(x), 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))))
    check(ops.leaky_relu(x), np.where(x > 0, x, 0.2 * x))
    check(ops.elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    check(ops.softmax(x), e / e.sum(-1, keepdims=True))
    check(ops.log_softmax(x), np.log(e / e.sum(-1, keepdims=True)))
    check(ops.one_hot(np.array([0, 2, -1]), 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    check(ops.one_hot(np.array([1, 0]), 2, axis=0), [[0, 1], [1, 0]])
    check(ops.multi_hot(np.array([[0, 2], [1, 1]]), 3), [[1, 0, 1], [0, 1, 0]])
    mean, var = ops.moments(x, axes=[1])
    check(mean, x.mean(1))
    check(var, x.var(1))
    mean, var = ops.moments(x, axes=0, keepdims=True)
    check(var, x.var(0, keepdims=True))
    m, v = x.mean(0), x.var(0)
    check(ops.batch_normalization(x, m, v, axis=-1, offset=np.ones(5), scale=2 * np.ones(5),
                                  epsilon=1e-3), (x - m) / np.sqrt(v + 1e-3) * 2 + 1)
    check(ops.normalize(x), x / np.linalg.norm(x, axis=-1, keepdims=True))
    check(ops.normalize(x, axis=0, order=1), x / np.abs(x).sum(0, keepdims=True))


def test_cross_entropies():
    eps = 1e-7
    t = np.array([1.0, 0.0, 1.0])
    p = np.array([0.8, 0.3, 1.0])
    pc = np.clip(p, eps, 1 - eps)
    check(ops.binary_crossentropy(t, p), -(t * np.log(pc) + (1 - t) * np.log(1 - pc)))
    logits = np.array([2.0, -1.0, 0.5])
    sp = 1 / (1 + np.exp(-logits))
    check(ops.binary_crossentropy(t, logits, from_logits=True),
          -(t * np.log(sp) + (1 - t) * np.log(1 - sp)))
    target = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    probs = np.array([[0.2, 0.6, 0.4], [0.5, 0.3, 0.2]])  # first row sums to 1.2
    q = probs / probs.sum(-1, keepdims=True)
    check(ops.categorical_crossentropy(target, probs), -np.sum(target * np.log(q), -1))
    z = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    log_q = z - np.log(np.exp(z).sum(-1, keepdims=True))
    check(ops.categorical_crossentropy(target, z, from_logits=True),
          -np.sum(target * log_q, -1))
    labels = np.array([1, 0])
    check(ops.sparse_categorical_crossentropy(labels, probs), -np.log(q[[0, 1], labels]))
    check(ops.sparse_categorical_crossentropy(labels[:, None], z, from_logits=True),
          -log_q[[0, 1], labels])


def test_conv_and_pool():
    x = rng.normal(size=(1, 5, 5, 2))
    k = rng.normal(size=(3, 3, 2, 4))
    ref = np.zeros((1, 3, 3, 4))
    for i in range(3):
        for j in range(3):
            ref[0, i, j] = np.tensordot(x[0, i:i + 3, j:j + 3], k, axes=3)
    check(ops.conv(x, k), ref, 1e-10)
    assert ops.shape(ops.conv(x, k, padding="same")) == (1, 5, 5, 4)
    pooled = ops.max_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2)
    check(pooled[0, :, :, 0], [[5.0, 7.0], [13.0, 15.0]])
    avg = ops.average_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2)
    check(avg[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_linalg():
    m = rng.normal(size=(3, 3))
    spd = m @ m.T + 3 * np.eye(3)
    for ord_ in (None, 1, 2, np.inf, -np.inf, 0, 3):
        check(ops.norm(A[0], ord=ord_), np.linalg.norm(A[0], ord=ord_))
    for ord_ in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        check(ops.norm(m, ord=ord_, axis=(0, 1)), np.linalg.norm(m, ord=ord_, axis=(0, 1)),
              1e-9)
    check(ops.norm(A), np.linalg.norm(A))
    check(ops.norm(A, axis=1, keepdims=True), np.linalg.norm(A, axis=1, keepdims=True))
    check(ops.inv(spd), np.linalg.inv(spd), 1e-9)
    check(ops.det(spd), np.linalg.det(spd), 1e-9)
    check(ops.cholesky(spd), np.linalg.cholesky(spd), 1e-9)
    check(ops.cholesky(spd, upper=True), np.linalg.cholesky(spd).T, 1e-9)
    check(ops.solve(spd, np.ones(3)[:, None]), np.linalg.solve(spd, np.ones((3, 1))), 1e-9)
    q, r = ops.qr(m)
    check(ops.matmul(q, r), m, 1e-9)
    u, s, vh = ops.svd(m)
    check(ops.matmul(u * s, vh), m, 1e-9)
    check(ops.svd(m, compute_uv=False), np.linalg.svd(m, compute_uv=False), 1e-9)
    w, v = ops.eigh(spd)
    check(w, np.linalg.eigvalsh(spd), 1e-9)


def test_namespaces():
    assert ops.numpy.mean is ops.mean and ops.nn.relu is ops.relu
    assert ops.math.top_k is ops.top_k and ops.linalg.norm is ops.norm
    assert ops.core.while_loop is ops.while_loop
    for name in ("add", "matmul", "einsum", "conv", "scan", "vectorized_map", "one_hot",
                 "sparse_categorical_crossentropy", "moments", "erf", "stop_gradient"):
        assert callable(getattr(ops, name)), name


def test_symbolic_keras_tensors():
    layers = pytest.importorskip("rill.keras.layers")
    if not hasattr(layers, "Input"):
        pytest.skip("keras.layers.Input is not available yet")
    x = keras.Input((3,))
    y = ops.sum(ops.square(x), axis=-1)
    assert y.shape.as_list() == [None]
    assert ops.shape(x)[1] == 3


def test_docstrings_run():
    import doctest
    import importlib

    for name in ("", ".core", ".linalg", ".nn", ".numpy", "._convert"):
        mod = importlib.import_module("rill.keras.ops" + name)
        result = doctest.testmod(mod, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0, name


@pytest.mark.skipif(not os.environ.get("RILL_TF_PYTHON"), reason="RILL_TF_PYTHON not set")
def test_dtypes_match_tensorflow():
    cases = ["divide(np.arange(3, dtype='int32'), 2)", "add(np.arange(3, dtype='int32'), 1.5)",
             "mean(np.arange(3, dtype='int8'))", "arange(3)", "full((2,), 3)",
             "add(np.ones(2, 'uint8'), np.ones(2, 'int8'))", "sum(np.array([True]))",
             "argmax(np.arange(3))", "multiply(np.ones(2, 'float16'), 2)",
             "add(np.ones(2, 'float16'), np.ones(2))", "power(2, np.arange(3, dtype='int8'))"]
    code = ("import json, numpy as np, keras\nfrom keras import ops\n"
            f"print(json.dumps([str(ops.convert_to_numpy(eval('ops.' + c)).dtype) "
            f"for c in {cases}]))")
    run = subprocess.run([os.environ["RILL_TF_PYTHON"], "-c", code], capture_output=True,
                         text=True, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    ours = [str(ops.convert_to_numpy(eval("ops." + c)).dtype) for c in cases]
    assert ours == theirs
