"""Gamma and Poisson samples (`tf.random.gamma`, `tf.random.poisson` and their stateless
forms), with the implicit reparameterization gradient of gamma samples.

Seeds follow `random_ops` (stateful ops draw from the op's stream, stateless ops from a
Philox generator keyed by the seed pair). A gamma sample x with shape alpha satisfies
P(alpha, x) = u for a uniform u, P being the regularized lower incomplete gamma function, so
at fixed u (Figurnov et al., 2018, "Implicit reparameterization gradients"):

    dx/dalpha = -(dP/dalpha)(alpha, x) / p(alpha, x),   p = x^(alpha-1) e^-x / Gamma(alpha)

`RandomGammaGrad` computes that in float64: P by its series (x < alpha + 1) or its continued
fraction (1 - P, otherwise), dP/dalpha by a central difference in alpha.
"""

from __future__ import annotations

import math

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as _m
from rill.ops import random_ops as _r
from rill.ops._util import to_tensor, unbroadcast

_GAMMA_DTYPES = (_dtypes.float16, _dtypes.float32, _dtypes.float64)
_POISSON_DTYPES = _GAMMA_DTYPES + (_dtypes.int32, _dtypes.int64)
_EPS = 1e-15
_TINY = 1e-300


# -- samplers ---------------------------------------------------------------------------------
def _gamma(rng, dims: tuple, alpha: np.ndarray, npd) -> np.ndarray:
    """`dims` gamma samples per entry of `alpha` (computed in float64, as TensorFlow does)."""
    a = np.broadcast_to(np.asarray(alpha, np.float64), dims)
    return _as(rng.standard_gamma(a), npd)


def _as(out, npd):
    out = np.asarray(out).astype(npd, copy=False)
    return out[()] if out.ndim == 0 else out  # rank 0: a NumPy scalar, as kernels return


def _poisson(rng, dims: tuple, lam: np.ndarray, npd) -> np.ndarray:
    lam = np.broadcast_to(np.asarray(lam, np.float64), dims)
    if (lam < 0).any() or not np.isfinite(lam).all():
        return _poisson_bad(rng, dims, lam, npd)
    return _as(rng.poisson(lam), npd)


def _poisson_bad(rng, dims, lam, npd):
    """TensorFlow's kernel gives NaN for a negative or non-finite rate (0 for integers)."""
    ok = (lam >= 0) & np.isfinite(lam)
    out = np.zeros(dims, np.float64)
    out[ok] = rng.poisson(lam[ok])
    if np.dtype(npd).kind == "f":
        out[~ok] = np.nan
    return _as(out, npd)


def _sample_dims(shape, param, fn: str, op: str, leading: bool) -> tuple:
    """The output dims: `shape + param.shape` (stateful), or `shape`, which must end with
    param's shape broadcast (stateless)."""
    dims = _r._dims(shape)
    pshape = np.shape(param)
    if leading:
        return dims + pshape
    try:
        ok = np.broadcast_shapes(dims, pshape) == dims
    except ValueError:
        ok = False
    if not ok:
        raise InvalidArgumentError(
            None, op, f"Shape passed in must end with broadcasted shape. [Op:{op}]\n"
            f"{fn}: shape {list(dims)} does not end with the parameters' shape "
            f"{list(pshape)}.\nhint: stateless samplers take the full output shape, e.g. "
            f"[n] + alpha.shape.")
    return dims


# -- rules -------------------------------------------------------------------------------------
def _leading_rule(shape, param, **attrs):
    return _r._shape_of(shape).concatenate(param.shape), attrs.get("dtype", param.dtype)


def _stateless_rule(shape, seed, param, **attrs):
    return _r._shape_of(shape), attrs.get("dtype", param.dtype)


# -- the gradient of a gamma sample with respect to its shape parameter ------------------------
def _lgamma(a: np.ndarray) -> np.ndarray:
    """log Gamma(a) elementwise (math.lgamma once per distinct value)."""
    values, inverse = np.unique(a, return_inverse=True)
    return np.array([math.lgamma(v) for v in values.tolist()]).reshape(-1)[inverse] \
        .reshape(a.shape)


