"""TensorArray writes in a traced loop (issue 11): the time to write n elements grows
linearly in n (a write is O(1), not a copy of the whole array).

For n = 1,000, 10,000 and 100,000, medians of several runs of

    @tf.function
    def fill(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, tf.cast(i, tf.float32))
        return ta.stack()

beside the same loop without the TensorArray (what the loop itself costs), the NumPy floor
(a Python loop appending to a list, then np.stack) and the gradient of a loop that reads one
TensorArray and writes another (forward and backward). The last column is the time per n
divided by the time per n at the previous n: 1.0 means linear growth (10x for 10x n).

    python benchmarks/tensor_array.py [--quick]

Measured on 2 shared cores (load average about 3 from other processes), medians of 9 runs
(3 at n = 100,000): writes 14.4 ms at n = 1,000, 145 ms at n = 10,000 (ratio 10.1 for 10x n),
1.88 s at n = 100,000; the loop alone is about half of that (7.2 / 68 / 877 ms) and the
NumPy floor 0.8 / 16.5 / 249 ms; forward and gradient of the read-and-write loop 51 ms /
383 ms / 5.3 s. Each step of the last ratio is within the floor's own drift (memory at
100,000 elements). Before, each traced write copied the whole buffer (O(n^2) in total).
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from _common import table

import rill as tf


@tf.function
def fill(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32))
    return ta.stack()


@tf.function
def loop_only(n):
    total = tf.constant(0.0)
    for i in tf.range(n):
        total = tf.cast(i, tf.float32)
    return total


@tf.function
def scan(xs):
    n = tf.shape(xs)[0]
    inputs = tf.TensorArray(tf.float32, size=n).unstack(xs)
    out = tf.TensorArray(tf.float32, size=n)
    h = tf.constant(0.0)
    for i in tf.range(n):
        h = h * 0.5 + inputs.read(i)
        out = out.write(i, h)
    return tf.reduce_sum(out.stack())


def scan_gradient(xs):
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = scan(xs)
    return tape.gradient(y, xs)


def numpy_floor(n):
    items = []
    for i in range(n):
        items.append(np.float32(i))
    return np.stack(items)


def median_s(fn, arg, repeats: int) -> float:
    fn(arg)  # traced (or warmed) once
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(arg)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    cases = [("TensorArray writes (rill)", fill, lambda n: tf.constant(n)),
             ("the loop alone (rill)", loop_only, lambda n: tf.constant(n)),
             ("list append + np.stack (NumPy floor)", numpy_floor, lambda n: n),
             ("read + write, forward and gradient (rill)", scan_gradient,
              lambda n: tf.constant(np.ones(n, np.float32)))]
    rows = []
    for label, fn, make in cases:
        previous = None
        for n in sizes:
            repeats = 3 if n >= 100_000 else 9
            t = median_s(fn, make(n), repeats)
            growth = "-" if previous is None else f"{(t / n) / previous:.2f}"
            previous = t / n
            rows.append([label, f"{n:,}", f"{t * 1e3:.1f}", f"{t / n * 1e6:.2f}", growth])
    print("TensorArray writes in a traced loop: median ms per call")
    print(table(rows, ["case", "n", "ms", "us per element", "per-element vs previous n"]))


if __name__ == "__main__":
    main()
