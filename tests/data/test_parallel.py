"""Background threads: parallel map, prefetch, parallel interleave; errors and shutdown.

No test asserts a duration: overlap is shown by hand-offs that would never happen (and so
time out) without a background thread."""

import gc
import threading
import time

import numpy as np
import pytest

import rill as tf
from tests.data._util import values

R = tf.data.Dataset.range
WAIT = 30  # seconds before a missing hand-off counts as a failure


def _data_threads():
    return [t for t in threading.enumerate() if t.name.startswith("rill.data-")]


def _wait_for_no_threads():
    for _ in range(200):
        gc.collect()
        if not _data_threads():
            return True
        time.sleep(0.05)
    return False


def _slow_square(v):
    time.sleep(0.001 * (int(v) % 4))  # later elements often finish first
    return v * v


def test_parallel_map_keeps_order():
    ds = R(40).map(lambda x: tf.py_function(_slow_square, [x], tf.int64),
                   num_parallel_calls=4)
    assert values(ds) == [i * i for i in range(40)]
    auto = R(40).map(lambda x: x + 1, num_parallel_calls=tf.data.AUTOTUNE)
    assert values(auto) == list(range(1, 41))


def test_parallel_map_runs_concurrently():
    # two calls must be in flight at once: each waits for the other to arrive
    barrier = threading.Barrier(2, timeout=WAIT)

    def meet(v):
        barrier.wait()
        return v
    ds = R(4).map(lambda x: tf.py_function(meet, [x], tf.int64), num_parallel_calls=2)
    assert values(ds) == [0, 1, 2, 3]


def test_nondeterministic_map_gives_every_element():
    ds = R(30).map(lambda x: tf.py_function(_slow_square, [x], tf.int64),
                   num_parallel_calls=3, deterministic=False)
    assert sorted(values(ds)) == [i * i for i in range(30)]


def test_parallel_map_error_reaches_consumer_with_position():
    def check(v):
        if int(v) == 5:
            raise ValueError("bad element five")
        return v
    ds = R(8).map(lambda x: tf.py_function(check, [x], tf.int64), num_parallel_calls=3)
    it = iter(ds)
    assert [int(next(it)) for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="bad element five") as e:
        next(it)
    assert any("on element 5" in n for n in getattr(e.value, "__notes__", []))
    assert [int(x) for x in it] == [6, 7]  # the pipeline goes on after the failure
    assert values(ds.ignore_errors()) == [0, 1, 2, 3, 4, 6, 7]


def test_prefetch_overlaps_a_slow_producer():
    asked_for_second = threading.Event()

    def gen():
        yield 0
        asked_for_second.set()  # runs when someone asks for element 1
        yield 1
    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64))
    it = iter(ds.prefetch(1))
    assert int(next(it)) == 0
    # the consumer still holds element 0: only a background producer can ask for element 1
    assert asked_for_second.wait(WAIT)
    assert int(next(it)) == 1
    with pytest.raises(StopIteration):
        next(it)


def test_prefetch_autotune_on_a_generator_uses_a_thread():
    asked = threading.Event()

    def gen():
        yield 0
        asked.set()
        yield 1
    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64))
    it = iter(ds.prefetch(tf.data.AUTOTUNE))
    next(it)
    assert asked.wait(WAIT)


def test_dropping_an_iterator_stops_its_threads():
    assert _wait_for_no_threads()
    ds = tf.data.Dataset.from_generator(lambda: iter(range(10**9)),
                                        output_signature=tf.TensorSpec([], tf.int64))
    ds = ds.map(lambda x: x + 1, num_parallel_calls=2).prefetch(3)
    it = iter(ds)
    assert int(next(it)) == 1
    assert _data_threads()
    del it
    assert _wait_for_no_threads()


def test_stopping_midway_through_a_parallel_interleave():
    assert _wait_for_no_threads()
    ds = R(4).interleave(lambda x: R(100).map(lambda y: y + 1000 * x),
                         cycle_length=2, block_length=3, num_parallel_calls=2)
    it = iter(ds)
    got = [int(next(it)) for _ in range(8)]
    assert got == [0, 1, 2, 1000, 1001, 1002, 3, 4]  # the sequential interleave's order
    del it
    assert _wait_for_no_threads()
    full = values(ds)
    seq = values(R(4).interleave(lambda x: R(100).map(lambda y: y + 1000 * x),
                                 cycle_length=2, block_length=3))
    assert full == seq and len(full) == 400


def test_numpy_heavy_map_in_threads_matches_serial():
    X = np.random.default_rng(0).normal(size=(16, 64, 64)).astype(np.float32)
    f = lambda m: tf.reduce_sum(tf.matmul(m, m))  # noqa: E731
    par = values(tf.data.Dataset.from_tensor_slices(X).map(f, num_parallel_calls=2))
    ser = [float(np.sum(m @ m)) for m in X]
    np.testing.assert_allclose(par, ser, rtol=1e-4)


def test_interpreter_exits_with_running_pipelines():
    import subprocess
    import sys
    code = (
        "import rill as tf\n"
        "ds = tf.data.Dataset.from_generator(lambda: iter(range(10**9)),\n"
        "    output_signature=tf.TensorSpec([], tf.int64))\n"
        "it = iter(ds.map(lambda x: x * 2, num_parallel_calls=2).prefetch(4))\n"
        "print(int(next(it)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"
