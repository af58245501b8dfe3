"""Graphs built while a `tf.function` traces: operations and symbolic tensors.

`Graph.create_op` is what `execute` calls in graph mode: it runs the op's shape/dtype rule,
appends an `Operation` whose outputs are `GraphTensor`s, and records the op on active tapes
(so backprop inside a traced function becomes more graph). Eager tensors used in a graph are
captured as `Const` operations.

`interpret` is the one graph interpreter: it runs a graph's ops (those some outputs need, or
all of them) with one function per op: the kernels on NumPy values (`Graph.evaluate`), or
`execute` again (`replay_op`: tf.function's replay under tapes, control-flow sub-graphs,
vectorization), so that tapes record the ops or a graph being traced takes them.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import sys

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError, OperatorNotAllowedInGraphError, OpError
from rill._core.op import OpDef, core_ops, defop, execute, record
from rill._core.tensor import EagerTensor, Tensor, wrap
from rill._core.tensor_shape import TensorShape, as_shape

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


class GraphTensor(Tensor):
    """A symbolic tensor: output `value_index` of operation `op`, with a static spec."""

    __slots__ = ("op", "value_index", "_shape", "_dtype", "__weakref__")

    def __init__(self, op, value_index: int, shape: TensorShape, dtype: _dtypes.DType):
        self.op = op
        self.value_index = value_index
        self._shape = shape
        self._dtype = dtype

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    @property
    def ndim(self):
        return self._shape.rank

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self):
        return self.op.graph

    @property
    def device(self) -> str:
        return ""

    def set_shape(self, shape) -> None:
        self._shape = self._shape.merge_with(as_shape(shape))

    def numpy(self):
        # AttributeError, as TensorFlow's symbolic tensors have no `numpy` (code catches it)
        raise AttributeError(
            f"'SymbolicTensor' object has no attribute 'numpy'\nThe symbolic tensor "
            f"{self.name} has no value while a tf.function is being traced.\nhint: compute "
            f"with rill ops inside the function, or use tf.py_function for code that needs "
            f"NumPy values.")

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError(
            f"Cannot convert the symbolic tensor {self.name} to a NumPy array: it has no value "
            f"while a tf.function is being traced.\nhint: use rill ops (tf.reduce_sum, not "
            f"np.sum) inside tf.function, or tf.numpy_function for NumPy code.")

    def __bool__(self):
        note = _autograph_note(self.op.graph)
        if note is None:
            why = ("hint: let autograph convert the `if`/`while` (tf.function does by "
                   "default), or use tf.cond / tf.while_loop.")
        else:
            why = (f"autograph did not convert this function ({note}), so its Python `if`, "
                   f"`while` and `and`/`or` cannot take a tensor condition.\nhint: use "
                   f"tf.cond / tf.while_loop / tf.where here, or let autograph convert the "
                   f"function (a `def` in a file, and tf.function's autograph=True).")
        raise OperatorNotAllowedInGraphError(
            f"Using a symbolic `tf.Tensor` as a Python `bool` is not allowed.\nThe symbolic "
            f"tensor {self.name} has no value while tf.function traces.\n{why}")

    def __len__(self):
        d = self._shape[0] if self._shape.rank else None
        if d is None:
            raise TypeError(f"len is not well defined for the symbolic tensor {self.name} "
                            f"with shape {self._shape}.\nhint: use tf.shape(x)[0].")
        return d

    def __iter__(self):
        raise OperatorNotAllowedInGraphError(
            f"Iterating over a symbolic `tf.Tensor` is not allowed.\nThe symbolic tensor "
            f"{self.name} (shape {self._shape}) has no values while tf.function traces; "
            f"autograph converts `for` statements over tensors, but not comprehensions, "
            f"unpacking (`a, b = x`) or code it does not convert (autograph=False).\nhint: "
            f"write a `for` loop with autograph on, or use tf.unstack(x) (known size), "
            f"tf.map_fn, or `for i in tf.range(tf.shape(x)[0])`.")

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    __str__ = __repr__


class Operation:
    """A node of a Graph: `name`, `type`, `inputs`, `outputs` and attributes.

    `source` is the user's (file, line) that created the op while tracing (None when
    unknown): errors raised by the op when the compiled graph runs point there.
    """

    __slots__ = ("graph", "name", "opdef", "inputs", "attrs", "outputs", "control_inputs",
                 "source")

    def __init__(self, graph, name, opdef: OpDef, inputs: tuple, attrs: dict, source=None):
        self.graph = graph
        self.name = name
        self.opdef = opdef
        self.inputs = inputs
        self.attrs = attrs
        self.outputs = ()
        self.control_inputs = ()
        self.source = source

    @property
    def type(self) -> str:
        return self.opdef.name

    @property
    def node_def(self):
        return {"name": self.name, "op": self.type, "attr": dict(self.attrs)}

    def get_attr(self, name: str):
        return self.attrs[name]

    def __repr__(self) -> str:
        return f"<tf.Operation '{self.name}' type={self.type}>"


_RILL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_source():
    """(file, line) of the innermost frame outside rill: where the user's code made an op."""
    f = sys._getframe(2)
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(_RILL_DIR) and not name.startswith("<rill"):
            return name, f.f_lineno
        f = f.f_back
    return None


