"""`tf.queue`: FIFOQueue, RandomShuffleQueue, PriorityQueue and PaddingFIFOQueue.

A queue holds elements (tuples of NumPy arrays, one per component) behind one
`threading.Condition`: enqueues block while it is full, dequeues while it has too few
elements, across Python threads. `close()` wakes everyone: enqueues then fail with
CancelledError, dequeues that cannot be served with OutOfRangeError. Blocking methods take
an optional `timeout` in seconds (a rill extension; TensorFlow has a session-wide one) and
raise DeadlineExceededError when it passes.

Every method is a stateful op, so queues work inside `tf.function` too (the op runs each time
the compiled function runs).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import (
    CancelledError,
    DeadlineExceededError,
    InvalidArgumentError,
    OutOfRangeError,
)
from rill._core.op import defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops._util import to_tensor

_ids = itertools.count()


# -- ops ------------------------------------------------------------------------------------
def _enqueue_kernel(*components, queue, many, timeout):
    queue._put(components, many, timeout)
    return ()


def _dequeue_kernel(*n, queue, mode, timeout):
    return queue._take(int(n[0]) if n else None, mode, timeout)


def _dequeue_rule(*n, queue, mode, timeout):
    count = None
    if n:
        from rill._core.graph import constant_value
        v = constant_value(n[0])
        count = None if v is None or mode == "up_to" else int(v)
    lead = [] if mode == "one" else [count]
    return [(TensorShape(lead).concatenate(s), d) for s, d in zip(queue._all_shapes(),
                                                                   queue._all_dtypes())]


ENQUEUE = defop("QueueEnqueueV2", _enqueue_kernel, lambda *c, **a: [], grad=None,
                num_outputs=0, stateful=True, public_name="tf.queue.QueueBase.enqueue")
DEQUEUE = defop("QueueDequeueV2", _dequeue_kernel, _dequeue_rule, grad=None, num_outputs=None,
                stateful=True, public_name="tf.queue.QueueBase.dequeue")
SIZE = defop("QueueSizeV2", lambda *, queue: np.int32(queue._size()),
             lambda *, queue: (TensorShape([]), _dtypes.int32), grad=None, stateful=True,
             public_name="tf.queue.QueueBase.size")
CLOSE = defop("QueueCloseV2", lambda *, queue, cancel: queue._close(cancel) or (),
              lambda **a: [], grad=None, num_outputs=0, stateful=True,
              public_name="tf.queue.QueueBase.close")
IS_CLOSED = defop("QueueIsClosedV2", lambda *, queue: np.bool_(queue._closed),
                  lambda *, queue: (TensorShape([]), _dtypes.bool), grad=None, stateful=True,
                  public_name="tf.queue.QueueBase.is_closed")


# -- the base class -------------------------------------------------------------------------
class QueueBase:
    """A queue of elements made of tensors (`tf.queue.QueueBase`); see the subclasses."""

    _kind = "Queue"
    _needs_shapes_for_many = True

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name=None):
        single = not isinstance(dtypes, (list, tuple))
        dtypes = [dtypes] if single else list(dtypes)
        self._dtypes = [_dtypes.as_dtype(d) for d in dtypes]
        self._single = single and names is None
        if shapes is None:
            self._shapes = [TensorShape(None)] * len(self._dtypes)
        else:
            one_shape = isinstance(shapes, TensorShape) or all(
                d is None or isinstance(d, (int, np.integer)) for d in shapes)
            shapes = [shapes] if one_shape and len(self._dtypes) == 1 else list(shapes)
            if len(shapes) != len(self._dtypes):
                raise ValueError(f"Queue shapes must have the same length as dtypes: "
                                 f"{len(shapes)} vs {len(self._dtypes)}.")
            self._shapes = [as_shape(s) for s in shapes]
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            if len(names) != len(self._dtypes):
                raise ValueError("Queue names must have the same length as dtypes.")
        self._names = names
        self._capacity = int(capacity) if capacity is not None and capacity >= 0 else None
        self._items: list = []
        self._cond = threading.Condition()
        self._closed = False
        self._cancelled = False
        self._id = next(_ids)
        self._name = name or f"{type(self).__name__.lower()}_{self._id}"

    # -- properties ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtypes(self) -> list:
        return list(self._dtypes)

    @property
    def shapes(self) -> list:
        return list(self._shapes)

    @property
    def names(self):
        return self._names

    @property
    def queue_ref(self):
        return self

    def __repr__(self) -> str:
        dt = ", ".join(d.name for d in self._dtypes)
        return f"<tf.queue.{type(self).__name__} '{self._name}' dtypes=[{dt}] size={len(self._items)}>"  # noqa: E501

    # -- what an element is ------------------------------------------------------------------
    def _all_dtypes(self) -> list:
        return list(self._dtypes)

    def _all_shapes(self) -> list:
        return list(self._shapes)

    def _flatten(self, vals, fn: str) -> list:
        """An element (value, list, tuple or dict) as a list of components."""
        if self._names is not None:
            if not isinstance(vals, Mapping):
                raise ValueError(f"{fn}: queue with names {self._names} expects a dict.")
            if set(vals) != set(self._names):
                raise ValueError(f"{fn}: keys {sorted(vals)} do not match the queue's names "
                                 f"{self._names}.")
            return [vals[k] for k in self._names]
        if isinstance(vals, (list, tuple)):  # TensorFlow reads a list as the components
            return list(vals)
        return [vals]

    def _pack(self, components: list):
        if self._names is not None:
            return dict(zip(self._names, components))
        if self._single:
            return components[0]
        return list(components)

    def _convert(self, vals, many: bool, fn: str) -> tuple:
        comps = self._flatten(vals, fn)
        dtypes, shapes = self._all_dtypes(), self._all_shapes()
        if len(comps) != len(dtypes):
            raise ValueError(f"{fn}: expected {len(dtypes)} components, got {len(comps)}.")
        out = []
        for c, d, s in zip(comps, dtypes, shapes):
            try:
                t = to_tensor(c, dtype=d) if not isinstance(c, Tensor) else to_tensor(c)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{str(exc).splitlines()[0]}\n{fn}: a component of dtype "
                                f"{d.name} cannot hold {c!r}.\nhint: pass {d.name} "
                                f"values.") from None
            if t.dtype is not d:
                raise InvalidArgumentError(
                    None, "QueueEnqueueV2", f"Type mismatch in queue component: expected "
                    f"{d.name} but got {t.dtype.name}\nhint: tf.cast the value to "
                    f"{d.name}.")
            shape = t.shape[1:] if many else t.shape
            if not s.is_compatible_with(shape):
                raise ValueError(f"Shapes {shape} and {s} are incompatible\n{fn}: the queue's "
                                 f"component has shape {s}.\nhint: enqueue values of that "
                                 f"shape{' (after the batch dimension)' if many else ''}.")
            out.append(t)
        return tuple(out)

    # -- public API ------------------------------------------------------------------------
    def enqueue(self, vals, name=None, timeout=None):
        """Adds one element; blocks while the queue is full."""
        comps = self._convert(vals, False, f"{type(self).__name__}.enqueue")
        execute(ENQUEUE, comps, {"queue": self, "many": False, "timeout": timeout})

    def enqueue_many(self, vals, name=None, timeout=None):
        """Adds the elements along the first dimension of every component."""
        comps = self._convert(vals, True, f"{type(self).__name__}.enqueue_many")
        execute(ENQUEUE, comps, {"queue": self, "many": True, "timeout": timeout})

    def dequeue(self, name=None, timeout=None):
        """Removes and returns one element; blocks while the queue is empty."""
        out = execute(DEQUEUE, (), {"queue": self, "mode": "one", "timeout": timeout})
        return self._pack(list(out))

    def dequeue_many(self, n, name=None, timeout=None):
        """Removes `n` elements, stacked along a new first dimension; blocks until there are
        `n` (OutOfRangeError when the queue is closed with fewer)."""
        self._check_many("DequeueMany")
        n_t = to_tensor(n, dtype=_dtypes.int32)
        out = execute(DEQUEUE, (n_t,), {"queue": self, "mode": "many", "timeout": timeout})
        return self._pack(list(out))

    def dequeue_up_to(self, n, name=None, timeout=None):
        """Like dequeue_many, but a closed queue returns what it has left (at least one)."""
        self._check_many("DequeueUpTo")
        n_t = to_tensor(n, dtype=_dtypes.int32)
        out = execute(DEQUEUE, (n_t,), {"queue": self, "mode": "up_to", "timeout": timeout})
        return self._pack(list(out))

    def size(self, name=None):
        """The number of elements in the queue (int32 scalar)."""
        return execute(SIZE, (), {"queue": self})

    def close(self, cancel_pending_enqueues=False, name=None):
        """Closes the queue: no more enqueues; dequeues drain what is left. With
        `cancel_pending_enqueues`, enqueues blocked on a full queue fail too."""
        execute(CLOSE, (), {"queue": self, "cancel": bool(cancel_pending_enqueues)})

    def is_closed(self, name=None):
        """Whether the queue is closed (bool scalar)."""
        return execute(IS_CLOSED, (), {"queue": self})

    def _check_many(self, what: str) -> None:
        if self._needs_shapes_for_many and not all(s.is_fully_defined()
                                                   for s in self._all_shapes()):
            op = "QueueDequeueManyV2" if what == "DequeueMany" else "QueueDequeueUpToV2"
            raise InvalidArgumentError(
                None, op, f"{self._kind}'s DequeueMany and DequeueUpTo require the components "
                f"to have specified shapes. [Op:{op}]\nhint: pass shapes=[...] when creating "
                f"the queue (or use tf.queue.PaddingFIFOQueue for varying shapes).")

    # -- the state (kernels run these) -----------------------------------------------------
    def _size(self) -> int:
        with self._cond:
            return len(self._items)

    def _wait(self, ready, deadline, op: str):
        """Waits on the condition until `ready()`; False if the queue closed first."""
        while not ready():
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DeadlineExceededError(
                        None, op, f"Timed out waiting for {self._kind} '{self._name}' "
                        f"[Op:{op}]\nhint: another thread must enqueue (or dequeue) for this "
                        f"call to proceed; close() the queue to end waiting consumers.")
                self._cond.wait(left)
            else:
                self._cond.wait()

    def _put(self, components: tuple, many: bool, timeout) -> None:
        arrays = [np.asarray(c) for c in components]
        if many:
            n = arrays[0].shape[0] if arrays[0].ndim else 1
            if any(a.shape[:1] != (n,) for a in arrays):
                raise InvalidArgumentError(None, "QueueEnqueueManyV2",
                                           "enqueue_many: the components differ in their "
                                           "first dimension.\nhint: give every component "
                                           "the same number of elements.")
            elements = [tuple(a[i] for a in arrays) for i in range(n)]
        else:
            elements = [tuple(arrays)]
        deadline = None if timeout is None else time.monotonic() + timeout
        op = "QueueEnqueueManyV2" if many else "QueueEnqueueV2"
        cap = self._capacity
        with self._cond:
            if self._closed:
                raise self._closed_error(op)
            for element in elements:
                # an enqueue already waiting when the queue closes may still complete,
                # unless close(cancel_pending_enqueues=True)
                self._wait(lambda: self._cancelled or cap is None or len(self._items) < cap,
                           deadline, op)
                if self._cancelled:
                    raise self._closed_error(op)
                self._add(element)
                self._cond.notify_all()

    def _closed_error(self, op: str) -> CancelledError:
        return CancelledError(None, op, f"{self._kind} '{self._name}' is closed. [Op:{op}]\n"
                                        f"hint: enqueue before close(); a closed queue only "
                                        f"drains.")

    def _add(self, element: tuple) -> None:
        self._items.append(element)

    def _ready(self, need: int) -> bool:
        return len(self._items) >= need

    def _remove(self) -> tuple:
        return self._items.pop(0)

    def _take(self, n, mode: str, timeout):
        need = 1 if mode == "one" else n
        if need < 0:
            raise InvalidArgumentError(None, "QueueDequeueManyV2", f"Dequeue count must be "
                                       f"non-negative, got {n}.")
        op = {"one": "QueueDequeueV2", "many": "QueueDequeueManyV2",
              "up_to": "QueueDequeueUpToV2"}[mode]
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._wait(lambda: self._closed or self._ready(need), deadline, op)
            have = len(self._items)
            if not self._ready(need):
                if not (mode == "up_to" and have > 0):
                    raise OutOfRangeError(
                        None, op, f"{self._kind} '{self._name}' is closed and has "
                        f"insufficient elements (requested {need}, current size {have}) "
                        f"[Op:{op}]\nhint: the queue was closed: catch "
                        f"tf.errors.OutOfRangeError to stop consuming.")
                need = have
            taken = [self._remove() for _ in range(need)]
            self._cond.notify_all()
        if mode == "one":
            return tuple(np.asarray(c, dtype=object if d is _dtypes.string else None)
                         for c, d in zip(taken[0], self._all_dtypes()))
        return self._batch(taken)

    def _batch(self, taken: list) -> tuple:
        out = []
        for i, (d, s) in enumerate(zip(self._all_dtypes(), self._all_shapes())):
            parts = [np.asarray(e[i], dtype=object if d is _dtypes.string else None)
                     for e in taken]
            if parts:
                out.append(_stack(parts, d))
            else:
                dims = [0] + [d_ or 0 for d_ in (s.as_list() if s.rank is not None else [])]
                out.append(np.zeros(dims, dtype=d._np) if d is not _dtypes.string else
                           np.empty(dims, dtype=object))
        return tuple(out)

    def _close(self, cancel: bool) -> None:
        with self._cond:
            self._closed = True
            self._cancelled = self._cancelled or cancel
            self._cond.notify_all()


def _stack(parts: list, dtype) -> np.ndarray:
    if dtype is not _dtypes.string:
        return np.stack(parts)
    out = np.empty((len(parts),) + parts[0].shape, dtype=object)
    for j, p in enumerate(parts):
        out[j] = p[()] if p.ndim == 0 else p
    return out


class FIFOQueue(QueueBase):
    """A queue that dequeues elements in the order they were enqueued (`tf.queue.FIFOQueue`).

    >>> q = tf.queue.FIFOQueue(3, [tf.int32, tf.string], shapes=[(), ()])
    >>> q.enqueue([10, b"windy"])
    >>> [t.numpy() for t in q.dequeue()]
    [np.int32(10), b'windy']
    """

    _kind = "FIFOQueue"


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose components may have unknown dimensions (None in `shapes`):
    dequeue_many pads each batch to its largest element with zeros (empty strings)
    (`tf.queue.PaddingFIFOQueue`)."""

    _kind = "PaddingFIFOQueue"
    _needs_shapes_for_many = False

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None, name=None):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
        if any(s.rank is None for s in self._shapes):
            raise ValueError("PaddingFIFOQueue: every shape must have a known rank "
                             "(dimensions may be None).")

    def _batch(self, taken: list) -> tuple:
        out = []
        for i, d in enumerate(self._dtypes):
            parts = [np.asarray(e[i], dtype=object if d is _dtypes.string else None)
                     for e in taken]
            rank = self._shapes[i].rank
            big = [max((p.shape[k] for p in parts), default=0) for k in range(rank)]
            fill = b"" if d is _dtypes.string else 0
            batch = np.full([len(parts)] + big, fill, dtype=object if d is _dtypes.string
                            else d._np)
            for j, p in enumerate(parts):
                batch[(j,) + tuple(slice(0, n) for n in p.shape)] = p[()] if p.ndim == 0 \
                    else p
            out.append(batch)
        return tuple(out)


