"""`keras.datasets.boston_housing`: 506 Boston suburbs, 13 features, median home value."""

from __future__ import annotations

import numpy as np

from rill.keras.datasets import _common


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing data, shuffled with `seed` then split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float arrays (n, 13) and (n,); with the
        defaults 404 training and 102 test samples.
    """
    _common.check_split(test_split)
    path = _common.fetch(path, "boston_housing.npz")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    x, y = _common.shuffled(seed, x, y)
    return _common.train_test(x, y, test_split)
