"""`tf.print`: the `PrintV2` op, a stateful op that prints each time it runs (in compiled
graphs too, unlike Python's `print`, which runs only while tracing), in TensorFlow's format.

Tensors print like NumPy without commas, long dimensions summarized to their first and last
`summarize` entries; floats with the fewest digits that read back to the same value (as
TensorFlow does); strings inside tensors in double quotes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np

from rill._core import nest
from rill._core.convert import convert_to_tensor
from rill._core.op import defop, execute
from rill._core.tensor import Tensor

_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"',
            ord("'"): "\\'", ord("\\"): "\\\\"}


class _Slot:
    """Stands for the i-th tensor input in the printed structure."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _float_text(x, wide: bool) -> str:
    x = float(x)
    if x != x:
        return "nan" if np.copysign(1.0, x) > 0 else "-nan"
    short, full = (15, 17) if wide else (6, 9)
    text = f"{x:.{short}g}"
    same = float(text) == x if wide else np.float32(float(text)) == np.float32(x)
    return text if same else f"{x:.{full}g}"


def _bytes_text(b) -> str:
    s = b.decode("utf-8", "backslashreplace") if isinstance(b, bytes) else str(b)
    out = []
    for ch in s:
        c = ord(ch)
        out.append(_ESCAPES.get(c) or (ch if 32 <= c < 127 or c > 127 else f"\\{c:03o}"))
    return '"' + "".join(out) + '"'


def _scalar_text(v, dtype: np.dtype) -> str:
    kind = dtype.kind
    if kind == "b":
        return "1" if v else "0"
    if kind in "iu":
        return str(int(v))
    if kind == "f":
        return _float_text(v, dtype.itemsize >= 8)
    if kind == "O":
        return _bytes_text(v)
    return "?"


def tensor_text(a, summarize: int = 3) -> str:
    """A NumPy array in TensorFlow's print format."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _scalar_text(a[()], a.dtype)
    return _dim_text(a, summarize, 1)


def _dim_text(a: np.ndarray, summarize: int, depth: int) -> str:
    n = a.shape[0]
    if 0 <= summarize and 2 * summarize < n:
        idx = list(range(summarize)) + [None] + list(range(n - summarize, n))
    else:
        idx = list(range(n))
    if a.ndim == 1:
        parts = ["..." if i is None else _scalar_text(a[i], a.dtype) for i in idx]
        return "[" + " ".join(parts) + "]"
    parts = ["..." if i is None else _dim_text(a[i], summarize, depth + 1) for i in idx]
    return "[" + ("\n" * (a.ndim - 1) + " " * depth).join(parts) + "]"


def _structure_text(x, values: list, summarize: int, top: bool) -> str:
    if isinstance(x, _Slot):
        return tensor_text(values[x.index], summarize)
    if isinstance(x, str) and top:
        return x
    if isinstance(x, Mapping):
        return "{" + ", ".join(f"{k!r}: {_structure_text(x[k], values, summarize, False)}"
                               for k in nest._sorted(x)) + "}"
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return type(x).__name__ + "(" + ", ".join(
            f"{f}={_structure_text(v, values, summarize, False)}"
            for f, v in zip(x._fields, x)) + ")"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_structure_text(v, values, summarize, False) for v in x)
        if isinstance(x, list):
            return f"[{inner}]"
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    return repr(x)


def _print_kernel(*values, template, sep, end, stream, summarize):
    text = sep.join(_structure_text(x, values, summarize, True) for x in template) + end
    if stream == "stderr":
        sys.stderr.write(text)
    elif stream == "stdout":
        sys.stdout.write(text)
    elif isinstance(stream, str):
        with open(stream, "a", encoding="utf-8") as f:
            f.write(text)
    else:
        stream.write(text)
    return ()


PRINT = defop("PrintV2", _print_kernel, lambda *values, **attrs: [], grad=None, num_outputs=0,
              stateful=True, public_name="tf.print")


def _stream(output_stream):
    if output_stream is None or output_stream is sys.stderr or output_stream is sys.__stderr__:
        return "stderr"
    if output_stream is sys.stdout or output_stream is sys.__stdout__:
        return "stdout"
    if isinstance(output_stream, str):
        if output_stream.startswith("file://"):
            return output_stream[len("file://"):]
        raise ValueError(f"tf.print: output_stream {output_stream!r} is not supported.\n"
                         f"hint: use sys.stdout, sys.stderr or 'file:///path/to/file'.")
    if not hasattr(output_stream, "write"):
        raise ValueError(f"tf.print: output_stream must be sys.stdout, sys.stderr, a "
                         f"'file://' path or an object with a write method, got "
                         f"{output_stream!r}.")
    return output_stream


def print(*inputs, output_stream=None, summarize: int = 3, sep: str = " ", end: str = "\n",
          name=None):  # noqa: A001 - TensorFlow's name
    """Prints tensors and Python values (`tf.print`); inside tf.function it prints on every
    call. `summarize` entries are shown at each end of long dimensions (-1: all).

    >>> tf.print("x:", tf.constant([1.5, 2.0]), output_stream=sys.stdout)
    x: [1.5 2]
    """
    tensors = []

    def slot(x):
        if isinstance(x, Tensor) or hasattr(x, "_is_variable"):
            tensors.append(convert_to_tensor(x))
            return _Slot(len(tensors) - 1)
        return x

    template = tuple(_map(slot, x) for x in inputs)
    execute(PRINT, tuple(tensors), {"template": template, "sep": sep, "end": end,
                                    "stream": _stream(output_stream),
                                    "summarize": int(summarize)})
    return None


def _map(fn, x):
    """`fn` applied to the leaves of a structure; containers keep their types."""
    if isinstance(x, Mapping):
        return type(x)((k, _map(fn, v)) for k, v in x.items()) if type(x) is not dict \
            else {k: _map(fn, v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return type(x)(*[_map(fn, v) for v in x])
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, v) for v in x)
    return fn(x)


__tf_names__ = {"tf": "print"}
