"""rill's checkpoint file: one self-describing file per checkpoint, `<prefix>.index`.

Layout (docs/checkpoints.md): the 8 bytes `RILLCKPT`, the header's length (little-endian
uint64), the header's CRC-32 (little-endian uint32) and 4 zero bytes, the header (UTF-8 JSON),
then the tensors' bytes, each starting at a multiple of 8 from the start of the data. The
header is

    {"format": "rill-checkpoint", "version": 1,
     "tensors": {key: {"dtype": "float32", "shape": [2, 3], "offset": 0, "nbytes": 24,
                       "crc32": 123}},
     "graph": {...}}

Reading validates everything against the file before allocating: dtypes from a fixed list,
shapes of non-negative ints whose size times the item size equals `nbytes`, ranges within
the file, and each tensor's CRC-32 when it is read. Problems raise `tf.errors.DataLossError`
naming the file; a missing file raises `tf.errors.NotFoundError`.
"""

from __future__ import annotations

import json
import os
import struct
import zlib

import numpy as np

from rill._core.errors import DataLossError, NotFoundError
from rill.train._atomic import atomic_path

MAGIC = b"RILLCKPT"
VERSION = 1
_MAX_HEADER = 1 << 28  # 256 MiB of JSON is far beyond any real object graph
_MAX_RANK = 64
_ALIGN = 8
_PREAMBLE = 24  # magic, header length, header CRC-32, padding
_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128", "bfloat16")


def _np_dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name).newbyteorder("<")


def _dtype_name(array: np.ndarray) -> str:
    name = array.dtype.name
    if name not in _DTYPES:
        raise TypeError(f"Checkpoint: cannot save an array of dtype {array.dtype}.\nhint: "
                        f"checkpoints hold bool, integer, float and complex tensors.")
    return name


def write(prefix: str, tensors: dict, graph: dict) -> str:
    """Writes `tensors` (key -> NumPy array) and the object `graph` to `<prefix>.index`
    atomically; returns the prefix."""
    entries, chunks, offset = {}, [], 0
    for key, value in tensors.items():
        array = np.asarray(value)
        name = _dtype_name(array)
        if name != "bfloat16" and array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        data = array.tobytes()
        entries[key] = {"dtype": name, "shape": list(array.shape), "offset": offset,
                        "nbytes": len(data), "crc32": zlib.crc32(data)}
        pad = -len(data) % _ALIGN
        chunks.append(data + b"\0" * pad)
        offset += len(data) + pad
    header = json.dumps({"format": "rill-checkpoint", "version": VERSION, "tensors": entries,
                         "graph": graph}, sort_keys=True).encode()
    with atomic_path(prefix + ".index") as tmp:
        with open(tmp, "wb") as f:
            f.write(MAGIC + struct.pack("<QII", len(header), zlib.crc32(header), 0) + header)
            for chunk in chunks:
                f.write(chunk)
    return prefix


def index_path(prefix: str) -> str:
    """`<prefix>.index` (a path already ending in `.index` is taken as it is)."""
    prefix = os.fspath(prefix)
    return prefix if prefix.endswith(".index") else prefix + ".index"


def exists(prefix: str) -> bool:
    """Whether a checkpoint file exists for `prefix`."""
    return os.path.isfile(index_path(prefix))


