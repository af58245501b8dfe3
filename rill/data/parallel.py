"""Background threads: parallel map, parallel interleave and prefetch.

NumPy releases the GIL inside its kernels, so threads running compiled map functions overlap
on NumPy-heavy work, and a prefetch thread overlaps a slow producer (file reads, Python
generators) with the consumer's training step.

Threads never hold a reference to the iterator that consumes them: they share a small state
object (a buffer and a condition) with the consumer's generator, so dropping the iterator
closes that generator, whose `finally` stops the threads; they then close their own input,
which stops the threads further up. Threads are daemons, and every running pipeline is
stopped at interpreter exit. Outputs keep the input order unless `deterministic=False`;
failures travel in order as `Error` elements and reach the consumer with the element's
position.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections import deque

from rill.data import _structure as S
from rill.data._function import _name
from rill.data.dataset import AUTOTUNE, Dataset
from rill.data.transformations import InterleaveDataset, MapDataset, _count

_LIVE: weakref.WeakSet = weakref.WeakSet()
_END = object()


@atexit.register
def _stop_all() -> None:
    for s in list(_LIVE):
        s.stop()


def _threads(n) -> int:
    n = _count(n, "num_parallel_calls")
    if n == AUTOTUNE:
        return os.cpu_count() or 1
    if n <= 0:
        raise ValueError(f"num_parallel_calls must be positive or tf.data.AUTOTUNE, got {n}.")
    return n


def _close(it) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: BLE001 - e.g. still running in a stuck thread
            pass


# -- prefetch -------------------------------------------------------------------------------
class _Buffer:
    """A bounded queue between one producer thread and the consumer."""

    def __init__(self, size: int):
        self.q: deque = deque()
        self.size = size
        self.cond = threading.Condition()
        self.stopped = False
        self.ended = False
        _LIVE.add(self)

    def put(self, x) -> bool:
        with self.cond:
            while len(self.q) >= self.size and not self.stopped:
                self.cond.wait()
            if self.stopped:
                return False
            self.q.append(x)
            self.cond.notify_all()
            return True

    def end(self) -> None:
        with self.cond:
            self.ended = True
            self.cond.notify_all()

    def get(self):
        with self.cond:
            while not self.q and not self.ended:
                self.cond.wait()
            if self.q:
                x = self.q.popleft()
                self.cond.notify_all()
                return x
            return _END

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.q.clear()
            self.cond.notify_all()


def _produce(it, buf: _Buffer) -> None:
    try:
        for x in it:
            if not buf.put(x):
                break
    except BaseException as exc:  # noqa: BLE001 - an input that raised instead of yielding
        buf.put(S.Error(exc, "in the input of prefetch"))
    finally:
        _close(it)
        buf.end()


def prefetched(it, size: int, ctx, name: str):
    """`it` produced up to `size` elements ahead on a daemon thread (started now)."""
    buf = _Buffer(size)
    ctx.closers.append(buf.stop)
    threading.Thread(target=_produce, args=(it, buf), daemon=True,
                     name=f"rill.data-{name}").start()
    return _drain(buf)


def _drain(buf: _Buffer):
    try:
        while True:
            x = buf.get()
            if x is _END:
                return
            yield x
    finally:
        buf.stop()


class PrefetchDataset(Dataset):
    """Elements produced ahead on a background thread (`Dataset.prefetch`)."""

    def __init__(self, input_ds: Dataset, buffer_size):
        super().__init__(input_ds.element_spec, [input_ds])
        self._size = _count(buffer_size, "prefetch")
        if self._size < AUTOTUNE:
            raise ValueError(f"prefetch: buffer_size must be >= 0 or tf.data.AUTOTUNE, got "
                             f"{self._size}.")
        self._cheap = input_ds._cheap

    def _cardinality(self) -> int:
        return self._inputs[0]._cardinality()

    def _iterate(self, ctx):
        inner = self._inputs[0]
        if self._size == 0 or (self._size == AUTOTUNE and inner._cheap):
            return inner._iterate(ctx)  # nothing to overlap: a thread only adds hand-offs
        size = 4 if self._size == AUTOTUNE else self._size
        return prefetched(inner._iterate(ctx), size, ctx, "prefetch")


# -- parallel map ---------------------------------------------------------------------------
class _MapState:
    """What the consumer and the map workers share."""

    def __init__(self, it, call, where, buffer: int, ordered: bool):
        self.input = it
        self.call = call
        self.where = where
        self.buffer = buffer
        self.ordered = ordered
        self.cond = threading.Condition()
        self.input_lock = threading.Lock()
        self.pulled = 0  # input elements taken
        self.delivered = 0  # results handed to the consumer
        self.results: dict = {}  # ordered: position -> result
        self.ready: deque = deque()  # unordered: results as they finish
        self.exhausted = False
        self.stopped = False
        self.workers = 0
        _LIVE.add(self)

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.results.clear()
            self.ready.clear()
            self.cond.notify_all()

    def _next_input(self):
        """(position, element) of the next input, or None at the end or when stopped."""
        with self.input_lock:
            with self.cond:
                while not self.stopped and not self.exhausted and \
                        self.pulled - self.delivered >= self.buffer:
                    self.cond.wait()
                if self.stopped or self.exhausted:
                    return None
            try:
                x = next(self.input)
            except StopIteration:
                x = _END
            except BaseException as exc:  # noqa: BLE001
                x = S.Error(exc, "in the input of a parallel map")
                with self.cond:
                    self.exhausted = True
            with self.cond:
                if x is _END:
                    self.exhausted = True
                    self.cond.notify_all()
                    return None
                pos = self.pulled
                self.pulled += 1
            return pos, x

    def work(self) -> None:
        try:
            while True:
                got = self._next_input()
                if got is None:
                    return
                pos, x = got
                if type(x) is not S.Error:
                    try:
                        x = self.call(*x)
                    except Exception as exc:  # noqa: BLE001 - reaches the consumer
                        x = S.Error(exc, self.where(pos))
                with self.cond:
                    if self.stopped:
                        return
                    if self.ordered:
                        self.results[pos] = x
                    else:
                        self.ready.append(x)
                    self.cond.notify_all()
        finally:
            with self.cond:
                self.workers -= 1
                last = self.workers == 0
                self.cond.notify_all()
            if last and self.stopped:
                with self.input_lock:
                    _close(self.input)

    def take(self):
        with self.cond:
            while True:
                if self.stopped:
                    return _END
                if self.ordered:
                    if self.delivered in self.results:
                        x = self.results.pop(self.delivered)
                        break
                elif self.ready:
                    x = self.ready.popleft()
                    break
                if self.exhausted and self.delivered >= self.pulled:
                    return _END
                self.cond.wait()
            self.delivered += 1
            self.cond.notify_all()
            return x


def mapped_in_parallel(it, call, threads: int, ordered: bool, ctx, where):
    st = _MapState(it, call, where, 2 * threads, ordered)
    ctx.closers.append(st.stop)
    st.workers = threads
    for i in range(threads):
        threading.Thread(target=st.work, daemon=True, name=f"rill.data-map-{i}").start()
    return _results(st)


def _results(st: _MapState):
    try:
        while True:
            x = st.take()
            if x is _END:
                return
            yield x
    finally:
        st.stop()


class ParallelMapDataset(MapDataset):
    """`Dataset.map` with `num_parallel_calls` worker threads."""

    def __init__(self, input_ds: Dataset, map_func, num_parallel_calls, deterministic: bool):
        super().__init__(input_ds, map_func)
        self._threads = _threads(num_parallel_calls)
        self._ordered = deterministic

    def _where(self, pos: int) -> str:
        return (f"in the function {_name(self._fn.fn)} of Dataset.map (num_parallel_calls="
                f"{self._threads}), on element {pos}")

    def _iterate(self, ctx):
        return mapped_in_parallel(self._inputs[0]._iterate(ctx), self._fn.call, self._threads,
                                  self._ordered, ctx, self._where)


class ParallelInterleaveDataset(InterleaveDataset):
    """`Dataset.interleave` whose open inner datasets are each read ahead by a thread.

    The output order is the sequential interleave's (also with deterministic=False, which
    allows but does not require another order)."""

    def __init__(self, input_ds: Dataset, map_func, cycle_length, block_length,
                 num_parallel_calls):
        super().__init__(input_ds, map_func, cycle_length, block_length)
        _threads(num_parallel_calls)

    def _open(self, x, ctx, pos: int):
        return prefetched(super()._open(x, ctx, pos), max(2, self._block), ctx, "interleave")
