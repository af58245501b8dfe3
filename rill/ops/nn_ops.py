"""`tf.nn`: activations, softmax, cross-entropies, normalization helpers and dropout.

Activations whose gradient TensorFlow computes with a dedicated op (ReluGrad, EluGrad, ...)
do so here too, so second derivatives go through the same small ops. Softmax, log-softmax and
the cross-entropies are primitives with stable kernels (they subtract the maximum logit);
gelu, silu, moments, l2_loss, l2_normalize and dropout are compositions of public ops.
Convolution and pooling live in `conv_ops`.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

from rill._core import blas as _blas
from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.op import defop, execute, quiet
from rill._core.tensor_shape import TensorShape
from rill.ops import _buffers
from rill.ops import math_ops as _m
from rill.ops import reduction_ops as _r
from rill.ops._util import check_kinds, to_tensor, unary_op

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
F = "fV"  # the float kinds


def _error(op: str, fn: str, message: str, hint: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{fn}: {message}\nhint: {hint}")


def _floats(x, fn: str, arg: str = "features"):
    x = to_tensor(x)
    if x.dtype._np.kind not in F:
        raise _error(fn, fn, f"{arg} must be a float tensor, got {x.dtype.name}.",
                     f"tf.cast({arg}, tf.float32) first.")
    return x


_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def masked(mask: np.ndarray, a: np.ndarray) -> np.ndarray:
    """`a` where `mask` else 0, exactly (nan and inf outside the mask become 0).

    An AND of the bit patterns: np.where with a random mask is some 30x slower (branches).
    """
    ints = _BITS.get(a.dtype.itemsize)
    if ints is None or a.dtype.kind not in "fV" or mask.shape != a.shape or not a.ndim:
        return np.where(mask, a, np.zeros((), a.dtype))
    bits = mask.view(np.int8).astype(ints)
    np.negative(bits, out=bits)  # True -> all ones
    bits &= a.view(ints)
    return bits.view(a.dtype)


def _grad_rule(dy, x, **attrs):
    return dy.shape.merge_with(x.shape), dy.dtype


def _masked_grad(name: str, kernel, public: str):
    """An op g(dy, x) = dy * mask(x): its gradient is itself for dy and zero for x."""
    def grad(op, ddy):
        return execute(opdef, (ddy, op.inputs[1]), op.attrs), None

    opdef = defop(name, kernel, _grad_rule, grad, public_name=public)
    return opdef


# -- rectifiers ---------------------------------------------------------------------------
def _relu_grad_kernel(dy, y):
    # dy * (y > 0) as TensorFlow computes it: a nan or inf dy where y <= 0 gives nan (0 * inf),
    # a nan y gives 0. One pass with the mask cast in the loop: some 25% faster than `masked`.
    if type(dy) is not np.ndarray or type(y) is not np.ndarray or dy.shape != y.shape or \
            dy.nbytes < _buffers.MIN_BYTES:
        return np.multiply(dy, y > 0, dtype=dy.dtype)
    mask = np.greater(y, 0, out=_buffers.empty(y.shape, np.bool_))  # recycled: see _buffers
    return np.multiply(dy, mask, dtype=dy.dtype, out=_buffers.empty(dy.shape, dy.dtype))


RELU_GRAD = _masked_grad("ReluGrad", _relu_grad_kernel, "tf.nn.relu (gradient)")
relu = unary_op("Relu", lambda x: np.maximum(x, 0),
                lambda op, dy: (execute(RELU_GRAD, (dy, op.outputs[0])),), "tf.nn.relu",
                kinds="fViu", doc="max(x, 0) elementwise (`tf.nn.relu`).")
# these kernels return arrays nobody else holds: compiled code may overwrite them in place
relu.opdef.fresh_output = RELU_GRAD.fresh_output = True

RELU6_GRAD = _masked_grad("Relu6Grad", lambda dy, x: masked((x > 0) & (x < 6), dy),
                          "tf.nn.relu6 (gradient)")
relu6 = unary_op("Relu6", lambda x: np.minimum(np.maximum(x, 0), 6),
                 lambda op, dy: (execute(RELU6_GRAD, (dy, op.inputs[0])),), "tf.nn.relu6",
                 kinds="fViu", doc="min(max(x, 0), 6) elementwise (`tf.nn.relu6`).")


def _relu_mask_of_negative(a, y):
    """a where y < 0, else 0 (the y-derivative of EluGrad and SeluGrad)."""
    return execute(RELU_GRAD, (a, _m.negative(y)))


def _elu_grad_kernel(dy, y):
    one = y.dtype.type(1)  # typed scalars: NumPy resolves Python numbers slowly
    return (np.fmin(y, y.dtype.type(0)) + one) * dy  # fmin: a NaN y gives dy, as in TF


def _elu_kernel(x):
    zero = x.dtype.type(0)
    return np.expm1(np.minimum(x, zero)) + np.maximum(x, zero)


ELU_GRAD = defop("EluGrad", _elu_grad_kernel, _grad_rule,
                 lambda op, ddy: (execute(ELU_GRAD, (ddy, op.inputs[1])),
                                  _relu_mask_of_negative(_m.multiply(ddy, op.inputs[0]),
                                                         op.inputs[1])),
                 public_name="tf.nn.elu (gradient)")
elu = unary_op("Elu", _elu_kernel,
               lambda op, dy: (execute(ELU_GRAD, (dy, op.outputs[0])),), "tf.nn.elu",
               kinds=F, doc="x if x > 0 else exp(x) - 1 (`tf.nn.elu`).")


def _selu_kernel(x):
    neg = np.expm1(np.minimum(x, 0)) * x.dtype.type(_SELU_ALPHA)
    return (neg + np.maximum(x, 0)) * x.dtype.type(_SELU_SCALE)


def _selu_grad_kernel(dy, y):
    t = y.dtype.type
    # y < 0: d/dx = y + scale * alpha; else scale
    shift = t(_SELU_SCALE * _SELU_ALPHA - _SELU_SCALE)
    return dy * (masked(y < 0, y + shift) + t(_SELU_SCALE))


SELU_GRAD = defop("SeluGrad", _selu_grad_kernel, _grad_rule,
                  lambda op, ddy: (execute(SELU_GRAD, (ddy, op.inputs[1])),
                                   _relu_mask_of_negative(_m.multiply(ddy, op.inputs[0]),
                                                          op.inputs[1])),
                  public_name="tf.nn.selu (gradient)")
selu = unary_op("Selu", _selu_kernel,
                lambda op, dy: (execute(SELU_GRAD, (dy, op.outputs[0])),), "tf.nn.selu",
                kinds=F, doc="Scaled exponential linear unit, scale * elu(x) with alpha "
                             "1.67326 and scale 1.05070 (`tf.nn.selu`).")


def _leaky_grad_kernel(dy, pos, alpha):
    return masked(pos, dy) + masked(~pos, dy * dy.dtype.type(alpha))


def _leaky_kernel(x, *, alpha):
    return _leaky_grad_kernel(x, x > 0, alpha)


LEAKY_RELU_GRAD = _masked_grad(
    "LeakyReluGrad", lambda dy, x, *, alpha: _leaky_grad_kernel(dy, x > 0, alpha),
    "tf.nn.leaky_relu (gradient)")
LEAKY_RELU = defop("LeakyRelu", _leaky_kernel, lambda x, **a: (x.shape, x.dtype),
                   lambda op, dy: (execute(LEAKY_RELU_GRAD, (dy, op.inputs[0]), op.attrs),),
                   public_name="tf.nn.leaky_relu")


def leaky_relu(features, alpha=0.2, name=None):
    """x if x > 0 else alpha * x (`tf.nn.leaky_relu`).

    >>> tf.nn.leaky_relu(tf.constant([-1., 2.])).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    x = to_tensor(features)
    check_kinds(LEAKY_RELU, F, x, "features")
    return execute(LEAKY_RELU, (x,), {"alpha": float(alpha)})


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit, x * P(X <= x) for X ~ N(0, 1) (`tf.nn.gelu`).

    `approximate=True` uses the tanh approximation
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).

    >>> round(float(tf.nn.gelu(tf.constant(1.0))), 4)
    0.8413
    """
    x = _floats(features, "tf.nn.gelu")
    if approximate:
        inner = _m.multiply(_m.add(x, _m.multiply(_m.pow(x, 3.0), 0.044715)),
                            _pymath.sqrt(2.0 / _pymath.pi))
        return _m.multiply(_m.multiply(x, 0.5), _m.add(_m.tanh(inner), 1.0))
    return _m.multiply(_m.multiply(x, 0.5),
                       _m.add(_m.erf(_m.multiply(x, 1.0 / _pymath.sqrt(2.0))), 1.0))


def silu(features, beta=1.0):
    """x * sigmoid(beta * x), also called swish (`tf.nn.silu`, `tf.nn.swish`).

    >>> round(float(tf.nn.silu(tf.constant(1.0))), 4)
    0.7311
    """
    x = _floats(features, "tf.nn.silu")
    if isinstance(beta, (int, float)) and beta == 1.0:
        return _m.multiply(x, _m.sigmoid(x))
    return _m.multiply(x, _m.sigmoid(_m.multiply(x, beta)))


swish = silu


# -- softmax ------------------------------------------------------------------------------
@quiet
def _softmax_kernel(x, *, axis):
    if x.shape[axis] == 0:
        return np.empty_like(x)
    m = x.max(axis=axis, keepdims=True)  # methods: np.max's dispatch costs a microsecond
    e = np.subtract(x, m)
    np.exp(e, out=e)
    total = e.sum(axis=axis, keepdims=True)
    e /= total
    total = total.sum()  # NaN exactly when a row's max is not finite
    if total != total and x.dtype != np.float64:
        # TensorFlow's float32/16 kernels: in a row holding NaN or +inf, those entries are
        # NaN and the others 0 (float64 rows are all NaN, as computed here)
        bad = np.isnan(x) | (x == np.inf)
        e = np.where(bad.any(axis=axis, keepdims=True), np.where(bad, np.nan, 0), e)
        e = e.astype(x.dtype)
    return e


@quiet
def _log_softmax_kernel(x, *, axis):
    if x.shape[axis] == 0:
        return np.empty_like(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    shifted -= np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted


def _softmax_grad(op, dy):
    y, axis = op.outputs[0], op.attrs["axis"]
    return (_m.multiply(y, _m.subtract(dy, _r.reduce_sum(_m.multiply(dy, y), axis=axis,
                                                         keepdims=True))),)


def _log_softmax_grad(op, dy):
    y, axis = op.outputs[0], op.attrs["axis"]
    return (_m.subtract(dy, _m.multiply(_m.exp(y), _r.reduce_sum(dy, axis=axis,
                                                                 keepdims=True))),)


def _axis_rule(x, *, axis):
    r = x.shape.rank
    if r is not None and not -r <= axis < r:
        raise ValueError(f"axis {axis} is out of range for a tensor of rank {r}")
    return x.shape, x.dtype


SOFTMAX = defop("Softmax", _softmax_kernel, _axis_rule, _softmax_grad,
                public_name="tf.nn.softmax")
LOG_SOFTMAX = defop("LogSoftmax", _log_softmax_kernel, _axis_rule, _log_softmax_grad,
                    public_name="tf.nn.log_softmax")


def _axis_arg(x, axis, opdef, fn: str) -> int:
    check_kinds(opdef, F, x, "logits")
    axis = -1 if axis is None else int(axis)
    r = x.shape.rank
    if r == 0:
        raise _error(opdef.name, fn, "logits must have rank >= 1, got a scalar.",
                     "pass a vector (or batch of vectors) of logits.")
    if r is not None and not -r <= axis < r:
        raise _error(opdef.name, fn, f"axis {axis} is out of range for logits of rank {r}.",
                     f"use an axis in [-{r}, {r}); -1 is the usual class axis.")
    return axis


def softmax(logits, axis=None, name=None):
    """exp(x) / sum(exp(x)) along `axis` (default -1), stable for large logits.

    >>> tf.nn.softmax(tf.constant([0., 0.])).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    x = to_tensor(logits)
    return execute(SOFTMAX, (x,), {"axis": _axis_arg(x, axis, SOFTMAX, "tf.nn.softmax")})


