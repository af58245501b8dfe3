"""The Optimizer base: learning rate, tf.keras 2 dialect, state, clipping, weight decay,
constraints, None gradients, tf.function, EMA, accumulation, config and lookup."""

import json
import warnings

import numpy as np
import pytest

import rill as tf
from rill import keras

# each test makes its own tf.functions: the engine's warning about that is expected here
pytestmark = pytest.mark.filterwarnings("ignore:tf.function was created and traced")

O = keras.optimizers


def sgd_steps(opt, w0, grads, traced=False):
    w = tf.Variable(np.asarray(w0, np.float64))

    def step(g):
        opt.apply_gradients([(g, w)])

    fn = tf.function(step) if traced else step
    for g in grads:
        fn(tf.constant(np.asarray(g, np.float64)))
    return w.numpy()


# -- learning rate ---------------------------------------------------------------------------
def test_learning_rate_is_a_settable_float32_variable():
    opt = O.Adam(learning_rate=0.01)
    lr = opt.learning_rate
    assert isinstance(lr, tf.Variable) and lr.dtype == tf.float32
    assert float(lr) == pytest.approx(0.01) and opt.lr is lr
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5
    opt.lr = 0.25
    assert float(opt.learning_rate) == 0.25
    keras.backend.set_value(opt.learning_rate, 0.125)
    assert float(opt.lr) == 0.125 and keras.backend.get_value(opt.lr) == 0.125
    opt.learning_rate.assign(0.0625)
    assert float(opt.learning_rate) == 0.0625
    assert opt.variables[1] is lr and opt.variables[0] is opt.iterations
    assert opt.iterations.dtype == tf.int64 and int(opt.iterations) == 0


@pytest.mark.parametrize("how", ["property", "assign", "set_value", "lr"])
def test_learning_rate_change_takes_effect_in_traced_function(how):
    opt = O.SGD(learning_rate=1.0)
    w = tf.Variable(0.0)

    @tf.function
    def step():
        opt.apply_gradients([(tf.constant(1.0), w)])

    step()
    assert float(w) == -1.0
    if how == "property":
        opt.learning_rate = 0.5
    elif how == "assign":
        opt.learning_rate.assign(0.5)
    elif how == "set_value":
        keras.backend.set_value(opt.learning_rate, 0.5)
    else:
        opt.lr = 0.5
    step()
    assert float(w) == -1.5 and step.experimental_get_tracing_count() == 1


def test_lr_keyword_warns_and_is_used():
    with pytest.warns(UserWarning, match="use `learning_rate`"):
        opt = O.Nadam(lr=0.01)
    assert float(opt.learning_rate) == pytest.approx(0.01)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.01)
    with pytest.warns(UserWarning):
        assert O.legacy.Adam(lr=0.5).get_config()["learning_rate"] == 0.5


@pytest.mark.parametrize("traced", [False, True])
def test_decay_is_tf_keras_2_inverse_time_decay(traced):
    grads = [1.0, 2.0, -1.0, 0.5]
    got = sgd_steps(O.SGD(learning_rate=0.5, decay=0.1), 3.0, grads, traced)
    w = 3.0
    for it, g in enumerate(grads):
        w -= 0.5 / (1 + 0.1 * it) * g
    assert got == pytest.approx(w, rel=1e-12)
    assert O.SGD(0.5, decay=0.1).get_config()["decay"] == 0.1
    assert "decay" not in O.SGD(0.5, decay=0.0).get_config()


@pytest.mark.parametrize("traced", [False, True])
def test_schedule_is_evaluated_at_iterations(traced):
    sched = O.schedules.ExponentialDecay(0.5, decay_steps=2, decay_rate=0.25)
    opt = O.SGD(learning_rate=sched)
    grads = [1.0, 1.0, 2.0, -1.0, 1.0]
    got = sgd_steps(opt, 0.0, grads, traced)
    lrs = [np.float32(0.5) * np.float32(0.25) ** np.float32(i / 2) for i in range(5)]
    assert got == pytest.approx(-sum(float(lr) * g for lr, g in zip(lrs, grads)), rel=1e-6)
    assert float(opt.learning_rate) == pytest.approx(0.5 * 0.25 ** 2.5, rel=1e-6)
    with pytest.raises(TypeError, match="LearningRateSchedule.*\nhint:"):
        opt.learning_rate = 0.1


