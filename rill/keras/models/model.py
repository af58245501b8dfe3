"""`keras.Model`: a Layer that trains (`compile`/`fit`/... come from `Trainer`).

Three ways to make one, as in Keras:

- subclassing: create layers in `__init__`, use them in `call`;
- functional: `keras.Model(inputs=..., outputs=...)` returns a `Functional` model that runs
  the recorded graph (`functional.py`); a subclass may also call
  `super().__init__(inputs=..., outputs=...)`;
- `keras.Sequential` (`sequential.py`).
"""

from __future__ import annotations

import rill as tf
from rill.keras.layers.base_layer import Layer
from rill.keras.models import summary as _summary
from rill.keras.models.trainer import Trainer


def _functional_args(args, kwargs) -> bool:
    return (len(args) >= 2) or ("inputs" in kwargs and "outputs" in kwargs) or \
        (len(args) == 1 and "outputs" in kwargs)


def _split_functional(args, kwargs):
    args = list(args)
    inputs = kwargs.pop("inputs", None)
    outputs = kwargs.pop("outputs", None)
    if inputs is None and args:
        inputs = args.pop(0)
    if outputs is None and args:
        outputs = args.pop(0)
    if args:
        kwargs.setdefault("name", args.pop(0))
    return inputs, outputs, kwargs


