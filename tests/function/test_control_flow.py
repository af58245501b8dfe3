"""tf.cond, tf.case, tf.switch_case and tf.while_loop: eagerly, traced, and differentiated.

Traced tests use tf.function(autograph=False), so that only the explicit control-flow calls
build graph control flow. Expected values come from plain Python arithmetic or from central
differences in float64.
"""

from collections import namedtuple

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError, OutOfRangeError

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def graph_fn(f):
    return tf.function(f, autograph=False)


def op_types(fn, *args) -> list:
    """The op types of fn's graph, StatelessIf/StatelessWhile/StatelessCase counted as
    If/While/Case."""
    graph = fn.get_concrete_function(*args).graph
    return [op.type.replace("Stateless", "") for op in graph.get_operations()]


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of a float64 array."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


# -- tf.cond --------------------------------------------------------------------------------------
class TestCondEager:
    def test_runs_only_the_chosen_branch(self):
        ran = []
        x = tf.constant(3.0)
        out = tf.cond(x > 0, lambda: ran.append("t") or x * 2, lambda: ran.append("f") or -x)
        assert float(out) == 6.0 and ran == ["t"]
        out = tf.cond(x < 0, lambda: ran.append("t") or x * 2, lambda: ran.append("f") or -x)
        assert float(out) == -3.0 and ran == ["t", "f"]

    def test_python_bool_and_python_results(self):
        assert tf.cond(True, lambda: 1, lambda: 2) == 1
        assert tf.cond(tf.constant(False), lambda: "a", lambda: "b") == "b"

    def test_non_scalar_predicate_is_an_error(self):
        with pytest.raises(ValueError, match="scalar"):
            tf.cond(tf.constant([True, False]), lambda: 1, lambda: 2)

    def test_branches_must_be_callable(self):
        with pytest.raises(TypeError, match="true_fn must be callable"):
            tf.cond(True, 1, lambda: 2)

    def test_gradient_follows_the_branch_that_ran(self):
        x = tf.constant(0.5, tf.float64)
        for pred, expected in ((True, 3 * 0.5 ** 2), (False, np.cos(0.5))):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.cond(pred, lambda: x ** 3, lambda: tf.sin(x))
            assert np.isclose(tape.gradient(y, x).numpy(), expected)


