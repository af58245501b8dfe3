"""keras.layers.Layer: the chapter's custom layers, weight tracking and caching, losses,
metrics, configs, naming and errors. Expected values are computed with NumPy."""

import json

import numpy as np
import pytest

import rill as tf
from rill import keras
from tests.keras.chapter_code import MyDense, MyGaussianNoise, MyMultiLayer, ResidualBlock


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def _elu(z):
    return np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1)


def test_exponential_lambda_layer_in_the_three_apis():
    exponential_layer = keras.layers.Lambda(lambda x: tf.exp(x))
    X = np.array([[0.0, 1.0], [-1.0, 2.0]], np.float32)
    np.testing.assert_allclose(exponential_layer(X).numpy(), np.exp(X), rtol=1e-6)
    inp = keras.Input(shape=(2,))
    out = keras.layers.Lambda(lambda x: tf.exp(x))(inp)
    assert out.shape.as_list() == [None, 2]
    with pytest.raises(NotImplementedError, match="(?s)lambda.*hint"):
        exponential_layer.get_config()


def test_my_dense_trains_computes_and_round_trips_its_config():
    layer = MyDense(3, activation="relu", name="my_dense")
    X = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    y = layer(X).numpy()
    W, b = layer.get_weights()
    assert W.shape == (5, 3) and b.shape == (3,) and layer.built
    np.testing.assert_allclose(y, np.maximum(X @ W + b, 0), rtol=1e-6, atol=1e-6)
    assert [w.name for w in layer.weights] == ["my_dense/kernel:0", "my_dense/bias:0"]
    assert layer.compute_output_shape(tf.TensorShape([None, 5])) == (None, 3)
    config = layer.get_config()
    assert config == {"name": "my_dense", "trainable": True, "dtype": "float32", "units": 3,
                      "activation": "relu"}
    clone = MyDense.from_config(json.loads(json.dumps(config)))
    assert clone.units == 3 and clone.activation is keras.activations.relu
    inp = keras.Input(shape=(5,))
    assert MyDense(2)(inp).shape.as_list() == [None, 2]


def test_my_multi_layer_has_two_inputs_and_three_outputs():
    a = np.array([[1.0, 2.0]], np.float32)
    b = np.array([[4.0, 8.0]], np.float32)
    s, p, q = MyMultiLayer()((a, b))
    np.testing.assert_allclose(s.numpy(), a + b)
    np.testing.assert_allclose(p.numpy(), a * b)
    np.testing.assert_allclose(q.numpy(), a / b)
    in1, in2 = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    layer = MyMultiLayer()
    outs = layer((in1, in2))
    assert [o.shape.as_list() for o in outs] == [[None, 2]] * 3
    node = layer._inbound_nodes[0]
    assert node.input_tensors == [in1, in2] and node.outputs == outs


def test_my_gaussian_noise_depends_on_training():
    X = np.zeros((200, 50), np.float32)
    layer = MyGaussianNoise(2.0)
    np.testing.assert_array_equal(layer(X).numpy(), X)
    np.testing.assert_array_equal(layer(X, training=False).numpy(), X)
    noisy = layer(X, training=True).numpy()
    assert abs(noisy.std() - 2.0) < 0.1 and abs(noisy.mean()) < 0.1
    assert layer.compute_output_shape(tf.TensorShape([None, 50])) == (None, 50)
    out = MyGaussianNoise(1.0)(keras.Input(shape=(50,)))
    assert out.shape.as_list() == [None, 50]


def test_residual_block_tracks_its_nested_layers():
    block = ResidualBlock(2, 3)
    X = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    y = block(X).numpy()
    assert len(block.weights) == 4 and len(block.trainable_weights) == 4
    W1, b1, W2, b2 = block.get_weights()
    hand = X + _elu(_elu(X @ W1 + b1) @ W2 + b2)
    np.testing.assert_allclose(y, hand, rtol=1e-5, atol=1e-6)
    assert [w.name for w in block.weights] == [
        "residual_block/dense/kernel:0", "residual_block/dense/bias:0",
        "residual_block/dense_1/kernel:0", "residual_block/dense_1/bias:0"]
    assert list(block._flatten_layers()) == [block, *block.hidden]


