"""`tf.train`: checkpoints of variables, modules, Keras layers, models and optimizers.

rill writes its own checkpoint format (docs/checkpoints.md): one `<prefix>.index` file per
checkpoint, plus the folder's `checkpoint` file that `latest_checkpoint` reads.
"""

from rill.train._restore import notify as _notify_created
from rill.train.checkpoint import (
    Checkpoint,
    CheckpointLoadStatus,
    CheckpointOptions,
    InitializationOnlyStatus,
)
from rill.train.manager import CheckpointManager
from rill.train.state import (
    CheckpointReader,
    CheckpointState,
    get_checkpoint_state,
    latest_checkpoint,
    list_variables,
    load_checkpoint,
    load_variable,
    update_checkpoint_state,
)

__all__ = ["Checkpoint", "CheckpointManager", "CheckpointOptions", "CheckpointReader",
           "get_checkpoint_state", "latest_checkpoint", "list_variables", "load_checkpoint",
           "load_variable"]


# -- tf.train.Example, Features, Feature, ... (issue 12): real protocol buffers, built on first
# use by rill.io._protos (needs the optional `protobuf` package) -------------------------------
def __getattr__(name: str):
    from rill.io import _protos

    if name in _protos.PUBLIC:
        return _protos.message(name)
    raise AttributeError(f"module 'rill.train' has no attribute {name!r}")
