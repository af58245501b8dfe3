"""A tour of rill, following chapter 12 of "Hands-On Machine Learning": tensors like NumPy,
variables, autodiff and tf.function, then Keras: a regression model with the chapter's custom
Huber loss, a custom layer and a streaming metric, trained with `fit` and with a custom
training loop, and evaluated. Run: python examples/demo.py
"""

import numpy as np

import rill as tf
from rill import keras


def section(title):
    print(f"\n== {title} " + "=" * (60 - len(title)))


section("Tensors and operations")
t = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(t)
print("t[:, 1:] =", t[:, 1:].numpy().tolist())
print("t[..., 1, tf.newaxis] =", t[..., 1, tf.newaxis].numpy().tolist())
print("t + 10 =", (t + 10).numpy().tolist())
print("t @ tf.transpose(t) =", (t @ tf.transpose(t)).numpy().tolist())
K = keras.backend
print("K.square(K.transpose(t)) + 10 =", (K.square(K.transpose(t)) + 10).numpy().tolist())

section("NumPy interop and strict dtypes")
a = np.array([2., 4., 5.])
print(repr(tf.constant(a)))
print("np.square(t) is a", type(np.square(t)).__name__)
try:
    tf.constant(2.) + tf.constant(40)
except tf.errors.InvalidArgumentError as e:
    print("tf.constant(2.) + tf.constant(40) ->", type(e).__name__)
    print("   ", str(e).splitlines()[-1])
print("with tf.cast:", tf.constant(2.0) + tf.cast(tf.constant(40., dtype=tf.float64), tf.float32))

section("Variables")
v = tf.Variable([[1., 2., 3.], [4., 5., 6.]])
v.assign(2 * v)
v[0, 1].assign(42)
v[:, 2].assign([0., 1.])
v.scatter_nd_update(indices=[[0, 0], [1, 2]], updates=[100., 200.])
print(v)

section("Autodiff")


def f(w1, w2):
    return 3 * w1 ** 2 + 2 * w1 * w2


w1, w2 = tf.Variable(5.), tf.Variable(3.)
with tf.GradientTape(persistent=True) as hessian_tape:
    with tf.GradientTape() as jacobian_tape:
        z = f(w1, w2)
    jacobians = jacobian_tape.gradient(z, [w1, w2])
hessians = [hessian_tape.gradient(j, [w1, w2]) for j in jacobians]
del hessian_tape
print("gradients:", [float(g) for g in jacobians])
print("hessians:", [[None if h is None else float(h) for h in row] for row in hessians])


@tf.custom_gradient
def my_better_softplus(z):
    exp = tf.exp(z)

    def my_softplus_gradients(grad):
        return grad / (1 + 1 / exp)

    return tf.math.log(exp + 1), my_softplus_gradients


x = tf.Variable([100.])
with tf.GradientTape() as tape:
    z = tf.math.log(tf.exp(x) + 1)
print("naive softplus gradient at 100:", tape.gradient(z, [x])[0].numpy())
with tf.GradientTape() as tape:
    z = my_better_softplus(x)
print("custom_gradient softplus at 100:", tape.gradient(z, [x])[0].numpy())

section("tf.function")


@tf.function
def sum_squares(n):
    s = 0
    for i in tf.range(n):
        s += i ** 2
    return s


print("sum_squares(10) =", sum_squares(tf.constant(10)).numpy())
tf_cube = tf.function(lambda x: x ** 3)
print("tf_cube(2) =", repr(tf_cube(2)))
print("tf_cube(tf.constant(2.0)) =", repr(tf_cube(tf.constant(2.0))))
concrete = tf_cube.get_concrete_function(tf.TensorSpec([], tf.float32))
print("its graph:")
print(concrete.graph)
print(tf.autograph.to_code(sum_squares.python_function))

# ---------------------------------------------------------------------------------------------
# Keras: the chapter's story on scikit-learn's bundled diabetes data (no download)
# ---------------------------------------------------------------------------------------------
section("Data")
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

keras.utils.set_random_seed(42)
data = load_diabetes()
y_all = ((data.target - data.target.mean()) / data.target.std()).astype(np.float32)
X_train_full, X_test, y_train_full, y_test = train_test_split(
    data.data.astype(np.float32), y_all.reshape(-1, 1), random_state=42)
X_train, X_valid, y_train, y_valid = train_test_split(X_train_full, y_train_full,
                                                      random_state=42)
scaler = StandardScaler()
X_train_scaled = scaler.fit_transform(X_train).astype(np.float32)
X_valid_scaled = scaler.transform(X_valid).astype(np.float32)
X_test_scaled = scaler.transform(X_test).astype(np.float32)
print(f"diabetes: {len(X_train)} train, {len(X_valid)} valid, {len(X_test)} test, "
      f"{X_train.shape[1]} features")

section("Custom loss, layer and streaming metric")


def create_huber(threshold=1.0):
    def huber_fn(y_true, y_pred):
        error = y_true - y_pred
        is_small_error = tf.abs(error) < threshold
        squared_loss = tf.square(error) / 2
        linear_loss = threshold * tf.abs(error) - threshold ** 2 / 2
        return tf.where(is_small_error, squared_loss, linear_loss)
    return huber_fn


