"""Op specs for rill/ops/math_ops.py, reduction_ops.py and sort_ops.py (format:
tests/ops/opspec.py).

Inputs of differentiable ops are float64 and sampled away from the points where an op is not
differentiable (|x| at 0, max at ties, floor at integers), so that central differences are
meaningful. References are NumPy (or math.erf), never rill's own output.
"""

import math

import numpy as np

import rill as tf
from rill._core.op import execute
from rill.ops import math_ops as M
from rill.ops import reduction_ops as R
from rill.ops import sort_ops as S
from tests.ops.opspec import OpSpec, normal, positive


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def uniform(*shape, low=-1.0, high=1.0):
    return lambda rng: rng.uniform(low, high, shape)


def away(*shape, gap=0.2):
    """Normals with |x| >= gap (away from 0, the kink of abs, sign, reciprocal ...)."""
    def make(rng):
        x = rng.standard_normal(shape)
        return np.where(np.abs(x) < gap, np.copysign(gap, x) * 2, x)
    return make


def ints(*shape, low=-5, high=6, dtype=np.int32):
    return lambda rng: rng.integers(low, high, shape).astype(dtype)


def bools(*shape):
    return lambda rng: rng.random(shape) < 0.5


def _pair_apart(shape_x, shape_y):
    """x and y at least 0.1 apart everywhere (no ties for maximum/minimum); y broadcasts."""
    def make(rng):
        y = rng.standard_normal(shape_y)
        d = rng.uniform(0.1, 1.0, shape_x) * rng.choice([-1.0, 1.0], shape_x)
        return [y + d, y]
    return make


