"""Iterators over datasets: eager (`iter(ds)`, `next`, `get_next`), checkpointable state,
and iteration inside `tf.function`.

Eager: an `OwnedIterator` pulls flat tuples of NumPy values from the dataset's chain of
generators and packs them into the element structure. Dropping it closes the chain, which
stops any background threads (prefetch, parallel map) at their next hand-off.

State (`_save()`/`_restore(state)`): the number of elements produced and the seeds every
random transformation drew (a shuffle draws one per epoch). Restoring rebuilds the pipeline
with the same seeds and replays that many elements, so the next element is the one that
would have come; this costs the replayed work and assumes the user's functions are
deterministic. `tf.train.Checkpoint` (issue 10) is to call these hooks.

In a tf.function: a `for x in ds` becomes a graph loop (autograph calls
`Dataset._autograph_for_stmt`): an `AnonymousIteratorV3` op makes a fresh iterator on every
call, the loop pulls elements with `IteratorGetNextAsOptional` until there are none, and
`DeleteIterator` drops it. `iter(ds)` and `next(it)` in a traced function become the same
ops, and `next` on an iterator made outside pulls from it on every call (at the end:
`tf.errors.OutOfRangeError`). The Python pipeline runs inside the ops' kernels.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.errors import OutOfRangeError
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.data import _structure as S
from rill.data.dataset import _walk

_state = _context.state
_active = _context.active


class Context:
    """What one iteration of a pipeline shares: the seeds of its random nodes (restored from
    a saved state when there is one) and the closers of its background threads.

    A random node draws one base seed per iterator (`[seed, seed2, n]`, n counting the
    iterators it served); its epochs within the iterator (under `repeat`) add their number,
    so a restored iterator, given the saved base seeds, repeats every later epoch too."""

    def __init__(self, root, seeds=None):
        self._keys = {id(n): i for i, n in enumerate(_walk(root))}
        self.seeds: dict = {int(k): [int(x) for x in v] for k, v in (seeds or {}).items()}
        self._uses: dict = {}
        self._lock = threading.Lock()
        self.closers: list = []

    def seed(self, node) -> list:
        """The seed of one epoch of a random node."""
        key = self._keys.get(id(node), ("unsaved", id(node)))
        with self._lock:
            base = self.seeds.get(key)
            if base is None:
                base = self.seeds[key] = list(node._draw_seed())
            k = self._uses.get(key, 0)
            self._uses[key] = k + 1
        return base + [k] if node._reseed else base

    def rng(self, node) -> np.random.Generator:
        return np.random.default_rng([int(x) & 0xFFFFFFFFFFFFFFFF for x in self.seed(node)])

    def close(self) -> None:
        for c in self.closers:
            c()
        self.closers.clear()


class OwnedIterator:
    """An iterator over a dataset (`tf.data.Iterator`).

    >>> it = iter(tf.data.Dataset.range(2))
    >>> int(next(it)), int(it.get_next())
    (0, 1)
    """

    def __init__(self, dataset, numpy: bool = False):
        self._dataset = dataset
        self._numpy = numpy
        self._pack = S.packer(dataset.element_spec, numpy)
        self._ctx = None
        self._start(None)

    def _start(self, seeds) -> None:
        if self._ctx is not None:
            self._close()
        self._ctx = Context(self._dataset, seeds)
        self._gen = self._dataset._iterate(self._ctx)
        self._count = 0

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __iter__(self):
        return self

    def __next__(self):
        if _active and _state.graphs:
            return _graph_next(self._dataset.element_spec, None, self)
        x = next(self._gen)
        self._count += 1
        if type(x) is S.Error:
            x.raise_()
        return self._pack(x)

    def _next_flat(self):
        """The next element as a flat tuple of NumPy values (StopIteration at the end)."""
        x = next(self._gen)
        self._count += 1
        if type(x) is S.Error:
            x.raise_()
        return x

    def get_next(self):
        """The next element; `tf.errors.OutOfRangeError` at the end."""
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError(None, "IteratorGetNext", "End of sequence") from None

    def get_next_as_optional(self):
        """The next element as a `tf.experimental.Optional` (empty at the end)."""
        try:
            return Optional(next(self), self.element_spec)
        except StopIteration:
            return Optional(None, self.element_spec)

    # -- checkpoint hooks ----------------------------------------------------------------------
    def _save(self) -> dict:
        """The iterator's position: elements produced and the base seeds of its random
        nodes (plain ints, so any serializer can store it)."""
        return {"elements": self._count,
                "seeds": {str(k): list(map(int, v)) for k, v in self._ctx.seeds.items()
                          if type(k) is int}}

    def _restore(self, state: dict) -> None:
        """Moves to a position saved by `_save` (of an iterator of the same pipeline)."""
        self._start(state.get("seeds"))
        for _ in range(int(state["elements"])):
            try:
                next(self._gen)
            except StopIteration:
                break
            self._count += 1

    def _close(self) -> None:
        ctx, gen = self._ctx, getattr(self, "_gen", None)
        if ctx is not None:
            ctx.close()
        if gen is not None:
            try:
                gen.close()
            except Exception:  # noqa: BLE001 - closing must not raise in __del__
                pass

    def __del__(self):
        try:
            self._close()
        except Exception:  # noqa: BLE001
            pass

    def __repr__(self) -> str:
        return f"<rill.data.OwnedIterator element_spec={self.element_spec!r}>"


Iterator = OwnedIterator


class Optional:
    """A value that may be absent (`tf.experimental.Optional`)."""

    def __init__(self, value, element_spec):
        self._value = value
        self._spec = element_spec

    @staticmethod
    def from_value(value):
        return Optional(value, S.map_structure(lambda x: x, value))

    @staticmethod
    def empty(element_spec):
        return Optional(None, element_spec)

    def has_value(self):
        return S._wrap(np.bool_(self._value is not None))

    def get_value(self):
        if self._value is None:
            from rill._core.errors import InvalidArgumentError
            raise InvalidArgumentError(None, "OptionalGetValue",
                                       "The optional does not have a value.")
        return self._value

    @property
    def element_spec(self):
        return self._spec


def make_iterator(dataset):
    if _active and _state.graphs:
        return GraphIterator(dataset)
    return OwnedIterator(dataset)


# -- graph ops ----------------------------------------------------------------------------------
_TABLE: OrderedDict = OrderedDict()  # handle -> OwnedIterator made by AnonymousIteratorV3
_HANDLES = itertools.count(1)
_TABLE_LIMIT = 1024
_table_lock = threading.Lock()


def _create_kernel(*, dataset):
    h = next(_HANDLES)
    it = OwnedIterator(dataset, numpy=True)
    with _table_lock:
        _TABLE[h] = it
        while len(_TABLE) > _TABLE_LIMIT:  # iterators of loops that never finished
            _TABLE.popitem(last=False)
    return np.int64(h)


def _lookup(handle, iterator):
    if iterator is not None:
        return iterator
    it = _TABLE.get(int(handle))
    if it is None:
        raise OutOfRangeError(None, "IteratorGetNext", "End of sequence (the iterator was "
                              "deleted)")
    return it


def _zeros(specs) -> tuple:
    return tuple(np.zeros([d or 0 for d in s.shape.as_list()], s.dtype._np)
                 if s.dtype is not _dtypes.string else
                 np.full([d or 0 for d in s.shape.as_list()], b"", object) for s in specs)


def _get_next_kernel(*handle, specs, iterator=None):
    it = _lookup(handle[0] if handle else None, iterator)
    try:
        x = it._next_flat()
    except StopIteration:
        raise OutOfRangeError(None, "IteratorGetNext", "End of sequence") from None
    return tuple(x)


def _get_optional_kernel(*handle, specs, iterator=None):
    it = _lookup(handle[0] if handle else None, iterator)
    try:
        x = it._next_flat()
    except StopIteration:
        if handle:
            with _table_lock:
                _TABLE.pop(int(handle[0]), None)
        return (np.bool_(False),) + _zeros(specs)
    return (np.bool_(True),) + tuple(x)


def _delete_kernel(handle):
    with _table_lock:
        it = _TABLE.pop(int(handle), None)
    if it is not None:
        it._close()
    return ()


def _spec_rule(*handle, specs, iterator=None):
    return [(s.shape, s.dtype) for s in specs]


CREATE = defop("AnonymousIteratorV3", _create_kernel,
               lambda *, dataset: (TensorShape([]), _dtypes.int64), grad=None,
               stateful=True, public_name="iter(dataset)")
GET_NEXT = defop("IteratorGetNext", _get_next_kernel, _spec_rule, grad=None, num_outputs=None,
                 stateful=True, public_name="next(iterator)")
GET_OPTIONAL = defop("IteratorGetNextAsOptional", _get_optional_kernel,
                     lambda *h, specs, iterator=None: [(TensorShape([]), _dtypes.bool)] +
                     _spec_rule(specs=specs), grad=None, num_outputs=None, stateful=True,
                     public_name="for x in dataset")
DELETE = defop("DeleteIterator", _delete_kernel, lambda handle: [], grad=None, num_outputs=0,
               stateful=True, public_name="iterator deletion")


def _check_specs(structure) -> tuple:
    specs = tuple(S.flatten(structure))
    for s in specs:
        if not hasattr(s, "dtype"):
            raise TypeError(f"a dataset with a {type(s).__name__} component cannot be iterated "
                            f"inside a tf.function in rill.\nhint: iterate it eagerly.")
    return specs


def _graph_next(structure, handle, iterator):
    specs = _check_specs(structure)
    ins = () if handle is None else (handle,)
    out = execute(GET_NEXT, ins, {"specs": specs, "iterator": iterator})
    return S.pack(structure, list(out))


class GraphIterator:
    """`iter(ds)` inside a tf.function: a fresh iterator on every call of the function."""

    def __init__(self, dataset):
        _check_specs(dataset.element_spec)
        self._dataset = dataset
        self._handle = execute(CREATE, (), {"dataset": dataset})

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __iter__(self):
        return self

    def __next__(self):
        return _graph_next(self._dataset.element_spec, self._handle, None)

    def get_next(self):
        return next(self)

    def _autograph_for_stmt(self, extra_test, body, values, names, options):
        return _graph_loop(self._dataset.element_spec, (self._handle,), None, extra_test,
                           body, values, names, options)


def for_stmt(source, extra_test, body, values, names, options):
    """A `for` over a dataset (or an eager iterator) in converted code."""
    if not (_active and _state.graphs):
        for x in source:
            if extra_test is not None and not extra_test(*values):
                break
            values = body(x, *values)
        return values
    structure = source.element_spec
    _check_specs(structure)
    if isinstance(source, OwnedIterator):
        return _graph_loop(structure, (), source, extra_test, body, values, names, options)
    handle = execute(CREATE, (), {"dataset": source})
    out = _graph_loop(structure, (handle,), None, extra_test, body, values, names, options)
    execute(DELETE, (handle,), {})
    return out


def _graph_loop(structure, handle: tuple, iterator, extra_test, body, values, names, options):
    from rill.function.autograph import operators as ag
    from rill.ops import math_ops

    specs = _check_specs(structure)
    attrs = {"specs": specs, "iterator": iterator}
    first = execute(GET_OPTIONAL, handle, attrs)
    n = len(specs)

    def test(has, *rest):
        if extra_test is None:
            return has
        go = extra_test(*rest[n:])
        if ag.is_graph_tensor(go):
            return math_ops.logical_and(has, go)
        return has if go else False

    def step(has, *rest):
        new = body(S.pack(structure, list(rest[:n])), *rest[n:])
        nxt = execute(GET_OPTIONAL, handle, attrs)
        return (*nxt, *new)

    opts = dict(options or {})
    inv = list(opts.get("shape_invariants") or ())
    inv += [(t, s.shape) for t, s in zip(first[1:], specs)]
    opts["shape_invariants"] = inv
    labels = ("<has element>",) + tuple(f"<element {i}>" for i in range(n)) + tuple(names)
    out = ag._tf_loop(test, step, (*first, *values), labels, opts, "for")
    return tuple(out[n + 1:])
