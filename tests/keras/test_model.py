"""Subclassed models: custom train/test steps (Keras 3 and tf.keras 2 styles), the metrics
property, build, summary, weights."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def _data(n=24, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3).astype(np.float32)
    return X, (X @ np.float32([[1.0], [-1.0], [2.0]])).astype(np.float32)


class Linear(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)


def _init(model):
    model.build((None, 3))
    model.set_weights([np.float32([[0.1], [0.2], [0.3]]), np.float32([0.0])])
    return model


class Keras3Step(Linear):
    """The train_step of keras.io's "customizing what happens in fit" (Keras 3, TF)."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TfKeras2Step(Linear):
    """The same guide in its tf.keras 2 version (compiled_loss / compiled_metrics)."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


@pytest.mark.parametrize("cls", [Keras3Step, TfKeras2Step])
def test_custom_train_steps_train_like_the_default(cls):
    X, y = _data()
    results = []
    for model in (_init(Linear()), _init(cls())):
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        history = model.fit(X, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    (h0, w0), (h1, w1) = results
    assert set(h1) == {"loss", "mae"}
    np.testing.assert_allclose(h1["mae"], h0["mae"], rtol=1e-5)
    np.testing.assert_allclose(w1[0], w0[0], rtol=1e-5)
    # batches of equal size: a tracker weighted by batch size or not gives the same mean
    np.testing.assert_allclose(h1["loss"], h0["loss"], rtol=1e-5)


def test_custom_test_step_and_metrics_as_attributes():
    class Tracked(Linear):
        def __init__(self):
            super().__init__()
            self.loss_tracker = keras.metrics.Mean(name="my_loss")

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(y - self(x, training=True)))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            return {"my_loss": self.loss_tracker.result()}

        def test_step(self, data):
            x, y = data
            self.loss_tracker.update_state(tf.reduce_mean(tf.abs(y - self(x))))
            return {"my_loss": self.loss_tracker.result()}

        @property
        def metrics(self):
            return [self.loss_tracker]

    X, y = _data()
    model = _init(Tracked())
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    history = model.fit(X, y, batch_size=24, epochs=2, verbose=0)
    W, b = model.get_weights()
    mse = float(np.mean((X @ W + b - y) ** 2))
    # metrics are reset each epoch: the logged value is this epoch's
    assert history.history["my_loss"] == pytest.approx([mse, mse], rel=1e-5)
    assert model.evaluate(X, y, verbose=0) == pytest.approx(
        float(np.mean(np.abs(X @ W + b - y))), rel=1e-5)


def test_metrics_property_and_reset():
    X, y = _data()
    model = _init(Linear())
    assert model.metrics == []
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, y, epochs=1, verbose=0)
    names = [m.name for m in model.metrics]
    assert names == ["loss", "compile_metrics"]
    assert model.metrics_names == names
    assert float(model.metrics[0].result()) > 0
    model.reset_metrics()
    assert float(model.metrics[0].result()) == 0.0
    assert model.optimizer.__class__.__name__ == "SGD" and model.loss == "mse"


def test_compute_loss_override_changes_training():
    class Halved(Linear):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            return 0.5 * super().compute_loss(x, y, y_pred, sample_weight)

    X, y = _data()
    a, b = _init(Linear()), _init(Halved())
    for m in (a, b):
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    la = a.evaluate(X, y, verbose=0)
    assert b.evaluate(X, y, verbose=0) == pytest.approx(0.5 * la, rel=1e-6)


def test_add_loss_and_regularizers_count_in_the_loss():
    class WithPenalty(Linear):
        def call(self, inputs):
            out = self.dense(inputs)
            self.add_loss(tf.reduce_mean(tf.abs(out)))
            return out

    X, y = _data()
    model = _init(WithPenalty())
    model.compile(optimizer="sgd", loss="mse")
    W, b = model.get_weights()
    pred = X @ W + b
    assert model.evaluate(X, y, batch_size=24, verbose=0) == pytest.approx(
        float(np.mean((pred - y) ** 2) + np.mean(np.abs(pred))), rel=1e-5)


def test_stop_training_from_a_callback():
    class StopAtTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    X, y = _data()
    model = _init(Linear())
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, y, epochs=10, verbose=0, callbacks=[StopAtTwo()])
    assert history.epoch == [0, 1]


def test_build_summary_and_weights():
    model = Linear(name="linear")
    with pytest.raises(ValueError, match=r"(?s)not yet been built.*hint"):
        model.summary()
    with pytest.raises(ValueError, match="hint"):
        model.build()
    model.build((None, 3))
    assert model.built and model.count_params() == 4
    lines = []
    model.summary(print_fn=lines.append, line_length=76)
    text = lines[0]
    assert text.startswith('Model: "linear"\n')
    assert " Total params: 4 (16.00 B)\n" in text
    # the shape the layer was built for, as Keras 3 shows it for subclassed models
    assert f"│ {model.dense.name} (Dense)".ljust(34) + "│ (None, 1)  " in text
    weights = [np.ones((3, 1), np.float32), np.float32([2.0])]
    model.set_weights(weights)
    np.testing.assert_allclose(model.predict(np.ones((2, 3), np.float32), verbose=0), [[5.0],
                                                                                       [5.0]])
    assert model.get_layer(index=0) is model.dense


def test_a_subclass_can_be_built_from_inputs_and_outputs():
    class Wrapped(keras.Model):
        def __init__(self):
            inputs = keras.Input((3,))
            outputs = keras.layers.Dense(2)(inputs)
            super().__init__(inputs=inputs, outputs=outputs)

        def double(self, x):
            return 2 * self(x)

    model = Wrapped()
    X = np.ones((4, 3), np.float32)
    W, b = model.get_weights()
    np.testing.assert_allclose(model.double(X).numpy(), 2 * (X @ W + b), rtol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.zeros((4, 2), np.float32), verbose=0)


def test_dynamic_layers_run_eagerly():
    class NumpyLayer(keras.layers.Layer):
        def call(self, inputs):
            return tf.constant(np.asarray(inputs) * 2.0)  # needs concrete values

        def compute_output_shape(self, input_shape):
            return input_shape

    model = keras.Sequential([keras.Input((3,)), NumpyLayer(dynamic=True),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    X, y = _data()
    model.fit(X, y, epochs=1, verbose=0)
    W, b = model.get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), 2 * X @ W + b, rtol=1e-5)


def test_docstring_examples_run():
    import doctest

    from rill.keras.models import data_adapter, functional, model, sequential, trainer

    for mod in (model, functional, sequential, trainer, data_adapter):
        result = doctest.testmod(mod, extraglobs={"tf": tf, "keras": keras, "np": np})
        assert result.failed == 0, mod.__name__