def log_softmax(logits, axis=None, name=None):
    """x - log(sum(exp(x))) along `axis` (default -1), stable for large logits.

    >>> tf.nn.log_softmax(tf.constant([1000., 0.])).numpy()
    array([    0., -1000.], dtype=float32)
    """
    x = to_tensor(logits)
    return execute(LOG_SOFTMAX, (x,),
                   {"axis": _axis_arg(x, axis, LOG_SOFTMAX, "tf.nn.log_softmax")})


# -- cross-entropies ----------------------------------------------------------------------
def _sigmoid_xent_kernel(x, z):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def _sigmoid_xent_rule(x, z):
    if x.dtype is not z.dtype:
        raise ValueError(f"logits and labels dtypes differ: {x.dtype.name} vs {z.dtype.name}")
    return x.shape.merge_with(z.shape), x.dtype


def _sigmoid_xent_grad(op, dy):
    x, z = op.inputs
    gx = _m.multiply(dy, _m.subtract(_m.sigmoid(x), z)) if op.needs_grad(0) else None
    gz = _m.negative(_m.multiply(dy, x)) if op.needs_grad(1) else None
    return gx, gz


SIGMOID_XENT = defop("SigmoidCrossEntropyWithLogits", _sigmoid_xent_kernel,
                     _sigmoid_xent_rule, _sigmoid_xent_grad,
                     public_name="tf.nn.sigmoid_cross_entropy_with_logits")


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)) for labels z and logits
    x, computed as max(x, 0) - x z + log(1 + exp(-|x|)), stable for any x.

    >>> tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([1.]),
    ...                                         logits=tf.constant([1000.])).numpy()
    array([0.], dtype=float32)
    """
    fn = "tf.nn.sigmoid_cross_entropy_with_logits"
    if labels is None or logits is None:
        raise ValueError(f"{fn}: both labels and logits must be given.\nhint: "
                         f"{fn}(labels=y, logits=x)")
    x = to_tensor(logits)
    z = to_tensor(labels, dtype=x.dtype) if not hasattr(labels, "dtype") else to_tensor(labels)
    check_kinds(SIGMOID_XENT, F, x, "logits")
    if x.dtype is not z.dtype:
        raise _error(SIGMOID_XENT.name, fn, f"labels are {z.dtype.name} but logits are "
                     f"{x.dtype.name}.", f"tf.cast(labels, tf.{x.dtype.name}).")
    if not x.shape.is_compatible_with(z.shape):
        raise ValueError(f"{fn}: logits and labels must have the same shape, got "
                         f"{x.shape} and {z.shape}.\nhint: reshape the labels to the "
                         f"logits' shape.")
    return execute(SIGMOID_XENT, (x, z))


def _softmax_xent_kernel(x, labels, *, axis):
    return np.sum(labels * -_log_softmax_kernel(x, axis=axis), axis=axis)


def _reduced_rule(x, labels, *, axis):
    if x.dtype is not labels.dtype:
        raise ValueError(f"logits and labels dtypes differ: {x.dtype.name} vs "
                         f"{labels.dtype.name}")
    s = x.shape.merge_with(labels.shape)
    if s.rank is None:
        return TensorShape(None), x.dtype
    dims = s.as_list()
    del dims[axis]
    return TensorShape(dims), x.dtype


def _softmax_xent_grad(op, dy):
    from rill.ops.array_ops import expand_dims
    x, labels = op.inputs
    axis = op.attrs["axis"]
    dy = expand_dims(dy, axis)
    gx = gl = None
    if op.needs_grad(0):  # exact also when the labels do not sum to one
        total = _r.reduce_sum(labels, axis=axis, keepdims=True)
        gx = _m.multiply(dy, _m.subtract(_m.multiply(softmax(x, axis), total), labels))
    if op.needs_grad(1):
        gl = _m.negative(_m.multiply(dy, log_softmax(x, axis)))
    return gx, gl


SOFTMAX_XENT = defop("SoftmaxCrossEntropyWithLogits", _softmax_xent_kernel, _reduced_rule,
                     _softmax_xent_grad,
                     public_name="tf.nn.softmax_cross_entropy_with_logits")


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)) along `axis`, stable for large logits.

    Each slice of `labels` along `axis` should be a probability distribution.

    >>> tf.nn.softmax_cross_entropy_with_logits([[0., 1.]], [[0., 1000.]]).numpy()
    array([0.], dtype=float32)
    """
    fn = "tf.nn.softmax_cross_entropy_with_logits"
    x = to_tensor(logits)
    z = to_tensor(labels, dtype=x.dtype) if not hasattr(labels, "dtype") else to_tensor(labels)
    axis = _axis_arg(x, axis, SOFTMAX_XENT, fn)
    if x.dtype is not z.dtype:
        raise _error(SOFTMAX_XENT.name, fn, f"labels are {z.dtype.name} but logits are "
                     f"{x.dtype.name}.", f"tf.cast(labels, tf.{x.dtype.name}).")
    if not x.shape.is_compatible_with(z.shape):
        raise _error(SOFTMAX_XENT.name, fn, f"logits and labels must have the same shape, "
                     f"got {x.shape} and {z.shape}.", "one-hot encode integer labels with "
                     "tf.one_hot, or use tf.nn.sparse_softmax_cross_entropy_with_logits.")
    return execute(SOFTMAX_XENT, (x, z), {"axis": axis})


