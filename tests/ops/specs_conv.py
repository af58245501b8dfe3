"""Op specs for the convolution and pooling ops beyond specs_nn.py's 2-D ones: 1-D and 3-D
convolutions, grouped convolutions, the channel-rich kernel path (C >= 4), non-overlapping
(assigning) gradients, and 3-D pooling (format: tests/ops/opspec.py).

The references loop over output positions with `np.ndindex` for any number of spatial axes
and pad with TensorFlow's documented SAME rule (output ceil(n / s); total padding
max((out - 1) * s + (k - 1) * d + 1 - n, 0), the smaller half before). Groups follow
TensorFlow's Conv2D: the input has groups * filter_depth channels; output channel f reads
input channel block f // (F / groups).
"""

import numpy as np

from rill._core.op import execute
from rill.ops import conv_ops as C
from tests.ops.opspec import OpSpec, normal


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _pads(x_shape, ks, s, padding, d):
    if padding == "VALID":
        return [(0, 0)] * len(ks)
    if padding == "SAME":
        out = []
        for n, k, si, di in zip(x_shape[1:-1], ks, s, d):
            o = -(-n // si)
            total = max((o - 1) * si + (k - 1) * di + 1 - n, 0)
            out.append((total // 2, total - total // 2))
        return out
    return [tuple(p) for p in padding]


def _window(o, ks, s, d):
    """The index of output position o's window in the padded input."""
    return (slice(None),) + tuple(slice(oi * si, oi * si + (k - 1) * di + 1, di)
                                  for oi, k, si, di in zip(o, ks, s, d))


def _outs(xp_shape, ks, s, d):
    return [(n - (k - 1) * di - 1) // si + 1 for n, k, si, di in zip(xp_shape[1:-1], ks, s, d)]


def conv_nd_ref(x, w, s, padding="VALID", d=None, groups=1):
    """out[n, o, f] = sum_{k, c} xpad[n, o*s + k*d, g*Cg + c] w[k, c, f], g = f // (F/G)."""
    ns = x.ndim - 2
    ks, d = w.shape[:ns], d or (1,) * ns
    pads = _pads(x.shape, ks, s, padding, d)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = _outs(xp.shape, ks, s, d)
    cg, f = w.shape[-2:]
    fg = f // groups
    out = np.zeros((x.shape[0],) + tuple(outs) + (f,))
    for o in np.ndindex(*outs):
        patch = xp[_window(o, ks, s, d)]
        for g in range(groups):
            out[(slice(None),) + o + (slice(g * fg, (g + 1) * fg),)] = np.tensordot(
                patch[..., g * cg:(g + 1) * cg], w[..., g * fg:(g + 1) * fg],
                axes=(list(range(1, ns + 2)), list(range(ns + 1))))
    return out


def conv_nd_input_ref(x_shape, w, dy, s, padding="VALID", d=None, groups=1):
    """The adjoint of conv_nd_ref in x: each output's gradient scattered over its window."""
    ns = len(x_shape) - 2
    ks, d = w.shape[:ns], d or (1,) * ns
    pads = _pads(x_shape, ks, s, padding, d)
    dxp = np.zeros((x_shape[0],) + tuple(n + b + a for n, (b, a) in zip(x_shape[1:-1], pads)) +
                   (x_shape[-1],))
    cg, f = w.shape[-2:]
    fg = f // groups
    for o in np.ndindex(*dy.shape[1:-1]):
        win = _window(o, ks, s, d)
        for g in range(groups):
            dxp[win + (slice(g * cg, (g + 1) * cg),)] += np.tensordot(
                dy[(slice(None),) + o + (slice(g * fg, (g + 1) * fg),)],
                w[..., g * fg:(g + 1) * fg], axes=([1], [ns + 1]))
    return dxp[(slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(x_shape[1:-1], pads))]


def conv_nd_filter_ref(x, w_shape, dy, s, padding="VALID", d=None, groups=1):
    ns = x.ndim - 2
    ks, d = w_shape[:ns], d or (1,) * ns
    pads = _pads(x.shape, ks, s, padding, d)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    cg, f = w_shape[-2:]
    fg = f // groups
    dw = np.zeros(w_shape)
    for o in np.ndindex(*dy.shape[1:-1]):
        patch = xp[_window(o, ks, s, d)]
        for g in range(groups):
            dw[..., g * fg:(g + 1) * fg] += np.tensordot(
                patch[..., g * cg:(g + 1) * cg], dy[(slice(None),) + o +
                                                    (slice(g * fg, (g + 1) * fg),)],
                axes=([0], [0]))
    return dw


def pool_nd_ref(x, k, s, padding, how):
    """Max or mean over each window's real (unpadded) elements."""
    ns = x.ndim - 2
    pads = _pads(x.shape, k, s, padding, (1,) * ns)
    outs = [(n + b + a - kk) // ss + 1 for n, (b, a), kk, ss in zip(x.shape[1:-1], pads, k, s)]
    out = np.zeros((x.shape[0],) + tuple(outs) + (x.shape[-1],))
    for o in np.ndindex(*outs):
        win = (slice(None),) + tuple(slice(max(oi * ss - b, 0), min(oi * ss - b + kk, n))
                                     for oi, ss, (b, _), kk, n in
                                     zip(o, s, pads, k, x.shape[1:-1]))
        axes = tuple(range(1, ns + 1))
        out[(slice(None),) + o] = x[win].max(axes) if how == "max" else x[win].mean(axes)
    return out


def max_pool_nd_grad_ref(x, dy, k, s, padding):
    """Each output's gradient goes to the first maximum of its window (row-major)."""
    ns = x.ndim - 2
    pads = _pads(x.shape, k, s, padding, (1,) * ns)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=-np.inf)
    dxp = np.zeros_like(xp)
    for b in range(x.shape[0]):
        for c in range(x.shape[-1]):
            for o in np.ndindex(*dy.shape[1:-1]):
                corner = [oi * ss for oi, ss in zip(o, s)]
                win = xp[(b,) + tuple(slice(c0, c0 + kk) for c0, kk in zip(corner, k)) + (c,)]
                at = np.unravel_index(np.argmax(win), win.shape)
                dxp[(b,) + tuple(c0 + a for c0, a in zip(corner, at)) + (c,)] += \
                    dy[(b,) + o + (c,)]
    return dxp[(slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[1:-1], pads))]


def _attrs(s, padding, d):
    explicit = None
    if not isinstance(padding, str):
        explicit, padding = tuple(tuple(p) for p in padding), "EXPLICIT"
    return {"strides": tuple(s), "dilations": tuple(d), "padding": padding,
            "explicit": explicit}


def _sizes(shape):
    return C.to_tensor(np.array(shape, np.int32))


# (ops, x shape, filter shape, strides, padding, dilations, groups, second order)
CONV_CASES = [
    # 1-D (the Conv2D op on one spatial axis)
    ("Conv2D", (2, 9, 4), (3, 4, 5), (1,), "SAME", (1,), 1, True),
    ("Conv2D", (2, 9, 4), (3, 4, 5), (2,), "VALID", (1,), 1, False),
    ("Conv2D", (2, 9, 2), (3, 2, 3), (1,), "SAME", (2,), 1, False),
    ("Conv2D", (2, 8, 4), (2, 4, 3), (2,), "VALID", (1,), 1, False),  # windows do not overlap
    ("Conv2D", (2, 8, 4), (3, 4, 3), (1,), [(2, 0)], (1,), 1, False),  # causal
    # 2-D with C >= 4 (rows-major im2col), strided, dilated, non-overlapping, 1x1
    ("Conv2D", (2, 5, 6, 5), (3, 3, 5, 3), (1, 1), "SAME", (1, 1), 1, True),
    ("Conv2D", (2, 6, 7, 4), (3, 2, 4, 3), (2, 2), "SAME", (1, 1), 1, False),
    ("Conv2D", (2, 7, 6, 4), (3, 3, 4, 2), (1, 1), "VALID", (2, 1), 1, False),
    ("Conv2D", (2, 6, 6, 4), (2, 2, 4, 3), (2, 2), "VALID", (1, 1), 1, False),
    ("Conv2D", (2, 5, 5, 6), (1, 1, 6, 4), (1, 1), "VALID", (1, 1), 1, False),
    ("Conv2D", (2, 5, 5, 6), (1, 1, 6, 4), (2, 2), "SAME", (1, 1), 1, False),
    # 2-D, one input channel, strided and dilated (the transposed im2col)
    ("Conv2D", (2, 7, 7, 1), (3, 3, 1, 4), (2, 1), "SAME", (1, 2), 1, False),
    # grouped: channel-rich groups, and one channel per group
    ("Conv2D", (2, 5, 5, 8), (3, 3, 4, 6), (1, 1), "SAME", (1, 1), 2, True),
    ("Conv2D", (2, 6, 5, 8), (3, 2, 4, 4), (2, 1), "VALID", (1, 2), 2, False),
    ("Conv2D", (2, 5, 5, 3), (3, 3, 1, 6), (1, 2), "SAME", (1, 1), 3, False),
    # 3-D
    ("Conv3D", (2, 4, 5, 4, 3), (2, 3, 2, 3, 4), (1, 1, 1), "SAME", (1, 1, 1), 1, True),
    ("Conv3D", (1, 5, 5, 4, 4), (3, 3, 2, 4, 2), (2, 1, 2), "VALID", (1, 1, 1), 1, False),
    ("Conv3D", (1, 5, 5, 5, 4), (2, 2, 2, 4, 3), (1, 1, 1), "SAME", (2, 1, 2), 1, False),
    ("Conv3D", (1, 4, 4, 4, 2), (2, 2, 2, 2, 3), (2, 2, 2), "VALID", (1, 1, 1), 1, False),
    ("Conv3D", (1, 4, 5, 4, 4), (3, 2, 2, 4, 2), (1, 1, 1), [(1, 1), (0, 1), (1, 0)],
     (1, 1, 1), 1, False),
    ("Conv3D", (1, 4, 4, 4, 4), (2, 2, 2, 2, 4), (1, 1, 1), "SAME", (1, 1, 1), 2, False),
]

_FAMILY = {"Conv2D": ("Conv2DBackpropInput", "Conv2DBackpropFilter"),
           "Conv3D": ("Conv3DBackpropInputV2", "Conv3DBackpropFilterV2")}


def _conv_specs():
    specs = []
    for op, xs, ws, s, padding, d, g, second in CONV_CASES:
        ops = {"Conv2D": (C.CONV, C.CONV_INPUT, C.CONV_FILTER),
               "Conv3D": (C.CONV3D, C.CONV3D_INPUT, C.CONV3D_FILTER)}[op]
        a = _attrs(s, padding, d)
        tag = f"[x={xs},w={ws},s={s},{a['padding']},d={d},g={g}]"
        ref_pad = padding
        out = conv_nd_ref(np.zeros(xs), np.zeros(ws), s, ref_pad, d, g).shape
        specs.append(OpSpec(
            [op], lambda x, w, a=a, fwd=ops[0]: execute(fwd, (x, w), a),
            _ins(normal(*xs), normal(*ws)),
            ref=lambda x, w, s=s, p=ref_pad, d=d, g=g: conv_nd_ref(x, w, s, p, d, g),
            second_order=second, name=op + tag))
        specs.append(OpSpec(
            [_FAMILY[op][0]],
            lambda w, dy, a=a, xs=xs, inp=ops[1]: execute(inp, (_sizes(xs), w, dy), a),
            _ins(normal(*ws), normal(*out)),
            ref=lambda w, dy, xs=xs, s=s, p=ref_pad, d=d, g=g: conv_nd_input_ref(
                xs, w, dy, s, p, d, g),
            second_order=second, name=_FAMILY[op][0] + tag))
        specs.append(OpSpec(
            [_FAMILY[op][1]],
            lambda x, dy, a=a, ws=ws, flt=ops[2]: execute(flt, (x, _sizes(ws), dy), a),
            _ins(normal(*xs), normal(*out)),
            ref=lambda x, dy, ws=ws, s=s, p=ref_pad, d=d, g=g: conv_nd_filter_ref(
                x, ws, dy, s, p, d, g),
            second_order=second, name=_FAMILY[op][1] + tag))
    return specs


# (op, x shape, filter shape, strides, padding, dilations, groups, fused_ops): the fused
# convolution the graph optimizer makes of conv -> BiasAdd (-> Relu)
FUSED_CASES = [
    ("_FusedConv2D", (2, 5, 6, 5), (3, 3, 5, 3), (1, 1), "SAME", (1, 1), 1, ("BiasAdd", "Relu")),
    ("_FusedConv2D", (2, 7, 7, 1), (3, 3, 1, 4), (2, 1), "VALID", (1, 2), 1, ("BiasAdd",)),
    ("_FusedConv2D", (2, 5, 5, 8), (3, 3, 4, 6), (1, 1), "SAME", (1, 1), 2, ("BiasAdd", "Relu")),
    ("_FusedConv2D", (2, 9, 4), (3, 4, 5), (2,), "VALID", (1,), 1, ("BiasAdd", "Relu")),
    ("_FusedConv3D", (1, 4, 5, 4, 3), (2, 3, 2, 3, 4), (1, 1, 1), "SAME", (1, 1, 1), 1,
     ("BiasAdd", "Relu")),
]


def _fused_specs():
    specs = []
    for op, xs, ws, s, padding, d, g, fused in FUSED_CASES:
        opdef = C.FUSED_CONV3D if op == "_FusedConv3D" else C.FUSED_CONV
        a = dict(_attrs(s, padding, d), fused_ops=fused)
        relu = "Relu" in fused

        def ref(x, w, b, s=s, p=padding, d=d, g=g, relu=relu):
            z = conv_nd_ref(x, w, s, p, d, g) + b
            return np.maximum(z, 0) if relu else z

        specs.append(OpSpec(
            [op], lambda x, w, b, a=a, op=opdef: execute(op, (x, w, b), a),
            _ins(normal(*xs), normal(*ws), normal(ws[-1])), ref=ref,
            name=f"{op}[x={xs},w={ws},s={s},{padding},d={d},g={g},{'+'.join(fused)}]"))
    return specs


def _distinct(*shape):
    """Values far apart from each other, so no max-pool window has a near tie."""
    return lambda rng: rng.permutation(np.prod(shape)).reshape(shape) * 0.1


# (x shape, window, strides, padding): 1-D through the 2-D ops, 3-D through the 3-D ops
POOL_CASES = [
    ((2, 7, 3), (3,), (2,), "SAME"),
    ((2, 8, 3), (2,), (2,), "VALID"),
    ((2, 4, 6, 2), (2, 2), (2, 2), "VALID"),  # windows tile the input exactly
    ((1, 4, 5, 4, 2), (2, 2, 2), (2, 2, 2), "VALID"),
    ((1, 4, 5, 5, 2), (3, 2, 3), (2, 1, 2), "SAME"),
    ((1, 4, 4, 3, 2), (2, 3, 2), (1, 1, 1), "VALID"),
]


def _pool_specs():
    specs = []
    for xs, k, s, padding in POOL_CASES:
        three = len(k) == 3
        mx, mxg, mxgg, av, avg, fused = (
            (C.MAX_POOL3D, C.MAX_POOL3D_GRAD, C.MAX_POOL3D_GRAD_GRAD, C.AVG_POOL3D,
             C.AVG_POOL3D_GRAD, C.FUSED_MAX_POOL3D_GRAD) if three else
            (C.MAX_POOL, C.MAX_POOL_GRAD, C.MAX_POOL_GRAD_GRAD, C.AVG_POOL, C.AVG_POOL_GRAD,
             C.FUSED_MAX_POOL_GRAD))
        a = {"ksize": k, "strides": s, "padding": padding}
        tag = f"[x={xs},k={k},s={s},{padding}]"
        out = pool_nd_ref(np.zeros(xs), k, s, padding, "max").shape
        specs.append(OpSpec(
            [mx.name], lambda x, a=a, op=mx: execute(op, (x,), a), _ins(_distinct(*xs)),
            ref=lambda x, k=k, s=s, p=padding: pool_nd_ref(x, k, s, p, "max"),
            second_order=True, name=mx.name + tag))
        specs.append(OpSpec(
            [mxg.name, mxgg.name],
            lambda x, dy, a=a, mx=mx, g=mxg: execute(g, (x, execute(mx, (x,), a), dy), a),
            _ins(_distinct(*xs), normal(*out)),
            ref=lambda x, dy, k=k, s=s, p=padding: max_pool_nd_grad_ref(x, dy, k, s, p),
            second_order=True, name=mxg.name + tag))
        if all(kk <= ss for kk, ss in zip(k, s)):  # the fusion's windows do not overlap
            distinct, half = _distinct(*xs), 0.05 * int(np.prod(xs))
            specs.append(OpSpec(  # dy * (y > 0) routed: half the windows have a maximum < 0
                [fused.name],
                lambda x, dy, a=a, mx=mx, g=fused: execute(g, (x, execute(mx, (x,), a), dy), a),
                _ins(lambda rng, d=distinct, h=half: d(rng) - h, normal(*out)),
                ref=lambda x, dy, k=k, s=s, p=padding: max_pool_nd_grad_ref(
                    x, dy * (pool_nd_ref(x, k, s, p, "max") > 0), k, s, p),
                second_order=True, name=fused.name + tag))
        specs.append(OpSpec(
            [mxgg.name],
            lambda x, ddx, a=a, mx=mx, gg=mxgg: execute(gg, (x, execute(mx, (x,), a), ddx), a),
            _ins(_distinct(*xs), normal(*xs)), second_order=True, name=mxgg.name + tag))
        specs.append(OpSpec(
            [av.name], lambda x, a=a, op=av: execute(op, (x,), a), _ins(normal(*xs)),
            ref=lambda x, k=k, s=s, p=padding: pool_nd_ref(x, k, s, p, "avg"),
            second_order=True, name=av.name + tag))
        specs.append(OpSpec(
            [avg.name], lambda dy, a=a, xs=xs, op=avg: execute(op, (_sizes(xs), dy), a),
            _ins(normal(*out)), second_order=True, name=avg.name + tag))
    return specs


SPECS = [*_conv_specs(), *_fused_specs(), *_pool_specs()]
