"""`tf.io.parse_single_example`, `parse_example`, `parse_single_sequence_example` and the
feature configurations (`FixedLenFeature`, `FixedLenSequenceFeature`, `VarLenFeature`).

Parsing is an op (`ParseExampleV2`, `ParseSingleSequenceExample`) whose kernel decodes the
protocol buffers, so it traces inside `Dataset.map` and runs there on each record.

In `parse_single_example`/`parse_example`, VarLenFeature gives a `tf.SparseTensor` (indices
[n, 1] for one example, [n, 2] for a batch, whose dense shape is [batch, longest]) and
RaggedFeature (without `partitions`) a dense 1-D tensor for one example and a
`tf.RaggedTensor` for a batch, as TensorFlow does: the op returns their component tensors and
they are assembled afterwards. In `parse_single_sequence_example`, VarLenFeature still gives
the dense equivalent (`tf.sparse.to_dense` of TensorFlow's result, padded with 0 or b"").
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.io._protos import message


class FixedLenFeature(namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature of a fixed number of values, parsed to a tensor of `shape`."""

    __slots__ = ()

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(namedtuple("FixedLenSequenceFeature",
                                         ["shape", "dtype", "allow_missing", "default_value"])):
    """A feature with any number of values, each group of `shape` one step: [n] + shape."""

    __slots__ = ()

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(namedtuple("VarLenFeature", ["dtype"])):
    """A feature with any number of values, parsed to a `tf.SparseTensor`."""

    __slots__ = ()


class RaggedFeature(namedtuple("RaggedFeature", ["dtype", "value_key", "partitions",
                                               "row_splits_dtype", "validate"])):
    """A feature with any number of values, parsed to a `tf.RaggedTensor` (for a batch;
    one example gives a 1-D tensor). `partitions` are not supported."""

    __slots__ = ()

    def __new__(cls, dtype, value_key=None, partitions=(), row_splits_dtype=_dtypes.int32,
                validate=False):
        if partitions:
            raise NotImplementedError("tf.io.RaggedFeature: `partitions` are not supported "
                                      "in rill.\nhint: parse the values and row lengths as "
                                      "separate features and build the RaggedTensor with "
                                      "tf.RaggedTensor.from_row_lengths.")
        return super().__new__(cls, dtype, value_key, tuple(partitions),
                               _dtypes.as_dtype(row_splits_dtype), validate)


_KINDS = {"int64": "int64_list", "float32": "float_list", "string": "bytes_list"}
_KIND_NAMES = {"int64_list": "int64", "float_list": "float", "bytes_list": "string"}


def _config(key, cfg) -> tuple:
    """(kind, dtype, shape tuple or None, default array or None, allow_missing)."""
    dtype = _dtypes.as_dtype(cfg.dtype)
    if dtype.name not in _KINDS:
        raise ValueError(f"Invalid dtype {dtype.name} for feature {key!r}: features are "
                         f"int64, float32 or string.")
    if isinstance(cfg, RaggedFeature):
        # shape slot: (key of the values, row-splits dtype name)
        return ("ragged", dtype, (cfg.value_key or key, cfg.row_splits_dtype.name), None,
                True)
    if isinstance(cfg, VarLenFeature):
        return ("var", dtype, None, None, True)
    shape = tuple(TensorShape(cfg.shape).as_list())
    if any(d is None for d in shape):
        raise ValueError(f"Feature {key!r}: the shape {list(shape)} of a FixedLenFeature must "
                         f"be fully defined.\nhint: use FixedLenSequenceFeature or "
                         f"VarLenFeature for variable lengths.")
    default = None
    if cfg.default_value is not None:
        d = convert_to_tensor(cfg.default_value, dtype=dtype)._value
        n = int(np.prod(shape))
        default = np.broadcast_to(d, shape) if d.size == 1 else np.reshape(d, shape) \
            if d.size == n else None
        if default is None:
            raise ValueError(f"Feature {key!r}: default_value has {d.size} values but the "
                             f"shape {list(shape)} needs {n}.")
    if isinstance(cfg, FixedLenSequenceFeature):
        return ("seq", dtype, shape, default, bool(cfg.allow_missing))
    return ("fixed", dtype, shape, default, False)


