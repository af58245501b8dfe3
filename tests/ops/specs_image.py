"""Op specs for rill/ops/image_resize_ops.py, image_transform_ops.py and the composites of
image_ops.py (format: tests/ops/opspec.py).

The references build each resampling as a dense matrix per axis with plain loops, from
TensorFlow's documented sampling rules: output pixel i reads the input at
(i + 0.5) * in / out - 0.5 (half-pixel centers), edges clamp; bicubic uses Keys' kernel
(a = -0.5) evaluated at the fraction rounded to 1/1024 (TensorFlow tabulates it), dropping
taps outside the image and renormalizing; area averages the input over each output cell;
antialiased bilinear is a triangle of width max(in / out, 1), normalized. The gradient ops
are checked against the transposed matrices.
"""

import math

import numpy as np

import rill as tf
from rill._core.op import execute
from rill.ops import image_ops as I
from rill.ops import image_resize_ops as R
from rill.ops import image_transform_ops as T
from tests.ops.opspec import OpSpec, normal


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


# -- per-axis matrices (out, in) ------------------------------------------------------------
def bilinear_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        pos = (i + 0.5) * n_in / n_out - 0.5
        lo = math.floor(pos)
        f = pos - lo
        m[i, min(max(lo, 0), n_in - 1)] += 1 - f
        m[i, min(max(lo + 1, 0), n_in - 1)] += f
    return m


def nearest_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        m[i, min(math.floor((i + 0.5) * n_in / n_out), n_in - 1)] = 1
    return m


def keys(d, a=-0.5):
    d = abs(d)
    if d < 1:
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
    if d < 2:
        return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
    return 0.0


def bicubic_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        pos = (i + 0.5) * n_in / n_out - 0.5
        lo = math.floor(pos)
        t = round((pos - lo) * 1024) / 1024
        for k in range(-1, 3):
            if 0 <= lo + k < n_in:
                m[i, lo + k] = keys(t - k)
        m[i] /= m[i].sum()
    return m


def area_matrix(n_in, n_out):
    s = n_in / n_out
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        for j in range(n_in):
            m[i, j] = max(0.0, min(j + 1, (i + 1) * s) - max(j, i * s)) / s
    return m


def triangle_matrix(n_in, n_out):
    inv = n_in / n_out
    width = max(inv, 1.0)
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        sample = (i + 0.5) * inv
        for j in range(n_in):
            m[i, j] = max(0.0, 1 - abs(j + 0.5 - sample) / width)
        m[i] /= m[i].sum()
    return m


def resized(x, size, matrix):
    mh, mw = matrix(x.shape[1], size[0]), matrix(x.shape[2], size[1])
    return np.einsum("ih,bhwc,jw->bijc", mh, x, mw)


def resized_grad(dy, x, matrix):
    mh, mw = matrix(x.shape[1], dy.shape[1]), matrix(x.shape[2], dy.shape[2])
    return np.einsum("ih,bijc,jw->bhwc", mh, dy, mw)


# -- projective transform: a loop over output pixels (affine, constant fill 0) ------------
SHIFT = np.array([[0.9, -0.3, 1.2, 0.25, 1.1, -0.7, 0.0, 0.0],
                  [1.0, 0.2, -0.5, -0.1, 0.8, 0.9, 0.0, 0.0]], np.float32)


def transform_matrix(t, h, w, oh, ow):
    """J[(i, j), (y, x)]: output (i, j) reads input (y, x) with this bilinear weight."""
    m = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            sx = t[0] * j + t[1] * i + t[2]
            sy = t[3] * j + t[4] * i + t[5]
            y0, x0 = math.floor(sy), math.floor(sx)
            for yy, xx in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
                wt = (1 - abs(sy - yy)) * (1 - abs(sx - xx))
                if 0 <= yy < h and 0 <= xx < w:
                    m[i * ow + j, yy * w + xx] += wt
    return m


def transformed(x, oh, ow):
    b, h, w, c = x.shape
    mats = [transform_matrix(SHIFT[k].astype(np.float64), h, w, oh, ow) for k in range(b)]
    return np.stack([(mats[k] @ x[k].reshape(h * w, c)).reshape(oh, ow, c) for k in range(b)])


def transformed_grad(dy, x):
    b, h, w, c = x.shape
    oh, ow = dy.shape[1:3]
    mats = [transform_matrix(SHIFT[k].astype(np.float64), h, w, oh, ow) for k in range(b)]
    return np.stack([(mats[k].T @ dy[k].reshape(oh * ow, c)).reshape(h, w, c)
                     for k in range(b)])


# -- the specs ----------------------------------------------------------------------------
_HP = {"align_corners": False, "half_pixel_centers": True}
_FAMILIES = [  # (op, grad op, attrs, matrix)
    (R.RESIZE_BILINEAR, R.RESIZE_BILINEAR_GRAD, _HP, bilinear_matrix),
    (R.RESIZE_NEAREST, R.RESIZE_NEAREST_GRAD, _HP, nearest_matrix),
    (R.RESIZE_BICUBIC, R.RESIZE_BICUBIC_GRAD, _HP, bicubic_matrix),
    (R.RESIZE_AREA, R.RESIZE_AREA_GRAD, {}, area_matrix),
]


