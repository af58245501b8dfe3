"""Categorical preprocessing layers: CategoryEncoding and Hashing."""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.preprocessing import _utils as U

_MODES = ("multi_hot", "one_hot", "count")


class CategoryEncoding(Layer):
    """Encodes integer categories in [0, num_tokens): "one_hot" (one vector per value),
    "multi_hot" (which categories occur along the last axis), "count" (how often, weighted
    by `count_weights` when given).

    >>> keras.layers.CategoryEncoding(4, output_mode="count")(np.array([[0, 1, 1]])).numpy()
    array([[1., 2., 0., 0.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        who = f"CategoryEncoding {self.name!r}"
        if output_mode == "binary":
            output_mode = "multi_hot"
        U.one_of(output_mode, _MODES, who, "output_mode")
        if num_tokens is None:
            raise ValueError(f"{who}: num_tokens must be set.\nhint: pass the number of "
                             f"categories, or use IntegerLookup when it is not known.")
        self.num_tokens = U.positive_int(num_tokens, who, "num_tokens")
        self.output_mode = output_mode
        if sparse:
            raise NotImplementedError(f"{who}: sparse outputs are not supported by rill.\n"
                                      f"hint: leave sparse=False.")
        self.sparse = False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"CategoryEncoding {self.name!r}: count_weights only applies to "
                             f"output_mode='count', got output_mode={self.output_mode!r}.")
        x = U.as_input(inputs)
        if not x.dtype.is_integer:
            x = tf.cast(x, tf.int64)
        return U.encode(x, self.output_mode, self.num_tokens, self.dtype, count_weights)

    def compute_output_shape(self, input_shape):
        return U.encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}


def map_values(x, fn):
    """`fn` applied to a tensor, or to the flat values of a RaggedTensor."""
    if hasattr(x, "flat_values") and hasattr(x, "with_flat_values"):
        return x.with_flat_values(fn(x.flat_values))
    return fn(x)


class Hashing(Layer):
    """Hashes values into `num_bins` bins: FarmHash Fingerprint64 of each value's string
    (integers as decimal text) modulo the bins, or keyed SipHash with `salt`; with
    `mask_value`, that value maps to 0 and the others to 1 + their hash modulo
    `num_bins - 1`. `output_mode` "int", "one_hot", "multi_hot" or "count".

    >>> keras.layers.Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]])).numpy().ravel()
    array([1, 0, 1])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        who = f"Hashing {self.name!r}"
        self.num_bins = U.positive_int(num_bins, who, "num_bins")
        U.one_of(output_mode, ("int", *_MODES), who, "output_mode")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"{who}: with output_mode='int', dtype must be 'int32' or "
                             f"'int64', got {self.dtype!r}.")
        if sparse:
            raise NotImplementedError(f"{who}: sparse outputs are not supported by rill.\n"
                                      f"hint: leave sparse=False.")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"{who}: salt must be an integer or a pair of integers, got "
                                 f"{salt!r}.\nhint: salt=133.")
        self.mask_value, self.salt = mask_value, salt
        self.output_mode, self.sparse = output_mode, False

    def call(self, inputs):
        x = inputs if hasattr(inputs, "flat_values") else U.as_input(inputs)
        if self.output_mode == "one_hot" and x.shape.rank and x.shape[-1] == 1:
            x = tf.squeeze(x, -1)
        bins = map_values(x, self._bins)
        return U.encode(tf.cast(bins, self.dtype) if self.output_mode == "int" else bins,
                        self.output_mode, self.num_bins, self.dtype)

    def _bins(self, values):
        strings = U.strings()
        n = self.num_bins
        mask = None
        if self.mask_value is not None and n > 1:
            n -= 1
            mask = tf.equal(values, tf.cast(self.mask_value, values.dtype)
                            if values.dtype != tf.string else self.mask_value)
        if values.dtype.is_floating:
            values = tf.cast(values, tf.int64)
        if values.dtype != tf.string:
            values = strings.as_string(values)
        if self.salt is not None:
            hashed = strings.to_hash_bucket_strong(values, n, key=self.salt)
        else:
            hashed = strings.to_hash_bucket_fast(values, n)
        if mask is not None:
            hashed = tf.where(mask, tf.zeros_like(hashed), hashed + 1)
        return hashed

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape)
        if self.output_mode == "int":
            return shape
        if self.output_mode == "one_hot" and shape.rank and shape[-1] == 1:
            shape = tf.TensorShape(shape.as_list()[:-1])
        return U.encoded_shape(shape, self.output_mode, self.num_bins)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
