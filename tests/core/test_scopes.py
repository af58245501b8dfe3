"""tf.name_scope, tf.get_current_name_scope, tf.device, tf.control_dependencies,
tf.inside_function and tf.get_static_value (rill/_core/scopes.py)."""

import doctest

import numpy as np
import pytest

import rill as tf
from rill._core import scopes


def _op_names(fn, *args) -> list:
    graph = tf.function(fn).get_concrete_function(*args).graph
    return [op.name for op in graph.get_operations()]


# -- name_scope ----------------------------------------------------------------------------
def test_eager_scopes_nest_with_slashes():
    assert tf.get_current_name_scope() == ""
    with tf.name_scope("outer") as s1:
        assert s1 == "outer/"
        assert tf.get_current_name_scope() == "outer"
        with tf.name_scope("inner") as s2:
            assert s2 == "outer/inner/"
            assert tf.get_current_name_scope() == "outer/inner"
        assert tf.get_current_name_scope() == "outer"
    assert tf.get_current_name_scope() == ""


def test_eager_scopes_are_not_made_unique():
    with tf.name_scope("a") as first:
        pass
    with tf.name_scope("a") as second:
        pass
    assert first == second == "a/"


def test_absolute_and_empty_names():
    with tf.name_scope("outer"):
        with tf.name_scope("top/") as s:
            assert s == "top/" and tf.get_current_name_scope() == "top"
        with tf.name_scope("") as s:
            assert s == "" and tf.get_current_name_scope() == ""
        assert tf.get_current_name_scope() == "outer"


def test_scope_object_can_be_entered_again_and_nested_in_itself():
    scope = tf.name_scope("x")
    with scope as a:
        with scope as b:
            assert tf.get_current_name_scope() == "x/x"
        assert tf.get_current_name_scope() == "x"
    assert (a, b) == ("x/", "x/x/")
    with scope:
        assert tf.get_current_name_scope() == "x"
    assert scope.name == "x"


def test_scope_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with tf.name_scope("broken"):
            raise KeyError("boom")
    assert tf.get_current_name_scope() == ""


def test_name_must_be_a_string():
    with pytest.raises(ValueError, match="must be a string"):
        tf.name_scope(None)
    with pytest.raises(ValueError, match="must be a string"):
        tf.name_scope(3)


def test_variables_take_the_scope_as_prefix():
    with tf.name_scope("block"):
        v = tf.Variable(1.0, name="kernel")
        w = tf.Variable(2.0)
        with tf.name_scope("sub"):
            u = tf.Variable(3.0, name="bias")
    assert (v.name, w.name, u.name) == ("block/kernel:0", "block/Variable:0", "block/sub/bias:0")
    assert tf.Variable(0.0, name="free").name == "free:0"


def test_traced_op_names_take_the_scope():
    def fn(x):
        with tf.name_scope("s"):
            y = x * 2.0
            z = x * 3.0
            with tf.name_scope("s"):
                w = y * z
        with tf.name_scope("s"):  # used already in this graph: made unique
            return w + 1.0

    names = _op_names(fn, tf.TensorSpec([], tf.float32))
    assert {"s/Mul", "s/Mul_1", "s/s/Mul", "s_1/AddV2"} <= set(names)


def test_traced_scope_strings_and_current_scope():
    seen = {}

    @tf.function
    def fn(x):
        seen["root"] = tf.get_current_name_scope()
        with tf.name_scope("a") as s:
            seen["a"] = s
            seen["current"] = tf.get_current_name_scope()
        with tf.name_scope("a") as s:
            seen["again"] = s
        return x

    with tf.name_scope("eager_outer"):  # a traced function starts at the root scope
        fn(tf.constant(1.0))
    assert seen == {"root": "", "a": "a/", "current": "a", "again": "a_1/"}


def test_ops_outside_a_scope_keep_plain_names():
    names = _op_names(lambda x: x * 2.0, tf.TensorSpec([], tf.float32))
    assert "Mul" in names and not any("/" in n for n in names)


# -- inside_function -------------------------------------------------------------------------
def test_inside_function():
    assert tf.inside_function() is False
    seen = []
    tf.function(lambda x: seen.append(tf.inside_function()) or x)(tf.constant(1))
    assert seen == [True]


# -- device --------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["/cpu:0", "CPU:0", "cpu", "/gpu:1", "GPU:*", "tpu:0",
                                  "/device:CPU:0", "/device:XLA_CPU:0", "",
                                  "/job:localhost/replica:0/task:0/device:CPU:0", None])
def test_device_accepts_tensorflow_device_strings(spec):
    with tf.device(spec) as d:
        assert d is None
        assert float(tf.constant(2.0) * 3) == 6.0


@pytest.mark.parametrize("spec", ["foo:0", "/device:CPU", "/gpu:x", "/task:a", "cpu:0:1"])
def test_device_rejects_malformed_strings(spec):
    with pytest.raises(ValueError, match="hint:"):
        tf.device(spec)


def test_device_rejects_other_types():
    with pytest.raises(ValueError, match="Expecting a string device name"):
        tf.device(3)
    with pytest.raises(RuntimeError, match="does not support functions"):
        tf.device(lambda op: "/cpu:0")


def test_device_works_inside_function():
    @tf.function
    def fn(x):
        with tf.device("/cpu:0"):
            return x + 1

    assert int(fn(tf.constant(1))) == 2


# -- control_dependencies -----------------------------------------------------------------------
def test_control_dependencies_accepts_lists_and_none():
    with tf.control_dependencies([tf.constant(1), None]) as c:
        assert c is None
    with tf.control_dependencies(None):
        pass
    with pytest.raises(TypeError, match="hint:"):
        tf.control_dependencies(3)


def test_ops_after_a_dependency_see_its_effect_in_a_graph():
    v = tf.Variable(1.0)

    @tf.function
    def fn():
        update = v.assign_add(10.0)
        with tf.control_dependencies([update]):
            return v.read_value() * 2.0

    assert float(fn()) == 22.0
    assert float(fn()) == 42.0


# -- get_static_value ----------------------------------------------------------------------
def test_static_value_of_eager_tensors_and_python_values():
    np.testing.assert_array_equal(tf.get_static_value(tf.constant([1, 2])), [1, 2])
    assert tf.get_static_value(tf.constant(2.5)) == 2.5
    assert tf.get_static_value([1, 2]) == [1, 2]
    assert tf.get_static_value(3) == 3
    assert tf.get_static_value(None) is None
    assert tf.get_static_value(tf.Variable(1.0)) is None


def test_static_value_while_tracing():
    seen = {}

    def fn(x):
        seen["input"] = tf.get_static_value(x)
        seen["const"] = tf.get_static_value(tf.constant([3.0, 4.0]))
        seen["shape"] = tf.get_static_value(tf.shape(x))
        seen["rank"] = tf.get_static_value(tf.rank(x))
        seen["sum"] = tf.get_static_value(x + 1.0)
        return x

    tf.function(fn).get_concrete_function(tf.TensorSpec([2, 3], tf.float32))
    assert seen["input"] is None and seen["sum"] is None
    np.testing.assert_array_equal(seen["const"], [3.0, 4.0])
    np.testing.assert_array_equal(seen["shape"], [2, 3])
    assert int(seen["rank"]) == 2
    tf.function(fn).get_concrete_function(tf.TensorSpec([None, 3], tf.float32))
    assert seen["shape"] is None and int(seen["rank"]) == 2


def test_docstring_examples():
    result = doctest.testmod(scopes, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