def _sparse_xent_kernel(x, labels):
    n = x.shape[-1]
    shifted = x - x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1))
    try:  # indexing refuses labels >= n; negative ones are checked here
        if labels.size and labels.min() < 0:
            raise IndexError
        if shifted.ndim == 2:  # a batch of rows: plain indexing (take_along_axis: 5 us)
            return lse - shifted[np.arange(len(shifted)), labels]
        return lse - np.take_along_axis(shifted, labels[..., None].astype(np.intp), -1)[..., 0]
    except IndexError:
        bad = labels[(labels < 0) | (labels >= n)].reshape(-1)
        if not bad.size:  # not a label: shapes that do not match
            raise
        bad = bad[0]
        raise InvalidArgumentError(
            None, "SparseSoftmaxCrossEntropyWithLogits",
            f"Received a label value of {bad} which is outside the valid range of [0, {n}).  "
            f"Label values: {' '.join(str(v) for v in labels.reshape(-1)[:20])} "
            f"[Op:SparseSoftmaxCrossEntropyWithLogits]\nhint: labels are class indices in "
            f"[0, {n}) for {n} classes; check the label encoding or the number of logits."
        ) from None


def _sparse_xent_rule(x, labels):
    s = x.shape
    if s.rank is None:
        return labels.shape, x.dtype
    if s.rank < 1:
        raise ValueError("logits must have rank >= 1")
    return s[:-1].merge_with(labels.shape), x.dtype


