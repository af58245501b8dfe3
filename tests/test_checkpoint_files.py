"""rill's checkpoint file: damaged and hostile files fail cleanly, saves are atomic, and
Keras optimizers and dataset iterators are tracked."""

import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rill as tf
from rill.train import _format

DOCUMENTED = (tf.errors.DataLossError, tf.errors.NotFoundError, ValueError)


def _saved(tmp_path):
    ckpt = tf.train.Checkpoint(a=tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3)),
                               b=tf.Variable(7, dtype=tf.int64))
    return ckpt.write(str(tmp_path / "c"))


def _restore_fresh(path):
    root = tf.train.Checkpoint(a=tf.Variable(np.zeros((2, 3), np.float32)),
                               b=tf.Variable(0, dtype=tf.int64))
    root.restore(path)
    return root


def _rewrite_header(path, edit):
    """Edits the JSON header and writes it back with a valid length and checksum (a
    deliberate, consistent forgery, not random damage)."""
    raw = open(path + ".index", "rb").read()
    n, _, _ = struct.unpack("<QII", raw[8:24])
    header = json.loads(raw[24:24 + n])
    edit(header)
    new = json.dumps(header).encode()
    open(path + ".index", "wb").write(raw[:8] + struct.pack("<QII", len(new), zlib.crc32(new),
                                                            0) + new + raw[24 + n:])


@pytest.mark.parametrize("edit, message", [
    (lambda h: h["tensors"]["a/.ATTRIBUTES/VARIABLE_VALUE"].update(shape=[100000, 100000]),
     "shape"),
    (lambda h: h["tensors"]["a/.ATTRIBUTES/VARIABLE_VALUE"].update(dtype="object"), "dtype"),
    (lambda h: h["tensors"]["a/.ATTRIBUTES/VARIABLE_VALUE"].update(offset=10**12),
     "past the end"),
    (lambda h: h["tensors"]["a/.ATTRIBUTES/VARIABLE_VALUE"].update(shape=[-1, 6]), "shape"),
    (lambda h: h.update(version=99), "version"),
    (lambda h: h.update(tensors=[]), "tensor table"),
])
def test_hostile_headers_raise_data_loss(tmp_path, edit, message):
    path = _saved(tmp_path)
    _rewrite_header(path, edit)
    with pytest.raises(tf.errors.DataLossError, match=message):
        _restore_fresh(path)


def test_flipped_header_byte_fails_checksum(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(open(path + ".index", "rb").read())
    raw[40] ^= 0x01
    open(path + ".index", "wb").write(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="header fails its checksum"):
        _restore_fresh(path)


def test_flipped_data_byte_fails_checksum(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(open(path + ".index", "rb").read())
    raw[-3] ^= 0xFF
    open(path + ".index", "wb").write(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="checksum"):
        _restore_fresh(path)


def test_tensorflow_bundle_is_recognized(tmp_path):
    (tmp_path / "ckpt-1.index").write_bytes(b"\x00\x01leveldb-ish")
    (tmp_path / "ckpt-1.data-00000-of-00001").write_bytes(b"\x00" * 8)
    with pytest.raises(tf.errors.DataLossError, match="written by TensorFlow"):
        tf.train.list_variables(str(tmp_path / "ckpt-1"))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_checkpoint_fails_only_with_documented_errors(tmp_path, data):
    path = _saved(tmp_path)
    raw = bytearray(open(path + ".index", "rb").read())
    how = data.draw(st.sampled_from(["truncate", "flip", "insert"]))
    at = data.draw(st.integers(0, len(raw) - 1))
    if how == "truncate":
        raw = raw[:at]
    elif how == "flip":
        raw[at] ^= data.draw(st.integers(1, 255))
    else:
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    open(path + ".index", "wb").write(bytes(raw))
    try:
        root = _restore_fresh(path)
    except DOCUMENTED:
        return
    # a mutation the format cannot see (in the padding between tensors) changes nothing
    np.testing.assert_array_equal(root.a.numpy(), np.arange(6).reshape(2, 3))


def test_crash_between_write_and_rename_keeps_the_old_checkpoint(tmp_path):
    """Fault injection: the saving process dies right before the rename."""
    good = _saved(tmp_path)
    script = textwrap.dedent(f"""
        import os
        import numpy as np
        import rill as tf
        ckpt = tf.train.Checkpoint(a=tf.Variable(np.full((2, 3), 9, np.float32)),
                                   b=tf.Variable(9, dtype=tf.int64))
        os.replace = lambda *a: os._exit(17)   # die between writing and renaming
        ckpt.write({good!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == 17, result.stderr.decode()
    root = _restore_fresh(good)
    np.testing.assert_array_equal(root.a.numpy(), np.arange(6).reshape(2, 3))
    assert int(root.b) == 7
    leftovers = [n for n in os.listdir(tmp_path) if ".rill-tmp-" in n]
    assert len(leftovers) == 1  # the abandoned temporary file, never the checkpoint


def test_failed_save_removes_its_temporary_file(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise OSError("disk full")

    good = _saved(tmp_path)
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        tf.train.Checkpoint(a=tf.Variable(1.0)).write(good)
    assert sorted(os.listdir(tmp_path)) == ["c.index"]


def test_keras_optimizer_state_and_slots_restore_before_first_step(tmp_path):
    from rill import keras

    def make():
        w = tf.Variable([1.0, -2.0])
        return w, keras.optimizers.Adam(0.1)

    def step(w, opt):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(w * w)
        opt.apply_gradients([(tape.gradient(loss, w), w)])

    w, opt = make()
    for _ in range(3):
        step(w, opt)
    path = tf.train.Checkpoint(w=w, opt=opt).write(str(tmp_path / "c"))
    keys = dict(tf.train.list_variables(path))
    assert keys["opt/_iterations/.ATTRIBUTES/VARIABLE_VALUE"] == []
    assert keys["opt/_variables/2/.ATTRIBUTES/VARIABLE_VALUE"] == [2]
    step(w, opt)
    expected = w.numpy()

    w2, opt2 = make()
    tf.train.Checkpoint(w=w2, opt=opt2).restore(path).assert_consumed()
    assert int(opt2.iterations) == 3
    step(w2, opt2)
    np.testing.assert_array_equal(w2.numpy(), expected)


def test_dataset_iterator_position_is_saved(tmp_path):
    if not hasattr(tf, "data"):
        pytest.skip("tf.data is not available")
    ds = tf.data.Dataset.range(10)
    it = iter(ds)
    next(it), next(it), next(it)
    ckpt = tf.train.Checkpoint(iterator=it)
    path = ckpt.write(str(tmp_path / "c"))
    assert dict(tf.train.list_variables(path))["iterator/.ATTRIBUTES/ITERATOR_STATE"]
    it2 = iter(ds)
    tf.train.Checkpoint(iterator=it2).restore(path).assert_consumed()
    assert int(next(it2)) == 3


def test_format_file_starts_with_magic(tmp_path):
    path = _saved(tmp_path)
    assert open(path + ".index", "rb").read(8) == _format.MAGIC
