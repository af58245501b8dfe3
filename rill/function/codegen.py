"""Compiles a graph into one generated Python function: a line per op, kernels bound directly.

    t3 = _Mul(a0, c0)
    t4 = _AddV2(t3, c1, out=t3)

Kernels, constants and non-literal attributes are globals of the generated code; outputs of
multi-output ops are unpacked; control flow ops are ordinary ops whose kernels run their own
compiled sub-graphs. An elementwise NumPy ufunc whose input buffer dies at that op (and that
the function itself allocated: a ufunc's result, or that of an op declaring `fresh_output`,
such as MatMul) writes its result in place (`out=`), which saves an allocation per op on
elementwise chains. Errors raised by a kernel are re-raised with the op's name and
the user's source line recorded when the op was traced.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import re
import weakref

import numpy as np

from rill._core.errors import InvalidArgumentError, OpError
from rill._core.graph import CONST, PLACEHOLDER, Graph, describe_source
from rill._core.op import FP_WARNINGS, quiet

_counter = itertools.count()
_stale_sources: list = []  # linecache entries of generated code no longer alive
_LITERALS = (int, bool, float, str, type(None))


def compile_graph(graph: Graph, inputs: list, outputs: list, optimize: bool = True):
    """Optimizes a graph (or sub-graph) and compiles it into `fn(*arrays) -> tuple of arrays`.

    `inputs` are the placeholders fed, in order, with NumPy values; `outputs` the tensors
    returned. The returned function carries `.graph`, `.inputs`, `.outputs` (the optimized
    graph it runs) and `.source` (the generated code).
    """
    if optimize:
        from rill.function.optimize import optimize as _optimize
        graph, inputs, outputs = _optimize(graph, inputs, outputs)
    return generate(graph, inputs, outputs)


def _kernel(op):
    """The kernel a generated line calls: a `quiet` kernel's own function (the whole
    generated function then runs quietly)."""
    k = op.opdef.kernel
    return getattr(k, "quiet_of", k)


def _eligible(op) -> bool:
    k = _kernel(op)
    return isinstance(k, np.ufunc) and not op.attrs and k.nout == 1 \
        and k.nin == len(op.inputs) and len(op.outputs) == 1


def _same_runtime_shape(x, out, op) -> bool:
    """Whether x's buffer has the shape (and is not broadcast into a bigger) result."""
    xs, os = x.shape, out.shape
    if xs.is_fully_defined() and os.is_fully_defined():
        return xs == os
    if xs.rank is None or xs._dims != os._dims:
        return False
    for y in op.inputs:  # other inputs must be scalars-like that cannot grow the result
        if y is not x and not (y.shape.is_fully_defined() and y.shape.num_elements() == 1
                               and y.shape.rank <= xs.rank):
            return False
    return True


# float and complex arithmetic on 0-d values runs as Python operators: NumPy's scalar math
# gives the ufunc's results some 20x faster (optimizer coefficients, metric updates)
_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
              np.negative: "-"}


def _scalar_operator(op, kernel) -> str | None:
    try:
        symbol = _OPERATORS.get(kernel)
    except TypeError:  # an unhashable kernel
        return None
    if symbol is None or op.attrs or len(op.outputs) != 1 or \
            len(op.inputs) != (1 if kernel is np.negative else 2):
        return None
    for t in (*op.inputs, *op.outputs):
        if t.shape.rank != 0 or t.dtype._np.kind not in "fc":
            return None
    return symbol


def _read_before(last_use: int | None, i: int) -> bool:
    """Whether a value whose last reader is op `last_use` (None: no reader; -1: an output of
    the function) is dead when op `i` runs."""
    return last_use is None or -1 < last_use < i