def _one_hot_like(labels, x):
    out = np.zeros(x.shape, dtype=x.dtype)
    if out.ndim == 2:  # a batch of rows: plain indexing (put_along_axis costs 5 us)
        out[np.arange(len(out)), labels] = 1
    else:
        np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    return out


_ONE_HOT_LIKE = defop("_LabelsOneHot", _one_hot_like, lambda labels, x: (x.shape, x.dtype),
                      None, public_name="tf.nn.sparse_softmax_cross_entropy_with_logits")


def _sparse_xent_grad(op, dy):
    from rill.ops.array_ops import expand_dims
    x, labels = op.inputs
    hot = execute(_ONE_HOT_LIKE, (labels, x))
    return _m.multiply(expand_dims(dy, -1), _m.subtract(softmax(x), hot)), None


SPARSE_XENT = defop("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent_kernel,
                    _sparse_xent_rule, _sparse_xent_grad,
                    public_name="tf.nn.sparse_softmax_cross_entropy_with_logits")


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Cross-entropy between integer class `labels` and `logits` over the last axis:
    logsumexp(logits) - logits[label], stable for large logits.

    >>> tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[0., 1000.]]).numpy()
    array([0.], dtype=float32)
    """
    fn = "tf.nn.sparse_softmax_cross_entropy_with_logits"
    x = to_tensor(logits)
    y = to_tensor(labels)
    check_kinds(SPARSE_XENT, F, x, "logits")
    if not y.dtype.is_integer:
        raise _error(SPARSE_XENT.name, fn, f"labels must be int32 or int64 class indices, got "
                     f"{y.dtype.name}.", "tf.cast(labels, tf.int32), or use "
                     "tf.nn.softmax_cross_entropy_with_logits for probability labels.")
    xs, ys = x.shape, y.shape
    if xs.rank is not None and ys.rank is not None and (
            ys.rank != xs.rank - 1 or not xs[:-1].is_compatible_with(ys)):
        raise ValueError(f"{fn}: labels of shape {ys} must have the shape of logits "
                         f"{xs} without its last (class) axis.\nhint: labels hold one class "
                         f"index per example, e.g. shape {xs[:-1]}.")
    return execute(SPARSE_XENT, (x, y))


# -- bias, normalization, regularization --------------------------------------------------
def _channel_axis(ndim: int, data_format) -> int:
    return 1 if data_format is not None and str(data_format).startswith("NC") and ndim > 2 \
        else -1


def _bias_add_kernel(x, b, *, data_format):
    if _channel_axis(x.ndim, data_format) == 1:
        return x + b.reshape((-1,) + (1,) * (x.ndim - 2))
    return x + b


def _bias_add_rule(x, b, *, data_format):
    if x.dtype is not b.dtype:
        raise ValueError(f"value and bias dtypes differ: {x.dtype.name} vs {b.dtype.name}")
    return x.shape, x.dtype


def _bias_add_grad(op, dy):
    gb = execute(BIAS_ADD_GRAD, (dy,), op.attrs) if op.needs_grad(1) else None
    return dy, gb


def _bias_grad_kernel(dy, *, data_format):
    c = _channel_axis(dy.ndim, data_format) % dy.ndim
    if c == dy.ndim - 1 and dy.dtype in (np.float32, np.float64) and dy.ndim > 1:
        # channels last: a product with ones runs in BLAS, some 3-4x faster than np.sum over
        # the leading axes on the W6 shapes (np.sum reduces a (N, C) view column by column)
        rows = dy.reshape(-1, dy.shape[-1])
        _blas.for_flops(rows.size)
        return np.ones(rows.shape[0], dy.dtype) @ rows
    return np.sum(dy, axis=tuple(i for i in range(dy.ndim) if i != c), dtype=dy.dtype)


def _bias_grad_rule(dy, *, data_format):
    if dy.shape.rank is None:
        return TensorShape([None]), dy.dtype
    return TensorShape([dy.shape[_channel_axis(dy.shape.rank, data_format)]]), dy.dtype


BIAS_ADD = defop("BiasAdd", _bias_add_kernel, _bias_add_rule, _bias_add_grad,
                 public_name="tf.nn.bias_add")
BIAS_ADD_GRAD = defop(
    "BiasAddGrad", _bias_grad_kernel, _bias_grad_rule,
    lambda op, ddb: (execute(BIAS_ADD, (_m.zeros_like(op.inputs[0]), ddb), op.attrs),),
    public_name="tf.nn.bias_add (gradient)")
BIAS_ADD.fresh_output = BIAS_ADD_GRAD.fresh_output = True  # see relu's


def bias_add(value, bias, data_format=None, name=None):
    """Adds a 1-D `bias` along the channel axis of `value` (last; second for 'NC...').

    >>> tf.nn.bias_add(tf.zeros([2, 3]), tf.constant([1., 2., 3.])).numpy()[0]
    array([1., 2., 3.], dtype=float32)
    """
    fn = "tf.nn.bias_add"
    x = to_tensor(value)
    b = to_tensor(bias, dtype=x.dtype) if not hasattr(bias, "dtype") else to_tensor(bias)
    if x.dtype is not b.dtype:
        raise _error("BiasAdd", fn, f"bias is {b.dtype.name} but value is {x.dtype.name}.",
                     f"tf.cast(bias, tf.{x.dtype.name}).")
    if data_format is not None and str(data_format) not in (
            "NHWC", "NCHW", "NWC", "NCW", "NDHWC", "NCDHW", "N...C", "NC..."):
        raise ValueError(f"{fn}: unknown data_format {data_format!r}.\nhint: use 'NHWC' or "
                         f"'NCHW' (or None for channels last).")
    r = x.shape.rank
    if b.shape.rank is not None and b.shape.rank != 1:
        raise ValueError(f"{fn}: bias must be 1-D, got shape {b.shape}.\nhint: pass one value "
                         f"per channel.")
    if r is not None:
        if r < 2:
            raise ValueError(f"{fn}: value must have rank >= 2, got shape {x.shape}.\nhint: "
                             f"add a batch axis, or use tf.add for vectors.")
        c = x.shape[_channel_axis(r, data_format)]
        if c is not None and b.shape.rank == 1 and b.shape[0] not in (None, c):
            raise _error("BiasAdd", fn, f"bias of size {b.shape[0]} does not match the "
                         f"{c} channels of value (shape {x.shape}).",
                         "give one bias per channel (check data_format).")
    return execute(BIAS_ADD, (x, b), {"data_format": data_format})


def l2_loss(t, name=None):
    """sum(t ** 2) / 2 (`tf.nn.l2_loss`).

    >>> float(tf.nn.l2_loss(tf.constant([1., 2.])))
    2.5
    """
    return _m.multiply(_r.reduce_sum(_m.square(to_tensor(t))), 0.5)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon)) (`tf.math.l2_normalize`, also in tf.nn
    and tf.linalg).

    >>> tf.nn.l2_normalize(tf.constant([3., 4.])).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    x = to_tensor(x)
    axis = dim if axis is None else axis
    if x.dtype.is_complex:
        sq = _m.real(_m.multiply(x, _m.conj(x)))
        inv = _m.rsqrt(_m.maximum(_r.reduce_sum(sq, axis=axis, keepdims=True), epsilon))
        return _m.multiply(x, _m.cast(inv, x.dtype))
    sq = _r.reduce_sum(_m.square(x), axis=axis, keepdims=True)
    return _m.multiply(x, _m.rsqrt(_m.maximum(sq, epsilon)))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance of `x` over `axes`: `(mean, variance)`.

    float16/bfloat16 inputs are accumulated in float32, as TensorFlow does.

    >>> [float(t) for t in tf.nn.moments(tf.constant([1., 2., 3., 4.]), axes=[0])]
    [2.5, 1.25]
    """
    x = to_tensor(x)
    low = x.dtype in (_dtypes.float16, _dtypes.bfloat16)
    y = _m.cast(x, _dtypes.float32) if low else x
    mean = _r.reduce_mean(y, axis=axes, keepdims=True)
    var = _r.reduce_mean(_m.squared_difference(y, mean), axis=axes, keepdims=True)
    if not keepdims:
        from rill.ops.array_ops import squeeze
        mean, var = squeeze(mean, axes), squeeze(var, axes)
    if low:
        mean, var = _m.cast(mean, x.dtype), _m.cast(var, x.dtype)
    return mean, var


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + variance_epsilon) + offset (`offset` and
    `scale` may be None)."""
    x = to_tensor(x)
    inv = _m.rsqrt(_m.add(variance, variance_epsilon))
    if scale is not None:
        inv = _m.multiply(inv, scale)
    shift = _m.negative(_m.multiply(mean, inv))
    if offset is not None:
        shift = _m.add(shift, offset)
    return _m.add(_m.multiply(x, _m.cast(inv, x.dtype)), _m.cast(shift, x.dtype))


# -- dropout ------------------------------------------------------------------------------
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate),
    so the expected sum is unchanged. `noise_shape` (broadcastable to x's shape; None
    entries take x's size) shares one decision along axes of size 1.

    >>> tf.nn.dropout(tf.ones([4]), rate=0.0).numpy()
    array([1., 1., 1., 1.], dtype=float32)
    """
    from rill.ops import random_ops
    from rill.ops.array_ops import shape as shape_of
    fn = "tf.nn.dropout"
    x = to_tensor(x)
    if not x.dtype.is_floating:
        raise ValueError(f"{fn}: x has dtype {x.dtype.name}, but dropout only works on "
                         f"floating-point tensors.\nhint: tf.cast(x, tf.float32) first.")
    if isinstance(rate, (int, float)):
        if not 0 <= rate < 1:
            raise ValueError(f"{fn}: rate must be a scalar tensor or a float in the range "
                             f"[0, 1), got {rate}.\nhint: rate is the fraction to drop; "
                             f"keep_prob = 1 - rate.")
        if rate == 0:
            return x
    if noise_shape is None:
        noise = shape_of(x)
    else:
        dims = list(noise_shape)
        if any(d is None for d in dims):
            full = x.shape.as_list() if x.shape.rank is not None else [None] * len(dims)
            dims = [full[i] if d is None else d for i, d in enumerate(dims)]
        noise = dims
    keep = _m.greater_equal(random_ops.uniform(noise, dtype=x.dtype, seed=seed),
                            _m.cast(rate, x.dtype) if hasattr(rate, "dtype") else rate)
    scale = _m.divide_no_check(1.0, _m.subtract(1.0, _m.cast(rate, x.dtype))) \
        if hasattr(rate, "dtype") else 1.0 / (1.0 - rate)
    return _m.multiply(_m.multiply(x, scale), _m.cast(keep, x.dtype))


