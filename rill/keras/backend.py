"""`keras.backend` (K): math functions over rill ops, as in tf.keras.

Every function calls rill's public API by TensorFlow's names, looked up when it runs (`_tf()`),
so this module imports in any order with the op modules.

>>> K = keras.backend
>>> t = tf.constant([[1., 2., 3.], [4., 5., 6.]])
>>> (K.square(K.transpose(t)) + 10).numpy()[0]
array([11., 26.], dtype=float32)
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np


def _tf():
    return sys.modules.get("rill") or __import__("rill")


class _Config:
    epsilon = 1e-7
    floatx = "float32"
    image_data_format = "channels_last"
    uids: dict = {}


# -- configuration --------------------------------------------------------------------------
def epsilon() -> float:
    """The fuzz factor used to avoid division by zero and log(0) (default 1e-7)."""
    return _Config.epsilon


def set_epsilon(value: float) -> None:
    _Config.epsilon = float(value)


def floatx() -> str:
    """The default float type as a string (default 'float32')."""
    return _Config.floatx


def set_floatx(value) -> None:
    """Sets the default float type: 'float16', 'bfloat16', 'float32' or 'float64'."""
    name = standardize_dtype(value)
    if name not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}.\nhint: use 'float16', 'bfloat16', "
                         f"'float32' or 'float64'.")
    _Config.floatx = name


def image_data_format() -> str:
    return _Config.image_data_format


def set_image_data_format(data_format: str) -> None:
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format: {data_format!r}.\nhint: use 'channels_last' "
                         f"or 'channels_first'.")
    _Config.image_data_format = data_format


def backend() -> str:
    """The backend name; rill answers 'tensorflow', whose API it implements."""
    return "tensorflow"


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... per prefix (used to name layers)."""
    _Config.uids[prefix] = _Config.uids.get(prefix, 0) + 1
    return _Config.uids[prefix]


def reset_uids() -> None:
    _Config.uids.clear()


def clear_session() -> None:
    """Resets the naming counters and the functional API's graph (`keras.Input`)."""
    reset_uids()
    node = sys.modules.get("rill.keras.layers.node")
    if node is not None:
        node.reset_functional_graph()


def learning_phase() -> int:
    """1 inside a layer call running in training mode, else 0 (tf.keras 2; Keras 3 passes
    `training` to `call` instead)."""
    from rill.keras.layers._call_context import ctx

    return int(bool(ctx.training))


def set_learning_phase(value) -> None:
    """Deprecated (tf.keras 2): makes layer calls without a `training` argument, in this
    thread, run in training (1) or inference (0) mode."""
    import warnings

    if value not in (0, 1, True, False):
        raise ValueError(f"set_learning_phase: expected 0 or 1, got {value!r}.\n"
                         f"hint: pass training=True or training=False to the model's call.")
    warnings.warn("`tf.keras.backend.set_learning_phase` is deprecated. To update it, simply "
                  "pass a True/False value to the `training` argument of the `__call__` "
                  "method of your layer or model.", DeprecationWarning, stacklevel=2)
    from rill.keras.layers._call_context import ctx

    ctx.training = bool(value)


def name_scope(name):
    """A context manager for names (names carry no meaning in rill)."""
    return contextlib.nullcontext(name)


# -- dtypes ---------------------------------------------------------------------------------
def standardize_dtype(dtype) -> str:
    """The dtype's name as a string ('float32' for tf.float32, np.float32, float, ...)."""
    if dtype is None:
        return floatx()
    if dtype is int:
        return "int64"
    if dtype is str:
        return "string"
    return _tf().as_dtype(dtype).name


def is_float_dtype(dtype) -> bool:
    return _tf().as_dtype(standardize_dtype(dtype)).is_floating


def is_int_dtype(dtype) -> bool:
    return _tf().as_dtype(standardize_dtype(dtype)).is_integer


def cast(x, dtype):
    return _tf().cast(x, standardize_dtype(dtype))


