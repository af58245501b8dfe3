"""tf.keras' HDF5 format (`.h5`): whole models and weights files.

A model file holds the attributes `model_config` (JSON), `training_config` (JSON, when the
model is compiled), `keras_version` and `backend`; a group `model_weights` with the attribute
`layer_names` and, per layer, a group named after the layer with the attribute
`weight_names` and a dataset per weight at that name (`dense/dense/kernel:0`); and a group
`optimizer_weights` with `weight_names` and the optimizer's variables. A weights file is the
`model_weights` group at the file's root.

Weights load by layer order (the layers that have weights, in `model.layers` order) or
`by_name`; `skip_mismatch` skips layers whose weights do not fit, with a warning.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from rill.keras.saving import limits
from rill.keras.saving.weights_io import WeightsFileError, read_dataset, safe_group

_ATTR_LIMIT = 64000  # HDF5 object headers hold at most 64 KiB of attributes


def _weights_of(layer) -> list:
    return list(layer.weights)


def _unique_names(variables) -> list:
    names, seen = [], {}
    for v in variables:
        name = v.name
        if name in seen:
            seen[name] += 1
            base, colon, index = name.rpartition(":")
            name = f"{base}_{seen[name]}{colon}{index}" if colon else f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def write_names(group, key: str, names: list) -> None:
    """Writes a list of strings as an attribute, in chunks `key0`, `key1`, ... when large
    (tf.keras' convention)."""
    data = np.array([n.encode("utf-8") for n in names], dtype=bytes) if names else \
        np.zeros((0,), dtype="S1")
    if data.nbytes <= _ATTR_LIMIT:
        group.attrs[key] = data
        return
    chunks = int(np.ceil(data.nbytes / _ATTR_LIMIT)) + 1
    for i, part in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{key}{i}"] = part


def read_names(group, key: str, where: str) -> list:
    """The strings of a (possibly chunked) name-list attribute; [] when absent."""
    if key in group.attrs:
        values = [group.attrs[key]]
    else:
        values, i = [], 0
        while f"{key}{i}" in group.attrs:
            values.append(group.attrs[f"{key}{i}"])
            i += 1
    out = []
    for value in values:
        if isinstance(value, (bytes, str)):  # Keras 3 wrote some lists as their repr
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            import re
            out.extend(re.findall(r"'([^']*)'", text))
            continue
        arr = np.asarray(value)
        if arr.size == 0:
            continue
        if arr.dtype.kind not in "SUO":
            raise WeightsFileError(f"{where}: the attribute {key!r} is not a list of names.\n"
                                   f"hint: the file is not a Keras HDF5 file.")
        out.extend(x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)
                   for x in arr.reshape(-1))
    return out


# -- weights ------------------------------------------------------------------------------------
def _layers_for_weights(model) -> list:
    return list(model.layers)


def save_weights_to_group(model, group) -> None:
    """Writes `model`'s weights under `group` in tf.keras' layout."""
    import rill.keras as keras
    layers = _layers_for_weights(model)
    write_names(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = "tensorflow"
    group.attrs["keras_version"] = keras.__version__
    in_layers = {id(v) for layer in layers for v in layer.weights}
    own = [v for v in model.weights if id(v) not in in_layers]
    entries = [(layer.name, _weights_of(layer)) for layer in layers]
    if own:
        entries.append(("top_level_model_weights", own))
    for name, variables in entries:
        g = group.require_group(name)
        names = _unique_names(variables)
        write_names(g, "weight_names", names)
        for n, v in zip(names, variables):
            g.create_dataset(n, data=np.asarray(v.numpy()))


def _saved_layers(group, where: str) -> list:
    """(layer name, weight names) of the layers in the file, in file order."""
    names = read_names(group, "layer_names", where)
    if not names and "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        raise WeightsFileError(f"{where}: no 'layer_names' attribute; this is not a weights "
                               f"file in tf.keras' HDF5 layout.\nhint: for Keras 3 weights "
                               f"use a file name ending in .weights.h5.")
    out = []
    for name in names:
        layer_group = safe_group(group, name, where) if name.strip("/") else None
        if layer_group is None:
            raise WeightsFileError(f"{where}: layer {name!r} is listed but has no group.\n"
                                   f"hint: the file is damaged.")
        out.append((name, read_names(layer_group, "weight_names", where)))
    return out


def _values(group, layer_name: str, weight_names: list, variables: list, where: str):
    """The saved arrays of one layer, checked against its variables; or an error text."""
    g = safe_group(group, layer_name, where)
    if len(weight_names) != len(variables):
        return (f"layer {layer_name!r} expects {len(variables)} weights, but the saved "
                f"weights have {len(weight_names)} elements")
    values = []
    for name, v in zip(weight_names, variables):
        want = tuple(v.shape.as_list())
        value, shape = read_dataset(g, name, f"{where}: layer {layer_name!r}", want)
        if shape != want:
            return (f"shape mismatch in layer {layer_name!r} for weight {v.name!r}: weight "
                    f"expects shape {want}, received saved weight with shape {shape}")
        values.append(value.astype(v.dtype.as_numpy_dtype))
    return values


