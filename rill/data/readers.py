"""File readers: TFRecordDataset, TextLineDataset, FixedLengthRecordDataset,
`tf.data.experimental.CsvDataset` and `make_csv_dataset`, `Dataset.list_files`.

Files are read in order; with `num_parallel_reads` several files are read at once on
background threads and their records interleaved (as TensorFlow does). A damaged file
yields an error at its position (DataLossError for TFRecords) and reading goes on with the
next file, so `ignore_errors()` skips the rest of a bad file.
"""

from __future__ import annotations

import glob as _glob
from collections import OrderedDict

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill.data import _structure as S
from rill.data.dataset import UNKNOWN, Dataset
from rill.function.signature import TensorSpec
from rill.io import tfrecord as _tfr
from rill.io.csv import _defaults, decode_lines
from rill.io.files import as_path

_STRING = TensorSpec([], _dtypes.string)


def _file_list(filenames, what: str):
    if isinstance(filenames, Dataset):
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype is not _dtypes.string or \
                spec.shape.rank != 0:
            raise TypeError(f"{what}: a dataset of file names must have scalar string "
                            f"elements, got {spec!r}.")
        return filenames
    v = getattr(filenames, "_value", filenames)
    if isinstance(v, (str, bytes)) or hasattr(v, "__fspath__"):
        return [as_path(v)]
    arr = np.asarray(v, dtype=object).reshape(-1)
    if not len(arr):
        raise ValueError(f"{what}: `filenames` is empty.")
    return [as_path(x) for x in arr]


def _scalar_string(b: bytes):
    return np.array(b, dtype=object)


class _FileDataset(Dataset):
    """Records of files, read one file after another (or interleaved when parallel)."""

    def __init__(self, filenames, num_parallel_reads, what: str, structure=_STRING):
        super().__init__(structure)
        files = _file_list(filenames, what)
        self._files = files
        self._inner = None
        parallel = num_parallel_reads is not None and int(num_parallel_reads) not in (0, 1)
        if isinstance(files, Dataset) or parallel:
            names = files if isinstance(files, Dataset) else \
                Dataset.from_tensor_slices(np.array([f.encode() for f in files], object))
            one = lambda f: self._single(as_path(f.numpy()))  # noqa: E731
            n = num_parallel_reads
            self._inner = names.interleave(one, cycle_length=int(n), block_length=1,
                                           num_parallel_calls=n) if parallel \
                else names.flat_map(one)

    def _single(self, path: str) -> Dataset:
        raise NotImplementedError

    def _records(self, path: str):
        """Yields the records (bytes or flat tuples) of one file."""
        raise NotImplementedError

    def _iterate(self, ctx):
        if self._inner is not None:
            yield from self._inner._iterate(ctx)
            return
        for path in self._files:
            try:
                yield from self._records(path)
            except Exception as exc:  # noqa: BLE001 - a bad file: the error, then the next file
                yield S.Error(exc, f"reading {path!r} in {type(self).__name__}")

    def _cardinality(self) -> int:
        return UNKNOWN


class TFRecordDataset(_FileDataset):
    """The records of TFRecord files (`tf.data.TFRecordDataset`), CRC-checked.

    `compression_type`: '' (none), 'GZIP' or 'ZLIB'."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        self._kind = _tfr._compression(compression_type)[0]
        super().__init__(filenames, num_parallel_reads, "TFRecordDataset")

    def _single(self, path):
        return TFRecordDataset(path, self._kind)

    def _records(self, path):
        for r in _tfr.read_records(path, self._kind):
            yield (_scalar_string(r),)


def _lines(path: str, kind: str):
    f = _tfr.open_read(path, kind)
    try:
        rest = b""
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            for p in parts:
                yield p[:-1] if p.endswith(b"\r") else p
        if rest:
            yield rest[:-1] if rest.endswith(b"\r") else rest
    finally:
        f.close()


class TextLineDataset(_FileDataset):
    """The lines of text files, without their line endings (`tf.data.TextLineDataset`)."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        self._kind = _tfr._compression(compression_type)[0]
        super().__init__(filenames, num_parallel_reads, "TextLineDataset")

    def _single(self, path):
        return TextLineDataset(path, self._kind)

    def _records(self, path):
        for line in _lines(path, self._kind):
            yield (_scalar_string(line),)


class FixedLengthRecordDataset(_FileDataset):
    """Records of `record_bytes` bytes after a header and before a footer."""

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None, name=None):
        self._n = int(record_bytes)
        self._head, self._foot = int(header_bytes or 0), int(footer_bytes or 0)
        self._kind = _tfr._compression(compression_type)[0]
        super().__init__(filenames, num_parallel_reads, "FixedLengthRecordDataset")

    def _single(self, path):
        return FixedLengthRecordDataset(path, self._n, self._head, self._foot,
                                        compression_type=self._kind)

    def _records(self, path):
        f = _tfr.open_read(path, self._kind)
        try:
            data = f.read()
        finally:
            f.close()
        body = data[self._head:len(data) - self._foot]
        for i in range(0, len(body) - self._n + 1, self._n):
            yield (_scalar_string(body[i:i + self._n]),)
        if len(body) % self._n:
            raise InvalidArgumentError(None, "FixedLengthRecordDataset", f"Excluding the header "
                                       f"({self._head} bytes) and footer ({self._foot} bytes), "
                                       f"input file \"{path}\" has body length {len(body)}, "
                                       f"which is not an exact multiple of the record length "
                                       f"({self._n} bytes).")


