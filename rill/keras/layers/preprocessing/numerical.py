"""Numerical preprocessing layers: Normalization (with `adapt`), Rescaling and
Discretization (with `adapt`)."""

from __future__ import annotations

import math

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.preprocessing import _utils as U


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature:
    `(x - mean) / max(sqrt(variance), epsilon)` (with `invert`, the inverse
    `mean + x * max(sqrt(variance), epsilon)`).

    The statistics are given (`mean`, `variance`, broadcast to the kept axes) or computed by
    `adapt(data)` over an array, a tensor, a tf.data dataset of batches or an iterable of
    batches; they are kept per index of `axis` (default the last axis; None: one scalar).

    >>> layer = keras.layers.Normalization(axis=None)
    >>> layer.adapt(np.array([1., 2., 3., 4., 5.]))
    >>> layer(np.array([1., 3.])).numpy()
    array([-1.4142135,  0.       ], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        who = f"Normalization {self.name!r}"
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)):
            axis = (int(axis),)
        else:
            axis = tuple(int(a) for a in axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(f"{who}: mean and variance must be given together, got mean="
                             f"{mean!r} and variance={variance!r}.\nhint: pass both, or "
                             f"neither and call adapt(data).")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"{who}: mean and variance must have one shape, got "
                             f"{np.shape(mean)} and {np.shape(variance)}.")
        if mean is not None and np.ndim(mean) > len(axis):
            raise ValueError(f"{who}: mean has rank {np.ndim(mean)}, more than the {len(axis)} "
                             f"kept axes {axis}.\nhint: give one value per index of axis.")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._stats = None  # (mean, variance) broadcastable to the inputs

    def build(self, input_shape):
        shape = tf.TensorShape(input_shape)
        ndim = shape.rank
        who = f"Normalization {self.name!r}"
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{who}: axis {self.axis} is out of range for inputs of rank "
                             f"{ndim} (shape {shape}).\nhint: use axes in [-{ndim}, {ndim}).")
        keep = tuple(sorted(a % ndim for a in self.axis))
        for a in keep:
            if shape[a] is None:
                raise ValueError(f"{who}: the kept axis {a} must have a known size, got input "
                                 f"shape {shape}.\nhint: give the input a static size there, "
                                 f"or pass axis=None.")
        self._keep = keep
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._bshape = [shape[d] if d in keep else 1 for d in range(ndim)]
        self._build_shape = shape
        stat_shape = tuple(shape[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stat_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stat_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:
            self._stats = (self._given(self.input_mean), self._given(self.input_variance))
        self.built = True

    def _given(self, value):
        """A given statistic, its trailing dimensions aligned with the kept axes."""
        v = np.asarray(value, np.float64)
        full = [1] * len(self._bshape)
        for i in range(1, v.ndim + 1):
            full[self._keep[-i]] = v.shape[-i]
        try:
            v = np.broadcast_to(v.reshape(full), self._bshape)
        except ValueError:
            raise ValueError(f"Normalization {self.name!r}: mean/variance of shape "
                             f"{np.shape(value)} do not broadcast to the kept axes' shape "
                             f"{tuple(self._bshape)}.\nhint: give one value per index of "
                             f"axis={self.axis}.") from None
        return tf.constant(v.astype(self.dtype))

    def adapt(self, data, steps=None):
        """Computes the mean and variance of `data` over the reduced axes (batches are
        merged exactly: the result equals NumPy's over all the data)."""
        total_mean = total_var = None
        count = 0
        spec = getattr(data, "element_spec", None)
        spec = spec[0] if isinstance(spec, tuple) else spec
        if getattr(spec, "shape", None) is not None and spec.shape.rank == 1:
            data = data.batch(128)  # a dataset of single vectors, as Keras batches it
        for batch in U.adapt_batches(data, "Normalization", steps):
            batch = batch.astype(np.float64)
            if not self.built:
                with tf.init_scope():
                    self.build(tf.TensorShape(batch.shape))
                self.__dict__["_build_input_shape"] = tf.TensorShape(batch.shape)
            self._check_batch(batch)
            n = math.prod(batch.shape[d] for d in self._reduce) if self._reduce else 1
            mean = batch.mean(axis=self._reduce)
            var = batch.var(axis=self._reduce)
            if total_mean is None:
                total_mean, total_var, count = mean, var, n
                continue
            new_count = count + n
            new_mean = total_mean + (mean - total_mean) * (n / new_count)
            total_var = (count * (total_var + (total_mean - new_mean) ** 2) +
                         n * (var + (mean - new_mean) ** 2)) / new_count
            total_mean, count = new_mean, new_count
        if total_mean is None:
            raise ValueError("Normalization.adapt: the data holds no batches.\nhint: pass a "
                             "non-empty array or dataset.")
        if self.input_mean is not None:
            raise ValueError(f"Normalization {self.name!r}: cannot adapt a layer given mean "
                             f"and variance.\nhint: create it without them.")
        self.adapt_mean.assign(total_mean.astype(self.dtype))
        self.adapt_variance.assign(total_var.astype(self.dtype))

    def _check_batch(self, batch):
        for d in self._keep:
            if batch.ndim <= d or batch.shape[d] != self._build_shape[d]:
                raise ValueError(f"Normalization {self.name!r}: the layer was built for "
                                 f"inputs of shape {self._build_shape}, but adapt() got data "
                                 f"of shape {batch.shape}.\nhint: adapt on data shaped like "
                                 f"the inputs.")

    def call(self, inputs):
        x = U.as_input(inputs, self.dtype)
        if self._stats is not None:
            mean, var = self._stats
        else:
            mean = tf.reshape(self.adapt_mean.value(), self._bshape)
            var = tf.reshape(self.adapt_variance.value(), self._bshape)
        scale = tf.maximum(tf.sqrt(var), backend.epsilon())
        if self.invert:
            return mean + x * scale
        return (x - mean) / scale

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        listed = (lambda v: None if v is None else np.asarray(v).tolist())
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": listed(self.input_mean), "variance": listed(self.input_variance)}


class Rescaling(Layer):
    """`inputs * scale + offset`, in the layer's dtype (e.g. `Rescaling(1 / 255)` maps pixel
    values to [0, 1]).

    >>> keras.layers.Rescaling(1 / 127.5, offset=-1)(np.array([0, 255])).numpy()
    array([-1.,  1.], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs):
        x = U.as_input(inputs, self.dtype)
        scale = tf.cast(self.scale, self.dtype)
        offset = tf.cast(self.offset, self.dtype)
        if x.shape.rank is not None and scale.shape.rank and x.shape.rank > scale.shape.rank:
            scale = tf.reshape(scale, [1] * (x.shape.rank - scale.shape.rank) +
                               scale.shape.as_list())
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self) -> dict:
        plain = (lambda v: np.asarray(v).tolist() if not isinstance(v, (int, float)) else v)
        return {**super().get_config(), "scale": plain(self.scale),
                "offset": plain(self.offset)}


# -- Discretization: bins from approximate quantiles ------------------------------------------
def _summary(values, epsilon):
    """About 1 / epsilon sorted sample points of `values`, each weighted by the count it
    stands for (every value, weight 1, when there are fewer)."""
    v = np.sort(np.reshape(values, -1).astype(np.float32))
    step = max(v.size * epsilon, 1)
    points = v[int(step - 1)::int(step)]
    return np.stack([points, np.full(points.shape, step, np.float32)])


def _compress(summary, epsilon):
    """Resamples a weighted summary at cumulative-weight fractions epsilon, 2 epsilon, ...,
    1, interpolating values and weights."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    points = np.interp(fractions, cum / cum[-1], summary[0])
    cum_at = np.interp(fractions, cum / cum[-1], cum)
    weights = np.diff(cum_at, prepend=0.0)
    return np.stack([points, weights]).astype(np.float32)


class Discretization(Layer):
    """Buckets values by boundaries: index i when `b[i-1] <= x < b[i]` (0 below the first,
    `len(b)` from the last), then encodes the indices (`output_mode` "int", "one_hot",
    "multi_hot" or "count").

    `bin_boundaries` are given, or `num_bins` are fitted by `adapt(data)` to approximate
    quantiles of the data (error about `epsilon`), as Keras computes them.

    >>> keras.layers.Discretization(bin_boundaries=[0., 1.])(np.array([-1., 0.5, 1.])).numpy()
    array([0, 1, 2], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int32" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        who = f"Discretization {self.name!r}"
        U.one_of(output_mode, ("int", "one_hot", "multi_hot", "count"), who, "output_mode")
        if sparse:
            raise NotImplementedError(f"{who}: sparse outputs are not supported by rill.\n"
                                      f"hint: leave sparse=False.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{who}: pass bin_boundaries or num_bins, not both (got "
                             f"{bin_boundaries!r} and {num_bins!r}).")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{who}: pass bin_boundaries, or num_bins and then call adapt()."
                             f"\nhint: Discretization(bin_boundaries=[0., 1., 2.]).")
        if num_bins is not None and (isinstance(num_bins, bool) or num_bins < 0):
            raise ValueError(f"{who}: num_bins must be >= 0, got {num_bins!r}.")
        self.bin_boundaries = None if bin_boundaries is None else \
            [float(b) for b in bin_boundaries]
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = False
        self._summary = np.zeros((2, 0), np.float32)

    def adapt(self, data, steps=None):
        """Fits `num_bins - 1` boundaries to approximate quantiles of `data`."""
        if self.num_bins is None:
            raise ValueError(f"Discretization {self.name!r}: cannot adapt a layer made with "
                             f"bin_boundaries.\nhint: pass num_bins instead.")
        merged = np.zeros((2, 0), np.float32)
        for batch in U.adapt_batches(data, "Discretization", steps):
            both = np.concatenate([_summary(batch, self.epsilon), merged], axis=1)
            merged = _compress(both[:, np.argsort(both[0], kind="stable")], self.epsilon)
        self._summary = merged
        self.bin_boundaries = _compress(merged, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r}: the bin boundaries are unknown."
                             f"\nhint: pass bin_boundaries, or call adapt(data) first.")
        x = U.as_input(inputs, tf.float32)
        bounds = tf.constant(np.asarray(self.bin_boundaries, np.float32))
        if x.shape.rank == 0:
            idx = tf.searchsorted(bounds, tf.reshape(x, [1]), side="right")[0]
        else:
            flat = tf.searchsorted(bounds, tf.reshape(x, [-1]), side="right")
            idx = tf.reshape(flat, tf.shape(x))
        if self.output_mode == "int":
            return tf.cast(idx, self.dtype)
        return U.encode(idx, self.output_mode, len(self.bin_boundaries) + 1, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tf.TensorShape(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        return U.encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self) -> dict:
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        bounds = config.pop("bin_boundaries", None)
        if bounds is not None and config.get("num_bins") is not None:
            layer = super().from_config(config)  # an adapted layer: both are set
            layer.bin_boundaries = bounds
            return layer
        return super().from_config({**config, "bin_boundaries": bounds})
