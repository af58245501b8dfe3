"""Execution state: what eager execution, tapes and tracing consult on every op, per thread.

TensorFlow keeps this state per thread, and so does rill: `state` is a `threading.local`, so
each thread sees its own

- `tapes`: the GradientTapes (and forward accumulators, variable watchers) now recording,
  innermost last;
- `graphs`: the graphs being traced (or opened with `Graph.as_default`), innermost last;
- `op_hooks`: callbacks run on every eager op's outputs (check_numerics, explain_gradients),
  each called as `hook(opdef, inputs, attrs, outputs)`;
- `name_scope`: the eager name scope (a traced graph keeps its own);
- `backward_reach`: the ids of the tensors that depend on a source, one set per running
  backward pass; `numerics_frames`: one frame per backward pass while numerics are checked;
- `explaining` / `checking`: the `explain_gradients` / `enable_check_numerics` switches.

The three lists are mutated in place, never rebound. A thread-local lookup costs about 30 ns,
too much for the eager fast paths, so they first test `active`, one process-wide list that is
non-empty while any thread has a tape, a graph or a hook: `if not _active:` is plain eager
execution in every thread, and only otherwise do they read `state`. (`tf.config.
run_functions_eagerly` is process-wide in TensorFlow, and lives in `rill.function`.)

`context.tapes`, `context.graphs` and `context.op_hooks` read as the calling thread's lists.
"""

from __future__ import annotations

import threading

active: list = []  # the _Flags of the threads that have a tape, a graph or a hook


class _Flag:
    """Keeps one thread's membership of `active` in step with its three lists."""

    __slots__ = ("lists", "on")

    def __init__(self):
        self.lists = ()
        self.on = False

    def sync(self) -> None:
        a, b, c = self.lists
        on = bool(a or b or c)
        if on is not self.on:
            self.on = on
            if on:
                active.append(self)
            else:
                active.remove(self)


class _Stack(list):
    """A list that reports every change to its thread's `_Flag` (reads stay list-fast)."""

    __slots__ = ("_flag",)

    def __init__(self, flag: _Flag):
        super().__init__()
        self._flag = flag

    # the two changes every tape and trace makes, without the generic wrapper's cost
    def append(self, item) -> None:
        list.append(self, item)
        flag = self._flag
        if not flag.on:
            flag.sync()

    def pop(self, index: int = -1):
        item = list.pop(self, index)
        if not self:
            self._flag.sync()
        return item


def _reporting(name: str):
    base = getattr(list, name)

    def method(self, *args):
        out = base(self, *args)
        self._flag.sync()
        return out
    method.__name__ = name
    return method


for _name in ("insert", "remove", "clear", "extend", "__setitem__", "__delitem__", "__iadd__"):
    setattr(_Stack, _name, _reporting(_name))

explain_default = False  # explain_gradients in new threads (RILL_EXPLAIN_GRADIENTS=1)


class _State(threading.local):
    def __init__(self):
        flag = _Flag()
        self.tapes = _Stack(flag)
        self.graphs = _Stack(flag)
        self.op_hooks = _Stack(flag)
        flag.lists = (self.tapes, self.graphs, self.op_hooks)
        self.lists = (self.graphs, self.tapes, self.op_hooks)  # for one lookup on hot paths
        self.name_scope = ""
        self.backward_reach: list = []
        self.numerics_frames: list = []
        self.explaining = explain_default
        self.checking = False


state = _State()


def __getattr__(name: str):
    if name in ("tapes", "graphs", "op_hooks"):
        return getattr(state, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def executing_eagerly() -> bool:
    """True unless a `tf.function` is being traced (in the calling thread)."""
    return not (active and state.graphs)


__tf_names__ = {"tf": "executing_eagerly"}