def test_callable_learning_rates():
    w = sgd_steps(O.SGD(learning_rate=lambda step: 1.0 / (tf.cast(step, tf.float32) + 1.0)),
                  0.0, [1.0, 1.0, 1.0])
    assert w == pytest.approx(-(1 + 1 / 2 + 1 / 3), rel=1e-6)
    assert sgd_steps(O.SGD(learning_rate=lambda: 0.25), 0.0, [1.0, 2.0]) == -0.75


def test_bad_learning_rate_and_arguments():
    with pytest.raises(TypeError, match=r"Adam: `learning_rate` must be.*got 'fast'.*\nhint:"):
        O.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match=r"SGD: argument\(s\) not recognized.*\nhint:"):
        O.SGD(0.1, momentun=0.9)
    with pytest.raises(ValueError, match="only one of `clipnorm`.*\nhint:"):
        O.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="SGD: `momentum` must be .*got 1.5"):
        O.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="AdamW: `weight_decay` must be a float; got None"):
        O.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="Ftrl: `learning_rate_power` must be <= 0"):
        O.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="Lion: argument `beta_1`"):
        O.Lion(beta_1=0.0)


# -- state -------------------------------------------------------------------------------------
def test_variables_and_build_inside_tf_function():
    opt = O.Adam(0.1)
    a = tf.Variable(np.ones((2, 3), np.float32), name="a")
    b = tf.Variable(np.ones(3, np.float32), name="b")

    @tf.function
    def step(ga, gb):
        opt.apply_gradients(zip([ga, gb], [a, b]))

    step(tf.ones((2, 3)), tf.ones(3))
    names = [v.name for v in opt.variables]
    assert names == ["adam/iteration:0", "adam/learning_rate:0", "adam/a_momentum:0",
                     "adam/a_velocity:0", "adam/b_momentum:0", "adam/b_velocity:0"]
    assert all(not v.trainable for v in opt.variables) and opt.built
    step(tf.ones((2, 3), tf.float32), tf.ones(3))
    g2 = tf.function(lambda ga, gb: opt.apply_gradients(zip([ga, gb], [a, b])))
    g2(tf.ones((2, 3)) * 2, tf.ones(3))  # a second trace reuses the slots
    assert len(opt.variables) == 6 and int(opt.iterations) == 3
    c = tf.Variable(1.0, name="c")  # a variable seen later gets its own slots
    opt.apply_gradients([(tf.constant(1.0), c)])
    assert [v.name for v in opt.variables[6:]] == ["adam/c_momentum:0", "adam/c_velocity:0"]


def test_apply_keras3_form_and_build():
    a, b = tf.Variable([1.0, 2.0]), tf.Variable(3.0)
    opt = O.SGD(0.5)
    with pytest.raises(ValueError, match="need a built optimizer.*\nhint:"):
        opt.apply([tf.constant([1.0, 1.0]), tf.constant(1.0)])
    opt.build([a, b])
    opt.apply([tf.constant([1.0, 1.0]), tf.constant(2.0)])
    np.testing.assert_array_equal(a.numpy(), [0.5, 1.5])
    assert float(b) == 2.0
    opt.apply([tf.constant([2.0, 2.0])], [a])
    np.testing.assert_array_equal(a.numpy(), [-0.5, 0.5])
    with pytest.raises(ValueError, match="got 1 gradients for 2 variables"):
        opt.apply([tf.constant(1.0)], [a, b])


def test_weights_round_trip():
    a = tf.Variable([1.0, -1.0])
    opt = O.Adam(0.1)
    opt.apply_gradients([(tf.constant([1.0, 2.0]), a)])
    weights = opt.get_weights()
    other = O.Adam(0.1)
    other.build([tf.Variable([0.0, 0.0])])
    other.set_weights(weights)
    for x, y in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(x, y)


# -- gradients ---------------------------------------------------------------------------------
def test_none_gradient_is_skipped_with_a_warning():
    used, unused = tf.Variable([1.0, 2.0], name="used"), tf.Variable(5.0, name="unused")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(used * used)
    grads = tape.gradient(loss, [used, unused])
    opt = O.SGD(0.1)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['unused:0'\]"
                                         r"(.|\n)*hint:(.|\n)*explain_gradients"):
        opt.apply_gradients(zip(grads, [used, unused]))
    np.testing.assert_allclose(used.numpy(), [0.8, 1.6])
    assert float(unused) == 5.0 and int(opt.iterations) == 1