class Graph:
    """A dataflow graph: operations in creation order (a valid topological order).

    A traced function's graph also lists its `inputs` (placeholders) and `outputs`.
    `str(graph)` is a readable listing, one line per operation.
    """

    def __init__(self, name: str = "graph", outer=None):
        self.name = name
        self.outer = outer
        self.operations: list[Operation] = []
        self._names: dict[str, int] = {}
        self._name_stack = ""  # the current tf.name_scope, prefixed to op names
        self._captures: dict[int, GraphTensor] = {}  # id(eager tensor) -> Const output
        self.captured_values: list = []  # keeps captured eager tensors alive
        self.variables: list = []  # variables read or written while tracing
        self._variable_ids: set = set()
        self.created_variables: list = []
        self.inputs: list[GraphTensor] = []
        self.outputs: list[GraphTensor] = []
        # set by tf.function when this trace may not create variables: the error to raise
        self.variable_creation_error: str | None = None
        self.lifted: set = set()  # ids of ops run once at trace time for variable initializers
        # True for a graph that eager code may add ops to through its symbolic tensors (the
        # graph behind Keras' functional API; see `rill._core.op._open_graph`)
        self.open_for_ops = False

    def get_operations(self) -> list[Operation]:
        return list(self.operations)

    def get_operation_by_name(self, name: str) -> Operation:
        for op in self.operations:
            if op.name == name:
                return op
        raise KeyError(f"The name {name!r} refers to no operation of this graph.")

    def get_tensor_by_name(self, name: str) -> GraphTensor:
        """The tensor `"op_name:index"`. rill names ops by type (`Mul`) where TensorFlow
        often uses the Python function's name (`mul`): a name that differs only in case
        from exactly one op's finds that op."""
        if not isinstance(name, str) or ":" not in name:
            raise ValueError(f"The name {name!r} looks like an (invalid) Operation name, not "
                             f"a Tensor. Tensor names must be of the form "
                             f"\"<op_name>:<output_index>\".\nhint: write {name}:0 for the "
                             f"first output of operation {name!r}.")
        op_name, _, index = name.rpartition(":")
        ops = [op for op in self.operations if op.name == op_name] or \
            [op for op in self.operations if op.name.lower() == op_name.lower()]
        if len(ops) != 1 or not index.isdigit() or int(index) >= len(ops[0].outputs):
            known = ", ".join(op.name for op in self.operations[:20])
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist. The "
                           f"operation, {op_name!r}, does not exist in the graph.\nhint: the "
                           f"operations are named {known}.")
        return ops[0].outputs[int(index)]

    def as_graph_def(self, add_shapes: bool = False):
        """The graph as data: a GraphDef whose `node` lists a NodeDef per operation (with
        `name`, `op`, `input` and `attr`), printed as TensorFlow prints one."""
        from rill._core.graph_def import graph_def
        return graph_def(self)

    def unique_name(self, base: str) -> str:
        """`base` under the current name scope, made unique (`scope/Mul`, `scope/Mul_1`)."""
        if self._name_stack:
            base = f"{self._name_stack}/{base}"
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def add_operation(self, opdef: OpDef, inputs: tuple, attrs: dict, specs: list,
                      name: str | None = None) -> Operation:
        op = Operation(self, self.unique_name(name or opdef.name), opdef, inputs, attrs,
                       _user_source())
        op.outputs = tuple(GraphTensor(op, i, as_shape(s), _dtypes.as_dtype(d))
                           for i, (s, d) in enumerate(specs))
        self.operations.append(op)
        return op

    def add_placeholder(self, shape, dtype, name: str = "Placeholder") -> GraphTensor:
        """A new input of this graph (fed by whoever runs it)."""
        t = self.add_operation(PLACEHOLDER, (), {}, [(shape, dtype)], name).outputs[0]
        self.inputs.append(t)
        return t

    def capture(self, value) -> GraphTensor:
        """The graph tensor standing for an eager tensor or a tensor of an outer graph."""
        key = id(value)
        found = self._captures.get(key)
        if found is not None:
            return found
        if isinstance(value, EagerTensor):
            v = value._value
            op = self.add_operation(CONST, (), {"value": v}, [(v.shape, v.dtype)], "Const")
        else:  # a tensor of an enclosing graph (e.g. a cond branch reading outer values)
            check_in_scope(self, value)
            op = self.add_operation(PLACEHOLDER, (), {"outer": value},
                                    [(value.shape, value.dtype)], "Placeholder")
        self._captures[key] = op.outputs[0]
        self.captured_values.append(value)
        return op.outputs[0]

    def create_op(self, opdef: OpDef, inputs: tuple, attrs: dict, name: str | None = None):
        ins = []
        for x in inputs:
            if type(x) is not GraphTensor or x.op.graph is not self:
                x = self.capture(x)
            ins.append(x)
        ins = tuple(ins)
        try:
            specs = opdef.rule(*ins, **attrs)
        except (ValueError, TypeError) as exc:
            # TensorFlow's first line first (users search for it), then where, then the rest
            first, _, rest = str(exc).partition("\n")
            text = (f"{first}\n{opdef.public_name} (op {opdef.name}) cannot be traced with "
                    f"inputs [{', '.join(f'{x.shape} {x.dtype.name}' for x in ins)}]"
                    + (f"\n{rest}" if rest else ""))
            if isinstance(exc, TypeError):
                raise TypeError(text) from exc
            raise InvalidArgumentError(None, opdef.name, text) from exc
        if opdef.num_outputs == 1:
            specs = [specs]
        op = self.add_operation(opdef, ins, attrs, specs, name)
        outputs = op.outputs
        if _active and _state.tapes:
            record(opdef, ins, attrs, outputs)
        return outputs[0] if opdef.num_outputs == 1 else outputs

    def read_variable(self, var) -> GraphTensor:
        """A `ReadVariableOp` node; recorded on tapes with the variable as its input."""
        self.on_variable_used(var)
        op = self.add_operation(core_ops.ReadVariableOp, (), {"var": var},
                                [(var.shape, var.dtype)])
        t = op.outputs[0]
        if _active and _state.tapes:
            var._record_read(t)
        return t

    def on_variable_used(self, var) -> None:
        if id(var) not in self._variable_ids:
            self._variable_ids.add(id(var))
            self.variables.append(var)
        if self.outer is not None:
            self.outer.on_variable_used(var)

    def on_variable_created(self, var) -> None:
        if self.variable_creation_error is not None:
            raise ValueError(self.variable_creation_error)
        self.created_variables.append(var)
        if self.outer is not None:
            self.outer.on_variable_created(var)

    def lift_variable(self, var, initial_value):
        """The value of a variable created while tracing, computed now (lifted out of the
        graph, as TensorFlow lifts initializers): the variable is a real one, initialized
        once, and the graph reads it like any other variable."""
        self.on_variable_created(var)
        if callable(initial_value) and not hasattr(initial_value, "dtype"):
            with init_scope():
                initial_value = initial_value()
        if isinstance(initial_value, GraphTensor):
            return initial_value.op.graph.evaluate(initial_value)
        if hasattr(initial_value, "_is_variable"):
            return initial_value._value
        return initial_value

    def evaluate(self, tensor: GraphTensor):
        """Computes a tensor of this graph now, as a NumPy value. It must not depend on the
        graph's inputs. The ops it runs are marked `lifted` (optimization drops them)."""
        def run_kernel(op, values):
            self.lifted.add(id(op))
            if op.opdef is PLACEHOLDER:
                outer = op.attrs.get("outer")
                if outer is None:
                    raise ValueError(
                        f"The initial value of a variable created inside tf.function depends "
                        f"on the function's input {op.name!r}.\nhint: create the variable "
                        f"outside the function, or from values that do not depend on its "
                        f"arguments (e.g. an initializer with a static shape).")
                return (outer.op.graph.evaluate(outer) if isinstance(outer, GraphTensor)
                        else outer._value,)
            out = op.opdef.kernel(*values, **op.attrs)
            return (out,) if op.opdef.num_outputs == 1 else out
        return interpret(self, (), (), [tensor], run_kernel)[0]

    @contextlib.contextmanager
    def as_default(self):
        """Makes ops build nodes of this graph inside the `with` block."""
        _state.graphs.append(self)
        try:
            yield self
        finally:
            _state.graphs.remove(self)

    def as_text(self) -> str:
        """A readable listing, one line per operation: `outputs = Type(inputs)  # spec`."""
        lines = [f"graph {self.name!r} ({len(self.operations)} operations)"]
        for op in self.operations:
            outs = ", ".join(_tensor_text(t) for t in op.outputs)
            args = [_tensor_text(x) for x in op.inputs]
            if op.opdef is CONST:
                args.append(_value_text(op.attrs["value"]))
            else:
                args += [f"{k}={_value_text(v)}" for k, v in op.attrs.items()]
            line = f"  {outs + ' = ' if outs else ''}{op.type}({', '.join(args)})"
            specs = "; ".join(f"{t.shape} {t.dtype.name}" for t in op.outputs)
            lines.append(f"{line:<48}  # {specs}" if specs else line)
        if self.outputs:
            lines.append("  return " + ", ".join(_tensor_text(t) for t in self.outputs))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return f"<rill Graph {self.name!r} with {len(self.operations)} operations>"


