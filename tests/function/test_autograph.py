"""Autograph: Python control flow on tensors becomes graph control flow inside tf.function.

The reference for every converted function is the same Python function run on Python
numbers (or NumPy values), which is what its source means.
"""

import ast
import os
import subprocess
import sys
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core.errors import InvalidArgumentError
from rill.function.autograph import ConversionError, convert, to_code

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def op_types(fn, *args) -> list:
    """The op types of fn's graph, StatelessIf/StatelessWhile/StatelessCase counted as
    If/While/Case."""
    graph = fn.get_concrete_function(*args).graph
    return [op.type.replace("Stateless", "") for op in graph.get_operations()]


def line_of(fn, marker: str) -> int:
    """The file line of the first source line of `fn` that contains `marker`."""
    import inspect
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, text in enumerate(lines) if marker in text)


# -- the chapter's example ------------------------------------------------------------------------
def sum_squares(n):
    s = 0
    for i in tf.range(n):
        s += i ** 2
    return s


def test_sum_squares_becomes_a_while_loop():
    f = tf.function(sum_squares)
    assert int(f(tf.constant(10))) == sum(i ** 2 for i in range(10))
    assert int(f(tf.constant(4))) == 14  # the same graph runs another trip count
    assert f.experimental_get_tracing_count() == 1
    assert "While" in op_types(f, tf.constant(10))


def test_to_code_of_sum_squares_is_readable_python():
    f = tf.function(sum_squares)
    code = tf.autograph.to_code(f.python_function)
    assert code == tf.autograph.to_code(sum_squares)
    assert code.startswith("def tf__sum_squares(n):")
    assert "def loop_body(i, s):" in code and "ag__.for_stmt(" in code
    ast.parse(code)  # valid Python


def test_to_code_of_tensor_while_and_if():
    def collatz(x):
        steps = 0
        while x > 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps += 1
        return steps

    code = to_code(collatz)
    assert "ag__.while_stmt(loop_test, loop_body" in code
    assert "ag__.if_stmt(x % 2 == 0, if_body, else_body" in code
    assert "def loop_test(steps, x):" in code
    f = tf.function(collatz)
    assert int(f(tf.constant(27))) == collatz(27) == 111
    types = op_types(f, tf.constant(27))
    assert types.count("While") == 1 and "If" not in types  # the If is inside the loop body


# -- Python values stay Python --------------------------------------------------------------------
def test_python_conditions_and_ranges_stay_python():
    def f(x, training, n):
        if training:
            x = x * 2.0
        for _ in range(n):
            x = x + 1.0
        while n > 0 and not training:
            x = x - 1.0
            n -= 1
        return x

    g = tf.function(f)
    assert float(g(tf.constant(1.0), True, 3)) == 5.0
    assert float(g(tf.constant(1.0), False, 2)) == 1.0
    types = op_types(g, tf.constant(1.0), True, 3)
    assert "If" not in types and "While" not in types
    assert types.count("AddV2") == 3  # the Python loop was unrolled


def test_eager_tensors_take_the_python_path():
    converted = convert(sum_squares)
    assert int(converted(tf.constant(5))) == 30
    assert converted(3) is not None


def test_undefined_on_a_python_path_is_fine_until_used():
    def f(x, flag):
        if flag:
            y = x + 1
        if flag:
            return y
        return x

    g = tf.function(f)
    assert float(g(tf.constant(1.0), True)) == 2.0
    assert float(g(tf.constant(1.0), False)) == 1.0


# -- tensor conditions ----------------------------------------------------------------------------
@pytest.mark.parametrize("x", [-3.0, 0.0, 2.5])
def test_if_elif_else_on_tensors(x):
    def f(x):
        if x > 0:
            y = x * 2
        elif x < 0:
            y = -x
        else:
            y = x + 100
        return y

    g = tf.function(f)
    assert float(g(tf.constant(x))) == f(x)
    assert "If" in op_types(g, tf.constant(x))


def test_and_or_not_and_conditional_expressions():
    def f(x, y):
        if (x > 0 and y > 0) or not x < 10:
            z = x + y
        else:
            z = x - y
        return z if z > 0 else -z

    g = tf.function(f)
    for a, b in [(1.0, 2.0), (-1.0, 2.0), (11.0, -30.0), (-3.0, -1.0)]:
        assert float(g(tf.constant(a), tf.constant(b))) == f(a, b)


