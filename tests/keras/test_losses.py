"""keras.losses: every loss function and class against NumPy formulas written here, the
reductions and sample weights, label alignment, gradients, tf.function, configs, the
chapter's custom losses, and (when RILL_TF_PYTHON names a Python with TensorFlow) parity with
real Keras."""

import doctest
import importlib
import json
import os
import subprocess
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf
from rill import keras
from tests.keras.chapter_code import HuberLoss, create_huber, huber_fn

L = keras.losses
EPS = 1e-7  # keras.backend.epsilon()
REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight",
              "auto"]


# -- NumPy references (float64, written from the formulas in Keras' documentation) ------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def _smooth_binary(y, ls):
    return y * (1 - ls) + ls / 2


def np_mse(y, p):
    return ((y - p) ** 2).mean(-1)


def np_mae(y, p):
    return np.abs(y - p).mean(-1)


def np_mape(y, p):
    return 100 * (np.abs(y - p) / np.maximum(np.abs(y), EPS)).mean(-1)


def np_msle(y, p):
    return ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2).mean(-1)


def np_huber(y, p, delta=1.0):
    e = np.abs(p - y)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2).mean(-1)


def np_log_cosh(y, p):
    return np.log(np.cosh(p - y)).mean(-1)


def np_cosine(y, p, axis=-1):
    def unit(v):
        return v / np.sqrt((v ** 2).sum(axis, keepdims=True))
    return -(unit(y) * unit(p)).sum(axis)


def np_bce_terms(y, p, from_logits=False):
    if from_logits:  # -log(sigmoid(x)) = log(1 + exp(-x))
        return y * np.logaddexp(0, -p) + (1 - y) * np.logaddexp(0, p)
    q = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(q) + (1 - y) * np.log(1 - q))


def np_bce(y, p, from_logits=False, label_smoothing=0.0, axis=-1):
    return np_bce_terms(_smooth_binary(y, label_smoothing), p, from_logits).mean(axis)


def np_focal(y, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
             label_smoothing=0.0):
    y = _smooth_binary(y, label_smoothing)
    bce = np_bce_terms(y, p, from_logits)
    prob = _sigmoid(p) if from_logits else p
    p_t = y * prob + (1 - y) * (1 - prob)
    out = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        out = (y * alpha + (1 - y) * (1 - alpha)) * out
    return out.mean(-1)


def np_cce(y, p, from_logits=False, label_smoothing=0.0, axis=-1):
    y = y * (1 - label_smoothing) + label_smoothing / y.shape[axis]
    if from_logits:
        return -(y * _log_softmax(p, axis)).sum(axis)
    q = np.clip(p / p.sum(axis, keepdims=True), EPS, 1 - EPS)
    return -(y * np.log(q)).sum(axis)


def np_scce(y, p, from_logits=False, ignore_class=None, axis=-1):
    p = np.moveaxis(p, axis, -1)
    logp = _log_softmax(p) if from_logits else np.log(np.clip(p, EPS, 1 - EPS))
    logp = _log_softmax(logp)  # clipped probabilities renormalized
    labels = np.asarray(y).astype(int)
    valid = labels != ignore_class if ignore_class is not None else np.ones(labels.shape, bool)
    safe = np.where(valid, labels, 0)
    out = -np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    return np.where(valid, out, 0.0)


def np_kld(y, p):
    y, p = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return (y * np.log(y / p)).sum(-1)


def np_poisson(y, p):
    return (p - y * np.log(p + EPS)).mean(-1)


