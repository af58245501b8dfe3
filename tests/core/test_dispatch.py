"""One dispatch path: every eager op reaches the op hooks (no fake tapes needed), the ops
`_core` needs are an explicit table, and the NumPy gradients of the hot elementwise ops
(`numpy_grad`, used in plain eager backward passes) agree with the rules written with ops.

Expected gradients are derived by hand with NumPy (broadcast dimensions summed).
"""

import numpy as np
import pytest

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.op import CORE_OP_NAMES, REGISTRY, _CoreOps, core_ops

_T = tf.constant([[1.0, 2.0], [3.0, 4.0]])

# public functions whose eager fast paths compute inline, and the op each must show a hook
HOOKED = [
    ("zeros", lambda: tf.zeros([2]), "Fill"),
    ("ones_like", lambda: tf.ones_like(_T), "OnesLike"),
    ("range", lambda: tf.range(3), "Range"),
    ("one_hot", lambda: tf.one_hot([0, 1], 2), "OneHot"),
    ("shape", lambda: tf.shape(_T), "Shape"),
    ("rank", lambda: tf.rank(_T), "Rank"),
    ("size", lambda: tf.size(_T), "Size"),
    ("reshape", lambda: tf.reshape(_T, [4]), "Reshape"),
    ("expand_dims", lambda: tf.expand_dims(_T, 0), "ExpandDims"),
    ("transpose", lambda: tf.transpose(_T), "Transpose"),
    ("matmul", lambda: tf.matmul(_T, _T), "MatMul"),
    ("matmul_op", lambda: _T @ _T, "MatMul"),
    ("reduce_sum", lambda: tf.reduce_sum(_T), "Sum"),
    ("reduce_mean", lambda: tf.reduce_mean(_T, 0), "Mean"),
    ("reduce_max", lambda: tf.reduce_max(_T), "Max"),
    ("gather", lambda: tf.gather(_T, [1]), "GatherV2"),
    ("where", lambda: tf.where(_T > 2.0, _T, _T), "SelectV2"),
    ("stack", lambda: tf.stack([_T, _T]), "Pack"),
    ("concat", lambda: tf.concat([_T, _T], 0), "ConcatV2"),
    ("add_n", lambda: tf.add_n([_T, _T]), "AddN"),
    ("sequence_mask", lambda: tf.sequence_mask([1, 2], 3), "Less"),
    ("getitem", lambda: _T[0], "StridedSlice"),
    ("add_number", lambda: _T + 1.0, "AddV2"),
    ("number_times_variable", lambda: 3.0 * tf.Variable(2.0), "Mul"),
    ("truediv", lambda: _T / _T, "RealDiv"),
    ("exp", lambda: tf.exp(_T), "Exp"),
]


@pytest.fixture
def seen():
    names = []

    def hook(opdef, inputs, attrs, outputs):
        names.append(opdef.name)
        assert all(hasattr(t, "_value") for t in outputs)

    context.op_hooks.append(hook)
    try:
        yield names
    finally:
        context.op_hooks.remove(hook)


@pytest.mark.parametrize("fn, op", [(f, op) for _, f, op in HOOKED],
                         ids=[n for n, _, _ in HOOKED])
def test_an_op_hook_sees_every_eager_op(seen, fn, op):
    fn()
    assert op in seen, f"expected {op} among the ops the hook saw: {seen}"


@pytest.mark.parametrize("fn, op", [(f, op) for _, f, op in HOOKED],
                         ids=[n for n, _, _ in HOOKED])
def test_an_op_hook_sees_every_eager_op_under_a_tape(seen, fn, op):
    with tf.GradientTape():
        fn()
    assert op in seen


def test_check_numerics_sees_an_op_recorded_by_a_tape():
    v = tf.Variable(0.0)
    tf.debugging.enable_check_numerics()
    try:
        with tf.GradientTape():
            with pytest.raises(InvalidArgumentError, match="RealDiv"):
                _ = v / 0.0  # a variable and a Python number: the second eager path
    finally:
        tf.debugging.disable_check_numerics()
    assert not context.tapes and not context.op_hooks


# -- the ops _core needs ----------------------------------------------------------------------
def test_core_ops_are_filled_from_the_registry():
    for name in CORE_OP_NAMES:
        assert getattr(core_ops, name) is REGISTRY[name]


def test_a_missing_core_op_says_what_to_import():
    empty = _CoreOps()
    with pytest.raises(RuntimeError, match="AddN.*\n.*hint: import rill"):
        empty.AddN  # noqa: B018
    with pytest.raises(AttributeError, match="not one of the ops"):
        empty.Sinh  # noqa: B018


def test_const_and_placeholder_are_declared_ops():
    assert REGISTRY["Const"].grad is None and REGISTRY["Placeholder"].stateful


# -- numpy_grad against the rules and against NumPy -------------------------------------------
def _sum_to(g, shape):
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(0)
    for i, d in enumerate(shape):
        if d == 1 and g.shape[i] != 1:
            g = g.sum(i, keepdims=True)
    return g


