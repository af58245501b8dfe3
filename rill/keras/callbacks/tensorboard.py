"""`TensorBoard`: accepted so that programs using it run; rill writes no logs yet."""

from __future__ import annotations

import warnings

from rill.keras.callbacks.callback import Callback

_warned = False


class TensorBoard(Callback):
    """A stand-in for Keras' TensorBoard callback: takes Keras' arguments and writes
    nothing (warns once per process when training starts). Metrics stay available in the
    `History` that `fit` returns, or write them yourself with `CSVLogger`.

    Args:
        log_dir: where TensorBoard logs would go.
        histogram_freq, write_graph, write_images, write_steps_per_second, update_freq,
        profile_batch, embeddings_freq, embeddings_metadata: as in Keras; ignored.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata

    def on_train_begin(self, logs=None):
        global _warned
        if not _warned:
            _warned = True
            warnings.warn(f"TensorBoard: rill does not write TensorBoard logs yet; nothing is "
                          f"written to {self.log_dir!r}.\nhint: read the metrics from the "
                          f"History that fit() returns, or add keras.callbacks.CSVLogger.",
                          stacklevel=3)
