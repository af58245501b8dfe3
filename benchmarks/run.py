"""Runs every benchmark and prints its table: `python benchmarks/run.py [name ...]`.

Names: eager_ops (W1), tape (W2), custom_loop (W3 on the engine), keras_fit (W3 with Keras,
W4, W5), cnn (W6), lstm, data_pipeline (tf.data), function_overhead (W7), function_gradient
(a tape outside a tf.function), vectorize (jacobians and tf.vectorized_map against their
loops), tensor_array (TensorArray writes in a traced loop), startup (W8).
`size` (lines of Python in the engine) comes first.
Benchmarks print medians and ratios; they are never part of the test suite.
"""

from __future__ import annotations

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ALL = ["size", "eager_ops", "tape", "function_overhead", "function_gradient", "custom_loop",
       "keras_fit", "cnn", "lstm", "data_pipeline", "vectorize", "tensor_array", "startup"]


def main(argv: list[str]) -> None:
    for name in argv or ALL:
        module = importlib.import_module(name)
        saved = sys.argv
        sys.argv = [name]
        try:
            module.main()
        finally:
            sys.argv = saved
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
