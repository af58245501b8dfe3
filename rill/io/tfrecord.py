"""The TFRecord file format: `tf.io.TFRecordWriter`, `tf.io.TFRecordOptions`, and the reader
behind `tf.data.TFRecordDataset`.

Each record is

    uint64 length (little endian) | uint32 masked CRC32C of the length bytes
    data[length]                  | uint32 masked CRC32C of the data

where the mask is `((crc >> 15) | (crc << 17)) + 0xa282ead8` (mod 2**32) and CRC32C is the
Castagnoli CRC (reflected polynomial 0x82F63B78). Files may be GZIP or ZLIB compressed as a
whole, as TensorFlow writes them. The CRCs are checked on read; a mismatch or a short file
raises `tf.errors.DataLossError` naming the file and offset.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib

import numpy as np

from rill._core.errors import DataLossError

_POLY = 0x82F63B78


def _table() -> np.ndarray:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ np.uint32(_POLY), t >> 1).astype(np.uint32)
    return t


_T = _table()
_TL = _T.tolist()
_LANES_FROM = 4096  # shorter data: a plain table loop


def _crc_loop(reg: int, data) -> int:
    t = _TL
    for b in data:
        reg = t[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg


def _zeros_operator(n: int) -> list:
    """Four byte tables of the linear map 'feed n zero bytes' on the CRC register."""
    v = np.uint32(1) << np.arange(32, dtype=np.uint32)
    for _ in range(n):
        v = _T[v & 0xFF] ^ (v >> 8)
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1  # (256, 8)
    return [np.bitwise_xor.reduce(np.where(bits.astype(bool), v[8 * k:8 * k + 8], 0),
                                  axis=1).astype(np.uint32).tolist() for k in range(4)]


def crc32c(data: bytes, crc: int = 0) -> int:
    """The CRC32C of `data` (continuing from `crc`).

    Long inputs are cut into blocks whose CRCs NumPy computes side by side, then chained
    with the 'append zero bytes' operator (CRCs are linear), so large records stay fast.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    reg = crc ^ 0xFFFFFFFF
    n = len(data)
    if n < _LANES_FROM:
        return _crc_loop(reg, data) ^ 0xFFFFFFFF
    width = 1 << ((int(np.sqrt(n)).bit_length()) - 1)
    m = n // width
    block = np.frombuffer(data, dtype=np.uint8, count=m * width).reshape(m, width)
    regs = np.zeros(m, dtype=np.uint32)
    for j in range(width):
        regs = _T[(regs ^ block[:, j]) & 0xFF] ^ (regs >> 8)
    t0, t1, t2, t3 = _zeros_operator(width)
    for r in regs.tolist():
        reg = (t0[reg & 0xFF] ^ t1[(reg >> 8) & 0xFF] ^ t2[(reg >> 16) & 0xFF]
               ^ t3[reg >> 24]) ^ r
    reg = _crc_loop(reg, memoryview(data)[m * width:].tobytes())
    return reg ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# -- compression -----------------------------------------------------------------------------
def _compression(options) -> tuple[str, int]:
    if options is None:
        return "", -1
    if isinstance(options, TFRecordOptions):
        return options.compression_type, options.compression_level
    if isinstance(options, bytes):
        options = options.decode()
    if not isinstance(options, str):
        options = str(np.asarray(getattr(options, "_value", options)).item())
    kind = options.upper() if options else ""
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"Unsupported compression_type {options!r}.\nhint: use '' (none), "
                         f"'GZIP' or 'ZLIB'.")
    return kind, -1


class TFRecordOptions:
    """Options of a TFRecord file (`tf.io.TFRecordOptions`): `compression_type` '', 'GZIP' or
    'ZLIB', and `compression_level` (0-9; -1 the library default)."""

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_strategy=None, mem_level=None):
        self.compression_type = _compression(compression_type or "")[0]
        self.compression_level = -1 if compression_level is None else int(compression_level)

    @classmethod
    def get_compression_type_string(cls, options) -> str:
        return _compression(options)[0]