def _signed(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def np_hinge(y, p):
    return np.maximum(1 - _signed(y) * p, 0).mean(-1)


def np_squared_hinge(y, p):
    return (np.maximum(1 - _signed(y) * p, 0) ** 2).mean(-1)


def np_categorical_hinge(y, p):
    pos = (y * p).sum(-1)
    neg = ((1 - y) * p).max(-1)
    return np.maximum(neg - pos + 1, 0)


def np_reduce(per, sample_weight, reduction):
    w = np.ones_like(per) if sample_weight is None else \
        np.broadcast_to(np.reshape(sample_weight, np.shape(sample_weight)
                                   + (1,) * (per.ndim - np.ndim(sample_weight))), per.shape)
    v = per * w
    if reduction in ("none", None):
        return v
    if reduction == "sum":
        return v.sum()
    if reduction == "mean_with_sample_weight":
        return v.sum() / w.sum()
    return v.sum() / v.size


# -- data --------------------------------------------------------------------------------------
def f32(x):
    return np.asarray(x, np.float32)


def normal(rng, shape=(4, 3)):
    return f32(rng.normal(size=shape)), f32(rng.normal(size=shape))


def positive(rng, shape=(4, 3)):
    return f32(rng.uniform(0, 3, shape)), f32(rng.uniform(0, 3, shape))


def wide(rng, shape=(4, 3)):
    return f32(rng.normal(size=shape) * 2), f32(rng.normal(size=shape) * 2)


def binary_probs(rng, shape=(4, 3)):
    return f32(rng.integers(0, 2, shape)), f32(rng.uniform(0.02, 0.98, shape))


def binary_logits(rng, shape=(4, 3)):
    return f32(rng.integers(0, 2, shape)), f32(rng.normal(size=shape) * 3)


def one_hot_probs(rng, shape=(4, 3)):
    y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    return f32(y), f32(rng.dirichlet(np.ones(shape[-1]), shape[:-1]))


def one_hot_logits(rng, shape=(4, 3)):
    y, _ = one_hot_probs(rng, shape)
    return y, f32(rng.normal(size=shape) * 3)


def sparse_probs(rng, shape=(4, 3)):
    return rng.integers(0, shape[-1], shape[:-1]), f32(rng.dirichlet(np.ones(shape[-1]),
                                                                      shape[:-1]))


def sparse_logits(rng, shape=(4, 3)):
    return rng.integers(0, shape[-1], shape[:-1]), f32(rng.normal(size=shape) * 3)


def distributions(rng, shape=(4, 3)):
    d = rng.dirichlet(np.ones(shape[-1]), (2,) + shape[:-1])
    return f32(d[0]), f32(d[1])


def counts(rng, shape=(4, 3)):
    return f32(rng.poisson(2.0, shape)), f32(rng.uniform(0.1, 3, shape))


def signs(rng, shape=(4, 3)):
    return f32(rng.choice([-1.0, 1.0], shape)), f32(rng.normal(size=shape))


# (id, function, class, kwargs, NumPy reference, data)
CASES = [
    ("mse", L.mean_squared_error, L.MeanSquaredError, {}, np_mse, normal),
    ("mae", L.mean_absolute_error, L.MeanAbsoluteError, {}, np_mae, normal),
    ("mape", L.mean_absolute_percentage_error, L.MeanAbsolutePercentageError, {}, np_mape,
     normal),
    ("msle", L.mean_squared_logarithmic_error, L.MeanSquaredLogarithmicError, {}, np_msle,
     positive),
    ("huber", L.huber, L.Huber, {}, np_huber, wide),
    ("huber-delta", L.huber, L.Huber, {"delta": 2.5}, np_huber, wide),
    ("log_cosh", L.log_cosh, L.LogCosh, {}, np_log_cosh, wide),
    ("cosine", L.cosine_similarity, L.CosineSimilarity, {}, np_cosine, normal),
    ("cosine-axis0", L.cosine_similarity, L.CosineSimilarity, {"axis": 0}, np_cosine, normal),
    ("bce", L.binary_crossentropy, L.BinaryCrossentropy, {}, np_bce, binary_probs),
    ("bce-logits", L.binary_crossentropy, L.BinaryCrossentropy, {"from_logits": True}, np_bce,
     binary_logits),
    ("bce-smooth", L.binary_crossentropy, L.BinaryCrossentropy, {"label_smoothing": 0.2},
     np_bce, binary_probs),
    ("bce-logits-smooth", L.binary_crossentropy, L.BinaryCrossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, np_bce, binary_logits),
    ("focal", L.binary_focal_crossentropy, L.BinaryFocalCrossentropy, {}, np_focal,
     binary_probs),
    ("focal-balanced", L.binary_focal_crossentropy, L.BinaryFocalCrossentropy,
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}, np_focal, binary_probs),
    ("focal-logits-smooth", L.binary_focal_crossentropy, L.BinaryFocalCrossentropy,
     {"from_logits": True, "label_smoothing": 0.1, "gamma": 3.0}, np_focal, binary_logits),
    ("cce", L.categorical_crossentropy, L.CategoricalCrossentropy, {}, np_cce, one_hot_probs),
    ("cce-logits", L.categorical_crossentropy, L.CategoricalCrossentropy,
     {"from_logits": True}, np_cce, one_hot_logits),
    ("cce-smooth", L.categorical_crossentropy, L.CategoricalCrossentropy,
     {"label_smoothing": 0.3}, np_cce, one_hot_probs),
    ("cce-logits-smooth", L.categorical_crossentropy, L.CategoricalCrossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, np_cce, one_hot_logits),
    ("scce", L.sparse_categorical_crossentropy, L.SparseCategoricalCrossentropy, {}, np_scce,
     sparse_probs),
    ("scce-logits", L.sparse_categorical_crossentropy, L.SparseCategoricalCrossentropy,
     {"from_logits": True}, np_scce, sparse_logits),
    ("kld", L.kl_divergence, L.KLDivergence, {}, np_kld, distributions),
    ("poisson", L.poisson, L.Poisson, {}, np_poisson, counts),
    ("hinge", L.hinge, L.Hinge, {}, np_hinge, signs),
    ("hinge-01", L.hinge, L.Hinge, {}, np_hinge, binary_logits),
    ("squared_hinge", L.squared_hinge, L.SquaredHinge, {}, np_squared_hinge, signs),
    ("squared_hinge-01", L.squared_hinge, L.SquaredHinge, {}, np_squared_hinge,
     binary_logits),
    ("categorical_hinge", L.categorical_hinge, L.CategoricalHinge, {}, np_categorical_hinge,
     one_hot_logits),
]
IDS = [c[0] for c in CASES]
SPARSE = {"scce", "scce-logits"}


def _data(case, rng, shape=(4, 3)):
    return case[5](rng, shape)


def _close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol, atol=atol)


