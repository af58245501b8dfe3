"""Graph optimization: the passes every traced graph goes through before it is compiled.

`optimize(graph, inputs, outputs)` copies the graph in one forward sweep that
  - folds constants: an op that is not stateful and whose inputs are all `Const` runs now
    and becomes a `Const` (`1 + 2` is a Const 3), as do ops that only read their inputs'
    static shapes (`OnesLike`, `Shape`, ...);
  - merges common subexpressions: ops of one type with the same inputs and equal attributes
    (equal constants too) are computed once;
  - simplifies identities: `x * 1`, `x + 0`, `x - 0`, `x / 1`, `Identity`, a `Reshape` to
    the same static shape, when broadcasting leaves x's shape and dtype as they are, and a
    cast back from a wider dtype of the same kind (float32 -> float64 -> float32), a
    reduction over no axis;
then prunes what neither the outputs nor a side effect needs, and fuses kernels (`fuse.py`:
a convolution with its bias and Relu, a Relu gradient moved before a max-pool gradient).
Stateful ops (variable updates, random numbers, prints, control flow) are never folded or
merged and keep their program order; variable reads are stateful too, but an unused read is
dropped.
"""

from __future__ import annotations

import numpy as np

from rill._core.graph import CONST, PLACEHOLDER, Graph, GraphTensor, needed_ops
from rill._core.variable import READ_VARIABLE as _READ
from rill.function.fuse import fuse

_MUL_ONE = frozenset({"Mul"})
_ADD_ZERO = frozenset({"AddV2", "Add"})
_RIGHT_ZERO = frozenset({"Sub"})
_RIGHT_ONE = frozenset({"RealDiv", "Div", "TrueDiv", "DivNoNan"})
_REDUCTIONS = frozenset({"Sum", "Mean", "Max", "Min", "Prod"})
# ops whose result depends only on their inputs' static shapes and dtypes
_SHAPE_ONLY = frozenset({"OnesLike", "ZerosLike", "Shape", "ShapeN", "Size", "Rank"})
_FOLD_LIMIT = 1 << 20  # elements: bigger results stay computed at run time
_KEY_LIMIT = 4096  # elements: bigger constants are compared by identity


class _Unkeyable(Exception):
    pass


def _value_key(v):
    """A hashable key for an attribute value; equal values give equal keys."""
    if v is None or isinstance(v, (bool, int, str, bytes)):
        return (type(v), v)
    if isinstance(v, float):
        if v != v:
            raise _Unkeyable
        return (float, v)
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        if a.size > _KEY_LIMIT:
            raise _Unkeyable
        if a.dtype == object:
            return ("O", a.shape, tuple(a.reshape(-1).tolist()))
        if a.dtype.kind in "fc" and np.isnan(a).any():
            raise _Unkeyable
        return ("A", a.dtype, a.shape, a.tobytes())
    if isinstance(v, (tuple, list)):
        return (type(v), tuple(_value_key(x) for x in v))
    if isinstance(v, dict):
        return (dict, tuple(sorted((k, _value_key(x)) for k, x in v.items())))
    if isinstance(v, slice):
        return (slice, _value_key(v.start), _value_key(v.stop), _value_key(v.step))
    try:
        hash(v)
    except TypeError:
        return ("id", id(v))
    if type(v).__eq__ is object.__eq__:
        return ("id", id(v))
    return (type(v), v)


def _attrs_key(attrs: dict):
    return tuple(sorted((k, _value_key(v)) for k, v in attrs.items()))


def _const(t: GraphTensor):
    """The value of a tensor produced by a Const op of the new graph, else None."""
    return t.op.attrs["value"] if t.op.opdef is CONST else None


def _is_fill(t: GraphTensor, x: GraphTensor, fill) -> bool:
    """True when t is a constant equal to `fill` everywhere that broadcasts to x's shape."""
    v = _const(t)
    if v is None or t.dtype is not x.dtype or np.size(v) != 1 or x.shape.rank is None:
        return False
    return np.ndim(v) <= x.shape.rank and bool(np.asarray(v).reshape(()) == fill)


def _simplify(op, ins: list):
    """The input an op reduces to (`x * 1` -> x), or None."""
    t = op.type
    out = op.outputs[0] if len(op.outputs) == 1 else None
    if out is None:
        return None
    if t == "Identity" and len(ins) == 1:
        return ins[0]
    if t in _REDUCTIONS and op.attrs.get("axis", None) == () and ins[0].dtype is out.dtype:
        return ins[0]  # a reduction over no axis (of a scalar, say)
    if t == "Cast" and len(ins) == 1 and ins[0].op.type == "Cast":
        # a cast back from a wider dtype of the same kind (float32 -> float64 -> float32)
        x = ins[0].op.inputs[0]
        src, mid = x.dtype._np, ins[0].dtype._np
        if x.dtype is out.dtype and src.kind == mid.kind and src.kind in "iuf" and \
                mid.itemsize >= src.itemsize:
            return x
    if len(ins) == 2:
        x, y = ins
        if t in _MUL_ONE:
            if _is_fill(y, x, 1):
                return x
            if _is_fill(x, y, 1):
                return y
        elif t in _ADD_ZERO:
            if _is_fill(y, x, 0):
                return x
            if _is_fill(x, y, 0):
                return y
        elif t in _RIGHT_ZERO:
            if _is_fill(y, x, 0):
                return x
        elif t in _RIGHT_ONE:
            if _is_fill(y, x, 1):
                return x
        elif t == "Reshape":
            if x.shape.is_fully_defined() and out.shape.is_fully_defined() \
                    and x.shape == out.shape:
                return x
    return None