def test_all_none_gradients_raise():
    v = tf.Variable(1.0, name="lonely")
    with pytest.raises(ValueError, match=r"No gradients provided for any variable: "
                                         r"\['lonely:0'\].\nhint:"):
        O.Adam().apply_gradients([(None, v)])


def test_gradient_shape_and_type_errors():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match=r"gradient of variable 'v:0' has shape \(3,\), "
                                         r"expected .*\(2,\)(.|\n)*hint:"):
        O.SGD().apply_gradients([(tf.constant([1.0, 2.0, 3.0]), v)])
    with pytest.raises(TypeError, match=r"expected \(gradient, variable\) pairs(.|\n)*hint:"):
        O.SGD().apply_gradients([tf.constant(1.0)])
    with pytest.raises(TypeError, match=r"can only update tf.Variables(.|\n)*hint:"):
        O.SGD().apply_gradients([(tf.constant(1.0), tf.constant(2.0))])


def test_numpy_and_mixed_dtype_gradients():
    v = tf.Variable(np.ones(2, np.float64))
    O.SGD(0.5).apply_gradients([(tf.constant([1.0, 2.0], tf.float32), v)])
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.0])
    O.SGD(0.5).apply_gradients([(np.array([1.0, 1.0]), v)])
    np.testing.assert_array_equal(v.numpy(), [0.0, -0.5])


@pytest.mark.parametrize("traced", [False, True])
def test_indexed_slices_gradient_from_gather(traced):
    table = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    opt = O.Adam(0.1)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(table, [0, 2, 2]))
        grad = tape.gradient(loss, table)
        opt.apply_gradients([(grad, table)])
        return grad

    grad = (tf.function(step) if traced else step)()
    if not traced:
        assert isinstance(grad, tf.IndexedSlices)
    expected = np.arange(8, dtype=np.float32).reshape(4, 2)
    # Adam's first step is lr * m / sqrt(v) (bias-corrected); row 2 is gathered twice and, as
    # in Keras 3 on TensorFlow, each slice is squared before repeated rows are summed: m = 2,
    # v = 1 + 1, so it moves by 0.1 * 2 / sqrt(2); row 0 by 0.1; untouched rows stay
    expected[0] -= 0.1
    expected[2] -= 0.1 * 2 / np.sqrt(2)
    np.testing.assert_allclose(table.numpy(), expected, atol=1e-5)


# -- clipping, weight decay, constraints -------------------------------------------------------
def test_clipping():
    g1, g2 = np.array([3.0, 4.0]), np.array([0.0, 12.0])

    def run(**kw):
        a, b = (tf.Variable([0.0, 0.0], dtype=tf.float64) for _ in range(2))
        O.SGD(1.0, **kw).apply_gradients(zip([tf.constant(g1), tf.constant(g2)], [a, b]))
        return -a.numpy(), -b.numpy()

    a, b = run(clipnorm=1.0)
    np.testing.assert_allclose(a, g1 / 5) and np.testing.assert_allclose(b, g2 / 12)
    a, b = run(clipvalue=2.0)
    np.testing.assert_allclose(a, [2.0, 2.0]) and np.testing.assert_allclose(b, [0.0, 2.0])
    a, b = run(global_clipnorm=6.5)  # the global norm is 13: both halve
    np.testing.assert_allclose(a, g1 / 2) and np.testing.assert_allclose(b, g2 / 2)
    a, b = run(global_clipnorm=100.0)
    np.testing.assert_allclose(a, g1) and np.testing.assert_allclose(b, g2)


@pytest.mark.parametrize("traced", [False, True])
def test_decoupled_weight_decay_and_exclusions(traced):
    opt = O.SGD(0.1, weight_decay=0.5)
    kernel = tf.Variable([2.0, -4.0], name="dense/kernel")
    bias = tf.Variable([2.0], name="dense/bias")
    other = tf.Variable([2.0], name="other")
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])

    def step():
        opt.apply_gradients(zip([tf.constant([1.0, 1.0]), tf.constant([1.0]),
                                 tf.constant([1.0])], [kernel, bias, other]))

    (tf.function(step) if traced else step)()
    np.testing.assert_allclose(kernel.numpy(), [2.0 - 0.1 * 0.5 * 2.0 - 0.1,
                                                -4.0 + 0.1 * 0.5 * 4.0 - 0.1], rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [1.9]) and np.testing.assert_allclose(
        other.numpy(), [1.9])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


