"""Autograph: converts Python control flow on tensors into graph control flow.

`convert(f)` returns `f` rewritten so that `if`, `while`, `for`, `break`, `continue`,
`return` inside loops, and `and`/`or`/`not` become `tf.cond` / `tf.while_loop` when their
condition is a tensor of a graph being traced, and stay Python otherwise. `tf.function` calls
it before tracing; `to_code(f)` shows the converted source.
"""

from rill.function.autograph.api import (
    Feature,
    convert,
    converted_call,
    do_not_convert,
    get_verbosity,
    set_loop_options,
    set_verbosity,
    to_code,
    to_graph,
    trace,
)
from rill.function.autograph.converter import ConversionError
