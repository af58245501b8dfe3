"""`tf.sparse`: SparseTensor and its ops.

Filled with the names that their modules' `__tf_names__` tables declare in "sparse"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("sparse", globals())
