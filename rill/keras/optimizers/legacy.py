"""`keras.optimizers.legacy`: tf.keras 2.11+'s namespace of the older optimizers; in rill the
same classes as `keras.optimizers` (they accept `lr=` and `decay=` too)."""

from rill.keras.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    Ftrl,
    Nadam,
    Optimizer,
    RMSprop,
    deserialize,
    get,
    serialize,
)

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "Ftrl", "Nadam", "Optimizer", "RMSprop",
           "SGD", "deserialize", "get", "serialize"]
