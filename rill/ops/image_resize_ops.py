"""Image resampling ops: ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic, ResizeArea and
ScaleAndTranslate (the antialiased kernels), each with its gradient op.

Every method is separable and linear in the image: output rows are weighted sums of input
rows, then output columns of input columns. One table per axis holds, for each output index,
the input indices it reads and their weights (`_taps_*`, which follow TensorFlow's sampling
rules: half-pixel centers, clamped edges, bicubic weights from a 1024-entry table). The
kernel applies the tables along the height and width axes of a (batch, height, width,
channels) array; the gradient op applies their transposes, and its own gradient is the
forward op again, so second derivatives come for free.
"""

from __future__ import annotations

import math

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops._util import op_error

_F32 = np.float32
_FLT_MIN = float(np.finfo(np.float32).tiny)
_TABLE = 1024  # TensorFlow's bicubic weights are tabulated at 1/1024 steps


# -- tables: (indices (out, taps) int64, weights (out, taps) float32) per axis ---------------
def _scale(n_in: int, n_out: int, align_corners: bool):
    if align_corners and n_out > 1:
        return _F32((n_in - 1) / (n_out - 1))
    return _F32(n_in / n_out)


def _positions(n_in, n_out, align_corners, half_pixel, shift):
    """Sampling positions in the input, in float32 as TensorFlow computes them."""
    o = np.arange(n_out, dtype=_F32)
    s = _scale(n_in, n_out, align_corners)
    return (o + _F32(0.5)) * s - _F32(shift) if half_pixel else o * s


def _taps_bilinear(n_in, n_out, align_corners=False, half_pixel_centers=True):
    pos = _positions(n_in, n_out, align_corners, half_pixel_centers, 0.5)
    low = np.floor(pos)
    lerp = pos - low
    idx = np.stack([np.maximum(low, 0), np.minimum(np.ceil(pos), n_in - 1)], 1)
    return idx.astype(np.int64), np.stack([1 - lerp, lerp], 1)


def _taps_nearest(n_in, n_out, align_corners=False, half_pixel_centers=True):
    pos = _positions(n_in, n_out, align_corners, half_pixel_centers, 0.0)
    idx = np.floor(pos + _F32(0.5)) if align_corners else np.floor(pos)  # roundf: half up
    idx = np.clip(idx, 0, n_in - 1).astype(np.int64)
    return idx[:, None], np.ones((n_out, 1), _F32)


def _cubic(x, a):
    """Keys' cubic convolution kernel with parameter `a`, for |x| < 2."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _taps_bicubic(n_in, n_out, align_corners=False, half_pixel_centers=True):
    a = -0.5 if half_pixel_centers else -0.75  # Keys' kernel; -0.75 is the legacy one
    pos = _positions(n_in, n_out, align_corners, half_pixel_centers, 0.5)
    low = np.floor(pos)
    step = np.rint((pos - low) * _TABLE).astype(np.float64) / _TABLE
    w = np.stack([_cubic(step + 1, a), _cubic(step, a), _cubic(1 - step, a),
                  _cubic(2 - step, a)], 1).astype(_F32)
    want = low.astype(np.int64)[:, None] + np.arange(-1, 3)
    idx = np.clip(want, 0, n_in - 1)
    if half_pixel_centers:  # taps outside the image are dropped and the rest renormalized
        w = np.where(idx == want, w, _F32(0))
        total = w.sum(1, keepdims=True)
        w = np.where(np.abs(total) >= 1000 * _FLT_MIN, w / np.where(total == 0, 1, total), w)
    return idx, w.astype(_F32)


def _taps_area(n_in, n_out, align_corners=False, half_pixel_centers=False):
    s = float(_scale(n_in, n_out, align_corners))
    rows = []
    for y in range(n_out):
        lo, hi = y * s, (y + 1) * s
        taps = [(min(i, n_in - 1), min(i + 1, hi) - max(i, lo))
                for i in range(math.floor(lo), math.ceil(hi))]
        rows.append(taps)
    return _pack(rows, 1.0 / s)


def _pack(rows, factor=1.0):
    width = max(len(r) for r in rows) or 1
    idx = np.zeros((len(rows), width), np.int64)
    w = np.zeros((len(rows), width), np.float64)
    for j, taps in enumerate(rows):
        for t, (i, v) in enumerate(taps):
            idx[j, t], w[j, t] = i, v * factor
    return idx, w.astype(_F32)


def _lanczos(radius):
    def kernel(x):
        x = np.abs(x)
        px = np.pi * np.maximum(x, 1e-3)
        v = radius * np.sin(px) * np.sin(px / radius) / (px * px)
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, v))
    return kernel, radius


def _mitchell(x):
    """Mitchell-Netravali's cubic with B = C = 1/3."""
    x = np.abs(x)
    near = ((7 / 6) * x - 2) * x * x + 8 / 9
    far = (((-7 / 18) * x + 2) * x - 10 / 3) * x + 16 / 9
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