# -- values -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_function_matches_numpy(case, rng):
    _, fn, _, kwargs, ref, _ = case
    y, p = _data(case, rng)
    out = fn(y, p, **kwargs)
    assert out.dtype == tf.float32
    _close(out, ref(np.float64(y), np.float64(p), **kwargs))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_class_reductions_and_weights(case, reduction, rng):
    _, _, cls, kwargs, ref, _ = case
    y, p = _data(case, rng)
    per = ref(np.float64(y), np.float64(p), **kwargs)
    loss = cls(reduction=reduction, **kwargs)
    _close(loss(y, p), np_reduce(per, None, reduction))
    sw = f32(rng.uniform(0, 2, per.shape))
    _close(loss(y, p, sample_weight=sw), np_reduce(per, sw, reduction))
    _close(loss(y, p, sample_weight=2.5), np_reduce(per, 2.5, reduction))


def test_sum_over_batch_size_divides_by_the_number_of_losses_not_the_weights():
    # the chapter: sum of weighted losses / batch size, not a weighted mean
    y, p = f32([[0.], [0.], [0.]]), f32([[1.], [2.], [3.]])
    sw = f32([1., 0., 0.])
    assert float(L.MeanSquaredError()(y, p, sample_weight=sw)) == pytest.approx(1 / 3)
    assert float(L.MeanSquaredError(reduction="mean_with_sample_weight")(
        y, p, sample_weight=sw)) == pytest.approx(1.0)
    assert float(L.MeanSquaredError(reduction="sum")(y, p, sample_weight=sw)) == 1.0


def test_per_timestep_losses_take_per_sample_or_per_timestep_weights(rng):
    y, p = normal(rng, (2, 5, 3))
    per = np_mse(np.float64(y), np.float64(p))  # (2, 5)
    for sw in (f32([1., 3.]), f32([[1.], [3.]]), f32(rng.uniform(0, 1, (2, 5)))):
        _close(L.MeanSquaredError(reduction="sum")(y, p, sample_weight=sw),
               np_reduce(per, sw, "sum"))
        _close(L.MeanSquaredError(reduction="none")(y, p, sample_weight=sw),
               np_reduce(per, sw, "none"))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\).*\(2, 5\)"):
        L.MeanSquaredError()(y, p, sample_weight=f32([1., 2., 3.]))


def test_per_timestep_reduction_divides_by_every_element(rng):
    y, p = normal(rng, (2, 5, 3))
    per = np_mse(np.float64(y), np.float64(p))
    _close(L.MeanSquaredError()(y, p), per.sum() / 10)


def test_one_loss_per_batch_with_sample_weight_scales_as_keras_does():
    # rank-1 predictions: the loss is one value, which the weights only scale; values from
    # real Keras 3.15 (/tmp/tf), with a warning added here
    y, p, sw = f32([0, 1, 1]), f32([.2, .7, .9]), f32([1., 2., 3.])
    for reduction, expected in [("sum_over_batch_size", 0.45678604), ("sum", 1.3703581),
                                ("none", [0.22839302, 0.45678604, 0.68517905])]:
        with pytest.warns(UserWarning, match="(?s)scales it instead.*hint:"):
            out = L.BinaryCrossentropy(reduction=reduction)(y, p, sample_weight=sw)
        _close(out, expected)


def test_ignore_class_is_left_out_of_sum_and_batch_size():
    y = np.array([0, -1, 1, 2])
    p = f32([[.7, .2, .1], [.1, .8, .1], [.2, .5, .3], [.3, .3, .4]])
    per = np_scce(y, np.float64(p), ignore_class=-1)
    assert per[1] == 0
    _close(L.sparse_categorical_crossentropy(y, p, ignore_class=-1), per)
    sw = f32([1., 2., 3., 4.])
    valid = np.array([1., 0., 1., 1.])
    for reduction, expected in [
            ("sum_over_batch_size", (per * sw).sum() / 3),
            ("sum", (per * sw).sum()),
            ("none", per * sw),
            ("mean_with_sample_weight", (per * sw).sum() / (sw * valid).sum())]:
        loss = L.SparseCategoricalCrossentropy(ignore_class=-1, reduction=reduction)
        _close(loss(y, p, sample_weight=sw), expected)
    _close(L.SparseCategoricalCrossentropy(ignore_class=-1)(y, p), per.sum() / 3)
    # values from real Keras 3.15 (/tmp/tf): 0.65537095, and 2.0337598 with the weights
    _close(L.SparseCategoricalCrossentropy(ignore_class=-1)(y, p), 0.65537095)
    _close(L.SparseCategoricalCrossentropy(ignore_class=-1)(y, p, sample_weight=sw), 2.0337598)


def test_ignore_class_on_a_segmentation_map(rng):
    y = rng.integers(0, 4, (2, 3, 3))
    y[0, 0, 0] = y[1, 2, 1] = 255
    p = f32(rng.dirichlet(np.ones(4), (2, 3, 3)))
    per = np_scce(y, np.float64(p), ignore_class=255)
    loss = L.SparseCategoricalCrossentropy(ignore_class=255)
    _close(loss(y, p), per.sum() / (y.size - 2))
    _close(loss(y[..., None], p), per.sum() / (y.size - 2))


def test_class_axis_other_than_last(rng):
    y, p = one_hot_probs(rng, (4, 3))
    _close(L.categorical_crossentropy(y.T, p.T, axis=0), np_cce(y, np.float64(p)))
    _close(L.CategoricalCrossentropy(axis=0, from_logits=True)(y.T, p.T),
           np_cce(y, np.float64(p), from_logits=True).mean())
    labels, q = sparse_logits(rng, (2, 3, 5))  # classes on axis 1
    q_first = np.moveaxis(q, -1, 1)
    _close(L.sparse_categorical_crossentropy(labels, q_first, from_logits=True, axis=1),
           np_scce(labels, np.float64(q), from_logits=True))


