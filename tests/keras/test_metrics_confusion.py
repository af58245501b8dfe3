"""Confusion-matrix metrics: counts, Precision, Recall, the X-at-Y metrics and AUC, against
counts and curves computed in NumPy here (and a table of values recorded from real TF 2.21 /
Keras 3.15.1 at /tmp/tf, marked as such)."""

import numpy as np
import pytest

import rill as tf
from rill import keras

pytestmark = pytest.mark.filterwarnings("ignore:tf.function was created and traced")

M = keras.metrics
EPS = 1e-7

# one fixed binary problem, used by the values recorded from TF
YT = np.array([0, 0, 1, 1, 0, 1, 1, 0, 1, 0], dtype="float32")
YP = np.array([0.1, 0.4, 0.35, 0.8, 0.65, 0.9, 0.2, 0.05, 0.55, 0.7], dtype="float32")
W = np.array([1, 2, 1, 0.5, 1, 1, 3, 1, 1, 2], dtype="float32")


def counts(y_true, y_pred, thresholds, w=None):
    """(tp, fp, tn, fn) per threshold; positive prediction means p > t."""
    y, p = np.ravel(y_true) != 0, np.ravel(y_pred)
    w = np.ones_like(p) if w is None else np.broadcast_to(w, np.shape(y_pred)).ravel()
    out = []
    for t in thresholds:
        pos = p > t
        out.append([(w * (y & pos)).sum(), (w * (~y & pos)).sum(), (w * (~y & ~pos)).sum(),
                    (w * (y & ~pos)).sum()])
    return np.array(out).T


def binary_batches(rng, sizes=(6, 4, 7)):
    return [(rng.integers(0, 2, n), rng.uniform(size=n), rng.uniform(0.2, 2, n))
            for n in sizes]


# -- counts, precision, recall ---------------------------------------------------------------
@pytest.mark.parametrize("cls,index", [(M.TruePositives, 0), (M.FalsePositives, 1),
                                       (M.TrueNegatives, 2), (M.FalseNegatives, 3)])
@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.5, 0.8], [0.0, 0.5, 1.0]])
def test_counts(cls, index, thresholds, rng):
    m, bs = cls(thresholds=thresholds), binary_batches(rng)
    ts = [0.5] if thresholds is None else np.atleast_1d(thresholds)
    for t, p, w in bs:
        m.update_state(t, p, sample_weight=w)
    expected = sum(counts(t, p, ts, w)[index] for t, p, w in bs)
    got = m.result().numpy()
    assert got.shape == (() if np.ndim(thresholds) == 0 else (len(ts),))
    np.testing.assert_allclose(got, expected if got.shape else expected[0], rtol=1e-5)


@pytest.mark.parametrize("thresholds", [None, [0.25, 0.5, 0.75], [0.0, 0.5, 1.0]])
def test_precision_recall_streaming(thresholds, rng):
    bs = binary_batches(rng)
    ts = [0.5] if thresholds is None else thresholds
    tp, fp, _, fn = sum(counts(t, p, ts, w) for t, p, w in bs)
    precision, recall = M.Precision(thresholds=thresholds), M.Recall(thresholds=thresholds)
    for t, p, w in bs:
        precision.update_state(t, p, sample_weight=w)
        recall.update_state(t, p, sample_weight=w)
    exp_p, exp_r = tp / np.maximum(tp + fp, 1e-30), tp / np.maximum(tp + fn, 1e-30)
    if thresholds is None:
        exp_p, exp_r = exp_p[0], exp_r[0]
    np.testing.assert_allclose(precision.result().numpy(), exp_p, rtol=1e-5)
    np.testing.assert_allclose(recall.result().numpy(), exp_r, rtol=1e-5)


