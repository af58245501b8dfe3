"""Execution state is per thread, as TensorFlow keeps it (checked against TF 2.21): tapes,
graphs being traced, name scopes and op hooks (check_numerics) belong to the thread that
opened them; `tf.config.run_functions_eagerly` is process-wide."""

import threading

import numpy as np
import pytest

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.graph import GraphTensor
from rill._core.tensor import EagerTensor


def in_thread(fn):
    """Runs fn in a new thread and returns its result (re-raising its exception)."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            out["error"] = exc
    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture(autouse=True)
def no_state_left():
    yield
    assert not context.active, "a thread left a tape, graph or hook behind"


def test_eager_op_in_worker_during_trace_stays_eager():
    seen = {}

    @tf.function
    def f(x):
        def work():
            seen["eagerly"] = tf.executing_eagerly()
            seen["inside"] = tf.inside_function()
            return tf.add(tf.constant(2.0), tf.constant(3.0))
        seen["worker"] = in_thread(work)
        return x * 2.0

    assert float(f(tf.constant(1.0))) == 2.0
    assert type(seen["worker"]) is EagerTensor and float(seen["worker"]) == 5.0
    assert seen["eagerly"] is True and seen["inside"] is False
    ops = [op.type for op in f.get_concrete_function(tf.constant(1.0)).graph.get_operations()]
    assert "AddV2" not in ops and "Add" not in ops


def test_variable_read_in_worker_during_trace_is_not_a_graph_node():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f(x):
        read = in_thread(lambda: v.read_value())
        assert type(read) is EagerTensor
        return x + 1.0

    f(tf.constant(1.0))
    graph = f.get_concrete_function(tf.constant(1.0)).graph
    assert [op.type for op in graph.get_operations()] == ["Placeholder", "Const", "AddV2"]
    assert not graph.variables


def test_main_thread_tape_does_not_record_worker_reads():
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = in_thread(lambda: v * v)
    assert float(y) == 9.0
    assert tape.watched_variables() == ()
    assert tape.gradient(y, v) is None


def test_worker_tape_records_only_its_thread():
    a, b = tf.Variable(2.0), tf.Variable(5.0)
    main_in, worker_done = threading.Event(), threading.Event()
    got = {}

    def work():
        main_in.wait()
        with tf.GradientTape() as tape:  # opened while the main thread's tape records
            y = b * b * b
        got["grad"] = tape.gradient(y, [a, b])
        got["watched"] = [v.name for v in tape.watched_variables()]
        worker_done.set()

    t = threading.Thread(target=work)
    t.start()
    with tf.GradientTape() as tape:
        main_in.set()
        worker_done.wait()
        z = a * a
    t.join()
    ga, gb = tape.gradient(z, [a, b])
    assert float(ga) == 4.0 and gb is None
    assert got["grad"][0] is None and float(got["grad"][1]) == 75.0  # 3 b^2
    assert [v.name for v in tape.watched_variables()] == [a.name]
    assert got["watched"] == [b.name]


def test_concurrent_gradients_in_many_threads_are_right():
    def work(k):
        w = tf.Variable(float(k))
        out = []
        for _ in range(200):
            with tf.GradientTape() as tape:
                y = w * w * w + tf.exp(w * 0.0)
            out.append(float(tape.gradient(y, w)))
        return out

    results = {}
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, work(k)))
               for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(1, 5):
        assert results[k] == [3.0 * k * k] * 200


def test_traced_functions_in_threads_at_once():
    f = tf.function(lambda x: tf.reduce_sum(x * x))
    barrier = threading.Barrier(3)

    def work(n):
        barrier.wait()
        return [float(f(tf.range(float(n + i)))) for i in range(20)]

    results = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, work(n)))
               for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(3):
        assert results[n] == [sum(j * j for j in range(n + i)) for i in range(20)]


def test_name_scopes_do_not_leak_across_threads():
    with tf.name_scope("outer"):
        assert in_thread(tf.get_current_name_scope) == ""
        assert in_thread(lambda: tf.Variable(1.0, name="v").name) == "v:0"
        assert tf.get_current_name_scope() == "outer"

    def scoped():
        with tf.name_scope("worker"):
            return tf.get_current_name_scope()
    with tf.name_scope("main"):
        assert in_thread(scoped) == "worker"
        assert tf.get_current_name_scope() == "main"


def test_run_functions_eagerly_is_process_wide():
    # TensorFlow keeps this switch in one global: a worker thread sees the main thread's
    # setting, and the functions it calls run eagerly.
    f = tf.function(lambda x: tf.constant(tf.executing_eagerly()))
    tf.config.run_functions_eagerly(True)
    try:
        assert in_thread(tf.config.functions_run_eagerly) is True
        assert bool(in_thread(lambda: f(tf.constant(1.0))))
    finally:
        tf.config.run_functions_eagerly(False)
    assert in_thread(tf.config.functions_run_eagerly) is False
    assert not bool(in_thread(lambda: f(tf.constant(2.0))))


def test_check_numerics_applies_to_the_thread_that_enabled_it():
    tf.debugging.enable_check_numerics()
    try:
        with pytest.raises(InvalidArgumentError):
            tf.math.log(tf.constant(-1.0))
        with np.errstate(invalid="ignore"):
            y = in_thread(lambda: tf.math.log(tf.constant(-1.0)))
        assert np.isnan(float(y))
    finally:
        tf.debugging.disable_check_numerics()


def test_trace_in_worker_while_main_traces():
    g = tf.function(lambda x: x + 1.0)

    @tf.function
    def f(x):
        y = in_thread(lambda: g(tf.constant(1.0)))  # the worker calls a function eagerly
        assert type(y) is EagerTensor
        return x * 3.0

    out = f(tf.constant(2.0))
    assert float(out) == 6.0
    assert g.experimental_get_tracing_count() == 1


def test_symbolic_tensor_passed_to_worker_is_refused():
    caught = {}

    @tf.function
    def f(x):
        assert isinstance(x, GraphTensor)
        try:
            in_thread(lambda: x * 2.0)
        except Exception as exc:  # noqa: BLE001
            caught["exc"] = exc
        return x

    f(tf.constant(1.0))
    assert isinstance(caught["exc"], InvalidArgumentError)
    assert "outside of that function" in str(caught["exc"])
