"""Small top-level utilities (rill/ops/misc_ops.py), tf.errors codes, the tf.dtypes
namespace, and a parity script run under TensorFlow when it is installed."""

import collections
import doctest
import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core.op import REGISTRY
from rill.ops import misc_ops


def _graph(fn, *specs):
    return tf.function(fn, input_signature=list(specs) if specs else None)


# -- graph plumbing ------------------------------------------------------------------------
def test_no_op_group_and_tuple():
    a, b = tf.constant(1), tf.constant([2.0])
    assert tf.no_op() is None and tf.group(a, [b]) is None and tf.group() is None
    assert tf.tuple([a, None, b]) == [a, None, b]
    out = _graph(lambda x: tf.tuple([x, None, x * 2]))(tf.constant(3))
    assert int(out[0]) == 3 and out[1] is None and int(out[2]) == 6


def test_identity_n_converts_each_value():
    out = tf.identity_n([1, np.float64(2.5), tf.constant([True])])
    assert [t.dtype for t in out] == [tf.int32, tf.float64, tf.bool]
    assert [t.numpy().tolist() for t in out] == [1, 2.5, [True]]


# -- ensure_shape --------------------------------------------------------------------------
def test_ensure_shape_eager():
    x = tf.ones([2, 3])
    assert tf.ensure_shape(x, [2, None]).shape == (2, 3)
    assert tf.ensure_shape(x, None).shape == (2, 3)
    for bad in ([3, None], [2], [2, 3, 1]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible"):
            tf.ensure_shape(x, bad)


def test_ensure_shape_in_graphs_sets_and_checks_the_shape():
    shapes = []

    def fn(x):
        y = tf.ensure_shape(x, [None, 3])
        shapes.append((x.shape.as_list(), y.shape.as_list()))
        return y

    g = _graph(fn, tf.TensorSpec([None, None], tf.float32))
    assert g(tf.ones([4, 3])).shape == (4, 3)
    assert shapes == [([None, None], [None, 3])]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[4,2\].*\[\?,3\]"):
        g(tf.ones([4, 2]))
    with pytest.raises(ValueError, match="not compatible"):  # static mismatch: at tracing
        _graph(fn)(tf.ones([4, 2]))


def test_ensure_shape_passes_gradients():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.ensure_shape(x * x, [2]))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])


# -- broadcast shapes ---------------------------------------------------------------------------
def test_broadcast_static_shape():
    assert tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3])) == [2, 3]
    got = tf.broadcast_static_shape(tf.TensorShape([None, 1]), tf.TensorShape([4]))
    assert got.as_list() == [None, 4]
    assert tf.broadcast_static_shape(tf.TensorShape(None), tf.TensorShape([2])).rank is None
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3]), max_size=4),
       st.lists(st.sampled_from([1, 2, 3]), max_size=4))
def test_broadcast_dynamic_shape_matches_numpy(a, b):
    try:
        want = np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
            tf.broadcast_dynamic_shape(np.array(a, np.int32), np.array(b, np.int32))
        return
    got = tf.broadcast_dynamic_shape(np.array(a, np.int64), np.array(b, np.int64))
    assert got.dtype == tf.int64 and tuple(got.numpy().tolist()) == want


def test_broadcast_dynamic_shape_dtypes_and_graphs():
    with pytest.raises(tf.errors.InvalidArgumentError, match="int64"):
        tf.broadcast_dynamic_shape(tf.constant([2, 1], tf.int64), tf.constant([3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="1-D int32 or int64"):
        tf.broadcast_dynamic_shape(tf.constant([2.0]), tf.constant([3.0]))
    g = _graph(lambda x, y: tf.broadcast_dynamic_shape(tf.shape(x), tf.shape(y)),
               tf.TensorSpec([None, 1]), tf.TensorSpec([None]))
    assert g(tf.ones([2, 1]), tf.ones([5])).numpy().tolist() == [2, 5]


# -- truncating division -------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-100, 100), st.integers(-9, 9).filter(bool)),
                min_size=1, max_size=10),
       st.sampled_from([np.int8, np.int32, np.int64]))
def test_truncating_division_of_integers(pairs, dtype):
    x = np.array([p[0] for p in pairs], dtype)
    y = np.array([p[1] for p in pairs], dtype)
    q = [int(a / b) for a, b in pairs]  # Python's int() truncates toward zero
    r = [a - int(a / b) * b for a, b in pairs]
    got_q, got_r = tf.truncatediv(x, y), tf.truncatemod(x, y)
    assert got_q.dtype == tf.as_dtype(dtype) and got_r.dtype == tf.as_dtype(dtype)
    assert got_q.numpy().tolist() == q and got_r.numpy().tolist() == r


