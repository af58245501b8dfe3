"""`tf.gradients` and `tf.hessians`: symbolic gradients in the graph being traced.

Inside a `tf.function` the traced graph is already a record of every op in program order, as
a tape would keep it: the ops that depend on `xs` are collected from the graph (a variable
source stands for its `ReadVariableOp` nodes) and walked backwards by the tape's reverse pass,
so the gradient ops join the same graph (and can be differentiated again). Eagerly there is
no graph, and TensorFlow raises; so does rill.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core.graph import CONST, PLACEHOLDER
from rill._core.op import OpRecord
from rill._core.tape import UnconnectedGradients, _unconnected, run_backward
from rill._core.variable import READ_VARIABLE
from rill.ops import array_ops, vectorize
from rill.ops._util import to_tensor

_state = _context.state
_active = _context.active
_EAGER = ("tf.gradients is not supported when eager execution is enabled. Use "
          "tf.GradientTape instead.")


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _check_graph(hint: str):
    if not (_active and _state.graphs):
        raise RuntimeError(f"{_EAGER}\nhint: {hint}")
    return _state.graphs[-1]


def _source(graph, x):
    """The graph's stand-in for a source: itself, or the node that captured it (an eager
    tensor, or a tensor of an enclosing graph)."""
    if getattr(x, "_is_variable", False):
        return x
    return graph._captures.get(id(x), x)


def _prepare(graph, sources: list, stops: set):
    """(records, reach, source ids, no read aliases) for the reverse pass over the graph's
    ops from `sources`."""
    source_ids = {id(s) for s in sources}
    reach, relevant = set(source_ids), []
    for op in list(graph.operations):
        opdef = op.opdef
        if opdef is CONST or opdef is PLACEHOLDER:
            continue
        if opdef is READ_VARIABLE:
            var = op.attrs["var"]
            if id(var) not in source_ids:
                continue
            inputs = (var,)
        else:
            inputs = op.inputs
            if not any(id(x) in reach for x in inputs):
                continue
        relevant.append(OpRecord(opdef, inputs, op.attrs, op.outputs))
        reach.update(id(o) for o in op.outputs if id(o) not in stops)
    return relevant, reach, source_ids, ()


def gradients(ys, xs, grad_ys=None, name="gradients", gate_gradients=False,
              aggregation_method=None, stop_gradients=None,
              unconnected_gradients=UnconnectedGradients.NONE) -> list:
    """The symbolic gradients of sum(ys) with respect to each of `xs` (`tf.gradients`), in the
    graph of the `tf.function` being traced.

    `grad_ys` weights each of `ys` (ones by default); gradients do not flow through the
    tensors in `stop_gradients`; a source `ys` does not depend on gets None (zeros with
    `unconnected_gradients="zero"`). Sources may be tensors of the function or variables.

    >>> @tf.function
    ... def f(x):
    ...     return tf.gradients(x * x, x)[0]
    >>> float(f(tf.constant(3.0)))
    6.0
    """
    graph = _check_graph("tf.gradients builds gradient ops in a traced graph: call it inside "
                         "a tf.function, or use tf.GradientTape eagerly.")
    ys_list = [to_tensor(y) for y in _as_list(ys)]
    xs_list = _as_list(xs)
    sources = [_source(graph, x) for x in xs_list]
    seeds = None
    if grad_ys is not None:
        gys = _as_list(grad_ys)
        if len(gys) != len(ys_list):
            raise ValueError(f"tf.gradients: Passed {len(gys)} grad_ys for {len(ys_list)} ys"
                             f"\nhint: give one gradient per tensor of ys (None for ones).")
        seeds = [None if g is None else to_tensor(g, dtype=y.dtype) if not hasattr(g, "dtype")
                 else to_tensor(g) for g, y in zip(gys, ys_list)]
    stops = {id(_source(graph, s)) for s in _as_list(stop_gradients)} \
        if stop_gradients is not None else set()
    grads = run_backward(_prepare(graph, sources, stops), ys_list, seeds, sources)
    if _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO:
        grads = [array_ops.zeros_like(to_tensor(x)) if g is None else g
                 for g, x in zip(grads, xs_list)]
    return grads


def _rows(rows: list, x):
    from rill.ops.manip_ops import stack
    return stack([array_ops.zeros_like(x) if r is None else to_tensor(r) for r in rows])


def hessians(ys, xs, gate_gradients=False, aggregation_method=None, name="hessians") -> list:
    """The Hessian of `sum(ys)` with respect to each tensor of `xs` (`tf.hessians`): for x of
    shape S, a tensor of shape S + S. Like TensorFlow, only inside a `tf.function` (eagerly,
    nest two `tf.GradientTape`s and call `jacobian`). None where `ys` does not depend on x,
    zeros where it depends on x linearly (where TensorFlow raises). Sources need a static
    shape; the second backward pass runs once over all the rows (`rill.ops.vectorize`).
    """
    graph = _check_graph("tf.hessians works inside a tf.function; eagerly use nested tapes "
                         "and tape.jacobian.")
    xs_list = [to_tensor(x) for x in _as_list(xs)]
    out = []
    for x, g in zip(xs_list, gradients(ys, xs_list)):
        if g is None:
            out.append(None)
            continue
        shape = x.shape
        if not shape.is_fully_defined():
            raise ValueError(f"tf.hessians needs sources of static shape, got one of shape "
                             f"{shape}.\nhint: trace the function with a fully defined "
                             f"input_signature.")
        dims = shape.as_list()
        n = int(np.prod(dims, dtype=np.int64))
        flat_g = array_ops.reshape(to_tensor(g), [-1])
        if n == 0:
            out.append(array_ops.zeros(dims + dims, x.dtype))
            continue
        src = _source(graph, x)
        basis = np.eye(n, dtype=flat_g.dtype._np)
        found = vectorize.vectorized_backward(_prepare(graph, [src], set()), flat_g, basis,
                                              [src], None, False)
        if found is None:  # a gradient that cannot run symbolically: one row at a time
            found = [_rows([gradients([flat_g[i]], [x])[0] for i in range(n)], x)]
        rows = found[0]
        rows = array_ops.zeros([n] + dims, x.dtype) if rows is None else rows
        out.append(array_ops.reshape(rows, dims + dims))
    return out


__tf_names__ = {"tf": "gradients hessians"}
