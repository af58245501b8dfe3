"""Parity with real TensorFlow/Keras 3: the same metrics fed the same batches (with and
without sample weights), compared value by value, plus their configs. Runs only when
RILL_TF_PYTHON names a Python that has TensorFlow (run in that interpreter, in a subprocess).
"""

import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

from rill import keras

TF_PYTHON = os.environ.get("RILL_TF_PYTHON")
pytestmark = pytest.mark.skipif(not TF_PYTHON, reason="RILL_TF_PYTHON is not set")

LOSS_BASED = {"BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
              "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge"}
# (class, kwargs, data kind)
CASES = [
    ("Mean", {}, "values"), ("Sum", {}, "values"),
    ("MeanSquaredError", {}, "regression"), ("MeanAbsoluteError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"), ("LogCoshError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "positive"), ("CosineSimilarity", {}, "regression"),
    ("Accuracy", {}, "integers"), ("BinaryAccuracy", {"threshold": 0.4}, "binary"),
    ("CategoricalAccuracy", {}, "one_hot"), ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_column"),
    ("TopKCategoricalAccuracy", {"k": 2}, "one_hot"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("Precision", {}, "binary"), ("Recall", {"thresholds": [0.2, 0.5, 0.8]}, "binary"),
    ("Precision", {"top_k": 2}, "multi_hot"), ("Recall", {"class_id": 1}, "multi_hot"),
    ("TruePositives", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("FalseNegatives", {}, "binary"), ("TrueNegatives", {"thresholds": 0.3}, "binary"),
    ("FalsePositives", {}, "binary"),
    ("AUC", {}, "binary"), ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"num_thresholds": 13, "summation_method": "minoring"}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.45, 0.7]}, "binary"),
    ("AUC", {"multi_label": True}, "multi_hot"), ("AUC", {"from_logits": True}, "logits"),
    ("PrecisionAtRecall", {"recall": 0.5}, "binary"),
    ("RecallAtPrecision", {"precision": 0.5}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 17}, "binary"),
    ("BinaryCrossentropy", {}, "binary"), ("CategoricalCrossentropy", {}, "one_hot"),
    ("SparseCategoricalCrossentropy", {}, "sparse"), ("KLDivergence", {}, "one_hot"),
    ("Poisson", {}, "positive"), ("Hinge", {}, "binary"), ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "one_hot"),
]


def make_data(kind, rng, n):
    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    if kind == "values":
        return [rng.normal(size=(n, 2)).tolist()]
    if kind == "regression":
        return [rng.normal(size=(n, 3)).tolist(), rng.normal(size=(n, 3)).tolist()]
    if kind == "positive":
        return [rng.uniform(0.1, 3, (n, 3)).tolist(), rng.uniform(0.1, 3, (n, 3)).tolist()]
    if kind == "integers":
        return [rng.integers(0, 3, (n, 2)).tolist(), rng.integers(0, 3, (n, 2)).tolist()]
    if kind == "binary":
        return [rng.integers(0, 2, (n, 1)).tolist(), rng.uniform(size=(n, 1)).tolist()]
    if kind == "logits":
        return [rng.integers(0, 2, (n, 1)).tolist(), rng.normal(size=(n, 1)).tolist()]
    if kind == "multi_hot":
        return [rng.integers(0, 2, (n, 3)).tolist(), rng.uniform(size=(n, 3)).tolist()]
    if kind == "one_hot":
        return [np.eye(4)[rng.integers(0, 4, n)].tolist(),
                softmax(rng.normal(size=(n, 4))).tolist()]
    labels = rng.integers(0, 4, n)
    labels = labels[:, None] if kind == "sparse_column" else labels
    return [labels.tolist(), softmax(rng.normal(size=(n, 4))).tolist()]


SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    out = []
    for name, kwargs, batches in json.load(sys.stdin):
        m = getattr(keras.metrics, name)(**kwargs)
        plain, weighted = [], []
        for args, w in batches:
            m.update_state(*[np.asarray(a, "float32") for a in args])
            plain.append(np.asarray(m.result()).tolist())
        m.reset_state()
        for args, w in batches:
            m.update_state(*[np.asarray(a, "float32") for a in args],
                           sample_weight=np.asarray(w, "float32"))
            weighted.append(np.asarray(m.result()).tolist())
        out.append({"plain": plain, "weighted": weighted, "config": m.get_config()})
    print(json.dumps(out, default=str))
""")


def test_metrics_match_tensorflow():
    rng = np.random.default_rng(7)
    cases = []
    for name, kwargs, kind in CASES:
        if name in LOSS_BASED:
            try:
                getattr(keras.metrics, name)()
            except ImportError:
                continue  # its loss function is not written yet
        batches = [(make_data(kind, rng, n), rng.uniform(0.2, 2, n).tolist()) for n in (6, 9)]
        cases.append((name, kwargs, batches))
    proc = subprocess.run([TF_PYTHON, "-c", SCRIPT], input=json.dumps(cases), text=True,
                          capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = json.loads(proc.stdout.strip().splitlines()[-1])
    for (name, kwargs, batches), ref in zip(cases, expected):
        m = getattr(keras.metrics, name)(**kwargs)
        for key, weighted in (("plain", False), ("weighted", True)):
            m.reset_state()
            got = []
            for args, w in batches:
                arrays = [np.asarray(a, "float32") for a in args]
                m.update_state(*arrays, **({"sample_weight": np.asarray(w, "float32")}
                                           if weighted else {}))
                got.append(m.result().numpy().tolist())
            np.testing.assert_allclose(got, ref[key], rtol=2e-5, atol=1e-6,
                                       err_msg=f"{name}({kwargs}) {key}")
        # every key Keras saves (rill also keeps CosineSimilarity's axis, which Keras drops)
        assert set(ref["config"]) <= set(m.get_config()), name
