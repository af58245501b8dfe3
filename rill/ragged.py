"""`tf.ragged`: RaggedTensor constructors and ops.

Filled with the names that their modules' `__tf_names__` tables declare in "ragged"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("ragged", globals())
