"""Tensor indexing (`t[...]`, tf.strided_slice, tf.slice) against NumPy's basic indexing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill._core import context
from rill._core.errors import InvalidArgumentError
from rill._core.graph import PLACEHOLDER, Graph


# -- random keys: ints, slices with steps, `...` and tf.newaxis ----------------------------
@st.composite
def shape_and_key(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    rank = len(shape)
    n_index = draw(st.integers(0, rank))  # parts that consume a dimension
    use_ellipsis = draw(st.booleans())
    n_new = draw(st.integers(0, 2))
    kinds = ["idx"] * n_index + ["new"] * n_new + (["..."] if use_ellipsis else [])
    kinds = draw(st.permutations(kinds))
    # which input dimension each consuming part lands on (after the ellipsis expands)
    consumed = 0
    dims = []
    for k in kinds:
        if k == "...":
            consumed += rank - n_index
        elif k == "idx":
            dims.append(consumed)
            consumed += 1
    parts = []
    di = 0
    for k in kinds:
        if k == "...":
            parts.append(Ellipsis)
        elif k == "new":
            parts.append(None)
        else:
            d = shape[dims[di]]
            di += 1
            if d > 0 and draw(st.booleans()):
                parts.append(draw(st.integers(-d, d - 1)))
            else:
                bound = st.one_of(st.none(), st.integers(-6, 6))
                step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
                parts.append(slice(draw(bound), draw(bound), step))
    return shape, tuple(parts)


def _value(shape, dtype=np.float64):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape) + 1


@settings(max_examples=50, deadline=None)
@given(shape_and_key())
def test_getitem_matches_numpy(case):
    shape, key = case
    a = _value(shape)
    t = tf.constant(a)
    want = a[key]
    got = t[key]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=30, deadline=None)
@given(shape_and_key(), st.booleans())
def test_getitem_recorded_and_its_gradient(case, tensor_ints):
    """Under a tape the key goes through the StridedSlice op; its gradient scatters dy back."""
    shape, key = case
    a = _value(shape)
    if tensor_ints:  # scalar int tensors stand for ints, also inside slices
        key = tuple(tf.constant(k) if type(k) is int else
                    slice(*(None if v is None else tf.constant(v, tf.int64)
                            for v in (k.start, k.stop, k.step))) if type(k) is slice else k
                    for k in key)
    np_key = tuple(int(k) if isinstance(k, tf.Tensor) else
                   slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
                   if type(k) is slice else k for k in key)
    want = a[np_key]
    w = np.random.default_rng(0).standard_normal(want.shape)
    x = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[key]
        loss = tf.reduce_sum(y * w)
    np.testing.assert_array_equal(y.numpy(), want)
    expected = np.zeros_like(a)
    expected[np_key] = w
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), expected)


@settings(max_examples=30, deadline=None)
@given(shape_and_key())
def test_getitem_static_shape_while_tracing(case):
    """The shape rule agrees with NumPy; unknown dimensions stay unknown."""
    shape, key = case
    want = _value(shape)[key].shape
    for known in (True, False):
        g = Graph("indexing")
        spec = shape if known else [None] * len(shape)
        x = g.add_operation(PLACEHOLDER, (), {}, [(tf.TensorShape(spec), tf.float32)]).outputs[0]
        context.graphs.append(g)
        try:
            y = x[key]
        finally:
            context.graphs.pop()
        assert y.shape.rank == len(want)
        if known:
            assert y.shape.as_list() == list(want)


def test_examples_from_the_brief():
    t = tf.reshape(tf.range(24), [2, 3, 4])
    a = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(t[..., 1, tf.newaxis].numpy(), a[..., 1, None])
    np.testing.assert_array_equal(t[-1].numpy(), a[-1])
    np.testing.assert_array_equal(t[::-1, ::2, 1:].numpy(), a[::-1, ::2, 1:])
    np.testing.assert_array_equal(t[tf.constant(1), 2].numpy(), a[1, 2])
    np.testing.assert_array_equal(t[1:tf.constant(2, tf.int64)].numpy(), a[1:2])
    np.testing.assert_array_equal(t[tf.Variable(1)].numpy(), a[1])
    np.testing.assert_array_equal(t[np.int64(1), np.int32(0)].numpy(), a[1, 0])
    assert t[0, 0, 0].dtype == tf.int32 and t[0, 0, 0].shape == ()
    assert t[()].shape == (2, 3, 4)


def test_list_key_reads_as_a_tuple_like_tensorflow():
    t = tf.reshape(tf.range(12.), [3, 4])
    assert float(t[[1, 2]]) == 6.0


def test_bool_key_is_boolean_mask():
    t = tf.reshape(tf.range(12.), [3, 4])
    m = tf.constant([True, False, True])
    np.testing.assert_array_equal(t[m].numpy(), np.arange(12.).reshape(3, 4)[[0, 2]])
    np.testing.assert_array_equal(t[t > 5].numpy(), np.arange(6., 12.))
    np.testing.assert_array_equal(t[np.array([False, True, False])].numpy(), [[4, 5, 6, 7]])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        t[True]
    with pytest.raises(ValueError, match="incompatible"):
        t[tf.constant([True, False])]


@pytest.mark.parametrize("key", [1.0, "a", [True, False], tf.constant(1.0), tf.constant([1]),
                                 np.array([0, 1]), slice(0, 1.5), (0, [1])])
def test_unsupported_keys_raise_type_error(key):
    t = tf.zeros([3, 4])
    with pytest.raises(TypeError, match="Only integers, slices") as info:
        t[key]
    assert "hint:" in str(info.value) and "tf.gather" in str(info.value)


@pytest.mark.parametrize("under_tape", [False, True])
def test_out_of_range_index_names_index_axis_and_size(under_tape):
    t = tf.zeros([3, 4])
    with tf.GradientTape() as tape:
        if under_tape:  # the op path rather than the eager fast path
            tape.watch(t)
        with pytest.raises(InvalidArgumentError) as info:
            t[1, 7]
    msg = str(info.value)
    assert "slice index 7 of dimension 1 out of bounds" in msg
    assert "size 4" in msg and "hint:" in msg
    with pytest.raises(InvalidArgumentError, match="slice index -4 of dimension 0"):
        t[-4]


def test_other_index_errors():
    t = tf.zeros([3, 4])
    with pytest.raises(InvalidArgumentError, match="Multiple ellipses"):
        t[..., ...]
    with pytest.raises(InvalidArgumentError, match="strides\\[0\\] must be non-zero"):
        t[::0]
    with pytest.raises(InvalidArgumentError, match="input has only 2 dims"):
        t[1, 2, 3]
    with pytest.raises(InvalidArgumentError, match="scalar"):
        tf.constant(3.0)[0]
    assert isinstance(InvalidArgumentError(None, None, ""), ValueError)


def test_out_of_range_index_while_tracing_fails_early():
    g = Graph("indexing")
    x = g.add_operation(PLACEHOLDER, (), {}, [(tf.TensorShape([None, 3]), tf.float32)])
    context.graphs.append(g)
    try:
        with pytest.raises(InvalidArgumentError, match="slice index 3 of dimension 1"):
            x.outputs[0][:, 3]
        y = x.outputs[0][5]  # unknown dimension: checked when the graph runs
        assert y.shape == (3,)
    finally:
        context.graphs.pop()


def test_symbolic_index_in_traced_function():
    @tf.function
    def f(x, i):
        return x[i, 1:i + 2]

    a = np.arange(20.).reshape(4, 5)
    for i in (0, 2, 3):
        np.testing.assert_array_equal(f(tf.constant(a), tf.constant(i)).numpy(), a[i, 1:i + 2])
    with pytest.raises(InvalidArgumentError, match="slice index 7 of dimension 0"):
        f(tf.constant(a), tf.constant(7))


def test_second_order_through_getitem():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x[::2] ** 3)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), [3.0, 0.0, 27.0])
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [6.0, 0.0, 18.0])


def test_iterating_a_tensor_under_a_tape_keeps_gradients():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.add_n([tf.reduce_sum(row * row) for row in x])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy())


# -- tf.strided_slice and tf.slice ---------------------------------------------------------
def test_strided_slice_masks_match_tensorflow_examples():
    a = np.arange(24.).reshape(2, 3, 4)
    x = tf.constant(a)
    out = tf.strided_slice(x, [0, 1, 0], [0, 3, 4], [1, 1, 2], begin_mask=1, end_mask=1,
                           shrink_axis_mask=4)
    np.testing.assert_array_equal(out.numpy(), a[:, 1:3, 0])
    assert tf.strided_slice(x, [0, 0], [0, 2], [1, 1], ellipsis_mask=1).shape == (2, 3, 2)
    assert tf.strided_slice(x, [0, 0], [1, 1], [1, 1], new_axis_mask=2).shape == (1, 1, 3, 4)
    np.testing.assert_array_equal(tf.strided_slice(x, [-1], [-3], [-1]).numpy(), a[-1:-3:-1])
    np.testing.assert_array_equal(
        tf.strided_slice(x, tf.constant([1, 0]), tf.constant([2, 3]), [1, 2]).numpy(),
        a[1:2, 0:3:2])


def test_slice():
    a = np.arange(24.).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.slice(tf.constant(a), [0, 1, 1], [1, -1, 2]).numpy(),
                                  a[0:1, 1:, 1:3])
    with pytest.raises(InvalidArgumentError, match="Expected size\\[1\\] in \\[0, 2\\]"):
        tf.slice(tf.constant(a), [0, 1, 1], [1, 3, 2])
    with pytest.raises(InvalidArgumentError, match="Expected begin\\[0\\]"):
        tf.slice(tf.constant([1, 2, 3]), [4], [-1])
    with pytest.raises(InvalidArgumentError, match="size 3"):
        tf.slice(tf.constant(a), [0, 1], [1, 2])


def test_slice_gradient_pads_back():
    x = tf.constant(np.arange(12.).reshape(3, 4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.slice(x, tf.constant([1, 1], tf.int64), [2, 2]))
    expected = np.zeros((3, 4))
    expected[1:3, 1:3] = 1
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)


def test_fast_path_returns_fresh_tensors_of_the_right_type():
    t = tf.constant([[1, 2], [3, 4]])
    row = t[1]
    assert type(row) is type(t) and row.dtype == tf.int32
    assert t[0, 1].numpy() == 2
