"""tf.keras 2 (OptimizerV2) style custom optimizers on `keras.optimizers.legacy.Optimizer`:
hyperparameters, slots, `_resource_apply_dense`, `get_gradients`, checked against the update
written by hand in NumPy."""

import numpy as np
import pytest

import rill as tf
from rill import keras


class MyMomentumOptimizer(keras.optimizers.legacy.Optimizer):
    """The book's custom optimizer (tf.keras 2 form): m = mu * m - (1 - mu) * g; w += lr * m."""

    def __init__(self, learning_rate=0.001, momentum=0.9, name="MyMomentumOptimizer",
                 **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("momentum", momentum)

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "momentum")

    @tf.function
    def _resource_apply_dense(self, grad, var):
        var_dtype = var.dtype.base_dtype
        lr_t = self._decayed_lr(var_dtype)
        momentum_var = self.get_slot(var, "momentum")
        momentum_hyper = self._get_hyper("momentum", var_dtype)
        momentum_var.assign(momentum_var * momentum_hyper - (1.0 - momentum_hyper) * grad)
        var.assign_add(momentum_var * lr_t)

    def _resource_apply_sparse(self, grad, var, indices):
        raise NotImplementedError

    def get_config(self):
        base_config = super().get_config()
        return {**base_config,
                "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._serialize_hyperparameter("decay"),
                "momentum": self._serialize_hyperparameter("momentum")}


def _momentum_by_hand(w, grads, lr, mu, decay=0.0):
    w, m = np.array(w, np.float64), np.zeros_like(w, np.float64)
    for t, g in enumerate(grads):
        m = mu * m - (1 - mu) * g
        w = w + lr / (1 + decay * t) * m
    return w


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("decay", [0.0, 0.1])
def test_book_momentum_optimizer_matches_numpy(traced, decay):
    rng = np.random.RandomState(0)
    grads = [rng.randn(3).astype(np.float32) for _ in range(4)]
    w = tf.Variable([1.0, -2.0, 0.5])
    opt = MyMomentumOptimizer(learning_rate=0.1, momentum=0.8, decay=decay)

    def step(g):
        opt.apply_gradients([(g, w)])

    step = tf.function(step) if traced else step
    for g in grads:
        step(tf.constant(g))
    np.testing.assert_allclose(w.numpy(), _momentum_by_hand([1.0, -2.0, 0.5], grads, 0.1, 0.8,
                                                            decay), rtol=1e-5)
    assert int(opt.iterations.numpy()) == 4
    assert opt.get_slot_names() == ["momentum"]
    assert opt.get_slot(w, "momentum").shape == w.shape


def test_hyperparameters_read_set_and_config_round_trip():
    opt = MyMomentumOptimizer(lr=0.05, momentum=0.7)
    assert float(opt._get_hyper("learning_rate")) == pytest.approx(0.05)
    assert float(opt.momentum) == pytest.approx(0.7)
    opt.momentum = 0.5  # tf.keras 2 hyperparameters are attributes too
    assert float(opt._get_hyper("momentum", tf.float32)) == pytest.approx(0.5)
    config = opt.get_config()
    assert config == {"name": "MyMomentumOptimizer", "learning_rate": pytest.approx(0.05),
                      "decay": 0.0, "momentum": pytest.approx(0.5)}
    clone = MyMomentumOptimizer.from_config(config)
    assert float(clone.momentum) == pytest.approx(0.5) and clone.name == opt.name


def test_hyperparameter_change_reaches_an_already_traced_step():
    w = tf.Variable(0.0)
    opt = MyMomentumOptimizer(learning_rate=1.0, momentum=0.0)

    @tf.function
    def step():
        opt.apply_gradients([(tf.constant(1.0), w)])

    step()
    assert float(w.numpy()) == pytest.approx(-1.0)  # m = -g, w += m
    opt.momentum = 0.5
    step()  # m = 0.5 * -1 - 0.5 * 1 = -1
    assert float(w.numpy()) == pytest.approx(-2.0)


