"""`keras.Sequential`: a plain stack of layers, each with one input and one output.

It is built as soon as its input shape is known: from a `keras.Input` (or `InputLayer`) put
first, from the first layer's `input_shape`/`input_dim`/`batch_input_shape` argument, or from
the first batch it is called on. Building records a functional graph from a new
`keras.Input`, which gives every layer its weights and `summary()` its shapes.
"""

from __future__ import annotations

import rill as tf
from rill.keras.layers import input_layer as _il
from rill.keras.layers.base_layer import Layer
from rill.keras.models.model import Model


def _first_layer_shape(layer):
    shape = layer.__dict__.get("_batch_input_shape")
    if shape is not None:
        return tuple(shape)
    graph = layer.__dict__.get("_graph") or layer.__dict__.get("_graph_seq")
    if graph is not None and len(graph.flat_inputs) == 1:  # a model with a known input
        return tuple(graph.flat_inputs[0].shape.as_list())
    return None


class Sequential(Model):
    """A linear stack of layers.

    >>> model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(30),
    ...                           keras.layers.Dense(1)])
    >>> [w.shape.as_list() for w in model.weights]
    [[8, 30], [30], [30, 1], [1]]
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._input_tensor = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Adds a layer (or a `keras.Input`) on top of the stack."""
        if _il.is_keras_tensor(layer):
            hist = _il.get_keras_history(layer)
            if not isinstance(hist[0], _il.InputLayer):
                raise ValueError(f"{self.name}.add: a symbolic tensor must be a keras.Input; "
                                 f"got the output of {hist[0].name!r}.\nhint: build a "
                                 f"functional keras.Model for graphs of layers.")
            layer = hist[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: expected a keras layer, got "
                            f"{type(layer).__name__} {layer!r}.\nhint: pass an instance, e.g. "
                            f"keras.layers.Dense(10), not a name or a class.")
        if isinstance(layer, _il.InputLayer):
            if self._stack or self._input_tensor is not None:
                raise ValueError(f"{self.name}.add: a keras.Input can only come first.\nhint: "
                                 f"put keras.Input(shape=...) at the start of the list.")
            self._input_tensor = layer.output if hasattr(layer, "output") else None
            self._input_layer = layer
        else:
            self._stack.append(layer)
            self._stack = list(self._stack)
        self.make_train_function(force=True)  # compiled steps ran the old stack
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Removes the last layer and returns it."""
        if not self._stack:
            raise TypeError(f"{self.name}.pop: there are no layers in the model.")
        layer = self._stack[-1]
        self._stack = self._stack[:-1]
        object.__setattr__(self, "_graph_seq", None)
        self.built = False
        self.make_train_function(force=True)
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _input_shape_known(self):
        if self._input_tensor is not None:
            return tuple(self._input_tensor.shape.as_list()), self._input_tensor.dtype
        if self._stack:
            shape = _first_layer_shape(self._stack[0])
            if shape is not None:
                return shape, getattr(self._stack[0], "dtype", None) or tf.float32
        return None, None

    def _maybe_rebuild(self) -> None:
        shape, dtype = self._input_shape_known()
        if shape is not None and self._stack:
            self._build_graph(shape, dtype)

    def _build_graph(self, batch_shape, dtype) -> None:
        from rill.keras.models.functional import FunctionalGraph
        if self._input_tensor is not None and tuple(
                self._input_tensor.shape.as_list()) == tuple(batch_shape):
            inputs = self._input_tensor
        else:
            inputs = _il.Input(batch_shape=batch_shape, dtype=dtype)
        x = inputs
        for layer in self._stack:
            x = layer(x)
            if isinstance(x, (list, tuple, dict)):
                raise ValueError(f"{self.name}: all layers of a Sequential model must have "
                                 f"one output; {layer.name!r} returns {len(x)}.\nhint: use "
                                 f"the functional API for several outputs.")
        object.__setattr__(self, "_graph_seq", FunctionalGraph(inputs, x, self.name))
        self.built = True

    def build(self, input_shape=None):
        """Builds the stack for inputs of `input_shape` (batch dimension first)."""
        if self.__dict__.get("_graph_seq") is not None:
            self.built = True
            return
        if input_shape is None:
            shape, _ = self._input_shape_known()
            if shape is None:
                raise ValueError(f"{self.name}.build: the input shape is unknown.\nhint: "
                                 f"model.build((None, n_features)), or start the model with "
                                 f"keras.Input(shape=...).")
            input_shape = shape
        dims = input_shape.as_list() if hasattr(input_shape, "as_list") else list(input_shape)
        if not self._stack:
            raise ValueError(f"{self.name}: the model has no layers to build.\nhint: add "
                             f"layers with model.add(...) before calling or training it.")
        self._build_graph((None,) + tuple(dims[1:]), tf.float32)

    def call(self, inputs, training=None, mask=None):
        if not self._stack:
            raise ValueError(f"{self.name}: the model has no layers.\nhint: add layers with "
                             f"model.add(...) before calling, training or predicting.")
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    @property
    def layers(self) -> list:
        """The stacked layers (the input layer is not listed, as in Keras)."""
        return list(self._stack)

    @property
    def output_names(self):
        """The name of the last layer (the one output), as Keras names it."""
        return [self._stack[-1].name] if self._stack else None

    @property
    def input_shape(self):
        """The input shape (batch axis first), once known."""
        shape, _ = self._input_shape_known()
        graph = self.__dict__.get("_graph_seq")
        if graph is not None:
            return tuple(graph.flat_inputs[0].shape.as_list())
        return shape

    def _summary_entries(self) -> list:
        from rill.keras.models import summary as _summary
        graph = self.__dict__.get("_graph_seq")
        entries = []
        for layer in self.layers:
            shapes = graph.output_shape_of(layer) if graph is not None else None
            text = _summary.format_shape(shapes) if shapes else None
            entries.append(_summary.layer_entry(layer, text))
        return entries

    def _summary_sequential_like(self) -> bool:
        return True
