"""tf.TensorSpec, the trace cache, input_signature, reduce_retracing, concrete functions."""

import collections

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError
from rill.function import ConcreteFunction

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")
Point = collections.namedtuple("Point", "a b")


# -- TensorSpec ---------------------------------------------------------------------------
def test_tensor_spec_basics():
    spec = tf.TensorSpec([None, 3], tf.float32, name="inp")
    assert spec.shape == tf.TensorShape([None, 3])
    assert spec.dtype == tf.float32 and spec.name == "inp"
    assert repr(spec) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name='inp')"
    assert spec == tf.TensorSpec([None, 3], tf.float32, name="inp")
    assert spec != tf.TensorSpec([None, 3], tf.float32)
    assert hash(spec) == hash(tf.TensorSpec([None, 3], "float32", name="inp"))
    assert tf.TensorSpec([2]).dtype == tf.float32  # TensorFlow's default dtype


def test_tensor_spec_compatibility():
    spec = tf.TensorSpec([None, 3], tf.float32)
    assert spec.is_compatible_with(tf.zeros([5, 3]))
    assert spec.is_compatible_with(tf.TensorSpec([1, 3], tf.float32))
    assert not spec.is_compatible_with(tf.zeros([5, 2]))
    assert not spec.is_compatible_with(tf.zeros([5, 3], tf.float64))
    assert not spec.is_compatible_with(tf.zeros([3]))
    assert tf.TensorSpec(None, tf.int32).is_compatible_with(tf.zeros([1, 2, 3], tf.int32))


def test_tensor_spec_from_tensor():
    spec = tf.TensorSpec.from_tensor(tf.constant([1, 2]))
    assert spec == tf.TensorSpec([2], tf.int32)
    spec = tf.TensorSpec.from_tensor(np.zeros((2, 3)), name="z")
    assert spec == tf.TensorSpec([2, 3], tf.float64, name="z")


def test_tensor_spec_common_supertype():
    a = tf.TensorSpec([2, 3], tf.float32)
    assert a.most_specific_common_supertype([tf.TensorSpec([4, 3], tf.float32)]) == \
        tf.TensorSpec([None, 3], tf.float32)
    assert a.most_specific_common_supertype([tf.TensorSpec([2, 3], tf.int32)]) is None


# -- the cache ----------------------------------------------------------------------------
def test_python_values_key_by_type_and_value():
    f = tf.function(lambda x: x)
    f(1)
    f(1)
    f(2)
    f(1.0)  # a float is another type than an int
    f(True)
    assert f.experimental_get_tracing_count() == 4


def test_objects_key_by_identity():
    class Config:
        __hash__ = None  # unhashable: keyed by identity

    f = tf.function(lambda x, c: x + 1)
    c = Config()
    f(tf.constant(1), c)
    f(tf.constant(1), c)
    assert f.experimental_get_tracing_count() == 1
    f(tf.constant(1), Config())
    assert f.experimental_get_tracing_count() == 2


def test_numpy_arrays_are_traced_like_tensors():
    f = tf.function(lambda x: x * 2)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(f(np.array([5.0, 6.0])).numpy(), [10.0, 12.0])
    assert f.experimental_get_tracing_count() == 1
    assert f(np.array([1.0, 2.0])).dtype == tf.float64


def test_keywords_defaults_and_positions_share_a_graph():
    @tf.function
    def f(x, y=2.0):
        return x * y

    x = tf.constant(3.0)
    assert f(x).numpy() == 6.0
    assert f(x, 2.0).numpy() == 6.0
    assert f(x, y=2.0).numpy() == 6.0
    assert f(x=x).numpy() == 6.0
    assert f.experimental_get_tracing_count() == 1
    assert f(x, 3.0).numpy() == 9.0
    assert f.experimental_get_tracing_count() == 2


def test_nested_structures_in_and_out():
    @tf.function
    def f(d, items, p, scale):
        return {"sum": d["x"] + items[0], "pair": (p.a, p.b * 2), "none": None,
                "scale": scale, "label": "hi"}

    out = f({"x": tf.constant(1.0)}, [tf.constant(2.0)], Point(tf.constant(1), tf.constant(2)),
            2.5)
    assert set(out) == {"sum", "pair", "none", "scale", "label"}
    assert out["sum"].numpy() == 3.0
    assert out["pair"][0].numpy() == 1 and out["pair"][1].numpy() == 4
    assert out["none"] is None
    # Python values in results come back as tensors, as in TensorFlow
    assert isinstance(out["scale"], tf.Tensor) and out["scale"].numpy() == 2.5
    assert out["label"].numpy() == b"hi"


