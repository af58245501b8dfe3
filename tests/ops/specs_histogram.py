"""Op specs for rill/ops/histogram_ops.py (format: tests/ops/opspec.py).

The reference bins each value with a Python loop over the bin edges.
"""

import numpy as np

from rill.ops import histogram_ops as H
from tests.ops.opspec import OpSpec


def _ref_hist(v, lo, hi, n):
    counts = np.zeros(n, np.int32)
    edges = [lo + (hi - lo) * k / n for k in range(1, n)]
    for x in v.reshape(-1):
        counts[sum(x >= e for e in edges)] += 1  # below lo: bin 0; above hi: bin n-1
    return counts


SPECS = [
    OpSpec("HistogramFixedWidth", lambda v: H.histogram_fixed_width(v, [-1.0, 1.0], nbins=7),
           lambda rng: [rng.uniform(-1.5, 1.5, (4, 9))],
           ref=lambda v: _ref_hist(v, -1.0, 1.0, 7), grad=False),
    OpSpec("HistogramFixedWidth", lambda v: H.histogram_fixed_width(v, [0, 10], nbins=4),
           lambda rng: [rng.integers(-3, 14, 20).astype(np.int32)],
           ref=lambda v: _ref_hist(v, 0, 10, 4), grad=False, name="HistogramFixedWidth[int]"),
]
