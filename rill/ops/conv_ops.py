"""Convolution and pooling (`tf.nn.conv2d`, `tf.nn.max_pool2d`, ...), channels-last.

Kernels work for any number of spatial dimensions (conv1d runs the Conv2D op on one
spatial axis). A convolution gathers every window into one matrix with a strided view
(im2col) and multiplies it by the filter in one BLAS call; its gradients are ops of their
own (Conv2DBackpropInput, Conv2DBackpropFilter) whose gradients are convolutions again, so
convolutions can be differentiated twice. Pooling loops over the few window positions, never
over elements.
"""

from __future__ import annotations

import numpy as np

from rill._core import blas as _blas
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops._util import shape_tensor, to_tensor
from rill.ops.nn_ops import masked

_as_strided = np.lib.stride_tricks.as_strided


# -- geometry -----------------------------------------------------------------------------
def _geometry(sizes, ksizes, strides, dilations, padding, explicit):
    """Output sizes and (before, after) paddings per spatial axis (None where unknown)."""
    outs, pads = [], []
    for i, (n, k, s, d) in enumerate(zip(sizes, ksizes, strides, dilations)):
        ek = None if k is None else (k - 1) * d + 1
        if padding == "SAME":
            o = None if n is None else -(-n // s)
            total = None if n is None or k is None else max((o - 1) * s + ek - n, 0)
            pads.append(None if total is None else (total // 2, total - total // 2))
        else:
            b, a = explicit[i] if padding == "EXPLICIT" else (0, 0)
            o = None
            if n is not None and k is not None:
                room = n + b + a - ek + s
                if room <= -s:
                    raise ValueError(f"Computed output size would be negative: {-(-room // s)} "
                                     f"[input_size: {n}, effective_filter_size: {ek}, stride: "
                                     f"{s}]; the window is larger than the (padded) input")
                o = max(room // s, 0)
            pads.append((b, a))
        outs.append(o)
    return outs, pads


def _pad(x, pads, value=0, channels_first=False):
    """Pads the spatial axes of a channels-last x (optionally moving channels to the front,
    in the same copy)."""
    padded = any(b or a for b, a in pads)
    if not padded and not channels_first:
        return x
    n, c = x.shape[0], x.shape[-1]
    spatial = tuple(s + b + a for s, (b, a) in zip(x.shape[1:-1], pads))
    inner = tuple(slice(b, b + s) for s, (b, _) in zip(x.shape[1:-1], pads))
    if channels_first:
        shape, where, x = (c, n) + spatial, (slice(None), slice(None)) + inner, \
            np.moveaxis(x, -1, 0)
    else:
        shape, where = (n,) + spatial + (c,), (slice(None),) + inner
    out = np.full(shape, value, dtype=x.dtype) if padded and value else \
        np.zeros(shape, dtype=x.dtype) if padded else np.empty(shape, dtype=x.dtype)
    out[where] = x
    return out


def _windows(xp, ksizes, strides, dilations, outs):
    """A read-only view (N, *outs, *ksizes, C) of every window of the padded input."""
    st = xp.strides
    ns = len(ksizes)
    shape = (xp.shape[0],) + tuple(outs) + tuple(ksizes) + (xp.shape[-1],)
    strides_ = (st[0],) + tuple(st[1 + i] * strides[i] for i in range(ns)) + \
        tuple(st[1 + i] * dilations[i] for i in range(ns)) + (st[-1],)
    return _as_strided(xp, shape, strides_, writeable=False)


def _slices(pos, strides, dilations, outs):
    """Index of the input elements that window position `pos` touches, one per output."""
    return (slice(None),) + tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                                  for p, s, d, o in zip(pos, strides, dilations, outs))


def _crop(xp, pads, sizes):
    return xp[(slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes))]


def _im2col(x, ksizes, strides, dilations, padding, explicit):
    """Every window as one row of a (windows, K * C) matrix, and the geometry."""
    sizes = x.shape[1:-1]
    outs, pads = _geometry(sizes, ksizes, strides, dilations, padding, explicit)
    n, c = x.shape[0], x.shape[-1]
    rows = n * int(np.prod(outs))
    if all(k == 1 for k in ksizes) and all(s == 1 for s in strides) and \
            not any(b or a for b, a in pads):
        return x.reshape(rows, c), outs, pads
    if c >= 4:  # one copy of a strided view; rows of K * C contiguous values
        win = _windows(_pad(x, pads), ksizes, strides, dilations, outs)
        return win.reshape(rows, int(np.prod(ksizes)) * c), outs, pads
    # few channels: copy each window position as one block (channels outermost) and use
    # the transposed matrix, far faster than a copy with an innermost length of 1 to 3
    xcf = _pad(x, pads, channels_first=True)
    cols = np.empty(tuple(ksizes) + (c, n) + tuple(outs), dtype=x.dtype)
    for pos in np.ndindex(*ksizes):
        cols[pos] = xcf[(slice(None),) + _slices(pos, strides, dilations, outs)]
    return cols.reshape(int(np.prod(ksizes)) * c, rows).T, outs, pads


def _matmul(a, b):
    batch = max(a.size // (a.shape[-2] * a.shape[-1] or 1), b.size // (b.shape[-2] *
                                                                       b.shape[-1] or 1))
    _blas.for_flops(batch * a.shape[-2] * a.shape[-1] * b.shape[-1])
    out = np.matmul(a, b)
    return out if out.dtype == a.dtype else out.astype(a.dtype)  # bfloat16 comes back f32


# -- Conv2D and its gradients -------------------------------------------------------------
def _conv_kernel(x, w, *, strides, dilations, padding, explicit):
    ksizes = w.shape[:-2]
    cols, outs, _ = _im2col(x, ksizes, strides, dilations, padding, explicit)
    out = _matmul(cols, w.reshape(-1, w.shape[-1]))
    return out.reshape((x.shape[0],) + tuple(outs) + (w.shape[-1],))


def _check_dtypes(name, *xs):
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"{name}: input dtypes differ ({xs[0].dtype.name} vs "
                             f"{x.dtype.name})")