@pytest.mark.parametrize("traced", [False, True])
def test_constraint_applied_after_update(traced):
    w = tf.Variable([0.5, 0.95, 0.2], constraint=lambda v: tf.clip_by_value(v, 0.0, 1.0))
    free = tf.Variable([0.5, 0.95, 0.2])
    opt = O.SGD(1.0)

    def step():
        opt.apply_gradients(zip([tf.constant([0.25, -0.5, 1.0])] * 2, [w, free]))

    (tf.function(step) if traced else step)()
    np.testing.assert_allclose(w.numpy(), [0.25, 1.0, 0.0])
    np.testing.assert_allclose(free.numpy(), [0.25, 1.45, -0.8])


# -- minimize ----------------------------------------------------------------------------------
def test_minimize():
    w = tf.Variable(3.0)
    opt = O.SGD(0.25)
    opt.minimize(lambda: w * w, [w])  # d/dw = 6
    assert float(w) == 1.5
    with tf.GradientTape() as tape:
        loss = w * w
    opt.minimize(loss, [w], tape=tape)
    assert float(w) == 0.75
    opt.minimize(lambda: w * w, lambda: [w])
    assert float(w) == 0.375
    with pytest.raises(ValueError, match="`tape` is required(.|\n)*hint:"):
        opt.minimize(tf.constant(1.0), [w])


def test_minimize_converges_with_every_optimizer():
    for cls, lr in ((O.SGD, 0.1), (O.RMSprop, 0.05), (O.Adam, 0.1), (O.AdamW, 0.1),
                    (O.Nadam, 0.1), (O.Adamax, 0.2), (O.Adagrad, 0.5), (O.Adadelta, 20.0),
                    (O.Ftrl, 1.0), (O.Lion, 0.02)):
        w = tf.Variable([2.0, -1.5])
        opt = cls(learning_rate=lr)
        for _ in range(200):
            opt.minimize(lambda: tf.reduce_sum(tf.square(w - 0.5)), [w])
        np.testing.assert_allclose(w.numpy(), [0.5, 0.5], atol=0.1, err_msg=cls.__name__)


# -- EMA, accumulation, loss scaling -----------------------------------------------------------
@pytest.mark.parametrize("traced", [False, True])
def test_ema_of_weights(traced):
    opt = O.SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=None)
    w = tf.Variable(0.0, dtype=tf.float64)

    def step(g):
        opt.apply_gradients([(g, w)])

    fn = tf.function(step) if traced else step
    avg, value = 0.0, 0.0
    for i, g in enumerate([1.0, 2.0, 3.0]):
        fn(tf.constant(g, tf.float64))
        value -= g
        avg = value if i == 0 else 0.5 * avg + 0.5 * value  # Keras: first average = weights
    assert float(w) == value
    opt.finalize_variable_values([w])
    assert float(w) == pytest.approx(avg)


def test_ema_overwrite_frequency():
    opt = O.SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    w = tf.Variable(0.0, dtype=tf.float64)
    for g in [1.0, 2.0]:
        opt.apply_gradients([(tf.constant(g, tf.float64), w)])
    assert float(w) == pytest.approx(0.5 * -1.0 + 0.5 * -3.0)


@pytest.mark.parametrize("traced", [False, True])
def test_gradient_accumulation(traced):
    opt = O.SGD(1.0, gradient_accumulation_steps=2)
    w = tf.Variable(0.0, dtype=tf.float64)

    def step(g):
        opt.apply_gradients([(g, w)])

    fn = tf.function(step) if traced else step
    seen = []
    for g in [1.0, 3.0, 5.0, 7.0]:
        fn(tf.constant(g, tf.float64))
        seen.append(float(w))
    assert seen == [0.0, -2.0, -2.0, -8.0] and int(opt.iterations) == 4


def test_loss_scale_factor():
    w = tf.Variable(0.0)
    O.SGD(1.0, loss_scale_factor=4.0).apply_gradients([(tf.constant(2.0), w)])
    assert float(w) == -0.5


