"""`Model.summary()`: the table Keras 3 prints, drawn without the `rich` library.

Column widths follow Keras 3: `positions` (fractions of `line_length`, default 88 for
sequential-like models and 108 for graphs, at most the terminal width minus 4) give each
column a width; the table, being `line_length` wide with borders and one space of padding on
each side of a cell, shrinks the columns evenly to fit (as rich does); cell text wraps at
spaces and long words end in an ellipsis.
"""

from __future__ import annotations

import math
import shutil

import numpy as np

_HEAVY_TOP = ("┏", "━", "┳", "┓")
_HEAVY_HEAD_SEP = ("┡", "━", "╇", "┩")
_ROW_SEP = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")


def _ratio_reduce(total: int, ratios: list, maximums: list, values: list) -> list:
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining, out = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            cut = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - cut)
            remaining -= cut
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def column_widths(line_length: int, positions: list) -> list:
    """Cell widths (padding included, borders excluded), as rich lays out the table."""
    widths, current = [], 0
    for pos in positions:
        pos = pos if pos > 1 else pos * line_length
        width = int(pos) - current
        if width < 4:
            raise ValueError(f"summary: the column at position {pos} is {width} characters "
                             f"wide, too narrow to print.\nhint: pass a larger line_length "
                             f"or other positions.")
        widths.append(width)
        current += width
    max_width = line_length - (2 + len(widths) - 1)
    widths = [min(w + 2, max_width) for w in widths]
    excess = sum(widths) - max_width
    if excess > 0:
        widths = _ratio_reduce(excess, [1] * len(widths), widths, widths)
    return widths


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        stripped = paragraph.lstrip(" ")
        indent = paragraph[:len(paragraph) - len(stripped)]
        line = ""
        for i, word in enumerate(stripped.split(" ")):
            if i == 0:
                line = indent + word  # leading spaces stay (nested rows are indented)
            elif not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return [ln if len(ln) <= width else ln[:width - 1] + "…" for ln in lines]


def _justify(text: str, width: int, how: str) -> str:
    if how == "right":
        return text.rjust(width)
    if how == "center":
        left = (width - len(text)) // 2
        return " " * left + text + " " * (width - len(text) - left)
    return text.ljust(width)


def _rule(widths: list, parts: tuple) -> str:
    left, fill, mid, right = parts
    return left + mid.join(fill * w for w in widths) + right


def render_table(header: list, align: list, widths: list, rows: list) -> list[str]:
    """Lines of a heavy-headed box table with a rule between rows."""
    vertical = ("┃", "│")

    def row_lines(cells, bar):
        wrapped = [_wrap(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(w) for w in wrapped)
        out = []
        for i in range(height):
            parts = [" " + _justify(cell[i] if i < len(cell) else "", w - 2, a) + " "
                     for cell, w, a in zip(wrapped, widths, align)]
            out.append(bar + bar.join(parts) + bar)
        return out

    lines = [_rule(widths, _HEAVY_TOP)] + row_lines(header, vertical[0])
    lines.append(_rule(widths, _HEAVY_HEAD_SEP))
    for i, row in enumerate(rows):
        if i:
            lines.append(_rule(widths, _ROW_SEP))
        lines.extend(row_lines(row, vertical[1]))
    lines.append(_rule(widths, _BOTTOM))
    return lines


def readable_size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _unique(weights) -> list:
    return list({id(w): w for w in weights}.values())


def count_params(weights) -> int:
    return int(sum(math.prod(w.shape.as_list() if hasattr(w.shape, "as_list") else w.shape)
                   for w in _unique(weights)))


def weight_bytes(weights) -> int:
    return int(sum(math.prod(w.shape.as_list() if hasattr(w.shape, "as_list") else w.shape)
                   * np.dtype(w.dtype.as_numpy_dtype).itemsize for w in _unique(weights)))


def format_shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, (list, tuple)) and shape and all(
            isinstance(s, (list, tuple)) or hasattr(s, "as_list") or s is None
            for s in shape):
        parts = [format_shape(s) for s in shape]
        return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {format_shape(v)}" for k, v in shape.items()) + "}"
    dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    return "(" + ", ".join(str(d) for d in dims) + ")"


