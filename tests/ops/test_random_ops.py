"""tf.random: shapes, dtypes, distributions, TensorFlow's seed rules, stateless ops and
tf.random.Generator.

Expected moments come from the distributions themselves (e.g. the standard deviation of a
normal truncated at two standard deviations is 0.8796); tolerances are several standard
errors wide so that the tests are not flaky.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.graph import PLACEHOLDER, Graph
from rill.ops import random_ops


@pytest.fixture(autouse=True)
def _no_global_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def _np(t):
    return np.asarray(t.numpy())


# -- shapes and dtypes ------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [tf.random.normal, tf.random.uniform, tf.random.truncated_normal])
@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_float_samplers_shape_and_dtype(fn, dtype):
    t = fn([2, 3], dtype=dtype)
    assert t.shape == [2, 3] and t.dtype == dtype


@pytest.mark.parametrize("shape", [[], (4,), tf.TensorShape([2, 2]), tf.constant([3, 1]),
                                   np.array([2, 0], np.int64), [tf.constant(2), 3]])
def test_shape_argument_forms(shape):
    expected = [int(d) for d in np.asarray(shape if not hasattr(shape, "as_list")
                                           else shape.as_list(), dtype=object).reshape(-1)]
    assert tf.random.normal(shape).shape.as_list() == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=0, max_size=3))
def test_any_shape_property(dims):
    for t in (tf.random.uniform(dims), tf.random.stateless_normal(dims, seed=[1, 2]),
              tf.random.uniform(dims, maxval=7, dtype=tf.int64)):
        assert t.shape.as_list() == dims


def test_scalar_sample_is_rank_0():
    t = tf.random.normal([])
    assert t.shape == [] and isinstance(float(t), float)


def test_integer_uniform():
    t = tf.random.uniform([2000], minval=-3, maxval=4, dtype=tf.int32)
    v = _np(t)
    assert t.dtype == tf.int32 and v.min() == -3 and v.max() == 3
    assert set(v.tolist()) == set(range(-3, 4))
    assert tf.random.uniform([3], 0, 10, dtype=tf.int64).dtype == tf.int64


# -- distributions --------------------------------------------------------------------------
def test_normal_moments_and_affine_parameters():
    v = _np(tf.random.normal([20000], mean=3.0, stddev=2.0, seed=1))
    assert abs(v.mean() - 3.0) < 0.05 and abs(v.std() - 2.0) < 0.05


def test_uniform_float_range_and_moments():
    v = _np(tf.random.uniform([20000], minval=-2.0, maxval=6.0))
    assert v.min() >= -2.0 and v.max() < 6.0
    assert abs(v.mean() - 2.0) < 0.1 and abs(v.var() - 64 / 12) < 0.2


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
def test_narrow_float_uniform_stays_below_one(dtype):
    v = _np(tf.random.uniform([50000], dtype=dtype)).astype(np.float64)
    assert v.min() >= 0 and v.max() < 1


def test_truncated_normal_is_within_two_stddevs():
    v = _np(tf.random.truncated_normal([20000], mean=1.0, stddev=3.0, dtype=tf.float64))
    assert np.all(np.abs(v - 1.0) <= 6.0)
    # std of a standard normal truncated to [-2, 2]: sqrt(1 - 2*2*phi(2) / (2*Phi(2) - 1))
    assert abs(v.std() / 3.0 - 0.8796) < 0.02


def test_categorical_frequencies_follow_softmax():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    with np.errstate(divide="ignore"):
        logits = np.log(probs).astype(np.float32)
    s = tf.random.categorical(logits, 6000, seed=3)
    assert s.dtype == tf.int64 and s.shape == [2, 6000]
    v = _np(s)
    for row, p in zip(v, probs):
        freq = np.bincount(row, minlength=3) / row.size
        np.testing.assert_allclose(freq, p, atol=0.03)
    assert not np.any(v[1] == 2)  # zero probability (-inf logit) is never drawn


def test_categorical_edge_cases():
    assert tf.random.categorical([[0.0, 1.0]], 3, dtype=tf.int32).dtype == tf.int32
    assert tf.random.categorical([[0.0, 1.0]], 0).shape == [1, 0]
    # as TensorFlow: a row without probability mass gives the out-of-range class index
    assert _np(tf.random.categorical([[-np.inf, -np.inf]], 2)).tolist() == [[2, 2]]
    # large logits are handled stably (no overflow): the dominant class always wins
    assert set(_np(tf.random.categorical([[0.0, 1000.0]], 50)).ravel()) == {1}


def test_shuffle_permutes_rows():
    x = np.arange(20).reshape(10, 2)
    y = _np(tf.random.shuffle(tf.constant(x)))
    assert sorted(map(tuple, y)) == sorted(map(tuple, x))
    assert float(tf.random.shuffle(tf.constant(5.0))) == 5.0


def test_gradient_flows_to_mean_and_stddev():
    mean, std = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.random.normal([50], mean=mean, stddev=std, seed=4)
    g_mean, g_std = tape.gradient(y, [mean, std])
    assert float(g_mean) == 50.0
    z = (_np(y) - 1.0) / 2.0  # the standard normal draws
    assert abs(float(g_std) - z.sum()) < 1e-3


def test_random_ops_have_no_gradient_wrt_shape_or_value():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.random.shuffle(x)
    assert tape.gradient(y, x) is None


# -- seed rules -----------------------------------------------------------------------------
def test_global_seed_repeats_the_sequence():
    tf.random.set_seed(1234)
    a1, a2 = tf.random.uniform([3]), tf.random.uniform([3])
    tf.random.set_seed(1234)
    b1, b2 = tf.random.uniform([3]), tf.random.uniform([3])
    np.testing.assert_array_equal(_np(a1), _np(b1))
    np.testing.assert_array_equal(_np(a2), _np(b2))
    assert not np.array_equal(_np(a1), _np(a2))


def test_global_seed_values_depend_on_the_op_counter_only():
    tf.random.set_seed(7)
    tf.random.uniform([5])
    a = tf.random.normal([3])
    tf.random.set_seed(7)
    tf.random.normal([100])  # another shape for the first op: the second op is unchanged
    b = tf.random.normal([3])
    np.testing.assert_array_equal(_np(a), _np(b))


def test_different_global_seeds_differ():
    tf.random.set_seed(1)
    a = tf.random.normal([4])
    tf.random.set_seed(2)
    assert not np.array_equal(_np(a), _np(tf.random.normal([4])))


def test_op_seed_continues_its_sequence_and_restarts_on_set_seed():
    a1, a2 = tf.random.uniform([3], seed=5), tf.random.uniform([3], seed=5)
    assert not np.array_equal(_np(a1), _np(a2))
    tf.random.set_seed(None)
    np.testing.assert_array_equal(_np(tf.random.uniform([3], seed=5)), _np(a1))
    assert not np.array_equal(_np(tf.random.uniform([3], seed=6)), _np(a1))


def test_no_seed_is_nondeterministic():
    assert not np.array_equal(_np(tf.random.normal([8])), _np(tf.random.normal([8])))


def test_get_seed_rules():
    assert random_ops.get_seed(None) == (None, None)
    assert random_ops.get_seed(3) == (random_ops.DEFAULT_GRAPH_SEED, 3)
    tf.random.set_seed(11)
    assert random_ops.get_seed(3) == (11, 3)
    assert random_ops.get_seed(None) == (11, 0)
    assert random_ops.get_seed(None) == (11, 1)


def _trace_op(build):
    """Builds ops into a fresh graph (as tf.function tracing does); returns the last op."""
    g = Graph()
    context.graphs.append(g)
    try:
        build()
    finally:
        context.graphs.pop()
    return g, g.operations[-1]


def _run(op):
    """Calls an op's kernel the way compiled graph code does: same attrs every call."""
    ins = [i.op.attrs["value"] for i in op.inputs]
    return op.opdef.kernel(*ins, **op.attrs)


