"""Keras 3's weights layout (`.weights.h5`, and `model.weights.h5` inside `.keras` files).

Every saveable object (a layer, model, metric or optimizer) gets a group `<path>/vars`
holding its own variables as datasets `"0"`, `"1"`, ... (a layer's trainable ones first,
then the others; an optimizer's `variables`), with the object's name as the group's `name`
attribute. Paths follow the objects' attributes, as Keras 3 walks them:

- a Sequential or functional model's layers first, under `layers/<class>` (the class name
  in snake case, `_1`, `_2`, ... for repeats: `layers/dense`, `layers/dense_1`);
- then the attributes, sorted, private ones (`_x`) last: a layer, metric or optimizer
  attribute by its name (`block1`, `optimizer`), a list or dict of them as above
  (`block1/hidden/dense_1`; nested lists as `container`, `container_1`);
- an object reached twice is saved once, where it is first met.

Reading checks every dataset before reading it: a plain (not linked, not external) numeric
dataset of exactly the variable's shape. Errors name the file path, the object and both
shapes.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

# rill's own bookkeeping attributes of layers and models, never saved as children
_INTERNAL = frozenset({
    "_stack", "_input_layer", "_input_tensor", "_graph", "_graph_seq", "_graph_layers",
    "_trainer_state_obj", "_compile_config", "_metrics", "_metrics_by_name",
    "_tracked_names", "_own_weights", "_own_weight_ids", "_losses", "_callable_losses",
    "_inbound_nodes", "_cache", "_constructor_args", "_initial_weights",
    "_activity_regularizer", "_history_obj"})


class WeightsFileError(ValueError):
    """A weights file (or the weights part of a model file) does not fit the model."""


def snake(name: str) -> str:
    """Keras' snake case of a class name (`BatchNormalization` -> `batch_normalization`)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name if not name.startswith("_") else "private" + name


def _layer_cls():
    from rill.keras.layers import Layer
    return Layer


def is_optimizer(x) -> bool:
    from rill.keras.optimizers import Optimizer
    return isinstance(x, Optimizer)


def is_metric(x) -> bool:
    from rill.keras.metrics import Metric
    return isinstance(x, Metric)


def is_saveable(x) -> bool:
    return isinstance(x, _layer_cls()) or is_optimizer(x) or is_metric(x)


def _name_key(name: str) -> str:
    return "~" + name if name.startswith("_") else name


def _has_graph_layers(obj) -> bool:
    from rill.keras.models import Model
    return isinstance(obj, Model) and (obj.__dict__.get("_graph") is not None
                                       or obj.__dict__.get("_stack") is not None)


def _children(obj):
    """(attribute name, value) pairs of a saveable object, in Keras 3's walk order."""
    from rill.keras.models import Model
    if is_optimizer(obj) or (is_metric(obj) and not isinstance(obj, _layer_cls())):
        return
    if _has_graph_layers(obj):
        yield "layers", obj.layers
    attrs = {n: v for n, v in vars(obj).items() if n not in _INTERNAL}
    if isinstance(obj, Model):
        attrs["layers"] = None  # properties, read when their turn comes
        attrs["optimizer"] = None
    for name in sorted(attrs, key=_name_key):
        if name.startswith("__"):
            continue
        value = attrs[name] if attrs[name] is not None else getattr(obj, name, None)
        yield name, value


def _unique(name: str, used: dict) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def walk(model) -> list:
    """(path, object) for every saveable object reachable from `model`, in saving order."""
    out: list = []
    visited: set = set()

    def visit(obj, path: str):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for name, child in _children(obj):
            sub = f"{path}/{name}" if path else name
            if is_saveable(child):
                visit(child, sub)
            elif isinstance(child, (list, tuple, dict)):
                container(child, sub, set())

    def container(items, path: str, seen: set):
        if id(items) in seen:
            return
        seen.add(id(items))
        used: dict = {}
        for item in (items.values() if isinstance(items, dict) else items):
            if is_saveable(item):
                visit(item, f"{path}/{_unique(snake(type(item).__name__), used)}")
            elif isinstance(item, (list, tuple, dict)):
                container(item, f"{path}/{_unique('container', used)}", seen)

    visit(model, "")
    return out


def own_variables(obj) -> list:
    """The variables an object saves itself (not those of its nested layers)."""
    if is_optimizer(obj):
        return list(obj.variables)
    if isinstance(obj, _layer_cls()):
        nested = {id(v) for sub in obj._flatten_layers(include_self=False) for v in sub.weights}
        own = [v for v in obj.weights if id(v) not in nested]
        return [v for v in own if v.trainable] + [v for v in own if not v.trainable]
    if is_metric(obj):
        return list(obj.variables)
    return []


