"""The chapter's section "TensorFlow Functions and Graphs", behaviour by behaviour."""

import numpy as np
import pytest

import rill as tf

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def cube(x):
    return x ** 3


def test_cube_of_python_int_is_an_int32_tensor():
    tf_cube = tf.function(cube)
    result = tf_cube(2)
    assert isinstance(result, tf.Tensor)
    assert result.dtype == tf.int32
    assert result.numpy() == 8


def test_cube_of_float_tensor_is_a_float32_tensor():
    tf_cube = tf.function(cube)
    result = tf_cube(tf.constant(2.0))
    assert result.dtype == tf.float32
    assert result.numpy() == 8.0


def test_plain_python_function_still_returns_python_values():
    assert cube(2) == 8


def test_decorator_form_and_python_function():
    @tf.function
    def tf_cube(x):
        return x ** 3

    assert tf_cube.python_function(2) == 8  # the original, returning a Python int
    assert tf_cube(tf.constant(3.0)).numpy() == 27.0


def test_function_repr_is_an_object_repr():
    text = repr(tf.function(cube))
    assert text.startswith("<rill.function.function.Function object at 0x")


def test_one_graph_per_shape_and_dtype():
    tf_cube = tf.function(cube)
    tf_cube(tf.constant(10))
    tf_cube(tf.constant(20))  # same shape and dtype: the graph is reused
    assert tf_cube.experimental_get_tracing_count() == 1
    tf_cube(tf.constant([10, 20]))  # new shape [2]
    assert tf_cube.experimental_get_tracing_count() == 2
    tf_cube(tf.constant([10.0, 20.0]))  # new dtype
    assert tf_cube.experimental_get_tracing_count() == 3
    tf_cube(tf.constant([1, 2]))  # int32 of shape [2] again
    assert tf_cube.experimental_get_tracing_count() == 3


def test_one_graph_per_python_value():
    tf_cube = tf.function(cube)
    assert tf_cube(10).numpy() == 1000
    assert tf_cube(20).numpy() == 8000
    assert tf_cube.experimental_get_tracing_count() == 2
    tf_cube(10)
    assert tf_cube.experimental_get_tracing_count() == 2


def test_tensor_arguments_trace_once_python_arguments_trace_per_value():
    f_t = tf.function(cube)
    f_p = tf.function(cube)
    for i in range(5):
        f_t(tf.constant(i))
        f_p(i)
    assert f_t.experimental_get_tracing_count() == 1
    assert f_p.experimental_get_tracing_count() == 5


def test_graphs_for_different_shapes_are_different():
    tf_cube = tf.function(cube)
    a = tf_cube.get_concrete_function(tf.constant(1.0))
    b = tf_cube.get_concrete_function(tf.constant([1.0, 2.0]))
    assert a is not b
    assert a.graph is not b.graph
    assert tf_cube.get_concrete_function(tf.constant(5.0)) is a


def test_numpy_random_is_frozen_at_trace_time():
    f = tf.function(lambda x: np.random.rand())
    a = f(tf.constant(2.0))
    b = f(tf.constant(3.0))  # same signature: the traced random number again
    c = f(tf.constant([2.0, 3.0]))  # new shape: traced again, a new number
    assert a.numpy() == b.numpy()
    assert a.numpy() != c.numpy()


def test_tf_random_gives_a_new_value_on_every_call():
    f = tf.function(lambda x: tf.random.uniform([]))
    values = {float(f(tf.constant(2.0))) for _ in range(5)}
    assert len(values) == 5
    assert f.experimental_get_tracing_count() == 1


def test_python_side_effects_run_only_while_tracing():
    log = []

    @tf.function
    def f(x):
        log.append("traced")  # a Python side effect
        return x + 1

    for _ in range(3):
        f(tf.constant(1.0))
    assert log == ["traced"]
    f(tf.constant([1.0]))
    assert log == ["traced", "traced"]


def test_tf_print_prints_on_every_call(capsys):
    @tf.function
    def f(x):
        print("python print")
        tf.print("tf print", x)
        return x

    f(tf.constant(1))
    f(tf.constant(2))
    f(tf.constant(3))
    out = capsys.readouterr()
    assert out.out.count("python print") == 1
    assert out.err.splitlines() == ["tf print 1", "tf print 2", "tf print 3"]