def _values(feature, key: str, dtype) -> np.ndarray:
    kind = feature.WhichOneof("kind")
    want = _KINDS[dtype.name]
    if kind is None:
        return np.zeros(0, dtype=object if dtype is _dtypes.string else dtype._np)
    if kind != want:
        raise InvalidArgumentError(
            None, "ParseExampleV2",
            f"Key: {key}.  Data types don't match. Data type: {_KIND_NAMES[kind]} but "
            f"expected type: {_KIND_NAMES[want]}\nhint: declare the feature with the dtype "
            f"it was written with.")
    values = getattr(feature, kind).value
    if dtype is _dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    return np.array(values, dtype=dtype._np)


def _empty(dtype, shape):
    if dtype is _dtypes.string:
        return np.full(shape, b"", dtype=object)
    return np.zeros(shape, dtype=dtype._np)


def _one(features, key: str, cfg: tuple, where: str):
    kind, dtype, shape, default, allow_missing = cfg
    if kind == "ragged":
        kind, key, shape = "var", shape[0], None
    if key not in features:
        if kind == "var" or (kind == "seq" and allow_missing):
            return _empty(dtype, [0] + list(shape or ()))
        if default is not None:
            return np.array(default)
        raise InvalidArgumentError(
            None, "ParseExampleV2",
            f"Feature: {key} (data type: {dtype.name}) is required but could not be found.\n"
            f"hint: give the FixedLenFeature a default_value, or check the feature name"
            f"{where}.")
    v = _values(features[key], key, dtype)
    if kind == "var":
        return v
    n = int(np.prod(shape))
    if kind == "seq":
        if n == 0 or len(v) % n:
            raise InvalidArgumentError(
                None, "ParseExampleV2",
                f"Key: {key}.  Number of values is not a multiple of the step shape "
                f"{list(shape)} ({len(v)} values).")
        return v.reshape((-1,) + shape)
    if len(v) != n:
        raise InvalidArgumentError(
            None, "ParseExampleV2",
            f"Key: {key}.  Can't parse serialized Example: Some {_KINDS[dtype.name]} slice "
            f"was not parsed.\nhint: the feature has {len(v)} values but the "
            f"FixedLenFeature's shape {list(shape)} needs {n}.")
    return v.reshape(shape)


def _padded(rows: list, dtype, fill=None):
    """Rows of different lengths (first dimension) padded into one array."""
    longest = max((len(r) for r in rows), default=0)
    tail = rows[0].shape[1:] if rows else ()
    out = _empty(dtype, [len(rows), longest, *tail])
    if fill is not None:
        out[...] = fill
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def _parse(data, serialized_example):
    ex = message("Example")()
    try:
        ex.ParseFromString(data)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError
        raise InvalidArgumentError(None, "ParseExampleV2", "Could not parse example input, "
                                   f"value: '{data[:40]!r}'\nhint: the record is not a "
                                   f"serialized tf.train.Example.") from None
    return ex.features.feature


def _as_bytes(x):
    return x.encode() if isinstance(x, str) else bytes(x)


def _example_kernel(serialized, *, keys, configs, batched):
    if not batched:
        feats = _parse(_as_bytes(np.asarray(serialized).item()), True)
        out = []
        for k, c in zip(keys, configs):
            v = _one(feats, k, c, "")
            if c[0] == "var":   # SparseTensor components
                out.extend([np.arange(len(v), dtype=np.int64)[:, None], v,
                            np.array([len(v)], np.int64)])
            else:
                out.append(v)
        return tuple(out)
    records = np.asarray(serialized, dtype=object).reshape(-1)
    parsed = [_parse(_as_bytes(r), True) for r in records]
    out = []
    for k, c in zip(keys, configs):
        rows = [_one(f, k, c, f" (example {i})") for i, f in enumerate(parsed)]
        if c[0] in ("var", "ragged"):
            lens = np.array([len(r) for r in rows], np.int64)
            values = np.concatenate(rows) if rows else _empty(c[1], [0])
            if c[0] == "ragged":   # RaggedTensor components
                out.extend([values, np.concatenate([[0], np.cumsum(lens)]).astype(c[2][1])])
            else:                  # SparseTensor components
                idx = np.stack([np.repeat(np.arange(len(rows), dtype=np.int64), lens),
                                np.concatenate([np.arange(n, dtype=np.int64) for n in lens])
                                if rows else np.zeros(0, np.int64)], axis=1)
                out.extend([idx, values, np.array([len(rows), lens.max(initial=0)],
                                                  np.int64)])
        elif c[0] == "fixed":
            out.append(np.stack(rows) if rows else _empty(c[1], [0, *c[2]]))
        else:
            out.append(_padded(rows, c[1], c[3] if c[0] == "seq" else None)
                       if rows else _empty(c[1], [0, 0, *(c[2] or ())]))
    return tuple(out)


