"""Spatial reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D and UpSampling1D/2D/3D
(nearest neighbour, and bilinear in 2-D), channels_last or channels_first."""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras.layers import _spatial_args as A
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.input_spec import InputSpec


def _pairs(value, rank: int, name: str, who: str) -> tuple:
    """An int, `rank` ints (symmetric) or `rank` (before, after) pairs, as pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * rank
    try:
        items = list(value)
    except TypeError:
        items = None
    if rank == 1 and items is not None and len(items) == 2 and \
            all(isinstance(v, int) for v in items):
        items = [tuple(items)]  # 1-D: (before, after)
    pairs = []
    for item in items if items is not None and len(items) == rank else [None]:
        pair = (item, item) if isinstance(item, int) and not isinstance(item, bool) else item
        try:
            pair = tuple(int(v) for v in pair) if pair is not None else None
        except (TypeError, ValueError):
            pair = None
        if pair is None or len(pair) != 2 or min(pair) < 0:
            raise ValueError(f"{who}: `{name}` should be an int, a tuple of {rank} ints or a "
                             f"tuple of {rank} tuples of 2 non-negative ints. Received: "
                             f"{name}={value!r}.\nhint: e.g. {name}="
                             f"{((1, 1),) * rank if rank > 1 else (1, 1)}.")
        pairs.append(pair)
    return tuple(pairs)


class _Spatial(Layer):
    _rank = 2

    def _init_format(self, data_format):
        self.data_format = A.data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _full(self, spatial_items, outer):
        """A per-axis list over the full rank, `outer` on the batch and channel axes."""
        if self.data_format == "channels_first":
            return [outer, outer, *spatial_items]
        return [outer, *spatial_items, outer]

    def _shape(self, input_shape, spatial_fn):
        shape = tf.TensorShape(input_shape).as_list()
        spatial = [None if n is None else spatial_fn(i, n)
                   for i, n in enumerate(A.spatial_dims(shape, self.data_format))]
        channels = shape[1] if self.data_format == "channels_first" else shape[-1]
        return tf.TensorShape(A.with_spatial(shape, spatial, channels, self.data_format))


# -- zero padding -------------------------------------------------------------------------
class _ZeroPadding(_Spatial):
    """Adds rows/columns of zeros before and after each spatial axis."""

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self._rank, "padding", type(self).__name__)
        self._init_format(data_format)

    def call(self, inputs):
        return tf.pad(inputs, self._full([list(p) for p in self.padding], [0, 0]))

    def compute_output_shape(self, input_shape):
        return self._shape(input_shape, lambda i, n: n + sum(self.padding[i]))

    def get_config(self) -> dict:
        padding = self.padding[0] if self._rank == 1 else self.padding
        return {**super().get_config(), "padding": padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps: `padding` is an int or (before, after).

    >>> keras.layers.ZeroPadding1D((1, 2))(np.ones((1, 2, 1))).numpy().ravel()
    array([0., 1., 1., 0., 0.], dtype=float32)
    """

    _rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Zeros around an image: `padding` is an int, (rows, cols) or ((top, bottom), (left,
    right)).

    >>> keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(np.ones((1, 3, 3, 2))).shape
    TensorShape([1, 4, 6, 2])
    """

    _rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around a volume."""

    _rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# -- cropping -----------------------------------------------------------------------------
