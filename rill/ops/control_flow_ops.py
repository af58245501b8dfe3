"""Control flow: `tf.cond`, `tf.case`, `tf.switch_case`, `tf.while_loop`.

Eagerly these are Python: the chosen branch runs, the loop is a Python loop, and tapes record
the ops that actually ran. While a `tf.function` traces, every branch (or the loop's cond and
body) is traced into a sub-graph (`rill.ops._subgraph`), and one op (`If`, `Case`, `While`)
holds the sub-graphs as attributes; its kernel runs the chosen sub-graph.

Gradients: the gradient of `If`/`Case` is another `If`/`Case` over the vector-Jacobian
products of the branches (each recomputes its branch's forward under a tape), so it can be
differentiated again. The gradient of `While` is `WhileGrad`, whose kernel runs the body's
vector-Jacobian product backwards over the loop variables of every iteration, which the
forward op keeps (in its last output) when a tape watched it while tracing (`keep_history`)
or records it as it runs. Gradients never repeat effects: they recompute sub-graphs without
their prints and variable updates (`SubGraph.pure`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core import nest
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor, wrap
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops._subgraph import (
    flatten,
    hoist_variable_reads,
    is_differentiable,
    pack,
    placeholder,
    trace,
    zeros_like,
)

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


# -- nested values ---------------------------------------------------------------------------
def _to_tensors(structure):
    """Converts the leaves (Python numbers, arrays, variables) to tensors."""
    return nest.map_structure(
        lambda x: x if x is None or hasattr(x, "_rill_components") else convert_to_tensor(x),
        structure)


def _structure_error(a, b, check_types: bool) -> str | None:
    """Why two nested structures differ (None when they match)."""
    seq = (list, tuple)
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
            return f"{_kind(a)} and {_kind(b)} differ"
        if set(a) != set(b):
            return f"dict keys {sorted(map(str, a))} and {sorted(map(str, b))} differ"
        return next((e for k in a if (e := _structure_error(a[k], b[k], check_types))), None)
    if isinstance(a, seq) or isinstance(b, seq):
        if not (isinstance(a, seq) and isinstance(b, seq)):
            return f"{_kind(a)} and {_kind(b)} differ"
        if check_types and type(a) is not type(b):
            return f"{type(a).__name__} and {type(b).__name__} differ"
        if len(a) != len(b):
            return f"sequences of {len(a)} and {len(b)} elements differ"
        return next((e for x, y in zip(a, b) if (e := _structure_error(x, y, check_types))),
                    None)
    if (a is None) != (b is None):
        return f"{_kind(a)} and {_kind(b)} differ"
    if hasattr(a, "_rill_components") != hasattr(b, "_rill_components"):
        return f"{_kind(a)} and {_kind(b)} differ"
    return None


def _kind(x) -> str:
    if x is None:
        return "None"
    if isinstance(x, (list, tuple, Mapping)):
        return f"a {type(x).__name__} of {len(x)} elements"
    if hasattr(x, "dtype") and hasattr(x, "shape"):
        return f"a tensor of shape {x.shape} and dtype {x.dtype.name}"
    return f"a {type(x).__name__}"


class _Spec:
    def __init__(self, t):
        self.text = f"Tensor(shape={t.shape}, dtype={t.dtype.name})"

    def __repr__(self) -> str:
        return self.text


def _show(structure) -> str:
    return repr(nest.map_structure(
        lambda x: _Spec(x) if hasattr(x, "dtype") and hasattr(x, "shape") else x, structure))


# -- If and Case ---------------------------------------------------------------------------
def _if_kernel(pred, *args, branches, specs):
    return branches[0 if pred else 1](*args)


def _case_kernel(index, *args, branches, specs):
    i = int(index)
    if not 0 <= i < len(branches):
        i = len(branches) - 1  # out of range: the default branch (last), as in TensorFlow
    return branches[i](*args)


def _branches_rule(selector, *args, branches, specs):
    return list(specs)


def _branches_grad(op, *dys):
    selector, args = op.inputs[0], op.inputs[1:]
    needs = getattr(op, "needs_grad", None)
    diff_in = tuple(is_differentiable(a) and (needs is None or needs(i + 1))
                    for i, a in enumerate(args))
    if not any(diff_in):
        return (None,) * len(op.inputs)
    dys = [d._to_dense() if hasattr(d, "_to_dense") else d for d in dys]  # IndexedSlices
    diff_out = tuple(d is not None for d in dys)
    branches = tuple(b.vjp(diff_in, diff_out) for b in op.attrs["branches"])
    specs = tuple((a.shape, a.dtype) for a, d in zip(args, diff_in) if d)
    grads = execute(variant(op.opdef, branches),
                    (selector, *args, *[d for d in dys if d is not None]),
                    {"branches": branches, "specs": specs})
    it = iter(grads)
    return (None,) + tuple(next(it) if d else None for d in diff_in)


# As in TensorFlow, an op whose sub-graphs hold no stateful op (variable update, random
# draw, print, ...) is the Stateless variant, which graph optimizations may prune or fold.
IF = defop("If", _if_kernel, _branches_rule, _branches_grad, num_outputs=None, stateful=True,
           public_name="tf.cond")
STATELESS_IF = defop("StatelessIf", _if_kernel, _branches_rule, _branches_grad,
                     num_outputs=None, public_name="tf.cond")
CASE = defop("Case", _case_kernel, _branches_rule, _branches_grad, num_outputs=None,
             stateful=True, public_name="tf.switch_case")
STATELESS_CASE = defop("StatelessCase", _case_kernel, _branches_rule, _branches_grad,
                       num_outputs=None, public_name="tf.switch_case")
_VARIANTS = {IF: (IF, STATELESS_IF), STATELESS_IF: (IF, STATELESS_IF),
             CASE: (CASE, STATELESS_CASE), STATELESS_CASE: (CASE, STATELESS_CASE)}


def variant(opdef, subgraphs: list):
    """The stateful or stateless variant of a control-flow op for these sub-graphs."""
    stateful, stateless = _VARIANTS[opdef]
    return stateful if any(s.is_stateful() for s in subgraphs) else stateless


def align_captures(subgraphs: list, n_explicit: int) -> list:
    """Gives every sub-graph the same inputs: its `n_explicit` arguments, then the union of
    all their captured outer tensors (a placeholder nobody reads where one does not use it).
    Returns that union. Variables read but not written by the sub-graphs are read once
    outside (see `hoist_variable_reads`)."""
    hoist_variable_reads(subgraphs)
    union, seen = [], set()
    for s in subgraphs:
        for c in s.captures:
            if id(c) not in seen:
                seen.add(id(c))
                union.append(c)
    for s in subgraphs:
        mine = {id(c): p for c, p in zip(s.captures, s.inputs[n_explicit:])}
        s.inputs = s.inputs[:n_explicit] + [
            mine[id(c)] if id(c) in mine else placeholder(s.graph, c.shape, c.dtype)
            for c in union]
        s.captures = union
    return union


def build_branches(opdef, selector, fns: list, labels: list, name: str, api: str):
    """Traces each branch function and adds one `If`/`Case` op choosing between them."""
    traced = [trace(fn, [], f"{name}_{label}") for fn, label in zip(fns, labels)]
    return assemble_branches(opdef, selector, [t[0] for t in traced],
                             [t[1] for t in traced], labels, name, api)


def assemble_branches(opdef, selector, subs: list, results: list, labels: list, name: str,
                      api: str, names: list | None = None):
    """Checks that traced branches agree and adds the op; returns its outputs in the
    structure of the first branch's result. `names` name the elements of the results (the
    variables of a converted `if`) in errors."""
    first = results[0]
    for sub, result, label in zip(subs[1:], results[1:], labels[1:]):
        why = _structure_error(first, result, check_types=True)
        if why is None:
            for x, y in zip(subs[0].outputs, sub.outputs):
                if x.dtype is not y.dtype:
                    why = f"dtypes {x.dtype.name} and {y.dtype.name} differ"
                    break
        if why is not None and names is not None:
            raise _branch_vars_error(first, result, labels[0], label, names, api)
        if why is not None:
            raise TypeError(
                f"{labels[0]} and {label} arguments to {api} must have the same number, type, "
                f"and overall structure of return values.\n\n{labels[0]} output: "
                f"{_show(first)}\n{label} output: {_show(result)}\n\nError details:\n{why}\n"
                f"hint: return the same structure of tensors of the same dtypes from every "
                f"branch (tf.cast where dtypes differ).")
    specs = []
    for outs in zip(*(s.outputs for s in subs)):
        shape = outs[0].shape
        for o in outs[1:]:
            shape = shape.most_specific_compatible_shape(o.shape)
        specs.append((shape, outs[0].dtype))
    captures = align_captures(subs, 0)
    outs = _state.graphs[-1].create_op(variant(opdef, subs), (selector, *captures),
                                 {"branches": tuple(subs), "specs": tuple(specs)}, name=name)
    return pack(first, outs)


def _branch_vars_error(a, b, label_a: str, label_b: str, names: list, api: str):
    for name, x, y in zip(names, a, b):
        why = _structure_error(x, y, check_types=True)
        if why is None:
            for p, q in zip(flatten(_to_tensors(x)), flatten(_to_tensors(y))):
                if p.dtype is not q.dtype:
                    why = f"dtypes {p.dtype.name} and {q.dtype.name} differ"
                    break
        if why is not None:
            return TypeError(
                f"'{name}' must have the same type and structure in both branches of the "
                f"{api} whose condition is a tensor: {label_a}: {_show(x)}, {label_b}: "
                f"{_show(y)} ({why}).\nhint: give '{name}' values of one dtype on both "
                f"paths, e.g. start from 0.0 instead of 0 for a float, or tf.cast.")
    return TypeError(f"the branches of the {api} differ in type or structure.")


def _eager_truth(pred, api: str) -> bool:
    try:
        return bool(pred)
    except ValueError as exc:
        raise ValueError(f"{api}: pred must be a scalar (one boolean), got {pred!r}: {exc}\n"
                         f"hint: reduce it first, e.g. tf.reduce_all(pred).") from None


def _check_callable(fn, what: str, api: str) -> None:
    if not callable(fn):
        raise TypeError(f"{api}: {what} must be callable, got {fn!r}.\n"
                        f"hint: pass a function, e.g. lambda: x + 1.")


def cond(pred, true_fn=None, false_fn=None, name=None):
    """Returns `true_fn()` if `pred` is true, else `false_fn()` (`tf.cond`).

    Eagerly only the chosen branch runs. In a traced function both branches are traced and
    must return the same structure of tensors of the same dtypes; the result's shapes are
    the most specific shapes compatible with both.

    >>> x = tf.constant(3.0)
    >>> float(tf.cond(x > 0, lambda: x * 2, lambda: -x))
    6.0
    """
    _check_callable(true_fn, "true_fn", "tf.cond")
    _check_callable(false_fn, "false_fn", "tf.cond")
    if not (_active and _state.graphs):
        return true_fn() if _eager_truth(pred, "tf.cond") else false_fn()
    if isinstance(pred, (bool, np.bool_)):
        raise TypeError("tf.cond: pred must not be a Python bool inside a tf.function.\n"
                        "hint: use a Python `if` for Python values, or pass a bool tensor.")
    pred = convert_to_tensor(pred)
    _check_scalar(pred, _dtypes.bool, "tf.cond", "pred")
    return build_branches(IF, pred, [true_fn, false_fn], ["true_fn", "false_fn"],
                          name or "cond", "tf.cond")


def _check_scalar(t, dtype, api: str, arg: str) -> None:
    if t.dtype is not dtype:
        raise TypeError(f"{api}: {arg} must be a {dtype.name} tensor, got "
                        f"{t.dtype.name}.\nhint: compare to get a bool, e.g. x > 0, or "
                        f"tf.cast({arg}, tf.{dtype.name}).")
    if t.shape.rank not in (None, 0):
        raise ValueError(f"{api}: {arg} must be a scalar, got shape {t.shape}.\n"
                         f"hint: reduce it first, e.g. tf.reduce_all({arg}).")


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """Runs `branch_fns[branch_index]()` (`tf.switch_case`).

    `branch_fns` is a list of functions, a list of (index, function) pairs or a dict whose
    keys form the range 0..n-1. An index out of range runs `default`, or the last branch.

    >>> float(tf.switch_case(tf.constant(1), [lambda: 10.0, lambda: 20.0]))
    20.0
    """
    fns = _branch_list(branch_fns)
    if default is not None:
        _check_callable(default, "default", "tf.switch_case")
        fns = fns + [default]
    if not (_active and _state.graphs):
        i = int(branch_index)
        return fns[i if 0 <= i < len(fns) else -1]()
    index = convert_to_tensor(branch_index)
    _check_scalar(index, _dtypes.int32, "tf.switch_case", "branch_index")
    labels = [f"branch{i}" for i in range(len(fns))]
    return build_branches(CASE, index, fns, labels, name or "switch_case", "tf.switch_case")


def _branch_list(branch_fns) -> list:
    if isinstance(branch_fns, Mapping):
        branch_fns = list(branch_fns.items())
    if not isinstance(branch_fns, (list, tuple)) or not branch_fns:
        raise ValueError("tf.switch_case: branch_fns must be a non-empty list or dict of "
                         "functions.\nhint: tf.switch_case(i, [lambda: a, lambda: b]).")
    if isinstance(branch_fns[0], (list, tuple)):
        keys = [k for k, _ in branch_fns]
        if sorted(keys) != list(range(len(keys))):
            raise ValueError(f"tf.switch_case: branch indices (keys) must form contiguous "
                             f"range of [0 to {len(keys)}) but found "
                             f"{{{','.join(map(str, sorted(keys)))}}}.\nhint: number the "
                             f"branches 0, 1, ... without gaps.")
        branch_fns = [fn for _, fn in sorted(branch_fns, key=lambda kv: kv[0])]
    for i, fn in enumerate(branch_fns):
        _check_callable(fn, f"branch_fns[{i}]", "tf.switch_case")
    return list(branch_fns)


def _case_index_kernel(*preds, exclusive, has_default):
    hits = [i for i, p in enumerate(preds) if p]
    if exclusive and len(hits) > 1:
        raise InvalidArgumentError(
            None, "Case", f"tf.case: exclusive=True: more than 1 conditions evaluated as True: "
            f"{[bool(p) for p in preds]}\nhint: make the predicates mutually exclusive, or "
            f"pass exclusive=False to take the first true one.")
    if hits:
        return np.int32(hits[0])
    if not has_default:
        raise InvalidArgumentError(
            None, "Case", f"tf.case: None of conditions evaluated as True: "
            f"{[bool(p) for p in preds]}\nhint: pass default= for when no predicate holds.")
    return np.int32(len(preds))


CASE_INDEX = defop("CaseBranchIndex", _case_index_kernel,
                   lambda *preds, **attrs: (TensorShape([]), _dtypes.int32), grad=None,
                   public_name="tf.case")


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """Runs the function of the first true predicate, else `default` (`tf.case`).

    `pred_fn_pairs` is a list of (bool scalar, function) pairs. With `exclusive=True`, more
    than one true predicate is an error. Without `default`, no true predicate is an error.

    >>> x = tf.constant(5)
    >>> int(tf.case([(x < 0, lambda: -1), (x > 3, lambda: 1)], default=lambda: 0))
    1
    """
    if isinstance(pred_fn_pairs, Mapping):
        pred_fn_pairs = list(pred_fn_pairs.items())
    if not isinstance(pred_fn_pairs, (list, tuple)) or not pred_fn_pairs:
        raise TypeError("tf.case: pred_fn_pairs must be a non-empty list of (predicate, "
                        "function) pairs.\nhint: tf.case([(x > 0, lambda: a)], default=...).")
    preds, fns = [], []
    for i, pair in enumerate(pred_fn_pairs):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"tf.case: pred_fn_pairs[{i}] must be a (predicate, function) "
                            f"pair, got {pair!r}.")
        _check_callable(pair[1], f"the function of pred_fn_pairs[{i}]", "tf.case")
        preds.append(pair[0])
        fns.append(pair[1])
    if default is not None:
        _check_callable(default, "default", "tf.case")
    if not (_active and _state.graphs):
        index = _case_index_kernel(*[_eager_truth(p, "tf.case") for p in preds],
                                   exclusive=exclusive, has_default=default is not None)
        return (fns + [default])[index]()
    preds = [convert_to_tensor(p) for p in preds]
    for p in preds:
        _check_scalar(p, _dtypes.bool, "tf.case", "each predicate")
    index = execute(CASE_INDEX, tuple(preds),
                    {"exclusive": bool(exclusive), "has_default": default is not None})
    branches = fns + [default] if default is not None else fns
    labels = [f"fn{i}" for i in range(len(fns))] + (["default"] if default else [])
    return build_branches(CASE, index, branches, labels, name or "case", "tf.case")


# -- While -----------------------------------------------------------------------------------
def _run_loop(cond, body, vs: tuple, caps: tuple, max_it, keep: bool):
    """The loop itself, on arrays. Returns (final loop variables, history or None)."""
    history = [] if keep else None
    i = 0
    while (max_it is None or i < max_it) and cond(*vs, *caps)[0]:
        if keep:
            history.append(vs)
        vs = body(*vs, *caps)
        i += 1
    return vs, history


def _split_while_args(args, n_vars: int, has_max: bool):
    max_it = None
    if has_max:
        max_it, args = int(args[-1]), args[:-1]
    return tuple(args[:n_vars]), tuple(args[n_vars:]), max_it


def _while_kernel(*args, cond, body, n_vars, has_max, keep_history, specs, back_prop):
    vs, caps, max_it = _split_while_args(args, n_vars, has_max)
    # the loop variables of every iteration, for the gradient: kept when a tape watched the
    # op while tracing, or when one is recording now (eager replays of a traced graph)
    vs, history = _run_loop(cond, body, vs, caps, max_it, keep_history or bool(_state.tapes))
    box = np.empty((), dtype=object)
    box[()] = history
    return (*vs, box)


def _while_rule(*args, specs, **attrs):
    return [*specs, (TensorShape([]), _dtypes.string)]  # last: the history (opaque)


def _while_grad(op, *dys):
    attrs = op.attrs
    if not attrs["back_prop"]:
        return (None,) * len(op.inputs)
    n_vars, has_max = attrs["n_vars"], attrs["has_max"]
    inputs = op.inputs
    loop_vars = inputs[:n_vars]
    caps = inputs[n_vars:len(inputs) - has_max]
    needs = getattr(op, "needs_grad", None)
    diff_vars = tuple(is_differentiable(v) for v in loop_vars)
    diff_caps = tuple(is_differentiable(c) and (needs is None or needs(n_vars + j))
                      for j, c in enumerate(caps))
    if not any(diff_vars):
        return (None,) * len(inputs)
    dys = [d if d is not None else zeros_like(o)
           for d, o, f in zip(dys[:n_vars], op.outputs, diff_vars) if f]
    grads = execute(WHILE_GRAD, (op.outputs[-1], *inputs, *dys), {
        "cond": attrs["cond"].pure(), "body": attrs["body"].pure(),
        "vjp": attrs["body"].vjp(diff_vars + diff_caps, diff_vars), "n_vars": n_vars,
        "n_caps": len(caps), "has_max": has_max, "diff_caps": diff_caps,
        "specs": tuple((x.shape, x.dtype) for x, f in zip(loop_vars + caps,
                                                         diff_vars + diff_caps) if f)})
    it = iter(grads)
    return tuple(next(it) if f else None for f in diff_vars + diff_caps) + (None,) * has_max


WHILE = defop("While", _while_kernel, _while_rule, _while_grad, num_outputs=None, stateful=True,
              public_name="tf.while_loop")
STATELESS_WHILE = defop("StatelessWhile", _while_kernel, _while_rule, _while_grad,
                        num_outputs=None, public_name="tf.while_loop")


def _while_grad_kernel(history, *args, cond, body, vjp, n_vars, n_caps, has_max, diff_caps,
                       specs):
    vs = args[:n_vars]
    caps = args[n_vars:n_vars + n_caps]
    dys = args[n_vars + n_caps + has_max:]
    history = history[()]
    if history is None:  # not kept: run the loop again (without its effects)
        max_it = int(args[n_vars + n_caps]) if has_max else None
        _, history = _run_loop(cond, body, vs, caps, max_it, True)
    n_dv = len(dys)
    dcaps = [np.zeros_like(c) for c, f in zip(caps, diff_caps) if f]
    for step in reversed(history):
        res = vjp(*step, *caps, *dys)
        dys = res[:n_dv]
        dcaps = [a + b for a, b in zip(dcaps, res[n_dv:])]
    return (*dys, *dcaps)


def _while_grad_grad(op, *ddys):
    """Second order: eagerly (the iterations are known) the loop and its backward pass are
    run again, unrolled, under a tape, and differentiated."""
    history = op.inputs[0]
    if not isinstance(history, EagerTensor):
        raise LookupError(
            "Second-order gradients through a tf.while_loop are supported eagerly (tapes "
            "outside the tf.function), not with the tapes inside a traced function.\nhint: "
            "move the outer GradientTape out of the tf.function, or unroll the loop with a "
            "Python range.")
    from rill._core.tape import GradientTape, UnconnectedGradients
    attrs = op.attrs
    n_vars, n_caps, has_max = attrs["n_vars"], attrs["n_caps"], attrs["has_max"]
    # fresh tensors per input position: one tensor may feed several (a loop variable's
    # start that the body also reads), and each position gets its own gradient
    args = [wrap(x._value) for x in op.inputs[1:]]
    vs, caps = args[:n_vars], args[n_vars:n_vars + n_caps]
    dys = args[n_vars + n_caps + has_max:]
    steps = history._value[()]
    if steps is None:
        max_it = int(args[n_vars + n_caps]._value) if has_max else None
        _, steps = _run_loop(attrs["cond"], attrs["body"], tuple(x._value for x in vs),
                             tuple(x._value for x in caps), max_it, True)
    diff_caps = attrs["diff_caps"]
    sources = [x for x in vs if is_differentiable(x)] + \
        [c for c, f in zip(caps, diff_caps) if f] + list(dys)
    with GradientTape() as tape:
        tape.watch(sources)
        trajectory = []
        for _ in steps:
            trajectory.append(vs)
            vs = attrs["body"].replay(vs + caps)
        d, n_dv = list(dys), len(dys)
        dcaps = [zeros_like(c) for c, f in zip(caps, diff_caps) if f]
        for step in reversed(trajectory):
            res = attrs["vjp"].replay(step + caps + d)
            d, dcaps = res[:n_dv], [a + b for a, b in zip(dcaps, res[n_dv:])]
        outs = d + dcaps
    ddys = [g if g is not None else zeros_like(o) for g, o in zip(ddys, outs)]
    grads = iter(tape.gradient(outs, sources, output_gradients=ddys,
                               unconnected_gradients=UnconnectedGradients.ZERO))
    return (None,
            *[next(grads) if is_differentiable(x) else None for x in args[:n_vars]],
            *[next(grads) if f else None for f in diff_caps],
            *[None] * has_max,
            *[next(grads) for _ in dys])


WHILE_GRAD = defop("WhileGrad", _while_grad_kernel, lambda *args, specs, **attrs: list(specs),
                   _while_grad_grad, num_outputs=None, stateful=True,
                   public_name="tf.while_loop (gradient)")


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` (`tf.while_loop`).

    `loop_vars` is a (nested) tuple or list of tensors, values and TensorArrays. In a traced
    function a loop variable whose shape changes across iterations must be declared with
    `shape_invariants` (a TensorShape with None for the changing dimensions).

    >>> i, total = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    >>> int(total)
    10
    """
    _check_callable(cond, "cond", "tf.while_loop")
    _check_callable(body, "body", "tf.while_loop")
    if loop_vars is None or (isinstance(loop_vars, (list, tuple)) and not loop_vars):
        raise ValueError("tf.while_loop: 'loop_vars' must be provided.\nhint: pass the initial "
                         "values, e.g. tf.while_loop(cond, body, [i0, x0]).")
    return build_while(cond, body, loop_vars, shape_invariants, maximum_iterations,
                       name or "while", back_prop, "tf.while_loop")


