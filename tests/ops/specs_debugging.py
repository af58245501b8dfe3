"""Op specs for rill/ops/debugging_ops.py (format: tests/ops/opspec.py)."""

import numpy as np

from rill._core.op import execute
from rill._core.tensor import wrap
from rill.ops import debugging_ops as D
from tests.ops.opspec import OpSpec, normal


def _assert_then_identity(x):
    # runs the Assert kernel itself (the eager public function skips it for a true condition)
    execute(D.ASSERT, (wrap(np.array(True)), x), {"summarize": 3})
    return x


SPECS = [
    OpSpec(["CheckNumerics"], lambda x: D.check_numerics(x, "spec"), lambda rng: [
        rng.standard_normal((3, 2))], ref=lambda x: x, second_order=True),
    OpSpec(["Assert"], _assert_then_identity, lambda rng: [normal(4)(rng)], ref=lambda x: x,
           grad=False),
]
