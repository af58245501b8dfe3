"""`ConcreteFunction`: one traced graph of a `tf.function`, optimized and compiled.

It keeps the graph as traced (`graph`) and as it runs (`optimized_graph`, with the generated
Python source in `generated_source`). Calls go through the compiled function, except when a
tape outside watches an input or the graph reads a variable (or op hooks such as
check_numerics are on): then the optimized graph's ops run one by one through `execute`, so
the tape records them and gradients flow through.

Variable arguments are `VariableSlot`s in the graph: each call binds them, in the calling
thread, to the variables it passes, so one graph serves every variable of the traced shape,
dtype and trainability (as TensorFlow's VariableSpec does).
"""

from __future__ import annotations

import itertools
import threading

from rill._core import context as _context
from rill._core import nest
from rill._core.convert import constant
from rill._core.errors import InvalidArgumentError
from rill._core.graph import PLACEHOLDER, GraphTensor, interpret
from rill._core.op import OpRecord
from rill._core.tape import GradientTape as _GradientTape
from rill._core.tensor import EagerTensor, Tensor
from rill._core.tensor import wrap as _wrap
from rill._core.variable import READ_VARIABLE as _READ
from rill.function import signature as _sig
from rill.function.codegen import compile_graph
from rill.function.trace_type import trace_type_of

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_new = object.__new__
_Eager = EagerTensor
_inference_ids = itertools.count(1)
_REPLAY = object()  # _call_recorded: the graph must be replayed op by op


