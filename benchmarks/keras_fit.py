"""W3 with Keras (the chapter's custom loop: Keras layers, Nadam, metrics), W4 (`fit` on the same
regressor) and W5 (an MLP classifier trained with `fit`), each beside its NumPy floor (the same
work written by hand) measured in the same run.

    python benchmarks/keras_fit.py [--quick] [w3 w4 w4data w5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import anchor, fmt, table
from custom_loop import init_params, numpy_trainer, regression_data, run

import rill as tf
from rill import keras


def _regressor():
    l2 = keras.regularizers.l2(0.05)
    model = keras.models.Sequential([
        keras.layers.Input(shape=(8,)),
        keras.layers.Dense(30, activation="elu", kernel_initializer="he_normal",
                           kernel_regularizer=l2),
        keras.layers.Dense(1, kernel_regularizer=l2)])
    model.set_weights(init_params())
    return model


def keras_custom_loop(traced: bool):
    """The chapter's custom training step with Keras parts (W3)."""
    model = _regressor()
    optimizer = keras.optimizers.Nadam(learning_rate=0.01)
    loss_fn = keras.losses.mean_squared_error
    mean_loss = keras.metrics.Mean()
    metrics = [keras.metrics.MeanAbsoluteError()]

    def train_step(X_batch, y_batch):
        with tf.GradientTape() as tape:
            y_pred = model(X_batch, training=True)
            main_loss = tf.reduce_mean(loss_fn(y_batch, y_pred))
            loss = tf.add_n([main_loss] + model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        mean_loss(loss)
        for metric in metrics:
            metric(y_batch, y_pred)

    step = tf.function(train_step) if traced else train_step

    def epoch_end():
        r = {"loss": float(mean_loss.result()), "mae": float(metrics[0].result())}
        for m in [mean_loss] + metrics:
            m.reset_state()
        return r

    return step, epoch_end


def w3(quick: bool) -> None:
    X, y = regression_data()
    n_steps, epochs = (100 if quick else 11610 // 32), 3
    floor_rates, _ = run(*numpy_trainer(), X, y, n_steps, epochs, lambda a: a)
    floor = float(np.median(floor_rates[1:]))
    rows = [["numpy (hand)", fmt(floor, 0), "1.00x", "-"]]
    for mode, traced in (("eager", False), ("tf.function", True)):
        rates, logs = run(*keras_custom_loop(traced), X, y, n_steps, epochs,
                                      tf.constant)
        r = float(np.median(rates[1:]))
        ref = anchor("W3", "custom_loop", "tensorflow", "function" if traced else "eager")
        rows.append([f"rill {mode}", fmt(r, 0), fmt(r / floor, 2) + "x", fmt(ref, 0)])
    print("W3 chapter's custom loop with Keras layers, Nadam and metrics (steps/s, median of "
          "epochs after the first; targets: eager >= 0.15x, traced >= 0.6x the floor)")
    print(table(rows, ["impl", "steps/s", "of the floor", "TF anchor steps/s"]))


class _EpochTimer:
    def __init__(self):
        self.times, self._t0 = [], 0.0

    def callback(self):
        timer = self

        class EpochTimer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                timer._t0 = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                timer.times.append(time.perf_counter() - timer._t0)

        return EpochTimer()


def _floor_epochs(step, X, y, epochs, batch_size=32, seed=42):
    from rill._core import blas

    blas.set_threads(1)  # the floor gets the thread count rill picks for these small products
    rng = np.random.RandomState(seed)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            step(X[idx], y[idx])
        times.append(time.perf_counter() - t0)
    return times


def w4(quick: bool) -> None:
    X, y = regression_data()
    if quick:
        X, y = X[:3200], y[:3200]
    floor_step, _ = numpy_trainer()
    floor = float(np.median(_floor_epochs(floor_step, X, y, 3)[1:]))
    model = _regressor()
    model.compile(loss="mse", optimizer=keras.optimizers.Nadam(learning_rate=0.01),
                  metrics=["mae"])
    timer = _EpochTimer()
    model.fit(X, y, epochs=3, batch_size=32, verbose=0, callbacks=[timer.callback()])
    rill_s = float(np.median(timer.times[1:]))
    rows = [["numpy (hand)", fmt(floor, 4), "1.00x", "-"],
            ["rill fit", fmt(rill_s, 4), fmt(rill_s / floor, 2) + "x",
             fmt(anchor("W4", "fit_regression", "tensorflow"), 3)]]
    print(f"W4 model.fit on the W3 regressor (s/epoch after the first; first epoch "
          f"{timer.times[0]:.3f} s; target <= 1.5x the floor)")
    print(table(rows, ["impl", "s/epoch", "of the floor", "TF anchor s/epoch"]))


def w4data(quick: bool) -> None:
    """W4 fed from `from_tensor_slices(...).shuffle(...).batch(32).prefetch(AUTOTUNE)` beside
    W4 fed from NumPy arrays, interleaved in the same run (target: within 1.2x)."""
    X, y = regression_data()
    if quick:
        X, y = X[:3200], y[:3200]
    times = {"arrays": [], "tf.data": []}
    for _ in range(2):
        for kind in times:
            model = _regressor()
            model.compile(loss="mse", optimizer=keras.optimizers.Nadam(learning_rate=0.01),
                          metrics=["mae"])
            timer = _EpochTimer()
            if kind == "arrays":
                model.fit(X, y, epochs=4, batch_size=32, verbose=0,
                          callbacks=[timer.callback()])
            else:
                ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(len(X), seed=1) \
                    .batch(32).prefetch(tf.data.AUTOTUNE)
                model.fit(ds, epochs=4, verbose=0, callbacks=[timer.callback()])
            times[kind] += timer.times[1:]
    a, b = (float(np.median(times[k])) for k in ("arrays", "tf.data"))
    print("W4 fed from tf.data vs NumPy arrays (s/epoch after the first; target <= 1.2x)")
    print(table([["arrays", fmt(a, 4), "1.00x"], ["tf.data", fmt(b, 4), fmt(b / a, 2) + "x"]],
                ["input", "s/epoch", "of arrays"]))


def _mlp_floor(seed=42):
    rng = np.random.RandomState(seed)
    sizes = [(784, 300), (300, 100), (100, 10)]
    Ws = [rng.uniform(-np.sqrt(6 / (a + b)), np.sqrt(6 / (a + b)), (a, b)).astype(np.float32)
          for a, b in sizes]
    bs = [np.zeros(b, np.float32) for _, b in sizes]
    lr = np.float32(0.01)

    def step(xb, yb):
        x = xb.reshape(len(xb), -1)
        h1 = np.maximum(x @ Ws[0] + bs[0], 0)
        h2 = np.maximum(h1 @ Ws[1] + bs[1], 0)
        z = h2 @ Ws[2] + bs[2]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        d = p
        d[np.arange(len(yb)), yb] -= 1
        d *= np.float32(1.0 / len(yb))
        g3 = (h2.T @ d, d.sum(axis=0))
        d = (d @ Ws[2].T) * (h2 > 0)
        g2 = (h1.T @ d, d.sum(axis=0))
        d = (d @ Ws[1].T) * (h1 > 0)
        g1 = (x.T @ d, d.sum(axis=0))
        for (gW, gb), W, b in zip((g1, g2, g3), Ws, bs):
            W -= lr * gW
            b -= lr * gb

    return step


def _mlp_fit_epochs(X, y, epochs, steps_per_execution=1):
    tf.random.set_seed(42)
    model = keras.models.Sequential([
        keras.layers.Input(shape=(28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(300, activation="relu"), keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(learning_rate=0.01), metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    timer = _EpochTimer()
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[timer.callback()])
    return timer.times


def w5(quick: bool, repeats: int = 3, steps_per_execution: int = 8) -> None:
    """W5's first epoch (tracing included), repeated: the floor, rill and rill with
    `steps_per_execution` interleaved, so that each repetition sees the same load."""
    rng = np.random.RandomState(42)
    n = 6400 if quick else 60000
    X = rng.random_sample((n, 28, 28)).astype(np.float32)
    y = rng.randint(0, 10, n)
    _floor_epochs(_mlp_floor(), X[:640], y[:640], 1)  # first-use costs (imports), both sides
    _mlp_fit_epochs(X[:640], y[:640], 1)
    spe = f"rill fit, steps_per_execution={steps_per_execution}"
    times: dict = {"numpy (hand)": [], "rill fit": [], spe: []}
    for _ in range(1 if quick else repeats):
        times["numpy (hand)"].append(_floor_epochs(_mlp_floor(), X, y, 1)[0])
        times["rill fit"].append(_mlp_fit_epochs(X, y, 1)[0])
        times[spe].append(_mlp_fit_epochs(X, y, 1, steps_per_execution)[0])
    floor = float(np.median(times["numpy (hand)"]))
    rows = []
    for name, values in times.items():
        med = float(np.median(values))
        worst = max(v / f for v, f in zip(values, times["numpy (hand)"]))
        rows.append([name, fmt(med, 3), fmt(med / floor, 2) + "x", fmt(worst, 2) + "x",
                     fmt(n / med, 0), fmt(anchor("W5", "mlp_epoch1_s", "tensorflow"), 2)
                     if name == "rill fit" else "-"])
    print(f"W5 MLP classifier, fit on {n} samples, epoch 1 (median of {len(values)} "
          f"interleaved runs; target: rill fit <= 1.15x the floor)")
    print(table(rows, ["impl", "s/epoch", "of the floor", "worst run", "samples/s",
                       "TF anchor s"]))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=3, help="W5 repetitions (interleaved)")
    p.add_argument("which", nargs="*", default=["w3", "w4", "w4data", "w5"])
    args = p.parse_args()
    from rill._core import blas

    print(f"BLAS threads: one for products under {blas.LARGE_FLOPS} multiply-adds, "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or 'all cores'} above")
    for name in args.which:
        if name == "w5":
            w5(args.quick, args.repeats)
        else:
            globals()[name](args.quick)
        print()


if __name__ == "__main__":
    main()
