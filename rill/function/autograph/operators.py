"""What converted code calls (`ag__.*`): each operator decides at run time between graph
control flow (the condition or iterable is a symbolic tensor of a graph being traced) and
plain Python (anything else, eager tensors included, which have a value).
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core import nest
from rill._core.convert import convert_to_tensor
from rill._core.graph import Graph, GraphTensor, tracing
from rill._core.tensor import EagerTensor, Tensor
from rill.ops import _subgraph
from rill.ops import control_flow_ops as _cf

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


# -- undefined values ---------------------------------------------------------------------------
class Undefined:
    """The value of a variable that no executed statement has assigned yet.

    Any use raises UnboundLocalError, as reading the unassigned local would."""

    __slots__ = ("symbol",)

    def __init__(self, symbol: str):
        object.__setattr__(self, "symbol", symbol)

    def _fail(self, *args, **kwargs):
        raise UnboundLocalError(
            f"cannot access local variable '{self.symbol}' where it is not associated with a "
            f"value (autograph: it is assigned only on some paths before this use).\nhint: "
            f"give '{self.symbol}' a value before the `if`/loop that assigns it.")

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        self._fail()

    def __repr__(self) -> str:
        return f"<undefined {self.symbol}>"


for _dunder in ("bool", "call", "iter", "len", "getitem", "setitem", "add", "radd", "sub",
                "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv", "rfloordiv", "mod",
                "rmod", "pow", "rpow", "matmul", "rmatmul", "neg", "pos", "abs", "invert", "lt",
                "le", "gt", "ge", "and", "rand", "or", "ror", "xor", "rxor", "int", "float",
                "index", "array", "format"):
    setattr(Undefined, f"__{_dunder}__", Undefined._fail)


class UndefinedReturnValue(Undefined):
    """The return value before a `return` has run (a placeholder in graph branches)."""

    __slots__ = ()

    def __init__(self):
        super().__init__("retval_")


def retval(value):
    return None if isinstance(value, UndefinedReturnValue) else value


def get_vars(scope: dict, names: tuple) -> tuple:
    """The current values of `names` in a `locals()` dict (Undefined where unassigned)."""
    return tuple(scope[n] if n in scope else Undefined(n) for n in names)


# -- deciding ------------------------------------------------------------------------------
def is_graph_tensor(x) -> bool:
    """A symbolic tensor of a graph being traced (the only kind that makes graph control
    flow); a variable counts while tracing."""
    if type(x) is GraphTensor:
        return True
    return bool(_state.graphs) and getattr(x, "_is_variable", False)


def _as_pred(x, what: str):
    t = x.value() if getattr(x, "_is_variable", False) else x
    if not t.dtype.is_bool:
        raise TypeError(
            f"autograph: the condition of {what} is a {t.dtype.name} tensor; a tensor "
            f"condition must be a bool scalar.\nhint: compare it, e.g. `if x != 0:` or "
            f"`if tf.reduce_any(x):`.")
    if t.shape.rank not in (None, 0):
        raise ValueError(
            f"autograph: the condition of {what} has shape {t.shape}; a tensor condition must "
            f"be a scalar.\nhint: reduce it, e.g. tf.reduce_all(x > 0).")
    return t


# -- boolean operators ------------------------------------------------------------------------
def and_(*operands):
    """`a and b and ...` with lazily evaluated operands (functions)."""
    value = operands[0]()
    for i, f in enumerate(operands[1:], 1):
        if is_graph_tensor(value):
            rest = operands[i:]
            return _cf.cond(_as_pred(value, "`and`"), lambda: _bool(and_(*rest)),
                            lambda: value)
        if not value:
            return value
        value = f()
    return value


def or_(*operands):
    """`a or b or ...` with lazily evaluated operands (functions)."""
    value = operands[0]()
    for i, f in enumerate(operands[1:], 1):
        if is_graph_tensor(value):
            rest = operands[i:]
            return _cf.cond(_as_pred(value, "`or`"), lambda: value,
                            lambda: _bool(or_(*rest)))
        if value:
            return value
        value = f()
    return value


def _bool(x):
    t = convert_to_tensor(x)
    if not t.dtype.is_bool:
        raise TypeError(f"autograph: `and`/`or` on a bool tensor needs bool operands, got "
                        f"{t.dtype.name}.\nhint: compare the operand, e.g. `x > 0`.")
    return t


def not_(x):
    """`not x`: tf.logical_not for tensors."""
    if isinstance(x, Tensor) or getattr(x, "_is_variable", False):
        from rill.ops import math_ops
        return math_ops.logical_not(_as_pred(x, "`not`"))
    return not x


def if_exp(test, true_fn, false_fn):
    """`a if test else b`."""
    if is_graph_tensor(test):
        return _cf.cond(_as_pred(test, "a conditional expression"), true_fn, false_fn)
    return true_fn() if test else false_fn()


def assert_stmt(test, message):
    """`assert test, message`: a runtime check for tensors, Python's assert otherwise."""
    if is_graph_tensor(test):
        from rill import debugging
        text = message() if message is not None else "Assertion failed"
        return debugging.Assert(_as_pred(test, "an assert statement"), [text])
    if not test:
        raise AssertionError(message()) if message is not None else AssertionError()
    return None


