"""tf.Variable: creation, repr, reads, updates (whole, sliced, scattered), operators, NumPy
interop, gradients and tracing. Expected reprs and behaviours were checked against
TensorFlow 2.21."""

import copy
import pickle
import weakref

import numpy as np
import pytest

import rill as tf
from rill._core.errors import InvalidArgumentError


@pytest.fixture
def v():
    return tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


# -- creation and properties --------------------------------------------------------------
def test_repr_and_str_like_tensorflow(v):
    want = ("<tf.Variable 'Variable:0' shape=(2, 3) dtype=float32, numpy=\n"
            "array([[1., 2., 3.],\n"
            "       [4., 5., 6.]], dtype=float32)>")
    assert repr(v) == want and str(v) == want
    assert repr(tf.Variable(3.0)) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>"
    assert repr(tf.Variable([1, 2], name="w")) == \
        "<tf.Variable 'w:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>"
    assert repr(tf.Variable([True])) == \
        "<tf.Variable 'Variable:0' shape=(1,) dtype=bool, numpy=array([ True])>"
    assert repr(tf.Variable(["a", "b"])) == ("<tf.Variable 'Variable:0' shape=(2,) "
                                             "dtype=string, numpy=array([b'a', b'b'], "
                                             "dtype=object)>")
    assert repr(tf.Variable(np.float64(1.5))) == \
        "<tf.Variable 'Variable:0' shape=() dtype=float64, numpy=1.5>"
    assert repr(tf.Variable(np.zeros((2, 0)))) == ("<tf.Variable 'Variable:0' shape=(2, 0) "
                                                   "dtype=float64, numpy=array([], shape=(2, "
                                                   "0), dtype=float64)>")


def test_properties(v):
    assert v.name == "Variable:0"
    assert tf.Variable(1.0, name="a/b").name == "a/b:0"
    assert v.shape == tf.TensorShape([2, 3]) and v.get_shape() == v.shape
    assert v.dtype == tf.float32
    assert v.trainable and not tf.Variable(1.0, trainable=False).trainable
    assert v.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    np.testing.assert_array_equal(v.initial_value.numpy(), v.numpy())
    v.assign(tf.zeros([2, 3]))
    assert v.initial_value.numpy()[1, 2] == 6.0


def test_creation_variants():
    assert tf.Variable(1, dtype=tf.float32).dtype == tf.float32
    np.testing.assert_array_equal(tf.Variable(lambda: tf.ones([2])).numpy(), [1.0, 1.0])
    assert tf.Variable(np.float64(2.0)).dtype == tf.float64
    assert tf.Variable(tf.constant([1, 2], tf.int64)).dtype == tf.int64
    free = tf.Variable([1, 2], shape=tf.TensorShape(None))
    assert free.shape == tf.TensorShape(None)
    free.assign([1, 2, 3])
    assert free.numpy().tolist() == [1, 2, 3]
    other = tf.Variable([5.0])
    assert tf.Variable(other).numpy().tolist() == [5.0]


def test_creation_errors():
    with pytest.raises(ValueError):
        tf.Variable(None)
    with pytest.raises(ValueError, match="constraint"):
        tf.Variable(1.0, constraint=3)
    with pytest.raises(ValueError, match="not compatible"):
        tf.Variable([1.0, 2.0], shape=[3])


