"""`tf.strings` and the base64 ops of `tf.io`: string tensors (NumPy object arrays of
`bytes`) and Unicode text as int32 code points.

Every op here is non-differentiable. Elementwise ops accept RaggedTensors (they map the
flat values); ops that split strings (split, bytes_split, unicode_decode, unicode_split,
ngrams) return RaggedTensors with one more dimension, or a dense vector for a scalar input.
Hashes are TensorFlow's (`rill.ops._hashing`), so buckets agree with TensorFlow's.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import Tensor
from rill._core.tensor import wrap as _wrap
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as m
from rill.ops._util import broadcast_shapes, int_tensor, to_tensor
from rill.ops.array_ops import reshape, shape

_I64 = np.dtype(np.int64)
_I32 = np.dtype(np.int32)
_STRING = _dtypes.string


def _objects(values, like_shape) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(like_shape)


def _map(fn, x: np.ndarray, dtype=object) -> np.ndarray:
    flat = [fn(v) for v in np.asarray(x, dtype=object).reshape(-1)]
    if dtype is object:
        return _objects(flat, np.shape(x))
    return np.array(flat, dtype=dtype).reshape(np.shape(x))


def _strings(x, fn: str, arg: str = "input"):
    """A string tensor argument (RaggedTensors are handled by the callers)."""
    t = to_tensor(x) if isinstance(x, Tensor) or hasattr(x, "_is_variable") else \
        to_tensor(x, dtype=_STRING)
    if t.dtype is not _STRING:
        raise TypeError(f"{fn}: argument {arg} must be a string tensor, got {t.dtype.name}."
                        f"\nhint: tf.strings.as_string(x) formats numbers as strings.")
    return t


def _ragged(x):
    from rill._core.composite import CompositeTensor
    return isinstance(x, CompositeTensor) and hasattr(x, "flat_values")


def _elementwise(fn):
    """Lets an op of one string tensor also take a RaggedTensor (mapping flat values)."""
    def wrapper(input, *args, **kwargs):  # noqa: A002
        if _ragged(input):
            return input.with_flat_values(wrapper(input.flat_values, *args, **kwargs))
        return fn(input, *args, **kwargs)
    wrapper.__name__ = fn.__name__
    wrapper.__qualname__ = fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _same_rule(x, **attrs):
    return x.shape, x.dtype


def _string_rule(x, **attrs):
    return x.shape, _STRING


# -- codecs -------------------------------------------------------------------------------
_CODECS = {"utf8": "utf-8", "utf-8": "utf-8", "utf-16-be": "utf-16-be", "utf16-be": "utf-16-be",
           "utf-32-be": "utf-32-be", "utf32-be": "utf-32-be", "utf-16-le": "utf-16-le",
           "utf-32-le": "utf-32-le", "us-ascii": "ascii", "ascii": "ascii",
           "iso-8859-1": "latin-1", "latin1": "latin-1", "latin-1": "latin-1"}
_OUTPUT_CODECS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")
_ERRORS = ("strict", "replace", "ignore")


def _codec(name: str, fn: str) -> str:
    key = str(name).strip().lower()
    if key in _CODECS:
        return _CODECS[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise InvalidArgumentError(
            None, "UnicodeDecode", f"Could not create converter for input encoding: {name}\n"
            f"{fn}: unknown encoding {name!r}.\nhint: use 'UTF-8', 'UTF-16-BE' or "
            f"'UTF-32-BE'.") from None


def _check_errors(errors: str, fn: str) -> str:
    if errors not in _ERRORS:
        raise ValueError(f"{fn}: errors must be one of {list(_ERRORS)}, got {errors!r}.")
    return errors


_MARK = "\ud800"  # never produced by decoding valid text: stands for one invalid subpart


def _collect_errors(exc):
    _SPANS.append((exc.start, exc.end))
    return _MARK, exc.end


_SPANS: list = []
codecs.register_error("rill_spans", _collect_errors)


def _decode(data: bytes, codec: str, errors: str, replacement: int, controls: bool,
            op: str) -> tuple:
    """(code points, byte offsets) of one string; invalid subparts handled per `errors`."""
    del _SPANS[:]
    text = data.decode(codec, "rill_spans")
    spans = iter(list(_SPANS))
    points, offsets = [], []
    pos = 0
    for ch in text:
        if ch == _MARK:
            start, end = next(spans)
            if errors == "strict":
                raise InvalidArgumentError(
                    None, op, f"Invalid formatting on input string [Op:{op}]\nbytes "
                    f"{start}..{end - 1} of {data!r} are not valid {codec}.\nhint: pass "
                    f"errors='replace' or errors='ignore' to accept malformed text.")
            pos = end
            if errors == "replace":
                points.append(replacement)
                offsets.append(start)
            continue
        c = ord(ch)
        if controls and c < 32:
            c = replacement
        points.append(c)
        offsets.append(pos)
        pos += len(ch.encode(codec, "surrogatepass"))
    return points, offsets


def _valid_point(c: int) -> bool:
    return 0 <= c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF


def _encode(points, codec: str, errors: str, replacement: int, op: str) -> bytes:
    chars = []
    for c in points:
        c = int(c)
        if not _valid_point(c):
            if errors == "strict":
                raise InvalidArgumentError(
                    None, op, f"Invalid code point {c} [Op:{op}]\nUnicode code points lie in "
                    f"[0, 0x10FFFF] outside the surrogates.\nhint: pass errors='replace'.")
            if errors == "ignore":
                continue
            c = replacement
        chars.append(chr(c))
    return "".join(chars).encode(codec)


# -- length --------------------------------------------------------------------------------
def _length_kernel(x, *, unit):
    if unit == "BYTE":
        return _map(len, x, _I32)
    return _map(lambda b: sum(1 for v in b if v & 0xC0 != 0x80), x, _I32)


STRING_LENGTH = defop("StringLength", _length_kernel, lambda x, *, unit: (x.shape, _dtypes.int32),
                      grad=None, public_name="tf.strings.length")


def _unit(unit: str, fn: str) -> str:
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"{fn}: unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}.")
    return unit


@_elementwise
def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of each string in bytes, or in UTF-8 characters (`tf.strings.length`).

    >>> tf.strings.length(["café", "ab"], unit="UTF8_CHAR").numpy()
    array([4, 2], dtype=int32)
    """
    x = _strings(input, "tf.strings.length")
    return execute(STRING_LENGTH, (x,), {"unit": _unit(unit, "tf.strings.length")})


