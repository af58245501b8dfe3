"""tf.data: (a) the speedup of a parallel map of a NumPy-heavy function with
num_parallel_calls=2 over 1; (b) the per-batch cost of iterating
`from_tensor_slices((X, y)).shuffle(11610).batch(32).prefetch(AUTOTUNE)` beside slicing the
NumPy arrays with a permutation (the floor); (c) a W4-sized training epoch (the W3 model's
traced step, 11610 rows in batches of 32) fed from NumPy slices and from that dataset.

    python benchmarks/data_pipeline.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _common import fmt, table
from custom_loop import regression_data, rill_trainer

import rill as tf


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def parallel_map(quick: bool) -> list:
    n, size = (16, 1 << 19) if quick else (48, 1 << 20)
    data = np.random.default_rng(0).random((n, size), dtype=np.float32)

    def heavy(v):  # elementwise NumPy kernels, which release the GIL
        return tf.reduce_sum(tf.sin(v) * tf.exp(-v) + tf.sqrt(v + 1.0))

    rows = []
    secs = {}
    for k in (1, 2):
        ds = tf.data.Dataset.from_tensor_slices(data).map(heavy, num_parallel_calls=k)
        secs[k] = _best(lambda ds=ds: [None for _ in ds.as_numpy_iterator()], 3)
        rows.append([f"map num_parallel_calls={k}", fmt(secs[k] * 1e3 / n, 3),
                     fmt(secs[1] / secs[k])])
    return rows


def batch_overhead(quick: bool) -> list:
    X, y = regression_data()
    n = len(X)
    epochs = 2 if quick else 5

    def numpy_epoch():
        perm = np.random.permutation(n)
        for i in range(0, n, 32):
            idx = perm[i:i + 32]
            X[idx], y[idx]

    ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(n).batch(32).prefetch(
        tf.data.AUTOTUNE)

    def numpy_iter():
        for _ in ds.as_numpy_iterator():
            pass

    def tensor_iter():
        for _ in ds:
            pass
    batches = -(-n // 32)
    floor = _best(numpy_epoch, epochs) / batches * 1e6
    rows = [["NumPy permutation slices (floor)", fmt(floor), "1.00"]]
    for name, fn in (("dataset.as_numpy_iterator()", numpy_iter),
                     ("for x, y in dataset (tensors)", tensor_iter)):
        us = _best(fn, epochs) / batches * 1e6
        rows.append([name, fmt(us), fmt(us / floor)])
    return rows


def fed_epoch(quick: bool) -> list:
    X, y = regression_data()
    n = len(X)
    epochs = 2 if quick else 4
    step, epoch_end = rill_trainer(traced=True)
    wrap = tf.constant

    def numpy_fed():
        perm = np.random.permutation(n)
        for i in range(0, n, 32):
            idx = perm[i:i + 32]
            step(wrap(X[idx]), wrap(y[idx]))
        epoch_end()

    ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(n).batch(32).prefetch(
        tf.data.AUTOTUNE)

    def dataset_fed():
        for xb, yb in ds:
            step(xb, yb)
        epoch_end()

    numpy_fed()
    dataset_fed()  # traces the last, smaller batch too
    a = _best(numpy_fed, epochs)
    b = _best(dataset_fed, epochs)
    return [["epoch fed from NumPy slices", fmt(a, 3), "1.00"],
            ["epoch fed from the dataset", fmt(b, 3), fmt(b / a)]]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    print("(a) parallel map of a NumPy-heavy function (ms per element, speedup over 1)")
    print(table(parallel_map(args.quick), ["pipeline", "ms/elem", "speedup"]))
    print("\n(b) per-batch cost, batches of 32 from 11610 rows (us per batch, x floor)")
    print(table(batch_overhead(args.quick), ["iteration", "us/batch", "x floor"]))
    print("\n(c) a W4-sized epoch with the traced W3 step (seconds per epoch, x NumPy-fed)")
    print(table(fed_epoch(args.quick), ["feeding", "s/epoch", "ratio"]))


if __name__ == "__main__":
    main()
