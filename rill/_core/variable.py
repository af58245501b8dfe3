"""`tf.Variable`: mutable state that tapes watch and traced functions read and write.

A variable holds a NumPy array. Tensors read earlier keep their value: an update writes into
the array only when nothing else refers to it (no live tensor read from the variable, no view,
as TensorFlow's kernels check that a buffer's reference count is one), and otherwise replaces
it (copy-on-write). Reads and updates are ops (`ReadVariableOp`, `AssignVariableOp`, ...), so
a traced function records them in program order as stateful nodes; eagerly they run at once.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core import scopes as _scopes
from rill._core.convert import constant, convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.op import OpRecord, core_ops, defop, execute, record
from rill._core.tensor import EagerTensor, wrap
from rill._core.tensor_shape import TensorShape, as_shape

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_NO_ATTRS: dict = {}
_OBJECT = np.dtype(object)
_CREATED = itertools.count()  # creation order: what a tape's watched_variables() sorts by


class VariableAggregation:
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class VariableSynchronization:
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


# -- the ops ------------------------------------------------------------------------------
def _read_kernel(*, var):
    return var._value


def _read_rule(*, var):
    return var._shape, var.dtype


def _read_grad(op, dy):
    return (dy,)


READ_VARIABLE = defop("ReadVariableOp", _read_kernel, _read_rule, grad=_read_grad,
                      stateful=True, public_name="tf.Variable.read_value")
READ_VARIABLE.inline = "{var}._value"  # compiled code reads the attribute, without a call


def _check_update(var, value: np.ndarray, what: str) -> np.ndarray:
    cur = var._value
    if value.shape == cur.shape and value.dtype == cur.dtype:  # the common case, at once
        return value
    if value.dtype != cur.dtype:
        raise InvalidArgumentError(
            None, what,
            f"Variable.{what}: cannot assign a {_dtypes.from_numpy(value.dtype).name} value to "
            f"the {var.dtype.name} variable {var.name!r}.\n"
            f"hint: tf.cast the value to tf.{var.dtype.name} first.")
    if not var._shape.is_compatible_with(value.shape):
        raise ValueError(
            f"Variable.{what}: cannot assign a value of shape {tuple(value.shape)} to the "
            f"variable {var.name!r} of shape {var._shape}.\n"
            f"hint: reshape the value, or create the variable with shape=tf.TensorShape(None) "
            f"to allow any shape.")
    return value


def _assign_kernel(value, *, var):
    var._value = _check_update(var, value, "assign")
    return var._value


def _local_refs(holder) -> int:
    """The reference count `_add_delta` sees for an array only `holder._value` holds (the
    interpreter's own counting, measured the same way: an attribute, a local, the call)."""
    cur = holder._value
    return sys.getrefcount(cur)


class _Probe:
    pass


_probe = _Probe()
_probe._value = np.empty(1)
_SOLE = _local_refs(_probe)  # nothing but the variable (and the local) holds the array
del _probe


def _add_delta(var, delta, ufunc, what: str, op: str):
    cur = var._value
    if type(cur) is np.ndarray:
        if delta.shape == cur.shape and delta.dtype == cur.dtype:  # checked at once
            if sys.getrefcount(cur) == _SOLE and cur.base is None:
                try:  # nothing else refers to the array: write into it
                    return ufunc(cur, delta, out=cur)
                except ValueError:  # a read-only array: replaced below
                    pass
            var._value = new = ufunc(cur, delta)
            return new
    elif cur.dtype.kind in "fc" and delta.shape == () and delta.dtype == cur.dtype:
        # a float scalar (a metric's total, a step count) and a scalar or 0-d delta of its
        # dtype: NumPy's scalar math, the ufunc's result
        if type(delta) is np.ndarray:
            delta = delta[()]  # (scalar math: a 0-d array would take the ufunc's slow path)
        var._value = new = cur + delta if ufunc is np.add else cur - delta
        return new
    _check_delta(var, np.shape(delta), what, op)
    var._value = _check_update(var, ufunc(cur, delta), what)
    return var._value


def _assign_add_kernel(delta, *, var):
    return _add_delta(var, delta, np.add, "assign_add", "AssignAddVariableOp")


def _assign_sub_kernel(delta, *, var):
    return _add_delta(var, delta, np.subtract, "assign_sub", "AssignSubVariableOp")


def _dims_text(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _check_delta(var, shape: tuple, what: str, op: str) -> None:
    """assign_add/assign_sub take a delta of the variable's shape exactly (no
    broadcasting), as TensorFlow's kernels do."""
    have = np.shape(var._value)
    if tuple(shape) != have:
        raise InvalidArgumentError(
            None, op, f"Cannot update variable with shape {_dims_text(have)} using a Tensor "
            f"with shape {_dims_text(shape)}, shapes must be equal. [Op:{op}]\n"
            f"Variable.{what} of {var.name!r}: the delta must have the variable's shape "
            f"(it is not broadcast).\nhint: pass a delta of shape {list(have)}, e.g. "
            f"tf.ones_like(v) * d or tf.broadcast_to(d, v.shape).")


def _update_rule(value, *, var, **attrs):
    return var._shape, var.dtype


def _delta_rule(delta, *, var):
    """assign_add/assign_sub while tracing: the delta's static shape must equal the
    variable's (TensorFlow's shape function says so at trace time)."""
    got, have = delta.shape, var._shape
    if got.rank is not None and have.rank is not None:
        if got.rank != have.rank:
            raise ValueError(f"Shapes must be equal rank, but are {have.rank} and {got.rank}\n"
                             f"Variable {var.name!r} has shape {have} and the delta {got}.\n"
                             f"hint: pass a delta of the variable's shape (it is not "
                             f"broadcast).")
        for i, (a, b) in enumerate(zip(have.as_list(), got.as_list())):
            if a is not None and b is not None and a != b:
                raise ValueError(
                    f"Dimension {i} in both shapes must be equal, but are {a} and {b}. Shapes "
                    f"are {_dims_text(have.as_list())} and {_dims_text(got.as_list())}.\n"
                    f"Variable {var.name!r} cannot be updated by a delta of shape {got}.\n"
                    f"hint: pass a delta of the variable's shape (it is not broadcast).")
    return var._shape, var.dtype


def _check_scatter(indices, updates, var, what: str, rows: bool):
    """TensorFlow's checks of a scatter into a variable: indices in range, updates' shape."""
    shape = var._value.shape
    op = "ResourceScatterUpdate" if rows else "ResourceScatterNdUpdate"
    k = 1 if rows else (indices.shape[-1] if indices.ndim else 0)
    coords = indices[..., None] if rows else indices
    if coords.ndim == 0 or k > len(shape):
        raise InvalidArgumentError(
            None, op, f"Variable.{what}: index innermost dimension length must be <= the "
            f"variable's rank; saw {k} vs. {len(shape)} [Op:{op}]\nhint: each row of indices "
            f"is a coordinate into the leading dimensions of the variable {var.name!r}.")
    bad = (coords < 0) | (coords >= np.array(shape[:k], dtype=np.int64))
    if bad.any():
        pos = np.argwhere(bad.any(-1))[0]
        raise InvalidArgumentError(
            None, op, f"Variable.{what}: indices[{','.join(map(str, pos.tolist()))}] = "
            f"{coords[tuple(pos)].tolist()} does not index into shape {list(shape)} "
            f"[Op:{op}]\nhint: indices must lie in [0, dim) of the variable {var.name!r}.")
    want = coords.shape[:-1] + shape[k:]
    if np.shape(updates) != want:
        raise InvalidArgumentError(
            None, op, f"Variable.{what}: updates has shape {list(np.shape(updates))} but "
            f"indices of shape {list(indices.shape)} into the variable of shape {list(shape)} "
            f"need updates of shape {list(want)} [Op:{op}]\nhint: give one update slice per "
            f"index.")
    return tuple(np.moveaxis(coords, -1, 0))


def _scatter_nd(indices, updates, *, var, mode, rows=False):
    idx = _check_scatter(np.asarray(indices), updates, var,
                         f"scatter_{mode}" if rows else f"scatter_nd_{mode}", rows)
    new = np.array(var._value, copy=True)
    if mode == "update":
        new[idx] = updates
    elif mode == "add":
        np.add.at(new, idx, updates)
    elif mode == "sub":
        np.subtract.at(new, idx, updates)
    elif mode == "max":
        np.maximum.at(new, idx, updates)
    elif mode == "min":
        np.minimum.at(new, idx, updates)
    var._value = new
    return new


def _scatter(indices, updates, *, var, mode):
    return _scatter_nd(indices, updates, var=var, mode=mode, rows=True)


def _scatter_rule(indices, updates, *, var, **attrs):
    return var._shape, var.dtype


class KeyInput:
    """In a static index key (the `key` attribute of StridedSlice and
    ResourceStridedSliceAssign), the integer given by the op's extra scalar input `i`."""

    __slots__ = ("i",)

    def __init__(self, i: int):
        self.i = i

    def __eq__(self, other):
        return type(other) is KeyInput and other.i == self.i

    def __hash__(self):
        return hash((KeyInput, self.i))

    def __repr__(self):
        return f"<index input {self.i}>"


def resolve_key(key: tuple, dyn) -> tuple:
    """The NumPy index for a key whose KeyInput parts take their values from `dyn`."""
    out = []
    for k in key:
        if type(k) is KeyInput:
            k = int(dyn[k.i])
        elif type(k) is slice:
            k = slice(*(int(dyn[v.i]) if type(v) is KeyInput else v
                        for v in (k.start, k.stop, k.step)))
        out.append(k)
    return tuple(out)


def key_text(key: tuple) -> str:
    """`[1:, ..., None]` for a key, as the user wrote it."""
    def one(k):
        if k is Ellipsis:
            return "..."
        if type(k) is slice:
            text = ":".join("" if v is None else str(v) for v in (k.start, k.stop))
            return text if k.step is None else f"{text}:{k.step}"
        return "tf.newaxis" if k is None else repr(k)
    return "[" + ", ".join(one(k) for k in key) + "]"


def _slice_assign(value, *dyn, var, key):
    if dyn:
        key = resolve_key(key, dyn)
    where = f"{var.name!r}{key_text(key)}"
    if value.dtype != var._value.dtype:
        raise InvalidArgumentError(
            None, "ResourceStridedSliceAssign",
            f"Cannot assign a {_dtypes.from_numpy(value.dtype).name} value to {where} of the "
            f"{var.dtype.name} variable [Op:ResourceStridedSliceAssign]\n"
            f"hint: tf.cast the value to tf.{var.dtype.name} first.")
    new = np.array(var._value, copy=True)
    try:
        target = np.shape(new[key])
    except (IndexError, ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            None, "ResourceStridedSliceAssign",
            f"Invalid index {key_text(key)} for the variable {var.name!r} of shape "
            f"{var._shape}: {exc} [Op:ResourceStridedSliceAssign]\nhint: index variables as "
            f"tensors: ints within each dimension, slices, `...` and tf.newaxis.") from None
    try:
        if np.broadcast_shapes(np.shape(value), target) != target:
            raise ValueError
        new[key] = value
    except ValueError:
        raise InvalidArgumentError(
            None, "ResourceStridedSliceAssign",
            f"Cannot broadcast input shape {list(np.shape(value))} into final shape "
            f"{list(target)} when assigning to {where} [Op:ResourceStridedSliceAssign]\n"
            f"hint: give a value of shape {list(target)}, or one that broadcasts to it."
        ) from None
    var._value = new
    return new


ASSIGN = defop("AssignVariableOp", _assign_kernel, _update_rule, grad=None, stateful=True,
               public_name="tf.Variable.assign")
ASSIGN_ADD = defop("AssignAddVariableOp", _assign_add_kernel, _delta_rule, grad=None,
                   stateful=True, public_name="tf.Variable.assign_add")
ASSIGN_SUB = defop("AssignSubVariableOp", _assign_sub_kernel, _delta_rule, grad=None,
                   stateful=True, public_name="tf.Variable.assign_sub")
for _update_op in (ASSIGN_ADD, ASSIGN_SUB):
    # compiled code deletes its dead values before these ops, so that _sole_array sees
    # whether a live one still refers to the variable's array
    _update_op.writes_in_place = True
SCATTER_ND = defop("ResourceScatterNdUpdate", _scatter_nd, _scatter_rule, grad=None,
                   stateful=True, public_name="tf.Variable.scatter_nd_update")
SCATTER = defop("ResourceScatterUpdate", _scatter, _scatter_rule, grad=None, stateful=True,
                public_name="tf.Variable.scatter_update")
SLICE_ASSIGN = defop("ResourceStridedSliceAssign", _slice_assign,
                     lambda value, *dyn, var, key: (var._shape, var.dtype), grad=None,
                     stateful=True, public_name="tf.Variable.__getitem__(...).assign")


class Variable:
    """A tensor-like whose value can change (`tf.Variable`).

    >>> v = tf.Variable([[1., 2.], [3., 4.]])
    >>> v.assign(2 * v)[0, 1].numpy()
    4.0
    """

    _is_variable = True
    __array_priority__ = 100

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None, synchronization=0, aggregation=0,
                 shape=None, experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("The initial value must be specified.")
        if _active and _state.graphs:  # created while tracing: lifted out, initialized now
            initial_value = _state.graphs[-1].lift_variable(self, initial_value)
        elif callable(initial_value) and not hasattr(initial_value, "dtype"):
            initial_value = initial_value()
        if hasattr(initial_value, "_is_variable"):
            initial_value = initial_value._value
        t = constant(initial_value, dtype=dtype) if not isinstance(initial_value, EagerTensor) \
            else initial_value
        if dtype is not None and t.dtype != _dtypes.as_dtype(dtype):
            t = wrap(np.asarray(t._value).astype(_dtypes.as_dtype(dtype)._np))
        self._value = np.array(t._value, copy=True) if isinstance(t._value, np.ndarray) \
            else np.asarray(t._value).copy()
        self._initial = self._value  # updates replace _value, never mutate it
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable, got {constraint!r}.")
        self._constraint = constraint
        self._trainable = True if trainable is None else bool(trainable)
        if synchronization == VariableSynchronization.ON_READ and trainable is None:
            self._trainable = False
        self._shape = as_shape(shape) if shape is not None else TensorShape(self._value.shape)
        if validate_shape and shape is not None and not self._shape.is_compatible_with(
                self._value.shape):
            raise ValueError(f"The initial value's shape {self._value.shape} is not compatible "
                             f"with the explicitly supplied `shape` argument {self._shape}.")
        self._name = _scopes.name_prefix() + (
            (name or "Variable") + ":0" if not (name or "").endswith(":0") else name)
        self._aggregation = aggregation
        self._synchronization = synchronization
        self._created = next(_CREATED)

    # -- properties ----------------------------------------------------------------------
    @property
    def dtype(self) -> _dtypes.DType:
        return _dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def ndim(self):
        return self._shape.rank

    def get_shape(self) -> TensorShape:
        return self._shape

    @property
    def name(self) -> str:
        return self._name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    @property
    def device(self) -> str:
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def handle(self):
        return self

    @property
    def initial_value(self):
        return wrap(self._initial)

    def ref(self):
        from rill._core.tensor import Reference
        return Reference(self)

    experimental_ref = ref

    # -- reading -------------------------------------------------------------------------
    def value(self):
        """The current value as a tensor (recorded on tapes that watch this variable)."""
        if _active:
            graphs, tapes, _ = _state.lists
            if graphs:
                return graphs[-1].read_variable(self)
            return self._eager_read(tapes, False)
        v = self._value
        if not v.ndim and v.dtype is not _OBJECT:  # rank 0: a NumPy scalar (scalar math)
            v = v[()]
        t = object.__new__(EagerTensor)
        t._value = v
        return t

    read_value = value

    def sparse_read(self, indices, name=None):
        """The rows of the variable at `indices` (`tf.gather(v, indices)`, read as one op;
        its gradient is a tf.IndexedSlices).

        >>> tf.Variable([1.0, 2.0, 3.0]).sparse_read([2, 0]).numpy()
        array([3., 1.], dtype=float32)
        """
        return execute(core_ops.GatherV2, (self.value(), convert_to_tensor(indices)),
                       {"axis": 0, "batch_dims": 0})

    def _eager_read(self, tapes, shared: bool = True):
        """`value()` for eager code that has looked up this thread's tapes. `shared`: an
        op's own read, which never reaches user code, so reads of an unchanged value may share
        one tensor; a tensor handed to the user (`value()`) is its own, as in TensorFlow
        (`tape.gradient(y, read)` counts the uses of that read alone)."""
        a = self._value
        if tapes and len(tapes) == 1:  # `_record_read` inlined for the common case
            tape = tapes[0]
            reads = tape._reads  # this tape's reads of unchanged values: one record each
            if reads is not None and shared:
                seen = reads.get(id(self))
                if seen is not None and seen[2] is a:
                    return seen[1]
            t = object.__new__(EagerTensor)
            t._value = a[()] if not a.ndim and a.dtype is not _OBJECT else a
            ids = tape._ids
            key = id(self)
            if key not in ids:
                tape._variable_accessed(self)
                if key not in ids:
                    return t
            ids.add(id(t))
            if reads is None:
                tape._records.append(OpRecord(READ_VARIABLE, (self,), _NO_ATTRS, (t,)))
            else:  # a GradientTape: the read tensor stands for the variable, without a record
                entry = (self, t, a)
                if shared:
                    reads[key] = entry
                tape._aliases.append(entry)
            return t
        t = object.__new__(EagerTensor)
        t._value = a[()] if not a.ndim and a.dtype is not _OBJECT else a
        if tapes:
            self._record_read(t, tapes)
        return t

    def _record_read(self, t, tapes=None) -> None:
        if tapes is None:
            tapes = _state.tapes
        key = id(self)
        if len(tapes) == 1:  # the common case, without the loop
            tape = tapes[0]
            ids = tape._ids
            if key not in ids:
                tape._variable_accessed(self)
                if key not in ids:
                    return
            tape._records.append(OpRecord(READ_VARIABLE, (self,), _NO_ATTRS, (t,)))
            ids.add(id(t))
            return
        rec = None
        for tape in tapes:
            ids = tape._ids
            if key not in ids:
                tape._variable_accessed(self)
                if key not in ids:
                    continue
            if rec is None:
                rec = OpRecord(READ_VARIABLE, (self,), _NO_ATTRS, (t,))
            tape._records.append(rec)
            ids.add(id(t))

    def numpy(self):
        v = self._value
        return v[()] if v.ndim == 0 else v.copy()

    def __array__(self, dtype=None, copy=None):
        # a copy, so the caller cannot write into the variable; rank-0 values may be NumPy
        # scalars, which np.array turns into arrays
        return np.array(self._value, dtype=dtype)

    def __bool__(self):
        return bool(self.value())

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __index__(self):
        return self.value().__index__()

    def __len__(self):
        return len(self.value())

    def __iter__(self):
        return iter(self.value())

    def __hash__(self):
        raise TypeError("Variable is unhashable. Instead, use variable.ref() as the key.")

    def __format__(self, spec):
        return format(self.value(), spec)

    def __repr__(self) -> str:
        from rill._core.tensor import _numpy_repr
        shape = "(" + ", ".join(str(d) for d in self._value.shape) + \
            ("," if self._value.ndim == 1 else "") + ")"
        return (f"<tf.Variable '{self._name}' shape={shape} dtype={self.dtype.name}, "
                f"numpy={_numpy_repr(self._value)}>")

    def __str__(self) -> str:
        return repr(self)

    def __deepcopy__(self, memo):
        return Variable(self._value.copy(), trainable=self._trainable, name=self._name[:-2],
                        constraint=self._constraint, shape=self._shape)

    def __reduce__(self):
        return _rebuild_variable, (self._value, self._trainable, self._name[:-2])

    # -- updating ------------------------------------------------------------------------
    def _update(self, opdef, inputs: tuple, attrs: dict | None = None):
        attrs = {"var": self, **(attrs or {})}
        if _active and _state.graphs:
            _state.graphs[-1].on_variable_used(self)
            execute(opdef, inputs, attrs)
            return _unread(self)
        opdef.kernel(*[x._value for x in inputs], **attrs)
        return _unread(self)

    def _convert(self, value, what: str):
        if hasattr(value, "_is_variable") or isinstance(value, EagerTensor) or \
                type(value).__name__ == "GraphTensor":
            t = convert_to_tensor(value)
            if t.dtype != self.dtype:
                raise InvalidArgumentError(
                    None, what, f"Variable.{what}: cannot use a {t.dtype.name} value to update "
                    f"the {self.dtype.name} variable {self._name!r}.\n"
                    f"hint: tf.cast(value, tf.{self.dtype.name}).")
            return t
        if hasattr(value, "_as_tensor"):
            return self._convert(value._as_tensor(), what)
        return convert_to_tensor(value, dtype=self.dtype)

    def _eager_update(self, opdef, value, what: str):
        """assign/assign_add/assign_sub: eagerly, a tensor of the variable's dtype (or a
        Python number for a float variable) goes straight to the kernel."""
        if not (_active and _state.graphs):
            kind = type(value)
            if kind is EagerTensor:
                v = value._value
                if v.dtype == self._value.dtype:
                    opdef.kernel(v, var=self)
                    return _unread(self)
            elif (kind is float or kind is int) and self._value.dtype.kind == "f":
                opdef.kernel(self._value.dtype.type(value), var=self)
                return _unread(self)
        return self._update(opdef, (self._convert(value, what),))

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Replaces the value. Returns the variable as TensorFlow does, a view printed as
        'UnreadVariable' whose reads see the variable's current value (None with
        `read_value=False`)."""
        out = self._eager_update(ASSIGN, value, "assign")
        return out if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        out = self._eager_update(ASSIGN_ADD, delta, "assign_add")
        return out if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        out = self._eager_update(ASSIGN_SUB, delta, "assign_sub")
        return out if read_value else None

    def _scatter_nd(self, indices, updates, mode):
        idx = convert_to_tensor(indices)
        if not idx.dtype.is_integer:
            raise TypeError(f"scatter_nd_{mode}: indices must be integers, got "
                            f"{idx.dtype.name}.")
        return self._update(SCATTER_ND, (idx, self._convert(updates, f"scatter_nd_{mode}")),
                            {"mode": mode})

    def scatter_nd_update(self, indices, updates, name=None):
        """Sets the elements at `indices` (each a full index into the variable)."""
        return self._scatter_nd(indices, updates, "update")

    def scatter_nd_add(self, indices, updates, name=None):
        return self._scatter_nd(indices, updates, "add")

    def scatter_nd_sub(self, indices, updates, name=None):
        return self._scatter_nd(indices, updates, "sub")

    def scatter_nd_max(self, indices, updates, name=None):
        return self._scatter_nd(indices, updates, "max")

    def scatter_nd_min(self, indices, updates, name=None):
        return self._scatter_nd(indices, updates, "min")

    def _scatter_slices(self, sparse_delta, mode):
        if not hasattr(sparse_delta, "indices") or not hasattr(sparse_delta, "values"):
            raise TypeError(f"scatter_{mode} takes a tf.IndexedSlices, got "
                            f"{type(sparse_delta).__name__}.\nhint: "
                            f"tf.IndexedSlices(values, indices).")
        idx = convert_to_tensor(sparse_delta.indices)
        return self._update(SCATTER, (idx, self._convert(sparse_delta.values,
                                                         f"scatter_{mode}")), {"mode": mode})

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Sets rows `sparse_delta.indices` to `sparse_delta.values`."""
        return self._scatter_slices(sparse_delta, "update")

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        return self._scatter_slices(sparse_delta, "add")

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        return self._scatter_slices(sparse_delta, "sub")

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        return self._scatter_slices(sparse_delta, "max")

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        return self._scatter_slices(sparse_delta, "min")

    def batch_scatter_update(self, sparse_delta, use_locking=False, name=None):
        return self.scatter_update(sparse_delta)

    def __setitem__(self, key, value):
        raise TypeError("'ResourceVariable' object does not support item assignment\n"
                        "hint: use v[...].assign(value), e.g. v[0, 1].assign(42).")

    def __getitem__(self, key):
        sliced = self.value()[key]
        if isinstance(sliced, EagerTensor):
            view = object.__new__(VariableSlice)
            view._value = sliced._value
            view._var = self
            view._key = key
            if _active and _state.tapes:  # the caller uses the view: gradients flow through it
                record(core_ops.Identity, (sliced,), _NO_ATTRS, (view,))
            return view
        return _GraphSlice(sliced, self, key)

    def _slice_assign(self, key, value, dyn: tuple = ()):
        t = convert_to_tensor(value, dtype=self.dtype) if not isinstance(value, EagerTensor) \
            else value
        if not dyn:
            key = _freeze_key(key)
        return self._update(SLICE_ASSIGN, (t, *dyn), {"key": key})

    def set_shape(self, shape):
        self._shape = self._shape.merge_with(shape)

    def to_proto(self, export_scope=None):
        raise NotImplementedError("rill variables have no protocol-buffer form.")


class UnreadVariable(Variable):
    """What `assign`, `assign_add`, `scatter_*` and slice assignment return (TensorFlow's
    `_UnreadVariable`): the same variable under another name. Its reads, updates and
    printing go to the variable as it is now, so `v.assign(x).assign_add(y)` chains.

    >>> v = tf.Variable([1., 2.])
    >>> v.assign([3., 4.])
    <tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, numpy=array([3., 4.], dtype=float32)>
    """

    __slots__ = ("_var",)  # no per-object dict to allocate: one is made per update
    _name = "UnreadVariable"

    def __init__(self, var: Variable):  # never called: see _unread
        self._var = var

    @property
    def _value(self):
        return self._var._value

    @_value.setter
    def _value(self, value):
        self._var._value = value

    def __getattr__(self, name: str):  # _shape, _trainable, _constraint, ...
        return getattr(self._var, name)

    def value(self):
        return self._var.value()

    read_value = value

    def _update(self, opdef, inputs: tuple, attrs: dict | None = None):
        return self._var._update(opdef, inputs, attrs)

    def _eager_update(self, opdef, value, what: str):
        return self._var._eager_update(opdef, value, what)

    def _slice_assign(self, key, value, dyn: tuple = ()):
        return self._var._slice_assign(key, value, dyn)

    def __getitem__(self, key):
        return self._var[key]

    def ref(self):
        return self._var.ref()

    experimental_ref = ref

    def __deepcopy__(self, memo):
        return self._var.__deepcopy__(memo)

    def __reduce__(self):
        return self._var.__reduce__()


_new_unread = object.__new__


def _unread(var: Variable) -> UnreadVariable:
    u = _new_unread(UnreadVariable)
    u._var = var
    return u


def _freeze_key(key):
    """Makes a NumPy index out of Python/tensor index parts (kept as a graph attribute)."""
    if not isinstance(key, tuple):
        key = tuple(key) if isinstance(key, list) else (key,)  # a list reads as a tuple
    out = []
    for k in key:
        if isinstance(k, EagerTensor):
            k = k._value.item() if k._value.ndim == 0 else k._value
        elif isinstance(k, slice):
            k = slice(*(int(v) if isinstance(v, EagerTensor) else v
                        for v in (k.start, k.stop, k.step)))
        out.append(k)
    return tuple(out)


class VariableSlice(EagerTensor):
    """A slice read from a variable; `assign` writes the slice back (`v[0, 1].assign(42)`)."""

    __slots__ = ("_var", "_key")

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return self._var._slice_assign(self._key, value)


class _GraphSlice:
    """The slice of a variable while tracing: forwards to the symbolic tensor, adds assign."""

    def __init__(self, tensor, var, key):
        self._tensor, self._var, self._key = tensor, var, key

    def assign(self, value, use_locking=None, name=None, read_value=True):
        op = self._tensor.op
        if op.type == "StridedSlice":  # the parsed key, symbolic indices as extra inputs
            return self._var._slice_assign(op.attrs["key"], value, tuple(op.inputs[1:]) or ())
        return self._var._slice_assign(self._key, value)

    def _as_tensor(self):
        return self._tensor

    def __getattr__(self, name):
        return getattr(self._tensor, name)


def _forward(name: str):
    return lambda self, *args: getattr(self._tensor, name)(*args)


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__",
              "__abs__", "__invert__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
              "__rxor__", "__lt__", "__le__", "__gt__", "__ge__", "__getitem__", "__iter__",
              "__len__", "__bool__", "__array__"):
    setattr(_GraphSlice, _name, _forward(_name))


def _rebuild_variable(value, trainable, name):
    return Variable(value, trainable=trainable, name=name)


__tf_names__ = {"tf": "Variable VariableAggregation VariableSynchronization"}