class HuberLoss(keras.losses.Loss):
    def __init__(self, threshold=1.0, **kwargs):
        self.threshold = threshold
        super().__init__(**kwargs)

    def call(self, y_true, y_pred):
        return create_huber(self.threshold)(y_true, y_pred)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class MyDense(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.kernel = self.add_weight(name="kernel", shape=[batch_input_shape[-1], self.units],
                                      initializer="glorot_normal")
        self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
        super().build(batch_input_shape)

    def call(self, X):
        return self.activation(X @ self.kernel + self.bias)

    def compute_output_shape(self, batch_input_shape):
        return tf.TensorShape(batch_input_shape.as_list()[:-1] + [self.units])

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation)}


class HuberMetric(keras.metrics.Metric):
    def __init__(self, threshold=1.0, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold
        self.huber_fn = create_huber(threshold)
        self.total = self.add_weight("total", initializer="zeros")
        self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        metric = self.huber_fn(y_true, y_pred)
        self.total.assign_add(tf.reduce_sum(metric))
        self.count.assign_add(tf.cast(tf.size(y_true), tf.float32))

    def result(self):
        return self.total / self.count

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


model = keras.models.Sequential([
    MyDense(30, activation="selu", input_shape=X_train.shape[1:]),
    keras.layers.Dense(30, activation="selu", kernel_initializer="lecun_normal",
                       kernel_regularizer=keras.regularizers.l2(0.01)),
    keras.layers.Dense(1),
])
model.compile(loss=HuberLoss(2.0), optimizer=keras.optimizers.Nadam(learning_rate=0.003),
              metrics=[HuberMetric(2.0, name="huber"), "mae"])
model.summary()

section("fit, with early stopping on the validation set")
history = model.fit(X_train_scaled, y_train, epochs=100, verbose=0,
                    validation_data=(X_valid_scaled, y_valid),
                    callbacks=[keras.callbacks.EarlyStopping(patience=10,
                                                             restore_best_weights=True)])
last = {k: round(v[-1], 4) for k, v in history.history.items()}
print(f"{len(history.epoch)} epochs; last: {last}")
test = model.evaluate(X_test_scaled, y_test, verbose=0, return_dict=True)
print("test:", {k: round(float(v), 4) for k, v in test.items()})

section("The same model trained by a custom loop with the status bar")


def random_batch(X, y, batch_size=32):
    idx = np.random.randint(len(X), size=batch_size)
    return X[idx], y[idx]


loop_model = keras.models.Sequential([
    keras.layers.Dense(30, activation="elu", kernel_initializer="he_normal",
                       kernel_regularizer=keras.regularizers.l2(0.05),
                       kernel_constraint=keras.constraints.MaxNorm(1.5)),
    keras.layers.Dense(1, kernel_regularizer=keras.regularizers.l2(0.05)),
])
n_epochs, batch_size = 5, 32
n_steps = len(X_train) // batch_size
optimizer = keras.optimizers.Nadam(learning_rate=0.01)
loss_fn = keras.losses.mean_squared_error
mean_loss = keras.metrics.Mean(name="loss")
metrics = [keras.metrics.MeanAbsoluteError()]


@tf.function
def train_step(X_batch, y_batch):
    with tf.GradientTape() as tape:
        y_pred = loop_model(X_batch, training=True)
        main_loss = tf.reduce_mean(loss_fn(y_batch, y_pred))
        loss = tf.add_n([main_loss] + loop_model.losses)
    gradients = tape.gradient(loss, loop_model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, loop_model.trainable_variables))
    mean_loss(loss)
    for metric in metrics:
        metric(y_batch, y_pred)


for epoch in range(1, n_epochs + 1):
    print(f"Epoch {epoch}/{n_epochs}")
    bar = keras.utils.Progbar(n_steps)
    for step in range(1, n_steps + 1):
        train_step(*random_batch(X_train_scaled, y_train))
        bar.update(step, values=[(m.name, float(m.result())) for m in [mean_loss] + metrics],
                   finalize=step == n_steps)
    for metric in [mean_loss] + metrics:
        metric.reset_state()
mse = float(np.mean((loop_model.predict(X_test_scaled, verbose=0) - y_test) ** 2))
print(f"custom loop: test MSE {mse:.4f}; largest kernel column norm "
      f"{float(tf.reduce_max(tf.norm(loop_model.layers[0].kernel, axis=0))):.3f} (MaxNorm 1.5)")

section("Saving and loading a model with custom components")
import os  # noqa: E402
import tempfile  # noqa: E402

with tempfile.TemporaryDirectory() as folder:
    for name in ("my_model.keras", "my_model.h5"):
        path = os.path.join(folder, name)
        model.save(path)
        loaded = keras.models.load_model(
            path, custom_objects={"HuberLoss": HuberLoss, "MyDense": MyDense,
                                  "HuberMetric": HuberMetric})
        same = np.allclose(loaded.predict(X_test_scaled, verbose=0),
                           model.predict(X_test_scaled, verbose=0))
        print(f"{name}: {os.path.getsize(path):,} bytes; reloaded loss "
              f"{type(loaded.loss).__name__}(threshold={loaded.loss.threshold}); same "
              f"predictions: {same}")
    try:
        keras.models.load_model(os.path.join(folder, "my_model.keras"))
    except Exception as e:  # no custom_objects: the error names what is missing
        print("without custom_objects ->", type(e).__name__ + ":", str(e).splitlines()[0])