def test_traced_random_op_draws_fresh_values_on_every_run():
    tf.random.set_seed(99)
    _, op = _trace_op(lambda: tf.random.uniform([4]))
    assert op.opdef.stateful and op.type == "RandomUniform"
    first, second = _run(op), _run(op)
    assert not np.array_equal(first, second)
    tf.random.set_seed(99)  # set_seed restarts every stream, traced ones included
    np.testing.assert_array_equal(_run(op), first)


def test_traced_functions_get_seeds_from_their_own_op_count():
    tf.random.set_seed(3)
    _, op_f = _trace_op(lambda: tf.random.normal([2]))
    tf.random.normal([7])  # eager ops in between do not shift a trace's seeds
    _, op_g = _trace_op(lambda: tf.random.normal([2]))
    assert (op_f.attrs["seed"], op_f.attrs["seed2"]) == (op_g.attrs["seed"], op_g.attrs["seed2"])
    np.testing.assert_array_equal(_run(op_f), _run(op_g))


def test_traced_shape_can_be_dynamic():
    g = Graph()
    shp = g.add_operation(PLACEHOLDER, (), {}, [((2,), tf.int32)]).outputs[0]
    context.graphs.append(g)
    try:
        t = tf.random.normal(shp)
        n = tf.random.stateless_uniform(shp, seed=[1, 2])
    finally:
        context.graphs.pop()
    assert t.shape.as_list() == [None, None] and n.shape.as_list() == [None, None]


