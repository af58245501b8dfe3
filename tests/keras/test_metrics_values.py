"""Every mean-type metric against its formula written in NumPy: several batches, sample
weights, reset, eager against tf.function, and the value before any update.

The references take the per-sample value (the formula averaged over the last axis) and
weigh samples: result = sum_i w_i v_i / sum_i w_i over all batches seen.
"""

import importlib

import numpy as np
import pytest

import rill as tf
from rill import keras

pytestmark = pytest.mark.filterwarnings("ignore:tf.function was created and traced")

M = keras.metrics
EPS = 1e-7


def losses_define(*names):
    """Whether rill.keras.losses (written in parallel by another engineer) defines `names`."""
    try:
        losses = importlib.import_module("rill.keras.losses")
    except ImportError:
        return False
    return all(hasattr(losses, n) for n in names)


def needs_loss(name):
    return pytest.mark.skipif(not losses_define(name), reason=f"rill.keras.losses.{name} (the "
                              f"loss function this metric averages) is not written yet")


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- data: (y_true, y_pred) for one batch of n samples ---------------------------------------
def regression(rng, n):
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 3))


def positive(rng, n):
    return rng.uniform(0.1, 3, size=(n, 3)), rng.uniform(0.1, 3, size=(n, 3))


def binary(rng, n):
    return rng.integers(0, 2, size=(n, 1)).astype(float), rng.uniform(size=(n, 1))


def one_hot(rng, n):
    return np.eye(4)[rng.integers(0, 4, size=n)], _softmax(rng.normal(size=(n, 4)))


def sparse(rng, n):
    return rng.integers(0, 4, size=n), _softmax(rng.normal(size=(n, 4)))


def plus_minus(rng, n):
    return rng.choice([-1.0, 1.0], size=(n, 3)), rng.normal(size=(n, 3))


def distributions(rng, n):
    return _softmax(rng.normal(size=(n, 3))), _softmax(rng.normal(size=(n, 3)))


# -- per-sample references -------------------------------------------------------------------
def ref_top_k(labels, p, k):
    score = p[np.arange(len(p)), labels]
    return ((p > score[:, None]).sum(-1) < k).astype(float)


def ref_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def ref_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def ref_cosine(t, p):
    return (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)


