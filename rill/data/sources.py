"""Sources: from_tensor_slices, from_tensors, range, from_generator, zip, concatenate,
choose_from_datasets, sample_from_datasets."""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import constant
from rill._core.errors import InvalidArgumentError
from rill._core.tensor_shape import TensorShape
from rill.data import _composite as _C
from rill.data import _plan
from rill.data import _structure as S
from rill.data.dataset import INFINITE, UNKNOWN, Dataset
from rill.data.shuffling import Seeded
from rill.function.signature import TensorSpec


def _frozen(v):
    """A private read-only copy: later changes to the caller's array do not reach the
    dataset, and views of it handed out cannot change it."""
    a = np.array(v, copy=True)
    a.flags.writeable = False
    return a


class TensorSliceDataset(Dataset):
    """The slices of tensors along their first dimension (`from_tensor_slices`)."""

    _cheap = True

    def __init__(self, tensors):
        structure, flat = S.normalize(tensors, "from_tensor_slices")
        specs = S.flatten(structure)
        if any(not isinstance(s, (TensorSpec,) + _C.COMPOSITE_SPECS) for s in specs):
            raise TypeError("from_tensor_slices: components must be tensors, got a dataset.")
        self._composite = any(isinstance(s, _C.COMPOSITE_SPECS) for s in specs)
        n = None
        for v, s in zip(flat, specs):
            if s.shape.rank == 0:
                raise ValueError(f"Unbatching a tensor is only supported for rank >= 1, but "
                                 f"got a scalar component {v!r}.\nhint: use "
                                 f"from_tensors for a single element.")
            if n is None:
                n = s.shape[0]
            elif s.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {s.shape[0]} are not compatible\n"
                                 f"from_tensor_slices: all components must have the same size "
                                 f"in their first dimension.\nhint: check the lengths of the "
                                 f"features and labels.")
        super().__init__(S.map_structure(
            lambda s: _C.sliced_spec(s) if isinstance(s, _C.COMPOSITE_SPECS)
            else TensorSpec(s.shape[1:], s.dtype), structure))
        if self._composite:   # rows of ragged/sparse components, computed once
            self._rows = list(zip(*[_C.slice_leaf(v, s) if isinstance(s, _C.COMPOSITE_SPECS)
                                    else list(_frozen(v)) for v, s in zip(flat, specs)]))
            if n is None:
                n = len(self._rows)
        else:
            self._arrays = [_frozen(v) for v in flat]
        self._n = n

    def _cardinality(self) -> int:
        return self._n

    def _plan(self):
        if self._composite:
            return None
        return _plan.IndexPlan(self._arrays, _plan.arange_chunks(self._n))

    def _iterate(self, ctx):
        if self._composite:
            return iter(self._rows)
        return self._plan().rows(ctx)


class TensorDataset(Dataset):
    """One element (`from_tensors`)."""

    _cheap = True

    def __init__(self, tensors):
        structure, flat = S.normalize(tensors, "from_tensors")
        super().__init__(structure)
        self._values = tuple(v if isinstance(v, (Dataset,) + _C.COMPOSITE_VALUES)
                             else _frozen(v) for v in flat)

    def _cardinality(self) -> int:
        return 1

    def _iterate(self, ctx):
        yield self._values


class RangeDataset(Dataset):
    """Integers like Python's range (`Dataset.range`)."""

    _cheap = True

    def __init__(self, *args, dtype=None):
        args = [int(np.asarray(getattr(a, "_value", a))) for a in args]
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid arguments to range: {args}.\nhint: range(stop), "
                             f"range(start, stop) or range(start, stop, step).")
        if len(args) == 3 and args[2] == 0:
            raise InvalidArgumentError(None, "RangeDataset", "step must be a non-zero "
                                       "integer.")
        self._range = range(*args)
        self._dtype = _dtypes.as_dtype(dtype or _dtypes.int64)
        super().__init__(TensorSpec([], self._dtype))

    def _cardinality(self) -> int:
        return len(self._range)

    def _iterate(self, ctx):
        t = self._dtype._np.type
        for i in self._range:
            yield (t(i),)


