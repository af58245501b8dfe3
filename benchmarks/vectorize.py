"""Vectorized Jacobians and tf.vectorized_map against their loops. Median milliseconds of

- `tape.jacobian(y, [x, W1])` for an MLP 20 -> 64 (relu) -> 100 (tanh) at one input (100
  outputs), with `experimental_use_pfor=True` (one traced backward pass over the identity
  basis) and `False` (one backward pass per output);
- `tape.batch_jacobian` of the same MLP over a batch of 32 inputs;
- `tf.vectorized_map` of a per-example function (matmul, softmax, reduction) over 256 rows,
  beside the loop it replaces and `tf.map_fn`;

each beside a hand-written NumPy computation of the same result (the floor).

    python benchmarks/vectorize.py
"""

from __future__ import annotations

import numpy as np
from _common import fmt, per_call_us, table

import rill as tf


def _mlp(rng):
    w1 = rng.standard_normal((20, 64)).astype(np.float32) * 0.2
    b1 = np.zeros(64, np.float32)
    w2 = rng.standard_normal((64, 100)).astype(np.float32) * 0.2
    b2 = np.zeros(100, np.float32)
    return w1, b1, w2, b2


def numpy_jacobian(x, w1, b1, w2, b2):
    """dy/dx for y = tanh(relu(x W1 + b1) W2 + b2), rows of x independent: (B, 100, 20)."""
    pre = x @ w1 + b1
    h = np.maximum(pre, 0)
    y = np.tanh(h @ w2 + b2)
    # J[b] = diag(1 - y^2) W2^T diag(relu') W1^T
    a = (1 - y * y)[:, :, None] * w2.T[None]  # (B, 100, 64)
    a = a * (pre > 0)[:, None, :]
    return a @ w1.T


def _row(label: str, make, floor_fn) -> list:
    """A table row: ms per call vectorized (`make(True)`) and looping (`make(False)`), and the
    NumPy floor's."""
    floor = per_call_us(floor_fn, blocks=7) / 1e3
    vec = per_call_us(make(True), blocks=7, target_s=0.05) / 1e3
    loop = per_call_us(make(False), blocks=5, target_s=0.2, warmup=2) / 1e3
    return [label, fmt(vec), fmt(loop), fmt(loop / vec, 1) + "x", fmt(floor, 3),
            fmt(vec / floor, 0) + "x"]


def main():
    rng = np.random.default_rng(0)
    w1, b1, w2, b2 = _mlp(rng)
    W1, B1, W2, B2 = (tf.Variable(v) for v in (w1, b1, w2, b2))

    def forward(x):
        h = tf.nn.relu(tf.matmul(x, W1) + B1)
        return tf.tanh(tf.matmul(h, W2) + B2)

    rows = []
    x1 = tf.constant(rng.standard_normal((1, 20)).astype(np.float32))

    def jac(pfor):
        def step():
            with tf.GradientTape() as tape:
                tape.watch(x1)
                y = tf.reshape(forward(x1), [-1])
            return tape.jacobian(y, [x1, W1], experimental_use_pfor=pfor)
        return step

    ref = numpy_jacobian(x1.numpy(), w1, b1, w2, b2)[0]
    for pfor in (True, False):
        got = jac(pfor)()[0].numpy().reshape(100, 20)
        assert np.allclose(got, ref, atol=1e-5), pfor
    rows.append(_row("jacobian (100 outputs)", jac,
                     lambda: numpy_jacobian(x1.numpy(), w1, b1, w2, b2)))

    xb = tf.constant(rng.standard_normal((32, 20)).astype(np.float32))

    def bjac(pfor):
        def step():
            with tf.GradientTape() as tape:
                tape.watch(xb)
                y = forward(xb)
            return tape.batch_jacobian(y, xb, experimental_use_pfor=pfor)
        return step

    ref = numpy_jacobian(xb.numpy(), w1, b1, w2, b2)
    for pfor in (True, False):
        assert np.allclose(bjac(pfor)().numpy(), ref, atol=1e-5), pfor
    rows.append(_row("batch_jacobian (32 x 100)", bjac,
                     lambda: numpy_jacobian(xb.numpy(), w1, b1, w2, b2)))

    elems = tf.constant(rng.standard_normal((256, 20)).astype(np.float32))

    def per_row(r):
        logits = tf.matmul(r[None], W2[:20]) + B2
        return tf.reduce_sum(tf.nn.softmax(logits) * tf.square(logits), axis=1)

    def numpy_map(e):
        logits = e @ w2[:20] + b2
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return (p * logits * logits).sum(1, keepdims=True)

    want = numpy_map(elems.numpy())
    vec_fn = lambda: tf.vectorized_map(per_row, elems)  # noqa: E731
    loop_fn = lambda: tf.stack([per_row(r) for r in tf.unstack(elems)])  # noqa: E731
    map_fn = lambda: tf.map_fn(per_row, elems)  # noqa: E731
    for f in (vec_fn, loop_fn, map_fn):
        assert np.allclose(f().numpy(), want, atol=1e-4)
    floor = per_call_us(lambda: numpy_map(elems.numpy()), blocks=7) / 1e3
    vec = per_call_us(vec_fn, blocks=7, target_s=0.05) / 1e3
    loop = per_call_us(loop_fn, blocks=5, target_s=0.2, warmup=2) / 1e3
    mapped = per_call_us(map_fn, blocks=5, target_s=0.2, warmup=2) / 1e3
    rows.append(["vectorized_map (256 rows)", fmt(vec), fmt(loop), fmt(loop / vec, 1) + "x",
                 fmt(floor, 3), fmt(vec / floor, 0) + "x"])
    rows.append(["  tf.map_fn, same fn", fmt(mapped), "-", "-", "-", "-"])
    print("Vectorized jacobian / vectorized_map (ms per call; median)")
    print(table(rows, ["case", "vectorized", "loop", "speedup", "numpy floor", "vs floor"]))


if __name__ == "__main__":
    main()
