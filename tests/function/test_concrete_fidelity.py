"""ConcreteFunction as TensorFlow code reads it: function_def, the graph by name and as a
GraphDef, signatures, inference_fn, the flat calling convention, and the tracing protocol of
user classes (`__tf_tracing_type__`). Expected texts are TensorFlow 2.21's output for the
same code; the parity test at the end runs both when RILL_TF_PYTHON is set."""

import doctest
import sys

import pytest

import rill as tf
from rill.function import concrete, trace_type
from tests.conftest import run_script

function = sys.modules["rill.function.function"]  # the package exports tf.function as this


@tf.function
def _scaled(x, y=2, *, z=None):
    return {"a": x * 2.0, "b": x + 1.0}


def _concrete():
    return _scaled.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="xx"))


def test_function_def_signature_names_and_types():
    v = tf.Variable(2.0)
    f = tf.function(lambda x, n: x * v * n)
    fd = f.get_concrete_function(tf.TensorSpec([], tf.float32, name="x"), 3).function_def
    sig = fd.signature
    assert sig.name.startswith("__inference_")
    assert [(a.name, a.type) for a in sig.input_arg] == [
        ("x", 1), ("readvariableop_resource", 20)]  # DT_FLOAT, DT_RESOURCE
    assert [(a.name, str(a.type)) for a in sig.output_arg] == [("identity", "DT_FLOAT")]
    assert list(fd.ret) == ["identity"]
    assert sig.is_stateful  # it reads a variable
    text = str(fd)
    assert 'input_arg {\n    name: "x"\n    type: DT_FLOAT\n  }' in text
    assert {n.op for n in fd.node_def} >= {"Mul", "ReadVariableOp"}


def test_two_outputs_are_identity_and_identity_1():
    fd = _concrete().function_def
    assert [a.name for a in fd.signature.output_arg] == ["identity", "identity_1"]
    assert [a.name for a in fd.signature.input_arg] == ["xx"]


def test_get_tensor_by_name():
    g = _concrete().graph
    x = g.get_tensor_by_name("xx:0")
    assert (x.shape.as_list(), x.dtype) == ([None, 3], tf.float32)
    mul = g.get_tensor_by_name("mul:0")  # TensorFlow's name; rill's op is "Mul"
    assert mul.op.type == "Mul" and mul is g.get_tensor_by_name("Mul:0")
    with pytest.raises(ValueError, match="looks like an \\(invalid\\) Operation name"):
        g.get_tensor_by_name("xx")
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("nothing:0")


def test_as_graph_def_nodes():
    gd = _concrete().graph.as_graph_def()
    nodes = {n.name: n for n in gd.node}
    assert nodes["xx"].op == "Placeholder" and nodes["xx"].input == []
    mul = next(n for n in gd.node if n.op == "Mul")
    assert mul.input[0] == "xx" and nodes[mul.input[1]].op == "Const"
    text = str(gd)
    assert text.startswith('node {\n  name: "xx"\n  op: "Placeholder"\n')
    assert 'key: "dtype"\n    value {\n      type: DT_FLOAT\n    }' in text
    assert "dim {\n          size: -1\n        }" in text  # the unknown batch dimension


def test_structured_signatures_and_outputs():
    cf = _concrete()
    assert cf.structured_input_signature == (
        (tf.TensorSpec([None, 3], tf.float32, name="xx"), 2), {"z": None})
    out = cf.structured_outputs
    assert sorted(out) == ["a", "b"] and out["a"].shape.as_list() == [None, 3]


def test_inference_fn():
    cf = _concrete()
    fn = cf.inference_fn
    assert fn.name == cf.function_def.signature.name.encode()
    assert str(fn) == (
        f"<AtomicFunction> {fn.name.decode()}(x: TensorSpec(shape=(None, 3), "
        f"dtype=tf.float32, name='xx'), y: Literal[2], *, z: Literal[None]) -> "
        f"Dict[['a', TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)], "
        f"['b', TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)]]")
    out = fn(tf.constant([[1.0, 2.0, 3.0]]))
    assert out["a"].numpy().tolist() == [[2.0, 4.0, 6.0]]
    a, b = fn.call_flat(tf.constant([[1.0, 2.0, 3.0]]))
    assert b.numpy().tolist() == [[2.0, 3.0, 4.0]]


def test_pretty_printed_concrete_signatures():
    # with *args, TensorFlow shows every positional parameter as positional-only
    def g(x, y=2, *args, z=None, **kw):
        return x * 2.0
    f = tf.function(g)
    f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="xx"), 2, 5, z=3, w=4)
    f(tf.constant([1.0]))
    assert f.pretty_printed_concrete_signatures() == (
        "Input Parameters:\n"
        "  x (POSITIONAL_ONLY): TensorSpec(shape=(None, 3), dtype=tf.float32, name='xx')\n"
        "  y (POSITIONAL_ONLY): Literal[2]\n"
        "  args_0 (POSITIONAL_ONLY): Literal[5]\n"
        "  z (KEYWORD_ONLY): Literal[3]\n"
        "  w (KEYWORD_ONLY): Literal[4]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None\n"
        "\n"
        "Input Parameters:\n"
        "  x (POSITIONAL_ONLY): TensorSpec(shape=(1,), dtype=tf.float32, name=None)\n"
        "  y (POSITIONAL_ONLY): Literal[2]\n"
        "  z (KEYWORD_ONLY): Literal[None]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(1,), dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None")
    first = f.pretty_printed_concrete_signatures(verbose=False).split("\n")[0]
    assert first == ("(x: TensorSpec(shape=(None, 3), dtype=tf.float32, name='xx'), y: "
                     "Literal[2], args_0: Literal[5], /, *, z: Literal[3], w: Literal[4]) -> "
                     "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)")


