"""Convolution and pooling (`tf.nn.conv2d`, `tf.nn.conv3d`, `tf.nn.max_pool3d`, ...).

The ops are TensorFlow's: Conv2D (1-D and 2-D, grouped when the input has a multiple of the
filter's depth), Conv3D, DepthwiseConv2dNative (the grouped convolution with a group per
channel, declared by the same factory, so with the same rule, kernels and gradients),
MaxPool/AvgPool (1-D and 2-D) and MaxPool3D/AvgPool3D, each with its gradient ops. The
gradients of a convolution are ops of their own (Conv2DBackpropInput, Conv2DBackpropFilter,
...) whose gradients are convolutions again, so convolutions can be differentiated twice;
the transposed convolutions are the input-gradient ops. Kernels are channels-last and
rank-generic; they live in `_conv_kernels.py`, with the notes on how they are fast.
"""

from __future__ import annotations

import numpy as np

from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops import _conv_kernels as K
from rill.ops._util import dims_rule, shape_tensor, to_tensor
from rill.ops.nn_ops import BIAS_ADD_GRAD, RELU_GRAD


def _ints(sizes) -> tuple:
    return tuple(int(v) for v in sizes)


def _check_dtypes(name, *xs):
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"{name}: input dtypes differ ({xs[0].dtype.name} vs "
                             f"{x.dtype.name})")


def _sizes_rule(sizes, like, dtype):
    """The shape an int32 `sizes` input describes (what tracing knows of it, as TensorFlow's
    shape inference: constants, stacks of scalars, slices of shapes)."""
    shape = dims_rule(sizes)
    if shape.rank is None and like.shape.rank is not None:
        shape = TensorShape([None] * like.shape.rank)
    return shape, dtype


def _check_out_backprop(dy, outs, what):
    if tuple(dy.shape[1:-1]) != tuple(outs):
        raise ValueError(f"out_backprop has spatial shape {dy.shape[1:-1]} but {what} "
                         f"gives {tuple(outs)}")


# -- convolution (Conv2D, Conv3D, DepthwiseConv2dNative, the fused ones) and gradients -----
# A depthwise convolution is a grouped one with a group per input channel: its filter
# (*K, C, M) read as (*K, 1, C * M) (output channel c * M + m belongs to group c). So every
# convolution here shares one rule, one set of kernels and one set of gradients.
def _kernels(depthwise: bool) -> tuple:
    """(forward, input gradient, filter gradient) kernels; the forward one also serves the
    fused ops (bias `b` and `fused_ops`)."""
    def grouped(shape: tuple) -> tuple:
        return shape[:-2] + (1, shape[-2] * shape[-1]) if depthwise else shape

    def fwd(x, w, b=None, *, strides, dilations, padding, explicit, fused_ops=()):
        w = w.reshape(grouped(w.shape))
        outs, pads = K.geometry(x.shape[1:-1], w.shape[:-2], strides, dilations, padding,
                                explicit)
        return K.conv(x, w, strides, dilations, pads, outs, bias=b, relu="Relu" in fused_ops)

    def inp(sizes, w, dy, *, strides, dilations, padding, explicit):
        sizes, w = _ints(sizes), w.reshape(grouped(w.shape))
        outs, pads = K.geometry(sizes[1:-1], w.shape[:-2], strides, dilations, padding,
                                explicit)
        _check_out_backprop(dy, outs, f"an input of shape {sizes}")
        if w.shape[-2] == 0 or sizes[-1] % w.shape[-2]:
            raise ValueError(f"input depth {sizes[-1]} is not a multiple of the filter's "
                             f"depth {w.shape[-2]}")
        return K.conv_input(sizes, w, dy, strides, dilations, pads, outs)

    def flt(x, sizes, dy, *, strides, dilations, padding, explicit):
        sizes = _ints(sizes)
        outs, pads = K.geometry(x.shape[1:-1], sizes[:-2], strides, dilations, padding,
                                explicit)
        _check_out_backprop(dy, outs, "the input")
        return K.conv_filter(x, grouped(sizes), dy, strides, dilations, pads,
                             outs).reshape(sizes)

    return fwd, inp, flt


