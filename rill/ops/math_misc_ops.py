"""Small `tf.math` functions built from other ops: `angle`, `polyval`, `accumulate_n`,
`is_non_decreasing`, `is_strictly_increasing`; and the `NextAfter` op (`tf.math.nextafter`).
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.op import defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor_shape import as_shape
from rill.ops import array_ops, reduction_ops
from rill.ops import math_ops as m
from rill.ops._util import binary_inputs, broadcast_rule, op_error, to_tensor


def angle(input, name=None):  # noqa: A002 - TensorFlow's name
    """The argument of each complex number, atan2(imag, real), in (-pi, pi]; for real input,
    pi where it is negative and 0 elsewhere (`tf.math.angle`).

    >>> tf.math.angle(tf.constant([1+1j, -1.+0j], tf.complex128)).numpy().round(4).tolist()
    [0.7854, 3.1416]
    """
    x = to_tensor(input)
    if x.dtype.is_complex:
        return m.atan2(m.imag(x), m.real(x))
    pi = convert_to_tensor(np.pi, dtype=x.dtype)
    return array_ops.where(m.less(x, 0), pi, array_ops.zeros_like(x))


def polyval(coeffs, x, name=None):
    """The polynomial coeffs[0] * x**(n-1) + ... + coeffs[n-1] at `x`, by Horner's rule
    (`tf.math.polyval`); no coefficients give zeros.

    >>> float(tf.math.polyval([1., 2., 3.], tf.constant(2.)))
    11.0
    """
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}."
                         f"\nhint: tf.math.polyval(tf.unstack(coeffs), x).")
    x = to_tensor(x)
    if not coeffs:
        return array_ops.zeros_like(x)
    cs = [to_tensor(c) for c in coeffs]
    p = cs[0]
    for c in cs[1:]:
        p = m.add(c, m.multiply(p, x))
    return p


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The sum of a list of tensors of one shape and dtype, as `tf.math.add_n` (TensorFlow
    keeps `tf.math.accumulate_n` as a deprecated alias).

    >>> tf.math.accumulate_n([tf.constant([1., 2.]), tf.constant([3., 4.])]).numpy()
    array([4., 6.], dtype=float32)
    """
    bad = ValueError("inputs must be a list of at least one Tensor with the same dtype and "
                     "shape\nhint: tf.math.accumulate_n([tf.constant(a), tf.constant(b)]).")
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise bad
    ts = [to_tensor(t) for t in inputs]
    if any(t.dtype is not ts[0].dtype for t in ts):
        raise bad
    want = as_shape(shape)
    for t in ts:
        want = want.merge_with(t.shape)  # ValueError: Shapes (3,) and (2,) are not compatible
    if tensor_dtype is not None and _dtypes.as_dtype(tensor_dtype) is not ts[0].dtype:
        raise TypeError(f"The `tensor_dtype` argument is {_dtypes.as_dtype(tensor_dtype)!r}, "
                        f"but `input` is of type {ts[0].dtype!r}. These must be equal. Try "
                        f"casting the input to the desired type.")
    return m.add_n(ts)


def _monotone(x, strict: bool, fn: str):
    x = to_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_integer or x.dtype.is_complex):
        raise TypeError(f"{fn}: Expected x to be numeric, instead found: {x.dtype.name}.\n"
                        f"hint: compare strings with tf.strings ops.")
    flat = array_ops.reshape(x, [-1])
    head, tail = flat[:-1], flat[1:]
    ok = m.less(head, tail) if strict else m.less_equal(head, tail)
    return reduction_ops.reduce_all(ok)


def is_non_decreasing(x, name=None):
    """Whether each element of `x` (flattened, row-major) is <= the next; True for fewer than
    two elements (`tf.math.is_non_decreasing`).

    >>> bool(tf.math.is_non_decreasing([1, 1, 2]))
    True
    """
    return _monotone(x, False, "tf.math.is_non_decreasing")


def is_strictly_increasing(x, name=None):
    """Whether each element of `x` (flattened, row-major) is < the next; True for fewer than
    two elements (`tf.math.is_strictly_increasing`).

    >>> bool(tf.math.is_strictly_increasing([1, 1, 2]))
    False
    """
    return _monotone(x, True, "tf.math.is_strictly_increasing")


# -- NextAfter ----------------------------------------------------------------------------
NEXT_AFTER = defop("NextAfter", np.nextafter, broadcast_rule, grad=None,
                   public_name="tf.math.nextafter")


def nextafter(x1, x2, name=None):
    """The next representable value after `x1` in the direction of `x2`, elementwise with
    broadcasting; float32 or float64 (`tf.math.nextafter`).

    >>> float(tf.math.nextafter(tf.constant(1., tf.float64), 2.)) - 1.0 == 2.0 ** -52
    True
    """
    if not isinstance(x1, Tensor) and not isinstance(x2, Tensor):
        x1 = convert_to_tensor(x1, dtype_hint=_dtypes.float32)
    a, b = binary_inputs(x1, x2, NEXT_AFTER, ("x1", "x2"))
    if a.dtype not in (_dtypes.float32, _dtypes.float64):
        raise op_error("NextAfter", "tf.math.nextafter",
                       f"x1 and x2 must be float32 or float64, got {a.dtype.name}",
                       "tf.cast(x1, tf.float32) and x2 alike.")
    return execute(NEXT_AFTER, (a, b))


__tf_names__ = {
    "math": "accumulate_n angle is_non_decreasing is_strictly_increasing nextafter polyval",
}