def _call(fn, loop_vars, positional: bool):
    return fn(*loop_vars) if positional else fn(loop_vars)


def _body_result(result, loop_vars, positional: bool):
    # one loop variable: a body may return the value itself instead of a 1-element sequence
    if positional and len(loop_vars) == 1 and not isinstance(result, (list, tuple)):
        result = type(loop_vars)([result]) if type(loop_vars) in (list, tuple) else (result,)
    return result


def _check_body_structure(loop_vars, result, api: str) -> None:
    why = _structure_error(loop_vars, result, check_types=False)
    if why is not None:
        raise ValueError(f"{api}: body must return the structure of loop_vars.\n"
                         f"loop_vars: {_show(loop_vars)}\nbody returned: {_show(result)}\n"
                         f"Error details: {why}\nhint: return one value per loop variable, "
                         f"in the same nesting.")


def build_while(cond, body, loop_vars, shape_invariants, maximum_iterations, name: str,
                back_prop: bool = True, api: str = "tf.while_loop", names=None):
    """tf.while_loop's work (also used by autograph, which allows no loop variables and
    passes the `names` of the variables for its errors)."""
    positional = isinstance(loop_vars, (list, tuple))
    loop_vars = _to_tensors(loop_vars)
    if not (_active and _state.graphs):
        return _eager_while(cond, body, loop_vars, maximum_iterations, positional, api)
    flat = flatten(loop_vars)
    invariants = _invariants(loop_vars, shape_invariants, api)
    specs = [(s, v.dtype) for s, v in zip(invariants, flat)]

    def cond_fn(*phs):
        return _call(cond, pack(loop_vars, phs), positional)

    def body_fn(*phs):
        return _body_result(_call(body, pack(loop_vars, phs), positional), loop_vars, positional)

    cond_sub, result = trace(cond_fn, specs, f"{name}_cond")
    if len(cond_sub.outputs) != 1 or cond_sub.outputs[0].dtype is not _dtypes.bool \
            or cond_sub.outputs[0].shape.rank not in (None, 0):
        raise TypeError(f"{api}: cond must return one boolean scalar, got {_show(result)}.\n"
                        f"hint: return a comparison such as i < n (tf.reduce_all for "
                        f"tensors).")
    body_sub, result = trace(body_fn, specs, f"{name}_body")
    _check_body_structure(loop_vars, result, api)
    _check_body_specs(body_sub.outputs, specs, api, _labels(flat, loop_vars, names))
    captures = align_captures([cond_sub, body_sub], len(flat))
    inputs = (*flat, *captures)
    has_max = maximum_iterations is not None
    if has_max:
        inputs += (convert_to_tensor(maximum_iterations, dtype=_dtypes.int32),)
    keep = bool(back_prop) and any(id(x) in tape._ids for tape in _state.tapes for x in inputs)
    opdef = WHILE if cond_sub.is_stateful() or body_sub.is_stateful() else STATELESS_WHILE
    outs = _state.graphs[-1].create_op(opdef, inputs, {
        "cond": cond_sub, "body": body_sub, "n_vars": len(flat), "has_max": has_max,
        "keep_history": keep, "specs": tuple(specs), "back_prop": bool(back_prop)}, name=name)
    return pack(loop_vars, outs[:len(flat)])