class _Cropping(_Spatial):
    """Removes rows/columns before and after each spatial axis."""

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self._rank, "cropping", type(self).__name__)
        self._init_format(data_format)

    def _check(self, shape):
        for n, (b, a) in zip(A.spatial_dims(shape, self.data_format), self.cropping):
            if n is not None and b + a >= n:
                raise ValueError(f"{type(self).__name__} {self.name!r}: values in `cropping` "
                                 f"argument should be smaller than the corresponding spatial "
                                 f"dimension of the input. Received: input_shape={shape}, "
                                 f"cropping={self.cropping}\nhint: crop less than the size.")

    def call(self, inputs):
        self._check(inputs.shape.as_list())
        index = self._full([slice(b, -a if a else None) for b, a in self.cropping],
                           slice(None))
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check(tf.TensorShape(input_shape).as_list())
        return self._shape(input_shape, lambda i, n: n - sum(self.cropping[i]))

    def get_config(self) -> dict:
        cropping = self.cropping[0] if self._rank == 1 else self.cropping
        config = {**super().get_config(), "cropping": cropping}
        if self._rank > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(_Cropping):
    """Removes steps from the start and end: `cropping` is an int or (start, end).

    >>> keras.layers.Cropping1D((1, 2))(np.arange(5.).reshape(1, 5, 1)).numpy().ravel()
    array([1., 2.], dtype=float32)
    """

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns: `cropping` is an int, (rows, cols) or ((top, bottom),
    (left, right)).

    >>> keras.layers.Cropping2D(((1, 0), (1, 1)))(np.zeros((1, 4, 5, 2))).shape
    TensorShape([1, 3, 3, 2])
    """

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes slices from each side of a volume."""

    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


# -- upsampling ---------------------------------------------------------------------------
def _bilinear_matrix(n: int, size: int) -> np.ndarray:
    """(n * size, n) weights of TensorFlow's bilinear resize with half-pixel centres:
    output i reads input (i + 0.5) / size - 0.5, between its floor (clamped at 0) and ceil
    (clamped at n - 1)."""
    pos = (np.arange(n * size) + 0.5) / size - 0.5
    low = np.floor(pos)
    frac = pos - low
    lo = np.clip(low, 0, n - 1).astype(int)
    hi = np.clip(np.ceil(pos), 0, n - 1).astype(int)
    m = np.zeros((n * size, n))
    rows = np.arange(n * size)
    m[rows, lo] += 1 - frac  # one entry per row, so no index repeats within a statement
    m[rows, hi] += frac
    return m


class _UpSampling(_Spatial):
    """Repeats each element `size` times along each spatial axis."""

    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        self.size = A.int_tuple(size, self._rank, "size", who)
        self._init_format(data_format)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{who}: `interpolation` argument should be one of: 'nearest', "
                             f"'bilinear'. Received: interpolation={interpolation!r}.\nhint: "
                             f"rill's UpSampling layers resize by nearest or bilinear.")

    def _axes(self) -> list:
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self._rank))

    def call(self, inputs):
        y = inputs
        if self.interpolation == "nearest":
            for axis, s in zip(self._axes(), self.size):
                y = tf.repeat(y, s, axis=axis) if s > 1 else y
            return y
        letters = "abcde"[:inputs.shape.rank]
        for axis, s in zip(self._axes(), self.size):
            n = inputs.shape[axis]
            if n is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: bilinear upsampling "
                                 f"needs static spatial sizes, got input shape "
                                 f"{inputs.shape}.\nhint: give keras.Input a full shape.")
            m = tf.constant(_bilinear_matrix(n, s), dtype=inputs.dtype)
            src = letters.replace(letters[axis], "z")
            y = tf.einsum(f"{letters[axis]}z,{src}->{letters}", m, y)
        return y

    def compute_output_shape(self, input_shape):
        return self._shape(input_shape, lambda i, n: n * self.size[i])

    def get_config(self) -> dict:
        config = {**super().get_config(), "size": self.size[0] if self._rank == 1 else
                  self.size}
        if self._rank > 1:
            config["data_format"] = self.data_format
        if self._rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times.

    >>> keras.layers.UpSampling1D(2)(np.arange(2.).reshape(1, 2, 1)).numpy().ravel()
    array([0., 0., 1., 1.], dtype=float32)
    """

    _rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, **kwargs)


class UpSampling2D(_UpSampling):
    """Enlarges an image `size` times: nearest neighbour (repeats) or bilinear (TensorFlow's
    `tf.image.resize` with half-pixel centres).

    >>> keras.layers.UpSampling2D((2, 3))(np.zeros((1, 2, 2, 1))).shape
    TensorShape([1, 4, 6, 1])
    """

    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)


class UpSampling3D(_UpSampling):
    """Repeats each voxel `size` times along depth, height and width."""

    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)
