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
from rill._core.composite import CompositeTensor
from rill._core.convert import constant, convert_to_tensor
from rill._core.graph import Graph, GraphTensor, check_in_scope
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor_shape import TensorShape
from rill.function.concrete import ConcreteFunction, make_slots
from rill.function.signature import TensorSpec, is_tensor_leaf, tensor_specs
from rill.function.trace_type import placeholder as placeholder_value

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)

NO_NEW_VARIABLES = (
    "tf.function only supports singleton tf.Variables created on the first call. Make sure "
    "the tf.Variable is only created once or created outside tf.function (function "
    "{name!r} created a variable while tracing again, after its first call).\nhint: create "
    "variables in __init__/build, or only when they do not exist yet (`if self.v is None: "
    "self.v = tf.Variable(...)`), so that later traces reuse them.")


def trace(fn, name: str, pos: tuple, kw: dict, pattern, leaves: list, refs: list,
          signature, params: list, allow_variables: bool,
          variable_args: list = (), autograph_note: str | None = None) -> ConcreteFunction:
    """Traces `fn(*pos, **kw)` for the tensor specs of `pattern` into a ConcreteFunction.

    The function sees the variables it is called with; afterwards the ops on
    `variable_args` are given slots that each call binds to the variables it passes."""
    graph = Graph(name)
    graph.autograph_note = autograph_note  # why autograph did not convert fn (None: it did)
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
    flat = nest.flatten((args, kwargs))
    if any(hasattr(type(x), "__tf_tracing_type__") for x in flat):  # trace_type.py
        args, kwargs = nest.pack_sequence_as((args, kwargs), [placeholder_value(x)
                                                              for x in flat])
    saved = _state.tapes[:]
    _state.tapes.clear()
    _state.graphs.append(graph)
    try:
        try:
            result = fn(*args, **kwargs)
        except RecursionError as exc:
            if getattr(exc, "_rill_staged", False):
                raise
            raise _recursion_error(name) from None  # one screen, not thousands of frames
        structured_outputs = _to_graph_outputs(graph, result, name)
    finally:
        for i in range(len(_state.graphs) - 1, -1, -1):
            if _state.graphs[i] is graph:
                del _state.graphs[i:]
                break
        _state.tapes[:] = saved
    outputs, seen = [], set()
    for t in nest.flatten(structured_outputs, expand_composites=True):
        if t is not None and id(t) not in seen:
            seen.add(id(t))
            outputs.append(t)
    graph.outputs = outputs
    slots = make_slots(graph, list(variable_args))
    cf = ConcreteFunction(name, graph, placeholders, outputs, structured_outputs,
                          _replace_tensors(structure, specs), pattern, params, signature, refs,
                          slots)
    cf._shown_inputs = _replace_tensors(structure, shown)
    return cf


def _recursion_error(name: str) -> RecursionError:
    err = RecursionError(
        f"maximum recursion depth exceeded while tracing tf.function {name!r}\n"
        f"A recursion whose end depends on a tensor (e.g. `if n <= 1: return ...` with a "
        f"tensor n) never ends while tracing: autograph turns the `if` into tf.cond, which "
        f"traces both branches, so the recursive call is traced again and again.\n"
        f"hint: write the recursion as a loop over a tensor (`for i in tf.range(n)` or "
        f"tf.while_loop), or recurse on Python values, which end while tracing.")
    err._rill_staged = True
    return err


def _replace_tensors(structure, replacements: list):
    """`structure` with its tensor leaves replaced, in tf.nest order, by `replacements`
    (a composite tensor or its spec takes one per component)."""
    it = iter(replacements)
    flat = [next(it) if is_tensor_leaf(x) else _replace_composite(x, it)
            for x in nest.flatten(structure)]
    return nest.pack_sequence_as(structure, flat)


def _replace_composite(x, it):  # composite (issue 11)
    """A RaggedTensor/SparseTensor (or spec) rebuilt from the next replacements: from
    placeholders while tracing, as its spec when the replacements are TensorSpecs."""
    composite = isinstance(x, CompositeTensor)
    if not composite and not hasattr(x, "_rill_component_specs"):
        return x
    n = len(x._rill_components() if composite else x._rill_component_specs())
    parts = [next(it) for _ in range(n)]
    if parts and isinstance(parts[0], TensorSpec):
        return x._rill_spec() if composite else x
    return x._rill_with_components(parts) if composite else x._rill_from_components(parts)


def _to_graph_outputs(graph: Graph, result, name: str):
    return nest.pack_sequence_as(result, [None if leaf is None else
                                          _output_leaf(graph, leaf, name)
                                          for leaf in nest.flatten(result)])


def _output_leaf(graph: Graph, leaf, name: str):
    if isinstance(leaf, CompositeTensor):  # composite (issue 11)
        return leaf._rill_with_components([_output_tensor(graph, c, name)
                                           for c in leaf._rill_components()])
    return _output_tensor(graph, leaf, name)


def _output_tensor(graph: Graph, leaf, name: str) -> GraphTensor:
    if type(leaf) is GraphTensor:
        if leaf.op.graph is not graph:
            check_in_scope(graph, leaf)  # a loop body's or branch's tensor: say so
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
