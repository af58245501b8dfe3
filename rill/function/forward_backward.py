"""Compiled gradients through a `tf.function`: its forward/backward function pair.

When one tape outside a traced function watches what a call reads (a tensor argument or a
variable), the call runs a compiled *forward* function that returns the outputs and the
intermediate values the gradient needs, and the tape records one op for the whole call. Its
gradient is a compiled *backward* function of (output gradients, saved intermediates), so a
gradient through a traced function costs two generated-code calls instead of a replay of
every op through `execute`. Both are built once per concrete function:

1. the optimized graph is replayed into a new graph `forward` under a private tape that
   watches its inputs and variables;
2. the tape's `gradient` runs in a graph `backward` nested in `forward`, with placeholders for
   the output gradients: the gradient functions build the backward graph symbolically, and
   every forward tensor it reads becomes a captured placeholder (`Graph.capture`);
3. the captured forward tensors are the saved intermediates: extra outputs of `forward`,
   extra inputs of `backward`; both graphs are optimized and compiled by `codegen`.

The call replays the graph op by op instead (see `ConcreteFunction._call_flat`) when several
tapes watch the call (one may record the other's backward pass: second order needs every
op on the outer tape), when a tape-like object other than `GradientTape` is active (forward
accumulators, custom_gradient's variable watcher), when op hooks run, or when the pair cannot
be built: an op on the way has no gradient (the replay raises only if that path is asked
for), or the backward graph would repeat an effect (a variable update, a random draw, a
Python call). A backward pass that runs while a tape records or a graph is traced (rare: a
tape started after the call) runs the backward graph op by op, so that tape sees it; it sees
the saved intermediates as constants.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core.graph import CONST, PLACEHOLDER, Graph, GraphTensor, interpret, replay_op, tracing
from rill._core.op import OpDef
from rill._core.tape import GradientTape, differentiable
from rill._core.tensor import EagerTensor, wrap
from rill.function.codegen import compile_graph
from rill.function.concrete import _bind, _unbind

_state = _context.state
_active = _context.active
_new = object.__new__
_Eager = EagerTensor
# stateful ops the backward graph may hold: they compute, they change nothing
_PURE_STATEFUL = frozenset({"If", "Case", "While", "WhileGrad", "ReadVariableOp"})


class Unsupported(Exception):
    """The pair cannot be built; calls replay the graph (the message says why)."""


class GradientPair:
    """The compiled forward function of one concrete function and its backward graph.

    forward(*inputs) -> (*outputs, *saved)
    The backward graph maps (*output_gradients, *saved) to the gradients of the inputs and
    variables that have one (`grad_slots`: per record input, the index of its gradient among
    the graph's outputs, or None). It is compiled lazily into variants, one per set of
    gradients the backward passes ask for (`needs_grad`) and per scalar output gradient that
    is exactly 1 (the seed of `tape.gradient(loss, ...)`: a constant the optimizer folds).
    """

    def __init__(self, cf, forward, backward: Graph, bw_inputs: list, bw_outputs: list,
                 n_dy: int, n_out: int, dy_mask: tuple, var_refs: list, grad_slots: list):
        self.forward = forward
        self.backward = backward
        self.bw_inputs = bw_inputs  # output-gradient placeholders, then saved ones
        self.bw_outputs = bw_outputs
        self.n_dy = n_dy
        self.n_out = n_out
        self.dy_mask = dy_mask  # per output: whether it takes an output gradient
        # per output gradient: whether it may be a folded 1 (a scalar of static shape)
        self.unit = tuple(p.shape.is_fully_defined() and p.shape.num_elements() == 1
                          for p in bw_inputs[:n_dy])
        self.var_refs = var_refs  # the variables read: VariableSlots or captured variables
        self.fixed = None if any(hasattr(r, "_local") for r in var_refs) else list(var_refs)
        self.grad_slots = grad_slots
        self.slots = cf._slots
        self.name = cf.name
        self._variants: dict = {}
        self.opdef = OpDef("StatefulPartitionedCall" if var_refs else "PartitionedCall",
                           forward, _no_rule, self._grad, num_outputs=n_out,
                           public_name=f"tf.function {cf.name!r}")

    def variables(self) -> list:
        """The variables this call reads (slots resolved to the variables bound now)."""
        if self.fixed is not None:
            return self.fixed
        return [r.target if hasattr(r, "_local") else r for r in self.var_refs]

    def _grad(self, rec, *dys):
        values = []
        ones = 0
        unit = self.unit
        for d, take, o in zip(dys, self.dy_mask, rec.outputs):
            if take:
                if type(d) is not _Eager:
                    if d is None:
                        d = _zeros(o)
                    elif hasattr(d, "_to_dense"):  # an IndexedSlices gradient
                        d = d._to_dense()
                elif unit[len(values)] and d._value == 1:
                    ones |= 1 << len(values)
                values.append(d)
        attrs = rec.attrs
        if _active and (_state.tapes or _state.graphs):
            out = self._backward_recorded(values, attrs["saved"], attrs["variables"])
            return tuple([None if i is None else out[i] for i in self.grad_slots])
        reach = _state.backward_reach
        reach = reach[-1] if reach else None
        needed = 0
        for j, (x, i) in enumerate(zip(rec.inputs, self.grad_slots)):
            if i is not None and (reach is None or id(x) in reach):
                needed |= 1 << j
        variant = self._variants.get((needed, ones))
        if variant is None:
            variant = self._variants[(needed, ones)] = self._compile(needed, ones)
        fn, where = variant
        slots = self.slots
        held = _bind(slots, attrs["variables"]) if slots else None
        try:
            arrays = fn(*[v._value for j, v in enumerate(values) if not ones >> j & 1],
                        *attrs["saved"])
        finally:
            if held is not None:
                _unbind(slots, held)
        grads = []
        for k in where:
            if k is None:
                grads.append(None)
            else:
                t = _new(_Eager)
                t._value = arrays[k]
                grads.append(t)
        return tuple(grads)

    def _compile(self, needed: int, ones: int):
        """The backward graph for the gradients in `needed` (bits of record inputs), with the
        output gradients in `ones` (bits) fixed to 1, compiled: (fn, per record input the
        index of its gradient in fn's results, or None)."""
        graph = Graph(f"{self.name}_backward")
        feeds, values = [], []
        for j, p in enumerate(self.bw_inputs):
            if j < self.n_dy and ones >> j & 1:
                values.append(wrap(np.ones(p.shape.as_list(), p.dtype._np)))
            else:
                feeds.append(graph.add_placeholder(p.shape, p.dtype, p.op.name))
                values.append(feeds[-1])
        where, picked = [], []
        for j, i in enumerate(self.grad_slots):
            if i is None or not needed >> j & 1:
                where.append(None)
            else:
                where.append(len(picked))
                picked.append(self.bw_outputs[i])
        with tracing(graph):
            outs = interpret(self.backward, self.bw_inputs, values, picked)
            outs = [o if isinstance(o, GraphTensor) and o.op.graph is graph
                    else graph.capture(o) for o in outs]
        return compile_graph(graph, feeds, outs), where

    def _backward_recorded(self, dys: list, saved: tuple, variables: list) -> list:
        """The backward graph run op by op through `execute`, so that active tapes record
        it (and a graph being traced takes its ops)."""
        held = _bind(self.slots, variables) if self.slots else None
        try:
            return interpret(self.backward, self.bw_inputs,
                             list(dys) + [wrap(s) for s in saved], self.bw_outputs)
        finally:
            if held is not None:
                _unbind(self.slots, held)


def _no_rule(*args, **kwargs):
    raise RuntimeError("the call op of a tf.function is only recorded on tapes")


def _zeros(t):
    v = t._value
    z = _new(_Eager)
    z._value = np.zeros(np.shape(v), dtype=v.dtype)
    return z


def build(cf) -> GradientPair:
    """The forward/backward pair of a concrete function; raises Unsupported when its
    calls must replay the graph instead."""
    run = cf._run
    forward = Graph(f"{cf.name}_forward")
    backward = Graph(f"{cf.name}_backward", outer=forward)
    phs = [forward.add_placeholder(p.shape, p.dtype, p.op.name) for p in run.inputs]
    tape = GradientTape(persistent=True, watch_accessed_variables=False)
    floats = [v.target if hasattr(v, "_local") else v for v in cf.graph.variables]
    with tracing(forward):
        with tape:
            tape.watch([p for p in phs if differentiable(p)])
            tape.watch([v for v in floats if differentiable(v)])
            outs = interpret(run.graph, run.inputs, phs, run.outputs, _keeping_history,
                             run.graph.operations)
        outs = [o if isinstance(o, GraphTensor) and o.op.graph is forward
                else forward.capture(o) for o in outs]  # constants
        read = []  # the variables read, in order (the tape saw each read)
        for rec in tape._records_with_reads():
            if rec.opdef.name == "ReadVariableOp" and not any(rec.inputs[0] is v for v in read):
                read.append(rec.inputs[0])
        with tracing(backward):
            dy_mask = tuple(isinstance(o, GraphTensor) and differentiable(o) for o in outs)
            dys = [backward.add_placeholder(o.shape, o.dtype, f"dy_{i}")
                   for i, (o, take) in enumerate(zip(outs, dy_mask)) if take]
            targets = [o for o, take in zip(outs, dy_mask) if take]
            sources = phs + [v for v in read if differentiable(v)]
            try:
                grads = tape.gradient(targets, sources, output_gradients=dys) if targets \
                    else [None] * len(sources)
            except Exception as exc:  # noqa: BLE001
                # an op without a gradient, a custom gradient that fails...: the replay
                # raises the error when (and only if) this gradient is asked for
                raise Unsupported(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") \
                    from None
            grads = [None if g is None else _as_backward_tensor(backward, g) for g in grads]
    _check_pure(backward)
    saved, saved_phs = [], []
    for op in backward.operations:
        if op.opdef is PLACEHOLDER and "outer" in op.attrs:
            outer = op.attrs["outer"]
            if outer.op.opdef is CONST:  # a constant is not saved: the backward has it
                op.opdef, op.attrs = CONST, {"value": outer.op.attrs["value"]}
                continue
            saved.append(outer)
            saved_phs.append(op.outputs[0])
    grad_outs, grad_slots = [], []
    for g in grads:
        grad_slots.append(None if g is None else len(grad_outs))
        if g is not None:
            grad_outs.append(g)
    # variables that get no gradient still come with the call (their reads are recorded)
    n_in = len(phs)
    var_grads = dict(zip([id(v) for v in sources[n_in:]], grad_slots[n_in:]))
    var_refs = [_slot_of(cf, v) for v in read]
    grad_slots = grad_slots[:n_in] + [var_grads.get(id(v)) for v in read]
    fwd = compile_graph(forward, phs, list(outs) + saved)
    return GradientPair(cf, fwd, backward, dys + saved_phs, grad_outs, len(dys), len(outs),
                        dy_mask, var_refs, grad_slots)


def _keeping_history(op, inputs: list) -> tuple:
    """`replay_op`, with loops keeping their iterations for the backward graph."""
    return replay_op(op, inputs, {**op.attrs, "keep_history": True}
                     if "keep_history" in op.attrs else None)


def _as_backward_tensor(backward: Graph, g):
    if hasattr(g, "_to_dense"):  # IndexedSlices: densified in the backward graph (current)
        g = g._to_dense()
    if isinstance(g, GraphTensor) and g.op.graph is backward:
        return g
    return backward.capture(g)


def _slot_of(cf, variable):
    for s in cf._slots:
        if s.target is variable:
            return s
    return variable


def _check_pure(graph: Graph) -> None:
    """Raises Unsupported when the backward graph (or a sub-graph of it) holds an effect."""
    from rill.ops._subgraph import subgraphs_of
    for op in graph.operations:
        opdef = op.opdef
        if opdef.stateful and opdef is not PLACEHOLDER and opdef.name not in _PURE_STATEFUL:
            raise Unsupported(f"the backward graph would run {opdef.name} again")
        for sub in subgraphs_of(op):
            _check_pure(sub.graph)