class TestCondTraced:
    def test_both_branches_are_traced_once_and_chosen_at_run_time(self):
        traced = []

        @graph_fn
        def f(x):
            return tf.cond(x > 0, lambda: traced.append("t") or x * 2.0,
                           lambda: traced.append("f") or x - 1.0)

        assert f(tf.constant(3.0)).numpy() == 6.0
        assert f(tf.constant(-3.0)).numpy() == -4.0
        assert sorted(traced) == ["f", "t"]  # one trace: both branches, once each
        assert "If" in op_types(f, tf.constant(1.0))

    def test_nested_structures_and_python_values(self):
        @graph_fn
        def f(x):
            return tf.cond(x > 0, lambda: {"a": x, "b": (x * 2, 1)},
                           lambda: {"a": -x, "b": (x * 3, 2)})

        out = f(tf.constant(2.0))
        assert out["a"].numpy() == 2.0 and out["b"][0].numpy() == 4.0
        assert out["b"][1].numpy() == 1 and out["b"][1].dtype == tf.int32
        out = f(tf.constant(-2.0))
        assert out["a"].numpy() == 2.0 and out["b"][0].numpy() == -6.0
        assert out["b"][1].numpy() == 2

    def test_output_shape_is_most_specific_compatible_shape(self):
        shapes = []

        @graph_fn
        def f(p):
            y = tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.ones([2, 4]))
            z = tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.ones([2]))
            shapes.extend([y.shape, z.shape])
            return y

        assert f(tf.constant(False)).numpy().shape == (2, 4)
        assert shapes[0].as_list() == [2, None]
        assert shapes[1].rank is None

    def test_none_results_and_side_effect_only_branches(self):
        v = tf.Variable(0.0)

        @graph_fn
        def f(p):
            def bump():
                v.assign_add(1.0)

            out = tf.cond(p, bump, lambda: None)
            assert out is None
            return v.read_value()

        assert f(tf.constant(True)).numpy() == 1.0
        assert f(tf.constant(False)).numpy() == 1.0
        assert f(tf.constant(True)).numpy() == 2.0

    def test_branches_read_outer_tensors_and_variables(self):
        v = tf.Variable(10.0)

        @graph_fn
        def f(x, y):
            return tf.cond(x > y, lambda: x - y + v, lambda: y - x - v)

        assert f(tf.constant(5.0), tf.constant(1.0)).numpy() == 14.0
        v.assign(20.0)  # read when the function runs, not when it was traced
        assert f(tf.constant(1.0), tf.constant(5.0)).numpy() == -16.0

    def test_nested_conds(self):
        @graph_fn
        def sign(x):
            return tf.cond(x > 0, lambda: 1, lambda: tf.cond(x < 0, lambda: -1, lambda: 0))

        assert [int(sign(tf.constant(v))) for v in (3.0, -2.0, 0.0)] == [1, -1, 0]

    def test_mismatched_structures_name_both_branches(self):
        @graph_fn
        def f(x):
            return tf.cond(x > 0, lambda: (x, x), lambda: x)

        with pytest.raises(TypeError, match="true_fn and false_fn arguments to tf.cond") as e:
            f(tf.constant(1.0))
        assert "true_fn output" in str(e.value) and "hint:" in str(e.value)

    def test_mismatched_dtypes(self):
        @graph_fn
        def f(x):
            return tf.cond(x > 0, lambda: x, lambda: 2)

        with pytest.raises(TypeError, match="float32 and int32 differ"):
            f(tf.constant(1.0))

    def test_predicate_must_be_a_bool_scalar_tensor(self):
        with pytest.raises(TypeError, match="bool"):
            graph_fn(lambda x: tf.cond(x, lambda: x, lambda: x))(tf.constant(1))
        with pytest.raises(ValueError, match="scalar"):
            graph_fn(lambda x: tf.cond(x > 0, lambda: 1, lambda: 2))(tf.constant([1, 2]))
        with pytest.raises(TypeError, match="Python bool"):
            graph_fn(lambda x: tf.cond(True, lambda: x, lambda: x))(tf.constant(1))


class TestCondGradients:
    @staticmethod
    def f_numpy(x, p):
        return np.sum(x ** 3) if p else np.sum(np.sin(x) * x)

    @pytest.mark.parametrize("p", [True, False])
    def test_tape_inside_the_function_matches_numeric(self, p):
        @graph_fn
        def grad(x, pred):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.cond(pred, lambda: tf.reduce_sum(x ** 3),
                            lambda: tf.reduce_sum(tf.sin(x) * x))
            return tape.gradient(y, x)

        x = np.array([0.3, -1.2, 2.0])
        got = grad(tf.constant(x), tf.constant(p)).numpy()
        np.testing.assert_allclose(got, numeric_grad(lambda v: self.f_numpy(v, p), x),
                                   rtol=1e-6)
        assert "If" in op_types(grad, tf.constant(x), tf.constant(p))

    @pytest.mark.parametrize("p", [True, False])
    def test_tape_outside_the_function(self, p):
        f = graph_fn(lambda x, pred: tf.cond(pred, lambda: tf.reduce_sum(x ** 3),
                                             lambda: tf.reduce_sum(tf.sin(x) * x)))
        x = tf.constant([0.3, -1.2, 2.0], tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x, tf.constant(p))
        np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                                   numeric_grad(lambda v: self.f_numpy(v, p), x.numpy()),
                                   rtol=1e-6)

    def test_variables_read_in_branches_get_gradients(self):
        w = tf.Variable(3.0, dtype=tf.float64)

        @graph_fn
        def grad(x, pred):
            with tf.GradientTape() as tape:
                y = tf.cond(pred, lambda: x * w * w, lambda: x + w)
            return tape.gradient(y, w)

        x = tf.constant(2.0, tf.float64)
        assert grad(x, tf.constant(True)).numpy() == pytest.approx(2 * 2.0 * 3.0)
        assert grad(x, tf.constant(False)).numpy() == pytest.approx(1.0)

    def test_unconnected_branch_input_gets_zero_or_none(self):
        @graph_fn
        def grad(x, y, pred):
            with tf.GradientTape() as tape:
                tape.watch([x, y])
                z = tf.cond(pred, lambda: x * 2, lambda: y * 3)
            return tape.gradient(z, [x, y])

        one = tf.constant(1.0)
        gx, gy = grad(one, one, tf.constant(True))
        assert gx.numpy() == 2.0 and gy.numpy() == 0.0

    def test_second_order(self):
        @graph_fn
        def hessian(x, pred):
            with tf.GradientTape() as outer:
                outer.watch(x)
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    y = tf.cond(pred, lambda: x ** 3, lambda: tf.sin(x))
                g = inner.gradient(y, x)
            return outer.gradient(g, x)

        x = tf.constant(0.7, tf.float64)
        assert hessian(x, tf.constant(True)).numpy() == pytest.approx(6 * 0.7)
        assert hessian(x, tf.constant(False)).numpy() == pytest.approx(-np.sin(0.7))


