"""TensorFlow 2's initializer classes: `tf.zeros_initializer`, `tf.ones_initializer`,
`tf.constant_initializer`, `tf.random_normal_initializer`, `tf.random_uniform_initializer`.

An initializer is called with a shape and a dtype and returns a tensor of initial values
(`tf.Variable(init([3, 2]))`); `get_config`/`from_config` round-trip its arguments. A random
initializer with a `seed` returns the same values on every call (stateless random ops);
without one, new values each time.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import constant
from rill._core.tensor import Tensor
from rill._core.tensor_shape import as_shape
from rill.ops import array_ops, random_ops

_PARTITION_KWARGS = ("partition_shape", "partition_offset")


def _dims(shape, api: str) -> list:
    s = as_shape(shape)
    if not s.is_fully_defined():
        raise ValueError(f"{api}: the shape must be fully defined, got {s}.\nhint: pass a list "
                         f"of integers, e.g. [3, 2].")
    return s.as_list()


def _check_kwargs(kwargs: dict) -> None:
    for key in kwargs:
        if key not in _PARTITION_KWARGS:
            raise TypeError(f"Keyword argument should be one of {list(_PARTITION_KWARGS)}. "
                            f"Received: {key}")


class Initializer:
    """Base class of initializers: `__call__(shape, dtype)` returns the initial tensor."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError("Initializer subclasses implement __call__(shape, dtype).")

    def get_config(self) -> dict:
        """The constructor arguments, as a dict of Python values."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """The initializer that `get_config` describes."""
        config = dict(config)
        config.pop("dtype", None)  # written by TensorFlow 1 configs
        return cls(**config)


def _numeric_or_bool(dtype, api: str) -> _dtypes.DType:
    dtype = _dtypes.as_dtype(dtype)
    if not (dtype.is_numeric or dtype.is_bool):
        raise ValueError(f"Argument `dtype` expected to be numeric or boolean. Received "
                         f"{dtype}.\nhint: {api} fills numbers or booleans, e.g. tf.float32.")
    return dtype


class Zeros(Initializer):
    """Initializes to zeros (`tf.zeros_initializer`).

    >>> tf.zeros_initializer()([2], tf.int32).numpy()
    array([0, 0], dtype=int32)
    """

    def __call__(self, shape, dtype=_dtypes.float32, **kwargs):
        _check_kwargs(kwargs)
        dtype = _numeric_or_bool(dtype, "tf.zeros_initializer")
        return array_ops.zeros(_dims(shape, "tf.zeros_initializer"), dtype=dtype)


class Ones(Initializer):
    """Initializes to ones (`tf.ones_initializer`).

    >>> tf.ones_initializer()([2]).numpy()
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=_dtypes.float32, **kwargs):
        _check_kwargs(kwargs)
        dtype = _numeric_or_bool(dtype, "tf.ones_initializer")
        return array_ops.ones(_dims(shape, "tf.ones_initializer"), dtype=dtype)


class Constant(Initializer):
    """Initializes to `value`: a scalar fills the shape; a list or array of exactly as many
    elements is reshaped to it (`tf.constant_initializer`). Without a dtype, the dtype is
    inferred from `value` as `tf.constant` does.

    >>> tf.constant_initializer([1, 2, 3, 4])([2, 2]).numpy()
    array([[1, 2],
           [3, 4]], dtype=int32)
    """

    def __init__(self, value=0, support_partition=False):
        if isinstance(value, Tensor) or hasattr(value, "_is_variable") or \
                not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            kind = "ResourceVariable" if hasattr(value, "_is_variable") else \
                "EagerTensor" if isinstance(value, Tensor) else type(value).__name__
            raise TypeError(f"Invalid type for initial value: {kind}. Expected Python scalar, "
                            f"list or tuple of values, or numpy.ndarray.\nhint: pass "
                            f"t.numpy() for a tensor.")
        self.value = value
        self.support_partition = support_partition

    def __call__(self, shape, dtype=None, **kwargs):
        _check_kwargs(kwargs)
        if dtype is not None:
            dtype = _numeric_or_bool(dtype, "tf.constant_initializer")
        return constant(self.value, dtype=dtype,
                        shape=_dims(shape, "tf.constant_initializer"))

    def get_config(self) -> dict:
        return {"value": self.value}


def _floating(dtype, api: str) -> _dtypes.DType:
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Argument `dtype` is expected to be floating point. Received: "
                         f"{dtype.name}.\nhint: {api} draws floats, e.g. tf.float32.")
    return dtype


def _seed_pair(seed) -> list:
    return [int(seed), 0]


class RandomNormal(Initializer):
    """Initializes with draws from a normal distribution (`tf.random_normal_initializer`).

    >>> init = tf.random_normal_initializer(mean=1.0, stddev=0.0)
    >>> init([2]).numpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=_dtypes.float32, **kwargs):
        _check_kwargs(kwargs)
        api = "tf.random_normal_initializer"
        dtype = _floating(dtype, api)
        dims = _dims(shape, api)
        if self.seed is None:
            return random_ops.normal(dims, self.mean, self.stddev, dtype=dtype)
        return random_ops.stateless_normal(dims, _seed_pair(self.seed), self.mean, self.stddev,
                                           dtype=dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Initializes with draws from a uniform distribution over [minval, maxval)
    (`tf.random_uniform_initializer`); integer dtypes draw integers.

    >>> v = tf.random_uniform_initializer(0.0, 1.0, seed=3)([4]).numpy()
    >>> bool(((v >= 0) & (v < 1)).all())
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape, dtype=_dtypes.float32, **kwargs):
        _check_kwargs(kwargs)
        api = "tf.random_uniform_initializer"
        dtype = _dtypes.as_dtype(dtype)
        if not (dtype.is_floating or dtype.is_integer):
            raise ValueError(f"Argument `dtype` expected to be numeric. Received {dtype}.\n"
                             f"hint: {api} draws floats or integers, e.g. tf.float32.")
        if dtype.is_integer:
            for bound in (self.minval, self.maxval):
                if isinstance(bound, float) and not float(bound).is_integer():
                    raise TypeError(f"Cannot convert {bound} to EagerTensor of dtype "
                                    f"{dtype.name}.\nhint: give integer minval and maxval "
                                    f"for an integer dtype.")
        dims = _dims(shape, api)
        if self.seed is None:
            return random_ops.uniform(dims, self.minval, self.maxval, dtype=dtype)
        return random_ops.stateless_uniform(dims, _seed_pair(self.seed), self.minval,
                                            self.maxval, dtype=dtype)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform


__tf_names__ = {
    "tf": "constant_initializer ones_initializer random_normal_initializer "
          "random_uniform_initializer zeros_initializer",
}