def _flatten_up_to(structure, value, what: str):
    if isinstance(structure, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(structure):
            raise TypeError(f"{what}: yielded {value!r}, which does not match the structure "
                            f"of the output_signature {structure!r}.")
        out = []
        for s, v in zip(structure, value):
            out.extend(_flatten_up_to(s, v, what))
        return out
    if isinstance(structure, dict):
        if not isinstance(value, dict) or set(value) != set(structure):
            raise TypeError(f"{what}: yielded {value!r}, which does not match the structure "
                            f"of the output_signature {structure!r}.")
        out = []
        for k in S._keys(structure):
            out.extend(_flatten_up_to(structure[k], value[k], what))
        return out
    return [value]


def _convert_leaf(v, spec: TensorSpec):
    d = spec.dtype
    try:
        if hasattr(v, "_value"):
            a = v._value
            if a.dtype != d._np:
                raise TypeError("dtype")
        elif d is _dtypes.string:
            a = constant(v, dtype=d)._value
        else:
            a = np.asarray(v)
            if a.dtype.kind in "OSU":
                raise TypeError("dtype")
            a = a.astype(d._np, copy=False)
    except (TypeError, ValueError, OverflowError):
        raise InvalidArgumentError(
            None, "IteratorGetNext",
            f"TypeError: `generator` yielded an element that could not be converted to the "
            f"expected type. The expected type was {d.name}, but the yielded element was "
            f"{v!r}.\nhint: yield values of the dtypes in output_signature.") from None
    if not spec.shape.is_compatible_with(TensorShape(a.shape)):
        want = tuple(spec.shape.as_list()) if spec.shape.rank is not None else None
        raise InvalidArgumentError(
            None, "IteratorGetNext",
            f"TypeError: `generator` yielded an element of shape {tuple(a.shape)} where an "
            f"element of shape {want} was expected.\n"
            f"hint: yield values of the shapes in output_signature (None: any size).")
    return a


class GeneratorDataset(Dataset):
    """Elements from a Python generator, called anew on each iteration (`from_generator`).

    The generator runs in the thread that pulls elements (a background one under prefetch
    or a parallel map)."""

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError(f"from_generator: `generator` must be callable, got "
                            f"{generator!r}.\nhint: pass the generator function, not a "
                            f"generator object (each iteration calls it again).")
        if output_signature is None:
            if output_types is None:
                raise TypeError("from_generator: give output_signature (a structure of "
                                "tf.TensorSpec), or output_types.")
            shapes = output_shapes
            if shapes is None:
                shapes = S.map_structure(lambda _: None, output_types)
            types = S.flatten(output_types)
            shape_list = _flatten_up_to(output_types, shapes, "output_shapes") \
                if S.is_structure(output_types) else [shapes]
            output_signature = S.pack(output_types, [
                TensorSpec(TensorShape(s) if s is not None else TensorShape(None), t)
                for t, s in zip(types, shape_list)])
        for s in S.flatten(output_signature):
            if not isinstance(s, TensorSpec):
                raise TypeError(f"from_generator: output_signature must hold tf.TensorSpec "
                                f"objects, got {s!r}.")
        super().__init__(output_signature)
        self._generator = generator
        self._args = tuple(S.to_value(a, "from_generator args") for a in (args or ()))
        self._args = tuple(a[()] if isinstance(a, np.ndarray) and a.ndim == 0 and
                           a.dtype == object else a for a in self._args)

    def _iterate(self, ctx):
        structure, specs = self._structure, S.flatten(self._structure)
        what = "from_generator"
        try:
            gen = iter(self._generator(*self._args))
        except Exception as exc:  # noqa: BLE001
            yield S.Error(exc, "calling the generator of Dataset.from_generator")
            return
        pos = 0
        while True:
            try:
                value = next(gen)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - reaches the consumer
                yield S.Error(exc, f"in the generator of Dataset.from_generator, at element "
                                   f"{pos}")
                return
            try:
                leaves = _flatten_up_to(structure, value, what) if S.is_structure(structure) \
                    else [value]
                yield tuple([_convert_leaf(v, s) for v, s in zip(leaves, specs)])
            except Exception as exc:  # noqa: BLE001
                yield S.Error(exc, f"element {pos} of Dataset.from_generator")
            pos += 1


class ZipDataset(Dataset):
    """Tuples (or the given structure) of elements of several datasets (`Dataset.zip`)."""

    def __init__(self, datasets):
        flat = S.flatten(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"zip: expected datasets, got {d!r}.\nhint: "
                                f"tf.data.Dataset.zip((ds1, ds2)).")
        super().__init__(S.pack(datasets, [d.element_spec for d in flat]), flat)
        self._cheap = all(d._cheap for d in flat)

    def _cardinality(self) -> int:
        cards = [d._cardinality() for d in self._inputs]
        if UNKNOWN in cards:
            return UNKNOWN
        finite = [c for c in cards if c != INFINITE]
        return min(finite) if finite else INFINITE

    def _iterate(self, ctx):
        its = [d._iterate(ctx) for d in self._inputs]
        for parts in zip(*its):
            err = next((p for p in parts if type(p) is S.Error), None)
            if err is not None:
                yield err
            elif len(parts) == 2:
                yield parts[0] + parts[1]
            else:
                yield tuple(v for p in parts for v in p)


def _common_structure(a, b, what: str):
    spec = S.relax(a, b)
    if spec is None:
        raise TypeError(f"Incompatible dataset elements:\n  {a!r} vs.\n  {b!r}\n{what}: the "
                        f"datasets must have the same structure and dtypes.\nhint: map one of "
                        f"them to the other's structure and dtypes (tf.cast).")
    return spec


class ConcatenateDataset(Dataset):
    """One dataset's elements, then another's (`Dataset.concatenate`)."""

    def __init__(self, first: Dataset, second: Dataset):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate: expected a dataset, got {second!r}.")
        super().__init__(_common_structure(first.element_spec, second.element_spec,
                                           "concatenate"), [first, second])
        self._cheap = first._cheap and second._cheap

    def _cardinality(self) -> int:
        a, b = (d._cardinality() for d in self._inputs)
        if INFINITE in (a, b):
            return INFINITE
        if UNKNOWN in (a, b):
            return UNKNOWN
        return a + b

    def _iterate(self, ctx):
        for d in self._inputs:
            yield from d._iterate(ctx)


def _same_datasets(datasets, what: str):
    datasets = list(datasets)
    if not datasets:
        raise ValueError(f"{what}: `datasets` must be a non-empty list of datasets.")
    structure = datasets[0].element_spec
    for d in datasets[1:]:
        structure = _common_structure(structure, d.element_spec, what)
    return datasets, structure


class ChooseDataset(Dataset):
    """Element i from `datasets[choice_i]` (`choose_from_datasets`)."""

    def __init__(self, datasets, choice_dataset, stop_on_empty_dataset=True):
        datasets, structure = _same_datasets(datasets, "choose_from_datasets")
        spec = choice_dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype is not _dtypes.int64 or \
                spec.shape.rank != 0:
            raise TypeError(f"Invalid `choice_dataset`. Elements of `choice_dataset` must be "
                            f"scalar `tf.int64` tensors but are {spec!r}.\nhint: "
                            f"tf.data.Dataset.range(n) gives int64 scalars.")
        super().__init__(structure, [choice_dataset] + datasets)
        self._stop = bool(stop_on_empty_dataset)

    def _iterate(self, ctx):
        choices, *datasets = self._inputs
        its = [d._iterate(ctx) for d in datasets]
        done = [False] * len(its)
        for c in choices._iterate(ctx):
            if type(c) is S.Error:
                yield c
                continue
            i = int(c[0])
            if not 0 <= i < len(its):
                yield S.Error(InvalidArgumentError(
                    None, "DirectedInterleave", f"Selector index out of range: {i} >= "
                    f"{len(its)}\nhint: choices must index `datasets`."), "choose_from_datasets")
                return
            if done[i]:
                continue
            x = next(its[i], None)
            if x is None:
                done[i] = True
                if self._stop:
                    return
                continue
            yield x


class SampleDataset(Dataset, Seeded):
    """Elements drawn at random from several datasets (`sample_from_datasets`)."""

    def __init__(self, datasets, weights, seed, stop_on_empty, rerandomize):
        datasets, structure = _same_datasets(datasets, "sample_from_datasets")
        super().__init__(structure, datasets)
        if weights is None:
            w = np.full(len(datasets), 1.0 / len(datasets))
        else:
            w = np.asarray(getattr(weights, "_value", weights), dtype=np.float64).reshape(-1)
            if w.shape[0] != len(datasets):
                raise ValueError(f"Invalid `weights`. The shape of `weights` should be "
                                 f"compatible with `[len(datasets)]` but is {w.shape}.")
        self._weights = w
        self._stop = bool(stop_on_empty)
        self._init_seed(seed, bool(rerandomize))

    def _iterate(self, ctx):
        rng = ctx.rng(self)
        its = [d._iterate(ctx) for d in self._inputs]
        w = self._weights.copy()
        while w.sum() > 0:
            u = rng.random(256)
            for x in u.tolist():
                i = int(np.searchsorted(np.cumsum(w) / w.sum(), x, side="right"))
                i = min(i, len(w) - 1)
                item = next(its[i], None)
                if item is None:
                    if self._stop:
                        return
                    w[i] = 0.0
                    break
                yield item


def sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset, rerandomize):
    return SampleDataset(datasets, weights, seed, stop_on_empty_dataset, rerandomize)
