"""Functional models: run the graph recorded from `keras.Input` to the outputs.

The graph holds two kinds of steps, found by walking back from the outputs:

- a layer call recorded as a `Node` (the outputs carry keras history): at run time the layer
  is called again on the values of the node's inputs, with the node's other arguments;
- a raw op applied to symbolic tensors between layers (`tf.concat`, `x * 2`): the engine added
  it to the open functional graph; it is replayed with `rill._core.op.execute(op.opdef,
  inputs, op.attrs)` (a `Const` from its `value` attribute), so tapes and traces see it.

Steps are ordered as Keras 3 orders its operations: by depth from the outputs (deepest
first), ties by the order a depth-first walk from the outputs meets them.
"""

from __future__ import annotations

import rill as tf
from rill._core import op as _op
from rill.keras.layers import input_layer as _il
from rill.keras.models.model import Model


def _history(t):
    return _il.get_keras_history(t) if _il.is_keras_tensor(t) else None


def _node_of(t):
    hist = _history(t)
    if hist is None:
        return None, None
    layer, node_index, _ = hist
    return layer, layer._inbound_nodes[node_index]


def _is_input_layer(layer) -> bool:
    return isinstance(layer, _il.InputLayer)


class _OpStep:
    """A raw op between layers, replayed through `execute`."""

    __slots__ = ("op", "inputs", "outputs", "name")

    def __init__(self, op):
        self.op = op
        self.inputs = list(op.inputs)
        self.outputs = list(op.outputs)
        self.name = op.opdef.public_name  # made unique by the graph, as tf.keras 2 names

    def run(self, values: dict, training=None):
        ins = tuple(values[id(x)] for x in self.inputs)
        out = _op.execute(self.op.opdef, ins, self.op.attrs)
        return list(out) if isinstance(out, tuple) else [out]


class _NodeStep:
    """A layer call recorded as a Node, replayed by calling the layer."""

    __slots__ = ("layer", "node", "inputs", "outputs")

    def __init__(self, layer, node):
        self.layer, self.node = layer, node
        self.inputs = list(node.input_tensors)
        self.outputs = tf.nest.flatten(node.output_tensors)

    @property
    def name(self) -> str:
        return self.layer.name

    def run(self, values: dict, training=None):
        args, kwargs = self.node.call_args, dict(self.node.call_kwargs)

        def fill(x):
            return values[id(x)] if isinstance(x, tf.Tensor) and id(x) in values else x

        args = tf.nest.map_structure(fill, list(args))
        kwargs = tf.nest.map_structure(fill, kwargs)
        if "training" not in kwargs and training is not None:
            kwargs["training"] = training
        return tf.nest.flatten(self.layer(*args, **kwargs))


