"""Each optimizer over several steps against its published update rule written in NumPy.

The references below are written from the papers (and Keras' documented conventions where
Keras departs from them: Nadam's momentum schedule, epsilon placement, FTRL's doubled L2),
not from rill's code: each keeps its own state and recomputes bias corrections from scratch.
"""

import numpy as np
import pytest

import rill as tf
from rill import keras

# each test makes its own tf.functions: the engine's warning about that is expected here
pytestmark = pytest.mark.filterwarnings("ignore:tf.function was created and traced")

O = keras.optimizers
SHAPES = [(3, 4), (4,), (1,)]
STEPS = 6


def grads_for(rng, steps=STEPS):
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def initial(rng):
    return [rng.standard_normal(s) for s in SHAPES]


# -- references: step(state, w, g, t, lr) -> new w; state is a dict per variable -----------
def ref_sgd(momentum=0.0, nesterov=False):
    def step(s, w, g, t, lr):
        if not momentum:
            return w - lr * g
        v = momentum * s.get("v", 0.0) - lr * g  # Sutskever et al.'s velocity form
        s["v"] = v
        return w + (momentum * v - lr * g if nesterov else v)
    return step


def ref_rmsprop(rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    def step(s, w, g, t, lr):
        s["ms"] = rho * s.get("ms", 0.0) + (1 - rho) * g ** 2
        denom = s["ms"] + eps
        if centered:
            s["mg"] = rho * s.get("mg", 0.0) + (1 - rho) * g
            denom = denom - s["mg"] ** 2
        delta = lr * g / np.sqrt(denom)
        if momentum:
            s["mom"] = momentum * s.get("mom", 0.0) + delta
            delta = s["mom"]
        return w - delta
    return step


def ref_adam(b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    def step(s, w, g, t, lr):
        # Kingma & Ba, section 2: the efficient form with the corrections in the step size
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        v = s["v"]
        if amsgrad:  # Reddi et al.: the running maximum of v
            s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
            v = s["vmax"]
        alpha_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - alpha_t * s["m"] / (np.sqrt(v) + eps)
    return step


def ref_adamw(wd, **kw):
    adam = ref_adam(**kw)

    def step(s, w, g, t, lr):
        return adam(s, w - lr * wd * w, g, t, lr)  # Loshchilov & Hutter: decay apart from g
    return step


def ref_nadam(b1=0.9, b2=0.999, eps=1e-7):
    def mu(i):
        return b1 * (1 - 0.5 * 0.96 ** i)  # Keras' schedule for Dozat's mu_t

    def step(s, w, g, t, lr):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["n"] = b2 * s.get("n", 0.0) + (1 - b2) * g * g
        prod_t = np.prod([mu(i) for i in range(1, t + 1)])
        prod_next = prod_t * mu(t + 1)
        m_hat = mu(t + 1) * s["m"] / (1 - prod_next) + (1 - mu(t)) * g / (1 - prod_t)
        n_hat = s["n"] / (1 - b2 ** t)
        return w - lr * m_hat / (np.sqrt(n_hat) + eps)
    return step


def ref_adamax(b1=0.9, b2=0.999, eps=1e-7):
    def step(s, w, g, t, lr):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g))
        return w - (lr / (1 - b1 ** t)) * s["m"] / (s["u"] + eps)
    return step


def ref_adagrad(init=0.1, eps=1e-7):
    def step(s, w, g, t, lr):
        s["G"] = s.get("G", init) + g * g
        return w - lr * g / np.sqrt(s["G"] + eps)
    return step


def ref_adadelta(rho=0.95, eps=1e-7):
    def step(s, w, g, t, lr):
        # Zeiler, Algorithm 1, scaled by the learning rate
        s["Eg"] = rho * s.get("Eg", 0.0) + (1 - rho) * g * g
        dx = -np.sqrt(s.get("Edx", 0.0) + eps) / np.sqrt(s["Eg"] + eps) * g
        s["Edx"] = rho * s.get("Edx", 0.0) + (1 - rho) * dx * dx
        return w + lr * dx
    return step