def _out_depth(c, ws: TensorShape, depthwise: bool, fail):
    """The output channels of a convolution of `c` input channels with filters of static
    shape `ws` (None where unknown); channel counts that do not fit raise `fail(message,
    hint)`."""
    cg, f = (ws[-2], ws[-1]) if ws.rank is not None else (None, None)
    if depthwise:  # as the grouped convolution it is
        if c is not None and cg is not None and c != cg:
            raise fail(f"input has {c} channels but the filter expects {cg} (filter of shape "
                       f"{ws} is [*spatial, in_channels, multiplier]).",
                       "check the channel axis (data_format) and the filter shape.")
        c = c if cg is None else cg
        cg, f = 1, None if c is None or f is None else c * f
    if c is not None and cg is not None:
        if cg == 0 or c % cg:
            raise fail(f"input depth must be evenly divisible by filter depth: {c} vs {cg}; "
                       f"input has {c} channels but filters of shape {ws} expect {cg} "
                       f"([*spatial, in_channels / groups, out_channels]).",
                       "check the channel axis (data_format) and the filter shape.")
        if f is not None and f % (c // cg):
            raise fail(f"output depth must be evenly divisible by number of groups: {f} vs "
                       f"{c // cg}.", f"give the filters a multiple of {c // cg} output "
                       f"channels.")
    return f


def _conv_rule(x, w, *, strides, dilations, padding, explicit, name="Conv2D",
               depthwise=False):
    _check_dtypes(name, x, w)
    ns = len(strides)
    xs, ws = x.shape, w.shape
    if xs.rank is None:
        return TensorShape(None), x.dtype
    if xs.rank != ns + 2:
        raise ValueError(f"input must have rank {ns + 2}, got shape {xs}")
    f = _out_depth(xs[-1], ws, depthwise,
                   lambda message, hint: ValueError(f"{name}: {message}\nhint: {hint}"))
    k = ws.as_list()[:ns] if ws.rank is not None else [None] * ns
    outs, _ = K.geometry(xs.as_list()[1:-1], k, strides, dilations, padding, explicit)
    return TensorShape([xs[0]] + outs + [f]), x.dtype


def _conv_ops(names: tuple, public: str, depthwise: bool = False) -> tuple:
    """Declares a convolution and its gradient ops, and, given a fourth name, the fused
    convolution: (forward, input grad, filter grad, fused or None)."""
    fwd_name, input_name, filter_name, *fused_name = names
    fwd_k, input_k, filter_k = _kernels(depthwise)
    ops = {}

    def grads(op, x, w, dy, attrs):  # the gradients in x and w of sum(conv(x, w) * dy)
        gx = execute(ops["input"], (shape_tensor(x), w, dy), attrs) if op.needs_grad(0) \
            else None
        gw = execute(ops["filter"], (x, shape_tensor(w), dy), attrs) if op.needs_grad(1) \
            else None
        return gx, gw

    def input_grad(op, ddx):
        _, w, dy = op.inputs
        gw = execute(ops["filter"], (ddx, shape_tensor(w), dy), op.attrs) \
            if op.needs_grad(1) else None
        gdy = execute(ops["fwd"], (ddx, w), op.attrs) if op.needs_grad(2) else None
        return None, gw, gdy

    def filter_grad(op, ddw):
        x, _, dy = op.inputs
        gx = execute(ops["input"], (shape_tensor(x), ddw, dy), op.attrs) \
            if op.needs_grad(0) else None
        gdy = execute(ops["fwd"], (x, ddw), op.attrs) if op.needs_grad(2) else None
        return gx, None, gdy

    def input_rule(sizes, w, dy, **attrs):
        _check_dtypes(input_name, w, dy)
        return _sizes_rule(sizes, dy, dy.dtype)

    def filter_rule(x, sizes, dy, **attrs):
        _check_dtypes(filter_name, x, dy)
        return _sizes_rule(sizes, x, x.dtype)

    ops["fwd"] = defop(
        fwd_name, fwd_k,
        lambda x, w, **a: _conv_rule(x, w, name=fwd_name, depthwise=depthwise, **a),
        lambda op, dy: grads(op, *op.inputs, dy, op.attrs), public_name=public)
    ops["input"] = defop(input_name, input_k, input_rule, input_grad, public_name=(
        f"{public} (input gradient)" if depthwise else f"{public}_transpose"))
    ops["filter"] = defop(filter_name, filter_k, filter_rule, filter_grad,
                          public_name=f"{public} (filter gradient)")
    if not fused_name:
        return ops["fwd"], ops["input"], ops["filter"], None

    # `_FusedConv2D`: conv(x, w) + b, then the `fused_ops` after "BiasAdd" ("Relu" or
    # none), in one kernel. Only the optimizer of traced graphs (rill/function/fuse.py)
    # creates it; its gradient is that of the ops it replaces.
    def fused_rule(x, w, b, *, fused_ops, **attrs):
        _check_dtypes(fused_name[0], x, w, b)
        return _conv_rule(x, w, name=fused_name[0], **attrs)

    def fused_grad(op, dy):
        x, w, _ = op.inputs
        if "Relu" in op.attrs["fused_ops"]:
            dy = execute(RELU_GRAD, (dy, op.outputs[0]))
        gb = execute(BIAS_ADD_GRAD, (dy,), {"data_format": None}) if op.needs_grad(2) \
            else None
        attrs = {k: v for k, v in op.attrs.items() if k != "fused_ops"}
        return (*grads(op, x, w, dy, attrs), gb)

    fused = defop(fused_name[0], fwd_k, fused_rule, fused_grad,
                  public_name=f"{public} (fused)")
    fused.fresh_output = True  # a new array, as Relu's
    return ops["fwd"], ops["input"], ops["filter"], fused


CONV, CONV_INPUT, CONV_FILTER, FUSED_CONV = _conv_ops(
    ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "_FusedConv2D"),
    "tf.nn.conv2d")
