"""`tf.custom_gradient` in traced graphs: the `CustomGradientIdentity` op.

While a `tf.function` is traced, a custom gradient is first a tape record (tapes inside the
function use it directly). But the graph must carry it too: a tape outside the function
records the graph's ops as they run one by one, and would otherwise see only the forward
ops. So `tf.custom_gradient` also puts into the graph one identity-like op over the
function's results (like TensorFlow's `IdentityN` with a gradient override). Its inputs are
the results, the arguments (and variable reads) the gradient goes to, and the tensors of the
forward pass that `grad_fn` reads; its gradient is `grad_fn`, traced at trace time into a
sub-graph (as `If` traces its branches) and run with the op's inputs: replayed through rill
ops under tapes or in a graph (so higher orders work), compiled otherwise.

`rill._core.custom_gradient` calls `graph_identity` through a hook set on import here (the
core does not import the ops layer).
"""

from __future__ import annotations

from rill._core import context as _context
from rill._core import custom_gradient as _cg
from rill._core.op import defop, execute
from rill._core.tensor import wrap
from rill.ops import _subgraph

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


def _kernel(*args, n, **attrs):
    return tuple(args[:n])


def _rule(*inputs, n, **attrs):
    return [(x.shape, x.dtype) for x in inputs[:n]]


def _grad(op, *dys):
    attrs = op.attrs
    targets, sub, error = attrs["targets"], attrs["grad"], attrs["error"]
    if error is not None:
        raise error
    inputs = op.inputs
    dys = [d if d is not None else _subgraph.zeros_like(o) for d, o in zip(dys, op.outputs)]
    caps = list(inputs[len(inputs) - len(sub.captures):])
    feed = dys + caps
    if not _active and all(hasattr(t, "_value") for t in feed):
        flat = [wrap(a) for a in sub(*[t._value for t in feed])]
    else:
        flat = sub.replay(feed)
    grads = _subgraph.pack(sub.structure, flat)
    out = [None] * len(inputs)
    for pos, g in zip(targets, grads):
        if pos is not None and g is not None:
            out[pos] = g
    return tuple(out)


CUSTOM_GRADIENT_IDENTITY = defop("CustomGradientIdentity", _kernel, _rule, _grad,
                                 num_outputs=None, public_name="tf.custom_gradient")


def graph_identity(results: list, grad_inputs: list, grad_fn, dy_specs: list, name: str):
    """The results of a custom-gradient function, passed through one
    `CustomGradientIdentity` op of the graph being traced.

    `results`: the function's tensor results; `grad_inputs`: one entry per gradient that
    `grad_fn(*dys)` returns (in order), a tensor of the graph or None (no gradient flows
    there); `dy_specs`: (shape, dtype) of each upstream gradient. Tapes must be paused.
    """
    error = None
    try:
        sub, _ = _subgraph.trace(lambda *dys: list(grad_fn(*dys)), dy_specs,
                                 f"{name}_custom_grad")
    except Exception as exc:  # raised when (and only if) the gradient is asked for
        error = exc
        sub, _ = _subgraph.trace(lambda *dys: [], dy_specs, f"{name}_custom_grad")
    n = len(results)
    ins = list(results)
    targets = []
    for t in grad_inputs:
        if t is None:
            targets.append(None)
        else:
            targets.append(len(ins))
            ins.append(t)
    ins += sub.captures
    attrs = {"n": n, "targets": tuple(targets), "grad": sub, "error": error, "name": name}
    return list(execute(CUSTOM_GRADIENT_IDENTITY, tuple(ins), attrs))


_cg._graph_identity = graph_identity
