"""`tf.linalg`: linear algebra.

Filled with the names that their modules' `__tf_names__` tables declare in "linalg"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("linalg", globals())
