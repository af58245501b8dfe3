"""`tf.random`: random ops with TensorFlow's seed rules, stateless ops and `tf.random.Generator`.

Three families share one set of NumPy samplers (`_normal`, `_uniform`, ...):

- stateful ops (`RandomStandardNormal`, ...): each op draws from a `_Stream`, a NumPy
  Generator keyed by the op's (seed, seed2). The stream is an attribute of the op, so a traced
  function's compiled code draws fresh values on every call; `set_seed` restarts every stream.
- stateless ops (`StatelessRandomNormal`, ...): the seed pair is an input tensor and the values
  depend on it alone (a Philox generator keyed by the pair), in every run and process.
- `Generator` ops (`StatefulStandardNormalV2`, ...): Philox state kept in a rill Variable.

Bit streams differ from TensorFlow's; distributions, shapes, dtypes and seed rules match.
"""

from __future__ import annotations

import enum

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import Tensor, wrap
from rill._core.tensor_shape import TensorShape
from rill._core.variable import Variable
from rill.ops import math_ops
from rill.ops._util import to_tensor

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
DEFAULT_GRAPH_SEED = 87654321
_MASK = (1 << 64) - 1
_FLOATS = (_dtypes.float16, _dtypes.bfloat16, _dtypes.float32, _dtypes.float64)
_INTS = (_dtypes.int32, _dtypes.int64)
_FULL_INTS = (_dtypes.int32, _dtypes.int64, _dtypes.uint32, _dtypes.uint64)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


# -- seeds --------------------------------------------------------------------------------
class _Seeds:
    """Global seed state: the seed set by `set_seed`, the eager op counter, the epoch (bumped
    by every `set_seed`, restarting all streams) and the eager streams by explicit seeds."""

    global_seed: int | None = None
    counter = 0
    epoch = 0
    eager_streams: dict = {}


def set_seed(seed):
    """Sets the global random seed (`tf.random.set_seed`).

    With a global seed and no op seed, each random op gets an op seed from a counter, so a
    program re-run draws the same sequence; calling `set_seed` again restarts that sequence.
    With neither seed, draws are non-deterministic.

    >>> tf.random.set_seed(42); a = tf.random.uniform([2])
    >>> tf.random.set_seed(42); b = tf.random.uniform([2])
    >>> bool(tf.reduce_all(a == b))
    True
    """
    _Seeds.global_seed = None if seed is None else int(seed)
    _Seeds.counter = 0
    _Seeds.epoch += 1
    _Seeds.eager_streams.clear()


def get_seed(op_seed):
    """The (seed, seed2) pair of a new op with seed `op_seed`, by TensorFlow's rules
    (`tf.compat.v1.random.get_seed`); (None, None) means non-deterministic."""
    g = _Seeds.global_seed
    if op_seed is not None:
        op_seed = int(op_seed)
    if g is None:
        return (None, None) if op_seed is None else (DEFAULT_GRAPH_SEED, op_seed)
    if op_seed is None:
        if _active and _state.graphs:  # ops numbered in a traced function: same seeds each trace
            op_seed = len(_state.graphs[-1].operations)
        else:
            op_seed = _Seeds.counter
            _Seeds.counter += 1
    return g, op_seed


def _philox(a: int, b: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=[int(a) & _MASK, int(b) & _MASK]))


class _Stream:
    """The random state of one op: a NumPy Generator keyed by (seed, seed2), rebuilt after
    `set_seed`. Seedless streams share one entropy-seeded generator."""

    __slots__ = ("seed", "seed2", "_rng", "_epoch")

    def __init__(self, seed, seed2):
        self.seed, self.seed2 = seed, seed2
        self._rng = None
        self._epoch = -1

    def rng(self) -> np.random.Generator:
        if self._epoch != _Seeds.epoch:
            self._rng = _UNSEEDED_RNG if self.seed is None else _philox(self.seed, self.seed2)
            self._epoch = _Seeds.epoch
        return self._rng

    def __repr__(self) -> str:
        return f"<random stream seed={self.seed} seed2={self.seed2}>"


_UNSEEDED_RNG = np.random.default_rng()
_UNSEEDED = _Stream(None, None)


