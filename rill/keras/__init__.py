"""`rill.keras`: Keras on rill's public API (only `backend` exists so far)."""

from rill.keras import backend