# -- Unicode decoding and encoding -----------------------------------------------------------
def _decode_kernel(x, *, codec, errors, replacement, controls):
    splits, points, offsets = [0], [], []
    for s in x.reshape(-1):
        p, o = _decode(s, codec, errors, replacement, controls, "UnicodeDecodeWithOffsets")
        points.extend(p)
        offsets.extend(o)
        splits.append(len(points))
    return (np.array(splits, _I64), np.array(points, _I32), np.array(offsets, _I64))


DECODE = defop("UnicodeDecodeWithOffsets", _decode_kernel,
               lambda x, **attrs: [(TensorShape([None]), _dtypes.int64),
                                   (TensorShape([None]), _dtypes.int32),
                                   (TensorShape([None]), _dtypes.int64)],
               grad=None, num_outputs=3, public_name="tf.strings.unicode_decode")


def _nest_rows(x, values, splits):
    """Per-string results (values with splits over the flattened input) shaped like `x`: a
    dense vector for a scalar, a RaggedTensor with one more dimension otherwise."""
    from rill.ops.ragged.ragged_tensor import RaggedTensor
    rank = x.shape.rank
    if rank == 0:
        return values
    rt = RaggedTensor(values, splits, internal=True)
    if rank is None or rank > 1:
        dims = shape(x, out_type=_dtypes.int64)
        for i in range((rank or 1) - 1, 0, -1):
            rt = RaggedTensor.from_uniform_row_length(rt, dims[i])
    return rt


def _map_ragged(input, fn):  # noqa: A002
    """fn applied to the flat values of a RaggedTensor input: its result (ragged or a tuple
    of them) gets the input's row partitions."""
    out = fn(input.flat_values)
    if isinstance(out, tuple):
        return tuple(input.with_flat_values(o) for o in out)
    return input.with_flat_values(out)


def _decode_op(input, input_encoding, errors, replacement_char, replace_control_characters,  # noqa: A002
               fn):
    if _ragged(input):
        return _map_ragged(input, lambda v: _decode_op(v, input_encoding, errors,
                                                       replacement_char,
                                                       replace_control_characters, fn))
    x = _strings(input, fn)
    splits, points, offsets = execute(DECODE, (x,), {
        "codec": _codec(input_encoding, fn), "errors": _check_errors(errors, fn),
        "replacement": int(replacement_char), "controls": bool(replace_control_characters)})
    return _nest_rows(x, points, splits), _nest_rows(x, offsets, splits)


def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   replace_control_characters=False, name=None):
    """The Unicode code points (int32) of each string: a RaggedTensor with one more dimension
    (a vector for a scalar) (`tf.strings.unicode_decode`).

    >>> tf.strings.unicode_decode("café", "UTF-8").numpy()
    array([ 99,  97, 102, 233], dtype=int32)
    """
    out = _decode_op(input, input_encoding, errors, replacement_char,
                     replace_control_characters, "tf.strings.unicode_decode")
    return out[0]


def unicode_decode_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                                replacement_char=65533, replace_control_characters=False,
                                name=None):
    """(code points, byte offset where each character starts) of each string
    (`tf.strings.unicode_decode_with_offsets`).

    >>> cps, offsets = tf.strings.unicode_decode_with_offsets(["café"], "UTF-8")
    >>> offsets.to_list()
    [[0, 1, 2, 3]]
    """
    return _decode_op(input, input_encoding, errors, replacement_char,
                      replace_control_characters, "tf.strings.unicode_decode_with_offsets")


def _encode_kernel(points, splits, *, codec, errors, replacement):
    out = [_encode(points[a:b], codec, errors, replacement, "UnicodeEncode")
           for a, b in zip(splits[:-1], splits[1:])]
    return _objects(out, (len(out),))


