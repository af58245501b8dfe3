"""keras.backend (K): each function against NumPy, plus the chapter's example."""

import numpy as np
import pytest

import rill as tf
from rill import keras

K = keras.backend
A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)


@pytest.fixture
def t():
    return tf.constant(A)


def close(result, expected, **kw):
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-6, atol=1e-6, **kw)


def test_chapter_example(t):
    out = K.square(K.transpose(t)) + 10
    assert out.shape == [3, 2] and out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(), [[11.0, 26.0], [14.0, 35.0], [19.0, 46.0]])


def test_config():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    assert K.image_data_format() == "channels_last" and K.backend() == "tensorflow"
    K.set_epsilon(1e-5)
    try:
        assert K.epsilon() == 1e-5
    finally:
        K.set_epsilon(1e-7)
    K.set_floatx("float64")
    try:
        assert K.floatx() == "float64"
        assert K.constant(1.0).dtype == tf.float64 and K.zeros(2).dtype == tf.float64
        assert K.cast_to_floatx([1, 2]).dtype == np.float64
    finally:
        K.set_floatx("float32")
    with pytest.raises(ValueError, match="Unknown floatx"):
        K.set_floatx("int32")
    with pytest.raises(ValueError, match="data_format"):
        K.set_image_data_format("nhwc")
    K.clear_session()
    assert K.get_uid("dense") == 1 and K.get_uid("dense") == 2
    with K.name_scope("block"):
        pass


@pytest.mark.parametrize("name, ref", [
    ("square", np.square), ("sqrt", np.sqrt), ("exp", np.exp), ("log", np.log),
    ("abs", np.abs), ("sign", np.sign), ("round", np.round), ("sin", np.sin), ("cos", np.cos),
    ("tanh", np.tanh), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("softplus", lambda x: np.log1p(np.exp(x))), ("softsign", lambda x: x / (1 + np.abs(x))),
])
def test_elementwise(name, ref, t):
    x = -t if name in ("abs", "sign") else t
    close(getattr(K, name)(x), ref(np.asarray(x.numpy(), np.float64)))


def test_sqrt_clips_negative_and_round_is_half_even():
    close(K.sqrt(tf.constant([4.0, -1.0])), [2.0, 0.0])
    close(K.round(tf.constant([0.5, 1.5, 2.4, -0.5])), [0.0, 2.0, 2.0, -0.0])


@pytest.mark.parametrize("name, ref", [
    ("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min), ("prod", np.prod),
    ("std", np.std), ("var", np.var),
])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), (-1, False)])
def test_reductions(name, ref, axis, keepdims, t):
    out = getattr(K, name)(t, axis=axis, keepdims=keepdims)
    close(out, ref(A.astype(np.float64), axis=axis, keepdims=keepdims))
    assert out.dtype == tf.float32


def test_mean_of_bools_is_float():
    assert float(K.mean(tf.constant([True, False, True, True]))) == 0.75
    assert bool(K.all(tf.constant([1, 1]))) and not bool(K.all(tf.constant([True, False])))
    assert bool(K.any(tf.constant([0, 1])))


def test_argmax_argmin_comparisons(t):
    assert K.argmax(t).numpy().tolist() == [2, 2]
    assert K.argmin(t, axis=0).numpy().tolist() == [0, 0, 0]
    np.testing.assert_array_equal(K.equal(t, t).numpy(), np.ones((2, 3), bool))
    np.testing.assert_array_equal(K.not_equal(t, 1.0).numpy(), A != 1)
    np.testing.assert_array_equal(K.greater(t, 3.0).numpy(), A > 3)
    np.testing.assert_array_equal(K.greater_equal(t, 3.0).numpy(), A >= 3)
    np.testing.assert_array_equal(K.less(t, 3.0).numpy(), A < 3)
    np.testing.assert_array_equal(K.less_equal(t, 3.0).numpy(), A <= 3)
    close(K.maximum(t, 3.0), np.maximum(A, 3))
    close(K.minimum(t, 3.0), np.minimum(A, 3))
    close(K.pow(t, 2), A ** 2)


def test_clip(t):
    close(K.clip(t, 2, 5), np.clip(A, 2, 5))
    close(K.clip(t, None, 5), np.minimum(A, 5))
    close(K.clip(t, 3, 1), np.full_like(A, 3))  # max below min is raised to min


