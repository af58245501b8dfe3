"""`tf.math`: mathematical functions.

Filled with the names that their modules' `__tf_names__` tables declare in "math" and
"math.special" (rill/_api.py).
"""

from types import SimpleNamespace

from rill import _api

special = SimpleNamespace()
_api.fill("math.special", vars(special))
__all__ = [*_api.fill("math", globals()), "special"]
