"""The per-thread call context of `Layer.__call__`, keras masks, and small helpers of the
call path (signatures, input conversion, shapes).

The context carries the `training` flag of the enclosing layer call to the nested ones (an
explicit argument wins, then the enclosing call's value, then the default in `call`'s
signature) and knows which layer is running. Masks (`Embedding(mask_zero=True)`) are kept
in a table keyed by tensor, since rill's tensors take no new attributes; `get_mask` and
`set_mask` are the hook for masking layers.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
import weakref

import numpy as np

import rill as tf
from rill._core.graph import GraphTensor
from rill.keras.layers import node as _node


class _CallContext(threading.local):
    def __init__(self):
        self.depth = 0  # nesting of Layer.__call__ in this thread
        self.training = None  # the training flag of the enclosing call
        self.layer = None  # the layer whose call is running


ctx = _CallContext()
masks: dict = {}  # id(tensor) -> (weakref to the tensor, its keras mask)


def get_mask(x):
    """The keras mask attached to a tensor by a masking layer (Embedding(mask_zero=True)),
    else None."""
    entry = masks.get(id(x))
    return entry[1] if entry is not None and entry[0]() is x else None


def set_mask(x, mask) -> None:
    """Attaches `mask` to the tensor `x` (None detaches it); read back by `get_mask`."""
    key = id(x)
    if mask is None:
        masks.pop(key, None)
        return
    try:
        ref = weakref.ref(x, lambda _, k=key: masks.pop(k, None))
    except TypeError:
        return
    masks[key] = (ref, mask)


def input_mask(x):
    """The mask (or list of masks) of a call's first argument, None when there is none."""
    if not masks:
        return None
    if isinstance(x, (list, tuple)):
        found = [get_mask(t) for t in x]
        return None if all(m is None for m in found) else found
    return get_mask(x)


def snake(name: str) -> str:
    """`MyLayer` -> `my_layer`, `PReLU` -> `p_re_lu` (Keras' default layer names)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def call_spec(cls) -> tuple:
    """What `cls.call` takes: (has training, its position, has mask, its position, the
    training default, the first argument's name); positions count after `self`."""
    params = list(inspect.signature(cls.call).parameters.values())[1:]
    names = [p.name for p in params]
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
    training = params[names.index("training")] if "training" in names else None
    default = None if training is None or training.default is inspect.Parameter.empty \
        else training.default
    pos = {n: (positional.index(n) if n in positional else None) for n in ("training", "mask")}
    first = positional[0] if positional else None
    return (training is not None, pos["training"], "mask" in names, pos["mask"], default,
            first)


def wrap_build(build):
    """`build` that also marks the layer built (Keras 3), so `layer.build(shape)` called by
    hand is never repeated by the first call."""
    @functools.wraps(build)
    def build_wrapper(self, *args, **kwargs):
        out = build(self, *args, **kwargs)
        self.__dict__["built"] = True
        return out

    build_wrapper._rill_build_wrapper = True
    return build_wrapper


def batch_input_shape(kwargs: dict):
    """The full input shape from `batch_input_shape`, `input_shape` or `input_dim` (with
    `batch_size`), or None."""
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])
    batch = kwargs.get("batch_size")
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        return (batch,) + (tuple(shape) if isinstance(shape, (list, tuple)) else (shape,))
    if kwargs.get("input_dim") is not None:
        return (batch, kwargs["input_dim"])
    return None


def convert_args(args: tuple, kwargs: dict, dtype):
    """NumPy arrays (and a first argument that is a number or a nested list of numbers)
    become tensors; floating values take `dtype` (None: floats keep theirs, NumPy floats
    become floatx)."""
    from rill.keras import backend

    def convert(x):
        if isinstance(x, tf.Tensor):
            if dtype is not None and x.dtype != dtype and x.dtype.is_floating:
                return tf.cast(x, dtype)
            return x
        if isinstance(x, (np.ndarray, np.generic)):
            if x.dtype.kind == "f":
                return tf.constant(x, dtype=dtype or backend.floatx())
            return tf.constant(x) if x.dtype.kind in "iub" else x
        return x

    first = args[0]
    if (isinstance(first, (float, int)) and not isinstance(first, bool)) or \
            (isinstance(first, (list, tuple)) and _numeric(first)):
        first = np.asarray(first)
    args = tuple(tf.nest.map_structure(convert, [first, *args[1:]]))
    if kwargs:
        kwargs = {k: (v if k in ("training", "mask") else tf.nest.map_structure(convert, v))
                  for k, v in kwargs.items()}
    return args, kwargs


def _numeric(x) -> bool:
    leaves = tf.nest.flatten(x)
    return bool(leaves) and all(isinstance(v, (int, float, np.number)) for v in leaves)


def shape_structure(shape):
    """A shape given as a TensorShape, tuple or list, or a list/tuple/dict of those, as
    TensorShapes (a flat tuple or list of ints/None is one shape)."""
    if isinstance(shape, tf.TensorShape) or shape is None:
        return tf.TensorShape(shape)
    if isinstance(shape, dict):
        return {k: shape_structure(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer))
                                                for d in shape):
        return tf.TensorShape(shape)
    return [shape_structure(s) for s in shape]


def fresh_outputs(outputs, inputs: list):
    """Outputs that are new symbolic tensors of the graph: inputs returned as they are,
    repeated outputs, constants and variables pass through `tf.identity`."""
    seen = {id(t) for t in inputs}

    def fresh(t):
        if t is None or not isinstance(t, (tf.Tensor, tf.Variable)):
            return t
        if type(t) is not GraphTensor or id(t) in seen or \
                _node.get_keras_history(t) is not None:
            t = tf.identity(t)
        seen.add(id(t))
        return t

    return tf.nest.map_structure(fresh, outputs)
