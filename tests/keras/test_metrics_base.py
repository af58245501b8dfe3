"""The Metric base class in both dialects (tf.keras 2 and Keras 3), the chapter's custom
metrics, get / serialize / deserialize, and how "accuracy" is resolved for compile()."""

import importlib
import json

import numpy as np
import pytest

import rill as tf
from rill import keras
from tests.keras.chapter_code import HuberMetric, create_huber

pytestmark = pytest.mark.filterwarnings("ignore:tf.function was created and traced")

M = keras.metrics
LOSS_METRIC_FUNCTIONS = ("binary_crossentropy", "categorical_crossentropy",
                         "sparse_categorical_crossentropy", "kl_divergence", "poisson", "hinge",
                         "squared_hinge", "categorical_hinge")


def losses_define(*names):
    """Whether rill.keras.losses (written in parallel by another engineer) defines `names`."""
    try:
        losses = importlib.import_module("rill.keras.losses")
    except ImportError:
        return False
    return all(hasattr(losses, n) for n in names)


# -- the chapter's examples, unchanged -------------------------------------------------------
class HuberMeanMetric(keras.metrics.Mean):  # the notebook's simpler HuberMetric
    def __init__(self, threshold=1.0, name='HuberMetric', dtype=None):
        self.threshold = threshold
        self.huber_fn = create_huber(threshold)
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        metric = self.huber_fn(y_true, y_pred)
        super(HuberMeanMetric, self).update_state(metric, sample_weight)  # noqa: UP008

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "threshold": self.threshold}


def np_huber(t, p, threshold):
    e = np.abs(t - p)
    return np.where(e < threshold, e**2 / 2, threshold * e - threshold**2 / 2)