KERNELS = {  # name -> (kernel of |x|, radius), TensorFlow's sampling kernels
    "triangle": (lambda x: np.maximum(0.0, 1 - np.abs(x)), 1.0),
    "keyscubic": (lambda x: _cubic(x, -0.5), 2.0),
    "mitchellcubic": (_mitchell, 2.0),
    "lanczos1": _lanczos(1.0), "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0),
    "gaussian": (lambda x: np.where(np.abs(x) >= 1.5, 0.0, np.exp(-x * x / (2 * 0.5 ** 2))),
                 1.5),  # sigma 0.5: a support of 3 pixels
    "box": (lambda x: np.where(np.abs(x) < 0.5, 1.0, np.where(np.abs(x) == 0.5, 0.5, 0.0)),
            0.5),
}


def _taps_kernel(n_in, n_out, scale, translate, kernel_type, antialias):
    """ScaleAndTranslate's spans: output pixel x samples the input at (x + 0.5 - t) / scale
    with the kernel widened by 1 / scale when antialiasing a reduction (float32 arithmetic,
    as TensorFlow's, decides which taps reach the kernel's edge)."""
    fn, radius = KERNELS[kernel_type]
    inv = _F32(1) / _F32(scale)
    shift = -inv * _F32(translate)
    kscale = max(inv, _F32(1)) if antialias else _F32(1)
    reach = _F32(radius) * kscale
    rows = []
    for x in range(n_out):
        sample = _F32(x + 0.5) * inv + shift
        if sample < 0 or sample > n_in:
            rows.append([])
            continue
        start = min(max(math.ceil(sample - reach - _F32(0.5)), 0), n_in - 1)
        end = min(max(math.floor(sample + reach - _F32(0.5)), 0), n_in - 1) + 1
        pos = (np.arange(start, end, dtype=_F32) + _F32(0.5) - sample) * (_F32(1) / kscale)
        w = fn(np.abs(pos).astype(np.float64))
        total = w.sum()
        if abs(total) >= 1000 * _FLT_MIN:
            w = w / total
        rows.append(list(zip(range(start, end), w.tolist())))
    return _pack(rows)


# -- applying tables ----------------------------------------------------------------------
def _dense(idx, w, n_in, dtype):
    m = np.zeros((idx.shape[0], n_in), dtype)
    np.add.at(m, (np.arange(idx.shape[0])[:, None], idx), w)  # tables only: small
    return m


def _apply(x, table, axis: int, n_in: int):
    """Resamples axis 1 (height) or 2 (width) of a 4-D array with one table."""
    idx, w = table
    if w.shape[1] == 1 and np.all(w == 1):
        return np.take(x, idx[:, 0], axis=axis)  # nearest: a gather keeps the dtype
    w = w.astype(x.dtype)
    if w.shape[1] <= 4:
        shape = [1, -1, 1, 1] if axis == 1 else [1, 1, -1, 1]
        out = None
        for t in range(w.shape[1]):
            term = np.take(x, idx[:, t], axis=axis) * w[:, t].reshape(shape)
            out = term if out is None else out + term
        return out
    return _matmul_axis(_dense(idx, w, n_in, x.dtype), x, axis)


def _matmul_axis(m, x, axis: int):
    b, h, wd, c = x.shape
    if axis == 1:
        return (m @ x.reshape(b, h, wd * c)).reshape(b, m.shape[0], wd, c)
    return (m @ x.reshape(b * h, wd, c)).reshape(b, h, m.shape[0], c)


def _apply_transposed(dy, table, axis: int, n_in: int):
    idx, w = table
    return _matmul_axis(_dense(idx, w.astype(dy.dtype), n_in, dy.dtype).T, dy, axis)


def _work(x):
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)


def _float_out(dtype):
    return dtype if dtype in (_dtypes.float32, _dtypes.float64) else _dtypes.float32


# -- the ops ------------------------------------------------------------------------------
def _check_images(x, op: str, fn: str):
    if np.ndim(x) != 4:
        raise op_error(op, fn, f"input must be 4-dimensional (batch, height, width, channels), "
                       f"got shape {np.shape(x)}", "pass images of rank 4 (or 3, to "
                       "tf.image.resize).")


def _check_size(size, op: str, fn: str):
    s = [int(v) for v in np.reshape(size, -1)]
    if len(s) != 2 or min(s) <= 0:
        raise op_error(op, fn, f"size must be 2 positive integers [new_height, new_width], "
                       f"got {s}", "pass size=[height, width] with both above 0.")
    return s


def _size_rule(images, size, nearest: bool, op: str):
    s = constant_value(size)
    dims = [None, None] if s is None else _check_size(s, op, op)
    shape = images.shape.as_list() if images.shape.rank is not None else [None] * 4
    dtype = images.dtype if nearest else _float_out(images.dtype)
    return TensorShape([shape[0], *dims, shape[3]]), dtype


def _grad_rule(grads, original, **attrs):
    shape = original.shape.as_list() if original.shape.rank is not None else [None] * 4
    g = grads.shape.as_list() if grads.shape.rank is not None else [None] * 4
    return TensorShape([g[0], shape[1], shape[2], g[3]]), grads.dtype


