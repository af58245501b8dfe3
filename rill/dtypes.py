"""`tf.dtypes`: the dtype objects and the casts between them.

Filled with the names that their modules' `__tf_names__` tables declare in "dtypes"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("dtypes", globals())
