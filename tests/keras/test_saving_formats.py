"""Model and weights files: the layouts Keras writes, round trips for Sequential, functional
and subclassed models, exact resumption of training, weights loading rules, atomic saves."""

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import h5py
import numpy as np
import pytest

import rill as tf
from rill import keras
from tests.keras.saving_helpers import api_params, regression_data, same_weights

MODEL_FORMATS = [".keras", ".h5", ""]


@pytest.fixture(params=api_params())
def api(request):
    return request.param


def sequential(seed=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.BatchNormalization(), keras.layers.Dense(1)])


def functional(seed=1):
    keras.utils.set_random_seed(seed)
    wide = keras.Input((3,), name="wide")
    deep = keras.Input((2,), name="deep")
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    h = shared(keras.layers.Dense(4, name="pre")(deep))
    h = shared(h)  # a layer called twice
    out = keras.layers.Dense(1, name="out")(keras.layers.Concatenate()([wide, h]))
    return keras.Model(inputs=[wide, deep], outputs=out)


class Subclassed(keras.Model):
    def __init__(self, units=6, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.norm = keras.layers.BatchNormalization()
        self.out = keras.layers.Dense(1)

    def call(self, x, training=None):
        return self.out(self.norm(self.hidden(x), training=training))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def subclassed(seed=1):
    keras.utils.set_random_seed(seed)
    model = Subclassed()
    model(np.zeros((1, 3), np.float32))
    return model


def _xy(kind):
    x, y = regression_data()
    if kind == "functional":
        return [x, x[:, :2]], y
    return x, y


BUILDERS = {"sequential": sequential, "functional": functional, "subclassed": subclassed}


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("ext", MODEL_FORMATS)
def test_round_trip_predicts_the_same(tmp_path, api, kind, ext):
    model = BUILDERS[kind]()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = _xy(kind)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = str(tmp_path / f"model{ext}")
    api.save(model, path)
    loaded = api.load(path, custom_objects={"Subclassed": Subclassed})
    assert type(loaded).__name__ == {"sequential": "Sequential", "functional": "Functional",
                                     "subclassed": "Subclassed"}[kind]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [w.name.split(":")[0].split("/")[-1] for w in loaded.weights] == \
        [w.name.split(":")[0].split("/")[-1] for w in model.weights]
    assert loaded.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "mae"}


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("ext", MODEL_FORMATS + [".weights.h5", ".ckpt"])
def test_training_resumes_exactly(tmp_path, api, kind, ext):
    """2 epochs, save, load, 1 more epoch == 3 epochs straight (fixed seeds, no shuffle)."""
    x, y = _xy(kind)

    def compiled():
        model = BUILDERS[kind]()
        schedule = keras.optimizers.schedules.ExponentialDecay(0.02, 3, 0.9)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse", metrics=["mae"])
        return model

    straight = compiled()
    straight.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    first = compiled()
    first.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = str(tmp_path / f"model{ext}")
    if ext in (".weights.h5", ".ckpt"):
        api.save_weights(first, path)
        second = compiled()
        api.load_weights(second, path)
    else:
        api.save(first, path)
        second = api.load(path, custom_objects={"Subclassed": Subclassed})
    assert int(second.optimizer.iterations) == 8
    second.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    same_weights(second, straight)
    np.testing.assert_array_equal(second.optimizer.variables[-1].numpy(),
                                  straight.optimizer.variables[-1].numpy())


