"""tf.GradientTape: watching, gradients (structures, unconnected sources, integer dtypes,
output gradients), persistence, jacobians, higher order, graph mode and memory.

Expected values are derived by hand or with NumPy; TensorFlow's behaviour (messages, None
results, shapes) was checked against tensorflow 2.21.
"""

import gc
import weakref

import numpy as np
import pytest

import rill as tf
from rill._core.op import OpDef, execute
from rill._core.tensor import wrap


def close(t, expected, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(tf.convert_to_tensor(t)), expected, rtol=rtol,
                               atol=1e-6)


# -- watching -----------------------------------------------------------------------------
def test_trainable_variables_are_watched_in_creation_order():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    frozen = tf.Variable(3.0, trainable=False)
    with tf.GradientTape() as tape:
        y = b * a * frozen
    assert tape.watched_variables() == (a, b)  # TensorFlow's order: creation, not first use
    ga, gb, gf = tape.gradient(y, [a, b, frozen])
    close(ga, 6.0)
    close(gb, 3.0)
    assert gf is None


def test_watch_accessed_variables_false():
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 2.0
    assert tape.watched_variables() == ()
    assert tape.gradient(y, v) is None
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v)
        y = v * 2.0
    assert tape.watched_variables() == (v,)
    close(tape.gradient(y, v), [2.0, 2.0])


def test_watch_nested_structures():
    a, b, c = tf.constant(1.0), tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch({"x": a, "rest": (b, [c])})
        y = a * b * c
    close(tape.gradient(y, [a, b, c]), [6.0, 3.0, 2.0])


@pytest.mark.parametrize("bad", [3.0, np.ones(2), "x", None])
def test_watch_rejects_non_tensors(bad):
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="not tf.Tensor or tf.Variable"):
            tape.watch(bad)


def test_reenter_active_tape_raises():
    tape = tf.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="Tape is still recording"):
            with tape:
                pass


def test_stop_recording_and_reset():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            hidden = x * x
        y = x * x * x
        tape.reset()
        z = x * 3.0
    assert tape.gradient(hidden, x) is None
    assert tape.gradient(y, x) is None  # reset forgot the recording and the watch
    assert tape.gradient(z, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        tape.reset()
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x), 4.0)


# -- gradient -----------------------------------------------------------------------------
def test_sources_keep_their_structure():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    g = tape.gradient(y, {"a": x, "b": (x, [x])})
    assert set(g) == {"a", "b"} and isinstance(g["b"], tuple) and isinstance(g["b"][1], list)
    for t in (g["a"], g["b"][0], g["b"][1][0]):
        close(t, [2.0, 2.0])


def test_single_source_gives_a_tensor_and_tuple_a_tuple():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    assert isinstance(tape.gradient(y, x), tf.Tensor)
    assert isinstance(tape.gradient(y, (x,)), tuple)
    assert isinstance(tape.gradient(y, [x]), list)


def test_unconnected_none_and_zero():
    x, u = tf.constant([1.0, 2.0]), tf.constant([[1.0], [2.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, u])
        y = x * 3.0
    assert tape.gradient(y, u) is None
    for how in (tf.UnconnectedGradients.ZERO, "zero"):
        g = tape.gradient(y, [x, u], unconnected_gradients=how)
        close(g[0], [3.0, 3.0])
        assert g[1].shape == (2, 1) and g[1].dtype is tf.float32
        close(g[1], [[0.0], [0.0]])
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="bogus")


def test_integer_sources_and_targets_give_none():
    i = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(i)
        y = i * i
    assert tape.gradient(y, i) is None
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(x, tf.int32) * 2
    assert tape.gradient(y, x) is None
    v = tf.Variable(1, dtype=tf.int32)
    with tf.GradientTape() as tape:
        y = tf.cast(v, tf.float32) * 2.0
    assert tape.watched_variables() == (v,)
    assert tape.gradient(y, v) is None


def test_non_differentiable_ops_give_none():
    x = tf.constant([1.2, -0.7])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        rounded = tf.round(x) * x          # only the direct use of x counts: round(x)
        compared = tf.cast(x > 0.0, tf.float32)
        floored = tf.math.floor(x)
        index = tf.cast(tf.argmax(x), tf.float32)
    close(tape.gradient(rounded, x), [1.0, -1.0])
    for y in (compared, floored, index):
        assert tape.gradient(y, x) is None


