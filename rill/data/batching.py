"""Batching: batch, padded_batch, unbatch, rebatch, window, group_by_window,
bucket_by_sequence_length.

`batch` stacks each component with one `np.stack`; over an index plan (rows of arrays, see
`_plan`) it gathers the whole batch with one fancy index per component instead.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.tensor_shape import TensorShape
from rill.data import _composite as _C
from rill.data import _plan
from rill.data import _structure as S
from rill.data._function import StructuredFunction
from rill.data.dataset import UNKNOWN, Dataset
from rill.data.sources import _flatten_up_to
from rill.data.transformations import _count, _LazySpec
from rill.function.signature import TensorSpec
from rill.ops.ragged.ragged_tensor import RaggedTensorSpec
from rill.ops.sparse_ops import SparseTensorSpec


def _batch_size(x) -> int:
    b = _count(x, "batch")
    if b <= 0:
        raise InvalidArgumentError(None, "BatchDatasetV2", f"Batch size must be greater than "
                                   f"zero, got {b}.")
    return b


def _batches(n: int, b: int, drop: bool) -> int:
    if n < 0:
        return n
    return n // b if drop else -(-n // b)


def _stack_leaf(values: list, out_spec):
    if isinstance(out_spec, RaggedTensorSpec):
        return _C.ragged_stack(values, out_spec)
    if isinstance(out_spec, SparseTensorSpec):
        return _C.sparse_stack(values)
    return np.stack(values)


def _stack(buf: list, specs: list, what: str = "batch", out_specs=None):
    err = next((x for x in buf if type(x) is S.Error), None)
    if err is not None:
        return err
    if out_specs is not None:
        try:
            return tuple([_stack_leaf(list(c), o) for c, o in zip(zip(*buf), out_specs)])
        except InvalidArgumentError as exc:
            return S.Error(exc, what)
        except ValueError:
            pass   # dense components of different shapes: reported below
    try:
        return tuple([np.stack(c) for c in zip(*buf)])
    except ValueError:
        for i, c in enumerate(zip(*buf)):
            shapes = [np.shape(v) for v in c]
            bad = next((j for j, s in enumerate(shapes) if s != shapes[0]), None)
            if bad is not None:
                return S.Error(InvalidArgumentError(
                    None, "IteratorGetNext",
                    f"Cannot batch tensors with different shapes in component {i}. First "
                    f"element had shape {list(shapes[0])} and element {bad} had shape "
                    f"{list(shapes[bad])}.\nhint: padded_batch pads elements to a common "
                    f"shape."), what)
        raise


class BatchDataset(Dataset):
    """Consecutive elements stacked into batches (`Dataset.batch`)."""

    def __init__(self, input_ds: Dataset, batch_size, drop_remainder, ragged=False):
        self._b = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        size = self._b if self._drop else None
        spec = input_ds.element_spec
        super().__init__(_ragged_batched(spec, size) if ragged else S.batched(spec, size),
                         [input_ds])
        self._cheap = input_ds._cheap
        out = S.flatten(self.element_spec)
        self._out_specs = out if any(isinstance(o, _C.COMPOSITE_SPECS) for o in out) \
            else None

    def _cardinality(self) -> int:
        return _batches(self._inputs[0]._cardinality(), self._b, self._drop)

    def _iterate(self, ctx):
        plan = self._inputs[0]._plan()
        if plan is not None and self._out_specs is None:
            gather = plan.gather
            return (gather(idx) for idx in _plan.regroup(plan.chunks(ctx), self._b,
                                                          self._drop))
        return self._stacked(ctx)

    def _stacked(self, ctx):
        b, specs = self._b, S.flatten(self._inputs[0].element_spec)
        buf = []
        for x in self._inputs[0]._iterate(ctx):
            buf.append(x)
            if len(buf) == b:
                yield _stack(buf, specs, out_specs=self._out_specs)
                buf = []
        if buf and not self._drop:
            yield _stack(buf, specs, out_specs=self._out_specs)


def _ragged_batched(structure, size):
    """`ragged_batch`'s spec: dense components whose shape is not fully known batch into
    RaggedTensors (ragged up to their last unknown dimension), as TensorFlow's
    `dense_to_ragged_batch` does; the rest batch as `batch` does."""
    def f(s):
        if isinstance(s, TensorSpec) and s.shape.rank is None:
            raise ValueError("ragged_batch: elements of unknown rank cannot be batched.")
        if isinstance(s, TensorSpec) and not s.shape.is_fully_defined():
            last = max(i for i, d in enumerate(s.shape.as_list()) if d is None)
            return RaggedTensorSpec(TensorShape([size]).concatenate(s.shape), s.dtype,
                                    last + 1)
        return S.batched(s, size)
    return S.map_structure(f, structure)


def _padding_value(v, spec: TensorSpec):
    if v is None:
        return b"" if spec.dtype is _dtypes.string else spec.dtype._np.type(0)
    a = np.asarray(getattr(v, "_value", v))
    if a.shape != ():
        raise ValueError(f"padded_batch: a padding value must be a scalar, got {v!r}.")
    return a.item() if spec.dtype is _dtypes.string else a.astype(spec.dtype._np)


class PaddedBatchDataset(Dataset):
    """Batches of elements padded to a common shape (`Dataset.padded_batch`)."""

    def __init__(self, input_ds: Dataset, batch_size, padded_shapes, padding_values,
                 drop_remainder):
        self._b = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        structure = input_ds.element_spec
        specs = S.flatten(structure)
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
            if any(s.rank is None for s in shapes):
                raise ValueError("padded_batch: `padded_shapes` must be given when an "
                                 "element's rank is unknown.")
        else:
            shapes = [TensorShape(getattr(p, "_value", p) if not isinstance(p, TensorShape)
                                  else p)
                      for p in (_flatten_up_to(structure, padded_shapes, "padded_shapes")
                                if S.is_structure(structure) else [padded_shapes])]
        for s, p in zip(specs, shapes):
            if s.shape.rank is not None and p.rank != s.shape.rank:
                raise ValueError(f"The padded shape {p} is not compatible with the shape "
                                 f"{s.shape} of the corresponding input component.")
        if padding_values is None:
            values = [None] * len(specs)
        elif S.is_structure(structure) and S.is_structure(padding_values):
            values = _flatten_up_to(structure, padding_values, "padding_values")
        else:
            values = [padding_values] * len(specs)
        self._pads = [_padding_value(v, s) for v, s in zip(values, specs)]
        self._shapes = shapes
        out = [TensorSpec(TensorShape([self._b if self._drop else None]).concatenate(p),
                          s.dtype) for s, p in zip(specs, shapes)]
        super().__init__(S.pack(structure, out), [input_ds])

    def _cardinality(self) -> int:
        return _batches(self._inputs[0]._cardinality(), self._b, self._drop)

    def _pad(self, buf):
        err = next((x for x in buf if type(x) is S.Error), None)
        if err is not None:
            return err
        out = []
        for i, (col, shape, pad) in enumerate(zip(zip(*buf), self._shapes, self._pads)):
            dims = []
            for d, want in enumerate(shape.as_list()):
                longest = max(np.shape(v)[d] for v in col)
                if want is not None and longest > want:
                    return S.Error(InvalidArgumentError(
                        None, "PaddedBatchDatasetV2",
                        f"Attempted to pad to a smaller size than the input element. (component "
                        f"{i}: {longest} > {want})\nhint: raise padded_shapes or use None "
                        f"for the longest in the batch."), "padded_batch")
                dims.append(longest if want is None else want)
            dtype = object if isinstance(pad, bytes) else np.asarray(pad).dtype
            a = np.full([len(col)] + dims, pad, dtype=dtype)
            for j, v in enumerate(col):
                a[(j,) + tuple(slice(0, n) for n in np.shape(v))] = v
            out.append(a)
        return tuple(out)

    def _iterate(self, ctx):
        buf = []
        for x in self._inputs[0]._iterate(ctx):
            buf.append(x)
            if len(buf) == self._b:
                yield self._pad(buf)
                buf = []
        if buf and not self._drop:
            yield self._pad(buf)


class UnbatchDataset(Dataset):
    """The rows of each element (`Dataset.unbatch`)."""

    def __init__(self, input_ds: Dataset):
        super().__init__(S.unbatched(input_ds.element_spec), [input_ds])
        self._cheap = input_ds._cheap
        self._in_specs = S.flatten(input_ds.element_spec)
        self._composite = any(isinstance(s, _C.COMPOSITE_SPECS) for s in self._in_specs)

    def _cardinality(self) -> int:
        n = self._inputs[0]._cardinality()
        return n if n == 0 else UNKNOWN if n != -1 else n

    def _iterate(self, ctx):
        for x in self._inputs[0]._iterate(ctx):
            if type(x) is S.Error:
                yield x
                continue
            if self._composite:
                rows = [_C.slice_leaf(v, s) if isinstance(s, _C.COMPOSITE_SPECS) else
                        [v[i] for i in range(len(v))] for v, s in zip(x, self._in_specs)]
                if len({len(r) for r in rows}) > 1:
                    yield S.Error(InvalidArgumentError(
                        None, "UnbatchDataset", "Input element must have the same batch size "
                        "in each component."), "unbatch")
                    continue
                yield from zip(*rows)
                continue
            n = len(x[0])
            if any(len(v) != n for v in x[1:]):
                yield S.Error(InvalidArgumentError(
                    None, "UnbatchDataset", f"Input element must have the same batch size "
                    f"in each component. Component 0 had size {n} but component "
                    f"{next(i for i, v in enumerate(x) if len(v) != n)} had size "
                    f"{next(len(v) for v in x if len(v) != n)}."), "unbatch")
                continue
            if len(x) == 1:
                v = x[0]
                for i in range(n):
                    yield (v[i] if v.ndim > 1 or v.dtype != object else v[i, ...],)
            else:
                for i in range(n):
                    yield tuple([v[i] if v.ndim > 1 or v.dtype != object else v[i, ...]
                                 for v in x])


def rebatch(ds: Dataset, batch_size, drop_remainder) -> Dataset:
    for s in S.flatten(ds.element_spec):
        if s.shape.rank == 0:
            raise ValueError("Invalid `batch_sizes`. Expected dataset with rank of >= 1 but "
                             "found a dataset with scalar elements. Fix the issue by adding "
                             "the `batch` transformation to the dataset.")
    return ds.unbatch().batch(batch_size, drop_remainder)


class ElementsDataset(Dataset):
    """A small dataset over a list of flat elements (windows, groups)."""

    _cheap = True

    def __init__(self, structure, elements: list):
        super().__init__(structure)
        self._elements = elements

    def _cardinality(self) -> int:
        return len(self._elements)

    def _iterate(self, ctx):
        return iter(self._elements)


class WindowDataset(Dataset):
    """Windows of elements, each component a dataset (`Dataset.window`)."""

    def __init__(self, input_ds: Dataset, size, shift, stride, drop_remainder):
        self._size = _count(size, "window")
        self._shift = self._size if shift is None else _count(shift, "window")
        self._stride = _count(stride, "window")
        if min(self._size, self._shift, self._stride) <= 0:
            raise InvalidArgumentError(None, "WindowDataset", "size, shift and stride must be "
                                       "positive.")
        self._drop = bool(drop_remainder)
        self._specs = S.flatten(input_ds.element_spec)
        super().__init__(S.map_structure(lambda s: S.DatasetSpec(s), input_ds.element_spec),
                         [input_ds])

    def _cardinality(self) -> int:
        n = self._inputs[0]._cardinality()
        if n < 0:
            return n
        span = (self._size - 1) * self._stride + 1
        if self._drop:
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)

    def _window(self, elems: list) -> tuple:
        return tuple(ElementsDataset(s, [(e[i],) for e in elems])
                     for i, s in enumerate(self._specs))

    def _iterate(self, ctx):
        span = (self._size - 1) * self._stride + 1
        buf: list = []
        start = 0  # input position of buf[0]
        nxt = 0  # input position where the next window starts
        it = self._inputs[0]._iterate(ctx)
        done = False
        while True:
            while not done and start + len(buf) < nxt + span:
                x = next(it, None)
                if x is None:
                    done = True
                elif type(x) is S.Error:
                    yield x
                else:
                    buf.append(x)
            lo = nxt - start
            if lo >= len(buf):
                return
            elems = buf[lo:lo + span:self._stride]
            if len(elems) < self._size and (self._drop or done and not elems):
                return
            yield self._window(elems)
            nxt += self._shift
            drop = min(nxt - start, len(buf))
            del buf[:drop]
            start += drop


class GroupByWindowDataset(_LazySpec):
    """Elements grouped by key into windows, each reduced to a dataset
    (`Dataset.group_by_window`)."""

    def __init__(self, input_ds: Dataset, key_func, reduce_func, window_size,
                 window_size_func):
        if (window_size is None) == (window_size_func is None):
            raise ValueError("Either the `window_size` argument or the `window_size_func` "
                             "argument must be specified.")
        self._key = StructuredFunction(key_func, input_ds.element_spec,
                                       "Dataset.group_by_window() key_func")
        ks = self._key.out_structure
        if ks is not None and (not isinstance(ks, TensorSpec) or ks.dtype is not
                               _dtypes.int64 or ks.shape.rank not in (0, None)):
            raise ValueError(f"`key_func` must return a single tf.int64 scalar tensor but its "
                             f"return type is {ks!r}.")
        self._reduce = reduce_func
        self._size = (lambda k: window_size) if window_size_func is None else window_size_func
        super().__init__(None, [input_ds])

    def _group_ds(self, key, elems):
        out = self._reduce(S._wrap(np.int64(key)),
                           ElementsDataset(self._inputs[0].element_spec, elems))
        if not isinstance(out, Dataset):
            raise TypeError(f"`reduce_func` must return a `Dataset` object, got {type(out)!r}.")
        return out

    def _infer(self):
        from rill.data.iterators import Context
        inp = self._inputs[0]
        for x in inp._iterate(Context(inp)):
            if type(x) is S.Error:
                x.raise_()
            return self._group_ds(int(self._key.call(*x)[0]), [x]).element_spec
        raise ValueError("group_by_window: cannot tell the element_spec over an empty input.")

    def _iterate(self, ctx):
        groups: dict = {}
        for x in self._inputs[0]._iterate(ctx):
            if type(x) is S.Error:
                yield x
                continue
            k = int(self._key.call(*x)[0])
            g = groups.setdefault(k, [])
            g.append(x)
            if len(g) >= int(np.asarray(getattr(self._size(k), "_value", self._size(k)))):
                del groups[k]
                yield from self._group_ds(k, g)._iterate(ctx)
        for k in sorted(groups):  # leftover windows by key, as TensorFlow flushes them
            yield from self._group_ds(k, groups[k])._iterate(ctx)


def bucket_by_sequence_length(ds, element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes, padding_values, pad_to_bucket_boundary,
                              no_padding, drop_remainder) -> Dataset:
    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(b) for b in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError("len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1")
    def key(*args):  # the bucket: how many boundaries the length reaches
        from rill._core.convert import constant
        from rill.ops import math_ops, reduction_ops
        n = math_ops.cast(element_length_func(*args), _dtypes.int64)
        edges = constant(np.asarray(boundaries, np.int64))
        return reduction_ops.reduce_sum(math_ops.cast(n >= edges, _dtypes.int64))

    def reduce_func(bucket, group):
        b = int(bucket)
        if no_padding:
            return group.batch(sizes[b], drop_remainder)
        shapes = padded_shapes
        if pad_to_bucket_boundary:
            if b == len(boundaries):
                raise InvalidArgumentError(None, "BucketBySequenceLength",
                                           "When pad_to_bucket_boundary=True, elements must "
                                           "have length < max(bucket_boundaries).")
            shapes = S.map_structure(lambda s: TensorShape([boundaries[b] - 1]).concatenate(
                s.shape[1:]), group.element_spec)
        return group.padded_batch(sizes[b], shapes, padding_values, drop_remainder)

    return GroupByWindowDataset(ds, key, reduce_func, None,
                                lambda k: sizes[int(np.asarray(getattr(k, "_value", k)))])
