"""Files written by real TensorFlow/Keras (tests/fixtures/keras, made by
make_keras_fixtures.py) load in rill and predict what Keras predicted; files written by rill
load in TensorFlow when RILL_TF_PYTHON names a Python with TensorFlow installed."""

import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

from rill import keras
from tests.keras.chapter_code import huber_fn

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "keras")
NAMES = ["dense", "batchnorm", "embedding", "two_inputs", "custom_loss", "conv2d", "lstm"]
NEEDS = {"conv2d": "Conv2D", "lstm": "LSTM"}


def _inputs(name):
    data = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    return (xs if len(xs) > 1 else xs[0]), data["y"]


def _skip_missing_layers(name):
    layer = NEEDS.get(name)
    if layer is not None and not hasattr(keras.layers, layer):
        pytest.skip(f"keras.layers.{layer} is not in rill yet")


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("name", NAMES)
def test_keras_files_load_and_predict_the_same(name, ext):
    _skip_missing_layers(name)
    model = keras.saving.load_model(os.path.join(FIXTURES, name + ext),
                                    custom_objects={"huber_fn": huber_fn})
    x, expected = _inputs(name)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations) == 6  # 3 epochs of 2 batches, restored
    model.fit(x, expected, epochs=1, verbose=0)  # and training continues


@pytest.mark.parametrize("name", NAMES)
def test_keras_weights_files_load_into_rill_models(name):
    _skip_missing_layers(name)
    reference = keras.saving.load_model(os.path.join(FIXTURES, name + ".keras"),
                                        custom_objects={"huber_fn": huber_fn}, compile=False)
    fresh = keras.saving.clone_model(reference)
    keras.saving.load_weights(fresh, os.path.join(FIXTURES, name + ".weights.h5"))
    x, expected = _inputs(name)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_fixture_layouts_are_keras3():
    import zipfile

    import h5py
    with zipfile.ZipFile(os.path.join(FIXTURES, "batchnorm.keras")) as z:
        config = json.loads(z.read("config.json"))
        assert json.loads(z.read("metadata.json"))["keras_version"].startswith("3.")
    assert config["class_name"] == "Sequential"
    with h5py.File(os.path.join(FIXTURES, "batchnorm.weights.h5"), "r") as f:
        assert f["layers/batch_normalization/vars/2"].shape == (6,)  # moving mean
    with h5py.File(os.path.join(FIXTURES, "batchnorm.h5"), "r") as f:
        assert "model_config" in f.attrs and "training_config" in f.attrs
        assert "layer_names" in f["model_weights"].attrs


TF_PYTHON = os.environ.get("RILL_TF_PYTHON")


@pytest.mark.skipif(not TF_PYTHON, reason="set RILL_TF_PYTHON to a Python with TensorFlow")
def test_rill_files_load_in_tensorflow(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6),
                            keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    seq.compile(optimizer="adam", loss="mse")
    seq.fit(x, rng.normal(size=(8, 1)).astype("float32"), epochs=2, verbose=0)
    a, b = keras.Input((3,), name="wide"), keras.Input((2,), name="deep")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, keras.layers.Dense(4)(b)]))
    fn = keras.Model([a, b], out)
    for stem, model in (("seq", seq), ("fn", fn)):
        keras.saving.save_model(model, str(tmp_path / f"{stem}.keras"))
        keras.saving.save_model(model, str(tmp_path / f"{stem}.h5"))
    keras.saving.save_weights(seq, str(tmp_path / "seq.weights.h5"))
    x0, x1 = x[:, :3], x[:, :2]
    np.savez(tmp_path / "expected.npz", x=x, x0=x0, x1=x1, seq=seq.predict(x, verbose=0),
             fn=fn.predict([x0, x1], verbose=0))
    script = textwrap.dedent(f"""
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import keras, numpy as np
        d = np.load({str(tmp_path / 'expected.npz')!r})
        folder = {str(tmp_path)!r}
        worst = 0.0
        for stem, xs in (("seq", d["x"]), ("fn", [d["x0"], d["x1"]])):
            for ext in (".keras", ".h5"):
                # Keras 3.15 cannot compile .h5 files that name a loss ("mse"): compile=False
                m = keras.models.load_model(os.path.join(folder, stem + ext),
                                            compile=(ext == ".keras"))
                worst = max(worst, float(np.abs(m.predict(xs, verbose=0) - d[stem]).max()))
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
        m.load_weights(os.path.join(folder, "seq.weights.h5"))
        worst = max(worst, float(np.abs(m.predict(d["x"], verbose=0) - d["seq"]).max()))
        print("WORST", worst)
    """)
    result = subprocess.run([TF_PYTHON, "-c", script], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    worst = float(result.stdout.split("WORST")[-1])
    assert worst < 1e-5