def _conv_rule(x, w, *, strides, dilations, padding, explicit):
    _check_dtypes("Conv2D", x, w)
    ns = len(strides)
    xs, ws = x.shape, w.shape
    if xs.rank is None:
        return TensorShape(None), x.dtype
    if xs.rank != ns + 2:
        raise ValueError(f"input must have rank {ns + 2}, got shape {xs}")
    k = ws.as_list()[:ns] if ws.rank is not None else [None] * ns
    c_in, f = (ws[-2], ws[-1]) if ws.rank is not None else (None, None)
    if c_in is not None and xs[-1] is not None and c_in != xs[-1]:
        raise ValueError(f"input depth {xs[-1]} does not match the filter's input depth "
                         f"{c_in} (filter shape {ws})")
    outs, _ = _geometry(xs.as_list()[1:-1], k, strides, dilations, padding, explicit)
    return TensorShape([xs[0]] + outs + [f]), x.dtype


def _conv_grad(op, dy):
    x, w = op.inputs
    gx = execute(CONV_INPUT, (shape_tensor(x), w, dy), op.attrs) if op.needs_grad(0) else None
    gw = execute(CONV_FILTER, (x, shape_tensor(w), dy), op.attrs) if op.needs_grad(1) else None
    return gx, gw


def _conv_input_kernel(sizes, w, dy, *, strides, dilations, padding, explicit):
    sizes = tuple(int(v) for v in sizes)
    ksizes = w.shape[:-2]
    outs, pads = _geometry(sizes[1:-1], ksizes, strides, dilations, padding, explicit)
    if tuple(dy.shape[1:-1]) != tuple(outs):
        raise ValueError(f"out_backprop has spatial shape {dy.shape[1:-1]} but an input of "
                         f"shape {sizes} gives {tuple(outs)}")
    n, c, f = sizes[0], sizes[-1], w.shape[-1]
    k = int(np.prod(ksizes))
    padded = tuple(s + b + a for s, (b, a) in zip(sizes[1:-1], pads))
    if c >= 4:  # one product per window position, each a contiguous (n, *outs, c) block
        parts = _matmul(dy.reshape(1, -1, f), w.reshape(k, c, f).transpose(0, 2, 1))
        parts = parts.reshape(tuple(ksizes) + (n,) + tuple(outs) + (c,))
        dxp = np.zeros((n,) + padded + (c,), dtype=dy.dtype)
        for pos in np.ndindex(*ksizes):
            dxp[_slices(pos, strides, dilations, outs)] += parts[pos]
        return _crop(dxp, pads, sizes[1:-1])
    parts = _matmul(w.reshape(-1, f), dy.reshape(-1, f).T).reshape(tuple(ksizes) + (c, n) +
                                                             tuple(outs))
    dxp = np.zeros((c, n) + padded, dtype=dy.dtype)  # channels outermost, as in _im2col
    for pos in np.ndindex(*ksizes):
        dxp[(slice(None),) + _slices(pos, strides, dilations, outs)] += parts[pos]
    return _crop(np.moveaxis(dxp, 0, -1), pads, sizes[1:-1])