CONV3D, CONV3D_INPUT, CONV3D_FILTER, FUSED_CONV3D = _conv_ops(
    ("Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2", "_FusedConv3D"),
    "tf.nn.conv3d")
DEPTHWISE, DW_INPUT, DW_FILTER, _ = _conv_ops(
    ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
     "DepthwiseConv2dNativeBackpropFilter"), "tf.nn.depthwise_conv2d", depthwise=True)


def _conv_opdefs(n: int) -> tuple:
    """(forward, input grad, filter grad) of an n-D convolution."""
    return (CONV3D, CONV3D_INPUT, CONV3D_FILTER) if n == 3 else \
        (CONV, CONV_INPUT, CONV_FILTER)


# -- pooling (MaxPool, AvgPool, MaxPool3D, AvgPool3D) and gradients ------------------------
def _pool_geometry(x_shape, ksize, strides, padding):
    ones = (1,) * len(ksize)
    return K.geometry(x_shape[1:-1], ksize, strides, ones, padding, None)


def _pool_kernel(kernel):
    def run(x, *, ksize, strides, padding):
        outs, pads = _pool_geometry(x.shape, ksize, strides, padding)
        return kernel(x, ksize, strides, pads, outs)
    return run


def _max_pool_grad_kernel(kernel, **options):
    def run(x, y, d, *, ksize, strides, padding):
        outs, pads = _pool_geometry(x.shape, ksize, strides, padding)
        return kernel(x, y, d, ksize, strides, pads, outs, **options)
    return run


def _avg_pool_grad_kernel(sizes, dy, *, ksize, strides, padding):
    sizes = _ints(sizes)
    outs, pads = _pool_geometry(sizes, ksize, strides, padding)
    return K.avg_pool_grad(sizes, dy, ksize, strides, pads, outs)


def _pool_rule(x, *, ksize, strides, padding, name="MaxPool"):
    s = x.shape
    if s.rank is None:
        return TensorShape(None), x.dtype
    if s.rank != len(ksize) + 2:
        raise ValueError(f"{name} needs an input of rank {len(ksize) + 2}, got shape {s}")
    outs, _ = _pool_geometry(s.as_list(), ksize, strides, padding)
    return TensorShape([s[0]] + outs + [s[-1]]), x.dtype


def _pool_ops(names: tuple, public: str) -> tuple:
    """Declares max and average pooling of one rank family and their gradient ops (and the
    max-pool gradient fused with the gradient of a rectifier before it, made by
    rill/function/fuse.py: MaxPoolGrad(a, y, ReluGrad(dy, y)))."""
    max_name, max_grad, max_grad_grad, avg_name, avg_grad, fused_grad = names
    ops = {}
    ops["max"] = defop(
        max_name, _pool_kernel(K.max_pool),
        lambda x, **a: _pool_rule(x, name=max_name, **a),
        lambda op, dy: (execute(ops["max_grad"], (op.inputs[0], op.outputs[0], dy),
                                op.attrs),),
        public_name=f"tf.nn.max_pool{public}")
    ops["max_grad"] = defop(
        max_grad, _max_pool_grad_kernel(K.max_pool_grad),
        lambda x, y, dy, **a: (x.shape, dy.dtype),
        lambda op, ddx: (None, None, execute(ops["max_grad_grad"], op.inputs[:2] + (ddx,),
                                             op.attrs)),
        public_name=f"tf.nn.max_pool{public} (gradient)")
    ops["max_grad_grad"] = defop(
        max_grad_grad, _max_pool_grad_kernel(K.max_pool_grad_grad),
        lambda x, y, d, **a: (y.shape, d.dtype),
        lambda op, g: (None, None, execute(ops["max_grad"], op.inputs[:2] + (g,), op.attrs)),
        public_name=f"tf.nn.max_pool{public} (second gradient)")
    ops["fused_grad"] = defop(
        fused_grad, _max_pool_grad_kernel(K.max_pool_grad, relu=True),
        lambda x, y, dy, **a: (x.shape, dy.dtype),
        lambda op, ddx: (None, None, execute(RELU_GRAD, (
            execute(ops["max_grad_grad"], op.inputs[:2] + (ddx,), op.attrs),
            op.inputs[1]))),
        public_name=f"tf.nn.max_pool{public} (gradient, fused with relu's)")
    ops["avg"] = defop(
        avg_name, _pool_kernel(K.avg_pool), lambda x, **a: _pool_rule(x, name=avg_name, **a),
        lambda op, dy: (execute(ops["avg_grad"], (shape_tensor(op.inputs[0]), dy),
                                op.attrs),),
        public_name=f"tf.nn.avg_pool{public}")
    ops["avg_grad"] = defop(
        avg_grad, _avg_pool_grad_kernel, lambda sizes, dy, **a: _sizes_rule(sizes, dy, dy.dtype),
        lambda op, ddx: (None, execute(ops["avg"], (ddx,), op.attrs)),
        public_name=f"tf.nn.avg_pool{public} (gradient)")
    return (ops["max"], ops["max_grad"], ops["max_grad_grad"], ops["avg"], ops["avg_grad"],
            ops["fused_grad"])


