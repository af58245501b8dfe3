"""Random image augmentation layers: RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast, RandomBrightness, RandomCrop.

Each draws from its own seeded stream (`SeedGenerator`), acts when `training` is true (the
default of a direct call, as in Keras 3; `fit` passes True, `predict` and `evaluate` False)
and is the identity otherwise (apart from the cast to the layer's dtype).
"""

from __future__ import annotations

import math

import rill as tf
from rill.keras.layers.preprocessing import _utils as U
from rill.keras.layers.preprocessing.image import ImageLayer, crop_box, static_hw
from rill.ops.image_transform_ops import projective_transform  # seam: docs/keras.md

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


class RandomImageLayer(ImageLayer):
    """Base of the random layers: a seed, its stream, and `call(inputs, training=True)`."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self._generator = U.SeedGenerator(seed)

    def call(self, inputs, training=True):
        if not training:
            return self._apply(inputs, lambda x: x)
        return self._apply(inputs, self._augment)

    def _augment(self, x):
        raise NotImplementedError

    def _uniform(self, shape, low, high):
        return U.uniform(self._generator, shape, low, high)

    def _per_image(self, x, low, high):
        """One draw per image, shaped (batch, 1, 1, 1) to broadcast over it."""
        draw = self._uniform(tf.reshape(tf.shape(x)[0], [1]), low, high)
        return tf.reshape(draw, [-1, 1, 1, 1])

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(RandomImageLayer):
    """Flips each image with probability 1/2: `mode` "horizontal", "vertical" or
    "horizontal_and_vertical" (one coin per image flips both axes, as in Keras 3).

    >>> layer = keras.layers.RandomFlip("horizontal", seed=1)
    >>> layer(np.ones((2, 3, 3, 1)), training=False).shape
    TensorShape([2, 3, 3, 1])
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = U.one_of(mode, ("horizontal_and_vertical", "horizontal", "vertical"),
                             f"RandomFlip {self.name!r}", "mode")

    def _augment(self, x):
        coins = self._per_image(x, 0.0, 1.0) <= 0.5
        if self.mode != "vertical":
            x = tf.where(coins, tf.reverse(x, [2]), x)
        if self.mode != "horizontal":
            x = tf.where(coins, tf.reverse(x, [1]), x)
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(RandomImageLayer):
    """Random layers that resample through an affine transform (fill_mode, interpolation,
    fill_value)."""

    def _init_fill(self, fill_mode, interpolation, fill_value):
        who = f"{type(self).__name__} {self.name!r}"
        self.fill_mode = U.one_of(fill_mode, _FILL_MODES, who, "fill_mode")
        self.interpolation = U.one_of(interpolation, ("bilinear", "nearest"), who,
                                      "interpolation")
        self.fill_value = float(fill_value)

    def _transform(self, x, transforms):
        return projective_transform(x, transforms, None, self.interpolation, self.fill_mode,
                                    self.fill_value)

    def _fill_config(self) -> dict:
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


def _affine(a0, a1, a2, b0, b1, b2):
    """(batch, 8) transforms from (batch,) columns."""
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