def test_results_keep_namedtuples_and_lists():
    f = tf.function(lambda x: [Point(x, x + 1), x * 2])
    out = f(tf.constant(1))
    assert isinstance(out, list) and isinstance(out[0], Point)
    assert [int(out[0].a), int(out[0].b), int(out[1])] == [1, 2, 2]


def test_returning_an_unsupported_object_raises_type_error():
    f = tf.function(lambda x: object())
    with pytest.raises(TypeError, match="must return zero or more Tensors"):
        f(1)


def test_returning_a_variable_returns_its_value():
    v = tf.Variable([1.0, 2.0])
    out = tf.function(lambda: v)()
    assert isinstance(out, tf.Tensor) and not isinstance(out, tf.Variable)
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0])


def test_captured_eager_tensor_and_variable():
    c = tf.constant([1.0, 2.0])
    v = tf.Variable([10.0, 20.0])
    f = tf.function(lambda x: x + c + v)
    np.testing.assert_array_equal(f(tf.ones([2])).numpy(), [12.0, 23.0])
    v.assign([0.0, 0.0])  # variables are read on every call, not captured by value
    np.testing.assert_array_equal(f(tf.ones([2])).numpy(), [2.0, 3.0])
    assert f.experimental_get_tracing_count() == 1


def test_methods_get_one_cache_per_instance():
    class Model:
        def __init__(self, k):
            self.k = k

        @tf.function
        def call(self, x):
            return x * self.k

    a, b = Model(2.0), Model(3.0)
    assert a.call(tf.constant(1.0)).numpy() == 2.0
    assert b.call(tf.constant(1.0)).numpy() == 3.0
    assert a.call is a.call
    assert a.call.experimental_get_tracing_count() == 1
    assert b.call.experimental_get_tracing_count() == 1
    assert a.call.python_function(5.0) == 10.0


def test_bound_function_does_not_keep_the_instance_alive():
    import gc
    import weakref

    class Model:
        @tf.function
        def call(self, x):
            return x + 1

    m = Model()
    m.call(tf.constant(1))
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_function_of_a_bound_method():
    class Model:
        def step(self, x):
            return x - 1

    f = tf.function(Model().step)
    assert f(tf.constant(3)).numpy() == 2


# -- input_signature and reduce_retracing -------------------------------------------------
def test_input_signature_traces_once_with_unknown_dims():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x * 2

    for n in (1, 2, 5):
        np.testing.assert_array_equal(f(tf.ones([n])).numpy(), np.full(n, 2.0))
    assert f.experimental_get_tracing_count() == 1
    (spec,), _ = f.get_concrete_function().structured_input_signature
    assert spec.shape == tf.TensorShape([None])
    np.testing.assert_array_equal(f([1.0, 2.0]).numpy(), [2.0, 4.0])  # converted
    np.testing.assert_array_equal(f(np.ones(3)).numpy(), [2.0, 2.0, 2.0])  # cast to float32


def test_input_signature_rejects_incompatible_arguments():
    f = tf.function(lambda x: x * 2, input_signature=[tf.TensorSpec([None], tf.float32)])
    with pytest.raises(TypeError, match="Can not cast TensorSpec.*shape=\\(2, 2\\)"):
        f(tf.zeros([2, 2]))
    with pytest.raises(TypeError, match="int32"):
        f(tf.zeros([2], tf.int32))
    with pytest.raises(TypeError, match="too many positional arguments"):
        f(1.0, 2.0)


def test_input_signature_must_hold_tensor_specs():
    with pytest.raises(TypeError, match="TensorSpec"):
        tf.function(lambda x: x, input_signature=[3])


def test_reduce_retracing_relaxes_differing_dimensions():
    f = tf.function(lambda x: x * 2, reduce_retracing=True)
    f(tf.zeros([1]))
    f(tf.zeros([2]))  # retraced with shape (None,)
    f(tf.zeros([3]))
    f(tf.zeros([7]))
    assert f.experimental_get_tracing_count() == 2
    (spec,), _ = f.get_concrete_function(tf.zeros([5])).structured_input_signature
    assert spec.shape == tf.TensorShape([None])
    f(tf.zeros([2, 2]))  # another rank: traced again
    assert f.experimental_get_tracing_count() == 3
    np.testing.assert_array_equal(f(tf.ones([4])).numpy(), np.full(4, 2.0))