# -- tf.case and tf.switch_case -------------------------------------------------------------------
class TestCase:
    def pairs(self, x):
        return [(x < 0, lambda: tf.constant(-1)), (x > 10, lambda: tf.constant(10))]

    @pytest.mark.parametrize("value, expected", [(-5, -1), (50, 10), (5, 0)])
    def test_first_true_predicate_else_default(self, value, expected):
        eager = tf.case(self.pairs(tf.constant(value)), default=lambda: tf.constant(0))
        traced = graph_fn(lambda x: tf.case(self.pairs(x), default=lambda: tf.constant(0)))
        assert int(eager) == expected
        assert int(traced(tf.constant(value))) == expected

    def test_not_exclusive_takes_the_first(self):
        x = tf.constant(1)
        pairs = [(x > 0, lambda: 1), (x > -1, lambda: 2)]
        assert tf.case(pairs) == 1
        assert int(graph_fn(lambda x: tf.case([(x > 0, lambda: 1), (x > -1, lambda: 2)]))(x)) \
            == 1

    def test_exclusive_with_two_true_predicates_fails(self):
        x = tf.constant(1)
        with pytest.raises(InvalidArgumentError, match="exclusive"):
            tf.case([(x > 0, lambda: 1), (x > -1, lambda: 2)], exclusive=True)
        f = graph_fn(lambda x: tf.case([(x > 0, lambda: 1), (x > -1, lambda: 2)],
                                       exclusive=True))
        with pytest.raises(InvalidArgumentError, match="exclusive"):
            f(x)

    def test_no_true_predicate_and_no_default_fails_at_run_time(self):
        f = graph_fn(lambda x: tf.case([(x > 0, lambda: 1), (x > 5, lambda: 2)]))
        assert int(f(tf.constant(3))) == 1
        with pytest.raises(InvalidArgumentError, match="None of conditions"):
            f(tf.constant(-3))


