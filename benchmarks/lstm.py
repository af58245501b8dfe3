"""An LSTM workload: a sequence classifier (LSTM(64) over 50 steps of 16 features, then
Dense(1, sigmoid), binary cross-entropy, SGD) trained on batches of 32. Printed beside its
NumPy floor (the same forward pass and backpropagation through time written by hand, in the
same run) and, when RILL_TF_PYTHON names a TensorFlow interpreter, TensorFlow's Keras.

    python benchmarks/lstm.py [--quick]

Reported: training steps/s of a `tf.function` step (GradientTape + SGD), of the same step run
eagerly, and seconds per epoch of `model.fit`; inference (forward only) steps/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
from _common import fmt, table

B, T, D, H = 32, 50, 16, 64
LR = np.float32(0.05)


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, T, D)).astype(np.float32)
    y = (x[:, :, 0].sum(1) > 0).astype(np.float32)[:, None]
    return x, y


def init(seed: int = 1) -> list:
    rng = np.random.default_rng(seed)
    lim = np.sqrt(6 / (D + 4 * H))
    w = rng.uniform(-lim, lim, (D, 4 * H)).astype(np.float32)
    u = np.linalg.qr(rng.standard_normal((4 * H, H)))[0].T.astype(np.float32)
    b = np.zeros(4 * H, np.float32)
    b[H:2 * H] = 1.0
    wd = rng.uniform(-0.3, 0.3, (H, 1)).astype(np.float32)
    return [w, u, b, wd, np.zeros(1, np.float32)]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class NumpyLSTM:
    """The floor: forward and backpropagation through time by hand, float32."""

    def __init__(self, weights):
        self.w, self.u, self.b, self.wd, self.bd = [w.copy() for w in weights]

    def forward(self, x):
        xt = x.transpose(1, 0, 2)
        zx = (xt.reshape(-1, D) @ self.w).reshape(T, len(x), 4 * H) + self.b
        h = np.zeros((len(x), H), np.float32)
        c = np.zeros_like(h)
        cache = []
        for t in range(T):
            z = zx[t] + h @ self.u
            g = _sigmoid(z)
            cand = np.tanh(z[:, 2 * H:3 * H])
            c_new = g[:, H:2 * H] * c + g[:, :H] * cand
            tc = np.tanh(c_new)
            cache.append((h, c, g, cand, tc))
            h = g[:, 3 * H:] * tc
            c = c_new
        return h, cache, xt

    def predict(self, x):
        return _sigmoid(self.forward(x)[0] @ self.wd + self.bd)

    def step(self, x, y):
        h, cache, xt = self.forward(x)
        p = _sigmoid(h @ self.wd + self.bd)
        dy = (p - y) / np.float32(len(x))
        dwd, dbd = h.T @ dy, dy.sum(0)
        dh = dy @ self.wd.T
        dc = np.zeros_like(dh)
        du = np.zeros_like(self.u)
        dzx = np.empty((T, len(x), 4 * H), np.float32)
        for t in reversed(range(T)):
            h_prev, c_prev, g, cand, tc = cache[t]
            i, f, o = g[:, :H], g[:, H:2 * H], g[:, 3 * H:]
            dc = dc + dh * o * (1 - tc * tc)
            dz = dzx[t]
            dz[:, :H] = dc * cand * i * (1 - i)
            dz[:, H:2 * H] = dc * c_prev * f * (1 - f)
            dz[:, 2 * H:3 * H] = dc * i * (1 - cand * cand)
            dz[:, 3 * H:] = dh * tc * o * (1 - o)
            du += h_prev.T @ dz
            dh = dz @ self.u.T
            dc = dc * f
        dw = xt.reshape(-1, D).T @ dzx.reshape(-1, 4 * H)
        for p_, g_ in ((self.w, dw), (self.u, du), (self.b, dzx.sum((0, 1))), (self.wd, dwd),
                       (self.bd, dbd)):
            p_ -= LR * g_


def _rate(fn, batches, repeats: int) -> float:
    fn(*batches[0])
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for xb, yb in batches:
            fn(xb, yb)
        times.append((time.perf_counter() - t0) / len(batches))
    return 1.0 / float(np.median(times))


def rill_model(weights):
    from rill import keras
    from rill.keras.layers.lstm import LSTM
    model = keras.Sequential([keras.Input((T, D)), LSTM(H),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.set_weights(weights)
    return model


_TF_SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf, keras
    sys.path.insert(0, sys.argv[1])
    from lstm import B, T, D, H, LR, data, init
    n_batches, repeats = int(sys.argv[2]), int(sys.argv[3])
    x, y = data(B * n_batches)
    model = keras.Sequential([keras.Input((T, D)), keras.layers.LSTM(H),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.set_weights(init())
    opt = keras.optimizers.SGD(float(LR))
    loss_fn = keras.losses.BinaryCrossentropy()
    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                model.trainable_variables))
    infer = tf.function(lambda xb: model(xb))
    batches = [(tf.constant(x[i:i + B]), tf.constant(y[i:i + B]))
               for i in range(0, len(x), B)]
    def rate(fn):
        fn(*batches[0])
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for xb, yb in batches:
                fn(xb, yb)
            times.append((time.perf_counter() - t0) / len(batches))
        return 1.0 / float(np.median(times))
    out = {"train": rate(step), "infer": rate(lambda xb, yb: infer(xb))}
    model.compile(optimizer=keras.optimizers.SGD(float(LR)), loss="binary_crossentropy")
    t0 = time.perf_counter(); model.fit(x, y, batch_size=B, epochs=1, verbose=0)
    t1 = time.perf_counter(); model.fit(x, y, batch_size=B, epochs=1, verbose=0)
    out["fit"] = time.perf_counter() - t1
    json.dump(out, sys.stdout)
""")


