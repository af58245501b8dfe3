"""`tf.random`: random tensors, seeds and generators.

Filled with the names that their modules' `__tf_names__` tables declare in "random" and
"random.experimental" (rill/_api.py).
"""

from types import SimpleNamespace

from rill import _api

experimental = SimpleNamespace()
_api.fill("random.experimental", vars(experimental))
__all__ = [*_api.fill("random", globals()), "experimental"]
