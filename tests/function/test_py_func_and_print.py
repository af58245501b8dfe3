"""tf.py_function, tf.numpy_function and tf.print."""

import sys

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError
from rill.function.printing import tensor_text


# -- py_function / numpy_function ---------------------------------------------------------
def test_py_function_runs_on_every_call_with_eager_tensors():
    seen = []

    def py(a, b):
        seen.append(type(a).__name__)
        return a * 2.0, b + 1

    @tf.function
    def f(x):
        out = tf.py_function(py, [x, tf.constant(1)], Tout=[tf.float32, tf.int32])
        assert out[0].shape.rank is None  # the Python code decides the shape
        return out

    for v in (1.0, 2.0, 3.0):
        a, b = f(tf.constant(v))
        assert a.numpy() == 2 * v and b.numpy() == 2
    assert seen == ["EagerTensor"] * 3
    assert f.experimental_get_tracing_count() == 1


def test_py_function_with_a_single_dtype_returns_one_tensor():
    out = tf.py_function(lambda a: a + 1, [tf.constant([1, 2])], Tout=tf.int32)
    assert isinstance(out, tf.Tensor)
    np.testing.assert_array_equal(out.numpy(), [2, 3])


def test_py_function_is_differentiable():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.py_function(lambda a: a ** 2, [x], tf.float32)
    assert tape.gradient(y, x).numpy() == 6.0

    f = tf.function(lambda a: tf.py_function(lambda t: tf.sin(t), [a], tf.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.cos(3.0), rtol=1e-6)


def test_numpy_function_passes_arrays():
    kinds = []

    def np_fn(a):
        kinds.append(type(a))
        return np.sort(a)[::-1].copy()

    f = tf.function(lambda x: tf.numpy_function(np_fn, [x], tf.int32))
    np.testing.assert_array_equal(f(tf.constant([2, 3, 1])).numpy(), [3, 2, 1])
    np.testing.assert_array_equal(f(tf.constant([5, 4, 6])).numpy(), [6, 5, 4])
    assert kinds == [np.ndarray, np.ndarray]


def test_py_function_errors_become_invalid_argument_errors():
    def boom(a):
        raise ValueError("boom")

    f = tf.function(lambda x: tf.py_function(boom, [x], tf.float32))
    with pytest.raises(InvalidArgumentError, match="ValueError: boom"):
        f(tf.constant(1.0))
    with pytest.raises(InvalidArgumentError, match="ValueError: boom"):
        tf.py_function(boom, [tf.constant(1.0)], tf.float32)


def test_py_function_checks_the_number_of_results():
    with pytest.raises(InvalidArgumentError, match="returned 1 values but Tout declares 2"):
        tf.py_function(lambda a: a, [tf.constant(1.0)], [tf.float32, tf.float32])


# -- tf.print -----------------------------------------------------------------------------
def test_print_format_of_scalars_and_vectors(capsys):
    tf.print(tf.constant(3.0), tf.constant(0.1, tf.float64), tf.constant(True),
             tf.constant([True, False]), output_stream=sys.stdout)
    tf.print("x is", tf.constant(3), [1, 2], {"b": 1, "a": tf.constant(2)},
             output_stream=sys.stdout)
    assert capsys.readouterr().out == "3 0.1 1 [1 0]\nx is 3 [1, 2] {'a': 2, 'b': 1}\n"


def test_print_floats_use_the_shortest_exact_digits():
    # float32: 6 significant digits when they read back exactly, else 9
    assert tensor_text(np.array([0.1, 1 / 3, 123456789.0, 1e20, 100.0], np.float32)) == \
        "[0.1 0.333333343 123456792 1e+20 100]"
    assert tensor_text(np.array([1 / 3, 0.1]), summarize=-1) == "[0.33333333333333331 0.1]"
    assert tensor_text(np.array([np.nan, np.inf, -np.inf], np.float32)) == "[nan inf -inf]"


def test_print_summarizes_long_dimensions():
    assert tensor_text(np.arange(7)) == "[0 1 2 ... 4 5 6]"
    assert tensor_text(np.arange(6)) == "[0 1 2 3 4 5]"
    assert tensor_text(np.arange(10), summarize=-1) == "[0 1 2 3 4 5 6 7 8 9]"
    assert tensor_text(np.arange(100).reshape(10, 10), summarize=2) == (
        "[[0 1 ... 8 9]\n [10 11 ... 18 19]\n ...\n [80 81 ... 88 89]\n [90 91 ... 98 99]]")
    assert tensor_text(np.arange(24).reshape(2, 3, 4)) == (
        "[[[0 1 2 3]\n  [4 5 6 7]\n  [8 9 10 11]]\n\n"
        " [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]")


def test_print_strings(capsys):
    tf.print("a", tf.constant("b"), ["c", tf.constant("d")], tf.constant(["x\ny", 'q"'], ),
             output_stream=sys.stdout)
    assert capsys.readouterr().out == 'a "b" [\'c\', "d"] ["x\\ny" "q\\""]\n'


def test_print_sep_end_and_default_stream(capsys):
    tf.print("a", "b", sep=", ", end=";\n")
    tf.print()
    err = capsys.readouterr().err
    assert err == "a, b;\n\n"


def test_print_to_a_file(tmp_path):
    path = tmp_path / "log.txt"
    f = tf.function(lambda x: tf.print("value", x, output_stream=f"file://{path}"))
    f(tf.constant(1))
    f(tf.constant(2))
    assert path.read_text() == "value 1\nvalue 2\n"


def test_print_of_a_variable_and_its_return_value(capsys):
    v = tf.Variable([1.0, 2.5])
    assert tf.print(v, output_stream=sys.stdout) is None
    assert capsys.readouterr().out == "[1 2.5]\n"


def test_print_keeps_its_place_among_stateful_ops(capsys):
    v = tf.Variable(0)

    @tf.function
    def f():
        tf.print("before", v, output_stream=sys.stdout)
        v.assign_add(1)
        tf.print("after", v, output_stream=sys.stdout)

    f()
    f()
    assert capsys.readouterr().out.splitlines() == ["before 0", "after 1", "before 1",
                                                    "after 2"]


def test_print_rejects_unknown_streams():
    with pytest.raises(ValueError, match="output_stream"):
        tf.print("x", output_stream="somewhere")
