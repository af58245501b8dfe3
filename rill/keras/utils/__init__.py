"""`keras.utils`: progress bar, array helpers, seeding, downloads, serialization names."""

import importlib

# public name -> module under rill.keras that defines it
_NAMES = {
    "Progbar": "utils.progbar",
    "to_categorical": "utils.numerical",
    "normalize": "utils.numerical",
    "set_random_seed": "utils.random",
    "get_file": "utils.data",
    "Sequence": "utils.data",
    "PyDataset": "utils.data",
    "plot_model": "utils.data",
    "image_dataset_from_directory": "utils.dataset_utils",
    "text_dataset_from_directory": "utils.dataset_utils",
    "register_keras_serializable": "saving.serialization",
    "serialize_keras_object": "saving.serialization",
    "deserialize_keras_object": "saving.serialization",
    "custom_object_scope": "saving.serialization",
    "CustomObjectScope": "saving.serialization",
    "get_custom_objects": "saving.serialization",
    "get_registered_name": "saving.serialization",
    "get_registered_object": "saving.serialization",
}


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f"rill.keras.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'rill.keras.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
