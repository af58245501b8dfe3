"""tf.map_fn, tf.scan, tf.foldl, tf.foldr, tf.vectorized_map and tf.hessians
(rill/ops/functional_ops.py), eagerly and in traced functions."""

import doctest
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill.ops import functional_ops

MODES = ["eager", "graph", "graph_unknown_length"]


def _run(mode, fn, *arrays):
    """fn(*tensors) eagerly, traced with static shapes, or traced with an unknown first
    dimension; the result as NumPy values."""
    tensors = [tf.constant(a) for a in arrays]
    if mode == "eager":
        out = fn(*tensors)
    else:
        sig = None
        if mode == "graph_unknown_length":
            sig = [tf.TensorSpec([None] + list(a.shape[1:]), tf.as_dtype(a.dtype))
                   for a in arrays]
        out = tf.function(fn, input_signature=sig)(*tensors)
    return tf.nest.map_structure(lambda t: None if t is None else np.asarray(t), out)


# -- map_fn --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_map_fn_matches_numpy_rows(mode, dtype, rng):
    x = (rng.standard_normal((4, 3)) * 5).astype(dtype)
    got = _run(mode, lambda t: tf.map_fn(lambda row: row * row + row, t), x)
    np.testing.assert_allclose(got, x * x + x, rtol=1e-6)
    assert got.dtype == dtype