class FunctionalGraph:
    """The steps from the model's inputs to its outputs, and how to run them."""

    def __init__(self, inputs, outputs, model_name: str):
        self.inputs, self.outputs = inputs, outputs
        self.flat_inputs = tf.nest.flatten(inputs)
        self.flat_outputs = tf.nest.flatten(outputs)
        self._input_ids = {id(t) for t in self.flat_inputs}
        for i, t in enumerate(self.flat_inputs):
            layer, _ = _node_of(t)
            if layer is None or not _is_input_layer(layer):
                raise ValueError(f"Model: input {i} ({t!r}) is not a keras.Input.\nhint: "
                                 f"pass the tensors returned by keras.Input(...) as inputs.")
        for i, t in enumerate(self.flat_outputs):
            if not isinstance(t, tf.Tensor) or getattr(getattr(t, "op", None), "graph",
                                                           None) is None:
                raise ValueError(f"Model: output {i} is {t!r}, not a symbolic tensor made "
                                 f"from keras.Input.\nhint: pass the outputs of layers "
                                 f"called on keras.Input tensors.")
        self.constants: dict = {}
        self.steps: list = []
        self._ordered = None
        self._build(model_name)

    def _build(self, model_name: str) -> None:
        seen_steps: dict = {}
        tensor_step: dict = {}
        finished: set = set()

        def step_for(t):
            layer, node = _node_of(t)
            if layer is not None:
                key = id(node)
                if key not in seen_steps:
                    seen_steps[key] = _NodeStep(layer, node)
                return seen_steps[key]
            key = id(t.op)
            if key not in seen_steps:
                seen_steps[key] = _OpStep(t.op)
            return seen_steps[key]

        def visit(t):
            if id(t) in tensor_step or id(t) in self.constants:
                return
            if id(t) in self._input_ids:
                tensor_step[id(t)] = None
                return
            op = getattr(t, "op", None)
            if _history(t) is None and op is not None and op.type == "Const":
                self.constants[id(t)] = tf.constant(op.attrs["value"])
                return
            layer, node = _node_of(t)
            if (layer is not None and _is_input_layer(layer)) or \
                    (layer is None and op is not None and op.type == "Placeholder"):
                raise ValueError(
                    f"Model {model_name!r}: the graph is disconnected: the output depends on "
                    f"the input {t!r}, which is not among the model's inputs.\nhint: list "
                    f"every keras.Input the outputs depend on in Model(inputs=[...]).")
            step = step_for(t)
            tensor_step[id(t)] = step
            if id(step) in finished:
                return
            for x in step.inputs:
                visit(x)
            finished.add(id(step))
            self.steps.append(step)

        for t in self.flat_outputs:
            visit(t)
        self._tensor_step = tensor_step
        counts: dict = {}
        for step in self.steps:
            if isinstance(step, _OpStep):
                n = counts.get(step.name, 0)
                counts[step.name] = n + 1
                step.name = step.name if n == 0 else f"{step.name}_{n}"

    # -- running ---------------------------------------------------------------------------
    def run(self, flat_values: list, training=None) -> list:
        values = {id(t): v for t, v in zip(self.flat_inputs, flat_values)}
        values.update(self.constants)
        for step in self.steps:
            outs = step.run(values, training)
            for t, v in zip(step.outputs, outs):
                values[id(t)] = v
        return [values[id(t)] for t in self.flat_outputs]

    # -- structure, in Keras 3's order -----------------------------------------------------
    def ordered(self) -> list:
        """Input layers, layers and raw ops in Keras 3's order: by depth (the longest path
        to an output) descending, ties by the order a depth-first walk from the outputs
        first meets them."""
        if self._ordered is None:
            self._ordered = self._compute_order()
        return list(self._ordered)

    def _compute_order(self) -> list:
        index: dict = {}
        post: list = []  # (entry key, item, parent entry keys), in post-order
        done: set = set()

        def entry_of(t):
            step = self._tensor_step.get(id(t))
            if step is None:
                return id(t), _node_of(t)[0], []
            item = step.layer if isinstance(step, _NodeStep) else step
            return id(step), item, [x for x in step.inputs if id(x) not in self.constants]

        def visit(t):
            key, item, inputs = entry_of(t)
            if key in done:
                return
            index.setdefault(id(item), (len(index), item))
            parents = []
            for x in inputs:
                visit(x)
                parents.append(entry_of(x)[0])
            done.add(key)
            post.append((key, item, parents))

        for t in self.flat_outputs:
            visit(t)
        node_depth: dict = {}
        item_depth: dict = {}
        for key, item, parents in reversed(post):
            d = max(node_depth.setdefault(key, 0), item_depth.get(id(item), 0))
            item_depth[id(item)] = node_depth[key] = d
            for parent in parents:
                node_depth[parent] = max(d + 1, node_depth.get(parent, 0))
        for t in self.flat_inputs:  # inputs that no output depends on
            layer = _node_of(t)[0]
            if id(layer) not in index:
                index[id(layer)] = (-1, layer)
                item_depth[id(layer)] = 0
        ranked = sorted(index.items(), key=lambda kv: (-item_depth[kv[0]], kv[1][0]))
        return [item for _, (_, item) in ranked]

    def layers(self) -> list:
        return [item for item in self.ordered() if not isinstance(item, _OpStep)]

    def sequential_like(self) -> bool:
        for step in self.steps:
            if len(step.inputs) > 1:
                return False
        layers = [s.layer for s in self.steps if isinstance(s, _NodeStep)]
        return len(layers) == len({id(x) for x in layers}) and len(self.flat_inputs) == 1 \
            and len(self.flat_outputs) == 1

    def connections(self, item) -> str:
        parts = []
        for step in self.steps:
            if (step.layer if isinstance(step, _NodeStep) else step) is not item:
                continue
            for x in step.inputs:
                hist = _history(x)
                if hist is not None:
                    parts.append(f"{hist[0].name}[{hist[1]}][{hist[2]}]")
                elif id(x) not in self.constants:
                    parent = self._tensor_step.get(id(x))
                    parts.append(f"{parent.name}[0][{x.value_index}]")
        return ", ".join(parts) or "-"

    def output_shape_of(self, item):
        for step in self.steps:
            if (step.layer if isinstance(step, _NodeStep) else step) is item:
                return [t.shape for t in step.outputs]
        for t in self.flat_inputs:
            if _node_of(t)[0] is item:
                return [t.shape]
        return None


class Functional(Model):
    """A model defined by its inputs and outputs (`keras.Model(inputs=..., outputs=...)`).

    >>> inputs = keras.Input(shape=(3,))
    >>> outputs = keras.layers.Dense(1)(inputs)
    >>> model = keras.Model(inputs=inputs, outputs=outputs)
    >>> type(model).__name__
    'Functional'
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(inputs=inputs, outputs=outputs, name=name, trainable=trainable,
                         **kwargs)