def _series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_n x^n / ((a+1)...(a+n)); P(a, x) = x^a e^-x / Gamma(a + 1) times this."""
    total = np.ones_like(a)
    term = np.ones_like(a)
    live = np.arange(a.size)
    ap = a.copy()
    for _ in range(100_000):
        if live.size == 0:
            break
        ap[live] += 1
        term[live] *= x[live] / ap[live]
        total[live] += term[live]
        live = live[np.abs(term[live]) > np.abs(total[live]) * _EPS]
    return total


def _continued_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Lentz's continued fraction h with 1 - P(a, x) = x^a e^-x / Gamma(a) * h."""
    b = x + 1 - a
    c = np.full_like(a, 1 / _TINY)
    d = 1 / b
    h = d.copy()
    live = np.arange(a.size)
    for i in range(1, 100_000):
        if live.size == 0:
            break
        an = -i * (i - a[live])
        b[live] += 2
        dl = an * d[live] + b[live]
        dl = 1 / np.where(np.abs(dl) < _TINY, _TINY, dl)
        cl = b[live] + an / c[live]
        cl = np.where(np.abs(cl) < _TINY, _TINY, cl)
        step = dl * cl
        d[live], c[live] = dl, cl
        h[live] *= step
        live = live[np.abs(step - 1) > _EPS]
    return h


def _gamma_grad_kernel(alpha, sample):
    """d sample / d alpha at a fixed quantile, elementwise over alpha and sample broadcast."""
    out_dtype = np.result_type(alpha, sample)
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(sample, np.float64))
    a, x = a.ravel(), np.maximum(x.ravel(), np.finfo(np.float64).tiny)
    h = 1e-4 * np.minimum(a, np.sqrt(a))  # a step well inside the scale of a
    grad = np.full_like(a, np.nan)  # alpha <= 0: no distribution, NaN as in TensorFlow
    lower = x < a + 1
    # P = x^a e^-x S(a) / Gamma(a + 1) on the lower branch, 1 - x^a e^-x H(a) / Gamma(a) on
    # the upper; divided by the density p, the factor e^-x cancels and only ratios of x^a and
    # Gamma are formed, so nothing underflows for tiny samples
    for sel, sign in ((lower, 1.0), (~lower, -1.0)):
        sel = sel & (a > 0) & np.isfinite(a)
        if not sel.any():
            continue
        aa, xx, hh = a[sel], x[sel], h[sel]
        lg = _lgamma(aa)
        parts = []
        for da in (hh, -hh):
            an = aa + da
            scale = np.exp(da * np.log(xx) - (_lgamma(an) - lg))
            parts.append(scale * (_series(an, xx) / an if sign > 0 else
                                  _continued_fraction(an, xx)))
        # (dP/da) / p = sign * x * dF/da with F = parts: a central difference
        grad[sel] = -sign * xx * (parts[0] - parts[1]) / (2 * hh)
    return _as(grad.reshape(np.broadcast_shapes(np.shape(alpha), np.shape(sample))), out_dtype)


def _gamma_grad_rule(alpha, sample):
    a, s = alpha.shape, sample.shape
    if a.is_fully_defined() and s.is_fully_defined():
        return TensorShape(np.broadcast_shapes(tuple(a.as_list()), tuple(s.as_list()))), \
            sample.dtype
    if a.rank is None or s.rank is None:
        return TensorShape(None), sample.dtype
    return TensorShape([None] * max(a.rank, s.rank)), sample.dtype


RANDOM_GAMMA_GRAD = defop("RandomGammaGrad", _gamma_grad_kernel, _gamma_grad_rule, grad=None,
                          public_name="tf.raw_ops.RandomGammaGrad")


