"""Parity with real TensorFlow/Keras 3: the same optimizers and schedules, the same gradients,
compared value by value. Runs only when RILL_TF_PYTHON names a Python that has TensorFlow
(the TensorFlow code runs in that interpreter, in a subprocess)."""

import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

import rill as tf
from rill import keras

TF_PYTHON = os.environ.get("RILL_TF_PYTHON")
pytestmark = pytest.mark.skipif(not TF_PYTHON, reason="RILL_TF_PYTHON is not set")

OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "global_clipnorm": 1.0}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Adamax", {"learning_rate": 0.01, "clipvalue": 0.5}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
              "l2_regularization_strength": 0.1, "l2_shrinkage_regularization_strength": 0.05,
              "beta": 0.1}),
    ("Lion", {"learning_rate": 0.01, "use_ema": True}),
    ("Adam", {"learning_rate": {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.05, "decay_steps": 2, "decay_rate": 0.5}}}),
]
SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.3,
                          "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [3, 8], "values": [1.0, 0.5, 0.1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "power": 0.5,
                         "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 10, "alpha": 0.2,
                     "warmup_target": 0.1, "warmup_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4,
                             "t_mul": 1.5, "m_mul": 0.8, "alpha": 0.05}),
]
STEPS = 5
SHAPES = [(3, 4), (4,), (1,)]

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    import keras
    case = json.load(sys.stdin)
    out = {"optimizers": [], "schedules": []}
    for name, kwargs in case["optimizers"]:
        kwargs = dict(kwargs)
        if isinstance(kwargs.get("learning_rate"), dict):
            kwargs["learning_rate"] = keras.optimizers.schedules.deserialize(
                kwargs["learning_rate"])
        results = []
        for traced in (False, True):
            opt = getattr(keras.optimizers, name)(**kwargs)
            vs = [tf.Variable(np.array(w, np.float32)) for w in case["w0"]]
            def step(*gs):
                opt.apply_gradients(zip(gs, vs))
            fn = tf.function(step) if traced else step
            for gs in case["grads"]:
                fn(*[tf.constant(np.array(g, np.float32)) for g in gs])
            if opt.use_ema:
                opt.finalize_variable_values(vs)
            results.append([v.numpy().tolist() for v in vs])
        out["optimizers"].append(results)
    for name, kwargs in case["schedules"]:
        s = getattr(keras.optimizers.schedules, name)(**kwargs)
        out["schedules"].append([float(s(i)) for i in range(25)])
    print(json.dumps(out))
""")


def rill_run(name, kwargs, w0, grads, traced):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = keras.optimizers.schedules.deserialize(kwargs["learning_rate"])
    opt = getattr(keras.optimizers, name)(**kwargs)
    vs = [tf.Variable(np.array(w, np.float32)) for w in w0]

    def step(*gs):
        opt.apply_gradients(zip(gs, vs))

    fn = tf.function(step) if traced else step
    for gs in grads:
        fn(*[tf.constant(np.array(g, np.float32)) for g in gs])
    if opt.use_ema:
        opt.finalize_variable_values(vs)
    return [v.numpy() for v in vs]


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(7)
    w0 = [rng.standard_normal(s).tolist() for s in SHAPES]
    grads = [[rng.standard_normal(s).tolist() for s in SHAPES] for _ in range(STEPS)]
    case = {"optimizers": OPTIMIZERS, "schedules": SCHEDULES, "w0": w0, "grads": grads}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([TF_PYTHON, "-c", SCRIPT], input=json.dumps(case), env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return case, json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("i", range(len(OPTIMIZERS)),
                         ids=[f"{n}{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_matches_tensorflow(reference, i):
    case, out = reference
    name, kwargs = OPTIMIZERS[i]
    for traced, expected in zip((False, True), out["optimizers"][i]):
        got = rill_run(name, kwargs, case["w0"], case["grads"], traced)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, np.array(e, np.float32), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} traced={traced}")


@pytest.mark.parametrize("i", range(len(SCHEDULES)), ids=[n for n, _ in SCHEDULES])
def test_schedule_matches_tensorflow(reference, i):
    _, out = reference
    name, kwargs = SCHEDULES[i]
    s = getattr(keras.optimizers.schedules, name)(**kwargs)
    np.testing.assert_allclose([float(s(k)) for k in range(25)], out["schedules"][i],
                               rtol=1e-6, atol=1e-8, err_msg=name)