def test_binary_crossentropy_axis(rng):
    y, p = binary_probs(rng, (4, 3))
    _close(L.binary_crossentropy(y, p, axis=0), np_bce(y, np.float64(p), axis=0))


def test_hinge_converts_zero_one_labels_only_when_all_are_binary():
    p = f32([[0.3, -2.0, 1.5]])
    _close(L.hinge(f32([[0., 1., 1.]]), p), L.hinge(f32([[-1., 1., 1.]]), p).numpy())
    # a label of 0.5 is not binary: nothing is converted
    _close(L.hinge(f32([[0., 1., 0.5]]), p), np.maximum(1 - np.array([0., 1., .5]) * p,
                                                        0).mean(-1))


# -- label alignment and shape errors ---------------------------------------------------------
ELEMENTWISE = [c for c in CASES if c[0] not in SPARSE | {"cosine-axis0", "categorical_hinge"}
               and not c[0].startswith("cce")]


@pytest.mark.parametrize("case", ELEMENTWISE, ids=[c[0] for c in ELEMENTWISE])
def test_rank_one_labels_align_with_column_predictions(case, rng):
    _, fn, cls, kwargs, ref, _ = case
    y, p = _data(case, rng, (5, 1))
    expected = ref(np.float64(y), np.float64(p), **kwargs)  # (5,): one loss per sample
    _close(fn(y[:, 0], p, **kwargs), expected)
    _close(fn(y, p[:, 0], **kwargs), expected)
    for loss in (cls(**kwargs), cls(reduction="none", **kwargs)):
        _close(loss(y[:, 0], p), loss(y, p).numpy())
        _close(loss(y, p[:, 0]), loss(y, p).numpy())
    assert cls(reduction="none", **kwargs)(y[:, 0], p).shape == (5,)


def test_sparse_labels_with_or_without_trailing_axis(rng):
    y, p = sparse_probs(rng, (5, 3))
    loss = L.SparseCategoricalCrossentropy(reduction="none")
    _close(loss(y[:, None], p), loss(y, p).numpy())
    _close(loss(y, p), np_scce(y, np.float64(p)))


@pytest.mark.parametrize("fn, y_shape, p_shape", [
    (L.mean_squared_error, (3, 2), (3, 4)),
    (L.huber, (4,), (3,)),
    (L.binary_crossentropy, (3, 1), (3, 2)),
    (L.categorical_crossentropy, (3,), (3, 4)),
    (L.categorical_crossentropy, (3, 3), (3, 4)),
    (L.kl_divergence, (2, 3), (2, 5)),
])
def test_incompatible_shapes_raise_naming_loss_and_shapes(fn, y_shape, p_shape):
    with pytest.raises(ValueError) as err:
        fn(np.zeros(y_shape, np.float32), np.ones(p_shape, np.float32))
    msg = str(err.value)
    assert fn.__name__ in msg and str(y_shape) in msg and str(p_shape) in msg and "hint:" in msg


def test_incompatible_shapes_raise_from_the_class_too():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(3, 2\).*\(3, 4\)"):
        L.MeanSquaredError()(np.zeros((3, 2)), np.zeros((3, 4)))


def test_sparse_label_shape_errors():
    with pytest.raises(ValueError, match=r"(?s)sparse_categorical_crossentropy.*\(2, 3\).*hint:"):
        L.sparse_categorical_crossentropy(np.eye(3)[:2], np.ones((2, 3)) / 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 3"):
        L.sparse_categorical_crossentropy([0, 3], np.ones((2, 3), np.float32) / 3)


def test_scalar_predictions_raise():
    with pytest.raises(ValueError, match="(?s)mean_squared_error.*at least 1 dimension.*hint:"):
        L.mean_squared_error(2.0, 3.0)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), k=st.integers(1, 4), column=st.booleans(),
       reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(), seed=st.integers(0, 99))
def test_property_shapes_and_reductions(n, k, column, reduction, weighted, seed):
    rng = np.random.default_rng(seed)
    y, p = f32(rng.normal(size=(n, k))), f32(rng.normal(size=(n, k)))
    per = np_mse(np.float64(y), np.float64(p))
    sw = f32(rng.uniform(0, 2, (n, 1) if column else (n,))) if weighted else None
    out = L.MeanSquaredError(reduction=reduction)(y, p, sample_weight=sw)
    expected = np_reduce(per, None if sw is None else sw.reshape(n), reduction)
    assert out.shape == np.shape(expected)
    _close(out, expected)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 99), case=st.sampled_from(ELEMENTWISE))
def test_property_rank_one_labels_never_broadcast_to_n_by_n(n, seed, case):
    rng = np.random.default_rng(seed)
    y, p = _data(case, rng, (n, 1))
    per = case[2](reduction="none", **case[3])(y[:, 0], p)
    assert per.shape == (n,)
    _close(per, case[4](np.float64(y), np.float64(p), **case[3]))


