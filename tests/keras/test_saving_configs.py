"""Config round trips of every built-in object through JSON, and the custom-object registry
(register_keras_serializable, get_registered_name/object, custom_object_scope)."""

import inspect
import json

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.saving import serialization as S

# constructor arguments of the built-ins that have required ones
ARGS = {
    "Activation": {"activation": "relu"}, "AlphaDropout": {"rate": 0.1},
    "CategoryEncoding": {"num_tokens": 4}, "CenterCrop": {"height": 2, "width": 2},
    "ConvLSTM1D": {"filters": 2, "kernel_size": 2},
    "ConvLSTM2D": {"filters": 2, "kernel_size": 2},
    "ConvLSTM3D": {"filters": 2, "kernel_size": 2},
    "Dense": {"units": 3, "activation": "relu", "kernel_regularizer": "l2"},
    "Discretization": {"bin_boundaries": [0.0, 1.0]}, "Dot": {"axes": 1},
    "Dropout": {"rate": 0.3}, "EinsumDense": {"equation": "ab,bc->ac", "output_shape": 4},
    "Embedding": {"input_dim": 10, "output_dim": 3}, "GRU": {"units": 2},
    "GRUCell": {"units": 2}, "GaussianDropout": {"rate": 0.2},
    "GaussianNoise": {"stddev": 0.1},
    "GroupQueryAttention": {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1},
    "Hashing": {"num_bins": 3}, "InputLayer": {"shape": (3,)}, "LSTM": {"units": 2},
    "LSTMCell": {"units": 2}, "MultiHeadAttention": {"num_heads": 2, "key_dim": 2},
    "Permute": {"dims": (2, 1)}, "RandomBrightness": {"factor": 0.1},
    "RandomContrast": {"factor": 0.1}, "RandomCrop": {"height": 2, "width": 2},
    "RandomRotation": {"factor": 0.1},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1},
    "RandomZoom": {"height_factor": 0.1}, "RepeatVector": {"n": 2},
    "Rescaling": {"scale": 0.5}, "Reshape": {"target_shape": (2, 2)},
    "Resizing": {"height": 2, "width": 2}, "SimpleRNN": {"units": 2},
    "SimpleRNNCell": {"units": 2},
    "LossFunctionWrapper": {"fn": keras.losses.mean_absolute_error},
    "MeanMetricWrapper": {"fn": keras.losses.mean_absolute_error},
    "PrecisionAtRecall": {"recall": 0.5}, "RecallAtPrecision": {"precision": 0.5},
    "SensitivityAtSpecificity": {"specificity": 0.5},
    "SpecificityAtSensitivity": {"sensitivity": 0.5},
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9},
    "InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "PiecewiseConstantDecay": {"boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
    "PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "CosineDecayRestarts": {"initial_learning_rate": 0.1, "first_decay_steps": 10},
    "Lambda": {"function": keras.activations.relu},
}
for _name in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
              "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D"):
    ARGS[_name] = {"filters": 2, "kernel_size": 3, "activation": "relu"}
for _name in ("DepthwiseConv1D", "DepthwiseConv2D"):
    ARGS[_name] = {"kernel_size": 3}
for _name in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "MaxPooling1D",
              "MaxPooling2D", "MaxPooling3D"):
    ARGS[_name] = {"pool_size": 2}
for _name in ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"):
    ARGS[_name] = {"rate": 0.2}
SKIP = {"Functional", "Sequential", "Model", "Layer", "Loss", "Metric", "Optimizer",
        "Initializer", "Regularizer", "Constraint", "LearningRateSchedule",
        "Bidirectional", "TimeDistributed", "RNN", "StackedRNNCells", "InputSpec"}


def _classes():
    schedules = keras.optimizers.schedules
    modules = {"layers": keras.layers._module_objects(),
               "losses": keras.losses._module_objects(),
               "metrics": keras.metrics._class_objects(),
               "optimizers": keras.optimizers._module_objects(),
               "initializers": keras.initializers._module_objects(),
               "regularizers": keras.regularizers._module_objects(),
               "constraints": keras.constraints._module_objects(),
               "schedules": {n: getattr(schedules, n) for n in dir(schedules)
                             if inspect.isclass(getattr(schedules, n))
                             and issubclass(getattr(schedules, n),
                                            schedules.LearningRateSchedule)}}
    out, seen = [], set()
    for module, objects in modules.items():
        for _name, cls in sorted(objects.items()):
            if inspect.isclass(cls) and cls.__name__ not in SKIP and (module, cls) not in seen:
                seen.add((module, cls))
                out.append(pytest.param(module, cls, id=f"{module}.{cls.__name__}"))
    return out