def test_truncating_division_of_floats_and_unsigned():
    np.testing.assert_array_equal(tf.truncatediv(tf.constant([7.5, -7.5]), 2.0).numpy(),
                                  [3.0, -3.0])
    np.testing.assert_allclose(tf.truncatemod(tf.constant([7.5, -7.5]), 2.0).numpy(),
                               [1.5, -1.5])
    np.testing.assert_array_equal(tf.truncatediv(np.uint8([7, 200]), np.uint8([2, 3])).numpy(),
                                  [3, 66])
    assert tf.truncatediv(tf.constant(-7), tf.constant(2)).numpy() == -3
    np.testing.assert_array_equal(tf.truncatediv(tf.constant([1.0]), 0.0).numpy(), [np.inf])


def test_integer_division_by_zero_raises():
    for fn in (tf.truncatediv, tf.truncatemod):
        with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
            fn(tf.constant([1, 2]), tf.constant([1, 0]))


def test_truncatediv_has_no_gradient_and_truncatemod_has_one():
    x, y = tf.constant([7.5, -7.5]), tf.constant([2.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        q = tf.truncatediv(x, y)
        r = tf.reduce_sum(tf.truncatemod(x, y))
    assert tape.gradient(q, [x, y]) == [None, None]
    gx, gy = tape.gradient(r, [x, y])
    # r = x - trunc(x / y) * y: dr/dx = 1, dr/dy = -trunc(x / y)
    np.testing.assert_allclose(gx.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(gy.numpy(), [-3.0, 3.0])


# -- saturate_cast ---------------------------------------------------------------------------
@pytest.mark.parametrize("values, src, dst, want", [
    ([-1.0, 300.0, 3.7], np.float32, tf.uint8, [0, 255, 3]),
    ([1e10, -1e10], np.float32, tf.int32, [2147483520, -2147483648]),  # float32 below 2**31
    ([-1, 300], np.int32, tf.int8, [-1, 127]),
    ([-5, 300], np.int32, tf.uint32, [0, 300]),
    ([2 ** 40, -1], np.int64, tf.uint8, [255, 0]),
    ([1e300, -1e300, 2.5], np.float64, tf.float32, [3.4028234663852886e38,
                                                      -3.4028234663852886e38, 2.5]),
    ([70000, -70000], np.int32, tf.float16, [65504.0, -65504.0]),
    ([255, 7], np.uint8, tf.int8, [127, 7]),
    ([2.0 ** 64, -1.0], np.float64, tf.uint64, [18446744073709549568, 0]),
])
def test_saturate_cast_clamps_to_the_target_range(values, src, dst, want):
    got = tf.saturate_cast(np.array(values, src), dst)
    assert got.dtype == dst
    assert got.numpy().tolist() == want


def test_saturate_cast_of_complex_drops_the_imaginary_part():
    got = tf.dtypes.saturate_cast(tf.constant([1 + 2j, 1e300 + 0j], tf.complex128), tf.float32)
    assert got.numpy().tolist() == [1.0, float(np.finfo(np.float32).max)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-2 ** 31, 2 ** 31 - 1), min_size=1, max_size=8),
       st.sampled_from([tf.int8, tf.uint8, tf.int16, tf.uint16]))
def test_saturate_cast_int_property(values, dst):
    info = np.iinfo(dst.as_numpy_dtype)
    want = [min(max(v, int(info.min)), int(info.max)) for v in values]
    assert tf.saturate_cast(np.array(values, np.int32), dst).numpy().tolist() == want


def test_saturate_cast_gradient_passes_inside_the_range():
    x = tf.constant([0.5, 1e39], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.saturate_cast(x, tf.float32))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.0, 0.0])


# -- unique_with_counts ----------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-3, 3), max_size=12), st.sampled_from([tf.int32, tf.int64]))
def test_unique_with_counts_property(values, out_idx):
    counts = collections.Counter(values)
    order = list(dict.fromkeys(values))
    y, idx, count = tf.unique_with_counts(np.array(values, np.int32), out_idx=out_idx)
    assert y.numpy().tolist() == order
    assert idx.numpy().tolist() == [order.index(v) for v in values]
    assert count.numpy().tolist() == [counts[v] for v in order]
    assert idx.dtype == out_idx and count.dtype == out_idx