MAX_POOL, MAX_POOL_GRAD, MAX_POOL_GRAD_GRAD, AVG_POOL, AVG_POOL_GRAD, FUSED_MAX_POOL_GRAD = \
    _pool_ops(("MaxPool", "MaxPoolGrad", "MaxPoolGradGrad", "AvgPool", "AvgPoolGrad",
               "_FusedMaxPoolGrad"), "2d")
(MAX_POOL3D, MAX_POOL3D_GRAD, MAX_POOL3D_GRAD_GRAD, AVG_POOL3D, AVG_POOL3D_GRAD,
 FUSED_MAX_POOL3D_GRAD) = _pool_ops(("MaxPool3D", "MaxPool3DGrad", "MaxPool3DGradGrad",
                                     "AvgPool3D", "AvgPool3DGrad", "_FusedMaxPool3DGrad"), "3d")


# -- argument checking --------------------------------------------------------------------
def _fail(fn: str, op: str, message: str, hint: str):
    return InvalidArgumentError(None, op, f"{fn}: {message}\nhint: {hint}")


def _spatial(value, n: int, arg: str, fn: str, op: str, channels_first: bool) -> tuple:
    """A stride/dilation/ksize argument as one int per spatial axis (TF accepts an int, or a
    list of 1, n or n + 2 ints with 1 on the batch and channel axes)."""
    v = constant_value(value) if hasattr(value, "shape") else value
    vals = [int(d) for d in np.asarray(v).reshape(-1)] if v is not None else None
    if vals is None or len(vals) not in (1, n, n + 2) or min(vals, default=0) < 1:
        raise _fail(fn, op, f"{arg} must be a positive int or a list of 1, {n} or {n + 2} "
                    f"positive ints, got {value!r}.", f"e.g. {arg}=2 or {arg}=[1, 2, 2, 1].")
    if len(vals) == n + 2:
        outer = (vals[0], vals[1]) if channels_first else (vals[0], vals[-1])
        if outer != (1, 1):
            raise _fail(fn, op, f"{arg} {vals} must be 1 on the batch and channel axes.",
                        f"pass 1 there, e.g. {arg}=[1, 2, 2, 1].")
        vals = vals[2:] if channels_first else vals[1:-1]
    return tuple(vals * n if len(vals) == 1 else vals)


def _padding(padding, n: int, fn: str, op: str, channels_first: bool, allow_explicit: bool):
    if isinstance(padding, str) and padding.upper() in ("SAME", "VALID"):
        return padding.upper(), None
    if allow_explicit and isinstance(padding, (list, tuple)):
        try:
            pairs = [tuple(int(v) for v in p) for p in padding]
        except (TypeError, ValueError):
            pairs = []
        if len(pairs) == n + 2 and all(len(p) == 2 for p in pairs) and \
                min(min(p) for p in pairs) >= 0:
            outer = pairs[:2] if channels_first else [pairs[0], pairs[-1]]
            if all(p == (0, 0) for p in outer):
                return "EXPLICIT", tuple(pairs[2:] if channels_first else pairs[1:-1])
    extra = f" or a list of {n + 2} [before, after] pairs" if allow_explicit else ""
    raise _fail(fn, op, f"padding must be 'SAME' or 'VALID'{extra}, got {padding!r}.",
                "padding='SAME' keeps the spatial size at stride 1; 'VALID' uses no padding.")


def _channels_first(data_format, n: int, fn: str, op: str) -> bool:
    if data_format is None:
        return False
    df = str(data_format).upper()
    if df in ("NWC", "NHWC", "NDHWC", "CHANNELS_LAST"):
        return False
    if df in ("NCW", "NCHW", "NCDHW", "CHANNELS_FIRST"):
        return True
    raise _fail(fn, op, f"unknown data_format {data_format!r}.",
                "use 'NHWC' (channels last) or 'NCHW' (channels first).")


def _float_input(x, fn: str, op: str, arg: str, rank: int):
    """The tensor and its static shape, checked to be float of the given rank."""
    x = to_tensor(x)
    if not x.dtype.is_floating:
        raise _fail(fn, op, f"{arg} must be a float tensor, got {x.dtype.name}.",
                    f"tf.cast({arg}, tf.float32) first.")
    shape = x.shape
    if shape.rank is not None and shape.rank != rank:
        raise _fail(fn, op, f"{arg} must have rank {rank}, got shape {shape}.",
                    "inputs are [batch, *spatial, channels]; filters are "
                    "[*spatial, in_channels, out_channels].")
    return x, shape