# -- concrete functions -------------------------------------------------------------------
def test_get_concrete_function_with_specs():
    f = tf.function(lambda x, y=1: x * y)
    cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="inp"))
    assert isinstance(cf, ConcreteFunction)
    ops = cf.graph.get_operations()
    assert [op.type for op in ops] == ["Placeholder", "Const", "Mul"]
    assert ops[0].name == "inp" and ops[0].outputs[0].name == "inp:0"
    assert [t.name for t in ops[2].inputs] == ["inp:0", "Const:0"]
    assert cf.inputs[0].shape == tf.TensorShape([None, 3])
    np.testing.assert_array_equal(cf(tf.ones([2, 3])).numpy(), np.ones((2, 3)))
    assert f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="inp")) is cf


def test_concrete_function_checks_its_inputs():
    cf = tf.function(lambda x: x + 1).get_concrete_function(tf.TensorSpec([None, 3]))
    with pytest.raises(InvalidArgumentError, match="shape \\(2,\\)"):
        cf(tf.constant([1.0, 2.0]))
    with pytest.raises(InvalidArgumentError, match="dtype int32"):
        cf(tf.constant([[1, 2, 3]]))
    with pytest.raises(TypeError):
        cf(tf.ones([1, 3]), tf.ones([1, 3]))


def test_structured_signature_and_outputs():
    @tf.function
    def f(d, items, p, s):
        return {"sum": d["x"] + items[0], "p": p.a, "none": None}

    cf = f.get_concrete_function({"x": tf.constant(1.0)}, [tf.constant(2.0)],
                                 Point(tf.constant(1), tf.constant(2)), 2.5)
    args, kwargs = cf.structured_input_signature
    assert kwargs == {}
    assert args[0] == {"x": tf.TensorSpec([], tf.float32, name="d_x")}
    assert args[1] == [tf.TensorSpec([], tf.float32, name="items_0")]
    assert args[2] == Point(tf.TensorSpec([], tf.int32, name="p_a"),
                            tf.TensorSpec([], tf.int32, name="p_b"))
    assert args[3] == 2.5
    out = cf.structured_outputs
    assert set(out) == {"sum", "p", "none"} and out["none"] is None
    assert out["sum"].dtype == tf.float32 and out["p"].dtype == tf.int32


def test_pretty_printed_signature_like_tensorflow():
    f = tf.function(lambda x, y=1: x * y)
    cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="inp"))
    assert cf.pretty_printed_signature() == (
        "Input Parameters:\n"
        "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None, 3), dtype=tf.float32, "
        "name='inp')\n"
        "  y (POSITIONAL_OR_KEYWORD): Literal[1]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None")
    assert repr(cf).startswith("<ConcreteFunction (x: TensorSpec(shape=(None, 3), "
                               "dtype=tf.float32, name='inp'), y: Literal[1]) -> "
                               "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None) at 0x")


def test_pretty_printed_signature_of_structures():
    f = tf.function(lambda d, items, p: (d["k"], items))
    cf = f.get_concrete_function({"k": tf.constant(1.0)}, [tf.constant(1)],
                                 Point(tf.constant(1), 3))
    text = cf.pretty_printed_signature()
    assert "d (POSITIONAL_OR_KEYWORD): Dict[['k', TensorSpec(shape=(), dtype=tf.float32, " \
           "name=None)]]" in text
    assert "items (POSITIONAL_OR_KEYWORD): List[TensorSpec(shape=(), dtype=tf.int32, " \
           "name=None)]" in text
    assert "p (POSITIONAL_OR_KEYWORD): Point[['a', TensorSpec(shape=(), dtype=tf.int32, " \
           "name=None)], ['b', Literal[3]]]" in text
    assert "Tuple[TensorSpec(shape=(), dtype=tf.float32, name=None), List[" in text


def test_concrete_function_lists_variables_as_captures():
    v = tf.Variable(1.0)
    cf = tf.function(lambda x: x * v).get_concrete_function(tf.constant(1.0))
    assert cf.variables == (v,)
    assert cf.trainable_variables == (v,)
    # as TensorFlow 2.21: a variable is captured as its resource handle
    assert f"{id(v)}: TensorSpec(shape=(), dtype=tf.resource, name=None)" in \
        cf.pretty_printed_signature()


def test_calling_with_a_tensor_spec_raises():
    f = tf.function(lambda x: x)
    with pytest.raises(TypeError, match="hold no values"):
        f(tf.TensorSpec([2]))


def test_calls_reuse_a_concrete_function_traced_for_a_relaxed_spec():
    f = tf.function(lambda x: x + 1.0)
    cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    np.testing.assert_array_equal(f(tf.zeros([3])).numpy(), [1.0, 1.0, 1.0])
    f(tf.zeros([5]))
    assert f.experimental_get_tracing_count() == 1
    assert f.get_concrete_function(tf.zeros([7])) is cf
