"""`tf.data.Dataset`: a lazy chain of iterator factories over NumPy values.

Each dataset node knows its `element_spec` and its inputs, and `_iterate(ctx)` yields its
elements as flat tuples of NumPy values (see `_structure`); nothing runs until it is
iterated. The transformations live in their own modules (sources, transformations,
batching, shuffling, parallel, readers); this class is the public surface that chains them.

Fast path: datasets whose elements are rows of NumPy arrays chosen by an index stream
(`from_tensor_slices`, and shuffle/repeat/take/skip over it) expose an `IndexPlan`, so
`batch` gathers a whole batch with one fancy index per component instead of stacking rows.
"""

from __future__ import annotations

import numpy as np

from rill.data import _structure as S

INFINITE = -1
UNKNOWN = -2
AUTOTUNE = -1


class Options:
    """Dataset options (`tf.data.Options`): `deterministic` (`experimental_deterministic`)
    is honoured; the others are accepted and recorded."""

    def __init__(self):
        self.deterministic = None
        self.experimental_optimization = _Bag()
        self.threading = _Bag()
        self.autotune = _Bag()
        self.experimental_distribute = _Bag()
        self.experimental_slack = False
        self.experimental_warm_start = False
        self.experimental_external_state_policy = None

    @property
    def experimental_deterministic(self):
        return self.deterministic

    @experimental_deterministic.setter
    def experimental_deterministic(self, value):
        self.deterministic = value

    def merge(self, other: Options) -> Options:
        out = Options()
        out.__dict__.update(self.__dict__)
        for k, v in other.__dict__.items():
            if v is not None and not isinstance(v, _Bag):
                out.__dict__[k] = v
        return out


