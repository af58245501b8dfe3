"""Op specs for rill/ops/nn_ops.py and rill/ops/conv_ops.py (format: tests/ops/opspec.py).

The convolution and pooling references below loop over output positions (slow, obviously
correct) and compute SAME padding with TensorFlow's documented rule: output = ceil(in /
stride), total padding = max((output - 1) * stride + effective_kernel - in, 0), the smaller
half before.
"""

import math

import numpy as np

from rill._core.op import execute
from rill.ops import conv_ops as C
from rill.ops import nn_ops as N
from tests.ops.opspec import OpSpec, normal

SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def away_from(*shape, points=(0.0,), gap=0.1, scale=2.0):
    """Normals kept `gap` away from the kinks at `points` (numerical gradients are smooth)."""
    def make(rng):
        x = rng.standard_normal(shape) * scale
        for p in points:
            near = np.abs(x - p) < gap
            x[near] = p + np.where(x[near] >= p, gap, -gap) * 2
        return x
    return make


def labels_dist(*shape):
    def make(rng):
        e = rng.uniform(0.1, 1.0, shape)
        return e / e.sum(-1, keepdims=True)
    return make


def int_labels(*shape, n):
    return lambda rng: rng.integers(0, n, shape).astype(np.int32)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _log_softmax(x, axis=-1):
    return np.log(_softmax(x, axis))


def _erf(x):
    return np.vectorize(math.erf)(x)


# -- convolution references ---------------------------------------------------------------
def same_pads(n, k, s, d=1):
    ek = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + ek - n, 0)
    return total // 2, total - total // 2


def pads_for(x_shape, k, s, padding, d=1):
    if padding == "VALID":
        return [(0, 0)] * len(k)
    if padding == "SAME":
        return [same_pads(n, kk, s, d) for n, kk in zip(x_shape[1:-1], k)]
    return padding


def conv_ref(x, w, s=1, padding="VALID", d=1):
    """out[n, i, j, f] = sum_{a, b, c} xpad[n, i*s + a*d, j*s + b*d, c] w[a, b, c, f]."""
    kh, kw = w.shape[:2]
    (pt, pb), (pl, pr) = pads_for(x.shape, (kh, kw), s, padding, d)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (xp.shape[1] - (kh - 1) * d - 1) // s + 1
    ow = (xp.shape[2] - (kw - 1) * d - 1) // s + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[-1]))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * s:i * s + (kh - 1) * d + 1:d, j * s:j * s + (kw - 1) * d + 1:d]
            out[:, i, j] = np.einsum("nabc,abcf->nf", patch, w)
    return out


def conv_input_ref(x_shape, w, dy, s=1, padding="VALID", d=1):
    """The adjoint of conv_ref in x: scatter each output's gradient back over its window."""
    kh, kw = w.shape[:2]
    (pt, pb), (pl, pr) = pads_for(x_shape, (kh, kw), s, padding, d)
    dxp = np.zeros((x_shape[0], x_shape[1] + pt + pb, x_shape[2] + pl + pr, x_shape[3]))
    for i in range(dy.shape[1]):
        for j in range(dy.shape[2]):
            dxp[:, i * s:i * s + (kh - 1) * d + 1:d, j * s:j * s + (kw - 1) * d + 1:d] += \
                np.einsum("nf,abcf->nabc", dy[:, i, j], w)
    return dxp[:, pt:pt + x_shape[1], pl:pl + x_shape[2]]


def conv_filter_ref(x, w_shape, dy, s=1, padding="VALID", d=1):
    kh, kw = w_shape[:2]
    (pt, pb), (pl, pr) = pads_for(x.shape, (kh, kw), s, padding, d)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros(w_shape)
    for i in range(dy.shape[1]):
        for j in range(dy.shape[2]):
            patch = xp[:, i * s:i * s + (kh - 1) * d + 1:d, j * s:j * s + (kw - 1) * d + 1:d]
            dw += np.einsum("nabc,nf->abcf", patch, dy[:, i, j])
    return dw


