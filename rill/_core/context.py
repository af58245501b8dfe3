"""Execution state shared by eager execution, tapes and tracing.

Two lists, mutated in place and never rebound, so hot paths can hold a reference and test
their truth value: `tapes` (the GradientTapes now recording, innermost last) and `graphs`
(the graphs being traced, innermost last). Both empty means plain eager execution.
"""

from __future__ import annotations

tapes: list = []
graphs: list = []
# Callbacks run on every eager op's outputs (check_numerics, forward accumulators).
# Each is called as hook(opdef, inputs, attrs, outputs).
op_hooks: list = []


def executing_eagerly() -> bool:
    """True unless a `tf.function` is being traced."""
    return not graphs


def current_graph():
    return graphs[-1] if graphs else None
