"""Validation error of the same model trained with `fit` in rill and, when `RILL_TF_PYTHON`
names a Python with TensorFlow, in TensorFlow, on the same data (scikit-learn's bundled
diabetes set, standardized; a fixed split). Prints both; never asserts.

    python benchmarks/fit_quality.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

PROGRAM = r'''
import json, sys
import numpy as np
if sys.argv[1] == "rill":
    import rill as tf
    from rill import keras
else:
    import tensorflow as tf
    from tensorflow import keras
d = np.load(sys.argv[2])
results = []
for seed in range(5):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(10,)),
        keras.layers.Dense(30, activation="relu"),
        keras.layers.Dense(30, activation="relu"),
        keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=["mae"])
    h = model.fit(d["X_train"], d["y_train"], epochs=60, batch_size=32, verbose=0,
                  validation_data=(d["X_valid"], d["y_valid"]))
    results.append([h.history["val_loss"][-1], h.history["val_mae"][-1]])
print(json.dumps(results))
'''


def _data(path: str) -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    data = load_diabetes()
    X = ((data.data - data.data.mean(0)) / data.data.std(0)).astype(np.float32)
    y = ((data.target - data.target.mean()) / data.target.std()).astype(np.float32)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=42)
    np.savez(path, X_train=X_train, X_valid=X_valid, y_train=y_train, y_valid=y_valid)


def _run(python: str, which: str, data: str) -> np.ndarray:
    out = subprocess.run([python, "-c", PROGRAM, which, data], capture_output=True, text=True,
                         check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return np.array(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "diabetes.npz")
        _data(data)
        rows = [("rill", _run(sys.executable, "rill", data))]
        tf_python = os.environ.get("RILL_TF_PYTHON")
        if tf_python:
            rows.append(("tensorflow", _run(tf_python, "tensorflow", data)))
    print("Validation error after 60 epochs of fit, 5 seeds (MLP 30-30-1, Adam 1e-3, MSE on "
          "the standardized target)")
    for name, r in rows:
        print(f"  {name:10s} val MSE {r[:, 0].mean():.4f} +- {r[:, 0].std():.4f}   "
              f"val MAE {r[:, 1].mean():.4f} +- {r[:, 1].std():.4f}")


if __name__ == "__main__":
    main()