def test_cast_to_integer_blocks_the_gradient():
    x = tf.constant([1.5, 2.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    close(tape.gradient(y, x), [1.0, 2.0])  # only the direct use of x counts


def test_output_gradients_weight_the_targets():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
        z = x * x
    close(tape.gradient(y, x, output_gradients=tf.constant([1.0, 10.0])), [2.0, 20.0])
    close(tape.gradient([y, z], x, output_gradients=[None, tf.constant([1.0, 1.0])]),
          [4.0, 6.0])
    with pytest.raises(ValueError, match="output_gradients"):
        tape.gradient(y, x, output_gradients=[tf.constant([1.0, 1.0])] * 2)


def test_bad_sources_raise_type_error():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="sources must be tensors or variables"):
        tape.gradient(y, [x, None])


def test_gradient_of_a_source_itself_is_ones():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(v)
    close(tape.gradient(v, v), [1.0, 1.0, 1.0])


def test_gradient_inside_the_with_block():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
        g = tape.gradient(y, x)
    close(g, [2.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        g1 = tape.gradient(y, x)
        z = y * 3.0  # still recorded after a gradient call
    close(g1, [2.0, 4.0])
    close(tape.gradient(z, x), [6.0, 12.0])


def test_non_persistent_tape_used_inside_its_block_keeps_working():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
        close(tape.gradient(y, v), 4.0)
        z = v * 3.0  # reads and ops after the gradient call must not break
    with pytest.raises(RuntimeError, match="only be used to compute one set"):
        tape.gradient(z, v)


def test_intermediate_source():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y * 3.0
    gy, gx = tape.gradient(z, [y, x])
    close(gy, 24.0)        # dz/dy = 6 y
    close(gx, 96.0)        # dz/dx = 12 x^3


def test_shared_subexpressions_accumulate():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        a = x * x
        y = a + a * a + tf.sin(a)
    expected = 2 * 3.0 * (1 + 2 * 9.0 + np.cos(9.0))
    close(tape.gradient(y, x), expected, rtol=1e-5)


def test_unused_outputs_of_multi_output_ops_get_zeros():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        a, _ = tf.unstack(x)
        y = a * 3.0
    close(tape.gradient(y, x), [3.0, 0.0])


def test_gather_gradient_is_indexed_slices_with_the_right_values():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, [0, 2, 2]))
    g = tape.gradient(y, v)
    close(tf.convert_to_tensor(g), [1.0, 0.0, 2.0])


def test_missing_gradient_raises_lookup_error():
    no_grad = OpDef("_TestNoGradient", lambda x: x * 2, lambda x: (x.shape, x.dtype))
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = execute(no_grad, (x,))
    with pytest.raises(LookupError, match="No gradient defined for operation '_TestNoGradient'"):
        tape.gradient(y, x)


def test_matches_numpy_on_a_small_network(rng):
    xv = rng.standard_normal((4, 3))
    wv = rng.standard_normal((3, 2))
    x, w = tf.constant(xv), tf.Variable(wv)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.tanh(tf.matmul(x, w)) ** 2)
    t = np.tanh(xv @ wv)
    expected = xv.T @ (2 * t * (1 - t ** 2))
    close(tape.gradient(y, w), expected, rtol=1e-10)


def _training_step(w, b, x, y):
    with tf.GradientTape() as tape:
        h = tf.nn.elu(tf.matmul(x, w) + b)  # variable operands
        loss = tf.add_n([tf.reduce_mean(tf.square(y - h)), 0.5 * tf.reduce_sum(w * w),
                         tf.reduce_sum(tf.matmul(w, h, transpose_b=True)) / 4.0,
                         1.0 - tf.reduce_mean(b, axis=0)])  # numbers on the left
    return [loss] + tape.gradient(loss, [w, b])


def test_eager_fast_paths_record_what_the_general_path_records(rng):
    from rill._core import context
    w = tf.Variable(rng.standard_normal((3, 3)).astype(np.float32))
    b = tf.Variable(rng.standard_normal(3).astype(np.float32))
    x = tf.constant(rng.standard_normal((5, 3)).astype(np.float32))
    y = tf.constant(rng.standard_normal((5, 3)).astype(np.float32))
    fast = _training_step(w, b, x, y)
    hooks = context.state.op_hooks
    hooks.append(lambda *args: None)  # an op hook sends every op down the general path
    try:
        general = _training_step(w, b, x, y)
    finally:
        hooks.pop()
    for f, g in zip(fast, general):
        np.testing.assert_allclose(f.numpy(), g.numpy(), rtol=1e-6)


# -- persistence and memory ---------------------------------------------------------------
def test_persistent_tape_answers_many_times():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * x
    for _ in range(3):
        close(tape.gradient(y, x), 4.0)
        close(tape.gradient(z, x), 12.0)
    close(tape.jacobian(z, x), 12.0)


def test_non_persistent_tape_frees_its_recording():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        mid = x * 3.0
        y = tf.reduce_sum(mid * mid)
    ref = weakref.ref(mid)
    del mid
    gc.disable()
    try:
        assert ref() is not None  # the tape keeps what gradient() needs
        tape.gradient(y, x)
        assert ref() is None  # freed by reference counting as gradient() returns
    finally:
        gc.enable()
    assert tape._records is None


