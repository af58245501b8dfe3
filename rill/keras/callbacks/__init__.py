"""`keras.callbacks`: objects that `fit`, `evaluate` and `predict` call at each stage.

`fit(callbacks=[...])` wraps the callbacks in a `CallbackList` (adding `History` and, when
`verbose` is not 0, `ProgbarLogger`), gives them the model and `params` (`verbose`,
`epochs`, `steps`), and calls their hooks with logs of Python floats.
"""

from rill.keras.callbacks.backup_and_restore import BackupAndRestore
from rill.keras.callbacks.callback import Callback, CallbackList
from rill.keras.callbacks.csv_logger import CSVLogger
from rill.keras.callbacks.early_stopping import EarlyStopping
from rill.keras.callbacks.history import History
from rill.keras.callbacks.lambda_callback import LambdaCallback
from rill.keras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from rill.keras.callbacks.model_checkpoint import ModelCheckpoint
from rill.keras.callbacks.monitor_callback import MonitorCallback
from rill.keras.callbacks.progbar_logger import ProgbarLogger
from rill.keras.callbacks.remote_monitor import RemoteMonitor
from rill.keras.callbacks.tensorboard import TensorBoard
from rill.keras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint",
           "ProgbarLogger", "ReduceLROnPlateau", "RemoteMonitor", "TensorBoard",
           "TerminateOnNaN"]