ENCODE = defop("UnicodeEncode", _encode_kernel,
               lambda points, splits, **attrs: (
                   TensorShape([None if splits.shape[0] is None else splits.shape[0] - 1]),
                   _STRING),
               grad=None, public_name="tf.strings.unicode_encode")


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   name=None):
    """Strings made of the code points along the last dimension (dense or ragged int32):
    the result has one dimension less (`tf.strings.unicode_encode`).

    >>> tf.strings.unicode_encode([99, 97, 102, 233], "UTF-8").numpy()
    b'caf\\xc3\\xa9'
    """
    fn = "tf.strings.unicode_encode"
    if output_encoding not in _OUTPUT_CODECS:
        raise ValueError(f"{fn}: output_encoding must be one of {list(_OUTPUT_CODECS)}, got "
                         f"{output_encoding!r}.")
    attrs = {"codec": _codec(output_encoding, fn), "errors": _check_errors(errors, fn),
             "replacement": int(replacement_char)}
    if _ragged(input):
        from rill.ops.ragged.ragged_tensor import RaggedTensor
        rt = input
        if not isinstance(rt.values, RaggedTensor):
            fv = m.cast(rt.values, _dtypes.int32)
            if fv.shape.rank != 1:
                raise ValueError(f"{fn}: the code points must be the ragged innermost "
                                 f"dimension.")
            return execute(ENCODE, (fv, m.cast(rt.row_splits, _dtypes.int64)), attrs)
        return rt.with_values(unicode_encode(rt.values, output_encoding, errors,
                                             replacement_char))
    x = to_tensor(input) if isinstance(input, Tensor) else to_tensor(input, dtype=_dtypes.int32)
    if not x.dtype.is_integer:
        raise TypeError(f"{fn}: input must be int32 code points, got {x.dtype.name}.")
    x = m.cast(x, _dtypes.int32)
    rank = x.shape.rank
    if rank == 0:
        raise ValueError(f"{fn}: input must have at least one dimension (the characters).")
    dims = shape(x, out_type=_dtypes.int64)
    flat = reshape(x, [-1])
    n = dims[-1]
    from rill.ops.array_ops import range_
    rows = m.floordiv(shape(flat, out_type=_dtypes.int64)[0], m.maximum(n, 1)) \
        if rank > 1 else _wrap(np.int64(1))
    splits = m.multiply(range_(0, m.add(rows, 1), 1, dtype=_dtypes.int64), n)
    out = execute(ENCODE, (flat, splits), attrs)
    return reshape(out, dims[:-1])


def _script_kernel(x):
    from rill.ops._unicode_scripts import CODES, STARTS
    codes = CODES[np.searchsorted(STARTS, np.clip(x, 0, 0x10FFFF), "right") - 1]
    return np.where((x < 0) | (x > 0x10FFFF), -1, codes).astype(_I32)


UNICODE_SCRIPT = defop("UnicodeScript", _script_kernel, _same_rule, grad=None,
                       public_name="tf.strings.unicode_script")


@_elementwise
def unicode_script(input, name=None):  # noqa: A002
    """The ICU script code (UScriptCode) of each int32 code point; -1 for invalid ones
    (`tf.strings.unicode_script`): 17 Han, 8 Cyrillic, 25 Latin, 0 Common, ...

    >>> tf.strings.unicode_script([33464, 1041, 65]).numpy()
    array([17,  8, 25], dtype=int32)
    """
    x = to_tensor(input, dtype=_dtypes.int32) if not isinstance(input, Tensor) else \
        to_tensor(input)
    if x.dtype is not _dtypes.int32:
        raise TypeError(f"tf.strings.unicode_script: input must be int32, got {x.dtype.name}.")
    return execute(UNICODE_SCRIPT, (x,))


def _transcode_kernel(x, *, source, target, errors, replacement, controls):
    def one(s):
        points, _ = _decode(s, source, errors, replacement, controls, "UnicodeTranscode")
        return _encode(points, target, "replace", replacement, "UnicodeTranscode")
    return _map(one, x)


TRANSCODE = defop("UnicodeTranscode", _transcode_kernel, _string_rule, grad=None,
                  public_name="tf.strings.unicode_transcode")


@_elementwise
def unicode_transcode(input, input_encoding, output_encoding, errors="replace",  # noqa: A002
                      replacement_char=65533, replace_control_characters=False, name=None):
    """Each string re-encoded from `input_encoding` to `output_encoding`
    (`tf.strings.unicode_transcode`).

    >>> tf.strings.unicode_transcode(["café"], "UTF-8", "UTF-16-BE").numpy()
    array([b'\\x00c\\x00a\\x00f\\x00\\xe9'], dtype=object)
    """
    fn = "tf.strings.unicode_transcode"
    x = _strings(input, fn)
    return execute(TRANSCODE, (x,), {
        "source": _codec(input_encoding, fn), "target": _codec(output_encoding, fn),
        "errors": _check_errors(errors, fn), "replacement": int(replacement_char),
        "controls": bool(replace_control_characters)})


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                  name=None):
    """The characters of each string, each as a string (`tf.strings.unicode_split`).

    >>> tf.strings.unicode_split("café", "UTF-8").numpy()
    array([b'c', b'a', b'f', b'\\xc3\\xa9'], dtype=object)
    """
    return unicode_split_with_offsets(input, input_encoding, errors, replacement_char)[0]


def unicode_split_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                               replacement_char=65533, name=None):
    """(characters of each string, byte offset of each)
    (`tf.strings.unicode_split_with_offsets`)."""
    from rill.ops.ragged.ragged_tensor import RaggedTensor
    points, offsets = unicode_decode_with_offsets(input, input_encoding, errors,
                                                  replacement_char)
    flat = points.flat_values if isinstance(points, RaggedTensor) else points
    n = shape(flat, out_type=_dtypes.int64)[0]
    from rill.ops.array_ops import range_
    chars = execute(ENCODE, (flat, range_(0, m.add(n, 1), 1, dtype=_dtypes.int64)), {
        "codec": _codec(input_encoding, "tf.strings.unicode_split"), "errors": "replace",
        "replacement": int(replacement_char)})
    if isinstance(points, RaggedTensor):
        return points.with_flat_values(chars), offsets
    return chars, offsets


# -- split, bytes_split, join, reduce_join ---------------------------------------------------
def _split_kernel(x, *, sep, maxsplit):
    splits, parts = [0], []
    for s in x.reshape(-1):
        if sep is None:
            pieces = s.split(None, maxsplit) if maxsplit >= 0 else s.split()
        else:
            pieces = s.split(sep, maxsplit) if s else []
        parts.extend(pieces)
        splits.append(len(parts))
    return np.array(splits, _I64), _objects(parts, (len(parts),))


