"""Optimizers given tf.IndexedSlices gradients (embedding lookups), as Keras 3 applies them
with TensorFlow: SGD without momentum updates only the rows looked up (repeated rows summed);
optimizers with slots densify the gradient where it meets a slot, but square (or take the
absolute value of) each slice before repeated rows are summed, as Keras 3's sparse-aware
`ops.square` does. Expected values from NumPy; parity with TensorFlow when RILL_TF_PYTHON is
set."""

import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.function.retrace import RetracingWarning

pytestmark = pytest.mark.filterwarnings("ignore", category=RetracingWarning)

W0 = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
STEPS = [([0, 2, 0], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.5, 0.5, 0.5]]),
         ([1, 2], [[1.0, -1.0, 1.0], [2.0, 0.0, -2.0]])]


def _slices(idx, vals):
    return tf.IndexedSlices(tf.cast(vals, tf.float32), tf.convert_to_tensor(idx),
                            tf.constant([4, 3]))


def _run(opt, traced):
    v = tf.Variable(W0)

    def step(idx, vals):
        opt.apply_gradients([(_slices(idx, vals), v)])

    fn = tf.function(step) if traced else step
    for idx, vals in STEPS:
        fn(tf.constant(idx), tf.constant(vals))
    return v.numpy()


def _segment_sum(idx, vals):
    out = np.zeros((4, 3))
    np.add.at(out, idx, np.asarray(vals))
    return out


@pytest.mark.parametrize("traced", [False, True])
def test_sgd_updates_only_the_rows_looked_up(traced):
    got = _run(keras.optimizers.SGD(0.1), traced)
    want = W0.astype(np.float64)
    for idx, vals in STEPS:
        want = want - 0.1 * _segment_sum(idx, vals)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(got[3], W0[3])  # never looked up: exactly as it was


@pytest.mark.parametrize("traced", [False, True])
def test_adam_squares_each_slice_before_summing_repeated_rows(traced):
    b1, b2, eps, lr = 0.9, 0.999, 1e-7, 0.1
    w, m, v = W0.astype(np.float64), np.zeros((4, 3)), np.zeros((4, 3))
    for t, (idx, vals) in enumerate(STEPS, start=1):
        g = _segment_sum(idx, vals)
        sq = _segment_sum(idx, np.square(vals))  # not g**2: row 0 repeats
        m = m + (g - m) * (1 - b1)
        v = v + (sq - v) * (1 - b2)
        w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    got = _run(keras.optimizers.Adam(lr), traced)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[3], W0[3])  # zero moments: unchanged
    assert not np.allclose(got[0], W0[0] - 0)  # row 0 kept moving in step 2 (its m decays)


def test_an_embedding_model_trained_with_sgd_keeps_unused_rows():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,), dtype="int32"), keras.layers.Embedding(10, 3),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = model.layers[0].embeddings.numpy().copy()
    x = np.array([[1, 4], [4, 7], [1, 1]], np.int32)
    model.fit(x, np.ones((3, 1), np.float32), epochs=3, batch_size=3, verbose=0)
    after = model.layers[0].embeddings.numpy()
    used = sorted(set(x.ravel().tolist()))
    unused = [i for i in range(10) if i not in used]
    np.testing.assert_array_equal(after[unused], before[unused])
    assert np.all(np.abs(after[used] - before[used]).max(axis=1) > 0)


OPTIMIZERS = [("SGD", {"learning_rate": 0.1}),
              ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
              ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
              ("AdamW", {"learning_rate": 0.1}), ("Nadam", {"learning_rate": 0.1}),
              ("RMSprop", {"learning_rate": 0.1, "momentum": 0.5, "centered": True}),
              ("Adagrad", {"learning_rate": 0.1}), ("Adadelta", {"learning_rate": 1.0}),
              ("Adamax", {"learning_rate": 0.1}), ("Ftrl", {"learning_rate": 0.1}),
              ("Lion", {"learning_rate": 0.1}), ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5})]

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    import keras
    case = json.load(sys.stdin)
    out = []
    for name, kwargs in case["optimizers"]:
        opt = getattr(keras.optimizers, name)(**kwargs)
        v = tf.Variable(np.array(case["w0"], np.float32))
        for idx, vals in case["steps"]:
            g = tf.IndexedSlices(tf.constant(vals, tf.float32), tf.constant(idx),
                                 tf.constant([4, 3]))
            opt.apply_gradients([(g, v)])
        out.append(v.numpy().tolist())
    print(json.dumps(out))
""")


def test_optimizers_match_tensorflow_on_indexed_slices():
    python = os.environ.get("RILL_TF_PYTHON")
    if not python:
        pytest.skip("RILL_TF_PYTHON is not set")
    case = {"optimizers": OPTIMIZERS, "w0": W0.tolist(), "steps": STEPS}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([python, "-c", SCRIPT], input=json.dumps(case), env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = json.loads(proc.stdout.strip().splitlines()[-1])
    for (name, kwargs), want in zip(OPTIMIZERS, expected):
        for traced in (False, True):
            got = _run(getattr(keras.optimizers, name)(**kwargs), traced)
            np.testing.assert_allclose(got, np.array(want, np.float32), rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name} {kwargs} traced={traced}")
