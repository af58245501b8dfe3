"""`tf.GradientTape`: reverse-mode autodiff over the ops recorded while it watched.

A tape keeps the ids of the tensors and variables it watches (`_ids`) and the ops whose inputs
it watched (`_records`, in execution order, which is a topological order). A record is an
`OpRecord`, or, for a binary op recorded by the eager fast path on a lone GradientTape, the
flat tuple `(opdef, x, y, output, attrs)`: three objects fewer per op, ~10% of W2's
time (`_as_op_record` makes the `OpRecord` where one is needed). `gradient` walks
the records backwards, calling each op's gradient function, which is written with rill ops:
an outer tape records that work, so gradients of gradients come for free.

Everything in `context.tapes` follows one small protocol, which `op.record` and variable reads
use: `_ids` (a set of watched ids), `_records.append(record)` and `_variable_accessed(var)`.
GradientTape is the main implementation; forward accumulators and the variable watcher of
`tf.custom_gradient` are others.

The tape runs a few ops declared in `rill.ops` (`AddN`, `OnesLike`, `ZerosLike`, `Pack`,
`Reshape`) through `op.core_ops`, the table of ops `_core` needs, never by importing
`rill.ops`.
"""

from __future__ import annotations

import enum

import numpy as np

from rill._core import context as _context
from rill._core import nest
from rill._core import numerics as _numerics
from rill._core.composite import CompositeTensor
from rill._core.op import FP_WARNINGS, MISSING_GRADIENT, OpRecord, core_ops, execute
from rill._core.tensor import EagerTensor, Tensor
from rill._core.variable import READ_VARIABLE as _READ
from rill._core.variable import Variable as _Var

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_new = object.__new__
_Eager = EagerTensor
# NumPy dtypes that carry gradients: floating and complex (bfloat16, from ml_dtypes, by name)
_DIFF_NP = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64, np.complex64,
                                            np.complex128))