@pytest.mark.skipif(not hasattr(tf, "function"), reason="tf.function not available yet")
def test_tf_function_draws_fresh_values_and_repeats_after_set_seed():
    @tf.function
    def f():
        return tf.random.uniform([3])

    tf.random.set_seed(5)
    a, b = _np(f()), _np(f())
    assert not np.array_equal(a, b)
    tf.random.set_seed(5)
    np.testing.assert_array_equal(_np(f()), a)


# -- stateless ops --------------------------------------------------------------------------
STATELESS = [
    lambda s: tf.random.stateless_normal([5], seed=s),
    lambda s: tf.random.stateless_uniform([5], seed=s),
    lambda s: tf.random.stateless_truncated_normal([5], seed=s),
    lambda s: tf.random.stateless_uniform([5], seed=s, minval=0, maxval=100, dtype=tf.int32),
    lambda s: tf.random.stateless_categorical([[0.0, 0.5, 1.0]], 8, seed=s),
]


@pytest.mark.parametrize("fn", STATELESS)
def test_stateless_same_seed_same_values(fn):
    np.testing.assert_array_equal(_np(fn([1, 2])), _np(fn([1, 2])))
    np.testing.assert_array_equal(_np(fn(tf.constant([1, 2], tf.int64))), _np(fn([1, 2])))
    assert not np.array_equal(_np(fn([1, 2])), _np(fn([1, 3])))


def test_stateless_ignores_global_seed():
    a = tf.random.stateless_normal([3], seed=[4, 4])
    tf.random.set_seed(8)
    np.testing.assert_array_equal(_np(tf.random.stateless_normal([3], seed=[4, 4])), _np(a))


def test_stateless_full_range_integers():
    v = _np(tf.random.stateless_uniform([1000], seed=[1, 2], minval=None, maxval=None,
                                        dtype=tf.uint32))
    assert v.dtype == np.uint32 and v.max() > 2 ** 31  # values span the whole range
    v = _np(tf.random.stateless_uniform([1000], seed=[1, 2], minval=None, maxval=None,
                                        dtype=tf.int64))
    assert v.min() < -(2 ** 60) and v.max() > 2 ** 60


def test_stateless_argument_errors():
    with pytest.raises(InvalidArgumentError, match=r"seed must have shape \[2\], not \[3\]"):
        tf.random.stateless_normal([2], seed=[1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="seed must have shape"):
        tf.random.stateless_normal([2], seed=1)
    with pytest.raises(InvalidArgumentError, match="int32 or int64"):
        tf.random.stateless_normal([2], seed=[1.0, 2.0])
    with pytest.raises(ValueError, match="both None or not None"):
        tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32)


def test_split_and_fold_in():
    s = tf.random.split([1, 2], 3)
    assert s.shape == [3, 2] and s.dtype == tf.int32
    assert len({tuple(r) for r in _np(s).tolist()}) == 3
    np.testing.assert_array_equal(_np(tf.random.split([1, 2], 3)), _np(s))
    f = tf.random.fold_in(tf.constant([1, 2], tf.int64), 7)
    assert f.dtype == tf.int64 and _np(f)[1] == 7
    assert tf.random.experimental.stateless_split is tf.random.split


def test_determinism_across_processes():
    code = ("import rill as tf; tf.random.set_seed(3); a = tf.random.normal([3]); "
            "b = tf.random.stateless_uniform([3], seed=[9, 9]); "
            "c = tf.random.Generator.from_seed(4).normal([3]); "
            "print(a.numpy().tolist(), b.numpy().tolist(), c.numpy().tolist())")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert outs[0] == outs[1] and outs[0].strip()


# -- tf.random.Generator ----------------------------------------------------------------------
def test_generator_from_seed_is_reproducible_and_advances():
    g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
    a = _np(g1.normal([4]))
    np.testing.assert_array_equal(a, _np(g2.normal([4])))
    assert not np.array_equal(a, _np(g1.normal([4])))
    assert g1.state.dtype == tf.int64 and g1.state.shape == [3]
    assert not np.array_equal(_np(tf.random.Generator.from_seed(2).normal([4])), a)


def test_neighbouring_seeds_give_unrelated_streams():
    a = _np(tf.random.Generator.from_seed(1).uniform([8]))
    b = _np(tf.random.Generator.from_seed(2).uniform([8]))
    assert not set(a.tolist()) & set(b.tolist())


