"""What `compile()` was given, to and from JSON: the model file's `compile_config` (Keras 3)
or `training_config` (tf.keras 2's `.h5`).

Losses and metrics are written as given: a name stays a name (`"mse"`), a function is saved
by its (registered) name, a `Loss`/`Metric` object by its config, lists and dicts by their
items. Loading resolves each name through `custom_objects`, the custom-object scopes and the
registry before the built-ins, so a custom function saved as `"huber_fn"` loads with
`custom_objects={"huber_fn": huber_fn}` (or `create_huber(2.0)`), and a missing one raises an
error that names it and shows the fix.
"""

from __future__ import annotations

import inspect

from rill.keras.saving import serialization as S

_METRIC_WORDS = ("accuracy", "acc", "crossentropy", "ce")


def _serialize_item(x):
    if x is None or isinstance(x, (str, bool, int, float)):
        return x
    if isinstance(x, (list, tuple)):
        return [_serialize_item(v) for v in x]
    if isinstance(x, dict):
        return {k: _serialize_item(v) for k, v in x.items()}
    if inspect.isfunction(x) or inspect.isbuiltin(x):
        return S.serialize_keras_object(x)
    return S.serialize_keras_object(x)


def get_compile_config(model) -> dict | None:
    """The arguments `model` was compiled with, as JSON values (None if not compiled)."""
    raw = model.__dict__.get("_compile_config")
    if not getattr(model, "compiled", False) or raw is None:
        return None
    state = model._trainer_state
    return {"optimizer": S.serialize_keras_object(model.optimizer),
            "loss": _serialize_item(raw.get("loss")),
            "loss_weights": _serialize_item(raw.get("loss_weights")),
            "metrics": _serialize_item(raw.get("metrics")),
            "weighted_metrics": _serialize_item(raw.get("weighted_metrics")),
            "run_eagerly": bool(raw.get("run_eagerly", False)),
            "steps_per_execution": int(getattr(state, "steps_per_execution", 1) or 1),
            "jit_compile": False}


def training_config(model) -> dict | None:
    """tf.keras 2's `training_config` (the `.h5` attribute)."""
    config = get_compile_config(model)
    if config is None:
        return None
    optimizer = config.pop("optimizer")
    config["optimizer_config"] = {"class_name": optimizer["class_name"],
                                  "config": optimizer["config"]}
    if optimizer.get("registered_name") not in (None, optimizer["class_name"]):
        config["optimizer_config"]["registered_name"] = optimizer["registered_name"]
    return config


# -- loading ------------------------------------------------------------------------------------
def _missing(name: str, what: str) -> ValueError:
    return ValueError(
        f"Unknown {what} {name!r}: the model was compiled with a custom {what} saved under "
        f"this name, and it was not given when loading.\nhint: load with "
        f"custom_objects={{'{name}': {name}}} (the function or class itself, or for a "
        f"configured function the result of its factory, e.g. create_huber(2.0)), or "
        f"decorate its definition with @keras.saving.register_keras_serializable().")


def _resolve(item, what: str, custom_objects):
    from rill.keras import losses, metrics
    module = losses if what == "loss" else metrics
    if item is None or isinstance(item, (bool, int, float)):
        return item
    if isinstance(item, list):
        return [_resolve(v, what, custom_objects) for v in item]
    if isinstance(item, str):
        found = S.get_registered_object(item, custom_objects)
        if found is not None:
            return found
        if what == "metric" and item in _METRIC_WORDS:
            return item
        try:
            module.get(item)
        except ValueError:
            raise _missing(item, what) from None
        return item
    if not isinstance(item, dict):
        raise ValueError(f"Bad {what} in the saved compile config: {item!r}.\nhint: the file "
                         f"is damaged; load with compile=False and compile the model again.")
    if "class_name" not in item:  # a dict by output name
        return {k: _resolve(v, what, custom_objects) for k, v in item.items()}
    if item["class_name"] == "function":
        name = item.get("registered_name") or item.get("config")
        inner = item.get("config")
        for key in (name, inner):
            found = S.get_registered_object(key, custom_objects) if isinstance(key, str) \
                else None
            if found is not None:
                return found
        try:
            return module.get(inner)
        except (ValueError, TypeError):
            raise _missing(str(inner), what) from None
    try:
        return module.deserialize(item, custom_objects=custom_objects)
    except ValueError as e:
        if "Could not locate" in str(e):
            raise _missing(item.get("registered_name") or item["class_name"], what) from None
        raise


def compile_from_config(model, config: dict, custom_objects=None) -> None:
    """Compiles `model` as `config` (a compile or training config) says."""
    from rill.keras import optimizers
    if not isinstance(config, dict):
        raise ValueError(f"Bad compile config {config!r}.\nhint: load with compile=False.")
    optimizer = config.get("optimizer", config.get("optimizer_config"))
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer, custom_objects=custom_objects)
    elif optimizer is None:
        optimizer = "rmsprop"
    loss = _resolve(config.get("loss"), "loss", custom_objects)
    metrics = _resolve(config.get("metrics"), "metric", custom_objects)
    weighted = _resolve(config.get("weighted_metrics"), "metric", custom_objects)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                  loss_weights=config.get("loss_weights"), weighted_metrics=weighted,
                  run_eagerly=bool(config.get("run_eagerly", False)),
                  steps_per_execution=config.get("steps_per_execution", 1) or 1)
