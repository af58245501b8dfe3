"""The docstring examples of the sparse, ragged, string, set and queue modules; `import rill`
stays free of them until first use; and, when RILL_TF_PYTHON names a Python with TensorFlow
(tests/conftest.py), one script printed by both rill and TensorFlow."""

import doctest
import subprocess
import sys

import pytest

import rill as tf
from rill.ops import queue_ops, segment_ops, sets_ops, sparse_ops, string_ops
from rill.ops.ragged import ragged_getitem, ragged_ops, ragged_tensor
from tests.conftest import require_tf_python

MODULES = [sparse_ops, segment_ops, string_ops, sets_ops, queue_ops, ragged_tensor,
           ragged_getitem, ragged_ops]


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_docstring_examples(module):
    result = doctest.testmod(module, extraglobs={"tf": tf}, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_import_rill_does_not_load_them():
    script = "import rill, sys; print(' '.join(sys.modules))"
    mods = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True).stdout.split())
    for name in ("rill.ops.sparse_ops", "rill.ops.ragged.ragged_tensor",
                 "rill.ops.string_ops", "rill.ops.sets_ops", "rill.ops.queue_ops"):
        assert name not in mods


PARITY = r'''
import {module} as tf

rt = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
print(rt)
print(tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1))
print(tf.stack([rt, rt], axis=1))
print(rt[1:3], rt[:, -2:], rt + 3, rt * rt)
print(tf.reduce_sum(rt, axis=1), tf.reduce_max(rt, axis=0), tf.reduce_mean(rt, axis=1))
print(tf.concat([rt, rt], axis=1), tf.gather(rt, [2, 0]), tf.where(rt > 2, rt, -rt))
print(rt.to_tensor(default_value=-1), rt.to_sparse(), rt.bounding_shape())
print(tf.shape(rt))
s = tf.SparseTensor(indices=[[0, 1], [1, 0], [2, 3]], values=[1., 2., 3.], dense_shape=[3, 4])
print(s, tf.sparse.to_dense(s * 2.0))
print(tf.sparse.sparse_dense_matmul(s, tf.ones([4, 2])))
print(tf.sparse.reduce_sum(s, axis=1), tf.sparse.reduce_max(s, axis=0))
p = tf.constant(["Café", "Coffee", "caffè", "咖啡"])
print(tf.strings.length(p, unit="UTF8_CHAR"), tf.strings.unicode_decode(p, "UTF8"))
print(tf.strings.unicode_split(p, "UTF-8"), tf.strings.split(["a b  c", " d"]))
print(tf.strings.to_hash_bucket_fast(p, 100), tf.strings.as_string([3.5, 1e20], shortest=True))
print(tf.strings.format("x={{}}", tf.constant([[1.5, 2.0]])))
print(tf.sets.union([[2, 3, 5, 7], [7, 9, 0, 0]], [[4, 5, 6], [9, 10, 0]]))
q = tf.queue.FIFOQueue(3, [tf.int32, tf.string], shapes=[(), ()])
q.enqueue_many([[13, 16], [b"cloudy", b"rainy"]])
print(q.dequeue_many(2))
'''


def _output(python: str, module: str) -> str:
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": "."}
    out = subprocess.run([python, "-c", PARITY.format(module=module)], capture_output=True,
                         text=True, env=env, cwd=".")
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_parity_with_tensorflow():
    tf_python = require_tf_python()
    assert _output(sys.executable, "rill") == _output(tf_python, "tensorflow")
