"""Op specs for rill/ops/random_ops.py (format: tests/ops/opspec.py).

Random ops have no NumPy reference (their values are random) and no gradient; these specs
exercise each op's kernel against its shape/dtype rule. Distributions and seed rules are
tested in tests/ops/test_random_ops.py.
"""

import numpy as np

import rill as tf
from rill.ops import random_ops as R
from tests.ops.opspec import OpSpec


def _shape(*dims):
    return lambda rng: [np.array(dims, dtype=np.int32)]


_GENERATOR: list = []


def _gen():
    """One generator for all specs, made eagerly on first use: a traced spec must not make
    one each call (tf.function refuses new variables after its first trace, as TensorFlow
    does)."""
    if not _GENERATOR:
        with tf.init_scope():
            _GENERATOR.append(R.Generator.from_seed(7))
    return _GENERATOR[0]


SPECS = [
    OpSpec(["RandomStandardNormal"], lambda s: R.normal(s, seed=1), _shape(2, 3), grad=False),
    OpSpec(["RandomStandardNormal"], lambda s: R.normal(s, dtype="float64"), _shape(4),
           grad=False, name="RandomStandardNormal[f64]"),
    OpSpec(["RandomUniform"], lambda s: R.uniform(s, seed=2), _shape(3, 1), grad=False),
    OpSpec(["RandomUniform"], lambda s: R.uniform(s, dtype="float16"), _shape(5), grad=False,
           name="RandomUniform[f16]"),
    OpSpec(["TruncatedNormal"], lambda s: R.truncated_normal(s, seed=3), _shape(2, 2),
           grad=False),
    OpSpec(["RandomUniformInt"], lambda s: R.uniform(s, 0, 10, dtype="int32", seed=4),
           _shape(6), grad=False),
    OpSpec(["RandomUniformInt"], lambda s: R.uniform(s, -5, 5, dtype="int64"), _shape(2, 2),
           grad=False, name="RandomUniformInt[i64]"),
    OpSpec(["Multinomial"], lambda logits, n: R.categorical(logits, n, seed=5),
           lambda rng: [rng.standard_normal((3, 4)), np.array(5, dtype=np.int32)], grad=False),
    OpSpec(["Multinomial"], lambda logits, n: R.categorical(logits, n, dtype="int32"),
           lambda rng: [rng.standard_normal((1, 2)), np.array(0, dtype=np.int32)], grad=False,
           name="Multinomial[int32, no samples]"),
    OpSpec(["RandomShuffle"], lambda x: R.shuffle(x, seed=6),
           lambda rng: [rng.standard_normal((5, 2))], grad=False),
    OpSpec(["StatelessRandomNormal"], lambda s: R.stateless_normal(s, seed=[1, 2]),
           _shape(2, 3), grad=False),
    OpSpec(["StatelessRandomUniform"], lambda s: R.stateless_uniform(s, seed=[3, 4]),
           _shape(4), grad=False),
    OpSpec(["StatelessTruncatedNormal"],
           lambda s: R.stateless_truncated_normal(s, seed=[5, 6], dtype="float64"),
           _shape(3, 3), grad=False),
    OpSpec(["StatelessRandomUniformInt"],
           lambda s: R.stateless_uniform(s, [7, 8], minval=1, maxval=9, dtype="int32"),
           _shape(5), grad=False),
    OpSpec(["StatelessRandomUniformFullInt"],
           lambda s: R.stateless_uniform(s, [7, 8], minval=None, maxval=None, dtype="uint32"),
           _shape(2, 2), grad=False),
    OpSpec(["StatelessMultinomial"],
           lambda logits: R.stateless_categorical(logits, 4, seed=[1, 1]),
           lambda rng: [rng.standard_normal((2, 3))], grad=False),
    OpSpec(["StatefulStandardNormalV2"], lambda s: _gen().normal(s), _shape(2, 2), grad=False),
    OpSpec(["StatefulUniform"], lambda s: _gen().uniform(s, dtype="float64"), _shape(3),
           grad=False),
    OpSpec(["StatefulTruncatedNormal"], lambda s: _gen().truncated_normal(s), _shape(4, 1),
           grad=False),
    OpSpec(["StatefulUniformInt"], lambda s: _gen().uniform(s, 0, 3, dtype="int64"),
           _shape(5), grad=False),
    OpSpec(["StatefulUniformFullInt"], lambda s: _gen().uniform_full_int(s, dtype="int32"),
           _shape(2), grad=False),
]
