"""Layer calls on keras.Input tensors: the functional graph, Nodes and keras history."""

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.layers import input_layer, node


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()


def test_input_dense_raw_op_dense_records_history_and_shapes():
    inp = keras.Input(shape=(4,), name="x")
    assert isinstance(inp, keras.KerasTensor) and keras.backend.is_keras_tensor(inp)
    assert inp.shape.as_list() == [None, 4] and inp.dtype == tf.float32
    d1, d2 = keras.layers.Dense(3, name="d1"), keras.layers.Dense(1, name="d2")
    h = d1(inp)
    z = tf.concat([h, inp], axis=1) * 2.0  # raw ops between layers join the graph
    out = d2(z)
    assert h.shape.as_list() == [None, 3] and z.shape.as_list() == [None, 7]
    assert out.shape.as_list() == [None, 1]
    assert d2.kernel.shape.as_list() == [7, 1]  # built from the static shape, eagerly
    in_layer = input_layer.get_keras_history(inp).layer
    assert isinstance(in_layer, keras.layers.InputLayer) and in_layer.name == "x"
    assert input_layer.get_keras_history(h) == (d1, 0, 0)
    assert input_layer.get_keras_history(out) == (d2, 0, 0)
    assert input_layer.get_keras_history(z) is None and input_layer.is_keras_tensor(z)
    n1 = d1._inbound_nodes[0]
    assert n1.layer is d1 and n1.node_index == 0
    assert n1.call_args == (inp,) and n1.call_kwargs == {}
    assert n1.input_tensors == [inp] and n1.outputs == [h] and n1.output_tensors == [h]
    assert n1.parent_nodes == [in_layer._inbound_nodes[0]]
    assert d2._inbound_nodes[0].input_tensors == [z] and d2._inbound_nodes[0].parent_nodes == []
    assert d1.input is inp and d1.output is h
    assert d1.input_shape == (None, 4) and d2.output_shape == (None, 1)
    assert in_layer.input is inp and in_layer.output is inp
    assert all(t.op.graph is node.functional_graph() for t in (inp, h, z, out))
    assert tf.executing_eagerly()  # the graph is pushed only during the layer call


def test_symbolic_call_sees_a_graph_and_keeps_training_only_when_passed():
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x, training=None):
            seen.append((tf.executing_eagerly(), training))
            return keras.layers.Dense(2)(x)  # a nested call: no node of its own

    probe = Probe()
    inp = keras.Input((3,))
    probe(inp)
    probe(inp, training=True)
    assert seen == [(False, None), (False, True)]
    assert [n.call_kwargs for n in probe._inbound_nodes] == [{}, {"training": True}]
    assert [n.node_index for n in probe._inbound_nodes] == [0, 1]


def test_outputs_are_fresh_tensors_even_when_call_returns_its_input():
    ident = keras.layers.Identity()
    inp = keras.Input((2,))
    out = ident(inp)
    assert out is not inp
    assert input_layer.get_keras_history(inp).layer is not ident
    assert input_layer.get_keras_history(out) == (ident, 0, 0)


def test_several_inputs_and_outputs_and_nested_structures():
    class Split(keras.layers.Layer):
        def call(self, inputs):
            return {"sum": inputs["a"] + inputs["b"], "diff": inputs["a"] - inputs["b"]}

    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    layer = Split()
    out = layer({"a": a, "b": b})
    assert set(out) == {"diff", "sum"}
    nd = layer._inbound_nodes[0]
    assert nd.input_tensors == [a, b]  # tf.nest order (dict keys sorted)
    assert nd.outputs == [out["diff"], out["sum"]]
    assert input_layer.get_keras_history(out["sum"]) == (layer, 0, 1)


def test_symbolic_losses_do_not_leak_and_real_calls_add_them():
    class Penalized(keras.layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(x))
            return x

    layer = Penalized()
    layer(keras.Input((2,)))
    assert layer.losses == []
    layer(np.ones((1, 2), np.float32))
    assert [float(v) for v in layer.losses] == [2.0]


def test_input_arguments_and_errors():
    names = [input_layer.get_keras_history(keras.Input((1,))).layer.name for _ in range(2)]
    assert names == ["input_layer", "input_layer_1"]
    assert keras.Input(shape=(3,), batch_size=8).shape.as_list() == [8, 3]
    assert keras.Input(batch_shape=(None, 2, 5)).shape.as_list() == [None, 2, 5]
    assert keras.Input((4,), dtype="int32").dtype == tf.int32
    layer = keras.layers.InputLayer(input_shape=(3,), name="feats")
    assert layer.output.shape.as_list() == [None, 3] and layer.batch_shape == (None, 3)
    assert layer.get_config() == {"batch_shape": (None, 3), "dtype": "float32",
                                  "sparse": False, "name": "feats"}
    with pytest.raises(ValueError, match="(?s)shape=.*hint"):
        keras.Input()
    with pytest.raises(TypeError, match="(?s)unexpected.*'colour'"):
        keras.Input((2,), colour="red")


def test_layer_io_properties_explain_when_undefined():
    layer = keras.layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    with pytest.raises(AttributeError, match="(?s)never been called on keras.Input.*hint"):
        layer.output
    with pytest.raises(AttributeError, match="input shape"):
        layer.input_shape


def test_clear_session_starts_a_new_graph():
    before = node.functional_graph()
    old = keras.Input((2,))
    keras.backend.clear_session()
    assert node.functional_graph() is not before
    new = keras.Input((2,))
    assert new.op.graph is not old.op.graph
    assert input_layer.get_keras_history(old) is not None  # old tensors keep their history


def test_compute_output_shape_by_default_runs_call_symbolically():
    class Twice(keras.layers.Layer):
        def call(self, x):
            return tf.concat([x, x], axis=-1)

    layer = Twice()
    assert layer.compute_output_shape((None, 3)) == (None, 6)
    assert layer.compute_output_shape(tf.TensorShape([5, 2, 4])) == (5, 2, 8)
    assert tf.executing_eagerly() and layer.losses == []


def test_bool_of_a_symbolic_tensor_explains_dynamic():
    class Branchy(keras.layers.Layer):
        def call(self, x):
            if tf.reduce_sum(x) > 0:
                return x
            return -x

    with pytest.raises(TypeError, match="(?s)Python bool.*dynamic=True"):
        Branchy()(keras.Input((2,)))
