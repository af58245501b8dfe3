"""`keras.utils.set_random_seed`: one call to make a program's randomness repeatable.

>>> keras.utils.set_random_seed(7)
>>> a = keras.initializers.GlorotUniform()((2, 2))
>>> keras.utils.set_random_seed(7)
>>> bool(tf.reduce_all(a == keras.initializers.GlorotUniform()((2, 2))))
True
"""

from __future__ import annotations

import random as _random

import numpy as np

import rill as tf


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy's global generator and rill's global seed
    (`tf.random.set_seed`), so weights, dropout masks, shuffles and losses repeat exactly."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed: expected `seed` to be an integer, got {seed!r} "
                         f"(of type {type(seed).__name__}).\nhint: set_random_seed(42).")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"set_random_seed: `seed` must be in [0, 2**32), got {seed}.\nhint: "
                         f"use seed % 2**32.")
    _random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
