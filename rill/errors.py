"""`tf.errors`: the exception types raised by ops.

Filled with the names that their modules' `__tf_names__` tables declare in "errors"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("errors", globals())
