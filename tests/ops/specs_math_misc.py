"""Op specs for rill/ops/math_misc_ops.py (format: tests/ops/opspec.py)."""

import numpy as np

from rill.ops import math_misc_ops as MM
from tests.ops.opspec import OpSpec


def _next_up(x, y):
    """The next float64 after x toward y, from the bit pattern (positive, finite x)."""
    bits = x.view(np.int64) + np.where(y > x, 1, np.where(y < x, -1, 0))
    return bits.view(np.float64)


SPECS = [
    OpSpec("NextAfter", MM.nextafter,
           lambda rng: [rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, (4,))],
           ref=lambda x, y: _next_up(*np.broadcast_arrays(x, y)), grad=False),
]
