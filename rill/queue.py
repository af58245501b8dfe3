"""`tf.queue`: queues that block across threads.

Filled with the names that their modules' `__tf_names__` tables declare in "queue"
(rill/_api.py).
"""

from rill import _api

__all__ = _api.fill("queue", globals())
