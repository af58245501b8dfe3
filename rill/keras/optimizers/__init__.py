"""`keras.optimizers`: every optimizer, plus `get`, `serialize` and `deserialize`.

>>> keras.optimizers.get("adam").get_config()["beta_1"]
0.9
>>> keras.optimizers.deserialize({"class_name": "SGD", "config": {"momentum": 0.5}}).momentum
0.5
"""

from rill.keras.optimizers import schedules
from rill.keras.optimizers.adadelta import Adadelta
from rill.keras.optimizers.adagrad import Adagrad
from rill.keras.optimizers.adam import Adam
from rill.keras.optimizers.adamax import Adamax
from rill.keras.optimizers.adamw import AdamW
from rill.keras.optimizers.base_optimizer import Optimizer
from rill.keras.optimizers.ftrl import Ftrl
from rill.keras.optimizers.lion import Lion
from rill.keras.optimizers.nadam import Nadam
from rill.keras.optimizers.rmsprop import RMSprop
from rill.keras.optimizers.sgd import SGD
from rill.keras.saving.serialization import deserialize_keras_object, serialize_keras_object

_CLASSES = (Adadelta, Adagrad, Adam, Adamax, AdamW, Ftrl, Lion, Nadam, RMSprop, SGD)


def _module_objects() -> dict:
    objects = {cls.__name__: cls for cls in _CLASSES}
    objects.update({cls.__name__.lower(): cls for cls in _CLASSES})
    objects["Optimizer"] = Optimizer
    return objects


def serialize(optimizer) -> dict:
    """The optimizer's config in Keras 3's format (`module`, `class_name`, `config`)."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None, use_legacy_format=False) -> Optimizer:
    """The optimizer that `config` describes: a dict from `serialize` (or tf.keras 2's
    `{"class_name", "config"}`), or a name such as "adam"."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        objects = _module_objects()
        name = config["class_name"]
        if name not in objects and name.lower() in objects:
            config = {**config, "class_name": objects[name.lower()].__name__}
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=_module_objects(),
                                    printable_module_name="optimizer")


def get(identifier) -> Optimizer:
    """An optimizer from a name ("adam"), a config dict, or an instance (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        identifier = identifier if identifier in _module_objects() else identifier.lower()
        return deserialize(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}.\nhint: pass a "
                     f"name (one of {sorted(c.__name__.lower() for c in _CLASSES)}), a config "
                     f"dict or an optimizer instance.")


from rill.keras.optimizers import legacy  # noqa: E402 - aliases the classes above

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "Ftrl", "Lion", "Nadam",
           "Optimizer", "RMSprop", "SGD", "deserialize", "get", "legacy", "schedules",
           "serialize"]
