"""Image preprocessing layers that always apply: Resizing and CenterCrop (and the shared
base of the image layers: data formats, batching of single images)."""

from __future__ import annotations

import rill as tf
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.preprocessing import _utils as U

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                   "gaussian", "mitchellcubic")


class ImageLayer(Layer):
    """Base of the image layers: `transform(images)` receives a (batch, height, width,
    channels) tensor; single images and channels_first data are converted around it."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = U.data_format(data_format, type(self).__name__)

    def _apply(self, inputs, transform, cast=True):
        x = U.as_input(inputs)
        rank = x.shape.rank
        if rank not in (3, 4):
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected images of rank 3 "
                             f"(height, width, channels) or 4 (batch, height, width, channels)"
                             f", got shape {x.shape}.\nhint: add a channels axis with "
                             f"x[..., None].")
        if cast and x.dtype != tf.as_dtype(self.dtype):
            x = tf.cast(x, self.dtype)
        if rank == 3:
            x = tf.expand_dims(x, 0)
        first = self.data_format == "channels_first"
        if first:
            x = tf.transpose(x, [0, 2, 3, 1])
        y = transform(x)
        if first:
            y = tf.transpose(y, [0, 3, 1, 2])
        return y[0] if rank == 3 else y

    def _hw_axes(self, rank: int):
        return (rank - 2, rank - 1) if self.data_format == "channels_first" else \
            (rank - 3, rank - 2)

    def _sized_shape(self, input_shape, height, width):
        dims = tf.TensorShape(input_shape).as_list()
        h, w = self._hw_axes(len(dims))
        dims[h], dims[w] = height, width
        return tf.TensorShape(dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


def crop_box(height, width, target_h, target_w):
    """The largest centered box of the target's aspect ratio: (top, left, h, w)."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def static_hw(x, who: str):
    h, w = x.shape.as_list()[1:3]
    if h is None or w is None:
        raise ValueError(f"{who}: the image height and width must be known, got shape "
                         f"{x.shape}.\nhint: resize images to a fixed size first (e.g. "
                         f"keras.layers.Resizing).")
    return h, w


class Resizing(ImageLayer):
    """Resizes images to (height, width) with `tf.image.resize` (interpolation, antialias);
    `crop_to_aspect_ratio` first crops the largest centered box of the target's aspect
    ratio, `pad_to_aspect_ratio` first pads with `fill_value` to it. Integer images stay
    integer (rounded and clamped).

    >>> keras.layers.Resizing(2, 2)(np.ones((1, 4, 4, 3))).shape
    TensorShape([1, 2, 2, 3])
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = f"Resizing {self.name!r}"
        self.height = U.positive_int(height, who, "height")
        self.width = U.positive_int(width, who, "width")
        self.interpolation = U.one_of(interpolation, _INTERPOLATIONS, who, "interpolation")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{who}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio "
                             f"can be True.")
        U.one_of(fill_mode, ("constant",), who, "fill_mode")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)
        self.antialias = bool(antialias)

    def call(self, inputs):
        return self._apply(inputs, self._resize, cast=False)

    def _resize(self, x):
        who = f"Resizing {self.name!r}"
        if self.crop_to_aspect_ratio:
            h, w = static_hw(x, who)
            top, left, ch, cw = crop_box(h, w, self.height, self.width)
            x = x[:, top:top + ch, left:left + cw, :]
        elif self.pad_to_aspect_ratio:
            h, w = static_hw(x, who)
            ph = max(h, int(float(w * self.height) / self.width))
            pw = max(w, int(float(h * self.width) / self.height))
            top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
            x = tf.pad(x, [[0, 0], [top, top], [left, left], [0, 0]],
                       constant_values=tf.cast(self.fill_value, x.dtype))
        y = tf.image.resize(x, [self.height, self.width], method=self.interpolation,
                            antialias=self.antialias)
        if x.dtype.is_integer:
            return tf.saturate_cast(tf.round(y), x.dtype) if y.dtype != x.dtype else y
        return tf.cast(y, self.dtype)

    def compute_output_shape(self, input_shape):
        return self._sized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(ImageLayer):
    """Crops the central (height, width) box; an image smaller than the target is first
    cropped to the target's aspect ratio and resized (bilinear) to it.

    >>> keras.layers.CenterCrop(2, 2)(np.arange(16.).reshape(1, 4, 4, 1))[0, :, :, 0].numpy()
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = f"CenterCrop {self.name!r}"
        self.height = U.positive_int(height, who, "height")
        self.width = U.positive_int(width, who, "width")

    def call(self, inputs):
        return self._apply(inputs, self._crop)

    def _crop(self, x):
        h, w = x.shape.as_list()[1:3]
        if h is None or w is None:
            shape = tf.shape(x)
            top = (shape[1] - self.height) // 2
            left = (shape[2] - self.width) // 2
            return tf.slice(x, tf.stack([0, top, left, 0]),
                            tf.stack([-1, self.height, self.width, -1]))
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return x[:, top:top + self.height, left:left + self.width, :]
        top, left, ch, cw = crop_box(h, w, self.height, self.width)
        return tf.image.resize(x[:, top:top + ch, left:left + cw, :],
                               [self.height, self.width])

    def compute_output_shape(self, input_shape):
        return self._sized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
