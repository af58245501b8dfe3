"""Merging layers: a list of tensors in, one tensor out (Add, Concatenate, Dot, ...), and
their functional forms (`keras.layers.add([a, b])`)."""

from __future__ import annotations

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer


def _shapes(input_shape, who: str, exactly: int | None = None) -> list:
    if isinstance(input_shape, tf.TensorShape) or not isinstance(input_shape, (list, tuple)) \
            or (input_shape and not isinstance(input_shape[0], (list, tuple, tf.TensorShape))):
        raise ValueError(f"A {who} layer should be called on a list of inputs. Received: "
                         f"input_shape={input_shape}.\nhint: {who}()([a, b]).")
    shapes = [tf.TensorShape(s) for s in input_shape]
    if exactly is not None and len(shapes) != exactly:
        raise ValueError(f"A {who} layer should be called on exactly {exactly} inputs. "
                         f"Received: input_shape={[tuple(s.as_list()) for s in shapes]}.\n"
                         f"hint: pass a list of {exactly} tensors.")
    if not shapes:
        raise ValueError(f"A {who} layer should be called on a list of at least 1 input.")
    return shapes


def _broadcast(a: list, b: list, who: str) -> list:
    """Keras' elementwise output shape of two sample shapes (the shorter aligned right)."""
    if len(a) < len(b):
        a, b = b, a
    out = list(a[:len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(f"{who}: inputs have incompatible shapes. Received shapes "
                             f"{tuple(a)} and {tuple(b)}.\nhint: elementwise merges need "
                             f"equal (or broadcastable) sample shapes.")
        else:
            out.append(i)
    return out


class _Merge(Layer):
    """Elementwise merges: inputs of lower rank get axes inserted after the batch axis."""

    _exactly = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = _shapes(input_shape, type(self).__name__, self._exactly)
        out = shapes[0].as_list()[1:]
        for s in shapes[1:]:
            out = _broadcast(out, s.as_list()[1:], type(self).__name__)
        batches = {s[0] for s in shapes if s.rank and s[0] is not None}
        return tf.TensorShape([batches.pop() if len(batches) == 1 else None, *out])

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A {type(self).__name__} layer should be called on a list of "
                             f"inputs, got {type(inputs).__name__}.\nhint: "
                             f"{type(self).__name__}()([a, b]).")
        ranks = [x.shape.rank for x in inputs]
        if None not in ranks and len(set(ranks)) > 1:
            top = max(ranks)
            expanded = []
            for x, r in zip(inputs, ranks):
                for _ in range(top - r):
                    x = tf.expand_dims(x, 1)
                expanded.append(x)
            inputs = expanded
        return self._merge(list(inputs))

    def compute_mask(self, inputs, mask=None):
        masks = [m for m in (mask or ()) if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = tf.logical_and(out, m)
        return out


class Add(_Merge):
    """Sums a list of tensors.

    >>> keras.layers.Add()([np.ones((1, 2)), np.ones((1, 2))]).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """Subtracts two tensors: `inputs[0] - inputs[1]`.

    >>> keras.layers.Subtract()([np.ones((1, 2)), np.ones((1, 2))]).numpy()
    array([[0., 0.]], dtype=float32)
    """

    _exactly = 2

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A Subtract layer should be called on exactly 2 inputs, got "
                             f"{len(inputs)}.\nhint: Subtract()([a, b]) computes a - b.")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of tensors elementwise.

    >>> keras.layers.Multiply()([np.full((1, 2), 2.), np.full((1, 2), 3.)]).numpy()
    array([[6., 6.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """Averages a list of tensors.

    >>> keras.layers.Average()([np.ones((1, 2)), np.full((1, 2), 3.)]).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class Maximum(_Merge):
    """The elementwise maximum of a list of tensors.

    >>> keras.layers.Maximum()([np.array([[1., 5.]]), np.array([[3., 2.]])]).numpy()
    array([[3., 5.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of a list of tensors.

    >>> keras.layers.Minimum()([np.array([[1., 5.]]), np.array([[3., 2.]])]).numpy()
    array([[1., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.minimum(out, x)
        return out


class Concatenate(Layer):
    """Concatenates a list of tensors along `axis`; the other axes must match.

    >>> keras.layers.Concatenate()([np.ones((2, 3)), np.ones((2, 4))]).shape
    TensorShape([2, 7])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.supports_masking = True

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = _shapes(input_shape, "Concatenate")
        ranks = {s.rank for s in shapes}
        if len(ranks) != 1 or None in ranks:
            raise ValueError(f"A Concatenate layer requires inputs of the same (known) rank. "
                             f"Received: input_shape={[str(s) for s in shapes]}.\nhint: "
                             f"reshape the inputs to one rank first.")
        rank = ranks.pop()
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None:
            raise ValueError(f"Concatenate: axis {self.axis} is out of range for inputs of rank "
                             f"{rank}.\nhint: use an axis in [-{rank}, {rank}).")
        out = shapes[0].as_list()
        for s in shapes[1:]:
            for i, d in enumerate(s.as_list()):
                if i == axis:
                    out[i] = None if out[i] is None or d is None else out[i] + d
                elif out[i] is not None and d is not None and out[i] != d:
                    raise ValueError(
                        f"A Concatenate layer requires inputs with matching shapes except for "
                        f"the concatenation axis {self.axis}. Received: input_shape="
                        f"{[tuple(x.as_list()) for x in shapes]}.\nhint: make the other "
                        f"axes equal, or concatenate along another axis.")
                elif out[i] is None:
                    out[i] = d
        return tf.TensorShape(out)

    def call(self, inputs):
        return tf.concat(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        inputs = [tf.convert_to_tensor(x) for x in inputs]
        masks = [tf.ones_like(x, tf.bool) if m is None else tf.convert_to_tensor(m)
                 for x, m in zip(inputs, mask)]
        masks = [tf.broadcast_to(tf.expand_dims(m, -1), tf.shape(x))
                 if m.shape.rank < x.shape.rank else m for m, x in zip(masks, inputs)]
        return tf.reduce_any(tf.concat(masks, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(Layer):
    """The dot product of two batches of tensors along `axes` (per sample).

    `(batch, d) . (batch, d)` gives `(batch, 1)`; with `normalize=True` the inputs are
    L2-normalized along `axes` first (the cosine similarity).

    >>> keras.layers.Dot(axes=1)([np.array([[1., 2.]]), np.array([[3., 4.]])]).numpy()
    array([[11.]], dtype=float32)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot: axes must be an integer or a pair of integers, got "
                                 f"{axes!r}.\nhint: Dot(axes=1) or Dot(axes=(1, 2)).")
            axes = tuple(int(a) for a in axes)
        else:
            axes = int(axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes(self, r1: int, r2: int) -> tuple:
        pair = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        return pair[0] % r1, pair[1] % r2

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        a, b = _shapes(input_shape, "Dot", exactly=2)
        ax, ay = self._axes(a.rank, b.rank)
        da, db = a.as_list(), b.as_list()
        if da[ax] is not None and db[ay] is not None and da[ax] != db[ay]:
            raise ValueError(f"Dot: incompatible input shapes: axis {ax} of {tuple(da)} is "
                             f"{da[ax]} but axis {ay} of {tuple(db)} is {db[ay]}.\nhint: "
                             f"choose axes of equal size.")
        out = da[:ax] + da[ax + 1:] + db[1:ay] + db[ay + 1:]
        return tf.TensorShape(out if len(out) > 1 else out + [1])

    def call(self, inputs):
        x, y = inputs
        ax, ay = self._axes(x.shape.rank, y.shape.rank)
        if self.normalize:
            x = tf.math.l2_normalize(x, axis=ax)
            y = tf.math.l2_normalize(y, axis=ay)
        out = backend.batch_dot(x, y, axes=[ax, ay])
        return tf.expand_dims(out, 1) if out.shape.rank == 1 else out

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """`Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """`Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis, **kwargs)(inputs)`.

    >>> keras.layers.concatenate([np.ones((1, 1)), np.zeros((1, 2))]).numpy()
    array([[1., 0., 0.]], dtype=float32)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """`Dot(axes, normalize, **kwargs)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
