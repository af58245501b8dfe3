"""`tf.nn`: the public namespace (explicit re-exports of `rill.ops.nn_ops` and `conv_ops`;
sigmoid, tanh, softplus and softsign are the `tf.math` functions)."""

from rill.ops.conv_ops import (
    avg_pool,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv1d_transpose,
    conv2d,
    conv2d_transpose,
    conv_transpose,
    convolution,
    depthwise_conv2d,
    max_pool,
    max_pool1d,
    max_pool2d,
    separable_conv2d,
)
from rill.ops.math_ops import sigmoid, softplus, softsign, tanh
from rill.ops.nn_ops import (
    batch_normalization,
    bias_add,
    compute_average_loss,
    crelu,
    dropout,
    elu,
    embedding_lookup,
    gelu,
    l2_loss,
    l2_normalize,
    leaky_relu,
    log_poisson_loss,
    log_softmax,
    moments,
    normalize_moments,
    relu,
    relu6,
    scale_regularization_loss,
    selu,
    sigmoid_cross_entropy_with_logits,
    silu,
    softmax,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
    swish,
    weighted_cross_entropy_with_logits,
    zero_fraction,
)
from rill.ops.sort_ops import top_k

__all__ = [
    "avg_pool", "avg_pool1d", "avg_pool2d", "batch_normalization", "bias_add",
    "compute_average_loss", "conv1d", "conv1d_transpose", "conv2d", "conv2d_transpose",
    "conv_transpose", "convolution", "crelu", "depthwise_conv2d", "dropout", "elu",
    "embedding_lookup", "gelu", "l2_loss", "l2_normalize", "leaky_relu", "log_poisson_loss",
    "log_softmax", "max_pool", "max_pool1d", "max_pool2d", "moments", "normalize_moments", "relu",
    "relu6", "scale_regularization_loss", "selu", "separable_conv2d", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softmax_cross_entropy_with_logits",
    "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh", "top_k",
    "weighted_cross_entropy_with_logits", "zero_fraction",
]