def _floormod_inputs(rng):
    y = rng.uniform(1.0, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    x = (rng.integers(-3, 4, (3, 4)) + rng.uniform(0.2, 0.8, (3, 4))) * y
    return [x, y]


def _with_specials(rng):
    x = rng.standard_normal((2, 5))
    x[0, 1], x[1, 2], x[1, 4] = np.nan, np.inf, -np.inf
    return [x]


_ZERO_SOME = np.array([0.0, 1.5, 0.0, -2.0])  # y = 0 is a jump of x / y: not differentiated
_ONE_SOME = np.where(_ZERO_SOME == 0, 1.0, _ZERO_SOME)


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _unary(op, fn, ref, inputs=None, second_order=True, name="", **kw):
    return OpSpec([op], fn, inputs or _ins(normal(3, 4)), ref=ref, second_order=second_order,
                  name=name or op, **kw)


def _binary(op, fn, ref, x=None, y=None, second_order=True, name="", **kw):
    return OpSpec([op], fn, _ins(x or normal(3, 4), y or normal(4)), ref=ref,
                  second_order=second_order, name=name or op, **kw)


def _complex_mix(a, b, c, d):
    z, w = tf.complex(a, b), tf.complex(c, d)
    return tf.add(tf.math.real(tf.multiply(z, w)), tf.math.imag(tf.multiply(z, z)))


def _complex_mix_ref(a, b, c, d):
    z, w = a + 1j * b, c + 1j * d
    return np.real(z * w) + np.imag(z * z)


def _put_along(dy, idx, like):
    return execute(S.PUT_ALONG, (dy, idx, like), {"axis": 1})


def _put_along_ref(dy, idx, like):
    out = np.zeros_like(like)
    np.put_along_axis(out, idx, dy, 1)
    return out


def _perm_idx(rng):
    return np.stack([rng.permutation(5)[:3] for _ in range(2)]).astype(np.int32)


def _prod_with_zeros(rng):
    x = rng.uniform(0.5, 1.5, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    x[0, 1] = 0.0
    x[2, 0] = x[2, 3] = 0.0
    return [x]


def _lse_ref(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _exclusive(scan, x, axis, identity, reverse):
    if reverse:
        x = np.flip(x, axis)
    out = scan(x, axis=axis)
    out = np.concatenate([np.full_like(np.take(out, [0], axis), identity),
                          np.delete(out, -1, axis)], axis)
    return np.flip(out, axis) if reverse else out


def _segment_ref(data, ids, n):
    out = np.zeros((n,) + data.shape[1:])
    for i, s in enumerate(ids):
        if s >= 0:
            out[s] += data[i]
    return out


def _top_k_ref(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, order, -1), order.astype(np.int32)]


def _unique_ref(x):
    y, idx = [], []
    for v in x.tolist():
        if v not in y:
            y.append(v)
        idx.append(y.index(v))
    return [np.array(y, x.dtype), np.array(idx, np.int32)]


SPECS = [
    # -- arithmetic -------------------------------------------------------------------------
    _binary("AddV2", tf.add, np.add),
    _binary("AddV2", tf.add, np.add, x=normal(2, 1, 3), y=normal(4, 1), name="AddV2[bcast]"),
    _binary("Sub", tf.subtract, np.subtract),
    _binary("Mul", tf.multiply, np.multiply),
    _binary("Mul", tf.multiply, np.multiply, x=normal(3, 1), y=normal(1, 4), name="Mul[outer]"),
    _binary("RealDiv", tf.realdiv, np.divide, y=away(4)),
    _binary("RealDiv", tf.math.truediv, np.divide, y=away(3, 4), name="truediv"),
    _binary("FloorDiv", tf.math.floordiv, lambda x, y: np.floor(x / y), y=away(4), grad=False),
    OpSpec(["FloorDiv"], tf.math.floordiv, _ins(ints(3, 4), ints(4, low=1, high=4)),
           ref=np.floor_divide, name="FloorDiv[int]", grad=False),
    OpSpec(["FloorMod"], tf.math.floormod, _floormod_inputs, ref=np.mod, second_order=True),
    OpSpec(["FloorMod"], tf.math.floormod, _ins(ints(3, 4), ints(4, low=1, high=4)),
           ref=np.mod, name="FloorMod[int]", grad=False),
    _binary("DivNoNan", tf.math.divide_no_nan, np.divide, y=away(4)),
    OpSpec(["DivNoNan"], lambda x: tf.math.divide_no_nan(x, tf.constant(_ZERO_SOME)),
           _ins(normal(4)), ref=lambda x: np.where(_ZERO_SOME == 0, 0.0, x / _ONE_SOME),
           name="DivNoNan[zeros]", second_order=True),
    OpSpec(["MulNoNan"], tf.math.multiply_no_nan,
           _ins(normal(4), lambda rng: np.array([0.0, 1.5, 0.0, -2.0])),
           ref=np.multiply, second_order=True),
    _binary("Pow", tf.pow, np.power, x=positive(3, 4), second_order=True),
    OpSpec(["Pow"], tf.pow, _ins(ints(3, 4, low=-3, high=4), ints(4, low=0, high=4)),
           ref=np.power, name="Pow[int]", grad=False),
    _binary("SquaredDifference", tf.math.squared_difference, lambda x, y: (x - y) ** 2),
    OpSpec(["Maximum"], tf.maximum, _pair_apart((3, 4), (4,)), ref=np.maximum,
           second_order=True),
    OpSpec(["Minimum"], tf.minimum, _pair_apart((3, 4), (3, 4)), ref=np.minimum,
           second_order=True),
    OpSpec(["Maximum", "Minimum"], lambda t: tf.clip_by_value(t, -0.5, 0.5),
           _ins(normal(3, 4)), ref=lambda t: np.clip(t, -0.5, 0.5), name="clip_by_value"),
    _binary("Atan2", tf.math.atan2, np.arctan2, x=normal(3, 4), y=away(4)),
    _binary("Xlogy", tf.math.xlogy, lambda x, y: x * np.log(y), y=positive(4)),
    _binary("Xdivy", tf.math.xdivy, lambda x, y: x / y, y=away(4)),
    OpSpec(["Xlogy", "Xdivy"], lambda x, y: tf.add(tf.math.xlogy(x, y), tf.math.xdivy(x, y)),
           _ins(lambda rng: np.array([0.0, 1.0, 0.0, 2.0]), positive(4)),
           ref=lambda x, y: np.where(x == 0, 0, x * np.log(y) + x / y),
           name="Xlogy+Xdivy[x=0]", grad=False),
    # -- unary ------------------------------------------------------------------------------
    _unary("Neg", tf.negative, np.negative),
    _unary("Abs", tf.abs, np.abs, _ins(away(3, 4))),
    _unary("Sign", tf.sign, np.sign, _ins(away(3, 4))),
    _unary("Square", tf.square, np.square),
    _unary("Reciprocal", tf.math.reciprocal, np.reciprocal, _ins(away(3, 4))),
    _unary("Sqrt", tf.sqrt, np.sqrt, _ins(positive(3, 4))),
    _unary("Rsqrt", tf.math.rsqrt, lambda x: 1 / np.sqrt(x), _ins(positive(3, 4))),
    _unary("Exp", tf.exp, np.exp),
    _unary("Expm1", tf.math.expm1, np.expm1),
    _unary("Log", tf.math.log, np.log, _ins(positive(3, 4))),
    _unary("Log1p", tf.math.log1p, np.log1p, _ins(positive(3, 4, low=-0.5, high=2.0))),
    _unary("Sigmoid", tf.sigmoid, _sigmoid, _ins(normal(3, 4)), rtol=1e-7),
    _unary("Sigmoid", tf.sigmoid, _sigmoid,
           _ins(lambda rng: np.array([-1000.0, -40.0, -1.0, 0.0, 2.0, 40.0, 1000.0])),
           name="Sigmoid[extreme]", grad=False, second_order=False),
    _unary("Tanh", tf.tanh, np.tanh),
    _unary("Softplus", tf.math.softplus, lambda x: np.log1p(np.exp(x))),
    _unary("Softplus", tf.math.softplus, lambda x: np.maximum(x, 0) + np.log1p(np.exp(-abs(x))),
           _ins(lambda rng: np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])),
           name="Softplus[extreme]", second_order=False),
    _unary("Softplus", tf.math.log_sigmoid, lambda x: -np.log1p(np.exp(-x)),
           name="log_sigmoid"),
    _unary("Abs", tf.math.softsign, lambda x: x / (1 + np.abs(x)), _ins(away(3, 4)),
           name="softsign"),
    _unary("Erf", tf.math.erf, _erf, _ins(uniform(3, 4, low=-4, high=4)), rtol=1e-12),
    _unary("Sin", tf.sin, np.sin),
    _unary("Cos", tf.cos, np.cos),
    _unary("Tan", tf.tan, np.tan, _ins(uniform(3, 4, low=-1.2, high=1.2))),
    _unary("Asin", tf.asin, np.arcsin, _ins(uniform(3, 4, low=-0.9, high=0.9))),
    _unary("Acos", tf.acos, np.arccos, _ins(uniform(3, 4, low=-0.9, high=0.9))),
    _unary("Atan", tf.atan, np.arctan),
    _unary("Sinh", tf.sinh, np.sinh),
    _unary("Cosh", tf.cosh, np.cosh),
    _unary("Asinh", tf.asinh, np.arcsinh),
    _unary("Acosh", tf.acosh, np.arccosh, _ins(positive(3, 4, low=1.2, high=3.0))),
    _unary("Atanh", tf.atanh, np.arctanh, _ins(uniform(3, 4, low=-0.9, high=0.9))),
    _unary("Floor", tf.floor, np.floor, grad=False, second_order=False),
    _unary("Ceil", tf.math.ceil, np.ceil, grad=False, second_order=False),
    _unary("Round", tf.round, np.round,
           _ins(lambda rng: np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6])),
           grad=False, second_order=False),
    _unary("Rint", tf.math.rint, np.rint, grad=False, second_order=False),
    # -- predicates, comparisons, logic -----------------------------------------------------
    OpSpec(["IsNan"], tf.math.is_nan, _with_specials, ref=np.isnan, grad=False),
    OpSpec(["IsInf"], tf.math.is_inf, _with_specials, ref=np.isinf, grad=False),
    OpSpec(["IsFinite"], tf.math.is_finite, _with_specials, ref=np.isfinite, grad=False),
    OpSpec(["Equal"], tf.equal, _ins(ints(3, 4, low=0, high=3), ints(4, low=0, high=3)),
           ref=np.equal, grad=False),
    OpSpec(["NotEqual"], tf.not_equal, _ins(ints(3, 4, low=0, high=3), ints(4, low=0, high=3)),
           ref=np.not_equal, grad=False),
    OpSpec(["Less"], tf.less, _ins(normal(3, 4), normal(4)), ref=np.less, grad=False),
    OpSpec(["LessEqual"], tf.less_equal, _ins(ints(3, 4), ints(4)), ref=np.less_equal,
           grad=False),
    OpSpec(["Greater"], tf.greater, _ins(normal(3, 4), normal(4)), ref=np.greater, grad=False),
    OpSpec(["GreaterEqual"], tf.greater_equal, _ins(ints(3, 4), ints(4)),
           ref=np.greater_equal, grad=False),
    OpSpec(["LogicalAnd"], tf.logical_and, _ins(bools(3, 4), bools(4)), ref=np.logical_and,
           grad=False),
    OpSpec(["LogicalOr"], tf.logical_or, _ins(bools(3, 4), bools(4)), ref=np.logical_or,
           grad=False),
    OpSpec(["LogicalXor"], tf.math.logical_xor, _ins(bools(3, 4), bools(4)),
           ref=np.logical_xor, grad=False),
    OpSpec(["LogicalNot"], tf.logical_not, _ins(bools(3, 4)), ref=np.logical_not,
           grad=False),
    OpSpec(["BitwiseAnd"], lambda x, y: x & y, _ins(ints(3, 4), ints(4)), ref=np.bitwise_and,
           grad=False),
    OpSpec(["BitwiseOr"], lambda x, y: x | y, _ins(ints(3, 4), ints(4)), ref=np.bitwise_or,
           grad=False),
    OpSpec(["BitwiseXor"], lambda x, y: x ^ y, _ins(ints(3, 4), ints(4)), ref=np.bitwise_xor,
           grad=False),
    OpSpec(["Invert"], lambda x: ~x, _ins(ints(3, 4)), ref=np.invert, grad=False),
    OpSpec(["Add"], lambda a, b: a + b,
           lambda rng: [np.array([[b"a", b"bc"], [b"", b"d"]], dtype=object),
                        np.array([b"x", b"yz"], dtype=object)],
           ref=np.add, grad=False, name="Add[string]"),
    OpSpec(["_MathSelect"], M.select, _ins(bools(3, 4), normal(3, 4), normal(4)),
           ref=np.where, second_order=True),
    # -- complex ----------------------------------------------------------------------------
    OpSpec(["Complex", "Real", "Imag"], _complex_mix,
           _ins(normal(3), normal(3), normal(3), normal(3)), ref=_complex_mix_ref,
           second_order=True),
    OpSpec(["ComplexAbs"], lambda a, b: tf.abs(tf.complex(a, b)), _ins(away(3), away(3)),
           ref=lambda a, b: np.abs(a + 1j * b), second_order=True),
    OpSpec(["Conj"], lambda a, b: tf.math.imag(tf.math.conj(tf.complex(a, b))),
           _ins(normal(3), normal(3)), ref=lambda a, b: -b, second_order=True),
    OpSpec(["Cast"], lambda x: tf.math.real(tf.cast(x, tf.complex128)), _ins(normal(3, 4)),
           ref=lambda x: x, second_order=True),
    OpSpec(["Cast"], lambda x: tf.cast(x, tf.float64), _ins(ints(3, 4)),
           ref=lambda x: x.astype(np.float64), name="Cast[int->float]", grad=False),
    OpSpec(["Cast"], lambda x: tf.cast(x, tf.int32), _ins(normal(3, 4)),
           ref=lambda x: np.trunc(x).astype(np.int32), name="Cast[float->int]", grad=False),
    OpSpec(["OnesLike"], M.ones_like, _ins(normal(3, 4)), ref=np.ones_like, grad=False),
    OpSpec(["ZerosLike"], M.zeros_like, _ins(normal(3, 4)), ref=np.zeros_like, grad=False),
    # -- products and sums of lists ---------------------------------------------------------
    OpSpec(["MatMul"], tf.matmul, _ins(normal(3, 4), normal(4, 5)), ref=np.matmul,
           second_order=True),
    OpSpec(["MatMul"], lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
           _ins(normal(4, 3), normal(5, 4)), ref=lambda a, b: a.T @ b.T,
           name="MatMul[transposed]", second_order=True),
    OpSpec(["MatMul"], tf.matmul, _ins(normal(2, 3, 4), normal(4, 2)), ref=np.matmul,
           name="MatMul[batched]"),
    OpSpec(["AddN"], lambda a, b, c: tf.add_n([a, b, c]), _ins(normal(3), normal(3), normal(3)),
           ref=lambda a, b, c: a + b + c, second_order=True),
    # -- reductions -------------------------------------------------------------------------
    OpSpec(["Sum"], tf.reduce_sum, _ins(normal(3, 4)), ref=np.sum, second_order=True),
    OpSpec(["Sum"], lambda x: tf.reduce_sum(x, axis=[0, 2], keepdims=True),
           _ins(normal(2, 3, 4)), ref=lambda x: np.sum(x, axis=(0, 2), keepdims=True),
           name="Sum[axes,keepdims]", second_order=True),
    OpSpec(["Mean"], lambda x: tf.reduce_mean(x, axis=1), _ins(normal(3, 4)),
           ref=lambda x: np.mean(x, axis=1), second_order=True),
    OpSpec(["Mean"], lambda x: tf.reduce_mean(x, keepdims=True), _ins(normal(2, 3)),
           ref=lambda x: np.mean(x, keepdims=True), name="Mean[all,keepdims]"),
    OpSpec(["Max"], lambda x: tf.reduce_max(x, axis=-1), _ins(normal(3, 4)),
           ref=lambda x: np.max(x, axis=-1), second_order=True),
    OpSpec(["Min"], lambda x: tf.reduce_min(x, axis=[0, 1], keepdims=True),
           _ins(normal(2, 3, 2)), ref=lambda x: np.min(x, axis=(0, 1), keepdims=True),
           second_order=True),
    OpSpec(["Prod"], lambda x: tf.reduce_prod(x, axis=1), _ins(positive(3, 4)),
           ref=lambda x: np.prod(x, axis=1), second_order=True),
    OpSpec(["Prod"], lambda x: tf.reduce_prod(x, axis=1), _prod_with_zeros,
           ref=lambda x: np.prod(x, axis=1), name="Prod[zeros]"),
    OpSpec(["All"], lambda x: tf.reduce_all(x, axis=0), _ins(bools(3, 4)),
           ref=lambda x: np.all(x, axis=0), grad=False),
    OpSpec(["Any"], lambda x: tf.reduce_any(x, axis=1, keepdims=True), _ins(bools(3, 4)),
           ref=lambda x: np.any(x, axis=1, keepdims=True), grad=False),
    OpSpec(["_LogSumExp"], lambda x: tf.reduce_logsumexp(x, axis=1), _ins(normal(3, 4)),
           ref=lambda x: _lse_ref(x, 1), second_order=True),
    OpSpec(["_LogSumExp"], lambda x: tf.reduce_logsumexp(x, keepdims=True),
           _ins(lambda rng: rng.standard_normal((2, 3)) * 1000.0),
           ref=lambda x: _lse_ref(x, None, True), name="_LogSumExp[large]", rtol=1e-9),
    OpSpec(["Mean", "Sub", "Square", "Sqrt"], lambda x: tf.math.reduce_std(x, axis=0),
           _ins(normal(4, 3)), ref=lambda x: np.std(x, axis=0), name="reduce_std"),
    OpSpec(["ArgMax"], lambda x: tf.argmax(x, axis=1), _ins(normal(3, 4)),
           ref=lambda x: np.argmax(x, axis=1), grad=False),
    OpSpec(["ArgMin"], lambda x: tf.argmin(x, output_type=tf.int32), _ins(normal(3, 4)),
           ref=lambda x: np.argmin(x, axis=0).astype(np.int32), grad=False),
    OpSpec(["Cumsum"], lambda x: tf.cumsum(x, axis=1), _ins(normal(3, 4)),
           ref=lambda x: np.cumsum(x, axis=1), second_order=True),
    OpSpec(["Cumsum"], lambda x: tf.cumsum(x, axis=0, exclusive=True, reverse=True),
           _ins(normal(3, 4)), ref=lambda x: _exclusive(np.cumsum, x, 0, 0.0, True),
           name="Cumsum[exclusive,reverse]"),
    OpSpec(["Cumprod"], lambda x: tf.math.cumprod(x, axis=1), _ins(positive(3, 4)),
           ref=lambda x: np.cumprod(x, axis=1), second_order=True),
    OpSpec(["Cumprod"], lambda x: tf.math.cumprod(x, axis=1, exclusive=True),
           _ins(positive(3, 4)), ref=lambda x: _exclusive(np.cumprod, x, 1, 1.0, False),
           name="Cumprod[exclusive]"),
    OpSpec(["Cumprod"], lambda x: tf.math.cumprod(x, reverse=True), _ins(positive(4)),
           ref=lambda x: np.cumprod(x[::-1])[::-1], name="Cumprod[reverse]"),
    OpSpec(["SegmentSum", "_SegmentGather"], R.segment_sum,
           _ins(normal(5, 2), lambda rng: np.array([0, 0, 2, 2, 3], np.int32)),
           ref=lambda d, ids: _segment_ref(d, ids, 4), second_order=True),
    OpSpec(["UnsortedSegmentSum", "_SegmentGather"],
           lambda d, ids: R.unsorted_segment_sum(d, ids, 3),
           _ins(normal(5, 2), lambda rng: np.array([2, -1, 0, 2, 1], np.int32)),
           ref=lambda d, ids: _segment_ref(d, ids, 3), second_order=True),
    OpSpec(["_SegmentGather"], R._segment_gather,
           _ins(normal(4, 2), lambda rng: np.array([[3, -1], [0, 3]], np.int32)),
           ref=lambda p, ids: np.where((ids >= 0)[..., None], p[np.maximum(ids, 0)], 0.0),
           second_order=True),
    # -- sorting and counting ---------------------------------------------------------------
    OpSpec(["_ArgSort"], lambda x: tf.argsort(x, axis=0, direction="DESCENDING"),
           _ins(normal(3, 4)),
           ref=lambda x: np.argsort(-x, axis=0, kind="stable").astype(np.int32), grad=False),
    OpSpec(["_ArgSort", "_TakeAlongAxis"], tf.sort, _ins(normal(3, 4)),
           ref=lambda x: np.sort(x, axis=-1), second_order=True),
    OpSpec(["_PutAlongAxis"], _put_along, _ins(normal(2, 3), _perm_idx, normal(2, 5)),
           ref=_put_along_ref, second_order=True),
    OpSpec(["TopKV2"], lambda x: list(tf.math.top_k(x, k=2)), _ins(normal(3, 5)),
           ref=lambda x: _top_k_ref(x, 2), second_order=True),
    OpSpec(["Unique"], lambda x: list(tf.unique(x)),
           _ins(lambda rng: rng.integers(0, 4, 8).astype(np.int32)), ref=_unique_ref,
           grad=False),
    OpSpec(["Bincount"], lambda x, w: tf.math.bincount(x, weights=w, minlength=6),
           _ins(lambda rng: rng.integers(0, 5, 7).astype(np.int32), normal(7)),
           ref=lambda x, w: np.bincount(x, w, minlength=6), grad=False),
]