def _out_shape(cfg: tuple, batch) -> TensorShape:
    kind, _, shape, _, _ = cfg
    dims = list(shape) if kind == "fixed" else [None] + list(shape or ())
    return TensorShape(([batch] if batch is not False else []) + dims)


def _example_rule(serialized, *, keys, configs, batched):
    batch = False
    if batched:
        batch = serialized.shape[0] if serialized.shape.rank else None
    out = []
    for c in configs:
        if c[0] == "var":
            r = 2 if batched else 1
            out.extend([(TensorShape([None, r]), _dtypes.int64), (TensorShape([None]), c[1]),
                        (TensorShape([r]), _dtypes.int64)])
        elif c[0] == "ragged":
            out.append((TensorShape([None]), c[1]))
            if batched:
                out.append((TensorShape([None if batch is None else batch + 1]),
                            _dtypes.as_dtype(c[2][1])))
        else:
            out.append((_out_shape(c, batch), c[1]))
    return out


def _assemble(keys, configs, out, batched) -> dict:
    """The op's flat outputs -> {key: tensor, SparseTensor or RaggedTensor}."""
    from rill.ops.ragged.ragged_tensor import RaggedTensor
    from rill.ops.sparse_ops import SparseTensor
    it = iter(out)
    result = {}
    for k, c in zip(keys, configs):
        if c[0] == "var":
            result[k] = SparseTensor._from_parts(next(it), next(it), next(it))
        elif c[0] == "ragged" and batched:
            values = next(it)
            result[k] = RaggedTensor(values, next(it), internal=True)
        else:
            result[k] = next(it)
    return result


PARSE_EXAMPLE = defop("ParseExampleV2", _example_kernel, _example_rule, grad=None,
                      num_outputs=None, public_name="tf.io.parse_example")


def _prepare(features: dict, what: str):
    if not isinstance(features, dict) or not features:
        raise ValueError(f"{what}: `features` must be a non-empty dict of feature "
                         f"configurations (tf.io.FixedLenFeature, VarLenFeature, ...).")
    keys = tuple(sorted(features))
    return keys, tuple(_config(k, features[k]) for k in keys)


def parse_single_example(serialized, features, name=None, example_names=None) -> dict:
    """Parses one serialized tf.train.Example into a dict of tensors.

    >>> ex = tf.train.Example(features=tf.train.Features(feature={
    ...     "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.5, 2.0]))}))
    >>> out = tf.io.parse_single_example(ex.SerializeToString(),
    ...                                  {"x": tf.io.FixedLenFeature([2], tf.float32)})
    >>> out["x"].numpy().tolist()
    [1.5, 2.0]
    """
    keys, configs = _prepare(features, "parse_single_example")
    s = convert_to_tensor(serialized, dtype=_dtypes.string)
    if s.shape.rank not in (0, None):
        raise ValueError(f"parse_single_example: `serialized` must be a scalar, got shape "
                         f"{s.shape}.\nhint: use tf.io.parse_example for a batch.")
    out = execute(PARSE_EXAMPLE, (s,), {"keys": keys, "configs": configs, "batched": False})
    return _assemble(keys, configs, out, False)