def test_variables_may_be_created_on_the_first_call_only():
    class Counter:
        def __init__(self):
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(tf.zeros([2]))
            self.v.assign_add(x)
            return self.v.read_value()

    c = Counter()
    np.testing.assert_array_equal(c(tf.constant([1.0, 2.0])).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(c(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    # the variable is a real one, created and initialized once
    assert isinstance(c.v, tf.Variable)
    np.testing.assert_array_equal(c.v.numpy(), [2.0, 4.0])


def test_creating_a_variable_on_every_call_raises():
    @tf.function
    def f(x):
        v = tf.Variable(1.0)
        return v + x

    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call"):
        f(1.0)


def test_creating_a_variable_after_the_first_call_raises():
    state = {}

    @tf.function
    def f(x):
        if x == 2:  # a Python value: the second graph creates a variable
            state["v"] = tf.Variable(1.0)
        return x

    f(1)
    with pytest.raises(ValueError, match="created a variable while tracing again"):
        f(2)


def test_first_call_creating_variables_traces_twice_like_tensorflow():
    class Lazy:
        v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(2.0)
            return self.v * x

    m = Lazy()
    assert m(tf.constant(3.0)).numpy() == 6.0
    assert m.__call__.experimental_get_tracing_count() == 2
    m(tf.constant(4.0))
    assert m.__call__.experimental_get_tracing_count() == 2


def test_variable_initializer_with_random_ops_inside_trace():
    class Layer:
        w = None

        @tf.function
        def __call__(self, x):
            if self.w is None:
                self.w = tf.Variable(tf.random.uniform([3], 0.5, 1.0))
            return x * self.w

    layer = Layer()
    first = layer(tf.ones([3])).numpy()
    again = layer(tf.ones([3])).numpy()
    np.testing.assert_array_equal(first, again)  # initialized once, not per call
    assert np.all((first >= 0.5) & (first < 1.0))
    graph = layer.__call__.get_concrete_function(tf.ones([3])).optimized_graph
    assert "RandomUniform" not in [op.type for op in graph.get_operations()]


def test_other_python_and_tf_functions_are_captured_in_the_graph():
    def helper(x):
        return x * 2.0

    inner = tf.function(lambda x: x + 1.0)

    @tf.function
    def outer(x):
        return inner(helper(x))

    assert outer(tf.constant(3.0)).numpy() == 7.0
    types = [op.type for op in outer.get_concrete_function(tf.constant(3.0)).graph
             .get_operations()]
    assert "Mul" in types and "AddV2" in types


def test_python_for_over_range_unrolls():
    @tf.function
    def f(x):
        for _ in range(4):
            x = x * 2.0
        return x

    assert f(tf.constant(1.0)).numpy() == 16.0
    graph = f.get_concrete_function(tf.constant(1.0)).graph
    assert [op.type for op in graph.get_operations()].count("Mul") == 4


def test_graph_of_traced_function_has_symbolic_tensors():
    seen = []

    @tf.function
    def f(x):
        seen.append(x)
        return x

    f(tf.constant(10))
    assert isinstance(seen[0], tf.Tensor)
    assert seen[0].shape == tf.TensorShape([]) and seen[0].dtype == tf.int32
    with pytest.raises(AttributeError, match="has no attribute 'numpy'"):  # as TensorFlow
        seen[0].numpy()


def test_variable_initializer_depending_on_an_input_raises():
    class Bad:
        v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(x * 2.0)
            return self.v

    with pytest.raises(ValueError, match="depends on the function's input"):
        Bad()(tf.constant(1.0))


def test_variables_created_under_init_scope_with_a_callable_initializer():
    class Dense:
        w = None

        @tf.function
        def __call__(self, x):
            if self.w is None:
                self.w = tf.Variable(lambda: tf.ones([2, 1]) * 0.5)
            return tf.matmul(x, self.w)

    out = Dense()(tf.constant([[1.0, 3.0]]))
    assert out.numpy().tolist() == [[2.0]]
