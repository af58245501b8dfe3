"""Array ops against NumPy: several shapes and dtypes, errors, gradients, static shapes.

Gradient values are checked numerically by the registry-wide spec test (specs_array.py);
here we check what those cannot: dtypes, TensorFlow's error types and messages, gradient
structure (IndexedSlices, None), and shape inference with unknown dimensions.
"""

import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.graph import PLACEHOLDER, Graph
from rill.ops.manip_ops import invert_permutation

DTYPES = [np.float32, np.float64, np.int32, np.int64]


def _arr(shape, dtype=np.float32, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape) * 5
    return a.astype(dtype)


def _check(got, want):
    got_np = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    assert got.dtype == tf.as_dtype(np.asarray(want).dtype), (got.dtype, np.asarray(want).dtype)
    assert tuple(got.shape) == np.shape(want)
    np.testing.assert_array_equal(got_np, want)


# -- forward against NumPy ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES + [np.bool_])
def test_reshape_squeeze_expand_dims(dtype):
    a = _arr((2, 1, 3), dtype)
    x = tf.constant(a)
    _check(tf.reshape(x, [3, -1]), a.reshape(3, -1))
    _check(tf.reshape(x, tf.constant([6], tf.int64)), a.reshape(6))
    _check(tf.reshape(x, tf.TensorShape([3, 2])), a.reshape(3, 2))
    _check(tf.reshape(x, (tf.constant(2), 3)), a.reshape(2, 3))
    _check(tf.reshape(tf.constant(a[0, 0, :1]), []), a[0, 0, 0])
    _check(tf.squeeze(x), a.reshape(2, 3))
    _check(tf.squeeze(x, axis=-2), a.reshape(2, 3))
    _check(tf.expand_dims(x, 0), a[None])
    _check(tf.expand_dims(x, -1), a[..., None])
    _check(tf.expand_dims(tf.constant(a[0, 0, 0]), 0), a[0, 0, :1])


