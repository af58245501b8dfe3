"""Tracing: running a Python function on placeholders to build its graph.

Tensor arguments become `Placeholder` ops (with the static shapes of the call, or relaxed
ones), every other argument is passed as it is, and the ops the function runs become nodes of
a new `Graph`. Tapes outside are paused while tracing (they see the call of the function,
not its insides). Results are converted to tensors of the graph: Python numbers and strings
become constants, variables are read, None stays None.
"""

from __future__ import annotations

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core import nest
from rill._core.convert import constant, convert_to_tensor
from rill._core.graph import Graph, GraphTensor
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor_shape import TensorShape
from rill.function.concrete import ConcreteFunction
from rill.function.signature import TensorSpec, is_tensor_leaf, tensor_specs

_graphs = _context.graphs
_tapes = _context.tapes

NO_NEW_VARIABLES = (
    "tf.function only supports singleton tf.Variables created on the first call. Make sure "
    "the tf.Variable is only created once or created outside tf.function (function "
    "{name!r} created a variable while tracing again, after its first call).\nhint: create "
    "variables in __init__/build, or only when they do not exist yet (`if self.v is None: "
    "self.v = tf.Variable(...)`), so that later traces reuse them.")


def trace(fn, name: str, pos: tuple, kw: dict, pattern, leaves: list, refs: list,
          signature, params: list, allow_variables: bool) -> ConcreteFunction:
    """Traces `fn(*pos, **kw)` for the tensor specs of `pattern` into a ConcreteFunction."""
    graph = Graph(name)
    if not allow_variables:
        graph.variable_creation_error = NO_NEW_VARIABLES.format(name=name)
    placeholders, specs, shown = [], [], []
    for (path, leaf), (dims, npd) in zip(leaves, tensor_specs(pattern)):
        user_name = leaf.name if isinstance(leaf, TensorSpec) else None
        shape = TensorShape(None if dims is None else list(dims))
        dtype = _dtypes.from_numpy(npd)
        ph = graph.add_placeholder(shape, dtype, user_name or path or "input")
        placeholders.append(ph)
        specs.append(TensorSpec(shape, dtype, user_name or path))
        shown.append(TensorSpec(shape, dtype, user_name))
    structure = (tuple(pos), kw)
    args, kwargs = _replace_tensors(structure, placeholders)
    saved = _tapes[:]
    _tapes.clear()
    _graphs.append(graph)
    try:
        result = fn(*args, **kwargs)
        structured_outputs = _to_graph_outputs(graph, result, name)
    finally:
        for i in range(len(_graphs) - 1, -1, -1):
            if _graphs[i] is graph:
                del _graphs[i:]
                break
        _tapes[:] = saved
    outputs, seen = [], set()
    for t in nest.flatten(structured_outputs):
        if t is not None and id(t) not in seen:
            seen.add(id(t))
            outputs.append(t)
    graph.outputs = outputs
    cf = ConcreteFunction(name, graph, placeholders, outputs, structured_outputs,
                          _replace_tensors(structure, specs), pattern, params, signature, refs)
    cf._shown_inputs = _replace_tensors(structure, shown)
    return cf


def _replace_tensors(structure, replacements: list):
    """`structure` with its tensor leaves replaced, in tf.nest order, by `replacements`."""
    it = iter(replacements)
    flat = [next(it) if is_tensor_leaf(x) else x for x in nest.flatten(structure)]
    return nest.pack_sequence_as(structure, flat)


def _to_graph_outputs(graph: Graph, result, name: str):
    return nest.pack_sequence_as(result, [None if leaf is None else
                                          _output_tensor(graph, leaf, name)
                                          for leaf in nest.flatten(result)])


def _output_tensor(graph: Graph, leaf, name: str) -> GraphTensor:
    if type(leaf) is GraphTensor:
        if leaf.op.graph is not graph:
            raise ValueError(f"tf.function {name!r} returned the tensor {leaf.name} of another "
                             f"graph ({leaf.op.graph.name!r}).\nhint: return tensors computed "
                             f"inside this function.")
        return leaf
    if hasattr(leaf, "_is_variable"):
        return _output_tensor(graph, leaf.value(), name)
    if isinstance(leaf, EagerTensor):
        return graph.capture(leaf)
    if isinstance(leaf, Tensor) or hasattr(leaf, "_as_tensor"):
        return _output_tensor(graph, convert_to_tensor(leaf), name)
    if isinstance(leaf, (bool, int, float, complex, str, bytes)) or \
            type(leaf).__module__ == "numpy":
        return graph.capture(constant(leaf))
    raise TypeError(f"To be compatible with tf.function, Python functions must return zero or "
                    f"more Tensors or ExtensionTypes or None values; in compilation of "
                    f"{name!r}, found return value of type {type(leaf).__name__}, which is "
                    f"not a Tensor or ExtensionType.\nhint: return tensors (or numbers, "
                    f"strings, None); keep other Python objects outside the function.")