# Set by rill.ops.vectorize (which `import rill` loads): runs one traced backward pass over a
# batch of output gradients, so jacobians need not loop (see GradientTape._vectorized).
vectorized_backward = None
_RELEASED = ("A non-persistent GradientTape can only be used to compute one set of gradients "
             "(or jacobians)")


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source that does not reach the target."""

    NONE = "none"
    ZERO = "zero"


def _unconnected(value) -> UnconnectedGradients:
    if value is UnconnectedGradients.NONE or value is UnconnectedGradients.ZERO:
        return value
    raw = value.value if isinstance(value, enum.Enum) else value
    try:
        return UnconnectedGradients(raw)
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}.\nhint: use "
                         f"tf.UnconnectedGradients.NONE or tf.UnconnectedGradients.ZERO."
                         ) from None


def differentiable(x) -> bool:
    """Whether gradients flow through `x` (a floating or complex tensor or variable)."""
    try:
        d = x._value.dtype
        return d in _DIFF_NP or d.name == "bfloat16"
    except AttributeError:
        return x.dtype._kind in "fc"


def _gradient_view(x):
    """What a tape differentiates for `x`: a composite's gradient tensor (a RaggedTensor's
    flat_values), or `x` itself."""
    if isinstance(x, CompositeTensor):
        t = x._rill_gradient_tensor()
        if t is None:
            raise ValueError(f"Type {type(x).__name__} is not supported as a gradient source "
                             f"or gradient target.\nhint: differentiate with respect to its "
                             f"component tensors (e.g. a SparseTensor's values).")
        return t
    return x


def _is_leaf(x) -> bool:
    return isinstance(x, Tensor) or getattr(x, "_is_variable", False)


def _flat(x) -> list:
    """`nest.flatten`, with fast paths for one tensor and for a flat list or tuple of them."""
    t = type(x)
    if t is list or t is tuple:
        for e in x:
            te = type(e)
            if te is not _Var and te is not _Eager and not _is_leaf(e):
                return nest.flatten(x)
        return x
    if _is_leaf(x):
        return [x]
    return nest.flatten(x)


class GradientTape:
    """Records operations so that their gradients can be computed (`tf.GradientTape`).

    Args:
        persistent: allow several calls of `gradient`/`jacobian` (release with `del tape`).
        watch_accessed_variables: watch the trainable variables read inside the block.

    >>> w = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     y = w * w
    >>> float(tape.gradient(y, w))
    6.0
    """

    __slots__ = ("_persistent", "_watch_accessed_variables", "_ids", "_records", "_watched",
                 "_watched_variables", "_recording", "_spent", "_locs", "_reads", "_aliases",
                 "__weakref__")

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._ids: set = set()
        self._records: list | None = []
        self._watched: list = []  # keeps watched objects alive so their ids stay unique
        self._watched_variables: dict = {}
        self._recording = False
        self._spent = False  # a non-persistent tape that computed its gradients
        self._locs: dict = {}  # id(output) -> user's "file:line", while debugging switches on
        # Eager reads of watched variables on this tape alone are not recorded as ops: each
        # read tensor stands for its variable (`_aliases`, (variable, tensor, array read)),
        # and the backward pass hands the tensor's gradient to the variable. While recording,
        # `_reads` (id(variable) -> the same triple) gives an op's own read of a variable
        # again unchanged the same tensor (`value()` makes a new one: the user may take
        # gradients with respect to it).
        self._reads: dict = {}
        self._aliases: list = []

    # -- recording ---------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        if self._recording or self._spent:
            self._push()
        else:
            _state.tapes.append(self)
            self._recording = True
        return self

    def __exit__(self, *exc) -> None:
        self._pop()

    def _push(self) -> None:
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter "
                             "an already-active tape.")
        if self._spent:  # a used non-persistent tape records afresh
            self._spent = False
            self._records = []
        _state.tapes.append(self)
        self._recording = True

    def _pop(self) -> None:
        if self._recording:
            tapes = _state.tapes
            if self._reads:
                self._reads.clear()
            if tapes[-1] is self:  # the innermost tape, as a `with` block leaves it
                tapes.pop()
                self._recording = False
                return
            for i in range(len(tapes) - 1, -1, -1):
                if tapes[i] is self:
                    del tapes[i]
                    break
            self._recording = False

    def stop_recording(self):
        """A context manager inside which this tape records nothing.

        >>> x = tf.constant(2.0)
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     with tape.stop_recording():
        ...         y = x * x
        >>> tape.gradient(y, x) is None
        True
        """
        return _StopRecording(self)

    def reset(self) -> None:
        """Clears everything recorded so far (the tape keeps recording if it was)."""
        self._ids = set()
        self._records = []
        self._watched = []
        self._watched_variables = {}
        self._locs = {}
        self._aliases = []
        self._reads = {}

    def watch(self, tensor) -> None:
        """Makes the tape watch tensors or variables (any nested structure of them)."""
        for t in _flat(tensor):
            t = _gradient_view(t)
            if not _is_leaf(t):
                raise ValueError(f"Passed in object {t!r} of type {type(t).__name__!r}, not "
                                 f"tf.Tensor or tf.Variable or ExtensionType.\nhint: convert "
                                 f"Python and NumPy values with tf.constant first.")
            if _state.explaining and not differentiable(t):
                _numerics.warn(f"tape.watch: the watched value has dtype {t.dtype.name}; "
                               f"gradients with respect to it will be None.\nhint: watch a "
                               f"floating tensor, e.g. tf.cast(x, tf.float32).")
            self._watch_one(t)

    def _watch_one(self, t) -> None:
        key = id(t)
        if key in self._ids:
            return
        self._ids.add(key)
        self._watched.append(t)
        if getattr(t, "_is_variable", False):
            self._watched_variables[key] = t
        elif _state.graphs and type(t) is _Eager:
            # while tracing, ops use the graph's capture of an outside tensor: watch that too
            self._watch_one(_state.graphs[-1].capture(t))

    def _variable_accessed(self, variable) -> None:
        if self._watch_accessed_variables and variable.trainable:
            key = id(variable)  # `_watch_one` for a variable, on the path of every first read
            if key not in self._ids:
                self._ids.add(key)
                self._watched.append(variable)
                self._watched_variables[key] = variable

    def _records_with_reads(self) -> list:
        """The records with a `ReadVariableOp` record for each read alias, first (what code
        that walks the records, e.g. explaining a None gradient, expects)."""
        reads = [OpRecord(_READ, (v,), {}, (t,)) for v, t, _ in self._aliases]
        return reads + [_as_op_record(r) for r in self._records or ()]

    def watched_variables(self) -> tuple:
        """The variables this tape watches, in the order they were created (TensorFlow's)."""
        return tuple(sorted(self._watched_variables.values(), key=_creation))

    # -- gradients ---------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of `target` (or the sum of several targets) with respect to `sources`.

        Returns the gradients in the structure of `sources`; a source that the target does not
        depend on gives None (or zeros with `unconnected_gradients=ZERO`), and so does a
        source of an integer dtype. A non-persistent tape can compute gradients once; a
        persistent one called inside its `with` block records the gradient computation too
        (for higher derivatives), as TensorFlow's does.

        >>> x = tf.constant(3.0)
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> float(tape.gradient(y, x))
        6.0
        """
        if self._spent:
            raise RuntimeError(_RELEASED)
        flat_sources = _flat(sources)
        composites = None
        if flat_sources is not sources:
            if any(isinstance(s, CompositeTensor) for s in flat_sources):
                composites = flat_sources  # differentiated through their gradient tensors
                flat_sources = [_gradient_view(s) for s in flat_sources]
            for s in flat_sources:
                if not _is_leaf(s):
                    raise TypeError(f"GradientTape.gradient: sources must be tensors or "
                                    f"variables, got {s!r}.\nhint: pass "
                                    f"model.trainable_variables, variables or watched tensors.")
        flat_targets = [target] if type(target) is _Eager else \
            [_gradient_view(t) for t in _flat(target)]
        flat_out = None if output_gradients is None else \
            self._output_gradients(flat_targets, output_gradients)
        records, ids, aliases, was_recording = self._for_backward()
        if _active and _state.graphs:
            flat_sources = [_state.graphs[-1].capture(s) if type(s) is _Eager else s
                            for s in flat_sources]
        try:
            grads = run_backward(prepare(records, ids, self._watched, flat_sources, aliases),
                                 flat_targets, flat_out, flat_sources, self._locs)
            if _active and _state.explaining and None in grads:  # (explaining sets a hook)
                _numerics.explain_nones(self, flat_targets, flat_sources, grads)
        finally:
            if was_recording:
                self._push()
        if unconnected_gradients is not UnconnectedGradients.NONE and \
                _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO:
            grads = [g if g is not None else zeros_like(s) for g, s in zip(grads, flat_sources)]
        if not self._persistent:
            self._release()
        if composites is not None:
            grads = [g if g is None or not isinstance(r, CompositeTensor)
                     else r._rill_with_gradient(g) for g, r in zip(grads, composites)]
        if flat_sources is sources and type(sources) is list:
            return grads
        return nest.pack_sequence_as(sources, grads)

    def _for_backward(self) -> tuple:
        """(records, ids, aliases, popped): what a backward pass of this tape reads. A
        non-persistent tape stops recording for it (popped: pushed back after); a persistent
        one still recording records it, as TensorFlow's does (higher derivatives), so the
        pass reads a copy of what was recorded before."""
        records, ids, aliases = self._records, self._ids, self._aliases
        if not self._recording:
            return records, ids, aliases, False
        if not self._persistent:
            self._pop()
            return records, ids, aliases, True
        return list(records), set(ids), list(aliases), False

    def _output_gradients(self, flat_targets: list, output_gradients) -> list:
        flat = _flat(output_gradients)
        if len(flat) != len(flat_targets):
            raise ValueError(f"GradientTape.gradient: output_gradients has {len(flat)} "
                             f"tensors but target has {len(flat_targets)}.\nhint: give one "
                             f"output gradient per target (None for ones), in target's "
                             f"structure.")
        from rill._core.convert import convert_to_tensor
        return [g if g is None or hasattr(g, "dtype") and not getattr(g, "_is_variable", False)
                else convert_to_tensor(g, dtype=t.dtype) for g, t in zip(flat, flat_targets)]

    def _release(self) -> None:
        self._spent = True
        self._records = [] if self._recording else None
        self._ids = set()
        self._watched = []
        self._locs = {}
        self._aliases = []

    # -- jacobians ---------------------------------------------------------------------
    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of `target` with respect to each source: shape
        `target.shape + source.shape`, in the structure of `sources`.

        >>> x = tf.constant([1.0, 2.0])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.jacobian(y, x).numpy()
        array([[2., 0.],
               [0., 4.]], dtype=float32)
        """
        flat_sources = _flat(sources)
        target = _as_tensor(target)
        shape = _static_shape(target, "jacobian", "target")
        n = int(np.prod(shape, dtype=np.int64))

        def seeds():
            eye = np.eye(n, dtype=target.dtype._np)
            for j in range(n):
                yield eye[j].reshape(shape)

        zero = _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO
        stacked = self._vectorized(target, lambda: np.eye(n, dtype=target.dtype._np).reshape(
            [n] + list(shape)), flat_sources, n, False) if experimental_use_pfor else None
        rows = self._seeded(target, seeds(), flat_sources, n) if stacked is None else stacked
        out = []
        for s, g in zip(flat_sources, rows):
            sshape = _static_shape(_as_tensor(s), "jacobian", "source")
            if stacked is not None and g is not None:
                out.append(_reshape(g, list(shape) + sshape))
            else:
                out.append(_assemble(g, s, list(shape) + sshape, zero))
        return nest.pack_sequence_as(sources, out)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: for target (b, ...t) and source (b, ...s) returns
        (b, ...t, ...s), assuming example i of the target depends only on example i of the
        source.

        >>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.batch_jacobian(y, x).shape
        TensorShape([2, 2, 2])
        """
        target = _as_tensor(target)
        tshape = _static_shape(target, "batch_jacobian", "target")
        sshape = _static_shape(_as_tensor(source), "batch_jacobian", "source")
        if not tshape or not sshape:
            raise ValueError("batch_jacobian: target and source need a batch dimension (rank "
                             ">= 1).\nhint: use tape.jacobian for scalars.")
        if tshape[0] != sshape[0]:
            raise ValueError(f"Need first dimension of target shape ({tshape}) and source "
                             f"shape ({sshape}) to match.\nhint: batch_jacobian differentiates "
                             f"example i of the target by example i of the source.")
        b = tshape[0]
        m = int(np.prod(tshape[1:], dtype=np.int64))

        def seeds():
            for j in range(m):
                seed = np.zeros((b, m), dtype=target.dtype._np)
                seed[:, j] = 1
                yield seed.reshape(tshape)

        def basis():
            eye = np.zeros((m, b, m), dtype=target.dtype._np)
            eye[np.arange(m), :, np.arange(m)] = 1
            return eye.reshape([m] + tshape)

        zero = _unconnected(unconnected_gradients) is UnconnectedGradients.ZERO
        vec = self._vectorized(target, basis, [source], m, True) if experimental_use_pfor \
            else None
        (rows,) = self._seeded(target, seeds(), [source], m) if vec is None else vec
        if rows is None:
            return _assemble(None, source, tshape + sshape[1:], zero)
        stacked = rows if vec is not None else execute(core_ops.Pack, tuple(rows), {"axis": 1})
        return _reshape(stacked, tshape + sshape[1:])

    def _vectorized(self, target, basis, flat_sources: list, n: int, swap: bool):
        """All Jacobian rows from one backward pass run over the output gradients `basis()`
        (`rill.ops.vectorize`): per source a tensor with a leading axis of n (second with
        `swap`), or None if unconnected. None overall when that cannot be done: the caller
        then loops."""
        fn = vectorized_backward
        if fn is None or n == 0 or self._spent or \
                not all(hasattr(s, "dtype") for s in flat_sources) or \
                self._recording and self._persistent:
            return None  # the loop raises the errors (and records, see `_for_backward`)
        was_recording = self._recording
        if was_recording:
            self._pop()
        try:
            rows = fn(prepare(self._records, self._ids, self._watched, flat_sources,
                              self._aliases), target,
                      basis(), flat_sources, self._locs, swap)
        finally:
            if was_recording:
                self._push()
        if rows is not None and not self._persistent:
            self._release()
        return rows

    def _seeded(self, target, seeds, flat_sources: list, n: int) -> list:
        """One backward pass per seed (output gradient of `target`): per source, the list of
        gradients (None when the source is unconnected)."""
        if self._spent:
            raise RuntimeError(_RELEASED)
        for s in flat_sources:
            if not hasattr(s, "dtype"):
                raise TypeError(f"jacobian: sources must be tensors or variables, got {s!r}.")
        records, ids, aliases, was_recording = self._for_backward()
        try:
            prep = prepare(records, ids, self._watched, flat_sources, aliases)
            per_source: list = [[] for _ in flat_sources]
            connected = [False] * len(flat_sources)
            for seed in seeds:
                seed_t = _wrap(seed)
                grads = run_backward(prep, [target], [seed_t], flat_sources, self._locs)
                for i, g in enumerate(grads):
                    if g is not None:
                        connected[i] = True
                    per_source[i].append(g)
        finally:
            if was_recording:
                self._push()
        if not self._persistent:
            self._release()
        out = []
        for s, gs, c in zip(flat_sources, per_source, connected):
            if not c or n == 0:
                out.append(None if not c else [])
                continue
            out.append([g if g is not None else zeros_like(s) for g in gs])
        return out


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


class VariableWatcher:
    """A tape-protocol member that only notes which variables are read (custom_gradient)."""

    _ids = frozenset()
    _records = None
    _reads = None

    def __init__(self):
        self.variables: dict = {}

    def _variable_accessed(self, variable) -> None:
        self.variables.setdefault(id(variable), variable)

    def __enter__(self) -> VariableWatcher:
        _state.tapes.append(self)
        return self

    def __exit__(self, *exc) -> None:
        tapes = _state.tapes
        for i in range(len(tapes) - 1, -1, -1):
            if tapes[i] is self:
                del tapes[i]
                break


def _as_op_record(rec) -> OpRecord:
    """A record as an `OpRecord` (a flat one made into one)."""
    if type(rec) is tuple:
        opdef, x, y, o, attrs = rec
        return OpRecord(opdef, (x, y), attrs, (o,))
    return rec


def _creation(variable) -> int:
    return getattr(variable, "_created", -1)


def _wrap(value):
    t = _new(_Eager)
    t._value = value
    return t


def _as_tensor(x):
    return x.value() if getattr(x, "_is_variable", False) else x


def zeros_like(x):
    """Zeros of the shape and dtype of a tensor or variable (without recording a read)."""
    v = getattr(x, "_value", None)
    if v is not None:  # (a value that is not an array, e.g. a TensorList, makes its own)
        return _wrap(np.zeros(v.shape, dtype=v.dtype) if type(v) is np.ndarray
                     else np.zeros_like(v))
    return execute(core_ops.ZerosLike, (_as_tensor(x),))


_ONES: dict = {}


def _ones_like(x):
    try:
        v = x._value
    except AttributeError:
        return execute(core_ops.OnesLike, (x,))
    t = _new(_Eager)
    if type(v) is np.ndarray:
        t._value = np.ones(v.shape, v.dtype)
    else:  # a NumPy scalar (rank 0): immutable, so one is shared
        one = _ONES.get(v.dtype)
        if one is None:
            one = _ONES[v.dtype] = v.dtype.type(1)
        t._value = one
    return t


def _static_shape(x, fn: str, what: str) -> list:
    shape = x.shape
    if not shape.is_fully_defined():
        raise ValueError(f"{fn}: the {what} has the partially known shape {shape}; rill needs "
                         f"a static shape here.\nhint: give tf.function an input_signature "
                         f"with full shapes, or call {fn} eagerly.")
    return shape.as_list()


def _reshape(x, shape: list):
    return execute(core_ops.Reshape, (x, _wrap(np.array(shape, dtype=np.int32))))


def _assemble(grads, source, shape: list, zero: bool):
    """Stacks per-seed gradients into one tensor of `shape` (None or zeros if unconnected)."""
    if grads is None:
        if not zero:
            return None
        s = _as_tensor(source)
        return _wrap(np.zeros(shape, dtype=s.dtype._np))
    if not grads:
        s = _as_tensor(source)
        return _wrap(np.zeros(shape, dtype=s.dtype._np))
    stacked = execute(core_ops.Pack, tuple(grads), {"axis": 0})
    return _reshape(stacked, shape)


# -- the reverse pass ---------------------------------------------------------------------
def prepare(records: list, watched_ids: set, watched: list, sources: list, aliases=()):
    """(the records that depend on a source, the ids they reach, the sources' ids, the
    read aliases of variables, see `GradientTape._aliases`); None when no source is
    watched."""
    source_ids = set()
    for s in sources:
        key = id(s)
        if key in watched_ids:
            source_ids.add(key)
    if not source_ids:
        return None
    if len(source_ids) == len(watched):
        for w in watched:
            if id(w) not in source_ids:
                break
        else:  # every watched object is a source: every record depends on one
            return records, watched_ids, source_ids, aliases
    reach = set(source_ids)
    for v, t, _ in aliases:
        if id(v) in source_ids:
            reach.add(id(t))
    relevant = []
    for rec in records:
        if type(rec) is tuple:  # a flat record (opdef, x, y, output, attrs)
            if id(rec[1]) in reach or id(rec[2]) in reach:
                relevant.append(rec)
                reach.add(id(rec[3]))
            continue
        for x in rec.inputs:
            if id(x) in reach:
                relevant.append(rec)
                for o in rec.outputs:
                    reach.add(id(o))
                break
    return relevant, reach, source_ids, aliases


def run_backward(prep, targets: list, output_grads, sources: list,
                 locs: dict | None = None) -> list:
    """The reverse pass over prepared records (see `prepare`): gradients of sum(targets)
    for each source (None if unconnected)."""
    if prep is None:
        return [None] * len(sources)
    relevant, reach, source_ids, aliases = prep
    if output_grads is None and len(targets) == 1:
        t = targets[0]
        key = id(t)
        grads = {key: _ones_like(t)} if key in reach and (
            type(t) is _Eager and t._value.dtype in _DIFF_NP or differentiable(t)) else {}
    else:
        grads = _seed(reach, targets, output_grads)
    if grads:
        state = _state
        backward_reach = state.backward_reach
        backward_reach.append(reach)
        try:
            if _active and state.checking:  # (checking numerics sets a hook)
                frames = state.numerics_frames
                frames.append(_numerics.BackwardFrame(locs))
                try:
                    _backward(relevant, reach, source_ids, grads, frames[-1])
                finally:
                    frames.pop()
            else:
                _backward(relevant, reach, source_ids, grads, None)
        finally:
            backward_reach.pop()
        for v, t, _ in aliases:  # a variable's read tensors pass their gradients on
            key = id(t)
            g = grads.get(key) if key in source_ids else grads.pop(key, None)
            if g is not None:
                if type(g) is list:
                    g = aggregate(g)
                    if key in source_ids:
                        grads[key] = g
                _accumulate(grads, id(v), g)
    out = []
    for s in sources:
        g = grads.get(id(s))
        if g is not None:
            if type(g) is list:
                g = aggregate(g)
            if (type(s) is not _Var or s._value.dtype not in _DIFF_NP) and \
                    not differentiable(s):
                g = None
        out.append(g)
    return out


def _seed(reach: set, targets: list, output_grads) -> dict:
    """The starting gradients: ones (or the given output gradients) for each target."""
    grads: dict = {}
    for i, t in enumerate(targets):
        key = id(t)
        if key not in reach or not differentiable(t):
            continue
        seed = output_grads[i] if output_grads is not None else None
        if seed is None:
            seed = _ones_like(t)
        _accumulate(grads, key, seed)
    return grads


def _accumulate(grads: dict, key: int, g) -> None:
    """Adds one gradient for tensor `key`: kept alone, or in a list summed when consumed."""
    prev = grads.get(key)
    if prev is None:
        grads[key] = g
    elif type(prev) is list:
        prev.append(g)
    else:
        grads[key] = [prev, g]


def _backward(relevant: list, reach: set, source_ids: set, grads: dict, frame) -> None:
    """Walks the records backwards, accumulating gradients in `grads` (id -> tensor, or a
    list of tensors still to be summed). One path for all ops: an op with one output (most,
    and every flat record) takes its gradient without building a list, and may end early (a
    variable read passes it on, a NumPy gradient in plain eager mode); then the op's
    gradient function runs (a flat record becomes an `OpRecord` for it)."""
    pop, get = grads.pop, grads.get
    plain = not _active  # no tape records this pass, no hook, no graph: numpy_grads serve
    for rec in reversed(relevant):
        flat = type(rec) is tuple  # (opdef, x, y, output, attrs): see the module docstring
        if flat:
            opdef, x, y, o, attrs = rec
        else:
            opdef, outs = rec.opdef, rec.outputs
        if flat or len(outs) == 1:
            if not flat:
                o = outs[0]
            key = id(o)
            g = pop(key, None)
            if g is None:
                continue
            if type(g) is list:
                g = aggregate(g)
            if key in source_ids:
                grads[key] = g  # kept for the result; the op's inputs get theirs below
            if opdef is _READ:  # the gradient of a read goes to the variable as it is
                key = id(rec.inputs[0])
                if key in reach:
                    prev = get(key)
                    if prev is None:
                        grads[key] = g
                    elif type(prev) is list:
                        prev.append(g)
                    else:
                        grads[key] = [prev, g]
                continue
            npg = opdef.numpy_grad  # (binary ops only)
            if npg is not None and plain and type(g) is _Eager:
                if not flat:
                    x, y = rec.inputs
                try:
                    vals = npg(x, y, g._value, reach)
                except FP_WARNINGS:  # a warning made an error: the general rule is quiet
                    vals = None
                if vals is not None:  # (both inputs written out: a loop costs W2 4%)
                    gx, gy = vals
                    if gx is not None and id(x) in reach:
                        key = id(x)
                        t = _new(_Eager)
                        t._value = gx
                        prev = get(key)
                        if prev is None:
                            grads[key] = t
                        elif type(prev) is list:
                            prev.append(t)
                        else:
                            grads[key] = [prev, t]
                    if gy is not None and id(y) in reach:
                        key = id(y)
                        t = _new(_Eager)
                        t._value = gy
                        prev = get(key)
                        if prev is None:
                            grads[key] = t
                        elif type(prev) is list:
                            prev.append(t)
                        else:
                            grads[key] = [prev, t]
                    continue
            if type(o) is _Eager:
                if o._value.dtype not in _DIFF_NP and o._value.dtype.name != "bfloat16":
                    continue
            elif not differentiable(o):
                continue
            if flat:
                rec = OpRecord(opdef, (x, y), attrs, (o,))
            dys = (g,)
        else:
            dys = _output_grads(outs, grads, source_ids)
            if dys is None:
                continue
        fn = opdef.grad
        if fn is None:
            continue
        if fn is MISSING_GRADIENT:
            raise _missing(rec)
        rec.reach = reach  # what needs_grad reads, without a thread-local lookup
        if frame is not None:
            frame.rec = rec
            in_grads = fn(rec, *dys)
            frame.after(rec, in_grads)
        else:
            in_grads = fn(rec, *dys)
        rec.reach = None
        if type(in_grads) is not tuple and type(in_grads) is not list:
            in_grads = (in_grads,)
        for x, g in zip(rec.inputs, in_grads):
            if g is not None:
                key = id(x)
                if key in reach:  # _accumulate, inlined on this hot path
                    prev = get(key)
                    if prev is None:
                        grads[key] = g
                    elif type(prev) is list:
                        prev.append(g)
                    else:
                        grads[key] = [prev, g]


def _missing(rec) -> LookupError:
    return LookupError(f"No gradient defined for operation '{rec.opdef.name}' (op type: "
                       f"{rec.opdef.name}).\nhint: wrap the computation in tf.stop_gradient, "
                       f"or give it a tf.custom_gradient.")


def _output_grads(outs: tuple, grads: dict, source_ids: set):
    """The output gradients of a multi-output op (zeros where only some outputs have one)."""
    dys = []
    any_grad = False
    for o in outs:
        key = id(o)
        g = grads.get(key) if key in source_ids else grads.pop(key, None)
        if g is not None:
            any_grad = True
            if type(g) is list:
                g = aggregate(g)
                if key in source_ids:
                    grads[key] = g
        dys.append(g)
    if not any_grad:
        return None
    return [(d if d is not None else zeros_like(o)) if differentiable(o) else None
            for d, o in zip(dys, outs)]


def aggregate(grads: list):
    """Sums the gradients that reached one tensor (one element: returned as it is)."""
    if len(grads) == 1:
        return grads[0]
    if not _active:
        a = grads[0]
        if len(grads) == 2 and type(a) is _Eager and type(grads[1]) is _Eager:
            return _wrap(a._value + grads[1]._value)
    dense = [g if not hasattr(g, "_to_dense") else g._to_dense() for g in grads]
    return execute(core_ops.AddN, tuple(dense))


__tf_names__ = {"tf": "UnconnectedGradients", "tf autodiff": "GradientTape"}