# -- custom optimizers -------------------------------------------------------------------------
class SignSGD(keras.optimizers.Optimizer):
    """A Keras 3 style custom optimizer: build + update_step."""

    def __init__(self, learning_rate=0.1, scale=1.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.scale = scale

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.counts = [self.add_variable_from_reference(v, "count") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        self.assign_add(self.counts[i], tf.ones_like(variable))
        self.assign_sub(variable, tf.sign(gradient) * learning_rate * self.scale)


@pytest.mark.parametrize("traced", [False, True])
def test_keras3_custom_optimizer(traced):
    opt = SignSGD(0.5, scale=2.0)
    w = tf.Variable([1.0, 1.0])

    def step():
        opt.apply_gradients([(tf.constant([3.0, -0.1]), w)])

    fn = tf.function(step) if traced else step
    fn()
    fn()
    np.testing.assert_array_equal(w.numpy(), [-1.0, 3.0])
    np.testing.assert_array_equal(opt.counts[0].numpy(), [2.0, 2.0])
    assert opt.get_config()["scale"] == 2.0
    with pytest.raises(ValueError, match="unknown variables(.|\n)*hint:"):
        opt.apply_gradients([(tf.constant(1.0), tf.Variable(0.0))])


# -- config and lookup -------------------------------------------------------------------------
ALL = [O.SGD(0.2, momentum=0.5, nesterov=True, clipnorm=1.0),
       O.RMSprop(0.3, rho=0.8, momentum=0.1, epsilon=1e-5, centered=True),
       O.Adam(0.01, beta_1=0.8, amsgrad=True, global_clipnorm=2.0),
       O.AdamW(0.02, weight_decay=0.1, beta_2=0.99), O.Nadam(0.01, epsilon=1e-6, name="n"),
       O.Adamax(0.3, beta_1=0.7), O.Adagrad(0.1, initial_accumulator_value=0.5),
       O.Adadelta(1.0, rho=0.9, clipvalue=0.5), O.Ftrl(0.1, l1_regularization_strength=0.1,
                                                       beta=0.2),
       O.Lion(0.001, beta_2=0.9, use_ema=True, ema_momentum=0.9)]


@pytest.mark.parametrize("opt", ALL, ids=lambda o: type(o).__name__)
def test_config_round_trip(opt):
    config = opt.get_config()
    assert config["name"] == opt.name
    clone = type(opt).from_config(config)
    assert clone.get_config() == config
    restored = O.deserialize(O.serialize(opt))
    assert type(restored) is type(opt) and restored.get_config() == config
    assert O.serialize(opt)["module"] == "keras.optimizers"


def test_config_matches_keras_names():
    config = O.Adam().get_config()
    assert list(config) == ["name", "learning_rate", "weight_decay", "clipnorm",
                            "global_clipnorm", "clipvalue", "use_ema", "ema_momentum",
                            "ema_overwrite_frequency", "loss_scale_factor",
                            "gradient_accumulation_steps", "beta_1", "beta_2", "epsilon",
                            "amsgrad"]
    assert config["name"] == "adam" and config["learning_rate"] == pytest.approx(0.001)
    assert O.RMSprop().name == "rm_sprop" and O.AdamW().name == "adam_w"
    numpy_args = O.Adam(np.float32(0.5), beta_1=np.float32(0.5), clipnorm=np.float64(1.0))
    assert json.loads(json.dumps(numpy_args.get_config()))["beta_1"] == 0.5


def test_schedule_in_config():
    opt = O.SGD(learning_rate=O.schedules.CosineDecay(0.1, 100, alpha=0.1))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    clone = O.SGD.from_config(config)
    assert isinstance(clone._learning_rate, O.schedules.CosineDecay)
    assert clone.get_config() == config


def test_get_serialize_deserialize_and_legacy():
    assert isinstance(O.get("adam"), O.Adam) and isinstance(O.get("Nadam"), O.Nadam)
    assert isinstance(O.get("rmsprop"), O.RMSprop) and isinstance(O.get("adamw"), O.AdamW)
    opt = O.SGD()
    assert O.get(opt) is opt
    assert O.get({"class_name": "sgd", "config": {"momentum": 0.5}}).momentum == 0.5
    tf_keras_2 = {"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.002, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False, "jit_compile": True, "is_legacy_optimizer": False}}
    restored = O.deserialize(tf_keras_2)
    assert restored.name == "Adam" and float(restored.learning_rate) == pytest.approx(0.002)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier(.|\n)*hint"):
        O.get(42)
    with pytest.raises(ValueError, match="Could not locate optimizer 'adamz'"):
        O.get("adamz")
    assert O.legacy.Adam is O.Adam and O.legacy.SGD is O.SGD
    assert keras.optimizers.schedules.ExponentialDecay is O.schedules.ExponentialDecay
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        O.legacy.RMSprop(learning_rate=0.1)
