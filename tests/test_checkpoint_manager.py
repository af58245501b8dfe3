"""tf.train.CheckpointManager: numbering, max_to_keep, the hours rule, intervals, recovery."""

import os

import numpy as np
import pytest

import rill as tf
from rill.train import manager as manager_module


def _files(path):
    return sorted(n for n in os.listdir(path) if n.endswith(".index"))


def test_guide_training_loop_keeps_last_three(tmp_path):
    step = tf.Variable(1)
    v = tf.Variable(0.0)
    ckpt = tf.train.Checkpoint(step=step, v=v)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=3)
    assert manager.latest_checkpoint is None
    ckpt.restore(manager.latest_checkpoint)  # from scratch: a no-op
    for _ in range(5):
        v.assign_add(1.0)
        step.assign_add(1)
        path = manager.save()
    assert path == os.path.join(str(tmp_path), "ckpt-5")
    assert _files(tmp_path) == ["ckpt-3.index", "ckpt-4.index", "ckpt-5.index"]
    assert manager.checkpoints == [os.path.join(str(tmp_path), f"ckpt-{i}") for i in (3, 4, 5)]
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    # a new process: a new manager recovers the list from the folder's `checkpoint` file
    v2, step2 = tf.Variable(0.0), tf.Variable(0)
    ckpt2 = tf.train.Checkpoint(step=step2, v=v2)
    manager2 = tf.train.CheckpointManager(ckpt2, str(tmp_path), max_to_keep=3)
    assert manager2.checkpoints == manager.checkpoints
    ckpt2.restore(manager2.latest_checkpoint).assert_consumed()
    assert (float(v2), int(step2), int(ckpt2.save_counter)) == (5.0, 6, 5)
    assert manager2.save() == os.path.join(str(tmp_path), "ckpt-6")
    assert _files(tmp_path) == ["ckpt-4.index", "ckpt-5.index", "ckpt-6.index"]


def test_checkpoint_number_and_name(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path / "sub"), max_to_keep=None,
                                         checkpoint_name="model")
    assert manager.save(checkpoint_number=100).endswith("model-100")
    assert manager.save(checkpoint_number=tf.Variable(200)).endswith("model-200")
    assert int(ckpt.save_counter) == 2
    assert _files(tmp_path / "sub") == ["model-100.index", "model-200.index"]


def test_keep_checkpoint_every_n_hours(tmp_path, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(manager_module.time, "time", lambda: clock[0])
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2,
                                         keep_checkpoint_every_n_hours=1)
    for _ in range(6):  # one save every 20 minutes: 0, 20, 40, 60, 80, 100
        manager.save()
        clock[0] += 1200.0
    # ckpt-1..4 left the window of two; those at least an hour after the last one kept
    # (the manager's start, 1 s before ckpt-1) stay: ckpt-4 (60 minutes in).
    assert _files(tmp_path) == ["ckpt-4.index", "ckpt-5.index", "ckpt-6.index"]
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-5", "ckpt-6"]


def test_checkpoint_interval(tmp_path):
    step = tf.Variable(0)
    ckpt = tf.train.Checkpoint(step=step)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=None,
                                         step_counter=step, checkpoint_interval=10)
    saved = []
    for i in range(25):
        step.assign(i)
        if manager.save() is not None:
            saved.append(i)
    assert saved == [0, 10, 20]
    assert manager.save() is None  # same step
    step.assign(21)
    assert manager.save(check_interval=False) is not None
    with pytest.raises(ValueError, match="step_counter"):
        tf.train.CheckpointManager(ckpt, str(tmp_path), 3, checkpoint_interval=5)


def test_restore_or_initialize(tmp_path):
    v = tf.Variable(0.0)
    calls = []
    ckpt = tf.train.Checkpoint(v=v)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), 2,
                                         init_fn=lambda: calls.append(1))
    assert manager.restore_or_initialize() is None and calls == [1]
    v.assign(4.0)
    path = manager.save()
    v.assign(0.0)
    assert manager.restore_or_initialize() == path and float(v) == 4.0


def test_bad_max_to_keep():
    with pytest.raises(ValueError, match="max_to_keep"):
        tf.train.CheckpointManager(tf.train.Checkpoint(), "x", max_to_keep=0)


def test_latest_checkpoint_ignores_missing_files_and_reads_state(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "gone-1"\n')
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    (tmp_path / "checkpoint").write_text("this is not a state file\n")
    with pytest.raises(ValueError, match="line 1"):
        tf.train.latest_checkpoint(str(tmp_path))
    state_dir = tmp_path / "ok"
    ckpt = tf.train.Checkpoint(v=tf.Variable(np.float32(2.0)))
    path = ckpt.save(str(state_dir / "c"))
    state = tf.train.get_checkpoint_state(str(state_dir))
    assert state.model_checkpoint_path == path
    assert state.all_model_checkpoint_paths == [path]