def _seed_attrs(op_seed) -> dict:
    seed, seed2 = get_seed(op_seed)
    if _active and _state.graphs:
        stream = _Stream(seed, seed2)  # each graph node owns its stream
    elif seed is None:
        stream = _UNSEEDED
    elif op_seed is None:
        stream = _Stream(seed, seed2)  # a fresh counter seed
    else:  # eager ops with an explicit seed continue one sequence per seed pair
        stream = _Seeds.eager_streams.get((seed, seed2))
        if stream is None:
            stream = _Seeds.eager_streams[(seed, seed2)] = _Stream(seed, seed2)
    return {"seed": seed or 0, "seed2": seed2 or 0, "stream": stream}


# -- samplers: (rng, dims, numpy dtype, ...) -> array ---------------------------------------
def _float_work(npd: np.dtype) -> np.dtype:
    return npd if npd is _F32 or npd is _F64 else _F32


def _normal(rng, dims, npd):
    out = rng.standard_normal(dims, dtype=_float_work(npd))
    return out if out.dtype == npd else out.astype(npd)


def _uniform(rng, dims, npd):
    out = rng.random(dims, dtype=_float_work(npd))
    if out.dtype == npd:
        return out
    # rounding to a narrow float can reach 1.0; keep the interval half-open
    return np.minimum(out.astype(npd), _below_one(npd))


def _below_one(npd):
    return np.nextafter(npd.type(1), npd.type(0)) if npd.kind == "f" else \
        npd.type(1 - 2.0 ** -8)  # bfloat16: 8 significant bits


def _truncated(rng, dims, npd):
    work = _float_work(npd)
    out = rng.standard_normal(dims, dtype=work)
    bad = np.abs(out) > 2
    while bad.any():  # resample the values beyond two standard deviations
        out[bad] = rng.standard_normal(int(bad.sum()), dtype=work)
        bad = np.abs(out) > 2
    return out if out.dtype == npd else out.astype(npd)


def _uniform_int(rng, dims, npd, lo, hi):
    lo, hi = int(lo), int(hi)
    if lo >= hi:
        raise InvalidArgumentError(None, "RandomUniformInt",
                                   f"Need minval < maxval, got {lo} >= {hi}\nhint: tf.random."
                                   f"uniform draws integers from [minval, maxval).")
    return rng.integers(lo, hi, size=dims, dtype=npd)


def _full_int(rng, dims, npd):
    info = np.iinfo(npd)
    return rng.integers(info.min, info.max, size=dims, dtype=npd, endpoint=True)


def _categorical(rng, logits, n, npd):
    """Samples class indices per row of `logits` by inverting each row's CDF."""
    n = int(n)
    if n < 0:
        raise InvalidArgumentError(None, "Multinomial",
                                   f"num_samples should be non-negative, got {n}")
    batch, classes = logits.shape
    if batch == 0 or n == 0 or classes == 0:
        return np.zeros((batch, n), dtype=npd)
    x = logits.astype(np.float64)
    top = np.max(x, axis=1, keepdims=True)
    p = np.exp(x - np.where(np.isfinite(top), top, 0.0))
    p[~np.isfinite(p)] = 0.0  # NaN logits have no mass
    cdf = np.cumsum(p, axis=1)
    total = cdf[:, -1:]
    empty = total[:, 0] <= 0
    cdf = cdf / np.where(empty[:, None], 1.0, total)
    # one searchsorted over all rows: row i's CDF is shifted to [2i, 2i + 1]
    offs = 2.0 * np.arange(batch)[:, None]
    u = rng.random((batch, n)) + offs
    idx = np.searchsorted((cdf + offs).ravel(), u.ravel(), side="right").reshape(batch, n)
    idx = np.minimum(idx - np.arange(batch)[:, None] * classes, classes - 1)
    # a draw at the very top of a row may land on a trailing zero-mass class: step back
    last = classes - 1 - np.argmax(p[:, ::-1] > 0, axis=1)
    idx = np.minimum(idx, last[:, None])
    idx[empty] = classes  # as TensorFlow: a row without mass gives an out-of-range index
    return idx.astype(npd)


def _dims(shape) -> tuple:
    dims = tuple(np.reshape(shape, -1).tolist())
    if dims and min(dims) < 0:
        raise InvalidArgumentError(None, None, f"Dimension {min(dims)} must be >= 0\nhint: "
                                               f"random op shapes are lists of sizes >= 0.")
    return dims