def _sizes_rule(sizes, like, dtype):
    v = constant_value(sizes)
    if v is not None:
        return TensorShape([int(d) for d in np.asarray(v).reshape(-1)]), dtype
    return TensorShape(None if like.shape.rank is None else [None] * like.shape.rank), dtype


def _conv_input_rule(sizes, w, dy, **attrs):
    _check_dtypes("Conv2DBackpropInput", w, dy)
    return _sizes_rule(sizes, dy, dy.dtype)


def _conv_input_grad(op, ddx):
    _, w, dy = op.inputs
    gw = execute(CONV_FILTER, (ddx, shape_tensor(w), dy), op.attrs) if op.needs_grad(1) \
        else None
    gdy = execute(CONV, (ddx, w), op.attrs) if op.needs_grad(2) else None
    return None, gw, gdy


def _conv_filter_kernel(x, sizes, dy, *, strides, dilations, padding, explicit):
    ksizes = tuple(int(v) for v in sizes)
    cols, outs, _ = _im2col(x, ksizes[:-2], strides, dilations, padding, explicit)
    if tuple(dy.shape[1:-1]) != tuple(outs):
        raise ValueError(f"out_backprop has spatial shape {dy.shape[1:-1]} but the input "
                         f"gives {tuple(outs)}")
    return _matmul(cols.T, dy.reshape(-1, dy.shape[-1])).reshape(ksizes)


def _conv_filter_rule(x, sizes, dy, **attrs):
    _check_dtypes("Conv2DBackpropFilter", x, dy)
    return _sizes_rule(sizes, x, x.dtype)


def _conv_filter_grad(op, ddw):
    x, _, dy = op.inputs
    gx = execute(CONV_INPUT, (shape_tensor(x), ddw, dy), op.attrs) if op.needs_grad(0) \
        else None
    gdy = execute(CONV, (x, ddw), op.attrs) if op.needs_grad(2) else None
    return gx, None, gdy


CONV = defop("Conv2D", _conv_kernel, _conv_rule, _conv_grad, public_name="tf.nn.conv2d")
CONV_INPUT = defop("Conv2DBackpropInput", _conv_input_kernel, _conv_input_rule,
                   _conv_input_grad, public_name="tf.nn.conv2d_transpose")
CONV_FILTER = defop("Conv2DBackpropFilter", _conv_filter_kernel, _conv_filter_rule,
                    _conv_filter_grad, public_name="tf.nn.conv2d (filter gradient)")