def _params_text(layer) -> str:
    if not getattr(layer, "built", True):
        return "0 (unbuilt)"
    return f"{count_params(getattr(layer, 'weights', [])):,}"


def print_summary(model, line_length=None, positions=None, print_fn=None,
                  expand_nested=False, show_trainable=False, layer_range=None) -> None:
    """Prints (or passes to `print_fn`, as one string) the summary table of `model`."""
    entries = model._summary_entries()
    sequential_like = model._summary_sequential_like()
    if sequential_like:
        default, positions = 88, positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    default = min(default, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default
    widths = column_widths(line_length, positions)

    def fields(entry, prefix=""):
        layer = entry.layer
        row = [f"{prefix}{entry.name} ({entry.type_name})", entry.shape_text,
               _params_text(layer) if layer is not None else "0"]
        if not sequential_like:
            row.append(entry.connections or "-")
        if show_trainable:
            has_weights = layer is not None and len(getattr(layer, "weights", [])) > 0
            row.append(("Y" if layer.trainable else "N") if has_weights else "-")
        return row

    def rows_of(entry, level=0):
        prefix = "   " * level + "└ " if level else ""
        rows = [fields(entry, prefix)]
        children = entry.children() if expand_nested else []
        for child in children:
            rows.extend(rows_of(child, level + 1))
        return rows

    if layer_range is not None:
        names = [e.name for e in entries]
        lo, hi = names.index(layer_range[0]), names.index(layer_range[1])
        entries = entries[lo:hi + 1]
    rows = [r for e in entries for r in rows_of(e)]
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    lines = [f'Model: "{model.name}"'] + render_table(header, align, widths, rows)
    counts = [count_params(trainable), count_params(non_trainable)]
    sizes = [weight_bytes(trainable), weight_bytes(non_trainable)]
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) \
        else None
    opt_vars = list(getattr(optimizer, "variables", None) or []) if optimizer else []
    total, total_size = sum(counts) + count_params(opt_vars), sum(sizes) + weight_bytes(opt_vars)
    lines.append(f" Total params: {total:,} ({readable_size(total_size)})")
    lines.append(f" Trainable params: {counts[0]:,} ({readable_size(sizes[0])})")
    lines.append(f" Non-trainable params: {counts[1]:,} ({readable_size(sizes[1])})")
    if opt_vars:
        lines.append(f" Optimizer params: {count_params(opt_vars):,} "
                     f"({readable_size(weight_bytes(opt_vars))})")
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)


class Entry:
    """One row of the table: a layer (or a raw op of a functional graph)."""

    def __init__(self, name, type_name, shape_text, layer=None, connections=None,
                 children=None):
        self.name, self.type_name, self.shape_text = name, type_name, shape_text
        self.layer, self.connections = layer, connections
        self._children = children

    def children(self) -> list:
        return self._children() if self._children else []


def layer_entry(layer, shape_text: str | None = None, connections=None) -> Entry:
    """The row of a layer; a nested model's rows are its children (for expand_nested)."""
    if shape_text is None:
        shape_text = layer_shape_text(layer)
    children = None
    if hasattr(layer, "_summary_entries"):
        children = layer._summary_entries
    elif getattr(layer, "_layers", None) or getattr(layer, "layers", None):
        children = lambda: [layer_entry(sub) for sub in getattr(layer, "layers", [])]
    return Entry(layer.name, type(layer).__name__, shape_text, layer, connections, children)


def layer_shape_text(layer) -> str:
    """The output shape of a layer called outside a functional graph, if it is known."""
    for attr in ("_last_output_shape", "output_shape"):
        try:
            shape = getattr(layer, attr, None)
        except (AttributeError, ValueError, RuntimeError):
            shape = None
        if shape is not None:
            return format_shape(shape)
    build_shape = getattr(layer, "_build_input_shape", None)
    if build_shape is not None:
        try:
            return format_shape(layer.compute_output_shape(build_shape))
        except Exception:  # noqa: BLE001 - a layer without a shape rule shows "?"
            return "?"
    return "?"
