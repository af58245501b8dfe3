"""Model configs: Sequential and functional models to and from Keras 3's JSON configs.

A Sequential config lists its layers (an `InputLayer` first when the input shape is known).
A functional config lists every layer with the calls made on it in this model
(`inbound_nodes`: the arguments, symbolic tensors written as `__keras_tensor__` with their
`keras_history` `[layer name, node index, tensor index]`), then `input_layers` and
`output_layers` in the structure of the model's inputs and outputs. Loading creates the
layers, calls them in dependency order on `keras.Input` tensors, and makes the model.
Subclassed models use their own `get_config`/`from_config`.

tf.keras 2's configs (`inbound_nodes` as `[[name, node, tensor, kwargs], ...]`) load too.
"""

from __future__ import annotations

import rill as tf
from rill.keras.saving import serialization as S

_KERAS_TENSOR = "__keras_tensor__"


class ConfigError(ValueError):
    """A model config that cannot be rebuilt (it names what and why)."""


def _models():
    from rill.keras import models
    return models


def _input_layer_cls():
    from rill.keras.layers import InputLayer
    return InputLayer


def kind(model) -> str:
    """"sequential", "functional" or "subclassed"."""
    models = _models()
    if isinstance(model, models.Sequential) and "get_config" not in type(model).__dict__:
        return "sequential"
    if model.__dict__.get("_graph") is not None and \
            type(model).get_config is models.Model.get_config:
        return "functional"
    return "subclassed"


# -- serializing --------------------------------------------------------------------------------
def build_config(layer):
    """`{"input_shape": ...}` for a built layer, else None."""
    shape = layer.__dict__.get("_build_input_shape")
    if shape is None:
        nodes = layer.__dict__.get("_inbound_nodes") or []
        if nodes and nodes[0].input_tensors:
            shapes = [t.shape for t in nodes[0].input_tensors]
            shape = shapes[0] if len(shapes) == 1 else shapes
    if shape is None:
        return None
    return {"input_shape": S.serialize_keras_object(_plain_shape(shape))}