# -- depthwise convolution ----------------------------------------------------------------
def _dw_kernel(x, w, *, strides, dilations, padding, explicit):
    ksizes, (c, m) = w.shape[:-2], w.shape[-2:]
    outs, pads = _geometry(x.shape[1:-1], ksizes, strides, dilations, padding, explicit)
    xp = _pad(x, pads)
    out = np.zeros((x.shape[0],) + tuple(outs) + (c, m), dtype=x.dtype)
    for pos in np.ndindex(*ksizes):
        out += xp[_slices(pos, strides, dilations, outs)][..., None] * w[pos]
    return out.reshape(out.shape[:-2] + (c * m,))


def _dw_rule(x, w, *, strides, dilations, padding, explicit):
    _check_dtypes("DepthwiseConv2dNative", x, w)
    xs, ws = x.shape, w.shape
    if xs.rank is None:
        return TensorShape(None), x.dtype
    ns = len(strides)
    k = ws.as_list()[:ns] if ws.rank is not None else [None] * ns
    c, m = (ws[-2], ws[-1]) if ws.rank is not None else (None, None)
    if c is not None and xs[-1] is not None and c != xs[-1]:
        raise ValueError(f"input depth {xs[-1]} does not match the filter's depth {c} "
                         f"(filter shape {ws})")
    outs, _ = _geometry(xs.as_list()[1:-1], k, strides, dilations, padding, explicit)
    cm = None if c is None and xs[-1] is None or m is None else (c or xs[-1]) * m
    return TensorShape([xs[0]] + outs + [cm]), x.dtype


def _dw_grad(op, dy):
    x, w = op.inputs
    gx = execute(DW_INPUT, (shape_tensor(x), w, dy), op.attrs) if op.needs_grad(0) else None
    gw = execute(DW_FILTER, (x, shape_tensor(w), dy), op.attrs) if op.needs_grad(1) else None
    return gx, gw


def _dw_input_kernel(sizes, w, dy, *, strides, dilations, padding, explicit):
    sizes = tuple(int(v) for v in sizes)
    ksizes, (c, m) = w.shape[:-2], w.shape[-2:]
    outs, pads = _geometry(sizes[1:-1], ksizes, strides, dilations, padding, explicit)
    dy = dy.reshape(dy.shape[:-1] + (c, m))
    padded = (sizes[0],) + tuple(s + b + a for s, (b, a) in zip(sizes[1:-1], pads)) + (c,)
    dxp = np.zeros(padded, dtype=dy.dtype)
    for pos in np.ndindex(*ksizes):
        dxp[_slices(pos, strides, dilations, outs)] += np.einsum("...cm,cm->...c", dy, w[pos])
    return _crop(dxp, pads, sizes[1:-1])


def _dw_input_grad(op, ddx):
    _, w, dy = op.inputs
    gw = execute(DW_FILTER, (ddx, shape_tensor(w), dy), op.attrs) if op.needs_grad(1) \
        else None
    gdy = execute(DEPTHWISE, (ddx, w), op.attrs) if op.needs_grad(2) else None
    return None, gw, gdy


def _dw_filter_kernel(x, sizes, dy, *, strides, dilations, padding, explicit):
    ksizes = tuple(int(v) for v in sizes)
    c, m = ksizes[-2:]
    outs, pads = _geometry(x.shape[1:-1], ksizes[:-2], strides, dilations, padding, explicit)
    xp = _pad(x, pads)
    dy = dy.reshape(-1, c, m)
    dw = np.empty(ksizes, dtype=x.dtype)
    for pos in np.ndindex(*ksizes[:-2]):
        dw[pos] = np.einsum("pc,pcm->cm", xp[_slices(pos, strides, dilations, outs)]
                            .reshape(-1, c), dy)
    return dw


