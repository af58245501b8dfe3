"""The functional API's graph, and `Node`: one layer call recorded in it.

`keras.Input` makes placeholders of one process-wide rill `Graph` whose `open_for_ops` flag is
set, so eager code applying any op to its tensors (`tf.concat([a, b], 1)`, `a * 2`) adds a
node there. When the outermost `Layer.__call__` receives such tensors it runs `call` with the
graph pushed and records a `Node`; each output tensor then has a keras history
`(layer, node_index, tensor_index)`, kept in a table of the graph (rill's symbolic tensors
take no new attributes). `keras.backend.clear_session()` starts a new graph.

The functional model reads the recording through `get_keras_history(t)` (None for the output
of a raw op, whose `t.op` it replays) and `layer._inbound_nodes[node_index]`.
"""

from __future__ import annotations

from collections import namedtuple

import rill as tf
from rill._core.graph import GraphTensor

KerasTensor = GraphTensor  # the class of the functional API's symbolic tensors

_graph: list = [None]


def functional_graph() -> tf.Graph:
    """The graph that `keras.Input` tensors and the layer calls on them live in."""
    g = _graph[0]
    if g is None:
        g = tf.Graph("keras_functional")
        g.open_for_ops = True
        g._keras_history = {}  # id(tensor) -> KerasHistory; the graph keeps its tensors alive
        _graph[0] = g
    return g


def reset_functional_graph() -> None:
    """Forgets the functional graph (`keras.backend.clear_session()`); tensors made before
    keep their graph and history."""
    _graph[0] = None


class KerasHistory(namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])):
    """Where a symbolic tensor comes from: output `tensor_index` of `layer._inbound_nodes[
    node_index]`."""

    __slots__ = ()

    @property
    def operation(self):  # Keras 3's name for the layer
        return self.layer


def is_keras_tensor(x) -> bool:
    """True for the symbolic tensors of a functional graph (`keras.Input` and everything
    computed from it, by layers or raw ops)."""
    return type(x) is GraphTensor and hasattr(x.op.graph, "_keras_history")


def get_keras_history(x):
    """The `KerasHistory` of a layer's output (or a `keras.Input`), else None."""
    if type(x) is not GraphTensor:
        return None
    table = getattr(x.op.graph, "_keras_history", None)
    return None if table is None else table.get(id(x))


def symbolic_graph(flat: list):
    """The functional graph of the first keras tensor in `flat`, else None."""
    for x in flat:
        if type(x) is GraphTensor and getattr(x.op.graph, "open_for_ops", False):
            return x.op.graph
    return None


class Node:
    """One call of `layer` on symbolic tensors of the functional graph.

    Attributes:
        layer: the layer called.
        call_args, call_kwargs: the arguments as given (nested structures holding the
            symbolic input tensors; `training`/`mask` only when the caller passed them).
        input_tensors: the keras tensors among the arguments, flat, in `tf.nest` order.
        outputs: the output tensors, flat (`output_tensors` is the same list);
            `output_structure` is what `call` returned.
        node_index: the position of this node in `layer._inbound_nodes`.
    """

    __slots__ = ("layer", "call_args", "call_kwargs", "input_tensors", "outputs",
                 "output_structure", "node_index")

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.input_tensors = [t for t in tf.nest.flatten((self.call_args, self.call_kwargs))
                              if is_keras_tensor(t)]
        self.output_structure = outputs
        self.outputs = [t for t in tf.nest.flatten(outputs) if type(t) is GraphTensor]
        nodes = layer.__dict__.setdefault("_inbound_nodes", [])
        self.node_index = len(nodes)
        nodes.append(self)
        for i, t in enumerate(self.outputs):
            table = getattr(t.op.graph, "_keras_history", None)
            if table is not None:
                table[id(t)] = KerasHistory(layer, self.node_index, i)

    @property
    def output_tensors(self) -> list:
        return self.outputs

    @property
    def is_input(self) -> bool:
        """True for the node of an `InputLayer` (it has no inputs)."""
        return not self.input_tensors and not self.call_args

    @property
    def parent_nodes(self) -> list:
        """The nodes whose outputs this node reads directly (an input made by a raw op
        has no parent node)."""
        out = []
        for t in self.input_tensors:
            hist = get_keras_history(t)
            if hist is not None:
                node = hist.layer._inbound_nodes[hist.node_index]
                if node not in out:
                    out.append(node)
        return out

    @property
    def input_shapes(self) -> list:
        return [t.shape for t in self.input_tensors]

    @property
    def output_shapes(self) -> list:
        return [t.shape for t in self.outputs]

    def __repr__(self) -> str:
        return (f"<Node {self.layer.name}[{self.node_index}]: "
                f"{[tuple(s.as_list()) for s in self.input_shapes]} -> "
                f"{[tuple(s.as_list()) for s in self.output_shapes]}>")
