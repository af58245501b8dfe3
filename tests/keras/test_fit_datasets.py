"""fit, evaluate and predict fed by tf.data (issue 12 item 5): the same batches in the same
order give the same training as NumPy arrays."""

import numpy as np

import rill as tf
from rill import keras


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.05), metrics=["mae"])
    return model


def _data():
    rng = np.random.RandomState(1)
    X = rng.randn(100, 4).astype(np.float32)
    return X, (X @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32))


def test_a_dataset_trains_exactly_as_the_same_arrays_unshuffled():
    X, y = _data()
    a, b = _model(), _model()
    a.fit(X, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    ds = tf.data.Dataset.from_tensor_slices((X, y)).batch(16).prefetch(tf.data.AUTOTUNE)
    hist = b.fit(ds, epochs=3, verbose=0, validation_data=ds)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hist.history["val_loss"][-1], b.evaluate(X, y, verbose=0)[0],
                               rtol=1e-5)
    np.testing.assert_allclose(b.predict(ds.map(lambda x, _: x), verbose=0),
                               b.predict(X, verbose=0), rtol=1e-6)


def test_an_infinite_dataset_needs_and_honours_steps_per_epoch():
    X, y = _data()
    model = _model()
    ds = tf.data.Dataset.from_tensor_slices((X, y)).repeat().batch(10)
    seen = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    hist = model.fit(ds, epochs=2, steps_per_epoch=3, verbose=0, callbacks=[Count()])
    assert len(hist.history["loss"]) == 2 and seen == [0, 1, 2, 0, 1, 2]