def _dw_filter_grad(op, ddw):
    x, _, dy = op.inputs
    gx = execute(DW_INPUT, (shape_tensor(x), ddw, dy), op.attrs) if op.needs_grad(0) \
        else None
    gdy = execute(DEPTHWISE, (x, ddw), op.attrs) if op.needs_grad(2) else None
    return gx, None, gdy


DEPTHWISE = defop("DepthwiseConv2dNative", _dw_kernel, _dw_rule, _dw_grad,
                  public_name="tf.nn.depthwise_conv2d")
DW_INPUT = defop("DepthwiseConv2dNativeBackpropInput", _dw_input_kernel,
                 lambda sizes, w, dy, **a: _sizes_rule(sizes, dy, dy.dtype), _dw_input_grad,
                 public_name="tf.nn.depthwise_conv2d (input gradient)")
DW_FILTER = defop("DepthwiseConv2dNativeBackpropFilter", _dw_filter_kernel,
                  lambda x, sizes, dy, **a: _sizes_rule(sizes, x, x.dtype), _dw_filter_grad,
                  public_name="tf.nn.depthwise_conv2d (filter gradient)")


# -- pooling ------------------------------------------------------------------------------
def _lowest(dtype):
    return -np.inf if dtype.kind in "fV" else np.iinfo(dtype).min


def _pool_geometry(x_shape, ksize, strides, padding):
    ones = (1,) * len(ksize)
    return _geometry(x_shape[1:-1], ksize, strides, ones, padding, None)


def _max_pool_kernel(x, *, ksize, strides, padding):
    outs, pads = _pool_geometry(x.shape, ksize, strides, padding)
    ones = (1,) * len(ksize)
    xp = _pad(x, pads, _lowest(x.dtype))
    out = None
    for pos in np.ndindex(*ksize):  # a few elementwise passes beat one strided reduction
        v = xp[_slices(pos, strides, ones, outs)]
        out = v.copy() if out is None else np.maximum(out, v, out=out)
    return out


def _pool_rule(x, *, ksize, strides, padding, name="MaxPool"):
    s = x.shape
    if s.rank is None:
        return TensorShape(None), x.dtype
    if s.rank != len(ksize) + 2:
        raise ValueError(f"{name} needs an input of rank {len(ksize) + 2}, got shape {s}")
    outs, _ = _pool_geometry(s.as_list(), ksize, strides, padding)
    return TensorShape([s[0]] + outs + [s[-1]]), x.dtype


def _argmax_masks(xp, y, ksize, strides, outs):
    """For each window position, where it holds its window's first maximum (TF's tie rule)."""
    ones = (1,) * len(ksize)
    free = None  # outputs whose maximum has not been found yet
    for pos in np.ndindex(*ksize):
        sl = _slices(pos, strides, ones, outs)
        hit = xp[sl] == y
        if free is None:
            free = ~hit
        else:
            hit &= free
            free ^= hit
        yield sl, hit


def _max_pool_grad_kernel(x, y, dy, *, ksize, strides, padding):
    outs, pads = _pool_geometry(x.shape, ksize, strides, padding)
    xp = _pad(x, pads, _lowest(x.dtype))
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    disjoint = all(k <= s for k, s in zip(ksize, strides))
    for sl, hit in _argmax_masks(xp, y, ksize, strides, outs):
        if disjoint:  # every input is in one window at most: write, don't accumulate
            dxp[sl] = masked(hit, dy)
        else:
            dxp[sl] += masked(hit, dy)
    return _crop(dxp, pads, x.shape[1:-1])


def _max_pool_grad_grad_kernel(x, y, ddx, *, ksize, strides, padding):
    outs, pads = _pool_geometry(x.shape, ksize, strides, padding)
    xp, ddxp = _pad(x, pads, _lowest(x.dtype)), _pad(ddx, pads)
    out = np.zeros(y.shape, dtype=ddx.dtype)
    for sl, hit in _argmax_masks(xp, y, ksize, strides, outs):
        out += masked(hit, ddxp[sl])  # exactly one hit per output
    return out