def test_and_is_lazy_on_tensors():
    def leading_positives(xs):
        i = 0
        n = tf.shape(xs)[0]
        while i < n and xs[i] > 0:  # xs[n] is never read
            i += 1
        return i

    g = tf.function(leading_positives)
    assert int(g(tf.constant([3, 1, -2, 5]))) == 2
    assert int(g(tf.constant([3, 1, 2]))) == 3
    assert int(g(tf.constant([-1, 4]))) == 0


def test_loop_over_tensor_rows_and_python_lists():
    def f(m, scales):
        total = tf.zeros([2])
        for row in m:
            total += row
        for s in scales:  # a Python list: unrolled
            total *= s
        return total

    g = tf.function(f)
    m = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(g(tf.constant(m), [2.0, 3.0]).numpy(), m.sum(0) * 6)
    types = op_types(g, tf.constant(m), [2.0, 3.0])
    assert types.count("While") == 1


def test_variables_as_loop_condition_without_loop_variables():
    v = tf.Variable(0)

    @tf.function
    def count_to(n):
        while v < n:
            v.assign_add(1)
        return v.read_value()

    assert int(count_to(tf.constant(5))) == 5
    assert int(count_to(tf.constant(8))) == 8


def test_len_and_range_of_tensors():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def f(xs):
        total = 0
        for i in range(len(xs)):
            total += xs[i] * i
        return total

    assert int(f(tf.constant([5, 6, 7]))) == 0 * 5 + 1 * 6 + 2 * 7


def test_assert_statement_on_tensors():
    @tf.function
    def checked_sqrt(x):
        assert x >= 0, "x must be non-negative"
        return tf.sqrt(x)

    assert float(checked_sqrt(tf.constant(4.0))) == 2.0
    with pytest.raises(Exception, match="x must be non-negative"):
        checked_sqrt(tf.constant(-4.0))


def gcd_steps(a, b):
    steps = 0
    while b != 0:
        if a > b:
            a = a - b
        else:
            b = b - a
        steps += 1
        if steps >= 50:
            break
    return a, steps


GCD_STEPS = tf.function(gcd_steps)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 40))
def test_converted_loops_agree_with_python(a, b):
    got = GCD_STEPS(tf.constant(a), tf.constant(b))
    assert [int(v) for v in got] == list(gcd_steps(a, b))
    assert GCD_STEPS.experimental_get_tracing_count() == 1  # one graph for every input


# -- break, continue, return ----------------------------------------------------------------------
def break_continue(n):
    total = 0
    i = 0
    while True:
        i += 1
        if i > n:
            break
        if i % 3 == 0:
            continue
        total += i
    return total


def first_index_above(xs, limit):
    for i in tf.range(tf.shape(xs)[0]):
        if xs[i] > limit:
            return i
    return -1


def for_else(xs):
    found = 0
    for x in xs:
        if x < 0:
            found = x
            break
    else:
        found = 100
    return found


@pytest.mark.parametrize("n", [0, 1, 7, 12])
def test_break_and_continue_in_a_tensor_while(n):
    g = tf.function(break_continue)
    assert int(g(tf.constant(n))) == break_continue(n)
    assert "While" in op_types(g, tf.constant(n))


@pytest.mark.parametrize("limit, expected", [(0, 0), (4, 2), (7, 3), (100, -1)])
def test_return_inside_a_tensor_loop(limit, expected):
    g = tf.function(first_index_above)
    xs = tf.constant([1, 3, 5, 9])
    assert int(g(xs, tf.constant(limit))) == expected


def test_continue_in_a_for_over_tf_range():
    def f(n):
        s = 0
        for i in tf.range(n):
            if i % 2 == 0:
                continue
            s += i
        return s

    assert int(tf.function(f)(tf.constant(10))) == 1 + 3 + 5 + 7 + 9


def test_break_in_python_loop_stays_python():
    g = tf.function(for_else)
    assert int(g([1, -2, 3])) == -2
    assert int(g([1, 2, 3])) == 100
    assert int(g(tf.constant([1, -2, 3]))) == -2
    assert int(g(tf.constant([1, 2, 3]))) == 100


def test_nested_loops_with_breaks():
    def f(n):
        count = 0
        for i in tf.range(n):
            j = 0
            while j < i:
                if j == 3:
                    break
                count += 1
                j += 1
        return count

    def reference(n):
        return sum(min(i, 3) for i in range(n))

    g = tf.function(f)
    for n in (0, 2, 6):
        assert int(g(tf.constant(n))) == reference(n)


