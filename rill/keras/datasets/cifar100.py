"""`keras.datasets.cifar100`: 60,000 32x32 color images in 100 classes (20 superclasses)."""

from __future__ import annotations

import os

from rill.keras.datasets import _common
from rill.keras.datasets.cifar10 import finish, load_batch


def load_data(label_mode="fine"):
    """Loads CIFAR-100 (extracted once into `~/.keras/datasets/cifar-100-python-target/`).

    Args:
        label_mode: "fine" (100 classes) or "coarse" (20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3), uint8 labels of shape (n, 1).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: `label_mode` must be 'fine' or 'coarse', got "
                         f"{label_mode!r}.\nhint: 'fine' gives 100 classes, 'coarse' 20.")
    folder = _common.fetch("cifar-100-python-target", "cifar-100-python.tar.gz", cifar=True,
                           extract=True)
    folder = os.path.join(folder, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key=key)
    return finish(x_train, y_train, x_test, y_test)
