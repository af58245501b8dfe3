"""`keras.optimizers.legacy`: tf.keras 2.11+'s namespace of the older optimizers. The built-in
ones are the classes of `keras.optimizers` (they accept `lr=` and `decay=` too); `Optimizer`
is the base of tf.keras 2 style custom optimizers (`_set_hyper`, `_create_slots`,
`add_slot`/`get_slot`, `_resource_apply_dense`, `get_gradients`: `optimizer_v2.py`)."""

from rill.keras.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    Ftrl,
    Nadam,
    RMSprop,
    deserialize,
    get,
    serialize,
)
from rill.keras.optimizers.optimizer_v2 import Optimizer

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "Ftrl", "Nadam", "Optimizer", "RMSprop",
           "SGD", "deserialize", "get", "serialize"]