def tensorflow(n_batches: int, repeats: int):
    path = os.environ.get("RILL_TF_PYTHON")
    if not path:
        return None
    proc = subprocess.run([path, "-c", _TF_SCRIPT, os.path.dirname(os.path.abspath(__file__)),
                           str(n_batches), str(repeats)], capture_output=True, text=True)
    if proc.returncode:
        print("TensorFlow run failed:", proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_batches, repeats = (8, 3) if args.quick else (32, 5)
    # rill is imported here, not at the top: the TensorFlow run imports this module too
    import rill as tf
    from rill import keras
    from rill._core import blas

    x, y = data(B * n_batches)
    batches = [(x[i:i + B], y[i:i + B]) for i in range(0, len(x), B)]
    blas.set_threads(1)  # the floor's products are small: one thread, as rill picks
    floor = NumpyLSTM(init())
    floor_train = _rate(floor.step, batches, repeats)
    floor_infer = _rate(lambda xb, yb: floor.predict(xb), batches, repeats)

    model = rill_model(init())
    opt = keras.optimizers.SGD(float(LR))
    loss_fn = keras.losses.BinaryCrossentropy()

    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

    tensors = [(tf.constant(a), tf.constant(b)) for a, b in batches]
    traced = _rate(tf.function(step), tensors, repeats)
    eager = _rate(step, tensors, max(1, repeats // 2))
    infer_fn = tf.function(lambda xb: model(xb))
    infer = _rate(lambda xb, yb: infer_fn(xb), tensors, repeats)
    model.compile(optimizer=keras.optimizers.SGD(float(LR)), loss="binary_crossentropy")
    model.fit(x, y, batch_size=B, epochs=1, verbose=0)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=B, epochs=1, verbose=0)
    fit_s = time.perf_counter() - t0
    ref = tensorflow(n_batches, repeats)

    ref = ref or {}
    rows = [["numpy (hand)", fmt(floor_train, 0), "1.00x", fmt(floor_infer, 0), "-"],
            ["rill tf.function", fmt(traced, 0), fmt(traced / floor_train, 2) + "x",
             fmt(infer, 0), fmt(fit_s, 3)],
            ["rill eager", fmt(eager, 0), fmt(eager / floor_train, 2) + "x", "-", "-"],
            ["tensorflow", fmt(ref.get("train"), 0),
             fmt(ref["train"] / floor_train, 2) + "x" if ref else "-",
             fmt(ref.get("infer"), 0), fmt(ref.get("fit"), 3)]]
    print(f"LSTM({H}) over {T} steps of {D} features, batch {B}: training steps/s "
          f"(GradientTape + SGD), inference steps/s, fit s/epoch ({n_batches} batches)")
    print(table(rows, ["impl", "train steps/s", "of the floor", "infer steps/s",
                       "fit s/epoch"]))


if __name__ == "__main__":
    main()
