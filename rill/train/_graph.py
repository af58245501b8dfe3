"""The object graph a checkpoint saves: which objects it reaches, under which names.

From the root, a breadth-first walk visits: `tf.Variable`s (leaves), `tf.Module`s (so Keras
layers, models and metrics) through their attributes, `tf.train.Checkpoint`s through the
objects given to them, Keras optimizers (`_iterations`, `_learning_rate`, `_variables/<i>`,
as Keras 3 on TensorFlow names them), dataset iterators (their position), and the lists,
tuples and dicts inside any of these. Attribute names are sorted, private names (`_x`) after
public ones. Each object is saved once, under the first path that reaches it, so the path
that names a variable is the shortest one (`net/l1/kernel`, not `net/_weights/0`).

A variable's key is `<path>/.ATTRIBUTES/VARIABLE_VALUE`, an iterator's
`<path>/.ATTRIBUTES/ITERATOR_STATE` (its position as JSON bytes), TensorFlow's key names.
A local name containing `/` or `.` is escaped as TensorFlow escapes it (`.S`, `..`).
"""

from __future__ import annotations

import json
from collections import deque

import numpy as np

from rill._core.module import Module

VALUE = "/.ATTRIBUTES/VARIABLE_VALUE"
ITERATOR = "/.ATTRIBUTES/ITERATOR_STATE"
_NAMED = (".ATTRIBUTES",)


def escape(name) -> str:
    """A local name as it appears in a key (TensorFlow's escaping of `.` and `/`)."""
    return str(name).replace(".", "..").replace("/", ".S")


def is_variable(x) -> bool:
    return getattr(type(x), "_is_variable", False) is True


def is_optimizer(x) -> bool:
    """A Keras optimizer (duck-typed, so this module needs no Keras)."""
    return (not isinstance(x, Module) and hasattr(x, "apply_gradients")
            and hasattr(x, "_variables") and hasattr(x, "iterations"))


def is_iterator(x) -> bool:
    """A dataset iterator with position hooks (`_save`/`_restore`)."""
    return callable(getattr(x, "_save", None)) and callable(getattr(x, "_restore", None)) \
        and hasattr(x, "get_next")


def _is_checkpoint(x) -> bool:
    return hasattr(type(x), "_checkpoint_children")


def is_trackable(x) -> bool:
    """Whether a checkpoint can hold `x` (directly, or `x` is a container of such)."""
    if is_variable(x) or isinstance(x, Module) or is_optimizer(x) or is_iterator(x) \
            or _is_checkpoint(x):
        return True
    if isinstance(x, (list, tuple)):
        return all(is_trackable(v) for v in x)
    if isinstance(x, dict):
        return all(is_trackable(v) for v in x.values())
    return False


def _attr_key(name: str):
    return (name.startswith("_"), name)


def children(obj) -> list:
    """(local name, child) pairs of one node, in walk order."""
    if _is_checkpoint(obj):
        return list(obj._checkpoint_children())
    if isinstance(obj, dict):
        try:
            keys = sorted(obj)
        except TypeError:
            keys = list(obj)
        return [(str(k), obj[k]) for k in keys]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    if is_optimizer(obj):
        out = [("_iterations", obj.iterations)]
        lr = getattr(obj, "_learning_rate_var", None)
        if lr is not None:
            out.append(("_learning_rate", lr))
        return out + [("_variables", list(obj._variables))]
    if isinstance(obj, Module):
        ignored = type(obj)._TF_MODULE_IGNORED_PROPERTIES
        attrs = vars(obj)
        return [(n, attrs[n]) for n in sorted(attrs, key=_attr_key) if n not in ignored]
    return []


def child(obj, name: str):
    """The child of `obj` whose escaped local name is `name`, or `_MISSING`."""
    if isinstance(obj, (list, tuple)):
        if name.isdigit() and int(name) < len(obj):
            return obj[int(name)]
        return _MISSING
    if isinstance(obj, Module) and not isinstance(obj, dict):
        attrs = vars(obj)
        if name in attrs:  # attribute names need no escaping
            return attrs[name]
    for n, c in children(obj):
        if escape(n) == name:
            return c
    return _MISSING


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _descend(value) -> bool:
    return isinstance(value, (Module, list, tuple, dict)) or is_optimizer(value) \
        or _is_checkpoint(value)


def walk(root) -> tuple[dict, dict, dict]:
    """Breadth-first walk from `root`: (variables, iterators, nodes), each a dict from the
    path (a tuple of escaped names) to the object, every object under its first path."""
    variables, iterators, nodes = {}, {}, {(): root}
    seen = {id(root)}
    queue = deque([((), root)])
    while queue:
        path, obj = queue.popleft()
        for name, value in children(obj):
            if id(value) in seen or not (is_variable(value) or is_iterator(value)
                                         or _descend(value)):
                continue
            if isinstance(value, (list, tuple, dict)) and not _holds_trackable(value):
                continue
            seen.add(id(value))
            sub = path + (escape(name),)
            if is_variable(value):
                variables[sub] = value
            elif is_iterator(value):
                iterators[sub] = value
            else:
                nodes[sub] = value
                queue.append((sub, value))
    return variables, iterators, nodes


def _holds_trackable(value, depth: int = 0) -> bool:
    if depth > 50:
        return False
    items = value.values() if isinstance(value, dict) else value
    for v in items:
        if is_variable(v) or is_iterator(v) or isinstance(v, Module) or is_optimizer(v) \
                or _is_checkpoint(v):
            return True
        if isinstance(v, (list, tuple, dict)) and _holds_trackable(v, depth + 1):
            return True
    return False


def key(path: tuple, suffix: str = VALUE) -> str:
    return "/".join(path) + suffix


def split_key(key_: str) -> tuple[tuple, str] | None:
    """(path, suffix) of a saved key, or None for keys that name no object value."""
    for suffix in (VALUE, ITERATOR):
        if key_.endswith(suffix):
            head = key_[: -len(suffix)]
            return (tuple(head.split("/")) if head else ()), suffix
    return None


def collect(root) -> tuple[dict, dict]:
    """The tensors to save from `root` (key -> NumPy array) and the graph metadata: for each
    optimizer, the keys of the variables it was built for (in its order), so a restore can
    build an optimizer that has not made its slots yet."""
    variables, iterators, nodes = walk(root)
    tensors = {key(p): np.asarray(v.numpy()) for p, v in variables.items()}
    for p, it in iterators.items():
        state = json.dumps(it._save(), sort_keys=True).encode()
        tensors[key(p, ITERATOR)] = np.frombuffer(state, dtype=np.uint8).copy()
    where = {id(v): key(p) for p, v in variables.items()}
    optimizers = {}
    for p, node in nodes.items():
        if is_optimizer(node):
            built = getattr(node, "_trainable_variables", [])
            optimizers["/".join(p)] = [where.get(id(v)) for v in built]
    return tensors, {"optimizers": optimizers}
