"""Sub-graphs of control-flow ops: a branch of `tf.cond`, the cond and body of `tf.while_loop`.

`trace` calls a Python function with placeholders in a new `Graph` nested in the current one.
Tensors of enclosing graphs that the function reads become `Placeholder` ops with an `outer`
attribute (see `Graph.capture`); `trace` lists them, so the control-flow op takes the outer
tensors as explicit inputs (pruning, ordering and tapes then see them). Variables that the
sub-graph reads but never writes are read once in the enclosing graph instead (hoisted), so
gradients with respect to them flow through the op's inputs.

A `SubGraph` runs as a function of NumPy arrays (compiled lazily, once, by tf.function's
code generator), can be replayed op by op in the current context (`replay`: eager, or into
another graph), and builds its vector-Jacobian product as another `SubGraph` (`vjp`), which
is how control-flow ops get gradients: the backward sub-graph recomputes the forward under a
tape, without the forward's effects (`pure`: no prints, no variable updates).
"""

from __future__ import annotations

from collections.abc import Callable

from rill._core import context as _context
from rill._core import nest
from rill._core.convert import convert_to_tensor
from rill._core.graph import (
    PLACEHOLDER,
    Graph,
    GraphTensor,
    interpret,
    read_now,
    replay_op,
    tracing,
)
from rill._core.op import core_ops, execute
from rill._core.tensor_shape import as_shape

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


def is_differentiable(t) -> bool:
    return t.dtype.is_floating or t.dtype.is_complex


class SubGraph:
    """A traced function: `graph`, its `inputs` (placeholders, fed by position: the explicit
    arguments first, then the captured outer tensors) and its flat `outputs`.

    `captures` are the outer tensors that feed the capture placeholders; `structure` is the
    nest structure the Python function returned (None leaves are kept out of `outputs`).
    """

    def __init__(self, graph: Graph, inputs: list, outputs: list, captures: list, structure):
        self.graph = graph
        self.inputs = inputs
        self.outputs = outputs
        self.captures = captures
        self.structure = structure
        self.n_explicit = len(inputs) - len(captures)
        self._fn = None
        self._vjps: dict = {}
        self._pure = None

    def set_outputs(self, structure) -> None:
        """Makes the tensors of `structure` the outputs (values that are not tensors of this
        graph become constants or captures of this graph)."""
        g = self.graph
        with tracing(g):
            self.outputs = [_in_graph(g, r) for r in flatten(structure)]
        self.structure = structure
        self._collect_captures()

    def _collect_captures(self) -> None:
        caps, cap_inputs = [], []
        for op in self.graph.operations:
            if op.opdef is PLACEHOLDER and "outer" in op.attrs:
                caps.append(op.attrs["outer"])
                cap_inputs.append(op.outputs[0])
        self.captures = caps
        self.inputs = self.inputs[:self.n_explicit] + cap_inputs

    @property
    def name(self) -> str:
        return self.graph.name

    def is_stateful(self) -> bool:
        """Whether an op of the graph has effects or reads state (placeholders aside)."""
        return any(op.opdef.stateful and op.opdef is not PLACEHOLDER
                   for op in self.graph.operations)

    def __call__(self, *arrays) -> tuple:
        fn = self._fn
        if fn is None:
            fn = self._fn = compile_subgraph(self.graph, self.inputs, self.outputs)
        return fn(*arrays)

    def __repr__(self) -> str:
        return f"<SubGraph {self.graph.name!r}: {len(self.inputs)} in, {len(self.outputs)} out>"

    # -- gradients -----------------------------------------------------------------------
    def vjp(self, diff_inputs: tuple, diff_outputs: tuple) -> SubGraph:
        """The backward sub-graph: (inputs..., dy for each output in `diff_outputs`) ->
        (gradient of each input in `diff_inputs`, zeros where not connected).

        Traced once per pair of masks. The forward is recomputed under a tape in the new
        graph, so the result is made of ordinary ops (and can be differentiated again).
        """
        key = (diff_inputs, diff_outputs)
        found = self._vjps.get(key)
        if found is None:
            found = self._vjps[key] = self._trace_vjp(diff_inputs, diff_outputs)
        return found

    def _trace_vjp(self, diff_inputs: tuple, diff_outputs: tuple) -> SubGraph:
        from rill._core.tape import GradientTape, UnconnectedGradients
        g = Graph(f"{self.graph.name}_grad")
        ins = [placeholder(g, x.shape, x.dtype) for x in self.inputs]
        dys = [placeholder(g, o.shape, o.dtype)
               for o, d in zip(self.outputs, diff_outputs) if d]
        with tracing(g):
            tape = GradientTape(watch_accessed_variables=False)
            with tape:
                sources = [x for x, d in zip(ins, diff_inputs) if d]
                tape.watch(sources)
                outs = self.replay(ins)
            targets = [o for o, d in zip(outs, diff_outputs) if d]
            grads = tape.gradient(targets, sources, output_gradients=dys,
                                  unconnected_gradients=UnconnectedGradients.ZERO) \
                if sources else []
            grads = [_in_graph(g, t) for t in grads]
        return SubGraph(g, ins + dys, grads, [], None)

    def pure(self) -> SubGraph:
        """This sub-graph without its effects (prints, variable updates; reads remain): what
        gradients recompute. The sub-graph itself when it has none."""
        if self._pure is None:
            if not self.is_stateful():
                self._pure = self
            else:
                g = Graph(f"{self.graph.name}_pure")
                ins = [placeholder(g, x.shape, x.dtype) for x in self.inputs]
                with tracing(g):
                    outs = [_in_graph(g, o) for o in self.replay(ins)]
                self._pure = SubGraph(g, ins, outs, [], self.structure)
        return self._pure

    def replay(self, args: list) -> list:
        """Runs the sub-graph's ops again in the current context (eager, or into the graph
        being traced), with `args` for its inputs. Returns the output tensors."""
        return interpret(self.graph, self.inputs, args, self.outputs, self._replay_op)

    def _replay_op(self, op, inputs: list) -> tuple:
        var = op.attrs.get("var")
        if getattr(var, "_is_variable", False):
            # reads (and the values of updates) come from the variable itself, so tapes see
            # the read; updates are not repeated
            return (read_now(var),)
        bad = _unrepeatable(op)
        if bad is not None:
            raise NotImplementedError(
                f"Cannot differentiate through the {self.graph.name!r} branch or loop body: it "
                f"runs {bad.public_name} (op {bad.name}), whose values would differ when the "
                f"gradient recomputes the forward pass.\nhint: draw random numbers (or call "
                f"Python) outside tf.cond/tf.while_loop and pass the result in.")
        return replay_op(op, inputs, _replay_attrs(op))


