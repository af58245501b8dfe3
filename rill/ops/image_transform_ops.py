"""ImageProjectiveTransformV3: resampling images through projective transforms (what Keras'
RandomRotation, RandomZoom and RandomTranslation run), with its gradient op.

A transform `[a0, a1, a2, b0, b1, b2, c0, c1]` maps each output pixel (x, y) to the input
point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, as TensorFlow's
kernel does. Points outside the image are brought back by `fill_mode` (reflect, wrap,
nearest) or read as `fill_value` (constant), then sampled by nearest or bilinear
interpolation. For fixed transforms the output is linear in the image: each output value is
a weighted sum of at most four input pixels, plus the fill value where a tap falls outside.
The gradient op scatters the output gradient back through the same taps.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops._util import op_error, to_tensor

_F32 = np.float32
INTERPOLATIONS = ("NEAREST", "BILINEAR")
FILL_MODES = ("REFLECT", "WRAP", "CONSTANT", "NEAREST")


def _reflect(c, n):
    if n <= 1:
        return np.zeros_like(c)
    c = c.copy()
    two = _F32(2 * n)
    lo, hi = c < 0, c > n - 1  # one branch per point, as TensorFlow's if/else
    v = c[lo]
    v = two * np.trunc(-v / two) + v
    c[lo] = np.where(v < -n, v + two, -v - 1)
    v = c[hi]
    v = v - two * np.trunc(v / two)
    c[hi] = np.where(v >= n, two - v - 1, v)
    return np.clip(c, 0, n - 1)


def _wrap(c, n):
    if n <= 1:
        return np.zeros_like(c)
    c = c.copy()
    span = _F32(n - 1)
    lo, hi = c < 0, c > n - 1
    c[lo] = c[lo] + n * (np.trunc(-c[lo] / span) + 1)
    c[hi] = c[hi] - n * np.trunc(c[hi] / span)
    return np.clip(c, 0, n - 1)


def _map(c, n, mode):
    if mode == "REFLECT":
        return _reflect(c, n)
    if mode == "WRAP":
        return _wrap(c, n)
    if mode == "NEAREST":
        return np.clip(c, 0, n - 1)
    return c


def _taps(shape, transforms, out_hw, interpolation, fill_mode):
    """(flat input indices, row weights, column weights, inside), each of shape (taps, batch,
    out_h, out_w): an output pixel reads `wy * wx * image[indices]` where `inside`, else the
    fill value (degenerate points, k = 0, read only the fill value)."""
    b, h, w = shape[:3]
    t = np.asarray(transforms, _F32).reshape(-1, 8)
    if t.shape[0] == 1 and b > 1:
        t = np.repeat(t, b, 0)
    oh, ow = out_hw
    ys, xs = np.meshgrid(np.arange(oh, dtype=_F32), np.arange(ow, dtype=_F32), indexing="ij")
    tt = t[:, :, None, None]
    k = tt[:, 6] * xs + tt[:, 7] * ys + _F32(1)
    degenerate = k == 0
    k = np.where(degenerate, _F32(1), k)
    in_x = _map((tt[:, 0] * xs + tt[:, 1] * ys + tt[:, 2]) / k, w, fill_mode)
    in_y = _map((tt[:, 3] * xs + tt[:, 4] * ys + tt[:, 5]) / k, h, fill_mode)
    base = (np.arange(b) * h * w)[:, None, None]
    one = np.ones_like(in_x)
    if interpolation == "NEAREST":
        corners = [(np.round(in_y), np.round(in_x), one, one)]
    else:
        y0, x0 = np.floor(in_y), np.floor(in_x)
        y1, x1 = y0 + 1, x0 + 1
        corners = [(y0, x0, y1 - in_y, x1 - in_x), (y0, x1, y1 - in_y, in_x - x0),
                   (y1, x0, in_y - y0, x1 - in_x), (y1, x1, in_y - y0, in_x - x0)]
    idx, wy, wx, inside = [], [], [], []
    for cy, cx, fy, fx in corners:
        ok = (cy >= 0) & (cy < h) & (cx >= 0) & (cx < w) & ~degenerate
        yi = np.clip(cy, 0, h - 1).astype(np.int64)
        xi = np.clip(cx, 0, w - 1).astype(np.int64)
        idx.append(base + yi * w + xi)
        wy.append(np.where(degenerate, _F32(0.5 if len(corners) > 1 else 1), fy))
        wx.append(np.where(degenerate, _F32(0.5 if len(corners) > 1 else 1), fx))
        inside.append(ok)
    return np.stack(idx), np.stack(wy), np.stack(wx), np.stack(inside)


def _check(images, transforms, output_shape, fn):
    if np.ndim(images) != 4:
        raise op_error("ImageProjectiveTransformV3", fn, f"images must be 4-D (batch, height, "
                       f"width, channels), got shape {np.shape(images)}",
                       "add a batch axis to a single image.")
    t = np.shape(transforms)
    if len(t) != 2 or t[1] != 8 or t[0] not in (1, np.shape(images)[0]):
        raise op_error("ImageProjectiveTransformV3", fn, f"transforms must have shape (1, 8) "
                       f"or (batch, 8), got {t}", "give one 8-vector per image.")
    s = [int(v) for v in np.reshape(output_shape, -1)]
    if len(s) != 2 or min(s) <= 0:
        raise op_error("ImageProjectiveTransformV3", fn, f"output_shape must be 2 positive "
                       f"integers, got {s}", "pass output_shape=[height, width].")
    return s


def _kernel(images, transforms, output_shape, fill_value, *, interpolation, fill_mode):
    out_hw = _check(images, transforms, output_shape, "ImageProjectiveTransformV3")
    b, _, _, c = images.shape
    idx, wy, wx, inside = _taps(images.shape, transforms, out_hw, interpolation, fill_mode)
    flat = images.reshape(-1, c).astype(_F32 if images.dtype != np.float64 else np.float64)
    fill = flat.dtype.type(np.asarray(fill_value).astype(images.dtype))  # as T(fill)
    wy, wx = wy[..., None].astype(flat.dtype), wx[..., None].astype(flat.dtype)
    v = [np.where(ok[..., None], flat[i], fill) for i, ok in zip(idx, inside)]
    if len(v) == 1:
        out = v[0]
    else:  # TensorFlow's order of operations (integer outputs truncate the same way)
        out = wy[0] * (wx[0] * v[0] + wx[1] * v[1]) + wy[2] * (wx[2] * v[2] + wx[3] * v[3])
    return out.astype(images.dtype)


def _grad_kernel(grads, images, transforms, *, interpolation, fill_mode):
    b, h, w, c = images.shape
    idx, wy, wx, inside = _taps(images.shape, transforms, grads.shape[1:3], interpolation,
                                fill_mode)
    out = np.zeros((b * h * w, c), grads.dtype)
    for i, wt, ok in zip(idx, wy * wx, inside):
        contrib = (wt * ok).astype(grads.dtype)[..., None] * grads
        for ch in range(c):
            out[:, ch] += np.bincount(i.ravel(), contrib[..., ch].ravel(), b * h * w)
    return out.reshape(b, h, w, c)


def _rule(images, transforms, output_shape, fill_value, **attrs):
    s = constant_value(output_shape)
    hw = [None, None] if s is None else [int(v) for v in np.reshape(s, -1)]
    b = images.shape[0] if images.shape.rank else None
    ch = images.shape[3] if images.shape.rank else None
    return TensorShape([b, *hw, ch]), images.dtype


def _grad_rule(grads, images, transforms, **attrs):
    return images.shape, grads.dtype


def _transform_grad(op, dy):
    images, transforms, _, _ = op.inputs
    if not images.dtype.is_floating:
        return None, None, None, None
    return execute(TRANSFORM_GRAD, (dy, images, transforms), op.attrs), None, None, None


def _transform_grad_grad(op, ddx):
    from rill.ops.array_ops import shape
    from rill.ops.indexing_ops import strided_slice
    dy, _, transforms = op.inputs
    zero = to_tensor(np.zeros((), _F32))
    out_hw = strided_slice(shape(dy), [1], [3])
    return execute(TRANSFORM, (ddx, transforms, out_hw, zero), op.attrs), None, None


TRANSFORM_GRAD = defop("ImageProjectiveTransformV3Grad", _grad_kernel, _grad_rule,
                       _transform_grad_grad, public_name="ImageProjectiveTransformV3")
TRANSFORM = defop("ImageProjectiveTransformV3", _kernel, _rule, _transform_grad,
                  public_name="ImageProjectiveTransformV3")


def projective_transform(images, transforms, output_shape=None, interpolation="bilinear",
                         fill_mode="constant", fill_value=0.0):
    """Resamples 4-D `images` through one (1, 8) or per-image (batch, 8) projective
    transform each, mapping output points to input points (`ImageProjectiveTransformV3`).

    interpolation: "nearest" or "bilinear"; fill_mode: "reflect", "wrap", "constant" or
    "nearest"; output_shape: [height, width], by default the input's.
    """
    fn = "ImageProjectiveTransformV3"
    interpolation, fill_mode = str(interpolation).upper(), str(fill_mode).upper()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{fn}: interpolation must be one of "
                         f"{[m.lower() for m in INTERPOLATIONS]}, got {interpolation.lower()!r}."
                         f"\nhint: interpolation='bilinear'.")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{fn}: fill_mode must be one of {[m.lower() for m in FILL_MODES]}, "
                         f"got {fill_mode.lower()!r}.\nhint: fill_mode='reflect'.")
    x = to_tensor(images)
    t = to_tensor(transforms)
    if t.dtype != _dtypes.float32:
        from rill.ops.math_ops import cast
        t = cast(t, _dtypes.float32)
    if output_shape is None and x.shape.rank == 4 and None not in x.shape.as_list()[1:3]:
        output_shape = x.shape.as_list()[1:3]
    elif output_shape is None:
        from rill.ops.array_ops import shape
        from rill.ops.indexing_ops import strided_slice
        output_shape = strided_slice(shape(x), [1], [3])
    size = to_tensor(np.asarray(output_shape, np.int32)) if isinstance(
        output_shape, (list, tuple)) else output_shape
    return execute(TRANSFORM, (x, t, size, to_tensor(np.asarray(fill_value, _F32))),
                   {"interpolation": interpolation, "fill_mode": fill_mode})