class Reader:
    """A validated view of one checkpoint file; tensors are read on demand.

    `keys`, `shape(key)`, `dtype(key)`, `get(key)` and `graph` (the saved object graph).
    """

    def __init__(self, prefix: str):
        self.path = index_path(prefix)
        if not os.path.exists(self.path):
            folder = os.path.dirname(self.path) or "."
            hint = ("hint: pass tf.train.latest_checkpoint(folder) for a folder of "
                    "checkpoints." if os.path.isdir(os.fspath(prefix)) else
                    f"hint: check the path; checkpoints in {folder!r}: "
                    f"{_listing(folder)}.")
            raise NotFoundError(None, None, f"Failed to find any matching files for "
                                            f"{os.fspath(prefix)!r} (no file "
                                            f"{self.path!r}).\n{hint}")
        with open(self.path, "rb") as f:
            head = f.read(_PREAMBLE)
            size = os.fstat(f.fileno()).st_size
            if len(head) < 8 or head[:8] != MAGIC:
                raise self._foreign(prefix)
            if len(head) < _PREAMBLE:
                raise self._corrupt("it ends inside its preamble")
            hlen, crc, _ = struct.unpack("<QII", head[8:])
            if hlen > min(size - _PREAMBLE, _MAX_HEADER):
                raise self._corrupt(f"its header claims {hlen} bytes but the file has "
                                    f"{size} bytes")
            raw = f.read(hlen)
            if zlib.crc32(raw) != crc:
                raise self._corrupt("its header fails its checksum")
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise self._corrupt(f"its header is not valid JSON ({e})") from None
        self._data_start = _PREAMBLE + hlen
        self._data_size = size - self._data_start
        self._entries = self._check_header(header)
        self.graph = header.get("graph") if isinstance(header.get("graph"), dict) else {}

    def _corrupt(self, what: str) -> DataLossError:
        return DataLossError(None, None, f"Checkpoint file {self.path!r} is corrupted: "
                                         f"{what}.\nhint: the file was truncated or damaged; "
                                         f"restore an earlier checkpoint.")

    def _foreign(self, prefix) -> DataLossError:
        tf_data = os.path.exists(os.fspath(prefix) + ".data-00000-of-00001")
        what = ("was written by TensorFlow (a tensor bundle with a .data-00000-of-00001 "
                "file); rill reads only its own checkpoint format" if tf_data else
                "is not a rill checkpoint (no RILLCKPT signature)")
        return DataLossError(None, None, f"Checkpoint file {self.path!r} {what}.\nhint: in "
                                         f"TensorFlow save with model.save('m.keras') or "
                                         f"model.save_weights('m.weights.h5'), which rill "
                                         f"loads.")

    def _check_header(self, header) -> dict:
        if not isinstance(header, dict) or header.get("format") != "rill-checkpoint":
            raise self._corrupt("its header does not describe a rill checkpoint")
        if header.get("version") != VERSION:
            raise self._corrupt(f"format version {header.get('version')!r}, this rill reads "
                                f"version {VERSION}")
        tensors = header.get("tensors")
        if not isinstance(tensors, dict):
            raise self._corrupt("its header has no tensor table")
        for key, e in tensors.items():
            self._check_entry(key, e)
        return tensors

    def _check_entry(self, key: str, e) -> None:
        def bad(what):
            return self._corrupt(f"the entry {key!r} {what}")

        if not isinstance(e, dict) or e.get("dtype") not in _DTYPES:
            raise bad(f"has an unknown dtype {e.get('dtype') if isinstance(e, dict) else e!r}")
        shape = e.get("shape")
        if not isinstance(shape, list) or len(shape) > _MAX_RANK or not all(
                type(d) is int and d >= 0 for d in shape):
            raise bad(f"has an invalid shape {shape!r}")
        offset, nbytes = e.get("offset"), e.get("nbytes")
        if type(offset) is not int or type(nbytes) is not int or offset < 0 or nbytes < 0:
            raise bad("has an invalid offset or size")
        count = 1
        for d in shape:
            count *= d
        if count * _np_dtype(e["dtype"]).itemsize != nbytes:
            raise bad(f"has shape {shape} of {e['dtype']} but {nbytes} bytes")
        if offset + nbytes > self._data_size:
            raise bad(f"extends past the end of the file ({offset + nbytes} > "
                      f"{self._data_size} bytes of data)")
        if type(e.get("crc32")) is not int:
            raise bad("has no checksum")

    @property
    def keys(self) -> list:
        return sorted(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def shape(self, key: str) -> list:
        return list(self._entries[key]["shape"])

    def dtype(self, key: str) -> str:
        return self._entries[key]["dtype"]

    def get(self, key: str) -> np.ndarray:
        """The tensor saved under `key` (a new NumPy array)."""
        e = self._entries[key]
        with open(self.path, "rb") as f:
            f.seek(self._data_start + e["offset"])
            data = f.read(e["nbytes"])
        if len(data) != e["nbytes"] or zlib.crc32(data) != e["crc32"]:
            raise self._corrupt(f"the tensor {key!r} fails its checksum")
        array = np.frombuffer(data, dtype=_np_dtype(e["dtype"])).reshape(e["shape"])
        return array.astype(array.dtype.newbyteorder("="))


def _listing(folder: str) -> str:
    try:
        found = sorted(n[:-6] for n in os.listdir(folder) if n.endswith(".index"))
    except OSError:
        return "(folder not readable)"
    return ", ".join(found[:10]) or "none"
