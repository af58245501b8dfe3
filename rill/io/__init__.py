"""`tf.io`: TFRecord files, tf.train.Example parsing, CSV decoding, tensor serialization and
file access (`tf.io.gfile`).

The protocol-buffer parts (Example parsing, serialize_tensor) need the optional `protobuf`
package (`pip install 'rill[data]'`); it is imported on first use only.
"""

from rill.io.csv import decode_csv
from rill.io.files import gfile, matching_files, read_file, write_file
from rill.io.parsing import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    RaggedFeature,
    VarLenFeature,
    parse_example,
    parse_single_example,
    parse_single_sequence_example,
)
from rill.io.tensor_proto import parse_tensor, serialize_tensor
from rill.io.tfrecord import TFRecordOptions, TFRecordWriter

# isort: split
# -- base64 of string tensors (the string ops live in rill.ops.string_ops, issue 11) -------
from rill.ops.string_ops import decode_base64, encode_base64  # noqa: E402
