"""Docstring examples of tf.data/tf.io, and an optional parity run against real TensorFlow
(set RILL_TF_PYTHON to an interpreter that has tensorflow; skipped otherwise)."""

import doctest
import os
import sys

import numpy as np
import pytest

import rill as tf
from rill.data import dataset, iterators
from rill.io import csv, parsing, tensor_proto, tfrecord
from tests.conftest import run_json


@pytest.mark.parametrize("module", [dataset, iterators, csv, tfrecord, parsing, tensor_proto])
def test_docstring_examples(module):
    if module in (parsing, tensor_proto):
        pytest.importorskip("google.protobuf")
    result = doctest.testmod(module, extraglobs={"tf": tf, "np": np}, verbose=False)
    assert result.failed == 0


SCRIPT = r'''
import json, sys
import numpy as np
import {module} as tf

def py(x):
    return tf.nest.map_structure(lambda t: np.asarray(t).tolist() if not isinstance(
        np.asarray(t).tolist(), bytes) else np.asarray(t).tolist().decode(), x)

R = tf.data.Dataset.range
pipelines = {{
    "batch": R(10).batch(4),
    "padded": R(1, 5).map(lambda x: tf.fill([x], x)).padded_batch(2),
    "window": R(7).window(3, shift=2).flat_map(lambda w: w.batch(3)),
    "interleave": R(1, 6).interleave(lambda x: tf.data.Dataset.from_tensors(x).repeat(6 - x),
                                     cycle_length=3, block_length=2),
    "scan": R(6).scan(np.int64(0), lambda s, x: (s + x, s * 2)),
    "zip_enum": tf.data.Dataset.zip((R(3), R(10, 20))).enumerate(5),
    "shard_skip_take": R(50).shard(4, 3).skip(2).take(5),
    "unbatch": R(7).batch(3).unbatch().filter(lambda x: x % 2 == 0),
    "rebatch": R(8).batch(4).rebatch(3),
    "unique": tf.data.Dataset.from_tensor_slices(np.array([3, 1, 3, 2, 1])).unique(),
}}
out = {{}}
for name, ds in pipelines.items():
    out[name] = {{"values": [py(x) for x in ds], "card": int(ds.cardinality()),
                  "spec": repr(ds.element_spec)}}
print(json.dumps(out))
'''


def _run(python, module):
    return run_json(python, SCRIPT.format(module=module), timeout=300)


def test_parity_with_tensorflow():
    tf_python = os.environ.get("RILL_TF_PYTHON")
    if not tf_python:
        pytest.skip("set RILL_TF_PYTHON to a Python with tensorflow to compare")
    theirs = _run(tf_python, "tensorflow")
    ours = _run(sys.executable, "rill")
    for name in theirs:
        assert ours[name]["values"] == theirs[name]["values"], name
        assert ours[name]["card"] == theirs[name]["card"], name
        assert ours[name]["spec"] == theirs[name]["spec"], name
