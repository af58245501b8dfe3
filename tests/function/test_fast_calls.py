"""Calls of traced functions with arguments that are not tensors (Python values, variables):
the fast key, graph reuse for new variables of the same spec (as TensorFlow's VariableSpec),
and the variable slots that each call binds. Expected values are worked out by hand and
were checked against TensorFlow 2.21."""

import threading

import numpy as np
import pytest

import rill as tf
from rill._core import context


def test_python_flags_positional_or_keyword_share_a_graph():
    @tf.function
    def g(x, training=False, n=1):
        return x * n if training else x

    x = tf.constant(1.5)
    assert float(g(x, training=True)) == 1.5
    assert float(g(x, True)) == 1.5
    assert float(g(x, training=True, n=2)) == 3.0
    assert float(g(x, n=1, training=True)) == 1.5
    assert g.experimental_get_tracing_count() == 2  # as in TensorFlow
    for _ in range(3):  # the fast path switches graphs by value
        assert float(g(x, training=False)) == 1.5
        assert float(g(x, training=True, n=2)) == 3.0
        assert float(g(x, False)) == 1.5
    assert g.experimental_get_tracing_count() == 3


def test_python_values_of_other_types_are_other_graphs():
    f = tf.function(lambda x, n: x * tf.cast(n, tf.float32))
    x = tf.constant(2.0)
    assert float(f(x, 3)) == 6.0
    assert float(f(x, 3)) == 6.0
    assert float(f(x, 4)) == 8.0
    assert float(f(x, True)) == 2.0
    assert float(f(x, 3.0)) == 6.0
    assert f.experimental_get_tracing_count() == 4
    for n, want in [(3, 6.0), (4, 8.0), (True, 2.0), (3.0, 6.0)]:
        assert float(f(x, n)) == want
    assert f.experimental_get_tracing_count() == 4


def test_strings_and_none_use_the_fast_path_too():
    @tf.function
    def f(x, mode=None):
        return x + 1.0 if mode == "add" else x * 10.0

    x = tf.constant([1.0, 2.0])
    for _ in range(2):
        np.testing.assert_array_equal(f(x, "add").numpy(), [2.0, 3.0])
        np.testing.assert_array_equal(f(x, None).numpy(), [10.0, 20.0])
        np.testing.assert_array_equal(f(x, mode="add").numpy(), [2.0, 3.0])
    assert f.experimental_get_tracing_count() == 2


