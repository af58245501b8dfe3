"""Op specs for the ops that gradient code uses internally (format: tests/ops/opspec.py).

`SumToShape` is `unbroadcast` (rill/ops/_util.py): it sums a gradient back to the shape of a
broadcast input.
"""

import numpy as np

from rill._core.op import execute
from rill.ops._util import SUM_TO_SHAPE
from tests.ops.opspec import OpSpec


def _sum_to(dy, shape):
    lead = dy.ndim - len(shape)
    out = dy.sum(axis=tuple(range(lead))) if lead else dy
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and out.shape[i] != 1)
    return out.sum(axis=axes, keepdims=True) if axes else out


def _spec(dy_shape, shape, name):
    return OpSpec(["SumToShape"], lambda dy, s: execute(SUM_TO_SHAPE, (dy, s)),
                  lambda rng: [rng.standard_normal(dy_shape), np.array(shape, dtype=np.int32)],
                  ref=lambda dy, s: _sum_to(dy, tuple(s)), second_order=True, name=name)


SPECS = [
    _spec((2, 3, 4), (3, 1), "SumToShape[lead+inner]"),
    _spec((3, 4), (3, 4), "SumToShape[same]"),
    _spec((2, 3), (), "SumToShape[scalar]"),
]
