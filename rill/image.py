"""`tf.image`: resizing, crops, flips and color.

Filled with the names that their modules' `__tf_names__` tables declare in "image"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("image", globals())