def needed_ops(graph: Graph, outputs, roots=()) -> list:
    """The operations of `graph` that the tensors `outputs` and the operations `roots`
    depend on, in graph order (a valid order to run them in)."""
    needed: set = set()
    stack = [t.op for t in outputs if t.op.graph is graph] + list(roots)
    while stack:
        op = stack.pop()
        if id(op) not in needed:
            needed.add(id(op))
            stack.extend(x.op for x in op.inputs)
    return [op for op in graph.operations if id(op) in needed]


def interpret(graph: Graph, inputs, values, outputs: list, run_op=None, ops=None) -> list:
    """The graph interpreter: runs `graph` with its placeholders `inputs` fed `values` and
    returns the values of `outputs`.

    `run_op(op, input_values)` gives an op's output values (a tuple); the default,
    `replay_op`, runs it again through `execute`. The ops run are those `outputs` need, or
    `ops` (all of a function's ops, effects included); a placeholder that is not fed goes to
    `run_op` too. An `OpError` gets the op's name and where the user's code created it.
    """
    env = {id(p): v for p, v in zip(inputs, values)}
    run_op = run_op or replay_op
    for op in needed_ops(graph, outputs) if ops is None else ops:
        if op.opdef is PLACEHOLDER and id(op.outputs[0]) in env:
            continue
        try:
            out = run_op(op, [env[id(x)] for x in op.inputs])
        except OpError as exc:
            if getattr(exc, "_rill_located", False):
                raise
            new = type(exc)(exc.node_def, exc.op, f"{exc.message}\n  in operation "
                            f"{op.name!r} ({op.type}), created at {describe_source(op)}")
            new._rill_located = True
            raise new from exc
        for t, v in zip(op.outputs, out):
            env[id(t)] = v
    return [env[id(t)] for t in outputs]


