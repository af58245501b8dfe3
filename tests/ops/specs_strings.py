"""Op specs for rill/ops/string_ops.py (format: tests/ops/opspec.py).

String ops have no gradients; the references are Python's own str/bytes methods, codecs and
base64, or values taken from TensorFlow (hash buckets: tests/fixtures/hash_buckets.json,
made by the script next to it).
"""

import base64
import json
import os
import re

import numpy as np

from rill.ops import string_ops as S
from rill.ops.ragged.ragged_tensor import RaggedTensor
from tests.ops.opspec import OpSpec

WORDS = [b"Hello", b"caf\xc3\xa9", b"", b"  a b  ", b"\xe5\x92\x96\xe5\x95\xa1"]
_FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "hash_buckets.json")


def _strs(values):
    def make(rng):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return make


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _const(value, dtype):
    return lambda rng: np.asarray(value, dtype)


def _obj(values) -> np.ndarray:
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _parts(rt):
    return [rt.row_splits, rt.values]


def _ref_parts(rows, dtype=object):
    splits = np.cumsum([0] + [len(r) for r in rows])
    flat = [x for r in rows for x in r]
    return splits, _obj(flat) if dtype is object else np.array(flat, dtype)


def _hash_table(kind: str, n: str):
    with open(_FIXTURE, encoding="utf-8") as f:
        table = json.load(f)
    words = [w.encode("utf-8") for w in table["strings"]]
    return words, np.array(table["buckets"][n][kind], np.int64)


_FAST = _hash_table("fast", "1000")
_LEGACY = _hash_table("legacy", "1000")
_STRONG = _hash_table("strong", "1000")

SPECS = [
    OpSpec("StringLength", lambda x: S.length(x, unit="UTF8_CHAR"), _ins(_strs(WORDS)),
           ref=lambda x: np.array([len(w.decode()) for w in x], np.int32), grad=False),
    OpSpec("UnicodeDecodeWithOffsets",
           lambda x: _parts(S.unicode_decode(x, "UTF-8")), _ins(_strs(WORDS)),
           ref=lambda x: _ref_parts([[ord(c) for c in w.decode()] for w in x], np.int32),
           grad=False),
    OpSpec("UnicodeEncode",
           lambda v, s: S.unicode_encode(RaggedTensor.from_row_splits(v, s), "UTF-8"),
           _ins(_const([99, 97, 102, 233, 21654], np.int32), _const([0, 4, 4, 5], np.int64)),
           ref=lambda v, s: _obj(["café".encode(), b"", "咖".encode()]), grad=False),
    OpSpec("UnicodeScript", S.unicode_script, _ins(_const([65, 1041, 33464, 48], np.int32)),
           ref=lambda x: np.array([25, 8, 17, 0], np.int32), grad=False),  # ICU codes
    OpSpec("UnicodeTranscode", lambda x: S.unicode_transcode(x, "UTF-8", "UTF-16-BE"),
           _ins(_strs(WORDS)), ref=lambda x: _obj(w.decode().encode("utf-16-be") for w in x),
           grad=False),
    OpSpec("_StringSplit", lambda x: _parts(S.split(x)), _ins(_strs(WORDS)),
           ref=lambda x: _ref_parts([w.split() for w in x]), grad=False),
    OpSpec("_StringBytesSplit", lambda x: _parts(S.bytes_split(x)), _ins(_strs(WORDS)),
           ref=lambda x: _ref_parts([[bytes([b]) for b in w] for w in x]), grad=False),
    OpSpec("StringJoin", lambda a, b: S.join([a, b], separator="-"),
           _ins(_strs(WORDS), _strs([b"x"] * 5)),
           ref=lambda a, b: _obj(p + b"-" + q for p, q in zip(a, b)), grad=False),
    OpSpec("ReduceJoin", lambda x: S.reduce_join(x, separator=","), _ins(_strs(WORDS)),
           ref=lambda x: np.array(b",".join(x), dtype=object), grad=False),
    OpSpec("_RaggedReduceJoin",
           lambda x: S.reduce_join(RaggedTensor.from_row_splits(x, [0, 2, 5]), axis=1),
           _ins(_strs(WORDS)), ref=lambda x: _obj([x[0] + x[1], x[2] + x[3] + x[4]]),
           grad=False),
    OpSpec("Substr", lambda x: S.substr(x, 0, 2, unit="UTF8_CHAR"), _ins(_strs(WORDS)),
           ref=lambda x: _obj(w.decode()[:2].encode() for w in x), grad=False),
    OpSpec("StringUpper", lambda x: S.upper(x, encoding="utf-8"), _ins(_strs(WORDS)),
           ref=lambda x: _obj(w.decode().upper().encode() for w in x), grad=False),
    OpSpec("StringLower", S.lower, _ins(_strs([b"AbC\xc3\x89"])),
           ref=lambda x: _obj([b"abc\xc3\x89"]), grad=False),
    OpSpec("StringStrip", S.strip, _ins(_strs(WORDS)), ref=lambda x: _obj(w.strip() for w in x),
           grad=False),
    OpSpec("StaticRegexFullMatch", lambda x: S.regex_full_match(x, r"[a-zé]+"),
           _ins(_strs(WORDS)),
           ref=lambda x: np.array([re.fullmatch(r"[a-zé]+", w.decode()) is not None
                                   for w in x]), grad=False),
    OpSpec("StaticRegexReplace", lambda x: S.regex_replace(x, r"(a|é)", r"<\1>"),
           _ins(_strs(WORDS)),
           ref=lambda x: _obj(re.sub("(a|é)", r"<\1>", w.decode()).encode() for w in x),
           grad=False),
    OpSpec("StringToNumber", S.to_number, _ins(_strs([b"1.5", b"-2", b"1e3"])),
           ref=lambda x: np.array([1.5, -2, 1000], np.float32), grad=False),
    OpSpec("AsString", lambda x: S.as_string(x, precision=3),
           _ins(_const([3.14159, -2.0], np.float64)),
           ref=lambda x: _obj(b"%.3f" % v for v in x), grad=False),
    OpSpec("StringFormat", lambda x: S.format("x={}!", x), _ins(_const([1, 2], np.int32)),
           ref=lambda x: np.array(b"x=[1 2]!", dtype=object), grad=False),
    OpSpec("StringNGrams", lambda x: S.ngrams(x, 2, separator="_"),
           _ins(_strs([b"a", b"b", b"c"])), ref=lambda x: _obj([b"a_b", b"b_c"]), grad=False),
    OpSpec("StringToHashBucketFast", lambda x: S.to_hash_bucket_fast(x, 1000),
           _ins(_strs(_FAST[0])), ref=lambda x: _FAST[1], grad=False),
    OpSpec("StringToHashBucket", lambda x: S.to_hash_bucket(x, 1000),
           _ins(_strs(_LEGACY[0])), ref=lambda x: _LEGACY[1], grad=False),
    OpSpec("StringToHashBucketStrong", lambda x: S.to_hash_bucket_strong(x, 1000, [17, 42]),
           _ins(_strs(_STRONG[0])), ref=lambda x: _STRONG[1], grad=False),
    OpSpec("EncodeBase64", S.encode_base64, _ins(_strs(WORDS)),
           ref=lambda x: _obj(base64.urlsafe_b64encode(w).rstrip(b"=") for w in x),
           grad=False),
    OpSpec("DecodeBase64", S.decode_base64, _ins(_strs([b"aGVsbG8_Pg", b"YQ=="])),
           ref=lambda x: _obj([b"hello?>", b"a"]), grad=False),
]
