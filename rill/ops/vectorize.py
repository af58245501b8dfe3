"""Vectorization (TensorFlow's pfor): a traced graph run once over a batch instead of once per
element. Used by `tf.vectorized_map` and by `GradientTape.jacobian`/`batch_jacobian`.

A function is traced once to a `SubGraph` with per-element placeholders; `run` then replays
its ops in the current context (eager, under tapes, or into a graph being traced), each value
either loop-invariant or batched (a leading axis of size n). An op whose inputs are all
invariant runs once as it is. An op with a batched input runs its batching rule: elementwise
ops line their operands up and broadcast, `MatMul` broadcasts over the batch axis, ops with
axis attributes shift them by one, `Reshape` prepends n, and so on. An op without a rule runs
once per element and the results are stacked (TensorFlow's while-loop fallback, here per op).

The Jacobian is the backward pass traced once with a symbolic output gradient, then run with
the whole identity basis as that gradient: one pass instead of one per output element.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rill._core import context as _context
from rill._core import tape as _tape
from rill._core.graph import CONST, PLACEHOLDER, constant_value, interpret
from rill._core.op import execute
from rill._core.tensor import wrap
from rill.ops import _subgraph
from rill.ops import _util as U
from rill.ops import array_ops as A
from rill.ops import manip_ops as MA

_state = _context.state
_RULES: dict[str, tuple] = {}  # op type -> (rule, outputs batched)
_ELEMENTWISE_RULES = (U.same_rule, U.bool_same_rule, U.broadcast_rule, U.bool_broadcast_rule)
_NOT_ELEMENTWISE = frozenset(("InvertPermutation", "ReverseV2", "Cumsum", "Cumprod"))


class NoBatchingRule(Exception):
    """An op with a batched input has no batching rule (or its rule does not apply)."""


# -- running a graph over a batch -----------------------------------------------------------------
def run(sub, args: list, batched: list, n: int, fallback: bool = True, warn: bool = False,
        api: str = "tf.vectorized_map") -> list:
    """Replays `sub` with its explicit inputs bound to `args` (batched ones with a leading axis
    of n). Returns (tensor, is_batched) per output of `sub`."""
    g = sub.graph
    # a captured eager tensor stands for itself, so tapes outside see where it came from
    originals = {id(t): v for v in g.captured_values
                 if (t := g._captures.get(id(v))) is not None and hasattr(v, "_value")}

    def run_op(op, ins: list) -> tuple:
        opdef = op.opdef
        if opdef is PLACEHOLDER:  # not fed: a tensor of an enclosing graph
            return ((op.attrs["outer"], False),)
        if opdef is CONST:
            v = originals.get(id(op.outputs[0]))
            return ((wrap(op.attrs["value"]) if v is None else v, False),)
        var = op.attrs.get("var")
        if getattr(var, "_is_variable", False):
            return ((var.value(), False),)
        xs = [v for v, _ in ins]
        bs = [b for _, b in ins]
        attrs = _subgraph._replay_attrs(op)
        if not any(bs) and not (opdef.stateful and opdef.name in _RULES):
            out = execute(opdef, tuple(xs), attrs)
            return tuple((v, False) for v in ((out,) if opdef.num_outputs == 1 else out))
        outs, flags = _batched(op, xs, bs, n, attrs, fallback, warn, api)
        return tuple((v, flags) for v in outs)
    return interpret(g, sub.inputs, list(zip(args, batched)), sub.outputs, run_op)


def _batched(op, xs, bs, n, attrs, fallback, warn, api):
    found = _rule_for(op.opdef)
    if found is not None:
        rule, out_batched = found
        try:
            out = rule(op, xs, bs, n)
        except NoBatchingRule:
            out = None
        if out is not None:
            return (out if isinstance(out, tuple) else (out,)), out_batched
    if not fallback:
        raise ValueError(f"{api}: no vectorization rule for {op.opdef.public_name} (op "
                         f"{op.type}) with these inputs, and fallback_to_while_loop is "
                         f"False.\nhint: pass fallback_to_while_loop=True to run that op once "
                         f"per element.")
    if warn:
        import logging  # only here: it costs milliseconds at import
        logging.getLogger("tensorflow").warning(
            "Using a while_loop for converting %s cause there is no registered converter for "
            "this op.", op.type)
    return _loop(op, xs, bs, n, attrs), True


def _loop(op, xs, bs, n, attrs) -> tuple:
    """The op once per element, results stacked: right for every op, fast for none."""
    cols = [MA.unstack(x, num=n) if b else None for x, b in zip(xs, bs)]
    rows = []
    for i in range(n):
        args = tuple(c[i] if c is not None else x for c, x in zip(cols, xs))
        out = execute(op.opdef, args, attrs)
        rows.append((out,) if op.opdef.num_outputs == 1 else tuple(out))
    return tuple(MA.stack(list(col)) for col in zip(*rows))


def _rule_for(opdef):
    found = _RULES.get(opdef.name)
    if found is None and opdef.rule in _ELEMENTWISE_RULES and \
            opdef.name not in _NOT_ELEMENTWISE:
        found = _RULES[opdef.name] = (_elementwise, True)
    return found


def rule(*names: str, batched: bool = True) -> Callable:
    """Declares the batching rule of ops: rule(op, inputs, batched flags, n) -> output(s),
    or None (or NoBatchingRule raised) to run the op per element."""
    def deco(fn):
        for name in names:
            _RULES[name] = (fn, batched)
        return fn
    return deco


# -- helpers ---------------------------------------------------------------------------------
def _rank(x, b: bool) -> int:
    """The rank of one element (batched) or of the tensor (invariant)."""
    r = x.shape.rank
    if r is None:
        raise NoBatchingRule
    return r - 1 if b else r


def _lift(x, extra: int):
    """A batched tensor with `extra` unit axes after the batch axis (rank alignment)."""
    for _ in range(extra):
        x = A.expand_dims(x, 1)
    return x


def batch(x, n: int):
    """An invariant tensor repeated n times along a new leading axis."""
    x = U.to_tensor(x)
    if x.shape.is_fully_defined():
        return A.broadcast_to(A.expand_dims(x, 0), [n] + x.shape.as_list())
    return A.broadcast_to(A.expand_dims(x, 0), MA.concat([[n], A.shape(x)], 0))


def _all_batched(xs, bs, n):
    return [x if b else batch(x, n) for x, b in zip(xs, bs)]


def _axis(a: int, r: int) -> int:
    """Axis `a` of an element of rank r, as an axis of the batched tensor."""
    if not -r <= a < max(r, 1):
        raise NoBatchingRule
    return a % r + 1 if r else 1


def _const(x):
    v = constant_value(x)
    if v is None:
        raise NoBatchingRule
    return np.asarray(v)


def _with_attrs(op, xs, **changes):
    return execute(op.opdef, tuple(xs), {**op.attrs, **changes})


# -- rules -------------------------------------------------------------------------------------
def _elementwise(op, xs, bs, n):
    """Elementwise ops: batched operands get unit axes up to the highest element rank, so
    NumPy broadcasting lines every operand up with one element."""
    ranks = [_rank(x, b) for x, b in zip(xs, bs)]
    top = max(ranks)
    return _with_attrs(op, [_lift(x, top - r) if b else x for x, r, b in zip(xs, ranks, bs)])


@rule("AddN", "ReluGrad", "Relu6Grad", "EluGrad", "SeluGrad", "LeakyReluGrad", "LeakyRelu",
      "Cast", "Equal", "NotEqual", "SelectV2", "ComplexAbs", "Complex", "Real", "Imag")
def _same_shape(op, xs, bs, n):
    if op.type in ("AddN", "ReluGrad", "Relu6Grad", "EluGrad", "SeluGrad", "LeakyReluGrad"):
        return _with_attrs(op, _all_batched(xs, bs, n))  # operands of one shape
    return _elementwise(op, xs, bs, n)


@rule("MatMul")
def _matmul(op, xs, bs, n):
    """np.matmul broadcasts leading axes, so the batch axis needs only rank alignment; but a
    batch of small products is slow, so a batched operand against an invariant matrix folds
    the batch into the rows (or columns) of one product."""
    a, b = xs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if bs[0] and not bs[1] and not ta and b.shape.rank == 2 and a.shape.is_fully_defined():
        dims = a.shape.as_list()
        out = _with_attrs(op, [A.reshape(a, [-1, dims[-1]]), b])
        return A.reshape(out, dims[:-1] + [out.shape[-1]])
    if bs[1] and not bs[0] and b.shape.rank == 3 and a.shape.rank == 2 and \
            b.shape.is_fully_defined():
        _, k, p = b.shape.as_list()
        if tb:
            k, p = p, k
        cols = A.reshape(MA.transpose(b, [2, 0, 1] if tb else [1, 0, 2]), [k, n * p])
        out = execute(op.opdef, (a, cols), {"transpose_a": ta, "transpose_b": False})
        return MA.transpose(A.reshape(out, [-1, n, p]), [1, 0, 2])
    ranks = [_rank(x, b) for x, b in zip(xs, bs)]
    top = max(ranks)
    return _with_attrs(op, [_lift(x, top - r) if b else x for x, r, b in zip(xs, ranks, bs)])


@rule("Einsum")
def _einsum(op, xs, bs, n):
    eq = op.attrs["equation"].replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    letter = next((c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in eq), None)
    if letter is None or not arrow:
        raise NoBatchingRule
    terms = lhs.split(",")
    terms = [letter + t if b else t for t, b in zip(terms, bs)]
    return _with_attrs(op, xs, equation=",".join(terms) + "->" + letter + rhs)


@rule("Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "_LogSumExp")
def _reduction(op, xs, bs, n):
    r = _rank(xs[0], True)
    axis = op.attrs["axis"]
    axes = tuple(range(r)) if axis is None else tuple(axis)
    return _with_attrs(op, xs, axis=tuple(_axis(a, r) for a in axes))


@rule("ArgMax", "ArgMin", "Softmax", "LogSoftmax", "Cumsum", "Cumprod")
def _axis_attr(op, xs, bs, n):
    r = _rank(xs[0], True)
    if not bs[0] or len(xs) > 1 and any(bs[1:]):
        raise NoBatchingRule
    return _with_attrs(op, xs, axis=_axis(op.attrs["axis"], r))


@rule("ReverseV2")
def _reverse(op, xs, bs, n):
    r = _rank(xs[0], True)
    axis = op.attrs["axis"]
    return _with_attrs(op, xs, axis=tuple(_axis(a, r) for a in (axis or ())))


@rule("BiasAdd")
def _bias_add(op, xs, bs, n):
    if bs[1] or str(op.attrs.get("data_format") or "NHWC").startswith("NC"):
        raise NoBatchingRule
    return execute(op.opdef, tuple(xs), op.attrs)


@rule("BiasAddGrad")
def _bias_add_grad(op, xs, bs, n):
    if str(op.attrs.get("data_format") or "NHWC").startswith("NC"):
        raise NoBatchingRule
    r = _rank(xs[0], True)
    from rill.ops.reduction_ops import reduce_sum
    return reduce_sum(xs[0], axis=list(range(1, r))) if r > 1 else xs[0]


@rule("Reshape")
def _reshape(op, xs, bs, n):
    if bs[1]:
        raise NoBatchingRule
    return A.reshape(xs[0], [n] + _const(xs[1]).reshape(-1).tolist())


@rule("ExpandDims")
def _expand_dims(op, xs, bs, n):
    r = _rank(xs[0], True)
    a = op.attrs["axis"]
    a = a + r + 1 if a < 0 else a
    return _with_attrs(op, xs, axis=a + 1)


@rule("Squeeze")
def _squeeze(op, xs, bs, n):
    x = xs[0]
    r = _rank(x, True)
    axis = op.attrs["axis"]
    if not axis:  # every unit axis of an element: known only from a static shape
        dims = x.shape.as_list()[1:]
        if None in dims:
            raise NoBatchingRule
        axis = [i for i, d in enumerate(dims) if d == 1]
    return _with_attrs(op, xs, axis=tuple(_axis(a, r) for a in axis))


@rule("Transpose", "ConjugateTranspose")
def _transpose(op, xs, bs, n):
    if bs[1]:
        raise NoBatchingRule
    perm = _const(xs[1]).reshape(-1)
    r = len(perm)
    new = np.array([0] + [int(p) % r + 1 for p in perm], np.int32) if r else \
        np.array([0], np.int32)
    return execute(op.opdef, (xs[0], wrap(new)), op.attrs)


@rule("ConcatV2")
def _concat(op, xs, bs, n):
    r = max(_rank(x, b) for x, b in zip(xs, bs))
    return _with_attrs(op, _all_batched(xs, bs, n), axis=_axis(op.attrs["axis"], r))


@rule("Pack")
def _pack(op, xs, bs, n):
    r = max(_rank(x, b) for x, b in zip(xs, bs)) + 1
    return _with_attrs(op, _all_batched(xs, bs, n), axis=_axis(op.attrs["axis"], r))


@rule("Unpack", "Split", "SplitV")
def _unpack(op, xs, bs, n):
    if op.type == "Split" and not bs[0] or op.type == "SplitV" and bs[1]:
        raise NoBatchingRule
    r = _rank(xs[0], True)
    return tuple(_with_attrs(op, xs, axis=_axis(op.attrs["axis"], r)))


@rule("Tile")
def _tile(op, xs, bs, n):
    if bs[1]:
        raise NoBatchingRule
    multiples = np.concatenate([[1], _const(xs[1]).reshape(-1)]).astype(np.int32)
    return execute(op.opdef, (xs[0], wrap(multiples)), op.attrs)


@rule("Pad", "PadV2", "MirrorPad")
def _pad(op, xs, bs, n):
    if any(bs[1:]):
        raise NoBatchingRule
    pads = _const(xs[1])
    pads = np.concatenate([np.zeros((1, 2), pads.dtype), pads.reshape(-1, 2)])
    return execute(op.opdef, (xs[0], wrap(pads)) + tuple(xs[2:]), op.attrs)


@rule("GatherV2")
def _gather(op, xs, bs, n):
    params, indices = xs
    axis, bd = op.attrs["axis"], op.attrs["batch_dims"]
    if bs[0] and not bs[1]:
        if bd:
            raise NoBatchingRule
        return _with_attrs(op, xs, axis=axis % _rank(params, True) + 1)
    if not bs[0] and axis == 0 and bd == 0:  # rows of an invariant table
        return _with_attrs(op, xs)
    params = params if bs[0] else batch(params, n)
    indices = indices if bs[1] else batch(indices, n)
    return _with_attrs(op, [params, indices], axis=axis % _rank(params, True) + 1,
                       batch_dims=bd + 1)


@rule("ScatterNd")
def _scatter_nd(op, xs, bs, n):
    """Batched updates scattered by invariant indices: the batch axis goes after the indexed
    axes (where every update carries it along), and back to the front afterwards."""
    indices, updates, shape = xs
    if bs[0] or bs[2] or indices.shape.rank is None or indices.shape[-1] is None:
        raise NoBatchingRule
    lead, d = indices.shape.rank - 1, indices.shape[-1]
    target = _const(shape).reshape(-1).tolist()
    r = _rank(updates, True)
    moved = MA.transpose(updates, list(range(1, lead + 1)) + [0] + list(range(lead + 1, r + 1)))
    out = execute(op.opdef, (indices, moved, wrap(np.array(target[:d] + [n] + target[d:],
                                                           np.int64))), op.attrs)
    return MA.transpose(out, [d] + list(range(d)) + list(range(d + 1, len(target) + 1)))


@rule("StridedSlice", "StridedSliceGrad")
def _strided_slice(op, xs, bs, n):
    if any(bs[1:]):
        raise NoBatchingRule
    key = (slice(None),) + tuple(op.attrs["key"])
    if op.type == "StridedSlice":
        return _with_attrs(op, xs, key=key)
    shape = [n] + _const(xs[1]).reshape(-1).tolist()
    return execute(op.opdef, (xs[0], wrap(np.array(shape, np.int32))) + tuple(xs[2:]),
                   {**op.attrs, "key": key})


@rule("Slice")
def _slice(op, xs, bs, n):
    if any(bs[1:]):
        raise NoBatchingRule
    begin, size = _const(xs[1]).reshape(-1), _const(xs[2]).reshape(-1)
    return execute(op.opdef, (xs[0], wrap(np.concatenate([[0], begin]).astype(begin.dtype)),
                              wrap(np.concatenate([[-1], size]).astype(size.dtype))), op.attrs)


@rule("SumToShape")
def _sum_to_shape(op, xs, bs, n):
    """Undoing a broadcast: the leading axes an element has in excess are summed first."""
    if bs[1]:
        raise NoBatchingRule
    dy = xs[0]
    target = _const(xs[1]).reshape(-1).tolist()
    extra = _rank(dy, True) - len(target)
    if extra > 0:
        from rill.ops.reduction_ops import reduce_sum
        dy = reduce_sum(dy, axis=list(range(1, extra + 1)))
    elif extra < 0:
        raise NoBatchingRule
    return execute(op.opdef, (dy, wrap(np.array([n] + target, np.int32))), op.attrs)


@rule("BroadcastTo")
def _broadcast_to(op, xs, bs, n):
    if bs[1]:
        raise NoBatchingRule
    target = _const(xs[1]).reshape(-1).tolist()
    x = _lift(xs[0], len(target) - _rank(xs[0], True))
    return A.broadcast_to(x, [n] + target)


@rule("Shape", batched=False)
def _shape(op, xs, bs, n):
    x = xs[0]
    dims = x.shape.as_list()[1:] if x.shape.rank is not None else None
    if dims is None or None in dims:
        return _with_attrs(op, xs)[1:]
    return wrap(np.array(dims, op.attrs["out_type"]._np))


@rule("RandomStandardNormal", "RandomUniform", "TruncatedNormal", "RandomUniformInt")
def _random(op, xs, bs, n):
    """Stateful draws: one per element (a batched shape), as a loop would draw them."""
    if any(bs):
        raise NoBatchingRule
    shape = np.concatenate([[n], _const(xs[0]).reshape(-1)]).astype(np.int64)
    return execute(op.opdef, (wrap(shape),) + tuple(xs[1:]), op.attrs)


# -- tf.vectorized_map ---------------------------------------------------------------------------
_VECTORIZABLE_STATE = frozenset(("ReadVariableOp", "RandomStandardNormal", "RandomUniform",
                                 "TruncatedNormal", "RandomUniformInt"))


def vectorized_map(fn, flat: list, structure, n: int, fallback: bool, warn: bool):
    """fn over the leading axis of the tensors `flat` (packed as `structure`), vectorized.
    Returns the results, or NotImplemented when fn cannot be traced or has effects (a loop
    must then run it)."""
    specs = [(x.shape[1:], x.dtype) for x in flat]

    def call(*xs):
        from rill._core import nest
        return fn(nest.pack_sequence_as(structure, list(xs)))

    try:
        sub, result = _subgraph.trace(call, specs, "vectorized_map")
    except Exception:  # e.g. Python control flow on a tensor: the eager loop runs it
        return NotImplemented
    for op in sub.graph.operations:
        if op.opdef.stateful and op.opdef is not PLACEHOLDER and \
                op.type not in _VECTORIZABLE_STATE:
            return NotImplemented
    outs = run(sub, list(flat), [True] * len(flat), n, fallback, warn)
    return _subgraph.pack(result, [v if b else batch(v, n) for v, b in outs])


# -- jacobians: the backward pass run once over the identity basis --------------------------------
def _dense(g):
    return g._to_dense() if hasattr(g, "_to_dense") else g


def vectorized_backward(prep, target, basis: np.ndarray, sources: list, locs, swap: bool):
    """Per source, the gradients for every output gradient in `basis` (its leading axis), as
    one tensor with that axis first (second with `swap`, for batch_jacobian); None for an
    unconnected source. None overall when the backward pass cannot be traced symbolically
    (e.g. a custom gradient reading values): the caller loops."""
    if prep is None:
        return [None] * len(sources)
    n = basis.shape[0]

    def backward(seed):
        return [None if g is None else _dense(g) for g in
                _tape.run_backward(prep, [target], [seed], sources, locs)]

    try:
        sub, grads = _subgraph.trace(backward, [(target.shape, target.dtype)],
                                     "jacobian_backward", convert_outputs=False)
        sub.set_outputs([g for g in grads if g is not None])
    except Exception:
        return None
    step = _chunk(sub, n)
    if step >= n:
        outs = run(sub, [wrap(basis)], [True], n, api="jacobian")
    else:  # bounded memory: the basis in chunks, each run through the same graph
        chunks = [basis[i:i + step] for i in range(0, n, step)]
        parts = [[v if b else batch(v, len(c)) for v, b in
                  run(sub, [wrap(c)], [True], len(c), api="jacobian")] for c in chunks]
        outs = [(MA.concat(list(col), 0), True) for col in zip(*parts)]
    outs = iter(outs)
    rows = []
    for g in grads:
        if g is None:
            rows.append(None)
        else:
            v, b = next(outs)
            v = v if b else batch(v, n)
            if swap:
                r = v.shape.rank
                v = MA.transpose(v, [1, 0] + list(range(2, r)))
            rows.append(v)
    return rows


MEMORY_LIMIT = 1 << 28  # bytes a batched value may take before the batch is split


def _chunk(sub, n: int) -> int:
    """How many basis rows to run at once: the largest value of the graph, batched, stays
    under MEMORY_LIMIT."""
    biggest = 1
    for op in sub.graph.operations:
        for o in op.outputs:
            if o.shape.is_fully_defined():
                biggest = max(biggest, int(np.prod(o.shape.as_list(), dtype=np.int64)) *
                              max(o.dtype.size, 1))
    return max(1, MEMORY_LIMIT // biggest)


_tape.vectorized_backward = vectorized_backward
