"""Layer.__call__: input conversion, building, the training flag through nested layers,
masks, and first calls inside tf.function."""

import numpy as np
import pytest

import rill as tf
from rill import keras


class Spy(keras.layers.Layer):
    """Records the `training` and `mask` values its call receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x, training=None, mask=None):
        self.seen.append((training, None if mask is None else mask.numpy().tolist()))
        return x


class Wrapper(keras.layers.Layer):
    """A layer whose call does not take `training`, around a Spy and a Dropout."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spy = Spy()
        self.drop = keras.layers.Dropout(0.5)

    def call(self, x):
        return self.drop(self.spy(x))


def test_training_flows_from_the_outer_call_to_nested_layers():
    outer = Wrapper()
    x = np.ones((50, 40), np.float32)
    np.testing.assert_array_equal(outer(x).numpy(), x)  # no flag anywhere: inference
    y = outer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7  # scaled by 2
    np.testing.assert_array_equal(outer(x, training=False).numpy(), x)
    assert [s[0] for s in outer.spy.seen] == [None, True, False]
    outer.spy(x, training=True)  # an explicit argument wins over the context
    assert outer.spy.seen[-1][0] is True


def test_explicit_training_beats_the_context_and_signature_defaults_apply():
    class Defaults(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.spy = Spy()

        def call(self, x, training=True):  # a default in the signature
            return self.spy(x)

    layer = Defaults()
    layer(np.ones(2, np.float32))
    layer(np.ones(2, np.float32), training=False)
    layer(np.ones(2, np.float32), None)  # None passed positionally: the default again
    assert [s[0] for s in layer.spy.seen] == [True, False, True]

    class Overrides(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.spy = Spy()

        def call(self, x, training=None):
            return self.spy(x, training=False)

    over = Overrides()
    over(np.ones(2, np.float32), training=True)
    assert over.spy.seen == [(False, None)]


def test_training_is_dropped_for_calls_that_do_not_take_it():
    class Plain(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    np.testing.assert_array_equal(Plain()(np.ones(2), training=True).numpy(), [2.0, 2.0])


def test_inputs_are_converted_and_cast_to_the_layer_dtype():
    class Echo(keras.layers.Layer):
        def call(self, x):
            return x

    echo = Echo()
    assert echo(np.ones((2, 2))).dtype == tf.float32  # float64 NumPy -> floatx
    assert echo([[1.0, 2.0]]).dtype == tf.float32
    assert echo(tf.constant([1.0], tf.float64)).dtype == tf.float32
    assert echo(np.array([1, 2])).dtype == tf.int64  # integers are kept
    assert Echo(dtype="float64")(np.ones(2, np.float32)).dtype == tf.float64
    assert echo(inputs=np.ones(1)).dtype == tf.float32

    class Builds(keras.layers.Layer):
        def build(self, input_shape):
            self.got = input_shape

        def call(self, x):
            return x

    single, pair = Builds(), Builds()
    single(np.ones((2, 3)))
    pair([np.ones((2, 3)), np.ones((2, 5))])
    assert isinstance(single.got, tf.TensorShape) and single.got == (2, 3)
    assert isinstance(pair.got, list) and pair.got == [(2, 3), (2, 5)]


def test_first_call_inside_tf_function_creates_the_weights_eagerly():
    layer = keras.layers.Dense(3, kernel_initializer="ones", name="traced")

    @tf.function
    def f(x):
        return layer(x)

    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(f(x).numpy(), np.full((2, 3), 4.0))
    assert [w.name for w in layer.weights] == ["traced/kernel:0", "traced/bias:0"]
    layer.kernel.assign(2 * np.ones((4, 3), np.float32))
    np.testing.assert_allclose(f(x).numpy(), np.full((2, 3), 8.0))  # reads the variable
    np.testing.assert_allclose(layer(x).numpy(), np.full((2, 3), 8.0))


def test_a_layer_traced_in_tf_function_keeps_its_training_flag_and_losses():
    bn = keras.layers.BatchNormalization(momentum=0.0)
    x = np.array([[1.0], [3.0]], np.float32)
    step = tf.function(lambda v: bn(v, training=True))
    step(x)
    np.testing.assert_allclose(bn.moving_mean.numpy(), [2.0])
    np.testing.assert_allclose(bn.moving_variance.numpy(), [1.0])


def test_masks_flow_from_embedding_to_layers_that_take_them():
    emb = keras.layers.Embedding(5, 2, mask_zero=True)
    spy = Spy()
    tokens = np.array([[3, 0, 1]])
    spy(emb(tokens))
    assert spy.seen[-1][1] == [[True, False, True]]
    spy(emb(tokens), mask=tf.constant([[False, False, True]]))  # explicit mask wins
    assert spy.seen[-1][1] == [[False, False, True]]
    dense = keras.layers.Dense(2)  # supports masking: passes the mask on
    spy(dense(emb(tokens)))
    assert spy.seen[-1][1] == [[True, False, True]]
    flat = keras.layers.Flatten()  # no masking support: the mask stops there
    spy(flat(emb(tokens)))
    assert spy.seen[-1][1] is None


def test_dynamic_layers_run_eagerly_and_use_compute_output_shape():
    class PythonLoop(keras.layers.Layer):
        def call(self, x):
            total = 0.0
            for row in x.numpy():  # plain Python: only possible eagerly
                total += float(row.sum())
            return x * 0.0 + total

        def compute_output_shape(self, input_shape):
            return input_shape

    layer = PythonLoop(dynamic=True)
    assert layer.dynamic
    np.testing.assert_allclose(layer(np.ones((2, 2))).numpy(), np.full((2, 2), 4.0))
    out = PythonLoop(dynamic=True)(keras.Input((3,)))
    assert out.shape.as_list() == [None, 3]


def test_call_overhead_is_small():
    """Not a benchmark: guards against a slow path sneaking into every eager call."""
    import timeit

    x = tf.constant(np.ones((4, 4), np.float32))

    class Echo(keras.layers.Layer):
        def call(self, v):
            return v

    echo = Echo()
    echo(x)
    per_call = min(timeit.repeat(lambda: echo(x), number=2000, repeat=5)) / 2000
    assert per_call < 50e-6


@pytest.mark.parametrize("training", [True, False])
def test_dropout_scaling_through_a_model(training):
    model = keras.Sequential([keras.Input((1000,)), keras.layers.Dropout(0.25)])
    y = model(np.ones((1, 1000), np.float32), training=training).numpy()
    if training:
        kept = y[y != 0]
        np.testing.assert_allclose(kept, 1 / 0.75, rtol=1e-6)
        assert 0.18 < (y == 0).mean() < 0.32
    else:
        np.testing.assert_array_equal(y, 1.0)
