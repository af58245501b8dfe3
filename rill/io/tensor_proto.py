"""`tf.io.serialize_tensor` / `tf.io.parse_tensor`: a tensor as a serialized TensorProto,
byte-compatible with TensorFlow (numbers as little-endian `tensor_content`, strings as
`string_val`)."""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.io._protos import DATA_TYPES, message

_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
         "string": 7, "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14, "uint16": 17,
         "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23}
_NAME = {v: k for k, v in _ENUM.items()}
_VALS = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
         "uint8": "int_val", "int16": "int_val", "int8": "int_val", "int64": "int64_val",
         "bool": "bool_val", "uint16": "int_val", "uint32": "uint32_val",
         "uint64": "uint64_val", "float16": "half_val", "bfloat16": "half_val"}


def to_proto(value: np.ndarray, dtype):
    p = message("TensorProto")()
    p.dtype = _ENUM[dtype.name]
    p.tensor_shape.SetInParent()  # TensorFlow always writes the shape, even a scalar's
    for d in np.shape(value):
        p.tensor_shape.dim.add().size = d
    a = np.asarray(value)
    if dtype is _dtypes.string:
        p.string_val.extend(x.encode() if isinstance(x, str) else bytes(x)
                            for x in a.reshape(-1))
    else:
        p.tensor_content = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return p


def from_proto(p, out_type=None) -> np.ndarray:
    name = _NAME.get(p.dtype)
    if name is None:
        raise InvalidArgumentError(None, "ParseTensor", f"Unsupported TensorProto dtype "
                                   f"{p.dtype} ({_dtype_name(p.dtype)}).")
    dtype = _dtypes.as_dtype(name)
    if out_type is not None and dtype is not out_type:
        raise InvalidArgumentError(None, "ParseTensor", f"Type mismatch between parsed tensor "
                                   f"({dtype.name}) and dtype ({out_type.name})\nhint: pass "
                                   f"out_type={dtype.name}.")
    shape = [d.size for d in p.tensor_shape.dim]
    n = int(np.prod(shape))
    if dtype is _dtypes.string:
        vals = list(p.string_val)
        out = np.empty(len(vals), dtype=object)
        out[:] = vals
    elif p.tensor_content:
        out = np.frombuffer(p.tensor_content, dtype=np.dtype(dtype._np).newbyteorder("<"))
        out = out.astype(dtype._np)
    else:
        field = _VALS.get(name)
        vals = list(getattr(p, field)) if field else []
        if name in ("float16", "bfloat16"):
            out = np.array(vals, dtype=np.uint16).view(dtype._np)
        elif name.startswith("complex"):
            v = np.array(list(getattr(p, "scomplex_val" if name == "complex64"
                                      else "dcomplex_val")), dtype=np.float64)
            out = (v[0::2] + 1j * v[1::2]).astype(dtype._np)
        else:
            out = np.array(vals, dtype=dtype._np)
    if out.size == 1 and n != 1:  # a single value fills the shape
        out = np.full(n, out[0], dtype=out.dtype)
    elif out.size == 0 and n:
        out = np.zeros(n, dtype=out.dtype) if dtype is not _dtypes.string \
            else np.full(n, b"", dtype=object)
    if out.size != n:
        raise InvalidArgumentError(None, "ParseTensor", f"TensorProto has {out.size} values "
                                   f"for shape {shape}.")
    return out.reshape(shape)


def _dtype_name(n: int) -> str:
    return next((k for k, v in DATA_TYPES.items() if v == n), "unknown")


def _serialize_kernel(t, *, dtype):
    return np.array(to_proto(t, dtype).SerializeToString(), dtype=object)


def _parse_kernel(s, *, out_type):
    p = message("TensorProto")()
    try:
        p.ParseFromString(np.asarray(s).item())
    except Exception:  # noqa: BLE001
        raise InvalidArgumentError(None, "ParseTensor", "Could not parse `serialized` as "
                                   "TensorProto.") from None
    out = from_proto(p, out_type)
    return out[()] if out.ndim == 0 and out.dtype != object else out


SERIALIZE = defop("SerializeTensor", _serialize_kernel,
                  lambda t, *, dtype: (TensorShape([]), _dtypes.string), grad=None,
                  public_name="tf.io.serialize_tensor")
PARSE = defop("ParseTensor", _parse_kernel,
              lambda s, *, out_type: (TensorShape(None), out_type), grad=None,
              public_name="tf.io.parse_tensor")


def serialize_tensor(tensor, name=None):
    """The tensor as a serialized TensorProto (a scalar string tensor)."""
    t = convert_to_tensor(tensor)
    return execute(SERIALIZE, (t,), {"dtype": t.dtype})


def parse_tensor(serialized, out_type, name=None):
    """The tensor of a serialized TensorProto (`out_type` must be its dtype).

    >>> s = tf.io.serialize_tensor(tf.constant([1.5, 2.0]))
    >>> tf.io.parse_tensor(s, tf.float32).numpy().tolist()
    [1.5, 2.0]
    """
    return execute(PARSE, (convert_to_tensor(serialized, dtype=_dtypes.string),),
                   {"out_type": _dtypes.as_dtype(out_type)})