class _Bag:
    """A namespace that accepts any option (threading.private_threadpool_size, ...)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def is_dataset(x) -> bool:
    """True for a `tf.data.Dataset` (the hook Keras' fit uses to accept datasets).

    >>> tf.data.is_dataset(tf.data.Dataset.range(3))
    True
    """
    return isinstance(x, Dataset)


class Dataset:
    """A sequence of elements, each a nested structure of tensors (`tf.data.Dataset`).

    >>> ds = tf.data.Dataset.from_tensor_slices([1, 2, 3]).map(lambda x: x * 2)
    >>> [int(x) for x in ds]
    [2, 4, 6]
    """

    _cheap = False  # no user code, files or threads upstream: prefetch(AUTOTUNE) runs inline

    def __init__(self, structure, inputs=()):
        self._structure = structure
        self._inputs = tuple(inputs)
        self._options = None

    # -- what subclasses provide -------------------------------------------------------------
    def _iterate(self, ctx):
        """Yields the elements as flat tuples of NumPy values (or `S.Error`s)."""
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN

    def _plan(self):
        """An IndexPlan when the elements are rows of arrays picked by an index stream."""
        return None

    # -- description -------------------------------------------------------------------------
    @property
    def element_spec(self):
        """The structure of `tf.TensorSpec`s that describes one element."""
        return self._structure

    def cardinality(self):
        """The number of elements as an int64 tensor; `tf.data.INFINITE_CARDINALITY` (-1) or
        `tf.data.UNKNOWN_CARDINALITY` (-2) when infinite or unknown."""
        return S._wrap(np.int64(self._cardinality()))

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} element_spec={self._structure!r}>"

    def options(self) -> Options:
        """The options of this dataset and its inputs, merged."""
        out = Options()
        for d in _walk(self)[::-1]:
            if d._options is not None:
                out = out.merge(d._options)
        return out

    def with_options(self, options: Options) -> Dataset:
        """This dataset with `options` applied."""
        from rill.data.transformations import _Passthrough
        ds = _Passthrough(self)
        ds._options = options
        return ds

    def _deterministic(self, deterministic) -> bool:
        if deterministic is not None:
            return bool(deterministic)
        d = self.options().deterministic
        return True if d is None else bool(d)

    # -- iteration ---------------------------------------------------------------------------
    def __iter__(self):
        from rill.data import iterators
        return iterators.make_iterator(self)

    def as_numpy_iterator(self):
        """Iterates the elements as NumPy values (scalar strings as bytes).

        The fastest way to consume a dataset from Python (Keras' fit does):
        no tensor objects are made.

        >>> list(tf.data.Dataset.range(3).as_numpy_iterator())
        [np.int64(0), np.int64(1), np.int64(2)]
        """
        from rill.data import iterators
        for s in S.flatten(self._structure):
            if not hasattr(s, "dtype"):
                raise TypeError(f"as_numpy_iterator: the dataset has a {type(s).__name__} "
                                f"component, which has no NumPy value.")
        return iterators.OwnedIterator(self, numpy=True)

    def as_numpy(self):
        return self.as_numpy_iterator()

    def _autograph_for_stmt(self, extra_test, body, values, names, options):
        from rill.data import iterators
        return iterators.for_stmt(self, extra_test, body, values, names, options)

    def reduce(self, initial_state, reduce_func):
        """Folds the elements into one value: `state = reduce_func(state, element)`.

        >>> int(tf.data.Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x))
        10
        """
        from rill.data.transformations import reduce
        return reduce(self, initial_state, reduce_func)

    def get_single_element(self):
        """The one element of a dataset that has exactly one."""
        it = iter(self)
        try:
            first = next(it)
        except StopIteration:
            from rill._core.errors import InvalidArgumentError
            raise InvalidArgumentError(None, "DatasetToSingleElement",
                                       "Dataset was empty.") from None
        try:
            next(it)
        except StopIteration:
            return first
        from rill._core.errors import InvalidArgumentError
        raise InvalidArgumentError(None, "DatasetToSingleElement",
                                   "Dataset had more than one element.")

    # -- sources -------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None) -> Dataset:
        """The slices of `tensors` along their first dimension.

        >>> [x.numpy().tolist() for x in tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]])]
        [[1, 2], [3, 4]]
        """
        return _src.TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None) -> Dataset:
        """A dataset of the one element `tensors`."""
        return _src.TensorDataset(tensors)

    @staticmethod
    def range(*args, dtype=None, name=None) -> Dataset:
        """Like Python's range: `range(stop)`, `range(start, stop[, step])`; int64."""
        return _src.RangeDataset(*args, dtype=dtype)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None) -> Dataset:
        """Elements produced by calling `generator(*args)` anew on each iteration."""
        return _src.GeneratorDataset(generator, output_types, output_shapes, args,
                                     output_signature)

    @staticmethod
    def zip(*datasets, name=None) -> Dataset:
        """Tuples (or the given structure) of the elements of several datasets."""
        if len(datasets) == 1 and S.is_structure(datasets[0]):
            datasets = datasets[0]
        return _src.ZipDataset(datasets)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True) -> Dataset:
        """Element i comes from `datasets[choice_i]`."""
        return _src.ChooseDataset(datasets, choice_dataset, stop_on_empty_dataset)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None) -> Dataset:
        """Elements drawn from `datasets` at random with `weights`."""
        return _src.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset,
                                         rerandomize_each_iteration)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None) -> Dataset:
        """The file names matching `file_pattern` (a glob, or a list of them), shuffled unless
        `shuffle=False`."""
        from rill.data.readers import list_files
        return list_files(file_pattern, shuffle, seed)

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None) -> Dataset:
        """Loads a dataset written by `Dataset.save`."""
        from rill.data.saving import load
        return load(path, element_spec, compression)

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None) -> None:
        """Writes the elements to the directory `path` (read back with `Dataset.load`)."""
        from rill.data.saving import save
        save(self, path, compression)

    # -- transformations -------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None) -> Dataset:
        """Applies `map_func` to each element. The function is traced once into a graph, so
        its Python side effects run once; with `num_parallel_calls` (an int or
        `tf.data.AUTOTUNE`) elements are mapped on background threads, in order unless
        `deterministic=False`."""
        if num_parallel_calls is None:
            return _tr.MapDataset(self, map_func)
        from rill.data.parallel import ParallelMapDataset
        return ParallelMapDataset(self, map_func, num_parallel_calls,
                                  self._deterministic(deterministic))

    def filter(self, predicate, name=None) -> Dataset:
        """The elements for which `predicate` returns True (a bool scalar)."""
        return _tr.FilterDataset(self, predicate)

    def flat_map(self, map_func, name=None) -> Dataset:
        """Maps each element to a dataset and flattens them in order."""
        return _tr.InterleaveDataset(self, map_func, 1, 1)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None) -> Dataset:
        """Maps elements to datasets and interleaves `cycle_length` of them, `block_length`
        elements at a time; with `num_parallel_calls` the inner datasets are read ahead on
        background threads."""
        cycle = AUTOTUNE if cycle_length is None else int(cycle_length)
        block = 1 if block_length is None else int(block_length)
        if num_parallel_calls is None:
            return _tr.InterleaveDataset(self, map_func, cycle, block)
        from rill.data.parallel import ParallelInterleaveDataset
        return ParallelInterleaveDataset(self, map_func, cycle, block, num_parallel_calls)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None) -> Dataset:
        """Stacks consecutive elements into batches (the last one may be smaller unless
        `drop_remainder`)."""
        return _bt.BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None) -> Dataset:
        """Batches elements of different shapes, padding them to `padded_shapes` (None
        dimensions: the longest in the batch)."""
        return _bt.PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                      drop_remainder)

    def ragged_batch(self, batch_size, drop_remainder=False, row_splits_dtype=None,
                     name=None) -> Dataset:
        """Batches elements of different shapes into `tf.RaggedTensor`s (components whose
        shape is fully known batch as `batch` does)."""
        return _bt.BatchDataset(self, batch_size, drop_remainder, ragged=True)

    def unbatch(self, name=None) -> Dataset:
        """Splits each element into its slices along the first dimension."""
        return _bt.UnbatchDataset(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None) -> Dataset:
        """Re-groups a batched dataset into batches of `batch_size`."""
        return _bt.rebatch(self, batch_size, drop_remainder)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None) -> Dataset:
        """Windows of `size` elements (each a dataset), every `shift` elements."""
        return _bt.WindowDataset(self, size, shift, stride, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True,
                name=None) -> Dataset:
        """Randomly shuffles elements through a buffer of `buffer_size`; a new order each
        iteration unless `reshuffle_each_iteration=False`."""
        from rill.data.shuffling import ShuffleDataset
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None) -> Dataset:
        """The dataset `count` times (forever when None or -1)."""
        return _tr.RepeatDataset(self, count)

    def take(self, count, name=None) -> Dataset:
        """The first `count` elements (all when -1)."""
        return _tr.TakeDataset(self, count)

    def skip(self, count, name=None) -> Dataset:
        """All but the first `count` elements (none when -1)."""
        return _tr.SkipDataset(self, count)

    def prefetch(self, buffer_size, name=None) -> Dataset:
        """Produces up to `buffer_size` elements ahead on a background thread.
        `tf.data.AUTOTUNE` picks the size, and runs inline when the input is cheap NumPy
        slicing (a thread would only add hand-off cost)."""
        from rill.data.parallel import PrefetchDataset
        return PrefetchDataset(self, buffer_size)

    def cache(self, filename="", name=None) -> Dataset:
        """Keeps the elements of the first full iteration (in memory, or in `filename`)."""
        return _tr.CacheDataset(self, filename)

    def concatenate(self, dataset, name=None) -> Dataset:
        """This dataset's elements followed by `dataset`'s."""
        return _src.ConcatenateDataset(self, dataset)

    def enumerate(self, start=0, name=None) -> Dataset:
        """(index, element) pairs, counting from `start`."""
        return Dataset.zip((Dataset.range(start, np.iinfo(np.int64).max), self))

    def apply(self, transformation_func) -> Dataset:
        """`transformation_func(self)`, for chaining."""
        return transformation_func(self)

    def scan(self, initial_state, scan_func, name=None) -> Dataset:
        """Maps with a running state: `(state, out) = scan_func(state, element)`."""
        return _tr.ScanDataset(self, initial_state, scan_func)

    def unique(self, name=None) -> Dataset:
        """The elements (int or string scalars) that were not seen before."""
        return _tr.UniqueDataset(self)

    def ignore_errors(self, log_warning=False, name=None) -> Dataset:
        """Drops the elements whose production raised an error."""
        return _tr.IgnoreErrorsDataset(self, log_warning)

    def take_while(self, predicate, name=None) -> Dataset:
        """Elements up to (not including) the first for which `predicate` is False."""
        return _tr.TakeWhileDataset(self, predicate)

    def shard(self, num_shards, index, name=None) -> Dataset:
        """Every `num_shards`-th element, starting at `index`."""
        return _tr.ShardDataset(self, num_shards, index)

    def group_by_window(self, key_func, reduce_func, window_size=None,
                        window_size_func=None, name=None) -> Dataset:
        """Groups elements by `key_func` into windows reduced by `reduce_func`."""
        return _bt.GroupByWindowDataset(self, key_func, reduce_func, window_size,
                                        window_size_func)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None) -> Dataset:
        """Batches elements of similar length together (padded per bucket)."""
        return _bt.bucket_by_sequence_length(
            self, element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
            padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)


def _walk(ds) -> list:
    """The nodes of a dataset graph, depth first from `ds`, each once."""
    out, seen, stack = [], set(), [ds]
    while stack:
        d = stack.pop()
        if id(d) in seen:
            continue
        seen.add(id(d))
        out.append(d)
        stack.extend(reversed(d._inputs))
    return out


# isort: split
from rill.data import batching as _bt  # noqa: E402
from rill.data import sources as _src  # noqa: E402
from rill.data import transformations as _tr  # noqa: E402