def _hashable(v):
    if v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(e) for e in v)
    raise TypeError  # tensors and arrays: parsed on every call


_ATTRS: dict = {}


def _conv_attrs(key, fn, op, n, strides, padding, data_format, dilations, explicit_ok):
    """(channels_first, attrs) of a convolution call, cached for plain Python arguments."""
    try:
        k = (key, n, _hashable(strides), _hashable(padding), data_format,
             _hashable(dilations))
    except TypeError:
        k = None
    found = _ATTRS.get(k) if k is not None else None
    if found is None:
        cf = _channels_first(data_format, n, fn, op)
        pad, explicit = _padding(padding, n, fn, op, cf, explicit_ok)
        found = cf, {"strides": _spatial(strides, n, "strides", fn, op, cf),
                     "dilations": _spatial(1 if dilations is None else dilations, n,
                                           "dilations", fn, op, cf),
                     "padding": pad, "explicit": explicit}
        if k is not None and len(_ATTRS) < 1024:
            _ATTRS[k] = found
    return found


def _to_last(x, n: int):
    """Channels-first to channels-last (an einsum transpose, so gradients flow)."""
    from rill.ops.linalg_ops import einsum
    sp = "hwd"[:n]
    return einsum(f"nc{sp}->n{sp}c", x)


def _to_first(x, n: int):
    from rill.ops.linalg_ops import einsum
    sp = "hwd"[:n]
    return einsum(f"n{sp}c->nc{sp}", x)


def _conv_call(kind, fn, n, input, filters, strides, padding, data_format, dilations):
    """A convolution (`kind` "conv" or "depthwise") of rank n through its op."""
    opdef = DEPTHWISE if kind == "depthwise" else _conv_opdefs(n)[0]
    op = opdef.name
    cf, attrs = _conv_attrs(fn, fn, op, n, strides, padding, data_format, dilations, True)
    x, xs = _float_input(input, fn, op, "input", n + 2)
    w, ws = _float_input(filters, fn, op, "filters", n + 2)
    if x.dtype is not w.dtype:
        raise _fail(fn, op, f"input is {x.dtype.name} but filters are {w.dtype.name}.",
                    "tf.cast both to one float dtype.")
    c = (xs[1] if cf else xs[-1]) if xs.rank is not None else None
    _out_depth(c, ws, kind == "depthwise", lambda message, hint: _fail(fn, op, message, hint))
    if cf:
        return _to_first(execute(opdef, (_to_last(x, n), w), attrs), n)
    return execute(opdef, (x, w), attrs)


# -- public functions ---------------------------------------------------------------------
def conv2d(input, filters, strides, padding, data_format="NHWC",  # noqa: A002 - TF's name
           dilations=None, name=None):
    """2-D convolution (cross-correlation, as in TensorFlow) of a batch of images.

    `input` is [batch, height, width, in_channels] (NHWC), `filters` is [filter_height,
    filter_width, in_channels / groups, out_channels] (an input with a multiple of the
    filters' depth is a grouped convolution); `padding` is 'SAME', 'VALID' or explicit
    [[0, 0], [top, bottom], [left, right], [0, 0]].

    >>> tf.nn.conv2d(tf.ones([1, 5, 5, 1]), tf.ones([3, 3, 1, 2]), 1, 'VALID').shape
    TensorShape([1, 3, 3, 2])
    """
    return _conv_call("conv", "tf.nn.conv2d", 2, input, filters, strides, padding,
                      data_format, dilations)


def conv1d(input, filters, stride, padding, data_format="NWC",  # noqa: A002 - TF's name
           dilations=None, name=None):
    """1-D convolution: `input` [batch, width, in_channels], `filters` [width, in_channels,
    out_channels].

    >>> tf.nn.conv1d(tf.ones([1, 5, 1]), tf.ones([3, 1, 2]), 1, 'SAME').shape
    TensorShape([1, 5, 2])
    """
    return _conv_call("conv", "tf.nn.conv1d", 1, input, filters, stride, padding,
                      data_format, dilations)


def conv3d(input, filters, strides, padding, data_format="NDHWC",  # noqa: A002 - TF's name
           dilations=None, name=None):
    """3-D convolution of a batch of volumes: `input` [batch, depth, height, width,
    in_channels] (NDHWC), `filters` [depth, height, width, in_channels, out_channels].

    >>> tf.nn.conv3d(tf.ones([1, 4, 5, 5, 1]), tf.ones([2, 3, 3, 1, 2]),
    ...              [1, 1, 1, 1, 1], 'VALID').shape
    TensorShape([1, 3, 3, 3, 2])
    """
    return _conv_call("conv", "tf.nn.conv3d", 3, input, filters, strides, padding,
                      data_format, dilations)