def test_unique_with_counts_of_strings_and_errors():
    out = tf.unique_with_counts(tf.constant(["b", "a", "b"]))
    assert out.y.numpy().tolist() == [b"b", b"a"] and out.count.numpy().tolist() == [2, 1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="1D"):
        tf.unique_with_counts(tf.constant([[1, 2]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="out_idx"):
        tf.unique_with_counts(tf.constant([1]), out_idx=tf.float32)


# -- reverse_sequence ------------------------------------------------------------------------
def test_reverse_sequence_examples():
    x = tf.constant([[1, 2, 3, 4], [5, 6, 7, 8]])
    got = tf.reverse_sequence(x, [3, 1], seq_axis=1)
    assert got.numpy().tolist() == [[3, 2, 1, 4], [5, 6, 7, 8]]
    got = tf.reverse_sequence(x, [0, 4], seq_axis=1, batch_axis=0)
    assert got.numpy().tolist() == [[1, 2, 3, 4], [8, 7, 6, 5]]
    y = tf.constant([[1, 2], [3, 4], [5, 6]])  # batch along axis 1
    got = tf.reverse_sequence(y, tf.constant([2, 3], tf.int64), seq_axis=0, batch_axis=1)
    assert got.numpy().tolist() == [[3, 6], [1, 4], [5, 2]]


def test_reverse_sequence_errors():
    x = tf.constant([[1, 2, 3, 4], [5, 6, 7, 8]])
    with pytest.raises(TypeError, match="seq_axis"):
        tf.reverse_sequence(x, [1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="seq_lengths must lie"):
        tf.reverse_sequence(x, [5, 1], seq_axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="seq_lengths must lie"):
        tf.reverse_sequence(x, [-1, 1], seq_axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Length of seq_lengths"):
        tf.reverse_sequence(x, [1, 1, 1], seq_axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 or int64"):
        tf.reverse_sequence(x, [1.0, 1.0], seq_axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch_dim == seq_dim"):
        tf.reverse_sequence(x, [1, 1], seq_axis=1, batch_axis=1)


def test_reverse_sequence_in_a_graph_with_unknown_lengths():
    g = _graph(lambda x, n: tf.reverse_sequence(x, n, seq_axis=1),
               tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.int32))
    out = g(tf.constant([[1.0, 2.0, 3.0]]), tf.constant([2]))
    assert out.numpy().tolist() == [[2.0, 1.0, 3.0]]


def test_parallel_stack_only_in_graphs():
    with pytest.raises(RuntimeError, match="eager"):
        tf.parallel_stack([tf.constant(1), tf.constant(2)])
    out = _graph(lambda: tf.parallel_stack([tf.constant(1), tf.constant(2)]))()
    assert out.numpy().tolist() == [1, 2]


# -- clip_by_global_norm ---------------------------------------------------------------------
def test_clip_by_global_norm_scales_every_tensor():
    a, b = tf.constant([3.0, 4.0]), tf.constant([[12.0]])
    clipped, norm = tf.clip_by_global_norm([a, None, b], 6.5)  # norm sqrt(9+16+144) = 13
    assert float(norm) == 13.0 and clipped[1] is None
    np.testing.assert_allclose(clipped[0].numpy(), [1.5, 2.0])
    np.testing.assert_allclose(clipped[2].numpy(), [[6.0]])
    kept, norm = tf.clip_by_global_norm((a, b), 100.0)
    np.testing.assert_allclose(kept[0].numpy(), [3.0, 4.0])
    assert float(norm) == 13.0


def test_clip_by_global_norm_use_norm_slices_and_edge_cases():
    a = tf.constant([3.0, 4.0])
    out, norm = tf.clip_by_global_norm([a], 1.0, use_norm=tf.constant(10.0))
    np.testing.assert_allclose(out[0].numpy(), [0.3, 0.4], rtol=1e-6)
    assert float(norm) == 10.0
    s = tf.IndexedSlices(tf.constant([[3.0, 4.0]]), tf.constant([1]), tf.constant([3, 2]))
    out, norm = tf.clip_by_global_norm([s, a], 5.0)  # norm sqrt(50)
    assert isinstance(out[0], tf.IndexedSlices)
    assert out[0].indices.numpy().tolist() == [1]
    np.testing.assert_allclose(out[0].values.numpy(), [[3.0, 4.0]] / np.sqrt(2), rtol=1e-6)
    np.testing.assert_allclose(float(norm), np.sqrt(50), rtol=1e-6)
    out, norm = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.isnan(out[0].numpy()).all() and np.isinf(float(norm))
    out, norm = tf.clip_by_global_norm([tf.zeros([2])], 1.0)
    assert out[0].numpy().tolist() == [0.0, 0.0] and float(norm) == 0.0
    out, norm = tf.clip_by_global_norm([], 1.0)
    assert out == [] and float(norm) == 0.0
    with pytest.raises(TypeError, match="sequence of tensors"):
        tf.clip_by_global_norm(a, 1.0)


def test_clip_by_global_norm_gradient_and_graph():
    x = tf.constant([3.0, 4.0], tf.float64)

    def fn(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            (c,), _ = tf.clip_by_global_norm([t], 1.0)
            y = tf.reduce_sum(c)
        return tape.gradient(y, t)

    # y = sum(x) / |x| for |x| > 1: dy/dx = 1/|x| - sum(x) x / |x|^3
    n = 5.0
    want = 1 / n - 7.0 * np.array([3.0, 4.0]) / n ** 3
    np.testing.assert_allclose(fn(x).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(_graph(fn)(x).numpy(), want, rtol=1e-12)


# -- timestamp, logger, constants --------------------------------------------------------------
def test_timestamp_eager_and_per_call_in_graphs():
    t0 = tf.timestamp()
    assert t0.dtype == tf.float64 and t0.shape == ()
    g = _graph(lambda: tf.timestamp())
    first, second = float(g()), float(g())
    assert float(t0) <= first <= second


def test_logger_and_aggregation_method():
    assert isinstance(tf.get_logger(), logging.Logger) and tf.get_logger().name == "rill"
    m = tf.AggregationMethod
    assert (m.ADD_N, m.DEFAULT, m.EXPERIMENTAL_TREE, m.EXPERIMENTAL_ACCUMULATE_N) == (0, 0, 1, 2)


def test_error_codes_match_the_exception_classes():
    e = tf.errors
    pairs = [(e.CANCELLED, e.CancelledError), (e.UNKNOWN, e.UnknownError),
             (e.INVALID_ARGUMENT, e.InvalidArgumentError), (e.NOT_FOUND, e.NotFoundError),
             (e.OUT_OF_RANGE, e.OutOfRangeError), (e.UNAUTHENTICATED, e.UnauthenticatedError),
             (e.RESOURCE_EXHAUSTED, e.ResourceExhaustedError), (e.INTERNAL, e.InternalError)]
    assert e.OK == 0 and e.INVALID_ARGUMENT == 3 and e.DATA_LOSS == 15
    for code, cls in pairs:
        assert cls.error_code == code


def test_operator_not_allowed_in_graph_error():
    assert issubclass(tf.errors.OperatorNotAllowedInGraphError, TypeError)

    def fn(x):
        if bool(x > 0):  # a Python bool of a symbolic tensor, outside autograph's reach
            return x
        return -x

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="Python `bool`"):
        tf.function(fn, autograph=False)(tf.constant(1.0))


def test_dtypes_namespace():
    assert tf.dtypes.float32 is tf.float32 and tf.dtypes.as_dtype("int64") is tf.int64
    assert tf.dtypes.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    assert complex(tf.dtypes.complex(1.0, 2.0)) == 1 + 2j
    assert tf.dtypes.saturate_cast is tf.saturate_cast
    assert tf.math.invert_permutation([2, 0, 1]).numpy().tolist() == [1, 2, 0]


# -- gradient registry hooks ---------------------------------------------------------------
@pytest.fixture
def fresh_gradient_registry(monkeypatch):
    monkeypatch.setattr(misc_ops, "_REGISTERED", {})
    opdef = REGISTRY["Sinh"]
    monkeypatch.setattr(opdef, "grad", opdef.grad)
    return opdef


def test_register_gradient_replaces_an_op_gradient(fresh_gradient_registry):
    @tf.RegisterGradient("Sinh")
    def _sinh_grad(op, grad):
        assert op.type == "Sinh" and len(op.inputs) == 1
        return grad * 10.0  # a single tensor, as TensorFlow allows

    x = tf.constant(0.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sinh(x)
    assert float(tape.gradient(y, x)) == 10.0
    with pytest.raises(KeyError, match="Registering two gradient"):
        tf.RegisterGradient("Sinh")(_sinh_grad)


def test_register_gradient_of_unknown_op_and_bad_names(fresh_gradient_registry):
    fn = tf.RegisterGradient("NoSuchOpInRill")(lambda op, g: [g])
    assert callable(fn)
    with pytest.raises(TypeError, match="string"):
        tf.RegisterGradient(3)


def test_no_gradient_makes_the_gradient_none(fresh_gradient_registry):
    tf.no_gradient("Sinh")
    tf.no_gradient("NoSuchOpInRill")  # accepted, as TensorFlow accepts any name
    x = tf.constant(0.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sinh(x)
    assert tape.gradient(y, x) is None
    with pytest.raises(TypeError, match="string"):
        tf.no_gradient(None)


def test_docstring_examples():
    result = doctest.testmod(misc_ops, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
PARITY_SCRIPT = r'''
import numpy as np
import {module} as tf

def show(name, value):
    value = tf.nest.map_structure(lambda t: np.asarray(t).tolist(), value)
    print(name, value)

class Leaf(tf.Module):
    def __init__(self, tag, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(1.0, name=tag + "w")
        self.b = tf.Variable(1.0, name=tag + "b", trainable=False)

class Tree(tf.Module):
    def __init__(self):
        super().__init__()
        self.z = Leaf("z", name="zz")
        self.layers = [Leaf("l0"), Leaf("l1")]
        self.d = {{"b": tf.Variable(1.0, name="db"), "a": tf.Variable(2.0, name="da")}}
        self.a_shared = self.z.w
        self.deep = Leaf("deep")
        self.deep.inner = Leaf("inner")

t = Tree()
print("vars", [v.name for v in t.variables])
print("trainable", [v.name for v in t.trainable_variables])
print("submodules", [m.name for m in t.submodules], t.name, t.name_scope.name)
with tf.name_scope("outer") as s1:
    with tf.name_scope("inner") as s2:
        print("scopes", s1, s2, tf.get_current_name_scope(), tf.Variable(1.0, name="v").name)

x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
show("map", tf.map_fn(lambda r: (r * 2, tf.reduce_sum(r)), x,
                      fn_output_signature=(tf.float32, tf.float32)))
show("scan", tf.scan(lambda a, v: a * 2 + v, x[:, 0], initializer=1.0, reverse=True))
show("scan_nested", tf.scan(lambda a, v: (a[0] + v, a[1] * v), x[:, 1], initializer=(0.0, 1.0)))
show("folds", [tf.foldl(lambda a, v: a * 10 + v, x[:, 0]),
               tf.foldr(lambda a, v: a * 10 + v, x[:, 0], initializer=5.0)])
show("vmap", tf.vectorized_map(lambda r: r[0] - r[1], x))

@tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
def traced(x):
    return (tf.map_fn(lambda r: r * r, x), tf.scan(lambda a, v: a + v, x),
            tf.foldl(lambda a, v: a - tf.reduce_sum(v), x, initializer=0.0))
show("traced", traced(x))

show("saturate", [tf.saturate_cast(tf.constant([-1.0, 300.0, 3.7]), tf.uint8),
                  tf.saturate_cast(tf.constant([1e10, -1e10]), tf.int32),
                  tf.saturate_cast(tf.constant([-1, 300]), tf.int8)])
show("trunc", [tf.truncatediv(tf.constant([7, -7, 7, -7]), tf.constant([2, 2, -2, -2])),
               tf.truncatemod(tf.constant([7, -7, 7, -7]), tf.constant([2, 2, -2, -2])),
               tf.truncatemod(tf.constant([7.5, -7.5]), tf.constant([2.0, 2.0]))])
show("unique", tuple(tf.unique_with_counts(tf.constant([4, 1, 4, 2, 1, 4]))))
show("revseq", tf.reverse_sequence(tf.reshape(tf.range(18), [3, 3, 2]), [2, 3, 1],
                                   seq_axis=0, batch_axis=1))
show("bcast", [tf.broadcast_dynamic_shape(tf.constant([2, 1, 3]), tf.constant([4, 1])),
               tf.broadcast_static_shape(tf.TensorShape([None, 1]), tf.TensorShape([3]))
               .as_list()])
clipped, norm = tf.clip_by_global_norm([tf.constant([3.0, 4.0]), None,
                                        tf.constant([[12.0]])], 6.5)
show("clip", [clipped[0], clipped[2], norm])
show("static", [tf.get_static_value(tf.constant([1, 2])), tf.ensure_shape(x, [3, None]).shape])
show("init", [tf.constant_initializer([1, 2, 3, 4])([2, 2]), tf.ones_initializer()([2], tf.int64),
              tf.random_normal_initializer(seed=1).get_config(),
              tf.random_uniform_initializer().get_config()])
show("errors", [tf.errors.OK, tf.errors.INVALID_ARGUMENT, tf.errors.UNAUTHENTICATED,
                tf.errors.OperatorNotAllowedInGraphError.__mro__[1].__name__])
'''


def _run_script(python: str, module: str) -> list:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=os.getcwd())
    done = subprocess.run([python, "-c", PARITY_SCRIPT.format(module=module)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_same_results_as_tensorflow(tf_python):
    want = _run_script(tf_python, "tensorflow")
    got = _run_script(sys.executable, "rill")
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