def replay_op(op: Operation, inputs: list, attrs: dict | None = None) -> tuple:
    """Runs `op` again on the tensors `inputs` through `execute` (with `attrs` instead of its
    own): eagerly, so tapes record it, or into the graph being traced. A constant gives its
    value; a variable read reads the variable now (into a graph: the same variable or
    VariableSlot)."""
    opdef = op.opdef
    if opdef is CONST:
        return (wrap(op.attrs["value"]),)
    if opdef is PLACEHOLDER:
        raise RuntimeError(f"internal error: placeholder {op.name} of {op.graph.name} is "
                           f"not fed")
    if opdef is core_ops.ReadVariableOp:
        return (read_now(op.attrs["var"]),)
    out = execute(opdef, tuple(inputs), op.attrs if attrs is None else attrs)
    return (out,) if opdef.num_outputs == 1 else out


def read_now(var):
    """The variable's value as a tensor: read eagerly, or a read in the graph being traced
    (a VariableSlot stays a slot there)."""
    return _state.graphs[-1].read_variable(var) if _active and _state.graphs else var.value()


def describe_source(op) -> str:
    """'file:line' (and the line's text) where the user's code created an op."""
    if op.source is None:
        return "an unknown place (the op was not created by user code)"
    filename, lineno = op.source
    text = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f"\n    {text}" if text else "")


def _autograph_note(graph):
    while graph is not None:
        note = getattr(graph, "autograph_note", None)
        if note is not None:
            return note
        graph = getattr(graph, "outer", None)
    return None


