"""Batches for `fit`, `evaluate` and `predict`: arrays, generators and `keras.utils.Sequence`.

A `DataHandler` turns what the user passed (NumPy arrays, tensors, lists/tuples/dicts of them,
a Python generator, a `Sequence`/`PyDataset`, or any re-iterable of batches such as a future
`tf.data.Dataset`) into epochs of batches. Each batch is `(x,)`, `(x, y)` or
`(x, y, sample_weight)` of NumPy arrays (Keras' `pack_x_y_sample_weight` convention).

Arrays are batched by slicing: one permutation per epoch when shuffling, then a fancy index
per batch (no copy of the whole data set, no per-sample Python work).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

import rill as tf

_FLOATX = np.float32


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, sw)`.

    >>> unpack_x_y_sample_weight((1, 2))
    (1, 2, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"unpack_x_y_sample_weight: data must be x, (x,), (x, y) or (x, y, "
                     f"sample_weight); got a tuple of {len(data)} elements.\nhint: yield "
                     f"batches as (inputs, targets) or (inputs, targets, sample_weights).")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch tuple Keras passes to `train_step`: `x` (or `(x,)` when `x` is a list or
    tuple), `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_array_leaf(v) -> bool:
    return isinstance(v, (np.ndarray, np.generic, tf.Tensor, tf.Variable)) or \
        (hasattr(v, "__array__") and not isinstance(v, (list, tuple, dict)))


def _to_array(v, caller: str, arg: str):
    if isinstance(v, (tf.Tensor, tf.Variable)):
        v = v.numpy()
    elif hasattr(v, "to_numpy"):  # pandas
        v = v.to_numpy()
    arr = np.asarray(v)
    if arr.dtype.kind == "f" and arr.dtype != _FLOATX:
        arr = arr.astype(_FLOATX)
    elif arr.dtype.kind == "O":
        raise ValueError(f"{caller}: `{arg}` could not be converted to an array of numbers "
                         f"(got {type(v).__name__}).\nhint: pass NumPy arrays, tensors, or "
                         f"lists/tuples/dicts of them.")
    if arr.ndim == 0:
        raise ValueError(f"{caller}: `{arg}` must have a batch dimension, got a scalar "
                         f"{arr!r}.\nhint: pass one value per sample, e.g. np.array([...]).")
    return arr


def _has_array(v) -> bool:
    if _is_array_leaf(v) or isinstance(v, dict):
        return True
    return isinstance(v, (list, tuple)) and any(_has_array(e) for e in v)


def _standardize(value, caller: str, arg: str):
    """Arrays in the user's structure: lists of numbers become one array; lists, tuples and
    dicts holding arrays stay structures (several inputs or outputs)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _standardize(v, caller, f"{arg}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)) and any(_has_array(v) for v in value):
        return type(value)(_standardize(v, caller, f"{arg}[{i}]") for i, v in enumerate(value))
    return _to_array(value, caller, arg)


def _class_weight_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    if y.ndim > 1 and y.shape[-1] != 1:
        classes = np.argmax(y, axis=-1)
    else:
        classes = y.reshape(len(y), -1)[:, 0]
    classes = np.round(classes).astype(np.int64)
    lookup = np.ones(max(int(classes.max(initial=0)), max(class_weight, default=0)) + 1,
                     _FLOATX)
    for k, w in class_weight.items():
        lookup[int(k)] = w
    return lookup[classes]


def _is_sequence(x) -> bool:
    """A `keras.utils.Sequence` / `PyDataset`: indexable batches with a length."""
    return hasattr(x, "__getitem__") and hasattr(x, "__len__") and \
        not isinstance(x, (np.ndarray, list, tuple, dict, str)) and not _is_array_leaf(x)


def _is_iterator_like(x) -> bool:
    return hasattr(x, "__next__") or (hasattr(x, "__iter__") and not isinstance(
        x, (np.ndarray, list, tuple, dict, str)) and not _is_array_leaf(x))


class DataHandler:
    """Epochs of batches for one `fit`/`evaluate`/`predict` call.

    `steps` is the number of batches per epoch (None while unknown for a generator);
    `epoch()` yields the batches of one epoch as `(structure, leaves)`: `leaves` is the flat
    list of NumPy arrays of a batch that `pack_x_y_sample_weight` would make, and
    `structure` a template for `tf.nest.pack_sequence_as` (the same object for every batch of
    arrays, so callers can cache on it).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, caller: str = "fit"):
        self.caller = caller
        self.steps_per_epoch = steps_per_epoch
        self._iterator = None
        self._generator = None
        self._sequence = None
        self._reiterable = None
        self.exhausted = False
        self.shuffle = shuffle
        if x is None:
            raise ValueError(f"{caller}: `x` is None.\nhint: pass the input data, e.g. "
                             f"model.{caller}(x_train{', y_train' if caller != 'predict' else ''}"
                             f").")
        if _is_sequence(x) or _is_iterator_like(x):
            self._init_stream(x, y, sample_weight, batch_size, class_weight)
            return
        self._init_arrays(x, y, sample_weight, batch_size, shuffle, class_weight)

    # -- arrays ----------------------------------------------------------------------------
    def _init_arrays(self, x, y, sample_weight, batch_size, shuffle, class_weight):
        caller = self.caller
        x = _standardize(x, caller, "x")
        y = _standardize(y, caller, "y")
        sample_weight = _standardize(sample_weight, caller, "sample_weight")
        if class_weight:
            if sample_weight is not None:
                raise ValueError(f"{caller}: `class_weight` and `sample_weight` cannot be "
                                 f"given together.\nhint: fold the class weights into "
                                 f"sample_weight yourself, or pass only one of them.")
            if y is None or tf.nest.is_nested(y) and len(tf.nest.flatten(y)) != 1:
                raise ValueError(f"{caller}: `class_weight` needs one array of targets `y`, "
                                 f"got {type(y).__name__}.\nhint: for several outputs, pass "
                                 f"per-output sample_weight instead.")
            sample_weight = _class_weight_to_sample_weight(tf.nest.flatten(y)[0], class_weight)
        self.data = pack_x_y_sample_weight(x, y, sample_weight)
        self.structure = self.data
        self.arrays = tf.nest.flatten(self.data)
        sizes = {}
        for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            if part is not None:
                sizes[name] = [int(a.shape[0]) for a in tf.nest.flatten(part)]
        all_sizes = {s for v in sizes.values() for s in v}
        if len(all_sizes) > 1:
            detail = "\n".join(f"  '{k}' sizes: {', '.join(map(str, v))}"
                               for k, v in sizes.items())
            raise ValueError(f"{caller}: data cardinality is ambiguous: x, y and sample_weight "
                             f"must contain the same number of samples (first dimension).\n"
                             f"{detail}\nhint: check that inputs and targets line up; slice "
                             f"them to the same length.")
        self.num_samples = all_sizes.pop()
        if batch_size is None:
            batch_size = 32
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"{caller}: `batch_size` must be a positive integer, got "
                             f"{batch_size!r}.")
        self.batch_size = int(batch_size)
        self.num_batches = max(1, math.ceil(self.num_samples / self.batch_size)) \
            if self.num_samples else 0
        self.steps = self.steps_per_epoch or self.num_batches

    def _permutation(self):
        """This epoch's order of the samples (None: as they are)."""
        n, bs = self.num_samples, self.batch_size
        if self.shuffle == "batch":
            order = np.random.permutation(self.num_batches)
            return np.concatenate([np.arange(i * bs, min(n, (i + 1) * bs)) for i in order])
        return np.random.permutation(n) if self.shuffle else None

    def _array_pass(self):
        n, bs, arrays, structure = self.num_samples, self.batch_size, self.arrays, self.structure
        perm = self._permutation()
        for start in range(0, n, bs):
            if perm is None:
                batch = [a[start:start + bs] for a in arrays]
            else:
                idx = perm[start:start + bs]
                batch = [a[idx] for a in arrays]
            yield structure, batch

    def _array_groups(self, group: int):
        """`_array_pass` in groups of `group` full batches, each gathered at once (a view
        when not shuffling), then the partial last batch alone."""
        n, bs, arrays, structure = self.num_samples, self.batch_size, self.arrays, self.structure
        perm = self._permutation()
        full = n - n % bs
        for start in range(0, full, bs * group):
            stop = min(start + bs * group, full)
            sel = slice(start, stop) if perm is None else perm[start:stop]
            count = (stop - start) // bs
            yield structure, [a[sel].reshape((count, bs) + a.shape[1:]) for a in arrays], count
        if full < n:
            sel = slice(full, n) if perm is None else perm[full:]
            yield structure, [a[sel][None] for a in arrays], 1

    # -- generators, Sequences, re-iterables -----------------------------------------------
    def _init_stream(self, x, y, sample_weight, batch_size, class_weight):
        caller = self.caller
        kind = "a keras.utils.Sequence/PyDataset" if _is_sequence(x) else "a generator/dataset"
        for name, value in (("y", y), ("sample_weight", sample_weight),
                            ("class_weight", class_weight)):
            if value is not None and (name != "class_weight" or value):
                raise ValueError(f"{caller}: the `{name}` argument is not supported when `x` "
                                 f"is {kind}.\nhint: make {kind.split('/')[0]} yield "
                                 f"(inputs, targets) or (inputs, targets, sample_weights) "
                                 f"tuples.")
        if batch_size is not None:
            raise ValueError(f"{caller}: the `batch_size` argument must not be given when `x` "
                             f"is {kind} (it makes its own batches).\nhint: drop batch_size.")
        self.batch_size = None
        self.num_samples = None
        if _is_sequence(x):
            self._sequence = x
            try:
                self.num_batches = len(x)
            except NotImplementedError:  # an endless PyDataset: steps_per_epoch says when
                self.num_batches = None
                if not self.steps_per_epoch:
                    raise ValueError(f"{caller}: the PyDataset has no length (endless), so "
                                     f"`steps_per_epoch` is needed.\nhint: pass "
                                     f"steps_per_epoch=..., or define __len__.") from None
        elif hasattr(x, "__next__"):
            self._generator = x
            self.num_batches = None
        else:
            self._reiterable = x  # re-iterated every epoch: the hook for tf.data.Dataset
            try:
                self.num_batches = int(len(x))
            except (TypeError, ValueError, NotImplementedError):  # no length, or endless
                self.num_batches = None
        self.steps = self.steps_per_epoch or self.num_batches

    def _one_pass(self):
        """The batches of one pass over the data."""
        if self._sequence is not None:
            seq = self._sequence
            if hasattr(seq, "on_epoch_begin"):
                seq.on_epoch_begin()
            if self.num_batches is None:
                order = itertools.count()
            else:
                order = list(range(self.num_batches))
                if self.shuffle:
                    np.random.shuffle(order)
            for i in order:
                yield seq[i]
            if hasattr(seq, "on_epoch_end"):
                seq.on_epoch_end()
        elif self._generator is not None:
            yield from self._generator
        elif self._reiterable is not None:
            yield from self._reiterable
        else:
            yield from self._array_pass()

    def _cycle(self):
        if self._generator is not None:
            yield from self._generator
            return
        while True:
            yield from self._one_pass()

    def _convert_batch(self, batch):
        if isinstance(batch, list):
            batch = tuple(batch)
        x, y, sw = unpack_x_y_sample_weight(batch)
        data = pack_x_y_sample_weight(_standardize(x, self.caller, "x"),
                                      _standardize(y, self.caller, "y"),
                                      _standardize(sw, self.caller, "sample_weight"))
        return data, tf.nest.flatten(data)

    # -- epochs ----------------------------------------------------------------------------
    def epoch(self):
        """The batches of one epoch. Without `steps_per_epoch` an epoch is one pass over the
        data (a new permutation when shuffling); with it, the next epoch continues where
        this one stopped, starting over at the end of the data (as Keras does)."""
        convert = None if self._is_arrays else self._convert_batch
        if not self.steps_per_epoch:
            count = 0
            for batch in self._one_pass():
                count += 1
                yield batch if convert is None else convert(batch)
            if self.num_batches is None:
                self.num_batches = self.steps = count
            return
        if self._iterator is None:
            self._iterator = self._cycle()
        for count in range(self.steps_per_epoch):
            try:
                batch = next(self._iterator)
            except StopIteration:
                warnings.warn(f"{self.caller}: the input ran out of data after {count} steps "
                              f"of this epoch; stopping.\nhint: make the generator yield at "
                              f"least steps_per_epoch * epochs batches.", stacklevel=3)
                self.exhausted = True
                return
            yield batch if convert is None else convert(batch)

    def groups(self, group: int):
        """The batches of `epoch()` in groups for `steps_per_execution`: up to `group`
        consecutive batches of one structure and shapes, each leaf stacked on a new first
        axis. Yields `(structure, stacked leaves, number of batches)`."""
        if self._is_arrays and not self.steps_per_epoch:
            yield from self._array_groups(group)
            return
        pending, key = [], None
        for structure, leaves in self.epoch():
            this = (structure_key(structure), [(a.shape, a.dtype) for a in leaves])
            if pending and (this != key or len(pending) == group):
                yield _stacked(pending)
                pending = []
            key = this
            pending.append((structure, leaves))
        if pending:
            yield _stacked(pending)

    @property
    def _is_arrays(self) -> bool:
        return self._sequence is None and self._generator is None and self._reiterable is None


def structure_key(structure):
    """A hashable key of a batch's nesting (lists, tuples, dicts), without its arrays."""
    if isinstance(structure, dict):
        return ("dict",) + tuple((k, structure_key(v)) for k, v in sorted(structure.items()))
    if isinstance(structure, (list, tuple)):
        return (type(structure).__name__,) + tuple(structure_key(v) for v in structure)
    return None


def _stacked(batches: list) -> tuple:
    leaves = [np.stack(parts) for parts in zip(*(b for _, b in batches))]
    return batches[0][0], leaves, len(batches)


def train_validation_split(x, y, sample_weight, validation_split: float):
    """The last `validation_split` fraction of the arrays as validation data (Keras takes the
    last samples, before any shuffling)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"fit: `validation_split` must be in (0, 1), got {validation_split!r}."
                         f"\nhint: pass e.g. validation_split=0.2.")
    parts = [_standardize(v, "fit", n) for v, n in ((x, "x"), (y, "y"),
                                                   (sample_weight, "sample_weight"))]
    for p in parts:
        for a in tf.nest.flatten(p) if p is not None else ():
            if not isinstance(a, np.ndarray):
                raise ValueError("fit: `validation_split` works only with arrays and tensors."
                                 "\nhint: pass validation_data=... for generators and "
                                 "datasets.")
    n = int(tf.nest.flatten(parts[0])[0].shape[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"fit: the training data has {n} samples, which is not enough to "
                         f"split off validation_split={validation_split} of them.\nhint: pass "
                         f"more data or another validation_split.")

    def cut(p, lo, hi):
        return None if p is None else tf.nest.map_structure(lambda a: a[lo:hi], p)

    train = tuple(cut(p, 0, split_at) for p in parts)
    val = tuple(cut(p, split_at, n) for p in parts)
    return train, val
