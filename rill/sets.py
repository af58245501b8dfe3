"""`tf.sets`: set operations on dense tensors and SparseTensors.

Filled with the names that their modules' `__tf_names__` tables declare in "sets"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("sets", globals())