def check_in_scope(graph, value) -> None:
    """A graph reads tensors of the graphs that enclose it, never of graphs that ended
    (a loop body or a branch whose tensor was kept in a Python variable)."""
    home = getattr(getattr(value, "op", None), "graph", None)
    if home is None or getattr(home, "open_for_ops", False):
        return
    g = graph
    while g is not None:
        if g is home:
            return
        g = g.outer
    loop = "_body" in home.name or "_cond" in home.name
    why = (f"it was computed inside the loop {home.name!r} (a `for`/`while` over a tensor "
           f"runs as one graph op), e.g. appended to a Python list there; values leave a "
           f"loop only as its loop variables.\nhint: collect per-iteration values in a "
           f"tf.TensorArray: `ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)`, "
           f"`ta = ta.write(i, value)` in the loop, then `ta.stack()`." if loop else
           f"it belongs to the graph {home.name!r}, which does not enclose this one (a branch "
           f"of tf.cond, or another tf.function).\nhint: return the value from that "
           f"branch or function instead of keeping it in a Python variable.")
    raise ValueError(f"{value!r} is out of scope and cannot be used here. Use return values, "
                     f"explicit Python locals or TensorFlow collections to access it.\n"
                     f"{value.name} cannot be used in graph {graph.name!r}: {why}")


def _tensor_text(t: GraphTensor) -> str:
    return t.op.name if len(t.op.outputs) == 1 else f"{t.op.name}:{t.value_index}"


def _value_text(v) -> str:
    if isinstance(v, (np.ndarray, np.generic)):
        if v.size <= 4:
            a = np.asarray(v)
            text = np.array2string(a, separator=", ") if a.ndim else str(a[()])
            return text if v.dtype in (np.float32, np.int32) else \
                f"{text}:{_dtypes.from_numpy(v.dtype).name}"
        return f"<{v.dtype.name} array {tuple(v.shape)}>"
    if hasattr(v, "_is_variable"):
        return repr(v.name)
    if isinstance(v, GraphTensor):
        return f"<{v.op.graph.name}/{_tensor_text(v)}>"
    if isinstance(v, Graph) or isinstance(getattr(v, "graph", None), Graph):
        return f"<graph {getattr(v, 'graph', v).name!r}>"
    if isinstance(v, (tuple, list)) and len(v) <= 8:
        text = ", ".join(_value_text(x) for x in v)
        text = f"({text},)" if len(v) == 1 and isinstance(v, tuple) else \
            (f"({text})" if isinstance(v, tuple) else f"[{text}]")
    elif callable(v) and hasattr(v, "__name__"):
        return v.__name__
    else:
        text = v.name if isinstance(v, _dtypes.DType) else \
            str(v) if isinstance(v, TensorShape) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


@contextlib.contextmanager
def init_scope():
    """Leaves every graph being traced (and pauses tapes) inside the block: code there runs
    eagerly, once, as `tf.init_scope` does (used to create and initialize variables)."""
    graphs, tapes = _state.graphs, _state.tapes
    saved_graphs, saved_tapes = graphs[:], tapes[:]
    graphs.clear()
    tapes.clear()
    try:
        yield
    finally:
        graphs[:] = saved_graphs
        tapes[:] = saved_tapes


@contextlib.contextmanager
def tracing(graph: Graph):
    """Makes ops build nodes of `graph` inside the block, with this thread's tapes paused
    (tapes outside see the op that will hold the graph, never the ops inside it)."""
    tapes = _state.tapes
    saved = tapes[:]
    tapes.clear()
    _state.graphs.append(graph)
    try:
        yield graph
    finally:
        _state.graphs.pop()
        tapes[:] = saved


def constant_value(tensor):
    """The value of a tensor when it is known without running the graph, else None."""
    if isinstance(tensor, EagerTensor):
        return tensor._value
    if isinstance(tensor, GraphTensor) and tensor.op.opdef is CONST:
        return tensor.op.attrs["value"]
    if isinstance(tensor, (np.ndarray, np.generic, int, float, list, tuple)):
        try:
            return np.asarray(tensor)
        except ValueError:
            return None
    return None


def _const_kernel(*, value):
    return value


def _const_rule(*, value):
    return value.shape, value.dtype


def _placeholder_kernel(**attrs):
    raise RuntimeError("a Placeholder is fed by the function that runs the graph")


def _placeholder_rule(**attrs):
    raise RuntimeError("Placeholder specs are set when the placeholder is created")


CONST = defop("Const", _const_kernel, _const_rule, grad=None)
PLACEHOLDER = defop("Placeholder", _placeholder_kernel, _placeholder_rule, grad=None,
                    stateful=True)


__tf_names__ = {"tf": "Graph init_scope Operation"}
