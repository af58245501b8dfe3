"""Trains a small model with BackupAndRestore (run as a subprocess by test_saving_backup.py).

    python saving_backup_script.py BACKUP_DIR OUT.npy [KILL_EPOCH]

With KILL_EPOCH, the process kills itself with SIGKILL in the middle of that epoch (0-based).
It prints one line per epoch it trains and saves the final weights to OUT.npy.
"""

import os
import signal
import sys

import numpy as np

from rill import keras


class Killer(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.kill_epoch, self.epoch = epoch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        print("epoch", epoch, flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == self.kill_epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


def main():
    backup_dir, out = sys.argv[1], sys.argv[2]
    kill = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    backup = keras.callbacks.BackupAndRestore(backup_dir)
    model.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0,
              callbacks=[backup, Killer(kill)])
    np.save(out, np.concatenate([w.reshape(-1) for w in model.get_weights()]))


if __name__ == "__main__":
    main()