def _static(ins: list) -> bool:
    return all(t.shape.is_fully_defined() and t.dtype._kind in "biufc" for t in ins)


def _fold(op, ins: list):
    """The values of an op's outputs computed now, or None when it cannot be folded."""
    if any((t.shape.num_elements() or 0) > _FOLD_LIMIT for t in ins):
        return None
    values = [t.op.attrs["value"] if t.op.opdef is CONST else np.zeros(t.shape.as_list(),
                                                                       t.dtype._np)
              for t in ins]
    try:
        out = op.opdef.kernel(*values, **op.attrs)
    except Exception:  # left to fail at run time, where the error points at the user's line
        return None
    if len(op.outputs) == 1 and op.opdef.num_outputs == 1:
        out = (out,)
    out = tuple(out)
    if len(out) != len(op.outputs):
        return None
    for t, v in zip(op.outputs, out):
        if not isinstance(v, (np.ndarray, np.generic)) or v.dtype != t.dtype._np \
                or np.size(v) > _FOLD_LIMIT:
            return None
    return out


class _Builder:
    """The new graph being written, with the tables that merge constants and expressions."""

    def __init__(self, graph: Graph):
        self.graph = Graph(graph.name + "/optimized", outer=graph.outer)
        self.graph.variables = graph.variables
        self.graph.captured_values = graph.captured_values
        self.exprs: dict = {}

    def add(self, op, ins, attrs=None, name=None, specs=None):
        attrs = op.attrs if attrs is None else attrs
        specs = specs or [(t.shape, t.dtype) for t in op.outputs]
        new = self.graph.add_operation(op.opdef, tuple(ins), attrs, specs, name or op.name)
        new.source = op.source
        return new

    def const(self, value, name: str, source=None) -> GraphTensor:
        try:
            key = (CONST, _value_key(value))
        except _Unkeyable:
            key = None
        found = self.exprs.get(key) if key is not None else None
        if found is not None:
            return found[0]
        new = self.graph.add_operation(CONST, (), {"value": value},
                                       [(np.shape(value), value.dtype)], name)
        new.source = source
        if key is not None:
            self.exprs[key] = new.outputs
        return new.outputs[0]


def optimize(graph: Graph, inputs: list, outputs: list):
    """An optimized copy of `graph`: returns (new graph, its inputs, its outputs)."""
    b = _Builder(graph)
    rep: dict = {}  # id(old tensor) -> new tensor
    side_effects: list = []
    for op in graph.operations:
        opdef = op.opdef
        ins = [rep[id(x)] for x in op.inputs]
        if opdef is CONST:
            rep[id(op.outputs[0])] = b.const(op.attrs["value"], op.name, op.source)
            continue
        key = None
        if not opdef.stateful:
            same = _simplify(op, ins)
            if same is not None:
                rep[id(op.outputs[0])] = same
                continue
            if op.outputs and (all(t.op.opdef is CONST for t in ins) or
                               (op.type in _SHAPE_ONLY and _static(ins))):
                values = _fold(op, ins)
                if values is not None:
                    for t, v in zip(op.outputs, values):
                        rep[id(t)] = b.const(v, op.name if len(values) == 1
                                             else f"{op.name}:{t.value_index}", op.source)
                    continue
            try:
                key = (opdef, tuple(id(t) for t in ins), _attrs_key(op.attrs))
            except _Unkeyable:
                pass
            found = b.exprs.get(key) if key is not None else None
            if found is not None and len(found) == len(op.outputs):
                for t, n in zip(op.outputs, found):
                    rep[id(t)] = n
                continue
        new = b.add(op, ins)
        for t, n in zip(op.outputs, new.outputs):
            rep[id(t)] = n
        if key is not None:
            b.exprs[key] = new.outputs
        elif opdef.stateful and opdef is not PLACEHOLDER and opdef is not _READ \
                and id(op) not in graph.lifted:
            side_effects.append(new)
    new_inputs = [rep[id(t)] for t in inputs]
    new_outputs = [rep[id(t)] for t in outputs]
    g = _prune(b.graph, new_inputs, new_outputs, side_effects)
    new_outputs = fuse(g, new_outputs)
    g.inputs, g.outputs = new_inputs, new_outputs
    return g, new_inputs, new_outputs


def _prune(graph: Graph, inputs: list, outputs: list, roots: list) -> Graph:
    """Keeps the ops that the outputs and the side-effecting ops need, and the inputs."""
    graph.operations = needed_ops(graph, outputs, roots + [t.op for t in inputs])
    return graph
