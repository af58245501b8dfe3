"""Shared helpers of the saving tests: the two ways to call saving (the functions of
`keras.saving`, and `model.save`/`keras.models.load_model` once the Model wires them)."""

import numpy as np
import pytest

from rill import keras


def model_api_wired() -> bool:
    """Whether Model.save and keras.models.load_model reach the saving functions."""
    if not hasattr(keras.models, "load_model"):
        return False
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    try:
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            model.save(f"{d}/probe.keras")
    except NotImplementedError:
        return False
    return True


class FunctionsAPI:
    name = "functions"

    @staticmethod
    def save(model, path, **kwargs):
        keras.saving.save_model(model, path, **kwargs)

    @staticmethod
    def load(path, **kwargs):
        return keras.saving.load_model(path, **kwargs)

    @staticmethod
    def save_weights(model, path, **kwargs):
        keras.saving.save_weights(model, path, **kwargs)

    @staticmethod
    def load_weights(model, path, **kwargs):
        return keras.saving.load_weights(model, path, **kwargs)


class ModelAPI:
    name = "model"

    @staticmethod
    def save(model, path, **kwargs):
        model.save(path, **kwargs)

    @staticmethod
    def load(path, **kwargs):
        return keras.models.load_model(path, **kwargs)

    @staticmethod
    def save_weights(model, path, **kwargs):
        model.save_weights(path, **kwargs)

    @staticmethod
    def load_weights(model, path, **kwargs):
        return model.load_weights(path, **kwargs)


_WIRED = None


def api_params():
    """pytest params: the functions always; the Model methods when wired."""
    global _WIRED
    if _WIRED is None:
        _WIRED = model_api_wired()
    skip = pytest.mark.skipif(not _WIRED, reason="Model.save/load_weights and "
                              "keras.models.load_model are not wired to keras.saving yet")
    return [pytest.param(FunctionsAPI, id="functions"),
            pytest.param(ModelAPI, id="model", marks=skip)]


def regression_data(n=64, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ rng.normal(size=(d, 1)) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


def same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)