# -- small composites ---------------------------------------------------------------------
def crelu(features, axis=-1, name=None):
    """Concatenates relu(x) and relu(-x) along `axis` (doubling its size)."""
    from rill.ops.manip_ops import concat
    x = to_tensor(features)
    return concat([relu(x), relu(_m.negative(x))], axis)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """sigmoid_cross_entropy_with_logits with the positive term weighted by `pos_weight`:
    (1 - z) x + (1 + (q - 1) z) log(1 + exp(-x)), stable for any x."""
    x = to_tensor(logits)
    z = to_tensor(labels, dtype=x.dtype) if not hasattr(labels, "dtype") else to_tensor(labels)
    q = to_tensor(pos_weight, dtype=x.dtype) if not hasattr(pos_weight, "dtype") else \
        to_tensor(pos_weight)
    log_weight = _m.add(_m.multiply(_m.subtract(q, 1.0), z), 1.0)
    # log(1 + exp(-x)) = softplus(-x), stable in both tails
    return _m.add(_m.multiply(_m.subtract(1.0, z), x),
                  _m.multiply(log_weight, _m.softplus(_m.negative(x))))


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """exp(log_input) - targets * log_input (plus Stirling's term for targets > 1 when
    `compute_full_loss`)."""
    c = to_tensor(log_input)
    z = to_tensor(targets, dtype=c.dtype) if not hasattr(targets, "dtype") else \
        to_tensor(targets)
    loss = _m.subtract(_m.exp(c), _m.multiply(z, c))
    if not compute_full_loss:
        return loss
    stirling = _m.add(_m.subtract(_m.multiply(z, _m.log(z)), z),
                      _m.multiply(_m.log(_m.multiply(z, 2.0 * _pymath.pi)), 0.5))
    return _m.add(loss, _m.select(_m.greater(z, 1.0), stirling, _m.zeros_like(z)))


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """Mean and variance from sufficient statistics: `(mean, variance)`."""
    divisor = _m.divide_no_check(1.0, counts)
    shifted_mean = _m.multiply(mean_ss, divisor)
    mean = shifted_mean if shift is None else _m.add(shifted_mean, shift)
    variance = _m.subtract(_m.multiply(variance_ss, divisor), _m.square(shifted_mean))
    return mean, variance


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None,
                         name=None):
    """sum(per_example_loss * sample_weight) / global_batch_size (default: the batch size)."""
    loss = to_tensor(per_example_loss)
    if sample_weight is not None:
        loss = _m.multiply(loss, sample_weight)
    total = _r.reduce_sum(loss)
    if global_batch_size is None:
        from rill.ops.array_ops import shape
        global_batch_size = _m.cast(shape(loss)[0], loss.dtype) if loss.shape.rank else 1.0
    return _m.divide_no_check(total, global_batch_size)