class CsvDataset(_FileDataset):
    """Rows of CSV files as tuples of scalars (`tf.data.experimental.CsvDataset`)."""

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):
        self._defaults = _defaults(record_defaults)
        self._kind = _tfr._compression(compression_type)[0]
        self._args = (header, field_delim, use_quote_delim, na_value, select_cols,
                      exclude_cols)
        self._header = bool(header)
        self._delim, self._quotes, self._na = field_delim, bool(use_quote_delim), na_value
        if select_cols is not None and exclude_cols is not None:
            raise ValueError("Either select_cols or exclude_cols should be empty")
        self._select = None if select_cols is None else [int(i) for i in select_cols]
        self._exclude = None if exclude_cols is None else {int(i) for i in exclude_cols}
        structure = tuple(TensorSpec([], d) for d, _ in self._defaults)
        super().__init__(filenames, None, "CsvDataset", structure)

    def _records(self, path):
        lines = _lines(path, self._kind)
        if self._header:
            next(lines, None)
        for line in lines:
            if not line:
                continue
            if self._exclude is not None:
                from rill.io.csv import split_record
                n = len(split_record(line.decode(), self._delim, self._quotes))
                select = [i for i in range(n) if i not in self._exclude]
            else:
                select = self._select
            cols = decode_lines([line], self._defaults, self._delim, self._quotes, self._na,
                                select)
            yield tuple(_scalar_string(c[0]) if d is _dtypes.string else d._np.type(c[0])
                        for c, (d, _) in zip(cols, self._defaults))


def list_files(file_pattern, shuffle=None, seed=None) -> Dataset:
    pats = getattr(file_pattern, "_value", file_pattern)
    pats = [pats] if isinstance(pats, (str, bytes)) else list(np.asarray(pats, object)
                                                            .reshape(-1))
    pats = [as_path(p) for p in pats]
    found = sorted({m for p in pats for m in _glob.glob(p)})
    if not found:
        raise InvalidArgumentError(None, "MatchingFiles", f"Expected 'tf.Tensor(False, shape=(), "
                                   f"dtype=bool)' to be true. Summarized data: b'No files "
                                   f"matched pattern: {', '.join(pats)}'\nhint: check the "
                                   f"glob pattern and the working directory.")
    ds = Dataset.from_tensor_slices(np.array([f.encode() for f in found], dtype=object))
    if shuffle is None or shuffle:
        ds = ds.shuffle(len(found), seed=seed)
    return ds


def _infer_type(values: list):
    def ok(cast):
        try:
            for v in values:
                if v != "":
                    cast(v)
            return True
        except ValueError:
            return False
    if ok(int):
        big = any(v != "" and not -2**31 <= int(v) < 2**31 for v in values)
        return _dtypes.int64 if big else _dtypes.int32
    if ok(float):
        return _dtypes.float32
    return _dtypes.string


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None,
                     ignore_errors=False, encoding="utf-8") -> Dataset:
    """Batches of CSV rows as dicts of columns, `(features, label)` with `label_name`
    (`tf.data.experimental.make_csv_dataset`); column types are inferred from the first
    rows unless `column_defaults` gives them."""
    files = list_files(file_pattern, shuffle=False)
    paths = [as_path(f) for f in files.as_numpy_iterator()]
    kind = _tfr._compression(compression_type)[0]
    from rill.io.csv import split_record
    first = list(_take(_lines(paths[0], kind), num_rows_for_inference + 1))
    rows = [split_record(x.decode(encoding), field_delim, use_quote_delim) for x in first]
    if column_names is None:
        if not header:
            raise ValueError("Cannot infer column names without a header line.")
        column_names = rows[0]
    data = rows[1:] if header else rows
    names = list(column_names)
    select = list(range(len(names)))
    if select_columns is not None:
        select = [c if isinstance(c, int) else names.index(c) for c in select_columns]
        select.sort()
    if label_name is not None and label_name not in [names[i] for i in select]:
        raise ValueError(f"`label_name` provided must be one of the columns: {names}.")
    if column_defaults is None:
        column_defaults = [_infer_type([r[i] if i < len(r) else "" for r in data])
                           for i in select]
    defaults = [d if not isinstance(d, _dtypes.DType) else
                ([""] if d is _dtypes.string else [d._np.type(0)]) for d in column_defaults]
    ds = Dataset.from_tensor_slices(np.array([p.encode() for p in paths], dtype=object))
    if shuffle:
        ds = ds.shuffle(len(paths), seed=shuffle_seed)
    ds = ds.interleave(lambda f: CsvDataset(f, defaults, compression_type=kind, header=header,
                                            field_delim=field_delim,
                                            use_quote_delim=use_quote_delim, na_value=na_value,
                                            select_cols=select),
                       cycle_length=num_parallel_reads or 1, block_length=1)
    if ignore_errors:
        ds = ds.ignore_errors()
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size)
    keys = [names[i] for i in select]

    def to_dict(*cols):
        feats = OrderedDict(zip(keys, cols))
        if label_name is None:
            return feats
        label = feats.pop(label_name)
        return feats, label
    ds = ds.map(to_dict)
    return ds.prefetch(prefetch_buffer_size if prefetch_buffer_size is not None else -1)


def _take(it, n):
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x
