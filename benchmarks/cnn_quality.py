"""Test accuracy of the same small CNN trained with `fit` in rill and, when `RILL_TF_PYTHON`
names a Python with TensorFlow, in TensorFlow, on the same generated images. Prints both over
3 seeds; never asserts.

Data (fixed NumPy seed): 28x28 grey images of uniform noise holding two Gaussian blobs, a
bright one and a dimmer one, in different quadrants; the label is the quadrant of the bright
one (4 classes). Model (W6-style): Conv2D(8, 3, relu) -> MaxPool2D(2) -> Flatten ->
Dense(10, softmax); sparse categorical cross-entropy, Adam 1e-3, batch 32.

    python benchmarks/cnn_quality.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

EPOCHS = 3
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
epochs = int(sys.argv[3])
results = []
for seed in range(3):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3), metrics=["accuracy"])
    model.fit(d["X_train"], d["y_train"], epochs=epochs, batch_size=32, verbose=0)
    loss, acc = model.evaluate(d["X_test"], d["y_test"], verbose=0)
    results.append([float(loss), float(acc)])
print(json.dumps(results))
'''


def blobs(n: int, rng: np.random.RandomState):
    """n images (n, 28, 28, 1) in [0, 1] and the quadrant (0..3) of each one's brightest blob."""
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    X = 0.5 * rng.random_sample((n, 28, 28)).astype(np.float32)
    labels = rng.randint(0, 4, size=n)
    for i, q in enumerate(labels):
        other = (q + rng.randint(1, 4)) % 4  # the dim blob sits in another quadrant
        for quadrant, peak in ((q, 0.7), (other, 0.55)):
            cy = 7 + 14 * (quadrant // 2) + rng.uniform(-4, 4)
            cx = 7 + 14 * (quadrant % 2) + rng.uniform(-4, 4)
            X[i] += peak * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 2.0 ** 2))
    return np.clip(X, 0, 1)[..., None].astype(np.float32), labels.astype(np.int64)


def _data(path: str) -> None:
    rng = np.random.RandomState(42)
    X_train, y_train = blobs(2000, rng)
    X_test, y_test = blobs(1000, rng)
    np.savez(path, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)


def _run(python: str, which: str, data: str) -> np.ndarray:
    out = subprocess.run([python, "-c", PROGRAM, which, data, str(EPOCHS)], capture_output=True,
                         text=True, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return np.array(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "blobs.npz")
        _data(data)
        rows = [("rill", _run(sys.executable, "rill", data))]
        tf_python = os.environ.get("RILL_TF_PYTHON")
        if tf_python:
            rows.append(("tensorflow", _run(tf_python, "tensorflow", data)))
    print(f"Test accuracy after {EPOCHS} epochs of fit, 3 seeds (Conv2D(8, 3, relu), "
          f"MaxPool2D(2), Dense(10, softmax); Adam 1e-3; 2000 train / 1000 test images, "
          f"label = quadrant of the brightest blob)")
    for name, r in rows:
        print(f"  {name:10s} test accuracy {r[:, 1].mean():.4f} +- {r[:, 1].std():.4f}   "
              f"test loss {r[:, 0].mean():.4f} +- {r[:, 0].std():.4f}   "
              f"(per seed: {', '.join(f'{a:.3f}' for a in r[:, 1])})")


if __name__ == "__main__":
    main()