def _eager_while(cond, body, loop_vars, maximum_iterations, positional: bool, api: str):
    max_it = None if maximum_iterations is None else int(maximum_iterations)
    kind = type(loop_vars)
    flat = kind in (list, tuple) and all(type(v) is EagerTensor for v in loop_vars)
    i = 0
    while (max_it is None or i < max_it) and _eager_truth(_call(cond, loop_vars, positional),
                                                          api):
        result = _call(body, loop_vars, positional)
        if not (flat and type(result) is kind and len(result) == len(loop_vars)
                and all(type(r) is EagerTensor for r in result)):  # else: the fast path
            result = _body_result(result, loop_vars, positional)
            _check_body_structure(loop_vars, result, api)
            result = _to_tensors(result)
        loop_vars = result
        i += 1
    return loop_vars


def _invariants(loop_vars, shape_invariants, api: str) -> list:
    """One static shape per flat loop tensor: declared, else the entry shape (composites such
    as TensorArray give their own, relaxed ones)."""
    leaves = nest.flatten(loop_vars)
    declared = [None] * len(leaves) if shape_invariants is None else \
        _flatten_up_to(loop_vars, shape_invariants, api)
    out = []
    for var, inv in zip(leaves, declared):
        if var is None:
            continue
        if hasattr(var, "_rill_components"):
            out.extend(var._rill_invariants())
            continue
        if inv is None:
            out.append(var.shape)
            continue
        inv = as_shape(inv)
        if not inv.is_compatible_with(var.shape):
            raise ValueError(f"{api}: loop variable #{len(out)} enters the loop with shape "
                             f"{var.shape}, which is not compatible with its shape invariant "
                             f"{inv}.\nhint: declare a shape invariant that the initial value "
                             f"satisfies (None for dimensions that vary).")
        out.append(inv)
    return out