def _deserialize(module, config):
    if module == "schedules":
        return keras.optimizers.schedules.deserialize(config)
    return getattr(keras, module).deserialize(config)


@pytest.mark.parametrize("module, cls", _classes())
def test_builtin_config_round_trip(module, cls):
    try:
        obj = cls(**ARGS.get(cls.__name__, {}))
    except TypeError as e:
        pytest.skip(f"{cls.__name__} needs constructor arguments not listed here: {e}")
    config = json.loads(json.dumps(S.serialize_keras_object(obj)))
    assert config["class_name"] == cls.__name__
    assert config["module"].startswith("keras")
    again = _deserialize(module, config)
    assert type(again) is cls
    assert again.get_config() == obj.get_config()


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "tanh", "elu", "selu",
                                  "softplus", "swish", "gelu", "exponential", "linear"])
def test_activation_functions_round_trip(name):
    fn = keras.activations.get(name)
    config = json.loads(json.dumps(keras.activations.serialize(fn)))
    assert keras.activations.deserialize(config) is fn


def test_register_keras_serializable_package_and_name():
    @keras.saving.register_keras_serializable(package="my_package", name="Twice")
    class Twice(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    assert keras.saving.get_registered_name(Twice) == "my_package>Twice"
    assert keras.saving.get_registered_object("my_package>Twice") is Twice
    config = keras.saving.serialize_keras_object(Twice(3.0))
    assert config["registered_name"] == "my_package>Twice"
    layer = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert isinstance(layer, Twice) and layer.factor == 3.0
    model = keras.Sequential([keras.Input((2,)), Twice(4.0)])
    rebuilt = keras.saving.model_from_json(keras.saving.model_to_json(model))
    np.testing.assert_array_equal(rebuilt.predict(np.ones((1, 2)), verbose=0), [[4.0, 4.0]])


def test_custom_object_scopes_from_utils_and_saving():
    def cube(x):
        return x ** 3

    config = {"module": "__main__", "class_name": "function", "config": "cube",
              "registered_name": "cube"}
    with pytest.raises(ValueError, match="'cube'.*\n.*custom_objects=\\{'cube': cube\\}"):
        keras.saving.deserialize_keras_object(config)
    with keras.utils.custom_object_scope({"cube": cube}):
        assert keras.saving.deserialize_keras_object(config) is cube
    with keras.saving.custom_object_scope({"cube": cube}):
        assert keras.activations.get("cube") is cube
    assert keras.saving.get_registered_object("cube") is None


def test_missing_custom_object_error_names_it_and_the_fixes(tmp_path):
    class Scaled(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((1,)), Scaled()])
    path = str(tmp_path / "m.keras")
    keras.saving.save_model(model, path)
    with pytest.raises(ValueError) as info:
        keras.saving.load_model(path)
    message = str(info.value)
    assert "'Scaled'" in message
    assert "custom_objects={'Scaled': Scaled}" in message
    assert "register_keras_serializable" in message
    assert isinstance(keras.saving.load_model(path, custom_objects={"Scaled": Scaled}).layers[0],
                      Scaled)


def test_model_config_of_nested_models_round_trips():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    x = keras.Input((3,))
    outer = keras.Model(x, keras.layers.Dense(1)(inner(x)))
    rebuilt = keras.saving.model_from_json(keras.saving.model_to_json(outer))
    assert [type(layer).__name__ for layer in rebuilt.layers] == \
        ["InputLayer", "Sequential", "Dense"]
    rebuilt.set_weights(outer.get_weights())
    data = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), outer.predict(data, verbose=0))


def test_tf_keras2_functional_config_loads():
    config = {"class_name": "Functional", "config": {
        "name": "model", "layers": [
            {"class_name": "InputLayer", "name": "in",
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "in"},
             "inbound_nodes": []},
            {"class_name": "Dense", "name": "d",
             "config": {"name": "d", "units": 2, "activation": "relu"},
             "inbound_nodes": [[["in", 0, 0, {}]]]}],
        "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}}
    model = keras.saving.model_from_config(config)
    assert model.outputs[0].shape.as_list() == [None, 2]
    assert tf.is_tensor(model(np.ones((1, 3), np.float32)))
