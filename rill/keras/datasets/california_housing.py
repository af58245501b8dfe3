"""`keras.datasets.california_housing`: 20,640 California districts, 8 features, median
house value."""

from __future__ import annotations

import numpy as np

from rill.keras.datasets import _common


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California Housing data, shuffled with `seed` then split.

    Args:
        version: "large" (all 20,640 samples) or "small" (the first 600).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 arrays (n, 8) and (n,).
    """
    _common.check_split(test_split)
    if version not in ("large", "small"):
        raise ValueError(f"california_housing.load_data: `version` must be 'large' or "
                         f"'small', got {version!r}.\nhint: 'small' keeps the first 600 "
                         f"samples.")
    path = _common.fetch(path, "california_housing.npz")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    x, y = _common.shuffled(seed, x, y)
    return _common.train_test(x, y, test_split)