# op, public function, (dz/dx, dz/dy) of z = op(x, y), by hand
BINARY = {
    "AddV2": (tf.add, lambda x, y: (np.ones_like(x * y), np.ones_like(x * y))),
    "Sub": (tf.subtract, lambda x, y: (np.ones_like(x * y), -np.ones_like(x * y))),
    "Mul": (tf.multiply, lambda x, y: (y + 0 * x, x + 0 * y)),
    "Pow": (tf.pow, lambda x, y: (y * x ** (y - 1), x ** y * np.log(x))),
}
SHAPES = [((), ()), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (4,)), ((3,), ())]


def _gradients(fn, x, y, w, wrt, force_rule: bool):
    xs, ys, ws = tf.constant(x), tf.constant(y), tf.constant(w)
    outer = tf.GradientTape(persistent=True) if force_rule else None
    if outer is not None:
        outer.__enter__()  # a tape recording the backward pass: the rule with ops runs
    try:
        with tf.GradientTape() as tape:
            tape.watch([[xs, ys][i] for i in wrt])
            z = tf.reduce_sum(fn(xs, ys) * ws)
        return tape.gradient(z, [[xs, ys][i] for i in wrt])
    finally:
        if outer is not None:
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", SHAPES, ids=[f"{a}-{b}" for a, b in SHAPES])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_numpy_grad_agrees_with_the_rule_and_numpy(name, shapes, dtype):
    assert REGISTRY[name].numpy_grad is not None
    fn, by_hand = BINARY[name]
    rng = np.random.default_rng(len(name) + 10 * len(shapes[0]) + len(shapes[1]))
    x = rng.uniform(0.5, 2.0, shapes[0]).astype(dtype)
    y = rng.uniform(0.5, 2.0, shapes[1]).astype(dtype)
    w = rng.standard_normal(np.broadcast_shapes(x.shape, y.shape)).astype(dtype)
    wrt = (0,) if name == "Pow" else (0, 1)  # Pow's numpy_grad defers to the rule for y
    fast = _gradients(fn, x, y, w, wrt, force_rule=False)
    rule = _gradients(fn, x, y, w, wrt, force_rule=True)
    want = by_hand(x.astype(np.float64), y.astype(np.float64))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for i, f, r in zip(wrt, fast, rule):
        expected = _sum_to(w * want[i], [x, y][i].shape)
        assert np.shape(f) == np.shape(r) == [x, y][i].shape
        np.testing.assert_allclose(np.asarray(f), expected, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(np.asarray(f), np.asarray(r), rtol=rtol, atol=rtol)


def test_pow_gradient_for_the_exponent_uses_the_rule():
    x, y = tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = x ** y
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_allclose([float(gx), float(gy)], [12.0, 8.0 * np.log(2.0)], rtol=1e-6)


def test_integer_and_complex_ops_take_the_rule():
    x = tf.constant([1.0 + 2.0j, 3.0 - 1.0j], dtype=tf.complex64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = tf.reduce_sum(x * x)
    # TensorFlow's convention for complex gradients: conj(dz/dx) = conj(2x)
    np.testing.assert_allclose(np.asarray(tape.gradient(z, x)), np.conj(2 * x.numpy()),
                               rtol=1e-6)


def test_a_rank0_variable_reads_as_a_numpy_scalar_and_keeps_its_value():
    v = tf.Variable(5.0)
    t = v.value()
    assert type(t._value) is np.float32
    v.assign(7.0)
    assert float(t) == 5.0 and float(v.value()) == 7.0
    s = tf.Variable("text")
    assert s.value().numpy() == b"text"


def test_the_plain_backward_pass_uses_numpy_grad_and_an_outer_tape_the_rule(monkeypatch):
    calls = []
    opdef = REGISTRY["Mul"]
    original = opdef.numpy_grad
    monkeypatch.setattr(opdef, "numpy_grad",
                        lambda x, y, dy, reach: calls.append(1) or original(x, y, dy, reach))
    w = tf.Variable(3.0)
    for outer, expected in ((False, 1), (True, 0)):
        calls.clear()
        with tf.GradientTape() as o:
            with tf.GradientTape() as tape:
                y = w * w
            if not outer:
                o._pop()  # the outer tape stops recording: nothing is active
            g = tape.gradient(y, w)
        assert float(g) == 6.0 and len(calls) == expected


@pytest.mark.parametrize("value", [np.float32(-1.5), np.array([0.5, -3.0, 1e10], np.float32),
                                   np.array([[2.0], [-4.0]])], ids=["scalar", "f32", "f64"])
def test_square_through_pow_is_numpys_power_and_its_gradient_2x(value):
    x = tf.constant(value)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2.0  # the kernel's x * x, which np.power(x, 2) computes exactly
    np.testing.assert_array_equal(np.asarray(y), np.power(value, value.dtype.type(2)))
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)), 2 * value)