def _resize_fn(op, attrs, size):
    return lambda x: execute(op, (x, tf.constant(size, tf.int32)), attrs)


def _grad_fn(op, attrs):
    return lambda dy, x: execute(op, (dy, x), attrs)


def _sat_fn(size, in_hw):
    scale = tf.constant(np.array(size, np.float32) / np.array(in_hw, np.float32))
    return lambda x: execute(R.SCALE_AND_TRANSLATE, (x, tf.constant(size, tf.int32), scale,
                                                     tf.zeros([2])),
                             {"kernel_type": "triangle", "antialias": True})


def _sat_grad_fn(size, in_hw):
    scale = tf.constant(np.array(size, np.float32) / np.array(in_hw, np.float32))
    return lambda dy, x: execute(R.SCALE_AND_TRANSLATE_GRAD, (dy, x, scale, tf.zeros([2])),
                                 {"kernel_type": "triangle", "antialias": True})


def _transform(x):
    return T.projective_transform(x, SHIFT, [4, 6], "bilinear", "constant", 0.0)


def _transform_grad(dy, x):
    return execute(T.TRANSFORM_GRAD, (dy, x, tf.constant(SHIFT)),
                   {"interpolation": "BILINEAR", "fill_mode": "CONSTANT"})


SPECS = []
for _op, _grad, _attrs, _mat in _FAMILIES:
    for _shape, _size in (((2, 4, 5, 3), (7, 3)), ((1, 6, 7, 2), (4, 4))):
        SPECS.append(OpSpec(
            _op.name, _resize_fn(_op, _attrs, _size), _ins(normal(*_shape)),
            ref=lambda x, s=_size, m=_mat: resized(x, s, m), name=f"{_op.name}{_size}"))
    SPECS.append(OpSpec(
        _grad.name, _grad_fn(_grad, _attrs), _ins(normal(2, 5, 3, 2), normal(2, 4, 6, 2)),
        ref=lambda dy, x, m=_mat: resized_grad(dy, x, m)))
SPECS += [
    OpSpec("ResizeNearestNeighbor", _resize_fn(R.RESIZE_NEAREST, _HP, (5, 3)),
           _ins(lambda rng: rng.integers(0, 255, (1, 3, 4, 2)).astype(np.uint8)),
           ref=lambda x: resized(x.astype(np.float64), (5, 3), nearest_matrix).astype(np.uint8),
           grad=False, name="ResizeNearestNeighbor-uint8"),
    OpSpec("ScaleAndTranslate", _sat_fn((3, 2), (7, 5)), _ins(normal(2, 7, 5, 2)),
           ref=lambda x: resized(x, (3, 2), triangle_matrix), name="ScaleAndTranslate-down"),
    OpSpec("ScaleAndTranslate", _sat_fn((6, 9), (4, 5)), _ins(normal(1, 4, 5, 1)),
           ref=lambda x: resized(x, (6, 9), triangle_matrix), name="ScaleAndTranslate-up"),
    OpSpec("ScaleAndTranslateGrad", _sat_grad_fn((3, 2), (7, 5)),
           _ins(normal(2, 3, 2, 2), normal(2, 7, 5, 2)),
           ref=lambda dy, x: resized_grad(dy, x, triangle_matrix)),
    OpSpec("ImageProjectiveTransformV3", _transform, _ins(normal(2, 5, 4, 2)),
           ref=lambda x: transformed(x, 4, 6)),
    OpSpec("ImageProjectiveTransformV3Grad", _transform_grad,
           _ins(normal(2, 4, 6, 2), normal(2, 5, 4, 2)), ref=transformed_grad),
    # composites of tf.image (slices, pads, reverses): values and gradients
    OpSpec(["Slice"], lambda x: I.crop_to_bounding_box(x, 1, 2, 2, 3),
           _ins(normal(2, 4, 6, 1)), ref=lambda x: x[:, 1:3, 2:5], name="crop_to_bounding_box"),
    OpSpec(["Pad"], lambda x: I.pad_to_bounding_box(x, 1, 0, 5, 4), _ins(normal(3, 3, 2)),
           ref=lambda x: np.pad(x, ((1, 1), (0, 1), (0, 0))), name="pad_to_bounding_box"),
    OpSpec(["Slice"], lambda x: I.central_crop(x, 0.5), _ins(normal(4, 6, 2)),
           ref=lambda x: x[1:3, 1:5], name="central_crop"),
    OpSpec(["ReverseV2"], I.flip_left_right, _ins(normal(2, 3, 4, 1)),
           ref=lambda x: x[:, :, ::-1], name="flip_left_right"),
    OpSpec(["ReverseV2"], I.flip_up_down, _ins(normal(3, 4, 2)), ref=lambda x: x[::-1],
           name="flip_up_down"),
    OpSpec(["ReverseV2", "Transpose"], lambda x: I.rot90(x, 3), _ins(normal(2, 3, 4, 1)),
           ref=lambda x: np.rot90(x, 3, axes=(1, 2)), name="rot90"),
]
