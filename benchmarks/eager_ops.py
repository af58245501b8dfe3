"""W1: eager op overhead. Median microseconds per op beside raw NumPy (the floor), and beside
TensorFlow/PyTorch when they are installed here, plus their figures from ../shared/bench.
Each op and its floor are timed in alternating blocks; the ratio is the median of the rounds'
ratios, so that a shared machine's load weighs on both alike.

    python benchmarks/eager_ops.py

Issue 7 (one dispatch path): ratios to NumPy before the change, medians of 3 runs on a quiet
machine: add_op 2.01x, add_fn 1.93x, matmul_op 1.81x, matmul_fn 1.73x, reduce_sum 0.64x,
constant_list6 1.84x. After, on 2 cores shared with other processes (load average 3-5),
before and after run alternately, ratios of each side's fastest blocks over 5 runs (before in
parentheses): add_op 2.03-2.09x (1.99-2.10x), add_fn 1.90-1.95x (1.87-1.95x), matmul_op and
matmul_fn 1.70-1.86x (1.70-1.93x; single runs up to 3.9x on both sides under load),
reduce_sum 0.59-0.63x (0.60-0.63x), constant_list6 1.87-1.99x (1.82-1.90x): unchanged, as
the inline fast paths are.
"""

from __future__ import annotations

import numpy as np
from _common import anchor, fmt, interleaved_ratio, optional_import, per_call_us, table

import rill as tf


def cases():
    rng = np.random.RandomState(0)
    a10, b10 = rng.rand(10).astype(np.float32), rng.rand(10).astype(np.float32)
    m1, m2 = rng.rand(32, 8).astype(np.float32), rng.rand(8, 30).astype(np.float32)
    v1000 = rng.rand(1000).astype(np.float32)
    lst = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    a, b, x, y, v = (tf.constant(t) for t in (a10, b10, m1, m2, v1000))
    f32 = np.float32
    return [
        ("add_op", lambda: a + b, lambda: a10 + b10),
        ("add_fn", lambda: tf.add(a, b), lambda: np.add(a10, b10)),
        ("matmul_op", lambda: x @ y, lambda: m1 @ m2),
        ("matmul_fn", lambda: tf.matmul(x, y), lambda: np.matmul(m1, m2)),
        ("reduce_sum", lambda: tf.reduce_sum(v), lambda: np.sum(v1000)),
        ("constant_list6", lambda: tf.constant(lst), lambda: np.array(lst, dtype=f32)),
    ], (a10, b10, m1, m2, v1000, lst)


def main():
    ops, raw = cases()
    torch = optional_import("torch")
    tensorflow = optional_import("tensorflow")
    rows = []
    for name, rill_fn, np_fn in ops:
        r, n, ratio = interleaved_ratio(rill_fn, np_fn)
        t_here = None
        if torch is not None:
            t_here = _torch_case(torch, name, raw)
        tf_ref = anchor("W1", name, "tensorflow")
        if tensorflow is not None:  # measured here, in this run, instead of the anchor
            tf_ref = _tf_case(tensorflow, name, raw)
        pt_ref = anchor("W1", name, "torch")
        rows.append([name, fmt(r), fmt(n), fmt(ratio) + "x", fmt(tf_ref),
                     fmt(tf_ref / r if tf_ref else None, 1) + "x", fmt(pt_ref), fmt(t_here)])
    print("W1 eager op overhead (us per op; median)")
    tf_col = "TF (here)" if tensorflow is not None else "TF (anchor)"
    print(table(rows, ["case", "rill", "numpy", "rill/numpy", tf_col,
                       "TF/rill", "torch (anchor)", "torch (here)"]))


def _tf_case(tensorflow, name, raw):
    a10, b10, m1, m2, v1000, lst = raw
    c = tensorflow.constant
    a, b, x, y, v = c(a10), c(b10), c(m1), c(m2), c(v1000)
    fns = {"add_op": lambda: a + b, "add_fn": lambda: tensorflow.add(a, b),
           "matmul_op": lambda: x @ y, "matmul_fn": lambda: tensorflow.matmul(x, y),
           "reduce_sum": lambda: tensorflow.reduce_sum(v),
           "constant_list6": lambda: tensorflow.constant(lst)}
    return per_call_us(fns[name])


def _torch_case(torch, name, raw):
    a10, b10, m1, m2, v1000, lst = raw
    a, b = torch.from_numpy(a10), torch.from_numpy(b10)
    x, y = torch.from_numpy(m1), torch.from_numpy(m2)
    v = torch.from_numpy(v1000)
    fns = {"add_op": lambda: a + b, "add_fn": lambda: torch.add(a, b),
           "matmul_op": lambda: x @ y, "matmul_fn": lambda: torch.matmul(x, y),
           "reduce_sum": lambda: torch.sum(v),
           "constant_list6": lambda: torch.tensor(lst, dtype=torch.float32)}
    return per_call_us(fns[name])


if __name__ == "__main__":
    main()
