"""`Dataset.save`/`Dataset.load` and the file of `Dataset.cache(filename)`.

rill's own format (TensorFlow's snapshot format is not reproduced): a directory holding
`element_spec.json` (the structure of specs) and `data.tfrecord`, a TFRecord file (optionally
GZIP/ZLIB) with one record per element: the components one after another, each as a
little header (dtype, shape) and its bytes; strings as length-prefixed bytes. No pickle.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.tensor_shape import TensorShape
from rill.data import _structure as S
from rill.data.dataset import Dataset
from rill.function.signature import TensorSpec
from rill.io import tfrecord as _tfr


def _encode(flat) -> bytes:
    out = [struct.pack("<I", len(flat))]
    for v in flat:
        a = np.asarray(v)
        name = "string" if a.dtype == object else _dtypes.from_numpy(a.dtype).name
        head = json.dumps([name, list(a.shape)]).encode()
        if a.dtype == object:
            items = [x if isinstance(x, bytes) else str(x).encode() for x in a.reshape(-1)]
            body = struct.pack(f"<{len(items)}Q", *map(len, items)) + b"".join(items)
        else:
            body = np.ascontiguousarray(a, a.dtype.newbyteorder("<")).tobytes()
        out += [struct.pack("<II", len(head), len(body)), head, body]
    return b"".join(out)


def _decode(data: bytes) -> tuple:
    (n,), pos = struct.unpack_from("<I", data), 4
    flat = []
    for _ in range(n):
        hl, bl = struct.unpack_from("<II", data, pos)
        pos += 8
        name, shape = json.loads(data[pos:pos + hl])
        pos += hl
        body = data[pos:pos + bl]
        pos += bl
        if name == "string":
            k = int(np.prod(shape))
            lens = struct.unpack_from(f"<{k}Q", body)
            items, p = [], 8 * k
            for ln in lens:
                items.append(body[p:p + ln])
                p += ln
            a = np.empty(k, dtype=object)
            a[:] = items
            a = a.reshape(shape)
        else:
            dt = np.dtype(_dtypes.as_dtype(name)._np)
            a = np.frombuffer(body, dt.newbyteorder("<")).astype(dt).reshape(shape)
            if a.ndim == 0:
                a = a[()]
        flat.append(a)
    return tuple(flat)


def _spec_to_json(structure):
    if isinstance(structure, TensorSpec):
        return {"spec": [structure.shape.as_list() if structure.shape.rank is not None
                         else None, structure.dtype.name]}
    if isinstance(structure, dict):
        return {"dict": {k: _spec_to_json(v) for k, v in structure.items()}}
    if isinstance(structure, tuple):
        return {"tuple": [_spec_to_json(v) for v in structure]}
    raise TypeError(f"Dataset.save: cannot save elements with a {type(structure).__name__} "
                    f"component.")


def _spec_from_json(j):
    if "spec" in j:
        shape, dtype = j["spec"]
        return TensorSpec(TensorShape(shape), dtype)
    if "dict" in j:
        return {k: _spec_from_json(v) for k, v in j["dict"].items()}
    return tuple(_spec_from_json(v) for v in j["tuple"])


def exists(path: str) -> bool:
    return os.path.exists(path + ".rill-cache")


def write_elements(path: str, structure, elements, compression: str = "") -> None:
    tmp = path + ".rill-cache.tmp"
    with _tfr.TFRecordWriter(tmp, compression) as w:
        for x in elements:
            w.write(_encode(x))
    os.replace(tmp, path + ".rill-cache")


def read_elements(path: str, structure):
    for r in _tfr.read_records(path + ".rill-cache"):
        yield _decode(r)


def save(ds: Dataset, path, compression=None) -> None:
    from rill.data.iterators import Context
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    kind = _tfr._compression(compression)[0]
    with open(os.path.join(path, "element_spec.json"), "w") as f:
        json.dump({"element_spec": _spec_to_json(ds.element_spec), "compression": kind}, f)
    with _tfr.TFRecordWriter(os.path.join(path, "data.tfrecord"), kind) as w:
        for x in ds._iterate(Context(ds)):
            if type(x) is S.Error:
                x.raise_()
            w.write(_encode(x))


class _LoadedDataset(Dataset):
    def __init__(self, path: str, structure, kind: str):
        super().__init__(structure)
        self._path, self._kind = path, kind

    def _iterate(self, ctx):
        for r in _tfr.read_records(os.path.join(self._path, "data.tfrecord"), self._kind):
            yield _decode(r)


def load(path, element_spec=None, compression=None) -> Dataset:
    path = os.fspath(path)
    meta = os.path.join(path, "element_spec.json")
    if not os.path.exists(meta):
        from rill._core.errors import NotFoundError
        raise NotFoundError(None, "LoadDataset", f"Could not find metadata file {meta}\nhint: "
                            f"load a directory written by Dataset.save.")
    with open(meta) as f:
        info = json.load(f)
    structure = element_spec if element_spec is not None else \
        _spec_from_json(info["element_spec"])
    kind = _tfr._compression(compression)[0] if compression is not None \
        else info.get("compression", "")
    return _LoadedDataset(path, structure, kind)