class TestSwitchCase:
    fns = [lambda: tf.constant(10.0), lambda: tf.constant(20.0), lambda: tf.constant(30.0)]

    @pytest.mark.parametrize("index, expected", [(0, 10.0), (1, 20.0), (2, 30.0), (7, 30.0),
                                                 (-1, 30.0)])
    def test_index_and_out_of_range_default(self, index, expected):
        f = graph_fn(lambda i: tf.switch_case(i, self.fns))
        assert float(tf.switch_case(tf.constant(index), self.fns)) == expected
        assert float(f(tf.constant(index))) == expected

    def test_explicit_default_and_dict_branches(self):
        f = graph_fn(lambda i: tf.switch_case(i, {1: lambda: 1.0, 0: lambda: 0.0},
                                              default=lambda: -1.0))
        assert [float(f(tf.constant(i))) for i in (0, 1, 2)] == [0.0, 1.0, -1.0]
        assert "Case" in op_types(f, tf.constant(0))

    def test_keys_must_be_contiguous(self):
        with pytest.raises(ValueError, match="contiguous"):
            tf.switch_case(tf.constant(0), {0: lambda: 1, 3: lambda: 2})

    def test_gradient(self):
        @graph_fn
        def grad(x, i):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.switch_case(i, [lambda: x * x, lambda: 3 * x, lambda: tf.exp(x)])
            return tape.gradient(y, x)

        x = tf.constant(0.5, tf.float64)
        expected = [1.0, 3.0, np.exp(0.5)]
        for i in range(3):
            assert grad(x, tf.constant(i)).numpy() == pytest.approx(expected[i])


# -- tf.while_loop --------------------------------------------------------------------------------
Pair = namedtuple("Pair", "count total")


def sum_loop(n):
    return tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i * i), (0, 0))