# -- if ---------------------------------------------------------------------------------------
def if_stmt(test, body, orelse, values: tuple, names: tuple) -> tuple:
    """An `if` statement: `body(*values)` or `orelse(*values)` return the new values."""
    if is_graph_tensor(test):
        return _tf_if(_as_pred(test, "an if statement"), body, orelse, values, names)
    return body(*values) if test else orelse(*values)


def _tf_if(pred, body, orelse, values: tuple, names: tuple) -> tuple:
    subs, results = [], []
    for fn, label in ((body, "if_true"), (orelse, "if_false")):
        sub, result = _subgraph.trace(lambda fn=fn: fn(*values), [], label,
                                      convert_outputs=False)
        subs.append(sub)
        results.append(result)
    final = list(results[0])
    slots, outs_a, outs_b = [], [], []
    for i, (name, x, y) in enumerate(zip(names, *results)):
        ux, uy = isinstance(x, Undefined), isinstance(y, Undefined)
        if ux and uy:
            continue
        if ux or uy:
            if not isinstance(x if ux else y, UndefinedReturnValue):
                raise ValueError(
                    f"'{name}' must also be initialized in the "
                    f"{'if' if ux else 'else'} branch: it is assigned in the other branch of "
                    f"an `if` whose condition is a tensor, and used afterwards.\nhint: assign "
                    f"'{name}' in both branches, or before the `if`.")
            # a return in one branch only: the other's value is never returned
            like = _zeros_like(y if ux else x)
            x, y = (like, y) if ux else (x, like)
        elif x is y:
            continue  # the same value on both paths (unchanged) stays as it is
        slots.append(i)
        outs_a.append(_checked(x, name))
        outs_b.append(_checked(y, name))
    subs[0].set_outputs(outs_a)
    subs[1].set_outputs(outs_b)
    outs = _cf.assemble_branches(_cf.IF, pred, subs, [outs_a, outs_b],
                                 ["if branch", "else branch"], "cond", "if statement",
                                 names=[names[i] for i in slots])
    for i, o in zip(slots, outs):
        final[i] = o
    return tuple(final)


def _is_tensorlike(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray, np.generic, int, float, bool, complex)) or \
        getattr(x, "_is_variable", False) or hasattr(x, "_rill_components")


def _checked(x, name: str, what: str = "a value that depends on a tensor condition"):
    if isinstance(x, (list, tuple, dict)) or x is None:
        return x
    if not _is_tensorlike(x):
        raise TypeError(
            f"autograph: '{name}' holds a {type(x).__name__} ({x!r}), which cannot become a "
            f"tensor, but it is {what}.\nhint: compute '{name}' from tensors, or decide it "
            f"with a Python condition (a Python value, or a loop over range()).")
    return x


def _zeros_like(value):
    """Zeros with the structure, dtypes and (known) shapes of `value`: the starting value of
    a variable that is assigned before it is read (unknown dimensions become 0)."""
    def zeros(x):
        t = convert_to_tensor(x)
        shape = [0 if d is None else d for d in t.shape] if t.shape.rank is not None else []
        return EagerTensor(np.zeros(shape, dtype=t.dtype._np))
    return nest.map_structure(lambda x: None if x is None else zeros(x), value)


# -- while --------------------------------------------------------------------------------------
def while_stmt(test, body, values: tuple, names: tuple, options=None) -> tuple:
    """A `while` statement: `test(*values)` and `body(*values)` -> new values."""
    go = test(*values)
    while not is_graph_tensor(go):
        if not go:
            return values
        values = body(*values)
        go = test(*values)
    # the condition is (or became, e.g. through a `break` under a tensor condition) a
    # tensor: the remaining iterations run in the graph
    return _tf_loop(test, body, values, names, options, "while")