# -- dtypes ------------------------------------------------------------------------------------
def test_dtypes(rng):
    y, p = normal(rng)
    assert L.MeanSquaredError()(np.float64(y), np.float64(p)).dtype == tf.float64
    assert L.MeanSquaredError(dtype="float64")(y, p).dtype == tf.float64
    assert L.MeanSquaredError(dtype="float64").dtype == "float64"
    assert L.MeanSquaredError().dtype == "float32"
    assert L.mean_squared_error([[1, 2]], [[2, 2]]).dtype == tf.float32  # ints -> floatx
    assert L.mean_squared_error(np.int64([[1, 2]]), f32([[2, 2]])).dtype == tf.float32
    _close(L.mean_squared_error([[1, 2]], [[2, 2]]), [0.5])


# -- numerics at the edges ---------------------------------------------------------------------
def test_extreme_inputs_stay_finite():
    y = f32([[0., 1.]])
    assert np.isfinite(L.binary_crossentropy(y, f32([[1., 0.]])).numpy()).all()
    big = f32([[1000., -1000.]])
    _close(L.binary_crossentropy(y, big, from_logits=True), [1000.0])
    _close(L.categorical_crossentropy(f32([[0., 1.]]), big, from_logits=True), [2000.0])
    _close(L.sparse_categorical_crossentropy([1], big, from_logits=True), [2000.0])
    _close(L.log_cosh(f32([[0.]]), f32([[1000.]])), [1000 - np.log(2)])
    _close(L.categorical_crossentropy(f32([[0., 1.]]), f32([[1., 0.]])), [-np.log(EPS)],
           rtol=1e-4)
    _close(L.cosine_similarity(f32([[0., 0.]]), f32([[1., 2.]])), [0.0])
    _close(L.binary_focal_crossentropy(y, big, from_logits=True), [1000.0])


def test_softmax_output_in_a_traced_function_uses_its_logits():
    x = tf.constant([[100., 0., -100.]])
    y = f32([[0., 0., 1.]])

    @tf.function
    def traced(x):
        return L.categorical_crossentropy(y, tf.nn.softmax(x))

    @tf.function
    def traced_sigmoid(x):
        return L.binary_crossentropy(f32([[1.]]), tf.sigmoid(x))

    _close(traced(x), [200.0])  # real TF gives 200 too (/tmp/tf, tf.function)
    _close(L.categorical_crossentropy(y, tf.nn.softmax(x)), [-np.log(EPS)], rtol=1e-4)
    _close(traced_sigmoid(tf.constant([[-100.]])), [100.0])


def test_from_logits_on_a_softmax_output_warns_and_uses_the_logits():
    y = f32([[0., 1.]])

    @tf.function
    def traced(x):
        return L.categorical_crossentropy(y, tf.nn.softmax(x), from_logits=True)

    with pytest.warns(UserWarning, match="from_logits=True.*Softmax"):
        out = traced(tf.constant([[3., 1.]]))
    _close(out, -_log_softmax(np.array([[3., 1.]]))[:, 1])