def convolution(input, filters, strides=None, padding="VALID",  # noqa: A002 - TF's name
                data_format=None, dilations=None, name=None):
    """N-D convolution (1-D, 2-D or 3-D), the rank taken from `filters`.

    >>> tf.nn.convolution(tf.ones([1, 4, 4, 4, 2]), tf.ones([3, 3, 3, 2, 1])).shape
    TensorShape([1, 2, 2, 2, 1])
    """
    w = to_tensor(filters)
    n = (w.shape.rank or 4) - 2
    if n not in (1, 2, 3):
        raise _fail("tf.nn.convolution", "Conv2D", f"only 1-D, 2-D and 3-D convolutions are "
                    f"supported, got filters of shape {w.shape}.",
                    "use filters of rank 3 (1-D), 4 (2-D) or 5 (3-D).")
    return _conv_call("conv", "tf.nn.convolution", n, input, w, 1 if strides is None else
                      strides, padding, data_format, dilations)


def _transpose_call(fn, n, input, filters, output_shape, strides, padding, data_format,
                    dilations):
    opdef = _conv_opdefs(n)[1]
    op = opdef.name
    cf, attrs = _conv_attrs(fn, fn, op, n, strides, padding, data_format, dilations, True)
    pad, explicit = attrs["padding"], attrs["explicit"]
    x, _ = _float_input(input, fn, op, "input", n + 2)
    w, _ = _float_input(filters, fn, op, "filters", n + 2)
    if x.dtype is not w.dtype:
        raise _fail(fn, op, f"input is {x.dtype.name} but filters are {w.dtype.name}.",
                    "tf.cast both to one float dtype.")
    shape_v = constant_value(output_shape) if hasattr(output_shape, "shape") else \
        np.asarray(output_shape)
    if shape_v is not None:
        dims = [int(d) for d in np.asarray(shape_v).reshape(-1)]
        if len(dims) != n + 2:
            raise _fail(fn, op, f"output_shape must have {n + 2} entries, got {dims}.",
                        "output_shape is [batch, *spatial, out_channels].")
        if cf:
            dims = [dims[0]] + dims[2:] + [dims[1]]
        ws = w.shape
        if ws.rank is not None and ws[-2] is not None and dims[-1] != ws[-2]:
            raise _fail(fn, op, f"output_shape has {dims[-1]} channels but filters of shape "
                        f"{ws} produce {ws[-2]} ([*spatial, out_channels, in_channels]).",
                        "match output_shape's channel count to filters.shape[-2].")
        outs, _ = K.geometry(dims[1:-1], ws.as_list()[:n] if ws.rank else [None] * n,
                             attrs["strides"], attrs["dilations"], pad, explicit)
        got = x.shape.as_list()[2:] if cf and x.shape.rank else \
            (x.shape.as_list()[1:-1] if x.shape.rank else None)
        if got is not None and all(g is not None for g in got) and \
                all(o is not None for o in outs) and list(got) != list(outs):
            raise _fail(fn, op, f"an output of shape {dims} convolved with these strides "
                        f"and padding has spatial size {outs}, but input has {got}.",
                        "choose output_shape so that the convolution of output with filters "
                        "has input's shape.")
        sizes = to_tensor(np.array(dims, dtype=np.int32))
    else:
        sizes = to_tensor(output_shape)
        if cf:  # [batch, channels, *spatial] -> [batch, *spatial, channels]
            from rill.ops.gather_scatter_ops import gather
            sizes = gather(sizes, [0, *range(2, n + 2), 1])
    xi = _to_last(x, n) if cf else x
    out = execute(opdef, (sizes, w, xi), attrs)
    return _to_first(out, n) if cf else out


def conv2d_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                     padding="SAME", data_format="NHWC", dilations=None, name=None):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).

    `filters` is [height, width, output_channels, in_channels]; `output_shape` the full
    [batch, height, width, output_channels] of the result.

    >>> tf.nn.conv2d_transpose(tf.ones([1, 2, 2, 3]), tf.ones([3, 3, 1, 3]), [1, 4, 4, 1],
    ...                        2).shape
    TensorShape([1, 4, 4, 1])
    """
    return _transpose_call("tf.nn.conv2d_transpose", 2, input, filters, output_shape,
                           strides, padding, data_format, dilations)


def conv1d_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                     padding="SAME", data_format="NWC", dilations=None, name=None):
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input)."""
    return _transpose_call("tf.nn.conv1d_transpose", 1, input, filters, output_shape,
                           strides, padding, data_format, dilations)


def conv3d_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                     padding="SAME", data_format="NDHWC", dilations=None, name=None):
    """Transposed 3-D convolution (the gradient of conv3d with respect to its input);
    `filters` is [depth, height, width, output_channels, in_channels]."""
    return _transpose_call("tf.nn.conv3d_transpose", 3, input, filters, output_shape,
                           strides, padding, data_format, dilations)


