"""Warnings for functions that keep retracing, with the cause and the fix.

TensorFlow says that "5 out of the last 5 calls triggered retracing" and lists generic causes.
rill names the function, where it was called, which argument changed and how (shape, dtype,
Python value, new object, structure), and what to do about that particular change.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections import deque

from rill._core.dtypes import from_numpy
from rill._core.tensor_shape import TensorShape
from rill.function import signature as _sig

TRACES = 5  # traces ...
WINDOW = 10  # ... within this many calls of one function make a warning
_RILL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
LOOP_SECONDS = 2.0  # new Function objects of one Python function tracing this fast: a loop
_first_traces: dict = {}  # code object -> times at which new Function objects traced it
_loop_warned: set = set()


class RetracingWarning(UserWarning):
    """A tf.function traced again and again: tracing is slow (Python runs, a new graph is
    built and compiled each time)."""


def call_site():
    """(file, line) of the innermost frame outside rill."""
    f = sys._getframe(1)
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(_RILL_DIR) and not name.startswith("<rill"):
            return name, f.f_lineno
        f = f.f_back
    return "<unknown>", 0


def where_defined(fn) -> str:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    return f" (defined at {code.co_filename}:{code.co_firstlineno})" if code else ""


class TraceHistory:
    """The calls at which one function traced; decides when to warn."""

    __slots__ = ("calls", "warned")

    def __init__(self):
        self.calls: deque = deque(maxlen=TRACES)
        self.warned = False

    def on_trace(self, function, ncalls: int, old_key, new_key, names: list) -> None:
        if self.calls and self.calls[-1] == ncalls:
            return  # a second trace within one call (variables were created): one event
        self.calls.append(ncalls)
        if self.warned or len(self.calls) < TRACES or ncalls - self.calls[0] >= WINDOW:
            return
        self.warned = True
        file, line = call_site()
        text = (f"tf.function {function.__name__!r}{where_defined(function.python_function)} "
                f"was traced {TRACES} times in its last {ncalls - self.calls[0] + 1} calls; "
                f"each trace runs the Python code again and builds and compiles a new graph, "
                f"which is slow.\n")
        text += explain(old_key, new_key, names, function.__name__, f"{file}:{line}")
        warnings.warn_explicit(text, RetracingWarning, file, line)


def on_first_trace(code) -> None:
    """Warns when new Function objects for one Python function of the user's trace in quick
    succession (a tf.function created inside a loop traces every time)."""
    if code is None or code.co_filename.startswith(_RILL_DIR):
        return
    times = _first_traces.get(code)
    if times is None:
        times = _first_traces[code] = deque(maxlen=TRACES)
    now = time.monotonic()
    times.append(now)
    if len(times) == TRACES and now - times[0] < LOOP_SECONDS and code not in _loop_warned:
        _loop_warned.add(code)
        file, line = call_site()
        warnings.warn_explicit(
            f"tf.function was created and traced {TRACES} times within "
            f"{now - times[0]:.2f} s for the same Python function {code.co_name!r} (defined "
            f"at {code.co_filename}:{code.co_firstlineno}); every new tf.function object "
            f"traces again.\nhint: create the tf.function once, outside the loop (e.g. "
            f"decorate the function at module level), and call it many times.",
            RetracingWarning, file, line)


def explain(old_key, new_key, names: list, fname: str, where: str) -> str:
    """What changed between two call keys, and the fix for that change."""
    if old_key is None:
        return f"The latest trace was at {where}."
    olds, news = _sig.call_leaves(old_key), _sig.call_leaves(new_key)
    if len(olds) != len(news):
        return (f"The latest call, at {where}, passed {len(news)} arguments instead of "
                f"{len(olds)}.\nhint: call the function with the same arguments each time.")
    for name, a, b in zip(names, olds, news):
        found = _sig.first_difference(a, b, name, relaxed=True)
        if found is not None:
            return _describe(found, where)
    return f"The latest trace was at {where}."


def _describe(found, where: str) -> str:
    path, a, b = found
    head = f"The latest retrace, at {where}: argument {path!r}"
    if _sig._is_leaf(a) and _sig._is_leaf(b) and a[0] == b[0] == "T":
        if a[2] != b[2]:
            return (f"{head} changed dtype from {from_numpy(a[2]).name} to "
                    f"{from_numpy(b[2]).name}.\nhint: cast it to one dtype before calling "
                    f"(tf.cast), so that one graph serves every call.")
        old, new = _shape(a[1]), _shape(b[1])
        relaxed = _sig.relax(a, b)
        dims = _shape(relaxed[1]) if relaxed else "None"
        return (f"{head} changed shape from {old} to {new}.\nhint: pass "
                f"input_signature=[tf.TensorSpec(shape={dims}, dtype=tf."
                f"{from_numpy(b[2]).name})] or reduce_retracing=True to tf.function, so "
                f"that one graph serves all these shapes.")
    if _sig._is_leaf(a) and _sig._is_leaf(b) and a[0] == b[0] == "P":
        kind = b[1].__name__
        return (f"{head} is a Python {kind} whose value changed from {a[2]!r} to {b[2]!r}; "
                f"every distinct Python value makes a new graph.\nhint: pass a tensor "
                f"instead (tf.constant({b[2]!r})) if the value changes from call to call; "
                f"keep Python values for settings with few distinct values.")
    if _sig._is_leaf(a) and _sig._is_leaf(b) and a[0] == b[0] and a[0] in "OV":
        what = "variable" if a[0] == "V" else "object"
        return (f"{head} is a new {what} (tf.function compares such arguments by "
                f"identity, so each new one makes a new graph).\nhint: pass the same "
                f"{what} every time, or pass its data as tensors.")
    return (f"{head} changed from {_sig.describe_leaf(a)} to {_sig.describe_leaf(b)}.\n"
            f"hint: keep each argument's structure and types the same from call to call, "
            f"or pass tensors.")


def _shape(dims) -> str:
    return str(TensorShape(None if dims is None else list(dims)))