SPLIT = defop("_StringSplit", _split_kernel,
              lambda x, **attrs: [(TensorShape([None]), _dtypes.int64),
                                  (TensorShape([None]), _STRING)],
              grad=None, num_outputs=2, public_name="tf.strings.split")


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Each string split at `sep` (runs of whitespace when None), at most `maxsplit` times:
    a RaggedTensor with one more dimension (`tf.strings.split`).

    >>> tf.strings.split(["a b  c", " d"]).to_list()
    [[b'a', b'b', b'c'], [b'd']]
    """
    if _ragged(input):
        return _map_ragged(input, lambda v: split(v, sep, maxsplit))
    fn = "tf.strings.split"
    x = _strings(input, fn)
    if sep is not None:
        sep = sep.encode("utf-8") if isinstance(sep, str) else bytes(sep)
        if sep == b"":
            raise ValueError(f"{fn}: sep must not be empty.\nhint: use "
                             f"tf.strings.bytes_split or tf.strings.unicode_split.")
    splits, parts = execute(SPLIT, (x,), {"sep": sep, "maxsplit": int(maxsplit)})
    return _nest_rows(x, parts, splits)


def _bytes_split_kernel(x):
    splits, parts = [0], []
    for s in x.reshape(-1):
        parts.extend(bytes([b]) for b in s)
        splits.append(len(parts))
    return np.array(splits, _I64), _objects(parts, (len(parts),))


BYTES_SPLIT = defop("_StringBytesSplit", _bytes_split_kernel,
                    lambda x: [(TensorShape([None]), _dtypes.int64),
                               (TensorShape([None]), _STRING)],
                    grad=None, num_outputs=2, public_name="tf.strings.bytes_split")


def bytes_split(input, name=None):  # noqa: A002
    """The bytes of each string, each as a string (`tf.strings.bytes_split`).

    >>> tf.strings.bytes_split(["ab", "c"]).to_list()
    [[b'a', b'b'], [b'c']]
    """
    if _ragged(input):
        return _map_ragged(input, bytes_split)
    x = _strings(input, "tf.strings.bytes_split")
    splits, parts = execute(BYTES_SPLIT, (x,))
    return _nest_rows(x, parts, splits)


def _join_kernel(*xs, separator):
    arrays = np.broadcast_arrays(*[np.asarray(x, dtype=object) for x in xs])
    out = np.empty(arrays[0].shape, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = separator.join(a[idx] for a in arrays)
    return out


def _join_rule(*xs, separator):
    s = xs[0].shape
    for x in xs[1:]:
        s = broadcast_shapes(s, x.shape, "StringJoin")
    return s, _STRING


JOIN = defop("StringJoin", _join_kernel, _join_rule, grad=None, public_name="tf.strings.join")


def join(inputs, separator="", name=None):
    """The strings of `inputs` (broadcast together) joined elementwise with `separator`
    (`tf.strings.join`).

    >>> tf.strings.join([["a", "b"], ["c", "d"]], separator="-").numpy()
    array([b'a-c', b'b-d'], dtype=object)
    """
    inputs = list(inputs)
    if any(_ragged(x) for x in inputs):
        from rill.ops.ragged.ragged_ops import elementwise
        return elementwise(lambda *xs: join(xs, separator), tuple(inputs),
                           api="tf.strings.join")
    xs = [_strings(x, "tf.strings.join", "inputs") for x in inputs]
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    return execute(JOIN, tuple(xs), {"separator": sep})


def _reduce_join_kernel(x, *, axis, keepdims, separator):
    axes = tuple(range(x.ndim)) if axis is None else axis
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    lead = moved.shape[:x.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    out = np.empty(lead, dtype=object)
    for idx in np.ndindex(lead):
        out[idx] = separator.join(flat[idx])
    if keepdims:
        out = out.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])
    return out


def _reduce_join_rule(x, *, axis, keepdims, separator):
    from rill.ops._util import reduction_rule
    return reduction_rule(x, axis=axis, keepdims=keepdims)[0], _STRING


REDUCE_JOIN = defop("ReduceJoin", _reduce_join_kernel, _reduce_join_rule, grad=None,
                    public_name="tf.strings.reduce_join")


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """The strings along `axis` (all when None) joined with `separator`
    (`tf.strings.reduce_join`).

    >>> tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator="+").numpy()
    array([b'a+b', b'c+d'], dtype=object)
    """
    if _ragged(inputs):
        return _ragged_reduce_join(inputs, axis, keepdims, separator)
    x = _strings(inputs, "tf.strings.reduce_join", "inputs")
    rank = x.shape.rank
    if axis is not None:
        axis = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        axis = tuple(sorted(int(a) % rank for a in axis))
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    return execute(REDUCE_JOIN, (x,), {"axis": axis, "keepdims": bool(keepdims),
                                       "separator": sep})


def _segment_join_kernel(values, splits, *, separator):
    out = [separator.join(values[a:b]) for a, b in zip(splits[:-1], splits[1:])]
    return _objects(out, (len(out),))


SEGMENT_JOIN = defop("_RaggedReduceJoin", _segment_join_kernel,
                     lambda values, splits, **attrs: (
                         TensorShape([None if splits.shape[0] is None else
                                      splits.shape[0] - 1]), _STRING),
                     grad=None, public_name="tf.strings.reduce_join")


def _ragged_reduce_join(rt, axis, keepdims, separator):
    """reduce_join of a RaggedTensor along its innermost ragged axis (or all axes)."""
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    rank = rt.shape.rank
    if axis is None:
        return reduce_join(reshape(rt.flat_values, [-1]), 0, False, separator)
    a = int(axis) % rank
    if a != rt.ragged_rank or rt.flat_values.shape.rank != 1 or keepdims:
        raise ValueError("tf.strings.reduce_join on a RaggedTensor supports the innermost "
                         "(ragged) axis only, without keepdims.\nhint: rt.to_tensor() for "
                         "the other axes.")
    splits = rt.nested_row_splits
    out = execute(SEGMENT_JOIN, (rt.flat_values, splits[-1]), {"separator": sep})
    from rill.ops.ragged.ragged_tensor import RaggedTensor
    for s in reversed(splits[:-1]):
        out = RaggedTensor(out, s, internal=True)
    return out


# -- substr, case, strip --------------------------------------------------------------------
def _char_starts(b: bytes) -> list:
    return [i for i, v in enumerate(b) if v & 0xC0 != 0x80]


def _substr_kernel(x, pos, length, *, unit):
    xs, ps, ls = np.broadcast_arrays(np.asarray(x, dtype=object), pos, length)
    out = np.empty(xs.shape, dtype=object)
    for idx in np.ndindex(xs.shape):
        s, p, n = xs[idx], int(ps[idx]), int(ls[idx])
        starts = _char_starts(s) if unit == "UTF8_CHAR" else None
        size = len(starts) if starts is not None else len(s)
        if not -size <= p <= size:
            flat = int(np.ravel_multi_index(idx, xs.shape)) if xs.ndim else 0
            raise InvalidArgumentError(
                None, "Substr", f"pos {p} out of range for string {s!r} at index {flat} "
                f"[Op:Substr]\nthe string has {size} "
                f"{'characters' if starts is not None else 'bytes'}.\nhint: pos must lie in "
                f"[-len, len]; negative values count from the end.")
        if p < 0:
            p += size
        end = min(size, p + max(n, 0))
        if starts is None:
            out[idx] = s[p:end]
        else:
            bounds = starts + [len(s)]
            out[idx] = s[bounds[p]:bounds[end]]
    return out


SUBSTR = defop("Substr", _substr_kernel,
               lambda x, pos, length, *, unit: (broadcast_shapes(broadcast_shapes(
                   x.shape, pos.shape), length.shape), _STRING),
               grad=None, public_name="tf.strings.substr")


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002 - TF's names
    """The substring of each string starting at `pos` (negative: from the end) of `len`
    bytes or UTF-8 characters (`tf.strings.substr`).

    >>> tf.strings.substr(["Hello", "café"], 1, 3, unit="UTF8_CHAR").numpy()
    array([b'ell', b'af\\xc3\\xa9'], dtype=object)
    """
    if _ragged(input):
        return input.with_flat_values(substr(input.flat_values, pos, len, unit))
    fn = "tf.strings.substr"
    x = _strings(input, fn)
    p = int_tensor(pos, fn, "pos")
    n = int_tensor(len, fn, "len")
    return execute(SUBSTR, (x, p, n), {"unit": _unit(unit, fn)})


def _case_kernel(upper: bool):
    def kernel(x, *, encoding):
        if encoding:
            def f(s):
                t = s.decode("utf-8", "surrogateescape")
                return (t.upper() if upper else t.lower()).encode("utf-8", "surrogateescape")
        else:
            f = bytes.upper if upper else bytes.lower
        return _map(f, x)
    return kernel


UPPER = defop("StringUpper", _case_kernel(True), _string_rule, grad=None,
              public_name="tf.strings.upper")
LOWER = defop("StringLower", _case_kernel(False), _string_rule, grad=None,
              public_name="tf.strings.lower")


def _encoding(encoding: str, fn: str) -> str:
    if encoding not in ("", "utf-8", "UTF-8", "utf8"):
        raise ValueError(f"{fn}: encoding must be '' (ASCII only) or 'utf-8', got "
                         f"{encoding!r}.")
    return "utf-8" if encoding else ""


@_elementwise
def upper(input, encoding="", name=None):  # noqa: A002
    """Each string in upper case: ASCII letters only, or all letters with encoding='utf-8'
    (`tf.strings.upper`).

    >>> tf.strings.upper(["café"], encoding="utf-8").numpy()
    array([b'CAF\\xc3\\x89'], dtype=object)
    """
    x = _strings(input, "tf.strings.upper")
    return execute(UPPER, (x,), {"encoding": _encoding(encoding, "tf.strings.upper")})


@_elementwise
def lower(input, encoding="", name=None):  # noqa: A002
    """Each string in lower case: ASCII letters only, or all letters with encoding='utf-8'
    (`tf.strings.lower`)."""
    x = _strings(input, "tf.strings.lower")
    return execute(LOWER, (x,), {"encoding": _encoding(encoding, "tf.strings.lower")})


STRIP = defop("StringStrip", lambda x: _map(bytes.strip, x), _string_rule, grad=None,
              public_name="tf.strings.strip")


@_elementwise
def strip(input, name=None):  # noqa: A002
    """Each string without leading and trailing whitespace (`tf.strings.strip`).

    >>> tf.strings.strip([" \\ta b\\n "]).numpy()
    array([b'a b'], dtype=object)
    """
    return execute(STRIP, (_strings(input, "tf.strings.strip"),))


# -- regular expressions --------------------------------------------------------------------
def _compile(pattern, fn: str, op: str):
    if isinstance(pattern, Tensor):
        v = constant_value(pattern)
        if v is None:
            raise TypeError(f"{fn}: the pattern must be known while tracing.")
        pattern = v[()] if isinstance(v, np.ndarray) else v
    if isinstance(pattern, bytes):
        pattern = pattern.decode("utf-8")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidArgumentError(None, op, f"Invalid pattern: {pattern}, error: {exc} "
                                   f"[Op:{op}]\nhint: patterns use RE2 syntax (most of "
                                   f"Python's re).") from None


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


FULL_MATCH = defop(
    "StaticRegexFullMatch",
    lambda x, *, pattern: _map(lambda s: pattern.fullmatch(_text(s)) is not None, x, bool),
    lambda x, *, pattern: (x.shape, _dtypes.bool), grad=None,
    public_name="tf.strings.regex_full_match")


@_elementwise
def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each whole string matches the regular expression `pattern`
    (`tf.strings.regex_full_match`).

    >>> tf.strings.regex_full_match(["abc", "abd"], "ab[c]").numpy()
    array([ True, False])
    """
    fn = "tf.strings.regex_full_match"
    return execute(FULL_MATCH, (_strings(input, fn),),
                   {"pattern": _compile(pattern, fn, "StaticRegexFullMatch")})