def conv_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                   padding="SAME", data_format=None, dilations=None, name=None):
    """Transposed convolution of rank 1, 2 or 3, the rank taken from `filters`."""
    n = (to_tensor(filters).shape.rank or 4) - 2
    if n not in (1, 2, 3):
        raise _fail("tf.nn.conv_transpose", "Conv2DBackpropInput", f"only 1-D, 2-D and 3-D "
                    f"transposed convolutions are supported, got filters of rank {n + 2}.",
                    "use filters of rank 3, 4 or 5.")
    return _transpose_call("tf.nn.conv_transpose", n, input, filters, output_shape, strides,
                           padding, data_format, dilations)


def depthwise_conv2d(input, filter, strides, padding,  # noqa: A002 - TF's names
                     data_format=None, dilations=None, name=None):
    """Convolves each input channel with its own `channel_multiplier` filters.

    `filter` is [height, width, in_channels, channel_multiplier]; the output has
    in_channels * channel_multiplier channels. `strides` is a list of 4 ints.

    >>> tf.nn.depthwise_conv2d(tf.ones([1, 3, 3, 2]), tf.ones([3, 3, 2, 2]),
    ...                        [1, 1, 1, 1], 'VALID').shape
    TensorShape([1, 1, 1, 4])
    """
    return _conv_call("depthwise", "tf.nn.depthwise_conv2d", 2, input, filter, strides,
                      padding, data_format, dilations)


def separable_conv2d(input, depthwise_filter, pointwise_filter,  # noqa: A002 - TF's name
                     strides, padding, data_format=None, dilations=None, name=None):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution.

    >>> tf.nn.separable_conv2d(tf.ones([1, 3, 3, 2]), tf.ones([3, 3, 2, 2]),
    ...                        tf.ones([1, 1, 4, 5]), [1, 1, 1, 1], 'VALID').shape
    TensorShape([1, 1, 1, 5])
    """
    h = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(h, pointwise_filter, 1, "VALID", data_format or "NHWC")


def _pool_attrs(fn, op, n, ksize, strides, padding, data_format):
    try:
        k = (fn, n, _hashable(ksize), _hashable(strides), _hashable(padding), data_format)
    except TypeError:
        k = None
    found = _ATTRS.get(k) if k is not None else None
    if found is None:
        cf = _channels_first(data_format, n, fn, op)
        pad, _ = _padding(padding, n, fn, op, cf, False)
        found = cf, {"ksize": _spatial(ksize, n, "ksize", fn, op, cf),
                     "strides": _spatial(strides, n, "strides", fn, op, cf), "padding": pad}
        if k is not None and len(_ATTRS) < 1024:
            _ATTRS[k] = found
    return found


def _pool_call(kind, fn, n, input, ksize, strides, padding, data_format):
    """Max (`kind` "max") or average pooling of rank n (None: from the input's rank)."""
    x = to_tensor(input)
    shape = x.shape
    if n is None:
        n = (shape.rank or 4) - 2
        if n not in (1, 2, 3):
            raise _fail(fn, "MaxPool" if kind == "max" else "AvgPool", f"input must have "
                        f"rank 3, 4 or 5 ([batch, *spatial, channels]), got shape {shape}.",
                        "pooling is 1-D, 2-D or 3-D.")
    if n == 3:
        opdef = MAX_POOL3D if kind == "max" else AVG_POOL3D
    else:
        opdef = MAX_POOL if kind == "max" else AVG_POOL
    op = opdef.name
    if shape.rank is not None and shape.rank != n + 2:
        raise _fail(fn, op, f"input must have rank {n + 2} ([batch, *spatial, channels]), "
                    f"got shape {shape}.", "add the batch and channel axes.")
    if kind == "avg" and not x.dtype.is_floating:
        raise _fail(fn, op, f"input must be a float tensor, got {x.dtype.name}.",
                    "tf.cast(input, tf.float32) first.")
    cf, attrs = _pool_attrs(fn, op, n, ksize, strides, padding, data_format)
    if cf:
        return _to_first(execute(opdef, (_to_last(x, n),), attrs), n)
    return execute(opdef, (x,), attrs)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
               name=None):
    """Max over each window of a batch of images (NHWC).

    >>> tf.nn.max_pool2d(tf.ones([1, 4, 4, 1]), 2, 2, 'VALID').shape
    TensorShape([1, 2, 2, 1])
    """
    return _pool_call("max", "tf.nn.max_pool2d", 2, input, ksize, strides, padding,
                      data_format)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
               name=None):
    """Mean over each window of a batch of images (NHWC); with 'SAME' padding the padded
    positions are not counted.
    """
    return _pool_call("avg", "tf.nn.avg_pool2d", 2, input, ksize, strides, padding,
                      data_format)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """Max over each window of a batch of sequences (NWC)."""
    return _pool_call("max", "tf.nn.max_pool1d", 1, input, ksize, strides, padding,
                      data_format)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """Mean over each window of a batch of sequences (NWC)."""
    return _pool_call("avg", "tf.nn.avg_pool1d", 1, input, ksize, strides, padding,
                      data_format)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC",  # noqa: A002
               name=None):
    """Max over each window of a batch of volumes (NDHWC).

    >>> tf.nn.max_pool3d(tf.ones([1, 4, 4, 4, 1]), 2, 2, 'VALID').shape
    TensorShape([1, 2, 2, 2, 1])
    """
    return _pool_call("max", "tf.nn.max_pool3d", 3, input, ksize, strides, padding,
                      data_format)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC",  # noqa: A002
               name=None):
    """Mean over each window of a batch of volumes (NDHWC); 'SAME' padding is not counted."""
    return _pool_call("avg", "tf.nn.avg_pool3d", 3, input, ksize, strides, padding,
                      data_format)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Max pooling of rank 1, 2 or 3, the rank taken from `input` (3-D, 4-D or 5-D)."""
    return _pool_call("max", "tf.nn.max_pool", None, input, ksize, strides, padding,
                      data_format)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Average pooling of rank 1, 2 or 3, the rank taken from `input` (3-D, 4-D or 5-D)."""
    return _pool_call("avg", "tf.nn.avg_pool", None, input, ksize, strides, padding,
                      data_format)