# -- rules ----------------------------------------------------------------------------------
def _shape_of(shape) -> TensorShape:
    """The static output shape named by a 1-D shape tensor (unknown dims when symbolic)."""
    v = constant_value(shape)
    if v is not None:
        return TensorShape([int(d) for d in np.reshape(v, -1)])
    n = shape.shape[0] if shape.shape.rank else None
    return TensorShape(None if n is None else [None] * n)


def _shape_rule(shape, *args, dtype, **attrs):
    return _shape_of(shape), dtype


def _categorical_rule(logits, num_samples, *args, output_dtype, **attrs):
    n = constant_value(num_samples)
    batch = logits.shape[0] if logits.shape.rank else None
    return TensorShape([batch, None if n is None else int(n)]), output_dtype


# -- stateful ops (seeded by attributes) ----------------------------------------------------
def _stateful(name, sample, public):
    def kernel(shape, *, dtype, seed, seed2, stream):
        return sample(stream.rng(), _dims(shape), dtype._np)
    return defop(name, kernel, _shape_rule, grad=None, stateful=True, public_name=public)


RANDOM_STANDARD_NORMAL = _stateful("RandomStandardNormal", _normal, "tf.random.normal")
RANDOM_UNIFORM = _stateful("RandomUniform", _uniform, "tf.random.uniform")
TRUNCATED_NORMAL = _stateful("TruncatedNormal", _truncated, "tf.random.truncated_normal")


def _uniform_int_kernel(shape, minval, maxval, *, dtype, seed, seed2, stream):
    return _uniform_int(stream.rng(), _dims(shape), dtype._np, minval, maxval)


RANDOM_UNIFORM_INT = defop("RandomUniformInt", _uniform_int_kernel, _shape_rule, grad=None,
                           stateful=True, public_name="tf.random.uniform")


def _multinomial_kernel(logits, num_samples, *, output_dtype, seed, seed2, stream):
    return _categorical(stream.rng(), logits, num_samples, output_dtype._np)


MULTINOMIAL = defop("Multinomial", _multinomial_kernel, _categorical_rule, grad=None,
                    stateful=True, public_name="tf.random.categorical")


def _shuffle_kernel(value, *, seed, seed2, stream):
    if value.ndim == 0:
        return value
    return stream.rng().permutation(value, axis=0)


def _shuffle_rule(value, **attrs):
    return value.shape, value.dtype


RANDOM_SHUFFLE = defop("RandomShuffle", _shuffle_kernel, _shuffle_rule, grad=None,
                       stateful=True, public_name="tf.random.shuffle")


# -- argument checks ------------------------------------------------------------------------
def _shape_tensor(shape, fn: str):
    """A shape argument (list, tuple, TensorShape or 1-D integer tensor) as an int tensor."""
    if type(shape) in (list, tuple) and all(type(d) is int for d in shape):
        return wrap(np.array(shape, dtype=np.int32 if len(shape) == 0 or
                             -(2 ** 31) <= min(shape) <= max(shape) < 2 ** 31 else np.int64))
    if isinstance(shape, (Tensor, Variable)) or hasattr(shape, "_is_variable"):
        t = to_tensor(shape)
        if not t.dtype.is_integer or t.shape.rank not in (None, 1):
            raise InvalidArgumentError(
                None, fn, f"{fn}: shape must be a vector of {{int32,int64}}, got a "
                f"{t.dtype.name} tensor of shape {t.shape}.\nhint: pass e.g. [2, 3].")
        return t
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"{fn}: shape {shape} is not fully defined.\n"
                             f"hint: use tf.shape(x) for a dynamic shape.")
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)):
        if any(isinstance(d, (Tensor, Variable)) or hasattr(d, "_is_variable") for d in shape):
            from rill.ops.manip_ops import stack
            return stack([to_tensor(d, dtype=_dtypes.int32) if not hasattr(d, "dtype") else d
                          for d in shape])
        try:
            arr = np.array(shape, dtype=np.int64)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.ndim != 1 or not all(
                isinstance(d, (int, np.integer)) for d in shape):
            raise InvalidArgumentError(
                None, fn, f"{fn}: shape must be a list of ints, got {shape!r}.\n"
                f"hint: pass e.g. [2, 3].")
        return wrap(arr.astype(np.int32) if arr.size == 0 or arr.max() < 2 ** 31 else arr)
    if isinstance(shape, np.ndarray) and shape.ndim == 1 and shape.dtype.kind in "iu":
        return wrap(shape.copy())
    raise InvalidArgumentError(
        None, fn, f"{fn}: shape must be a vector of {{int32,int64}}, got {shape!r}.\n"
        f"hint: pass a list such as [{shape!r}] for a vector.")


