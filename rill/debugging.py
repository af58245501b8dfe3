"""`tf.debugging`: assertions, numerics checks and gradient explanations.

Filled with the names that their modules' `__tf_names__` tables declare in "debugging"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("debugging", globals())
