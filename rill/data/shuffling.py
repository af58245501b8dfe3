"""`Dataset.shuffle` and the seeds of random transformations.

Seeds follow TensorFlow's rules: an op seed and/or the global seed (`tf.random.set_seed`)
make a node deterministic; without either it draws fresh entropy when it is built. A node
then draws one seed per iteration (`[seed, seed2, epoch]`): the epoch counts its iterations
when it reshuffles each iteration, else stays 0, so a seeded pipeline gives the same
sequence of orders in every run. The iteration context records the seeds (see
`iterators.Context`), which is what lets an iterator be saved and restored.

The shuffle buffer works as TensorFlow's: fill `buffer_size` elements, then for every new
element emit a random one of the buffer and put the new one in its place; at the end emit
the rest in random order. When everything fits in the buffer the output is a uniform random
permutation, which on an index plan is one `rng.permutation` and a fancy index.
"""

from __future__ import annotations

import itertools

import numpy as np

from rill.data import _plan
from rill.data.dataset import Dataset
from rill.ops.random_ops import get_seed


class Seeded:
    """Mixin of the random nodes: `_draw_seed()` -> [seed, seed2, epoch]."""

    def _init_seed(self, seed, reseed_each_iteration: bool) -> None:
        s, s2 = get_seed(None if seed is None else int(_scalar(seed)))
        if s is None:
            entropy = np.random.SeedSequence().entropy
            s, s2 = entropy >> 64, entropy & 0xFFFFFFFFFFFFFFFF
        self._seed_pair = (int(s), int(s2))
        self._reseed = bool(reseed_each_iteration)
        self._epochs = itertools.count()

    def _draw_seed(self) -> list:
        return [*self._seed_pair, next(self._epochs) if self._reseed else 0]


def _scalar(x):
    return np.asarray(getattr(x, "_value", x)).item()


def shuffled(items, buffer_size: int, rng: np.random.Generator):
    """The items in shuffle-buffer order."""
    items = iter(items)
    buf = list(itertools.islice(items, buffer_size))
    draws: list = []
    for item in items:
        if not draws:
            draws = rng.integers(0, buffer_size, 1024).tolist()[::-1]
        j = draws.pop()
        yield buf[j]
        buf[j] = item
    for p in rng.permutation(len(buf)).tolist():
        yield buf[p]


class ShuffleDataset(Dataset, Seeded):
    """Elements in random order through a buffer (`Dataset.shuffle`)."""

    def __init__(self, input_ds: Dataset, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(input_ds.element_spec, [input_ds])
        self._buffer = int(_scalar(buffer_size))
        if self._buffer == -1:  # tf.data.AUTOTUNE is not a valid buffer size in TensorFlow
            raise ValueError("shuffle: buffer_size must be greater than zero.")
        if self._buffer <= 0:
            raise ValueError(f"shuffle: buffer_size must be greater than zero, got "
                             f"{self._buffer}.\nhint: a buffer as large as the dataset gives "
                             f"a uniform shuffle.")
        self._input = input_ds
        self._init_seed(seed, True if reshuffle_each_iteration is None
                        else reshuffle_each_iteration)
        self._cheap = input_ds._cheap

    def _cardinality(self) -> int:
        return self._input._cardinality()

    def _plan(self):
        plan = self._input._plan()
        if plan is None:
            return None
        n, buffer = self._input._cardinality(), self._buffer

        def chunks(ctx):
            rng = ctx.rng(self)
            if 0 <= n <= buffer:  # a uniform permutation, as `shuffled` gives
                idx = list(plan.chunks(ctx))
                idx = np.concatenate(idx) if idx else np.zeros(0, np.int64)
                idx = idx[rng.permutation(len(idx))]
                for s in range(0, len(idx), _plan.CHUNK):
                    yield idx[s:s + _plan.CHUNK]
                return
            yield from _plan.int_chunks(shuffled(_plan.flat_ints(plan.chunks(ctx)), buffer,
                                                 rng))
        return plan.derive(chunks)

    def _iterate(self, ctx):
        plan = self._plan()
        if plan is not None:
            return plan.rows(ctx)
        return shuffled(self._input._iterate(ctx), self._buffer, ctx.rng(self))

