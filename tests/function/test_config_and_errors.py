"""tf.config, tf.executing_eagerly, tf.init_scope, and errors that point at the user's line."""

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError


@pytest.fixture
def eager_functions():
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


def test_run_functions_eagerly_runs_the_python_function(eager_functions):
    calls = []

    @tf.function
    def f(x):
        calls.append(tf.executing_eagerly())
        return x.numpy() * 2  # only possible eagerly

    assert tf.config.functions_run_eagerly()
    assert f(tf.constant(2)) == 4
    f(tf.constant(2))
    assert calls == [True, True]
    assert f.experimental_get_tracing_count() == 0


def test_switching_back_compiles_again():
    f = tf.function(lambda x: x + 1)
    f(tf.constant(1))
    tf.config.run_functions_eagerly(True)
    try:
        assert f(tf.constant(1)).numpy() == 2
    finally:
        tf.config.run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()
    assert f(tf.constant(1)).numpy() == 2
    assert f.experimental_get_tracing_count() == 1


def test_executing_eagerly_is_false_while_tracing():
    seen = []
    f = tf.function(lambda x: seen.append(tf.executing_eagerly()) or x)
    f(tf.constant(1))
    assert tf.executing_eagerly() and seen == [False]


def test_init_scope_runs_eagerly_inside_a_trace():
    seen = []

    @tf.function
    def f(x):
        with tf.init_scope():
            seen.append((tf.executing_eagerly(), float(tf.constant(2.0) * 3.0)))
        return x

    f(tf.constant(1))
    assert seen == [(True, 6.0)]


def test_devices_and_threads():
    cpus = tf.config.list_physical_devices("CPU")
    assert len(cpus) == 1 and cpus[0].device_type == "CPU"
    assert cpus[0].name == "/physical_device:CPU:0"
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.config.list_logical_devices("CPU")[0].name == "/device:CPU:0"
    before = tf.config.threading.get_intra_op_parallelism_threads()
    tf.config.threading.set_intra_op_parallelism_threads(2)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 2
    tf.config.threading.set_intra_op_parallelism_threads(before)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.set_memory_growth(cpus[0], True)
    assert tf.config.experimental.get_memory_growth(cpus[0])
    tf.config.set_soft_device_placement(True)
    assert tf.config.get_soft_device_placement()


def test_jit_compile_is_accepted():
    f = tf.function(lambda x: x * 2, jit_compile=True)
    assert f(tf.constant(3)).numpy() == 6


def test_runtime_error_names_the_op_and_the_users_line():
    @tf.function(input_signature=[tf.TensorSpec([None])])
    def f(x):
        y = x + 1.0
        return tf.reshape(y, [2, 2])  # fails at run time for 3 elements

    np.testing.assert_array_equal(f(tf.zeros([4])).numpy(), np.ones((2, 2)))
    with pytest.raises(InvalidArgumentError) as info:
        f(tf.zeros([3]))
    msg = str(info.value)
    assert "operation 'Reshape' (Reshape)" in msg
    assert f"{__file__}:" in msg and "return tf.reshape(y, [2, 2])" in msg
    assert "inputs [(3,) float32" in msg
    assert info.value.source[0] == __file__


def test_errors_raised_by_python_kernels_are_located_too():
    def bad(a):
        raise RuntimeError("no")

    f = tf.function(lambda x: tf.numpy_function(bad, [x], tf.float32))
    with pytest.raises(InvalidArgumentError, match="RuntimeError: no") as info:
        f(tf.constant(1.0))
    assert "created at" in str(info.value)


def test_tracing_errors_surface_from_the_users_code():
    @tf.function
    def f(x):
        return tf.reshape(x, [5])

    with pytest.raises(Exception) as info:
        f(tf.zeros([3]))
    assert any(entry.path.name == "test_config_and_errors.py" for entry in info.traceback)


def test_python_bool_of_a_symbolic_tensor_explains_itself():
    @tf.function(autograph=False)
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="autograph"):
        f(tf.constant(1.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_check_numerics_sees_the_ops_of_a_compiled_function():
    f = tf.function(lambda x: tf.math.log(x) * 2.0)
    f(tf.constant(1.0))
    tf.debugging.enable_check_numerics()
    try:
        with pytest.raises(InvalidArgumentError, match="Log"):
            f(tf.constant(-1.0))
    finally:
        tf.debugging.disable_check_numerics()
    assert np.isnan(f(tf.constant(-1.0)).numpy())
