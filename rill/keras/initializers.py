"""`keras.initializers`: objects that return a weight's initial value, `init(shape, dtype)`.

Random initializers with an integer `seed` return the same values on every call (stateless
random ops keyed by the seed). Unseeded ones draw from rill's global random stream
(`tf.random`), so `keras.utils.set_random_seed(s)` makes a whole model's weights reproducible.

Fans (for the variance-scaling family) follow Keras: a dense kernel `(in, out)` has
`fan_in = in`, `fan_out = out`; a convolution kernel `(*window, in, out)` multiplies both by
the window's size (the receptive field).

>>> init = keras.initializers.GlorotUniform(seed=1)
>>> w = init((30, 10))
>>> bool(tf.reduce_max(tf.abs(w)) <= (6 / 40) ** 0.5)
True
>>> keras.initializers.get("zeros")((2,)).numpy()
array([0., 0.], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.saving.serialization import (
    AutoConfig,
    module_api,
)

_MODULE = "keras.initializers"


def _dims(shape, who: str) -> tuple:
    dims = tf.TensorShape(shape).as_list()
    if any(d is None for d in dims):
        raise ValueError(f"{who}: the shape must be fully defined, got {tuple(dims)}.\n"
                         f"hint: pass a tuple of integers, e.g. (3, 2).")
    return tuple(int(d) for d in dims)


def _dtype(dtype, who: str, floating: bool = False):
    dt = tf.as_dtype(backend.standardize_dtype(dtype))
    if floating and not dt.is_floating:
        raise ValueError(f"{who}: expected `dtype` to be a floating type, got {dt.name}.\n"
                         f"hint: random initializers fill float weights; use e.g. "
                         f"dtype='float32' (or keras.initializers.Zeros for integers).")
    return dt


class Initializer(AutoConfig):
    """Base class of initializers: `__call__(shape, dtype=None)` returns a tensor.

    A subclass implements `__call__`; `get_config` defaults to the constructor's arguments.

    >>> class Fill(keras.initializers.Initializer):
    ...     def __init__(self, value):
    ...         self.value = value
    ...     def __call__(self, shape, dtype=None, **kwargs):
    ...         return tf.fill(shape, tf.constant(self.value, dtype or tf.float32))
    >>> Fill(3.0).get_config()
    {'value': 3.0}
    """

    _keras_module = _MODULE

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.__call__(shape, dtype) is not "
                                  f"implemented.\nhint: subclasses of Initializer return "
                                  f"the initial tensor from __call__.")

    def get_config(self) -> dict:
        """The constructor's arguments, as JSON-ready values."""
        return self._auto_config()

    @classmethod
    def from_config(cls, config: dict):
        """The initializer that `get_config` describes."""
        config = dict(config)
        config.pop("dtype", None)  # written by tf.keras 1/2 configs
        return cls(**config)

    def clone(self):
        """A new initializer with the same config."""
        return self.__class__.from_config(self.get_config())


class Zeros(Initializer):
    """Fills with 0 (any numeric or bool dtype)."""

    def __call__(self, shape, dtype=None, **kwargs):
        return tf.zeros(_dims(shape, "Zeros"), _dtype(dtype, "Zeros"))

    def get_config(self) -> dict:
        return {}


class Ones(Initializer):
    """Fills with 1 (any numeric or bool dtype)."""

    def __call__(self, shape, dtype=None, **kwargs):
        return tf.ones(_dims(shape, "Ones"), _dtype(dtype, "Ones"))

    def get_config(self) -> dict:
        return {}