def _gamma_alpha_grad(op, dy, alpha):
    """dy * dsample/dalpha summed over the sample axes (alpha lines up with the samples'
    trailing axes, so the two broadcast)."""
    partial = execute(RANDOM_GAMMA_GRAD, (alpha, op.outputs[0]))
    return unbroadcast(_m.multiply(dy, partial), alpha)


# -- the ops -----------------------------------------------------------------------------------
def _random_gamma_kernel(shape, alpha, *, seed, seed2, stream):
    dims = _sample_dims(shape, alpha, "tf.random.gamma", "RandomGamma", True)
    return _gamma(stream.rng(), dims, alpha, alpha.dtype)


RANDOM_GAMMA = defop("RandomGamma", _random_gamma_kernel, _leading_rule,
                     lambda op, dy: (None, _gamma_alpha_grad(op, dy, op.inputs[1])),
                     stateful=True, public_name="tf.random.gamma")


def _random_poisson_kernel(shape, rate, *, dtype, seed, seed2, stream):
    dims = _sample_dims(shape, rate, "tf.random.poisson", "RandomPoissonV2", True)
    return _poisson(stream.rng(), dims, rate, dtype._np)


RANDOM_POISSON = defop("RandomPoissonV2", _random_poisson_kernel, _leading_rule, grad=None,
                       stateful=True, public_name="tf.random.poisson")


def _stateless_gamma_kernel(shape, seed, alpha):
    dims = _sample_dims(shape, alpha, "tf.random.stateless_gamma", "StatelessRandomGammaV2",
                        False)
    return _gamma(_r._seed_rng(seed), dims, alpha, alpha.dtype)


STATELESS_GAMMA = defop("StatelessRandomGammaV2", _stateless_gamma_kernel, _stateless_rule,
                        lambda op, dy: (None, None, _gamma_alpha_grad(op, dy, op.inputs[2])),
                        public_name="tf.random.stateless_gamma")


def _stateless_poisson_kernel(shape, seed, lam, *, dtype):
    dims = _sample_dims(shape, lam, "tf.random.stateless_poisson", "StatelessRandomPoisson",
                        False)
    return _poisson(_r._seed_rng(seed), dims, lam, dtype._np)


STATELESS_POISSON = defop("StatelessRandomPoisson", _stateless_poisson_kernel,
                          _stateless_rule, grad=None, public_name="tf.random.stateless_poisson")


# -- public functions ------------------------------------------------------------------------
def _params(alpha, beta, dtype, fn: str):
    """alpha broadcast against beta (both of `dtype`), and beta (None when not given)."""
    dtype = _r._check_dtype(dtype, _GAMMA_DTYPES, fn)
    a = _param(alpha, dtype, fn, "alpha")
    if beta is None:
        return a, None, dtype
    b = _param(beta, dtype, fn, "beta")
    if a.shape != b.shape or not a.shape.is_fully_defined():
        from rill.ops.array_ops import broadcast_to, shape
        from rill.ops.misc_ops import broadcast_dynamic_shape
        if a.shape.is_fully_defined() and b.shape.is_fully_defined():
            target = list(np.broadcast_shapes(tuple(a.shape.as_list()),
                                              tuple(b.shape.as_list())))
        else:
            target = broadcast_dynamic_shape(shape(a), shape(b))
        if not (a.shape.is_fully_defined() and a.shape.as_list() == target):
            a = broadcast_to(a, target)
    return a, b, dtype


def _param(value, dtype, fn: str, arg: str):
    t = to_tensor(value) if hasattr(value, "dtype") else to_tensor(value, dtype=dtype)
    if t.dtype is not dtype:
        raise ValueError(f"{arg}: Tensor conversion requested dtype {dtype.name} for Tensor "
                         f"with dtype {t.dtype.name}\n{fn}: `{arg}` must have the samples' "
                         f"dtype.\nhint: pass dtype=tf.{t.dtype.name}, or tf.cast({arg}, "
                         f"tf.{dtype.name}).")
    return t