def test_fit_with_a_tf_keras_2_optimizer_matches_numpy():
    rng = np.random.RandomState(1)
    X = rng.randn(16, 2).astype(np.float32)
    y = (X @ np.array([[2.0], [-1.0]], np.float32)).astype(np.float32)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    W0 = np.array([[0.5], [0.5]], np.float32)
    model.set_weights([W0])
    model.compile(optimizer=MyMomentumOptimizer(learning_rate=0.1, momentum=0.5), loss="mse")
    model.fit(X, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    W, m = W0.astype(np.float64), np.zeros((2, 1))
    for _ in range(2):
        for s in (0, 8):
            xb, yb = X[s:s + 8], y[s:s + 8]
            g = 2 * xb.T @ (xb @ W - yb) / len(xb)
            m = 0.5 * m - 0.5 * g
            W = W + 0.1 * m
    np.testing.assert_allclose(model.get_weights()[0], W, rtol=1e-5)


def test_apply_state_and_prepare_local():
    """Built-in tf.keras 2 optimizers read their coefficients from `apply_state`."""

    class StateSGD(keras.optimizers.legacy.Optimizer):
        def __init__(self, learning_rate=0.1, name="StateSGD", **kwargs):
            super().__init__(name, **kwargs)
            self._set_hyper("learning_rate", learning_rate)

        def _prepare_local(self, var_device, var_dtype, apply_state):
            super()._prepare_local(var_device, var_dtype, apply_state)
            apply_state[(var_device, var_dtype)]["neg_lr"] = \
                -apply_state[(var_device, var_dtype)]["lr_t"]

        def _resource_apply_dense(self, grad, var, apply_state=None):
            coefficients = (apply_state or {}).get((var.device, var.dtype.base_dtype)) or \
                self._fallback_apply_state(var.device, var.dtype.base_dtype)
            var.assign_add(coefficients["neg_lr"] * grad)

    w = tf.Variable([1.0, 2.0])
    StateSGD().apply_gradients([(tf.constant([1.0, -1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.9, 2.1], rtol=1e-6)


def test_get_gradients_inside_a_function_and_refused_eagerly():
    w = tf.Variable(3.0)
    opt = MyMomentumOptimizer(clipvalue=1.0)

    @tf.function
    def grads():
        return opt.get_gradients(w * w, [w])

    assert float(grads()[0]) == pytest.approx(1.0)  # d(w^2)/dw = 6, clipped to 1
    with pytest.raises(RuntimeError, match="(?s)eager.*hint:"):
        opt.get_gradients(w * w, [w])


def test_variables_is_a_property_and_a_method():
    w = tf.Variable([1.0, 2.0])
    opt = MyMomentumOptimizer()
    opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    assert [v.name for v in opt.variables()] == [v.name for v in opt.variables]
    slot = opt.get_slot(w, "momentum")
    assert any(v is slot for v in opt.weights)
    assert len(opt.get_weights()) == len(opt.variables)


def test_errors_name_the_fix():
    with pytest.raises(TypeError, match="(?s)momentum_typo.*hint:"):
        MyMomentumOptimizer(momentum_typo=1)
    opt = MyMomentumOptimizer()
    w = tf.Variable(1.0)
    with pytest.raises(KeyError, match="add_slot"):
        opt.get_slot(w, "velocity")
    with pytest.raises(KeyError, match="_set_hyper"):
        opt._get_hyper("beta")

    class Empty(keras.optimizers.legacy.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="(?s)_resource_apply_dense.*hint:"):
        Empty().apply_gradients([(tf.constant(1.0), w)])


def test_docstring_examples():
    import doctest
    import gc

    from rill.keras.optimizers import optimizer_v2

    # graphs of earlier tests freed while doctest walks linecache would drop their entries
    # under it (a KeyError in linecache.checkcache): free them first
    gc.collect()
    result = doctest.testmod(optimizer_v2, extraglobs={"tf": tf, "keras": keras, "np": np})
    assert result.failed == 0 and result.attempted > 0
