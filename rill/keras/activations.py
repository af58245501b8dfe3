"""`keras.activations`: elementwise (and softmax-like) functions of a tensor.

Formulas follow Keras 3 (e.g. `hard_sigmoid(x) = relu6(x + 3) / 6`, `gelu` exact by default).
`get` turns a name, a config dict, None (linear) or a callable into the function; `serialize`
writes a built-in activation as its name and anything else as a Keras config dict.

>>> keras.activations.get("relu")(tf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
>>> keras.activations.serialize(keras.activations.gelu)
'gelu'
"""

from __future__ import annotations

import importlib

import rill as tf
from rill.keras.saving.serialization import deserialize_keras_object, serialize_keras_object

_MODULE = "keras.activations"


def _t(x):
    return tf.convert_to_tensor(x)


def _c(value, x):
    """`value` in x's dtype (Python floats exactly: `tf.cast(0.1, tf.float64)` would round
    through float32)."""
    if tf.is_tensor(value):
        return tf.cast(value, x.dtype)
    return tf.constant(value, x.dtype)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, *, alpha=None):
    """max(x, 0), generalized: `x` above `threshold` (capped at `max_value`), else
    `negative_slope * (x - threshold)`. `alpha` is tf.keras 2's name of `negative_slope`."""
    x = _t(x)
    if alpha is not None:
        negative_slope = alpha
    if not negative_slope and max_value is None and not threshold:
        return tf.nn.relu(x)
    above = tf.cast(tf.greater(x, _c(threshold, x)), x.dtype)
    y = x * above
    if max_value is not None:
        y = tf.minimum(y, _c(max_value, x))
    if negative_slope:
        y = y + _c(negative_slope, x) * (x - _c(threshold, x)) * (1 - above)
    return y


def leaky_relu(x, negative_slope=0.2, *, alpha=None):
    """x if x > 0 else negative_slope * x."""
    return tf.nn.leaky_relu(_t(x), alpha=negative_slope if alpha is None else alpha)


def relu6(x):
    """min(max(x, 0), 6)."""
    return tf.nn.relu6(_t(x))


def elu(x, alpha=1.0):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    x = _t(x)
    if alpha == 1.0:
        return tf.nn.elu(x)
    negative = _c(alpha, x) * tf.math.expm1(tf.minimum(x, _c(0, x)))  # no overflow for x >> 0
    return tf.where(tf.greater(x, _c(0, x)), x, negative)


def selu(x):
    """scale * elu(x, alpha), scale = 1.0507..., alpha = 1.6732... (self-normalizing)."""
    return tf.nn.selu(_t(x))


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))."""
    x = _t(x)
    a = _c(alpha, x)
    return tf.nn.relu(x) + tf.minimum(_c(0, x), a * tf.math.expm1(tf.minimum(x, _c(0, x)) / a))


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return tf.sigmoid(_t(x))


def hard_sigmoid(x):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (Keras 3's formula)."""
    x = _t(x)
    return tf.nn.relu6(x + _c(3, x)) / _c(6, x)


def log_sigmoid(x):
    """log(sigmoid(x)), stable for large |x|."""
    return tf.math.log_sigmoid(_t(x))


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, (x + 1) / 2 between."""
    x = _t(x)
    return tf.clip_by_value((x + _c(1, x)) / _c(2, x), _c(0, x), _c(1, x))


def tanh(x):
    """Hyperbolic tangent."""
    return tf.tanh(_t(x))


def hard_tanh(x):
    """clip(x, -1, 1)."""
    x = _t(x)
    return tf.clip_by_value(x, _c(-1, x), _c(1, x))


def tanh_shrink(x):
    """x - tanh(x)."""
    x = _t(x)
    return x - tf.tanh(x)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = _t(x)
    return tf.where(tf.greater(tf.abs(x), _c(threshold, x)), x, tf.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, else 0."""
    x = _t(x)
    t = _c(threshold, x)
    return tf.where(tf.greater(x, t), x - t, tf.where(tf.less(x, -t), x + t, tf.zeros_like(x)))


def threshold(x, threshold, default_value):  # noqa: F811 - Keras's argument name
    """x where x > threshold, else default_value."""
    x = _t(x)
    return tf.where(tf.greater(x, _c(threshold, x)), x, tf.fill(tf.shape(x),
                                                                _c(default_value, x)))