# -- variables of branches and loops --------------------------------------------------------------
def test_variable_defined_in_one_branch_only_is_an_error():
    def f(x):
        if x > 0:
            y = 1
        return y

    with pytest.raises(ValueError, match="'y' must also be initialized in the else branch"):
        tf.function(f)(tf.constant(1))


def test_temporaries_local_to_a_branch_need_no_else():
    def f(x):
        if x > 0:
            tmp = x * 2
            x = tmp + 1
        return x

    assert int(tf.function(f)(tf.constant(3))) == 7
    assert int(tf.function(f)(tf.constant(-3))) == -3


def test_branch_dtypes_must_agree():
    def f(x):
        if x > 0:
            y = 1.0
        else:
            y = 2
        return y

    with pytest.raises(TypeError, match="'y'.*float32.*int32"):
        tf.function(f)(tf.constant(1))


def test_loop_variable_first_assigned_in_the_loop():
    def f(n):
        i = 0
        while i < n:
            last = i * 10
            i += 1
        return last

    assert int(tf.function(f)(tf.constant(10))) == 90


def test_loop_dtype_change_is_an_error():
    def f(xs):
        s = 0
        for x in xs:
            s += x
        return s

    with pytest.raises(Exception, match="int32|float32"):
        tf.function(f)(tf.constant([1.0, 2.0]))


def test_changing_shapes_need_set_loop_options():
    def grow(n):
        y = tf.zeros([1])
        for _ in tf.range(n):
            y = tf.concat([y, y], 0)
        return y

    def grow_declared(n):
        y = tf.zeros([1])
        for _ in tf.range(n):
            tf.autograph.experimental.set_loop_options(
                shape_invariants=[(y, tf.TensorShape([None]))])
            y = tf.concat([y, y], 0)
        return y

    with pytest.raises(ValueError, match="set_loop_options") as e:
        tf.function(grow)(tf.constant(3))
    assert "'y' enters the loop with shape (1,)" in str(e.value)
    assert tf.function(grow_declared)(tf.constant(3)).shape == (8,)


def test_set_loop_options_maximum_iterations():
    def f(n):
        i = 0
        while i < n:
            tf.autograph.experimental.set_loop_options(maximum_iterations=3)
            i += 1
        return i

    g = tf.function(f)
    assert int(g(tf.constant(10))) == 3
    assert int(g(tf.constant(2))) == 2


def test_closures_globals_and_nonlocal_updates():
    calls = []
    scale = 3.0

    def f(x):
        nonlocal scale
        calls.append(1)
        if x > 0:
            y = x * scale
        else:
            y = x
        scale = 4.0
        return y

    g = tf.function(f)
    assert float(g(tf.constant(2.0))) == 6.0
    assert scale == 4.0 and calls == [1]  # the converted function shares the closure cells


# -- recursive conversion -------------------------------------------------------------------------
def relu_like(x):
    if x > 0:
        return x
    return 0.0 * x


@tf.autograph.experimental.do_not_convert
def not_converted(x):
    if x > 0:
        return x
    return -x


def test_user_functions_called_from_converted_code_are_converted():
    @tf.function
    def f(x):
        return relu_like(x) + relu_like(-x)

    assert float(f(tf.constant(3.0))) == 3.0
    assert float(f(tf.constant(-2.0))) == 2.0


def test_do_not_convert_leaves_the_function_as_written():
    f = tf.function(lambda x: not_converted(x))
    with pytest.raises(TypeError, match="Python `bool`"):
        f(tf.constant(1.0))


def test_library_functions_are_called_as_they_are():
    @tf.function
    def f(x):
        return tf.reduce_sum(x) + np.float32(np.sqrt(4.0))

    assert float(f(tf.constant([1.0, 2.0]))) == 5.0


def test_methods_with_super_and_nested_functions():
    class Base:
        def scale(self, x):
            return x * 2.0

    class Child(Base):
        def scale(self, x):
            def clip(v):
                if v > 10.0:
                    v = tf.constant(10.0)
                return v
            return clip(super().scale(x)) + 1.0

    obj = Child()
    g = tf.function(obj.scale)
    assert float(g(tf.constant(3.0))) == 7.0
    assert float(g(tf.constant(30.0))) == 11.0