class RandomShuffleQueue(QueueBase):
    """A queue that dequeues elements in random order, keeping at least `min_after_dequeue`
    of them until it is closed (`tf.queue.RandomShuffleQueue`)."""

    _kind = "RandomShuffleQueue"

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None,
                 seed=None, shared_name=None, name=None):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
        self._min_after = int(min_after_dequeue)
        self._rng = np.random.default_rng(seed)

    def _ready(self, need: int) -> bool:
        return len(self._items) >= need + self._min_after or \
            (self._closed and len(self._items) >= need)

    def _remove(self) -> tuple:
        return self._items.pop(int(self._rng.integers(len(self._items))))


class PriorityQueue(QueueBase):
    """A queue that dequeues the element with the smallest priority first: elements are
    (int64 priority, *components) (`tf.queue.PriorityQueue`)."""

    _kind = "PriorityQueue"

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None,
                 name=None):
        super().__init__(capacity, list(types) if isinstance(types, (list, tuple))
                         else [types], shapes, names, shared_name, name)
        self._single = False
        self._order = itertools.count()

    def _all_dtypes(self) -> list:
        return [_dtypes.int64] + list(self._dtypes)

    def _all_shapes(self) -> list:
        return [TensorShape([])] + list(self._shapes)

    def _flatten(self, vals, fn: str) -> list:
        if self._names is not None:
            raise ValueError(f"{fn}: PriorityQueue with names is not supported in rill.")
        return list(vals)

    def _pack(self, components: list):
        return list(components)

    def _add(self, element: tuple) -> None:
        self._items.append((int(element[0]), next(self._order), element))
        self._items.sort(key=lambda x: (x[0], x[1]))

    def _remove(self) -> tuple:
        return self._items.pop(0)[2]


__all__ = ["FIFOQueue", "PaddingFIFOQueue", "PriorityQueue", "QueueBase",
           "RandomShuffleQueue"]


__tf_names__ = {"queue": "FIFOQueue PaddingFIFOQueue PriorityQueue QueueBase RandomShuffleQueue"}