def generate(graph: Graph, inputs: list, outputs: list):
    """Generates and compiles the Python function that runs `graph` (no optimization)."""
    names: dict = {}
    glob: dict = {}
    kernels: dict = {}
    for i, t in enumerate(inputs):
        names[id(t)] = f"a{i}"
    ops = []
    for op in graph.operations:
        if op.opdef is PLACEHOLDER:
            if id(op.outputs[0]) not in names:
                raise ValueError(f"compile_graph: the placeholder {op.name!r} of graph "
                                 f"{graph.name!r} is not among the inputs.\nhint: pass every "
                                 f"placeholder the outputs depend on (captures included).")
            continue
        if op.opdef is CONST:
            name = f"c{len(glob)}"
            glob[name] = op.attrs["value"]
            names[id(op.outputs[0])] = name
            continue
        ops.append(op)

    # buffers that may be overwritten: results of elementwise ufuncs, dead after their last use
    last: dict = {}
    shared: set = set()  # tensors that a non-ufunc op reads (it may keep a reference)
    for i, op in enumerate(ops):
        ok = _eligible(op)
        for x in op.inputs:
            last[id(x)] = i
            if not ok:
                shared.add(id(x))
    for t in outputs:
        last[id(t)] = -1
    owned: set = set()

    lines = []
    line_ops: dict = {}
    bound: list = []  # tensors held in local names, not yet deleted
    for i, op in enumerate(ops):
        kernel = _kernel(op)
        kname = kernels.get(id(kernel))
        if kname is None:
            base = "_" + re.sub(r"\W", "_", op.type)
            kname = base if base not in glob else f"{base}_{len(glob)}"
            glob[kname] = kernel
            kernels[id(kernel)] = kname
        args = [names[id(x)] for x in op.inputs]
        attrs = {}
        for k, v in op.attrs.items():
            if not k.isidentifier() or keyword.iskeyword(k):
                raise ValueError(f"compile_graph: attribute {k!r} of op {op.name!r} is not a "
                                 f"Python identifier.")
            if type(v) in _LITERALS and (type(v) is not float or np.isfinite(v)):
                attrs[k] = repr(v)
            else:
                attrs[k] = f"_a{len(glob)}"
                glob[attrs[k]] = v
        inline = getattr(op.opdef, "inline", None)
        symbol = _scalar_operator(op, kernel)
        args += [f"{k}={v}" for k, v in attrs.items()]
        if _eligible(op):
            out = op.outputs[0]
            if out.shape.rank:
                owned.add(id(out))
                for x in op.inputs:
                    if id(x) in owned and last.get(id(x)) == i and id(x) not in shared \
                            and x.dtype is out.dtype and _same_runtime_shape(x, out, op):
                        args.append(f"out={names[id(x)]}")
                        break
        if getattr(op.opdef, "writes_in_place", False):
            # an update writes into a variable's array only when no value refers to it
            # (rill._core.variable._sole_array): values dead by now must not
            dead = [t for t in bound if _read_before(last.get(id(t)), i)]
            if dead:
                gone = {id(t) for t in dead}
                bound = [t for t in bound if id(t) not in gone]
                lines.append("        del " + ", ".join(names[id(t)] for t in dead))
        if getattr(op.opdef, "fresh_output", False):
            owned.add(id(op.outputs[0]))
        outs = []
        for t in op.outputs:
            names[id(t)] = f"t{len(names)}"
            outs.append(names[id(t)])
        if inline is not None:
            call = inline.format(*args, **attrs)
        elif symbol is not None:
            call = f"{args[0]} {symbol} {args[1]}" if len(args) == 2 else f"{symbol}{args[0]}"
        else:
            call = f"{kname}({', '.join(args)})"
        if not any(id(t) in last for t in op.outputs):
            code = call  # results nobody reads are not kept alive
        elif op.opdef.num_outputs == 1:
            code = f"{outs[0]} = {call}"
            bound.append(op.outputs[0])
        else:
            code = f"{', '.join(outs)}, = {call}"
            bound.extend(op.outputs)
        line_ops[len(lines) + 3] = op
        lines.append("        " + code)

    fname = re.sub(r"\W", "_", graph.name).strip("_") or "graph"
    if not fname[0].isalpha():
        fname = "g_" + fname
    params = ", ".join(f"a{i}" for i in range(len(inputs)))
    missing = [t for t in outputs if id(t) not in names]
    if missing:
        raise ValueError(f"compile_graph: the outputs {[t.name for t in missing]} are not "
                         f"computed by graph {graph.name!r}.")
    result = ", ".join(names[id(t)] for t in outputs)
    src = "\n".join([f"def {fname}({params}):", "    try:", *lines,
                     f"        return ({result}{',' if len(outputs) == 1 else ''})",
                     "    except Exception as _e:",
                     f"        return _reraise(_e, {fname}, ({params}{',' if params else ''}))",
                     ""])
    filename = f"<rill-graph {graph.name} #{next(_counter)}>"
    glob["_reraise"] = _Reraiser(line_ops, graph.name, names)
    glob["__name__"] = "rill.function.generated"  # warnings here come from rill's code
    exec(compile(src, filename, "exec"), glob)  # noqa: S102 - the code is ours
    while _stale_sources:
        linecache.cache.pop(_stale_sources.pop(), None)
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    fn = glob[fname]
    # tracebacks show the generated lines while the function exists; then they go (at the
    # next compile, so that retracing in a long-running process does not grow linecache). Not
    # from the finalizer itself: it may run inside linecache.checkcache, between its listing
    # of the keys and its reading of them, which then raises KeyError.
    weakref.finalize(fn, _stale_sources.append, filename)
    if any(op.opdef.stateful for op in ops):
        # effects cannot run twice, so a graph with effects runs quietly from the start;
        # others run again quietly when a NumPy warning was made an error (see _Reraiser)
        fn = quiet(fn)
    fn.graph, fn.inputs, fn.outputs, fn.source = graph, list(inputs), list(outputs), src
    return fn


class _Reraiser:
    """Re-raises an exception from generated code, naming the op and the user's line."""

    def __init__(self, line_ops: dict, graph_name: str, names: dict):
        self.line_ops = line_ops
        self.graph_name = graph_name.removesuffix("/optimized")
        self.names = names

    def __call__(self, exc: Exception, fn=None, args: tuple = ()):
        if isinstance(exc, FP_WARNINGS) and fn is not None:
            return quiet(fn)(*args)  # a pure graph: running it again is safe
        tb = exc.__traceback__
        op = self.line_ops.get(tb.tb_lineno) if tb is not None else None
        if op is None or getattr(exc, "_rill_located", False):
            raise exc
        local = tb.tb_frame.f_locals
        got = []
        for x in op.inputs:
            v = local.get(self.names.get(id(x)), None)
            if v is None and x.op.opdef is CONST:
                v = x.op.attrs["value"]
            got.append(f"{tuple(np.shape(v))} {getattr(v, 'dtype', type(v).__name__)}"
                       if v is not None else "?")
        where = (f"\n  in operation {op.name!r} ({op.type}) of the graph of tf.function "
                 f"{self.graph_name!r}, inputs [{', '.join(got)}], created at "
                 f"{describe_source(op)}")
        if isinstance(exc, OpError):
            head, sep, hint = exc.message.partition("\nhint:")
            new = type(exc)(exc.node_def, exc.op or op.type, head + where + sep + hint)
        else:
            new = InvalidArgumentError(
                None, op.type, f"{op.opdef.public_name} (op {op.type}) failed while running "
                f"a compiled tf.function: {type(exc).__name__}: {exc}{where}\nhint: check the "
                f"shapes and values that reach this line (tf.print them, or call "
                f"tf.config.run_functions_eagerly(True) to debug eagerly).")
        new._rill_located = True
        new.source = op.source
        raise new from exc
