"""`rill.keras`: Keras on rill's public API.

Submodules load on first use (`keras.layers`, `keras.losses`, ...), so `from rill import
keras` stays cheap and a program pays only for the parts it touches.
"""

import importlib

_SUBMODULES = ("activations", "applications", "backend", "callbacks", "constraints",
               "datasets", "initializers", "layers", "losses", "metrics", "mixed_precision",
               "models", "ops", "optimizers", "preprocessing", "regularizers", "saving",
               "utils")
# top-level names and the submodule that defines them
_NAMES = {"Input": "layers", "InputSpec": "layers", "Layer": "layers", "Model": "models",
          "Sequential": "models", "Loss": "losses", "Metric": "metrics",
          "Optimizer": "optimizers", "Initializer": "initializers",
          "Regularizer": "regularizers", "Constraint": "constraints",
          "Variable": "backend", "KerasTensor": "layers"}
__version__ = "3.0.0"


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"rill.keras.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"rill.keras.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'rill.keras' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_NAMES))
