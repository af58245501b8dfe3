"""`tf.autodiff`: the public namespace (explicit re-exports)."""

from rill._core.forward import ForwardAccumulator
from rill._core.tape import GradientTape

__all__ = ["ForwardAccumulator", "GradientTape"]