# -- reading ------------------------------------------------------------------------------
def test_read_value_is_a_snapshot(v):
    before = v.read_value()
    value = v.value()
    ident = tf.identity(v)
    v.assign(v * 10)
    np.testing.assert_array_equal(before.numpy(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(value.numpy(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(ident.numpy(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(tf.convert_to_tensor(v).numpy(), [[10, 20, 30], [40, 50, 60]])


def test_updates_write_in_place_only_when_no_value_refers_to_the_array(v):
    v.assign_add(tf.ones([2, 3]))  # the first update leaves initial_value alone
    array = weakref.ref(v._value)  # a weak reference does not count
    v.assign_sub(tf.ones([2, 3]))
    assert v._value is array()  # nothing else held it: updated in place
    kept = [v.value(), v.read_value()[0], tf.identity(v), v.value()[:, 1:]]
    kept.append(np.asarray(kept[0]))
    v.assign_add(tf.ones([2, 3]))
    assert v._value is not array()  # each of them still sees the old values
    np.testing.assert_array_equal(kept[0].numpy(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(kept[1].numpy(), [1, 2, 3])
    np.testing.assert_array_equal(kept[2].numpy(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(kept[3].numpy(), [[2, 3], [5, 6]])
    np.testing.assert_array_equal(kept[4], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(v.initial_value.numpy(), [[1, 2, 3], [4, 5, 6]])


def test_traced_updates_keep_values_read_before_them(v):
    @tf.function
    def step(x):
        before = v.read_value()
        v.assign_add(x)
        mid = v * 1.0
        v.assign_sub(x * 3.0)  # `before` is returned: still alive here
        return before, mid

    ones = tf.ones([2, 3])
    for k in range(3):
        before, mid = step(ones)
        np.testing.assert_array_equal(before.numpy(), np.arange(1, 7).reshape(2, 3) - 2 * k)
        np.testing.assert_array_equal(mid.numpy(), np.arange(2, 8).reshape(2, 3) - 2 * k)
    held = v.value()
    step(ones)
    np.testing.assert_array_equal(held.numpy(), np.arange(1, 7).reshape(2, 3) - 6)

    @tf.function
    def sgd(g):
        loss = tf.reduce_sum(v * g)  # reads v; the read is dead by the update
        v.assign_sub(g * 0.5)
        return loss

    sgd(ones)
    array = weakref.ref(v._value)
    assert float(sgd(ones)) == pytest.approx(float(np.sum(np.arange(1, 7) - 8.5)))
    assert v._value is array()  # the compiled step wrote into the variable's array


def test_numpy_interop(v):
    a = np.array(v)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0, 0] = 100.0  # a copy: the variable does not change
    assert v.numpy()[0, 0] == 1.0
    n = v.numpy()
    n[0, 0] = 100.0
    assert v.numpy()[0, 0] == 1.0
    sq = np.square(v)
    assert isinstance(sq, np.ndarray)
    np.testing.assert_array_equal(sq, np.square(v.numpy()))
    assert np.asarray(v, dtype=np.float64).dtype == np.float64
    assert float(tf.Variable(2.5)) == 2.5 and int(tf.Variable(2)) == 2
    assert not bool(tf.Variable(0.0))
    assert [r.numpy().tolist() for r in v] == [[1, 2, 3], [4, 5, 6]]
    assert tf.multiply(np.float32(2.0), tf.Variable(3.0)).numpy() == 6.0


def test_every_operator_works_on_variables(v):
    a = v.numpy()
    w = tf.Variable(6)
    b = tf.Variable(True)
    cases = [
        (v + 1, a + 1), (1 - v, 1 - a), (v * v, a * a), (v / 2, a / 2), (2 / v, 2 / a),
        (v // 2, a // 2), (v % 2, a % 2), (-v, -a), (abs(-v), a), (v ** 2, a ** 2),
        (2 ** v, 2 ** a), (v @ tf.transpose(v), a @ a.T), (v > 2, a > 2), (v >= 2, a >= 2),
        (v < 2, a < 2), (v <= 2, a <= 2), (w & 3, 6 & 3), (w | 1, 6 | 1), (w ^ 3, 6 ^ 3),
        (~b, False), (b & False, False), (v[1], a[1]), (v + v, a + a),
    ]
    for got, want in cases:
        assert isinstance(got, tf.Tensor)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    np.testing.assert_array_equal((v == v).numpy(), np.ones((2, 3), bool))
    np.testing.assert_array_equal((v != 1.0).numpy(), a != 1.0)


def test_hash_and_ref(v):
    with pytest.raises(TypeError, match="unhashable"):
        hash(v)
    d = {v.ref(): 1}
    assert d[v.ref()] == 1 and v.ref().deref() is v


def test_copy_and_pickle(v):
    c = copy.deepcopy(v)
    c.assign_add(tf.ones([2, 3]))
    assert v.numpy()[0, 0] == 1.0 and c.numpy()[0, 0] == 2.0
    p = pickle.loads(pickle.dumps(v))
    np.testing.assert_array_equal(p.numpy(), v.numpy())
    assert p.name == v.name


# -- updating -----------------------------------------------------------------------------
def test_assign_family_returns_the_variable(v):
    # TensorFlow returns the variable itself under the name 'UnreadVariable'
    for r in (v.assign([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]), v.assign_add(tf.ones([2, 3])),
              v.assign_sub(2 * tf.ones([2, 3]))):
        assert isinstance(r, tf.Variable) and r.name == "UnreadVariable"
        assert r.shape == v.shape and r.dtype == v.dtype
    np.testing.assert_array_equal(v.numpy(), [[-1, -1, -1], [0, 0, 0]])
    assert v.assign(tf.zeros([2, 3]), read_value=False) is None
    s = tf.Variable(2.0)
    s.assign(3)  # Python ints convert to the variable's dtype
    assert s.numpy() == 3.0
    assert s.assign(s * 2).numpy() == 6.0


def test_bad_assignments_raise_and_leave_the_variable_unchanged(v):
    before = v.numpy()
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="float64"):
        v.assign(tf.zeros([2, 3], tf.float64))
    with pytest.raises(InvalidArgumentError):
        v.assign_add(tf.ones([2, 3], tf.int32))
    with pytest.raises(TypeError):
        tf.Variable(2).assign(3.5)
    with pytest.raises(TypeError):
        tf.Variable(2).assign_add(1.5)
    np.testing.assert_array_equal(v.numpy(), before)


def test_constraint_is_kept_not_applied_on_assign():
    clip = lambda t: tf.clip_by_value(t, 0.0, 0.5)
    c = tf.Variable(1.0, constraint=clip)
    assert c.constraint is clip
    c.assign(3.0)  # TensorFlow applies constraints in optimizers, not in assign
    assert c.numpy() == 3.0
    c.assign(c.constraint(c))
    assert c.numpy() == 0.5


# -- slices -------------------------------------------------------------------------------
def test_slice_assign(v):
    assert v[0, 1].assign(42).name == "UnreadVariable"
    np.testing.assert_array_equal(v.numpy(), [[1, 42, 3], [4, 5, 6]])
    v[:, 2].assign([0.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [[1, 42, 0], [4, 5, 1]])
    v[0].assign(9.0)  # a scalar broadcasts over the slice
    np.testing.assert_array_equal(v.numpy()[0], [9, 9, 9])
    v[..., 0].assign([3.0, 3.0])
    v[::-1, 1].assign([7.0, 8.0])
    np.testing.assert_array_equal(v.numpy(), [[3, 8, 9], [3, 7, 1]])
    v[tf.constant(1), 1:].assign(tf.constant([0.0, 0.5]))
    np.testing.assert_array_equal(v.numpy()[1], [3, 0, 0.5])
    v[-1, tf.newaxis, :1].assign([[6.0]])
    assert v.numpy()[1, 0] == 6.0


def test_slice_assign_errors_leave_the_variable_unchanged(v):
    before = v.numpy()
    with pytest.raises(InvalidArgumentError, match="Cannot broadcast input shape \\[3\\] into "
                                                   "final shape \\[2\\]") as info:
        v[:, 2].assign([0.0, 1.0, 3.0])
    assert "hint:" in str(info.value)
    with pytest.raises((ValueError, TypeError), match="int32|dtype"):
        v[:, 2].assign(tf.constant([0, 1]))
    with pytest.raises(InvalidArgumentError, match="slice index 5 of dimension 0"):
        v[5].assign(1.0)
    with pytest.raises(TypeError, match="does not support item assignment"):
        v[0] = 1
    with pytest.raises(AttributeError):
        v[0][1].assign(5.0)  # only a direct slice of the variable can be assigned
    np.testing.assert_array_equal(v.numpy(), before)


def test_slices_are_watched_by_tapes(v):
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[0] * v[0]) + tf.reduce_sum(v[1:, ::2])
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [[2, 4, 6], [1, 0, 1]])


def test_slice_assign_in_a_traced_function():
    v = tf.Variable(np.arange(12.0, dtype=np.float32).reshape(3, 4))

    @tf.function
    def f(i, x):
        v[i, 1:].assign(x)
        v[0, 0].assign(-1.0)
        return v[i] * 2.0

    out = f(tf.constant(1), tf.constant([7.0, 8.0, 9.0]))
    np.testing.assert_array_equal(out.numpy(), [8, 14, 16, 18])
    f(tf.constant(2), tf.constant([5.0, 5.0, 5.0]))
    np.testing.assert_array_equal(v.numpy(), [[-1, 1, 2, 3], [4, 7, 8, 9], [8, 5, 5, 5]])


# -- scatters -----------------------------------------------------------------------------
def test_scatter_nd(v):
    assert v.scatter_nd_update(indices=[[0, 0], [1, 2]], updates=[100.0, 200.0]).ref() == v.ref()
    np.testing.assert_array_equal(v.numpy(), [[100, 2, 3], [4, 5, 200]])
    v.scatter_nd_add([[0, 1], [0, 1]], [1.0, 1.0])
    v.scatter_nd_sub([[1, 0]], [4.0])
    np.testing.assert_array_equal(v.numpy(), [[100, 4, 3], [0, 5, 200]])
    v.scatter_nd_update([[1]], [[7.0, 7.0, 7.0]])
    np.testing.assert_array_equal(v.numpy()[1], [7, 7, 7])
    v.scatter_nd_max([[0, 2]], [50.0])
    v.scatter_nd_min([[0, 0]], [-1.0])
    np.testing.assert_array_equal(v.numpy()[0], [-1, 4, 50])


def test_scatter_rows_with_indexed_slices(v):
    v.scatter_update(tf.IndexedSlices(tf.constant([[7.0, 7.0, 7.0]]), tf.constant([1])))
    np.testing.assert_array_equal(v.numpy(), [[1, 2, 3], [7, 7, 7]])
    v.scatter_add(tf.IndexedSlices(tf.ones([2, 3]), [0, 0]))
    v.scatter_sub(tf.IndexedSlices(tf.ones([1, 3]), [1]))
    np.testing.assert_array_equal(v.numpy(), [[3, 4, 5], [6, 6, 6]])
    v.scatter_max(tf.IndexedSlices(tf.fill([1, 3], 4.5), [0]))
    v.scatter_min(tf.IndexedSlices(tf.zeros([1, 3]), [1]))
    np.testing.assert_array_equal(v.numpy(), [[4.5, 4.5, 5], [0, 0, 0]])


def test_scatter_errors_leave_the_variable_unchanged(v):
    before = v.numpy()
    with pytest.raises(InvalidArgumentError, match="indices\\[0\\] = \\[0, 5\\] does not index"):
        v.scatter_nd_update([[0, 5]], [10.0])
    with pytest.raises(InvalidArgumentError, match="need updates of shape \\[1\\]"):
        v.scatter_nd_update([[0, 1]], [10.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="does not index"):
        v.scatter_update(tf.IndexedSlices(tf.ones([1, 3]), [2]))
    with pytest.raises(TypeError, match="IndexedSlices"):
        v.scatter_update(tf.ones([1, 3]))
    with pytest.raises(TypeError, match="integers"):
        v.scatter_nd_update([[0.5, 0.0]], [1.0])
    np.testing.assert_array_equal(v.numpy(), before)


# -- gradients ----------------------------------------------------------------------------
def test_trainable_variables_are_watched_automatically():
    w = tf.Variable(3.0)
    frozen = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        y = w * w * frozen
    gw, gf = tape.gradient(y, [w, frozen])
    assert gw.numpy() == 12.0 and gf is None


def test_gather_from_a_variable_gives_indexed_slices_for_optimizers():
    emb = tf.Variable(np.ones((4, 2), np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(emb, [3, 3, 0]) * 2.0)
    g = tape.gradient(y, emb)
    assert isinstance(g, tf.IndexedSlices)
    emb.scatter_sub(tf.IndexedSlices(g.values * 0.5, g.indices))
    np.testing.assert_array_equal(emb.numpy()[:, 0], [0, 1, 1, -1])


def test_numpy_array_of_a_scalar_variable_after_an_update_is_an_array_copy():
    v = tf.Variable(3.0)
    v.assign_sub(tf.constant(1.0))
    a = np.asarray(v)
    assert isinstance(a, np.ndarray) and a.shape == () and float(a) == 2.0
    w = tf.Variable([1.0, 2.0])
    np.asarray(w)[0] = 5.0  # writing into the array never changes the variable
    assert w.numpy().tolist() == [1.0, 2.0]


# -- what updates return (TensorFlow's _UnreadVariable) -----------------------------------------
def test_update_result_prints_as_tensorflow():
    v = tf.Variable([1.0, 2.0])
    assert repr(v.assign([3.0, 4.0])) == ("<tf.Variable 'UnreadVariable' shape=(2,) "
                                          "dtype=float32, numpy=array([3., 4.], "
                                          "dtype=float32)>")
    assert str(v.assign_add([1.0, 1.0])) == ("<tf.Variable 'UnreadVariable' shape=(2,) "
                                             "dtype=float32, numpy=array([4., 5.], "
                                             "dtype=float32)>")
    assert repr(tf.Variable(3).assign(4)) == \
        "<tf.Variable 'UnreadVariable' shape=() dtype=int32, numpy=4>"
    for r in (v.scatter_nd_update([[0]], [7.0]), v[1].assign(5.0),
              v.scatter_update(tf.IndexedSlices(tf.constant([5.0]), tf.constant([1])))):
        assert repr(r).startswith("<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32")
    assert repr(v).startswith("<tf.Variable 'Variable:0'")  # the variable keeps its name


def test_update_result_is_a_live_view_of_the_variable():
    v = tf.Variable([1.0, 2.0])
    r = v.assign([3.0, 4.0])
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(r.numpy(), [5.0, 6.0])  # reads see the current value
    r.assign_add([1.0, 1.0]).assign_sub([0.5, 0.5])  # updates chain into the variable
    np.testing.assert_array_equal(v.numpy(), [5.5, 6.5])
    np.testing.assert_array_equal((r * 2).numpy(), [11.0, 13.0])
    assert r.ref() == v.ref() and r.trainable and r[0].numpy() == 5.5
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(r * r)  # a read of v, recorded as such
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [11.0, 13.0])
    assert copy.deepcopy(r).numpy().tolist() == [5.5, 6.5]


def test_update_result_inside_tf_function():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def step():
        return v.assign_add([1.0, 1.0]) + 1.0

    np.testing.assert_array_equal(step().numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(step().numpy(), [4.0, 5.0])


def test_updates_of_a_read_only_array_replace_it():
    v = tf.Variable(np.zeros(3, np.float32))
    frozen = np.ones(3, np.float32)
    frozen.flags.writeable = False
    v.assign(frozen)
    del frozen
    v.assign_add(np.ones(3, np.float32))
    v.assign_sub(np.full(3, 0.5, np.float32))
    np.testing.assert_array_equal(v.numpy(), [1.5, 1.5, 1.5])


def test_scalar_variables_take_scalar_and_zero_d_deltas():
    v = tf.Variable(1.0)
    step = tf.function(lambda: v.assign_add(tf.constant(0.5)))  # a 0-d constant delta
    for _ in range(3):
        step()
    v.assign_sub(np.array(0.25, np.float32))
    v.assign_add(np.float32(2.0))
    assert v.numpy() == np.float32(4.25) and v.dtype == tf.float32
    assert type(v._value) in (np.float32, np.ndarray) and v._value.dtype == np.float32