def cast_to_floatx(x):
    """A tensor cast to floatx; other values become a NumPy array of floatx."""
    tf = _tf()
    if tf.is_tensor(x):
        return tf.cast(x, floatx())
    return np.asarray(x, dtype=tf.as_dtype(floatx()).as_numpy_dtype)


def dtype(x) -> str:
    """The dtype name of a tensor or variable ('float32')."""
    return x.dtype.name


# -- creating tensors and variables ---------------------------------------------------------
def constant(value, dtype=None, shape=None, name=None):
    """`tf.constant` with floatx as the default dtype."""
    return _tf().constant(value, dtype=standardize_dtype(dtype), shape=shape)


def variable(value, dtype=None, name=None, constraint=None):
    """A `tf.Variable` with floatx as the default dtype."""
    tf = _tf()
    dt = standardize_dtype(dtype)
    if tf.is_tensor(value) and value.dtype.name != dt:
        value = tf.cast(value, dt)
    return tf.Variable(value, dtype=dt, name=name, constraint=constraint)


def zeros(shape, dtype=None, name=None):
    """A variable of zeros."""
    dt = _tf().as_dtype(standardize_dtype(dtype))
    return variable(np.zeros(_dims(shape), dtype=dt.as_numpy_dtype), dt.name, name)


def ones(shape, dtype=None, name=None):
    """A variable of ones."""
    dt = _tf().as_dtype(standardize_dtype(dtype))
    return variable(np.ones(_dims(shape), dtype=dt.as_numpy_dtype), dt.name, name)


def eye(size, dtype=None, name=None):
    """A variable holding an identity matrix (`size` an int or a (rows, cols) pair)."""
    dt = _tf().as_dtype(standardize_dtype(dtype))
    n, m = (size, size) if isinstance(size, int) else tuple(size)
    return variable(np.eye(n, m, dtype=dt.as_numpy_dtype), dt.name, name)


def _dims(shape) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def zeros_like(x, dtype=None, name=None):
    tf = _tf()
    return tf.zeros_like(x) if dtype is None else tf.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    tf = _tf()
    return tf.ones_like(x) if dtype is None else tf.ones_like(x, dtype=dtype)


