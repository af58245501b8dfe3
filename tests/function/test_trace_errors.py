"""Errors and warnings while tracing that probing found unclear, now as TensorFlow words them
(first line) with rill's explanation and hint after; NumPy's floating-point warnings do not
escape from kernels, and retracing does not grow linecache."""

import gc
import linecache
import os
import subprocess
import sys
import textwrap
import traceback
import warnings

import numpy as np
import pytest

import rill as tf
from rill._core import context


def test_iterating_a_symbolic_tensor_without_autograph_is_not_allowed():
    f = tf.function(lambda x: [y for y in x], autograph=False)
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError,
                       match="^Iterating over a symbolic `tf.Tensor` is not allowed"):
        f(tf.constant([1.0, 2.0]))

    @tf.function
    def unpack(x):
        a, b = x  # not converted by autograph (in TensorFlow either)
        return a + b

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="tf.unstack"):
        unpack(tf.constant([1.0, 2.0]))


def _append_in_loop(n):
    out = []
    for i in tf.range(n):
        out.append(i * 2)
    return tf.stack(out)


def test_list_appended_in_a_tensor_loop_names_tensor_array():
    f = tf.function(_append_in_loop)
    with pytest.raises(ValueError, match="is out of scope and cannot be used here") as info:
        f(tf.constant(3))
    assert "tf.TensorArray" in str(info.value) and "for_body" in str(info.value)

    @tf.function
    def with_array(n):
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, i * 2)
        return ta.stack()

    assert with_array(tf.constant(3)).numpy().tolist() == [0, 2, 4]


def _fact(n):
    if n <= 1:
        return tf.constant(1)
    return n * FACT(n - 1)


FACT = tf.function(_fact)


def test_recursion_on_a_tensor_condition_is_one_screen():
    with pytest.raises(RecursionError, match="^maximum recursion depth exceeded while tracing "
                                             "tf.function '_fact'") as info:
        FACT(tf.constant(5))
    assert "tf.while_loop" in str(info.value)
    assert len(traceback.format_exception(info.value)) < 60
    assert not context.active and not context.graphs
    # recursion on Python values ends while tracing and works
    power = tf.function(lambda x, k: x if k == 0 else 2.0 * power(x, k - 1))
    assert float(power(tf.constant(1.5), 3)) == 12.0


def test_function_without_source_warns_that_autograph_skipped_it():
    namespace: dict = {}
    exec(textwrap.dedent("""
        def f(x):
            if x > 0:
                return x
            return -x
    """), namespace)
    f = tf.function(namespace["f"])
    with pytest.warns(UserWarning, match="^AutoGraph could not transform .* and will run it "
                                         "as-is.\nCause: could not get source code"):
        with pytest.raises(tf.errors.OperatorNotAllowedInGraphError,
                           match="autograph did not convert this function"):
            f(tf.constant(1.0))


def test_bool_error_says_why_autograph_did_not_apply():
    f = tf.function(lambda x: x if x > 0 else -x)
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError,
                       match="(?s)^Using a symbolic `tf.Tensor` as a Python `bool` is not "
                             "allowed.*lambda"):
        f(tf.constant(1.0))


def test_retracing_does_not_grow_linecache():
    def count():
        return sum(1 for k in list(linecache.cache) if k.startswith("<rill-graph"))

    x = tf.constant(1.0)
    gc.collect()
    before = count()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(30):
            f = tf.function(lambda t, i=i: t * float(i) + 1.0)
            assert float(f(x)) == i + 1.0
            del f
    gc.collect()
    g = tf.function(lambda t: t * 2.0)
    g(x)  # the next compile drops the entries of the functions freed
    assert count() <= before + 2
    assert count() >= 1  # a live function keeps its source for tracebacks


def test_freeing_generated_code_leaves_linecache_entries_until_the_next_compile():
    # a finalizer removing its entry at once could run inside linecache.checkcache, between
    # its listing of the keys and its reading of them, which then raised KeyError
    f = tf.function(lambda t: t + 1.0)
    f(tf.constant(1.0))
    names = list(linecache.cache)
    del f
    gc.collect()  # the generated function dies between listing and reading the keys
    assert all(name in linecache.cache for name in names)
    linecache.checkcache()


def test_numpy_warnings_do_not_escape_kernels_under_w_error():
    # the chapter's softplus written by hand, at x = 100: exp overflows to inf, as in TF
    code = textwrap.dedent("""
        import warnings
        import numpy as np
        import rill as tf
        warnings.simplefilter("error")  # after rill's import: a user's filter comes first
        x = tf.constant(100.0)
        assert np.isinf(float(tf.math.log(tf.exp(x) + 1.0)))
        f = tf.function(lambda x: tf.math.log(tf.exp(x) + 1.0))
        assert np.isinf(float(f(x)))
        v = tf.Variable(0.0)
        g = tf.function(lambda x: v.assign(tf.exp(x) - tf.exp(x)))
        assert np.isnan(float(g(x)))
        assert np.isinf(float(tf.constant(1.0) / 0.0))
        assert np.isinf(float(tf.constant(3e38) * 10.0))
        assert np.isnan(float(tf.sqrt(tf.constant(-1.0))))
        assert np.isinf(float(tf.reduce_sum(tf.constant([3e38, 3e38]))))
        s = tf.nn.softmax(tf.constant([np.inf, 1.0]))
        assert np.isnan(s.numpy()[0]) and s.numpy()[1] == 0.0
        print("ok")
    """)
    env = dict(os.environ, PYTHONWARNINGS="error")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok" and "Warning" not in out.stderr


def test_common_non_finite_results_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(float(tf.exp(tf.constant(100.0))))
        assert float(tf.math.log(tf.constant(0.0))) == -np.inf
        assert np.isinf(float(tf.constant(1.0) / 0.0))
        assert np.isnan(float(tf.math.rsqrt(tf.constant(-1.0))))
        assert np.isinf(float(tf.function(tf.exp)(tf.constant(100.0))))
