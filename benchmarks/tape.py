"""W2: GradientTape overhead. Median microseconds per iteration of

    with tf.GradientTape() as tape:
        z = 3 * w1 ** 2 + 2 * w1 * w2
    tape.gradient(z, [w1, w2])

eager and inside tf.function, beside a hand-written NumPy forward+backward (the floor) and the
TensorFlow/PyTorch figures from ../shared/bench. The eager step and the floor are timed in
alternating blocks (medians of 41), so that a shared machine's load weighs on both alike.

    python benchmarks/tape.py

Issue 7 (one dispatch path, lean eager tape), eager, on 2 cores shared with other processes
(load average 2.6-4.4), before and after run alternately, each figure the median of 41
per-round ratios (runs where a load spike tripled the floor left out): before 10.2x, 9.5x,
10.8x, 11.1x, 10.4x; after 5.9x, 6.4x, 6.1x, 6.4x, 6.2x, 5.9x the floor of about 5 us
(9.5x before on a quiet machine); the rill step from 42-59 us to 25-34 us. Executed Python
bytecodes per step: 4,751 in 114 calls before, 3,397 in 51 after. What is left is per op:
the record and its backward bookkeeping (an `OpRecord`, tuples, dict updates keyed by id)
and the variable reads' own records cost about 1 us each in Python.

Next session (2026-12-03): eager reads of watched variables are aliases of the variable, not
records; a variable read again unchanged gives the same tensor; Python numbers become shared
constant tensors (`dt.type(2)` costs 0.2 us). 3,387 -> 3,253 bytecodes a step, 5 records
instead of 8. Against the commit that began the session, run alternately:
- with another process busy on the second core (load ~1.5): before 31.5-33.2 us, 6.0-6.2x
  the floor; after 29.8-31.3 us, 5.7-6.0x;
- on the quiet machine: before 20.5-21.3 us, 5.1-5.4x; after 18.9-19.7 us, 4.7-5.0x, and
  4.9-5.2x (median 5.0x) in 18 later runs.
At that point W2 sat at the target. What was left was not bytecodes: with a persistent tape
reused (hot caches, nothing freed) `gradient` cost 2.5 us plus 1.4 us a record; in the loop
about twice that, because a step allocated and freed some 57 Python objects (records,
tuples, tensors, NumPy scalars, the tape's containers) where the floor makes about 15 NumPy
scalars. Tried and dropped (no gain within the noise): bare NumPy values as gradients in the
plain backward pass, records built without `__init__`, containers made lazily. What worked:
binary ops on a lone GradientTape recorded as flat tuples (opdef, x, y, output, attrs)
instead of an `OpRecord` and two tuples (15 objects fewer a step): 19.6-20.6 us -> 17.6-18.0
us (A/B, quiet), and 4.5-4.7x the floor over 8 later runs (median 4.6x), under the 5x target.
"""

from __future__ import annotations

import numpy as np
from _common import anchor, fmt, interleaved_ratio, optional_import, per_call_us, table

import rill as tf


def numpy_step():
    w1 = np.array(5.0, dtype=np.float32)
    w2 = np.array(3.0, dtype=np.float32)
    three, two = np.float32(3), np.float32(2)

    def step():
        a = w1 ** 2
        b = three * a
        c = two * w1
        d = c * w2
        z = b + d
        dz = np.ones_like(z)
        dc = dz * w2
        dw2 = dz * c
        da = dz * three
        return da * two * w1 + dc * two, dw2

    return step


def main():
    w1, w2 = tf.Variable(5.0), tf.Variable(3.0)

    def step():
        with tf.GradientTape() as tape:
            z = 3 * w1 ** 2 + 2 * w1 * w2
        return tape.gradient(z, [w1, w2])

    g = step()
    assert abs(float(g[0]) - 36.0) < 1e-4 and abs(float(g[1]) - 10.0) < 1e-4, g
    rows = []
    eager, floor, ratio = interleaved_ratio(step, numpy_step())
    rows.append(["eager", fmt(eager), fmt(floor), fmt(ratio, 1) + "x",
                 fmt(anchor("W2", "tape_scalar", "tensorflow", "eager")),
                 fmt(anchor("W2", "tape_scalar", "torch", "eager"))])
    if hasattr(tf, "function"):
        fstep = tf.function(step)
        g = fstep()
        assert abs(float(g[0]) - 36.0) < 1e-4, g
        traced = per_call_us(fstep)
        rows.append(["tf.function", fmt(traced), fmt(floor), fmt(traced / floor, 1) + "x",
                     fmt(anchor("W2", "tape_scalar", "tensorflow", "function")),
                     fmt(anchor("W2", "tape_scalar", "jax", "jit"))])
    torch = optional_import("torch")
    if torch is not None:
        t1 = torch.tensor(5.0, requires_grad=True)
        t2 = torch.tensor(3.0, requires_grad=True)
        here = per_call_us(lambda: torch.autograd.grad(3 * t1 ** 2 + 2 * t1 * t2, [t1, t2]))
        rows.append(["torch (here)", fmt(here), fmt(floor), fmt(here / floor, 1) + "x", "-", "-"])
    print("W2 tape overhead (us per iteration; median)")
    print(table(rows, ["mode", "rill", "numpy floor", "vs floor", "TF (anchor)",
                       "torch eager / jax jit (anchor)"]))


if __name__ == "__main__":
    main()
