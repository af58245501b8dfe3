"""`run_layer_test`: the checks every layer must pass (Keras 3's omnibus layer test).

For one layer class and its arguments: build on data, output shapes (eager, from
`compute_output_shape`, and symbolic from `keras.Input`), weight counts, losses, the config
round trip (JSON-ready, same config, same outputs with copied weights), one training step
with GradientTape (weights change, loss finite), and eager output == traced output.
"""

from __future__ import annotations

import json

import numpy as np

import rill as tf
from rill import keras
from rill.keras.layers import input_layer


def _data(shape, dtype: str, rng):
    if dtype.startswith("int"):
        return rng.integers(0, 3, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _shapes(out) -> list:
    return [tuple(t.shape.as_list()) for t in tf.nest.flatten(out)]


def _as_list(shape) -> list:
    return [shape] if not isinstance(shape, list) else shape


def _inference(layer, x):
    return [np.asarray(t) for t in tf.nest.flatten(layer(x, training=False))]


def run_layer_test(layer_cls, init_kwargs=None, input_shape=(2, 3), input_dtype="float32",
                   expected_output_shape=None, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, expected_num_losses=0,
                   input_data=None, custom_objects=None, supports_masking=None,
                   run_training_check=True, run_symbolic_check=True, seed=0):
    """Runs every generic check on `layer_cls(**init_kwargs)`; returns the built layer.

    `input_shape` is one shape (batch first) or a list of shapes for several inputs;
    `expected_output_shape` likewise for the outputs.
    """
    rng = np.random.default_rng(seed)
    init_kwargs = dict(init_kwargs or {})
    several = isinstance(input_shape, list)
    shapes = input_shape if several else [input_shape]
    if input_data is None:
        data = [_data(s, input_dtype, rng) for s in shapes]
        x = data if several else data[0]
    else:
        x = input_data
    layer = layer_cls(**init_kwargs)
    assert not layer.built

    # shapes, weights, losses
    y = layer(x)
    assert layer.built
    expected = _as_list(expected_output_shape)
    assert _shapes(y) == [tuple(s) for s in expected], (_shapes(y), expected)
    in_shapes = [tf.TensorShape(s) for s in shapes]
    computed = layer.compute_output_shape(in_shapes if several else in_shapes[0])
    computed = _as_list(computed)
    assert [tuple(tf.TensorShape(s).as_list()) for s in computed] == \
        [tuple(s) for s in expected]
    assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    assert len(layer.weights) == expected_num_trainable_weights + \
        expected_num_non_trainable_weights
    assert len(layer.losses) == expected_num_losses
    for loss in layer.losses:
        assert np.isfinite(np.asarray(loss)).all()
    assert layer.count_params() == sum(int(np.prod(w.shape.as_list())) for w in layer.weights)
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking

    # config round trip: JSON-ready, the same config, the same outputs with copied weights
    with keras.saving.custom_object_scope(custom_objects or {}):
        config = layer.get_config()
        json.dumps(config)
        clone = layer_cls.from_config(config)
        assert clone.get_config() == config
        again = keras.layers.deserialize(json.loads(json.dumps(keras.layers.serialize(layer))),
                                         custom_objects=custom_objects)
        assert type(again) is layer_cls and again.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    for a, b in zip(_inference(layer, x), _inference(clone, x)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)

    # eager equals traced
    traced = tf.function(lambda v: layer(v, training=False))
    for a, b in zip(_inference(layer, x), tf.nest.flatten(traced(x))):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)

    # symbolic: keras.Input -> layer records a node with the right output shapes
    if run_symbolic_check:
        inputs = [keras.Input(batch_shape=(None, *s[1:]), dtype=input_dtype) for s in shapes]
        with keras.saving.custom_object_scope(custom_objects or {}):
            fresh = layer_cls.from_config({**config, "name": config["name"] + "_symbolic"})
        out = fresh(inputs if several else inputs[0])
        assert _shapes(out) == [(None, *s[1:]) for s in expected]
        for i, t in enumerate(tf.nest.flatten(out)):
            assert input_layer.get_keras_history(t) == (fresh, 0, i)
        # symbolic activity losses never reach training (weight regularizers stay)
        assert not any(input_layer.is_keras_tensor(t) for t in fresh.losses)

    # one training step: gradients exist, the weights move, the loss stays finite
    if run_training_check and layer.trainable_weights:
        before = [np.asarray(w) for w in layer.trainable_weights]
        targets = [rng.standard_normal(s).astype(np.float32) for s in _shapes(y)]
        with tf.GradientTape() as tape:
            out = layer(x, training=True)
            loss = tf.add_n([tf.reduce_mean(tf.square(tf.cast(t, tf.float32) - r))
                             for t, r in zip(tf.nest.flatten(out), targets)] +
                            list(layer.losses))
        grads = tape.gradient(loss, layer.trainable_weights)
        assert all(g is not None for g in grads)
        for w, g in zip(layer.trainable_weights, grads):
            w.assign_sub(0.1 * tf.convert_to_tensor(g))
        assert np.isfinite(float(loss))
        assert any(not np.array_equal(b, np.asarray(w))
                   for b, w in zip(before, layer.trainable_weights))
    return layer
