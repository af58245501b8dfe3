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

import threading

from rill._core import context as _context
from rill._core import nest
from rill._core.errors import InvalidArgumentError, OpError
from rill._core.graph import CONST, PLACEHOLDER, GraphTensor
from rill._core.op import REGISTRY, execute
from rill._core.tensor import EagerTensor
from rill._core.tensor import wrap as _wrap
from rill.function import signature as _sig
from rill.function.codegen import compile_graph, describe_source

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_new = object.__new__
_Eager = EagerTensor
_READ = REGISTRY["ReadVariableOp"]


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
                outs = self._interpret(tensors)
                if self._single:
                    return outs[0]
                leaves = [None if i is None else outs[i] for i in self._out_slots]
                return nest.pack_sequence_as(self.structured_outputs, leaves,
                                             expand_composites=True)
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

    def _interpret(self, tensors: list) -> list:
        """Runs the optimized graph op by op through `execute`: tapes record every op."""
        g = self.optimized_graph
        env = {id(p): t for p, t in zip(self._run.inputs, tensors)}
        for op in g.operations:
            opdef = op.opdef
            if opdef is PLACEHOLDER:
                continue
            if opdef is CONST:
                env[id(op.outputs[0])] = _wrap(op.attrs["value"])
                continue
            try:
                if opdef is _READ:
                    out = (op.attrs["var"].value(),)
                else:
                    res = execute(opdef, tuple(env[id(x)] for x in op.inputs), op.attrs)
                    out = (res,) if opdef.num_outputs == 1 else res
            except OpError as exc:
                if getattr(exc, "_rill_located", False):
                    raise
                new = type(exc)(exc.node_def, exc.op, f"{exc.message}\n  in operation "
                                f"{op.name!r} ({op.type}), created at {describe_source(op)}")
                new._rill_located = True
                raise new from exc
            for t, v in zip(op.outputs, out):
                env[id(t)] = v
        return [env[id(t)] for t in self._run.outputs]

    def __call__(self, *args, **kwargs):
        """Runs the graph; arguments must match the traced signature (Python arguments may be
        left out: the traced values are used)."""
        pos, kw = self._bind(args, kwargs)
        pinned = self._pinned
        key, leaves, refs = _sig.encode_call(pos, kw, [str(i) for i in range(len(pos))],
                                             pinned)
        if not _sig.compatible(self._pattern, key):
            raise self._mismatch(key)
        tensors = [t for _, t in leaves]
        for t in tensors:
            if isinstance(t, _sig.TensorSpec):
                raise TypeError(f"{self._describe()} needs a tensor, not {t!r}.")
        return self._call_flat(tensors, _sig.variable_args(refs, pinned))

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

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        """The signature as TensorFlow prints it: parameters, output type and captures."""
        pos, kw = self._shown_inputs
        values = list(pos) + [kw[k] for k in nest._sorted(kw)]
        if not verbose:
            args = ", ".join(f"{n}: {_type_text(v, True)}"
                             for (n, _), v in zip(self._params, values))
            return f"({args}) -> {_type_text(self.structured_outputs, False)}"
        lines = ["Input Parameters:"]
        for (name, kind), v in zip(self._params, values):
            lines.append(f"  {name} ({kind}): {_type_text(v, True)}")
        lines += ["Output Type:", f"  {_type_text(self.structured_outputs, False)}",
                  "Captures:"]
        caps = self.captured_inputs
        if not caps:
            lines.append("  None")
        for c in caps:
            lines.append(f"  {id(c)}: {_type_text(c, False)}")
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
    return f"Literal[{v!r}]"


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