@pytest.mark.parametrize("mode", MODES)
def test_map_fn_with_output_signature(mode, rng):
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)

    def fn(t):
        return tf.map_fn(lambda m: (tf.reduce_sum(m), tf.cast(tf.shape(m)[0], tf.int64)), t,
                         fn_output_signature=(tf.float32, tf.TensorSpec([], tf.int64)))

    sums, rows = _run(mode, fn, x)
    np.testing.assert_allclose(sums, x.sum(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_array_equal(rows, np.full(5, 2, np.int64))


@pytest.mark.parametrize("mode", MODES)
def test_map_fn_nested_elems(mode, rng):
    a = rng.standard_normal((3, 2)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float32)

    def fn(x, y):
        return tf.map_fn(lambda d: {"s": d["a"] * d["b"]}, {"a": x, "b": y},
                         fn_output_signature={"s": tf.float32})

    np.testing.assert_allclose(_run(mode, fn, a, b)["s"], a * b[:, None], rtol=1e-6)


def test_map_fn_tuple_elems_and_dtype_argument():
    x = tf.constant([1.0, 2.0, 3.0])
    y = tf.constant([10, 20, 30])
    out = tf.map_fn(lambda p: p[0] * tf.cast(p[1], tf.float32), (x, y), dtype=tf.float32)
    np.testing.assert_allclose(out.numpy(), [10.0, 40.0, 90.0])


def test_map_fn_static_shape_in_graph():
    shapes = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def fn(x):
        out = tf.map_fn(lambda r: tf.concat([r, r], 0), x)
        shapes.append(out.shape.as_list())
        return out

    fn(tf.ones([2, 3]))
    assert shapes == [[None, 6]]


@pytest.mark.parametrize("mode", ["eager", "graph_unknown_length"])
def test_map_fn_over_no_elements(mode):
    # fn never runs: the element shape is unknown (TensorFlow also returns shape (0,)),
    # unless fn_output_signature gives it
    x = np.zeros((0, 2), np.float32)
    out = _run(mode, lambda t: tf.map_fn(lambda r: r + 1.0, t), x)
    assert out.shape == (0,) and out.dtype == np.float32
    out = _run(mode, lambda t: tf.map_fn(lambda r: r[:1], t,
                                         fn_output_signature=tf.TensorSpec([1], tf.float32)), x)
    assert out.shape == (0, 1)


def test_map_fn_errors():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="structure"):
        tf.map_fn(lambda r: (r, r), x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="fn_output_signature"):
        tf.map_fn(lambda r: tf.cast(r, tf.int32), x)
    with pytest.raises(ValueError, match="not scalars"):
        tf.map_fn(lambda r: r, tf.constant(1.0))
    with pytest.raises(ValueError, match="Dimensions 2 and 3 are not compatible"):
        tf.map_fn(lambda p: p[0], (x, tf.ones([3])))
    with pytest.raises(ValueError, match="does not contain any Tensors"):
        tf.map_fn(lambda r: r, [])
    with pytest.raises(TypeError, match="callable"):
        tf.map_fn(3, x)
    with pytest.raises(TypeError, match="fn_output_signature"):
        tf.map_fn(lambda r: r, x, fn_output_signature="no such dtype")


@pytest.mark.parametrize("mode", ["eager", "graph", "graph_unknown_length"])
def test_map_fn_gradient(mode, rng):
    x = rng.standard_normal((3, 2))

    def fn(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.reduce_sum(tf.map_fn(lambda r: tf.sin(r) * r[0], t))
        return tape.gradient(y, t)

    # d/dr_j sum_k sin(r_k) r_0 = cos(r_j) r_0 + [j == 0] sum_k sin(r_k)
    want = np.cos(x) * x[:, :1]
    want[:, 0] += np.sin(x).sum(axis=1)
    np.testing.assert_allclose(_run(mode, fn, x), want, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(0, 3), st.sampled_from([np.float32, np.int64]))
def test_map_fn_square_property(n, m, dtype):
    x = np.arange(n * m, dtype=dtype).reshape(n, m) - 3
    np.testing.assert_array_equal(tf.map_fn(tf.square, tf.constant(x)).numpy(), x * x)


# -- scan ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_scan_is_a_cumulative_sum(mode, rng):
    x = rng.standard_normal((6, 2))
    np.testing.assert_allclose(_run(mode, lambda t: tf.scan(lambda a, v: a + v, t), x),
                               np.cumsum(x, axis=0), rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_scan_reverse_with_initializer(mode):
    x = np.array([1.0, 2.0, 3.0, 4.0])
    got = _run(mode, lambda t: tf.scan(lambda a, v: a * 2 + v, t, initializer=np.float64(1.0),
                                       reverse=True), x)
    # from the end: 2*1+4 = 6, 2*6+3 = 15, 2*15+2 = 32, 2*32+1 = 65; aligned with x
    np.testing.assert_allclose(got, [65.0, 32.0, 15.0, 6.0])


@pytest.mark.parametrize("mode", MODES)
def test_scan_nested_accumulator(mode):
    x = np.array([1.0, 2.0, 3.0], np.float32)

    def fn(t):
        return tf.scan(lambda acc, v: (acc[0] + v, acc[1] * v), t, initializer=(0.0, 1.0))

    sums, prods = _run(mode, fn, x)
    np.testing.assert_allclose(sums, [1.0, 3.0, 6.0])
    np.testing.assert_allclose(prods, [1.0, 2.0, 6.0])


def test_scan_over_several_elems_with_int_initializer():
    xs = (tf.constant([1, 2, 3]), tf.constant([4, 5, 6]))
    out = tf.scan(lambda a, p: a + p[0] * p[1], xs, initializer=0)
    np.testing.assert_array_equal(out.numpy(), [4, 14, 32])
    assert out.dtype == tf.int32


def test_scan_empty():
    empty = tf.zeros([0])
    out = tf.scan(lambda a, v: a + v, empty, initializer=1.0)
    assert out.shape == (0,) and out.dtype == tf.float32
    with pytest.raises(tf.errors.OutOfRangeError, match="initializer"):
        tf.scan(lambda a, v: a + v, empty)


def test_scan_type_change_is_an_error():
    with pytest.raises(TypeError, match="type should remain constant"):
        tf.scan(lambda a, v: tf.cast(v, tf.int32), tf.constant([1.0, 2.0]), initializer=0.0)
    with pytest.raises(ValueError, match="structure of the accumulator"):
        tf.scan(lambda a, v: (a, a), tf.constant([1.0, 2.0]))


@pytest.mark.parametrize("mode", ["eager", "graph_unknown_length"])
def test_scan_gradient(mode, rng):
    x = rng.uniform(0.5, 2.0, (4,))

    def fn(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.reduce_sum(tf.scan(lambda a, v: a * v, t))
        return tape.gradient(y, t)

    # sum of prefix products p_k = x_0...x_k; d/dx_j = sum_{k >= j} p_k / x_j
    prefix = np.cumprod(x)
    want = np.array([prefix[j:].sum() / x[j] for j in range(4)])
    np.testing.assert_allclose(_run(mode, fn, x), want, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=8))
def test_scan_matches_cumsum_property(values):
    x = np.array(values, np.int32)
    np.testing.assert_array_equal(tf.scan(lambda a, v: a + v, tf.constant(x)).numpy(),
                                  np.cumsum(x))


# -- folds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_foldl_and_foldr_order(mode):
    x = np.array([1.0, 2.0, 3.0], np.float32)
    assert float(_run(mode, lambda t: tf.foldl(lambda a, v: a * 10 + v, t), x)) == 123.0
    assert float(_run(mode, lambda t: tf.foldr(lambda a, v: a * 10 + v, t), x)) == 321.0
    assert float(_run(mode, lambda t: tf.foldr(lambda a, v: a * 10 + v, t,
                                               initializer=5.0), x)) == 5321.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=7), st.integers(-5, 5))
def test_foldl_matches_functools_reduce(values, start):
    x = tf.constant(np.array(values, np.int32))
    got = tf.foldl(lambda a, v: a * 3 - v, x, initializer=start)
    assert int(got) == functools.reduce(lambda a, v: a * 3 - v, values, start)


def test_folds_of_nothing_return_the_initializer():
    assert float(tf.foldl(lambda a, v: a + v, tf.zeros([0]), initializer=7.0)) == 7.0
    with pytest.raises(tf.errors.OutOfRangeError):
        tf.foldr(lambda a, v: a + v, tf.zeros([0]))


def test_fold_with_nested_elems_and_accumulator():
    xs = {"a": tf.constant([1.0, 2.0]), "b": tf.constant([3.0, 4.0])}
    total, count = tf.foldl(lambda acc, d: (acc[0] + d["a"] * d["b"], acc[1] + 1), xs,
                            initializer=(0.0, 0))
    assert float(total) == 11.0 and int(count) == 2


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_foldl_gradient(mode, rng):
    x = rng.uniform(0.5, 2.0, (3,))

    def fn(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.foldl(lambda a, v: a * v + 1.0, t, initializer=np.float64(2.0))
        return tape.gradient(y, t)

    # y = ((2 x0 + 1) x1 + 1) x2 + 1
    x0, x1, x2 = x
    want = [2 * x1 * x2, (2 * x0 + 1) * x2, (2 * x0 + 1) * x1 + 1]
    np.testing.assert_allclose(_run(mode, fn, x), want, rtol=1e-10)


# -- vectorized_map --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_vectorized_map_structure_comes_from_fn(mode, rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)

    def fn(t):
        return tf.vectorized_map(lambda r: {"double": r * 2, "n": tf.size(r)}, t)

    out = _run(mode, fn, x)
    np.testing.assert_allclose(out["double"], 2 * x)
    np.testing.assert_array_equal(out["n"], [3, 3, 3, 3])


def test_vectorized_map_of_tuples_and_of_nothing():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(tf.vectorized_map(lambda p: p[0] + p[1], (x, x)).numpy(),
                               [[2.0, 4.0], [6.0, 8.0]])
    out = tf.vectorized_map(lambda r: tf.reduce_sum(r), tf.zeros([0, 3]))
    assert out.shape == (0,) and out.dtype == tf.float32


# -- hessians --------------------------------------------------------------------------------
def test_hessians_needs_a_graph():
    with pytest.raises(RuntimeError, match="GradientTape"):
        tf.hessians(tf.constant(1.0), tf.constant(1.0))


def test_hessian_of_a_quadratic_form(rng):
    a = rng.standard_normal((3, 3))
    x0 = rng.standard_normal(3)

    @tf.function
    def fn(x):
        return tf.hessians(tf.tensordot(x, tf.linalg.matvec(tf.constant(a), x), 1), x)

    (h,) = fn(tf.constant(x0))
    np.testing.assert_allclose(h.numpy(), a + a.T, rtol=1e-12)


def test_hessians_of_several_sources_and_shapes():
    @tf.function
    def fn(x, z):
        y = tf.reduce_sum(x ** 3) * z + tf.reduce_sum(x)
        return tf.hessians(y, [x, z])

    x0 = np.array([[1.0, 2.0]])
    hx, hz = fn(tf.constant(x0), tf.constant(np.float64(2.0)))
    # d2/dx_i dx_j = 6 z x_i [i == j]; y is linear in z
    want = np.zeros((1, 2, 1, 2))
    want[0, 0, 0, 0], want[0, 1, 0, 1] = 6 * 2.0 * 1.0, 6 * 2.0 * 2.0
    np.testing.assert_allclose(hx.numpy(), want)
    assert float(hz) == 0.0


def test_hessians_unconnected_source_is_none():
    @tf.function
    def fn(x, other):
        return tf.hessians(tf.reduce_sum(x * x), [x, other])

    hx, ho = fn(tf.constant([1.0, 2.0]), tf.constant(3.0))
    np.testing.assert_allclose(hx.numpy(), 2 * np.eye(2))
    assert ho is None


def test_docstring_examples():
    result = doctest.testmod(functional_ops, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
