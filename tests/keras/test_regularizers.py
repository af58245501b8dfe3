"""keras.regularizers: penalties against NumPy formulas, defaults (Keras 3), validation,
get/serialize round trips, gradients, and the chapter's function and subclass examples."""

import json
import os
import subprocess

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras import regularizers as R
from tests.keras.chapter_code import MyL1Regularizer, my_l1_regularizer

W = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=np.float32)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), b, rtol=tol, atol=tol)


def orthogonal_penalty(w, factor, mode):
    """factor * mean over pairs i<j of |cos(angle between rows (or columns) i and j)|."""
    m = w if mode == "rows" else w.T
    v = m / np.linalg.norm(m, axis=1, keepdims=True)
    g = np.abs(v @ v.T)
    n = len(g)
    return factor * (g.sum() - np.trace(g)) / 2 / (n * (n - 1) / 2)


def test_values():
    w = tf.constant(W)
    close(R.L1(0.1)(w), 0.1 * np.abs(W).sum())
    close(R.L2(0.2)(w), 0.2 * np.square(W).sum(), 1e-5)
    close(R.L1L2(0.1, 0.2)(w), 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum(), 1e-5)
    close(R.L1L2()(w), 0.0)
    close(R.OrthogonalRegularizer(0.1)(w), orthogonal_penalty(W, 0.1, "rows"))
    close(R.OrthogonalRegularizer(0.1, "columns")(w), orthogonal_penalty(W, 0.1, "columns"))
    assert float(R.Regularizer()(w)) == 0.0
    # orthonormal rows cost nothing
    close(R.OrthogonalRegularizer(1.0)(tf.constant(np.eye(3, dtype=np.float32))), 0.0)


def test_numpy_and_variables_and_dtypes():
    close(R.L2(0.5)(W), 0.5 * np.square(W).sum(), 1e-5)
    v = tf.Variable(W.astype(np.float64))
    out = R.L1(0.01)(v)
    assert out.dtype == tf.float64
    close(out, 0.01 * np.abs(W).sum())


def test_defaults_follow_keras_3():
    assert R.L1().get_config() == {"l1": 0.01}
    assert R.L2().get_config() == {"l2": 0.01}
    assert R.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.l1_l2(l2=0.01).get_config() == {"l1": 0.0, "l2": 0.01}
    assert R.OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.l1_l2 is R.L1L2
    assert R.L1L2(l1=None).l1 == 0.0


def test_validation():
    with pytest.raises(ValueError, match=r"L1: `l1` must be a non-negative float"):
        R.L1(-1.0)
    with pytest.raises(ValueError, match="l2"):
        R.L2("big")
    with pytest.raises(ValueError, match="mode"):
        R.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="must be 2-D"):
        R.OrthogonalRegularizer()(tf.ones((2, 2, 2)))


def test_gradient():
    w = tf.Variable(W)
    with tf.GradientTape() as tape:
        loss = R.L1L2(0.1, 0.2)(w)
    close(tape.gradient(loss, w), 0.1 * np.sign(W) + 0.4 * W, 1e-5)


ALL = [R.L1(0.3), R.L2(0.05), R.L1L2(0.1, 0.2), R.OrthogonalRegularizer(0.5, "columns")]


@pytest.mark.parametrize("reg", ALL, ids=lambda r: type(r).__name__)
def test_serialize_round_trip(reg):
    config = R.serialize(reg)
    assert config["module"] == "keras.regularizers" and config["class_name"] == \
        type(reg).__name__
    back = R.deserialize(json.loads(json.dumps(config)))
    assert type(back) is type(reg) and back.get_config() == reg.get_config()
    close(back(W), reg(W), 1e-5)


def test_get():
    assert R.get(None) is None
    assert isinstance(R.get("l2"), R.L2) and R.get("l2").l2 == 0.01
    assert isinstance(R.get("L1L2"), R.L1L2)
    assert isinstance(R.get({"class_name": "L2", "config": {"l2": 0.5}}), R.L2)
    assert isinstance(R.get(R.L1), R.L1)
    reg = R.L1()
    assert R.get(reg) is reg
    with pytest.raises(ValueError, match="Could not locate regularizer"):
        R.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        R.get(0.1)
    assert keras.Regularizer is R.Regularizer


# -- the chapter's examples -----------------------------------------------------------------
def test_chapter_function_regularizer():
    assert R.get(my_l1_regularizer) is my_l1_regularizer
    close(R.get(my_l1_regularizer)(tf.constant(W)), R.l1(0.01)(W))


def test_chapter_subclass_regularizer():
    reg = MyL1Regularizer(0.01)
    close(reg(tf.constant(W)), 0.01 * np.abs(W).sum())
    config = R.serialize(reg)
    assert config["config"] == {"factor": 0.01}
    back = R.deserialize(config, custom_objects={"MyL1Regularizer": MyL1Regularizer})
    assert isinstance(back, MyL1Regularizer) and back.factor == 0.01


def test_subclass_without_get_config_uses_constructor_arguments():
    class Scaled(R.Regularizer):
        def __init__(self, factor=1.0, power=2):
            self.factor, self.power = factor, power

        def __call__(self, x):
            return self.factor * tf.reduce_sum(tf.abs(x) ** self.power)

    assert Scaled(0.5).get_config() == {"factor": 0.5}
    assert Scaled(0.5, power=3).get_config() == {"factor": 0.5, "power": 3}


def test_docstrings_run():
    import doctest

    result = doctest.testmod(R, extraglobs={"tf": tf, "keras": keras, "np": np})
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.skipif(not os.environ.get("RILL_TF_PYTHON"), reason="RILL_TF_PYTHON not set")
def test_values_match_tensorflow():
    code = ("import json, numpy as np, keras, tensorflow as tf\nR = keras.regularizers\n"
            f"w = tf.constant(np.array({W.tolist()}, dtype='float32'))\n"
            "regs = [R.L1(0.3), R.L2(0.05), R.L1L2(0.1, 0.2), R.OrthogonalRegularizer(0.5), "
            "R.OrthogonalRegularizer(0.5, 'columns')]\n"
            "print(json.dumps([float(r(w)) for r in regs]))")
    run = subprocess.run([os.environ["RILL_TF_PYTHON"], "-c", code], capture_output=True,
                         text=True, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    ours = [R.L1(0.3), R.L2(0.05), R.L1L2(0.1, 0.2), R.OrthogonalRegularizer(0.5),
            R.OrthogonalRegularizer(0.5, "columns")]
    close([float(r(W)) for r in ours], theirs, 1e-5)
