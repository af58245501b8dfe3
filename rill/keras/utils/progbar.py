"""`keras.utils.Progbar`: the progress bar that `fit`, `evaluate` and `predict` print.

It prints as Keras 3 prints:

    12/100 ━━━━━━━━━━━━━━━━━━━━ 3s 40ms/step - loss: 0.1234 - mae: 0.2345

On a terminal (or in a Jupyter kernel) the line is rewritten in place with `\\r`, with the
done part of the bar in green, at most once per `interval` seconds; elsewhere (pipes, CI
logs, files) only the final line of each bar is printed, so logs are not flooded. Everything
goes through `sys.stdout` as it is when the bar prints.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping

import numpy as np

_BAR_CHAR, _LIGHT_CHAR = "━", "─"
_BOLD, _GREEN, _DIM, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_now = time.monotonic  # the clock (tests replace it)


def _is_dynamic() -> bool:
    """Whether `\\r` rewrites the line: a terminal, or a Jupyter kernel's output."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # a closed stream
        tty = False
    return tty or "ipykernel" in sys.modules


def _write(text: str) -> None:
    out = sys.stdout
    if out is None:
        return
    try:
        out.write(text)
    except UnicodeEncodeError:  # a stream that cannot encode the bar (e.g. ASCII only)
        out.write(text.replace(_BAR_CHAR, "=").replace(_LIGHT_CHAR, "."))
    flush = getattr(out, "flush", None)
    if flush is not None:
        flush()


def _as_value(value):
    """A Python float for numbers, scalars, arrays (their mean) and tensors; else as is."""
    if isinstance(value, (str, bytes)):
        return value
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return float(np.mean(value))
    except (TypeError, ValueError):
        return value


def _format_value(value) -> str:
    if not isinstance(value, float):
        return str(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def format_time_per_unit(seconds: float, unit_name: str = "step") -> str:
    """A duration per step as Keras prints it: `2s/step`, `40ms/step` or `350us/step`."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


class Progbar:
    """A progress bar for loops of known (or unknown) length.

    Values given to `update` are averaged over the steps seen (weighted by the steps each
    covers), except those named in `stateful_metrics`, which are shown as given (use it for
    values that are already running means, such as a `keras.metrics.Mean` result).

    Args:
        target: the total number of steps, or None if unknown.
        width: the bar's width in characters.
        verbose: 0 silent, 1 the bar, 2 one line when the bar is done.
        interval: the least number of seconds between two redraws on a terminal.
        stateful_metrics: names of values shown as given rather than averaged.
        unit_name: the name of a step in the time per step (`"step"`, `"sample"`).
        stateless_metrics: Keras 3's converse: only these names are averaged (give at most
            one of `stateful_metrics` and `stateless_metrics`).

    >>> bar = keras.utils.Progbar(3)
    >>> for step in range(1, 4):
    ...     bar.update(step, values=[("loss", 0.5 * step)])
    3/3 ━━━━━━━━━━━━━━━━━━━━ 0s ...s/step - loss: 1.0000
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Iterable[str] | None = None,
                 unit_name: str = "step", stateless_metrics: Iterable[str] | None = None):
        if target is not None and (not isinstance(target, (int, np.integer)) or target < 0):
            raise ValueError(f"Progbar: `target` must be a non-negative int or None; got "
                             f"{target!r}.\nhint: pass the number of steps, e.g. "
                             f"Progbar(len(dataset)), or None when it is unknown.")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: `verbose` must be 0, 1 or 2; got {verbose!r}.\nhint: "
                             f"1 shows the bar, 2 one line at the end, 0 nothing.")
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: got both `stateful_metrics` and `stateless_metrics`.\n"
                             "hint: give only one: the names shown as given, or the names "
                             "averaged.")
        self.target = None if target is None else int(target)
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._stateless = None if stateless_metrics is None else set(stateless_metrics)
        self._values: dict = {}  # name -> [weighted sum, weight]; insertion order kept
        self._seen_so_far = 0
        self._start = _now()
        self._after_first_step = None
        self._last_update = None
        self._prev_width = 0

    def _averaged(self, name: str) -> bool:
        if self._stateless is not None:
            return name in self._stateless
        return name not in self.stateful_metrics

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Moves the bar to step `current` and records `values`.

        Args:
            current: the number of steps done.
            values: `(name, value)` pairs (or a dict) for this step.
            finalize: whether this is the last update; by default when `current` reaches
                `target` (never for an unknown target).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        items = values.items() if isinstance(values, Mapping) else (values or ())
        for name, value in items:
            value = _as_value(value)
            slot = self._values.get(name)
            if self._averaged(name) and isinstance(value, float):
                weight = max(current - self._seen_so_far, 1)
                if slot is None or not isinstance(slot[0], float):
                    self._values[name] = [value * weight, weight]
                else:
                    slot[0] += value * weight
                    slot[1] += weight
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current
        now = _now()
        per_step = self._time_per_step(current, now)
        if self.verbose == 1:
            self._draw(current, now, per_step, finalize)
        elif self.verbose == 2 and finalize:
            count = self._count(current)
            _write(f"{count} - {now - self._start:.0f}s - "
                   f"{format_time_per_unit(per_step, self.unit_name)}{self._metrics()}\n")

    def add(self, n: int, values=None) -> None:
        """Advances the bar by `n` steps (see `update`)."""
        self.update(self._seen_so_far + n, values)

    # -- drawing -----------------------------------------------------------------------------
    def _time_per_step(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first step (tracing, warm-up) once past it."""
        if not current:
            return 0.0
        if self._after_first_step is not None and current > 1:
            per_step = (now - self._after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._after_first_step = now
        return per_step

    def _count(self, current: int) -> str:
        if not self.target:
            return f"{current}/Unknown"
        return f"{current:>{len(str(self.target))}}/{self.target}"

    def _metrics(self) -> str:
        parts = []
        for name, (total, weight) in self._values.items():
            value = total / max(weight, 1) if isinstance(total, float) else total
            parts.append(f" - {name}: {_format_value(value)}")
        return "".join(parts)

    def _draw(self, current: int, now: float, per_step: float, finalize: bool) -> None:
        dynamic = _is_dynamic()
        if not finalize and (not dynamic or (self._last_update is not None and
                                             now - self._last_update < self.interval)):
            return
        self._last_update = now
        if self.target:
            count = self._count(current)
            done = min(max(int(self.width * current / self.target), 0), self.width)
            # without colours the undone part needs its own (lighter) character
            plain = f"{count} {_BAR_CHAR * done}{_LIGHT_CHAR * (self.width - done)}"
            styled = (f"{_BOLD}{count}{_RESET} {_GREEN}{_BAR_CHAR * done}{_RESET}"
                      f"{_DIM}{_BAR_CHAR * (self.width - done)}{_RESET}")
        else:
            plain = styled = f"{current:>7}/Unknown"
        if self.target and not finalize:
            clock = _format_eta(per_step * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        info = f" {format_time_per_unit(per_step, self.unit_name)}{self._metrics()}"
        if not dynamic:
            _write(f"{plain} {clock}{info}\n")
            return
        width = len(plain) + 1 + len(clock) + len(info)
        pad = " " * max(self._prev_width - width, 0)
        self._prev_width = 0 if finalize else width
        _write(f"\r{styled} {_BOLD}{clock}{_RESET}{info}{pad}" + ("\n" if finalize else ""))