def _flatten_up_to(structure, shallow, api: str) -> list:
    if isinstance(structure, (list, tuple, Mapping)):
        if isinstance(shallow, TensorShape) or not isinstance(shallow, (list, tuple, Mapping)):
            raise ValueError(f"{api}: shape_invariants must have the structure of loop_vars, "
                             f"got {shallow!r} for {_show(structure)}.")
        if len(shallow) != len(structure):
            raise ValueError(f"{api}: shape_invariants has {len(shallow)} elements where "
                             f"loop_vars has {len(structure)}.\nhint: give one TensorShape "
                             f"per loop variable.")
        if isinstance(structure, Mapping):
            return [x for k in sorted(structure) for x in
                    _flatten_up_to(structure[k], shallow[k], api)]
        return [x for s, v in zip(structure, shallow) for x in _flatten_up_to(s, v, api)]
    return [shallow]


def _labels(flat: list, loop_vars, names) -> list:
    if names is not None and len(names) == len(flat) == len(nest.flatten(loop_vars)):
        return [f"loop variable '{n}'" for n in names]
    return [f"loop variable #{i}" for i in range(len(flat))]


def _check_body_specs(outputs: list, specs: list, api: str, labels: list) -> None:
    for label, o, (shape, dtype) in zip(labels, outputs, specs):
        if o.dtype is not dtype:
            raise TypeError(f"{api}: {label} enters the loop with type "
                            f"{dtype.name} but has type {o.dtype.name} after 1 iteration; its "
                            f"type should remain constant.\nhint: tf.cast the body's result "
                            f"to tf.{dtype.name}, or start from a value of that dtype.")
        if not _at_least_as_specific(o.shape, shape):
            raise ValueError(f"{api}: {label} enters the loop with shape {shape}, "
                             f"but has shape {o.shape} after one iteration. To allow the shape "
                             f"to vary across iterations, use the `shape_invariants` argument "
                             f"of tf.while_loop to specify a less-specific shape.\nhint: e.g. "
                             f"shape_invariants=[..., tf.TensorShape({_relaxed(shape, o.shape)}"
                             f"), ...].")


def _at_least_as_specific(shape: TensorShape, invariant: TensorShape) -> bool:
    if invariant.rank is None:
        return True
    if shape.rank != invariant.rank:
        return False
    return all(d is None or d == s for s, d in zip(shape, invariant))


def _relaxed(a: TensorShape, b: TensorShape):
    r = a.most_specific_compatible_shape(b)
    return None if r.rank is None else r.as_list()



__tf_names__ = {"tf": "case cond switch_case while_loop"}
