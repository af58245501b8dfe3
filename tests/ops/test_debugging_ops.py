"""tf.debugging: check_numerics (and its gradient), the assert_* family, Assert and
assert_shapes' named dimensions. Expected messages follow TensorFlow's wording."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.graph import PLACEHOLDER, Graph

D = tf.debugging


# -- check_numerics -------------------------------------------------------------------------
@pytest.mark.parametrize("values, what", [([1.0, np.nan], "NaN"), ([np.inf, 1.0], "Inf"),
                                          ([np.nan, -np.inf], "Inf and NaN")])
@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_check_numerics_raises(values, what, dtype):
    with pytest.raises(InvalidArgumentError, match=f"my msg : Tensor had {what} values") as e:
        D.check_numerics(tf.constant(values, dtype), "my msg")
    assert "hint:" in str(e.value) and e.value.op == "CheckNumerics"


def test_check_numerics_is_identity_for_finite_values():
    x = tf.constant([[1.0, -2.0], [3.0, 4.0]])
    y = D.check_numerics(x, "ok")
    assert y.dtype == tf.float32
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert D.assert_all_finite(x, "ok").shape == [2, 2]


@pytest.mark.parametrize("dtype", [tf.int32, tf.bool, tf.complex64, tf.string])
def test_check_numerics_rejects_non_float_dtypes(dtype):
    value = {tf.string: "a", tf.bool: True}.get(dtype, 1)
    with pytest.raises(InvalidArgumentError, match="bfloat16, float16, float32 or float64"):
        D.check_numerics(tf.constant([value], dtype), "m")


def test_check_numerics_gradient_checks_the_gradient():
    x = tf.constant([1.0, 0.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sqrt(D.check_numerics(x, "sq"))  # d sqrt(x)/dx is inf at 0
    with pytest.raises(InvalidArgumentError,
                       match=r"NaN\) or infinity \(Inf\) values detected in gradient\. sq : "
                             r"Tensor had Inf values"):
        tape.gradient(y, x)


def test_check_numerics_gradient_passes_finite_gradients():
    x = tf.constant([1.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.square(D.check_numerics(x, "ok")))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 8.0])


# -- comparisons ----------------------------------------------------------------------------
PASSING = [
    (D.assert_equal, [1, 2, 3], [1, 2, 3]),
    (D.assert_none_equal, [1, 2, 3], [4, 5, 6]),
    (D.assert_less, [1, 2, 3], [2, 3, 4]),
    (D.assert_less_equal, [1, 2, 3], [1, 2, 3]),
    (D.assert_greater, [2, 3, 4], [1, 2, 3]),
    (D.assert_greater_equal, [1, 2, 3], [1, 2, 3]),
]


@pytest.mark.parametrize("fn, x, y", PASSING)
def test_binary_asserts_pass_and_return_none(fn, x, y):
    assert fn(tf.constant(x), tf.constant(y)) is None
    assert fn(tf.constant(x), y) is None  # a list takes the tensor's dtype


FAILING = [
    (D.assert_equal, [1, 2, 3], [1, 2, 4], "==", [[2]]),
    (D.assert_none_equal, [1, 2, 3], [4, 2, 6], "!=", [[1]]),
    (D.assert_less, [1, 2, 3], [2, 2, 4], "<", [[1]]),
    (D.assert_less_equal, [1, 2, 3], [2, 2, 2], "<=", [[2]]),
    (D.assert_greater, [1, 2, 3], [0, 2, 2], ">", [[1]]),
    (D.assert_greater_equal, [1, 2, 3], [2, 2, 2], ">=", [[0]]),
]


@pytest.mark.parametrize("fn, x, y, sym, bad", FAILING)
def test_binary_asserts_fail_with_a_summary(fn, x, y, sym, bad):
    with pytest.raises(InvalidArgumentError) as e:
        fn(tf.constant(x), tf.constant(y), message="custom")
    text = str(e.value)
    assert text.startswith("custom\n")
    assert f"Condition x {sym} y did not hold." in text
    assert f"Indices of first {len(bad)} different values:\n{np.array(bad)}" in text
    assert f"First 3 elements of x:\n{np.array(x)}" in text


def test_assert_equal_summarize_and_broadcast():
    with pytest.raises(InvalidArgumentError) as e:
        D.assert_equal(tf.constant(np.arange(20)), tf.constant(np.arange(20) + 1))
    assert "Indices of first 3 different values" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="First 5 elements"):
        D.assert_equal(tf.constant(np.arange(20)), tf.constant(np.arange(20) + 1), summarize=5)
    with pytest.raises(InvalidArgumentError) as e:
        D.assert_equal(tf.constant([1, 2, 3]), 1)
    assert "First 1 elements of y:\n[1]" in str(e.value) and "Indices" not in str(e.value)


def test_assert_equal_on_strings_bools_and_scalars():
    with pytest.raises(InvalidArgumentError, match=r"\[b'a'\]"):
        D.assert_equal(tf.constant(["a"]), tf.constant(["b"]))
    with pytest.raises(InvalidArgumentError, match="Condition x == y"):
        D.assert_equal(tf.constant([True]), tf.constant([False]))
    with pytest.raises(InvalidArgumentError, match="Condition x < y did not hold"):
        D.assert_less(1, 0)
    assert D.assert_equal(tf.constant("a"), "a") is None


def test_binary_assert_argument_errors():
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[3\] vs\. \[2\]"):
        D.assert_equal(tf.constant([1, 2, 3]), tf.constant([1, 2]))
    with pytest.raises(InvalidArgumentError, match="expected to be a int32 tensor but is a "
                                                   "float tensor"):
        D.assert_equal(tf.constant([1, 2, 3]), tf.constant([1.0, 2, 3]))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.int32, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                  elements=st.integers(-5, 5)))
def test_assert_equal_property(a):
    assert D.assert_equal(tf.constant(a), tf.constant(a.copy())) is None
    if a.size:
        b = a.copy()
        b.reshape(-1)[-1] += 1
        with pytest.raises(InvalidArgumentError):
            D.assert_equal(tf.constant(a), tf.constant(b))
        assert D.assert_less(tf.constant(a), tf.constant(a + 1)) is None


SIGNS = [
    (D.assert_positive, [1, 2], [1, 0], ">"),
    (D.assert_negative, [-1, -2], [-1, 0], "<"),
    (D.assert_non_negative, [0, 2], [-1, 0], ">="),
    (D.assert_non_positive, [0, -2], [1, 0], "<="),
]


@pytest.mark.parametrize("fn, good, bad, sym", SIGNS)
@pytest.mark.parametrize("dtype", [tf.int32, tf.float32, tf.float64])
def test_sign_asserts(fn, good, bad, sym, dtype):
    assert fn(tf.constant(good, dtype)) is None
    assert fn(tf.constant([], dtype)) is None
    with pytest.raises(InvalidArgumentError) as e:
        fn(tf.constant(bad, dtype), message="mm")
    text = str(e.value)
    assert text.startswith("mm\n") and f"Condition x {sym} 0 did not hold element-wise" in text
    assert f"x (shape=(2,) dtype={dtype.name})" in text


def test_assert_near():
    assert D.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0000001])) is None
    assert D.assert_near(tf.constant([100.0]), tf.constant([101.0]), rtol=0.02) is None
    with pytest.raises(InvalidArgumentError, match="not equal to tolerance rtol = 1.19"):
        D.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]))
    with pytest.raises(TypeError, match="floating-point or complex"):
        D.assert_near(tf.constant([1]), tf.constant([1]))
    with pytest.raises(InvalidArgumentError, match="double"):
        D.assert_near(tf.constant([1.0]), tf.constant([1.0], tf.float64))


# -- ranks and types --------------------------------------------------------------------------
def test_rank_asserts():
    x = tf.ones([5, 2, 3])
    assert D.assert_rank(x, 3) is None and D.assert_rank(x, tf.constant(3)) is None
    with pytest.raises(ValueError, match=r"m\.  Tensor must have rank 2\.  Received rank 3, "
                                         r"shape \(5, 2, 3\)"):
        D.assert_rank(x, 2, message="m")
    assert D.assert_rank_at_least(x, 2) is None
    with pytest.raises(ValueError, match="at least 4"):
        D.assert_rank_at_least(x, 4)
    assert D.assert_rank_in(x, [1, 3]) is None
    with pytest.raises(ValueError, match=r"rank in \(1, 2\)"):
        D.assert_rank_in(x, [1, 2])
    assert tf.assert_rank is D.assert_rank


def test_type_and_scalar_asserts():
    assert D.assert_type(tf.constant([1.0]), tf.float32) is None
    with pytest.raises(TypeError, match="tensor must be of type tf.int32; got tf.float32"):
        D.assert_type(tf.constant([1.0]), tf.int32)
    assert D.assert_integer(tf.constant([1])) is None
    with pytest.raises(TypeError, match='Expected "x" to be integer type'):
        D.assert_integer(tf.constant([1.0]))
    assert D.assert_scalar(tf.constant(1.0)).shape == []
    with pytest.raises(ValueError, match="Expected scalar shape"):
        D.assert_scalar(tf.ones([2]))
    assert D.assert_same_float_dtype([tf.constant(1.0), tf.constant(2.0)]) == tf.float32
    with pytest.raises(ValueError):
        D.assert_same_float_dtype([tf.constant(1.0), tf.constant(2.0, tf.float64)])
    D.assert_proper_iterable([1, 2])
    with pytest.raises(TypeError):
        D.assert_proper_iterable(tf.constant([1, 2]))


def test_is_numeric_tensor():
    assert D.is_numeric_tensor(tf.constant([1.0]))
    assert D.is_numeric_tensor(tf.constant(1j))
    assert not D.is_numeric_tensor(tf.constant(["a"]))
    assert not D.is_numeric_tensor(tf.constant(True))
    assert not D.is_numeric_tensor(np.array([1.0]))
    assert not D.is_numeric_tensor(tf.Variable(1.0))  # as TensorFlow: variables are not


# -- Assert ---------------------------------------------------------------------------------
def test_assert_op():
    assert D.Assert(True, ["never shown"]) is None
    assert D.Assert(tf.constant(True), [tf.constant([1, 2])]) is None
    with pytest.raises(InvalidArgumentError) as e:
        D.Assert(tf.constant(False), ["hello", tf.constant([1.5, 2.5])])
    assert str(e.value) == ("Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. "
                            "Summarized data: b'hello'\n1.5, 2.5")
    with pytest.raises(InvalidArgumentError, match="Summarized data: 0, 1, 2, ..."):
        D.Assert(False, [tf.constant(np.arange(10))], summarize=3)
    with pytest.raises(ValueError, match="condition must be a scalar"):
        D.Assert(tf.constant([True, False]), [1])
    assert tf.Assert is D.Assert


# -- assert_shapes --------------------------------------------------------------------------
X, Y, Z = tf.ones([2, 3]), tf.ones([2]), tf.ones([3, 3])
X3 = tf.ones([5, 2, 3])


@pytest.mark.parametrize("shapes", [
    [(X, ("N", "D")), (Y, ("N",))],
    [(X, (2, None))],
    [(X, ("*", 3))],
    [(X3, (..., 2, 3))],
    [(X3, ("*", "D")), (tf.ones([3]), ("D",))],
    [(tf.ones([]), ())],
    [(tf.ones([1]), ())],
    [(X3, "NDC")],
    [(np.ones([2, 3]), ("N", "D"))],
    {X.ref(): ("A", "B")},
    [(X, tf.TensorShape([2, 3]))],
])
def test_assert_shapes_passes(shapes):
    assert D.assert_shapes(shapes) is None


@pytest.mark.parametrize("shapes, match", [
    ([(X, ("N", "D")), (Z, ("N", "D"))],
     r"Specified by tensor shape=\(2, 3\) dtype=float32 dimension 0 \('N'\)\.  Tensor "
     r"shape=\(3, 3\) dtype=float32 dimension 0 must have size 2\.  Received size 3"),
    ([(X, ("N", "D")), (tf.ones([2, 2]), ("D", "N"))], "dimension 0 must have size 3"),
    ([(X, ("N", 4))], r"Specified explicitly\.  .* dimension 1 must have size 4"),
    ([(X3, ("N", "D"))], r"must have rank 2\.  Received rank 3"),
    ([(X, ("N", "D", "E"))], "must have rank 3"),
    ([(X, ())], "must have rank 0"),
    ([(tf.ones([2]), ())], "must have size 1"),
    ([(X3, (..., 4))], "dimension 2 must have size 4"),
    ([(X3, ("*", "D")), (tf.ones([4]), ("D",))], "must have size 3"),
])
def test_assert_shapes_fails(shapes, match):
    with pytest.raises(ValueError, match=match) as e:
        D.assert_shapes(shapes)
    assert "hint:" in str(e.value)


def test_assert_shapes_message_prefix():
    with pytest.raises(ValueError, match=r"^hello\.  Specified explicitly"):
        D.assert_shapes([(X3, (5, 2, 4))], message="hello")


def test_assert_shapes_bad_spec():
    with pytest.raises(ValueError, match="ints, names and None"):
        D.assert_shapes([(X, (2.5, 3))])


# -- while tracing ----------------------------------------------------------------------------
def _traced(build, *specs):
    g = Graph()
    phs = [g.add_operation(PLACEHOLDER, (), {}, [s]).outputs[0] for s in specs]
    context.graphs.append(g)
    try:
        out = build(*phs)
    finally:
        context.graphs.pop()
    return g, out


def test_traced_asserts_add_assert_ops():
    g, op = _traced(lambda x: D.assert_equal(x, tf.constant([1.0, 2.0])), ((2,), tf.float32))
    assert op.type == "Assert" and op.opdef.stateful
    assert [o.type for o in g.operations][-3:-1] != []
    g, out = _traced(lambda x: D.check_numerics(x, "m"), ((None,), tf.float32))
    assert out.op.type == "CheckNumerics" and out.shape.as_list() == [None]


def test_traced_assert_shapes_checks_unknown_dims_at_run_time():
    g, op = _traced(lambda a, b: D.assert_shapes([(a, ("N", 3)), (b, ("N",))]),
                    ((None, 3), tf.float32), ((None,), tf.float32))
    assert op is not None and op.type == "Assert"
    # a static mismatch is still found while tracing
    with pytest.raises(ValueError, match="must have size 3"):
        _traced(lambda a: D.assert_shapes([(a, (None, 3))]), ((None, 4), tf.float32))


def test_assert_kernel_raises_with_data():
    from rill.ops.debugging_ops import ASSERT
    with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[bad\] \[1 2\]"):
        ASSERT.kernel(np.array(False), np.array(b"bad", dtype=object), np.array([1, 2]),
                      summarize=3)
    assert ASSERT.kernel(np.array(True), np.array([1]), summarize=3) == ()


@pytest.mark.skipif(not hasattr(tf, "function"), reason="tf.function not available yet")
def test_tf_function_runs_asserts_on_every_call():
    @tf.function
    def f(a):
        D.assert_equal(a, tf.constant([1, 2]))
        return D.check_numerics(tf.cast(a, tf.float32), "in f")

    assert f(tf.constant([1, 2])).shape == [2]
    with pytest.raises(InvalidArgumentError, match=r"Condition x == y .*\[x = \] \[1 3\]"):
        f(tf.constant([1, 3]))

    @tf.function(input_signature=[tf.TensorSpec([None, None])])
    def square(a):
        D.assert_shapes([(a, ("N", "N"))])
        return a

    assert square(tf.ones([2, 2])).shape == [2, 2]
    with pytest.raises(InvalidArgumentError, match=r"dimension 1 must have that size.*"
                                                   r"\[Received size\] \[3\] \[expected\] \[2\]"):
        square(tf.ones([2, 3]))
