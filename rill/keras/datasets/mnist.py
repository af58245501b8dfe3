"""`keras.datasets.mnist`: 70,000 28x28 grayscale images of handwritten digits."""

from __future__ import annotations

import numpy as np

from rill.keras.datasets import _common


def load_data(path="mnist.npz"):
    """Loads MNIST (downloaded once into `~/.keras/datasets/`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape (60000, 28, 28) and
        (10000, 28, 28), and uint8 digit labels 0-9.

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()  # doctest: +SKIP
    """
    path = _common.fetch(path, "mnist.npz")
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
