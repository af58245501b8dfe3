"""`keras.Input` and `InputLayer`: the placeholders a functional model starts from.

`keras.Input(shape=(8,))` is a symbolic tensor of shape `(None, 8)` in the functional graph
(`node.py`); its keras history points at the `InputLayer` that made it. `KerasTensor` is
rill's `GraphTensor`: `isinstance(keras.Input((3,)), keras.KerasTensor)` is True.
"""

from __future__ import annotations

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.node import (
    KerasTensor,
    Node,
    functional_graph,
    get_keras_history,
    is_keras_tensor,
)

__all__ = ["Input", "InputLayer", "KerasTensor", "functional_graph", "get_keras_history",
           "is_keras_tensor"]


class InputLayer(Layer):
    """The layer behind `keras.Input`: its output is a placeholder of the functional graph.

    Args:
        input_shape (or Keras 3's `shape`): the shape without the batch axis.
        batch_size: the batch size, None for any.
        dtype: the placeholder's dtype (default floatx).
        input_tensor: an existing keras tensor to use as the output.
        batch_shape (or tf.keras 2's `batch_input_shape`): the full shape, batch included.

    >>> layer = keras.layers.InputLayer(input_shape=(3,), name="features")
    >>> layer.output.shape, layer.name
    (TensorShape([None, 3]), 'features')
    """

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=None, name=None, ragged=None, type_spec=None, batch_shape=None,
                 shape=None, batch_input_shape=None, **kwargs):
        if sparse or ragged:
            raise NotImplementedError(f"InputLayer: sparse and ragged inputs are not "
                                      f"supported by rill (got sparse={sparse}, "
                                      f"ragged={ragged}).\nhint: use dense inputs.")
        kwargs.pop("optional", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        shape = input_shape if input_shape is not None else shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if input_tensor is not None:
            if not is_keras_tensor(input_tensor):
                raise ValueError(f"InputLayer {self.name!r}: input_tensor must be a keras "
                                 f"tensor (made from keras.Input), got {input_tensor!r}.\n"
                                 f"hint: pass shape=... instead.")
            batch_shape = tuple(input_tensor.shape.as_list())
            self.__dict__["_dtype"] = input_tensor.dtype.name
        elif batch_shape is not None:
            batch_shape = tuple(batch_shape)
        elif shape is not None:
            shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
            batch_shape = (batch_size,) + shape
        else:
            raise ValueError(f"InputLayer {self.name!r}: the input shape is unknown.\nhint: "
                             f"pass shape=(...) (without the batch axis) or "
                             f"batch_shape=(batch, ...).")
        self.__dict__["_batch_input_shape"] = batch_shape
        self.__dict__["sparse"] = bool(sparse)
        if input_tensor is None:
            input_tensor = functional_graph().add_placeholder(
                tf.TensorShape(list(batch_shape)), tf.as_dtype(self._dtype), self.name)
        self.__dict__["built"] = True
        self.__dict__["_called"] = True
        Node(self, (), {}, input_tensor)

    @property
    def batch_shape(self) -> tuple:
        return self._batch_input_shape

    @property
    def input(self):
        return self.output

    def call(self, inputs):
        return inputs

    def get_config(self) -> dict:
        return {"batch_shape": self._batch_input_shape, "dtype": self._dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None,  # noqa: N802
          ragged=None, type_spec=None, batch_shape=None, **kwargs):
    """A symbolic input tensor for the functional API (`keras.Input`).

    Args:
        shape: the shape of one sample (without the batch axis), e.g. `(8,)`.
        batch_size: a fixed batch size, or None.
        name: the name of the input layer (unique default `input_layer`, `input_layer_1`).
        dtype: the dtype (default floatx).
        tensor: an existing keras tensor to wrap.
        batch_shape: the full shape, batch axis first (instead of shape and batch_size).

    >>> x = keras.Input(shape=(8,), name="features")
    >>> x.shape, x.dtype.name
    (TensorShape([None, 8]), 'float32')
    >>> keras.layers.Dense(2)(x).shape
    TensorShape([None, 2])
    """
    if "batch_input_shape" in kwargs and batch_shape is None:
        batch_shape = kwargs.pop("batch_input_shape")
    if kwargs:
        raise TypeError(f"keras.Input got unexpected keyword argument(s) {sorted(kwargs)}.\n"
                        f"hint: use shape, batch_size, name, dtype, tensor, batch_shape.")
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("keras.Input: pass shape=(...) (the shape of one sample) or "
                         "batch_shape=(batch, ...).\nhint: keras.Input(shape=(8,)).")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name,
                       dtype=backend.standardize_dtype(dtype), sparse=sparse,
                       input_tensor=tensor, ragged=ragged, batch_shape=batch_shape)
    return layer.output