def _resize_family(name: str, taps, nearest: bool = False):
    """Declares `name` (images, size) and `name + "Grad"` (grads, original_image)."""
    def tables(h_in, w_in, h_out, w_out, attrs):
        return taps(h_in, h_out, **attrs), taps(w_in, w_out, **attrs)

    def kernel(images, size, **attrs):
        _check_images(images, name, "tf.image.resize")
        h_out, w_out = _check_size(size, name, "tf.image.resize")
        x = images if nearest else _work(images)
        th, tw = tables(x.shape[1], x.shape[2], h_out, w_out, attrs)
        return _apply(_apply(x, th, 1, x.shape[1]), tw, 2, x.shape[2])

    def grad_kernel(grads, original, **attrs):
        h_in, w_in = original.shape[1:3]
        th, tw = tables(h_in, w_in, grads.shape[1], grads.shape[2], attrs)
        return _apply_transposed(_apply_transposed(grads, th, 1, h_in), tw, 2, w_in)

    def rule(images, size, **attrs):
        return _size_rule(images, size, nearest, name)

    def fwd_grad(op, dy):
        if not op.inputs[0].dtype.is_floating:
            return None, None
        return execute(grad_op, (dy, op.inputs[0]), op.attrs), None

    def grad_grad(op, ddx):
        from rill.ops.array_ops import shape
        from rill.ops.indexing_ops import strided_slice
        size = strided_slice(shape(op.inputs[0]), [1], [3])
        return execute(fwd, (ddx, size), op.attrs), None

    grad_op = defop(name + "Grad", grad_kernel, _grad_rule, grad_grad,
                    public_name="tf.image.resize")
    fwd = defop(name, kernel, rule, fwd_grad, public_name="tf.image.resize")
    return fwd, grad_op


RESIZE_BILINEAR, RESIZE_BILINEAR_GRAD = _resize_family("ResizeBilinear", _taps_bilinear)
RESIZE_NEAREST, RESIZE_NEAREST_GRAD = _resize_family("ResizeNearestNeighbor", _taps_nearest,
                                                     nearest=True)
RESIZE_BICUBIC, RESIZE_BICUBIC_GRAD = _resize_family("ResizeBicubic", _taps_bicubic)
RESIZE_AREA, RESIZE_AREA_GRAD = _resize_family("ResizeArea", _taps_area)


# -- ScaleAndTranslate (scale and translation are float inputs, as in TensorFlow) ----------
def _sat_tables(h_in, w_in, h_out, w_out, scale, translation, kernel_type, antialias):
    s, t = np.reshape(scale, -1), np.reshape(translation, -1)
    return (_taps_kernel(h_in, h_out, s[0], t[0], kernel_type, antialias),
            _taps_kernel(w_in, w_out, s[1], t[1], kernel_type, antialias))


def _sat_kernel(images, size, scale, translation, *, kernel_type, antialias):
    _check_images(images, "ScaleAndTranslate", "tf.image.resize")
    h_out, w_out = _check_size(size, "ScaleAndTranslate", "tf.image.resize")
    x = _work(images)
    th, tw = _sat_tables(*x.shape[1:3], h_out, w_out, scale, translation, kernel_type,
                         antialias)
    return _apply(_apply(x, th, 1, x.shape[1]), tw, 2, x.shape[2])


def _sat_grad_kernel(grads, original, scale, translation, *, kernel_type, antialias):
    h_in, w_in = original.shape[1:3]
    th, tw = _sat_tables(h_in, w_in, *grads.shape[1:3], scale, translation, kernel_type,
                         antialias)
    return _apply_transposed(_apply_transposed(grads, th, 1, h_in), tw, 2, w_in)


def _sat_rule(images, size, scale, translation, **attrs):
    return _size_rule(images, size, False, "ScaleAndTranslate")


def _sat_grad_rule(grads, original, scale, translation, **attrs):
    return _grad_rule(grads, original)


def _sat_grad(op, dy):
    images, _, scale, translation = op.inputs
    if not images.dtype.is_floating:
        return None, None, None, None
    return execute(SCALE_AND_TRANSLATE_GRAD, (dy, images, scale, translation),
                   op.attrs), None, None, None


def _sat_grad_grad(op, ddx):
    from rill.ops.array_ops import shape
    from rill.ops.indexing_ops import strided_slice
    grads, _, scale, translation = op.inputs
    size = strided_slice(shape(grads), [1], [3])
    return execute(SCALE_AND_TRANSLATE, (ddx, size, scale, translation), op.attrs), \
        None, None, None


SCALE_AND_TRANSLATE_GRAD = defop("ScaleAndTranslateGrad", _sat_grad_kernel, _sat_grad_rule,
                                 _sat_grad_grad, public_name="tf.image.resize")
SCALE_AND_TRANSLATE = defop("ScaleAndTranslate", _sat_kernel, _sat_rule, _sat_grad,
                            public_name="tf.image.resize")
