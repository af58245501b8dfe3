"""`tf.data`: input pipelines.

    ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(len(X)).batch(32).prefetch(
        tf.data.AUTOTUNE)

See docs/data.md for the design (lazy chains of NumPy iterators, traced map functions,
background threads) and for how Keras' fit consumes datasets (`is_dataset`,
`as_numpy_iterator`).
"""

from rill.data import experimental
from rill.data._structure import DatasetSpec
from rill.data.dataset import AUTOTUNE, Dataset, Options, is_dataset
from rill.data.dataset import INFINITE as INFINITE_CARDINALITY
from rill.data.dataset import UNKNOWN as UNKNOWN_CARDINALITY
from rill.data.iterators import Iterator, Optional
from rill.data.readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset
