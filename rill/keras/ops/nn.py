"""`keras.ops.nn`: activations, one-hot encodings, cross-entropies, moments, convolution.

The activations are `keras.activations`' (note `keras.ops.gelu` is approximate by default,
as in Keras 3). Cross-entropies follow Keras 3: probabilities are clipped to
`[epsilon, 1 - epsilon]`; categorical ones renormalize the probabilities first.

>>> keras.ops.one_hot(np.array([0, 2]), 3).numpy()
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

import rill as tf
from rill.keras import activations as _act
from rill.keras import backend
from rill.keras.ops._arrays import moveaxis
from rill.keras.ops._convert import convert_to_tensor, dtype_name, floating, scalar
from rill.keras.ops.linalg import norm

__all__ = [
    "average_pool", "batch_normalization", "binary_crossentropy", "categorical_crossentropy",
    "celu", "conv", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool",
    "moments", "multi_hot", "normalize", "one_hot", "relu", "relu6", "selu", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "sparse_categorical_crossentropy",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink",
]

relu6, sigmoid, softplus, softsign = _act.relu6, _act.sigmoid, _act.softplus, _act.softsign
silu, swish, log_sigmoid, hard_sigmoid = _act.silu, _act.silu, _act.log_sigmoid, \
    _act.hard_sigmoid
hard_silu, hard_swish, selu, celu, glu = _act.hard_silu, _act.hard_silu, _act.selu, _act.celu, \
    _act.glu
hard_tanh, soft_shrink, hard_shrink = _act.hard_tanh, _act.soft_shrink, _act.hard_shrink
tanh_shrink, squareplus, sparse_plus = _act.tanh_shrink, _act.squareplus, _act.sparse_plus
sparse_sigmoid, sparsemax, softmax, log_softmax = _act.sparse_sigmoid, _act.sparsemax, \
    _act.softmax, _act.log_softmax


def relu(x):
    """max(x, 0)."""
    return tf.nn.relu(convert_to_tensor(x))


def leaky_relu(x, negative_slope=0.2):
    """x if x > 0 else negative_slope * x."""
    return _act.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    return _act.elu(x, alpha)


def gelu(x, approximate=True):
    """x * Phi(x), with the tanh approximation by default (Keras 3 ops' default)."""
    return _act.gelu(x, approximate)


# -- encodings ------------------------------------------------------------------------------
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """A one-hot encoding of integer x along a new `axis` (floatx by default); out-of-range
    labels (e.g. -1) encode as all zeros."""
    x = tf.cast(convert_to_tensor(x), "int32")
    return tf.one_hot(x, num_classes, axis=axis, dtype=dtype_name(dtype))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 for each class present in the last axis of `inputs` (a batch of label lists)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    x = tf.cast(convert_to_tensor(inputs), "int32")
    encoded = tf.one_hot(x, num_classes, axis=-1, dtype=dtype_name(dtype))
    out = tf.reduce_max(encoded, axis=-2 if x.shape.rank > 1 else 0)
    return out if axis == -1 else moveaxis(out, -1, axis)


# -- losses ---------------------------------------------------------------------------------
def _clip_probs(output):
    eps = scalar(backend.epsilon(), output.dtype)
    return tf.clip_by_value(output, eps, 1 - eps)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise -(t log p + (1 - t) log(1 - p)) (p = sigmoid(output) if `from_logits`)."""
    output = floating(output)
    target = tf.cast(convert_to_tensor(target), output.dtype)
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    p = _clip_probs(output)
    return -(target * tf.math.log(p) + (1 - target) * tf.math.log(1 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(t log p) along `axis` (p = softmax(output) if `from_logits`, else output
    renormalized to sum to 1)."""
    output = floating(output)
    target = tf.cast(convert_to_tensor(target), output.dtype)
    if from_logits:
        return -tf.reduce_sum(target * tf.nn.log_softmax(output, axis=axis), axis)
    p = _clip_probs(output / tf.reduce_sum(output, axis, keepdims=True))
    return -tf.reduce_sum(target * tf.math.log(p), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """categorical_crossentropy with integer class labels (a trailing axis of 1 is
    squeezed)."""
    output = floating(output)
    target = convert_to_tensor(target)
    if target.shape.rank == output.shape.rank and target.shape[-1] == 1:
        target = tf.squeeze(target, [-1])
    depth = output.shape[axis]
    onehot = tf.one_hot(tf.cast(target, "int32"), depth, axis=axis, dtype=output.dtype)
    return categorical_crossentropy(onehot, output, from_logits, axis)


# -- statistics and normalization -------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    axes = [axes] if isinstance(axes, int) else list(axes)
    return tf.nn.moments(floating(x), axes, keepdims=keepdims)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the 1-D statistics laid along
    `axis`."""
    x = floating(x)
    shape = [1] * x.shape.rank
    shape[axis] = -1

    def laid(v):
        return None if v is None else tf.reshape(tf.cast(convert_to_tensor(v), x.dtype), shape)

    return tf.nn.batch_normalization(x, laid(mean), laid(variance), laid(offset), laid(scale),
                                     epsilon)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along `axis` (zero vectors stay zero)."""
    x = floating(x)
    eps = scalar(backend.epsilon() if epsilon is None else epsilon, x.dtype)
    return x / tf.maximum(norm(x, ord=order, axis=axis, keepdims=True), eps)


# -- convolution and pooling ----------------------------------------------------------------
def _data_format(data_format, rank):
    data_format = data_format or backend.image_data_format()
    spatial = "DHW"[3 - (rank - 2):]
    return f"NC{spatial}" if data_format == "channels_first" else f"N{spatial}C"


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution; kernel `(*window, in_channels, out_channels)`."""
    inputs = floating(inputs)
    kernel = tf.cast(convert_to_tensor(kernel), inputs.dtype)
    fmt = _data_format(data_format, inputs.shape.rank)
    return tf.nn.convolution(inputs, kernel, strides=strides, padding=padding.upper(),
                             data_format=fmt, dilations=dilation_rate)


def _pool(fn, inputs, pool_size, strides, padding, data_format):
    inputs = floating(inputs)
    fmt = _data_format(data_format, inputs.shape.rank)
    return fn(inputs, pool_size, pool_size if strides is None else strides, padding.upper(),
              data_format=fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Maximum over windows of `pool_size` (strides default to the pool size)."""
    return _pool(tf.nn.max_pool, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over windows of `pool_size` (strides default to the pool size)."""
    return _pool(tf.nn.avg_pool, inputs, pool_size, strides, padding, data_format)
