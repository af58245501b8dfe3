"""tf.train.Checkpoint, CheckpointManager and the checkpoint readers, as the TensorFlow
checkpoint guide uses them, on tf.Module and tf.Variable objects."""

import os

import numpy as np
import pytest

import rill as tf


class Net(tf.Module):
    """The guide's toy model, as a tf.Module: y = x @ w + b."""

    def __init__(self):
        super().__init__()
        self.l1 = tf.Module(name="l1")
        self.l1.kernel = tf.Variable(np.arange(5, dtype=np.float32).reshape(1, 5))
        self.l1.bias = tf.Variable(np.zeros(5, np.float32))


def test_save_writes_numbered_prefix_and_state_file(tmp_path):
    v = tf.Variable([1.0, 2.0])
    ckpt = tf.train.Checkpoint(v=v)
    prefix = str(tmp_path / "ckpt")
    assert ckpt.save(prefix) == prefix + "-1"
    assert ckpt.save(prefix) == prefix + "-2"
    assert int(ckpt.save_counter) == 2
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.index", "ckpt-2.index"]
    state = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "ckpt-2"' in state
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix + "-2"


def test_restore_assigns_saved_values(tmp_path):
    net = Net()
    step = tf.Variable(7, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step, net=net)
    path = ckpt.save(str(tmp_path / "ckpt"))
    net.l1.kernel.assign(np.full((1, 5), -1, np.float32))
    step.assign(0)
    status = ckpt.restore(path)
    status.assert_consumed()
    np.testing.assert_array_equal(net.l1.kernel.numpy(), [[0, 1, 2, 3, 4]])
    assert int(step) == 7


def test_list_variables_names_objects_by_attribute_path(tmp_path):
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), net=Net())
    path = ckpt.write(str(tmp_path / "w"))
    assert tf.train.list_variables(path) == [
        ("_CHECKPOINTABLE_OBJECT_GRAPH", []),
        ("net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE", [5]),
        ("net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE", [1, 5]),
        ("step/.ATTRIBUTES/VARIABLE_VALUE", []),
    ]
    np.testing.assert_array_equal(
        tf.train.load_variable(path, "net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE"),
        [[0, 1, 2, 3, 4]])
    assert tf.train.load_variable(path, "step/.ATTRIBUTES/VARIABLE_VALUE") == 1


def test_write_and_read_do_not_number_or_record(tmp_path):
    v = tf.Variable(3.0)
    ckpt = tf.train.Checkpoint(v=v)
    path = ckpt.write(str(tmp_path / "exact"))
    assert path == str(tmp_path / "exact")
    assert not (tmp_path / "checkpoint").exists()
    v.assign(0.0)
    ckpt.read(path).assert_consumed()
    assert float(v) == 3.0