def arange(start, stop=None, step=1, dtype="int32"):
    return _tf().range(start, stop, step, dtype=dtype) if stop is not None else \
        _tf().range(start, delta=step, dtype=dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _tf().random.normal(shape, mean, stddev, dtype=standardize_dtype(dtype), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _tf().random.uniform(shape, minval, maxval, dtype=standardize_dtype(dtype), seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _tf().random.truncated_normal(shape, mean, stddev, dtype=standardize_dtype(dtype),
                                         seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0."""
    tf = _tf()
    return tf.cast(tf.math.less(random_uniform(shape, seed=seed), p), standardize_dtype(dtype))


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return variable(random_normal(shape, mean, scale, dtype, seed), dtype, name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return variable(random_uniform(shape, low, high, dtype, seed), dtype, name)


# -- inspecting and setting values ----------------------------------------------------------
def is_tensor(x) -> bool:
    return _tf().is_tensor(x)


def is_keras_tensor(x) -> bool:
    """True for the symbolic tensors of the functional API (`keras.Input` and what is
    computed from it)."""
    node = sys.modules.get("rill.keras.layers.node")
    return node is not None and node.is_keras_tensor(x)


def is_sparse(x) -> bool:
    return type(x).__name__ == "SparseTensor"


def shape(x):
    """The dynamic shape as an int32 tensor (`tf.shape`)."""
    return _tf().shape(x)


def int_shape(x):
    """The static shape as a tuple of ints and None (None when the rank is unknown)."""
    s = x.shape
    if hasattr(s, "rank") and s.rank is None:
        return None
    return tuple(s if isinstance(s, tuple) else s.as_list())


def ndim(x):
    return len(x.shape) if isinstance(x.shape, tuple) else x.shape.rank


def count_params(x) -> int:
    return int(np.prod(int_shape(x)))


def get_value(x):
    """The value of a tensor or variable as a NumPy array."""
    if isinstance(x, (np.ndarray, np.generic, int, float)):
        return x
    return x.numpy()


eval = get_value  # noqa: A001 - Keras's name


def batch_get_value(tensors) -> list:
    return [get_value(x) for x in tensors]


def set_value(x, value) -> None:
    """Assigns a NumPy value to a variable."""
    x.assign(np.asarray(value, dtype=x.dtype.as_numpy_dtype))


def batch_set_value(tuples) -> None:
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    return x.assign(new_x)


def update_add(x, increment):
    return x.assign_add(increment)


def update_sub(x, decrement):
    return x.assign_sub(decrement)


def moving_average_update(x, value, momentum):
    """x <- x * momentum + value * (1 - momentum)."""
    tf = _tf()
    return x.assign_sub(tf.multiply(tf.subtract(x, value), 1.0 - momentum))


# -- elementwise math -----------------------------------------------------------------------
def square(x):
    return _tf().square(x)


def sqrt(x):
    """Square root of x clipped to [0, inf) (negative inputs give 0, as in Keras)."""
    tf = _tf()
    return tf.sqrt(tf.clip_by_value(x, 0.0, np.inf))


def exp(x):
    return _tf().exp(x)


def log(x):
    return _tf().math.log(x)


def abs(x):  # noqa: A001 - Keras's name
    return _tf().abs(x)


def sign(x):
    return _tf().sign(x)


def round(x):  # noqa: A001 - Keras's name
    """Rounds half to even (0.5 -> 0, 1.5 -> 2)."""
    return _tf().round(x)


def pow(x, a):  # noqa: A001 - Keras's name
    return _tf().pow(x, a)


def sin(x):
    return _tf().sin(x)


def cos(x):
    return _tf().cos(x)


def maximum(x, y):
    return _tf().maximum(x, y)


def minimum(x, y):
    return _tf().minimum(x, y)


def clip(x, min_value, max_value):
    """Clips x to [min_value, max_value] (None means unbounded on that side)."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return _tf().clip_by_value(x, -np.inf if min_value is None else min_value,
                               np.inf if max_value is None else max_value)


def equal(x, y):
    return _tf().equal(x, y)


def not_equal(x, y):
    return _tf().not_equal(x, y)


def greater(x, y):
    return _tf().greater(x, y)


def greater_equal(x, y):
    return _tf().greater_equal(x, y)


def less(x, y):
    return _tf().less(x, y)


def less_equal(x, y):
    return _tf().less_equal(x, y)


# -- reductions -----------------------------------------------------------------------------
def _floaty(x):
    tf = _tf()
    x = tf.convert_to_tensor(x)
    return tf.cast(x, floatx()) if x.dtype == tf.bool else x


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _tf().reduce_sum(x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    return _tf().reduce_prod(x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _tf().reduce_max(x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _tf().reduce_min(x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean along `axis` (bools count as floatx 0/1)."""
    return _tf().reduce_mean(_floaty(x), axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _tf().math.reduce_variance(_floaty(x), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return _tf().math.reduce_std(_floaty(x), axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    tf = _tf()
    return tf.reduce_all(tf.cast(x, tf.bool), axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    tf = _tf()
    return tf.reduce_any(tf.cast(x, tf.bool), axis, keepdims)


def argmax(x, axis=-1):
    return _tf().argmax(x, axis)


def argmin(x, axis=-1):
    return _tf().argmin(x, axis)


def cumsum(x, axis=0):
    return _tf().math.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return _tf().math.cumprod(x, axis=axis)


# -- products -------------------------------------------------------------------------------
def dot(x, y):
    """Matrix product; for N-D tensors contracts x's last axis with y's second-to-last.

    Shapes (2, 3, 4) . (4, 5) -> (2, 3, 5); (2, 3) . (4, 3, 5) -> (2, 4, 5).
    """
    tf = _tf()
    nx, ny = ndim(x), ndim(y)
    if nx <= 2 and ny <= 2:
        return tf.matmul(x, y)
    xs, ys = int_shape(x), int_shape(y)
    k = ys[-2] if ny > 1 else ys[0]
    if ny > 2:  # bring y's contracted axis to the front, then flatten the rest
        perm = [ny - 2] + list(range(ny - 2)) + [ny - 1]
        y2 = tf.reshape(tf.transpose(y, perm), [k, -1])
    else:
        y2 = y
    out = tf.matmul(tf.reshape(x, [-1, k]), y2)
    lead = [d if d is not None else -1 for d in xs[:-1]]
    return tf.reshape(out, lead + list(ys[:-2]) + [ys[-1]])


def batch_dot(x, y, axes=None):
    """Per-sample dot product of two batches (the batch axis is 0)."""
    tf = _tf()
    nx, ny = ndim(x), ndim(y)
    if axes is None:
        axes = [nx - 1, ny - 1 if ny == 2 else ny - 2]
    elif isinstance(axes, int):
        axes = [axes, axes]
    ax, ay = (a % n for a, n in zip(axes, (nx, ny)))
    if nx == 2 and ny == 2:
        return tf.reduce_sum(tf.multiply(x, y), axis=1, keepdims=True)
    xm = x if ax == nx - 1 else tf.transpose(x, [i for i in range(nx) if i != ax] + [ax])
    ym = y if ay == 1 else tf.transpose(y, [0, ay] + [i for i in range(1, ny) if i != ay])
    if nx == 2:
        xm = tf.expand_dims(xm, 1)
    if ny == 2:
        ym = tf.expand_dims(ym, 2)
    out = tf.matmul(xm, ym)
    if nx == 2:
        out = tf.squeeze(out, 1)
    if ny == 2:
        out = tf.squeeze(out, -1)
    return out


def transpose(x):
    """Reverses the axes (`tf.transpose`)."""
    return _tf().transpose(x)


def permute_dimensions(x, pattern):
    return _tf().transpose(x, perm=list(pattern))


# -- shapes ---------------------------------------------------------------------------------
def reshape(x, shape):
    return _tf().reshape(x, shape)


def concatenate(tensors, axis=-1):
    """Concatenates along `axis` (the last by default)."""
    tf = _tf()
    if axis < 0:
        rank = ndim(tensors[0])
        axis = axis % rank if rank else 0
    return tf.concat(list(tensors), axis)


def stack(x, axis=0):
    return _tf().stack(x, axis=axis)


def expand_dims(x, axis=-1):
    return _tf().expand_dims(x, axis)


def squeeze(x, axis):
    return _tf().squeeze(x, [axis])


def flatten(x):
    return _tf().reshape(x, [-1])


def batch_flatten(x):
    """Flattens all but the first axis: (n, a, b) -> (n, a * b)."""
    tf = _tf()
    dims = int_shape(x)
    if dims is not None and None not in dims[1:]:
        return tf.reshape(x, [-1, int(np.prod(dims[1:]))])
    return tf.reshape(x, tf.stack([-1, tf.reduce_prod(tf.shape(x)[1:])]))


def tile(x, n):
    return _tf().tile(x, [n] if isinstance(n, int) else list(n))


def repeat_elements(x, rep, axis):
    return _tf().repeat(x, rep, axis=axis)


def repeat(x, n):
    """Repeats a 2-D tensor: (batch, d) -> (batch, n, d)."""
    tf = _tf()
    return tf.tile(tf.expand_dims(x, 1), [1, n, 1])


def reverse(x, axes):
    return _tf().reverse(x, [axes] if isinstance(axes, int) else list(axes))


def gather(reference, indices):
    return _tf().gather(reference, indices)


def one_hot(indices, num_classes):
    return _tf().one_hot(indices, depth=num_classes, axis=-1)


def switch(condition, then_expression, else_expression):
    """Picks between two tensors (or the results of two callables) by a bool condition."""
    tf = _tf()
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    cond = tf.convert_to_tensor(condition)
    if cond.dtype != tf.bool:
        cond = tf.cast(cond, tf.bool)
    return tf.where(cond, then_expression, else_expression)


def stop_gradient(variables):
    tf = _tf()
    if isinstance(variables, (list, tuple)):
        return [tf.stop_gradient(v) for v in variables]
    return tf.stop_gradient(variables)


def l2_normalize(x, axis=None):
    return _tf().math.l2_normalize(x, axis=axis)


def bias_add(x, bias, data_format=None):
    tf = _tf()
    if data_format == "channels_first" and ndim(x) > 2:
        shape_ = [1, -1] + [1] * (ndim(x) - 2)
        return tf.add(x, tf.reshape(bias, shape_))
    return tf.nn.bias_add(x, bias)


# -- activations and losses -----------------------------------------------------------------
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with a leaky slope `alpha` below `threshold` and an optional cap."""
    tf = _tf()
    x = tf.convert_to_tensor(x)
    if alpha != 0:
        negative_part = tf.nn.relu(tf.add(tf.negative(x), threshold) if threshold
                                   else tf.negative(x))
    if threshold != 0:
        y = tf.multiply(x, tf.cast(tf.greater(x, threshold), x.dtype))
    else:
        y = tf.nn.relu(x)
    if max_value is not None:
        y = tf.clip_by_value(y, 0.0, max_value)
    if alpha != 0:
        y = tf.subtract(y, tf.multiply(negative_part, alpha))
    return y


def elu(x, alpha=1.0):
    tf = _tf()
    res = tf.nn.elu(x)
    return res if alpha == 1 else tf.where(tf.greater(x, 0.0), res, tf.multiply(res, alpha))


def sigmoid(x):
    return _tf().sigmoid(x)


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1)."""
    tf = _tf()
    return tf.clip_by_value(tf.add(tf.multiply(x, 0.2), 0.5), 0.0, 1.0)


def tanh(x):
    return _tf().tanh(x)


def softmax(x, axis=-1):
    return _tf().nn.softmax(x, axis=axis)


def softplus(x):
    return _tf().math.softplus(x)


def softsign(x):
    return _tf().math.softsign(x)


def dropout(x, level, noise_shape=None, seed=None):
    return _tf().nn.dropout(x, rate=level, noise_shape=noise_shape, seed=seed)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy; probabilities are clipped to [eps, 1 - eps]."""
    tf = _tf()
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = epsilon()
    output = tf.clip_by_value(output, eps, 1.0 - eps)
    bce = tf.add(tf.multiply(target, tf.math.log(tf.add(output, eps))),
                 tf.multiply(tf.subtract(1.0, target),
                             tf.math.log(tf.add(tf.subtract(1.0, output), eps))))
    return tf.negative(bce)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot targets and probabilities (or logits) along `axis`."""
    tf = _tf()
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = tf.divide(output, tf.reduce_sum(output, axis, keepdims=True))
    eps = epsilon()
    output = tf.clip_by_value(output, eps, 1.0 - eps)
    return tf.negative(tf.reduce_sum(tf.multiply(target, tf.math.log(output)), axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer class targets and probabilities (or logits)."""
    tf = _tf()
    output = tf.convert_to_tensor(output)
    target = tf.convert_to_tensor(target)
    if target.shape.rank is not None and target.shape.rank == output.shape.rank:
        target = tf.squeeze(target, [-1])
    depth = output.shape[axis]
    onehot = tf.one_hot(tf.cast(target, tf.int32), depth=depth, axis=axis, dtype=output.dtype)
    return categorical_crossentropy(onehot, output, from_logits=from_logits, axis=axis)


def in_top_k(predictions, targets, k):
    return _tf().math.in_top_k(targets, predictions, k)