def test_keras_zip_layout(tmp_path, api):
    model = sequential()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*regression_data(), epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    api.save(model, path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(z.read("config.json"))
        meta = json.loads(z.read("metadata.json"))
        z.extract("model.weights.h5", tmp_path)
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert [c["class_name"] for c in config["config"]["layers"]] == \
        ["InputLayer", "Dense", "BatchNormalization", "Dense"]
    assert config["compile_config"]["loss"] == "mse"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert meta["keras_version"].startswith("3.")
    with h5py.File(tmp_path / "model.weights.h5", "r") as f:
        assert f["layers/dense/vars"].attrs["name"] == model.layers[0].name
        assert f["layers/dense/vars/0"].shape == (3, 8)
        assert f["layers/batch_normalization/vars/3"].shape == (8,)
        assert f["layers/dense_1/vars/1"].shape == (1,)
        assert int(f["optimizer/vars/0"][()]) == 2  # iterations: 64 samples / 32 per batch
        assert len(f["optimizer/vars"]) == 2 + 2 * 6


def test_h5_layout(tmp_path, api):
    model = sequential()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(*regression_data(), epochs=1, verbose=0)
    path = str(tmp_path / "m.h5")
    api.save(model, path)
    names = [layer.name for layer in model.layers]
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        training = json.loads(f.attrs["training_config"])
        assert config["class_name"] == "Sequential"
        assert training["loss"] == "mse" and training["metrics"] == ["mae"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        g = f["model_weights"]
        assert [n.decode() for n in g.attrs["layer_names"]] == names
        kernel = f"{names[0]}/kernel:0"
        assert [n.decode() for n in g[names[0]].attrs["weight_names"]][0] == kernel
        np.testing.assert_array_equal(g[names[0]][kernel][()], model.layers[0].kernel.numpy())
        assert len(f["optimizer_weights"].attrs["weight_names"]) == len(
            model.optimizer.variables)


def test_folder_format_is_not_a_saved_model(tmp_path, api):
    model = sequential()
    path = str(tmp_path / "my_model")
    api.save(model, path)
    assert sorted(os.listdir(path)) == ["config.json", "metadata.json", "model.weights.h5"]
    same_weights(api.load(path), model)
    fake = tmp_path / "tf_saved_model"
    fake.mkdir()
    (fake / "saved_model.pb").write_bytes(b"\x08\x01")
    (fake / "variables").mkdir()
    with pytest.raises(ValueError, match="SavedModel.*\n.*model.keras"):
        api.load(str(fake))


def test_overwrite_false_and_bad_paths(tmp_path, api):
    model = sequential()
    path = str(tmp_path / "m.keras")
    api.save(model, path)
    with pytest.raises(FileExistsError, match="overwrite"):
        api.save(model, path, overwrite=False)
    with pytest.raises(ValueError, match="extension"):
        api.save(model, str(tmp_path / "m.txt"))
    with pytest.raises(FileNotFoundError, match="no file"):
        api.load(str(tmp_path / "missing.keras"))
    (tmp_path / "junk.keras").write_bytes(b"hello")
    with pytest.raises(ValueError, match="junk.keras"):
        api.load(str(tmp_path / "junk.keras"))


# -- weights ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ext", [".weights.h5", ".h5", "", ".ckpt"])
def test_weights_round_trip(tmp_path, api, ext):
    model = sequential(1)
    other = sequential(2)
    path = str(tmp_path / f"my_weights{ext}")
    api.save_weights(model, path)
    api.load_weights(other, path)
    same_weights(other, model)


def test_suffixless_weights_are_a_rill_checkpoint(tmp_path, api):
    model = sequential()
    api.save_weights(model, str(tmp_path / "my_weights"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "my_weights.index"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "my_weights")
    keys = dict(tf.train.list_variables(str(tmp_path / "my_weights")))
    assert any(k.endswith("kernel/.ATTRIBUTES/VARIABLE_VALUE") for k in keys)
    other = sequential(5)
    api.load_weights(other, str(tmp_path))  # a folder: its latest checkpoint
    same_weights(other, model)


def test_h5_weights_by_order_by_name_and_skip_mismatch(tmp_path, api):
    keras.utils.set_random_seed(0)
    a = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="one"),
                          keras.layers.Dense(2, name="two")])
    path = str(tmp_path / "w.h5")
    api.save_weights(a, path)
    # by order: names do not matter
    b = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="x"),
                          keras.layers.Dense(2, name="y")])
    api.load_weights(b, path)
    same_weights(b, a)
    # by name: only layers with the same names, in any order
    c = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="other"),
                          keras.layers.Dense(2, name="two")])
    before = c.layers[0].kernel.numpy()
    api.load_weights(c, path, by_name=True)
    np.testing.assert_array_equal(c.layers[1].kernel.numpy(), a.layers[1].kernel.numpy())
    np.testing.assert_array_equal(c.layers[0].kernel.numpy(), before)
    # a shape mismatch names the layer and both shapes; skip_mismatch skips it with a warning
    d = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="two"),
                          keras.layers.Dense(5, name="one")])
    with pytest.raises(ValueError, match=r"'one'.*\(2, 5\).*\(3, 4\)"):
        api.load_weights(d, path, by_name=True)
    with pytest.warns(UserWarning, match="one"):
        api.load_weights(d, path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(d.layers[0].kernel.numpy(), a.layers[1].kernel.numpy())
    e = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="Layer count mismatch.*1 layers.*found 2"):
        api.load_weights(e, path)


def test_keras3_weights_mismatch_names_layer_and_shapes(tmp_path, api):
    path = str(tmp_path / "w.weights.h5")
    api.save_weights(sequential(), path)
    wrong = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"layer 'dense.*'.*\(4, 8\).*\(3, 8\)"):
        api.load_weights(wrong, path)
    with pytest.warns(UserWarning, match=r"\(4, 8\)"):
        api.load_weights(wrong, path, skip_mismatch=True)
    np.testing.assert_array_equal(wrong.layers[-1].kernel.numpy(),
                                  sequential().layers[-1].kernel.numpy())
    with pytest.raises(ValueError, match="by_name"):
        api.load_weights(wrong, path, by_name=True)