def _check_dtype(dtype, allowed, fn: str) -> _dtypes.DType:
    dtype = _dtypes.as_dtype(dtype)
    if not any(dtype is d for d in allowed):
        raise ValueError(f"{fn}: argument `dtype` got invalid value {dtype!r}. Accepted dtypes "
                         f"are ({', '.join(repr(d) for d in allowed)}).\nhint: tf.cast the "
                         f"result for other dtypes.")
    return dtype


def _is_py(x, value) -> bool:
    return type(x) in (int, float) and x == value


def _affine(t, scale, shift, dtype):
    """t * scale + shift, skipping the Python identities (scale 1, shift 0)."""
    if not _is_py(scale, 1):
        t = math_ops.multiply(t, to_tensor(scale, dtype=dtype))
    if not _is_py(shift, 0):
        t = math_ops.add(t, to_tensor(shift, dtype=dtype))
    return t


def _range_tensors(minval, maxval, dtype):
    lo = to_tensor(minval, dtype=dtype)
    hi = to_tensor(maxval, dtype=dtype)
    if lo.shape.rank not in (None, 0) or hi.shape.rank not in (None, 0):
        raise InvalidArgumentError(
            None, "RandomUniformInt", f"minval and maxval must be scalars for integer dtypes, "
            f"got shapes {lo.shape} and {hi.shape}.\nhint: draw floats and scale them for "
            f"per-element ranges.")
    return lo, hi


# -- public stateful functions --------------------------------------------------------------
def normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Samples from a normal distribution (`tf.random.normal`).

    Gradients flow to `mean` and `stddev` (the draw is `mean + stddev * z`).

    >>> tf.random.normal([2, 3], seed=1).shape
    TensorShape([2, 3])
    """
    dtype = _check_dtype(dtype, _FLOATS, "tf.random.normal")
    s = _shape_tensor(shape, "tf.random.normal")
    attrs = _seed_attrs(seed)
    attrs["dtype"] = dtype
    return _affine(execute(RANDOM_STANDARD_NORMAL, (s,), attrs), stddev, mean, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, seed=None, name=None):
    """Samples from a normal distribution, redrawing values beyond two standard deviations
    (`tf.random.truncated_normal`)."""
    dtype = _check_dtype(dtype, _FLOATS, "tf.random.truncated_normal")
    s = _shape_tensor(shape, "tf.random.truncated_normal")
    attrs = _seed_attrs(seed)
    attrs["dtype"] = dtype
    return _affine(execute(TRUNCATED_NORMAL, (s,), attrs), stddev, mean, dtype)


def uniform(shape, minval=0, maxval=None, dtype=_dtypes.float32, seed=None, name=None):
    """Samples uniformly from [minval, maxval) (`tf.random.uniform`).

    Floats default to [0, 1); integer dtypes need `maxval`.

    >>> int(tf.reduce_max(tf.random.uniform([100], maxval=3, dtype=tf.int32))) < 3
    True
    """
    dtype = _check_dtype(dtype, _FLOATS + _INTS, "tf.random.uniform")
    s = _shape_tensor(shape, "tf.random.uniform")
    attrs = _seed_attrs(seed)
    attrs["dtype"] = dtype
    if dtype.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}\n"
                             f"hint: tf.random.uniform(shape, minval, maxval, dtype=tf."
                             f"{dtype.name}) draws from [minval, maxval).")
        lo, hi = _range_tensors(minval, maxval, dtype)
        return execute(RANDOM_UNIFORM_INT, (s, lo, hi), attrs)
    out = execute(RANDOM_UNIFORM, (s,), attrs)
    if maxval is None:
        maxval = 1
    if _is_py(minval, 0):
        return _affine(out, maxval, 0, dtype)
    lo = to_tensor(minval, dtype=dtype)
    return _affine(out, math_ops.subtract(to_tensor(maxval, dtype=dtype), lo), lo, dtype)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Draws class indices from unnormalized log-probabilities (`tf.random.categorical`).

    Args:
      logits: [batch_size, num_classes] float tensor.
      num_samples: samples per row.
      dtype: int64 (default) or int32.

    Returns: [batch_size, num_samples] integer tensor.
    """
    x, n, out_type = _categorical_args(logits, num_samples, dtype, "tf.random.categorical")
    attrs = _seed_attrs(seed)
    attrs["output_dtype"] = out_type
    return execute(MULTINOMIAL, (x, n), attrs)