def pool(input, window_shape, pooling_type, strides=None,  # noqa: A002 - TF's name
         padding="VALID", data_format=None, dilations=None, name=None):
    """N-D max or average pooling (`pooling_type` 'MAX' or 'AVG'), the rank taken from
    `window_shape`; `dilations` > 1 spaces the window's taps (then strides must be 1 and
    padding 'VALID', as in TensorFlow).

    >>> tf.nn.pool(tf.ones([1, 7, 2]), [2], 'MAX', dilations=[2]).shape
    TensorShape([1, 5, 2])
    """
    fn = "tf.nn.pool"
    window = [int(v) for v in np.asarray(window_shape).reshape(-1)]
    n = len(window)
    kind = {"MAX": "max", "AVG": "avg"}.get(str(pooling_type).upper())
    op = "MaxPool" if kind == "max" else "AvgPool"
    if kind is None or n not in (1, 2, 3):
        raise ValueError(f"{fn}: pooling_type must be 'MAX' or 'AVG' and window_shape have 1 "
                         f"to 3 entries, got {pooling_type!r} and {window}.\nhint: e.g. "
                         f"tf.nn.pool(x, [2, 2], 'MAX', strides=[2, 2]).")
    strides = [1] * n if strides is None else strides
    dil = _spatial(1 if dilations is None else dilations, n, "dilations", fn, op, False)
    if all(d == 1 for d in dil):
        return _pool_call(kind, fn, n, input, window, strides, padding, data_format)
    if str(padding).upper() != "VALID":
        raise ValueError(f"pooling with 'SAME' padding is not implemented for "
                         f"`dilation_rate` > 1. Received: padding={padding} and "
                         f"dilation_rate={list(dil)}\nhint: use padding='VALID'.")
    if any(s != 1 for s in _spatial(strides, n, "strides", fn, op, False)):
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > "
                         f"1`. Received: strides={strides} and dilation_rate={list(dil)}"
                         f"\nhint: pool with strides 1, then slice the result.")
    cf = _channels_first(data_format, n, fn, op)
    x = to_tensor(input)
    x = _to_last(x, n) if cf else x
    return _to_first(_dilated_pool(x, kind, window, dil), n) if cf else \
        _dilated_pool(x, kind, window, dil)


def _dilated_pool(x, kind, window, dilations):
    """A dilated VALID pooling at stride 1 as a reduction over strided slices (a composite:
    ties of the maximum go to the first tap, as in TensorFlow)."""
    from rill.ops.math_ops import add, maximum, multiply
    sizes = x.shape.as_list()[1:-1]
    outs = [s - (k - 1) * d for s, k, d in zip(sizes, window, dilations)]
    if any(o is None or o < 1 for o in outs):
        raise ValueError(f"tf.nn.pool: the dilated window {window} (dilations {dilations}) "
                         f"does not fit the input's spatial shape {sizes}.\nhint: use a "
                         f"smaller window or dilation.")
    out = None
    for pos in np.ndindex(*window):
        tap = x[(slice(None),) + tuple(slice(p * d, p * d + o) for p, d, o in
                                       zip(pos, dilations, outs))]
        out = tap if out is None else (maximum(out, tap) if kind == "max" else add(out, tap))
    return out if kind == "max" else multiply(out, 1.0 / int(np.prod(window)))


__tf_names__ = {
    "nn": "avg_pool avg_pool1d avg_pool2d avg_pool3d conv1d conv1d_transpose conv2d "
          "conv2d_transpose conv3d conv3d_transpose conv_transpose convolution depthwise_conv2d "
          "max_pool max_pool1d max_pool2d max_pool3d pool separable_conv2d",
}
