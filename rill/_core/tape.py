"""`tf.GradientTape`: reverse-mode autodiff over the ops recorded while it watched.

A tape keeps the ids of the tensors and variables it watches (`_ids`) and the ops whose inputs
it watched (`_records`, in execution order, which is a topological order). `gradient` walks
the records backwards, calling each op's gradient function, which is written with rill ops:
an outer tape records that work, so gradients of gradients come for free.

The tape reaches ops only through the registry (`AddN`, `OnesLike`, `ZerosLike`), never by
importing `rill.ops`.
"""

from __future__ import annotations

import enum

from rill._core import context as _context
from rill._core import nest
from rill._core.op import MISSING_GRADIENT, REGISTRY, backward_reach, execute

_tapes = _context.tapes


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source that does not reach the target."""

    NONE = "none"
    ZERO = "zero"


def _is_differentiable_dtype(x) -> bool:
    return x.dtype.is_floating or x.dtype.is_complex


class GradientTape:
    """Records operations so that their gradients can be computed (`tf.GradientTape`).

    >>> w = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     y = w * w
    >>> float(tape.gradient(y, w))
    6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._ids: set = set()
        self._records: list = []
        self._watched: list = []  # keeps watched objects alive so their ids stay unique
        self._watched_variables: dict = {}
        self._used = False
        self._recording = False

    # -- recording ---------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        self._push()
        return self

    def __exit__(self, *exc) -> None:
        self._pop()

    def _push(self) -> None:
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter "
                             "an already-active tape.")
        _tapes.append(self)
        self._recording = True

    def _pop(self) -> None:
        if self._recording:
            for i in range(len(_tapes) - 1, -1, -1):
                if _tapes[i] is self:
                    del _tapes[i]
                    break
            self._recording = False

    def stop_recording(self):
        """A context manager inside which this tape records nothing."""
        return _StopRecording(self)

    def reset(self) -> None:
        """Clears everything recorded so far."""
        self._ids = set()
        self._records = []
        self._watched = []
        self._watched_variables = {}
        self._used = False

    def watch(self, tensor) -> None:
        """Makes the tape watch tensors or variables (any nested structure of them)."""
        for t in nest.flatten(tensor):
            if not (hasattr(t, "dtype") and hasattr(t, "shape")):
                raise ValueError(f"Passed in object {t!r} of type {type(t).__name__!r}, not "
                                 f"tf.Tensor or tf.Variable.")
            self._watch_one(t)

    def _watch_one(self, t) -> None:
        if id(t) in self._ids:
            return
        self._ids.add(id(t))
        self._watched.append(t)
        if _is_variable(t):
            self._watched_variables[id(t)] = t

    def _variable_accessed(self, variable) -> None:
        if self._watch_accessed_variables and variable.trainable:
            self._watch_one(variable)

    def watched_variables(self) -> tuple:
        """The variables this tape watches, in the order it started watching them."""
        return tuple(self._watched_variables.values())

    # -- gradients ---------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of `target` (or the sum of several targets) with respect to `sources`.

        Returns the gradients in the structure of `sources`; a source that the target does not
        depend on gives None (or zeros with `unconnected_gradients=ZERO`).
        """
        if self._records is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        unconnected_gradients = UnconnectedGradients(
            unconnected_gradients.value if isinstance(unconnected_gradients, enum.Enum)
            else unconnected_gradients)
        flat_sources = nest.flatten(sources)
        flat_targets = nest.flatten(target)
        if output_gradients is not None:
            flat_out_grads = nest.flatten(output_gradients)
            if len(flat_out_grads) != len(flat_targets):
                raise ValueError("output_gradients must have the structure of target.")
        else:
            flat_out_grads = [None] * len(flat_targets)
        for s in flat_sources:
            if s is None or not hasattr(s, "dtype"):
                raise ValueError(f"Sources must be tensors or variables, got {s!r}.\n"
                                 f"hint: pass model.trainable_variables or watched tensors.")
        was_recording = self._recording
        self._pop()  # this tape does not record its own backward pass
        try:
            grads = backward(self._records, self._ids, flat_targets, flat_out_grads,
                             flat_sources)
        finally:
            if was_recording:
                self._push()
        if unconnected_gradients is UnconnectedGradients.ZERO:
            zeros = REGISTRY["ZerosLike"]
            grads = [g if g is not None else execute(zeros, (_as_tensor(s),))
                     for g, s in zip(grads, flat_sources)]
        if not self._persistent:
            self._records = None
            self._ids = set()
            self._watched = []
        return nest.pack_sequence_as(sources, grads)

    def __del__(self):
        self._records = None


class _StopRecording:
    def __init__(self, tape: GradientTape):
        self._tape = tape
        self._was = False

    def __enter__(self):
        self._was = self._tape._recording
        self._tape._pop()

    def __exit__(self, *exc):
        if self._was:
            self._tape._push()


def _is_variable(x) -> bool:
    return getattr(x, "_is_variable", False)


def _as_tensor(x):
    return x.value() if _is_variable(x) else x


def backward(records: list, watched_ids: set, targets: list, output_grads: list,
             sources: list) -> list:
    """The reverse pass: gradients of sum(targets) for each source (None if unconnected)."""
    source_ids = {id(s) for s in sources if id(s) in watched_ids}
    if not source_ids:
        return [None] * len(sources)
    # forward sweep: which records depend on a source
    reach = set(source_ids)
    relevant = []
    for rec in records:
        for x in rec.inputs:
            if id(x) in reach:
                relevant.append(rec)
                for o in rec.outputs:
                    reach.add(id(o))
                break
    backward_reach.append(reach)
    try:
        return _backward(relevant, reach, source_ids, targets, output_grads, sources)
    finally:
        backward_reach.pop()


def _backward(relevant, reach, source_ids, targets, output_grads, sources) -> list:
    grads: dict = {}
    ones = REGISTRY["OnesLike"]
    for t, og in zip(targets, output_grads):
        t = _as_tensor(t) if not _is_variable(t) else t
        if id(t) not in reach:
            continue
        if not _is_differentiable_dtype(t):
            continue
        seed = og if og is not None else execute(ones, (_as_tensor(t),))
        grads.setdefault(id(t), []).append(seed)
    zeros = REGISTRY["ZerosLike"]
    for rec in reversed(relevant):
        dys = []
        any_grad = False
        for o in rec.outputs:
            key = id(o)
            g = grads.get(key) if key in source_ids else grads.pop(key, None)
            if g is not None:
                any_grad = True
                g = aggregate(g)
                if key in source_ids:
                    grads[key] = [g]
            dys.append(g)
        if not any_grad:
            continue
        fn = rec.opdef.grad
        if fn is None:
            continue
        if fn is MISSING_GRADIENT:
            raise LookupError(f"No gradient defined for operation '{rec.opdef.name}' "
                              f"(op type: {rec.opdef.name}).\nhint: wrap the computation in "
                              f"tf.stop_gradient or give it a tf.custom_gradient.")
        if len(dys) > 1:
            dys = [d if d is not None or not _is_differentiable_dtype(o)
                   else execute(zeros, (o,)) for d, o in zip(dys, rec.outputs)]
        in_grads = fn(rec, *dys)
        if not isinstance(in_grads, (tuple, list)):
            in_grads = (in_grads,)
        for x, g in zip(rec.inputs, in_grads):
            if g is None:
                continue
            key = id(x)
            if key not in reach or not _is_differentiable_dtype(x):
                continue
            grads.setdefault(key, []).append(g)
    out = []
    for s in sources:
        g = grads.get(id(s))
        out.append(aggregate(g) if g is not None else None)
    return out


def aggregate(grads: list):
    """Sums the gradients that reached one tensor (one element: returned as it is)."""
    if len(grads) == 1:
        return grads[0]
    dense = [g if not hasattr(g, "_to_dense") else g._to_dense() for g in grads]
    return execute(REGISTRY["AddN"], tuple(dense))