def _categorical_args(logits, num_samples, dtype, fn):
    x = to_tensor(logits)
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"{fn}: logits must be a real tensor, got {x.dtype.name}.")
    if x.shape.rank not in (None, 2):
        raise InvalidArgumentError(
            None, "Multinomial", f"{fn}: logits should be a matrix, got shape {x.shape}\n"
            f"hint: add a batch axis, e.g. logits[tf.newaxis] or tf.reshape(logits, [1, -1]).")
    n = to_tensor(num_samples, dtype=_dtypes.int32) if not hasattr(num_samples, "dtype") \
        else to_tensor(num_samples)
    out_type = _check_dtype(dtype or _dtypes.int64, _INTS, fn)
    return x, n, out_type


def shuffle(value, seed=None, name=None):
    """Randomly permutes a tensor along its first axis (`tf.random.shuffle`)."""
    return execute(RANDOM_SHUFFLE, (to_tensor(value),), _seed_attrs(seed))


# -- stateless ops (seed pair as an input) ---------------------------------------------------
def _seed_rng(seed) -> np.random.Generator:
    a, b = np.reshape(seed, -1)
    return _philox(a, b)


def _stateless(name, sample, public):
    def kernel(shape, seed, *, dtype):
        return sample(_seed_rng(seed), _dims(shape), dtype._np)
    return defop(name, kernel, _shape_rule, grad=None, public_name=public)


STATELESS_NORMAL = _stateless("StatelessRandomNormal", _normal, "tf.random.stateless_normal")
STATELESS_UNIFORM = _stateless("StatelessRandomUniform", _uniform,
                               "tf.random.stateless_uniform")
STATELESS_TRUNCATED = _stateless("StatelessTruncatedNormal", _truncated,
                                 "tf.random.stateless_truncated_normal")
STATELESS_FULL_INT = _stateless("StatelessRandomUniformFullInt", _full_int,
                                "tf.random.stateless_uniform")


def _stateless_int_kernel(shape, seed, minval, maxval, *, dtype):
    return _uniform_int(_seed_rng(seed), _dims(shape), dtype._np, minval, maxval)


STATELESS_UNIFORM_INT = defop("StatelessRandomUniformInt", _stateless_int_kernel, _shape_rule,
                              grad=None, public_name="tf.random.stateless_uniform")


def _stateless_multinomial_kernel(logits, num_samples, seed, *, output_dtype):
    return _categorical(_seed_rng(seed), logits, num_samples, output_dtype._np)


STATELESS_MULTINOMIAL = defop("StatelessMultinomial", _stateless_multinomial_kernel,
                              _categorical_rule, grad=None,
                              public_name="tf.random.stateless_categorical")


