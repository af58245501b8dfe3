"""tf.TensorArray in traced code: the persistent list behind it (every version keeps its
value), writes and scatters in loops, and gradients through reads, writes, scatter and gather
(expected values from NumPy and by hand). The eager and basic traced cases are in
tests/function/test_control_flow.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill.ops._tensor_list import TensorList

# -- the persistent list -----------------------------------------------------------------------
_op = st.tuples(st.integers(0, 30),  # which existing version to start from (modulo)
                st.sampled_from(["set", "resize", "read"]),
                st.integers(0, 9),  # index or new size
                st.integers(-5, 5))  # value


@settings(max_examples=200, deadline=None)
@given(st.lists(_op, max_size=40), st.randoms(use_true_random=False))
def test_every_version_keeps_its_value(ops, rnd):
    # a model: each version a plain Python list (None = never written)
    versions = [TensorList.empty(3, (), np.float64)]
    models = [[None] * 3]
    for which, kind, k, value in ops:
        j = which % len(versions)
        v, m = versions[j], models[j]
        if kind == "set":
            versions.append(v.set(k, np.float64(value)))
            m = m + [None] * (k + 1 - len(m)) if k >= len(m) else list(m)
            m[k] = float(value)
            models.append(m)
        elif kind == "resize":
            versions.append(v.resized(k))
            models.append((m + [None] * k)[:k])
        else:
            assert v.get(k) == (m[k] if k < len(m) else None)
    order = list(range(len(versions)))
    rnd.shuffle(order)
    for j in order:  # any version, in any order
        want = [0.0 if x is None else x for x in models[j]]
        np.testing.assert_array_equal(versions[j].stack(), np.array(want).reshape(-1))
        assert versions[j].shape == (len(want),)


def test_a_list_acts_as_its_dense_array_for_other_code():
    a = TensorList.from_array(np.arange(6.0).reshape(3, 2))
    b = TensorList.empty(3, (2,), np.float64).set(1, np.array([10.0, 20.0]))
    assert np.shape(a) == (3, 2) and a.ndim == 2
    np.testing.assert_array_equal(np.asarray(a + b), [[0, 1], [12, 23], [4, 5]])
    np.testing.assert_array_equal(np.asarray(a), np.arange(6.0).reshape(3, 2))  # a unchanged
    np.testing.assert_array_equal(np.ones((3, 2)) + b, [[1, 1], [11, 21], [1, 1]])
    z = np.zeros_like(a)
    assert isinstance(z, TensorList) and z.shape == (3, 2) and not z.entries()


# -- traced TensorArrays -----------------------------------------------------------------------
def test_older_arrays_keep_their_values_after_later_writes():
    @tf.function
    def f():
        ta = tf.TensorArray(tf.float32, size=2)
        a = ta.write(0, 1.0)
        b = a.write(0, 2.0)
        c = a.write(1, 3.0)
        return a.stack(), b.stack(), c.stack(), a.read(0), ta.stack()

    a, b, c, a0, empty = f()
    assert a.numpy().tolist() == [1.0, 0.0] and b.numpy().tolist() == [2.0, 0.0]
    assert c.numpy().tolist() == [1.0, 3.0] and float(a0) == 1.0
    assert empty.numpy().tolist() == [0.0, 0.0]


def test_scatter_with_indices_known_only_when_run():
    @tf.function
    def f(idx, v):
        ta = tf.TensorArray(tf.float32, size=3)
        return ta.scatter(idx, v).stack()

    np.testing.assert_array_equal(f(tf.constant([2, 0]), tf.constant([5.0, 6.0])).numpy(),
                                  [6.0, 0.0, 5.0])
    np.testing.assert_array_equal(f(tf.constant([1]), tf.constant([4.0])).numpy(),
                                  [0.0, 4.0, 0.0])


def test_scatter_past_a_fixed_size_fails():
    @tf.function
    def f(idx):
        return tf.TensorArray(tf.float32, size=2).scatter(idx, [1.0]).stack()

    with pytest.raises(tf.errors.OutOfRangeError, match="not resizeable"):
        f(tf.constant([5]))


def test_a_dynamic_array_grows_in_a_loop_of_many_steps():
    @tf.function
    def squares(n):
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, i * i)
        return ta.stack()

    np.testing.assert_array_equal(squares(tf.constant(3000)).numpy(),
                                  np.arange(3000) ** 2)


def _scan(xs, c, w):
    """NumPy: h_i = c * h_{i-1} + x_i**2, y = sum_i w_i h_i, and dy/dx by hand."""
    h, hs = 0.0, []
    for x in xs:
        h = c * h + x ** 2
        hs.append(h)
    y = float(np.dot(w, hs))
    n = len(xs)
    # dy/dh_i = w_i + c * dy/dh_{i+1};  dy/dx_i = dy/dh_i * 2 x_i
    dh, acc = np.zeros(n), 0.0
    for i in reversed(range(n)):
        acc = w[i] + c * acc
        dh[i] = acc
    return y, dh * 2 * xs


@tf.function
def _scan_rill(xs, c, w):
    n = tf.shape(xs)[0]
    inputs = tf.TensorArray(tf.float64, size=n).unstack(xs)
    out = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
    h = tf.constant(0.0, tf.float64)
    for i in tf.range(n):
        h = c * h + inputs.read(i) ** 2
        out = out.write(i, h)
    return tf.reduce_sum(out.stack() * w)


@pytest.mark.parametrize("n", [1, 7, 500])
def test_gradient_through_reads_and_writes_in_a_loop(n):
    rng = np.random.default_rng(n)
    xs, w = rng.standard_normal(n), rng.standard_normal(n)
    want_y, want_dx = _scan(xs, 0.7, w)
    x = tf.constant(xs)
    with tf.GradientTape() as tape:  # outside the function
        tape.watch(x)
        y = _scan_rill(x, tf.constant(0.7, tf.float64), tf.constant(w))
    assert float(y) == pytest.approx(want_y)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), want_dx, rtol=1e-10)

    @tf.function
    def inner(x):  # and inside one
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = _scan_rill(x, tf.constant(0.7, tf.float64), tf.constant(w))
        return tape.gradient(y, x)

    np.testing.assert_allclose(inner(x).numpy(), want_dx, rtol=1e-10)


@pytest.mark.parametrize("traced", [False, True])
def test_gradient_through_scatter_and_gather(traced):
    # y = sum(w * gather(scatter(zeros(4), [3, 1], v), [1, 1, 3])): dy/dv = [w3, w0 + w1]
    w = np.array([1.0, 2.0, 5.0])

    def f(v):
        ta = tf.TensorArray(tf.float64, size=4).scatter([3, 1], v)
        return tf.reduce_sum(ta.gather([1, 1, 3]) * w)

    fn = tf.function(f) if traced else f
    v = tf.constant([0.5, -1.5], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = fn(v)
    assert float(y) == pytest.approx(-1.5 * 3 + 0.5 * 5)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [5.0, 3.0])



# -- split and concat: elements whose first dimensions differ ------------------------------------
def _split_case(x):
    ta = tf.TensorArray(tf.float32, size=3, clear_after_read=False).split(x * x, [1, 2, 3])
    return ta.read(1), ta.read(2), ta.concat(), ta.size()


@pytest.mark.parametrize("traced", [False, True])
def test_split_gives_ragged_elements_and_concat_joins_them(traced):
    x = np.arange(6, dtype=np.float32)
    fn = tf.function(_split_case) if traced else _split_case
    r1, r2, cat, size = fn(tf.constant(x))
    np.testing.assert_array_equal(r1.numpy(), x[1:3] ** 2)
    np.testing.assert_array_equal(r2.numpy(), x[3:] ** 2)
    np.testing.assert_array_equal(cat.numpy(), x ** 2)
    assert int(size) == 3


@pytest.mark.parametrize("traced", [False, True])
def test_split_gradient_reaches_only_the_rows_read(traced):
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            ta = tf.TensorArray(tf.float32, size=3).split(x * x, [1, 2, 3])
            y = 2.0 * tf.reduce_sum(ta.read(2)) + tf.reduce_sum(ta.read(0))
        return tape.gradient(y, x)
    x = np.arange(1, 7, dtype=np.float32)
    fn = tf.function(step) if traced else step
    # d/dx of x^2 is 2x; row 0 is read once, rows 3-5 twice, rows 1-2 never
    expected = 2 * x * np.array([1, 0, 0, 2, 2, 2], np.float32)
    np.testing.assert_allclose(fn(tf.constant(x)).numpy(), expected)


def test_equal_split_stacks_and_keeps_the_element_shape():
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    ta = tf.TensorArray(tf.float32, size=2).split(x, [2, 2])
    assert ta.element_shape.as_list() == [2, 2]
    np.testing.assert_array_equal(ta.stack().numpy(), x.reshape(2, 2, 2))


def test_stack_of_ragged_elements_and_bad_lengths_raise_tensorflow_errors():
    ta = tf.TensorArray(tf.float32, size=2).split(tf.range(3.), [1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shapes of all inputs must match"):
        ta.stack()
    with pytest.raises(tf.errors.InvalidArgumentError, match="sum of lengths is 3"):
        tf.TensorArray(tf.float32, size=2).split(tf.range(6.), [1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not equal to the size of lengths"
                                                              r" \(2 vs. 3\)"):
        tf.TensorArray(tf.float32, size=2).split(tf.range(6.), [1, 2, 3])
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True).split(tf.range(6.), [1, 2, 3])
    assert int(ta.size()) == 3


def test_tensor_array_spec_describes_and_compares_like_tensorflow():
    spec = tf.TensorArraySpec([2], tf.float32)
    assert repr(spec) == "TensorArraySpec(TensorShape([2]), tf.float32, False, True)"
    assert repr(tf.TensorArraySpec(None, tf.int32, True, False)) == \
        "TensorArraySpec(TensorShape(None), tf.int32, True, False)"
    assert spec == tf.TensorArraySpec([2]) and hash(spec) == hash(tf.TensorArraySpec([2]))
    assert spec.value_type is tf.TensorArray
    assert spec.is_compatible_with(tf.TensorArraySpec([None]))
    assert not spec.is_compatible_with(tf.TensorArraySpec([3]))
    assert not spec.is_compatible_with(tf.TensorArraySpec([2], tf.int32))
    assert not spec.is_compatible_with(tf.TensorArraySpec([2], dynamic_size=True))
    assert spec.is_compatible_with(tf.TensorArray(tf.float32, size=2, element_shape=[2]))
    assert spec.is_subtype_of(tf.TensorArraySpec([None])) and \
        not tf.TensorArraySpec([None]).is_subtype_of(spec)
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True, element_shape=[3])
    assert tf.TensorArraySpec.from_value(ta) == tf.TensorArraySpec([3], tf.int32, True)
    with pytest.raises(TypeError, match="hint:"):
        tf.TensorArraySpec.from_value(tf.constant(1))


def test_every_spec_is_a_type_spec_equal_by_class_and_contents():
    specs = [tf.TensorSpec([None, 2]), tf.RaggedTensorSpec([2, None]), tf.SparseTensorSpec([3]),
             tf.IndexedSlicesSpec([4, 2]), tf.TensorArraySpec([2])]
    for spec in specs:
        assert isinstance(spec, tf.TypeSpec)
        assert spec == type(spec)(*_same_args(spec)) and hash(spec) == hash(
            type(spec)(*_same_args(spec)))
    assert len(set(specs)) == len(specs)  # different classes never compare equal
    assert tf.TensorSpec([1], name="a") != tf.TensorSpec([1])  # the name counts, as in TF
    assert tf.RaggedTensorSpec([2, None], row_splits_dtype=tf.int32) != \
        tf.RaggedTensorSpec([2, None])
    assert tf.SparseTensorSpec([3]).shape.as_list() == [3]
    assert tf.IndexedSlicesSpec([4, 2], tf.float64).dtype == tf.float64


def _same_args(spec):
    if isinstance(spec, tf.TensorArraySpec):
        return ([2],)
    return (spec.shape, spec.dtype)