def _custom_store_methods(obj) -> bool:
    """Whether a user's class defines Keras 3's save_own_variables/load_own_variables."""
    cls = type(obj)
    fn = getattr(cls, "save_own_variables", None)
    return fn is not None and not getattr(fn, "__module__", "").startswith("rill.")


# -- writing ----------------------------------------------------------------------------------
def save_state(model, h5root) -> None:
    """Writes every saveable object's variables under `h5root` (an h5py group)."""
    for path, obj in walk(model):
        group = h5root.require_group(f"{path}/vars" if path else "vars")
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        if _custom_store_methods(obj):
            store: dict = {}
            obj.save_own_variables(store)
            for k, v in store.items():
                group.create_dataset(str(k), data=np.asarray(v))
            continue
        for i, v in enumerate(own_variables(obj)):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))


# -- reading ----------------------------------------------------------------------------------
def read_dataset(group, key: str, where: str, want_shape=None, max_elements=None):
    """The array at `group[key]`, after checking it is a plain numeric dataset (and, when
    given, of shape `want_shape`) without reading it first."""
    import h5py
    parent, _, key = key.rpartition("/")
    if parent:
        group = safe_group(group, parent, where)
        if group is None:
            raise WeightsFileError(f"{where}: no group {parent!r}.\nhint: the file was saved "
                                   f"from another architecture.")
    link = group.get(key, getlink=True)
    if link is None:
        raise WeightsFileError(f"{where}: no dataset {key!r}.\nhint: the file was saved from "
                               f"another architecture.")
    if not isinstance(link, h5py.HardLink):
        raise WeightsFileError(f"{where}: {key!r} is a {type(link).__name__}, not stored in "
                               f"the file; rill does not follow links out of a weights "
                               f"file.\nhint: re-save the weights from the model.")
    ds = group[key]
    if not isinstance(ds, h5py.Dataset):
        raise WeightsFileError(f"{where}: {key!r} is a group, expected a dataset of "
                               f"weights.\nhint: the file is not a Keras weights file.")
    if ds.is_virtual or ds.external:
        raise WeightsFileError(f"{where}: {key!r} reads its data from other files; rill "
                               f"refuses such datasets.\nhint: re-save the weights.")
    if ds.dtype.kind not in "biufc" and ds.dtype.name != "bfloat16":
        raise WeightsFileError(f"{where}: {key!r} holds {ds.dtype}, not numbers.\nhint: the "
                               f"file is damaged or not a weights file.")
    shape = tuple(ds.shape) if ds.shape is not None else None
    if shape is None:
        raise WeightsFileError(f"{where}: {key!r} is an empty (null) dataset.\nhint: "
                               f"re-save the weights.")
    if want_shape is not None and shape != tuple(want_shape):
        return ds, shape
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if max_elements is not None and count > max_elements:
        raise WeightsFileError(f"{where}: {key!r} has shape {list(shape)} ({count} values), "
                               f"more than the model can hold.\nhint: the file does not "
                               f"belong to this model.")
    return np.asarray(ds[()]), shape


def safe_group(root, path: str, where: str = "weights file"):
    """The group at `path` under `root`, following only hard links; None if absent."""
    import h5py
    node = root
    for part in path.split("/"):
        if not part:
            continue
        link = node.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise WeightsFileError(f"{where}: {path!r} goes through a {type(link).__name__}; "
                                   f"rill does not follow links in weights files.\nhint: "
                                   f"re-save the weights.")
        node = node[part]
        if not isinstance(node, h5py.Group):
            raise WeightsFileError(f"{where}: {path!r} is not a group.\nhint: the file is "
                                   f"damaged or not a Keras weights file.")
    return node


def _vars_group(h5root, path: str):
    return safe_group(h5root, f"{path}/vars" if path else "vars")


def _describe(path: str, obj) -> str:
    kind = "optimizer" if is_optimizer(obj) else "layer"
    return f"{kind} {getattr(obj, 'name', type(obj).__name__)!r} (at {path or '/'!r})"


def load_state(model, h5root, filename: str, skip_mismatch: bool = False) -> None:
    """Assigns the variables saved under `h5root` to `model`'s objects (see module doc)."""
    problems = []
    for path, obj in walk(model):
        if is_optimizer(obj):
            continue
        where = f"{filename}: {_describe(path, obj)}"
        try:
            _load_object(obj, path, h5root, where)
        except WeightsFileError as e:
            if not skip_mismatch:
                raise
            problems.append(str(e).split("\nhint:")[0])
    if problems:
        warnings.warn("Skipped loading weights that do not match (skip_mismatch=True):\n  "
                      + "\n  ".join(problems), stacklevel=3)