def test_precision_top_k_and_class_id():
    y = np.array([[0, 0, 1, 1], [1, 0, 0, 0], [0, 1, 1, 0]], dtype=float)
    p = np.array([[0.1, 0.5, 0.4, 0.3], [0.6, 0.6, 0.1, 0.2], [0.3, 0.1, 0.2, 0.7]])
    # top 2 per row (ties: lower index first): row 0 -> {1, 2}, row 1 -> {0, 1}, row 2 -> {3, 0}
    top = np.zeros_like(p, dtype=bool)
    for r, cols in enumerate([(1, 2), (0, 1), (3, 0)]):
        top[r, list(cols)] = True
    tp, fp = (top & (y == 1)).sum(), (top & (y == 0)).sum()
    np.testing.assert_allclose(float(M.Precision(top_k=2)(y, p)), tp / (tp + fp))
    np.testing.assert_allclose(float(M.Recall(top_k=2)(y, p)), tp / (y == 1).sum())
    # class 3 only, threshold 0.5: predictions [0.3, 0.2, 0.7] vs labels [1, 0, 0]
    assert float(M.Precision(class_id=3)(y, p)) == 0.0
    assert float(M.Recall(class_id=3)(y, p)) == 0.0
    # class 2: predictions [0.4, 0.1, 0.2] vs labels [1, 0, 1]
    np.testing.assert_allclose(float(M.Recall(class_id=2, thresholds=0.15)(y, p)), 1.0)
    np.testing.assert_allclose(float(M.Precision(class_id=2, thresholds=0.15)(y, p)), 1.0)
    np.testing.assert_allclose(float(M.Precision(class_id=2, thresholds=0.05)(y, p)), 2 / 3,
                               rtol=1e-6)


def test_predictions_outside_unit_interval_raise():
    with pytest.raises(tf.errors.InvalidArgumentError, match="(?s)Precision.*hint"):
        M.Precision()([0, 1], [-0.5, 2.0])

    @tf.function
    def traced(y, p):
        m = M.Recall()
        m.update_state(y, p)
        return m.result()

    with pytest.raises(tf.errors.InvalidArgumentError, match="Recall"):
        traced(tf.constant([0.0, 1.0]), tf.constant([0.2, 1.5]))


def test_bad_arguments_name_the_metric():
    with pytest.raises(ValueError, match="(?s)Precision.*thresholds.*hint"):
        M.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="(?s)PrecisionAtRecall.*recall.*hint"):
        M.PrecisionAtRecall(recall=2)
    with pytest.raises(ValueError, match="(?s)AUC.*curve.*hint"):
        M.AUC(curve="XY")
    with pytest.raises(ValueError, match="(?s)AUC.*num_thresholds.*hint"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="(?s)Precision.*class_id.*hint"):
        M.Precision(class_id=1)([0, 1], [0.2, 0.7])


# -- the X-at-Y metrics ----------------------------------------------------------------------
def rates(tp, fp, tn, fn):
    div = lambda a, b: np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)  # noqa: E731
    return {"recall": div(tp, tp + fn), "sensitivity": div(tp, tp + fn),
            "specificity": div(tn, tn + fp), "precision": div(tp, tp + fp)}


@pytest.mark.parametrize("cls,arg,constrained,reported", [
    (M.PrecisionAtRecall, "recall", "recall", "precision"),
    (M.RecallAtPrecision, "precision", "precision", "recall"),
    (M.SensitivityAtSpecificity, "specificity", "specificity", "sensitivity"),
    (M.SpecificityAtSensitivity, "sensitivity", "sensitivity", "specificity"),
])
@pytest.mark.parametrize("value,num_thresholds", [(0.6, 200), (0.3, 11), (0.8, 1)])
def test_x_at_y(cls, arg, constrained, reported, value, num_thresholds, rng):
    bs = binary_batches(rng)
    ts = [0.5] if num_thresholds == 1 else np.arange(num_thresholds) / (num_thresholds - 1)
    r = rates(*sum(counts(t, p, ts, w) for t, p, w in bs))
    expected = max([0.0] + [r[reported][i] for i in range(len(ts))
                            if r[constrained][i] >= value])
    m = cls(**{arg: value}, num_thresholds=num_thresholds)
    for t, p, w in bs:
        m.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)
    assert m.get_config()[arg] == value


# -- AUC -------------------------------------------------------------------------------------
def auc_thresholds(n):
    return [-EPS] + [i / (n - 1) for i in range(1, n - 1)] + [1 + EPS]


def ref_auc(y, p, n=200, curve="ROC", method="interpolation", w=None):
    tp, fp, tn, fn = counts(y, p, auc_thresholds(n), w)
    r = rates(tp, fp, tn, fn)
    if curve == "PR" and method == "interpolation":
        return ref_pr_interpolated(tp, fp, fn)
    x, h = (1 - r["specificity"], r["recall"]) if curve == "ROC" else \
        (r["recall"], r["precision"])
    pair = np.stack([h[:-1], h[1:]])
    heights = {"interpolation": pair.mean(0), "minoring": pair.min(0),
               "majoring": pair.max(0)}[method]
    return float(((x[:-1] - x[1:]) * heights).sum())