def test_dot_and_batch_dot(t):
    close(K.dot(t, K.transpose(t)), A @ A.T)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    close(K.dot(tf.constant(x), tf.constant(y)), x @ y)
    w = rng.standard_normal((6, 4, 5))
    close(K.dot(tf.constant(x), tf.constant(w)), np.einsum("abk,ckd->abcd", x, w))
    b1, b2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    close(K.batch_dot(tf.constant(b1), tf.constant(b2)), b1 @ b2)
    v1, v2 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    close(K.batch_dot(tf.constant(v1), tf.constant(v2)), (v1 * v2).sum(1, keepdims=True))


def test_shape_functions(t):
    assert K.shape(t).numpy().tolist() == [2, 3]
    assert K.int_shape(t) == (2, 3) and K.int_shape(np.ones((4, 1))) == (4, 1)
    assert K.ndim(t) == 2 and K.dtype(t) == "float32"
    assert K.dtype(tf.Variable(1)) == "int32"
    assert K.count_params(tf.Variable(tf.ones([2, 3]))) == 6
    close(K.reshape(t, (3, 2)), A.reshape(3, 2))
    close(K.transpose(t), A.T)
    assert K.transpose(tf.ones([2, 3, 4])).shape == [4, 3, 2]
    assert K.permute_dimensions(tf.ones([2, 3, 4]), (2, 0, 1)).shape == [4, 2, 3]
    close(K.concatenate([t, t]), np.concatenate([A, A], -1))
    close(K.concatenate([t, t], axis=0), np.concatenate([A, A], 0))
    assert K.stack([t, t]).shape == [2, 2, 3]
    assert K.expand_dims(t).shape == [2, 3, 1]
    assert K.squeeze(tf.ones([2, 1]), 1).shape == [2]
    close(K.flatten(t), A.ravel())
    assert K.batch_flatten(tf.ones([2, 3, 4])).shape == [2, 12]
    assert K.tile(t, (1, 2)).shape == [2, 6]
    assert K.repeat(tf.ones([2, 3]), 4).shape == [2, 4, 3]
    assert K.repeat_elements(tf.constant([[1, 2]]), 2, axis=1).numpy().tolist() == [[1, 1, 2, 2]]
    assert K.reverse(tf.constant([1, 2, 3]), 0).numpy().tolist() == [3, 2, 1]
    close(K.gather(t, [1]), A[[1]])
    close(K.one_hot(tf.constant([0, 2]), 3), np.eye(3)[[0, 2]])
    close(K.cumsum(t, axis=1), np.cumsum(A, 1))
    close(K.cumprod(t, axis=1), np.cumprod(A, 1))


def test_creation_and_values(t):
    c = K.constant([1, 2])
    assert c.dtype == tf.float32 and c.numpy().tolist() == [1.0, 2.0]
    assert K.constant(1, dtype="int32", shape=(2,)).numpy().tolist() == [1, 1]
    v = K.variable([1.0, 2.0], name="v")
    assert isinstance(v, tf.Variable) and v.name == "v:0"
    assert K.variable(1).dtype == tf.float32
    z, o = K.zeros((2, 2)), K.ones((2,), dtype="int32")
    assert isinstance(z, tf.Variable) and z.numpy().sum() == 0
    assert o.dtype == tf.int32 and o.numpy().tolist() == [1, 1]
    close(K.eye(2), np.eye(2))
    close(K.zeros_like(t), np.zeros_like(A))
    close(K.ones_like(t), np.ones_like(A))
    assert K.arange(5).numpy().tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(K.eval(t), A)
    np.testing.assert_array_equal(K.get_value(t), A)
    K.set_value(v, [3.0, 4.0])
    assert v.numpy().tolist() == [3.0, 4.0]
    K.batch_set_value([(v, [5.0, 6.0])])
    assert K.batch_get_value([v])[0].tolist() == [5.0, 6.0]
    K.update_add(v, [1.0, 1.0])
    K.update_sub(v, [2.0, 2.0])
    assert v.numpy().tolist() == [4.0, 5.0]
    K.update(v, [0.0, 0.0])
    K.moving_average_update(v, tf.constant([10.0, 10.0]), 0.9)
    close(v.numpy(), [1.0, 1.0])
    assert K.is_tensor(t) and K.is_tensor(v) and not K.is_tensor(A)
    assert not K.is_keras_tensor(t) and not K.is_sparse(t)
    assert K.standardize_dtype(tf.float32) == "float32" and K.is_float_dtype("float64")
    assert K.is_int_dtype("int8") and not K.is_int_dtype("float32")
    assert K.cast(t, "int32").dtype == tf.int32