def _plain_shape(shape):
    if isinstance(shape, tf.TensorShape):
        return shape.as_list() if shape.rank is not None else None
    if isinstance(shape, dict):
        return {k: _plain_shape(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(
            isinstance(s, (list, tuple, tf.TensorShape)) or s is None for s in shape):
        return [_plain_shape(s) for s in shape]
    return list(shape) if isinstance(shape, (list, tuple)) else shape


def serialize_layer(layer) -> dict:
    """A layer's (or nested model's) full config, with its build config."""
    models = _models()
    if isinstance(layer, models.Model):
        return serialize_model(layer)
    try:
        config = S.serialize_keras_object(layer)
    except NotImplementedError:
        config = _lambda_config(layer)
        if config is None:
            raise
    built = build_config(layer) if layer.built else None
    if built is not None:
        config["build_config"] = built
    return config


def _lambda_config(layer):
    """A Lambda whose function is a Python lambda: its code as Keras 3's `__lambda__`
    config (loaded only with safe_mode=False)."""
    from rill.keras.layers import Lambda, Layer
    if not isinstance(layer, Lambda):
        return None
    shape = layer._output_shape
    config = {**Layer.get_config(layer), "function": S.serialize_function(layer.function),
              "output_shape": list(shape) if isinstance(shape, (list, tuple)) else
              (S.serialize_function(shape) if shape is not None else None),
              "mask": S.serialize_function(layer.mask) if callable(layer.mask) else None,
              "arguments": layer.arguments}
    return {"module": "keras.layers", "class_name": "Lambda", "config": config,
            "registered_name": None}


def _lambda_functions(config: dict, custom_objects) -> dict:
    """A Lambda config with its `__lambda__` functions made (refused in safe mode)."""
    inner = config.get("config")
    if config.get("class_name") != "Lambda" or not isinstance(inner, dict):
        return config
    inner = dict(inner)
    for key in ("function", "output_shape", "mask"):
        value = inner.get(key)
        if isinstance(value, dict) and value.get("class_name") == "__lambda__":
            inner[key] = S.deserialize_function(value, custom_objects)
    return {**config, "config": inner}


def serialize_model(model) -> dict:
    """The model's config in Keras 3's format (module, class_name, config, ...)."""
    k = kind(model)
    if k == "sequential":
        return {"module": "keras", "class_name": "Sequential",
                "config": sequential_config(model), "registered_name": None}
    if k == "functional":
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": functional_config(model), "registered_name": "Functional"}
    try:
        config = S.serialize_keras_object(model)
    except NotImplementedError as e:
        raise NotImplementedError(
            f"Model {model.name!r} ({type(model).__name__}) cannot be saved as a whole: "
            f"{str(e).splitlines()[0]}\nhint: implement get_config() in "
            f"{type(model).__name__} (and in its custom layers) returning the constructor "
            f"arguments, or save only the weights with model.save_weights().") from None
    built = build_config(model) if model.built else None
    if built is not None:
        config["build_config"] = built
    return config


def sequential_config(model) -> dict:
    layers = []
    inputs = model.__dict__.get("_graph_seq")
    batch_shape = None
    if inputs is not None:
        t = inputs.flat_inputs[0]
        batch_shape = t.shape.as_list()
        layers.append({"module": "keras.layers", "class_name": "InputLayer",
                       "config": {"batch_shape": batch_shape, "dtype": t.dtype.name,
                                  "sparse": False, "ragged": False,
                                  "name": _input_name(model, t)},
                       "registered_name": None})
    layers += [serialize_layer(layer) for layer in model.layers]
    config = {"name": model.name, "trainable": model.trainable, "dtype": model.dtype,
              "layers": layers}
    if batch_shape is not None:
        config["build_input_shape"] = batch_shape
    return config


def _input_name(model, t) -> str:
    from rill.keras.layers import input_layer as il
    hist = il.get_keras_history(t)
    return hist[0].name if hist is not None else "input_layer"


def _history(t):
    from rill.keras.layers import input_layer as il
    return il.get_keras_history(t) if il.is_keras_tensor(t) else None


def functional_config(model) -> dict:
    graph = model.__dict__["_graph"]
    layers = graph.layers()
    mine = _node_numbers(graph)
    entries = []
    for layer in layers:
        config = serialize_layer(layer)
        config["name"] = layer.name
        config["inbound_nodes"] = [
            _node_config(node, mine, model) for node in layer._inbound_nodes
            if id(node) in mine and not node.is_input]
        entries.append(config)

    def ref(t):
        hist = _history(t)
        return [hist[0].name, mine[id(hist[0]._inbound_nodes[hist[1]])], hist[2]]

    return {"name": model.name, "trainable": model.trainable, "layers": entries,
            "input_layers": tf.nest.map_structure(ref, _structure(graph.inputs)),
            "output_layers": tf.nest.map_structure(ref, _structure(graph.outputs))}


def _structure(x):
    return x if isinstance(x, (dict, list)) else x


def _node_numbers(graph) -> dict:
    """id(node) -> its index among the layer's nodes that belong to this model."""
    from rill.keras.models.functional import _NodeStep
    belong = set()
    for t in graph.flat_inputs:
        hist = _history(t)
        belong.add(id(hist[0]._inbound_nodes[hist[1]]))
    for step in graph.steps:
        if isinstance(step, _NodeStep):
            belong.add(id(step.node))
        else:
            raise ConfigError(
                f"Functional model: the raw operation {step.name!r} ({step.op.type}) is "
                f"applied to symbolic tensors between layers; rill cannot write it in a "
                f"model config.\nhint: wrap it in a layer (keras.layers.Lambda with a named "
                f"function, keras.layers.Add, Concatenate, ...), or save only the weights.")
    numbers = {}
    for layer in graph.layers():
        n = 0
        for node in layer._inbound_nodes:
            if id(node) in belong:
                numbers[id(node)] = n
                n += 1
    return numbers


def _node_config(node, mine: dict, model) -> dict:
    def encode(x):
        if isinstance(x, tf.Tensor) and _history(x) is not None:
            hist = _history(x)
            inner = hist[0]._inbound_nodes[hist[1]]
            if id(inner) not in mine:
                raise ConfigError(f"Functional model {model.name!r}: layer "
                                  f"{node.layer.name!r} reads a tensor of a call outside "
                                  f"the model.\nhint: build the model from keras.Input "
                                  f"tensors only.")
            return {"class_name": _KERAS_TENSOR,
                    "config": {"shape": x.shape.as_list(), "dtype": x.dtype.name,
                               "keras_history": [hist[0].name, mine[id(inner)], hist[2]]}}
        if isinstance(x, tf.Tensor):
            raise ConfigError(f"Functional model {model.name!r}: layer {node.layer.name!r} "
                              f"is called on a tensor made by a raw operation "
                              f"({x.op.type}).\nhint: wrap that operation in a layer.")
        return S.serialize_keras_object(x)

    args = tf.nest.map_structure(encode, list(node.call_args))
    kwargs = tf.nest.map_structure(encode, dict(node.call_kwargs))
    return {"args": args, "kwargs": kwargs}


# -- deserializing ------------------------------------------------------------------------------
def _layer_objects() -> dict:
    from rill.keras import layers
    return layers._module_objects()


def deserialize_layer(config, custom_objects=None):
    """A layer (or nested model) from its full config."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ConfigError(f"Expected a layer config (a dict with 'class_name' and 'config'), "
                          f"got {_short(config)}.\nhint: the file is damaged or not a Keras "
                          f"model file.")
    name = config["class_name"]
    inner = config.get("config")
    if name in ("Sequential", "Functional", "Model") and isinstance(inner, dict) and (
            name != "Model" or "layers" in inner):
        return model_from_config(config, custom_objects)
    config = _lambda_functions(_drop_neutral(config, custom_objects), custom_objects)
    try:
        layer = S.deserialize_keras_object(config, custom_objects=custom_objects,
                                           module_objects=_layer_objects(),
                                           printable_module_name="layer")
    except (TypeError, KeyError, AttributeError, IndexError) as e:
        raise ConfigError(f"Could not rebuild the layer {_config_name(config)!r} "
                          f"({name}) from its config: {e}\nhint: its get_config() must "
                          f"return exactly the arguments its constructor accepts.") from None
    return layer


# Keras 3 arguments that rill's layers do not take, dropped when they hold their neutral value
_NEUTRAL = {"quantization_config": None, "lora_rank": None, "lora_alpha": None,
            "optional": False, "ragged": False, "sparse": False, "synchronized": False}


def _drop_neutral(config: dict, custom_objects) -> dict:
    import inspect
    inner = config.get("config")
    if not isinstance(inner, dict) or not any(k in inner for k in _NEUTRAL):
        return config
    cls = S.get_registered_object(config["class_name"], custom_objects, _layer_objects())
    try:
        params = inspect.signature(cls.__init__).parameters if inspect.isclass(cls) else {}
    except (TypeError, ValueError):
        params = {}
    kept = {k: v for k, v in inner.items()
            if k in params or k not in _NEUTRAL or v != _NEUTRAL[k]}
    return {**config, "config": kept}


def _config_name(config) -> str:
    inner = config.get("config")
    return inner.get("name", "?") if isinstance(inner, dict) else "?"


def _short(x) -> str:
    text = repr(x)
    return text if len(text) < 120 else text[:117] + "..."


def model_from_config(config, custom_objects=None, make_layer=None):
    """The model a full model config describes (Sequential, functional or custom).
    `make_layer(config)`, when given, makes the layers of a Sequential or functional model."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ConfigError(f"Expected a model config (a dict with 'class_name' and 'config'), "
                          f"got {_short(config)}.\nhint: pass what model.get_config() or "
                          f"model.to_json() produced.")
    name, inner = config["class_name"], config.get("config")
    if name == "Sequential" and isinstance(inner, (dict, list)):
        model = sequential_from_config(inner, custom_objects, make_layer)
    elif name in ("Functional", "Model") and isinstance(inner, dict) and "layers" in inner:
        model = functional_from_config(inner, custom_objects, make_layer)
    else:
        model = deserialize_layer(config, custom_objects)
        built = config.get("build_config")
        if not getattr(model, "built", True) and isinstance(built, dict) and \
                built.get("input_shape") is not None:
            _build(model, built["input_shape"])
    return model


def _build(model, shape) -> None:
    try:
        model.build(_shape_arg(shape))
    except (ValueError, TypeError, NotImplementedError) as e:
        raise ConfigError(f"Could not build {type(model).__name__} {model.name!r} for input "
                          f"shape {shape}: {str(e).splitlines()[0]}\nhint: make build() (or "
                          f"call()) work from the input shape alone.") from None


def _shape_arg(shape):
    if isinstance(shape, list) and shape and all(isinstance(s, list) or s is None
                                                 for s in shape):
        return [tuple(s) if s is not None else None for s in shape]
    return tuple(shape) if isinstance(shape, list) else shape


def sequential_from_config(inner, custom_objects=None, make_layer=None):
    models = _models()
    make_layer = make_layer or (lambda c: deserialize_layer(c, custom_objects))
    if isinstance(inner, list):  # tf.keras 1 style: the list of layers
        inner = {"layers": inner}
    layer_configs = inner.get("layers")
    if not isinstance(layer_configs, list):
        raise ConfigError(f"Sequential config: 'layers' must be a list, got "
                          f"{_short(layer_configs)}.\nhint: the file is damaged.")
    layers = [make_layer(c) for c in layer_configs]
    name = inner.get("name")
    model = models.Sequential(layers, name=name if isinstance(name, str) else None)
    shape = inner.get("build_input_shape")
    if not model.built and isinstance(shape, list):
        _build(model, shape)
    if inner.get("trainable") is False:
        model.trainable = False
    return model


def functional_from_config(inner: dict, custom_objects=None, make_layer=None):
    """Rebuilds a functional model by replaying its layer calls in dependency order."""
    from rill.keras.layers import input_layer as il
    models = _models()
    make_layer = make_layer or (lambda c: deserialize_layer(c, custom_objects))
    configs = inner.get("layers")
    if not isinstance(configs, list):
        raise ConfigError("Functional config: 'layers' must be a list.\nhint: the file is "
                          "damaged.")
    by_name: dict = {}
    pending: list = []
    for c in configs:
        if not isinstance(c, dict):
            raise ConfigError(f"Functional config: a layer entry is {_short(c)}.\nhint: the "
                              f"file is damaged.")
        layer = make_layer(c)
        lname = c.get("name") or layer.name
        if not isinstance(lname, str) or lname in by_name:
            raise ConfigError(f"Functional config: layer name {lname!r} is missing or "
                              f"repeated.\nhint: the file is damaged.")
        by_name[lname] = layer
        nodes = c.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise ConfigError(f"Functional config: layer {lname!r} has inbound_nodes "
                              f"{_short(nodes)}.\nhint: the file is damaged.")
        pending.extend((lname, layer, i, n) for i, n in enumerate(nodes))
    outputs: dict = {}  # (layer name, node index) -> flat outputs
    for lname, layer in by_name.items():
        if isinstance(layer, il.InputLayer):
            outputs[(lname, 0)] = [layer.output]
    while pending:
        progress = False
        for item in list(pending):
            lname, layer, i, node = item
            call = _resolve_node(node, outputs)
            if call is None:
                continue
            args, kwargs = call
            try:
                result = layer(*args, **kwargs)
            except (ValueError, TypeError) as e:
                raise ConfigError(f"Functional config: calling layer {lname!r} on its saved "
                                  f"inputs failed: {str(e).splitlines()[0]}\nhint: the "
                                  f"layer's config does not match the saved graph.") from None
            outputs[(lname, i)] = tf.nest.flatten(result)
            pending.remove(item)
            progress = True
        if not progress:
            names = sorted({p[0] for p in pending})
            raise ConfigError(f"Functional config: the inputs of layers {names} are never "
                              f"produced.\nhint: the file is damaged (a cycle or a missing "
                              f"layer).")

    def tensor(ref):
        if not (isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str)):
            raise ConfigError(f"Functional config: bad input/output reference "
                              f"{_short(ref)}.\nhint: the file is damaged.")
        outs = outputs.get((ref[0], _int(ref[1])))
        if outs is None or not 0 <= _int(ref[2]) < len(outs):
            raise ConfigError(f"Functional config: no tensor {ref[:3]}.\nhint: the file is "
                              f"damaged.")
        return outs[_int(ref[2])]

    model_inputs = _single(_map_refs(inner.get("input_layers"), tensor))
    model_outputs = _single(_map_refs(inner.get("output_layers"), tensor))
    name = inner.get("name")
    model = models.Model(inputs=model_inputs, outputs=model_outputs,
                         name=name if isinstance(name, str) else None)
    if inner.get("trainable") is False:
        model.trainable = False
    return model


