"""`tf.image`: resizing, cropping and padding, flips and rotations, color and dtype
conversions.

Images are (height, width, channels) or batches (batch, height, width, channels). Resizing
runs the primitives of `image_resize_ops.py`; everything else here is written with public
ops (slices, pads, reverses, arithmetic), so gradients need no rules of their own.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.graph import constant_value
from rill._core.op import execute
from rill.ops import array_ops as _a
from rill.ops import image_resize_ops as _r
from rill.ops import indexing_ops as _i
from rill.ops import manip_ops as _mp
from rill.ops import math_ops as _m
from rill.ops import random_ops as _rand
from rill.ops import reduction_ops as _red
from rill.ops._util import is_tensor_like, to_tensor
from rill.ops.misc_ops import saturate_cast

_I32 = np.int32


class ResizeMethod:
    """The names of `tf.image.resize`'s methods (`tf.image.ResizeMethod.BILINEAR`, ...)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_KERNEL_METHODS = {"lanczos3", "lanczos5", "gaussian", "mitchellcubic"}
_METHODS = {"bilinear", "nearest", "bicubic", "area"} | _KERNEL_METHODS


# -- argument checks ----------------------------------------------------------------------
def _image(image, fn: str, ranks=(3, 4), arg: str = "image"):
    x = to_tensor(image)
    r = x.shape.rank
    if r is None or r not in ranks:
        want = " or ".join(str(k) for k in ranks)
        raise ValueError(f"{fn}: '{arg}' must have rank {want} ((height, width, channels) or "
                         f"(batch, height, width, channels)), got shape {x.shape}.\nhint: "
                         f"add a batch axis with tf.expand_dims({arg}, 0), or a channels axis "
                         f"with {arg}[..., tf.newaxis].")
    return x


def _hw(x):
    """The height and width of an image: Python ints when static, else scalar tensors."""
    dims = x.shape.as_list()[-3:-1]
    if None in dims:
        dyn = _a.shape(x)
        r = x.shape.rank
        dims = [d if d is not None else dyn[r - 3 + k] for k, d in enumerate(dims)]
    return dims


def _static_int(v, fn: str, arg: str):
    """A Python int when `v` is known now (int, NumPy or eager scalar), else the tensor."""
    if is_tensor_like(v):
        c = constant_value(to_tensor(v))
        return int(c) if c is not None else to_tensor(v)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}: {arg} must be an integer, got {v!r}.\nhint: pass a Python "
                        f"int, e.g. {arg}=32.")
    return int(v)


def _check(ok, fn: str, message: str, hint: str):
    if ok is False:
        raise ValueError(f"{fn}: {message}\nhint: {hint}")


def _known(*values) -> bool:
    return all(isinstance(v, int) for v in values)


def _spatial(x, begin_hw, size_hw):
    """`x[..., h0:h0 + h, w0:w0 + w, :]` for 3-D or 4-D x (offsets may be tensors)."""
    lead = [0] * (x.shape.rank - 3)
    begin = [*lead, *begin_hw, 0]
    size = [-1] * len(lead) + [*size_hw, -1]
    if not _known(*begin_hw, *size_hw):
        begin = _mp.stack([_m.cast(to_tensor(b), _dtypes.int32) for b in begin])
        size = _mp.stack([_m.cast(to_tensor(s), _dtypes.int32) for s in size])
    return _i.slice_(x, begin, size)