def ref_ftrl(power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    def step(s, w, g, t, lr):
        # McMahan et al. 2013, Algorithm 1, one coordinate at a time
        w = np.array(w, dtype=float)
        n = s.setdefault("n", np.full(w.shape, init))
        z = s.setdefault("z", np.zeros(w.shape))
        out = np.empty_like(w)
        for i in np.ndindex(w.shape):
            gi = g[i] + 2 * shrink * w[i]
            sigma = ((n[i] + g[i] ** 2) ** -power - n[i] ** -power) / lr
            z[i] += gi - sigma * w[i]
            n[i] += g[i] ** 2
            if abs(z[i]) <= l1:
                out[i] = 0.0
            else:
                out[i] = -(z[i] - np.sign(z[i]) * l1) / ((beta + n[i] ** -power) / lr + 2 * l2)
        return out
    return step


def ref_lion(b1=0.9, b2=0.99):
    def step(s, w, g, t, lr):
        m = s.get("m", 0.0)
        out = w - lr * np.sign(b1 * m + (1 - b1) * g)  # Chen et al. 2023, Algorithm 2
        s["m"] = b2 * m + (1 - b2) * g
        return out
    return step


CASES = {
    "sgd": (lambda: O.SGD(0.1), ref_sgd(), 0.1),
    "sgd_momentum": (lambda: O.SGD(0.1, momentum=0.9), ref_sgd(0.9), 0.1),
    "sgd_nesterov": (lambda: O.SGD(0.05, momentum=0.8, nesterov=True), ref_sgd(0.8, True),
                     0.05),
    "rmsprop": (lambda: O.RMSprop(0.01), ref_rmsprop(), 0.01),
    "rmsprop_momentum_centered": (
        lambda: O.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-3),
        ref_rmsprop(0.8, 0.5, 1e-3, True), 0.01),
    "adam": (lambda: O.Adam(0.01), ref_adam(), 0.01),
    "adam_betas": (lambda: O.Adam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
                   ref_adam(0.5, 0.9, 1e-3), 0.02),
    "amsgrad": (lambda: O.Adam(0.01, amsgrad=True), ref_adam(amsgrad=True), 0.01),
    "adamw": (lambda: O.AdamW(0.01, weight_decay=0.1), ref_adamw(0.1), 0.01),
    "nadam": (lambda: O.Nadam(0.01), ref_nadam(), 0.01),
    "adamax": (lambda: O.Adamax(0.01), ref_adamax(), 0.01),
    "adagrad": (lambda: O.Adagrad(0.1), ref_adagrad(), 0.1),
    "adagrad_init": (lambda: O.Adagrad(0.1, initial_accumulator_value=1.0, epsilon=1e-3),
                     ref_adagrad(1.0, 1e-3), 0.1),
    "adadelta": (lambda: O.Adadelta(1.0), ref_adadelta(), 1.0),
    "ftrl": (lambda: O.Ftrl(0.1), ref_ftrl(), 0.1),
    "ftrl_regularized": (
        lambda: O.Ftrl(0.1, learning_rate_power=-0.75, initial_accumulator_value=0.5,
                       l1_regularization_strength=0.05, l2_regularization_strength=0.2,
                       l2_shrinkage_regularization_strength=0.1, beta=0.3),
        ref_ftrl(-0.75, 0.5, 0.05, 0.2, 0.1, 0.3), 0.1),
    "lion": (lambda: O.Lion(0.01), ref_lion(), 0.01),
}


def reference(step, lr, w0, grads):
    lr = float(np.float32(lr))  # Keras keeps the learning rate in a float32 variable
    ws = [np.array(w, dtype=np.float64) for w in w0]
    states = [{} for _ in ws]
    for t, gs in enumerate(grads, start=1):
        ws = [step(s, w, g, t, lr) for s, w, g in zip(states, ws, gs)]
    return ws


def run(opt, w0, grads, dtype=np.float64):
    vs = [tf.Variable(np.asarray(w, dtype)) for w in w0]
    for gs in grads:
        opt.apply_gradients(zip([tf.constant(np.asarray(g, dtype)) for g in gs], vs))
    return [v.numpy() for v in vs]


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_numpy_reference_float64(case, rng):
    make, step, lr = CASES[case]
    w0, grads = initial(rng), grads_for(rng)
    got = run(make(), w0, grads)
    for g, e in zip(got, reference(step, lr, w0, grads)):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_numpy_reference_float32(case, rng):
    make, step, lr = CASES[case]
    w0, grads = initial(rng), grads_for(rng)
    got = run(make(), w0, grads, np.float32)
    assert all(g.dtype == np.float32 for g in got)
    for g, e in zip(got, reference(step, lr, w0, grads)):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_eager_equals_traced_with_one_trace(case, rng):
    make, _, _ = CASES[case]
    w0, grads = initial(rng), grads_for(rng)
    eager = run(make(), w0, grads, np.float32)
    opt = make()
    vs = [tf.Variable(np.asarray(w, np.float32)) for w in w0]

    @tf.function
    def step(g0, g1, g2):
        opt.apply_gradients(zip([g0, g1, g2], vs))

    for gs in grads:
        step(*[tf.constant(np.asarray(g, np.float32)) for g in gs])
    assert step.experimental_get_tracing_count() == 1
    assert int(opt.iterations) == STEPS
    for v, e in zip(vs, eager):  # the same coefficients and ops: bitwise equal
        np.testing.assert_array_equal(v.numpy(), e)


def test_chapter_custom_loop_converges():
    """The chapter's loop: Nadam(lr=0.01), MSE plus an L2 penalty, apply_gradients(zip(...))."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((256, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    w, b = tf.Variable(np.zeros((3, 1), np.float32)), tf.Variable(np.zeros(1, np.float32))
    optimizer = keras.optimizers.Nadam(learning_rate=0.05)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(yb - (xb @ w + b))) + 1e-4 * tf.reduce_sum(w * w)
        gradients = tape.gradient(loss, [w, b])
        optimizer.apply_gradients(zip(gradients, [w, b]))
        return loss

    losses = [float(train_step(X[i % 8 * 32:][:32], y[i % 8 * 32:][:32])) for i in range(300)]
    assert losses[-1] < 1e-2 < losses[0]
    np.testing.assert_allclose(w.numpy().ravel(), [1.0, -2.0, 0.5], atol=0.05)


def test_docstring_examples():
    import doctest
    import importlib

    for name in ("base_optimizer", "sgd", "rmsprop", "adam", "adamw", "nadam", "adamax",
                 "adagrad", "adadelta", "ftrl", "lion", "schedules", "__init__"):
        mod = importlib.import_module("rill.keras.optimizers" + ("" if name == "__init__"
                                                                   else f".{name}"))
        result = doctest.testmod(mod, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0, name
