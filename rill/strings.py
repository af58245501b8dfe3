"""`tf.strings`: string tensors and Unicode text.

Filled with the names that their modules' `__tf_names__` tables declare in "strings"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("strings", globals())