def test_unbuilt_model_weights_error_says_build_first(tmp_path, api):
    path = str(tmp_path / "w.weights.h5")
    api.save_weights(sequential(), path)
    unbuilt = keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization(),
                                keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="expected 0 variables"):
        api.load_weights(unbuilt, path)


# -- configs ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_json_round_trip_and_clone(kind):
    model = BUILDERS[kind]()
    text = model.to_json() if _wired_json() else keras.saving.model_to_json(model)
    rebuilt = keras.saving.model_from_json(text)
    assert json.loads(keras.saving.model_to_json(rebuilt)) == json.loads(text)
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    clone = keras.saving.clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(u is not v for u, v in zip(clone.weights, model.weights))
    x, _ = _xy(kind)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def _wired_json() -> bool:
    try:
        keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]).to_json()
    except Exception:  # noqa: BLE001 - not wired yet
        return False
    return True


def test_clone_function_and_subclassed_clone():
    model = sequential()
    calls = []

    def clone_fn(layer):
        calls.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    keras.saving.clone_model(model, clone_function=clone_fn)
    assert calls == [layer.name for layer in model.layers]
    sub = subclassed()
    with keras.saving.custom_object_scope({"Subclassed": Subclassed}):
        twin = keras.saving.clone_model(sub)
    assert isinstance(twin, Subclassed) and twin.units == 6


def test_raw_op_in_functional_model_has_a_clear_error(tmp_path):
    x = keras.Input((3,))
    y = keras.layers.Dense(2)(x) * 2.0
    model = keras.Model(x, y)
    with pytest.raises(ValueError, match="raw operation.*\n.*wrap it in a layer"):
        keras.saving.save_model(model, str(tmp_path / "m.keras"))
    keras.saving.save_weights(model, str(tmp_path / "w.weights.h5"))  # weights still work


# -- atomic saves -------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["m.keras", "m.h5", "w.weights.h5", "w.h5", "mdir"])
def test_crash_before_rename_leaves_previous_file_intact(tmp_path, target):
    """Fault injection: the saving process dies between writing and renaming."""
    path = str(tmp_path / target)
    weights_only = target.startswith("w")
    script = textwrap.dedent(f"""
        import os, sys
        import numpy as np
        from rill import keras
        seed = int(sys.argv[1])
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        if seed == 2:
            os.replace = lambda *a: os._exit(17)
            os.rename = lambda *a: os._exit(17)
        if {weights_only}:
            keras.saving.save_weights(model, {path!r})
        else:
            keras.saving.save_model(model, {path!r})
        np.save({str(tmp_path / 'saved.npy')!r}, model.layers[0].kernel.numpy())
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    ok = subprocess.run([sys.executable, "-c", script, "1"], capture_output=True, env=env,
                        timeout=300)
    assert ok.returncode == 0, ok.stderr.decode()
    died = subprocess.run([sys.executable, "-c", script, "2"], capture_output=True, env=env,
                          timeout=300)
    assert died.returncode == 17, died.stderr.decode()
    expected = np.load(tmp_path / "saved.npy")
    if weights_only:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        keras.saving.load_weights(model, path)
    else:
        model = keras.saving.load_model(path)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), expected)


@pytest.mark.parametrize("filepath, weights_only", [("ckpt_{epoch:02d}.keras", False),
                                                    ("w_{epoch:02d}.weights.h5", True)])
def test_model_checkpoint_writes_loadable_files(tmp_path, filepath, weights_only):
    from tests.keras.saving_helpers import model_api_wired
    if not model_api_wired():
        pytest.skip("Model.save/save_weights are not wired to keras.saving yet")
    model = sequential()
    model.compile(optimizer="adam", loss="mse")
    callback = keras.callbacks.ModelCheckpoint(str(tmp_path / filepath),
                                               save_weights_only=weights_only)
    model.fit(*regression_data(), epochs=2, verbose=0, callbacks=[callback])
    last = str(tmp_path / filepath.format(epoch=2))
    if weights_only:
        other = sequential(3)
        other.compile(optimizer="adam", loss="mse")
        other.load_weights(last)
    else:
        other = keras.models.load_model(last)
    same_weights(other, model)
    assert int(other.optimizer.iterations) == int(model.optimizer.iterations)
    assert not [n for n in os.listdir(tmp_path) if ".rill-tmp-" in n]
