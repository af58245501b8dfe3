"""`keras.models`: Model (subclassing and functional), Sequential."""

from rill.keras.models.functional import Functional
from rill.keras.models.model import Model
from rill.keras.models.sequential import Sequential
from rill.keras.saving import (
    clone_model,
    load_model,
    model_from_config,
    model_from_json,
    save_model,
)

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model",
           "model_from_config", "model_from_json", "save_model"]