def test_new_variable_of_the_same_spec_reuses_the_graph():
    @tf.function
    def f(v, x):
        v.assign_add(x)
        return v.read_value() * 2.0

    a, b = tf.Variable([1.0, 2.0]), tf.Variable([10.0, 20.0])
    one = tf.constant([1.0, 1.0])
    np.testing.assert_array_equal(f(a, one).numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(f(b, one).numpy(), [22.0, 42.0])
    np.testing.assert_array_equal(a.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(b.numpy(), [11.0, 21.0])
    assert f.experimental_get_tracing_count() == 1
    for _ in range(3):  # fast path
        f(b, one)
    np.testing.assert_array_equal(b.numpy(), [14.0, 24.0])
    np.testing.assert_array_equal(a.numpy(), [2.0, 3.0])
    c = tf.Variable([1.0, 2.0, 3.0])
    f(c, tf.constant([1.0, 1.0, 1.0]))
    assert f.experimental_get_tracing_count() == 2  # another shape: another graph


def test_variable_dtype_and_trainability_are_part_of_the_key():
    h = tf.function(lambda v: v * 2)
    h(tf.Variable(1.0))
    h(tf.Variable(2.0))
    assert h.experimental_get_tracing_count() == 1
    assert float(h(tf.Variable(2.0, trainable=False))) == 4.0
    assert h.experimental_get_tracing_count() == 2
    assert float(h(tf.Variable(1.5, dtype=tf.float64))) == 3.0
    assert h.experimental_get_tracing_count() == 3


def test_aliased_variable_arguments_are_another_graph():
    @tf.function
    def g(v, w):
        v.assign_add([1.0, 1.0])
        return w.read_value()

    a, b = tf.Variable([1.0, 2.0]), tf.Variable([3.0, 4.0])
    np.testing.assert_array_equal(g(a, a).numpy(), [2.0, 3.0])  # w sees v's update
    np.testing.assert_array_equal(g(a, b).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(g(b, b).numpy(), [4.0, 5.0])
    np.testing.assert_array_equal(g(b, a).numpy(), [3.0, 4.0])
    assert g.experimental_get_tracing_count() == 2
    np.testing.assert_array_equal(a.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.numpy(), [5.0, 6.0])


def test_variable_also_read_through_a_global_is_not_swapped():
    # TensorFlow 2.21 answers [303, 404] for f(b): it reuses the graph traced for f(a), in
    # which the global is the argument. rill keys a variable the function can reach by
    # identity, so f(b) is b + 100 a.
    @tf.function
    def f(v):
        return v * 1.0 + GLOBAL_A * 100.0

    b = tf.Variable([3.0, 4.0])
    np.testing.assert_array_equal(f(GLOBAL_A).numpy(), [101.0, 202.0])
    np.testing.assert_array_equal(f(b).numpy(), [103.0, 204.0])
    np.testing.assert_array_equal(f(GLOBAL_A).numpy(), [101.0, 202.0])


GLOBAL_A = tf.Variable([1.0, 2.0])


def test_variable_also_read_through_the_instance_is_not_swapped():
    # TensorFlow 2.21 answers [2, 4] for m(a) here (it reuses the graph traced for m(m.v),
    # whose self.v is the argument): rill keys the instance's own variable by identity.
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable([10.0, 20.0])

        @tf.function
        def __call__(self, w):
            return w + self.v

    m = M()
    a = tf.Variable([1.0, 2.0])
    np.testing.assert_array_equal(m(m.v).numpy(), [20.0, 40.0])
    np.testing.assert_array_equal(m(a).numpy(), [11.0, 22.0])
    np.testing.assert_array_equal(m(tf.Variable([0.0, 1.0])).numpy(), [10.0, 21.0])


def test_variable_arguments_inside_branches_and_loops():
    @tf.function
    def f(v, flag):
        return tf.cond(flag, lambda: v.read_value() * 2.0, lambda: v.assign_add([1.0, 1.0]))

    @tf.function
    def loop(v, n):
        for _ in tf.range(n):
            v.assign_add([1.0, 1.0])
        return v.read_value()

    a, b = tf.Variable([1.0, 2.0]), tf.Variable([3.0, 4.0])
    np.testing.assert_array_equal(f(a, tf.constant(True)).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(f(b, tf.constant(False)).numpy(), [4.0, 5.0])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(loop(a, 3).numpy(), [4.0, 5.0])
    np.testing.assert_array_equal(loop(b, 3).numpy(), [7.0, 8.0])
    assert loop.experimental_get_tracing_count() == 1


def test_keyword_variables_and_gradients_through_a_variable_argument():
    @tf.function
    def kw(x, *, var):
        return x * var

    assert float(kw(tf.constant(2.0), var=tf.Variable(3.0))) == 6.0
    w = tf.Variable(4.0)
    assert float(kw(tf.constant(2.0), var=w)) == 8.0
    assert kw.experimental_get_tracing_count() == 1
    with tf.GradientTape() as tape:
        y = kw(tf.constant(2.0), var=w)
    assert float(tape.gradient(y, w)) == 2.0
    f = tf.function(lambda v: v * v)
    a, b = tf.Variable(3.0), tf.Variable(5.0)
    f(a)
    with tf.GradientTape() as tape:
        y = f(b)
    ga, gb = tape.gradient(y, [a, b])
    assert ga is None and float(gb) == 10.0


def test_concrete_function_of_a_variable_runs_on_another_variable():
    f = tf.function(lambda v, x: v * x)
    a, b = tf.Variable([1.0, 2.0]), tf.Variable([5.0, 6.0])
    cf = f.get_concrete_function(a, tf.TensorSpec([2], tf.float32))
    np.testing.assert_array_equal(cf(b, tf.constant([2.0, 2.0])).numpy(), [10.0, 12.0])
    assert cf.captured_inputs == [] and cf.variables == ()


def test_threads_bind_their_own_variables():
    @tf.function
    def bump(v, d):
        v.assign_add(d)
        return v.read_value()

    variables = [tf.Variable(0.0) for _ in range(4)]
    bump(variables[0], tf.constant(0.0))
    barrier = threading.Barrier(4)

    def work(k):
        barrier.wait()
        for _ in range(300):
            bump(variables[k], tf.constant(float(k + 1)))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [float(v) for v in variables] == [300.0, 600.0, 900.0, 1200.0]
    assert bump.experimental_get_tracing_count() == 1
    assert not context.active


def test_nested_arguments_still_take_the_general_path():
    f = tf.function(lambda pair, scale: (pair[0] + pair[1]) * scale)
    x = tf.constant([1.0, 2.0])
    for _ in range(2):
        np.testing.assert_array_equal(f([x, x], 2.0).numpy(), [4.0, 8.0])
        np.testing.assert_array_equal(f((x, tf.Variable([1.0, 1.0])), 1.0).numpy(), [2.0, 3.0])
    with pytest.raises(TypeError):
        f([x, x])