def placeholder(graph: Graph, shape, dtype) -> GraphTensor:
    op = graph.add_operation(PLACEHOLDER, (), {}, [(as_shape(shape), dtype)], "Placeholder")
    return op.outputs[0]


def _in_graph(graph: Graph, value) -> GraphTensor:
    t = convert_to_tensor(value)
    if type(t) is not GraphTensor or t.op.graph is not graph:
        t = graph.capture(t)
    return t


def trace(fn: Callable, args: list, name: str, convert_outputs: bool = True):
    """Traces `fn(*args)` in a new graph nested in the current one.

    `args` is a list of (shape, dtype) pairs or of tensors (their shape and dtype are used).
    Returns (SubGraph, raw Python result). The result becomes the outputs (converted to
    tensors of the new graph) unless `convert_outputs` is False: then the caller chooses
    them with `SubGraph.set_outputs`.
    """
    g = Graph(name, outer=_state.graphs[-1] if _state.graphs else None)
    ins = []
    for a in args:
        shape, dtype = (a.shape, a.dtype) if hasattr(a, "dtype") else a
        ins.append(placeholder(g, shape, dtype))
    sub = SubGraph(g, ins, [], [], None)
    with tracing(g):
        result = fn(*ins)
    if convert_outputs:
        sub.set_outputs(result)
    return sub, result


def flatten(structure) -> list:
    """The tensors of a nested structure: None leaves dropped, composites (TensorArray)
    expanded into their tensors."""
    out = []
    for leaf in nest.flatten(structure):
        if hasattr(leaf, "_rill_components"):
            out.extend(leaf._rill_components())
        elif leaf is not None:
            out.append(leaf)
    return out