class ConcreteFunction:
    """A traced graph with a fixed input signature, callable with matching tensors.

    >>> f = tf.function(lambda x: x * 2.0)
    >>> cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    >>> [op.type for op in cf.graph.get_operations()]
    ['Placeholder', 'Const', 'Mul']
    """

    def __init__(self, name: str, graph, inputs: list, outputs: list, structured_outputs,
                 inputs_structure, pattern, params: list, signature, refs: list,
                 slots: tuple = ()):
        self.name = name
        self.graph = graph
        self.inputs = inputs
        self.outputs = outputs
        self.structured_outputs = structured_outputs
        self._inputs_structure = inputs_structure  # (pos, kw) with TensorSpecs and values
        self._shown_inputs = inputs_structure  # the same, with only user-given spec names
        self._pattern = pattern
        self._params = params  # [(name, kind name)] in canonical order
        self._signature = signature
        self._refs = refs  # objects keyed by identity: kept alive while this graph exists
        self._slots = slots  # VariableSlots of the variable arguments, in alias order
        self._run = run = compile_graph(graph, inputs, outputs)
        self.optimized_graph = run.graph
        self.generated_source = run.source
        # variables used anywhere (sub-graphs too): a tape outside may watch them
        self._reads = any(v.trainable for v in graph.variables) or \
            any(s.trainable for s in slots)
        self._single = isinstance(structured_outputs, GraphTensor)
        out_slots, index = [], {}
        for leaf in nest.flatten(structured_outputs, expand_composites=True):
            out_slots.append(None if leaf is None else index.setdefault(id(leaf), len(index)))
        self._out_slots = out_slots
        self._fast = self._make_fast()
        self._pair = None  # the compiled forward/backward pair (False: calls replay)

    # -- calling ---------------------------------------------------------------------------
    def _make_fast(self):
        """The hot path: `fast(args, kwargs)` for a call whose positional arguments are the
        graph's tensors, in order."""
        run, pack = self._run, self._pack
        if self._single:
            def fast(args, kwargs=None):
                t = _new(_Eager)
                t._value = run(*[a._value for a in args])[0]
                return t
        else:
            def fast(args, kwargs=None):
                return pack(run(*[a._value for a in args]))
        return fast

    def _run_values(self, values: list, variables: list = ()):
        """Runs the compiled graph on NumPy values (no tape or hook is active), with the
        variable slots bound to `variables`."""
        if not self._slots:
            return self._pack(self._run(*values))
        saved = _bind(self._slots, variables)
        try:
            return self._pack(self._run(*values))
        finally:
            _unbind(self._slots, saved)

    def _pack(self, arrays: tuple):
        if self._single:
            return _wrap(arrays[0])
        if self.structured_outputs is None:  # a step that returns nothing
            return None
        leaves = [None if i is None else _wrap(arrays[i]) for i in self._out_slots]
        return nest.pack_sequence_as(self.structured_outputs, leaves, expand_composites=True)

    def _call_flat(self, tensors: list, variables: list = ()):
        """Runs the graph on the tensor leaves of a call (in tf.nest order) and the variables
        bound to its variable slots."""
        saved = _bind(self._slots, variables) if self._slots else None
        try:
            if _active and ((_state.tapes and self._taped(tensors)) or _state.op_hooks):
                if not _state.op_hooks:
                    res = self._call_recorded(tensors)
                    if res is not _REPLAY:
                        return res
                run = self._run  # op by op through `execute`: tapes record every op
                return self._pack_outputs(interpret(run.graph, run.inputs, tensors,
                                                    run.outputs, ops=run.graph.operations))
            return self._pack(self._run(*[t._value for t in tensors]))
        finally:
            if saved is not None:
                _unbind(self._slots, saved)

    def _taped(self, tensors: list) -> bool:
        if self._reads:
            return True
        for tape in _state.tapes:
            ids = tape._ids
            for t in tensors:
                if id(t) in ids:
                    return True
        return False

    def _call_recorded(self, tensors):
        """The call under GradientTapes (see `forward_backward`): the compiled forward
        function, recorded as one op on the tape that watches it; _REPLAY when the graph
        must be replayed instead."""
        pair = self._pair
        if not pair:
            if pair is False:
                return _REPLAY
            for tape in _state.tapes:
                if type(tape) is not _GradientTape:
                    return _REPLAY  # accumulators and watchers see every op
            from rill.function import forward_backward as fb
            try:
                pair = self._pair = fb.build(self)
            except fb.Unsupported:
                self._pair = False
                return _REPLAY
        variables = pair.variables()
        watching = None
        for tape in _state.tapes:
            if type(tape) is not _GradientTape:
                return _REPLAY
            ids = tape._ids
            hit = False
            for v in variables:
                if id(v) not in ids:
                    tape._variable_accessed(v)
                    if id(v) not in ids:
                        continue
                hit = True
            if not hit:
                for t in tensors:
                    if id(t) in ids:
                        hit = True
                        break
            if hit:
                if watching is not None:
                    return _REPLAY  # nested tapes: the outer may record the inner's backward
                watching = tape
        if watching is None:
            return self._pack(self._run(*[t._value for t in tensors]))
        arrays = pair.forward(*[t._value for t in tensors])
        n = pair.n_out
        outs = []
        for a in arrays[:n]:
            t = _new(_Eager)
            t._value = a
            outs.append(t)
        outs = tuple(outs)
        watching._records.append(OpRecord(pair.opdef, (*tensors, *variables),
                                          {"saved": arrays[n:], "variables": variables},
                                          outs))
        ids = watching._ids
        for o in outs:
            ids.add(id(o))
        if self._single:
            return outs[0]
        return self._pack_outputs(outs)

    def _pack_outputs(self, outs):
        if self._single:
            return outs[0]
        if self.structured_outputs is None:
            return None
        leaves = [None if i is None else outs[i] for i in self._out_slots]
        return nest.pack_sequence_as(self.structured_outputs, leaves, expand_composites=True)

    def __call__(self, *args, **kwargs):
        """Runs the graph; arguments must match the traced signature (Python arguments may be
        left out: the traced values are used). As in TensorFlow, a call that does not match
        it may also pass just the tensor arguments, in order (the flat signature): Python
        values and objects given when tracing stay bound.

        >>> f = tf.function(lambda scale, x: x * scale)
        >>> cf = f.get_concrete_function(3.0, tf.TensorSpec([], tf.float32))
        >>> float(cf(tf.constant(2.0)))
        6.0
        """
        try:
            pos, kw = self._bind(args, kwargs)
            pinned = self._pinned
            key, leaves, refs = _sig.encode_call(pos, kw, [str(i) for i in range(len(pos))],
                                                 pinned)
            error = None if _sig.compatible(self._pattern, key) else self._mismatch(key)
        except TypeError as exc:
            error = exc
        if error is not None:
            flat = self._flat_arguments(args, kwargs)
            if flat is None:
                raise error
            return self._call_flat(flat)
        tensors = [t for _, t in leaves]
        for t in tensors:
            if isinstance(t, _sig.TensorSpec):
                raise TypeError(f"{self._describe()} needs a tensor, not {t!r}.")
        return self._call_flat(tensors, _sig.variable_args(refs, pinned))

    def _flat_arguments(self, args: tuple, kwargs: dict):
        """The tensors of a call made with the flat signature (one value per graph input,
        positionally or by the input's name), converted and checked; None when the call is
        not such a call."""
        if self._slots or len(args) + len(kwargs) != len(self.inputs):
            return None
        names = [p.op.name for p in self.inputs]
        if any(k not in names[len(args):] for k in kwargs):
            return None
        values = list(args) + [kwargs[n] for n in names[len(args):]]
        out = []
        for p, v in zip(self.inputs, values):
            if not isinstance(v, _Eager):
                if isinstance(v, Tensor) or hasattr(v, "_is_variable") or \
                        not isinstance(v, (int, float, bool, complex, list, tuple)) and \
                        type(v).__module__ != "numpy":
                    return None
                try:
                    v = constant(v, dtype=p.dtype)
                except (TypeError, ValueError):
                    return None
            if v.dtype != p.dtype or not p.shape.is_compatible_with(v.shape):
                return None
            out.append(v)
        return out

    @property
    def _pinned(self) -> frozenset:
        """ids of the variable arguments this graph was traced for by identity."""
        return frozenset(id(r) for r in self._refs if hasattr(r, "_is_variable")) - \
            frozenset(id(s._first) for s in self._slots)

    def _bind(self, args, kwargs):
        traced_pos, traced_kw = self._inputs_structure
        sig = self._signature
        if sig is None:
            return tuple(args), dict(kwargs)
        try:
            bound = sig.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self._describe()} cannot be called with these arguments: "
                            f"{exc}") from None
        pos, kw = [], {}
        i = 0
        for name, param in sig.parameters.items():
            kind = param.kind
            if kind is param.VAR_POSITIONAL:
                given = bound.arguments.get(name)
                n = sum(1 for p, _ in self._params[i:] if p.startswith(f"{name}_"))
                vals = list(given) if given is not None else list(traced_pos[i:i + n])
                pos.extend(vals)
                i += len(vals)
            elif kind is param.VAR_KEYWORD:
                given = bound.arguments.get(name, {})
                kw.update({k: v for k, v in traced_kw.items() if k not in kw})
                kw.update(given)
            elif kind is param.KEYWORD_ONLY:
                kw[name] = bound.arguments[name] if name in bound.arguments \
                    else traced_kw.get(name)
            else:
                pos.append(bound.arguments[name] if name in bound.arguments
                           else traced_pos[i] if i < len(traced_pos) else None)
                i += 1
        return tuple(pos), kw

    def _mismatch(self, key) -> Exception:
        found = _sig.first_difference(self._pattern, key, relaxed=True)
        path, want, got = found if found else ("arguments", self._pattern, key)
        names = [n for n, _ in self._params]
        pos_n = len(self._pattern[1][0][1])
        path = self._arg_path(path, names, pos_n)
        text = (f"{self._describe()} was called with {path} = {_sig.describe_leaf(got)}, "
                f"but it was traced for {_sig.describe_leaf(want)}.")
        hint = ("\nhint: call the tf.function itself (it traces a new graph when shapes, "
                "dtypes or Python values change), or pass matching arguments.")
        if _sig._is_leaf(want) and _sig._is_leaf(got) and want[0] == got[0] == "T":
            return InvalidArgumentError(None, None, text + hint)
        return TypeError(text + hint)

    @staticmethod
    def _arg_path(path: str, names: list, pos_n: int) -> str:
        head, _, rest = path.partition("_")
        if head == "0":
            idx, _, rest = rest.partition("_")
            if idx.isdigit() and int(idx) < len(names):
                return names[int(idx)] + (f"_{rest}" if rest else "")
        elif head == "1" and rest:
            return rest
        return path or "arguments"

    # -- introspection ---------------------------------------------------------------------
    @property
    def structured_input_signature(self):
        """(positional arguments, keyword arguments) with TensorSpecs for the tensors."""
        pos, kw = self._inputs_structure
        return tuple(pos), dict(kw)

    @property
    def variables(self) -> tuple:
        """The variables the graph captures (variable arguments are not captures)."""
        return tuple(v for v in self.graph.variables if type(v) is not VariableSlot)

    @property
    def trainable_variables(self) -> tuple:
        return tuple(v for v in self.variables if v.trainable)

    @property
    def captured_inputs(self) -> list:
        """The variables the graph reads or writes (constants are part of the graph)."""
        return list(self.variables)

    @property
    def function_type(self):
        return self._signature

    @property
    def function_def(self):
        """The function as data, as TensorFlow's FunctionDef: `signature` (its name, and
        `input_arg`/`output_arg` with names and types; variables are DT_RESOURCE inputs),
        `node_def` (a NodeDef per operation) and `ret`."""
        from rill._core.graph_def import ArgDef, FunctionDef, OpDefProto, dt_name, node_def
        g = self.graph
        args = [ArgDef(p.op.name, dt_name(p.dtype)) for p in self.inputs]
        for v in g.variables:
            read = next((op.name for op in g.operations
                         if op.opdef is _READ and op.attrs["var"] is v), "variable")
            args.append(ArgDef(read.lower().replace("/", "_") + "_resource",
                               dt_name("resource")))
        outs, ret = [], {}
        leaves = [t for t in nest.flatten(self.structured_outputs, expand_composites=True)
                  if t is not None]
        for i, t in enumerate(leaves):
            name = "identity" if i == 0 else f"identity_{i}"
            outs.append(ArgDef(name, dt_name(t.dtype)))
            ret[name] = f"{t.op.name}:output:{t.value_index}"
        stateful = any(op.opdef.stateful and op.opdef is not PLACEHOLDER
                       for op in g.operations)
        nodes = [node_def(op) for op in g.operations if op.opdef is not PLACEHOLDER]
        return FunctionDef(OpDefProto(self._inference_name, args, outs, stateful), nodes, ret)

    @property
    def _inference_name(self) -> str:
        name = self.__dict__.get("_inference")
        if name is None:
            name = self._inference = f"__inference_{self.name}_{next(_inference_ids)}"
        return name

    @property
    def inference_fn(self) -> AtomicFunction:
        """The function that runs the graph (TensorFlow's AtomicFunction): called like this
        concrete function, or with the flat tensors (`call_flat`)."""
        return AtomicFunction(self)

    def _shown_params(self) -> list:
        """[(name, kind, value)] as TensorFlow shows them: with *args, the positional
        parameters are positional-only; **kwargs entries are keyword-only, after the
        declared ones."""
        pos, kw = self._shown_inputs
        params = self._params[:len(pos)]
        var_pos = any(k == "VAR_POSITIONAL" for _, k in params) or \
            self._signature is not None and any(
                p.kind is p.VAR_POSITIONAL for p in self._signature.parameters.values())
        out = [(n, "POSITIONAL_ONLY" if var_pos else k, v) for (n, k), v in zip(params, pos)]
        declared = [] if self._signature is None else [
            n for n, p in self._signature.parameters.items() if p.kind is p.KEYWORD_ONLY]
        names = [n for n in declared if n in kw] + \
            [k for k in nest._sorted(kw) if k not in declared]
        return out + [(n, "KEYWORD_ONLY", kw[n]) for n in names]

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        """The signature as TensorFlow prints it: parameters, output type and captures."""
        shown = self._shown_params()
        if not verbose:
            args = []
            for i, (n, kind, v) in enumerate(shown):
                if kind == "KEYWORD_ONLY" and (i == 0 or shown[i - 1][1] != kind):
                    args.append("*")
                args.append(f"{n}: {_type_text(v, True)}")
                if kind == "POSITIONAL_ONLY" and (i + 1 == len(shown) or
                                                  shown[i + 1][1] != kind):
                    args.append("/")
            return f"({', '.join(args)}) -> {_type_text(self.structured_outputs, False)}"
        lines = ["Input Parameters:"]
        for name, kind, v in shown:
            lines.append(f"  {name} ({kind}): {_type_text(v, True)}")
        lines += ["Output Type:", f"  {_type_text(self.structured_outputs, False)}",
                  "Captures:"]
        caps = self.captured_inputs
        if not caps:
            lines.append("  None")
        for c in caps:  # a variable is captured as its resource handle
            lines.append(f"  {id(c)}: TensorSpec(shape=(), dtype=tf.resource, name=None)")
        return "\n".join(lines)

    def pretty_printed_graph(self, optimized: bool = False) -> str:
        """The graph (as traced, or as it runs) as text, one line per operation."""
        return (self.optimized_graph if optimized else self.graph).as_text()

    def _describe(self) -> str:
        return f"ConcreteFunction {self.name}{self.pretty_printed_signature(verbose=False)}"

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self.pretty_printed_signature(False)} at 0x{id(self):X}>"

    def __str__(self) -> str:
        return "ConcreteFunction " + self.pretty_printed_signature()