def test_finished_persistent_tape_is_freed_by_del():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        mid = x * 3.0
        y = tf.reduce_sum(mid)
    tape.gradient(y, x)
    ref = weakref.ref(mid)
    del mid
    assert ref() is not None
    gc.disable()
    try:
        del tape
        assert ref() is None
    finally:
        gc.enable()


def test_reused_non_persistent_tape_records_again():
    x = tf.constant(2.0)
    tape = tf.GradientTape()
    with tape:
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x), 4.0)
    with tape:
        tape.watch(x)
        y = x * x * x
    close(tape.gradient(y, x), 12.0)


# -- jacobians ----------------------------------------------------------------------------
def test_jacobian_of_a_matrix_product(rng):
    a = rng.standard_normal((3, 4))
    x = tf.constant(rng.standard_normal((4,)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.linalg.matvec(tf.constant(a), x)
    j = tape.jacobian(y, x)
    assert j.shape == (3, 4) and j.dtype is tf.float64
    close(j, a, rtol=1e-12)


def test_jacobian_shapes_and_structure():
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x[:, :2] * 2.0
    j = tape.jacobian(y, x, experimental_use_pfor=False)
    assert j.shape == (2, 2, 2, 3)
    expected = np.zeros((2, 2, 2, 3))
    for i in range(2):
        for k in range(2):
            expected[i, k, i, k] = 2.0
    close(j, expected)
    both = tape.jacobian(y, [x, {"a": x}])
    close(both[0], expected)
    close(both[1]["a"], expected)
    z = tf.constant(1.0)
    assert tape.jacobian(y, z) is None
    zero = tape.jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert zero.shape == (2, 2)
    close(zero, np.zeros((2, 2)))


def test_jacobian_of_elementwise_op_is_diagonal():
    xv = np.array([0.5, -1.0, 2.0])
    x = tf.constant(xv)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sin(x)
    close(tape.jacobian(y, x), np.diag(np.cos(xv)), rtol=1e-12)


def test_jacobian_on_non_persistent_tape_is_once():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    close(tape.jacobian(y, x), [[2.0, 0.0], [0.0, 4.0]])
    with pytest.raises(RuntimeError, match="only be used to compute one set"):
        tape.jacobian(y, x)


def test_hessian_as_jacobian_of_gradient(rng):
    a = rng.standard_normal((3, 3))
    x = tf.constant(rng.standard_normal(3))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x * tf.linalg.matvec(tf.constant(a), x))  # x^T A x
        g = inner.gradient(y, x)
    close(outer.jacobian(g, x), a + a.T, rtol=1e-12)


def test_batch_jacobian(rng):
    xv = rng.standard_normal((4, 3))
    w = rng.standard_normal((3, 2))
    x = tf.constant(xv)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.tanh(tf.matmul(x, tf.constant(w)))
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (4, 2, 3)
    t = np.tanh(xv @ w)
    expected = (1 - t ** 2)[:, :, None] * w.T[None, :, :]
    close(bj, expected, rtol=1e-10)
    full = tape.jacobian(y, x)
    close(bj, np.einsum("bibj->bij", full.numpy().transpose(0, 1, 2, 3)), rtol=1e-10)
    other = tf.constant([[1.0], [2.0], [3.0], [4.0]], tf.float64)
    assert tape.batch_jacobian(y, other) is None
    zero = tape.batch_jacobian(y, other, unconnected_gradients="zero")
    assert zero.shape == (4, 2, 1)
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        tape.batch_jacobian(y, tf.constant(np.ones((3, 3))))


# -- higher order -------------------------------------------------------------------------
def test_third_derivative():
    x = tf.constant(1.5)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.sin(x) * x
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    # y = x sin x: y''' = -3 sin x - x cos x
    close(d3, -3 * np.sin(1.5) - 1.5 * np.cos(1.5), rtol=1e-5)


# -- graph mode ---------------------------------------------------------------------------
def test_tape_inside_tf_function_matches_eager():
    w = tf.Variable([1.0, -2.0])

    def step(x):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.exp(w * x) * w)
        return tape.gradient(y, w)

    x = tf.constant([0.5, 0.25])
    eager = step(x).numpy()
    traced = tf.function(step)(x).numpy()
    wv, xv = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    expected = np.exp(wv * xv) * (1 + wv * xv)
    np.testing.assert_allclose(eager, expected, rtol=1e-6)
    np.testing.assert_allclose(traced, expected, rtol=1e-6)