class RandomRotation(_AffineLayer):
    """Rotates each image about its center by a random angle of `factor * 360` degrees,
    `factor` a number f (angles in [-f, f] turns) or a pair (lower, upper).

    >>> keras.layers.RandomRotation(0.1, seed=1)(np.ones((1, 4, 4, 1)), training=False).shape
    TensorShape([1, 4, 4, 1])
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = U.factor_range(factor, f"RandomRotation {self.name!r}")
        self._init_fill(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        batch = tf.shape(x)[0]
        lower, upper = self.factor
        angle = self._uniform(tf.reshape(batch, [1]), lower * 2 * math.pi,
                              upper * 2 * math.pi)
        hw = tf.cast(tf.shape(x)[1:3], tf.float32)
        cy, cx = (hw[0] - 1) / 2, (hw[1] - 1) / 2
        cos, sin = tf.cos(angle), tf.sin(angle)
        return self._transform(x, _affine(cos, -sin, cx - cx * cos + cy * sin,
                                          sin, cos, cy - cx * sin - cy * cos))

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor), **self._fill_config()}


class RandomZoom(_AffineLayer):
    """Zooms each image about its center: the sampled region is `1 + factor` times the image
    (factor > 0 zooms out, < 0 zooms in), `height_factor` and `width_factor` numbers f
    (range [-f, f]) or pairs; without `width_factor` the aspect ratio is kept.

    >>> keras.layers.RandomZoom(0.2, seed=1)(np.ones((1, 4, 4, 1)), training=False).shape
    TensorShape([1, 4, 4, 1])
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = f"RandomZoom {self.name!r}"
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = U.factor_range(height_factor, who, "height_factor",
                                      bounds=(-1.0, math.inf))
        self._width = None if width_factor is None else \
            U.factor_range(width_factor, who, "width_factor", bounds=(-1.0, math.inf))
        self._init_fill(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        n = tf.reshape(tf.shape(x)[0], [1])
        zy = self._uniform(n, 1.0 + self._height[0], 1.0 + self._height[1])
        zx = zy if self._width is None else \
            self._uniform(n, 1.0 + self._width[0], 1.0 + self._width[1])
        hw = tf.cast(tf.shape(x)[1:3], tf.float32)
        zeros = tf.zeros_like(zx)
        return self._transform(x, _affine(zx, zeros, (hw[1] - 1) / 2 * (1 - zx),
                                          zeros, zy, (hw[0] - 1) / 2 * (1 - zy)))

    def get_config(self) -> dict:
        plain = (lambda f: list(f) if isinstance(f, (tuple, list)) else f)
        return {**super().get_config(), "height_factor": plain(self.height_factor),
                "width_factor": plain(self.width_factor), **self._fill_config()}


class RandomTranslation(_AffineLayer):
    """Shifts each image by random fractions of its height and width: `height_factor` and
    `width_factor` numbers f (range [-f, f]) or pairs, within [-1, 1].

    >>> layer = keras.layers.RandomTranslation(0.1, 0.1, seed=1)
    >>> layer(np.ones((1, 4, 4, 1)), training=False).shape
    TensorShape([1, 4, 4, 1])
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = f"RandomTranslation {self.name!r}"
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = U.factor_range(height_factor, who, "height_factor")
        self._width = U.factor_range(width_factor, who, "width_factor")
        self._init_fill(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        n = tf.reshape(tf.shape(x)[0], [1])
        hw = tf.cast(tf.shape(x)[1:3], tf.float32)
        dy = self._uniform(n, *self._height) * hw[0]
        dx = self._uniform(n, *self._width) * hw[1]
        ones, zeros = tf.ones_like(dx), tf.zeros_like(dx)
        return self._transform(x, _affine(ones, zeros, -dx, zeros, ones, -dy))

    def get_config(self) -> dict:
        plain = (lambda f: list(f) if isinstance(f, (tuple, list)) else f)
        return {**super().get_config(), "height_factor": plain(self.height_factor),
                "width_factor": plain(self.width_factor), **self._fill_config()}


class RandomContrast(RandomImageLayer):
    """Scales each image's distance to its per-channel mean by a random factor in
    [1 - lower, 1 + upper] (`factor` f gives (0, f), as Keras 3), then clips to
    `value_range`.

    >>> keras.layers.RandomContrast(0.2, seed=1)(np.ones((1, 2, 2, 1)), training=False).shape
    TensorShape([1, 2, 2, 1])
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = U.factor_range(factor, f"RandomContrast {self.name!r}",
                                     bounds=(0.0, 1.0), symmetric=False)
        self.value_range = tuple(value_range)

    def _augment(self, x):
        factor = self._per_image(x, 1.0 - self.factor[0], 1.0 + self.factor[1])
        mean = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        return tf.clip_by_value((x - mean) * tf.cast(factor, x.dtype) + mean,
                                self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


class RandomBrightness(RandomImageLayer):
    """Adds to each image a random delta of `factor` times the width of `value_range`
    (`factor` f gives [-f, f]), then clips to `value_range`.

    >>> layer = keras.layers.RandomBrightness(0.2, seed=1)
    >>> layer(np.ones((1, 2, 2, 1)), training=False).shape
    TensorShape([1, 2, 2, 1])
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        who = f"RandomBrightness {self.name!r}"
        self.factor = U.factor_range(factor, who)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"{who}: value_range must be a pair (low, high), got "
                             f"{value_range!r}.\nhint: value_range=(0, 255).")
        self.value_range = tuple(sorted(value_range))

    def _augment(self, x):
        low, high = self.value_range
        delta = self._per_image(x, *self.factor) * (high - low)
        return tf.clip_by_value(x + tf.cast(delta, x.dtype), low, high)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


class RandomCrop(RandomImageLayer):
    """Crops a random (height, width) box, one position per batch, in training; an image not
    larger than the target in both dimensions is cropped to the target's aspect ratio at the
    center and resized. At inference the input passes unchanged.

    >>> keras.layers.RandomCrop(2, 2, seed=1)(np.ones((1, 4, 4, 1))).shape
    TensorShape([1, 2, 2, 1])
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = f"RandomCrop {self.name!r}"
        self.height = U.positive_int(height, who, "height")
        self.width = U.positive_int(width, who, "width")

    def call(self, inputs, training=True):
        if not training:
            return U.as_input(inputs)
        return self._apply(inputs, self._augment)

    def _augment(self, x):
        h, w = static_hw(x, f"RandomCrop {self.name!r}")
        if h > self.height and w > self.width:
            top = tf.cast(self._uniform([], 0.0, float(h - self.height + 1)), tf.int32)
            left = tf.cast(self._uniform([], 0.0, float(w - self.width + 1)), tf.int32)
            y = tf.slice(x, tf.stack([0, top, left, 0]), [-1, self.height, self.width, -1])
            return tf.ensure_shape(y, [x.shape[0], self.height, self.width, x.shape[3]])
        top, left, _, _ = crop_box(h, w, self.height, self.width)
        y = x[:, top:top + self.height, left:left + self.width, :]
        if y.shape.as_list()[1:3] != [self.height, self.width]:
            y = tf.cast(tf.image.resize(y, [self.height, self.width]), self.dtype)
        return y

    def compute_output_shape(self, input_shape):
        return self._sized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}