# -- gradients ---------------------------------------------------------------------------------
GRAD_CASES = [c for c in CASES if c[0] in ("mse", "huber-delta", "log_cosh", "cosine", "bce",
                                           "bce-logits-smooth", "focal-balanced", "cce",
                                           "cce-logits", "scce-logits", "kld", "poisson")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_finite_differences(case, rng):
    _, _, cls, kwargs, _, _ = case
    y, p = _data(case, rng)
    y = y if case[0] in SPARSE else np.float64(y)
    x0 = np.float64(p)
    sw = rng.uniform(0.5, 2, p.shape[:1])
    loss = cls(**kwargs)
    v = tf.Variable(x0)
    with tf.GradientTape() as tape:
        value = loss(y, v, sample_weight=sw)
    grad = tape.gradient(value, v).numpy()
    direction = rng.normal(size=x0.shape)
    h = 1e-6

    def f(x):
        return float(loss(y, x, sample_weight=sw))

    numeric = (f(x0 + h * direction) - f(x0 - h * direction)) / (2 * h)
    assert np.sum(grad * direction) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_chapter_custom_loop_gradient():
    # loss_fn = keras.losses.mean_squared_error; main_loss = tf.reduce_mean(loss_fn(y, y_pred))
    w = tf.Variable([[2.0]])
    x, y = f32([[1.], [2.]]), f32([[3.], [5.]])
    with tf.GradientTape() as tape:
        main_loss = tf.reduce_mean(L.mean_squared_error(y, x @ w))
    # d/dw mean((y - x w)^2) = mean(-2 x (y - x w))
    _close(tape.gradient(main_loss, w), [[np.mean(-2 * np.array([1, 2]) * np.array([1, 1]))]])


# -- eager equals tf.function ------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_eager_equals_traced(case, rng):
    _, fn, cls, kwargs, _, _ = case
    y, p = _data(case, rng)
    sw = f32(rng.uniform(0, 2, fn(y, p, **kwargs).shape))
    loss = cls(**kwargs)
    traced = tf.function(lambda y, p, sw: (loss(y, p, sample_weight=sw), fn(y, p, **kwargs)))
    a, b = traced(tf.constant(y), tf.constant(p), tf.constant(sw))
    _close(a, loss(y, p, sample_weight=sw).numpy(), rtol=1e-6)
    _close(b, fn(y, p, **kwargs).numpy(), rtol=1e-6)


def test_traced_with_unknown_batch_size(rng):
    y, p = binary_probs(rng, (4, 1))
    loss = L.BinaryCrossentropy()
    spec = tf.TensorSpec([None, 1], tf.float32)
    traced = tf.function(lambda y, p: loss(y, p), input_signature=[spec, spec])
    _close(traced(y, p), np_bce(np.float64(y), np.float64(p)).mean())
    _close(traced(y[:2], p[:2]), np_bce(np.float64(y[:2]), np.float64(p[:2])).mean())


# -- configs, get, serialize, deserialize ------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_round_trip(case, rng):
    _, _, cls, kwargs, _, _ = case
    loss = cls(reduction="sum", name="custom_name", **kwargs)
    config = loss.get_config()
    assert config["name"] == "custom_name" and config["reduction"] == "sum"
    for key, value in kwargs.items():
        assert config[key] == value and getattr(loss, key) == value
    json.dumps(config)
    y, p = _data(case, rng)
    for again in (cls.from_config(config),
                  L.deserialize(json.loads(json.dumps(L.serialize(loss))))):
        assert type(again) is cls and again.get_config() == config
        _close(again(y, p), loss(y, p).numpy())


def test_serialize_format():
    assert L.serialize(L.BinaryCrossentropy(from_logits=True)) == {
        "module": "keras.losses", "class_name": "BinaryCrossentropy",
        "config": {"name": "binary_crossentropy", "reduction": "sum_over_batch_size",
                   "from_logits": True, "label_smoothing": 0.0, "axis": -1},
        "registered_name": "BinaryCrossentropy"}
    assert L.serialize(L.mse) == {"module": "keras.losses", "class_name": "function",
                                  "config": "mean_squared_error",
                                  "registered_name": "mean_squared_error"}
    assert L.deserialize(L.serialize(L.mse)) is L.mean_squared_error
    # tf.keras 2's format and bare names
    huber = L.deserialize({"class_name": "Huber", "config": {"delta": 3.0}})
    assert isinstance(huber, L.Huber) and huber.delta == 3.0
    assert L.deserialize("categorical_crossentropy") is L.categorical_crossentropy
    assert L.MeanSquaredError(dtype="float64").get_config()["dtype"] == "float64"


@pytest.mark.parametrize("name, expected", [
    ("mse", L.mean_squared_error), ("MSE", L.mean_squared_error),
    ("mean_squared_error", L.mean_squared_error), ("mae", L.mean_absolute_error),
    ("mape", L.mean_absolute_percentage_error), ("msle", L.mean_squared_logarithmic_error),
    ("kld", L.kl_divergence), ("kullback_leibler_divergence", L.kl_divergence),
    ("logcosh", L.log_cosh), ("categorical_crossentropy", L.categorical_crossentropy),
    ("sparse_categorical_crossentropy", L.sparse_categorical_crossentropy),
    ("binary_crossentropy", L.binary_crossentropy), ("hinge", L.hinge),
    ("huber", L.huber), ("poisson", L.poisson), ("cosine_similarity", L.cosine_similarity),
])
def test_get_function_names(name, expected):
    assert L.get(name) is expected


def test_get_other_identifiers():
    assert isinstance(L.get("MeanSquaredError"), L.MeanSquaredError)
    assert isinstance(L.get("SparseCategoricalCrossentropy"), L.SparseCategoricalCrossentropy)
    assert L.get(None) is None
    loss = L.Huber()
    assert L.get(loss) is loss
    assert isinstance(L.get(L.Poisson), L.Poisson)
    got = L.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert got.from_logits is True
    assert L.get(L.serialize(L.CategoricalHinge())).name == "categorical_hinge"


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as err:
        L.get("mse2")
    msg = str(err.value)
    assert "'mse2'" in msg and "mean_squared_error" in msg and "MeanSquaredError" in msg
    assert "hint:" in msg
    with pytest.raises(ValueError, match="could not interpret"):
        L.get(42)


def test_loss_function_wrapper_config_round_trip(rng):
    wrapper = L.LossFunctionWrapper(L.huber, reduction="sum", delta=2.0)
    assert wrapper.name == "huber" and wrapper.fn is L.huber
    config = wrapper.get_config()
    assert config["delta"] == 2.0 and config["fn"]["config"] == "huber"
    again = L.deserialize(json.loads(json.dumps(L.serialize(wrapper))))
    y, p = wide(rng)
    _close(again(y, p), np_huber(np.float64(y), np.float64(p), 2.0).sum())
    with pytest.raises(TypeError, match="(?s)LossFunctionWrapper.*`fn`.*hint:"):
        L.LossFunctionWrapper("mse")


def test_reduction_names():
    R = L.Reduction
    assert (R.AUTO, R.NONE, R.SUM, R.SUM_OVER_BATCH_SIZE) == (
        "auto", "none", "sum", "sum_over_batch_size")
    assert set(R.all()) == {"auto", "none", "sum", "sum_over_batch_size"}
    R.validate("sum")
    with pytest.raises(ValueError, match="hint:"):
        R.validate("mean")
    y, p = f32([[1.], [2.]]), f32([[2.], [4.]])
    assert float(L.MeanSquaredError(reduction=R.SUM)(y, p)) == 5.0
    assert float(L.MeanSquaredError(reduction=R.AUTO)(y, p)) == 2.5
    _close(L.MeanSquaredError(reduction=R.NONE)(y, p), [1., 4.])


def test_argument_errors():
    with pytest.raises(ValueError, match=r"(?s)MeanSquaredError.*invalid `reduction` .avg.*hint:"):
        L.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="(?s)label_smoothing.*hint:"):
        L.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="(?s)label_smoothing.*hint:"):
        L.categorical_crossentropy([[0., 1.]], [[0.5, 0.5]], label_smoothing=-0.1)
    with pytest.raises(ValueError, match="`axis` must be an int"):
        L.CategoricalCrossentropy(axis=True)
    with pytest.raises(ValueError, match="delta.*>= 0"):
        L.huber([[0.]], [[1.]], delta=-1.0)
    with pytest.raises(NotImplementedError, match="(?s)Loss.call.*hint:"):
        L.Loss()([[0.]], [[1.]])

    class Forgot(L.Loss):
        def __init__(self, factor):
            self.factor = factor

        def call(self, y_true, y_pred):
            return y_pred

    with pytest.raises(AttributeError, match=r"super\(\).__init__"):
        Forgot(2)([[0.]], [[1.]])