def _reduce_axes(x, axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (an int or a tuple of axes)."""
    x = _t(x)
    if isinstance(axis, int):
        return tf.nn.softmax(x, axis=axis)
    return tf.exp(log_softmax(x, axis))


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`."""
    x = _t(x)
    if isinstance(axis, int):
        return tf.nn.log_softmax(x, axis=axis)
    return x - tf.reduce_logsumexp(x, axis=_reduce_axes(x, axis), keepdims=True)


def sparsemax(x, axis=-1):
    """The Euclidean projection of x onto the probability simplex along `axis` (sparse
    probabilities: many exact zeros)."""
    x = _t(x)
    rank = x.shape.rank
    axis = axis % rank
    z = tf.sort(x, axis=axis, direction="DESCENDING")
    n = int(x.shape[axis])
    k = tf.reshape(tf.range(1, n + 1, dtype=x.dtype), [n if i == axis else 1
                                                       for i in range(rank)])
    cumulative = tf.math.cumsum(z, axis=axis)
    support = tf.cast(tf.greater(1 + k * z, cumulative), x.dtype)
    k_max = tf.reduce_max(k * support, axis=axis, keepdims=True)
    tau = (tf.reduce_sum(z * support, axis=axis, keepdims=True) - 1) / k_max
    return tf.nn.relu(x - tau)


def softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    return tf.math.softplus(_t(x))


def sparse_plus(x):
    """0 below -1, x above 1, (x + 1)^2 / 4 between (a smooth, sparse softplus)."""
    x = _t(x)
    middle = tf.square(x + _c(1, x)) / _c(4, x)
    return tf.where(tf.less_equal(x, _c(-1, x)), tf.zeros_like(x),
                    tf.where(tf.greater_equal(x, _c(1, x)), x, middle))


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    x = _t(x)
    return (x + tf.sqrt(tf.square(x) + _c(b, x))) / _c(2, x)


def softsign(x):
    """x / (1 + |x|)."""
    return tf.math.softsign(_t(x))


def exponential(x):
    """exp(x)."""
    return tf.exp(_t(x))


def linear(x):
    """The identity (returns x unchanged)."""
    return x


def gelu(x, approximate=False):
    """x * Phi(x), Phi the standard normal CDF (tanh approximation if `approximate`)."""
    return tf.nn.gelu(_t(x), approximate=approximate)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return tf.nn.silu(_t(x))


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    x = _t(x)
    return x * hard_sigmoid(x)


def mish(x):
    """x * tanh(softplus(x))."""
    x = _t(x)
    return x * tf.tanh(tf.math.softplus(x))


def glu(x, axis=-1):
    """Gated linear unit: split x in halves a, b along `axis`; a * sigmoid(b)."""
    a, b = tf.split(_t(x), 2, axis=axis)
    return a * tf.sigmoid(b)


swish, hard_swish = silu, hard_silu

_FUNCTIONS = {f.__name__: f for f in (
    relu, leaky_relu, relu6, elu, selu, celu, sigmoid, hard_sigmoid, log_sigmoid,
    sparse_sigmoid, tanh, hard_tanh, tanh_shrink, hard_shrink, soft_shrink, threshold, softmax,
    log_softmax, sparsemax, softplus, sparse_plus, squareplus, softsign, exponential, linear,
    gelu, silu, hard_silu, mish, glu)}
for _fn in _FUNCTIONS.values():
    _fn._keras_module = _MODULE


def _module_objects() -> dict:
    return {**_FUNCTIONS, "swish": silu, "hard_swish": hard_silu}


def serialize(activation):
    """A built-in activation's name (e.g. 'relu'); otherwise a Keras config dict."""
    name = getattr(activation, "__name__", None)
    if name in _FUNCTIONS and _FUNCTIONS[name] is activation:
        return name
    return serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    """The activation that `config` (a name or a dict from `serialize`) describes.

    A dict naming a layer class (tf.keras 2's advanced activations, e.g. LeakyReLU) is read
    by `keras.layers.deserialize`.
    """
    if isinstance(config, dict) and config.get("class_name") not in (None, "function"):
        name = config["class_name"]
        if name not in _module_objects():
            layers = importlib.import_module("rill.keras.layers")
            return layers.deserialize(config, custom_objects=custom_objects)
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=_module_objects(),
                                    printable_module_name="activation function")


def get(identifier):
    """The activation function for a name ("relu"), a config dict, None (`linear`), or a
    callable (returned as is)."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}.\n"
                     f"hint: pass a name such as 'relu' (one of {sorted(_module_objects())}), "
                     f"a config dict, None or a callable.")