def test_random_functions():
    assert K.random_normal((2, 3)).shape == [2, 3]
    u = K.random_uniform((1000,), 1.0, 2.0, seed=1).numpy()
    assert u.min() >= 1 and u.max() < 2
    assert np.all(np.abs(K.truncated_normal((100,)).numpy()) <= 2)
    b = K.random_bernoulli((1000,), p=0.3).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and 0.2 < b.mean() < 0.4
    assert isinstance(K.random_normal_variable((2,), 0.0, 1.0), tf.Variable)
    assert isinstance(K.random_uniform_variable((2,), 0.0, 1.0), tf.Variable)


def test_switch_and_stop_gradient():
    out = K.switch(tf.constant([True, False]), tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0]))
    assert out.numpy().tolist() == [1.0, 4.0]
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = K.stop_gradient(x * x) + x
    assert float(tape.gradient(y, x)) == 1.0


def test_activations():
    x = tf.constant([-1.0, 2.0, 8.0])
    close(K.relu(x), [0.0, 2.0, 8.0])
    close(K.relu(x, alpha=0.1), [-0.1, 2.0, 8.0])
    close(K.relu(x, max_value=6.0), [0.0, 2.0, 6.0])
    close(K.relu(x, threshold=3.0), [0.0, 0.0, 8.0])
    close(K.elu(tf.constant([-1.0, 1.0])), [np.exp(-1) - 1, 1.0])
    close(K.hard_sigmoid(tf.constant([-1.0, 0.0, 3.0])), [0.3, 0.5, 1.0])
    close(K.softmax(tf.constant([[0.0, 0.0]])), [[0.5, 0.5]])
    close(K.l2_normalize(tf.constant([3.0, 4.0])), [0.6, 0.8])
    close(K.bias_add(tf.ones([2, 3]), tf.constant([1.0, 2.0, 3.0])), [[2.0, 3.0, 4.0]] * 2)
    d = K.dropout(tf.ones([1000]), 0.5, seed=1).numpy()
    assert set(np.unique(d)) <= {0.0, 2.0}


def test_losses():
    eps = 1e-7
    close(K.binary_crossentropy(tf.constant([1.0, 0.0]), tf.constant([0.9, 0.1])),
          [-np.log(0.9 + eps)] * 2)
    close(K.categorical_crossentropy(tf.constant([[1.0, 0.0]]), tf.constant([[0.9, 0.1]])),
          [-np.log(0.9)])
    close(K.sparse_categorical_crossentropy(tf.constant([0]), tf.constant([[0.9, 0.1]])),
          [-np.log(0.9)])
    logits = np.array([[2.0, 1.0, 0.1]], np.float32)
    p = np.exp(logits) / np.exp(logits).sum()
    close(K.categorical_crossentropy(tf.constant([[0.0, 1.0, 0.0]]), tf.constant(logits),
                                     from_logits=True), [-np.log(p[0, 1])])


def test_learning_phase_follows_the_training_flag_of_the_enclosing_call():
    import warnings

    from rill import keras

    seen = []

    class Spy(keras.layers.Layer):
        def call(self, x):
            seen.append(keras.backend.learning_phase())
            return x

    spy = Spy()
    spy(np.ones((1, 2), np.float32), training=True)
    spy(np.ones((1, 2), np.float32))
    assert seen == [1, 0] and keras.backend.learning_phase() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        keras.backend.set_learning_phase(1)
    try:
        dropout = keras.layers.Dropout(0.5, seed=1)
        out = dropout(np.ones((4, 100), np.float32)).numpy()
        assert set(np.unique(out)) <= {0.0, 2.0} and (out == 0).any()
    finally:
        from rill.keras.layers._call_context import ctx

        ctx.training = None