class Constant(Initializer):
    """Fills with `value` (a scalar, or an array broadcast to the shape).

    >>> keras.initializers.Constant(2.5)((2,)).numpy()
    array([2.5, 2.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        dims, dt = _dims(shape, "Constant"), _dtype(dtype, "Constant")
        value = np.asarray(self.value, dtype=dt.as_numpy_dtype)
        try:
            value = np.broadcast_to(value, dims)
        except ValueError:
            raise ValueError(f"Constant: the value of shape {value.shape} does not broadcast to "
                             f"the requested shape {dims}.\nhint: pass a scalar, or an array "
                             f"whose shape broadcasts to {dims}.") from None
        return tf.constant(value, dt)

    def get_config(self) -> dict:
        value = self.value
        return {"value": value.tolist() if hasattr(value, "tolist") else value}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds `seed` (an int, or None for fresh draws)."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int,
                                                                                 np.integer))):
            raise ValueError(f"{type(self).__name__}: `seed` must be an integer or None, got "
                             f"{seed!r}.\nhint: pass seed=42 for reproducible values, or "
                             f"leave it None and call keras.utils.set_random_seed.")
        self.seed = None if seed is None else int(seed)

    def _pair(self):
        return [self.seed, 0]

    def _normal(self, dims, dtype, mean, stddev):
        if self.seed is None:
            return tf.random.normal(dims, mean, stddev, dtype)
        return tf.random.stateless_normal(dims, self._pair(), mean, stddev, dtype)

    def _truncated(self, dims, dtype, mean, stddev):
        if self.seed is None:
            return tf.random.truncated_normal(dims, mean, stddev, dtype)
        return tf.random.stateless_truncated_normal(dims, self._pair(), mean, stddev, dtype)

    def _uniform(self, dims, dtype, minval, maxval):
        if self.seed is None:
            return tf.random.uniform(dims, minval, maxval, dtype)
        return tf.random.stateless_uniform(dims, self._pair(), minval, maxval, dtype)

    def _args(self, shape, dtype):
        who = type(self).__name__
        return _dims(shape, who), _dtype(dtype, who, floating=True)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Samples from N(mean, stddev^2)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None, **kwargs):
        return self._normal(*self._args(shape, dtype), self.mean, self.stddev)

    def get_config(self) -> dict:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Samples from N(mean, stddev^2), redrawing values more than 2 stddev from the mean."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None, **kwargs):
        return self._truncated(*self._args(shape, dtype), self.mean, self.stddev)

    def get_config(self) -> dict:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Samples uniformly from [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None, **kwargs):
        return self._uniform(*self._args(shape, dtype), self.minval, self.maxval)

    def get_config(self) -> dict:
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple:
    """(fan_in, fan_out) of a weight shape, as Keras computes them.

    >>> keras.initializers.compute_fans((3, 3, 16, 32))  # a 3x3 convolution kernel
    (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (math.prod(shape[a] for a in input_axes),
                math.prod(shape[a] for a in output_axes))
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
_TRUNCATED_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


class VarianceScaling(RandomInitializer):
    """Samples with variance `scale / n`, n the fan chosen by `mode`.

    - `truncated_normal`: stddev `sqrt(scale / n) / 0.8796...` truncated at 2 stddev (so the
      samples' variance is `scale / n`); `untruncated_normal`: stddev `sqrt(scale / n)`;
    - `uniform`: within `[-limit, limit]`, `limit = sqrt(3 * scale / n)`.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        if not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float, got "
                             f"{scale!r}.\nhint: pass e.g. scale=2.0 (He).")
        if mode not in _MODES:
            raise ValueError(f"VarianceScaling: invalid `mode` {mode!r}; expected one of "
                             f"{list(_MODES)}.\nhint: use mode='fan_in'.")
        distribution = str(distribution).lower()
        if distribution == "normal":  # tf.keras 2's name
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: invalid `distribution` {distribution!r}; "
                             f"expected one of {list(_DISTRIBUTIONS)}.\nhint: use "
                             f"distribution='truncated_normal' or 'uniform'.")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=None, **kwargs):
        dims, dt = self._args(shape, dtype)
        fan_in, fan_out = compute_fans(dims, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return self._truncated(dims, dt, 0.0, math.sqrt(variance) / _TRUNCATED_STD)
        if self.distribution == "untruncated_normal":
            return self._normal(dims, dt, 0.0, math.sqrt(variance))
        limit = math.sqrt(3.0 * variance)
        return self._uniform(dims, dt, -limit, limit)

    def _axes_config(self) -> dict:
        if self.input_axes is None and self.output_axes is None:
            return {}
        return {"input_axes": self.input_axes, "output_axes": self.output_axes}

    def get_config(self) -> dict:
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, **self._axes_config()}


def _preset(name: str, scale: float, mode: str, distribution: str, doc: str):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict:
        return {"seed": self.seed, **self._axes_config()}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                            "__doc__": doc, "__module__": __name__})


GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Glorot (Xavier) normal: truncated normal, variance 2 / (fan_in + "
                       "fan_out).")
GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform",
                        "Glorot (Xavier) uniform: within +-sqrt(6 / (fan_in + fan_out)).")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal",
                   "He normal: truncated normal, variance 2 / fan_in.")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform",
                    "He uniform: within +-sqrt(6 / fan_in).")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal",
                      "LeCun normal: truncated normal, variance 1 / fan_in.")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform",
                       "LeCun uniform: within +-sqrt(3 / fan_in).")


class Orthogonal(RandomInitializer):
    """An orthogonal matrix (times `gain`) from the QR decomposition of a normal sample.

    A shape `(*rest, cols)` is treated as a `(prod(rest), cols)` matrix whose rows (or columns,
    whichever are fewer) are orthonormal.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        dims, dt = self._args(shape, dtype)
        if len(dims) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least 2 dimensions, got "
                             f"{dims}.\nhint: use it for kernels such as (in, out).")
        rows, cols = math.prod(dims[:-1]), dims[-1]
        sample = self._normal((max(rows, cols), min(rows, cols)), dt, 0.0, 1.0)
        q, r = tf.linalg.qr(sample)
        q = q * tf.sign(tf.linalg.diag_part(r))  # makes the decomposition unique
        if rows < cols:
            q = tf.transpose(q)
        return tf.reshape(q * tf.constant(self.gain, dt), dims)

    def get_config(self) -> dict:
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        dims, dt = _dims(shape, "Identity"), _dtype(dtype, "Identity")
        if len(dims) != 2:
            raise ValueError(f"Identity: the shape must be 2-D, got {dims} of rank "
                             f"{len(dims)}.\nhint: use Identity for square or rectangular "
                             f"matrices only.")
        return tf.constant(self.gain * np.eye(*dims), dt)

    def get_config(self) -> dict:
        return {"gain": self.gain}


# snake_case names (Keras 3) and tf.keras 2's callable classes
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_normal, glorot_uniform = GlorotNormal, GlorotUniform
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity

_CLASSES = (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal, Identity)
_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "orthogonal": Orthogonal,
            "identity": Identity, "glorot_normal": GlorotNormal,
            "glorot_uniform": GlorotUniform, "he_normal": he_normal, "he_uniform": HeUniform,
            "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
            "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
            "uniform": RandomUniform, "normal": RandomNormal}


def _module_objects() -> dict:
    return {"Initializer": Initializer, **{c.__name__: c for c in _CLASSES}, **_ALIASES}


serialize, deserialize, get = module_api(_module_objects, "initializer", "An")


for _cls in (Initializer, RandomInitializer, *_CLASSES):
    _cls._keras_module = _MODULE