CASES = {
    "MeanSquaredError": (M.MeanSquaredError, regression, lambda t, p: ((p - t) ** 2).mean(-1)),
    "MeanAbsoluteError": (M.MeanAbsoluteError, regression, lambda t, p: abs(p - t).mean(-1)),
    "MeanAbsolutePercentageError": (M.MeanAbsolutePercentageError, positive,
                                    lambda t, p: 100 * (abs(t - p) / abs(t)).mean(-1)),
    "MeanSquaredLogarithmicError": (M.MeanSquaredLogarithmicError, positive,
                                    lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    "LogCoshError": (M.LogCoshError, regression, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "CosineSimilarity": (M.CosineSimilarity, regression, ref_cosine),
    "Accuracy": (M.Accuracy,
                 lambda rng, n: (rng.integers(0, 3, (n, 2)), rng.integers(0, 3, (n, 2))),
                 lambda t, p: (t == p).mean(-1)),
    "BinaryAccuracy": (M.BinaryAccuracy, binary, lambda t, p: (t == (p > 0.5)).mean(-1)),
    "BinaryAccuracy(threshold=0.7)": (lambda: M.BinaryAccuracy(threshold=0.7), binary,
                                      lambda t, p: (t == (p > 0.7)).mean(-1)),
    "CategoricalAccuracy": (M.CategoricalAccuracy, one_hot,
                            lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float)),
    "SparseCategoricalAccuracy": (M.SparseCategoricalAccuracy, sparse,
                                  lambda t, p: (t == p.argmax(-1)).astype(float)),
    "TopKCategoricalAccuracy(k=2)": (lambda: M.TopKCategoricalAccuracy(k=2), one_hot,
                                     lambda t, p: ref_top_k(t.argmax(-1), p, 2)),
    "SparseTopKCategoricalAccuracy(k=2)": (lambda: M.SparseTopKCategoricalAccuracy(k=2), sparse,
                                           lambda t, p: ref_top_k(t, p, 2)),
}
LOSS_CASES = {  # name: (metric, data, reference)
    "BinaryCrossentropy": (M.BinaryCrossentropy, binary, ref_bce),
    "CategoricalCrossentropy": (M.CategoricalCrossentropy, one_hot, ref_cce),
    "SparseCategoricalCrossentropy": (M.SparseCategoricalCrossentropy, sparse,
                                      lambda t, p: ref_cce(np.eye(4)[t], p)),
    "BinaryCrossentropy(from_logits)": (
        lambda: M.BinaryCrossentropy(from_logits=True),
        lambda rng, n: (rng.integers(0, 2, (n, 1)).astype(float), rng.normal(size=(n, 1))),
        lambda t, p: ref_bce(t, _sigmoid(p))),
    "KLDivergence": (M.KLDivergence, distributions,
                     lambda t, p: (t * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    "Poisson": (M.Poisson, positive, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "Hinge": (M.Hinge, plus_minus, lambda t, p: np.maximum(1 - t * p, 0).mean(-1)),
    "SquaredHinge": (M.SquaredHinge, plus_minus,
                     lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1)),
    "CategoricalHinge": (M.CategoricalHinge, one_hot, lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
}
LOSS_NEEDS = {"BinaryCrossentropy(from_logits)": "binary_crossentropy", "KLDivergence":
              "kl_divergence"}
ALL = [pytest.param(*v, id=k) for k, v in CASES.items()] + [
    pytest.param(*v, id=k, marks=needs_loss(LOSS_NEEDS.get(k) or M.base_metric._snake(k)))
    for k, v in LOSS_CASES.items()]


def batches(data, rng, sizes=(5, 3, 6)):
    return [(*data(rng, n), rng.uniform(0.1, 2.0, size=n)) for n in sizes]


def weighted_mean(ref, batches_, weighted=True):
    values = np.concatenate([ref(t, p) for t, p, _ in batches_])
    weights = np.concatenate([w for *_, w in batches_]) if weighted else np.ones_like(values)
    return (values * weights).sum() / weights.sum()


@pytest.mark.parametrize("make,data,ref", ALL)
def test_streaming_unweighted(make, data, ref, rng):
    m, bs = make(), batches(data, rng)
    for t, p, _ in bs:
        m.update_state(t, p)
    np.testing.assert_allclose(float(m.result()), weighted_mean(ref, bs, False), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("make,data,ref", ALL)
def test_streaming_weighted_and_reset(make, data, ref, rng):
    m, bs = make(), batches(data, rng)
    assert float(m.result()) == 0.0  # nothing seen yet: 0, as Keras
    for t, p, w in bs:
        m.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(float(m.result()), weighted_mean(ref, bs), rtol=1e-5, atol=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
    t, p, w = bs[0]
    np.testing.assert_allclose(float(m(t, p, sample_weight=w)), weighted_mean(ref, bs[:1]),
                               rtol=1e-5, atol=1e-6)
    m.reset_states()
    assert all(float(np.sum(v.numpy())) == 0.0 for v in m.variables)


@pytest.mark.parametrize("make,data,ref", ALL)
def test_eager_equals_tf_function(make, data, ref, rng):
    bs = batches(data, rng)
    eager, traced = make(), make()

    @tf.function
    def step(t, p, w):
        traced.update_state(t, p, sample_weight=w)
        return traced.result()

    for t, p, w in bs:
        eager.update_state(t, p, sample_weight=w)
        out = step(tf.constant(t), tf.constant(p), tf.constant(w))
    np.testing.assert_allclose(float(out), float(eager.result()), rtol=1e-6)


def test_root_mean_squared_error(rng):
    m, bs = M.RootMeanSquaredError(), batches(regression, rng)
    for t, p, w in bs:
        m.update_state(t, p, sample_weight=w)
    expected = np.sqrt(weighted_mean(lambda t, p: ((p - t) ** 2).mean(-1), bs))
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)
    assert float(M.RootMeanSquaredError().result()) == 0.0


def test_label_shapes_never_broadcast_to_n_by_n():
    # (n,) labels against (n, 1) predictions: elementwise, 3 samples, not a 3 x 3 grid
    m = M.MeanSquaredError()
    m.update_state([1.0, 2.0, 3.0], [[1.0], [2.0], [5.0]])
    np.testing.assert_allclose(float(m.result()), 4 / 3, rtol=1e-6)
    acc = M.BinaryAccuracy()
    acc.update_state([1, 0, 1], [[0.9], [0.2], [0.3]])
    np.testing.assert_allclose(float(acc.result()), 2 / 3, rtol=1e-6)
    sparse_acc = M.SparseCategoricalAccuracy()
    sparse_acc.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    np.testing.assert_allclose(float(sparse_acc.result()), 0.5)


def test_rank_one_batch_is_one_sample():
    # Keras' per-sample functions average over the last axis: a (n,) batch is one sample
    # (values from real TF 2.21: 1.1666667)
    m = M.MeanSquaredError()
    m.update_state([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    m.update_state([0.0], [1.0])
    np.testing.assert_allclose(float(m.result()), (4 / 3 + 1) / 2, rtol=1e-6)


def test_top_k_ties_and_invalid_labels():
    p = [[1.0, 1.0, 1.0], [0.1, 0.5, 0.5], [0.3, 0.2, 0.2], [0.1, 0.2, 0.3],
         [np.nan, 1.0, 0.0]]
    # as tf.math.in_top_k: ties at the boundary are in; out-of-range labels and NaN scores out
    np.testing.assert_array_equal(
        M.sparse_top_k_categorical_accuracy([0, 2, 1, 5, 0], p, k=1).numpy(), [1, 1, 0, 0, 0])


def test_sparse_top_k_from_sorted_ids():
    ids = [[2, 0, 1], [1, 2, 0]]
    np.testing.assert_array_equal(
        M.sparse_top_k_categorical_accuracy([0, 0], ids, k=2, from_sorted_ids=True).numpy(),
        [1, 0])


def test_sparse_accuracy_rejects_one_hot_labels():
    with pytest.raises(ValueError, match="(?s)sparse_categorical_accuracy.*hint"):
        M.sparse_categorical_accuracy(np.eye(3), np.eye(3))


def test_mean_and_sum_weights():
    m = M.Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    # a scalar weight counts the batch as one sample of that weight (Keras 3; TF 2.21 gives
    # total 5.5, count 2)
    m = M.Mean()
    m.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=2.0)
    assert (float(m.total), float(m.count)) == (5.5, 2.0)
    # per-sample weights on (n, k) values: each sample is the mean of its row
    m = M.Mean()
    m.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[1.0, 3.0])
    assert (float(m.total), float(m.count)) == (13.5, 4.0)
    s = M.Sum()
    s.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[1.0, 3.0])
    assert float(s.result()) == 27.0
    s.update_state(4.0)
    assert float(s.result()) == 31.0


def test_mean_metric_wrapper_kwargs_and_weights(rng):
    def scaled_error(y_true, y_pred, scale=1.0):
        return scale * tf.abs(y_true - y_pred)

    m = M.MeanMetricWrapper(scaled_error, name="scaled", scale=2.0)
    t, p, w = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), rng.uniform(size=6)
    m.update_state(t, p, sample_weight=w)
    expected = (w * 2 * abs(t - p).mean(-1)).sum() / w.sum()
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)
    assert m.name == "scaled"
    assert M.MeanMetricWrapper(scaled_error).name == "mean_metric_wrapper"
