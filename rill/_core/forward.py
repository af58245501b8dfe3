"""`tf.autodiff.ForwardAccumulator`: forward-mode autodiff (Jacobian-vector products).

No op needs a forward-mode rule. An op's VJP `u -> J^T u` (its gradient function) is linear in
the cotangent `u`, so differentiating it with respect to `u` gives back `J`: for input
tangents `t_i`, `J t = d/du sum_i <vjp_i(u), t_i>`, which one small GradientTape computes
(`tape.gradient(vjp(u), u, output_gradients=t)`). Any u serves a linear VJP; u = 1 (not 0)
also serves one written piecewise in the sign of u, as `CumulativeLogsumexp`'s, which works
with log|u| to avoid overflow. This "double VJP" uses only the
gradient functions, so every differentiable op, custom gradients included, has a JVP, and it
is itself recorded by outer tapes and accumulators (Hessian-vector products, both ways).

An accumulator is a member of `context.tapes` (see `rill._core.tape`): `op.record` reports to
it every op, eager or traced, whose inputs carry a tangent, including variable reads, and it
computes the outputs' tangents at once. Ops that produce an integer tensor, or have no
gradient (argmax, comparisons, `tf.stop_gradient`), give no tangent.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core import nest
from rill._core.convert import convert_to_tensor
from rill._core.op import MISSING_GRADIENT, core_ops, execute
from rill._core.tape import (
    GradientTape,
    UnconnectedGradients,
    _unconnected,
    differentiable,
    zeros_like,
)
from rill._core.tensor import wrap

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_PASS_THROUGH = frozenset(("ReadVariableOp", "Identity"))
_own_add = set.add


class _Watched(set):
    """The ids of the tensors that have a tangent. `op.record` adds the ids of every output
    it reports; only outputs that got a tangent belong here, so that `add` does nothing."""

    def add(self, key) -> None:
        pass


class _Sink:
    """Stands in for a tape's record list: each reported op is differentiated at once."""

    __slots__ = ("acc",)

    def __init__(self, acc):
        self.acc = acc

    def append(self, rec) -> None:
        self.acc._on_record(rec)