class AtomicFunction:
    """What runs a concrete function's graph (`ConcreteFunction.inference_fn`)."""

    def __init__(self, cf: ConcreteFunction):
        self._cf = cf

    @property
    def name(self) -> bytes:
        return self._cf._inference_name.encode()

    @property
    def graph(self):
        return self._cf.graph

    @property
    def definition(self):
        return self._cf.function_def

    cached_definition = definition

    @property
    def function_type(self):
        return self._cf.function_type

    def __call__(self, *args, **kwargs):
        return self._cf(*args, **kwargs)

    def call_flat(self, *tensors) -> list:
        """Runs the graph on its input tensors, in order; returns the flat outputs."""
        cf = self._cf
        outs = cf._call_flat(list(tensors))
        return [t for t in nest.flatten(outs, expand_composites=True) if t is not None]

    def __str__(self) -> str:
        return f"<AtomicFunction> {self._cf._inference_name}" \
            f"{self._cf.pretty_printed_signature(verbose=False)}"

    __repr__ = __str__


class VariableSlot:
    """A variable argument inside the graph of a concrete function: ops hold the slot, and
    each call binds it, in the calling thread, to the variable it passes. Reads, updates and
    everything else go to that variable (the traced one when none is bound)."""

    __slots__ = ("_local", "_first")
    _is_variable = True

    def __init__(self, first):
        self._local = threading.local()
        self._first = first

    @property
    def target(self):
        v = getattr(self._local, "v", None)
        return self._first if v is None else v

    @property
    def _value(self):
        return self.target._value

    @_value.setter
    def _value(self, value):
        self.target._value = value

    def __getattr__(self, name: str):
        return getattr(self.target, name)

    def __repr__(self) -> str:
        return f"<VariableSlot for {self.target!r}>"