def _seed_tensor(seed, fn: str):
    t = to_tensor(seed)
    if t.dtype not in _INTS:
        raise InvalidArgumentError(None, fn, f"{fn}: seed must be int32 or int64, got "
                                             f"{t.dtype.name}.\nhint: seed=[1, 2].")
    shp = t.shape
    if shp.rank is not None and (shp.rank != 1 or shp[0] not in (None, 2)):
        raise InvalidArgumentError(None, fn, f"{fn}: seed must have shape [2], not "
                                             f"{t.shape.as_list()}\nhint: pass two integers, "
                                             f"e.g. seed=[1, 2].")
    return t


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dtypes.float32, name=None,
                     alg="auto_select"):
    """Normal samples that depend only on `seed` ([2] integers) (`tf.random.stateless_normal`).

    >>> a = tf.random.stateless_normal([3], seed=[1, 2])
    >>> bool(tf.reduce_all(a == tf.random.stateless_normal([3], seed=[1, 2])))
    True
    """
    dtype = _check_dtype(dtype, _FLOATS, "tf.random.stateless_normal")
    s = _shape_tensor(shape, "tf.random.stateless_normal")
    k = _seed_tensor(seed, "tf.random.stateless_normal")
    return _affine(execute(STATELESS_NORMAL, (s, k), {"dtype": dtype}), stddev, mean, dtype)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dtypes.float32,
                               name=None, alg="auto_select"):
    """Truncated normal samples that depend only on `seed`
    (`tf.random.stateless_truncated_normal`)."""
    dtype = _check_dtype(dtype, _FLOATS, "tf.random.stateless_truncated_normal")
    s = _shape_tensor(shape, "tf.random.stateless_truncated_normal")
    k = _seed_tensor(seed, "tf.random.stateless_truncated_normal")
    return _affine(execute(STATELESS_TRUNCATED, (s, k), {"dtype": dtype}), stddev, mean, dtype)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dtypes.float32, name=None,
                      alg="auto_select"):
    """Uniform samples that depend only on `seed` (`tf.random.stateless_uniform`).

    Integer dtypes need both `minval` and `maxval`, or neither (the full range).
    """
    fn = "tf.random.stateless_uniform"
    dtype = _check_dtype(dtype, _FLOATS + _FULL_INTS, fn)
    s = _shape_tensor(shape, fn)
    k = _seed_tensor(seed, fn)
    if dtype.is_integer:
        if minval is None and maxval is None:
            return execute(STATELESS_FULL_INT, (s, k), {"dtype": dtype})
        if minval is None or maxval is None:
            raise ValueError(f"For integer `dtype` argument {dtype!r}, argument `minval` and "
                             f"`maxval` must be both None or not None. Got `minval`={minval} "
                             f"and `maxval`={maxval}.\nhint: pass maxval, or minval=None and "
                             f"maxval=None for the full range.")
        if dtype not in _INTS:
            raise ValueError(f"{fn}: bounded integer samples need int32 or int64, got "
                             f"{dtype.name}.")
        lo, hi = _range_tensors(minval, maxval, dtype)
        return execute(STATELESS_UNIFORM_INT, (s, k, lo, hi), {"dtype": dtype})
    out = execute(STATELESS_UNIFORM, (s, k), {"dtype": dtype})
    if maxval is None:
        maxval = 1
    if _is_py(minval, 0):
        return _affine(out, maxval, 0, dtype)
    lo = to_tensor(minval, dtype=dtype)
    return _affine(out, math_ops.subtract(to_tensor(maxval, dtype=dtype), lo), lo, dtype)


def stateless_categorical(logits, num_samples, seed, dtype=_dtypes.int64, name=None):
    """Class indices drawn from `logits`, depending only on `seed`
    (`tf.random.stateless_categorical`)."""
    fn = "tf.random.stateless_categorical"
    x, n, out_type = _categorical_args(logits, num_samples, dtype, fn)
    k = _seed_tensor(seed, fn)
    return execute(STATELESS_MULTINOMIAL, (x, n, k), {"output_dtype": out_type})


def split(seed, num=2, alg="auto_select"):
    """`num` new seed pairs derived from `seed`, shape [num, 2] (`tf.random.split`)."""
    k = _seed_tensor(seed, "tf.random.split")
    return stateless_uniform([int(num), 2], k, minval=None, maxval=None, dtype=k.dtype)


def fold_in(seed, data, alg="auto_select"):
    """A new seed pair from `seed` and an integer `data` (`tf.random.fold_in`)."""
    from rill.ops.manip_ops import stack
    k = _seed_tensor(seed, "tf.random.fold_in")
    d = to_tensor(data, dtype=k.dtype) if not hasattr(data, "dtype") else to_tensor(data)
    first = stateless_uniform([], k, minval=None, maxval=None, dtype=d.dtype)
    return stack([first, d])


