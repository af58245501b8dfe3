"""Chapter 12's custom models and custom training loop, run unchanged (`import rill as tf`,
`from rill import keras`), checked against NumPy forward passes."""

import numpy as np
import pytest

import rill as tf
from rill import keras
from tests.keras.chapter_code import HuberMetric, ResidualRegressor


def _housing_like(n=200, d=8, seed=42):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype(np.float32)
    y = (np.sin(X[:, :1]) + 0.5 * X[:, 1:2] ** 2 - X[:, 2:3] * X[:, 3:4]).astype(np.float32)
    return X, y


# -- custom models (the chapter's ResidualRegressor, from tests/keras/chapter_code.py) ------
def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


def _dense(layer, z, act=None):
    W, b = layer.get_weights()
    z = z @ W + b
    return _elu(z) if act == "elu" else z


def _residual_forward(model, X):
    Z = _dense(model.hidden1, X, "elu")
    for block, times in ((model.block1, 4), (model.block2, 1)):
        for _ in range(times):
            H = Z
            for layer in block.hidden:
                H = _dense(layer, H, "elu")
            Z = Z + H
    return _dense(model.out, Z)


def test_residual_regressor_trains_with_fit_and_matches_numpy():
    X, y = _housing_like()
    tf.random.set_seed(42)
    model = ResidualRegressor(1)
    model.compile(loss="mse", optimizer="nadam")
    history = model.fit(X, y, epochs=5, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 5 and losses[-1] < losses[0]
    # hidden1: 8*30+30; two blocks of two Dense(30): 2 * 2 * (30*30+30); out: 30+1
    assert model.count_params() == 270 + 4 * 930 + 31
    assert len(model.trainable_variables) == 2 + 8 + 2
    np.testing.assert_allclose(model.predict(X, verbose=0), _residual_forward(model, X),
                               rtol=1e-4, atol=1e-5)
    mse = float(np.mean((_residual_forward(model, X) - y) ** 2))
    assert model.evaluate(X, y, verbose=0) == pytest.approx(mse, rel=1e-4)
    assert [layer.name for layer in model.layers][:1] == [model.hidden1.name]
    assert len(model.layers) == 4


class ReconstructingRegressor(keras.models.Model):
    def __init__(self, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [keras.layers.Dense(30, activation="selu",
                                          kernel_initializer="lecun_normal")
                       for _ in range(5)]
        self.out = keras.layers.Dense(output_dim)
        self.reconstruction_mean = keras.metrics.Mean(name="reconstruction_error")

    def build(self, batch_input_shape):
        n_inputs = batch_input_shape[-1]
        self.reconstruct = keras.layers.Dense(n_inputs)
        super().build(batch_input_shape)

    def call(self, inputs, training=None):
        Z = inputs
        for layer in self.hidden:
            Z = layer(Z)
        reconstruction = self.reconstruct(Z)
        recon_loss = tf.reduce_mean(tf.square(reconstruction - inputs))
        self.add_loss(0.05 * recon_loss)
        if training:
            result = self.reconstruction_mean(recon_loss)
            self.add_metric(result)
        return self.out(Z)


def _selu(z):
    a, s = 1.6732632423543772, 1.0507009873554805
    return s * np.where(z > 0, z, a * np.expm1(np.minimum(z, 0)))


def test_reconstruction_model_adds_its_loss_and_metric():
    X, y = _housing_like()
    model = ReconstructingRegressor(1)
    model.compile(loss="mse", optimizer="nadam")
    history = model.fit(X, y, epochs=3, verbose=0)
    assert "reconstruction_error" in history.history
    assert history.history["reconstruction_error"][-1] < history.history[
        "reconstruction_error"][0]
    # evaluate: mse of the output plus 0.05 * the reconstruction mse, by hand
    Z = X
    for layer in model.hidden:
        W, b = layer.get_weights()
        Z = _selu(Z @ W + b)
    Wr, br = model.reconstruct.get_weights()
    recon = float(np.mean((Z @ Wr + br - X) ** 2))
    Wo, bo = model.out.get_weights()
    main = float(np.mean((Z @ Wo + bo - y) ** 2))
    logs = model.evaluate(X, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(main + 0.05 * recon, rel=1e-4)
    assert len(model.losses) == 1


def test_reconstruction_model_as_printed_in_the_book_text():
    class BookReconstructingRegressor(keras.models.Model):
        def __init__(self, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.hidden = [keras.layers.Dense(30, activation="selu",
                                              kernel_initializer="lecun_normal")
                           for _ in range(5)]
            self.out = keras.layers.Dense(output_dim)

        def build(self, batch_input_shape):
            n_inputs = batch_input_shape[-1]
            self.reconstruct = keras.layers.Dense(n_inputs)
            super().build(batch_input_shape)

        def call(self, inputs):
            Z = inputs
            for layer in self.hidden:
                Z = layer(Z)
            reconstruction = self.reconstruct(Z)
            recon_loss = tf.reduce_mean(tf.square(reconstruction - inputs))
            self.add_loss(0.05 * recon_loss)
            return self.out(Z)

    X, y = _housing_like()
    model = BookReconstructingRegressor(1)
    model.compile(loss="mse", optimizer="nadam")
    history = model.fit(X, y, epochs=2, verbose=0)
    assert list(history.history) == ["loss"]
    assert len(model.weights) == 2 * 7


# -- the custom training loop (the chapter's code) ---------------------------------------------
def random_batch(X, y, batch_size=32):
    idx = np.random.randint(len(X), size=batch_size)
    return X[idx], y[idx]


def print_status_bar(iteration, total, loss, metrics=None):
    metrics = " - ".join(["{}: {:.4f}".format(m.name, m.result())  # noqa: UP032
                          for m in [loss] + (metrics or [])])
    end = "" if iteration < total else "\n"
    print("\r{}/{} - ".format(iteration, total) + metrics, end=end)  # noqa: UP032


@pytest.mark.filterwarnings("ignore:Nadam. the `lr` argument is deprecated")
def test_custom_training_loop_with_status_bar_losses_and_constraints(capsys):
    X_train_scaled, y_train = _housing_like(n=320)
    l2_reg = keras.regularizers.l2(0.05)
    model = keras.models.Sequential([
        keras.layers.Dense(30, activation="elu", kernel_initializer="he_normal",
                           kernel_regularizer=l2_reg,
                           kernel_constraint=keras.constraints.max_norm(1.0)),
        keras.layers.Dense(1, kernel_regularizer=l2_reg)
    ])
    n_epochs = 2
    batch_size = 32
    n_steps = len(X_train_scaled) // batch_size
    optimizer = keras.optimizers.Nadam(lr=0.01)
    loss_fn = keras.losses.mean_squared_error
    mean_loss = keras.metrics.Mean()
    metrics = [keras.metrics.MeanAbsoluteError()]
    np.random.seed(42)
    epoch_losses = []
    for epoch in range(1, n_epochs + 1):
        print("Epoch {}/{}".format(epoch, n_epochs))  # noqa: UP032
        for step in range(1, n_steps + 1):
            X_batch, y_batch = random_batch(X_train_scaled, y_train)
            with tf.GradientTape() as tape:
                y_pred = model(X_batch, training=True)
                main_loss = tf.reduce_mean(loss_fn(y_batch, y_pred))
                loss = tf.add_n([main_loss] + model.losses)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            for variable in model.variables:
                if variable.constraint is not None:
                    variable.assign(variable.constraint(variable))
            mean_loss(loss)
            for metric in metrics:
                metric(y_batch, y_pred)
            print_status_bar(step * batch_size, len(y_train), mean_loss, metrics)
        print_status_bar(len(y_train), len(y_train), mean_loss, metrics)
        epoch_losses.append(float(mean_loss.result()))
        for metric in [mean_loss] + metrics:
            metric.reset_states()
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "\r320/320 - mean: " in out
    assert "mean_absolute_error: " in out
    assert epoch_losses[1] < epoch_losses[0]
    W1 = model.layers[0].get_weights()[0]
    W2 = model.layers[1].get_weights()[0]
    # the constraint holds after every step: each unit's incoming weights have norm <= 1
    assert np.all(np.linalg.norm(W1, axis=0) <= 1.0 + 1e-5)
    reg = [float(v) for v in model.losses]
    np.testing.assert_allclose(reg, [0.05 * np.sum(W1 ** 2), 0.05 * np.sum(W2 ** 2)],
                               rtol=1e-5)


def test_the_same_loop_in_tf_function_matches_the_eager_loop():
    X, y = _housing_like(n=64)

    def run(traced):
        model = keras.models.Sequential([
            keras.layers.Dense(8, activation="elu", kernel_regularizer=keras.regularizers.l2(
                0.05)), keras.layers.Dense(1)])
        model.build((None, 8))
        rng = np.random.RandomState(0)
        model.set_weights([rng.randn(8, 8).astype(np.float32) * 0.3, np.zeros(8, np.float32),
                           rng.randn(8, 1).astype(np.float32) * 0.3, np.zeros(1, np.float32)])
        optimizer = keras.optimizers.SGD(learning_rate=0.05)

        def train_step(X_batch, y_batch):
            with tf.GradientTape() as tape:
                y_pred = model(X_batch, training=True)
                loss = tf.add_n([tf.reduce_mean(keras.losses.mean_squared_error(
                    y_batch, y_pred))] + model.losses)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        step = tf.function(train_step) if traced else train_step
        for s in range(0, 64, 16):
            step(tf.constant(X[s:s + 16]), tf.constant(y[s:s + 16]))
        return model.get_weights()

    for a, b in zip(run(False), run(True)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_chapter_streaming_huber_metric_in_fit_sees_aligned_labels():
    # Labels of shape (n,) against predictions (n, 1): the chapter's HuberMetric computes
    # y_true - y_pred itself, so fit must hand it (n, 1) labels, or it would average an
    # (n, n) matrix. Expected value computed with NumPy from predict() after training.
    rng = np.random.RandomState(0)
    X = rng.rand(64, 3).astype("float32")
    y = X.sum(axis=1)
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.0), metrics=[HuberMetric(2.0)])
    got = model.evaluate(X, y, verbose=0, return_dict=True)["huber_metric"]
    err = y.reshape(-1, 1) - model.predict(X, verbose=0)
    want = np.mean(np.where(np.abs(err) < 2, err ** 2 / 2, 2 * np.abs(err) - 2))
    np.testing.assert_allclose(got, want, rtol=1e-5)
