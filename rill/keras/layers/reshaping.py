"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector (the batch axis is kept)."""

from __future__ import annotations

import math

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.input_spec import InputSpec


def _as_shape(input_shape) -> tf.TensorShape:
    return tf.TensorShape(input_shape)


class Flatten(Layer):
    """Flattens each sample: `(batch, a, b)` -> `(batch, a * b)`.

    >>> keras.layers.Flatten()(np.zeros((2, 3, 4))).shape
    TensorShape([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or backend.image_data_format()
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        rank = inputs.shape.rank
        if self.data_format == "channels_first" and rank and rank > 2:
            inputs = tf.transpose(inputs, [0, *range(2, rank), 1])
        if rank == 1:
            return tf.expand_dims(inputs, 1)
        dims = inputs.shape.as_list()[1:]
        if None not in dims:
            return tf.reshape(inputs, [-1, math.prod(dims)])
        return tf.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))

    def compute_output_shape(self, input_shape):
        dims = _as_shape(input_shape).as_list()
        rest = dims[1:]
        return tf.TensorShape([dims[0], math.prod(rest) if None not in rest else None])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1, inferred).

    >>> keras.layers.Reshape((2, -1))(np.zeros((5, 6))).shape
    TensorShape([5, 2, 3])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = tuple(int(d) for d in target_shape)
        if target.count(-1) > 1 or any(d < -1 or d == 0 for d in target):
            raise ValueError(f"Reshape: target_shape must hold positive sizes and at most one "
                             f"-1, got {tuple(target_shape)}.\nhint: e.g. Reshape((2, -1)).")
        self.target_shape = target

    def _resolved(self, dims: list) -> list:
        """The target shape with -1 filled in from the input's sample dims (None if not
        known); checks that the sizes match."""
        target = list(self.target_shape)
        total = math.prod(dims) if None not in dims else None
        known = math.prod(d for d in target if d != -1)
        if total is None:
            return [None if d == -1 else d for d in target]
        if (-1 in target and total % known) or (-1 not in target and total != known):
            raise ValueError(f"Reshape {self.name!r}: the total size of the new array must be "
                             f"unchanged, input sample shape = {dims}, target_shape = "
                             f"{list(self.target_shape)}.\nhint: the target's sizes must "
                             f"multiply to {total}.")
        return [total // known if d == -1 else d for d in target]

    def call(self, inputs):
        target = self._resolved(inputs.shape.as_list()[1:])
        if None not in target:
            return tf.reshape(inputs, [-1, *target])
        batch = tf.shape(inputs)[:1]
        return tf.reshape(inputs, tf.concat([batch, tf.constant(list(self.target_shape),
                                                                 batch.dtype)], 0))

    def compute_output_shape(self, input_shape):
        dims = _as_shape(input_shape).as_list()
        return tf.TensorShape([dims[0], *self._resolved(dims[1:])])

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the sample axes: `dims` is a permutation of 1..rank-1 (the batch stays).

    >>> keras.layers.Permute((2, 1))(np.zeros((4, 3, 5))).shape
    TensorShape([4, 5, 3])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: invalid permutation argument `dims` {tuple(dims)}: "
                             f"the indices must be consecutive and start from 1.\nhint: "
                             f"Permute((2, 1)) swaps the two sample axes.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return tf.transpose(inputs, [0, *self.dims])

    def compute_output_shape(self, input_shape):
        dims = _as_shape(input_shape).as_list()
        return tf.TensorShape([dims[0], *(dims[d] for d in self.dims)])

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each sample `n` times: `(batch, d)` -> `(batch, n, d)`.

    >>> keras.layers.RepeatVector(3)(np.zeros((2, 4))).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"RepeatVector: n must be an integer, got {n!r}.\nhint: "
                            f"RepeatVector(3).")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return tf.tile(tf.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        dims = _as_shape(input_shape).as_list()
        return tf.TensorShape([dims[0], self.n, dims[1]])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
