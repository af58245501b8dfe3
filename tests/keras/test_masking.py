"""Masks: `Masking` and `Embedding(mask_zero=True)` mark padding, layers that support masking
pass the mask on, recurrent layers skip masked steps (padded sequences end in the same
states as unpadded ones), and losses and metrics weigh only the unmasked steps."""

import types

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.layers._call_context import get_mask
from rill.keras.layers._rnn_cell import module_objects
from tests.keras.layer_harness import run_layer_test
from tests.keras.tf_layer_parity import assert_parity, run_docstrings

L = types.SimpleNamespace(**module_objects())
pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def test_masking_layer_values_and_mask():
    x = np.array([[[1., 2.], [0., 0.], [3., 0.]], [[0., 0.], [0., 0.], [-1., -1.]]],
                 np.float32)
    layer = L.Masking()
    y = layer(x)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(get_mask(y), [[True, False, True], [False, False, True]])
    other = L.Masking(mask_value=-1.0)
    y = other(x)
    np.testing.assert_array_equal(y[1, 2], [0.0, 0.0])
    np.testing.assert_array_equal(get_mask(y), [[True, True, True], [True, True, False]])
    assert other.get_config()["mask_value"] == -1.0
    with pytest.raises(ValueError, match="mask_value must be a number"):
        L.Masking(mask_value="pad")


COVERED = (L.Masking,)  # for the omnibus test's check that every public layer is tested


def test_masking_harness():
    run_layer_test(L.Masking, {"mask_value": 0.5}, input_shape=(2, 4, 3),
                   expected_output_shape=(2, 4, 3), supports_masking=True,
                   custom_objects=module_objects())


def _ids():
    return np.array([[4, 7, 2, 0, 0], [0, 0, 4, 7, 2], [4, 0, 7, 2, 0]])


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("traced", [False, True])
def test_padded_sequences_end_in_the_unpadded_states(name, traced):
    emb = keras.layers.Embedding(10, 3, mask_zero=True)
    rnn = getattr(L, name)(4, return_state=True)
    model = lambda ids: rnn(emb(ids))  # noqa: E731
    call = tf.function(model) if traced else model
    padded = call(tf.constant(_ids()))
    unpadded = call(tf.constant(np.array([[4, 7, 2]])))
    for a, b in zip(padded, unpadded):
        for row in range(3):
            np.testing.assert_allclose(np.asarray(a)[row], np.asarray(b)[0], rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("traced", [False, True])
def test_masking_layer_feeds_recurrent_layers(traced):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3)).astype(np.float32)
    x[0, 3:] = 0.0
    model = keras.Sequential([keras.Input((6, 3)), L.Masking(),
                              L.LSTM(4, return_sequences=True), L.GRU(2)])
    call = tf.function(lambda v: model(v)) if traced else model
    short = model(x[:1, :3])
    np.testing.assert_allclose(np.asarray(call(x))[0], np.asarray(short)[0], rtol=1e-5,
                               atol=1e-6)


def test_masked_steps_output_the_previous_output_or_zeros():
    emb = keras.layers.Embedding(10, 3, mask_zero=True)
    ids = np.array([[0, 4, 0, 7, 0]])
    for zero in (False, True):
        rnn = L.SimpleRNN(2, return_sequences=True, zero_output_for_mask=zero)
        out = np.asarray(rnn(emb(ids)))[0]
        np.testing.assert_array_equal(out[0], [0.0, 0.0])  # before any step: zeros
        np.testing.assert_array_equal(out[2], 0.0 if zero else out[1])
        np.testing.assert_array_equal(out[4], 0.0 if zero else out[3])


def test_mask_propagation_through_layers():
    ids = _ids()
    emb = keras.layers.Embedding(10, 3, mask_zero=True)
    expected = ids != 0
    seq = L.LSTM(4, return_sequences=True)(emb(ids))
    np.testing.assert_array_equal(get_mask(seq), expected)
    dense = keras.layers.Dense(2)(seq)  # Dense supports masking
    np.testing.assert_array_equal(get_mask(dense), expected)
    np.testing.assert_array_equal(get_mask(L.TimeDistributed(keras.layers.Dense(2))(seq)),
                                  expected)
    assert get_mask(L.GRU(2)(emb(ids))) is None
    out, h, c = L.LSTM(2, return_sequences=True, return_state=True)(emb(ids))
    np.testing.assert_array_equal(get_mask(out), expected)
    assert get_mask(h) is None and get_mask(c) is None
    bi = L.Bidirectional(L.GRU(2, return_sequences=True))(emb(ids))
    np.testing.assert_array_equal(get_mask(bi), expected)
    fwd, bwd = L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode=None)(emb(ids))
    np.testing.assert_array_equal(get_mask(bwd), expected)


def test_mask_propagation_in_functional_models():
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 3, mask_zero=True)(inputs)
    x = L.Bidirectional(L.LSTM(4, return_sequences=True))(x)
    outputs = L.TimeDistributed(keras.layers.Dense(1))(x)
    assert get_mask(outputs) is not None  # symbolic
    model = keras.Model(inputs, outputs)
    np.testing.assert_array_equal(get_mask(model(_ids())), _ids() != 0)
    traced = tf.function(lambda v: model(v))
    np.testing.assert_allclose(traced(tf.constant(_ids())), model(_ids()), rtol=1e-5,
                               atol=1e-6)


def _masked_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.layers.Embedding(10, 3, mask_zero=True),
                             L.LSTM(4, return_sequences=True),
                             L.TimeDistributed(keras.layers.Dense(1))])


def test_losses_and_metrics_receive_the_mask():
    model = _masked_model()
    ids = _ids()
    y = np.random.default_rng(0).standard_normal((3, 5, 1)).astype(np.float32)
    pred = model(ids)
    valid = ids != 0
    per_step = np.mean((np.asarray(pred) - y) ** 2, -1)
    expected = per_step[valid].mean()
    np.testing.assert_allclose(keras.losses.MeanSquaredError()(y, pred), expected, rtol=1e-5)
    metric = keras.metrics.MeanSquaredError()
    metric.update_state(y, pred)
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-5)


def test_docstring_examples():
    run_docstrings("masking")


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
def _spec(name, **kwargs):
    return {"layer": name, "kwargs": kwargs}


def test_parity_with_tensorflow(tf_python):
    rng = np.random.default_rng(0)
    ids = _ids()
    x = rng.standard_normal((3, 5, 2)).astype(np.float32) * (ids[..., None] != 0)
    emb = _spec("Embedding", input_dim=10, output_dim=3, mask_zero=True)
    cases = [
        (_spec("Sequential", layers=[emb, _spec("LSTM", units=4, return_sequences=True),
                                     _spec("GRU", units=3)]), [ids], {}),
        (_spec("Sequential", layers=[emb, _spec("Bidirectional", layer=_spec(
            "SimpleRNN", units=2, return_sequences=True)), _spec("Dense", units=2)]),
         [ids], {}),
        (_spec("Sequential", layers=[_spec("Masking"), _spec("GRU", units=3,
                                                             go_backwards=True)]), [x], {}),
        (_spec("Masking", mask_value=0.0), [x], {}),
    ]
    assert_parity(L, cases, tf_python)  # L holds Sequential too
