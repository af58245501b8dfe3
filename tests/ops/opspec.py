"""The op spec tables that drive the registry-wide tests.

Each op group has a `tests/ops/specs_<group>.py` with a list `SPECS` of `OpSpec`. The generic
tests (`tests/test_registry.py`) run every spec: forward against NumPy (when `ref` is given),
the op's shape/dtype rule against what its kernel returns, and the gradient against a
central-difference numerical gradient in float64 (to second order when `second_order`).
Every registered op must be covered by at least one spec (name it in `ops`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class OpSpec:
    """One way to exercise one or more registered ops.

    ops: registry names this spec covers (e.g. ["AddV2"]).
    fn: called with rill tensors made from `inputs`; returns a tensor or a list of tensors.
    inputs: a function rng -> list of NumPy arrays (float64 for differentiable inputs);
        arrays of integer/bool dtype are passed as they are and are never differentiated.
    ref: optional NumPy function of the same arrays, for the forward check.
    grad: check gradients numerically (w.r.t. every floating input).
    second_order: also check the gradient of the gradient (elementwise ops).
    rtol/atol: tolerances for forward and gradient checks.
    """

    ops: list
    fn: Callable
    inputs: Callable
    ref: Callable | None = None
    grad: bool = True
    second_order: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6
    name: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.ops, str):
            self.ops = [self.ops]
        if not self.name:
            self.name = "+".join(self.ops)


def normal(*shape, seed_offset=0):
    """inputs helper: standard normal float64 of a shape."""
    return lambda rng: rng.standard_normal(shape)


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)
