"""Readable stand-ins for TensorFlow's `GraphDef`, `NodeDef` and `FunctionDef` protos.

They carry the fields that code reads (`node`, and per node `name`, `op`, `input`, `device`,
`attr`; a function's `signature` with `input_arg`/`output_arg`, `node_def` and `ret`) and
print in the protobuf text format TensorFlow prints. rill has no protobufs: attributes are
plain Python values, shown in the proto's notation where one exists.
"""

from __future__ import annotations

import numpy as np

_DT = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "float16": "DT_HALF",
       "string": "DT_STRING", "resource": "DT_RESOURCE", "variant": "DT_VARIANT"}
# TensorFlow's DataType enum (types.proto)
_ENUM = {n: i for i, n in enumerate(
    "INVALID FLOAT DOUBLE INT32 UINT8 INT16 INT8 STRING COMPLEX64 INT64 BOOL QINT8 QUINT8 "
    "QINT32 BFLOAT16 QINT16 QUINT16 UINT16 COMPLEX128 HALF RESOURCE VARIANT UINT32 "
    "UINT64".split())}


class DataType(int):
    """A DataType enum value (`== 1` for DT_FLOAT, as TensorFlow's protos hold it) whose
    str() is its name."""

    def __new__(cls, name: str):
        self = int.__new__(cls, _ENUM.get(name[3:], 0))
        self.name = name
        return self

    def __str__(self) -> str:
        return self.name

    __repr__ = int.__repr__


def dt_name(dtype) -> DataType:
    """TensorFlow's enum of a dtype (`DT_FLOAT`, 1, for float32)."""
    name = getattr(dtype, "name", str(dtype))
    return DataType(_DT.get(name, "DT_" + name.upper()))


class _Proto:
    """A message: fields in order; `str()` is the text format."""

    _fields: tuple = ()

    def _lines(self, indent: str) -> list:
        out = []
        for field in self._fields:
            value = getattr(self, field)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, _Proto):
                    out.append(f"{indent}{field} {{")
                    out += item._lines(indent + "  ")
                    out.append(f"{indent}}}")
                elif isinstance(item, dict):
                    for k, v in item.items():
                        out += [f"{indent}{field} {{", f'{indent}  key: "{k}"']
                        out += _value_lines(v, indent + "  ", k)
                        out.append(f"{indent}}}")
                elif not (item is None or item is False or item == ""):
                    out.append(f"{indent}{field}: {_scalar(item)}")
        return out

    def __str__(self) -> str:
        return "\n".join(self._lines("")) + "\n"

    def __repr__(self) -> str:
        return str(self)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, DataType):
        return v.name
    if isinstance(v, (str, bytes)):
        text = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def _value_lines(v, indent: str, key: str) -> list:
    """An AttrValue: `value { type: DT_FLOAT }`, `value { i: 3 }`, ..."""
    inner = indent + "  "
    if hasattr(v, "_kind") and hasattr(v, "_np"):  # a DType
        body = [f"{inner}type: {dt_name(v)}"]
    elif isinstance(v, bool):
        body = [f"{inner}b: {_scalar(v)}"]
    elif isinstance(v, (int, np.integer)):
        body = [f"{inner}i: {int(v)}"]
    elif isinstance(v, (float, np.floating)) and np.ndim(v) == 0 and key != "value":
        body = [f"{inner}f: {float(v)!r}"]
    elif isinstance(v, (str, bytes)):
        body = [f"{inner}s: {_scalar(v)}"]
    elif hasattr(v, "as_list") and hasattr(v, "rank"):  # a TensorShape
        body = [f"{inner}shape {{"] + _shape_lines(v, inner + "  ") + [f"{inner}}}"]
    elif isinstance(v, (np.ndarray, np.generic)):
        body = [f"{inner}tensor {{"] + _tensor_lines(np.asarray(v), inner + "  ") + \
            [f"{inner}}}"]
    elif isinstance(v, (list, tuple)) and all(isinstance(x, (int, np.integer)) and
                                               not isinstance(x, bool) for x in v):
        body = [f"{inner}list {{"] + [f"{inner}  i: {int(x)}" for x in v] + [f"{inner}}}"]
    else:
        text = getattr(v, "name", None) if hasattr(v, "_is_variable") else None
        body = [f"{inner}s: {_scalar(text or repr(v))}"]
    return [f"{indent}value {{", *body, f"{indent}}}"]


