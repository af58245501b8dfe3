"""`keras.InputSpec`: the rank, dtype and axis sizes a layer accepts, checked before `call`."""

from __future__ import annotations

import rill as tf


class InputSpec:
    """What a layer expects of one input (a layer sets `self.input_spec`).

    Args:
        dtype: the expected dtype, or None.
        shape: the expected shape (None entries match anything), or None.
        ndim, min_ndim, max_ndim: the expected rank, or bounds on it.
        axes: `{axis: size}` for axes whose size is fixed (e.g. `{-1: 8}`).

    >>> spec = keras.InputSpec(min_ndim=2, axes={-1: 3})
    >>> spec.min_ndim, spec.axes
    (2, {-1: 3})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = tf.as_dtype(dtype).name if dtype is not None else None
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v not in (None, {})]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(input_spec, inputs, layer_name: str) -> None:
    """Raises ValueError naming the layer when `inputs` do not match `input_spec` (one spec,
    or a list with one spec per input)."""
    if not input_spec:
        return
    flat = tf.nest.flatten(inputs)
    specs = tf.nest.flatten(input_spec)
    if len(specs) > 1 and len(specs) != len(flat):
        raise ValueError(f"Layer {layer_name!r} expects {len(specs)} input(s), but it received "
                         f"{len(flat)} input tensors.\nhint: pass one tensor per input, "
                         f"as a list.")
    for i, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None or not hasattr(x, "shape"):
            continue
        shape = x.shape
        rank = shape.rank
        where = f"Input {i} of layer {layer_name!r} is incompatible with the layer"
        got = f"found ndim={rank}. Full shape received: {_text(shape)}"
        if spec.ndim is not None and rank is not None and rank != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, {got}\nhint: reshape the "
                             f"input to rank {spec.ndim} (the first axis is the batch).")
        if spec.min_ndim is not None and rank is not None and rank < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, {got}\nhint: give "
                             f"the input a batch axis, e.g. x[None] or tf.expand_dims(x, 0).")
        if spec.max_ndim is not None and rank is not None and rank > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, {got}\nhint: "
                             f"reshape or flatten the input first.")
        if spec.dtype is not None and x.dtype.name != spec.dtype:
            raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype="
                             f"{x.dtype.name}.\nhint: tf.cast the input to {spec.dtype}.")
        if rank is None:
            continue
        dims = shape.as_list()
        for axis, size in spec.axes.items():
            a = axis if axis >= 0 else axis + rank
            if size is not None and 0 <= a < rank and dims[a] not in (None, size):
                raise ValueError(f"{where}: expected axis {axis} of the input to have value "
                                 f"{size}, but received an input with shape {_text(shape)}.\n"
                                 f"hint: the layer was built for inputs whose axis {axis} "
                                 f"is {size}; use a new layer for other sizes.")
        if spec.shape is not None:
            for want, have in zip(spec.shape, dims):
                if want is not None and have is not None and want != have:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found shape="
                                     f"{_text(shape)}.\nhint: reshape the input.")


def _text(shape) -> str:
    return str(tuple(shape.as_list())) if shape.rank is not None else "<unknown>"