def scale_regularization_loss(regularization_loss, name=None):
    """The sum of the regularization losses (one replica: nothing to scale)."""
    if isinstance(regularization_loss, (list, tuple)):
        return _m.add_n(list(regularization_loss))
    return to_tensor(regularization_loss)


def zero_fraction(value, name=None):
    """The fraction of zeros in `value`, as a float32 scalar."""
    from rill.ops.reduction_ops import reduce_mean
    x = to_tensor(value)
    return reduce_mean(_m.cast(_m.equal(x, _m.zeros_like(x)), _dtypes.float32))


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` at `ids` (`tf.gather(params, ids)`), clipped to `max_norm`."""
    from rill.ops.gather_scatter_ops import gather
    out = gather(params, ids)
    if max_norm is not None:
        from rill.ops.array_ops import clip_by_norm
        out = clip_by_norm(out, max_norm, axes=[-1])
    return out


__tf_names__ = {
    "linalg math nn": "l2_normalize",
    "math nn": "log_softmax softmax zero_fraction",
    "nn": "batch_normalization bias_add compute_average_loss crelu dropout elu embedding_lookup "
          "gelu l2_loss leaky_relu log_poisson_loss moments normalize_moments relu relu6 "
          "scale_regularization_loss selu sigmoid_cross_entropy_with_logits silu "
          "softmax_cross_entropy_with_logits sparse_softmax_cross_entropy_with_logits swish "
          "weighted_cross_entropy_with_logits",
}
