"""Scopes and graph-context utilities: `tf.name_scope`, `tf.device`,
`tf.control_dependencies`, `tf.get_current_name_scope`, `tf.inside_function`,
`tf.get_static_value`.

The name scope is kept per graph (`Graph._name_stack`, which `Graph.unique_name` prefixes to
op names, so a traced function's ops read `scope/Mul`) and once for eager code. A traced
function starts at the root scope, as in TensorFlow. Variables created inside a scope take it
as the prefix of their name (`scope/v:0`).

Devices: rill runs on the CPU; `tf.device` checks the device string and changes nothing.
Control dependencies: eager ops run in program order, and a traced graph keeps its stateful
ops (variable updates, prints, asserts) in program order too, so `tf.control_dependencies`
only accepts its argument.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


def _current() -> str:
    graphs = _state.graphs
    return graphs[-1]._name_stack if graphs else _state.name_scope


def _set(graph, value: str) -> None:
    if graph is None:
        _state.name_scope = value
    else:
        graph._name_stack = value


def get_current_name_scope() -> str:
    """The current name scope, without a trailing slash (`''` at the root).

    >>> with tf.name_scope("outer"):
    ...     with tf.name_scope("inner"):
    ...         tf.get_current_name_scope()
    'outer/inner'
    """
    return _current()


def name_prefix() -> str:
    """The prefix that names created now take (`'outer/inner/'`, or `''` at the root)."""
    s = _current()
    return f"{s}/" if s else ""


class name_scope:  # noqa: N801 - TensorFlow's name
    """A context manager that prefixes the names of ops (and variables) created inside it.

    `with tf.name_scope("block") as scope:` gives `scope == "block/"` (nested scopes join with
    `/`). A name ending in `/` is absolute: it replaces the current scope as it is; `""` goes
    back to the root. While a `tf.function` traces, a scope name already used in the graph is
    made unique (`block_1/`); eagerly it is not. The same object may be entered many times.

    >>> with tf.name_scope("layer") as scope:
    ...     scope
    'layer/'
    """

    __slots__ = ("_name", "_saved")

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise ValueError(f"name for name_scope must be a string. Got {name!r}.\n"
                             f"hint: tf.name_scope('block').")
        self._name = name
        self._saved: list = []

    @property
    def name(self) -> str:
        return self._name

    def __enter__(self) -> str:
        graph = _state.graphs[-1] if _state.graphs else None
        old = _current()
        name = self._name
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        elif graph is not None:
            new = graph.unique_name(name)  # prefixed with the current scope
        else:
            new = f"{old}/{name}" if old else name
        self._saved.append((graph, old))
        _set(graph, new)
        return f"{new}/" if new else ""

    def __exit__(self, *exc) -> None:
        graph, old = self._saved.pop()
        _set(graph, old)

    def __repr__(self) -> str:
        return f"<tf.name_scope {self._name!r}>"


def inside_function() -> bool:
    """True while a `tf.function` is being traced (building a graph).

    >>> tf.inside_function()
    False
    """
    return bool(_state.graphs)


# -- devices -------------------------------------------------------------------------------
_DEVICE_TYPES = ("cpu", "gpu", "tpu")


def _check_device(spec: str) -> None:
    for part in spec.split("/"):
        if not part:
            continue
        fields = part.split(":")
        key = fields[0]
        if key in ("job", "replica", "task") and len(fields) == 2:
            if key != "job":
                _device_index(fields[1], spec)
        elif key == "device" and len(fields) == 3:
            _device_index(fields[2], spec)
        elif key.lower() in _DEVICE_TYPES and len(fields) <= 2:
            if len(fields) == 2:
                _device_index(fields[1], spec)
        else:
            raise ValueError(f"Unknown attribute {key!r} is encountered while parsing the "
                             f"device spec: {spec!r}.\nhint: write devices as '/cpu:0', "
                             f"'GPU:1' or '/job:localhost/replica:0/task:0/device:CPU:0'.")


def _device_index(text: str, spec: str) -> None:
    if text != "*":
        try:
            int(text)
        except ValueError:
            raise ValueError(f"invalid device index {text!r} in the device spec {spec!r}.\n"
                             f"hint: indices are integers (or '*'), e.g. '/gpu:0'.") from None


class device:  # noqa: N801 - TensorFlow's name
    """Accepts a device placement (`with tf.device("/cpu:0"):`); rill computes on the CPU,
    so the block runs unchanged. The string is checked as TensorFlow parses it.

    >>> with tf.device("/cpu:0"):
    ...     float(tf.constant(1.0) + 1)
    2.0
    """

    __slots__ = ("_spec",)

    def __init__(self, device_name):
        if device_name is not None and not isinstance(device_name, str):
            if hasattr(device_name, "to_string"):  # a DeviceSpec
                device_name = device_name.to_string()
            elif callable(device_name):
                raise RuntimeError("tf.device does not support functions.\nhint: pass a "
                                   "device string such as '/cpu:0'.")
            else:
                raise ValueError(f"Expecting a string device name. Got "
                                 f"{type(device_name)}({device_name!r})\nhint: pass a device "
                                 f"string such as '/cpu:0'.")
        if device_name:
            _check_device(device_name)
        self._spec = device_name

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


class control_dependencies:  # noqa: N801 - TensorFlow's name
    """Accepts control inputs (`with tf.control_dependencies([update]):`) and runs the block
    unchanged.

    Eager code runs in program order. In a traced function rill keeps every stateful op
    (variable update, print, assert) in program order and never prunes it, so the ops
    created inside the block already run after the ones listed.
    """

    __slots__ = ()

    def __init__(self, control_inputs):
        if control_inputs is not None and not isinstance(control_inputs, (list, tuple)):
            try:
                iter(control_inputs)
            except TypeError:
                raise TypeError(f"tf.control_dependencies: control_inputs must be a list of "
                                f"tensors or operations (or None), got "
                                f"{type(control_inputs).__name__}.\nhint: wrap it in a list: "
                                f"tf.control_dependencies([op]).") from None

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


# -- static values -------------------------------------------------------------------------
def get_static_value(tensor, partial: bool = False):
    """The value of `tensor` as a NumPy array when it is known without running a graph,
    else None: an eager tensor's value, a traced constant (or the shape of a tensor whose
    shape is static). Values that are not tensors are returned as they are.

    >>> tf.get_static_value(tf.constant([1, 2]))
    array([1, 2], dtype=int32)
    """
    from rill._core.graph import GraphTensor, constant_value
    from rill._core.tensor import Tensor

    if getattr(tensor, "_is_variable", False):
        return None
    if not isinstance(tensor, Tensor):
        return tensor
    if isinstance(tensor, GraphTensor):
        op = tensor.op
        if op.type in ("Shape", "Size", "Rank"):
            return _static_shape_value(op.type, op.inputs[0], tensor.dtype)
        value = constant_value(tensor)
        return None if value is None else np.asarray(value)
    return tensor.numpy()


def _static_shape_value(kind: str, x, dtype):
    shape = x.shape
    if kind == "Rank":
        return None if shape.rank is None else np.array(shape.rank, dtype=dtype._np)
    if not shape.is_fully_defined():
        return None
    dims = shape.as_list()
    if kind == "Size":
        return np.array(int(np.prod(dims)), dtype=dtype._np)
    return np.array(dims, dtype=dtype._np)


__tf_names__ = {
    "tf": "control_dependencies device get_current_name_scope get_static_value inside_function "
          "name_scope",
}
