"""BackupAndRestore: a training process killed with SIGKILL mid-epoch and started again
resumes from the last finished epoch and ends with the weights of an uninterrupted run."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from rill import keras

SCRIPT = os.path.join(os.path.dirname(__file__), "saving_backup_script.py")


def _fit_honors_initial_epoch() -> bool:
    class Skip(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            object.__setattr__(self.model, "_initial_epoch", 2)

    seen = []
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((2, 1)), np.zeros((2, 1)), epochs=3, verbose=0,
              callbacks=[Skip(), keras.callbacks.LambdaCallback(
                  on_epoch_begin=lambda e, logs: seen.append(e))])
    return seen == [2]


needs_resume = pytest.mark.skipif(
    not _fit_honors_initial_epoch(),
    reason="Model.fit does not yet read model._initial_epoch after on_train_begin "
           "(the Model engineer wires it; see the saving report)")


def _run(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env)


@needs_resume
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    straight = _run(tmp_path / "b0", tmp_path / "straight.npy")
    assert straight.returncode == 0, straight.stderr
    assert straight.stdout.split() == ["epoch", "0", "epoch", "1", "epoch", "2", "epoch", "3"]

    killed = _run(tmp_path / "b1", tmp_path / "never.npy", 2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (tmp_path / "b1" / "latest.weights.h5").exists()
    assert not (tmp_path / "never.npy").exists()

    resumed = _run(tmp_path / "b1", tmp_path / "resumed.npy")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split() == ["epoch", "2", "epoch", "3"]  # epochs 0, 1 were done
    np.testing.assert_array_equal(np.load(tmp_path / "resumed.npy"),
                                  np.load(tmp_path / "straight.npy"))
    assert not (tmp_path / "b1").exists()  # deleted after a finished run


def test_backup_file_holds_weights_optimizer_and_position(tmp_path):
    import h5py
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    cb = keras.callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[cb])
    with h5py.File(tmp_path / "b" / "latest.weights.h5", "r") as f:
        assert '"epoch": 2' in f.attrs["rill_training_metadata"]
        assert "layers/dense/vars/0" in f and "optimizer/vars/2" in f
    assert (tmp_path / "b" / "training_metadata.json").read_text().startswith('{"epoch": 2')


def test_unbuilt_model_and_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore(tmp_path, save_freq=0)
    with pytest.raises(ValueError, match="backup_dir"):
        keras.callbacks.BackupAndRestore("")
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    cb = keras.callbacks.BackupAndRestore(tmp_path)
    cb.set_model(model)
    with pytest.raises(ValueError, match="must be built"):
        cb.on_train_begin()