def dense_filter(w):
    """A depthwise filter (kh, kw, C, M) as the dense one (kh, kw, C, C * M) it stands for:
    output channel c * M + m reads input channel c only."""
    c, m = w.shape[2:]
    full = np.zeros(w.shape[:2] + (c, c * m))
    for ch in range(c):
        full[:, :, ch, ch * m:(ch + 1) * m] = w[:, :, ch, :]
    return full


def depthwise_ref(x, w, s=1, padding="VALID", d=1):
    return conv_ref(x, dense_filter(w), s, padding, d)


def depthwise_filter_ref(x, w_shape, dy, s=1, padding="VALID", d=1):
    """The dense filter's gradient, read on the depthwise filter's entries."""
    c, m = w_shape[2:]
    full = conv_filter_ref(x, w_shape[:2] + (c, c * m), dy, s, padding, d)
    return np.stack([full[:, :, ch, ch * m:(ch + 1) * m] for ch in range(c)], axis=2)


def pool_ref(x, k, s, padding, how):
    (pt, pb), (pl, pr) = pads_for(x.shape, (k, k), s, padding)
    h, w = x.shape[1:3]
    oh = (h + pt + pb - k) // s + 1
    ow = (w + pl + pr - k) // s + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - pt, j * s - pl
            win = x[:, max(r0, 0):min(r0 + k, h), max(c0, 0):min(c0 + k, w)]
            out[:, i, j] = win.max((1, 2)) if how == "max" else win.mean((1, 2))
    return out