def _single(x):
    """tf.keras 2 writes one input or output as a list of one reference: unwrap it."""
    return x[0] if isinstance(x, list) and len(x) == 1 else x


def _int(x) -> int:
    if type(x) is not int:
        raise ConfigError(f"Functional config: expected an integer index, got {_short(x)}.\n"
                          f"hint: the file is damaged.")
    return x


def _is_ref(x) -> bool:
    return isinstance(x, list) and len(x) == 3 and isinstance(x[0], str)


def _map_refs(refs, tensor):
    if _is_ref(refs):
        return tensor(refs)
    if isinstance(refs, dict):
        return {k: _map_refs(v, tensor) for k, v in refs.items()}
    if isinstance(refs, list):
        return [_map_refs(r, tensor) for r in refs]
    raise ConfigError(f"Functional config: bad input/output layers {_short(refs)}.\nhint: "
                      f"the file is damaged.")


def _resolve_node(node, outputs: dict):
    """(args, kwargs) of a saved call with its tensors, or None while one is not made yet."""
    if isinstance(node, list):  # tf.keras 2: [[layer, node, tensor, kwargs], ...]
        args = []
        kwargs: dict = {}
        for entry in node:
            if not (isinstance(entry, list) and len(entry) >= 3):
                raise ConfigError(f"Functional config: bad inbound node {_short(entry)}.\n"
                                  f"hint: the file is damaged.")
            outs = outputs.get((entry[0], _int(entry[1])))
            if outs is None:
                return None
            args.append(outs[_int(entry[2])])
            if len(entry) > 3 and isinstance(entry[3], dict):
                kwargs.update(entry[3])
        return ([args[0] if len(args) == 1 else args], kwargs)
    if not isinstance(node, dict):
        raise ConfigError(f"Functional config: bad inbound node {_short(node)}.\nhint: the "
                          f"file is damaged.")
    missing = []

    def decode(x):
        if isinstance(x, dict) and x.get("class_name") == _KERAS_TENSOR:
            hist = (x.get("config") or {}).get("keras_history")
            if not _is_ref(hist):
                raise ConfigError(f"Functional config: bad keras_history {_short(hist)}.\n"
                                  f"hint: the file is damaged.")
            outs = outputs.get((hist[0], _int(hist[1])))
            if outs is None:
                missing.append(hist)
                return None
            if not 0 <= _int(hist[2]) < len(outs):
                raise ConfigError(f"Functional config: no tensor {hist}.\nhint: the file is "
                                  f"damaged.")
            return outs[hist[2]]
        if isinstance(x, dict) and "class_name" in x:
            return S.deserialize_keras_object(x)
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    args = decode(node.get("args", []))
    kwargs = decode(node.get("kwargs", {}))
    if missing:
        return None
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ConfigError("Functional config: a node's args/kwargs are not a list/dict.\n"
                          "hint: the file is damaged.")
    return args, kwargs


def clone(model, clone_function=None):
    """A copy of `model`'s architecture with new weights (see `keras.models.clone_model`)."""
    config = serialize_model(model)
    if kind(model) == "subclassed":
        return model_from_config(config)
    originals = {layer.name: layer for layer in model.layers}

    def make(c):
        inner = c.get("config") if isinstance(c.get("config"), dict) else {}
        original = originals.get(c.get("name") or inner.get("name"))
        if clone_function is not None and original is not None and \
                not isinstance(original, _input_layer_cls()):
            return clone_function(original)
        return deserialize_layer(c)

    return model_from_config(config, make_layer=make)
