"""W7: tf.function call overhead.

(a) `tf.function(lambda x: x ** 3)` called on a float32 scalar tensor;
(b) 100 chained elementwise ops (x = x * 1.0001, x = x + 0.001 alternating) on a (1000,)
    float32 tensor, eager and traced, beside the same chain in plain NumPy (the floor);
(c) calls with arguments that are not tensors, as Keras makes them: `f(x, training=True)`,
    a Python int (`f(x, 3)`), and a tf.Variable argument (`f(x, v)`), each a multiply of a
    (2,) float32 tensor (before the fast key for such calls: about 8 us each).

    python benchmarks/function_overhead.py
"""

from __future__ import annotations

import numpy as np
from _common import anchor, fmt, per_call_us, table

import rill as tf


def chain(x):
    for i in range(100):
        if i % 2 == 0:
            x = x * 1.0001
        else:
            x = x + 0.001
    return x


def main():
    v1000 = np.random.RandomState(0).rand(1000).astype(np.float32)
    s, v = tf.constant(2.0), tf.constant(v1000)
    s_np = np.array(2.0, dtype=np.float32)
    fcube = tf.function(lambda x: x ** 3)
    fchain = tf.function(chain)
    assert float(fcube(s)) == 8.0
    ref = chain(v1000.astype(np.float64))
    assert np.allclose(fchain(v).numpy(), ref, rtol=1e-4)
    ftrain = tf.function(lambda x, training=False: x * 2.0 if training else x * 3.0)
    fint = tf.function(lambda x, n: x * n)
    x2, v2 = tf.constant([1.0, 2.0]), tf.Variable([1.0, 2.0])
    x2_np = x2.numpy()
    rows = []
    floor_mul = per_call_us(lambda: x2_np * 2.0)
    floor_cube = per_call_us(lambda: s_np ** 3)
    floor_chain = per_call_us(lambda: chain(v1000))
    for case, mode, fn, floor in [
        ("cube_scalar", "eager", lambda: s ** 3, floor_cube),
        ("cube_scalar", "function", lambda: fcube(s), floor_cube),
        ("chain100", "eager", lambda: chain(v), floor_chain),
        ("chain100", "function", lambda: fchain(v), floor_chain),
        ("training_kwarg", "function", lambda: ftrain(x2, training=True), floor_mul),
        ("python_int_arg", "function", lambda: fint(x2, 3), floor_mul),
        ("variable_arg", "function", lambda: fint(x2, v2), floor_mul),
    ]:
        t = per_call_us(fn)
        ref_tf = anchor("W7", case, "tensorflow", mode)
        rows.append([case, mode, fmt(t), fmt(floor), fmt(t / floor) + "x", fmt(ref_tf),
                     fmt(ref_tf / t if ref_tf else None, 1) + "x"])
    print("W7 tf.function overhead (us per call; median)")
    print(table(rows, ["case", "mode", "rill", "numpy", "rill/numpy", "TF (anchor)",
                       "TF/rill"]))
    print(f"tracing counts: cube {fcube.experimental_get_tracing_count()}, "
          f"chain {fchain.experimental_get_tracing_count()}")


if __name__ == "__main__":
    main()
