"""Gradients through a tf.function from a tape outside it (issue 7, item 5).

One training step's gradients of a small MLP (x: 32x16, hidden 32, tanh, one output, mean
squared error; three variables), float32, computed four ways in the same run:

  inside    the tape inside the tf.function: one compiled call returns the gradients;
  outside   `with tf.GradientTape(): loss = f(x, y)` then `tape.gradient`: the call runs the
            compiled forward function and the gradient the compiled backward function;
  replay    the same, with the graph replayed op by op under the tape (the path before the
            forward/backward pair, forced here by disabling the pair);
  numpy     forward and backward written by hand in NumPy (the floor).

The four are timed in alternating blocks (medians of 21), so that the load of a shared
machine weighs on each alike.

    python benchmarks/function_gradient.py
"""

from __future__ import annotations

import statistics

import numpy as np
from _common import alternating, fmt, table

import rill as tf


def main():
    rs = np.random.RandomState(0)
    x_np = rs.randn(32, 16).astype(np.float32)
    y_np = rs.randn(32, 1).astype(np.float32)
    w1_np = (rs.randn(16, 32) * 0.1).astype(np.float32)
    b1_np = np.zeros(32, np.float32)
    w2_np = (rs.randn(32, 1) * 0.1).astype(np.float32)
    w1, b1, w2 = tf.Variable(w1_np), tf.Variable(b1_np), tf.Variable(w2_np)
    variables = [w1, b1, w2]
    x, y = tf.constant(x_np), tf.constant(y_np)

    def loss_fn(x, y):
        h = tf.tanh(tf.matmul(x, w1) + b1)
        return tf.reduce_mean(tf.square(tf.matmul(h, w2) - y))

    loss = tf.function(loss_fn)
    replayed = tf.function(loss_fn)

    @tf.function
    def inside(x, y):
        with tf.GradientTape() as tape:
            value = loss_fn(x, y)
        return tape.gradient(value, variables)

    def outside(f):
        with tf.GradientTape() as tape:
            value = f(x, y)
        return tape.gradient(value, variables)

    def floor():
        h = np.tanh(x_np @ w1_np + b1_np)
        d = h @ w2_np - y_np
        dd = d * (2.0 / d.size)
        dh = (dd @ w2_np.T) * (1 - h * h)
        return x_np.T @ dh, dh.sum(0), h.T @ dd

    replayed(x, y)
    for cf in replayed._cache.values():
        cf._pair = False  # the op-by-op replay, as before the pair existed
    reference = floor()
    for way in (inside(x, y), outside(loss), outside(replayed)):
        for g, r in zip(way, reference):
            assert np.allclose(g.numpy(), r, rtol=1e-4, atol=1e-6)

    samples = alternating([floor, lambda: inside(x, y), lambda: outside(loss),
                           lambda: outside(replayed)])
    t_floor, t_inside, t_outside, t_replay = [statistics.median(s) for s in samples]
    rows = [[name, fmt(t), fmt(t / t_floor) + "x", fmt(t / t_inside) + "x"]
            for name, t in [("numpy (floor)", t_floor), ("tape inside", t_inside),
                            ("tape outside (pair)", t_outside),
                            ("tape outside (replay, before)", t_replay)]]
    print("Gradient through tf.function: MLP 32x16 -> 32 -> 1 (us per step; median)")
    print(table(rows, ["way", "rill", "/numpy", "/inside"]))
    print(f"tracing counts: loss {loss.experimental_get_tracing_count()}, "
          f"inside {inside.experimental_get_tracing_count()}; "
          f"outside/inside {t_outside / t_inside:.2f}x (target <= 2x), "
          f"replay/pair {t_replay / t_outside:.1f}x")


if __name__ == "__main__":
    main()
