"""`keras.ops`: Keras 3's backend-agnostic ops, mapped onto rill's.

Every name of `keras.ops.numpy`, `keras.ops.nn`, `keras.ops.math`, `keras.ops.linalg` and
`keras.ops.core` is also here at the top level, as in Keras 3 (`keras.ops.relu`,
`keras.ops.matmul`, `keras.ops.top_k`, `keras.ops.norm`, `keras.ops.cond`, ...). The
functions take NumPy arrays, Python values and tensors, and return rill tensors.

>>> x = keras.ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
>>> keras.ops.sum(keras.ops.square(x), axis=1).numpy()
array([ 5., 25.], dtype=float32)
"""

from rill.keras.ops import core, linalg, math, nn, numpy

_SUBMODULES = (numpy, math, linalg, nn, core)
__all__ = sorted({name for module in _SUBMODULES for name in module.__all__} |
                 {"core", "linalg", "math", "nn", "numpy"})
for _module in _SUBMODULES:
    globals().update({name: getattr(_module, name) for name in _module.__all__})
del _module