def _shape_lines(shape, indent: str) -> list:
    if shape.rank is None:
        return [f"{indent}unknown_rank: true"]
    out = []
    for d in shape.as_list():
        out += [f"{indent}dim {{", f"{indent}  size: {-1 if d is None else d}",
                f"{indent}}}"]
    return out


def _tensor_lines(a: np.ndarray, indent: str) -> list:
    from rill._core.dtypes import from_numpy
    from rill._core.tensor_shape import TensorShape
    try:
        dtype = dt_name(from_numpy(a.dtype))
    except (TypeError, ValueError, KeyError):
        dtype = "DT_INVALID"
    out = [f"{indent}dtype: {dtype}", f"{indent}tensor_shape {{"]
    out += _shape_lines(TensorShape(list(a.shape)), indent + "  ") + [f"{indent}}}"]
    if a.size <= 8:
        kind = {"f": "float_val", "i": "int_val", "u": "int_val", "b": "bool_val",
                "c": "scomplex_val", "O": "string_val", "S": "string_val"}.get(a.dtype.kind)
        if kind == "float_val" and a.dtype == np.float64:
            kind = "double_val"
        if kind is not None:
            for x in a.reshape(-1).tolist():
                out.append(f"{indent}{kind}: {_scalar(x) if kind != 'float_val' else _g(x)}")
    return out


def _g(x: float) -> str:
    return f"{x:g}"


class NodeDef(_Proto):
    """One operation: `name`, `op` (its type), `input` (`"name"`, `"name:1"`, `"^name"`),
    `device` and `attr` (name -> value)."""

    _fields = ("name", "op", "input", "device", "attr")

    def __init__(self, name: str, op: str, input: list, attr: dict, device: str = ""):
        self.name = name
        self.op = op
        self.input = input
        self.device = device
        self.attr = attr


class VersionDef(_Proto):
    _fields = ("producer",)

    def __init__(self, producer: int = 0):
        self.producer = producer


class GraphDef(_Proto):
    """A graph as data: `node` (a list of NodeDef, in creation order) and `versions`."""

    _fields = ("node", "versions")

    def __init__(self, node: list):
        self.node = node
        self.versions = VersionDef()


class ArgDef(_Proto):
    _fields = ("name", "type")

    def __init__(self, name: str, type: str):
        self.name = name
        self.type = type


class OpDefProto(_Proto):
    """A function's signature: `name`, `input_arg`, `output_arg` (each with name and type)."""

    _fields = ("name", "input_arg", "output_arg", "is_stateful")

    def __init__(self, name: str, input_arg: list, output_arg: list, is_stateful: bool):
        self.name = name
        self.input_arg = input_arg
        self.output_arg = output_arg
        self.is_stateful = is_stateful


class FunctionDef(_Proto):
    """A traced function as data: `signature`, `node_def` and `ret` (output name -> the
    tensor it returns)."""

    _fields = ("signature", "node_def", "ret")

    def __init__(self, signature: OpDefProto, node_def: list, ret: dict):
        self.signature = signature
        self.node_def = node_def
        self.ret = ret


def tensor_ref(t) -> str:
    """How a NodeDef names an input: `op` for output 0, `op:i` otherwise."""
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def node_def(op) -> NodeDef:
    """The NodeDef of a graph operation (attributes in TensorFlow's notation)."""
    attr: dict = {}
    if op.type == "Placeholder":
        t = op.outputs[0]
        attr = {"dtype": t.dtype, "shape": t.shape}
    elif op.type == "Const":
        attr = {"value": op.attrs["value"], "dtype": op.outputs[0].dtype}
    else:
        if op.inputs:
            attr["T"] = op.inputs[0].dtype
        for k, v in op.attrs.items():
            attr[k] = v
    inputs = [tensor_ref(x) for x in op.inputs]
    inputs += ["^" + c.name for c in getattr(op, "control_inputs", ()) or ()
               if hasattr(c, "name")]
    return NodeDef(op.name, op.type, inputs, attr)


def graph_def(graph) -> GraphDef:
    return GraphDef([node_def(op) for op in graph.operations])