def parse_example(serialized, features, name=None, example_names=None) -> dict:
    """Parses a batch (1-D) of serialized tf.train.Examples into a dict of batched tensors."""
    keys, configs = _prepare(features, "parse_example")
    s = convert_to_tensor(serialized, dtype=_dtypes.string)
    if s.shape.rank not in (1, None):
        raise ValueError(f"parse_example: `serialized` must be a vector, got shape {s.shape}."
                         f"\nhint: use tf.io.parse_single_example for one record.")
    out = execute(PARSE_EXAMPLE, (s,), {"keys": keys, "configs": configs, "batched": True})
    return _assemble(keys, configs, out, True)


def _sequence_kernel(serialized, *, ckeys, cconfigs, skeys, sconfigs):
    msg = message("SequenceExample")()
    try:
        msg.ParseFromString(_as_bytes(np.asarray(serialized).item()))
    except Exception:  # noqa: BLE001
        raise InvalidArgumentError(None, "ParseSingleSequenceExample", "Could not parse "
                                   "example input: not a serialized tf.train.SequenceExample."
                                   ) from None
    ctx = msg.context.feature
    out = [_one(ctx, k, c, " (context)") for k, c in zip(ckeys, cconfigs)]
    lists = msg.feature_lists.feature_list
    for k, (kind, dtype, shape, _, allow_missing) in zip(skeys, sconfigs):
        if k not in lists:
            if not allow_missing and kind != "var":
                raise InvalidArgumentError(
                    None, "ParseSingleSequenceExample",
                    f"Name: <unknown>, Feature list '{k}' is required but could not be found."
                    f"\nhint: FixedLenSequenceFeature(..., allow_missing=True) accepts a "
                    f"missing list.")
            steps = []
        else:
            steps = [_values(f, k, dtype) for f in lists[k].feature]
        if kind == "var":
            out.append(_padded(steps, dtype) if steps else _empty(dtype, [0, 0]))
            continue
        n = int(np.prod(shape))
        for i, v in enumerate(steps):
            if len(v) != n:
                raise InvalidArgumentError(
                    None, "ParseSingleSequenceExample",
                    f"Name: <unknown>, Key: {k}, Index: {i}.  Number of values != expected.  "
                    f"values size: {len(v)} but output shape: {list(shape)}")
        out.append(np.stack([v.reshape(shape) for v in steps]) if steps
                   else _empty(dtype, [0, *shape]))
    return tuple(out)


def _sequence_rule(serialized, *, ckeys, cconfigs, skeys, sconfigs):
    ctx = [(_out_shape(c, False), c[1]) for c in cconfigs]
    seq = [(TensorShape([None, None]) if c[0] == "var" else TensorShape([None, *c[2]]), c[1])
           for c in sconfigs]
    return ctx + seq


PARSE_SEQUENCE = defop("ParseSingleSequenceExample", _sequence_kernel, _sequence_rule,
                       grad=None, num_outputs=None,
                       public_name="tf.io.parse_single_sequence_example")


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """Parses one serialized tf.train.SequenceExample: (context dict, sequence dict).
    Sequence features are FixedLenSequenceFeature ([steps] + shape) or VarLenFeature
    (dense, padded: [steps, longest])."""
    ck, cc = _prepare(context_features, "context_features") if context_features else ((), ())
    sk, sc = _prepare(sequence_features, "sequence_features") if sequence_features \
        else ((), ())
    for c in sc + cc:
        if c[0] == "ragged":
            raise NotImplementedError("parse_single_sequence_example: RaggedFeature is not "
                                      "supported.\nhint: use VarLenFeature.")
    for k, c in zip(sk, sc):
        if c[0] == "fixed":
            raise ValueError(f"sequence feature {k!r}: use FixedLenSequenceFeature or "
                             f"VarLenFeature for feature lists, not FixedLenFeature.")
    s = convert_to_tensor(serialized, dtype=_dtypes.string)
    out = execute(PARSE_SEQUENCE, (s,), {"ckeys": ck, "cconfigs": cc, "skeys": sk,
                                         "sconfigs": sc})
    out = list(out)
    return dict(zip(ck, out[:len(ck)])), dict(zip(sk, out[len(ck):]))