def test_hessian_inside_tf_function():
    @tf.function
    def hess(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x ** 3
            g = inner.gradient(y, x)
        return outer.gradient(g, x)

    close(hess(tf.constant(2.0)), 12.0)


def test_eager_tensor_supports_weakrefs():
    t = wrap(np.ones(2))
    r = weakref.ref(t)
    del t
    assert r() is None


def test_repeated_reads_of_an_unchanged_variable_share_one_record():
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        a = w * w  # two reads: one ReadVariableOp
        w.assign([3.0, 5.0])
        b = w * 2.0  # the value changed: a new read
        c = w + 1.0  # unchanged since: shared again
        total = a + b + c
    reads = [r for r in tape._records_with_reads() if r.opdef.name == "ReadVariableOp"]
    assert len(reads) == 2
    assert tape.gradient(a, w).numpy().tolist() == [2.0, 4.0]  # 2 * the old value
    assert tape.gradient(total, w).numpy().tolist() == [5.0, 7.0]  # 2w_old + 2 + 1


def test_a_reentered_tape_reads_the_variable_afresh():
    w = tf.Variable(2.0)
    tape = tf.GradientTape(persistent=True)
    with tape:
        y1 = w * w
    w.assign(5.0)
    with tape:
        y2 = w * w
        total = y1 + y2
    assert float(tape.gradient(y1, w)) == 4.0
    assert float(tape.gradient(y2, w)) == 10.0
    assert float(tape.gradient(total, w)) == 14.0


@pytest.mark.parametrize("number, expected", [(-0.0, -0.0), (0.0, 0.0), (2, 2.0), (0.5, 0.5)])
def test_python_numbers_keep_their_value_and_sign(number, expected):
    x = tf.constant(3.0)
    for _ in range(3):  # the second and third calls may use a cached NumPy scalar
        assert np.copysign(1.0, float(x * number)) == np.copysign(1.0, 3.0 * expected)
        assert float(x * number) == 3.0 * expected
        assert float(number * tf.Variable(3.0)) == 3.0 * expected


def test_nan_numbers_are_not_cached():
    from rill.ops import _util
    x = tf.constant(1.0)
    for _ in range(600):
        assert np.isnan(float(x + float("nan")))
    assert all(len(c) <= 256 for c in _util._NUMBERS.values())


def test_variable_reads_pass_gradients_to_the_variable_and_the_read_tensor():
    w = tf.Variable(3.0)
    u = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        x = w.value()  # the read tensor itself is a source too
        y = x * x * u
    gw, gx, gu = tape.gradient(y, [w, x, u])
    assert (float(gw), float(gx), float(gu)) == (12.0, 12.0, 9.0)  # 2xu, 2xu, x^2
    assert float(tape.gradient(y, u)) == 9.0  # some watched variables not asked for
    assert float(tape.gradient(y, w)) == 12.0
    assert tape.jacobian(y, w).numpy() == 12.0


def test_second_order_through_variable_reads():
    w = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = w * w * w
        g = inner.gradient(y, w)  # 3w^2, recorded on the outer tape
    assert float(g) == 27.0
    assert float(outer.gradient(g, w)) == 18.0  # 6w


def test_a_persistent_tape_records_its_own_jacobian_inside_its_block():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        y = x * x * x
        jac = tape.jacobian(y, x)  # diag(3 x^2), recorded on the tape itself
        total = tf.reduce_sum(jac)
    np.testing.assert_allclose(jac.numpy(), [[3.0, 0.0], [0.0, 12.0]])
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), [6.0, 12.0])  # 6x


def test_flat_records_take_every_backward_path():
    """A lone tape keeps binary ops as flat records: NumPy gradients, the general rule (an op
    without a NumPy gradient, complex values, an outer tape recording) and partial sources
    all read them."""
    x, y = tf.constant(3.0), tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        a = x * y  # Mul: a NumPy gradient
        b = tf.maximum(a, y)  # Maximum: only the rule
        c = b / y  # RealDiv: only the rule
    assert any(type(r) is tuple for r in tape._records)
    assert [r.opdef.name for r in tape._records_with_reads()] == ["Mul", "Maximum", "RealDiv"]
    gx, gy = tape.gradient(c, [x, y])  # c = x (x*y > y here)
    assert (float(gx), float(gy)) == (1.0, 0.0)
    assert float(tape.gradient(a, y)) == 3.0  # one source of two watched: `prepare` walks
    with tf.GradientTape() as outer:  # recording the backward pass: the rule, not NumPy
        outer.watch(x)
        g = tape.gradient(a, x)
    assert float(g) == 2.0 and outer.gradient(g, x) is None  # d(y)/dx: unconnected
    z = tf.constant(1.0 + 2.0j)
    with tf.GradientTape() as tape:
        tape.watch(z)
        w = z * z
    np.testing.assert_allclose(tape.gradient(w, z).numpy(), np.conj(2 * (1.0 + 2.0j)))