def pack(structure, flat) -> object:
    """Rebuilds `structure` (as given to `flatten`) from flat tensors."""
    it = iter(flat)
    leaves = []
    for leaf in nest.flatten(structure):
        if hasattr(leaf, "_rill_components"):
            n = len(leaf._rill_components())
            leaves.append(leaf._rill_with_components([next(it) for _ in range(n)]))
        else:
            leaves.append(None if leaf is None else next(it))
    return nest.pack_sequence_as(structure, leaves)


def hoist_variable_reads(subgraphs: list) -> None:
    """Reads of variables that none of one op's sub-graphs writes become captures of one
    read in the enclosing graph (so tapes there see the variables as the op's inputs)."""
    outer = subgraphs[0].graph.outer
    if outer is None:
        return
    written: set = set()
    for s in subgraphs:
        _written_variables(s.graph, written)
    read_op = core_ops.ReadVariableOp
    hoisted: dict = {}  # id(variable) -> its read in `outer`
    for s in subgraphs:
        g = s.graph
        first: dict = {}  # id(variable) -> the placeholder that now stands for its value
        replace: dict = {}
        kept = []
        for op in g.operations:
            if op.opdef is read_op and id(op.attrs["var"]) not in written:
                var = op.attrs["var"]
                if id(var) in first:
                    replace[id(op.outputs[0])] = first[id(var)]
                    continue
                if id(var) not in hoisted:
                    hoisted[id(var)] = outer.read_variable(var)
                op.opdef = PLACEHOLDER
                op.attrs = {"outer": hoisted[id(var)]}
                first[id(var)] = op.outputs[0]
            elif replace:
                op.inputs = tuple(replace.get(id(x), x) for x in op.inputs)
            kept.append(op)
        g.operations[:] = kept
        s.outputs = [replace.get(id(o), o) for o in s.outputs]
        s._collect_captures()


def _written_variables(g: Graph, out: set) -> None:
    read_op = core_ops.ReadVariableOp
    for op in g.operations:
        var = op.attrs.get("var")
        if var is not None and op.opdef is not read_op:
            out.add(id(var))
        for sub in subgraphs_of(op):
            _written_variables(sub.graph, out)


def _unrepeatable(op):
    """The OpDef of `op` when it is a stateful op without gradient that has outputs (a
    random draw, a Python call): running it again gives other values. Else None. (Ops with
    sub-graphs are replayed through `pure()`, which checks their ops.)"""
    opdef = op.opdef
    if opdef.stateful and opdef.grad is None and op.outputs and opdef is not PLACEHOLDER \
            and "var" not in op.attrs:  # prints and asserts have no outputs
        return opdef
    return None


def _replay_attrs(op) -> dict:
    """Attributes for running an op again under a tape: sub-graphs without their effects,
    and loops that keep their history for the gradient."""
    attrs = op.attrs
    if not subgraphs_of(op):
        return attrs
    new = {}
    for k, v in attrs.items():
        if isinstance(v, SubGraph):
            v = v.pure()
        elif isinstance(v, tuple) and v and isinstance(v[0], SubGraph):
            v = tuple(s.pure() for s in v)
        new[k] = v
    if "keep_history" in new:
        new["keep_history"] = True
    return new


def subgraphs_of(op) -> list:
    """The SubGraphs held in an operation's attributes (branches, loop cond and body)."""
    found = []
    for v in op.attrs.values():
        if isinstance(v, SubGraph):
            found.append(v)
        elif isinstance(v, tuple) and v and isinstance(v[0], SubGraph):
            found.extend(v)
    return found


def compile_subgraph(graph: Graph, inputs: list, outputs: list) -> Callable:
    """A function of NumPy arrays (one per input placeholder) returning a tuple of arrays:
    the graph compiled by tf.function's code generator (imported here, on first run, as
    the ops layer does not depend on rill.function otherwise)."""
    from rill.function.codegen import compile_graph
    return compile_graph(graph, inputs, outputs)


def zeros_like(t):
    return execute(core_ops.ZerosLike, (t,))
