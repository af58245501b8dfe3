"""Restoring a checkpoint into live objects, now or when they are created (deferred).

A restore matches each saved key to a live object by walking its path from the root by name.
A value whose object does not exist yet (a layer not built, an optimizer without its slots)
stays pending: it is assigned as soon as the object appears, which rill notices when an
attribute is set on a `tf.train.Checkpoint` or `notify()` is called (by objects that create
variables late), and at every checkpoint call. An optimizer that has not made its slots is
built for the variables it was saved with once they exist, then its slots are restored. A
newer restore into the same root replaces the pending values of an older one.
"""

from __future__ import annotations

import json
import weakref

import numpy as np

from rill.train import _graph as G

_PENDING: list = []  # the _Restore objects with values still waiting for their objects


class _Restore:
    """The values of one `restore` call that are not assigned yet.

    Each waiting value is anchored (weakly) on the deepest object of its path that exists,
    with the rest of the path to follow from there, so it lives as long as that object does
    and not longer; the `Checkpoint` that restored it may be dropped.
    """

    def __init__(self, root, reader):
        self.root_ref = weakref.ref(root)
        self.path = reader.path
        self.saved_keys = set(reader.keys)
        self.pending: dict = {}  # key -> [anchor ref, rest of the path, suffix, value]
        for k in reader.keys:
            split = G.split_key(k)
            if split is not None:
                self.pending[k] = [*_anchor(root, split[0]), split[1], reader.get(k)]
        self.optimizers = []  # [anchor, rest, prefix, [(anchor, rest) of each variable]]
        for opt_path, refs in (reader.graph.get("optimizers") or {}).items():
            if refs and None not in refs:
                path = tuple(opt_path.split("/")) if opt_path else ()
                self.optimizers.append([*_anchor(root, path), "/".join(path + ("_variables",)),
                                        [_anchor(root, G.split_key(r)[0]) for r in refs]])
        self.matched_ids: set = set()

    def apply(self) -> None:
        """Assigns every pending value whose object exists now."""
        self._assign_all()
        if self._build_optimizers():
            self._assign_all()

    def _assign_all(self) -> None:
        for k, (anchor, rest, suffix, value) in list(self.pending.items()):
            start = anchor()
            if start is None:  # its object is gone: nothing can receive the value any more
                del self.pending[k]
                continue
            target = _resolve(start, rest)
            if target is G._MISSING:
                continue
            del self.pending[k]
            _assign(target, value, suffix, k, self.path)
            self.matched_ids.add(id(target))

    def _build_optimizers(self) -> bool:
        built = False
        for anchor, rest, prefix, refs in self.optimizers:
            if not any(k.startswith(prefix + "/") for k in self.pending):
                continue
            start = anchor()
            opt = _resolve(start, rest) if start is not None else G._MISSING
            if opt is G._MISSING or not G.is_optimizer(opt):
                continue
            variables = []
            for ref_anchor, ref_rest in refs:
                ref_start = ref_anchor()
                v = _resolve(ref_start, ref_rest) if ref_start is not None else G._MISSING
                if v is G._MISSING or not G.is_variable(v):
                    break
                variables.append(v)
            else:
                known = {id(v) for v in getattr(opt, "_trainable_variables", [])}
                if not all(id(v) in known for v in variables):
                    opt.build(variables)
                    opt.built = True
                    built = True
        return built


def _anchor(root, path: tuple):
    """(weak reference to the deepest existing object on `path` that can hold one, the rest
    of the path from it)."""
    obj, best, at = root, root, 0
    for i, name in enumerate(path):
        obj = G.child(obj, name)
        if obj is G._MISSING or G.is_variable(obj):
            break
        if not isinstance(obj, (list, tuple, dict)):
            try:
                weakref.ref(obj)
            except TypeError:
                continue
            best, at = obj, i + 1
    return weakref.ref(best), path[at:]


def _resolve(root, path: tuple):
    obj = root
    for name in path:
        obj = G.child(obj, name)
        if obj is G._MISSING:
            return obj
    return obj


def _assign(target, value: np.ndarray, suffix: str, key: str, path: str) -> None:
    if suffix == G.ITERATOR:
        if not G.is_iterator(target):
            raise ValueError(f"Checkpoint {path!r}: {key!r} holds an iterator's position but "
                             f"the object there is a {type(target).__name__}.\nhint: restore "
                             f"into the same structure of objects that was saved.")
        target._restore(json.loads(bytes(value).decode("utf-8")))
        return
    if not G.is_variable(target):
        raise ValueError(f"Checkpoint {path!r}: {key!r} holds a variable's value but the "
                         f"object there is a {type(target).__name__}, not a tf.Variable.\n"
                         f"hint: restore into the same structure of objects that was saved.")
    want = target.shape
    if not want.is_compatible_with(value.shape):
        raise ValueError(f"Checkpoint {path!r}: cannot restore {key!r}: the checkpoint holds "
                         f"shape {list(value.shape)} but the variable {target.name!r} has "
                         f"shape {want.as_list() if want.rank is not None else None}.\nhint: "
                         f"build the object with the same sizes it had when it was saved.")
    dtype = np.dtype(target.dtype.as_numpy_dtype)
    if value.dtype != dtype:
        if not np.can_cast(value.dtype, dtype, "same_kind"):
            raise ValueError(f"Checkpoint {path!r}: cannot restore {key!r}: the checkpoint "
                             f"holds {value.dtype} but the variable {target.name!r} is "
                             f"{target.dtype.name}.\nhint: create the variable with "
                             f"dtype={value.dtype}.")
        value = value.astype(dtype)
    target.assign(value)


def start(root, reader) -> _Restore:
    """Restores what exists now and leaves the rest pending; returns the restore."""
    for r in list(_PENDING):
        if r.root_ref() is root:
            _PENDING.remove(r)
    r = _Restore(root, reader)
    r.apply()
    if r.pending:
        _PENDING.append(r)
    return r


def notify(*_args) -> None:
    """Tells pending restores that objects may have appeared (cheap when none is pending).

    Objects that create variables after their construction (layers in `build`, optimizers in
    `build`) call this once the new variables are reachable from their owner.
    """
    if not _PENDING:
        return
    for r in list(_PENDING):
        r.apply()
        if not r.pending and r in _PENDING:
            _PENDING.remove(r)



def unmatched(r: _Restore, root) -> tuple[list, list]:
    """(keys of live variables and iterators this restore gave no value, saved keys still
    pending), both sorted."""
    variables, iterators, _ = G.walk(root)
    live = [G.key(p) for p, v in variables.items() if id(v) not in r.matched_ids]
    live += [G.key(p, G.ITERATOR) for p, v in iterators.items() if id(v) not in r.matched_ids]
    return sorted(live), sorted(r.pending)
