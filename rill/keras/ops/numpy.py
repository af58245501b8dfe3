"""`keras.ops.numpy`: Keras 3's NumPy-like namespace (math in `_math`, arrays in `_arrays`).

>>> keras.ops.numpy.mean(np.array([1, 2]))  # ints average to floatx
<tf.Tensor: shape=(), dtype=float32, numpy=1.5>
"""

from rill.keras.ops import _arrays, _math

__all__ = sorted({*_arrays.__all__, *_math.__all__})
globals().update({name: getattr(_arrays, name) for name in _arrays.__all__})
globals().update({name: getattr(_math, name) for name in _math.__all__})