# in_top_k: a loop over the classes counting strictly higher scores; cumulative_logsumexp:
# log(cumsum(exp)) in float64, fine for inputs of moderate size
_TARGETS = np.array([0, 3, 1, 4], np.int32)


def _ref_in_top_k(p, t, k):
    return np.array([sum(p[i, j] > p[i, t[i]] for j in range(p.shape[1])) < k
                     for i in range(len(t))])


def _ref_cum_lse(x, axis, exclusive, reverse):
    e = np.exp(x)
    if reverse:
        e = np.flip(e, axis)
    c = np.cumsum(e, axis) - (e if exclusive else 0)
    with np.errstate(divide="ignore"):
        out = np.log(c)
    return np.flip(out, axis) if reverse else out


SPECS += [
    OpSpec("InTopKV2", lambda p, t: tf.math.in_top_k(t, tf.cast(p, tf.float32), 2),
           _ins(lambda rng: rng.integers(0, 3, (4, 5)).astype(np.float64),
                lambda rng: _TARGETS),
           ref=lambda p, t: _ref_in_top_k(p, t, 2), grad=False),
    OpSpec("CumulativeLogsumexp", lambda x: tf.math.cumulative_logsumexp(x, axis=1),
           _ins(normal(3, 4)), ref=lambda x: _ref_cum_lse(x, 1, False, False), second_order=True),
    OpSpec("CumulativeLogsumexp",
           # the last row is log(0) = -inf, which a finite difference cannot take: left out
           lambda x: tf.math.cumulative_logsumexp(x, axis=0, exclusive=True, reverse=True)[:-1],
           _ins(normal(4, 2)), ref=lambda x: _ref_cum_lse(x, 0, True, True)[:-1],
           name="CumulativeLogsumexp[exclusive, reverse]"),
]
