"""A tour of rill, following chapter 12 of "Hands-On Machine Learning": tensors like NumPy,
variables, autodiff, and tf.function. Run: python examples/demo.py
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