class Model(Trainer, Layer):
    """A model: layers plus training (`compile`, `fit`, `evaluate`, `predict`).

    >>> class Regressor(keras.Model):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.hidden = keras.layers.Dense(4, activation="relu")
    ...         self.out = keras.layers.Dense(1)
    ...     def call(self, inputs):
    ...         return self.out(self.hidden(inputs))
    >>> Regressor()(np.zeros((2, 3), np.float32)).shape
    TensorShape([2, 1])
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_args(args, kwargs):
            from rill.keras.models.functional import Functional
            cls = Functional
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        graph = None
        if _functional_args(args, kwargs):
            inputs, outputs, kwargs = _split_functional(args, kwargs)
            args = ()
            graph = (inputs, outputs)
        Layer.__init__(self, *args, **kwargs)
        object.__setattr__(self, "_graph", None)
        if graph is not None:
            self._init_graph(*graph)

    def _init_graph(self, inputs, outputs) -> None:
        from rill.keras.models.functional import FunctionalGraph
        if isinstance(inputs, list) and len(inputs) == 1 and \
                not isinstance(inputs[0], (list, dict)):
            inputs = inputs[0] if not isinstance(outputs, list) else inputs
        graph = FunctionalGraph(inputs, outputs, self.name)
        object.__setattr__(self, "_graph", graph)
        self._graph_layers = graph.layers()  # tracked: their weights are the model's
        self.built = True

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        depth = self.__dict__.get("_model_calling", 0)
        object.__setattr__(self, "_model_calling", depth + 1)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            object.__setattr__(self, "_model_calling", depth)

    def call(self, inputs, training=None, mask=None):
        """Runs the functional graph; subclassed models override this."""
        graph = self.__dict__.get("_graph")
        if graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}.call: a subclassed Model must implement call().\n"
                f"hint: define `def call(self, inputs): ...` returning the outputs.")
        flat = self._match_inputs(graph, inputs)
        outs = graph.run(flat, training)
        return tf.nest.pack_sequence_as(graph.outputs, outs)

    def _match_inputs(self, graph, inputs) -> list:
        expected = graph.inputs
        if isinstance(expected, dict):
            if not isinstance(inputs, dict):
                if isinstance(inputs, (list, tuple)) and len(inputs) == len(expected):
                    inputs = dict(zip(expected, inputs))
                else:
                    raise ValueError(f"{self.name}: expects a dict of inputs with keys "
                                     f"{sorted(expected)}, got {type(inputs).__name__}.\n"
                                     f"hint: pass {{name: array}} for every input.")
            missing = sorted(set(expected) - set(inputs))
            if missing:
                raise ValueError(f"{self.name}: the input dict has no entry for {missing}; "
                                 f"the model's inputs are {sorted(expected)}.\nhint: pass "
                                 f"{{name: array}} for every input.")
            ordered = [inputs[k] for k in sorted(expected)]
        elif isinstance(expected, (list, tuple)):
            if isinstance(inputs, dict):
                names = [t_name(t) for t in graph.flat_inputs]
                missing = [n for n in names if n not in inputs]
                if missing:
                    raise ValueError(f"{self.name}: the input dict has no entry for "
                                     f"{missing}; the inputs are named {names}.\nhint: key "
                                     f"the inputs by the names given to keras.Input.")
                ordered = [inputs[n] for n in names]
            else:
                ordered = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
                if len(ordered) != len(expected):
                    raise ValueError(f"{self.name}: expects {len(expected)} inputs, got "
                                     f"{len(ordered)}.\nhint: pass a list with one array "
                                     f"per keras.Input, in order.")
        else:
            if isinstance(inputs, dict) and len(inputs) == 1:
                inputs = next(iter(inputs.values()))
            elif isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                inputs = inputs[0]
            ordered = [inputs]
        return [self._conform(t, x) for t, x in zip(graph.flat_inputs, ordered)]

    def _conform(self, spec, x):
        x = tf.convert_to_tensor(x) if not isinstance(x, tf.Tensor) else x
        if x.dtype != spec.dtype and spec.dtype.is_floating and \
                (x.dtype.is_floating or x.dtype.is_integer):
            x = tf.cast(x, spec.dtype)
        want, got = spec.shape, x.shape
        if want.rank is not None and got.rank is not None:
            ok = want.rank == got.rank and all(
                w is None or g is None or w == g for w, g in zip(want.as_list(),
                                                                 got.as_list()))
            if not ok:
                raise ValueError(f"{self.name}: input {t_name(spec)!r} expected shape "
                                 f"{tuple(want.as_list())}, but got an input of "
                                 f"incompatible shape {tuple(got.as_list())}.\nhint: check "
                                 f"the data's shape against keras.Input(shape=...) (the "
                                 f"first dimension is the batch).")
        return x

    def build(self, input_shape=None):
        """Creates the weights: a subclassed model traces `call` on a symbolic input of
        `input_shape` (batch dimension included, e.g. `(None, 8)`)."""
        if self.__dict__.get("_model_calling") or self.__dict__.get("_graph") is not None:
            Layer.build(self, input_shape)
            return
        if self.built:
            return
        if input_shape is None:
            raise ValueError(f"{type(self).__name__}.build: an input_shape is needed to "
                             f"build the model.\nhint: model.build((None, n_features)), or "
                             f"call the model on a batch of data.")
        spec = _specs(input_shape)
        tf.function(lambda x: self(x, training=False)).get_concrete_function(spec)
        self._clear_losses()  # add_loss values of the trace are not real losses
        self.built = True

    # -- layers ----------------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """The model's layers: a functional model's in graph order (input layers
        included), a subclassed model's direct sublayers in creation order."""
        graph = self.__dict__.get("_graph")
        if graph is not None:
            return graph.layers()
        return list(self._flatten_layers(include_self=False, recursive=False))

    def add_metric(self, value, name=None, aggregation="mean"):
        """tf.keras 2's `add_metric`. Without a name, the value is taken to be the result of
        a metric the model already tracks as an attribute (the chapter's
        `self.add_metric(self.reconstruction_mean(recon_loss))`), which is reported already."""
        if name is None and self._tracked_metrics():
            return
        Layer.add_metric(self, value, name=name, aggregation=aggregation)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers`."""
        layers = self.layers
        if name is not None and index is not None:
            raise ValueError(f"get_layer: pass a name or an index, not both (got "
                             f"name={name!r}, index={index!r}).")
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range: the model has "
                                 f"{len(layers)} layers.\nhint: see model.layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"get_layer: the model has no layer named {name!r}; its layers "
                             f"are {[layer.name for layer in layers]}.\nhint: use one of these "
                             f"names, or index=.")
        raise ValueError("get_layer: pass a layer name or an index.")

    @property
    def output_names(self):
        """The names of a functional model's outputs (its output layers' names, or the
        keys of a dict of outputs); None for a subclassed model."""
        graph = self.__dict__.get("_graph")
        if graph is None:
            return None
        if isinstance(graph.outputs, dict):
            return list(graph.outputs)
        return [t_name(t) for t in graph.flat_outputs]

    @property
    def input_names(self):
        """The names of a functional model's input layers."""
        graph = self.__dict__.get("_graph")
        return None if graph is None else [t_name(t) for t in graph.flat_inputs]

    @property
    def inputs(self):
        """A functional model's input tensors (keras.Input), flat."""
        graph = self.__dict__.get("_graph")
        return None if graph is None else graph.flat_inputs

    @property
    def outputs(self):
        """A functional model's output tensors, flat."""
        graph = self.__dict__.get("_graph")
        return None if graph is None else graph.flat_outputs

    # -- summary ---------------------------------------------------------------------------
    def reset_states(self) -> None:
        """Resets the states of every stateful layer of the model (tf.keras 2; the book's
        `ResetStatesCallback` calls it at each epoch's start)."""
        for layer in self._flatten_layers(include_self=False):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layers, their output shapes and parameter counts (Keras 3's table)."""
        if not self.built:
            raise ValueError(
                f"This model has not yet been built. Build the model first by calling "
                f"`build()` or by calling the model on a batch of data.\nhint: "
                f"model.build((None, n_features)), or give the first layer an input shape "
                f"(keras.Input(shape=...)), then call {type(self).__name__}.summary().")
        _summary.print_summary(self, line_length, positions, print_fn, expand_nested,
                               show_trainable, layer_range)

    def _summary_sequential_like(self) -> bool:
        graph = self.__dict__.get("_graph")
        return True if graph is None else graph.sequential_like()

    def _summary_entries(self) -> list:
        graph = self.__dict__.get("_graph")
        if graph is None:
            return [_summary.layer_entry(layer) for layer in self.layers]
        entries = []
        for item in graph.ordered():
            shapes = graph.output_shape_of(item)
            text = _summary.format_shape(shapes) if shapes else "?"
            if isinstance(item, Layer):
                entries.append(_summary.layer_entry(item, text, graph.connections(item)))
            else:
                entries.append(_summary.Entry(item.name, "TFOpLambda", text, None,
                                              graph.connections(item)))
        return entries

    # -- files (rill.keras.saving) ---------------------------------------------------------
    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Writes the weights: `.weights.h5` (Keras 3), `.h5` (tf.keras 2) or, for a path
        without a suffix, a rill checkpoint (the book's style); atomically."""
        from rill.keras import saving

        saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        """Reads weights written by `save_weights` (or by Keras); errors name the layer and
        both shapes on a mismatch."""
        from rill.keras import saving

        return saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name,
                                   **kwargs)

    def save(self, filepath, overwrite=True, **kwargs):
        """Saves architecture, weights, optimizer state and compile settings: `.keras` (Keras
        3's zip), `.h5` (tf.keras 2's HDF5) or a folder for a path without a suffix."""
        from rill.keras import saving

        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def to_json(self, **kwargs) -> str:
        """The model's config as JSON (`keras.models.model_from_json` reads it back)."""
        from rill.keras import saving

        return saving.model_to_json(self, **kwargs)


def t_name(t) -> str:
    from rill.keras.layers import input_layer as _il
    hist = _il.get_keras_history(t) if _il.is_keras_tensor(t) else None
    return hist[0].name if hist is not None else t.op.name


def _specs(input_shape):
    def spec(shape):
        dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
        return tf.TensorSpec(dims, tf.float32)

    if isinstance(input_shape, dict):
        return {k: spec(v) for k, v in input_shape.items()}
    if isinstance(input_shape, (list, tuple)) and input_shape and all(
            isinstance(s, (list, tuple)) or hasattr(s, "as_list") for s in input_shape):
        return [spec(s) for s in input_shape]
    return spec(input_shape)