def _tf_loop(test, body, values: tuple, names: tuple, options, kind: str,
             maximum_iterations=None) -> tuple:
    """A loop in the graph: tf.while_loop over the variables that are defined (undefined
    ones start as zeros shaped by a first trace of the body, or pass through)."""
    values = _initial_values(body, values, names, kind)
    keep = [i for i, v in enumerate(values) if not isinstance(v, Undefined)]
    for i in keep:
        _checked(values[i], names[i], "a loop variable of a tensor loop")
    options = options or {}

    def full(vs):
        out = list(values)
        for i, v in zip(keep, vs):
            out[i] = v
        return out

    def loop_test(*vs):
        go = test(*full(vs))
        return _as_pred(go if isinstance(go, Tensor) else convert_to_tensor(go),
                        f"a {kind} loop")

    def loop_body(*vs):
        out = body(*full(vs))
        return tuple(out[i] for i in keep)

    kept_names = [names[i] for i in keep]
    try:
        result = _cf.build_while(
            loop_test, loop_body, tuple(values[i] for i in keep),
            _invariants([values[i] for i in keep], options.get("shape_invariants")),
            _bound(options.get("maximum_iterations"), maximum_iterations), kind,
            api=f"autograph {kind} loop", names=kept_names)
    except ValueError as exc:
        if "shape_invariants" not in str(exc):
            raise
        raise ValueError(
            f"{exc}\nIn a converted loop, declare it with tf.autograph.experimental."
            f"set_loop_options(shape_invariants=[(var, tf.TensorShape([...]))]) as the first "
            f"statement of the loop body.") from None
    return tuple(full(result))


def _bound(a, b):
    """The smaller of two optional iteration limits."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    from rill.ops import math_ops
    return math_ops.minimum(convert_to_tensor(a, dtype="int32"),
                            convert_to_tensor(b, dtype="int32"))


def _invariants(values: list, declared):
    if not declared:
        return None
    by_id = {id(v): s for v, s in declared}
    return tuple(by_id.get(id(v)) for v in values)


def _initial_values(body, values: tuple, names: tuple, kind: str) -> tuple:
    """Loop variables undefined before a tensor loop: their dtype and shape come from tracing
    the body once; they start as zeros (the body must assign them before reading them)."""
    missing = [i for i, v in enumerate(values) if isinstance(v, Undefined)]
    if not missing:
        return values
    probe = Graph("probe", outer=_state.graphs[-1] if _state.graphs else None)
    args = []
    for v in values:
        if not isinstance(v, Undefined):
            t = convert_to_tensor(v)
            v = _subgraph.placeholder(probe, t.shape, t.dtype)
        args.append(v)
    with tracing(probe):
        result = body(*args)
    values = list(values)
    for i in missing:
        if not isinstance(result[i], Undefined):
            values[i] = _zeros_like(result[i])
        elif not isinstance(values[i], UndefinedReturnValue):
            raise ValueError(
                f"'{names[i]}' must be defined before the loop: it is assigned in a {kind} "
                f"loop whose condition is a tensor, but not on every path of its body.\n"
                f"hint: give '{names[i]}' a value before the loop.")
    return tuple(values)


# -- for ----------------------------------------------------------------------------------------
def for_stmt(iterable, extra_test, body, values: tuple, names: tuple, options=None) -> tuple:
    """A `for` statement: `body(item, *values)` -> new values; `extra_test(*values)` (break
    and return flags) stops the loop early."""
    hook = getattr(iterable, "_autograph_for_stmt", None)
    if hook is not None:  # e.g. tf.data.Dataset
        return hook(extra_test, body, values, names, options)
    if getattr(iterable, "_is_variable", False) and _state.graphs:
        iterable = iterable.value()
    if hasattr(iterable, "_rill_components"):  # TensorArray: its elements
        iterable = iterable.stack()
    if type(iterable) is GraphTensor:
        return _tf_for(iterable, extra_test, body, values, names, options)
    for item in iterable:
        if extra_test is not None:
            go = extra_test(*values)
            if is_graph_tensor(go):
                raise NotImplementedError(
                    "autograph: a `break` or `return` under a tensor condition cannot stop a "
                    "loop over a Python iterable (it is unrolled while tracing).\nhint: "
                    "iterate over a tensor, e.g. `for i in tf.range(n)`.")
            if not go:
                break
        values = body(item, *values)
    return values


def _tf_for(x: GraphTensor, extra_test, body, values, names, options) -> tuple:
    from rill.ops import array_ops, gather_scatter_ops, math_ops
    if x.shape.rank == 0:
        raise TypeError("autograph: cannot iterate over a scalar tensor.\nhint: iterate over "
                        "tf.range(n) for a count.")
    if x.op.type == "Range":  # no need to index the materialized range
        start, _, delta = x.op.inputs
        item = lambda i: start + math_ops.cast(i, start.dtype) * delta
    else:
        item = lambda i: gather_scatter_ops.gather(x, i)
    n = x.shape[0] if x.shape.rank is not None else None
    if n is None:
        n = array_ops.shape(x)[0]
    test = (lambda i, *vs: True) if extra_test is None else (lambda i, *vs: extra_test(*vs))

    def step(i, *vs):
        return (i + 1, *body(item(i), *vs))

    out = _tf_loop(test, step, (np.int32(0), *values), ("<index>", *names), options, "for",
                   maximum_iterations=n)
    return out[1:]