def test_reshape_errors():
    with pytest.raises(InvalidArgumentError, match="tensor with 3 values, but the requested "
                                                   "shape .* requires a multiple of 2"):
        tf.reshape([1, 2, 3], [2, -1])
    with pytest.raises(InvalidArgumentError, match="Only one input size may be -1"):
        tf.reshape([1, 2, 3, 4], [-1, -1])
    with pytest.raises(InvalidArgumentError, match="has 2") as info:
        tf.reshape([1, 2, 3], [2])
    assert "hint:" in str(info.value)
    with pytest.raises(InvalidArgumentError, match="integer dtype"):
        tf.reshape([1, 2], tf.constant([2.0]))
    with pytest.raises(InvalidArgumentError, match="Can not squeeze dim\\[1\\]"):
        tf.squeeze(tf.ones([1, 2, 1]), axis=1)
    with pytest.raises(InvalidArgumentError, match="axis=2 is out of range"):
        tf.expand_dims([1, 2], 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transpose_tile_reverse_roll_broadcast(dtype):
    a = _arr((2, 3, 4), dtype)
    x = tf.constant(a)
    _check(tf.transpose(x), a.T)
    _check(tf.transpose(x, [1, 0, 2]), a.transpose(1, 0, 2))
    _check(tf.transpose(x, tf.constant([2, 0, 1])), a.transpose(2, 0, 1))
    _check(tf.tile(x, [1, 2, 3]), np.tile(a, (1, 2, 3)))
    _check(tf.tile(x, tf.constant([2, 1, 1], tf.int64)), np.tile(a, (2, 1, 1)))
    _check(tf.reverse(x, [0, -1]), a[::-1, :, ::-1])
    _check(tf.reverse(x, []), a)
    _check(tf.roll(x, 2, 2), np.roll(a, 2, 2))
    _check(tf.roll(x, [1, -1], [0, 1]), np.roll(a, (1, -1), (0, 1)))
    _check(tf.broadcast_to(x[:, :1], [5, 2, 3, 4]), np.broadcast_to(a[:, :1], (5, 2, 3, 4)))


def test_transpose_conjugate():
    a = np.array([[1 + 2j, 3 - 1j]], np.complex64)
    _check(tf.transpose(tf.constant(a), conjugate=True), a.conj().T)
    _check(tf.transpose(tf.constant([[1.0, 2.0]]), conjugate=True), np.array([[1.0], [2.0]],
                                                                              np.float32))
    _check(invert_permutation([2, 0, 1]), np.array([1, 2, 0], np.int32))


def test_shape_op_errors():
    with pytest.raises(InvalidArgumentError, match="transpose expects a vector of size 3"):
        tf.transpose(tf.zeros([2, 3, 4]), [0, 1])
    with pytest.raises(InvalidArgumentError, match="0 is missing"):
        tf.transpose([[1, 2]], [1, 1])
    with pytest.raises(InvalidArgumentError, match="vector of length 1 but got length 2"):
        tf.tile([1, 2], [2, 2])
    with pytest.raises(InvalidArgumentError, match="multiples\\[0\\] >= 0"):
        tf.tile([1, 2], [-1])
    with pytest.raises(InvalidArgumentError, match="'dims' must be 1-dimension"):
        tf.reverse([[1, 2]], 1)
    with pytest.raises(InvalidArgumentError, match="specified more than once"):
        tf.reverse([[1, 2]], [0, 0])
    with pytest.raises(InvalidArgumentError, match="shift and axis must have the same size"):
        tf.roll([1, 2, 3], [1, 2], [0])
    with pytest.raises(InvalidArgumentError, match="Incompatible shapes: \\[2\\] vs. \\[3\\]"):
        tf.broadcast_to([1, 2], [3])


@pytest.mark.parametrize("dtype", DTYPES + [np.bool_])
def test_concat_stack_unstack_split(dtype):
    a, b = _arr((2, 3), dtype, 0), _arr((2, 1), dtype, 1)
    x, y = tf.constant(a), tf.constant(b)
    _check(tf.concat([x, y], 1), np.concatenate([a, b], 1))
    _check(tf.concat([x, y], -1), np.concatenate([a, b], 1))
    _check(tf.concat([x], 0), a)
    _check(tf.stack([x, x]), np.stack([a, a]))
    _check(tf.stack([x, x], axis=-1), np.stack([a, a], -1))
    for got, want in zip(tf.unstack(x, axis=1), [a[:, i] for i in range(3)]):
        _check(got, want)
    parts = tf.split(x, 3, axis=1)
    assert len(parts) == 3
    for got, want in zip(parts, np.split(a, 3, 1)):
        _check(got, want)
    for got, want in zip(tf.split(x, [1, -1, 1], axis=1), np.split(a, [1, 2], 1)):
        _check(got, want)
    for got, want in zip(tf.split(x, tf.constant([2, 1]), axis=1), np.split(a, [2], 1)):
        _check(got, want)


def test_joining_converts_python_data_to_the_tensors_dtype():
    _check(tf.concat([[1.0], [2]], 0), np.array([1, 2], np.float32))
    _check(tf.concat([tf.constant([1], tf.int64), [2]], 0), np.array([1, 2], np.int64))
    _check(tf.stack([1, 2.0]), np.array([1, 2], np.float32))
    _check(tf.stack([]), np.zeros((0,), np.float32))
    with pytest.raises(InvalidArgumentError, match="values\\[1\\] has dtype float32"):
        tf.concat([tf.constant([1]), tf.constant([2.0])], 0)
    with pytest.raises(InvalidArgumentError, match="values\\[1\\] has dtype float32"):
        tf.stack([tf.constant(1), tf.constant(2.0)])


def test_joining_errors():
    with pytest.raises(InvalidArgumentError, match="Dimension 1 in both shapes must be equal"):
        tf.concat([[[1]], [[2, 3]]], 0)
    with pytest.raises(InvalidArgumentError, match="Can't concatenate scalars"):
        tf.concat([tf.constant(1), tf.constant(2)], 0)
    with pytest.raises(InvalidArgumentError, match="axis=1 is out of range"):
        tf.concat([[1], [2]], 1)
    with pytest.raises(InvalidArgumentError, match="Shapes of all inputs must match"):
        tf.stack([[1], [2, 3]])
    with pytest.raises(InvalidArgumentError, match="Input shape axis 0 must equal 3"):
        tf.unstack(tf.ones([2, 3]), num=3)
    with pytest.raises(InvalidArgumentError, match="evenly divide"):
        tf.split(tf.range(6), 4)
    with pytest.raises(InvalidArgumentError, match="only be one -1"):
        tf.split(tf.range(6), [-1, -1])
    with pytest.raises(InvalidArgumentError, match="Got: 3"):
        tf.split(tf.range(6), [1, 2])
    with pytest.raises(InvalidArgumentError, match="only one output"):
        tf.split(tf.range(6), [2])
    with pytest.raises(InvalidArgumentError, match="at least 1"):
        tf.split(tf.range(6), 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC", "reflect"])
def test_pad(dtype, mode):
    a = _arr((3, 4), dtype)
    p = [[1, 2], [2, 0]]
    _check(tf.pad(tf.constant(a), p, mode), np.pad(a, p, mode=mode.lower()))
    _check(tf.pad(tf.constant(a), tf.constant(p, tf.int64), mode), np.pad(a, p, mode.lower()))


def test_pad_constant_values_and_errors():
    a = np.array([[1, 2]], np.int32)
    _check(tf.pad(a, [[1, 1], [2, 0]], constant_values=9),
           np.pad(a, [[1, 1], [2, 0]], constant_values=9))
    _check(tf.pad(tf.constant([[1.0, 2.0]]), [[0, 0], [1, 0]], constant_values=1),
           np.array([[1, 1, 2]], np.float32))
    with pytest.raises(InvalidArgumentError, match="less than the dimension size"):
        tf.pad([[1, 2, 3]], [[0, 0], [3, 0]], "REFLECT")
    with pytest.raises(InvalidArgumentError, match="no greater than the dimension size"):
        tf.pad([[1, 2, 3]], [[0, 0], [4, 1]], "SYMMETRIC")
    with pytest.raises(InvalidArgumentError, match="rank of inputs"):
        tf.pad([[1, 2, 3]], [[0, 0]])
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.pad([[1, 2, 3]], [[0, 0], [-1, 0]])
    with pytest.raises(ValueError, match="mode"):
        tf.pad([1], [[1, 1]], "WRAP")


def test_zeros_ones_fill():
    _check(tf.zeros([2, 3]), np.zeros((2, 3), np.float32))
    _check(tf.zeros(3, tf.int64), np.zeros(3, np.int64))
    _check(tf.zeros([]), np.float32(0))
    _check(tf.zeros(tf.TensorShape([2, 1])), np.zeros((2, 1), np.float32))
    _check(tf.zeros((2, tf.constant(3))), np.zeros((2, 3), np.float32))
    _check(tf.zeros(tf.constant([2, 1])), np.zeros((2, 1), np.float32))
    _check(tf.ones([2], dtype="float64"), np.ones(2))
    _check(tf.ones([2, 2], tf.bool), np.ones((2, 2), bool))
    _check(tf.zeros([2], tf.string), np.array([b"", b""], object))
    _check(tf.zeros_like([1, 2]), np.zeros(2, np.int32))
    _check(tf.zeros_like(tf.ones([2, 3])), np.zeros((2, 3), np.float32))
    _check(tf.ones_like(tf.constant([1.0, 2.0]), dtype=tf.int32), np.ones(2, np.int32))
    _check(tf.ones_like(tf.Variable([[1.5]])), np.ones((1, 1), np.float32))
    _check(tf.fill([2, 2], 3), np.full((2, 2), 3, np.int32))
    _check(tf.fill(tf.constant([2]), 1.5), np.full(2, 1.5, np.float32))
    _check(tf.fill([2], tf.constant([1.0])), np.ones(2, np.float32))
    with pytest.raises(InvalidArgumentError, match="Dimension -1 must be >= 0"):
        tf.zeros([-1])
    with pytest.raises(InvalidArgumentError, match="value must represent a scalar"):
        tf.fill([2], [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown"):
        tf.zeros([2, None])


def test_range_dtype_inference_like_tensorflow():
    _check(tf.range(5), np.arange(5, dtype=np.int32))
    _check(tf.range(1.0, 5), np.arange(1, 5, dtype=np.float32))
    _check(tf.range(0, 5, 2, dtype=tf.float64), np.arange(0, 5, 2, dtype=np.float64))
    _check(tf.range(5, dtype=tf.int64), np.arange(5))
    _check(tf.range(np.int64(3)), np.arange(3))
    _check(tf.range(np.float64(3)), np.arange(3.0))
    _check(tf.range(tf.constant(3), 5.0), np.array([3, 4], np.float32))
    _check(tf.range(5, 0, -2), np.array([5, 3, 1], np.int32))
    _check(tf.range(start=3), np.arange(3, dtype=np.int32))
    np.testing.assert_allclose(tf.range(0.0, 1.0, 0.1).numpy(), np.arange(0, 1, 0.1), atol=1e-6)
    assert tf.range(0.0, 1.0, 0.1).shape == (10,)
    with pytest.raises(InvalidArgumentError, match="delta != 0"):
        tf.range(0, 5, 0)
    with pytest.raises(InvalidArgumentError, match="start <= limit when delta > 0"):
        tf.range(5, 0)
    with pytest.raises(InvalidArgumentError, match="start >= limit when delta < 0"):
        tf.range(0, 5, -1)


def test_linspace():
    _check(tf.linspace(0.0, 1.0, 5), np.linspace(0, 1, 5).astype(np.float32))
    _check(tf.linspace(0, 1, 5), np.linspace(0, 1, 5))
    _check(tf.linspace(0.0, 1.0, 1), np.zeros(1, np.float32))
    _check(tf.linspace(0.0, 1.0, 0), np.zeros(0, np.float32))
    start = np.array([0.0, 1.0], np.float32)
    np.testing.assert_allclose(tf.linspace(start, 2.0, 3).numpy(), np.linspace(start, 2.0, 3))
    np.testing.assert_allclose(tf.linspace(start, 2.0, 3, axis=-1).numpy(),
                               np.linspace(start, 2.0, 3, axis=-1))


def test_one_hot():
    _check(tf.one_hot([0, 2, -1, 5], 3),
           np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]], np.float32))
    _check(tf.one_hot([0, 2], 3, dtype=tf.int32), np.array([[1, 0, 0], [0, 0, 1]], np.int32))
    _check(tf.one_hot([0, 2], 3, on_value=5, off_value=-1),
           np.array([[5, -1, -1], [-1, -1, 5]], np.int32))
    _check(tf.one_hot([[0, 2]], 3, axis=0), np.eye(3, dtype=np.float32)[:, [0, 2]][:, None])
    _check(tf.one_hot(1, 3), np.array([0, 1, 0], np.float32))
    _check(tf.one_hot(tf.constant([1], tf.int64), tf.constant(2), on_value=True,
                      off_value=False), np.array([[False, True]]))
    with pytest.raises(TypeError, match="does not match"):
        tf.one_hot([0, 1], 3, on_value=1.0, off_value=0)
    with pytest.raises(InvalidArgumentError, match="indices must be integers"):
        tf.one_hot([0.0, 2.0], 3)
    with pytest.raises(InvalidArgumentError, match="depth must be non-negative"):
        tf.one_hot([1], -1)
    with pytest.raises(InvalidArgumentError, match="Expected axis to be -1 or between"):
        tf.one_hot([1], 3, axis=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_where(dtype):
    c = np.array([[True, False, True], [False, False, True]])
    a, b = _arr((2, 3), dtype, 0), _arr((1, 3), dtype, 1)
    _check(tf.where(c, a, b), np.where(c, a, b))
    _check(tf.where(c[0], tf.constant(a), tf.constant(b)), np.where(c[0], a, b))
    _check(tf.where(c), np.argwhere(c))
    _check(tf.where(a), np.argwhere(a))
    _check(tf.where([True, False], 1.0, 2.0), np.array([1.0, 2.0], np.float32))


def test_where_errors():
    with pytest.raises(ValueError, match="both be non-None"):
        tf.where([True], x=1.0)
    with pytest.raises(InvalidArgumentError, match="must be a bool tensor"):
        tf.where(tf.constant([1, 0]), 1, 2)
    with pytest.raises(TypeError):
        tf.where([1, 0], 1, 2)
    with pytest.raises(InvalidArgumentError, match="must be broadcastable"):
        tf.where([True, False], [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError):
        tf.where([True, False], tf.constant(1.0), tf.constant(1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_family(dtype):
    a = _arr((4, 3, 2), dtype)
    x = tf.constant(a)
    i = np.array([[3, 0], [1, 1]])
    _check(tf.gather(x, i), a[i])
    _check(tf.gather(x, tf.constant(i % 3, tf.int64), axis=1), np.take(a, i % 3, 1))
    _check(tf.gather(x, i % 3, axis=1), np.take(a, i % 3, 1))
    _check(tf.gather(x, 2), a[2])
    _check(tf.gather(x, [1, 0], axis=-1), a[..., [1, 0]])
    bi = np.array([[2, 0], [1, 1], [0, 0], [2, 2]])
    _check(tf.gather(x, bi, axis=1, batch_dims=1), np.stack([a[b][bi[b]] for b in range(4)]))
    _check(tf.gather(x, bi % 2, axis=2, batch_dims=1),
           np.stack([np.take(a[b], bi[b] % 2, 1) for b in range(4)]))
    nd = np.array([[0, 1], [3, 2], [0, 1]])
    _check(tf.gather_nd(x, nd), a[nd[:, 0], nd[:, 1]])
    _check(tf.gather_nd(x, [[1]]), a[[1]])
    _check(tf.gather_nd(x, [2, 1, 0]), a[2, 1, 0])
    _check(tf.gather_nd(x, [[[1], [0]], [[2], [2]], [[0], [1]], [[1], [1]]], batch_dims=1),
           np.stack([a[b][[[1, 0], [2, 2], [0, 1], [1, 1]][b]] for b in range(4)]))


def test_gather_errors():
    params = [[1, 2], [3, 4], [5, 6]]
    with pytest.raises(InvalidArgumentError, match="indices\\[0\\] = 3 is not in \\[0, 3\\)"):
        tf.gather(params, [3])
    with pytest.raises(InvalidArgumentError, match="indices\\[0\\] = -1 is not in"):
        tf.gather(params, [-1])
    with pytest.raises(InvalidArgumentError, match="indices\\[0,0\\] = 2 is not in \\[0, 2\\)"):
        tf.gather(params, [[2, 0]], axis=1)
    with pytest.raises(InvalidArgumentError, match="indices\\[1\\] = 5"):
        tf.gather(tf.constant(params), tf.constant([0, 5]), axis=0, batch_dims=0)
    with pytest.raises(InvalidArgumentError, match="at least rank 3"):
        tf.gather([1, 2, 3], [0], axis=2)
    with pytest.raises(InvalidArgumentError, match="integer dtype|integers"):
        tf.gather([1.0, 2.0], [0.0])
    with pytest.raises(InvalidArgumentError, match="does not index into shape \\[2, 2\\]"):
        tf.gather_nd([[1, 2], [3, 4]], [[2, 0]])
    with pytest.raises(InvalidArgumentError, match="innermost dimension length"):
        tf.gather_nd([1, 2, 3], [[0, 1]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_family(dtype):
    idx = np.array([[0], [2], [0]])
    u = _arr((3, 2), dtype)
    want = np.zeros((4, 2), dtype)
    np.add.at(want, idx[:, 0], u)
    _check(tf.scatter_nd(idx, u, [4, 2]), want)
    t = _arr((4, 2), dtype, 3)
    upd = t.copy()
    upd[[1, 3]] = u[:2]
    _check(tf.tensor_scatter_nd_update(t, [[1], [3]], u[:2]), upd)
    add = t.copy()
    np.add.at(add, idx[:, 0], u)
    _check(tf.tensor_scatter_nd_add(t, idx, u), add)
    sub = t.copy()
    np.subtract.at(sub, idx[:, 0], u)
    _check(tf.tensor_scatter_nd_sub(t, idx, u), sub)
    _check(tf.tensor_scatter_nd_update(t, [[0, 1]], [u[0, 0]]),
           np.where(np.arange(8).reshape(4, 2) == 1, u[0, 0], t))


def test_scatter_errors():
    with pytest.raises(InvalidArgumentError, match="need updates of shape \\[1\\]"):
        tf.scatter_nd([[0, 1]], [[1.0]], [2, 2])
    with pytest.raises(InvalidArgumentError, match="indices\\[0\\] = \\[5\\] does not index"):
        tf.scatter_nd([[5]], [1], [4])
    with pytest.raises(InvalidArgumentError, match="need updates of shape \\[1\\]"):
        tf.tensor_scatter_nd_update([1, 2, 3], [[0]], [9, 9])
    with pytest.raises(InvalidArgumentError, match="does not index into shape \\[3\\]"):
        tf.tensor_scatter_nd_update([1, 2, 3], [[5]], [9])
    with pytest.raises(InvalidArgumentError, match="updates has dtype float32"):
        tf.tensor_scatter_nd_add(tf.constant([1, 2]), [[0]], tf.constant([1.0]))


def test_boolean_mask():
    a = np.arange(24).reshape(2, 3, 4)
    m2 = np.array([[True, False, True], [False, False, True]])
    _check(tf.boolean_mask(a, m2), a[m2])
    _check(tf.boolean_mask(a, [True, False]), a[[0]])
    _check(tf.boolean_mask(a, [True, False, True, False], axis=2), a[:, :, [0, 2]])
    _check(tf.boolean_mask(a, [1, 0]), a[[0]])
    x = tf.constant(a.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.boolean_mask(x, m2))
    g = tape.gradient(y, x)
    assert isinstance(g, tf.Tensor)  # dense, as in TensorFlow
    np.testing.assert_array_equal(g.numpy(), np.broadcast_to(m2[..., None], a.shape))
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask([1, 2], True)
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask([[1, 2], [3, 4]], [True, False, True])


def test_sequence_mask_meshgrid_repeat():
    _check(tf.sequence_mask([1, 3, 2], 5), np.arange(5) < np.array([1, 3, 2])[:, None])
    _check(tf.sequence_mask([1, 3, 2]), np.arange(3) < np.array([1, 3, 2])[:, None])
    _check(tf.sequence_mask([[1], [2]], 3, dtype=tf.float32),
           (np.arange(3) < np.array([[1], [2]])[..., None]).astype(np.float32))
    _check(tf.sequence_mask(2, 3), np.array([True, True, False]))
    x, y = np.array([1, 2, 3]), np.array([4, 5])
    for got, want in zip(tf.meshgrid(x, y), np.meshgrid(x, y)):
        _check(got, want.astype(np.int64))
    for got, want in zip(tf.meshgrid(x, y, indexing="ij"), np.meshgrid(x, y, indexing="ij")):
        _check(got, want.astype(np.int64))
    a = np.array([[1, 2], [3, 4]], np.int32)
    _check(tf.repeat(a, 2), np.repeat(a, 2))
    _check(tf.repeat(a, [1, 2], axis=0), np.repeat(a, [1, 2], axis=0))
    _check(tf.repeat(a, [0, 3], axis=-1), np.repeat(a, [0, 3], axis=1))
    _check(tf.repeat(tf.constant(a), tf.constant(2), axis=1), np.repeat(a, 2, axis=1))
    with pytest.raises(InvalidArgumentError, match="repeats has shape \\[3\\]"):
        tf.repeat(a, [1, 2, 3], axis=0)


def test_searchsorted():
    seq = np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 6.0]], np.float32)
    vals = np.array([[2.5, 0.0], [2.0, 7.0]], np.float32)
    want = np.stack([np.searchsorted(s, v) for s, v in zip(seq, vals)]).astype(np.int32)
    _check(tf.searchsorted(seq, vals), want)
    right = np.stack([np.searchsorted(s, v, "right") for s, v in zip(seq, vals)])
    _check(tf.searchsorted(seq, vals, side="right", out_type=tf.int64), right)
    _check(tf.searchsorted([1, 2, 2, 3], [2, 4]), np.array([1, 4], np.int32))
    with pytest.raises(InvalidArgumentError, match="rank >= 1"):
        tf.searchsorted([1.0, 2.0, 3.0], 2.0)
    with pytest.raises(ValueError, match="'right' or 'left'"):
        tf.searchsorted([1.0], [1.0], side="middle")


def test_shape_rank_size_identity_stop_gradient():
    x = tf.zeros([2, 3])
    _check(tf.shape(x), np.array([2, 3], np.int32))
    _check(tf.shape(x, out_type=tf.int64), np.array([2, 3], np.int64))
    _check(tf.rank(x), np.int32(2))
    _check(tf.size(x), np.int32(6))
    _check(tf.size(x, out_type=tf.int64), np.int64(6))
    assert [s.numpy().tolist() for s in tf.shape_n([tf.ones([2]), tf.ones([3, 1])])] == \
        [[2], [3, 1]]
    _check(tf.identity([1, 2]), np.array([1, 2], np.int32))
    v = tf.Variable([1.0, 2.0])
    snapshot = tf.identity(v)
    v.assign([5.0, 6.0])
    _check(snapshot, np.array([1, 2], np.float32))
    _check(tf.stop_gradient(1.0), np.float32(1))


def test_clip_by_norm():
    _check(tf.clip_by_norm([3.0, 4.0], 1.0), np.array([0.6, 0.8], np.float32))
    _check(tf.clip_by_norm([3.0, 4.0], 10.0), np.array([3.0, 4.0], np.float32))
    got = tf.clip_by_norm([[3.0, 4.0], [0.0, 0.0]], 1.0, axes=[1])
    np.testing.assert_allclose(got.numpy(), [[0.6, 0.8], [0, 0]], rtol=1e-6)
    x = tf.constant([[0.0, 0.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.clip_by_norm(x, 1.0, axes=[1]))
    g = tape.gradient(y, x).numpy()
    assert np.all(np.isfinite(g))
    s = tf.clip_by_norm(tf.IndexedSlices(tf.constant([[3.0, 4.0]]), tf.constant([1]),
                                         tf.constant([2, 2])), 1.0)
    assert isinstance(s, tf.IndexedSlices)
    np.testing.assert_allclose(tf.convert_to_tensor(s).numpy(), [[0, 0], [0.6, 0.8]])
    with pytest.raises(InvalidArgumentError, match="floating"):
        tf.clip_by_norm([3, 4], 1)


# -- gradient structure -------------------------------------------------------------------
def test_gather_gradient_is_indexed_slices_for_axis_0():
    params = tf.constant(np.arange(8.0).reshape(4, 2))
    idx = tf.constant([[3, 0], [3, 3]])
    with tf.GradientTape() as tape:
        tape.watch(params)
        y = tf.reduce_sum(tf.gather(params, idx) * 2.0)
    g = tape.gradient(y, params)
    assert isinstance(g, tf.IndexedSlices)
    assert g.values.shape == (4, 2) and g.indices.numpy().tolist() == [3, 0, 3, 3]
    assert g.dense_shape.numpy().tolist() == [4, 2]
    np.testing.assert_array_equal(tf.convert_to_tensor(g).numpy(),
                                  [[2, 2], [0, 0], [0, 0], [6, 6]])
    with tf.GradientTape() as tape:
        tape.watch(params)
        y = tf.reduce_sum(tf.gather(params, idx)) + tf.reduce_sum(params[:1])
    dense = tape.gradient(y, params)  # the IndexedSlices is summed with a dense gradient
    assert isinstance(dense, tf.Tensor)
    np.testing.assert_array_equal(dense.numpy(), [[2, 2], [0, 0], [0, 0], [3, 3]])


def test_gather_gradient_of_a_variable_feeds_scatter_updates():
    emb = tf.Variable(np.zeros((5, 2), np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(emb, [1, 4, 1]))
    g = tape.gradient(y, emb)
    assert isinstance(g, tf.IndexedSlices)
    emb.scatter_sub(g)
    np.testing.assert_array_equal(emb.numpy()[:, 0], [0, -2, 0, 0, -1])


def test_gather_gradient_other_axes_is_dense():
    params = tf.constant(np.arange(12.0).reshape(2, 3, 2))
    with tf.GradientTape() as tape:
        tape.watch(params)
        y = tf.reduce_sum(tf.gather(params, [2, 2, 0], axis=1))
    g = tape.gradient(y, params)
    assert isinstance(g, tf.Tensor)
    np.testing.assert_array_equal(g.numpy()[0, :, 0], [1, 0, 2])


def test_where_gradient_routes_dy_to_the_selected_branch():
    x = tf.constant([1.0, -2.0, 3.0])
    y = tf.constant([10.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        out = tf.where(x > 0, x * x, y)
    gx, gy = tape.gradient(out, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [2.0, 0.0, 6.0])
    np.testing.assert_array_equal(gy.numpy(), [1.0])
    cond = tf.constant([True, False])
    assert tape.gradient(out, cond) is None


def test_stop_gradient_and_non_differentiable_ops_give_none():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.stop_gradient(x) * x
        z = tf.cast(tf.where(x), tf.float32)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0])
    assert tape.gradient(tf.stop_gradient(x), x) is None
    assert tape.gradient(z, x) is None


def test_split_gradient_with_unused_outputs():
    x = tf.constant(np.arange(6.0))
    with tf.GradientTape() as tape:
        tape.watch(x)
        a, b, c = tf.split(x, [1, 2, 3])
        y = tf.reduce_sum(b * 3.0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0, 3, 3, 0, 0, 0])


# -- IndexedSlices --------------------------------------------------------------------------
def test_indexed_slices():
    s = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([2, 2]),
                         tf.constant([3, 2]))
    assert s.dtype == tf.float32 and s.shape == (3, 2)
    dense = tf.convert_to_tensor(s)
    np.testing.assert_array_equal(dense.numpy(), [[0, 0], [0, 0], [4, 6]])
    np.testing.assert_array_equal(tf.multiply(s, 2.0).numpy(), 2 * dense.numpy())
    np.testing.assert_array_equal(tf.reduce_sum(s).numpy(), 10.0)
    neg = -s
    assert isinstance(neg, tf.IndexedSlices)
    np.testing.assert_array_equal(neg.values.numpy(), -s.values.numpy())
    assert "IndexedSlices(indices=" in repr(s)
    assert tf.IndexedSlices(tf.ones([1, 2]), [0]).shape.rank is None  # as TensorFlow 2.21
    with pytest.raises(ValueError, match="without dense_shape"):
        tf.convert_to_tensor(tf.IndexedSlices(tf.ones([1, 2]), [0]))
    with pytest.raises(TypeError, match="integer"):
        tf.IndexedSlices(tf.ones([1]), [0.5])


# -- static shapes with unknown dimensions --------------------------------------------------
class _Trace:
    """Builds symbolic inputs in a fresh graph and makes it current."""

    def __enter__(self):
        self.g = Graph("test")
        context.graphs.append(self.g)
        return self

    def __exit__(self, *exc):
        context.graphs.pop()

    def __call__(self, shape, dtype=tf.float32):
        spec = [(tf.TensorShape(shape), dtype)]
        return self.g.add_operation(PLACEHOLDER, (), {}, spec).outputs[0]


def _shape(t):
    return None if t.shape.rank is None else t.shape.as_list()


def test_shape_rules_with_unknown_dims():
    with _Trace() as ph:
        x = ph([None, 3, 4])
        u = ph(None)
        i = ph([None], tf.int32)
        n = ph([], tf.int32)
        assert _shape(tf.reshape(x, [-1, 12])) == [None, 12]
        assert _shape(tf.reshape(u, [3, 4])) == [3, 4]
        assert _shape(tf.reshape(x, tf.stack([tf.shape(x)[0], 12]))) == [None, 12]
        assert _shape(tf.squeeze(x)) is None
        assert _shape(tf.squeeze(ph([None, 1, 3]), 1)) == [None, 3]
        assert _shape(tf.expand_dims(x, -1)) == [None, 3, 4, 1]
        assert _shape(tf.transpose(x)) == [4, 3, None]
        assert _shape(tf.transpose(u)) is None
        assert _shape(tf.tile(x, [2, 1, 3])) == [None, 3, 12]
        assert _shape(tf.concat([x, x], 1)) == [None, 6, 4]
        assert _shape(tf.concat([x, u], 2)) == [None, 3, None]
        assert _shape(tf.stack([x, x], 1)) == [None, 2, 3, 4]
        assert [_shape(t) for t in tf.unstack(x, axis=2)] == [[None, 3]] * 4
        assert [_shape(t) for t in tf.split(x, [1, -1], 1)] == [[None, 1, 4], [None, 2, 4]]
        assert _shape(tf.pad(x, [[1, 1], [0, 0], [2, 2]], "REFLECT")) == [None, 3, 8]
        assert _shape(tf.slice(x, [0, 1, 0], [-1, 2, 3])) == [None, 2, 3]
        assert _shape(tf.zeros(tf.shape(x))) == [None, 3, 4]
        assert _shape(tf.zeros_like(x, tf.int32)) == [None, 3, 4]
        assert _shape(tf.range(n)) == [None]
        assert _shape(tf.range(2, 11, 3)) == [3]
        assert _shape(tf.one_hot(i, 5)) == [None, 5]
        assert _shape(tf.where(ph([None, 3], tf.bool))) == [None, 2]
        assert _shape(tf.where(ph([None, 3], tf.bool), ph([None, 3]), 0.0)) == [None, 3]
        assert _shape(tf.gather(x, i, axis=2)) == [None, 3, None]
        assert _shape(tf.gather_nd(x, ph([5, 2], tf.int32))) == [5, 4]
        assert _shape(tf.scatter_nd(ph([5, 1], tf.int32), ph([5, 4]), [7, 4])) == [7, 4]
        assert _shape(tf.boolean_mask(x, ph([None], tf.bool))) == [None, 3, 4]
        assert _shape(tf.repeat(x, 2, axis=1)) == [None, 6, 4]
        assert _shape(tf.searchsorted(ph([None, 5]), ph([None, 2]))) == [None, 2]
        assert _shape(tf.sequence_mask(i, 6)) == [None, 6]
        assert tf.rank(x).numpy() == 3 and _shape(tf.rank(u)) == []
        assert _shape(tf.shape(x)) == [3]
        with pytest.raises(InvalidArgumentError, match="Dimension 1 in both shapes"):
            tf.concat([x, ph([None, 2, 5])], 0)
        with pytest.raises(InvalidArgumentError, match="vector of length 3"):
            tf.tile(x, [2, 2])


def test_traced_equals_eager():
    a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)

    def f(x):
        y = tf.concat([x[:, ::-1], tf.zeros_like(x[:, :1])], 1)
        y = tf.pad(tf.transpose(y, [0, 2, 1]), [[0, 0], [1, 1], [0, 0]], "SYMMETRIC")
        parts = tf.split(y, 2, axis=0)
        z = tf.gather(parts[1], [0, 3], axis=1) + tf.tile(parts[0][:, :2], [1, 1, 1])
        return tf.boolean_mask(z, z[..., 0] > 20.0), tf.where(z > 30.0, z, -z)

    traced = tf.function(f, input_signature=[tf.TensorSpec([None, 3, 4], tf.float32)])
    for got, want in zip(traced(tf.constant(a)), f(tf.constant(a))):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


# -- property tests -------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.data())
def test_transpose_and_tile_match_numpy(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    perm = data.draw(st.permutations(range(len(shape))))
    mult = data.draw(st.lists(st.integers(0, 2), min_size=len(shape), max_size=len(shape)))
    np.testing.assert_array_equal(tf.transpose(a, perm).numpy(), a.transpose(perm))
    np.testing.assert_array_equal(tf.tile(a, mult).numpy(), np.tile(a, mult))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_array_equal(tf.concat([a, a], axis).numpy(), np.concatenate([a, a], axis))
    np.testing.assert_array_equal(tf.reverse(a, [axis]).numpy(), np.flip(a, axis))


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
_PARITY = [
    "tf.reshape(tf.range(24.), [2, 3, 4])[..., 1, tf.newaxis]",
    "tf.reshape(tf.range(24.), [2, 3, 4])[::-1, 1:, ::-2]",
    "tf.strided_slice(tf.reshape(tf.range(24.), [2, 3, 4]), [0, 1, 0], [0, 3, 4], [1, 1, 2], "
    "begin_mask=1, end_mask=1, shrink_axis_mask=4)",
    "tf.pad([[1, 2, 3]], [[0, 0], [3, 1]], 'SYMMETRIC')",
    "tf.one_hot([[0, 2]], 3, axis=0)",
    "tf.gather([[1, 2], [3, 4]], [[1, 0], [0, 0]], axis=1, batch_dims=-1)",
    "tf.gather_nd([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], [[1], [0]], batch_dims=1)",
    "tf.range(0., 1., 0.1)",
    "tf.linspace(tf.constant([0., 1.]), 2., 3, axis=-1)",
    "tf.repeat([[1, 2], [3, 4]], [1, 2], axis=1)",
    "tf.searchsorted([[1., 2., 3.], [1., 5., 6.]], [[2.5], [2.]])",
    "tf.sequence_mask([1, 3, 2])",
    "tf.clip_by_norm([[3., 4.], [0., 0.]], 1., axes=[1])",
    "tf.where([True, False], [1., 2.], [[3.], [4.]])",
    "tf.roll([[1, 2], [3, 4]], [1, -1], [0, 1])",
    "tf.split(tf.range(6), [1, -1, 3])[1]",
]


def test_parity_with_tensorflow(tf_python, tmp_path):
    script = ("import sys, numpy as np, tensorflow as tf\n"
              f"cases = {_PARITY!r}\n"
              "out = {str(i): np.asarray(eval(c)) for i, c in enumerate(cases)}\n"
              "np.savez(sys.argv[1], **out)\n")
    path = str(tmp_path / "parity.npz")
    run = subprocess.run([tf_python, "-c", script, path], capture_output=True, timeout=120)
    assert run.returncode == 0, f"TensorFlow failed to run: {run.stderr[-600:]!r}"
    with np.load(path) as ref:
        for i, case in enumerate(_PARITY):
            got = eval(case)
            want = ref[str(i)]
            assert got.dtype == tf.as_dtype(want.dtype), case
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, err_msg=case)