class _ZlibWriter:
    def __init__(self, f, level: int):
        self._f = f
        self._z = zlib.compressobj(level)

    def write(self, b: bytes) -> None:
        self._f.write(self._z.compress(b))

    def flush(self) -> None:
        self._f.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._f.flush()

    def close(self) -> None:
        self._f.write(self._z.flush())
        self._f.close()


class _ZlibReader(io.RawIOBase):
    def __init__(self, f):
        self._f = f
        self._z = zlib.decompressobj()
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and not self._z.eof:
            chunk = self._f.read(1 << 16)
            if not chunk:
                break
            self._buf += self._z.decompress(chunk)
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        self._f.close()
        super().close()


def open_write(path: str, kind: str, level: int = -1, append: bool = False):
    f = open(path, "ab" if append else "wb")
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9 if level < 0 else level,
                             mtime=0), f
    if kind == "ZLIB":
        return _ZlibWriter(f, level), None
    return f, None


def open_read(path: str, kind: str):
    f = open(path, "rb")
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=f, mode="rb")
    if kind == "ZLIB":
        return _ZlibReader(f)
    return f


# -- writing ----------------------------------------------------------------------------------
def encode_record(data: bytes) -> bytes:
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc32c(head)) + data + \
        struct.pack("<I", masked_crc32c(data))


class TFRecordWriter:
    """Writes records to a TFRecord file (`tf.io.TFRecordWriter`).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.tfrecord")
    >>> with tf.io.TFRecordWriter(path) as w:
    ...     w.write(b"hello")
    >>> [r.numpy() for r in tf.data.TFRecordDataset(path)]
    [b'hello']
    """

    def __init__(self, path, options=None):
        kind, level = _compression(options)
        self._path = _path(path)
        self._f, self._raw = open_write(self._path, kind, level)

    def write(self, record) -> None:
        """Appends one record (bytes, or a scalar string tensor)."""
        if self._f is None:
            raise ValueError(f"TFRecordWriter for {self._path!r} is closed.")
        self._f.write(encode_record(_bytes(record)))

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            if self._raw is not None:
                self._raw.close()
            self._f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


def _bytes(record) -> bytes:
    if isinstance(record, (bytes, bytearray, memoryview)):
        return bytes(record)
    if isinstance(record, str):
        return record.encode()
    v = np.asarray(getattr(record, "_value", record))
    if v.shape != () or not isinstance(v.item(), (bytes, str)):
        raise TypeError(f"TFRecordWriter.write: expected bytes or a scalar string tensor, got "
                        f"{record!r}.\nhint: serialize first, e.g. example.SerializeToString()"
                        f" or tf.io.serialize_tensor(t).numpy().")
    x = v.item()
    return x.encode() if isinstance(x, str) else x


def _path(p) -> str:
    p = getattr(p, "_value", p)
    if isinstance(p, np.ndarray):
        p = p.item()
    if isinstance(p, bytes):
        p = p.decode()
    return str(p) if not hasattr(p, "__fspath__") else p.__fspath__()


# -- reading ---------------------------------------------------------------------------------
def _loss(path: str, what: str, offset: int) -> DataLossError:
    return DataLossError(None, "TFRecordDataset",
                         f"{what} record at {offset}\nin {path!r}: the file is damaged or not "
                         f"a TFRecord file.\nhint: check compression_type ('GZIP'/'ZLIB' for "
                         f"compressed files); ignore_errors() skips the rest of a bad file.")


def read_records(path, compression_type=None, check: bool = True):
    """Yields the records of a TFRecord file as bytes (DataLossError on a bad record)."""
    path = _path(path)
    kind = _compression(compression_type)[0]
    f = open_read(path, kind)
    offset = 0
    try:
        while True:
            head = f.read(12)
            if not head:
                return
            if len(head) < 12:
                raise _loss(path, "truncated", offset)
            n, crc = struct.unpack("<QI", head)
            if check and masked_crc32c(head[:8]) != crc:
                raise _loss(path, "corrupted", offset)
            body = f.read(n + 4)
            if len(body) < n + 4:
                raise _loss(path, "truncated", offset)
            data = body[:n]
            if check and masked_crc32c(data) != struct.unpack("<I", body[n:])[0]:
                raise _loss(path, "corrupted", offset + 12)
            yield data
            offset += 16 + n
    finally:
        f.close()
