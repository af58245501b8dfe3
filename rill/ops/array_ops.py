"""Array ops: shapes, reshaping, slicing, gathering and scattering (`tf.reshape`, ...)."""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops._util import SHAPE, shape_tensor, to_tensor


def shape(input, out_type=_dtypes.int32, name=None):  # noqa: A002 - TensorFlow's name
    """The dynamic shape of a tensor as a 1-D integer tensor (`tf.shape`)."""
    x = to_tensor(input)
    out_type = _dtypes.as_dtype(out_type)
    if x.shape.is_fully_defined():
        from rill._core.tensor import wrap
        return wrap(np.array(x.shape.as_list(), dtype=out_type._np))
    return execute(SHAPE, (x,), {"out_type": out_type})


def _reshape_kernel(x, shape):
    return np.reshape(x, tuple(int(d) for d in shape))


def _reshape_rule(x, shape):
    v = constant_value(shape)
    if v is None:
        n = shape.shape[0] if shape.shape.rank else None
        return TensorShape(None if n is None else [None] * n), x.dtype
    dims = [int(d) for d in np.asarray(v).reshape(-1)]
    if -1 in dims:
        known = x.shape.num_elements()
        rest = int(np.prod([d for d in dims if d != -1])) if len(dims) > 1 else 1
        dims = [(known // rest if known is not None and rest else None) if d == -1 else d
                for d in dims]
    elif x.shape.is_fully_defined() and int(np.prod(dims)) != x.shape.num_elements():
        raise ValueError(f"Cannot reshape a tensor with {x.shape.num_elements()} elements to "
                         f"shape {dims} ({int(np.prod(dims))} elements)")
    return TensorShape(dims), x.dtype


RESHAPE = defop("Reshape", _reshape_kernel, _reshape_rule,
                lambda op, dy: (reshape(dy, shape_tensor(op.inputs[0])), None),
                public_name="tf.reshape")


def reshape(tensor, shape, name=None):
    """Gives `tensor` a new shape with the same number of elements; one dim may be -1."""
    x = to_tensor(tensor)
    if isinstance(shape, (list, tuple)) and any(hasattr(d, "dtype") for d in shape):
        shape = stack([to_tensor(d, dtype=_dtypes.int32) if not hasattr(d, "dtype") else d
                       for d in shape])
    s = to_tensor(shape) if hasattr(shape, "dtype") else to_tensor(
        np.asarray(shape, dtype=np.int32).reshape(-1))
    return execute(RESHAPE, (x, s))


def _stack_kernel(*xs, axis):
    return np.stack(xs, axis=axis)


def _stack_rule(*xs, axis):
    s = xs[0].shape
    for x in xs[1:]:
        s = s.merge_with(x.shape)
    if s.rank is None:
        return TensorShape(None), xs[0].dtype
    dims = s.as_list()
    ax = axis if axis >= 0 else axis + len(dims) + 1
    return TensorShape(dims[:ax] + [len(xs)] + dims[ax:]), xs[0].dtype


def _stack_grad(op, dy):
    return tuple(unstack(dy, num=len(op.inputs), axis=op.attrs["axis"]))


PACK = defop("Pack", _stack_kernel, _stack_rule, _stack_grad, public_name="tf.stack")


def stack(values, axis=0, name="stack"):
    """Stacks tensors of one shape along a new axis (`tf.stack`)."""
    ts = [to_tensor(v) for v in values]
    if len({t.dtype for t in ts}) > 1:
        ts = [to_tensor(v, dtype=ts[0].dtype) for v in values]
    return execute(PACK, tuple(ts), {"axis": int(axis)})


def _unstack_kernel(x, *, axis, num):
    return tuple(np.moveaxis(x, axis, 0))


def _unstack_rule(x, *, axis, num):
    dims = x.shape.as_list()
    del dims[axis]
    return [(TensorShape(dims), x.dtype)] * num


def _unstack_grad(op, *dys):
    return (stack(list(dys), axis=op.attrs["axis"]),)


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits a tensor into a list of tensors along `axis` (`tf.unstack`)."""
    x = to_tensor(value)
    rank = x.shape.rank
    ax = axis if axis >= 0 else axis + rank
    n = x.shape[ax] if num is None else num
    if n is None:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
    return list(execute(UNPACK, (x,), {"axis": ax, "num": n}))


UNPACK = defop("Unpack", _unstack_kernel, _unstack_rule, _unstack_grad, num_outputs=None,
               public_name="tf.unstack")