def _bind(slots, variables) -> list:
    saved = []
    for s, v in zip(slots, variables):
        local = s._local
        saved.append(getattr(local, "v", None))
        local.v = v
    return saved


def _unbind(slots, saved) -> None:
    for s, old in zip(slots, saved):
        s._local.v = old


def make_slots(graph, variables: list) -> tuple:
    """Replaces each of `variables` by a new VariableSlot in the ops of `graph` and of its
    sub-graphs (branches, loop bodies, custom gradients), before they are compiled."""
    slots = tuple(VariableSlot(v) for v in variables)
    if not slots:
        return slots
    swap = {id(v): s for v, s in zip(variables, slots)}
    seen: set = set()

    def visit(g) -> None:
        if id(g) in seen:
            return
        seen.add(id(g))
        g.variables = [swap.get(id(v), v) for v in g.variables]
        for op in g.operations:
            attrs = op.attrs
            var = attrs.get("var")
            if var is not None and id(var) in swap:
                op.attrs = attrs = {**attrs, "var": swap[id(var)]}
            for value in attrs.values():
                for item in value if isinstance(value, (list, tuple)) else (value,):
                    sub = getattr(item, "graph", None)
                    if sub is not None and hasattr(sub, "operations"):
                        visit(sub)
    visit(graph)
    return slots