MAX_POOL = defop("MaxPool", _max_pool_kernel, _pool_rule,
                 lambda op, dy: (execute(MAX_POOL_GRAD, (op.inputs[0], op.outputs[0], dy),
                                         op.attrs),),
                 public_name="tf.nn.max_pool2d")
MAX_POOL_GRAD = defop(
    "MaxPoolGrad", _max_pool_grad_kernel, lambda x, y, dy, **a: (x.shape, dy.dtype),
    lambda op, ddx: (None, None, execute(MAX_POOL_GRAD_GRAD, op.inputs[:2] + (ddx,),
                                         op.attrs)),
    public_name="tf.nn.max_pool2d (gradient)")
MAX_POOL_GRAD_GRAD = defop(
    "MaxPoolGradGrad", _max_pool_grad_grad_kernel, lambda x, y, d, **a: (y.shape, d.dtype),
    lambda op, g: (None, None, execute(MAX_POOL_GRAD, op.inputs[:2] + (g,), op.attrs)),
    public_name="tf.nn.max_pool2d (second gradient)")


def _counts(sizes, ksize, strides, pads, outs, dtype):
    """How many real (unpadded) inputs each output window averages: a separable product."""
    total = np.ones((), dtype=dtype)
    ns = len(ksize)
    for i, (n, k, s, (b, _), o) in enumerate(zip(sizes, ksize, strides, pads, outs)):
        start = np.arange(o) * s
        c = np.minimum(start + k, b + n) - np.maximum(start, b)
        total = total * c.astype(dtype).reshape((o,) + (1,) * (ns - i - 1) + (1,))
    return total


def _avg_pool_kernel(x, *, ksize, strides, padding):
    outs, pads = _pool_geometry(x.shape, ksize, strides, padding)
    ones = (1,) * len(ksize)
    xp = _pad(x, pads)
    out = None
    for pos in np.ndindex(*ksize):
        v = xp[_slices(pos, strides, ones, outs)]
        out = v.copy() if out is None else np.add(out, v, out=out)
    if padding == "SAME":
        return out / _counts(x.shape[1:-1], ksize, strides, pads, outs, x.dtype)
    out *= x.dtype.type(1.0 / np.prod(ksize))
    return out


def _avg_pool_grad_kernel(sizes, dy, *, ksize, strides, padding):
    sizes = tuple(int(v) for v in sizes)
    outs, pads = _pool_geometry(sizes, ksize, strides, padding)
    ones = (1,) * len(ksize)
    g = dy / _counts(sizes[1:-1], ksize, strides, pads, outs, dy.dtype)
    padded = (sizes[0],) + tuple(s + b + a for s, (b, a) in zip(sizes[1:-1], pads)) + \
        (sizes[-1],)
    dxp = np.zeros(padded, dtype=dy.dtype)
    for pos in np.ndindex(*ksize):
        dxp[_slices(pos, strides, ones, outs)] += g
    return _crop(dxp, pads, sizes[1:-1])


AVG_POOL = defop("AvgPool", _avg_pool_kernel,
                 lambda x, **a: _pool_rule(x, name="AvgPool", **a),
                 lambda op, dy: (execute(AVG_POOL_GRAD, (shape_tensor(op.inputs[0]), dy),
                                         op.attrs),),
                 public_name="tf.nn.avg_pool2d")
AVG_POOL_GRAD = defop(
    "AvgPoolGrad", _avg_pool_grad_kernel,
    lambda sizes, dy, **a: _sizes_rule(sizes, dy, dy.dtype),
    lambda op, ddx: (None, execute(AVG_POOL, (ddx,), op.attrs)),
    public_name="tf.nn.avg_pool2d (gradient)")


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