class _Scale:
    def __init__(self, k):
        self.k = k


def test_python_arguments_are_bound_at_trace_time():
    f = tf.function(lambda x, n: x * n)
    cf = f.get_concrete_function(tf.TensorSpec([], tf.float32), 3)
    assert float(cf(tf.constant(2.0))) == 6.0  # the tensor alone
    assert float(cf(tf.constant(2.0), 3)) == 6.0  # or with the traced value
    with pytest.raises(TypeError, match="traced for the Python int 3"):
        cf(tf.constant(2.0), 4)
    g = tf.function(lambda obj, x: x * obj.k)
    obj = _Scale(5.0)
    cg = g.get_concrete_function(obj, tf.TensorSpec([], tf.float32))
    assert float(cg(tf.constant(2.0))) == 10.0
    assert float(cg(x=tf.constant(1.0))) == 5.0  # the flat signature by name
    assert float(cg(obj, tf.constant(3.0))) == 15.0
    with pytest.raises(TypeError):
        cg(_Scale(1.0), tf.constant(2.0))  # another object: not this graph
    with pytest.raises(TypeError):
        cg(tf.constant([1.0, 2.0]))  # the flat signature checks shapes too


class FruitType(tf.types.experimental.TraceType):
    def __init__(self, fruit):
        self.kind = type(fruit)
        self.value = fruit

    def is_subtype_of(self, other):
        return type(other) is FruitType and self.kind is other.kind

    def most_specific_common_supertype(self, others):
        return self if all(self == o for o in others) else None

    def placeholder_value(self, placeholder_context=None):
        return self.value

    def __eq__(self, other):
        return type(other) is FruitType and self.kind == other.kind

    def __hash__(self):
        return hash(self.kind)

    def __repr__(self):
        return f"FruitType({self.kind.__name__})"


class Fruit:
    def __init__(self, weight):
        self.weight = weight

    def __tf_tracing_type__(self, context):
        return FruitType(self)


class Apple(Fruit):
    pass


class Mango(Fruit):
    pass


def test_tracing_protocol_keys_the_cache_by_trace_type():
    traced = []

    @tf.function
    def f(fruit, x):
        traced.append(fruit.weight)
        return x * fruit.weight

    one = tf.constant(1.0)
    # as TensorFlow: equal trace types reuse the graph traced with the placeholder value
    assert [float(f(Apple(2.0), one)), float(f(Apple(3.0), one)),
            float(f(Mango(5.0), one))] == [2.0, 2.0, 5.0]
    assert traced == [2.0, 5.0] and f.experimental_get_tracing_count() == 2
    cf = f.get_concrete_function(Apple(7.0), tf.TensorSpec([], tf.float32))
    assert float(cf(one)) == 2.0 and f.experimental_get_tracing_count() == 2
    assert "fruit (POSITIONAL_OR_KEYWORD): FruitType(Apple)" in \
        f.pretty_printed_concrete_signatures()


def test_trace_type_subtypes_reuse_a_graph():
    class Any(FruitType):
        def __init__(self):
            self.kind = object
            self.value = Apple(1.0)

        def __eq__(self, other):
            return type(other) is Any

        def __hash__(self):
            return 0

    class Wild(Fruit):
        def __tf_tracing_type__(self, context):
            return Any()

    class Kiwi(Fruit):
        def __tf_tracing_type__(self, context):
            kiwi = FruitType(self)
            kiwi.is_subtype_of = lambda other: type(other) is Any
            return kiwi

    f = tf.function(lambda fruit, x: x * fruit.weight)
    f(Wild(4.0), tf.constant(1.0))
    assert float(f(Kiwi(9.0), tf.constant(1.0))) == 1.0  # the Any graph (placeholder 1.0)
    assert f.experimental_get_tracing_count() == 1


def test_trace_type_is_abstract():
    class Incomplete(tf.types.experimental.TraceType):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()


@pytest.mark.parametrize("module", [concrete, function, trace_type])
def test_docstring_examples(module):
    result = doctest.testmod(module, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0


PARITY = r'''
import numpy as np
import {module} as tf

def g(x, y=2, *args, z=None, **kw):
    return x * 2.0
f = tf.function(g)
f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="xx"), 2, 5, z=3, w=4)
f(tf.constant([1.0]))
print(f.pretty_printed_concrete_signatures())
print(f.pretty_printed_concrete_signatures(verbose=False))
h = tf.function(lambda x, *, k=1: {{"a": x, "b": (x * 2, x)}})
cf = h.get_concrete_function(tf.TensorSpec([2], tf.int32, name="inp"))
print(cf.pretty_printed_signature(verbose=False))
fd = cf.function_def
print([(a.name, a.type) for a in fd.signature.input_arg])
print([(a.name, a.type) for a in fd.signature.output_arg])
print(sorted(fd.ret))
print(str(cf.inference_fn).split("(", 1)[1])
print(cf.graph.get_tensor_by_name("inp:0").shape)
print([n.op for n in cf.graph.as_graph_def().node if n.op == "Placeholder"])

class Obj:
    k = 4.0
o = tf.function(lambda obj, x: x * obj.k)
co = o.get_concrete_function(Obj(), tf.TensorSpec([], tf.float32))
print(float(co(tf.constant(2.0))))
p = tf.function(lambda x, n: x * n)
cp = p.get_concrete_function(tf.TensorSpec([], tf.float32), 3)
print(float(cp(tf.constant(2.0))), float(cp(tf.constant(2.0), 3)))
'''


def _run(python, module):
    return run_script(python, PARITY.format(module=module), timeout=120)


def test_same_output_as_tensorflow(tf_python):  # RILL_TF_PYTHON: see tests/conftest.py
    assert _run(sys.executable, "rill") == _run(tf_python, "tensorflow")