# -- tf.random.Generator ----------------------------------------------------------------------
class Algorithm(enum.Enum):
    """RNG algorithms (`tf.random.Algorithm`); rill implements all of them with Philox."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _alg(alg) -> int:
    if alg is None:
        return Algorithm.PHILOX.value
    if isinstance(alg, Algorithm):
        return alg.value
    if isinstance(alg, str):
        try:
            return Algorithm[alg.upper()].value
        except KeyError:
            pass
    elif isinstance(alg, (int, np.integer)) and int(alg) in (1, 2, 3):
        return int(alg)
    raise ValueError(f"Unsupported random algorithm {alg!r}.\nhint: use 'philox', "
                     f"'threefry' or 'auto_select'.")


def _key_of_seed(seed) -> int:
    """A 64-bit Philox key hashed from a seed, so neighbouring seeds give unrelated streams."""
    v = seed.numpy() if hasattr(seed, "numpy") else seed
    words = [int(x) & _MASK for x in np.reshape(np.asarray(v, dtype=object), -1)]
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0])


def create_rng_state(seed, alg):
    """A [3] int64 Philox state ([counter_lo, counter_hi, key]) for `seed`
    (`tf.random.create_rng_state`)."""
    _alg(alg)
    return wrap(np.array([0, 0, _key_of_seed(seed)], dtype=np.uint64).view(np.int64))


def _gen_philox(var) -> np.random.Philox:
    c0, c1, key = var._value.view(np.uint64)
    return np.random.Philox(counter=[c0, c1, 0, 0], key=[key, 0])


def _gen_advance(var, bg: np.random.Philox) -> None:
    c = bg.state["state"]["counter"]
    key = var._value.view(np.uint64)[2]
    var._value = np.array([c[0], c[1], key], dtype=np.uint64).view(np.int64)


def _generator_op(name, sample):
    def kernel(shape, *args, var, dtype):
        bg = _gen_philox(var)
        out = sample(np.random.Generator(bg), _dims(shape), dtype._np, *args)
        _gen_advance(var, bg)
        return out

    def rule(shape, *args, var, dtype):
        return _shape_of(shape), dtype
    return defop(name, kernel, rule, grad=None, stateful=True,
                 public_name=f"tf.random.Generator.{name}")


STATEFUL_NORMAL = _generator_op("StatefulStandardNormalV2", _normal)
STATEFUL_UNIFORM = _generator_op("StatefulUniform", _uniform)
STATEFUL_TRUNCATED = _generator_op("StatefulTruncatedNormal", _truncated)
STATEFUL_UNIFORM_INT = _generator_op("StatefulUniformInt", _uniform_int)
STATEFUL_FULL_INT = _generator_op("StatefulUniformFullInt", _full_int)


class Generator:
    """A random number generator whose state lives in a variable (`tf.random.Generator`).

    >>> g = tf.random.Generator.from_seed(1)
    >>> g.normal([2, 3]).shape
    TensorShape([2, 3])
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            state, alg = copy_from.state.numpy(), copy_from.algorithm
        elif state is None:
            raise ValueError("Generator needs `copy_from` or `state`.\nhint: use "
                             "tf.random.Generator.from_seed(seed).")
        self._alg = _alg(alg)
        self._state_var = Variable(self._state_array(state), trainable=False,
                                   name="StateVar")

    @staticmethod
    def _state_array(state) -> np.ndarray:
        v = state.numpy() if hasattr(state, "numpy") else state
        words = np.reshape(np.asarray(v, dtype=object), -1)
        if words.size != 3 or not all(isinstance(w, (int, np.integer)) for w in words):
            raise ValueError(f"A Philox state is 3 integers, got {v!r}.\nhint: use "
                             f"tf.random.create_rng_state(seed, 'philox').")
        return np.array([int(w) & _MASK for w in words], dtype=np.uint64).view(np.int64)

    @classmethod
    def from_seed(cls, seed, alg=None) -> Generator:
        """A generator whose state is derived from an integer seed."""
        return cls(state=create_rng_state(seed, alg), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None) -> Generator:
        """A generator seeded from operating-system entropy."""
        key = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        return cls(state=np.array([0, 0, key], dtype=np.uint64), alg=alg)

    @classmethod
    def from_state(cls, state, alg) -> Generator:
        return cls(state=state, alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg) -> Generator:
        c = np.reshape(np.asarray(counter.numpy() if hasattr(counter, "numpy") else counter),
                       -1)
        k = int(key.numpy() if hasattr(key, "numpy") else key)
        return cls(state=[int(c[0]), int(c[1]) if c.size > 1 else 0, k], alg=alg)

    def reset(self, state) -> None:
        self._state_var.assign(self._state_array(state))

    def reset_from_seed(self, seed) -> None:
        self.reset(create_rng_state(seed, self._alg))

    def reset_from_key_counter(self, key, counter) -> None:
        self.reset(Generator.from_key_counter(key, counter, self._alg).state.numpy())

    @property
    def state(self) -> Variable:
        """The [3] int64 variable holding the Philox counter (2 words) and key."""
        return self._state_var

    @property
    def algorithm(self) -> int:
        return self._alg

    @property
    def key(self):
        return wrap(self._state_var.numpy()[2])

    def skip(self, delta) -> None:
        """Advances the counter as if `delta` blocks of numbers had been drawn."""
        bg = _gen_philox(self._state_var)
        bg.advance(int(delta))
        _gen_advance(self._state_var, bg)

    def _run(self, opdef, shape, dtype, extra=()):
        fn = opdef.public_name
        s = _shape_tensor(shape, fn)
        var = self._state_var
        if _active and _state.graphs:
            _state.graphs[-1].on_variable_used(var)
        return execute(opdef, (s, *extra), {"var": var, "dtype": dtype})

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32, name=None):
        dtype = _check_dtype(dtype, _FLOATS, "Generator.normal")
        return _affine(self._run(STATEFUL_NORMAL, shape, dtype), stddev, mean, dtype)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=_dtypes.float32,
                         name=None):
        dtype = _check_dtype(dtype, _FLOATS, "Generator.truncated_normal")
        return _affine(self._run(STATEFUL_TRUNCATED, shape, dtype), stddev, mean, dtype)

    def uniform(self, shape, minval=0, maxval=None, dtype=_dtypes.float32, name=None):
        """Uniform samples in [minval, maxval); integer dtypes need both bounds or neither
        (the full range)."""
        dtype = _check_dtype(dtype, _FLOATS + _FULL_INTS, "Generator.uniform")
        if dtype.is_integer:
            if minval is None and maxval is None:
                return self.uniform_full_int(shape, dtype)
            if minval is None or maxval is None:
                raise ValueError(f"For integer dtype {dtype!r}, minval and maxval must be both "
                                 f"`None` or both non-`None`; got minval={minval} and "
                                 f"maxval={maxval}\nhint: pass maxval.")
            lo, hi = _range_tensors(minval, maxval, dtype)
            return self._run(STATEFUL_UNIFORM_INT, shape, dtype, (lo, hi))
        out = self._run(STATEFUL_UNIFORM, shape, dtype)
        if maxval is None:
            maxval = 1
        if _is_py(minval, 0):
            return _affine(out, maxval, 0, dtype)
        lo = to_tensor(minval, dtype=dtype)
        return _affine(out, math_ops.subtract(to_tensor(maxval, dtype=dtype), lo), lo, dtype)

    def uniform_full_int(self, shape, dtype=_dtypes.uint64, name=None):
        dtype = _check_dtype(dtype, _FULL_INTS, "Generator.uniform_full_int")
        return self._run(STATEFUL_FULL_INT, shape, dtype)

    def make_seeds(self, count=1):
        """[2, count] int64 seeds for stateless ops (`seeds[:, i]` is one seed pair)."""
        from rill.ops.manip_ops import stack
        keys = self.uniform_full_int([count], dtype=_dtypes.int64)
        return stack([keys, wrap(np.zeros(int(count), dtype=np.int64))])

    def split(self, count=1) -> list:
        """`count` new independent generators (this one advances)."""
        keys = self.uniform_full_int([count], dtype=_dtypes.int64).numpy()
        return [Generator(state=np.array([0, 0, k], dtype=np.int64), alg=self._alg)
                for k in keys]

    def __repr__(self) -> str:
        return f"<rill.random.Generator state={self._state_var.numpy().tolist()}>"


class _Global:
    generator: Generator | None = None


def get_global_generator() -> Generator:
    """The global `Generator`, created from OS entropy on first use."""
    if _Global.generator is None:
        _Global.generator = Generator.from_non_deterministic_state()
    return _Global.generator


def set_global_generator(generator: Generator) -> None:
    """Replaces the global generator (`tf.random.set_global_generator`)."""
    _Global.generator = generator



__tf_names__ = {
    "random": "categorical fold_in normal set_seed shuffle split stateless_categorical "
              "stateless_normal stateless_truncated_normal stateless_uniform truncated_normal "
              "uniform",
    "random random.experimental": "Algorithm create_rng_state Generator get_global_generator "
                                  "set_global_generator",
    "random.experimental": "stateless_fold_in=fold_in stateless_split=split",
}