def load_weights_from_group(model, group, where: str, by_name: bool = False,
                            skip_mismatch: bool = False) -> None:
    """Loads tf.keras-layout weights into `model` (see the module docstring)."""
    saved = _saved_layers(group, where)
    layers = _layers_for_weights(model)
    own = _top_level(model, layers)
    if by_name:
        index: dict = {}
        for layer in layers:
            index.setdefault(layer.name, []).append(layer)
        pairs = [(name, wn, layer.weights) for name, wn in saved
                 for layer in index.get(name, [])]
    else:
        with_weights = [(layer.name, layer.weights) for layer in layers if layer.weights]
        saved_with = [(name, wn) for name, wn in saved if wn and name !=
                      "top_level_model_weights"]
        if len(saved_with) != len(with_weights):
            raise WeightsFileError(
                f"{where}: Layer count mismatch when loading weights from file. Model "
                f"expected {len(with_weights)} layers with weights, found {len(saved_with)} "
                f"saved layers.\nhint: build the same architecture, or load with "
                f"by_name=True to match layers by name.")
        pairs = [(name, wn, variables) for (name, wn), (_, variables) in
                 zip(saved_with, with_weights)]
    top = dict(saved).get("top_level_model_weights")
    if own and top:
        pairs.append(("top_level_model_weights", top, own))
    assignments, skipped = [], []
    for name, weight_names, variables in pairs:
        result = _values(group, name, weight_names, variables, where)
        if isinstance(result, str):
            if not skip_mismatch:
                raise WeightsFileError(f"{where}: {result}.\nhint: the file was saved from "
                                       f"another architecture; pass skip_mismatch=True to "
                                       f"skip such layers.")
            skipped.append(result)
            continue
        assignments.extend(zip(variables, result))
    for v, value in assignments:
        v.assign(value)
    if skipped:
        warnings.warn("Skipping loading weights for layers that do not match:\n  " +
                      "\n  ".join(skipped), stacklevel=3)


def _top_level(model, layers) -> list:
    in_layers = {id(v) for layer in layers for v in layer.weights}
    return [v for v in model.weights if id(v) not in in_layers]


# -- whole models -------------------------------------------------------------------------------
def save_model(model, f, include_optimizer: bool = True) -> None:
    """Writes a whole model into the open h5py file `f`."""
    import rill.keras as keras
    from rill.keras.saving import compile_config, model_config
    f.attrs["keras_version"] = keras.__version__
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(model_config.serialize_model(model))
    training = compile_config.training_config(model)
    if training is not None:
        f.attrs["training_config"] = json.dumps(training)
    save_weights_to_group(model, f.create_group("model_weights"))
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and training is not None and optimizer is not None \
            and optimizer.variables:
        g = f.create_group("optimizer_weights")
        g.attrs["rill_layout"] = "keras3-variables"
        names = _unique_names(optimizer.variables)
        write_names(g, "weight_names", names)
        for n, v in zip(names, optimizer.variables):
            g.create_dataset(n, data=np.asarray(v.numpy()))


def _json_attr(f, key: str, where: str):
    value = f.attrs.get(key)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise ValueError(f"{where}: the attribute {key!r} is not JSON text.\nhint: the file is "
                         f"damaged.")
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{where}: the attribute {key!r} is not valid JSON ({e}).\nhint: "
                         f"the file is damaged.") from None


def load_model(f, where: str, custom_objects=None, compile: bool = True):
    """The model stored in the open h5py file `f`."""
    from rill.keras.saving import compile_config, model_config
    config = _json_attr(f, "model_config", where)
    if config is None:
        raise ValueError(f"{where}: no model found in config file (no 'model_config' "
                         f"attribute); it may be a weights file.\nhint: use "
                         f"model.load_weights({where!r}) on a model built in code.")
    if "model_weights" not in f:
        raise ValueError(f"{where}: the file has no 'model_weights' group.\nhint: the file is "
                         f"damaged.")
    with limits.weight_budget(limits.file_elements(f["model_weights"]), where):
        model = model_config.model_from_config(config, custom_objects)
    load_weights_from_group(model, f["model_weights"], where)
    training = _json_attr(f, "training_config", where) if compile else None
    if training is not None:
        compile_config.compile_from_config(model, training, custom_objects)
        _load_optimizer(model, f, where)
    return model


def _load_optimizer(model, f, where: str) -> None:
    import h5py
    link = f.get("optimizer_weights", getlink=True)
    if link is None:
        return
    if not isinstance(link, h5py.HardLink) or not isinstance(f["optimizer_weights"], h5py.Group):
        raise WeightsFileError(f"{where}: 'optimizer_weights' is not a plain group.\nhint: "
                               f"the file is damaged.")
    g = f["optimizer_weights"]
    names = read_names(g, "weight_names", where)
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    problem = None
    values = []
    if len(names) != len(variables):
        problem = f"it has {len(variables)} variables, the file {len(names)}"
    else:
        for n, v in zip(names, variables):
            want = tuple(v.shape.as_list())
            try:
                value, shape = read_dataset(g, n, f"{where}: optimizer", want)
            except WeightsFileError as e:
                problem = str(e).split("\n")[0]
                break
            if shape != want:
                problem = f"{n!r} has shape {shape}, the optimizer's variable {want}"
                break
            values.append(value.astype(v.dtype.as_numpy_dtype))
    if problem is not None:
        warnings.warn(f"{where}: the optimizer's state was not loaded ({problem}); training "
                      f"restarts the optimizer from scratch.\nhint: files written by "
                      f"tf.keras 2 store optimizer slots in another order.", stacklevel=3)
        return
    for v, value in zip(variables, values):
        v.assign(value)