def test_lists_dicts_and_escaped_names(tmp_path):
    m = tf.Module()
    m.layers = [tf.Variable(1.0), {"a/b.c": tf.Variable([2.0, 3.0])}]
    path = tf.train.Checkpoint(m=m).write(str(tmp_path / "c"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert "m/layers/0/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "m/layers/1/a.Sb..c/.ATTRIBUTES/VARIABLE_VALUE" in keys
    m2 = tf.Module()
    m2.layers = [tf.Variable(0.0), {"a/b.c": tf.Variable([0.0, 0.0])}]
    tf.train.Checkpoint(m=m2).read(path).assert_consumed()
    assert m2.layers[1]["a/b.c"].numpy().tolist() == [2.0, 3.0]


def test_shared_variable_saved_once_under_shortest_path(tmp_path):
    shared = tf.Variable(5.0)
    deep = tf.Module()
    deep.inner = tf.Module()
    deep.inner.v = shared
    path = tf.train.Checkpoint(a=deep, b=shared).write(str(tmp_path / "c"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert keys == ["_CHECKPOINTABLE_OBJECT_GRAPH", "b/.ATTRIBUTES/VARIABLE_VALUE"]


def test_deferred_restore_of_attribute_assigned_later(tmp_path):
    """The guide's 'delayed restorations': a value waits until its variable is attached."""
    net = Net()
    path = tf.train.Checkpoint(net=net).write(str(tmp_path / "c"))
    fake_layer = tf.train.Checkpoint(bias=tf.Variable(tf.zeros([5])))
    fake_net = tf.train.Checkpoint(l1=fake_layer)
    root = tf.train.Checkpoint(net=fake_net)
    status = root.restore(path)
    deferred = tf.Variable(tf.zeros([1, 5]))
    assert deferred.numpy().sum() == 0
    fake_layer.kernel = deferred
    np.testing.assert_array_equal(deferred.numpy(), [[0, 1, 2, 3, 4]])
    status.assert_existing_objects_matched()


def test_deferred_restore_of_lazily_created_module_variables(tmp_path):
    class Lazy(tf.Module):
        def __call__(self, x):
            if not hasattr(self, "w"):
                self.w = tf.Variable(tf.zeros([3]))
                tf.train._notify_created(self)  # what lazily building objects call
            return x * self.w

    a = Lazy()
    a(1.0)
    a.w.assign([1.0, 2.0, 3.0])
    path = tf.train.Checkpoint(m=a).write(str(tmp_path / "c"))
    b = Lazy()
    status = tf.train.Checkpoint(m=b).restore(path)
    with pytest.raises(AssertionError, match="m/w"):
        status.assert_consumed()
    np.testing.assert_array_equal(b(1.0).numpy(), [1.0, 2.0, 3.0])
    status.assert_consumed()


def test_restore_newer_replaces_pending_values_of_older(tmp_path):
    v = tf.Variable(1.0)
    p1 = tf.train.Checkpoint(x=v).write(str(tmp_path / "one"))
    v.assign(2.0)
    p2 = tf.train.Checkpoint(x=v).write(str(tmp_path / "two"))
    root = tf.train.Checkpoint()
    root.restore(p1)
    root.restore(p2)
    root.x = tf.Variable(0.0)
    assert float(root.x) == 2.0


def test_status_assertions_name_what_is_missing(tmp_path):
    path = tf.train.Checkpoint(a=tf.Variable(1.0), b=tf.Variable(2.0)).write(
        str(tmp_path / "c"))
    only_a = tf.train.Checkpoint(a=tf.Variable(0.0))
    status = only_a.restore(path)
    status.assert_existing_objects_matched()
    status.assert_nontrivial_match()
    with pytest.raises(AssertionError, match="'b/.ATTRIBUTES/VARIABLE_VALUE'"):
        status.assert_consumed()
    assert status.expect_partial() is status
    extra = tf.train.Checkpoint(a=tf.Variable(0.0), c=tf.Variable(0.0))
    with pytest.raises(AssertionError, match="c/.ATTRIBUTES"):
        extra.restore(path).assert_existing_objects_matched()
    nothing = tf.train.Checkpoint(z=tf.Variable(0.0)).restore(path)
    with pytest.raises(AssertionError, match="Nothing"):
        nothing.assert_nontrivial_match()


def test_restore_none_is_an_initialization_status():
    status = tf.train.Checkpoint(v=tf.Variable(1.0)).restore(None)
    status.expect_partial()
    with pytest.raises(AssertionError, match="save_path=None"):
        status.assert_consumed()


def test_shape_and_dtype_mismatch_name_key_and_shapes(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).write(str(tmp_path / "c"))
    with pytest.raises(ValueError, match=r"'v/\.ATTRIBUTES/VARIABLE_VALUE'.*\[2\].*\[3\]"):
        tf.train.Checkpoint(v=tf.Variable([0.0, 0.0, 0.0])).restore(path)
    with pytest.raises(ValueError, match="float32.*int32|int32"):
        tf.train.Checkpoint(v=tf.Variable([0, 0])).restore(path)


def test_restore_missing_path_raises_not_found(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="latest_checkpoint"):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(str(tmp_path))
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find"):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(str(tmp_path / "nope-3"))


def test_non_trackable_value_is_refused():
    with pytest.raises(ValueError, match="trackable"):
        tf.train.Checkpoint(x=3)
    ckpt = tf.train.Checkpoint()
    with pytest.raises(ValueError, match="tf.Variable"):
        ckpt.lr = 0.1


def test_dtypes_round_trip(tmp_path):
    values = {"b": np.array([True, False]), "i8": np.int8(-3), "u16": np.uint16(7),
              "i64": np.array([2**40], np.int64), "f16": np.float16(0.5),
              "f64": np.array([[1e-300]]), "c64": np.complex64(1 + 2j)}
    ckpt = tf.train.Checkpoint(**{k: tf.Variable(v) for k, v in values.items()})
    path = ckpt.write(str(tmp_path / "c"))
    for k, v in values.items():
        got = tf.train.load_variable(path, f"{k}/.ATTRIBUTES/VARIABLE_VALUE")
        assert np.asarray(got).dtype == np.asarray(v).dtype
        np.testing.assert_array_equal(got, v)


def test_checkpoint_root_argument(tmp_path):
    net = Net()
    path = tf.train.Checkpoint(root=net).write(str(tmp_path / "c"))
    assert "l1/kernel/.ATTRIBUTES/VARIABLE_VALUE" in dict(tf.train.list_variables(path))
    other = Net()
    other.l1.kernel.assign(np.zeros((1, 5), np.float32))
    tf.train.Checkpoint(root=other).read(path).assert_consumed()
    np.testing.assert_array_equal(other.l1.kernel.numpy(), net.l1.kernel.numpy())


def test_reader_reports_shapes_and_dtypes(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable(np.ones((2, 3), np.float64))).write(
        str(tmp_path / "c"))
    reader = tf.train.load_checkpoint(path)
    assert reader.get_variable_to_shape_map()["v/.ATTRIBUTES/VARIABLE_VALUE"] == [2, 3]
    assert reader.get_variable_to_dtype_map()["v/.ATTRIBUTES/VARIABLE_VALUE"] == tf.float64
    assert reader.has_tensor("v/.ATTRIBUTES/VARIABLE_VALUE")
    with pytest.raises(tf.errors.NotFoundError, match="list_variables"):
        reader.get_tensor("nope")
