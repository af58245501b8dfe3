"""Tests of tf.math: elementwise ops, reductions, scans, segments, sorting and counting.

Expected values come from NumPy, from math.erf, or from TensorFlow's documented behaviour
(checked against TensorFlow 2.21 and written out by hand here).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.graph import PLACEHOLDER, Graph
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as M
from tests.ops.specs_math import SPECS

F32, F64, I32 = np.float32, np.float64, np.int32


# -- a small spec runner (the registry-wide harness runs these specs too) -----------------
def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _check_rules(opdef, inputs, attrs, outputs):
    specs = opdef.rule(*inputs, **attrs)
    specs = [specs] if opdef.num_outputs == 1 else specs
    for (shape, dtype), out in zip(specs, outputs):
        assert TensorShape(shape).is_compatible_with(out.shape), (opdef.name, shape, out.shape)
        assert tf.as_dtype(dtype) == out.dtype, (opdef.name, dtype, out.dtype)


def _loss(spec, arrays, weights):
    outs = _as_list(spec.fn(*[tf.constant(a) for a in arrays]))
    return sum(float(np.sum(np.asarray(o.numpy(), F64) * w))
               for o, w in zip(outs, weights) if w is not None)


def _weights(outs, rng):
    return [rng.standard_normal(o.shape.as_list()) if o.dtype.is_floating else None
            for o in outs]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_spec(spec):
    rng = np.random.default_rng(7)
    arrays = spec.inputs(rng)
    context.op_hooks.append(_check_rules)
    try:
        outs = _as_list(spec.fn(*[tf.constant(a) for a in arrays]))
    finally:
        context.op_hooks.remove(_check_rules)
    if spec.ref is not None:
        for got, want in zip(outs, _as_list(spec.ref(*arrays))):
            if got.numpy().dtype.kind in "fc":
                np.testing.assert_allclose(got.numpy(), want, rtol=spec.rtol, atol=spec.atol)
            else:
                np.testing.assert_array_equal(got.numpy(), want)
    floats = [i for i, a in enumerate(arrays) if a.dtype == F64]
    if not spec.grad or not floats:
        return
    weights = _weights(outs, rng)
    xs = [tf.constant(a) for a in arrays]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch([xs[i] for i in floats])
        with tf.GradientTape() as inner:
            inner.watch([xs[i] for i in floats])
            outs = _as_list(spec.fn(*xs))
            loss = tf.add_n([tf.reduce_sum(o * w) for o, w in zip(outs, weights)
                             if w is not None])
        grads = inner.gradient(loss, [xs[i] for i in floats])
        dirs = [rng.standard_normal(arrays[i].shape) for i in floats]
        gv = tf.add_n([tf.reduce_sum(g * d) for g, d in zip(grads, dirs) if g is not None])
    eps = 1e-6
    for i, g, d in zip(floats, grads, dirs):
        plus, minus = list(arrays), list(arrays)
        plus[i], minus[i] = arrays[i] + eps * d, arrays[i] - eps * d
        numeric = (_loss(spec, plus, weights) - _loss(spec, minus, weights)) / (2 * eps)
        analytic = float(np.sum(g.numpy() * d)) if g is not None else 0.0
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-5), (spec.name, i)
    if spec.second_order:
        second = outer.gradient(gv, [xs[i] for i in floats])
        for i, h, d2 in zip(floats, second, [rng.standard_normal(a.shape) for a in
                                            (arrays[i] for i in floats)]):
            def gv_at(shifted):
                ys = [tf.constant(a) for a in shifted]
                with tf.GradientTape() as t:
                    t.watch([ys[j] for j in floats])
                    o = _as_list(spec.fn(*ys))
                    loss = tf.add_n([tf.reduce_sum(a * w) for a, w in zip(o, weights)
                                     if w is not None])
                gs = t.gradient(loss, [ys[j] for j in floats])
                return sum(float(np.sum(g.numpy() * d)) for g, d in zip(gs, dirs)
                           if g is not None)
            plus, minus = list(arrays), list(arrays)
            plus[i], minus[i] = arrays[i] + eps * d2, arrays[i] - eps * d2
            numeric = (gv_at(plus) - gv_at(minus)) / (2 * eps)
            analytic = float(np.sum(h.numpy() * d2)) if h is not None else 0.0
            assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-5), (spec.name, i)


def test_every_registered_math_op_has_a_spec():
    from rill._core.op import REGISTRY
    from rill.ops import _util, reduction_ops, sort_ops
    shared = {id(v) for v in vars(_util).values()}
    mine = {op.name for op in _opdefs(M, reduction_ops, sort_ops)
            if REGISTRY.get(op.name) is op and id(op) not in shared}
    covered = {name for s in SPECS for name in s.ops}
    assert len(mine) > 80
    assert mine - covered == set()


def _opdefs(*modules):
    found = []
    for mod in modules:
        for v in vars(mod).values():
            if hasattr(v, "opdef"):
                found.append(v.opdef)
            elif type(v).__name__ == "OpDef":
                found.append(v)
    return found


@pytest.mark.parametrize("module", ["math_ops", "reduction_ops", "sort_ops"])
def test_docstring_examples(module):
    import doctest
    import importlib
    mod = importlib.import_module(f"rill.ops.{module}")
    result = doctest.testmod(mod, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0


# -- forward against NumPy over shapes and dtypes -----------------------------------------
UNARY = [  # (function, numpy reference, input kind, dtypes)
    (tf.negative, np.negative, "any", (F32, F64, I32)),
    (tf.abs, np.abs, "any", (F32, F64, I32)),
    (tf.sign, np.sign, "any", (F32, F64, I32)),
    (tf.square, np.square, "any", (F32, F64, I32)),
    (tf.math.reciprocal, np.reciprocal, "nonzero", (F32, F64)),
    (tf.sqrt, np.sqrt, "positive", (F32, F64)),
    (tf.math.rsqrt, lambda x: 1 / np.sqrt(x), "positive", (F32, F64)),
    (tf.exp, np.exp, "any", (F32, F64)),
    (tf.math.expm1, np.expm1, "any", (F32, F64)),
    (tf.math.log, np.log, "positive", (F32, F64)),
    (tf.math.log1p, np.log1p, "positive", (F32, F64)),
    (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "any", (F32, F64)),
    (tf.tanh, np.tanh, "any", (F32, F64)),
    (tf.math.softplus, lambda x: np.log1p(np.exp(x)), "any", (F32, F64)),
    (tf.math.log_sigmoid, lambda x: -np.log1p(np.exp(-x)), "any", (F32, F64)),
    (tf.math.softsign, lambda x: x / (1 + np.abs(x)), "any", (F32, F64)),
    (tf.math.erf, np.vectorize(math.erf), "any", (F32, F64)),
    (tf.sin, np.sin, "any", (F32, F64)),
    (tf.cos, np.cos, "any", (F32, F64)),
    (tf.tan, np.tan, "unit", (F32, F64)),
    (tf.asin, np.arcsin, "unit", (F32, F64)),
    (tf.acos, np.arccos, "unit", (F32, F64)),
    (tf.atan, np.arctan, "any", (F32, F64)),
    (tf.sinh, np.sinh, "any", (F32, F64)),
    (tf.cosh, np.cosh, "any", (F32, F64)),
    (tf.floor, np.floor, "any", (F32, F64)),
    (tf.math.ceil, np.ceil, "any", (F32, F64)),
    (tf.round, np.round, "any", (F32, F64, I32)),
    (tf.math.is_nan, np.isnan, "any", (F32, F64)),
    (tf.math.is_finite, np.isfinite, "any", (F32, F64)),
]


def _sample(kind, shape, dtype, rng):
    if dtype == I32:
        x = rng.integers(-9, 10, shape)
        return x.astype(dtype)
    x = rng.standard_normal(shape) * 2
    if kind == "positive":
        x = np.abs(x) + 0.1
    elif kind == "nonzero":
        x = np.where(np.abs(x) < 0.1, 0.5, x)
    elif kind == "unit":
        x = np.tanh(x) * 0.95
    return x.astype(dtype)


@pytest.mark.parametrize("fn,ref,kind,dtypes", UNARY, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_unary_forward(fn, ref, kind, dtypes, shape):
    rng = np.random.default_rng(1)
    for dtype in dtypes:
        x = _sample(kind, shape, dtype, rng)
        got = fn(tf.constant(x))
        want = np.asarray(ref(x.astype(F64) if dtype != I32 else x))
        out_dtype = want.dtype if want.dtype == np.bool_ else dtype
        assert got.dtype == tf.as_dtype(out_dtype)
        assert got.shape == shape
        tol = 2e-6 if dtype == F32 else 1e-12
        np.testing.assert_allclose(got.numpy().astype(want.dtype), want, rtol=tol, atol=tol)


BINARY = [
    (tf.add, np.add, (F32, F64, I32)),
    (tf.subtract, np.subtract, (F32, F64, I32)),
    (tf.multiply, np.multiply, (F32, F64, I32)),
    (tf.maximum, np.maximum, (F32, F64, I32)),
    (tf.minimum, np.minimum, (F32, F64, I32)),
    (tf.math.squared_difference, lambda x, y: (x - y) ** 2, (F32, F64, I32)),
    (tf.equal, np.equal, (F32, F64, I32)),
    (tf.not_equal, np.not_equal, (F32, F64, I32)),
    (tf.less, np.less, (F32, F64, I32)),
    (tf.less_equal, np.less_equal, (F32, F64, I32)),
    (tf.greater, np.greater, (F32, F64, I32)),
    (tf.greater_equal, np.greater_equal, (F32, F64, I32)),
    (tf.atan2, np.arctan2, (F32, F64)),
]


@pytest.mark.parametrize("fn,ref,dtypes", BINARY, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("shapes", [((), ()), ((4,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 4))])
def test_binary_forward(fn, ref, dtypes, shapes):
    rng = np.random.default_rng(2)
    for dtype in dtypes:
        x, y = (_sample("any", s, dtype, rng) for s in shapes)
        got = fn(tf.constant(x), tf.constant(y))
        want = np.asarray(ref(x, y))
        assert got.dtype == tf.as_dtype(want.dtype)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       op=st.sampled_from([(tf.add, np.add), (tf.subtract, np.subtract),
                           (tf.multiply, np.multiply), (tf.maximum, np.maximum),
                           (tf.math.floormod, np.mod), (tf.less, np.less),
                           (tf.equal, np.equal)]),
       dtype=st.sampled_from([F32, F64, I32]))
def test_binary_broadcasting_property(shapes, op, dtype):
    fn, ref = op
    rng = np.random.default_rng(3)
    x, y = (_sample("nonzero", s, dtype, rng) for s in shapes.input_shapes)
    if ref is np.mod and dtype == I32:
        y = np.where(y == 0, 1, y).astype(I32)
    got = fn(tf.constant(x), tf.constant(y))
    want = ref(x, y)
    assert got.shape == shapes.result_shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_binary_gradient_unbroadcasts(shapes):
    rng = np.random.default_rng(4)
    x, y = (tf.constant(rng.standard_normal(s)) for s in shapes.input_shapes)
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = tf.reduce_sum(x * y + x)
    gx, gy = tape.gradient(z, [x, y])
    assert gx.shape == x.shape and gy.shape == y.shape
    full_y = np.broadcast_to(y.numpy(), shapes.result_shape)
    full_x = np.broadcast_to(x.numpy(), shapes.result_shape)
    np.testing.assert_allclose(np.sum(gx.numpy()), np.sum(full_y + 1.0), rtol=1e-9)
    np.testing.assert_allclose(np.sum(gy.numpy()), np.sum(full_x), rtol=1e-9)


def test_fast_path_and_taped_path_agree():
    rng = np.random.default_rng(5)
    x = tf.constant(rng.standard_normal((3, 4)).astype(F32))
    y = tf.constant(rng.standard_normal((4,)).astype(F32))
    eager = [tf.add(x, y), tf.exp(x), tf.reduce_sum(x), tf.reduce_sum(x, 1),
             tf.reduce_mean(x, 0), tf.matmul(x, tf.constant(x.numpy().T)), x / y, x * 2.0]
    with tf.GradientTape() as tape:
        tape.watch(x)
        taped = [tf.add(x, y), tf.exp(x), tf.reduce_sum(x), tf.reduce_sum(x, 1),
                 tf.reduce_mean(x, 0), tf.matmul(x, tf.constant(x.numpy().T)), x / y, x * 2.0]
    for a, b in zip(eager, taped):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


# -- dtypes and errors --------------------------------------------------------------------
@pytest.mark.parametrize("fn,name", [(tf.add, "AddV2"), (tf.multiply, "Mul"),
                                     (tf.maximum, "Maximum"), (tf.equal, "Equal"),
                                     (tf.math.truediv, "RealDiv"), (tf.matmul, "MatMul")])
def test_dtype_mismatch_message(fn, name):
    a = tf.constant([[1.0, 2.0]])
    b = tf.constant([[1], [2]])
    with pytest.raises(InvalidArgumentError) as err:
        fn(a, b)
    text = str(err.value)
    assert name in text and "float" in text and "int32" in text
    assert "hint:" in text and "tf.cast" in text


def test_operator_dtype_mismatch_raises():
    with pytest.raises(InvalidArgumentError, match="hint:"):
        tf.constant(2.0) + tf.constant(40)
    with pytest.raises(InvalidArgumentError):
        tf.constant([1.0], tf.float64) * tf.constant([1.0])


@pytest.mark.parametrize("fn", [tf.exp, tf.sqrt, tf.sigmoid, tf.math.log, tf.math.erf,
                                tf.floor, tf.math.is_nan])
def test_float_only_ops_reject_ints(fn):
    with pytest.raises(InvalidArgumentError, match="int32") as err:
        fn(tf.constant([1, 2]))
    assert "hint:" in str(err.value) and "tf.cast" in str(err.value)


def test_unsupported_dtypes_raise():
    with pytest.raises(InvalidArgumentError, match="bool"):
        tf.add(tf.constant([True]), tf.constant([False]))
    with pytest.raises(InvalidArgumentError):
        tf.maximum(tf.constant([True]), tf.constant([False]))
    with pytest.raises(InvalidArgumentError):
        tf.less(tf.constant(["a"]), tf.constant(["b"]))
    with pytest.raises(InvalidArgumentError):
        tf.logical_and(tf.constant([1]), tf.constant([1]))
    with pytest.raises(InvalidArgumentError):
        tf.negative(tf.constant([1], tf.uint8))
    with pytest.raises(InvalidArgumentError):
        tf.reduce_sum(tf.constant([True, False]))


def test_python_scalars_take_the_tensor_dtype():
    t = tf.constant([1.0, 2.0])
    assert (t + 10).dtype == tf.float32
    assert (10 - t).numpy().tolist() == [9.0, 8.0]
    i = tf.constant([1, 2])
    assert (i * 3).dtype == tf.int32
    with pytest.raises(TypeError):  # TensorFlow's type for a float with an int tensor
        i + 2.5


def test_numpy_arrays_take_the_tensor_dtype():
    t = tf.constant([1.0, 2.0])
    r = t + np.array([1.0, 2.0])
    assert r.dtype == tf.float32 and r.numpy().tolist() == [2.0, 4.0]
    r = np.array([1.0, 2.0]) + t
    assert isinstance(r, tf.Tensor) and r.dtype == tf.float32
    assert (tf.constant([1, 2]) + np.array([1.5, 2.0])).numpy().tolist() == [2, 4]


def test_strings_add_and_compare():
    s = tf.constant(["a", "b"])
    assert tf.add(s, tf.constant(["x", "y"])).numpy().tolist() == [b"ax", b"by"]
    assert tf.equal(s, "a").numpy().tolist() == [True, False]


def test_broadcast_error_is_invalid_argument():
    with pytest.raises(InvalidArgumentError):
        tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="Matrix size-incompatible"):
        tf.matmul(tf.constant([[1.0, 2.0]]), tf.constant([[1.0], [2.0], [3.0]]))
    with pytest.raises(InvalidArgumentError):
        tf.matmul(tf.constant([1.0, 2.0]), tf.constant([[1.0], [2.0]]))


# -- division semantics (TensorFlow's documented behaviour) -------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_truediv_of_integers_gives_floats():
    x, y = tf.constant([7, -7, 3]), tf.constant([2, 2, -2])
    for fn in (tf.math.truediv, tf.divide, lambda a, b: a / b):
        r = fn(x, y)
        assert r.dtype == tf.float64
        np.testing.assert_array_equal(r.numpy(), [3.5, -3.5, -1.5])
    assert (tf.constant([7], tf.int8) / tf.constant([2], tf.int8)).dtype == tf.float32
    assert (tf.constant([7], tf.uint16) / tf.constant([2], tf.uint16)).dtype == tf.float32
    assert (tf.constant([7], tf.int64) / tf.constant([2], tf.int64)).dtype == tf.float64
    assert tf.divide(1, 2).numpy() == 0.5
    assert (1 / tf.constant([2])).numpy().tolist() == [0.5]
    assert (tf.constant([1]) / tf.constant([0])).numpy().tolist() == [np.inf]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_float_division_by_zero():
    r = tf.constant([1.0, -1.0, 0.0]) / tf.constant(0.0)
    assert r.numpy()[0] == np.inf and r.numpy()[1] == -np.inf and np.isnan(r.numpy()[2])


def test_floordiv_and_floormod_follow_python():
    x, y = tf.constant([7, -7, 7, -7]), tf.constant([2, 2, -2, -2])
    assert (x // y).numpy().tolist() == [3, -4, -4, 3]
    assert (x % y).numpy().tolist() == [1, 1, -1, -1]
    assert tf.math.mod(x, y).numpy().tolist() == [1, 1, -1, -1]
    f = tf.math.floormod(tf.constant([7.0, -7.0, 7.0]), tf.constant([2.0, 2.0, -2.0]))
    assert f.numpy().tolist() == [1.0, 1.0, -1.0]
    # TensorFlow floors the rounded quotient: floor(1 / 0.1) = 10, while 1 // 0.1 is 9 in C
    q = tf.math.floordiv(tf.constant(1.0, tf.float64), tf.constant(0.1, tf.float64))
    assert q.numpy() == 10.0


def test_integer_division_by_zero_raises():
    for fn in (tf.math.floordiv, tf.math.floormod):
        with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
            fn(tf.constant([1, 2]), tf.constant([0, 1]))


def test_integer_pow():
    assert tf.pow(tf.constant([2, -3]), tf.constant([3, 2])).numpy().tolist() == [8, 9]
    with pytest.raises(InvalidArgumentError, match="negative integer powers"):
        tf.constant([2]) ** -1


def test_divide_no_nan_and_friends():
    r = tf.math.divide_no_nan(tf.constant([1.0, -1.0, 0.0]), tf.constant([0.0, 2.0, 0.0]))
    assert r.numpy().tolist() == [0.0, -0.5, 0.0]
    assert tf.math.divide_no_nan(tf.constant([3]), tf.constant([2])).dtype == tf.float64
    assert tf.math.reciprocal_no_nan(tf.constant([0.0, 4.0])).numpy().tolist() == [0.0, 0.25]
    r = tf.math.multiply_no_nan(tf.constant([np.inf, 2.0]), tf.constant([0.0, 2.0]))
    assert r.numpy().tolist() == [0.0, 4.0]
    r = tf.math.xlogy(tf.constant([0.0, 1.0]), tf.constant([0.0, np.e]))
    np.testing.assert_allclose(r.numpy(), [0.0, 1.0])


def test_round_is_bankers():
    r = tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.6]))
    assert r.numpy().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 3.0]
    assert tf.round(tf.constant([3, -4])).numpy().tolist() == [3, -4]


def test_scalar_mul():
    assert tf.math.scalar_mul(2, tf.constant([1, 2])).numpy().tolist() == [2, 4]
    assert tf.math.scalar_mul(tf.constant(2.0), tf.constant([1.0])).numpy().tolist() == [2.0]
    with pytest.raises(ValueError, match="0-D"):
        tf.math.scalar_mul(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0]))


# -- numerically stable kernels -----------------------------------------------------------
EXTREME = [-1000.0, -100.0, -40.0, -1.0, 0.0, 1.0, 40.0, 100.0, 1000.0]


@pytest.mark.parametrize("dtype", [F32, F64])
def test_stable_kernels_at_extremes(dtype):
    x = tf.constant(np.array(EXTREME, dtype))
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow inside
        sp = tf.math.softplus(x).numpy()
        ls = tf.math.log_sigmoid(x).numpy()
        sg = tf.sigmoid(x).numpy()
        th = tf.tanh(x).numpy()
        lse = tf.reduce_logsumexp(x).numpy()
    xs = np.array(EXTREME, F64)
    want_sp = np.maximum(xs, 0) + np.log1p(np.exp(-np.abs(xs)))
    for got in (sp, ls, sg, th, np.array(lse)):
        assert np.all(np.isfinite(got))
    tiny = 1e-37  # float32 denormals hold few digits
    np.testing.assert_allclose(sp, want_sp, rtol=1e-6, atol=tiny)
    np.testing.assert_allclose(ls, -(np.maximum(-xs, 0) + np.log1p(np.exp(-np.abs(xs)))),
                               rtol=1e-6, atol=tiny)
    assert sg[0] == 0.0 and sg[-1] == 1.0 and sg[4] == 0.5
    np.testing.assert_allclose(sg[2], 4.248354255291589e-18, rtol=1e-5)
    np.testing.assert_allclose(lse, 1000.0, rtol=1e-6)


def test_stable_gradients_at_extremes():
    x = tf.constant(np.array(EXTREME))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        sp = tf.math.softplus(x)
        ls = tf.math.log_sigmoid(x)
        lse = tf.reduce_logsumexp(x)
    g_sp, g_ls, g_lse = (tape.gradient(y, x).numpy() for y in (sp, ls, lse))
    for g in (g_sp, g_ls, g_lse):
        assert np.all(np.isfinite(g))
    with np.errstate(over="ignore"):
        sig = 1 / (1 + np.exp(-np.array(EXTREME)))
    np.testing.assert_allclose(g_sp, sig, atol=1e-15)
    np.testing.assert_allclose(g_ls, 1 - sig, atol=1e-15)
    np.testing.assert_allclose(g_lse, [0] * 8 + [1.0])


def test_logsumexp_special_values():
    assert tf.reduce_logsumexp(tf.constant([-np.inf, -np.inf])).numpy() == -np.inf
    assert tf.reduce_logsumexp(tf.constant([np.inf, 1.0])).numpy() == np.inf
    assert tf.reduce_logsumexp(tf.constant(np.zeros(0, F32))).numpy() == -np.inf
    r = tf.reduce_logsumexp(tf.constant([[1.0, 2.0], [3.0, 4.0]]), axis=1, keepdims=True)
    np.testing.assert_allclose(r.numpy(), np.log(np.exp([[1.0, 2.0], [3.0, 4.0]]).sum(
        1, keepdims=True)), rtol=1e-6)


def test_erf_accuracy():
    x = np.concatenate([np.linspace(-7, 7, 2001), [1e-300, -1e-12, 1e-8, 0.0625, 6.06, 30.0]])
    want = np.array([math.erf(v) for v in x])
    got = tf.math.erf(tf.constant(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-15, atol=1e-300)
    special = tf.math.erf(tf.constant([np.nan, np.inf, -np.inf])).numpy()
    assert np.isnan(special[0]) and special[1] == 1.0 and special[2] == -1.0


# -- gradients that follow TensorFlow's conventions ---------------------------------------
def test_maximum_minimum_ties_go_to_x():
    x, y = tf.constant([1.0, 2.0, 3.0]), tf.constant([1.0, 1.0, 4.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        mx, mn = tf.maximum(x, y), tf.minimum(x, y)
    assert [g.numpy().tolist() for g in tape.gradient(mx, [x, y])] == \
        [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert [g.numpy().tolist() for g in tape.gradient(mn, [x, y])] == \
        [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


def test_clip_by_value_gradient_includes_bounds():
    x = tf.constant([-1.0, 0.0, 0.5, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.clip_by_value(x, 0.0, 1.0)
    assert tape.gradient(y, x).numpy().tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert tf.clip_by_value(tf.constant([5, -7, 3]), 0, 5).numpy().tolist() == [5, 0, 3]
    with pytest.raises(ValueError, match="incompatible"):
        tf.clip_by_value(tf.constant([1.0, 2.0, 3.0]), tf.constant([[0.0], [2.0]]), 2.0)


def test_abs_sign_gradients_at_zero():
    x = tf.constant([0.0, 1.0, -1.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a, s, r = tf.abs(x), tf.sign(x), tf.round(x)
    assert tape.gradient(a, x).numpy().tolist() == [0.0, 1.0, -1.0]
    assert tape.gradient(s, x).numpy().tolist() == [0.0, 0.0, 0.0]
    assert tape.gradient(r, x) is None


def test_no_gradient_ops_give_none():
    x = tf.constant([1.0, 3.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outs = [tf.argmax(x), tf.math.count_nonzero(x), tf.math.floordiv(x, 2.0),
                tf.unique(x).idx, tf.argsort(x), tf.floor(x)]
    for o in outs:
        assert tape.gradient(o, x) is None


def test_reduce_max_ties_share_the_gradient():
    x = tf.constant([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_max(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_reduce_prod_gradient_with_zeros():
    x = tf.constant([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_prod(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])


def test_pow_gradient_at_zero_base():
    y, e = tf.constant([0.0, 1.0, 2.0]), tf.constant([2.0, 0.0, 0.0])
    with tf.GradientTape() as tape:
        tape.watch([y, e])
        z = tf.pow(y, e)
    gy, ge = tape.gradient(z, [y, e])
    np.testing.assert_allclose(gy.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(ge.numpy(), [0.0, 0.0, np.log(2.0)])


def test_complex_gradients_follow_tensorflow():
    a, b = tf.constant([3.0]), tf.constant([4.0])
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        z = tf.complex(a, b)
        y = tf.math.real(z * z)  # a^2 - b^2
    ga, gb = tape.gradient(y, [a, b])
    assert ga.numpy().tolist() == [6.0] and gb.numpy().tolist() == [-8.0]
    assert tf.abs(tf.constant([3 + 4j])).dtype == tf.float64


# -- reductions ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn,ref", [(tf.reduce_sum, np.sum), (tf.reduce_mean, np.mean),
                                    (tf.reduce_max, np.max), (tf.reduce_min, np.min),
                                    (tf.reduce_prod, np.prod),
                                    (tf.math.reduce_std, np.std),
                                    (tf.math.reduce_variance, np.var)])
@pytest.mark.parametrize("axis", [None, 0, -1, [0, 2], (1,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_vs_numpy(fn, ref, axis, keepdims):
    x = np.random.default_rng(6).standard_normal((2, 3, 4)).astype(F32)
    got = fn(tf.constant(x), axis=axis, keepdims=keepdims)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    want = ref(x.astype(F64), axis=np_axis, keepdims=keepdims)
    assert got.dtype == tf.float32 and got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_integer_reductions():
    i = tf.constant([[1, 2], [3, 4]])
    assert tf.reduce_sum(i).dtype == tf.int32 and tf.reduce_sum(i).numpy() == 10
    assert tf.reduce_prod(i).numpy() == 24
    assert tf.reduce_max(i, axis=1).numpy().tolist() == [2, 4]
    assert tf.reduce_mean(tf.constant([1, 2])).numpy() == 1  # truncates toward zero
    assert tf.reduce_mean(tf.constant([-1, -2])).numpy() == -1
    assert tf.reduce_mean(tf.constant([100, 100], tf.int8)).numpy() == 100  # no overflow
    assert tf.reduce_sum(tf.constant([200, 100], tf.uint8)).numpy() == 44  # wraps like TF
    with pytest.raises(TypeError, match="real or complex"):
        tf.math.reduce_std(i)


def test_empty_and_boolean_reductions():
    empty = tf.constant(np.zeros(0, F32))
    assert tf.reduce_max(empty).numpy() == -np.inf
    assert tf.reduce_min(empty).numpy() == np.inf
    assert tf.reduce_sum(empty).numpy() == 0.0
    assert tf.reduce_prod(empty).numpy() == 1.0
    assert np.isnan(tf.reduce_mean(empty).numpy())
    assert tf.reduce_max(tf.constant(np.zeros(0, I32))).numpy() == -2 ** 31
    b = tf.constant([[True, False], [True, True]])
    assert tf.reduce_all(b, axis=1).numpy().tolist() == [False, True]
    assert tf.reduce_any(b).numpy()
    assert not tf.reduce_any(tf.constant(np.zeros(0, bool))).numpy()
    with pytest.raises(InvalidArgumentError):
        tf.reduce_all(tf.constant([1, 0]))


def test_reduction_axis_errors():
    x = tf.constant([[1.0, 2.0]])
    with pytest.raises(InvalidArgumentError, match="out of range"):
        tf.reduce_sum(x, axis=2)
    with pytest.raises(InvalidArgumentError, match="duplicate"):
        tf.reduce_sum(x, axis=[0, 0])
    assert tf.reduce_sum(x, axis=tf.constant(1)).numpy().tolist() == [3.0]
    assert tf.reduce_sum(x, axis=[]).shape == (1, 2)


def test_reduce_variance_of_complex_is_real():
    r = tf.math.reduce_variance(tf.constant([1 + 1j, 2 - 1j]))
    assert r.dtype == tf.float64
    np.testing.assert_allclose(r.numpy(), 1.25)
    np.testing.assert_allclose(tf.math.reduce_std(tf.constant([1 + 1j, 2 - 1j])).numpy(),
                               math.sqrt(1.25))


def test_argmax_argmin():
    x = tf.constant([[1.0, 9.0, 9.0], [8.0, 2.0, 8.0]])
    assert tf.argmax(x).dtype == tf.int64
    assert tf.argmax(x).numpy().tolist() == [1, 0, 0]  # axis None means 0
    assert tf.argmax(x, axis=1).numpy().tolist() == [1, 0]  # first index on ties
    assert tf.argmin(x, axis=-1, output_type=tf.int32).numpy().tolist() == [0, 1]
    assert tf.argmin(x, axis=1, output_type=tf.int32).dtype == tf.int32
    assert tf.argmax(tf.constant([np.nan, 1.0, 2.0])).numpy() == 2  # NaN skipped, as in TF
    assert tf.argmin(tf.constant([np.nan, 1.0, 2.0])).numpy() == 1
    assert tf.argmax(tf.constant([False, True])).numpy() == 1
    with pytest.raises(InvalidArgumentError):
        tf.argmax(x, output_type=tf.float32)
    with pytest.raises(InvalidArgumentError):
        tf.argmax(x, axis=2)


def test_count_nonzero():
    x = tf.constant([[0.0, 2.0], [3.0, 0.0], [1.0, 1.0]])
    r = tf.math.count_nonzero(x)
    assert r.dtype == tf.int64 and r.numpy() == 4
    r = tf.math.count_nonzero(x, axis=0, keepdims=True, dtype=tf.int32)
    assert r.dtype == tf.int32 and r.numpy().tolist() == [[2, 2]]
    assert tf.math.count_nonzero(tf.constant(["", "a", "b"])).numpy() == 2
    assert tf.math.count_nonzero(tf.constant([True, False])).numpy() == 1


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_cumprod(exclusive, reverse, axis):
    x = np.arange(1, 13, dtype=F64).reshape(3, 4)

    def ref(scan, identity):
        v = np.flip(x, axis) if reverse else x
        out = scan(v, axis=axis)
        if exclusive:
            out = np.concatenate([np.full_like(np.take(out, [0], axis), identity),
                                  np.delete(out, -1, axis)], axis)
        return np.flip(out, axis) if reverse else out

    got = tf.cumsum(tf.constant(x), axis=axis, exclusive=exclusive, reverse=reverse)
    np.testing.assert_allclose(got.numpy(), ref(np.cumsum, 0.0))
    got = tf.math.cumprod(tf.constant(x), axis=axis, exclusive=exclusive, reverse=reverse)
    np.testing.assert_allclose(got.numpy(), ref(np.cumprod, 1.0))


def test_cumsum_values_and_errors():
    assert tf.cumsum(tf.constant([1, 2, 3]), exclusive=True, reverse=True).numpy().tolist() \
        == [5, 3, 0]
    assert tf.cumsum(tf.constant([1, 2], tf.int8)).dtype == tf.int8
    with pytest.raises(InvalidArgumentError):
        tf.cumsum(tf.constant(3.0))
    with pytest.raises(InvalidArgumentError):
        tf.cumsum(tf.constant([True, False]))


# -- segments -----------------------------------------------------------------------------
def test_segment_sum():
    r = tf.math.segment_sum(tf.constant([1.0, 2.0, 3.0, 4.0]), tf.constant([0, 0, 2, 2]))
    assert r.numpy().tolist() == [3.0, 0.0, 7.0]
    r = tf.math.segment_sum(tf.constant([[1, 2], [3, 4], [5, 6]]), tf.constant([0, 0, 1]))
    assert r.numpy().tolist() == [[4, 6], [5, 6]] and r.dtype == tf.int32
    with pytest.raises(InvalidArgumentError, match="increasing"):
        tf.math.segment_sum(tf.constant([1.0, 2.0]), tf.constant([1, 0]))
    with pytest.raises(InvalidArgumentError):
        tf.math.segment_sum(tf.constant([1.0, 2.0]), tf.constant([0]))


def test_unsorted_segment_sum():
    r = tf.math.unsorted_segment_sum(tf.constant([1.0, 2.0, 3.0, 4.0]),
                                     tf.constant([2, -1, 0, 2]), num_segments=3)
    assert r.numpy().tolist() == [3.0, 0.0, 5.0]
    r = tf.math.unsorted_segment_sum(tf.constant([[1.0, 2.0], [3.0, 4.0]]),
                                     tf.constant([[0, 1], [1, 1]]), num_segments=2)
    assert r.numpy().tolist() == [1.0, 9.0]
    r = tf.math.unsorted_segment_sum(tf.constant([1, 2]), tf.constant([1, 1]),
                                     num_segments=tf.constant(2))
    assert r.numpy().tolist() == [0, 3]
    with pytest.raises(InvalidArgumentError, match="out of range"):
        tf.math.unsorted_segment_sum(tf.constant([1.0]), tf.constant([3]), num_segments=3)


def test_segment_gradients():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = tf.math.segment_sum(x, tf.constant([0, 0, 2, 2])) * tf.constant([1.0, 2.0, 3.0])
        u = tf.math.unsorted_segment_sum(x, tf.constant([0, -1, 1, 1]), 2) * \
            tf.constant([1.0, 2.0])
    assert tape.gradient(s, x).numpy().tolist() == [1.0, 1.0, 3.0, 3.0]
    assert tape.gradient(u, x).numpy().tolist() == [1.0, 0.0, 2.0, 2.0]


# -- sorting and counting -----------------------------------------------------------------
def test_top_k():
    r = tf.math.top_k(tf.constant([1.0, 3.0, 3.0, 2.0]), k=3)
    assert r.values.numpy().tolist() == [3.0, 3.0, 2.0]
    assert r.indices.numpy().tolist() == [1, 2, 3] and r.indices.dtype == tf.int32
    values, indices = tf.math.top_k(tf.constant([[1, 3, 3, 2]]), k=2)
    assert values.numpy().tolist() == [[3, 3]] and indices.numpy().tolist() == [[1, 2]]
    r = tf.math.top_k(tf.constant([1.0, np.nan, 3.0]), k=3)
    assert r.indices.numpy().tolist() == [2, 0, 1]  # NaN is the smallest
    assert tf.math.top_k(tf.constant([1.0, 3.0]), k=tf.constant(1)).values.numpy() == [3.0]
    assert tf.math.top_k(tf.constant([1.0, 3.0]), index_type=tf.int64).indices.dtype == \
        tf.int64
    with pytest.raises(InvalidArgumentError, match="at least k"):
        tf.math.top_k(tf.constant([1.0, 3.0]), k=3)
    with pytest.raises(InvalidArgumentError):
        tf.math.top_k(tf.constant(1.0))


def test_top_k_gradient():
    x = tf.constant([1.0, 4.0, 3.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        v = tf.math.top_k(x, 2).values * tf.constant([10.0, 1.0])
    assert tape.gradient(v, x).numpy().tolist() == [0.0, 10.0, 1.0, 0.0]


def test_sort_and_argsort():
    assert tf.sort(tf.constant([3, 1, 2]), direction="DESCENDING").numpy().tolist() == \
        [3, 2, 1]
    r = tf.sort(tf.constant([3.0, np.nan, 1.0])).numpy()
    assert r[:2].tolist() == [1.0, 3.0] and np.isnan(r[2])
    assert tf.sort(tf.constant([[3, 1], [1, 2]]), axis=0).numpy().tolist() == [[1, 1], [3, 2]]
    a = tf.argsort(tf.constant([3, 1, 1, 2]), direction="DESCENDING", stable=True)
    assert a.numpy().tolist() == [0, 3, 1, 2] and a.dtype == tf.int32
    assert tf.argsort(tf.constant([3, 1, 1, 2])).numpy().tolist() == [1, 2, 3, 0]
    assert tf.argsort(tf.constant([1, 3, 1, 3]), direction="DESCENDING").numpy().tolist() == \
        [1, 3, 0, 2]
    u = tf.constant(np.array([0, 255, 7], np.uint8))
    assert tf.argsort(u, direction="DESCENDING").numpy().tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="direction"):
        tf.sort(tf.constant([1, 2]), direction="UP")
    with pytest.raises(InvalidArgumentError):
        tf.sort(tf.constant([True, False]))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.int32, st.integers(1, 12), elements=st.integers(-3, 3)),
       st.booleans())
def test_argsort_is_a_stable_sort(values, descending):
    got = tf.argsort(tf.constant(values), direction="DESCENDING" if descending
                     else "ASCENDING").numpy()
    key = -values.astype(np.int64) if descending else values
    np.testing.assert_array_equal(got, np.argsort(key, kind="stable"))


def test_sort_gradient():
    x = tf.constant([2.0, 4.0, 1.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sort(x, direction="DESCENDING") * tf.constant([1.0, 2.0, 3.0, 4.0])
    assert tape.gradient(y, x).numpy().tolist() == [3.0, 1.0, 4.0, 2.0]


def test_unique():
    y, idx = tf.unique(tf.constant([1, 1, 2, 4, 4, 4, 7, 8, 8]))
    assert y.numpy().tolist() == [1, 2, 4, 7, 8]
    assert idx.numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 4, 4] and idx.dtype == tf.int32
    r = tf.unique(tf.constant([4.0, 1.0, 4.0, 2.0]), out_idx=tf.int64)
    assert r.y.numpy().tolist() == [4.0, 1.0, 2.0] and r.idx.numpy().tolist() == [0, 1, 0, 2]
    assert r.idx.dtype == tf.int64
    s = tf.unique(tf.constant(["b", "a", "b"]))
    assert s.y.numpy().tolist() == [b"b", b"a"] and s.idx.numpy().tolist() == [0, 1, 0]
    with pytest.raises(InvalidArgumentError, match="1D"):
        tf.unique(tf.constant([[1, 2]]))


def test_bincount():
    arr = tf.constant([1, 1, 3])
    assert tf.math.bincount(arr).numpy().tolist() == [0, 2, 0, 1]
    assert tf.math.bincount(arr).dtype == tf.int32
    assert tf.math.bincount(arr, minlength=6).numpy().tolist() == [0, 2, 0, 1, 0, 0]
    assert tf.math.bincount(arr, maxlength=2).numpy().tolist() == [0, 2]
    w = tf.math.bincount(arr, weights=tf.constant([0.5, 1.0, 2.0]))
    assert w.dtype == tf.float32 and w.numpy().tolist() == [0.0, 1.5, 0.0, 2.0]
    assert tf.math.bincount(arr, dtype=tf.float32).dtype == tf.float32
    assert tf.math.bincount(arr, binary_output=True).numpy().tolist() == [0, 1, 0, 1]
    assert tf.math.bincount(tf.constant([], tf.int32)).numpy().tolist() == []
    two = tf.constant([[1, 2], [0, 0]])
    assert tf.math.bincount(two).numpy().tolist() == [2, 1, 1]
    assert tf.math.bincount(two, axis=-1).numpy().tolist() == [[0, 1, 1], [2, 0, 0]]
    assert tf.math.bincount(two, axis=-1, minlength=4, maxlength=4).shape == (2, 4)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.math.bincount(tf.constant([1, -1]))


# -- Python operators ---------------------------------------------------------------------
def test_equality_operators_follow_tensorflow2():
    f = tf.constant([1.0, 2.0, 3.0])
    assert (f == None) is False  # noqa: E711 - the operator itself is under test
    assert (f != None) is True  # noqa: E711
    assert (f == [1.0, 5.0, 3.0]).numpy().tolist() == [True, False, True]
    assert (f == 1).numpy().tolist() == [True, False, False]
    assert (f == tf.constant([1.0, 2.0])).numpy() == np.False_  # shapes do not broadcast
    assert (f != tf.constant([1.0, 2.0])).numpy() == np.True_
    with pytest.raises(InvalidArgumentError):
        _ = f == tf.constant([1, 2, 3])
    with pytest.raises((TypeError, ValueError)):
        _ = f == "abc"
    with pytest.raises(InvalidArgumentError):
        tf.equal(f, tf.constant([1.0, 2.0]))  # tf.equal itself requires broadcastable shapes
    v = tf.Variable([1.0, 2.0])
    assert (v == tf.constant([1.0, 0.0])).numpy().tolist() == [True, False]


def test_comparison_operators():
    f = tf.constant([1.0, 2.0, 3.0])
    assert (f < 2).numpy().tolist() == [True, False, False]
    assert (f <= 2).numpy().tolist() == [True, True, False]
    assert (f > 2.0).numpy().tolist() == [False, False, True]
    assert (2.0 >= f).numpy().tolist() == [True, True, False]
    with pytest.raises(InvalidArgumentError):
        _ = f < tf.constant([1, 2, 3])


def test_logical_and_bitwise_operators():
    t, u = tf.constant([True, False]), tf.constant([True, True])
    assert (~t).numpy().tolist() == [False, True]
    assert (t & u).numpy().tolist() == [True, False]
    assert (t | False).numpy().tolist() == [True, False]
    assert (t ^ u).numpy().tolist() == [False, True]
    assert (True & t).numpy().tolist() == [True, False]
    i = tf.constant([7, -7, 3])
    assert (~i).numpy().tolist() == [-8, 6, -4]
    assert (i & 1).numpy().tolist() == [1, 1, 1]
    assert (i | 8).numpy().tolist() == [15, -7, 11]
    assert (i ^ 1).numpy().tolist() == [6, -8, 2]
    with pytest.raises(InvalidArgumentError, match="float32"):
        ~tf.constant([1.0])
    with pytest.raises(InvalidArgumentError):
        tf.constant([1.0]) & tf.constant([1.0])


def test_arithmetic_operators():
    x = tf.constant([-7.5, 2.0])
    assert abs(x).numpy().tolist() == [7.5, 2.0]
    assert (x % 2.0).numpy().tolist() == [0.5, 0.0]
    assert (x // 2.0).numpy().tolist() == [-4.0, 1.0]
    assert (7 // tf.constant([2])).numpy().tolist() == [3]
    assert (x ** 2).numpy().tolist() == [56.25, 4.0]
    assert (2.0 ** tf.constant([3.0])).numpy().tolist() == [8.0]
    assert (-x).numpy().tolist() == [7.5, -2.0]


def test_add_n():
    assert tf.add_n([tf.constant([1.0, 2.0])] * 3).numpy().tolist() == [3.0, 6.0]
    assert tf.add_n([1.0, 2.0]).numpy() == 3.0
    with pytest.raises(InvalidArgumentError, match="same shape"):
        tf.add_n([tf.constant([1.0, 1.0]), tf.constant([1.0])])
    with pytest.raises(InvalidArgumentError, match="dtype"):
        tf.add_n([tf.constant([1.0]), tf.constant([1])])
    with pytest.raises(ValueError):
        tf.add_n([])


def test_complex_helpers():
    z = tf.complex(tf.constant([1.0]), tf.constant([2.0]))
    assert z.dtype == tf.complex64 and z.numpy().tolist() == [1 + 2j]
    assert tf.math.real(z).dtype == tf.float32
    assert tf.math.imag(z).numpy().tolist() == [2.0]
    assert tf.math.conj(z).numpy().tolist() == [1 - 2j]
    f = tf.constant([1.0])
    assert tf.math.real(f) is f and tf.math.imag(f).numpy().tolist() == [0.0]
    assert tf.math.conj(f) is f


def test_matmul_variants():
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(tf.matmul(a, b).numpy(), a @ b)
    np.testing.assert_allclose(
        tf.matmul(tf.constant(b), tf.constant(a[0]), transpose_a=True,
                  transpose_b=True).numpy(), b.T @ a[0].T)
    c = (rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))).astype(np.complex128)
    np.testing.assert_allclose(tf.matmul(c, c, adjoint_a=True).numpy(), c.conj().T @ c)
    i = tf.constant([[1, 2]])
    assert tf.matmul(i, tf.constant([[3], [4]])).numpy().tolist() == [[11]]


def test_namespaces():
    assert tf.math.add is tf.add and tf.math.reduce_sum is tf.reduce_sum
    assert tf.math.mod is tf.math.floormod
    assert tf.math.top_k(tf.constant([1.0]), 1).values.numpy() == [1.0]
    assert tf.realdiv(tf.constant([1.0]), tf.constant([2.0])).numpy() == [0.5]


# -- traced graphs with unknown dimensions ------------------------------------------------
def _run_graph(graph, feeds, outputs):
    """Evaluates a traced graph op by op with the kernels (a tiny interpreter)."""
    values = {}
    for op in graph.operations:
        if op.opdef is PLACEHOLDER:
            out = (feeds[id(op.outputs[0])],)
        else:
            args = [values[id(x)] for x in op.inputs]
            out = op.opdef.kernel(*args, **op.attrs)
            out = (out,) if op.opdef.num_outputs == 1 else tuple(out)
        for t, v in zip(op.outputs, out):
            values[id(t)] = v
    return [values[id(t)] for t in outputs]


def _placeholder(graph, shape, dtype=tf.float64):
    op = graph.add_operation(PLACEHOLDER, (), {}, [(TensorShape(shape), dtype)])
    return op.outputs[0]


@pytest.mark.parametrize("fn,ref_grad", [
    (lambda x: tf.reduce_sum(x, axis=1), lambda x: np.ones_like(x)),
    (lambda x: tf.reduce_sum(x), lambda x: np.ones_like(x)),
    (lambda x: tf.reduce_mean(x, axis=0), lambda x: np.full_like(x, 1 / x.shape[0])),
    (lambda x: tf.reduce_mean(x), lambda x: np.full_like(x, 1 / x.size)),
    (lambda x: tf.reduce_max(x, axis=1), lambda x: (x == x.max(1, keepdims=True)) * 1.0),
    (lambda x: tf.reduce_prod(x, axis=1), lambda x: np.prod(x, 1, keepdims=True) / x),
    (lambda x: tf.reduce_logsumexp(x, axis=1),
     lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (lambda x: x * tf.constant([1.0, 2.0, 3.0], tf.float64),
     lambda x: np.broadcast_to([1.0, 2, 3], x.shape)),
    (lambda x: tf.math.cumsum(x, axis=1), lambda x: np.array([[3.0, 2, 1]] * x.shape[0])),
    (lambda x: tf.math.segment_sum(x, tf.constant([0, 0, 1])),
     lambda x: np.ones_like(x)),
])
def test_gradients_trace_with_unknown_dims(fn, ref_grad):
    graph = Graph("test")
    context.graphs.append(graph)
    try:
        x = _placeholder(graph, [None, 3])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        g = tape.gradient(y, x)
    finally:
        context.graphs.remove(graph)
    assert g.shape.rank == 2
    value = np.random.default_rng(9).uniform(0.5, 2.0, (3, 3))
    got_y, got_g = _run_graph(graph, {id(x): value}, [y, g])
    np.testing.assert_allclose(got_g, ref_grad(value), rtol=1e-10)
    np.testing.assert_allclose(got_y, fn(tf.constant(value)).numpy(), rtol=1e-12)


def test_rules_with_unknown_dims():
    graph = Graph("rules")
    context.graphs.append(graph)
    try:
        x = _placeholder(graph, [None, 3], tf.float32)
        assert tf.reduce_sum(x, axis=1).shape.as_list() == [None]
        assert tf.reduce_mean(x, keepdims=True).shape.as_list() == [1, 1]
        assert tf.argmax(x, axis=1).shape.as_list() == [None]
        assert tf.argmax(x, axis=1).dtype == tf.int64
        assert (x + tf.constant([1.0, 2.0, 3.0])).shape.as_list() == [None, 3]
        assert (x < 1.0).dtype == tf.bool
        assert tf.math.truediv(tf.cast(x, tf.int32), 2).dtype == tf.float64
        assert tf.matmul(x, tf.constant(np.ones((3, 2), F32))).shape.as_list() == [None, 2]
        assert tf.math.top_k(x, 2).values.shape.as_list() == [None, 2]
        assert tf.sort(x).shape.as_list() == [None, 3]
        assert tf.cumsum(x, axis=1).shape.as_list() == [None, 3]
        assert tf.math.unsorted_segment_sum(x, tf.constant([0, 1, 1]), 2).shape.as_list() \
            == [2, 3]
        assert tf.math.bincount(tf.constant([1, 2])).shape.as_list() == [None]
    finally:
        context.graphs.remove(graph)


def test_divide_no_nan_gradient_conjugates_complex_inputs():
    # d/dz of Re(z / w) for z = a + ib, w = b + ia: the same as true division where w != 0
    # (found by the second-order check of ComplexAbs, whose gradient divides with no NaN)
    a, b = tf.constant(0.7, tf.float64), tf.constant(-1.3, tf.float64)
    grads = []
    for div in (tf.math.divide_no_nan, tf.math.truediv):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = tf.math.real(div(tf.complex(a, b), tf.complex(b, a)))
        grads.append([float(g) for g in tape.gradient(y, [a, b])])
    f = lambda p, q: ((p + 1j * q) / (q + 1j * p)).real  # noqa: E731
    eps = 1e-6
    numeric = [(f(0.7 + eps, -1.3) - f(0.7 - eps, -1.3)) / (2 * eps),
               (f(0.7, -1.3 + eps) - f(0.7, -1.3 - eps)) / (2 * eps)]
    np.testing.assert_allclose(grads[0], numeric, rtol=1e-6)
    np.testing.assert_allclose(grads[1], numeric, rtol=1e-6)