def _load_object(obj, path: str, h5root, where: str) -> None:
    group = _vars_group(h5root, path)
    if _custom_store_methods(obj):
        store = {} if group is None else {k: read_dataset(group, k, where)[0] for k in group}
        obj.load_own_variables(store)
        return
    variables = own_variables(obj)
    saved = _numbered_keys(group, where)
    if not variables and not saved:
        return
    if group is None:
        raise WeightsFileError(f"{where}: the file has no weights for it (expected "
                               f"{len(variables)}).\nhint: the file was saved from another "
                               f"architecture; pass skip_mismatch=True to load the rest.")
    if len(saved) != len(variables):
        fix = ("the layer has no weights yet: build the model first (call it on data, or "
               "model.build(input_shape))" if not variables else
               "build the same architecture as the saved model; pass skip_mismatch=True to "
               "load the rest")
        raise WeightsFileError(f"{where}: expected {len(variables)} variables, but the file "
                               f"holds {len(saved)}.\nhint: {fix}.")
    values = []
    for i, v in enumerate(variables):
        want = tuple(v.shape.as_list())
        value, shape = read_dataset(group, str(i), where, want)
        if shape != want:
            raise WeightsFileError(f"{where}: weight {v.name!r} has shape {want}, but the file "
                                   f"holds shape {shape}.\nhint: the file was saved from "
                                   f"another architecture; pass skip_mismatch=True to skip "
                                   f"this layer.")
        values.append(value)
    for v, value in zip(variables, values):
        v.assign(_cast(value, v, where))


def _numbered_keys(group, where: str) -> list:
    if group is None:
        return []
    keys = list(group.keys())
    if sorted(keys, key=lambda k: (len(k), k)) != [str(i) for i in range(len(keys))]:
        raise WeightsFileError(f"{where}: the variables group holds {keys[:8]}, expected "
                               f"datasets named 0..{len(keys) - 1}.\nhint: the file is not "
                               f"a Keras 3 weights file.")
    return keys


def _cast(value: np.ndarray, var, where: str) -> np.ndarray:
    dtype = np.dtype(var.dtype.as_numpy_dtype)
    if value.dtype == dtype:
        return value
    if value.dtype.kind == "c" and dtype.kind != "c":
        raise WeightsFileError(f"{where}: weight {var.name!r} is {var.dtype.name} but the file "
                               f"holds {value.dtype}.\nhint: the file does not belong to this "
                               f"model.")
    return value.astype(dtype)


def load_optimizer_state(model, optimizer, h5root, filename: str, path: str = "optimizer",
                         strict: bool = False) -> bool:
    """Builds `optimizer` for the model's trainable variables and assigns its saved variables.
    Returns False (with a warning, or an error with `strict`) when they do not match."""
    group = _vars_group(h5root, path)
    if group is None:
        return False
    where = f"{filename}: optimizer {getattr(optimizer, 'name', '')!r}"
    keys = _numbered_keys(group, where)
    if not optimizer.built and len(keys) > len(optimizer.variables):
        optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    problem = None
    if len(keys) != len(variables):
        problem = (f"it has {len(variables)} variables whereas the saved optimizer has "
                   f"{len(keys)}")
    else:
        values = []
        for i, v in enumerate(variables):
            want = tuple(v.shape.as_list())
            value, shape = read_dataset(group, str(i), where, want)
            if shape != want:
                problem = f"variable {i} ({v.name!r}) has shape {want}, the file {shape}"
                break
            values.append(value)
    if problem is not None:
        message = (f"{where}: skipped loading the optimizer's state because {problem}.\nhint: "
                   f"compile with the same optimizer that was saved to resume training "
                   f"exactly.")
        if strict:
            raise WeightsFileError(message)
        warnings.warn(message, stacklevel=3)
        return False
    for v, value in zip(variables, values):
        v.assign(_cast(value, v, where))
    return True


def trainable_order_matches(model, optimizer) -> bool:
    """Whether the optimizer was built for the model's trainable variables in their order."""
    built = getattr(optimizer, "_trainable_variables", [])
    return [id(v) for v in built] == [id(v) for v in model.trainable_variables]


__all__ = ["WeightsFileError", "load_optimizer_state", "load_state", "own_variables",
           "save_state", "walk"]
