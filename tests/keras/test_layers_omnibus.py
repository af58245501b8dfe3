"""Every built-in layer through the generic harness (shapes, weights, losses, config round
trip, a training step, eager == traced, symbolic call). Output shapes were worked out by
hand from each layer's definition (and agree with Keras 3.15 in TF 2.21)."""

import pytest

import rill as tf
from rill import keras
from rill.keras import layers as L
from tests.keras.layer_harness import run_layer_test


def double(x):
    return 2.0 * x


# (class, init kwargs, input shape(s), output shape(s), trainable, non-trainable, losses,
#  extra harness arguments)
CASES = [
    (L.Dense, {"units": 4}, (2, 3), (2, 4), 2, 0, 0, {}),
    (L.Dense, {"units": 4, "activation": "relu", "use_bias": False}, (2, 5, 3), (2, 5, 4),
     1, 0, 0, {}),
    (L.Dense, {"units": 2, "kernel_regularizer": "l2", "activity_regularizer": "l1"}, (3, 4),
     (3, 2), 2, 0, 2, {}),
    (L.Activation, {"activation": "tanh"}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.Identity, {}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.Lambda, {"function": double}, (2, 3), (2, 3), 0, 0, 0,
     {"custom_objects": {"double": double}}),
    (L.Lambda, {"function": tf.exp, "output_shape": (3,)}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.Flatten, {}, (2, 3, 4), (2, 12), 0, 0, 0, {}),
    (L.Reshape, {"target_shape": (2, -1)}, (2, 6), (2, 2, 3), 0, 0, 0, {}),
    (L.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3), 0, 0, 0, {}),
    (L.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4), 0, 0, 0, {}),
    (L.Dropout, {"rate": 0.5}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.Dropout, {"rate": 0.3, "noise_shape": (None, 1), "seed": 1}, (4, 3), (4, 3),
     0, 0, 0, {}),
    (L.AlphaDropout, {"rate": 0.2}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.GaussianNoise, {"stddev": 0.1}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.GaussianDropout, {"rate": 0.2}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, (2, 3), (2, 3), 0, 0, 1, {}),
    (L.BatchNormalization, {}, (4, 3), (4, 3), 2, 2, 0, {}),
    (L.BatchNormalization, {"axis": 1, "center": False}, (4, 3, 2), (4, 3, 2), 1, 2, 0, {}),
    (L.LayerNormalization, {}, (2, 5), (2, 5), 2, 0, 0, {}),
    (L.LayerNormalization, {"axis": [1, 2], "rms_scaling": True}, (2, 3, 4), (2, 3, 4),
     1, 0, 0, {}),
    (L.Embedding, {"input_dim": 5, "output_dim": 3}, (2, 4), (2, 4, 3), 1, 0, 0,
     {"input_dtype": "int32"}),
    (L.Concatenate, {}, [(2, 3), (2, 4)], (2, 7), 0, 0, 0, {}),
    (L.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 1, 4)], (2, 4, 4), 0, 0, 0, {}),
    (L.Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3), 0, 0, 0, {}),
    (L.Subtract, {}, [(2, 3), (2, 3)], (2, 3), 0, 0, 0, {}),
    (L.Multiply, {}, [(2, 3), (2, 1)], (2, 3), 0, 0, 0, {}),
    (L.Average, {}, [(2, 3), (2, 3)], (2, 3), 0, 0, 0, {}),
    (L.Maximum, {}, [(2, 3), (2, 3)], (2, 3), 0, 0, 0, {}),
    (L.Minimum, {}, [(2, 3), (2, 3)], (2, 3), 0, 0, 0, {}),
    (L.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1), 0, 0, 0, {}),
    (L.Dot, {"axes": (1, 1), "normalize": True}, [(2, 3, 4), (2, 3, 5)], (2, 4, 5),
     0, 0, 0, {}),
    (L.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, (2, 3), (2, 3),
     0, 0, 0, {}),
    (L.LeakyReLU, {"negative_slope": 0.2}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.PReLU, {}, (2, 3), (2, 3), 1, 0, 0, {}),
    (L.PReLU, {"shared_axes": [1]}, (2, 3, 4), (2, 3, 4), 1, 0, 0, {}),
    (L.ELU, {"alpha": 0.5}, (2, 3), (2, 3), 0, 0, 0, {}),
    (L.Softmax, {"axis": 1}, (2, 3, 4), (2, 3, 4), 0, 0, 0, {}),
]
# the harness traces one new tf.function per case, on purpose
pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, n_losses, extra = case
    run_layer_test(cls, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=n_train,
                   expected_num_non_trainable_weights=n_frozen,
                   expected_num_losses=n_losses, **extra)


# families whose harness rows live in their own test modules (each has a CASES table)
FAMILY_TABLES = ("tests.keras.test_layers_preprocessing",)
# families that list the layers their harness rows cover in a COVERED tuple
COVERED_BY = ("tests.keras.test_layers_rnn", "tests.keras.test_layers_attention",
              "tests.keras.test_masking")


def test_the_table_covers_every_public_layer():
    import importlib

    tested = {case[0] for case in CASES}
    for name in FAMILY_TABLES:
        tested |= {case[0] for case in importlib.import_module(name).CASES}
    for name in COVERED_BY:
        tested |= set(importlib.import_module(name).COVERED)
    tested |= {c[0] for c in importlib.import_module("tests.keras.test_layers_conv").OMNIBUS_CASES}
    public = {obj for obj in vars(L).values()
              if isinstance(obj, type) and issubclass(obj, L.Layer)}
    assert public - tested == {L.Layer, L.InputLayer}


def test_every_built_in_layer_saves_under_keras_layers():
    for cls in {case[0] for case in CASES} | {L.InputLayer}:
        assert cls._keras_module == "keras.layers"
    assert keras.layers.serialize(L.Flatten())["module"] == "keras.layers"