def _conv_call(opdef, fn, n, input, filters, strides, padding, data_format, dilations):
    op = opdef.name
    cf, attrs = _conv_attrs(fn, fn, op, n, strides, padding, data_format, dilations, True)
    x, xs = _float_input(input, fn, op, "input", n + 2)
    w, ws = _float_input(filters, fn, op, "filters", n + 2)
    if x.dtype is not w.dtype:
        raise _fail(fn, op, f"input is {x.dtype.name} but filters are {w.dtype.name}.",
                    "tf.cast both to one float dtype.")
    depth = ws[-2] if ws.rank is not None else None
    c = (xs[1] if cf else xs[-1]) if xs.rank is not None else None
    if c is not None and depth is not None and c != depth:
        raise _fail(fn, op, f"input has {c} channels but filters expect {depth} (filters of "
                    f"shape {ws} are [*spatial, in_channels, out_channels]).",
                    "check the channel axis (data_format) and the filter shape.")
    if cf:
        return _to_first(execute(opdef, (_to_last(x, n), w), attrs), n)
    return execute(opdef, (x, w), attrs)


# -- public functions ---------------------------------------------------------------------
def conv2d(input, filters, strides, padding, data_format="NHWC",  # noqa: A002 - TF's name
           dilations=None, name=None):
    """2-D convolution (cross-correlation, as in TensorFlow) of a batch of images.

    `input` is [batch, height, width, in_channels] (NHWC), `filters` is [filter_height,
    filter_width, in_channels, out_channels]; `padding` is 'SAME', 'VALID' or explicit
    [[0, 0], [top, bottom], [left, right], [0, 0]].

    >>> tf.nn.conv2d(tf.ones([1, 5, 5, 1]), tf.ones([3, 3, 1, 2]), 1, 'VALID').shape
    TensorShape([1, 3, 3, 2])
    """
    return _conv_call(CONV, "tf.nn.conv2d", 2, input, filters, strides, padding, data_format,
                      dilations)


def conv1d(input, filters, stride, padding, data_format="NWC",  # noqa: A002 - TF's name
           dilations=None, name=None):
    """1-D convolution: `input` [batch, width, in_channels], `filters` [width, in_channels,
    out_channels].

    >>> tf.nn.conv1d(tf.ones([1, 5, 1]), tf.ones([3, 1, 2]), 1, 'SAME').shape
    TensorShape([1, 5, 2])
    """
    return _conv_call(CONV, "tf.nn.conv1d", 1, input, filters, stride, padding, data_format,
                      dilations)


def convolution(input, filters, strides=None, padding="VALID",  # noqa: A002 - TF's name
                data_format=None, dilations=None, name=None):
    """N-D convolution (1-D or 2-D here), the rank taken from `filters`."""
    w = to_tensor(filters)
    n = (w.shape.rank or 4) - 2
    if n not in (1, 2):
        raise _fail("tf.nn.convolution", "Conv2D", f"only 1-D and 2-D convolutions are "
                    f"supported, got filters of shape {w.shape}.",
                    "use filters of rank 3 (1-D) or 4 (2-D).")
    return _conv_call(CONV, "tf.nn.convolution", n, input, w, 1 if strides is None else
                      strides, padding, data_format, dilations)


def _transpose_call(fn, n, input, filters, output_shape, strides, padding, data_format,
                    dilations):
    op = "Conv2DBackpropInput"
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
        outs, _ = _geometry(dims[1:-1], ws.as_list()[:n] if ws.rank else [None] * n,
                            attrs["strides"], attrs["dilations"], pad, explicit)
        got = x.shape.as_list()[2:] if cf and x.shape.rank else \
            (x.shape.as_list()[1:-1] if x.shape.rank else None)
        if got is not None and all(g is not None for g in got) and \
                all(o is not None for o in outs) and list(got) != list(outs):
            raise _fail(fn, op, f"an output of shape {dims} convolved with these strides "
                        f"and padding has spatial size {outs}, but input has {got}.",
                        "choose output_shape so that conv2d(output, filters) has input's "
                        "shape.")
        sizes = to_tensor(np.array(dims, dtype=np.int32))
    else:
        sizes = to_tensor(output_shape)
    xi = _to_last(x, n) if cf else x
    out = execute(CONV_INPUT, (sizes, w, xi), attrs)
    return _to_first(out, n) if cf else out