def _finish(sample, beta, dtype):
    """sample / beta, at least the smallest normal float (TensorFlow's floor for zeros)."""
    if beta is not None:
        sample = _m.divide(sample, beta)
    tiny = to_tensor(np.finfo(dtype._np).tiny, dtype=dtype)
    return _m.maximum(tiny, sample)


def gamma(shape, alpha, beta=None, dtype=_dtypes.float32, seed=None, name=None):
    """Samples from Gamma(alpha, beta) distributions (`tf.random.gamma`).

    `alpha` is the concentration, `beta` the rate (inverse scale, default 1): the density is
    beta^alpha x^(alpha-1) e^(-beta x) / Gamma(alpha), mean alpha / beta, variance
    alpha / beta^2. The result has shape `shape + broadcast(alpha, beta).shape`. Gradients
    flow to `alpha` (implicit reparameterization) and `beta`.

    >>> tf.random.gamma([10], [0.5, 1.5], seed=1).shape
    TensorShape([10, 2])
    """
    fn = "tf.random.gamma"
    a, b, dtype = _params(alpha, beta, dtype, fn)
    s = _r._shape_tensor(shape, fn)
    return _finish(execute(RANDOM_GAMMA, (s, a), _r._seed_attrs(seed)), b, dtype)


def poisson(shape, lam, dtype=_dtypes.float32, seed=None, name=None):
    """Samples from Poisson distributions of rates `lam` (`tf.random.poisson`); the result
    has shape `shape + lam.shape` and dtype `dtype` (float16/32/64, int32 or int64).

    >>> tf.random.poisson([10], [0.5, 1.5], seed=1).shape
    TensorShape([10, 2])
    """
    fn = "tf.random.poisson"
    dtype = _r._check_dtype(dtype, _POISSON_DTYPES, fn)
    rate = _rate(lam, fn)
    attrs = _r._seed_attrs(seed)
    attrs["dtype"] = dtype
    return execute(RANDOM_POISSON, (_r._shape_tensor(shape, fn), rate), attrs)


def _rate(lam, fn: str):
    t = to_tensor(lam)
    if t.dtype not in _POISSON_DTYPES:
        raise TypeError(f"{fn}: lam must be float16, float32, float64, int32 or int64, got "
                        f"{t.dtype.name}.\nhint: tf.cast(lam, tf.float32).")
    return t


def stateless_gamma(shape, seed, alpha, beta=None, dtype=_dtypes.float32, name=None):
    """Gamma samples that depend only on `seed` ([2] integers) (`tf.random.stateless_gamma`).

    Unlike `tf.random.gamma`, `shape` is the whole output shape and must end with the shape of
    alpha broadcast with beta.

    >>> a = tf.random.stateless_gamma([3, 2], seed=[1, 2], alpha=[0.5, 1.5])
    >>> bool(tf.reduce_all(a == tf.random.stateless_gamma([3, 2], [1, 2], [0.5, 1.5])))
    True
    """
    fn = "tf.random.stateless_gamma"
    a, b, dtype = _params(alpha, beta, dtype, fn)
    s = _r._shape_tensor(shape, fn)
    k = _r._seed_tensor(seed, fn)
    return _finish(execute(STATELESS_GAMMA, (s, k, a)), b, dtype)


def stateless_poisson(shape, seed, lam, dtype=_dtypes.int32, name=None):
    """Poisson samples that depend only on `seed` (`tf.random.stateless_poisson`); `shape` is
    the whole output shape and must end with `lam`'s shape.

    >>> tf.random.stateless_poisson([10, 2], seed=[12, 34], lam=[5, 15]).dtype
    tf.int32
    """
    fn = "tf.random.stateless_poisson"
    dtype = _r._check_dtype(dtype, _POISSON_DTYPES, fn)
    s = _r._shape_tensor(shape, fn)
    k = _r._seed_tensor(seed, fn)
    return execute(STATELESS_POISSON, (s, k, _rate(lam, fn)), {"dtype": dtype})


__tf_names__ = {"random": "gamma poisson stateless_gamma stateless_poisson"}
