"""`tf.io.decode_csv`: CSV records to columns of tensors (an op, so it traces in `map`)."""

from __future__ import annotations

import csv

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute

_TYPES = ("int32", "int64", "float32", "float64", "string")


def _defaults(record_defaults) -> list:
    """[(dtype, default value or None when required)] from record_defaults: a list of
    values, one-element lists/tensors, empty tensors (required), or dtypes."""
    out = []
    for d in record_defaults:
        if isinstance(d, _dtypes.DType) or (isinstance(d, type) and issubclass(d, np.generic)):
            dt = _dtypes.as_dtype(d)
            out.append((dt, None))
            continue
        t = convert_to_tensor(d)
        v = np.asarray(t._value).reshape(-1)
        if t.dtype.name not in _TYPES:
            raise TypeError(f"decode_csv: record_defaults must be int32, int64, float32, "
                            f"float64 or string, got {t.dtype.name}.")
        if v.size > 1:
            raise ValueError(f"decode_csv: each record default must have at most one value, "
                             f"got {v.size}.")
        out.append((t.dtype, v[0] if v.size else None))
    return out


def split_record(line: str, delim: str, quotes: bool) -> list:
    if not quotes:
        return line.split(delim)
    return next(csv.reader([line], delimiter=delim, quotechar='"', doublequote=True,
                           strict=False), [""])


def _convert(field: str, dtype, default, col: int, rec: int, na: str):
    if field == "" or (na and field == na):
        if default is None:
            raise InvalidArgumentError(None, "DecodeCSV", f"Field {col} is required but missing "
                                       f"in record {rec}!\nhint: give that column a default in "
                                       f"record_defaults.")
        return default
    if dtype is _dtypes.string:
        return field.encode()
    try:
        return int(field) if dtype.is_integer else float(field)
    except ValueError:
        kind = "int" if dtype.is_integer else "float"
        raise InvalidArgumentError(None, "DecodeCSV", f"Field {col} in record {rec} is not a "
                                   f"valid {kind}: {field}") from None


def decode_lines(lines, defaults: list, delim: str, quotes: bool, na: str, select) -> list:
    """Columns (lists of Python values) of CSV lines."""
    n = len(defaults)
    cols: list = [[] for _ in range(n)]
    for r, line in enumerate(lines):
        if isinstance(line, bytes):
            line = line.decode()
        fields = split_record(line, delim, quotes)
        if select is not None:
            if len(fields) <= select[-1]:
                raise InvalidArgumentError(None, "DecodeCSV", f"Expect {select[-1] + 1} fields "
                                           f"but have {len(fields)} in record {r}")
            fields = [fields[i] for i in select]
        if len(fields) != n:
            raise InvalidArgumentError(None, "DecodeCSV", f"Expect {n} fields but have "
                                       f"{len(fields)} in record {r}\nhint: record_defaults "
                                       f"needs one entry per column (select_cols to pick).")
        for c, (f, (dtype, default)) in enumerate(zip(fields, defaults)):
            cols[c].append(_convert(f, dtype, default, c, r, na))
    return cols


def _array(values: list, dtype, shape) -> np.ndarray:
    if dtype is _dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = values
    else:
        out = np.array(values, dtype=dtype._np)
    return out.reshape(shape)


def _kernel(records, *, defaults, delim, quotes, na, select):
    r = np.asarray(records, dtype=object)
    cols = decode_lines(r.reshape(-1).tolist(), list(defaults), delim, quotes, na, select)
    return tuple(_array(c, d, r.shape) for c, (d, _) in zip(cols, defaults))


DECODE_CSV = defop("DecodeCSV", _kernel,
                   lambda records, *, defaults, **kw: [(records.shape, d) for d, _ in defaults],
                   grad=None, num_outputs=None, public_name="tf.io.decode_csv")


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None) -> list:
    """Splits CSV records (a string tensor) into one tensor per column.

    `record_defaults` gives each column's dtype and the value of an empty field (an empty
    tensor makes the column required).

    >>> a, b = tf.io.decode_csv(["1,x", "2,"], [[0], ["?"]])
    >>> a.numpy().tolist(), b.numpy().tolist()
    ([1, 2], [b'x', b'?'])
    """
    defaults = _defaults(record_defaults)
    select = None
    if select_cols is not None:
        select = [int(i) for i in select_cols]
        if select != sorted(set(select)):
            raise ValueError("select_cols is not strictly increasing.")
        if len(select) != len(defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    if len(field_delim) != 1:
        raise ValueError(f"field_delim should be only 1 char, got {field_delim!r}.")
    r = convert_to_tensor(records, dtype=_dtypes.string)
    return list(execute(DECODE_CSV, (r,), {"defaults": tuple(defaults), "delim": field_delim,
                                          "quotes": bool(use_quote_delim), "na": na_value,
                                          "select": None if select is None else tuple(select)}))
