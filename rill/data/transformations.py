"""Element-wise transformations: map, filter, repeat, take, skip, cache, flat_map and
interleave, scan, unique, ignore_errors, take_while, shard, and `Dataset.reduce`.

Functions that return datasets (flat_map, interleave) run eagerly on each element, since a
dataset is not a tensor a graph could return; their element_spec comes from the dataset the
function returns for the first element.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill.data import _plan
from rill.data import _structure as S
from rill.data._function import StructuredFunction, _name
from rill.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from rill.function.signature import TensorSpec


def _count(x, what: str) -> int:
    v = np.asarray(getattr(x, "_value", x))
    if v.shape != () or v.dtype.kind not in "iu":
        raise TypeError(f"{what}: expected an integer scalar, got {x!r}.")
    return int(v)


class _OneInput(Dataset):
    """A transformation of one dataset that keeps its element_spec (and its cost)."""

    def __init__(self, input_ds: Dataset):
        super().__init__(input_ds.element_spec, [input_ds])
        self._cheap = input_ds._cheap

    def _cardinality(self) -> int:
        return self._inputs[0]._cardinality()


class _Planned(_OneInput):
    """A transformation that works on whole chunks of indices when the input has an index
    plan (ranges, slices), and on its elements (`_rows`) otherwise."""

    def _iterate(self, ctx):
        plan = self._plan()
        return plan.rows(ctx) if plan is not None else self._rows(ctx)

    def _rows(self, ctx):
        raise NotImplementedError


class _Counted(_Planned):
    """Take, skip or repeat a number of elements (`count`, -1 for all of them)."""

    _what = ""

    def __init__(self, input_ds: Dataset, count):
        super().__init__(input_ds)
        self._count = _count(count, self._what)


class _Passthrough(_OneInput):
    """The input unchanged (carries options)."""

    def _plan(self):
        return self._inputs[0]._plan()

    def _iterate(self, ctx):
        return self._inputs[0]._iterate(ctx)


class MapDataset(Dataset):
    """`Dataset.map` on the calling thread."""

    def __init__(self, input_ds: Dataset, map_func, what: str = "Dataset.map()"):
        self._fn = StructuredFunction(map_func, input_ds.element_spec, what)
        super().__init__(self._fn.output_structure(input_ds), [input_ds])

    def _cardinality(self) -> int:
        return self._inputs[0]._cardinality()

    def _where(self, pos: int) -> str:
        return f"in the function {_name(self._fn.fn)} of Dataset.map, on element {pos}"

    def _iterate(self, ctx):
        call = self._fn.call
        for pos, x in enumerate(self._inputs[0]._iterate(ctx)):
            if type(x) is S.Error:
                yield x
                continue
            try:
                yield call(*x)
            except Exception as exc:  # noqa: BLE001 - reaches the consumer at this element
                yield S.Error(exc, self._where(pos))


def _predicate(fn, structure, what: str) -> StructuredFunction:
    f = StructuredFunction(fn, structure, what)
    out = f.out_structure
    if out is not None and (not isinstance(out, TensorSpec) or out.dtype is not _dtypes.bool
                            or out.shape.rank not in (0, None)):
        raise ValueError(f"Invalid `predicate`. `predicate` must return a `tf.bool` scalar "
                         f"tensor, but its return type is {out!r}.\nhint: compare, e.g. "
                         f"`lambda x: x > 0`, or reduce with tf.reduce_all.")
    return f


def _truth(v) -> bool:
    return bool(v[0])


class _Predicated(Dataset):
    """Elements chosen by a predicate of each (`_api` names the method in errors)."""

    _api = ""

    def __init__(self, input_ds: Dataset, predicate):
        self._fn = _predicate(predicate, input_ds.element_spec, f"Dataset.{self._api}()")
        super().__init__(input_ds.element_spec, [input_ds])


class FilterDataset(_Predicated):
    """The elements for which a predicate holds (`Dataset.filter`)."""

    _api = "filter"

    def _iterate(self, ctx):
        call = self._fn.call
        for pos, x in enumerate(self._inputs[0]._iterate(ctx)):
            if type(x) is S.Error:
                yield x
                continue
            try:
                keep = call(*x)[0]
            except Exception as exc:  # noqa: BLE001
                yield S.Error(exc, f"in the predicate {_name(self._fn.fn)} of "
                                   f"Dataset.filter, on element {pos}")
                continue
            if keep:
                yield x


class TakeWhileDataset(_Predicated):
    """Elements until a predicate first fails (`Dataset.take_while`)."""

    _api = "take_while"

    def _iterate(self, ctx):
        call = self._fn.call
        for x in self._inputs[0]._iterate(ctx):
            if type(x) is S.Error:
                yield x
                continue
            if not call(*x)[0]:
                return
            yield x


class RepeatDataset(_Counted):
    """The input `count` times, or forever (`Dataset.repeat`)."""

    _what = "repeat"

    def __init__(self, input_ds: Dataset, count):
        super().__init__(input_ds, -1 if count is None else count)

    def _cardinality(self) -> int:
        n, k = self._inputs[0]._cardinality(), self._count
        if k < 0:
            return 0 if n == 0 else INFINITE
        if k == 0:
            return 0
        return n if n < 0 else n * k

    def _epochs(self):
        k = self._count
        return iter(int, 1) if k < 0 else range(k)  # iter(int, 1): forever

    def _plan(self):
        plan = self._inputs[0]._plan()
        if plan is None:
            return None

        def chunks(ctx):
            for _ in self._epochs():
                empty = True
                for c in plan.chunks(ctx):
                    empty = False
                    yield c
                if empty:
                    return
        return plan.derive(chunks)

    def _rows(self, ctx):
        for _ in self._epochs():
            empty = True
            for x in self._inputs[0]._iterate(ctx):
                empty = False
                yield x
            if empty:  # repeating an empty dataset ends, as in TensorFlow
                return


class TakeDataset(_Counted):
    """The first `count` elements (`Dataset.take`)."""

    _what = "take"

    def _cardinality(self) -> int:
        n, k = self._inputs[0]._cardinality(), self._count
        if k < 0 or n == UNKNOWN:
            return n
        return k if n == INFINITE else min(n, k)

    def _plan(self):
        plan = self._inputs[0]._plan()
        if plan is None or self._count < 0:
            return plan
        return plan.derive(lambda ctx: _plan.take_chunks(plan.chunks(ctx), self._count))

    def _rows(self, ctx):
        k = self._count
        if k == 0:
            return
        for i, x in enumerate(self._inputs[0]._iterate(ctx), 1):
            yield x
            if i == k:
                return


class SkipDataset(_Counted):
    """All but the first `count` elements (`Dataset.skip`)."""

    _what = "skip"

    def _cardinality(self) -> int:
        n, k = self._inputs[0]._cardinality(), self._count
        if n < 0:
            return n
        return 0 if k < 0 else max(0, n - k)

    def _plan(self):
        plan = self._inputs[0]._plan()
        if plan is None:
            return None
        if self._count < 0:
            return plan.derive(lambda ctx: iter(()))
        return plan.derive(lambda ctx: _plan.skip_chunks(plan.chunks(ctx), self._count))

    def _rows(self, ctx):
        if self._count < 0:
            return
        it = self._inputs[0]._iterate(ctx)
        for _ in range(self._count):
            if next(it, None) is None:
                return
        yield from it


class ShardDataset(_OneInput):
    """Every `num_shards`-th element from `index` (`Dataset.shard`)."""

    def __init__(self, input_ds: Dataset, num_shards, index):
        super().__init__(input_ds)
        n, i = _count(num_shards, "shard"), _count(index, "shard")
        if n <= 0:
            raise InvalidArgumentError(None, "ShardDataset", "Number of shards must be greater "
                                       "than zero (currently num_shards = {n}).")
        if not 0 <= i < n:
            raise InvalidArgumentError(None, "ShardDataset", f"Index must be between 0 and "
                                       f"{n - 1} (currently index = {i}).")
        self._n, self._i = n, i

    def _cardinality(self) -> int:
        c = self._inputs[0]._cardinality()
        if c < 0:
            return c
        return c // self._n + (1 if c % self._n > self._i else 0)

    def _iterate(self, ctx):
        n, i = self._n, self._i
        for pos, x in enumerate(self._inputs[0]._iterate(ctx)):
            if pos % n == i:
                yield x


class CacheDataset(_OneInput):
    """The elements of the first complete iteration, kept in memory or in a file
    (`Dataset.cache`). An iteration that stops early caches nothing."""

    def __init__(self, input_ds: Dataset, filename):
        super().__init__(input_ds)
        self._filename = str(getattr(filename, "_value", filename) or "")
        if isinstance(filename, bytes):
            self._filename = filename.decode()
        self._memory = None

    def _iterate(self, ctx):
        if self._memory is not None:
            yield from self._memory
            return
        if self._filename:
            from rill.data import saving
            if saving.exists(self._filename):
                yield from saving.read_elements(self._filename, self._structure)
                return
        kept = []
        for x in self._inputs[0]._iterate(ctx):
            kept.append(x)
            yield x
        if self._filename:
            from rill.data import saving
            saving.write_elements(self._filename, self._structure,
                                  [x for x in kept if type(x) is not S.Error])
        else:
            self._memory = kept


class _LazySpec(Dataset):
    """A dataset whose element_spec is known only after its function ran once."""

    @property
    def _structure(self):
        if self._lazy is None:
            self._lazy = self._infer()
        return self._lazy

    @_structure.setter
    def _structure(self, value):
        self._lazy = value


def _dataset_of(fn, x, structure, what: str):
    args = S.pack(structure, [S._wrap(v) if isinstance(s, TensorSpec) else v
                              for s, v in zip(S.flatten(structure), x)])
    out = fn(*args) if type(structure) is tuple else fn(args)
    if not isinstance(out, Dataset):
        raise TypeError(f"The `map_func` argument must return a `Dataset` object. Got "
                        f"{type(out)!r}.\nhint: {what}'s function returns a dataset per "
                        f"element; use map for tensors.")
    return out


class InterleaveDataset(_LazySpec):
    """`Dataset.interleave` and `flat_map` (cycle_length 1) on the calling thread."""

    def __init__(self, input_ds: Dataset, map_func, cycle_length: int, block_length: int):
        if not callable(map_func):
            raise TypeError(f"interleave: map_func must be callable, got {map_func!r}.")
        if cycle_length == AUTOTUNE:
            cycle_length = os.cpu_count() or 1
        if cycle_length <= 0 or block_length <= 0:
            raise InvalidArgumentError(None, "InterleaveDataset", "cycle_length and "
                                       "block_length must be positive.")
        super().__init__(None, [input_ds])
        self._fn = map_func
        self._cycle, self._block = cycle_length, block_length
        self._what = "flat_map" if cycle_length == 1 else "interleave"

    def _infer(self):
        inp = self._inputs[0]
        from rill.data.iterators import Context
        for x in inp._iterate(Context(inp)):
            if type(x) is S.Error:
                x.raise_()
            return _dataset_of(self._fn, x, inp.element_spec, self._what).element_spec
        raise ValueError(f"{self._what}: cannot tell the element_spec over an empty input "
                         f"in rill (its function runs eagerly).")

    def _open(self, x, ctx, pos: int):
        try:
            return _dataset_of(self._fn, x, self._inputs[0].element_spec,
                               self._what)._iterate(ctx)
        except Exception as exc:  # noqa: BLE001
            return iter([S.Error(exc, f"in the function of Dataset.{self._what}, on element "
                                      f"{pos}")])

    def _iterate(self, ctx):
        inputs = enumerate(self._inputs[0]._iterate(ctx))
        slots: list = []
        exhausted = False

        def refill():
            nonlocal exhausted
            while len(slots) < self._cycle and not exhausted:
                nxt = next(inputs, None)
                if nxt is None:
                    exhausted = True
                    return
                pos, x = nxt
                slots.append(iter([x]) if type(x) is S.Error else self._open(x, ctx, pos))
        refill()
        i = 0
        while slots:
            it = slots[i]
            for _ in range(self._block):
                x = next(it, None)
                if x is None:
                    nxt = None if exhausted else next(inputs, None)
                    if nxt is None:
                        exhausted = True
                        del slots[i]
                        i -= 1
                    else:
                        pos, y = nxt
                        slots[i] = iter([y]) if type(y) is S.Error else self._open(y, ctx, pos)
                    break
                yield x
            i = i + 1 if slots else 0
            if i >= len(slots):
                i = 0


def _stateful_function(fn, state_structure, in_structure, what: str):
    """The function of scan/reduce, traced again with relaxed state shapes if the state
    it returns does not match the initial one (TensorFlow does the same)."""
    for _ in range(3):
        f = StructuredFunction(fn, (state_structure, in_structure), what)
        out = f.out_structure
        new_state = out[0] if what.startswith("Dataset.scan") else out
        if not S.same_structure(new_state, state_structure):
            raise TypeError(f"{what}: the function returned a state {new_state!r} whose "
                            f"structure differs from the initial state {state_structure!r}.")
        relaxed = S.relax(state_structure, new_state)
        if relaxed is None:
            raise TypeError(f"{what}: the new state {new_state!r} has other dtypes than the "
                            f"initial state {state_structure!r}.\nhint: tf.cast the state.")
        if relaxed == state_structure:
            return f, state_structure
        state_structure = relaxed
    return f, state_structure


class ScanDataset(Dataset):
    """A map with a running state (`Dataset.scan`)."""

    def __init__(self, input_ds: Dataset, initial_state, scan_func):
        state_structure, self._initial = S.normalize(initial_state, "scan")
        self._fn, self._state_structure = _stateful_function(
            scan_func, state_structure, input_ds.element_spec, "Dataset.scan()")
        out = self._fn.out_structure
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"Dataset.scan(): scan_func must return a pair (new_state, "
                            f"output), got {out!r}.")
        self._n_state = len(S.flatten(out[0]))
        super().__init__(out[1], [input_ds])

    def _cardinality(self) -> int:
        return self._inputs[0]._cardinality()

    def _iterate(self, ctx):
        state = tuple(self._initial)
        k, call = self._n_state, self._fn.call
        for pos, x in enumerate(self._inputs[0]._iterate(ctx)):
            if type(x) is S.Error:
                yield x
                continue
            try:
                out = call(*state, *x)
            except Exception as exc:  # noqa: BLE001
                yield S.Error(exc, f"in the function of Dataset.scan, on element {pos}")
                continue
            state = tuple(out[:k])
            yield tuple(out[k:])


def reduce(ds: Dataset, initial_state, reduce_func):
    state_structure, state = S.normalize(initial_state, "reduce")
    fn, state_structure = _stateful_function(reduce_func, state_structure, ds.element_spec,
                                             "Dataset.reduce()")
    from rill.data.iterators import Context
    state = tuple(state)
    call = fn.call
    for x in ds._iterate(Context(ds)):
        if type(x) is S.Error:
            x.raise_()
        state = tuple(call(*state, *x))
    return S.packer(state_structure)(state)


class UniqueDataset(Dataset):
    """Elements not seen before (`Dataset.unique`)."""

    def __init__(self, input_ds: Dataset):
        spec = input_ds.element_spec
        if not isinstance(spec, TensorSpec) or spec.shape.rank != 0 or not (
                spec.dtype.is_integer or spec.dtype is _dtypes.string):
            raise TypeError(f"Dataset.unique() does not support {spec!r}: elements must be "
                            f"int32, int64 or string scalars.\nhint: map the elements to such "
                            f"scalars first.")
        super().__init__(spec, [input_ds])

    def _iterate(self, ctx):
        seen = set()
        for x in self._inputs[0]._iterate(ctx):
            if type(x) is S.Error:
                yield x
                continue
            v = x[0]
            key = v.item() if hasattr(v, "item") else v
            if key not in seen:
                seen.add(key)
                yield x


class IgnoreErrorsDataset(Dataset):
    """Drops the elements whose production failed (`Dataset.ignore_errors`)."""

    def __init__(self, input_ds: Dataset, log_warning: bool):
        super().__init__(input_ds.element_spec, [input_ds])
        self._log = bool(log_warning)

    def _iterate(self, ctx):
        for x in self._inputs[0]._iterate(ctx):
            if type(x) is S.Error:
                if self._log:
                    warnings.warn(f"ignore_errors: dropped an element ({x.where}): "
                                  f"{type(x.exc).__name__}: {x.exc}", stacklevel=2)
                continue
            yield x