def ref_pr_interpolated(tp, fp, fn, steps=20000):
    """Precision integrated over recall numerically, with TP and P = TP + FP moving linearly
    between consecutive thresholds (the interpolation of Davis & Goadrich)."""
    positives = tp[0] + fn[0]
    p = tp + fp
    s = (np.arange(steps) + 0.5) / steps  # midpoints: P(s) may vanish at an end
    area = 0.0
    for i in range(len(tp) - 1):
        d_tp, d_p = tp[i] - tp[i + 1], p[i] - p[i + 1]
        if d_tp <= 0:
            continue
        tp_s, p_s = tp[i + 1] + s * d_tp, p[i + 1] + s * d_p
        area += np.mean(tp_s / p_s) * d_tp / positives
    return area


@pytest.mark.parametrize("kwargs", [{}, {"curve": "PR"}, {"num_thresholds": 7},
                                    {"curve": "PR", "num_thresholds": 7},
                                    {"summation_method": "minoring"},
                                    {"summation_method": "majoring", "curve": "PR"}])
def test_auc_against_numpy_curves(kwargs, rng):
    bs = binary_batches(rng, sizes=(40, 25, 30))
    n = kwargs.get("num_thresholds", 200)
    y = np.concatenate([b[0] for b in bs])
    p = np.concatenate([b[1] for b in bs])
    w = np.concatenate([b[2] for b in bs])
    m = M.AUC(**kwargs)
    for t, q, ww in bs:
        m.update_state(t, q, sample_weight=ww)
    expected = ref_auc(y, p, n, kwargs.get("curve", "ROC"),
                       kwargs.get("summation_method", "interpolation"), w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-4, atol=1e-6)


