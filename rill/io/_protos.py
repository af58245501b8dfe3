"""TensorFlow's protocol buffers for data: tf.train.Example and friends, and TensorProto.

The messages are real protocol buffers of the `protobuf` package (optional extra:
`pip install rill[data]`): their descriptors are declared here in Python, as the
.proto files `tensorflow/core/example/{feature,example}.proto` and
`tensorflow/core/framework/{tensor,tensor_shape,types}.proto` define them (field numbers
and types are the wire format), and the classes are built at first use in a private
descriptor pool, so no protoc runs at install and nothing clashes with another copy of
the same messages. Bytes written by either side parse on the other.
"""

from __future__ import annotations

_classes: dict = {}

# name -> [(field, number, type, label, message type or None, packed)]
_T = {"bytes": 12, "float": 2, "int64": 3, "string": 9, "message": 11, "int32": 5,
      "double": 1, "bool": 8, "enum": 14, "uint32": 13, "uint64": 4}
_OPT, _REP = 1, 3

_EXAMPLE = {
    "BytesList": [("value", 1, "bytes", _REP, None)],
    "FloatList": [("value", 1, "float", _REP, None)],
    "Int64List": [("value", 1, "int64", _REP, None)],
    "Feature": [("bytes_list", 1, "message", _OPT, "BytesList"),
                ("float_list", 2, "message", _OPT, "FloatList"),
                ("int64_list", 3, "message", _OPT, "Int64List")],
    "Features": [("feature", 1, "map", _REP, "Feature")],
    "FeatureList": [("feature", 1, "message", _REP, "Feature")],
    "FeatureLists": [("feature_list", 1, "map", _REP, "FeatureList")],
    "Example": [("features", 1, "message", _OPT, "Features")],
    "SequenceExample": [("context", 1, "message", _OPT, "Features"),
                        ("feature_lists", 2, "message", _OPT, "FeatureLists")],
}

_TENSOR = {
    "TensorShapeProto": [("dim", 2, "message", _REP, "TensorShapeProto.Dim"),
                         ("unknown_rank", 3, "bool", _OPT, None)],
    "TensorShapeProto.Dim": [("size", 1, "int64", _OPT, None),
                             ("name", 2, "string", _OPT, None)],
    "TensorProto": [("dtype", 1, "enum", _OPT, "DataType"),
                    ("tensor_shape", 2, "message", _OPT, "TensorShapeProto"),
                    ("version_number", 3, "int32", _OPT, None),
                    ("tensor_content", 4, "bytes", _OPT, None),
                    ("half_val", 13, "int32", _REP, None),
                    ("float_val", 5, "float", _REP, None),
                    ("double_val", 6, "double", _REP, None),
                    ("int_val", 7, "int32", _REP, None),
                    ("string_val", 8, "bytes", _REP, None),
                    ("scomplex_val", 9, "float", _REP, None),
                    ("int64_val", 10, "int64", _REP, None),
                    ("bool_val", 11, "bool", _REP, None),
                    ("dcomplex_val", 12, "double", _REP, None),
                    ("uint32_val", 16, "uint32", _REP, None),
                    ("uint64_val", 17, "uint64", _REP, None)],
}

# tensorflow/core/framework/types.proto
DATA_TYPES = {"DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4,
              "DT_INT16": 5, "DT_INT8": 6, "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9,
              "DT_BOOL": 10, "DT_QINT8": 11, "DT_QUINT8": 12, "DT_QINT32": 13,
              "DT_BFLOAT16": 14, "DT_QINT16": 15, "DT_QUINT16": 16, "DT_UINT16": 17,
              "DT_COMPLEX128": 18, "DT_HALF": 19, "DT_RESOURCE": 20, "DT_VARIANT": 21,
              "DT_UINT32": 22, "DT_UINT64": 23}


def _require():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        raise ImportError(
            "tf.train.Example, tf.io.parse_example and tf.io.serialize_tensor need the "
            "`protobuf` package.\nhint: pip install 'rill[data]' (or pip install protobuf)."
        ) from None
    return descriptor_pb2, descriptor_pool, message_factory


def _add_messages(fdp, messages: dict, descriptor_pb2) -> None:
    F = descriptor_pb2.FieldDescriptorProto
    made: dict = {}
    for name, fields in messages.items():
        parent, _, leaf = name.rpartition(".")
        msg = (made[parent].nested_type.add() if parent else fdp.message_type.add())
        msg.name = leaf
        made[name] = msg
        oneof = name == "Feature"
        if oneof:
            msg.oneof_decl.add().name = "kind"
        for fname, number, ftype, label, ref in fields:
            f = msg.field.add()
            f.name, f.number = fname, number
            f.label = label
            if oneof:
                f.oneof_index = 0
            if ftype == "map":  # map<string, ref>: a repeated nested entry message
                entry = msg.nested_type.add()
                entry.name = "".join(p.capitalize() for p in fname.split("_")) + "Entry"
                entry.options.map_entry = True
                k = entry.field.add()
                k.name, k.number, k.label, k.type = "key", 1, _OPT, F.TYPE_STRING
                v = entry.field.add()
                v.name, v.number, v.label, v.type = "value", 2, _OPT, F.TYPE_MESSAGE
                v.type_name = f".tensorflow.{ref}"
                f.type = F.TYPE_MESSAGE
                f.type_name = f".tensorflow.{name}.{entry.name}"
                continue
            f.type = _T[ftype]
            if ref is not None:
                f.type_name = f".tensorflow.{ref}"
            if label == _REP and ftype not in ("bytes", "string", "message"):
                f.options.packed = True


def _build() -> None:
    descriptor_pb2, descriptor_pool, message_factory = _require()
    fdp = descriptor_pb2.FileDescriptorProto()
    fdp.name = "rill/tensorflow_data.proto"
    fdp.package = "tensorflow"
    fdp.syntax = "proto3"
    enum = fdp.enum_type.add()
    enum.name = "DataType"
    for k, v in DATA_TYPES.items():
        value = enum.value.add()
        value.name, value.number = k, v
    _add_messages(fdp, _EXAMPLE, descriptor_pb2)
    _add_messages(fdp, _TENSOR, descriptor_pb2)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    for name in list(_EXAMPLE) + list(_TENSOR):
        desc = pool.FindMessageTypeByName(f"tensorflow.{name}")
        _classes[name] = message_factory.GetMessageClass(desc)


def message(name: str):
    """The message class `tensorflow.<name>` (Example, Feature, TensorProto, ...)."""
    if not _classes:
        _build()
    return _classes[name]


PUBLIC = ("BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
          "FeatureLists", "Example", "SequenceExample")
