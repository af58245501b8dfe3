"""tf.Module (rill/_core/module.py): names, name scopes and the attribute walk that finds
variables and sub-modules."""

import collections
import doctest

import numpy as np
import pytest

import rill as tf
from rill._core import module as module_lib


class Leaf(tf.Module):
    def __init__(self, tag, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(1.0, name=tag + "_w")
        self.b = tf.Variable(0.0, name=tag + "_b", trainable=False)


def _names(variables) -> list:
    return [v.name for v in variables]


# -- names -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls_name, expected", [
    ("Dense", "dense"), ("MLP", "mlp"), ("FooBar2", "foo_bar2"), ("HTTPServer", "http_server"),
    ("Conv2D", "conv2_d"), ("My2DLayer", "my2_d_layer"), ("lower", "lower"),
])
def test_default_name_is_the_class_name_in_snake_case(cls_name, expected):
    cls = type(cls_name, (tf.Module,), {})
    assert cls().name == expected


def test_explicit_names_must_be_identifiers():
    assert tf.Module(name="A_1").name == "A_1"
    for bad in ("a b", "1a", "", "x-y"):
        with pytest.raises(ValueError, match="not a valid module name"):
            tf.Module(name=bad)


def test_name_scope_and_variables_created_in_it():
    m = tf.Module(name="block")
    assert m.name_scope.name == "block/"
    with m.name_scope:
        assert tf.get_current_name_scope() == "block"
        v = tf.Variable(1.0, name="v")
    assert v.name == "block/v:0"
    with tf.name_scope("outer"):
        inner = tf.Module(name="inner")
    assert inner.name == "inner" and inner.name_scope.name == "outer/inner/"
    with inner.name_scope:  # absolute: entered from anywhere, it is the same scope
        assert tf.get_current_name_scope() == "outer/inner"


def test_with_name_scope_decorator():
    class Block(tf.Module):
        @tf.Module.with_name_scope
        def make(self, value):
            """Makes a variable."""
            return tf.Variable(value, name="v"), tf.get_current_name_scope()

    v, scope = Block(name="blk").make(2.0)
    assert scope == "blk" and v.name == "blk/v:0" and float(v) == 2.0
    assert Block.make.__name__ == "make" and Block.make.__doc__ == "Makes a variable."


def test_module_defines_no_call():
    assert "__call__" not in vars(tf.Module)
    with pytest.raises(TypeError):
        tf.Module()(1)


# -- the walk ------------------------------------------------------------------------------
class Tree(tf.Module):
    def __init__(self):
        super().__init__()
        self.z = Leaf("z", name="zz")
        self.layers = [Leaf("l0"), Leaf("l1")]
        self.d = {"b": tf.Variable(1.0, name="db"), "a": tf.Variable(2.0, name="da")}
        self.a_shared = self.z.w
        self.t = (tf.Variable(3.0, name="tv"),)
        self.x = tf.constant(1.0)
        self.deep = Leaf("deep")
        self.deep.inner = Leaf("inner")


def test_variables_own_attributes_first_then_submodules():
    # Own attributes sorted by name: a_shared (z's w), d (keys a, b), deep/layers/z are
    # modules, t. Then each sub-module in the order found (deep -> its own b, w, then its
    # sub-module inner; layers[0]; layers[1]; z, whose w was seen already).
    expected = ["z_w:0", "da:0", "db:0", "tv:0", "deep_b:0", "deep_w:0", "inner_b:0",
                "inner_w:0", "l0_b:0", "l0_w:0", "l1_b:0", "l1_w:0", "z_b:0"]
    m = Tree()
    assert _names(m.variables) == expected
    assert _names(m.trainable_variables) == [n for n in expected if n.endswith("w:0") or
                                             n in ("da:0", "db:0", "tv:0")]
    assert _names(m.non_trainable_variables) == [n for n in expected if n.endswith("_b:0")]
    assert isinstance(m.variables, tuple)


def test_submodules_nearest_first():
    m = Tree()
    found = m.submodules
    assert isinstance(found, tuple)
    assert found == (m.deep, m.layers[0], m.layers[1], m.z, m.deep.inner)


def test_each_object_once_and_cycles_are_harmless():
    m = tf.Module()
    m.v = tf.Variable(1.0)
    m.again = [m.v, {"k": m.v}]
    m.me = m
    child = tf.Module()
    child.parent = m
    m.child = child
    m.child_twice = (child, child)
    assert len(m.variables) == 1
    assert m.submodules == (child,)
    assert child.submodules == (m,)


def test_paths_and_containers():
    Pair = collections.namedtuple("Pair", ["second", "first"])
    m = tf.Module()
    m.nt = Pair(tf.Variable(1.0, name="second"), tf.Variable(2.0, name="first"))
    m.od = collections.OrderedDict([("z", tf.Variable(3.0, name="z")),
                                    ("a", tf.Variable(4.0, name="a"))])
    m.nested = [tf.Variable(5.0, name="n0"), [tf.Variable(6.0, name="n1")]]
    # namedtuples keep field order, dicts (ordered or not) are walked by sorted key
    assert _names(m.variables) == ["n0:0", "n1:0", "second:0", "first:0", "a:0", "z:0"]
    paths = [p for p, _ in m._flatten(predicate=lambda x: hasattr(x, "_is_variable"),
                                      with_path=True)]
    assert paths == [("nested", 0), ("nested", 1, 0), ("nt", "second"), ("nt", "first"),
                     ("od", "a"), ("od", "z")]


def test_properties_and_ignored_attributes_are_not_walked():
    class WithProperty(tf.Module):
        _TF_MODULE_IGNORED_PROPERTIES = frozenset({"_cache"})

        def __init__(self):
            super().__init__()
            self.kept = tf.Variable(1.0, name="kept")
            self._cache = [tf.Variable(2.0, name="cached")]

        @property
        def made(self):
            return tf.Variable(3.0, name="made")

    assert _names(WithProperty().variables) == ["kept:0"]


def test_flatten_without_recursion():
    m = tf.Module()
    m.v = tf.Variable(1.0)
    m.sub = tf.Module()
    m.sub.w = tf.Variable(2.0)
    found = list(m._flatten(recursive=False, predicate=lambda x: hasattr(x, "_is_variable")))
    assert found == [m.v]


# -- in use ------------------------------------------------------------------------------------
class Linear(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(np.full((n_in, n_out), 0.5, np.float32), name="w")
        self.b = tf.Variable(np.zeros(n_out, np.float32), name="b")

    @tf.Module.with_name_scope
    def __call__(self, x):
        return x @ self.w + self.b


def test_training_step_over_trainable_variables():
    model = Linear(2, 1)
    x = tf.constant([[1.0, 2.0]])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        for v, g in zip(model.trainable_variables, grads):
            v.assign_sub(0.1 * g)
        return loss

    assert float(step()) == pytest.approx(1.5)  # 0.5 * 1 + 0.5 * 2
    # d loss / d b = 1, d loss / d w = x^T
    np.testing.assert_allclose(model.b.numpy(), [-0.1], rtol=1e-6)
    np.testing.assert_allclose(model.w.numpy(), [[0.4], [0.3]], rtol=1e-6)


def test_modules_created_while_tracing_get_unique_scopes():
    seen = []

    @tf.function
    def fn(x):
        a, b = tf.Module(name="m"), tf.Module(name="m")
        seen.extend([a.name_scope.name, b.name_scope.name])
        return x

    fn(tf.constant(1.0))
    assert seen == ["m/", "m_1/"]


def test_docstring_examples():
    result = doctest.testmod(module_lib, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