# -- the chapter's custom losses (Chapter 12), from tests/keras/chapter_code.py ---------------
def _chapter_data(rng):
    y = f32(rng.normal(size=(6, 1)) * 2)
    return y, f32(y + rng.normal(size=(6, 1)) * 2)


def test_chapter_huber_fn(rng):
    y, p = _chapter_data(rng)
    per = np_huber(np.float64(y), np.float64(p))
    _close(huber_fn(y, p).numpy()[:, 0], per)
    loss = L.get(huber_fn)
    assert loss is huber_fn
    wrapped = L.LossFunctionWrapper(huber_fn)
    assert wrapped.name == "huber_fn"
    _close(wrapped(y, p), per.mean())
    _close(wrapped(y, p), L.Huber()(y, p).numpy())
    # saved by name, loaded with custom_objects
    config = L.serialize(wrapped)
    assert config["config"]["fn"]["config"] == "huber_fn"
    with pytest.raises(ValueError, match="huber_fn"):
        L.deserialize(config)
    again = L.deserialize(config, custom_objects={"huber_fn": huber_fn})
    _close(again(y, p), per.mean())


def test_chapter_create_huber(rng):
    y, p = _chapter_data(rng)
    fn = create_huber(2.0)
    assert fn.__name__ == "huber_fn"
    per = np_huber(np.float64(y), np.float64(p), 2.0)
    _close(L.LossFunctionWrapper(fn)(y, p), per.mean())
    config = L.serialize(L.LossFunctionWrapper(fn))
    again = L.deserialize(config, custom_objects={"huber_fn": create_huber(2.0)})
    _close(again(y, p), per.mean())
    assert L.deserialize(L.serialize(fn), custom_objects={"huber_fn": fn}) is fn


def test_chapter_huber_loss_subclass(rng):
    y, p = _chapter_data(rng)
    loss = HuberLoss(2.)
    assert loss.name == "huber_loss" and loss.reduction == "sum_over_batch_size"
    per = np_huber(np.float64(y), np.float64(p), 2.0)
    _close(loss(y, p), per.mean())
    sw = f32(rng.uniform(0, 1, 6))
    _close(loss(y, p, sample_weight=sw), (per * sw).sum() / 6)
    assert loss.get_config() == {"name": "huber_loss", "reduction": "sum_over_batch_size",
                                 "threshold": 2.0}
    again = HuberLoss.from_config(loss.get_config())
    assert again.threshold == 2.0
    _close(again(y, p), per.mean())
    config = json.loads(json.dumps(L.serialize(loss)))
    assert config["class_name"] == "HuberLoss" and config["module"] == HuberLoss.__module__
    loaded = L.deserialize(config, custom_objects={"HuberLoss": HuberLoss})
    assert isinstance(loaded, HuberLoss) and loaded.threshold == 2.0
    summed = HuberLoss(2., reduction="sum", name="h")
    assert summed.get_config() == {"name": "h", "reduction": "sum", "threshold": 2.0}
    _close(summed(y, p), per.sum())
    _close(HuberLoss(reduction=None)(y, p)[:, 0], np_huber(np.float64(y), np.float64(p)))
    # differentiable, and the same inside tf.function
    v = tf.Variable(np.float64(p))
    with tf.GradientTape() as tape:
        value = loss(y, v)
    e = np.float64(y) - np.float64(p)
    expected = np.where(np.abs(e) < 2, -e, -2 * np.sign(e)) / 6
    _close(tape.gradient(value, v), expected)
    _close(tf.function(lambda y, p: loss(y, p))(y, p), per.mean(), rtol=1e-6)


def test_chapter_huber_loss_aligns_rank_one_labels(rng):
    y, p = _chapter_data(rng)
    per = np_huber(np.float64(y), np.float64(p), 2.0)
    _close(HuberLoss(2.)(y[:, 0], p), per.mean())  # not the mean of a (6, 6) broadcast
    _close(HuberLoss(2., reduction="none")(y[:, 0], p)[:, 0], per)


