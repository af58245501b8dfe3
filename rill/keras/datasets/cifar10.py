"""`keras.datasets.cifar10`: 60,000 32x32 color images in 10 classes."""

from __future__ import annotations

import os

import numpy as np

from rill.keras import backend
from rill.keras.datasets import _common


def load_batch(fpath: str, label_key: str = "labels"):
    """`(data, labels)` of one pickled CIFAR batch: uint8 (n, 3, 32, 32) and a label list."""
    with open(fpath, "rb") as f:
        batch = _common.SafeUnpickler(f, encoding="bytes").load()
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def finish(x_train, y_train, x_test, y_test):
    """Labels as (n, 1) uint8 columns; images channels-last unless Keras is channels-first."""
    y_train = np.reshape(np.asarray(y_train, dtype=np.uint8), (-1, 1))
    y_test = np.reshape(np.asarray(y_test, dtype=np.uint8), (-1, 1))
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)


def load_data():
    """Loads CIFAR-10 (the Python-pickle archive, extracted once into
    `~/.keras/datasets/cifar-10-batches-py-target/`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3) (channels first if `image_data_format()` says so), uint8 labels
        of shape (n, 1): airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck.
    """
    folder = _common.fetch("cifar-10-batches-py-target", "cifar-10-python.tar.gz", cifar=True,
                           extract=True)
    folder = os.path.join(folder, "cifar-10-batches-py")
    batches = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches])
    y_train = [label for _, labels in batches for label in labels]
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    return finish(x_train, y_train, x_test, y_test)
