"""`tf.nn`: neural-network functions (activations, convolutions, pooling, losses).

Filled with the names that their modules' `__tf_names__` tables declare in "nn"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("nn", globals())