def test_subclass_without_get_config_saves_its_constructor_arguments(rng):
    class Scaled(keras.losses.Loss):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, y_true, y_pred):
            return self.factor * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    loss = Scaled(3.0, reduction="sum")
    assert loss.get_config() == {"factor": 3.0, "name": "scaled", "reduction": "sum"}
    again = L.deserialize(L.serialize(loss), custom_objects={"Scaled": Scaled})
    y, p = normal(rng)
    _close(again(y, p), 3 * np_mae(np.float64(y), np.float64(p)).sum())


def test_compile_wraps_the_chapter_function(rng):
    compile_utils = importlib.import_module("rill.keras.models.compile_utils")
    loss = compile_utils.get_loss(huber_fn)
    assert isinstance(loss, L.LossFunctionWrapper) and loss.name == "huber_fn"
    assert isinstance(compile_utils.get_loss("mse"), L.Loss)
    y, p = _chapter_data(rng)
    _close(loss(y, p), np_huber(np.float64(y), np.float64(p)).mean())


def test_doctests():
    for name in ("", ".loss", ".regression", ".probabilistic", ".hinge_losses"):
        module = importlib.import_module("rill.keras.losses" + name)
        result = doctest.testmod(module, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0 and result.attempted > 0, name


# -- parity with real Keras --------------------------------------------------------------------
TF_PYTHON = os.environ.get("RILL_TF_PYTHON")

PARITY_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    import keras
    out = []
    for c in json.load(sys.stdin):
        y, p = np.array(c["y"], c["y_dtype"]), np.array(c["p"], np.float32)
        sw = None if c["sw"] is None else np.array(c["sw"], np.float32)
        loss = getattr(keras.losses, c["cls"])(reduction=c["reduction"], **c["kwargs"])
        fn = getattr(keras.losses, c["fn"])
        def both(y, p, sw):
            return loss(y, p, sample_weight=sw), fn(y, p, **c["kwargs"])
        eager = [np.asarray(v).tolist() for v in both(y, p, sw)]
        traced = [np.asarray(v).tolist() for v in tf.function(both)(y, p, sw)]
        out.append(eager + traced)
    print(json.dumps(out))
""")


def _parity_cases():
    rng = np.random.default_rng(7)
    cases = []
    for case in CASES:
        for reduction, weighted in (("sum_over_batch_size", True), ("sum", False),
                                    ("none", True), ("mean_with_sample_weight", True)):
            y, p = _data(case, rng, (5, 3))
            # with axis=0 there is one loss per column (3), not per row (5)
            n = 3 if case[0] == "cosine-axis0" else 5
            sw = rng.uniform(0, 2, n).tolist() if weighted else None
            cases.append({"id": case[0], "cls": case[2].__name__, "fn": case[1].__name__,
                          "kwargs": case[3], "reduction": reduction, "y": y.tolist(),
                          "y_dtype": str(np.asarray(y).dtype), "p": p.tolist(), "sw": sw})
    extra = []
    for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
        y, p = sparse_probs(rng, (6, 4))
        y[:2] = 3
        extra.append(("scce-ignore", "SparseCategoricalCrossentropy",
                      "sparse_categorical_crossentropy", {"ignore_class": 3}, reduction, y, p))
        y, p = normal(rng, (5, 1))
        extra.append(("mse-align", "MeanSquaredError", "mean_squared_error", {}, reduction,
                      y[:, 0], p))
        y, p = wide(rng, (5, 1))
        extra.append(("huber-align", "Huber", "huber", {"delta": 1.5}, reduction, y, p[:, 0]))
    for id_, cls, fn, kwargs, reduction, y, p in extra:
        cases.append({"id": id_, "cls": cls, "fn": fn, "kwargs": kwargs, "reduction": reduction,
                      "y": y.tolist(), "y_dtype": str(y.dtype), "p": p.tolist(),
                      "sw": rng.uniform(0, 2, 5 if id_ != "scce-ignore" else 6).tolist()})
    return cases


@pytest.mark.skipif(not TF_PYTHON, reason="RILL_TF_PYTHON is not set")
def test_parity_with_real_keras():
    cases = _parity_cases()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    run = subprocess.run([TF_PYTHON, "-c", PARITY_SCRIPT], input=json.dumps(cases),
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    expected = json.loads(run.stdout.strip().splitlines()[-1])
    for c, (tf_class, tf_fn, tf_class_traced, tf_fn_traced) in zip(cases, expected):
        y = np.array(c["y"], c["y_dtype"])
        p = f32(c["p"])
        sw = None if c["sw"] is None else f32(c["sw"])
        loss = getattr(L, c["cls"])(reduction=c["reduction"], **c["kwargs"])
        fn = getattr(L, c["fn"])
        label = f"{c['id']} {c['reduction']}"
        ours = loss(y, p, sample_weight=sw).numpy()
        np.testing.assert_allclose(ours, tf_class, rtol=2e-5, atol=1e-6, err_msg=label)
        np.testing.assert_allclose(ours, tf_class_traced, rtol=2e-5, atol=1e-6, err_msg=label)
        np.testing.assert_allclose(fn(y, p, **c["kwargs"]).numpy(), tf_fn, rtol=2e-5,
                                   atol=1e-6, err_msg=label)
        np.testing.assert_allclose(fn(y, p, **c["kwargs"]).numpy(), tf_fn_traced, rtol=2e-5,
                                   atol=1e-6, err_msg=label)
