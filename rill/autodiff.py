"""`tf.autodiff`: GradientTape and ForwardAccumulator.

Filled with the names that their modules' `__tf_names__` tables declare in "autodiff"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("autodiff", globals())