def test_generator_methods():
    g = tf.random.Generator.from_seed(5)
    u = g.uniform([1000], minval=2.0, maxval=3.0, dtype=tf.float64)
    assert u.dtype == tf.float64 and 2.0 <= _np(u).min() and _np(u).max() < 3.0
    i = _np(g.uniform([1000], minval=0, maxval=3, dtype=tf.int64))
    assert set(i.tolist()) == {0, 1, 2}
    assert g.uniform_full_int([2], dtype=tf.int32).dtype == tf.int32
    assert g.uniform([2], minval=None, maxval=None, dtype=tf.uint64).dtype == tf.uint64
    assert np.all(np.abs(_np(g.truncated_normal([500]))) <= 2)
    with pytest.raises(ValueError, match="both `None` or both non-`None`"):
        g.uniform([2], dtype=tf.int32)
    seeds = g.make_seeds(3)
    assert seeds.shape == [2, 3] and seeds.dtype == tf.int64
    assert _np(seeds)[1].tolist() == [0, 0, 0]  # as TensorFlow: row 1 is zeros
    assert tf.random.stateless_normal([2], seed=_np(seeds)[:, 0]).shape == [2]


def test_generator_split_copy_reset_skip():
    g = tf.random.Generator.from_seed(9)
    kids = g.split(2)
    a, b = _np(kids[0].normal([4])), _np(kids[1].normal([4]))
    assert not np.array_equal(a, b)
    copy = tf.random.Generator(g)
    np.testing.assert_array_equal(_np(copy.normal([3])), _np(g.normal([3])))
    g.reset_from_seed(9)
    h = tf.random.Generator.from_seed(9)
    np.testing.assert_array_equal(_np(g.normal([3])), _np(h.normal([3])))
    before = g.state.numpy().copy()
    g.skip(10)
    assert not np.array_equal(before, g.state.numpy())
    k = tf.random.Generator.from_key_counter(5, [1, 2], "philox")
    assert k.state.numpy().tolist() == [1, 2, 5] and int(k.key) == 5
    s = tf.random.Generator.from_state([1, 2, 3], "philox")
    assert s.state.numpy().tolist() == [1, 2, 3] and s.algorithm == 1


def test_non_deterministic_and_global_generators():
    a = tf.random.Generator.from_non_deterministic_state().normal([4])
    b = tf.random.Generator.from_non_deterministic_state().normal([4])
    assert not np.array_equal(_np(a), _np(b))
    g = tf.random.Generator.from_seed(1)
    old = tf.random.get_global_generator()
    tf.random.set_global_generator(g)
    try:
        assert tf.random.get_global_generator() is g
    finally:
        tf.random.set_global_generator(old)


def test_generator_op_in_a_traced_graph_advances_its_variable():
    gen = tf.random.Generator.from_seed(2)
    g, op = _trace_op(lambda: gen.normal([3]))
    assert gen.state in g.variables
    first = _run(op)
    state = gen.state.numpy().copy()
    second = _run(op)
    assert not np.array_equal(first, second) and not np.array_equal(state, gen.state.numpy())


def test_create_rng_state_and_algorithm():
    s = tf.random.create_rng_state(5, "philox")
    assert s.dtype == tf.int64 and s.shape == [3]
    np.testing.assert_array_equal(_np(s), _np(tf.random.create_rng_state(5, "philox")))
    assert tf.random.Algorithm.PHILOX.value == 1
    with pytest.raises(ValueError, match="Unsupported random algorithm"):
        tf.random.Generator.from_seed(1, alg="mersenne")


# -- argument errors ------------------------------------------------------------------------
def test_argument_errors():
    with pytest.raises(InvalidArgumentError, match="shape must be a vector"):
        tf.random.normal(3)
    with pytest.raises(InvalidArgumentError, match="Dimension -2 must be >= 0"):
        tf.random.normal([-2])
    with pytest.raises(InvalidArgumentError, match="list of ints"):
        tf.random.normal([2.5])
    with pytest.raises(ValueError, match="invalid value tf.int32"):
        tf.random.normal([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="invalid value tf.uint8"):
        tf.random.uniform([2], 0, 10, dtype=tf.uint8)
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tf.random.uniform([2], dtype=tf.int32)
    with pytest.raises(InvalidArgumentError, match="Need minval < maxval, got 5 >= 5"):
        tf.random.uniform([2], 5, 5, dtype=tf.int32)
    with pytest.raises(InvalidArgumentError, match="logits should be a matrix"):
        tf.random.categorical([0.0, 1.0], 3)
    with pytest.raises(InvalidArgumentError, match="num_samples should be non-negative"):
        tf.random.categorical([[0.0, 1.0]], -1)
    with pytest.raises(ValueError, match="mean|float32|float64"):
        tf.random.normal([2], mean=tf.constant(1.0), dtype=tf.float64)


def test_namespace():
    for name in ["normal", "uniform", "truncated_normal", "categorical", "shuffle", "set_seed",
                 "Generator", "stateless_normal", "stateless_uniform",
                 "stateless_truncated_normal", "stateless_categorical", "split", "fold_in",
                 "get_global_generator", "set_global_generator", "create_rng_state",
                 "Algorithm"]:
        assert hasattr(tf.random, name), name
    assert tf.random.experimental.Generator is tf.random.Generator