# -- resizing -----------------------------------------------------------------------------
def _size(size, fn: str):
    if is_tensor_like(size):
        t = to_tensor(size)
        c = constant_value(t)
        if c is None:
            return _m.cast(t, _dtypes.int32)
        size = np.asarray(c).tolist()
    try:
        s = [int(v) for v in size]
        ok = len(s) == 2 and all(float(v) == int(v) for v in size)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{fn}: 'size' must be a 1-D int32 Tensor of 2 elements: new_height, "
                         f"new_width, got {size!r}.\nhint: pass size=[height, width].")
    return s


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resizes images to `size = [height, width]` (`tf.image.resize`).

    Methods: "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
    "mitchellcubic", sampling at pixel centers (output pixel i reads input position
    (i + 0.5) * in / out - 0.5). `antialias` widens the kernel when downsampling. With
    `preserve_aspect_ratio` the image is scaled to fit inside `size`. The result is float32,
    except for "nearest", which keeps the input dtype.

    >>> tf.image.resize(tf.constant([[[1.], [3.]]]), [1, 4]).numpy()[0, :, 0]
    array([1. , 1.5, 2.5, 3. ], dtype=float32)
    """
    fn = "tf.image.resize"
    x = _image(images, fn, arg="images")
    method = str(getattr(method, "value", method)).lower()
    if method not in _METHODS:
        raise ValueError(f"{fn}: method must be one of {sorted(_METHODS)} "
                         f"(tf.image.ResizeMethod), got {method!r}.\nhint: "
                         f"method='bilinear'.")
    s = _size(size, fn)
    single = x.shape.rank == 3
    if single:
        x = _a.expand_dims(x, 0)
    if preserve_aspect_ratio:
        s = _fit_size(x, s)
    if isinstance(s, list):
        _check(min(s) > 0, fn, f"the output size must be positive, got {s}.",
               "with preserve_aspect_ratio, a very thin image can round to 0: resize it "
               "to a larger size.")
    size_t = to_tensor(np.array(s, _I32)) if isinstance(s, list) else s
    if method in _KERNEL_METHODS or (antialias and method in ("bilinear", "bicubic")):
        kernel = {"bilinear": "triangle", "bicubic": "keyscubic"}.get(method, method)
        in_hw = _m.cast(_a.shape(x)[1:3], _dtypes.float32)
        scale = _m.cast(size_t, _dtypes.float32) / in_hw
        y = execute(_r.SCALE_AND_TRANSLATE, (x, size_t, scale, _a.zeros([2])),
                    {"kernel_type": kernel, "antialias": bool(antialias)})
    else:
        opdef = {"bilinear": _r.RESIZE_BILINEAR, "nearest": _r.RESIZE_NEAREST,
                 "bicubic": _r.RESIZE_BICUBIC, "area": _r.RESIZE_AREA}[method]
        attrs = {} if method == "area" else {"align_corners": False,
                                             "half_pixel_centers": True}
        y = execute(opdef, (x, size_t), attrs)
    if method != "nearest" and y.dtype != _dtypes.float32:
        y = _m.cast(y, _dtypes.float32)
    return y[0] if single else y


def _fit_size(x, s):
    """The size that fits `x` inside `s` keeping its aspect ratio (float32, rounded)."""
    h, w = _hw(x)
    if _known(h, w) and isinstance(s, list):
        f32 = np.float32
        factor = min(f32(s[0]) / f32(h), f32(s[1]) / f32(w))
        return [int(np.round(factor * f32(h))), int(np.round(factor * f32(w)))]
    hw = _m.cast(_a.shape(x)[1:3], _dtypes.float32)
    factor = _red.reduce_min(_m.cast(to_tensor(s), _dtypes.float32) / hw)
    return _m.cast(_m.round(factor * hw), _dtypes.int32)


def _image_and_target(image, target_height, target_width, fn: str):
    """(image, its height and width, the target height and width), all known statically."""
    x = _image(image, fn)
    th = _static_int(target_height, fn, "target_height")
    tw = _static_int(target_width, fn, "target_width")
    h, w = _hw(x)
    if not _known(h, w, th, tw):
        raise ValueError(f"{fn}: the image size and the target size must be known while "
                         f"tracing, got image shape {x.shape}.\nhint: tf.ensure_shape the "
                         f"image first.")
    return x, h, w, th, tw


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):
    """Resizes to fit inside (target_height, target_width) keeping the aspect ratio, then pads
    with zeros to exactly that size, centered (`tf.image.resize_with_pad`).

    >>> tf.image.resize_with_pad(tf.ones([2, 4, 1]), 4, 4).numpy()[:, :, 0]
    array([[0., 0., 0., 0.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [0., 0., 0., 0.]], dtype=float32)
    """
    fn = "tf.image.resize_with_pad"
    x, h, w, th, tw = _image_and_target(image, target_height, target_width, fn)
    _check(th > 0 and tw > 0, fn, f"target size must be positive, got ({th}, {tw}).",
           "pass target_height and target_width above 0.")
    f32 = np.float32
    ratio = max(f32(w) / f32(tw), f32(h) / f32(th))
    rh, rw = f32(h) / ratio, f32(w) / ratio
    new_h, new_w = int(np.floor(rh)), int(np.floor(rw))
    pad_h = max(0, int((f32(th) - rh) / f32(2)))
    pad_w = max(0, int((f32(tw) - rw) / f32(2)))
    resized = resize(x, [new_h, new_w], method=method, antialias=antialias)
    return pad_to_bounding_box(resized, pad_h, pad_w, th, tw)


# -- crops and pads -----------------------------------------------------------------------
def _box_args(fn, x, values, names):
    out = [_static_int(v, fn, n) for v, n in zip(values, names)]
    for v, n in zip(out, names):
        if isinstance(v, int):
            low = 1 if n.startswith("target") else 0
            _check(v >= low, fn, f"{n} must be {'> 0' if low else '>= 0'}, got {v}.",
                   f"pass a {'positive' if low else 'non-negative'} {n}.")
    return out


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """`image[..., offset_height:offset_height + target_height, offset_width:offset_width +
    target_width, :]` (`tf.image.crop_to_bounding_box`).

    >>> tf.image.crop_to_bounding_box(tf.reshape(tf.range(9), [3, 3, 1]), 1, 0, 2, 2
    ...                               ).numpy()[:, :, 0]
    array([[3, 4],
           [6, 7]], dtype=int32)
    """
    fn = "tf.image.crop_to_bounding_box"
    x = _image(image, fn)
    oh, ow, th, tw = _box_args(fn, x, (offset_height, offset_width, target_height,
                                       target_width),
                               ("offset_height", "offset_width", "target_height",
                                "target_width"))
    h, w = _hw(x)
    if _known(h, oh, th):
        _check(h >= oh + th, fn, f"height must be >= target + offset: the image has height "
               f"{h}, target_height + offset_height = {th + oh}.",
               "crop a smaller box, or pad the image first (tf.image.pad_to_bounding_box).")
    if _known(w, ow, tw):
        _check(w >= ow + tw, fn, f"width must be >= target + offset: the image has width "
               f"{w}, target_width + offset_width = {tw + ow}.",
               "crop a smaller box, or pad the image first (tf.image.pad_to_bounding_box).")
    return _spatial(x, [oh, ow], [th, tw])


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Pads with zeros: the image lands at (offset_height, offset_width) in a canvas of
    (target_height, target_width) (`tf.image.pad_to_bounding_box`).

    >>> tf.image.pad_to_bounding_box(tf.ones([1, 1, 1]), 1, 0, 2, 2).numpy()[:, :, 0]
    array([[0., 0.],
           [1., 0.]], dtype=float32)
    """
    fn = "tf.image.pad_to_bounding_box"
    x = _image(image, fn)
    oh, ow, th, tw = _box_args(fn, x, (offset_height, offset_width, target_height,
                                       target_width),
                               ("offset_height", "offset_width", "target_height",
                                "target_width"))
    h, w = _hw(x)
    after_h, after_w = th - oh - h, tw - ow - w
    if _known(after_h):
        _check(after_h >= 0, fn, f"target_height must be >= offset_height + height, got "
               f"target_height={th}, offset_height={oh}, height={h}.",
               "use a larger target, or crop the image first.")
    if _known(after_w):
        _check(after_w >= 0, fn, f"target_width must be >= offset_width + width, got "
               f"target_width={tw}, offset_width={ow}, width={w}.",
               "use a larger target, or crop the image first.")
    pads = [[0, 0]] * (x.shape.rank - 3) + [[oh, after_h], [ow, after_w], [0, 0]]
    if not _known(oh, ow, after_h, after_w):
        pads = _mp.stack([_mp.stack([_m.cast(to_tensor(v), _dtypes.int32) for v in p])
                          for p in pads])
    return _mp.pad(x, pads)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Crops (centered) or pads (with zeros, centered) to the target size
    (`tf.image.resize_with_crop_or_pad`).

    >>> tf.image.resize_with_crop_or_pad(tf.ones([2, 2, 1]), 2, 4).numpy()[:, :, 0]
    array([[0., 1., 1., 0.],
           [0., 1., 1., 0.]], dtype=float32)
    """
    fn = "tf.image.resize_with_crop_or_pad"
    x, h, w, th, tw = _image_and_target(image, target_height, target_width, fn)
    dh, dw = th - h, tw - w
    cropped = crop_to_bounding_box(x, max(-dh // 2, 0), max(-dw // 2, 0), min(th, h),
                                   min(tw, w))
    return pad_to_bounding_box(cropped, max(dh // 2, 0), max(dw // 2, 0), th, tw)


def central_crop(image, central_fraction):
    """Keeps the central `central_fraction` of the height and width
    (`tf.image.central_crop`): the box starts at int((size - size * fraction) / 2).

    >>> tf.image.central_crop(tf.reshape(tf.range(16.), [4, 4, 1]), 0.5).numpy()[:, :, 0]
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """
    fn = "tf.image.central_crop"
    x = _image(image, fn)
    f = float(central_fraction)
    _check(0.0 < f <= 1.0, fn, f"central_fraction must be within (0, 1], got {f}.",
           "pass a fraction such as 0.875.")
    if f == 1.0:
        return x
    h, w = _hw(x)
    if _known(h, w):
        top, left = int((h - h * f) / 2), int((w - w * f) / 2)
        return _spatial(x, [top, left], [h - 2 * top, w - 2 * left])
    hw = _m.cast(_a.shape(x)[-3:-1], _dtypes.float64)
    start = _m.cast((hw - hw * f) / 2, _dtypes.int32)
    size = _m.cast(hw, _dtypes.int32) - 2 * start
    return _spatial(x, [start[0], start[1]], [size[0], size[1]])


# -- flips, rotations, transposes ----------------------------------------------------------
def flip_left_right(image):
    """Reverses the width axis (`tf.image.flip_left_right`).

    >>> tf.image.flip_left_right(tf.constant([[[1], [2]]])).numpy()[..., 0]
    array([[2, 1]], dtype=int32)
    """
    x = _image(image, "tf.image.flip_left_right")
    return _mp.reverse(x, [x.shape.rank - 2])


def flip_up_down(image):
    """Reverses the height axis (`tf.image.flip_up_down`).

    >>> tf.image.flip_up_down(tf.constant([[[1]], [[2]]])).numpy()[..., 0]
    array([[2],
           [1]], dtype=int32)
    """
    x = _image(image, "tf.image.flip_up_down")
    return _mp.reverse(x, [x.shape.rank - 3])


def _flip_where(x, coins, axis):
    """Flips the images whose coin is true (one coin per image, or one for a single one)."""
    if x.shape.rank == 4:
        coins = _a.reshape(coins, [-1, 1, 1, 1])
    return _a.where(coins, _mp.reverse(x, [axis]), x)


def _random_flip(image, seed, fn, axis_from_end):
    x = _image(image, fn)
    n = [] if x.shape.rank == 3 else [_a.shape(x)[0]]
    coins = _rand.uniform(_mp.stack(n) if n else [], 0, 1.0, seed=seed) < 0.5
    return _flip_where(x, coins, x.shape.rank - axis_from_end)


def random_flip_left_right(image, seed=None):
    """Flips each image left to right with probability 1/2
    (`tf.image.random_flip_left_right`).

    >>> tf.image.random_flip_left_right(tf.ones([2, 2, 1]), seed=1).shape
    TensorShape([2, 2, 1])
    """
    return _random_flip(image, seed, "tf.image.random_flip_left_right", 2)


def random_flip_up_down(image, seed=None):
    """Flips each image upside down with probability 1/2 (`tf.image.random_flip_up_down`).

    >>> tf.image.random_flip_up_down(tf.ones([2, 2, 1]), seed=1).shape
    TensorShape([2, 2, 1])
    """
    return _random_flip(image, seed, "tf.image.random_flip_up_down", 3)


def _stateless_flip(image, seed, fn, axis_from_end):
    x = _image(image, fn)
    n = [] if x.shape.rank == 3 else [_a.shape(x)[0]]
    coins = _rand.stateless_uniform(_mp.stack(n) if n else [], seed) < 0.5
    return _flip_where(x, coins, x.shape.rank - axis_from_end)


def stateless_random_flip_left_right(image, seed):
    """`random_flip_left_right` drawn from a stateless seed pair
    (`tf.image.stateless_random_flip_left_right`): the same seed, the same flips."""
    return _stateless_flip(image, seed, "tf.image.stateless_random_flip_left_right", 2)


def stateless_random_flip_up_down(image, seed):
    """`random_flip_up_down` drawn from a stateless seed pair
    (`tf.image.stateless_random_flip_up_down`)."""
    return _stateless_flip(image, seed, "tf.image.stateless_random_flip_up_down", 3)


def transpose(image, name=None):
    """Swaps the height and width axes (`tf.image.transpose`).

    >>> tf.image.transpose(tf.zeros([2, 3, 1])).shape
    TensorShape([3, 2, 1])
    """
    x = _image(image, "tf.image.transpose")
    return _mp.transpose(x, [0, 2, 1, 3] if x.shape.rank == 4 else [1, 0, 2])


def rot90(image, k=1, name=None):
    """Rotates by 90 degrees counter-clockwise, `k` times (`tf.image.rot90`), as
    `np.rot90` over the height and width axes.

    >>> tf.image.rot90(tf.constant([[[1], [2]], [[3], [4]]])).numpy()[..., 0]
    array([[2, 4],
           [1, 3]], dtype=int32)
    """
    fn = "tf.image.rot90"
    x = _image(image, fn)
    k = _static_int(k, fn, "k")
    if not isinstance(k, int):
        from rill.ops.control_flow_ops import switch_case
        return switch_case(_m.floormod(k, 4), [lambda j=j: rot90(x, j) for j in range(4)])
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip_up_down(flip_left_right(x))
    if k == 1:
        return flip_up_down(transpose(x))
    return transpose(flip_up_down(x))


# -- color and dtype ----------------------------------------------------------------------
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts an image's dtype, rescaling values (`tf.image.convert_image_dtype`).

    Floating images hold values in [0, 1], integer images in [0, MAX] of their dtype:
    integer to float divides by MAX, float to integer multiplies by MAX + 0.5 and truncates
    (clamping first when `saturate`), integer to integer shifts the bits, float to float
    casts.

    >>> tf.image.convert_image_dtype(tf.constant([0, 255], tf.uint8), tf.float32).numpy()
    array([0., 1.], dtype=float32)
    """
    x = to_tensor(image)
    dtype = _dtypes.as_dtype(dtype)
    src = x.dtype
    for d, arg in ((src, "image"), (dtype, "dtype")):
        if not (d.is_floating or d.is_integer):
            raise TypeError(f"tf.image.convert_image_dtype: {arg} must be a float or integer "
                            f"dtype, got {d.name}.\nhint: cast booleans to uint8 first.")
    if src == dtype:
        return x
    if src.is_integer and dtype.is_integer:
        cast = saturate_cast if saturate else _m.cast
        in_max, out_max = src.max, dtype.max
        if in_max > out_max:  # in.max lands in [out.max, out.max + 1): no overflow
            return cast(_m.floordiv(x, _m.cast((in_max + 1) // (out_max + 1), src)), dtype)
        return cast(x, dtype) * _m.cast((out_max + 1) // (in_max + 1), dtype)
    if src.is_floating and dtype.is_floating:
        return _m.cast(x, dtype)
    if src.is_integer:
        return _m.cast(x, dtype) * _m.cast(1.0 / src.max, dtype)
    scaled = x * _m.cast(dtype.max + 0.5, src)
    return saturate_cast(scaled, dtype) if saturate else _m.cast(scaled, dtype)


def _to_float(x):
    """Floating images as they are (float16/float32), others as float32 in [0, 1]."""
    if x.dtype in (_dtypes.float16, _dtypes.float32):
        return x
    return convert_image_dtype(x, _dtypes.float32)


def adjust_brightness(image, delta):
    """Adds `delta` to every value, in float ([0, 1] for integer images), and converts back
    with saturation (`tf.image.adjust_brightness`).

    >>> tf.image.adjust_brightness(tf.constant([[[0.2]]]), 0.1).numpy().ravel()
    array([0.3], dtype=float32)
    """
    x = to_tensor(image)
    f = _to_float(x)
    return convert_image_dtype(f + _m.cast(delta, f.dtype), x.dtype, saturate=True)


def adjust_contrast(images, contrast_factor):
    """Scales each channel's distance to its mean over the image:
    `(x - mean) * contrast_factor + mean` (`tf.image.adjust_contrast`).

    >>> tf.image.adjust_contrast(tf.constant([[[1.], [3.]]]), 2.).numpy().ravel()
    array([0., 4.], dtype=float32)
    """
    x = _image(images, "tf.image.adjust_contrast", ranks=(3, 4, 5), arg="images")
    f = _to_float(x)
    mean = _red.reduce_mean(f, [-3, -2], keepdims=True)
    out = (f - mean) * _m.cast(contrast_factor, f.dtype) + mean
    return convert_image_dtype(out, x.dtype, saturate=True)


def random_brightness(image, max_delta, seed=None):
    """`adjust_brightness` by a delta drawn uniformly from [-max_delta, max_delta)
    (`tf.image.random_brightness`)."""
    if max_delta < 0:
        raise ValueError(f"tf.image.random_brightness: max_delta must be non-negative, got "
                         f"{max_delta}.\nhint: pass max_delta=0.2.")
    delta = _rand.uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    """`adjust_contrast` by a factor drawn uniformly from [lower, upper)
    (`tf.image.random_contrast`)."""
    if upper <= lower or lower < 0:
        raise ValueError(f"tf.image.random_contrast: need 0 <= lower < upper, got lower="
                         f"{lower}, upper={upper}.\nhint: random_contrast(x, 0.8, 1.2).")
    factor = _rand.uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def rgb_to_grayscale(images, name=None):
    """Luma with ITU-R 601 weights: 0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis
    of size 1 (`tf.image.rgb_to_grayscale`).

    >>> tf.image.rgb_to_grayscale(tf.constant([[[1., 1., 1.]]])).numpy().ravel().round(4)
    array([0.9999], dtype=float32)
    """
    x = to_tensor(images)
    if x.shape.rank is not None and x.shape[-1] not in (None, 3):
        raise ValueError(f"tf.image.rgb_to_grayscale: the last dimension must be 3 (RGB), "
                         f"got shape {x.shape}.\nhint: pass RGB images.")
    f = convert_image_dtype(x, _dtypes.float32)
    gray = _red.reduce_sum(f * to_tensor(np.array([0.2989, 0.5870, 0.1140], np.float32)),
                           -1, keepdims=True)
    return convert_image_dtype(gray, x.dtype)


def grayscale_to_rgb(images, name=None):
    """Repeats the single channel three times (`tf.image.grayscale_to_rgb`).

    >>> tf.image.grayscale_to_rgb(tf.zeros([2, 2, 1])).shape
    TensorShape([2, 2, 3])
    """
    x = to_tensor(images)
    if x.shape.rank is None or x.shape.rank < 2 or x.shape[-1] not in (None, 1):
        raise ValueError(f"tf.image.grayscale_to_rgb: the last dimension must be 1, got shape "
                         f"{x.shape}.\nhint: add a channel axis with x[..., tf.newaxis].")
    return _mp.tile(x, [1] * (x.shape.rank - 1) + [3])


def per_image_standardization(image):
    """`(x - mean) / max(stddev, 1 / sqrt(N))` over each image's N values
    (`tf.image.per_image_standardization`), in float32.

    >>> tf.image.per_image_standardization(tf.constant([[[1.], [3.]]])).numpy().ravel()
    array([-1.,  1.], dtype=float32)
    """
    x = _m.cast(_image(image, "tf.image.per_image_standardization", ranks=(3, 4, 5)),
                _dtypes.float32)
    axes = [-3, -2, -1]
    n = _m.cast(_red.reduce_prod(_a.shape(x)[-3:]), x.dtype)
    mean = _red.reduce_mean(x, axes, keepdims=True)
    std = _red.reduce_std(x, axes, keepdims=True)
    return (x - mean) / _m.maximum(std, _m.rsqrt(n))


__tf_names__ = {
    "image": "adjust_brightness adjust_contrast central_crop convert_image_dtype "
             "crop_to_bounding_box flip_left_right flip_up_down grayscale_to_rgb "
             "pad_to_bounding_box per_image_standardization random_brightness random_contrast "
             "random_flip_left_right random_flip_up_down resize resize_with_crop_or_pad "
             "resize_with_pad ResizeMethod rgb_to_grayscale rot90 stateless_random_flip_left_right "
             "stateless_random_flip_up_down transpose",
}
