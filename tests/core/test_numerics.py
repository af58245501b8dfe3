"""rill.debugging.explain_gradients and enable_check_numerics (beyond TensorFlow): why a
gradient is None, and the first op (forward or backward) that produced NaN or Inf, with the
tf.where trap recognized."""

import inspect
import os
import warnings

import numpy as np
import pytest

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill.debugging import RillGradientWarning

HERE = os.path.basename(__file__)


@pytest.fixture
def explain():
    with tf.debugging.explain_gradients():
        yield


@pytest.fixture
def checking():
    tf.debugging.enable_check_numerics()
    try:
        yield
    finally:
        tf.debugging.disable_check_numerics()


def messages(record) -> list:
    return [str(w.message) for w in record if issubclass(w.category, RillGradientWarning)]


# -- explain_gradients --------------------------------------------------------------------
def test_off_by_default_no_warnings():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        y = x * 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tape.gradient(y, x) is None
    assert not context.op_hooks


def test_switch_and_context_manager_restore_state():
    assert not context.state.explaining
    with tf.debugging.explain_gradients():
        assert context.state.explaining
        with tf.debugging.explain_gradients(False):
            assert not context.state.explaining
        assert context.state.explaining
    assert not context.state.explaining
    tf.debugging.explain_gradients(True)
    try:
        assert context.state.explaining
    finally:
        tf.debugging.explain_gradients(False)
    assert not context.state.explaining and not context.op_hooks


def test_unwatched_tensor(explain):
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        y = x * 2.0
    with pytest.warns(RillGradientWarning) as record:
        assert tape.gradient(y, x) is None
    (msg,) = messages(record)
    assert "did not watch" in msg and "tape.watch(x)" in msg and "hint:" in msg
    assert record[0].filename.endswith(HERE)  # attributed to the user's line


def test_integer_source(explain):
    i = tf.constant(3)
    with tf.GradientTape() as tape:
        with pytest.warns(RillGradientWarning, match="int32"):
            tape.watch(i)
        y = i * i
    with pytest.warns(RillGradientWarning) as record:
        assert tape.gradient(y, i) is None
    assert "dtype int32" in messages(record)[0] and "tf.cast" in messages(record)[0]


def test_variables_not_trainable_not_watched_not_read(explain):
    frozen = tf.Variable(1.0, trainable=False)
    unread = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = frozen * 3.0
    with pytest.warns(RillGradientWarning) as record:
        assert tape.gradient(y, [frozen, unread]) == [None, None]
    first, second = messages(record)
    assert "'Variable:0'" in first and "not trainable" in first
    assert "was not read while the tape was recording" in second
    v = tf.Variable(1.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 3.0
    with pytest.warns(RillGradientWarning, match="watch_accessed_variables=False"):
        tape.gradient(y, v)


def test_not_connected_names_the_last_use(explain):
    a, b = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        unused = b * 3.0  # noqa: F841 - the last use of b
        line = inspect.currentframe().f_lineno - 1
        y = a * 2.0
    with pytest.warns(RillGradientWarning) as record:
        ga, gb = tape.gradient(y, [a, b])
    assert ga is not None and gb is None
    (msg,) = messages(record)
    assert "source #1" in msg and "does not depend on it" in msg
    assert f"{HERE}:{line}" in msg and "Mul" in msg


def test_non_differentiable_op_is_named(explain):
    x = tf.constant([1.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(tf.argmax(x), tf.float32)
    with pytest.warns(RillGradientWarning) as record:
        assert tape.gradient(y, x) is None
    msg = messages(record)[0]
    assert "ArgMax" in msg and "tf.math.argmax" in msg and "no gradient" in msg
    assert HERE in msg


def test_stop_gradient_is_named(explain):
    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.stop_gradient(w * 3.0) * 2.0
    with pytest.warns(RillGradientWarning, match="tf.stop_gradient"):
        assert tape.gradient(y, w) is None


def test_integer_target(explain):
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(x, tf.int32)
    with pytest.warns(RillGradientWarning, match="the target has dtype int32"):
        assert tape.gradient(y, x) is None


def test_warnings_can_be_silenced(explain):
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        y = x * 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", RillGradientWarning)
        assert tape.gradient(y, x) is None


def test_connected_gradients_do_not_warn(explain):
    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = w * w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(tape.gradient(y, w)) == 4.0


# -- check numerics -----------------------------------------------------------------------
def test_forward_nan_is_reported_with_the_users_line(checking):
    with pytest.raises(InvalidArgumentError) as info:
        tf.math.log(tf.constant([0.0, 1.0]))  # the fast path must not skip the check
    msg = str(info.value)
    assert 'op "Log"' in msg and "-Inf" in msg and "forward pass" in msg
    assert f"{HERE}:" in msg and "hint:" in msg


def test_off_means_no_checks():
    y = tf.math.log(tf.constant([0.0, 1.0]))
    assert np.isneginf(y.numpy()[0])
    assert not context.op_hooks and not context.tapes


def test_backward_nan_names_the_gradient(checking):
    x = tf.constant([0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sqrt(x) * 0.0  # forward finite; sqrt's gradient at 0 is infinite
    with pytest.raises(InvalidArgumentError) as info:
        tape.gradient(y, x)
    msg = str(info.value)
    assert "backward pass" in msg and "gradient of Sqrt" in msg and HERE in msg
    assert "tf.where trap" not in msg


def test_where_trap_is_recognized(checking):
    x = tf.constant([0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.where(x > 0.0, tf.sqrt(x), 0.0)
    with pytest.raises(InvalidArgumentError) as info:
        tape.gradient(y, x)
    msg = str(info.value)
    assert "tf.where trap" in msg and "double where" in msg and "Sqrt" in msg
    assert "SelectV2" in msg


def test_double_where_fix_passes(checking):
    x = tf.constant([0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        safe = tf.where(x > 0.0, x, 1.0)
        y = tf.where(x > 0.0, tf.sqrt(safe), 0.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.0, 0.25])


def test_check_numerics_through_a_training_step(checking):
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), [2.0, 4.0])


def test_check_numerics_inside_tf_function(checking):
    f = tf.function(lambda x: tf.math.log(x) * 2.0)
    np.testing.assert_allclose(f(tf.constant([1.0])).numpy(), [0.0])
    with pytest.raises(InvalidArgumentError, match='op "Log"'):
        f(tf.constant([0.0]))


def test_disable_restores_fast_paths():
    tf.debugging.enable_check_numerics()
    tf.debugging.enable_check_numerics()  # idempotent
    tf.debugging.disable_check_numerics()
    assert not context.tapes and not context.op_hooks


def test_chapter_softplus_nan_found_by_check_numerics(checking):
    x = tf.Variable([100.0])
    with pytest.raises(InvalidArgumentError, match='op "Exp"'):
        with tf.GradientTape():
            tf.math.log(tf.exp(x) + 1.0)


def test_check_numerics_op_on_gradients():
    x = tf.Variable([100.0])
    with tf.GradientTape() as tape:
        z = tf.math.log(tf.exp(x) + 1.0)
    g = tape.gradient(z, x)
    with pytest.raises(InvalidArgumentError, match="NaN"):
        tf.debugging.check_numerics(g, "gradient of softplus")