class ForwardAccumulator:
    """Computes Jacobian-vector products with forward-mode autodiff
    (`tf.autodiff.ForwardAccumulator`).

    Every op run inside the `with` block that depends on the primals gets a tangent; `jvp`
    reads it. Tangents are kept for tensors computed while the accumulator recorded (for
    as long as the accumulator lives).

    >>> x = tf.constant([1.0, 2.0])
    >>> with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
    ...     y = tf.reduce_sum(x ** 3)
    >>> float(acc.jvp(y))
    3.0

    A Hessian-vector product (forward over backward):

    >>> with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
    ...     with tf.GradientTape() as tape:
    ...         tape.watch(x)
    ...         y = tf.reduce_sum(x ** 3)
    ...     g = tape.gradient(y, x)
    >>> acc.jvp(g).numpy()
    array([6., 0.], dtype=float32)
    """

    def __init__(self, primals, tangents):
        flat_p = nest.flatten(primals)
        flat_t = nest.flatten(tangents)
        if len(flat_p) != len(flat_t):
            raise ValueError(f"ForwardAccumulator: got {len(flat_p)} primals but "
                             f"{len(flat_t)} tangents.\nhint: give one tangent per primal, "
                             f"in the same structure.")
        self._ids = _Watched()
        self._tangents: dict = {}  # id(tensor) -> (tensor, tangent)
        self._records = _Sink(self)
        self._reads = None  # (GradientTape's cache of repeated reads: not kept here)
        self._recording = False
        self._busy = False
        self._last = None
        for p, t in zip(flat_p, flat_t):
            if not (hasattr(p, "dtype") and hasattr(p, "shape")):
                raise TypeError(f"ForwardAccumulator: primals must be tensors or variables, "
                                f"got {p!r}.\nhint: convert values with tf.constant first.")
            if hasattr(t, "dtype") and not getattr(t, "_is_variable", False):
                if t.dtype != p.dtype:
                    raise ValueError(f"ForwardAccumulator: the tangent has dtype "
                                     f"{t.dtype.name} but its primal has dtype "
                                     f"{p.dtype.name}.\nhint: tf.cast the tangent to "
                                     f"tf.{p.dtype.name}.")
            else:
                t = convert_to_tensor(t, dtype=p.dtype)
            if not p.shape.is_compatible_with(t.shape):
                raise ValueError(f"ForwardAccumulator: the tangent has shape {t.shape} but "
                                 f"its primal has shape {p.shape}.\nhint: a tangent is a "
                                 f"direction in the primal's space: give it the primal's "
                                 f"shape.")
            self._set(p, t)

    def _set(self, t, tangent) -> None:
        key = id(t)
        self._tangents[key] = (t, tangent)
        _own_add(self._ids, key)

    # -- the tape protocol ---------------------------------------------------------------
    def _variable_accessed(self, variable) -> None:
        pass

    def __enter__(self) -> ForwardAccumulator:
        if self._recording:
            raise ValueError("Accumulator is already recording.")
        _state.tapes.append(self)
        self._recording = True
        return self

    def __exit__(self, *exc) -> None:
        if self._recording:
            tapes = _state.tapes
            for i in range(len(tapes) - 1, -1, -1):
                if tapes[i] is self:
                    del tapes[i]
                    break
            self._recording = False

    def _on_record(self, rec) -> None:
        if self._busy or rec is self._last:
            return
        # accumulators entered later (inner) go first, so that this one differentiates
        # their tangent computations: outer.jvp(inner.jvp(y)) is a second derivative
        for other in reversed(_state.tapes):
            if other is self:
                break
            if isinstance(other, ForwardAccumulator) and not other._busy and \
                    other._last is not rec and any(id(x) in other._ids for x in rec.inputs):
                other._last = rec
                other._process(rec)
        self._last = rec
        self._process(rec)

    # -- computing tangents --------------------------------------------------------------
    def _process(self, rec) -> None:
        tangents = self._tangents
        tin = []
        any_tangent = False
        for x in rec.inputs:
            e = tangents.get(id(x))
            if e is not None and e[0] is x:
                tin.append(e[1])
                any_tangent = True
            else:
                tin.append(None)
        if not any_tangent:
            return
        opdef = rec.opdef
        outs = rec.outputs
        if opdef.name in _PASS_THROUGH:
            if tin[0] is not None and differentiable(outs[0]):
                self._set(outs[0], tin[0])
            return
        if opdef.grad is None:
            return
        if opdef.grad is MISSING_GRADIENT:
            raise LookupError(f"No gradient defined for operation '{opdef.name}' (op type: "
                              f"{opdef.name}), so ForwardAccumulator cannot differentiate it."
                              f"\nhint: wrap the computation in tf.stop_gradient, or give it "
                              f"a tf.custom_gradient.")
        if not any(differentiable(o) for o in outs):
            return
        self._busy = True
        try:
            out_t = _jvp(rec, tin)
        finally:
            self._busy = False
        for o, t in zip(outs, out_t):
            if t is not None:
                self._set(o, t)

    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The tangents (Jacobian-vector products) of tensors computed while recording, in
        the structure of `primals`; None (or zeros with `unconnected_gradients=ZERO`) for a
        tensor that does not depend on the primals."""
        zero = _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO
        tangents = self._tangents

        def one(p):
            e = tangents.get(id(p))
            if e is not None and e[0] is p:
                return e[1]
            return zeros_like(p) if zero else None

        return nest.map_structure(one, primals)


def _cotangent_point(o):
    """Where the double-VJP differentiates an op's VJP: ones (see the module docstring), or
    zeros for a value that is not an array (a TensorList makes its own)."""
    v = getattr(o, "_value", None)
    if v is None:  # a graph tensor
        return execute(core_ops.OnesLike, (o,))
    if isinstance(v, (np.ndarray, np.generic)):
        return wrap(np.ones_like(v))
    return zeros_like(o)


def _jvp(rec, tin: list) -> list:
    """The output tangents of one op from its input tangents, by the double-VJP."""
    outs = rec.outputs
    us = [_cotangent_point(o) if differentiable(o) else None for o in outs]
    cotangents = [u for u in us if u is not None]
    tape = GradientTape(watch_accessed_variables=False)
    with tape:
        tape.watch(cotangents)
        _state.backward_reach.append({id(x) for x, t in zip(rec.inputs, tin) if t is not None})
        try:
            in_grads = rec.opdef.grad(rec, *us)
        finally:
            _state.backward_reach.pop()
        if type(in_grads) is not tuple and type(in_grads) is not list:
            in_grads = (in_grads,)
        targets, weights = [], []
        for g, t in zip(in_grads, tin):
            if g is None or t is None:
                continue
            if hasattr(g, "_to_dense"):  # IndexedSlices: densified while the tape records
                g = g._to_dense()
            targets.append(g)
            weights.append(t)
    if not targets:
        return [None] * len(outs)
    got = tape.gradient(targets, cotangents, output_gradients=weights)
    it = iter(got)
    return [next(it) if u is not None else None for u in us]


__tf_names__ = {"autodiff": "ForwardAccumulator"}