def max_pool_grad_ref(x, dy, k, s, padding):
    """Each output's gradient goes to the first maximum of its window (row-major)."""
    (pt, pb), (pl, pr) = pads_for(x.shape, (k, k), s, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    dxp = np.zeros_like(xp)
    for n in range(x.shape[0]):
        for c in range(x.shape[3]):
            for i in range(dy.shape[1]):
                for j in range(dy.shape[2]):
                    win = xp[n, i * s:i * s + k, j * s:j * s + k, c]
                    a, b = np.unravel_index(np.argmax(win), win.shape)
                    dxp[n, i * s + a, j * s + b, c] += dy[n, i, j, c]
    return dxp[:, pt:pt + x.shape[1], pl:pl + x.shape[2]]


def _attrs(s=1, padding="VALID", d=1, ns=2):
    explicit = None
    if not isinstance(padding, str):
        explicit, padding = tuple(tuple(p) for p in padding), "EXPLICIT"
    return {"strides": (s,) * ns, "dilations": (d,) * ns, "padding": padding,
            "explicit": explicit}


def _conv_specs():
    specs = []
    for s, padding, d in [(1, "SAME", 1), (1, "VALID", 1), (2, "SAME", 1), (2, "VALID", 1),
                          (1, "SAME", 2), (2, "SAME", 2), (1, [(1, 0), (2, 1)], 1)]:
        tag = f"[s={s},{padding if isinstance(padding, str) else 'explicit'},d={d}]"
        tf_pad = padding if isinstance(padding, str) else [[0, 0]] + padding + [[0, 0]]
        specs.append(OpSpec(
            ["Conv2D"], lambda x, w, s=s, p=tf_pad, d=d: C.conv2d(x, w, s, p, dilations=d),
            _ins(normal(2, 5, 5, 3), normal(3, 3, 3, 4)),
            ref=lambda x, w, s=s, p=padding, d=d: conv_ref(x, w, s, p, d),
            second_order=(s, d) == (1, 1), name="Conv2D" + tag))
        x_shape, a = (2, 5, 5, 3), _attrs(s, padding, d)
        out = conv_ref(np.zeros(x_shape), np.zeros((3, 3, 3, 4)), s, padding, d).shape
        specs.append(OpSpec(
            ["Conv2DBackpropInput"],
            lambda w, dy, a=a: execute(
                C.CONV_INPUT, (C.to_tensor(np.array(x_shape, np.int32)), w, dy), a),
            _ins(normal(3, 3, 3, 4), normal(*out)),
            ref=lambda w, dy, s=s, p=padding, d=d: conv_input_ref(x_shape, w, dy, s, p, d),
            second_order=True, name="Conv2DBackpropInput" + tag))
        specs.append(OpSpec(
            ["Conv2DBackpropFilter"],
            lambda x, dy, a=a: execute(
                C.CONV_FILTER, (x, C.to_tensor(np.array([3, 3, 3, 4], np.int32)), dy), a),
            _ins(normal(*x_shape), normal(*out)),
            ref=lambda x, dy, s=s, p=padding, d=d: conv_filter_ref(x, (3, 3, 3, 4), dy, s, p,
                                                                   d),
            second_order=True, name="Conv2DBackpropFilter" + tag))
    return specs


def _depthwise_specs():
    specs = []
    for s, padding, d, m in [(1, "SAME", 1, 2), (2, "VALID", 1, 2), (1, "VALID", 2, 2),
                             (1, "SAME", 1, 1), (2, "SAME", 1, 1)]:
        tag = f"[s={s},{padding},d={d},m={m}]"
        x_shape, w_shape, a = (2, 5, 5, 3), (3, 3, 3, m), _attrs(s, padding, d)
        out = depthwise_ref(np.zeros(x_shape), np.zeros(w_shape), s, padding, d).shape
        specs.append(OpSpec(
            ["DepthwiseConv2dNative"],
            lambda x, w, s=s, p=padding, d=d: C.depthwise_conv2d(x, w, [1, s, s, 1], p,
                                                                 dilations=d),
            _ins(normal(*x_shape), normal(*w_shape)),
            ref=lambda x, w, s=s, p=padding, d=d: depthwise_ref(x, w, s, p, d),
            second_order=s == 1 and d == 1, name="DepthwiseConv2dNative" + tag))
        specs.append(OpSpec(
            ["DepthwiseConv2dNativeBackpropInput"],
            lambda w, dy, a=a: execute(
                C.DW_INPUT, (C.to_tensor(np.array(x_shape, np.int32)), w, dy), a),
            _ins(normal(*w_shape), normal(*out)), second_order=True,
            ref=lambda w, dy, s=s, p=padding, d=d: conv_input_ref(
                x_shape, dense_filter(w), dy, s, p, d),
            name="DepthwiseConv2dNativeBackpropInput" + tag))
        specs.append(OpSpec(
            ["DepthwiseConv2dNativeBackpropFilter"],
            lambda x, dy, a=a, ws=w_shape: execute(
                C.DW_FILTER, (x, C.to_tensor(np.array(ws, np.int32)), dy), a),
            _ins(normal(*x_shape), normal(*out)), second_order=True,
            ref=lambda x, dy, ws=w_shape, s=s, p=padding, d=d: depthwise_filter_ref(
                x, ws, dy, s, p, d),
            name="DepthwiseConv2dNativeBackpropFilter" + tag))
    return specs


def _distinct(*shape):
    """Values far apart from each other, so no max-pool window has a near tie."""
    return lambda rng: rng.permutation(np.prod(shape)).reshape(shape) * 0.1


def _pool_specs():
    specs = []
    for k, s, padding in [(2, 2, "VALID"), (3, 2, "SAME"), (2, 1, "SAME"), (3, 1, "VALID")]:
        tag = f"[k={k},s={s},{padding}]"
        x_shape = (2, 5, 5, 3)
        a = {"ksize": (k, k), "strides": (s, s), "padding": padding}
        out = pool_ref(np.zeros(x_shape), k, s, padding, "max").shape
        specs.append(OpSpec(
            ["MaxPool"], lambda x, k=k, s=s, p=padding: C.max_pool2d(x, k, s, p),
            _ins(_distinct(*x_shape)), ref=lambda x, k=k, s=s, p=padding: pool_ref(
                x, k, s, p, "max"), second_order=True, name="MaxPool" + tag))
        specs.append(OpSpec(
            ["MaxPoolGrad", "MaxPoolGradGrad"],
            lambda x, dy, a=a: execute(C.MAX_POOL_GRAD, (x, C.max_pool2d(
                x, a["ksize"], a["strides"], a["padding"]), dy), a),
            _ins(_distinct(*x_shape), normal(*out)),
            ref=lambda x, dy, k=k, s=s, p=padding: max_pool_grad_ref(x, dy, k, s, p),
            second_order=True, name="MaxPoolGrad" + tag))
        specs.append(OpSpec(
            ["AvgPool"], lambda x, k=k, s=s, p=padding: C.avg_pool2d(x, k, s, p),
            _ins(normal(*x_shape)), ref=lambda x, k=k, s=s, p=padding: pool_ref(
                x, k, s, p, "avg"), second_order=True, name="AvgPool" + tag))
        specs.append(OpSpec(
            ["AvgPoolGrad"], lambda dy, a=a: execute(
                C.AVG_POOL_GRAD, (C.to_tensor(np.array(x_shape, np.int32)), dy), a),
            _ins(normal(*out)), second_order=True, name="AvgPoolGrad" + tag))
    return specs


def _grad_op_specs():
    """The gradient ops called directly, so their own rules and gradients are checked."""
    def call(opdef, **attrs):
        return lambda *xs: execute(opdef, tuple(xs), attrs)

    def ins2(gap_points=(0.0,), scale=2.0):
        return _ins(normal(3, 4), away_from(3, 4, points=gap_points, scale=scale))

    def elu_y(rng):  # elu outputs: y > -1, kept away from the kink at 0
        x = away_from(3, 4)(rng)
        return np.where(x > 0, x, np.expm1(x))

    a = {"ksize": (2, 2), "strides": (1, 1), "padding": "SAME"}
    return [
        OpSpec(["ReluGrad"], call(N.RELU_GRAD), ins2(),
               ref=lambda dy, y: np.where(y > 0, dy, 0), second_order=True),
        OpSpec(["Relu6Grad"], call(N.RELU6_GRAD), ins2((0, 6), 4),
               ref=lambda dy, x: np.where((x > 0) & (x < 6), dy, 0), second_order=True),
        OpSpec(["EluGrad"], call(N.ELU_GRAD), _ins(normal(3, 4), elu_y),
               ref=lambda dy, y: np.where(y < 0, dy * (y + 1), dy), second_order=True),
        OpSpec(["SeluGrad"], call(N.SELU_GRAD), _ins(normal(3, 4), elu_y),
               ref=lambda dy, y: np.where(y < 0, dy * (y + SELU_S * SELU_A), dy * SELU_S),
               second_order=True),
        OpSpec(["LeakyReluGrad"], call(N.LEAKY_RELU_GRAD, alpha=0.3), ins2(),
               ref=lambda dy, x: np.where(x > 0, dy, 0.3 * dy), second_order=True),
        OpSpec(["BiasAddGrad"], call(N.BIAS_ADD_GRAD, data_format=None),
               _ins(normal(2, 3, 4)), ref=lambda dy: dy.sum((0, 1)), second_order=True),
        OpSpec(["_LabelsOneHot"], call(N._ONE_HOT_LIKE),
               _ins(int_labels(2, 3, n=4), normal(2, 3, 4)),
               ref=lambda y, x: np.eye(4)[y], grad=False),
        OpSpec(["MaxPoolGradGrad"],
               lambda x, ddx: execute(C.MAX_POOL_GRAD_GRAD, (x, C.max_pool2d(x, 2, 1, "SAME"),
                                                             ddx), a),
               _ins(_distinct(1, 4, 4, 2), normal(1, 4, 4, 2)), second_order=True),
    ]


SPECS = [
    *_grad_op_specs(),
    OpSpec(["Relu", "ReluGrad"], N.relu, _ins(away_from(3, 4)),
           ref=lambda x: np.maximum(x, 0), second_order=True),
    OpSpec(["Relu6", "Relu6Grad"], N.relu6, _ins(away_from(3, 4, points=(0, 6), scale=4)),
           ref=lambda x: np.clip(x, 0, 6), second_order=True),
    OpSpec(["Elu", "EluGrad"], N.elu, _ins(away_from(3, 4)),
           ref=lambda x: np.where(x > 0, x, np.exp(x) - 1), second_order=True),
    OpSpec(["Selu", "SeluGrad"], N.selu, _ins(away_from(3, 4)),
           ref=lambda x: SELU_S * np.where(x > 0, x, SELU_A * (np.exp(x) - 1)),
           second_order=True),
    OpSpec(["LeakyRelu", "LeakyReluGrad"], lambda x: N.leaky_relu(x, alpha=0.1),
           _ins(away_from(3, 4)), ref=lambda x: np.where(x > 0, x, 0.1 * x),
           second_order=True),
    OpSpec(["Erf"], N.gelu, _ins(normal(3, 4)),
           ref=lambda x: x * 0.5 * (1 + _erf(x / np.sqrt(2))), second_order=True,
           name="gelu"),
    OpSpec(["Tanh"], lambda x: N.gelu(x, approximate=True), _ins(normal(3, 4)),
           ref=lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) *
                                                (x + 0.044715 * x ** 3))),
           second_order=True, name="gelu[approximate]"),
    OpSpec(["Sigmoid"], lambda x: N.silu(x, beta=1.5), _ins(normal(3, 4)),
           ref=lambda x: x / (1 + np.exp(-1.5 * x)), second_order=True, name="silu"),
    OpSpec(["Softmax"], N.softmax, _ins(normal(3, 4)), ref=_softmax, second_order=True),
    OpSpec(["Softmax"], lambda x: N.softmax(x, axis=0), _ins(normal(3, 4)),
           ref=lambda x: _softmax(x, 0), name="Softmax[axis=0]"),
    OpSpec(["LogSoftmax"], N.log_softmax, _ins(normal(3, 4)), ref=_log_softmax,
           second_order=True),
    OpSpec(["LogSoftmax"], lambda x: N.log_softmax(x, axis=1), _ins(normal(2, 3, 4)),
           ref=lambda x: _log_softmax(x, 1), name="LogSoftmax[axis=1]"),
    OpSpec(["SigmoidCrossEntropyWithLogits"],
           lambda z, x: N.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
           _ins(lambda rng: rng.uniform(0, 1, (3, 4)), normal(3, 4)),
           ref=lambda z, x: -z * np.log(1 / (1 + np.exp(-x))) -
           (1 - z) * np.log(1 - 1 / (1 + np.exp(-x))), second_order=True),
    OpSpec(["SoftmaxCrossEntropyWithLogits"], N.softmax_cross_entropy_with_logits,
           _ins(labels_dist(3, 4), normal(3, 4)),
           ref=lambda z, x: -(z * _log_softmax(x)).sum(-1), second_order=True),
    OpSpec(["SoftmaxCrossEntropyWithLogits"],
           lambda z, x: N.softmax_cross_entropy_with_logits(z, x, axis=0),
           _ins(lambda rng: rng.uniform(0, 1, (4, 3)), normal(4, 3)),
           ref=lambda z, x: -(z * _log_softmax(x, 0)).sum(0),
           name="SoftmaxCrossEntropyWithLogits[axis=0, unnormalized]"),
    OpSpec(["SparseSoftmaxCrossEntropyWithLogits", "_LabelsOneHot"],
           N.sparse_softmax_cross_entropy_with_logits,
           _ins(int_labels(2, 3, n=5), normal(2, 3, 5)),
           ref=lambda y, x: -np.take_along_axis(_log_softmax(x), y[..., None], -1)[..., 0],
           second_order=True),
    OpSpec(["BiasAdd", "BiasAddGrad"], N.bias_add, _ins(normal(2, 3, 4), normal(4)),
           ref=lambda x, b: x + b, second_order=True),
    OpSpec(["BiasAdd", "BiasAddGrad"], lambda x, b: N.bias_add(x, b, data_format="NCHW"),
           _ins(normal(2, 3, 4, 2), normal(3)), ref=lambda x, b: x + b[:, None, None],
           second_order=True, name="BiasAdd[NCHW]"),
    OpSpec(["Sum"], N.l2_loss, _ins(normal(3, 4)), ref=lambda x: 0.5 * np.sum(x * x),
           second_order=True, name="l2_loss"),
    OpSpec(["Rsqrt"], lambda x: N.l2_normalize(x, axis=-1), _ins(normal(3, 4)),
           ref=lambda x: x / np.sqrt((x * x).sum(-1, keepdims=True)), second_order=True,
           name="l2_normalize"),
    OpSpec(["Mean"], lambda x: list(N.moments(x, axes=[0, 2])), _ins(normal(3, 2, 4)),
           ref=lambda x: [x.mean((0, 2)), x.var((0, 2))], second_order=True,
           name="moments"),
    *_conv_specs(),
    *_depthwise_specs(),
    *_pool_specs(),
]
