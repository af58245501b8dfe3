"""Graph optimization passes, readable graphs and the generated code."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core.graph import Graph
from rill.function import codegen, optimize

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def _types(graph):
    return [op.type for op in graph.get_operations()]


def _concrete(fn, *args):
    return tf.function(fn).get_concrete_function(*args)


def test_constant_folding_and_pruning_are_visible_in_the_graphs():
    def f(x):
        unused = x * 5.0  # noqa: F841 - pruned: neither an output nor a side effect
        return x + tf.constant(1.0) + tf.constant(2.0) * tf.constant(3.0)

    cf = _concrete(f, tf.constant(0.5))
    traced = cf.graph
    assert _types(traced).count("Mul") == 2
    assert _types(traced).count("Const") == 4
    opt = cf.optimized_graph
    # x * 5 is gone; 2 * 3 became one constant 6
    assert _types(opt) == ["Placeholder", "Const", "AddV2", "Const", "AddV2"]
    folded = [op for op in opt.get_operations() if op.type == "Const"]
    assert sorted(float(op.get_attr("value")) for op in folded) == [1.0, 6.0]
    assert cf(tf.constant(0.5)).numpy() == 7.5
    text = opt.as_text()
    assert "Mul_1 = Const(6.0)" in text  # the folded op keeps its name, now a constant


def test_one_plus_two_becomes_a_const_three():
    cf = _concrete(lambda: tf.constant(1) + tf.constant(2))
    ops = cf.optimized_graph.get_operations()
    assert [op.type for op in ops] == ["Const"]
    assert int(ops[0].get_attr("value")) == 3
    assert cf().numpy() == 3


def test_common_subexpressions_are_merged():
    def f(x):
        return tf.exp(x * 2.0) + tf.exp(x * 2.0)

    cf = _concrete(f, tf.constant([1.0, 2.0]))
    assert _types(cf.graph).count("Exp") == 2
    assert _types(cf.optimized_graph).count("Exp") == 1
    assert _types(cf.optimized_graph).count("Mul") == 1
    np.testing.assert_allclose(cf(tf.constant([1.0, 2.0])).numpy(),
                               2 * np.exp([2.0, 4.0]), rtol=1e-6)


def test_equal_constants_are_merged_even_as_arrays():
    def f(x):
        return x + tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0]) + tf.constant([1.0, 3.0])

    cf = _concrete(f, tf.zeros([2]))
    consts = [op for op in cf.optimized_graph.get_operations() if op.type == "Const"]
    assert len(consts) == 2
    np.testing.assert_array_equal(cf(tf.zeros([2])).numpy(), [3.0, 7.0])


def test_identities_are_simplified():
    def f(x):
        y = x * 1.0
        y = 1.0 * y + 0.0
        y = y - 0.0
        y = y / 1.0
        return tf.identity(y)

    cf = _concrete(f, tf.constant([1.0, -2.0]))
    assert _types(cf.optimized_graph) == ["Placeholder"]
    np.testing.assert_array_equal(cf(tf.constant([1.0, -2.0])).numpy(), [1.0, -2.0])


def test_identity_simplification_respects_broadcasting():
    # x * ones([2]) broadcasts a scalar x to shape (2,): not an identity
    cf = _concrete(lambda x: x * tf.ones([2]), tf.constant(3.0))
    assert "Mul" in _types(cf.optimized_graph)
    np.testing.assert_array_equal(cf(tf.constant(3.0)).numpy(), [3.0, 3.0])
    # x + 0 with another dtype is a dtype error at trace time, never a silent identity
    with pytest.raises(Exception):
        _concrete(lambda x: x + tf.constant(0, tf.int32), tf.constant(1.0))


def test_stateful_ops_are_kept_in_program_order():
    v = tf.Variable(1.0)

    def f():
        a = v.read_value()
        v.assign(10.0)  # unused result: kept, it is a side effect
        b = v.read_value()
        tf.random.uniform([])  # unused random op: kept (it advances the generator)
        return a, b

    cf = _concrete(f)
    types = _types(cf.optimized_graph)
    assert types.index("AssignVariableOp") < types.index("ReadVariableOp", 1)
    assert "RandomUniform" in types
    a, b = cf()
    assert a.numpy() == 1.0 and b.numpy() == 10.0


def test_reads_of_one_variable_are_not_merged_across_an_assignment():
    v = tf.Variable(1.0)

    def f():
        before = v + 0.5
        v.assign_add(1.0)
        after = v + 0.5
        return before, after

    before, after = tf.function(f)()
    assert (before.numpy(), after.numpy()) == (1.5, 2.5)


def test_unused_variable_reads_are_pruned():
    v = tf.Variable(1.0)

    def f(x):
        v.read_value()
        return x

    cf = _concrete(f, tf.constant(1.0))
    assert "ReadVariableOp" in _types(cf.graph)
    assert "ReadVariableOp" not in _types(cf.optimized_graph)


def test_shape_only_ops_fold_when_shapes_are_static():
    def f(x):
        return tf.ones_like(x) * x

    cf = _concrete(f, tf.constant([2.0, 3.0]))
    assert "OnesLike" not in _types(cf.optimized_graph)
    np.testing.assert_array_equal(cf(tf.constant([2.0, 3.0])).numpy(), [2.0, 3.0])


def test_graph_text_lists_one_line_per_op():
    cf = _concrete(lambda x: x ** 3, tf.constant(2.0))
    lines = cf.graph.as_text().splitlines()
    assert lines[0] == "graph '<lambda>' (3 operations)"
    assert lines[1].startswith("  x = Placeholder()") and lines[1].endswith("# () float32")
    assert lines[2].startswith("  Const = Const(3.0)")
    assert lines[3].startswith("  Pow = Pow(x, Const)") and lines[3].endswith("# () float32")
    assert lines[4] == "  return Pow"
    assert str(cf.graph) == cf.graph.as_text()
    assert cf.pretty_printed_graph(optimized=True) == cf.optimized_graph.as_text()


def test_generated_code_is_one_line_per_op_with_in_place_reuse():
    def chain(x):
        for i in range(6):
            x = x * 1.0001 if i % 2 == 0 else x + 0.001
        return x

    cf = _concrete(chain, tf.zeros([1000]))
    body = [line.strip() for line in cf.generated_source.splitlines()]
    calls = [line for line in body if "= _Mul(" in line or "= _AddV2(" in line]
    assert len(calls) == 6
    assert "out=" not in calls[0]  # the input belongs to the caller: never overwritten
    assert all("out=" in line for line in calls[1:])
    x = np.random.default_rng(0).random(1000).astype(np.float32)
    expected = x.astype(np.float64)
    for i in range(6):
        expected = expected * 1.0001 if i % 2 == 0 else expected + 0.001
    out = cf(tf.constant(x)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_array_equal(x, np.asarray(x))  # the input is untouched
    assert out is not cf(tf.constant(x)).numpy()  # every call returns fresh buffers


def test_no_in_place_write_into_a_buffer_that_is_still_needed():
    def f(x):
        a = x * 2.0
        b = a + 1.0  # a is used again below: b must not overwrite it
        return b * a, a

    cf = _concrete(f, tf.constant([1.0, 2.0]))
    prod, a = cf(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(a.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(prod.numpy(), [6.0, 20.0])


def test_no_in_place_write_into_a_variable_value():
    v = tf.Variable([1.0, 2.0])

    def f():
        r = v * 1.5
        v.assign(r)  # the variable now holds r's buffer
        return r + 1.0

    out = tf.function(f)()
    np.testing.assert_array_equal(out.numpy(), [2.5, 4.0])
    np.testing.assert_array_equal(v.numpy(), [1.5, 3.0])


def test_in_place_with_unknown_dimensions():
    f = tf.function(lambda x: (x * 2.0 + 1.0) * 3.0, input_signature=[tf.TensorSpec([None])])
    src = f.get_concrete_function().generated_source
    assert src.count("out=") == 2
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [9.0, 15.0])
    np.testing.assert_array_equal(f(tf.constant([0.0])).numpy(), [3.0])


def test_a_matmul_product_is_overwritten_by_the_next_elementwise_op():
    f = tf.function(lambda a, b: tf.matmul(a, b) * 0.5 + 1.0)
    a, b = tf.ones([2, 3]), tf.ones([3, 2])
    src = f.get_concrete_function(a, b).generated_source
    assert src.count("out=") == 2  # MatMul declares a fresh output
    np.testing.assert_array_equal(f(a, b).numpy(), np.full([2, 2], 2.5))


def test_scalar_arithmetic_runs_as_python_operators_with_the_ufunc_results():
    def f(a, b):
        c = (a * b - a) / (b + 1.0)
        return -c, tf.pow(c, b), tf.ones([3]) * c

    cf = _concrete(f, tf.constant(0.3), tf.constant(1.7))
    body = [line.strip() for line in cf.generated_source.splitlines()]
    assert any(line.endswith("= a0 * a1") for line in body)
    assert any(" / " in line for line in body) and any("= -t" in line for line in body)
    assert any("_Pow(" in line for line in body)  # scalar power differs from np.power: kept
    assert any("_Mul(" in line for line in body)  # a vector operand: the ufunc
    rng = np.random.default_rng(1)
    for a, b in rng.uniform(-3, 3, size=(50, 2)).astype(np.float32):
        got = cf(tf.constant(a), tf.constant(b))
        want = f(tf.constant(a), tf.constant(b))  # eager: NumPy ufuncs
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_round_trip_casts_and_reductions_over_no_axis_are_removed():
    def f(x):
        wide = tf.cast(x, tf.float64)
        back = tf.cast(wide, tf.float32)
        return tf.reduce_sum(tf.reduce_mean(back), axis=[]), tf.cast(tf.cast(x, tf.int32),
                                                                        tf.float32)

    cf = _concrete(f, tf.constant([1.5, -2.5]))
    types = _types(cf.optimized_graph)
    assert types.count("Cast") == 2  # float -> int -> float truncates: kept
    assert types.count("Mean") == 1 and "Sum" not in types
    mean, truncated = cf(tf.constant([1.5, -2.5]))
    assert float(mean) == -0.5
    np.testing.assert_array_equal(truncated.numpy(), [1.0, -2.0])


def test_values_are_deleted_before_a_variable_update_and_unused_results_not_kept():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f(x):
        y = v * x
        v.assign_add(x)
        return y

    src = f.get_concrete_function(tf.constant([1.0, 1.0])).generated_source
    body = [line.strip() for line in src.splitlines()]
    update = next(i for i, line in enumerate(body) if "AssignAddVariableOp" in line)
    assert body[update - 1].startswith("del ") and body[update].startswith("_Assign")
    np.testing.assert_array_equal(f(tf.constant([1.0, 1.0])).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])


def test_compile_graph_on_a_hand_built_graph():
    g = Graph("hand")
    with g.as_default():
        x = g.add_placeholder([2], tf.float32, "x")
        y = g.add_placeholder([2], tf.float32, "y")
        s = x + y
        d = x - y
    fn = codegen.compile_graph(g, [x, y], [s, d])
    out = fn(np.array([1.0, 2.0], np.float32), np.array([3.0, 5.0], np.float32))
    assert isinstance(out, tuple) and len(out) == 2
    np.testing.assert_array_equal(out[0], [4.0, 7.0])
    np.testing.assert_array_equal(out[1], [-2.0, -3.0])
    assert fn.graph.name == "hand/optimized"


def test_compile_graph_rejects_unfed_placeholders():
    g = Graph("partial")
    with g.as_default():
        x = g.add_placeholder([], tf.float32, "x")
        y = g.add_placeholder([], tf.float32, "y")
        s = x * y
    with pytest.raises(ValueError, match="not among the inputs"):
        codegen.compile_graph(g, [x], [s])


def test_optimize_returns_a_new_graph_and_keeps_the_traced_one():
    cf = _concrete(lambda x: x * 1.0 + 2.0 * 3.0, tf.constant(1.0))
    before = _types(cf.graph)
    g, ins, outs = optimize.optimize(cf.graph, cf.inputs, cf.outputs)
    assert _types(cf.graph) == before
    assert g is not cf.graph and len(ins) == 1 and len(outs) == 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["mul", "add", "sub", "exp", "neg", "square", "const"]),
                min_size=1, max_size=12),
       st.integers(1, 4))
def test_compiled_equals_eager_on_random_programs(program, n):
    def f(x):
        y = x
        for step in program:
            if step == "mul":
                y = y * 0.5
            elif step == "add":
                y = y + x
            elif step == "sub":
                y = y - 0.25
            elif step == "exp":
                y = tf.exp(y * 0.1)
            elif step == "neg":
                y = -y
            elif step == "square":
                y = tf.square(y)
            else:
                y = y + tf.constant(2.0) * tf.constant(0.5)
        return y, x * 2.0

    x = tf.constant(np.linspace(-1, 1, n).astype(np.float32))
    eager = f(x)
    compiled = tf.function(f)(x)
    for a, b in zip(eager, compiled):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6)