class TestWhileLoop:
    @pytest.mark.parametrize("run", [lambda f, *a: f(*a), lambda f, *a: graph_fn(f)(*a)],
                             ids=["eager", "traced"])
    def test_sum_of_squares(self, run):
        i, s = run(sum_loop, tf.constant(10))
        assert int(i) == 10 and int(s) == sum(k * k for k in range(10))

    def test_traced_loop_is_one_while_op(self):
        f = graph_fn(sum_loop)
        assert op_types(f, tf.constant(3)).count("While") == 1
        assert int(f(tf.constant(4))[1]) == 14  # same graph, other trip count

    @pytest.mark.parametrize("traced", [False, True])
    def test_nested_loop_variables(self, traced):
        def f(n):
            init = {"p": Pair(0, tf.constant(0.0)), "xs": [tf.constant(1.0)]}
            return tf.while_loop(
                lambda s: s["p"].count < n,
                lambda s: {"p": Pair(s["p"].count + 1, s["p"].total + 1.5),
                           "xs": [s["xs"][0] * 2]},
                [init])
        out = (graph_fn(f) if traced else f)(tf.constant(3))
        assert isinstance(out, list) and isinstance(out[0]["p"], Pair)
        assert int(out[0]["p"].count) == 3 and float(out[0]["p"].total) == 4.5
        assert float(out[0]["xs"][0]) == 8.0

    @pytest.mark.parametrize("traced", [False, True])
    def test_maximum_iterations(self, traced):
        def f(limit):
            return tf.while_loop(lambda i: i < 100, lambda i: i + 1, [0],
                                 maximum_iterations=limit)
        out = (graph_fn(f) if traced else f)(tf.constant(7))
        assert isinstance(out, list) and int(out[0]) == 7

    def test_zero_iterations(self):
        out = graph_fn(lambda n: tf.while_loop(lambda i: i < n, lambda i: i + 1, [5]))(
            tf.constant(3))
        assert int(out[0]) == 5

    def test_changing_shape_needs_a_shape_invariant(self):
        def grow(x, invariants=None):
            return tf.while_loop(lambda x: tf.shape(x)[0] < 10, lambda x: tf.concat([x, x], 0),
                                 [x], shape_invariants=invariants)

        with pytest.raises(ValueError, match="shape_invariants") as e:
            graph_fn(grow)(tf.ones([1]))
        assert "enters the loop with shape (1,)" in str(e.value)
        assert "has shape (2,)" in str(e.value)
        out = graph_fn(lambda x: grow(x, [tf.TensorShape([None])]))(tf.ones([1]))
        assert out[0].shape == (16,)
        assert grow(tf.ones([1]))[0].shape == (16,)  # eagerly shapes may change freely

    def test_initial_value_must_satisfy_the_invariant(self):
        with pytest.raises(ValueError, match="not compatible with its shape invariant"):
            graph_fn(lambda x: tf.while_loop(lambda x: True, lambda x: x, [x],
                                             shape_invariants=[tf.TensorShape([3])]))(
                tf.ones([2]))

    def test_dtype_must_stay_the_same(self):
        f = graph_fn(lambda: tf.while_loop(lambda x: x < 5, lambda x: tf.cast(x, tf.float32),
                                           [0]))
        with pytest.raises(TypeError, match="enters the loop with type int32 but has type"):
            f()

    def test_body_must_keep_the_structure(self):
        f = graph_fn(lambda: tf.while_loop(lambda x, y: x < 5, lambda x, y: (x + 1,), [0, 1]))
        with pytest.raises(ValueError, match="structure of loop_vars"):
            f()
        with pytest.raises(ValueError, match="structure of loop_vars"):
            tf.while_loop(lambda x, y: x < 5, lambda x, y: (x + 1,), [0, 1])

    def test_cond_must_return_a_bool_scalar(self):
        f = graph_fn(lambda: tf.while_loop(lambda x: x, lambda x: x - 1, [3]))
        with pytest.raises(TypeError, match="boolean scalar"):
            f()

    def test_loop_vars_are_required(self):
        with pytest.raises(ValueError, match="loop_vars"):
            tf.while_loop(lambda: True, lambda: (), [])

    def test_variable_updates_in_the_body_run_every_iteration(self):
        v = tf.Variable(0)

        @graph_fn
        def f(n):
            def body(i):
                v.assign_add(i)
                return (i + 1,)
            return tf.while_loop(lambda i: i < n, body, (0,))

        f(tf.constant(4))
        f(tf.constant(3))
        assert int(v.numpy()) == (0 + 1 + 2 + 3) + (0 + 1 + 2)

    def test_cond_inside_the_body(self):
        @graph_fn
        def collatz_steps(x):
            def body(x, n):
                x = tf.cond(x % 2 == 0, lambda: x // 2, lambda: 3 * x + 1)
                return x, n + 1
            return tf.while_loop(lambda x, n: x > 1, body, (x, 0))[1]

        assert int(collatz_steps(tf.constant(27))) == 111


class TestWhileLoopGradients:
    @staticmethod
    def power_loop(x, a, n):
        # y_{k+1} = sin(y_k) * a + x, three times
        return tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, tf.sin(y) * a + x),
                             (0, x))[1]

    @staticmethod
    def power_numpy(x, a, n=3):
        y = x
        for _ in range(n):
            y = np.sin(y) * a + x
        return y

    def test_eager_tape(self):
        x, a = tf.constant(0.4, tf.float64), tf.constant(1.3, tf.float64)
        with tf.GradientTape() as tape:
            tape.watch([x, a])
            y = self.power_loop(x, a, 3)
        gx, ga = tape.gradient(y, [x, a])
        assert gx.numpy() == pytest.approx(
            numeric_grad(lambda v: self.power_numpy(v, 1.3), np.array(0.4)))
        assert ga.numpy() == pytest.approx(
            numeric_grad(lambda v: self.power_numpy(0.4, v), np.array(1.3)))

    @pytest.mark.parametrize("tape_inside", [True, False])
    def test_traced_loop_matches_numeric(self, tape_inside):
        if tape_inside:
            @graph_fn
            def grads(x, a, n):
                with tf.GradientTape() as tape:
                    tape.watch([x, a])
                    y = self.power_loop(x, a, n)
                return tape.gradient(y, [x, a])
            gx, ga = grads(tf.constant(0.4, tf.float64), tf.constant(1.3, tf.float64),
                           tf.constant(3))
        else:
            f = graph_fn(self.power_loop)
            x, a = tf.constant(0.4, tf.float64), tf.constant(1.3, tf.float64)
            with tf.GradientTape() as tape:
                tape.watch([x, a])
                y = f(x, a, tf.constant(3))
            gx, ga = tape.gradient(y, [x, a])
        assert gx.numpy() == pytest.approx(
            numeric_grad(lambda v: self.power_numpy(v, 1.3), np.array(0.4)))
        assert ga.numpy() == pytest.approx(
            numeric_grad(lambda v: self.power_numpy(0.4, v), np.array(1.3)))

    def test_vector_loop_with_variable(self):
        w = tf.Variable(np.array([[0.5, -0.2], [0.1, 0.9]]))

        def rnn(h, n):
            return tf.while_loop(lambda i, h: i < n,
                                 lambda i, h: (i + 1, tf.tanh(tf.linalg.matvec(w, h))),
                                 (0, h))[1]

        @graph_fn
        def loss_and_grads(h, n):
            with tf.GradientTape() as tape:
                tape.watch(h)
                loss = tf.reduce_sum(rnn(h, n) ** 2)
            return loss, tape.gradient(loss, [h, w])

        def loss_numpy(h, wv, n=4):
            for _ in range(n):
                h = np.tanh(wv @ h)
            return np.sum(h ** 2)

        h0 = np.array([0.3, -0.7])
        _, (gh, gw) = loss_and_grads(tf.constant(h0), tf.constant(4))
        np.testing.assert_allclose(gh.numpy(), numeric_grad(
            lambda h: loss_numpy(h, w.numpy()), h0), rtol=1e-6)
        np.testing.assert_allclose(gw.numpy(), numeric_grad(
            lambda wv: loss_numpy(h0, wv), w.numpy()), rtol=1e-6)

    def test_second_order_with_tapes_outside_the_function(self):
        cube = graph_fn(lambda x: tf.while_loop(lambda i, y: i < 2,
                                                lambda i, y: (i + 1, y * x), (0, x))[1])
        x = tf.constant(0.7, tf.float64)
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = cube(x)
            g = inner.gradient(y, x)
        assert float(g) == pytest.approx(3 * 0.7 ** 2)
        assert float(outer.gradient(g, x)) == pytest.approx(6 * 0.7)

    def test_second_order_with_tapes_inside_is_a_clear_error(self):
        @graph_fn
        def second(x):
            with tf.GradientTape() as outer:
                outer.watch(x)
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    y = tf.while_loop(lambda i, y: i < 2, lambda i, y: (i + 1, y * x),
                                      (0, x))[1]
                g = inner.gradient(y, x)
            return outer.gradient(g, x)

        with pytest.raises(LookupError, match="tapes outside the tf.function"):
            second(tf.constant(0.7))

    def test_zero_iterations_pass_the_gradient_through(self):
        @graph_fn
        def grads(x, n):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x), (0, x))[1]
            return tape.gradient(y, x)

        assert grads(tf.constant(2.0), tf.constant(0)).numpy() == 1.0
        assert grads(tf.constant(2.0), tf.constant(2)).numpy() == pytest.approx(3 * 2.0 ** 2)

    def test_back_prop_false_stops_the_gradient(self):
        @graph_fn
        def grads(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.while_loop(lambda i, y: i < 2, lambda i, y: (i + 1, y * x), (0, x),
                                  back_prop=False)[1]
            return tape.gradient(y, x)

        assert grads(tf.constant(2.0)) is None

    @pytest.mark.parametrize("tape_inside", [True, False])
    def test_gradients_do_not_repeat_effects(self, tape_inside):
        counter = tf.Variable(0.0)

        def loss(x):
            def bump_and_scale(y):
                counter.assign_add(10.0)
                return y * x

            def body(i, y):
                counter.assign_add(1.0)
                y = tf.cond(y > 0, lambda: bump_and_scale(y), lambda: y)
                return i + 1, y
            return tf.while_loop(lambda i, y: i < 3, body, (0, x))[1]

        x = tf.constant(2.0)
        if tape_inside:
            @graph_fn
            def grad(x):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = loss(x)
                return tape.gradient(y, x)
            g = grad(x)
        else:
            f = graph_fn(loss)
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = f(x)
            g = tape.gradient(y, x)
        assert float(g) == pytest.approx(4 * 2.0 ** 3)
        assert float(counter.numpy()) == 3 * 11.0  # the forward pass only

    def test_random_draws_in_a_differentiated_branch_are_refused(self):
        @graph_fn
        def grad(x, p):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.cond(p, lambda: x * tf.random.uniform([]), lambda: x)
            return tape.gradient(y, x)

        with pytest.raises(NotImplementedError, match="random"):
            grad(tf.constant(1.0), tf.constant(True))

    def test_while_inside_cond_gradient(self):
        @graph_fn
        def grads(x, p):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.cond(p, lambda: tf.while_loop(lambda i, y: i < 3,
                                                     lambda i, y: (i + 1, y * x), (0, x))[1],
                            lambda: x)
            return tape.gradient(y, x)

        assert grads(tf.constant(2.0), tf.constant(True)).numpy() == pytest.approx(4 * 8.0)
        assert grads(tf.constant(2.0), tf.constant(False)).numpy() == 1.0


# -- tf.TensorArray -------------------------------------------------------------------------------
class TestTensorArrayEager:
    def test_write_read_stack_size(self):
        ta = tf.TensorArray(tf.float32, size=3)
        ta = ta.write(0, 1.0).write(2, tf.constant(5.0))
        assert float(ta.read(0)) == 1.0 and float(ta.read(1)) == 0.0  # unwritten: zeros
        np.testing.assert_array_equal(ta.stack().numpy(), [1.0, 0.0, 5.0])
        assert int(ta.size()) == 3 and ta.dtype == tf.float32

    def test_dynamic_size_grows(self):
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        for i in range(4):
            ta = ta.write(i, i * i)
        np.testing.assert_array_equal(ta.stack().numpy(), [0, 1, 4, 9])
        assert ta.element_shape == tf.TensorShape([])

    def test_unstack_gather_concat(self):
        m = np.arange(6.0, dtype=np.float32).reshape(3, 2)
        ta = tf.TensorArray(tf.float32, size=3).unstack(m)
        np.testing.assert_array_equal(ta.read(1).numpy(), m[1])
        np.testing.assert_array_equal(ta.gather([2, 0]).numpy(), m[[2, 0]])
        np.testing.assert_array_equal(ta.concat().numpy(), m.reshape(-1))

    def test_empty_stack_uses_the_element_shape(self):
        assert tf.TensorArray(tf.float32, size=0, element_shape=[2]).stack().shape == (0, 2)

    def test_errors(self):
        ta = tf.TensorArray(tf.float32, size=2)
        with pytest.raises(OutOfRangeError, match="not resizeable"):
            ta.write(5, 1.0)
        with pytest.raises(InvalidArgumentError, match="dtype"):
            ta.write(0, tf.constant(1))
        with pytest.raises(ValueError, match="Incompatible shape"):
            ta.write(0, [1.0, 2.0]).write(1, [1.0])
        with pytest.raises(ValueError, match="static size 2"):
            tf.TensorArray(tf.float32, size=2).unstack([1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="size must be given"):
            tf.TensorArray(tf.float32)

    def test_gradient_through_reads_and_stack(self):
        x = tf.constant([1.0, 2.0, 3.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            ta = tf.TensorArray(tf.float32, size=3).unstack(x)
            y = ta.read(0) * ta.read(2) + tf.reduce_sum(ta.stack())
        np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0 + 1, 1.0, 1.0 + 1])


class TestTensorArrayTraced:
    def test_dynamic_array_filled_in_a_loop(self):
        @tf.function
        def doubled(n):
            ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
            for i in tf.range(n):
                ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
            return ta.stack(), ta.size()

        values, size = doubled(tf.constant(4))
        np.testing.assert_array_equal(values.numpy(), [0.0, 2.0, 4.0, 6.0])
        assert int(size) == 4
        assert doubled(tf.constant(0))[0].numpy().shape == (0,)

    def test_as_a_while_loop_variable_with_vector_elements(self):
        @graph_fn
        def rows(n):
            ta = tf.TensorArray(tf.float32, size=n)

            def body(i, ta):
                return i + 1, ta.write(i, tf.fill([2], tf.cast(i, tf.float32)))
            _, ta = tf.while_loop(lambda i, ta: i < n, body, (0, ta))
            return ta.stack(), ta.read(1)

        stacked, second = rows(tf.constant(3))
        np.testing.assert_array_equal(stacked.numpy(), [[0, 0], [1, 1], [2, 2]])
        np.testing.assert_array_equal(second.numpy(), [1, 1])

    def test_writing_past_a_fixed_size_fails_at_run_time(self):
        @tf.function
        def f(n):
            ta = tf.TensorArray(tf.float32, size=2)
            for i in tf.range(n):
                ta = ta.write(i, 1.0)
            return ta.stack()

        assert f(tf.constant(2)).numpy().tolist() == [1.0, 1.0]
        with pytest.raises(OutOfRangeError, match="not resizeable"):
            f(tf.constant(3))

    def test_in_cond_branches(self):
        @graph_fn
        def f(p):
            ta = tf.TensorArray(tf.float32, size=2)
            ta = tf.cond(p, lambda: ta.write(0, 7.0), lambda: ta.write(1, 9.0))
            return ta.stack()

        assert f(tf.constant(True)).numpy().tolist() == [7.0, 0.0]
        assert f(tf.constant(False)).numpy().tolist() == [0.0, 9.0]

    def test_gradient_of_an_rnn_collected_in_a_tensor_array(self):
        @tf.function
        def loss(xs, w):
            ta = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
            h = tf.zeros([2], tf.float64)
            for i in tf.range(tf.shape(xs)[0]):
                h = tf.tanh(xs[i] * w + h)
                ta = ta.write(i, h)
            return tf.reduce_sum(ta.stack() ** 2)

        def loss_numpy(xs, w):
            h, total = np.zeros(2), 0.0
            for x in xs:
                h = np.tanh(x * w + h)
                total += np.sum(h ** 2)
            return total

        xs = np.random.default_rng(0).standard_normal((4, 2))
        w = tf.constant([0.5, -0.3], tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(w)
            y = loss(tf.constant(xs), w)
        assert float(y) == pytest.approx(loss_numpy(xs, w.numpy()))
        np.testing.assert_allclose(tape.gradient(y, w).numpy(),
                                   numeric_grad(lambda v: loss_numpy(xs, v), w.numpy()),
                                   rtol=1e-6)


@pytest.mark.parametrize("module", ["control_flow_ops", "tensor_array_ops"])
def test_docstring_examples(module):
    import doctest
    import importlib
    mod = importlib.import_module(f"rill.ops.{module}")
    result = doctest.testmod(mod, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_eager_tensor_array_clear_after_read():
    # TensorFlow 2.21: a read frees the element; stack shows zeros there; a second read fails
    ta = tf.TensorArray(tf.float32, size=3, clear_after_read=True)
    ta = ta.write(0, 1.0).write(1, 2.0).write(2, 3.0)
    assert float(ta.read(1)) == 2.0
    np.testing.assert_array_equal(ta.stack().numpy(), [1.0, 0.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="^Could not read index 1 twice because it "
                                                   "was cleared after a previous read"):
        ta.read(1)
    ta = ta.write(1, 7.0)  # written again: readable again
    assert float(ta.read(1)) == 7.0
    keep = tf.TensorArray(tf.float32, size=2, clear_after_read=False).write(0, 1.0)
    keep.read(0)
    assert float(keep.read(0)) == 1.0