def _rewrite(template: str):
    """RE2's rewrite string (\\0 the whole match, \\1..\\9 groups, \\\\ a backslash) as a
    function of a match."""
    parts: list = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            nxt = template[i + 1]
            if nxt.isdigit():
                parts.append(int(nxt))
                i += 2
                continue
            if nxt == "\\":
                parts.append("\\")
                i += 2
                continue
        parts.append(c)
        i += 1
    return lambda mt: "".join(mt.group(p) or "" if isinstance(p, int) else p for p in parts)


def _replace_kernel(x, *, pattern, rewrite, replace_global):
    fn = _rewrite(rewrite)
    count = 0 if replace_global else 1
    return _map(lambda s: _bytes(pattern.sub(fn, _text(s), count=count)), x)


REPLACE = defop("StaticRegexReplace", _replace_kernel, _string_rule, grad=None,
                public_name="tf.strings.regex_replace")


@_elementwise
def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Each string with the matches of `pattern` replaced by `rewrite` (\\1 a group, \\0 the
    match), every match or only the first (`tf.strings.regex_replace`).

    >>> tf.strings.regex_replace(["abc abc"], "b(c)", r"X\\1").numpy()
    array([b'aXc aXc'], dtype=object)
    """
    fn = "tf.strings.regex_replace"
    if isinstance(rewrite, Tensor):
        rewrite = constant_value(rewrite)[()]
    if isinstance(rewrite, bytes):
        rewrite = rewrite.decode("utf-8")
    return execute(REPLACE, (_strings(input, fn),), {
        "pattern": _compile(pattern, fn, "StaticRegexReplace"), "rewrite": rewrite,
        "replace_global": bool(replace_global)})


# -- numbers <-> strings --------------------------------------------------------------------
def _to_number_kernel(x, *, out_type):
    npd = out_type._np

    def one(s):
        text = s.decode("utf-8", "replace")
        try:
            if "_" in text:
                raise ValueError
            v = float(text) if npd.kind == "f" else int(text.strip())
            if npd.kind != "f":
                info = np.iinfo(npd)
                if not info.min <= v <= info.max:
                    raise ValueError
            return v
        except ValueError:
            raise InvalidArgumentError(
                None, "StringToNumber", f"StringToNumberOp could not correctly convert "
                f"string: {text} [Op:StringToNumber]\ntf.strings.to_number: {s!r} is not "
                f"a{'n integer' if npd.kind != 'f' else ' number'} of type {out_type.name}."
                f"\nhint: clean the text first (tf.strings.strip, "
                f"tf.strings.regex_replace), or use out_type=tf.float32 for decimals."
            ) from None
    return _map(one, x, npd)


TO_NUMBER = defop("StringToNumber", _to_number_kernel,
                  lambda x, *, out_type: (x.shape, out_type), grad=None,
                  public_name="tf.strings.to_number")


@_elementwise
def to_number(string_tensor, out_type=_dtypes.float32, name=None):
    """The number each string spells, as `out_type` (`tf.strings.to_number`).

    >>> tf.strings.to_number(["1.5", "2"]).numpy()
    array([1.5, 2. ], dtype=float32)
    """
    out_type = _dtypes.as_dtype(out_type)
    if out_type not in (_dtypes.float32, _dtypes.float64, _dtypes.int32, _dtypes.int64):
        raise TypeError(f"tf.strings.to_number: out_type must be float32, float64, int32 or "
                        f"int64, got {out_type.name}.")
    x = _strings(string_tensor, "tf.strings.to_number", "string_tensor")
    return execute(TO_NUMBER, (x,), {"out_type": out_type})


def _as_string_kernel(x, *, spec, kind):
    if kind == "b":
        return _map(lambda v: b"true" if v else b"false", x)
    if kind == "O":
        return np.array(x, dtype=object, copy=True)
    if kind == "c":
        return _map(lambda v: ("(" + (spec % v.real) + "," + (spec % v.imag) + ")")
                    .encode(), x)
    if kind in "iu":
        return _map(lambda v: (spec % int(v)).encode(), x)
    return _map(lambda v: (spec % float(v)).encode(), x)


AS_STRING = defop("AsString", _as_string_kernel, _string_rule, grad=None,
                  public_name="tf.strings.as_string")


@_elementwise
def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",  # noqa: A002
              name=None):
    """Each number formatted as a string, printf style: floats '%f' ('%e' with scientific,
    '%g' with shortest; `precision` digits), ints '%d', bools 'true'/'false'; `width` pads
    with `fill` (`tf.strings.as_string`).

    >>> tf.strings.as_string([3.14159, 2.0], precision=2).numpy()
    array([b'3.14', b'2.00'], dtype=object)
    """
    fn = "tf.strings.as_string"
    x = to_tensor(input)
    kind = x.dtype._np.kind
    if x.dtype.name == "bfloat16":
        kind = "f"
    if fill not in ("", " ", "0", "-", "+", "#"):
        raise ValueError(f"{fn}: fill must be one character ('0', ' ', ...), got {fill!r}.")
    if scientific and shortest:
        raise ValueError(f"{fn}: Cannot select both scientific and shortest notation")
    flags = fill if width > -1 else ""
    w = str(width) if width > -1 else ""
    if kind in "fc":
        conv = "e" if scientific else "g" if shortest else "f"
        prec = f".{precision}" if precision > -1 else ""
        spec = f"%{flags}{w}{prec}{conv}"
    elif kind in "iu":
        if precision > -1 or scientific or shortest:
            raise ValueError(f"{fn}: precision, scientific and shortest apply to floats only "
                             f"(got {x.dtype.name}).")
        spec = f"%{flags}{w}d"
    else:
        spec = ""
    if kind == "f" and x.dtype._np.itemsize < 4:
        x = m.cast(x, _dtypes.float32)
    return execute(AS_STRING, (x,), {"spec": spec, "kind": kind})


def _format_kernel(*xs, template, placeholder, summarize):
    from rill.function.printing import tensor_text
    pieces = template.split(placeholder)
    texts = [tensor_text(x, summarize) for x in xs]
    out = pieces[0]
    for text, piece in zip(texts, pieces[1:]):
        out += text + piece
    return np.array(out.encode("utf-8"), dtype=object)


FORMAT = defop("StringFormat", _format_kernel,
               lambda *xs, **attrs: (TensorShape([]), _STRING), grad=None,
               public_name="tf.strings.format")


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    """`template` with each `placeholder` replaced by the next tensor of `inputs`, printed as
    tf.print prints it (`summarize` entries at each end of a long dimension)
    (`tf.strings.format`).

    >>> tf.strings.format("x={}, y={}", (tf.constant([1, 2]), tf.constant("hi"))).numpy()
    b'x=[1 2], y="hi"'
    """
    if isinstance(inputs, (Tensor,)) or not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    xs = [to_tensor(x) for x in inputs]
    count = template.count(placeholder)
    if count != len(xs):
        raise ValueError(f"num placeholders in template and num inputs must match: {count} "
                         f"vs. {len(xs)}\ntf.strings.format: the template has {count} "
                         f"'{placeholder}' placeholders for {len(xs)} inputs.\nhint: give one "
                         f"input per placeholder.")
    return execute(FORMAT, tuple(xs), {"template": template, "placeholder": placeholder,
                                       "summarize": int(summarize)})


# -- n-grams --------------------------------------------------------------------------------
def _ngrams_kernel(data, splits, *, separator, widths, left_pad, right_pad, pad_width,
                   preserve_short):
    out, out_splits = [], [0]
    for a, b in zip(splits[:-1], splits[1:]):
        row = list(data[a:b])
        made = []
        for n in widths:
            p = (n - 1 if pad_width < 0 else min(pad_width, n - 1)) if left_pad or right_pad \
                else 0
            padded = [left_pad] * p + row + [right_pad] * p
            count = len(padded) - n + 1
            made.extend(separator.join(padded[i:i + n]) for i in range(max(count, 0)))
        if not made and preserve_short and row:
            p = (max(widths) - 1 if pad_width < 0 else pad_width) if left_pad or right_pad \
                else 0
            made.append(separator.join([left_pad] * min(p, 1) * bool(left_pad) + row
                                       + [right_pad] * min(p, 1) * bool(right_pad))
                        if p else separator.join(row))
        out.extend(made)
        out_splits.append(len(out))
    return _objects(out, (len(out),)), np.array(out_splits, splits.dtype)


NGRAMS = defop("StringNGrams", _ngrams_kernel,
               lambda data, splits, **attrs: [(TensorShape([None]), _STRING),
                                              (splits.shape, splits.dtype)],
               grad=None, num_outputs=2, public_name="tf.strings.ngrams")


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """The n-grams (n = `ngram_width`, an int or several) of the strings along the last
    dimension, joined by `separator`, optionally padded with `pad_values` (left, right)
    (`tf.strings.ngrams`).

    >>> tf.strings.ngrams(["a", "b", "c", "d"], 2).numpy()
    array([b'a b', b'b c', b'c d'], dtype=object)
    """
    from rill.ops.ragged.ragged_tensor import RaggedTensor
    widths = (ngram_width,) if isinstance(ngram_width, int) else tuple(ngram_width)
    if any(w < 1 for w in widths):
        raise ValueError("tf.strings.ngrams: ngram_width must be >= 1.")
    if pad_values is None:
        left = right = b""
    elif isinstance(pad_values, (tuple, list)):
        left, right = (_as_bytes(v) for v in pad_values)
    else:
        left = right = _as_bytes(pad_values)
    pad = -1 if padding_width is None else int(padding_width)
    if pad_values is not None and padding_width is not None and pad < 1:
        raise ValueError("tf.strings.ngrams: padding_width must be > 0.")
    attrs = {"separator": _as_bytes(separator), "widths": widths, "left_pad": left,
             "right_pad": right, "pad_width": pad,
             "preserve_short": bool(preserve_short_sequences)}
    if _ragged(data):
        rt = data
        if isinstance(rt.values, RaggedTensor):
            return rt.with_values(ngrams(rt.values, ngram_width, separator, pad_values,
                                         padding_width, preserve_short_sequences))
        values, splits = execute(NGRAMS, (rt.values, rt.row_splits), attrs)
        return RaggedTensor(values, splits, internal=True)
    x = _strings(data, "tf.strings.ngrams", "data")
    if x.shape.rank == 1:
        splits = _wrap(np.array([0], _I64))
        from rill.ops.manip_ops import concat
        splits = concat([splits, shape(x, out_type=_dtypes.int64)], 0)
        return execute(NGRAMS, (x, splits), attrs)[0]
    return ngrams(RaggedTensor.from_tensor(x, ragged_rank=x.shape.rank - 1), ngram_width,
                  separator, pad_values, padding_width, preserve_short_sequences)


def _as_bytes(v) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


# -- hashing ---------------------------------------------------------------------------------
def _hash_kernel(kind: str):
    def kernel(x, *, num_buckets, key=None):
        from rill.ops import _hashing as h
        if kind == "fast":
            f = h.fingerprint64
        elif kind == "legacy":
            f = h.legacy_hash64
        else:
            def f(s):
                return h.siphash24(key, s)
        return _map(lambda s: f(s) % num_buckets, x, _I64)
    return kernel


def _hash_rule(x, **attrs):
    return x.shape, _dtypes.int64


HASH_FAST = defop("StringToHashBucketFast", _hash_kernel("fast"), _hash_rule, grad=None,
                  public_name="tf.strings.to_hash_bucket_fast")
HASH_LEGACY = defop("StringToHashBucket", _hash_kernel("legacy"), _hash_rule, grad=None,
                    public_name="tf.strings.to_hash_bucket")
HASH_STRONG = defop("StringToHashBucketStrong", _hash_kernel("strong"), _hash_rule, grad=None,
                    public_name="tf.strings.to_hash_bucket_strong")


def _buckets(num_buckets, fn: str) -> int:
    n = int(num_buckets)
    if n < 1:
        raise ValueError(f"{fn}: num_buckets must be >= 1, got {n}.")
    return n


@_elementwise
def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002
    """Each string's FarmHash Fingerprint64 modulo `num_buckets` (int64); the same buckets
    as TensorFlow's (`tf.strings.to_hash_bucket_fast`).

    >>> tf.strings.to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3).numpy()
    array([0, 2, 2])
    """
    fn = "tf.strings.to_hash_bucket_fast"
    return execute(HASH_FAST, (_strings(input, fn),),
                   {"num_buckets": _buckets(num_buckets, fn)})


@_elementwise
def to_hash_bucket(string_tensor, num_buckets, name=None):
    """Each string's hash (TensorFlow's legacy Hash64) modulo `num_buckets`
    (`tf.strings.to_hash_bucket`; prefer to_hash_bucket_fast)."""
    fn = "tf.strings.to_hash_bucket"
    return execute(HASH_LEGACY, (_strings(string_tensor, fn, "string_tensor"),),
                   {"num_buckets": _buckets(num_buckets, fn)})


@_elementwise
def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """Each string's keyed SipHash-2-4 (key: two ints) modulo `num_buckets`
    (`tf.strings.to_hash_bucket_strong`)."""
    fn = "tf.strings.to_hash_bucket_strong"
    key = [int(k) for k in key]
    if len(key) != 2:
        raise ValueError(f"{fn}: key must be a list of 2 unsigned 64-bit integers, got {key}.")
    return execute(HASH_STRONG, (_strings(input, fn),),
                   {"num_buckets": _buckets(num_buckets, fn), "key": tuple(key)})


# -- base64 (tf.io) --------------------------------------------------------------------------
def _decode_b64(s: bytes) -> bytes:
    if len(s.rstrip(b"=")) % 4 == 1:
        raise InvalidArgumentError(
            None, "DecodeBase64", "Base64 string length cannot be 1 modulo 4. "
            "[Op:DecodeBase64]\nhint: the text is truncated or not web-safe base64.")
    try:
        body = s.rstrip(b"=")
        return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgumentError(
            None, "DecodeBase64", f"Invalid character found in base64. [Op:DecodeBase64]\n"
            f"{exc}\nhint: TensorFlow's base64 is web-safe: '-' and '_' instead of '+' and "
            f"'/'.") from None


DECODE_B64 = defop("DecodeBase64", lambda x: _map(_decode_b64, x), _string_rule, grad=None,
                   public_name="tf.io.decode_base64")
ENCODE_B64 = defop(
    "EncodeBase64",
    lambda x, *, pad: _map(lambda s: base64.urlsafe_b64encode(s) if pad else
                           base64.urlsafe_b64encode(s).rstrip(b"="), x),
    _string_rule, grad=None, public_name="tf.io.encode_base64")


@_elementwise
def decode_base64(input, name=None):  # noqa: A002
    """Each web-safe base64 string decoded (`tf.io.decode_base64`).

    >>> tf.io.decode_base64(["aGVsbG8_Pg"]).numpy()
    array([b'hello?>'], dtype=object)
    """
    return execute(DECODE_B64, (_strings(input, "tf.io.decode_base64"),))


@_elementwise
def encode_base64(input, pad=False, name=None):  # noqa: A002
    """Each string encoded as web-safe base64 ('-' and '_'), '=' padding only with `pad`
    (`tf.io.encode_base64`).

    >>> tf.io.encode_base64(["hello?>"]).numpy()
    array([b'aGVsbG8_Pg'], dtype=object)
    """
    return execute(ENCODE_B64, (_strings(input, "tf.io.encode_base64"),), {"pad": bool(pad)})


__all__ = ["as_string", "bytes_split", "decode_base64", "encode_base64", "format", "join",
           "length", "lower", "ngrams", "reduce_join", "regex_full_match", "regex_replace",
           "split", "strip", "substr", "to_hash_bucket", "to_hash_bucket_fast",
           "to_hash_bucket_strong", "to_number", "unicode_decode",
           "unicode_decode_with_offsets", "unicode_encode", "unicode_script",
           "unicode_split", "unicode_split_with_offsets", "unicode_transcode", "upper"]


__tf_names__ = {
    "tf": "as_string",
    "strings": "as_string bytes_split format join length lower ngrams reduce_join regex_full_match "
               "regex_replace split strip substr to_hash_bucket to_hash_bucket_fast "
               "to_hash_bucket_strong to_number unicode_decode unicode_decode_with_offsets "
               "unicode_encode unicode_script unicode_split unicode_split_with_offsets "
               "unicode_transcode upper",
}