def test_roc_auc_is_mann_whitney_when_thresholds_separate_scores(rng):
    # scores on a grid between thresholds i/10: the ROC points are the empirical ones, and
    # trapezoids give P(score_pos > score_neg) + P(tie) / 2
    y = rng.integers(0, 2, 60)
    p = rng.integers(0, 10, 60) / 10 + 0.05
    pos, neg = p[y == 1], p[y == 0]
    u = (pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean()
    np.testing.assert_allclose(float(M.AUC(num_thresholds=11)(y, p)), u, rtol=1e-5)


# values recorded from real TF 2.21 (Keras 3.15.1) for YT, YP (unweighted, then weighted W)
TF_AUC = [({}, 0.6800000071525574, 0.49450546503067017),
          ({"curve": "PR"}, 0.7381333112716675, 0.5785797238349915),
          ({"num_thresholds": 7}, 0.699999988079071, 0.5164835453033447),
          ({"curve": "PR", "num_thresholds": 7}, 0.717176616191864, 0.5634785294532776),
          ({"curve": "PR", "summation_method": "majoring"}, 0.7592856884002686,
           0.6249172687530518),
          ({"thresholds": [0.3, 0.6]}, 0.559999942779541, 0.3791208565235138),
          ({"curve": "PRGAIN"}, 0.18888887763023376, -0.13702623546123505)]


@pytest.mark.parametrize("kwargs,plain,weighted", TF_AUC)
def test_auc_recorded_from_tf(kwargs, plain, weighted):
    np.testing.assert_allclose(float(M.AUC(**kwargs)(YT, YP)), plain, rtol=1e-5)
    np.testing.assert_allclose(float(M.AUC(**kwargs)(YT, YP, sample_weight=W)), weighted,
                               rtol=1e-5)


def test_auc_from_logits_and_multi_label():
    logits = np.log(YP / (1 - YP))
    np.testing.assert_allclose(float(M.AUC(from_logits=True)(YT, logits)), 0.68, rtol=1e-5)
    y = np.array([[0, 1], [1, 1], [0, 0], [1, 0], [0, 1]], dtype="float32")
    p = np.array([[0.2, 0.7], [0.6, 0.4], [0.3, 0.1], [0.9, 0.6], [0.4, 0.8]],
                 dtype="float32")
    # per label: label 0 is separated perfectly (1.0); label 1 by Mann-Whitney 5/6
    per_label = [1.0, 5 / 6]
    np.testing.assert_allclose(float(M.AUC(multi_label=True)(y, p)), np.mean(per_label),
                               rtol=1e-5)
    np.testing.assert_allclose(float(M.AUC(multi_label=True, label_weights=[0.3, 0.7])(y, p)),
                               0.3 * per_label[0] + 0.7 * per_label[1], rtol=1e-5)
    # recorded from TF 2.21: label weights when pooling, and multi-label PR
    np.testing.assert_allclose(float(M.AUC(label_weights=[0.3, 0.7])(y, p)),
                               0.8872785568237305, rtol=1e-5)
    np.testing.assert_allclose(float(M.AUC(multi_label=True, curve="PR")(y, p)),
                               0.9520530104637146, rtol=1e-5)
    m = M.AUC(multi_label=True, num_labels=2)
    assert m.true_positives.shape == (200, 2)


def test_auc_built_inside_tf_function_and_reset():
    m = M.AUC(multi_label=True)  # variables made on the first batch, here inside a trace

    @tf.function
    def step(y, p):
        m.update_state(y, p)
        return m.result()

    y = np.array([[0, 1], [1, 0], [1, 1]], dtype="float32")
    p = np.array([[0.2, 0.9], [0.7, 0.3], [0.8, 0.6]], dtype="float32")
    assert float(step(tf.constant(y), tf.constant(p))) == 1.0
    assert len(m.variables) == 4 and m.variables[0].shape == (200, 2)
    m.reset_state()
    assert float(m.result()) == 0.0
    assert float(M.AUC().result()) == 0.0


def test_eager_equals_tf_function(rng):
    bs = binary_batches(rng)
    makers = [M.Precision, lambda: M.Recall(thresholds=[0.3, 0.6]), M.AUC,
              lambda: M.AUC(curve="PR"), lambda: M.PrecisionAtRecall(0.5),
              lambda: M.TruePositives(thresholds=[0.0, 0.5, 1.0])]
    for make in makers:
        eager, traced = make(), make()

        @tf.function
        def step(t, p, w, traced=traced):
            traced.update_state(t, p, sample_weight=w)
            return traced.result()

        for t, p, w in bs:
            eager.update_state(t, p, sample_weight=w)
            out = step(tf.constant(t), tf.constant(p), tf.constant(w))
        np.testing.assert_allclose(out.numpy(), eager.result().numpy(), rtol=1e-6)


def test_recorded_x_at_y_from_tf():
    # recorded from real TF 2.21 (Keras 3.15.1) with YT, YP, W
    cases = [(M.PrecisionAtRecall(0.6), 0.5652173757553101),
             (M.RecallAtPrecision(0.6), 0.23076923191547394),
             (M.SensitivityAtSpecificity(0.7), 0.23076923191547394),
             (M.SpecificityAtSensitivity(0.7), 0.2857142984867096),
             (M.PrecisionAtRecall(0.6, num_thresholds=1), 0.0)]
    for m, expected in cases:
        np.testing.assert_allclose(float(m(YT, YP, sample_weight=W)), expected, rtol=1e-5)


def test_results_before_any_update_are_zero():
    for m in (M.Precision(), M.Recall(), M.TruePositives(), M.FalseNegatives(), M.AUC(),
              M.AUC(curve="PR"), M.PrecisionAtRecall(0.5), M.SpecificityAtSensitivity(0.5)):
        assert float(m.result()) == 0.0, type(m).__name__
    np.testing.assert_array_equal(M.Precision(thresholds=[0.2, 0.8]).result().numpy(), [0, 0])


def test_unknown_batch_size_inside_tf_function(rng):
    spec = tf.TensorSpec([None, 1], tf.float32)
    metrics = [M.Precision(thresholds=[0.3, 0.6]), M.AUC(), M.AUC(multi_label=True),
               M.RecallAtPrecision(0.5)]
    eager = [M.Precision(thresholds=[0.3, 0.6]), M.AUC(), M.AUC(multi_label=True),
             M.RecallAtPrecision(0.5)]

    @tf.function(input_signature=[spec, spec, tf.TensorSpec([None], tf.float32)])
    def step(t, p, w):
        for m in metrics:
            m.update_state(t, p, sample_weight=w)
        return [m.result() for m in metrics]

    for n in (3, 5, 4):
        t = rng.integers(0, 2, (n, 1)).astype("float32")
        p, w = rng.uniform(size=(n, 1)).astype("float32"), rng.uniform(size=n).astype("float32")
        out = step(t, p, w)
        for m in eager:
            m.update_state(t, p, sample_weight=w)
    for got, m in zip(out, eager):
        np.testing.assert_allclose(got.numpy(), m.result().numpy(), rtol=1e-6)