def test_functions_without_source_fall_back():
    namespace = {"tf": tf}
    exec("def f(x):\n    return x * 2\n", namespace)
    with pytest.raises(ConversionError, match="source code"):
        convert(namespace["f"])
    assert float(tf.function(namespace["f"])(tf.constant(2.0))) == 4.0

    def caller(x):
        return namespace["f"](x) + 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert float(tf.function(caller)(tf.constant(2.0))) == 5.0
    assert any("could not transform" in str(w.message) for w in caught)


def test_generators_and_lambdas_are_not_converted():
    def gen(x):
        yield x

    with pytest.raises(ConversionError):
        convert(gen)
    with pytest.raises(ConversionError):
        convert(lambda x: x)


# -- errors point at the user's line --------------------------------------------------------------
def failing(x):
    if x > 0:
        y = x + 1
    else:
        raise ValueError("negative input")  # error-line
    return y


def test_errors_point_at_the_users_file_and_line():
    g = tf.function(failing)
    with pytest.raises(ValueError, match="negative input") as e:
        g(tf.constant(1.0))
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(e.value.__traceback__)]
    assert (__file__, line_of(failing, "error-line")) in frames


def test_converted_code_keeps_line_numbers():
    converted = convert(failing)
    code_lines = set()
    for const in converted.__code__.co_consts:
        if hasattr(const, "co_lines"):
            code_lines |= {line for _, _, line in const.co_lines() if line}
    assert line_of(failing, "error-line") in code_lines
    assert converted.__code__.co_filename == __file__


def test_trace_time_type_errors_show_the_user_line():
    def bad(x):
        while x < 10:
            x = x + "text"  # bad-line
        return x

    with pytest.raises(Exception) as e:
        tf.function(bad)(tf.constant(1))
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(e.value.__traceback__)]
    assert (__file__, line_of(bad, "bad-line")) in frames


def test_run_time_errors_in_branches_name_the_users_line():
    @tf.function
    def pick(xs, i):
        if i >= 0:
            y = tf.gather(xs, i)  # gather-line
        else:
            y = xs[0]
        return y

    with pytest.raises(InvalidArgumentError) as e:
        pick(tf.constant([1, 2]), tf.constant(5))
    assert f"{__file__}:{line_of(pick.python_function, 'gather-line')}" in str(e.value)


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
PARITY_SCRIPT = r'''
import numpy as np
import {module} as tf

def sum_squares(n):
    s = 0
    for i in tf.range(n):
        s += i ** 2
    return s

def collatz(x):
    steps = 0
    while x > 1:
        if x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + 1
        steps += 1
    return steps

def skip_multiples(n):
    total = 0
    for i in tf.range(n):
        if i % 3 == 0:
            continue
        if total > 20:
            break
        total += i
    return total

def last_value(n):
    i = 0
    while i < n:
        last = i * 10
        i += 1
    return last

def ops(x):
    y = tf.cond(x > 0, lambda: x * 2.0, lambda: -x)
    z = tf.switch_case(tf.cast(x, tf.int32) % 3, [lambda: 1.0, lambda: 2.0, lambda: 3.0])
    w = tf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * x), (0, 1.0))[1]
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(3):
        ta = ta.write(i, x * tf.cast(i, tf.float32))
    return y, z, w, ta.stack()

for name, f, args in [
        ("sum_squares", sum_squares, [tf.constant(10)]),
        ("collatz", collatz, [tf.constant(27)]),
        ("skip_multiples", skip_multiples, [tf.constant(30)]),
        ("last_value", last_value, [tf.constant(10)]),
        ("ops", ops, [tf.constant(5.0)]), ("ops", ops, [tf.constant(-1.0)])]:
    out = tf.nest.map_structure(lambda t: np.asarray(t).tolist(), tf.function(f)(*args))
    print(name, out)

x = tf.constant(0.5)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.function(lambda x: tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.sin(a) + x),
                                            (0, x))[1])(x)
print("grad", round(float(tape.gradient(y, x)), 5))
'''


def test_same_results_as_tensorflow(tmp_path, tf_python):  # RILL_TF_PYTHON: tests/conftest.py
    outputs = []
    for python, module in ((sys.executable, "rill"), (tf_python, "tensorflow")):
        script = tmp_path / f"parity_{module}.py"  # a file: autograph reads the source
        script.write_text(PARITY_SCRIPT.format(module=module))
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        run = subprocess.run([python, str(script)], capture_output=True, text=True, env=env,
                             timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