def test_chapter_streaming_precision():
    precision = keras.metrics.Precision()
    r1 = precision([0, 1, 1, 1, 0, 1, 0, 1], [1, 1, 0, 1, 0, 1, 0, 1])
    r2 = precision([0, 1, 0, 0, 1, 0, 1, 1], [1, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose([float(r1), float(r2)], [0.8, 0.5], rtol=1e-6)
    assert r1.dtype == tf.float32 and r1.shape == ()
    p = precision
    assert float(p.result()) == 0.5
    assert [v.name for v in p.variables] == ["true_positives:0", "false_positives:0"]
    np.testing.assert_array_equal([v.numpy() for v in p.variables], [[4.0], [4.0]])
    p.reset_states()  # both variables get reset to 0.0
    np.testing.assert_array_equal([v.numpy() for v in p.variables], [[0.0], [0.0]])


def test_chapter_huber_metric():
    m = HuberMetric(2.)
    # total = 2 * |10 - 2| - 2^2 / 2 = 14, count = 1
    assert float(m(tf.constant([[2.]]), tf.constant([[10.]]))) == 14.0
    # total = 14 + 1/2 + (2 * 4.25 - 2) = 21, count = 3
    assert float(m(tf.constant([[0.], [5.]]), tf.constant([[1.], [9.25]]))) == 7.0
    assert float(m.result()) == 7.0
    assert [v.name for v in m.variables] == ["total:0", "count:0"]
    m.reset_states()
    assert [float(v) for v in m.variables] == [0.0, 0.0]
    config = m.get_config()
    assert config == {"name": "huber_metric", "dtype": "float32", "threshold": 2.0}
    clone = HuberMetric.from_config(config)
    assert clone.threshold == 2.0 and clone.name == "huber_metric"
    loaded = M.deserialize(json.loads(json.dumps(M.serialize(m))),
                           custom_objects={"HuberMetric": HuberMetric})
    assert type(loaded) is HuberMetric and loaded.threshold == 2.0


def test_chapter_huber_mean_subclass(rng):
    m = HuberMeanMetric(2.0)
    assert m.name == "HuberMetric"
    batches = [(rng.normal(size=(n, 1)) * 3, rng.normal(size=(n, 1)) * 3, rng.uniform(size=n))
               for n in (4, 6)]
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
    values = np.concatenate([np_huber(t, p, 2.0)[:, 0] for t, p, _ in batches])
    weights = np.concatenate([w for *_, w in batches])
    np.testing.assert_allclose(float(m.result()), (values * weights).sum() / weights.sum(),
                               rtol=1e-5)
    assert m.get_config() == {"name": "HuberMetric", "dtype": "float32", "threshold": 2.0}
    assert HuberMeanMetric.from_config(m.get_config()).threshold == 2.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_chapter_huber_metric_in_tf_function():
    eager, traced = HuberMetric(2.0), HuberMetric(2.0)

    @tf.function
    def step(t, p):
        return traced(t, p)

    for t, p in [([[2.0]], [[10.0]]), ([[0.0], [5.0]], [[1.0], [9.25]])]:
        out = step(tf.constant(t), tf.constant(p))
        eager(tf.constant(t), tf.constant(p))
    assert float(out) == float(eager.result()) == 7.0


# -- Metric base -----------------------------------------------------------------------------
class Counter(keras.metrics.Metric):
    """Keras 3 style: add_variable / add_weight(shape=..., name=...), reset_state."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.seen = self.add_variable((), "zeros", name="seen")
        self.hist = self.add_weight(shape=(3,), initializer="zeros", name="hist")
        self.offset = self.add_weight((), "ones", name="offset")

    def update_state(self, values):
        values = tf.cast(values, "int32")
        self.seen.assign_add(tf.cast(tf.size(values), self.dtype))
        self.hist.assign_add(tf.cast(tf.math.bincount(values, minlength=3, maxlength=3),
                                     self.dtype))

    def result(self):
        return self.seen + self.offset


def test_keras3_dialect_and_creation_order():
    m = Counter()
    assert m.name == "counter" and m.dtype == "float32"
    assert [v.name for v in m.variables] == ["seen:0", "hist:0", "offset:0"]  # not sorted
    assert float(m.offset) == 1.0 and m.hist.shape == (3,)
    assert float(m([0, 2, 2])) == 4.0
    np.testing.assert_array_equal(m.hist.numpy(), [1, 0, 2])
    assert m.trainable_variables == [] and len(m.non_trainable_variables) == 3
    assert not any(v.trainable for v in m.variables)
    m.reset_state()  # every variable to zero, as Keras
    assert [float(np.sum(v.numpy())) for v in m.variables] == [0.0, 0.0, 0.0]


def test_names_dtypes_and_repr():
    assert M.Mean().name == "mean" and M.Mean(name="top-5 acc").name == "top-5 acc"
    m = M.Mean(dtype="float64")
    assert m.dtype == "float64" and m.total.dtype == tf.float64
    assert m([1.0, 2.0]).dtype == tf.float64
    assert repr(M.AUC()) == "<AUC name=auc>"
    m.name = "renamed"  # Keras 3 lets compile() rename a metric
    assert m.name == "renamed"


def test_add_weight_argument_errors():
    m = M.Metric()
    with pytest.raises(TypeError, match="(?s)add_weight.*shape.*hint"):
        m.add_weight("x", (), shape=(2,))
    assert m.add_weight("w", (2,), initializer=3.0).numpy().tolist() == [3.0, 3.0]


def test_forgotten_super_init_is_explained():
    class Broken(keras.metrics.Metric):
        def __init__(self):
            self.total = None

        def update_state(self, x):
            pass

        def result(self):
            return 0.0

    with pytest.raises(RuntimeError, match="(?s)super\\(\\).__init__.*hint"):
        Broken()(1.0)


def test_base_methods_explain_what_to_implement():
    with pytest.raises(NotImplementedError, match="(?s)update_state.*hint"):
        M.Metric()(1.0)


def test_tracks_plain_variables_and_sub_metrics():
    class Pair(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.extra = tf.Variable(5.0, trainable=False, name="extra")
            self.a, self.b = M.Mean(name="a"), M.Sum(name="b")

        def update_state(self, x):
            self.a.update_state(x)
            self.b.update_state(x)

        def result(self):
            return self.a.result() + self.b.result() + self.extra

    m = Pair()
    assert [v.name for v in m.variables] == ["extra:0", "total:0", "count:0", "total:0"]
    assert float(m([1.0, 3.0])) == 2.0 + 4.0 + 5.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_tf_keras2_reset_states_override_is_used_by_reset_state():
    class Old(M.Mean):
        def reset_states(self):
            self.total.assign(10.0)
            self.count.assign(1.0)

    m = Old()
    m.reset_state()  # what fit calls
    assert float(m.result()) == 10.0


def test_metric_created_inside_tf_function():
    @tf.function
    def run(x):
        m = M.Mean()
        m.update_state(x)
        m.update_state(x * 3)
        return m.result()

    assert float(run(tf.constant([1.0, 2.0]))) == 3.0


def test_update_in_tf_function_many_calls():
    m = M.SparseCategoricalAccuracy()

    @tf.function
    def step(y, p):
        m.update_state(y, p)

    p = tf.constant([[0.1, 0.9], [0.8, 0.2]])
    for labels in ([1, 0], [1, 1], [0, 0]):
        step(tf.constant(labels), p)
    np.testing.assert_allclose(float(m.result()), 4 / 6, rtol=1e-6)


# -- config, get, serialize, deserialize -----------------------------------------------------
BUILT_INS = [M.Mean(), M.Sum(), M.MeanSquaredError(), M.RootMeanSquaredError(),
             M.MeanAbsoluteError(), M.MeanAbsolutePercentageError(),
             M.MeanSquaredLogarithmicError(), M.LogCoshError(), M.CosineSimilarity(axis=1),
             M.Accuracy(), M.BinaryAccuracy(threshold=0.3), M.CategoricalAccuracy(),
             M.SparseCategoricalAccuracy(), M.TopKCategoricalAccuracy(k=3),
             M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
             M.Precision(thresholds=[0.2, 0.7], class_id=1), M.Recall(top_k=2),
             M.TruePositives(0.3), M.FalsePositives(), M.TrueNegatives(), M.FalseNegatives(),
             M.AUC(curve="PR", num_thresholds=50, name="pr_auc"), M.AUC(thresholds=[0.3, 0.6]),
             M.AUC(multi_label=True, num_labels=3, label_weights=[1, 2, 3]),
             M.PrecisionAtRecall(0.4), M.RecallAtPrecision(0.6, num_thresholds=10),
             M.SensitivityAtSpecificity(0.5, class_id=2), M.SpecificityAtSensitivity(0.5),
             M.MeanMetricWrapper(M.binary_accuracy, name="ba", threshold=0.2)]


@pytest.mark.parametrize("metric", BUILT_INS, ids=lambda m: type(m).__name__)
def test_serialize_round_trip(metric):
    config = json.loads(json.dumps(M.serialize(metric)))
    assert config["module"] == "keras.metrics" and config["class_name"] == type(metric).__name__
    clone = M.deserialize(config)
    assert type(clone) is type(metric)
    assert clone.get_config() == metric.get_config()
    assert [v.shape for v in clone.variables] == [v.shape for v in metric.variables]


def test_configs_match_keras():
    # key sets recorded from real TF 2.21 (Keras 3.15.1)
    assert M.Precision().get_config() == {"name": "precision", "dtype": "float32",
                                          "thresholds": None, "top_k": None, "class_id": None}
    assert M.BinaryAccuracy().get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                               "threshold": 0.5}
    assert M.AUC().get_config() == {
        "name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
        "summation_method": "interpolation", "multi_label": False, "num_labels": None,
        "label_weights": None, "from_logits": False}
    assert M.Mean().get_config() == {"name": "mean", "dtype": "float32"}


def test_user_subclass_without_get_config_saves_its_arguments():
    class Scaled(M.Mean):
        def __init__(self, factor, name="scaled", dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.factor = factor

    config = Scaled(3.0).get_config()
    assert config == {"name": "scaled", "dtype": "float32", "factor": 3.0}
    assert Scaled.from_config(config).factor == 3.0


def test_wrapper_of_custom_function_needs_custom_objects():
    huber_fn = create_huber(2.0)
    m = M.MeanMetricWrapper(huber_fn, name="huber")
    config = M.serialize(m)
    with pytest.raises(ValueError, match="(?s)huber_fn.*hint"):
        M.deserialize(config)
    clone = M.deserialize(config, custom_objects={"huber_fn": huber_fn})
    assert float(clone([[2.0]], [[10.0]])) == 14.0


def test_functions_serialize_by_name():
    for fn in (M.binary_accuracy, M.sparse_top_k_categorical_accuracy, M.cosine_similarity):
        config = M.serialize(fn)
        assert config["module"] == "keras.metrics"
        assert M.deserialize(config) is fn


@pytest.mark.parametrize("identifier,cls,name", [
    ("accuracy", M.Accuracy, "accuracy"), ("acc", M.Accuracy, "accuracy"),
    ("mse", M.MeanSquaredError, "mean_squared_error"),
    ("MAE", M.MeanAbsoluteError, "mean_absolute_error"),
    ("binary_accuracy", M.BinaryAccuracy, "binary_accuracy"), ("AUC", M.AUC, "auc"),
    ("auc", M.AUC, "auc"), ("Precision", M.Precision, "precision"),
    ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy,
     "sparse_top_k_categorical_accuracy"),
    ({"class_name": "BinaryAccuracy", "config": {"threshold": 0.2}}, M.BinaryAccuracy,
     "binary_accuracy"),
    (M.Recall, M.Recall, "recall"),
])
def test_get(identifier, cls, name):
    m = M.get(identifier)
    assert type(m) is cls and m.name == name


def test_get_passes_instances_functions_and_none():
    m = M.Mean()
    assert M.get(m) is m and M.get(M.binary_accuracy) is M.binary_accuracy
    assert M.get(None) is None
    with pytest.raises(ValueError, match="(?s)no_such_metric.*hint"):
        M.get("no_such_metric")
    with pytest.raises(ValueError, match="(?s)metric identifier.*hint"):
        M.get(3)


@pytest.mark.skipif(not losses_define("mean_squared_error", "binary_crossentropy", "huber"),
                    reason="rill.keras.losses' functions are not written yet")
def test_loss_functions_are_reachable_as_metrics():
    losses = importlib.import_module("rill.keras.losses")
    assert M.mean_squared_error is losses.mean_squared_error
    assert M.mse is losses.mean_squared_error
    assert M.binary_crossentropy is losses.binary_crossentropy
    assert M.get("huber") is losses.huber
    assert M.deserialize(M.serialize(M.mean_squared_error)) is losses.mean_squared_error


def test_top_level_names():
    assert keras.Metric is M.Metric
    assert M.Metric._keras_module == "keras.metrics"
    assert {"AUC", "Precision", "get", "binary_accuracy", "resolve_accuracy"} <= set(dir(M))


# -- "accuracy" in compile -------------------------------------------------------------------
@pytest.mark.parametrize("y_true,y_pred,loss,kind", [
    ((8, 1), (8, 1), None, "binary"),
    ((8,), (8, 1), None, "binary"),
    ((8,), (8,), None, "binary"),  # rank-1 predictions: one probability per sample
    ((8, 3), (8, 3), None, "categorical"),
    ((8,), (8, 3), None, "sparse_categorical"),
    ((8, 1), (8, 3), None, "sparse_categorical"),
    ((8, 5), (8, 10, 3), None, "sparse_categorical"),
    ((8, 3), (8, 3), "binary_crossentropy", "categorical"),  # Keras: shapes decide
    (tf.TensorShape(None), tf.TensorShape(None), "sparse_categorical_crossentropy",
     "sparse_categorical"),
    (tf.TensorShape(None), tf.TensorShape(None), "BinaryCrossentropy", "binary"),
    (tf.TensorShape(None), tf.TensorShape(None), None, "categorical"),
])
def test_accuracy_kind(y_true, y_pred, loss, kind):
    assert M.accuracy_kind(y_true, y_pred, loss) == kind


def test_resolve_accuracy():
    m = M.resolve_accuracy(tf.zeros((4, 1)), tf.zeros((4, 1)), name="acc")
    assert type(m) is M.BinaryAccuracy and m.name == "acc"
    m = M.resolve_accuracy(np.zeros(4), np.zeros((4, 3)))
    assert type(m) is M.SparseCategoricalAccuracy and m.name == "accuracy"
    assert type(M.resolve_accuracy((4, 3), (4, 3))) is M.CategoricalAccuracy


def test_docstring_examples():
    import doctest

    for name in ("base_metric", "accuracy_metrics", "regression_metrics", "confusion_metrics",
                 "auc", "metrics_utils", "__init__") + \
            (("probabilistic_metrics",) if losses_define(*LOSS_METRIC_FUNCTIONS) else ()):
        mod = importlib.import_module("rill.keras.metrics" + ("" if name == "__init__"
                                                              else f".{name}"))
        result = doctest.testmod(mod, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0, name