def _type_text(v, keep_names: bool) -> str:
    """TensorFlow's notation for an argument or result type."""
    if isinstance(v, _sig.TensorSpec):
        return repr(v if keep_names or v.name is None else _sig.TensorSpec(v.shape, v.dtype))
    if isinstance(v, GraphTensor) or isinstance(v, EagerTensor):
        return repr(_sig.TensorSpec(v.shape, v.dtype))
    if hasattr(v, "_is_variable"):
        return f"Variable(shape={v.shape}, dtype={v.dtype!r})"
    if isinstance(v, dict):
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(x, keep_names)}]"
                                   for k, x in v.items()) + "]"
    if isinstance(v, tuple) and hasattr(type(v), "_fields"):
        return type(v).__name__ + "[" + ", ".join(
            f"[{f!r}, {_type_text(x, keep_names)}]" for f, x in zip(v._fields, v)) + "]"
    if isinstance(v, (list, tuple)):
        head = "List" if isinstance(v, list) else "Tuple"
        return f"{head}[" + ", ".join(_type_text(x, keep_names) for x in v) + "]"
    tt = trace_type_of(v)
    return repr(tt) if tt is not None else f"Literal[{v!r}]"


def param_kinds(signature, pos: tuple, kw: dict) -> list:
    """[(name, kind)] for the values of a canonical call, in order (positional, then kw)."""
    if signature is None:
        return [(f"arg_{i}", "POSITIONAL_ONLY") for i in range(len(pos))] + \
            [(k, "KEYWORD_ONLY") for k in nest._sorted(kw)]
    out = []
    for name, p in signature.parameters.items():
        if p.kind is p.VAR_POSITIONAL:
            n = len(pos) - len(out)
            out += [(f"{name}_{i}", "VAR_POSITIONAL") for i in range(n)]
        elif p.kind is p.POSITIONAL_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD:
            out.append((name, p.kind.name))
    named = {n for n, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY}
    out += [(k, "KEYWORD_ONLY" if k in named else "VAR_KEYWORD") for k in nest._sorted(kw)]
    return out
