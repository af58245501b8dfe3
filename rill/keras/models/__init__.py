"""`keras.models`: Model (subclassing and functional), Sequential."""

from rill.keras.models.functional import Functional
from rill.keras.models.model import Model
from rill.keras.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
