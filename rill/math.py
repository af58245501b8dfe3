"""`tf.math`: mathematical functions.

Filled with the names that their modules' `__tf_names__` tables declare in "math"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("math", globals())
