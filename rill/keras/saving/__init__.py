"""`keras.saving`: model and weights files, serialization names and configs.

`save_model`/`load_model` (`.keras`, `.h5`, suffix-less folders), `save_weights`/
`load_weights` (`.weights.h5`, `.h5`, rill checkpoints), `model_from_json`, `clone_model`,
and the registry of custom objects (`register_keras_serializable`, `custom_object_scope`).
"""

from rill.keras.saving.keras_format import ModelFileError
from rill.keras.saving.model_config import ConfigError
from rill.keras.saving.saving_api import (
    clone_model,
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    model_to_json,
    save_model,
    save_weights,
)
from rill.keras.saving.serialization import (
    CustomObjectScope,
    SafeModeScope,
    custom_object_scope,
    deserialize_keras_object,
    enable_unsafe_deserialization,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from rill.keras.saving.weights_io import WeightsFileError

__all__ = ["ConfigError", "CustomObjectScope", "ModelFileError", "SafeModeScope",
           "WeightsFileError", "clone_model", "custom_object_scope", "deserialize_keras_object",
           "enable_unsafe_deserialization", "get_custom_objects", "get_registered_name",
           "get_registered_object", "load_model", "load_weights", "model_from_config",
           "model_from_json", "model_to_json", "register_keras_serializable", "save_model",
           "save_weights", "serialize_keras_object"]