# -- tracking and caching --------------------------------------------------------------------
class Zoo(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.zeta = keras.layers.Dense(1, name="zeta")
        self.alpha = keras.layers.Dense(2, name="alpha")
        self.group = {"b": keras.layers.Dense(3, name="in_dict"),
                      "a": (keras.layers.Dense(4, name="in_tuple"),)}
        self.raw = tf.Variable(1.0, name="raw")
        self.counter = self.add_weight("counter", (), trainable=False, initializer="zeros")

    def call(self, x):
        return self.zeta(x) + self.alpha(x)[:, :1] + self.group["b"](x)[:, :1] + \
            self.group["a"][0](x)[:, :1] * self.raw


def test_tracking_follows_assignment_order_not_names():
    zoo = Zoo()
    zoo(np.ones((2, 3), np.float32))
    assert [layer.name for layer in zoo._flatten_layers()] == [
        "zoo", "zeta", "alpha", "in_dict", "in_tuple"]
    names = [w.name for w in zoo.weights]
    assert names[:2] == ["raw:0", "zoo/counter:0"]  # own weights first
    assert [n.split("/")[-2] for n in names[2:]] == [
        "zeta", "zeta", "alpha", "alpha", "in_dict", "in_dict", "in_tuple", "in_tuple"]
    assert [w.name for w in zoo.non_trainable_weights] == ["zoo/counter:0"]
    assert len(zoo.trainable_variables) == 9 and zoo.variables == zoo.weights


def test_caches_follow_new_layers_weights_and_containers():
    class Grow(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []
            for _ in range(2):
                self.blocks.append(keras.layers.Dense(2))  # mutated after assignment

        def call(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    g = Grow()
    assert g.weights == []
    g(np.ones((1, 2), np.float32))
    assert len(g.weights) == 4
    g.extra = keras.layers.Dense(5)
    g.extra(np.ones((1, 2), np.float32))
    assert len(g.weights) == 6 and g.weights[-1] is g.extra.bias
    del g.extra
    assert len(g.weights) == 4


def test_trainable_false_freezes_nested_weights_and_their_regularizers():
    block = ResidualBlock(2, 3)
    block.hidden[0].kernel_regularizer = None
    block(np.ones((2, 3), np.float32))
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 4
    assert all(not layer.trainable for layer in block.hidden)
    block.trainable = True
    assert len(block.trainable_weights) == 4
    block.hidden[1].trainable = False
    assert len(block.trainable_weights) == 2 and len(block.non_trainable_weights) == 2
    dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5))
    dense(np.ones((1, 3), np.float32))
    assert len(dense.losses) == 1
    dense.trainable = False
    assert dense.losses == []


def test_add_weight_takes_both_dialects_and_carries_constraint_and_regularizer():
    clip = keras.constraints.NonNeg()

    class Both(keras.layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight("a", (2,), initializer="ones")  # tf.keras 2
            self.b = self.add_weight((3,), "zeros", name="b")  # Keras 3
            self.c = self.add_weight(shape=(), name="c", constraint=clip,
                                     regularizer=lambda w: 3.0 * w, initializer="ones")

        def call(self, x):
            return x

    layer = Both()
    layer(np.ones((1, 1), np.float32))
    np.testing.assert_array_equal(layer.a.numpy(), [1, 1])
    np.testing.assert_array_equal(layer.b.numpy(), [0, 0, 0])
    assert layer.c.constraint is clip and layer.a.constraint is None
    assert layer.a.regularizer is None
    assert [float(x) for x in layer.losses] == [3.0]
    layer.c.assign(2.0)  # regularization losses are recomputed at each read
    assert [float(x) for x in layer.losses] == [6.0]
    with pytest.raises(TypeError, match="(?s)add_weight.*unexpected.*'colour'"):
        layer.add_weight("d", (1,), colour="red")
    with pytest.raises(ValueError, match="(?s)fully defined.*hint"):
        layer.add_weight("e", (None, 2))


def test_get_and_set_weights_and_their_errors():
    layer = keras.layers.Dense(2, name="d")
    layer(np.ones((1, 3), np.float32))
    W = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer.set_weights([W, np.array([1.0, -1.0])])
    np.testing.assert_array_equal(layer.get_weights()[0], W)
    np.testing.assert_array_equal(layer(np.ones((1, 3), np.float32)).numpy(),
                                  np.ones((1, 3)) @ W + [1.0, -1.0])
    with pytest.raises(ValueError, match=r"(?s)got 1 arrays.*has 2 weights.*hint"):
        layer.set_weights([W])
    with pytest.raises(ValueError, match=r"(?s)'d/kernel:0' has shape \(3, 2\).*\(2, 3\).*hint"):
        layer.set_weights([W.T, np.zeros(2)])
    assert layer.count_params() == 8
    with pytest.raises(ValueError, match="(?s)isn't built.*hint"):
        keras.layers.Dense(2).count_params()


# -- losses and metrics ----------------------------------------------------------------------
class Penalized(keras.layers.Layer):
    def call(self, x):
        self.add_loss(tf.reduce_sum(x))
        return x


class Outer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.inner = Penalized()

    def call(self, x):
        self.add_loss(1.0)
        return self.inner(x * 2.0)


def test_losses_are_replaced_at_each_outermost_call_and_include_nested_layers():
    outer = Outer()
    outer(np.ones((1, 2), np.float32))
    outer(np.ones((1, 2), np.float32))
    assert sorted(float(x) for x in outer.losses) == [1.0, 4.0]
    outer.inner(np.ones((1, 3), np.float32))  # the inner layer called alone
    assert [float(x) for x in outer.inner.losses] == [3.0]
    outer(np.zeros((1, 2), np.float32))
    assert sorted(float(x) for x in outer.losses) == [0.0, 1.0]
    outer.add_loss(lambda: tf.constant(5.0))  # a callable added outside a call stays
    outer(np.zeros((1, 2), np.float32))
    assert sorted(float(x) for x in outer.losses) == [0.0, 1.0, 5.0]


def test_activity_regularizer_is_divided_by_the_batch_size():
    # Keras 3.15 gives 18.0 for this case (L2(1.0) of all-ones 3 -> 2 Dense on 4 rows)
    layer = keras.layers.Dense(2, kernel_initializer="ones",
                               activity_regularizer=keras.regularizers.L2(1.0))
    y = layer(np.ones((4, 3), np.float32)).numpy()
    assert [float(x) for x in layer.losses] == pytest.approx([np.sum(y ** 2) / 4])


def test_add_metric_keeps_a_running_mean():
    class Monitor(keras.layers.Layer):
        def call(self, x):
            self.add_metric(tf.reduce_mean(x), name="mean_x")
            self.add_metric(tf.reduce_sum(x), name="total_x", aggregation="sum")
            return x

    layer = Monitor()
    layer(np.array([[1.0, 3.0]], np.float32))
    layer(np.array([[5.0, 7.0]], np.float32))
    by_name = {m.name: float(m.result()) for m in layer.metrics}
    assert by_name == {"mean_x": 4.0, "total_x": 16.0}
    with pytest.raises(ValueError, match="(?s)needs a name.*hint"):
        layer.add_metric(tf.constant(1.0))


def test_metrics_assigned_as_attributes_are_tracked():
    class WithMetric(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.tracker = keras.metrics.Mean(name="tracker")
            self.sub = Penalized()

        def call(self, x):
            self.tracker.update_state(x)
            return self.sub(x)

    layer = WithMetric()
    layer(np.array([2.0, 4.0], np.float32))
    assert [m.name for m in layer.metrics] == ["tracker"]
    assert layer.weights == []  # metric variables are not weights (Keras 3)


# -- configs, naming, errors -----------------------------------------------------------------
def test_default_get_config_uses_the_constructor_arguments():
    class Scaled(keras.layers.Layer):
        def __init__(self, factor, offsets=(1, 2), **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    layer = Scaled(3.0, name="s", input_shape=(4,))
    config = layer.get_config()
    assert config["factor"] == 3.0 and config["name"] == "s"
    assert config["batch_input_shape"] == (None, 4)
    clone = Scaled.from_config(config)
    assert clone.factor == 3.0 and clone.batch_input_shape == (None, 4)
    with pytest.raises(NotImplementedError, match="(?s)`factor`.*hint: override get_config"):
        Scaled(np.ones(3)).get_config()


def test_names_are_unique_per_class_and_reset_by_clear_session():
    assert [keras.layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert keras.layers.ReLU().name == "re_lu" and keras.layers.PReLU().name == "p_re_lu"
    assert MyDense(1).name == "my_dense"
    keras.backend.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1, name="named").name == "named"
    assert keras.layers.Dense(1).name == "dense_1"
    with pytest.raises(ValueError, match="(?s)without '/'.*hint"):
        keras.layers.Dense(1, name="a/b")


def test_constructor_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"(?s)Dense.__init__.*\['colour'\].*hint"):
        keras.layers.Dense(2, colour="red")
    with pytest.raises(ValueError, match="(?s)units must be a positive integer.*hint"):
        keras.layers.Dense(0)

    class NoInit(keras.layers.Layer):
        def __init__(self):
            pass

        def call(self, x):
            return x

    with pytest.raises(RuntimeError, match=r"(?s)not initialized.*super\(\).__init__"):
        NoInit()(np.ones(2))
    with pytest.raises(NotImplementedError, match="(?s)call.*hint"):
        keras.layers.Layer()(np.ones((1, 2)))


def test_input_shape_arguments_are_stored_for_sequential():
    assert keras.layers.Dense(1, input_shape=(3,)).batch_input_shape == (None, 3)
    assert keras.layers.Dense(1, input_dim=5, batch_size=8).batch_input_shape == (8, 5)
    assert keras.layers.Dense(1, batch_input_shape=(2, 7)).batch_input_shape == (2, 7)
    assert keras.layers.Dense(1).batch_input_shape is None


def test_initial_weights_argument_is_applied_after_build():
    W, b = np.full((2, 1), 2.0, np.float32), np.array([0.5], np.float32)
    layer = keras.layers.Dense(1, weights=[W, b])
    np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[4.5]])


def test_variables_created_in_call_after_the_first_call_are_refused():
    class Leaky(keras.layers.Layer):
        def call(self, x):
            self.w = self.add_weight("w", (), initializer="ones")
            return x * self.w

    layer = Leaky()
    layer(np.ones(2, np.float32))  # the first call may create weights
    with pytest.raises(ValueError, match=r"(?s)'leaky'.*in call\(\) after its first call.*build"):
        layer(np.ones(2, np.float32))


def test_dense_refuses_rank_1_inputs():
    with pytest.raises(ValueError, match=r"(?s)dense.*expected min_ndim=2, found ndim=1.*hint"):
        keras.layers.Dense(2)(np.ones(3, np.float32))
    built = keras.layers.Dense(2)
    built(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="(?s)expected min_ndim=2, found ndim=1.*hint"):
        built(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="(?s)axis -1 of the input to have value 3.*hint"):
        built(keras.Input((4,)))


def test_docstring_examples():
    import doctest
    import importlib

    for name in ("__init__", "base_layer", "core", "lambda_layer", "reshaping",
                 "regularization", "normalization", "embedding", "merging", "activation",
                 "input_layer", "input_spec", "node"):
        mod = importlib.import_module("rill.keras.layers" + ("" if name == "__init__"
                                                             else f".{name}"))
        result = doctest.testmod(mod, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0, name


def test_serialize_deserialize_get_and_build_config():
    layer = keras.layers.Dense(3, activation="relu", name="d")
    layer(np.ones((2, 4), np.float32))
    config = keras.layers.serialize(layer)
    assert config["module"] == "keras.layers" and config["class_name"] == "Dense"
    old_style = {"class_name": "Dense", "config": {"units": 2, "name": "old"}}
    assert keras.layers.deserialize(old_style).units == 2  # tf.keras 2's format
    assert keras.layers.get("Flatten").__class__ is keras.layers.Flatten
    assert keras.layers.get(layer) is layer
    with pytest.raises(ValueError, match="(?s)Could not locate layer 'Nope'.*hint"):
        keras.layers.deserialize({"class_name": "Nope", "config": {}})
    assert layer.get_build_config() == {"input_shape": [2, 4]}
    clone = keras.layers.deserialize(config)
    clone.build_from_config(layer.get_build_config())
    assert clone.built and [w.shape.as_list() for w in clone.weights] == [[4, 3], [3]]
    custom = MyDense(2)
    restored = keras.layers.deserialize(keras.layers.serialize(custom),
                                        custom_objects={"MyDense": MyDense})
    assert isinstance(restored, MyDense) and restored.units == 2