def conv2d_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                     padding="SAME", data_format="NHWC", dilations=None, name=None):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).

    `filters` is [height, width, output_channels, in_channels]; `output_shape` the full
    [batch, height, width, output_channels] of the result.
    """
    return _transpose_call("tf.nn.conv2d_transpose", 2, input, filters, output_shape,
                           strides, padding, data_format, dilations)


def conv1d_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                     padding="SAME", data_format="NWC", dilations=None, name=None):
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input)."""
    return _transpose_call("tf.nn.conv1d_transpose", 1, input, filters, output_shape,
                           strides, padding, data_format, dilations)


def conv_transpose(input, filters, output_shape, strides,  # noqa: A002 - TF's name
                   padding="SAME", data_format=None, dilations=None, name=None):
    """Transposed convolution of rank 1 or 2, the rank taken from `filters`."""
    n = (to_tensor(filters).shape.rank or 4) - 2
    return _transpose_call("tf.nn.conv_transpose", n, input, filters, output_shape, strides,
                           padding, data_format, dilations)


def depthwise_conv2d(input, filter, strides, padding,  # noqa: A002 - TF's names
                     data_format=None, dilations=None, name=None):
    """Convolves each input channel with its own `channel_multiplier` filters.

    `filter` is [height, width, in_channels, channel_multiplier]; the output has
    in_channels * channel_multiplier channels. `strides` is a list of 4 ints.
    """
    return _conv_call(DEPTHWISE, "tf.nn.depthwise_conv2d", 2, input, filter, strides,
                      padding, data_format, dilations)


def separable_conv2d(input, depthwise_filter, pointwise_filter,  # noqa: A002 - TF's name
                     strides, padding, data_format=None, dilations=None, name=None):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
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


def _pool_call(opdef, fn, n, input, ksize, strides, padding, data_format):
    op = opdef.name
    x = to_tensor(input)
    shape = x.shape
    if n is None:
        n = (shape.rank or 4) - 2
    if shape.rank is not None and shape.rank != n + 2:
        raise _fail(fn, op, f"input must have rank {n + 2} ([batch, *spatial, channels]), "
                    f"got shape {shape}.", "add the batch and channel axes.")
    if opdef is AVG_POOL and not x.dtype.is_floating:
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
    return _pool_call(MAX_POOL, "tf.nn.max_pool2d", 2, input, ksize, strides, padding,
                      data_format)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
               name=None):
    """Mean over each window of a batch of images (NHWC); with 'SAME' padding the padded
    positions are not counted.
    """
    return _pool_call(AVG_POOL, "tf.nn.avg_pool2d", 2, input, ksize, strides, padding,
                      data_format)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """Max over each window of a batch of sequences (NWC)."""
    return _pool_call(MAX_POOL, "tf.nn.max_pool1d", 1, input, ksize, strides, padding,
                      data_format)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """Mean over each window of a batch of sequences (NWC)."""
    return _pool_call(AVG_POOL, "tf.nn.avg_pool1d", 1, input, ksize, strides, padding,
                      data_format)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Max pooling of rank 1 or 2, the rank taken from `input` (3-D or 4-D)."""
    return _pool_call(MAX_POOL, "tf.nn.max_pool", None, input, ksize, strides, padding,
                      data_format)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Average pooling of rank 1 or 2, the rank taken from `input` (3-D or 4-D)."""
    return _pool_call(AVG_POOL, "tf.nn.avg_pool", None, input, ksize, strides, padding,
                      data_format)

