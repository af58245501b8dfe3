"""`keras.layers.RNN`: runs a cell over the time axis; `StackedRNNCells`.

A cell is any object with `state_size` (an int, or a list of them, one per state) and
`call(inputs, states)` returning `(output, new_states)`; `output_size` and
`get_initial_state(batch_size)` are optional. The built-in cells (`SimpleRNNCell`,
`LSTMCell`, `GRUCell`) also project the inputs of every step with one matrix product before
the loop (`_rnn_cell.py`). The loop itself is in `_rnn_loop.py`.
"""

from __future__ import annotations

import inspect

import rill as tf
from rill.keras import regularizers
from rill.keras.layers import node as _node
from rill.keras.layers._rnn_cell import (
    RNNCellBase,
    deserialize_layer,
    layer_scope,
    set_mask_cache,
)
from rill.keras.layers._rnn_loop import rnn_loop
from rill.keras.layers.base_layer import Layer
from rill.keras.saving.serialization import serialize_keras_object


def _check_cell(cell, who: str) -> None:
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{who}: the cell must have a `call(inputs, states)` method, got "
                         f"{cell!r}.\nhint: subclass keras.layers.Layer and define "
                         f"call(self, inputs, states) returning (output, new_states).")
    size = getattr(cell, "state_size", None)
    if size is None or not all(isinstance(s, int) and not isinstance(s, bool)
                               for s in tf.nest.flatten(size)):
        raise ValueError(f"{who}: the cell must have a `state_size` attribute (an integer, or "
                         f"a list of integers, one per state), got {size!r} for "
                         f"{type(cell).__name__}.\nhint: set self.state_size = units in the "
                         f"cell's __init__.")


def _output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    if size is None:
        size = tf.nest.flatten(cell.state_size)[0]
    return size


def _cell_initial_state(cell, batch_size, dtype):
    """The cell's own `get_initial_state` (Keras 3's or tf.keras 2's signature), else zeros
    shaped like `state_size`."""
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None:
        params = inspect.signature(fn).parameters
        kwargs = {"batch_size": batch_size}
        if "dtype" in params:
            kwargs["dtype"] = dtype
        state = fn(**kwargs)
        return list(state) if isinstance(state, (list, tuple)) else [state]

    def zeros(size):
        if isinstance(size, (list, tuple)):
            return [zeros(s) for s in size]
        shape = tf.stack([batch_size, size]) if isinstance(batch_size, tf.Tensor) \
            else (batch_size, size)
        return tf.zeros(shape, dtype=dtype)
    size = cell.state_size
    return zeros(list(size) if isinstance(size, (list, tuple)) else [size])


def _steps_shape(shape, time_major: bool):
    """(the batch size, one step's input shape) from a sequence shape."""
    shape = tf.TensorShape(shape)
    batch = shape[1] if time_major else shape[0]
    return batch, tf.TensorShape([batch]).concatenate(shape[2:])


class RNN(Layer):
    """Runs a recurrent `cell` over the time axis of `(batch, time, ...)` inputs.

    Args:
        cell: a cell (`LSTMCell(8)`, a custom layer with `state_size` and `call(inputs,
            states)`), or a list of cells (stacked with `StackedRNNCells`).
        return_sequences: return every step's output `(batch, time, units)`, not only the
            last one `(batch, units)`.
        return_state: also return the final states: `[output, *states]`.
        go_backwards: process the sequence last step first (the returned sequence is in that
            reversed order, as in Keras).
        stateful: the final states of a batch are the initial states of the next (the batch
            size must be fixed); `reset_states()` sets them back to zeros.
        unroll: a Python loop over the steps even in traced code (short sequences only).
        time_major: tf.keras 2's `(time, batch, ...)` inputs and outputs.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments: `inputs`, `initial_state` (a list of tensors, one per state), `mask`
    (`(batch, time)` booleans, or the mask of `Embedding(mask_zero=True)`/`Masking`),
    `training`. A masked step keeps the previous states.

    >>> class MinimalRNNCell(keras.layers.Layer):
    ...     def __init__(self, units, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units, self.state_size = units, units
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1], self.units),
    ...                                  initializer="ones")
    ...     def call(self, inputs, states):
    ...         h = inputs @ self.w + states[0]
    ...         return h, [h]
    >>> keras.layers.RNN(MinimalRNNCell(2))(np.ones((1, 3, 1))).numpy()  # 1 + 1 + 1
    array([[3., 3.]], dtype=float32)
    """

    _cell_owned = False  # LSTM, GRU, SimpleRNN: the cell's arguments are the layer's

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, zero_output_for_mask=False,
                 **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell, dtype=kwargs.get("dtype"))
        _check_cell(cell, type(self).__name__)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.__dict__["_state_vars"] = None  # stateful: not weights (as in Keras)

    @property
    def state_size(self) -> list:
        """The cell's state sizes as a list (one entry per state)."""
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    @property
    def states(self):
        """The state variables of a stateful layer (None before it is built, or when not
        stateful)."""
        flat = self.__dict__["_state_vars"]
        if flat is None:
            return None
        return tf.nest.pack_sequence_as(self.get_initial_state(1), flat)

    # -- building ----------------------------------------------------------------------------
    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and \
                not isinstance(input_shape[0], (int, type(None))):
            input_shape = input_shape[0]  # [sequences, *initial states]
        shape = tf.TensorShape(input_shape)
        if shape.rank is not None and shape.rank < 3:
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected inputs of rank "
                             f"at least 3 (batch, time, features), got shape {shape}.\nhint: "
                             f"add a time axis, e.g. x[:, None, :] for one step, or "
                             f"keras.Input(shape=(timesteps, features)).")
        batch, step_shape = _steps_shape(shape, self.time_major)
        if isinstance(self.cell, Layer) and not self.cell.built:
            with layer_scope(self):
                self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful and self.__dict__["_state_vars"] is None:
            if batch is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: a stateful RNN needs "
                                 f"a fixed batch size, got input shape {shape}.\nhint: pass "
                                 f"batch_input_shape=(32, timesteps, features) to the first "
                                 f"layer, or keras.Input(batch_shape=(32, timesteps, ...)).")
            with tf.init_scope():
                flat = tf.nest.flatten(self.get_initial_state(batch))
                self.__dict__["_state_vars"] = [
                    tf.Variable(s, trainable=False, name=f"{self.name}/rnn_state")
                    for s in flat]
        self.built = True

    def get_initial_state(self, batch_size):
        """The zero states (or the cell's `get_initial_state`) for a batch."""
        return _cell_initial_state(self.cell, batch_size, self.dtype)

    def reset_states(self, states=None) -> None:
        """Sets the states of a stateful layer to zeros (or to `states`, NumPy values)."""
        flat = self.__dict__["_state_vars"]
        if not self.stateful:
            raise AttributeError(f"{type(self).__name__} {self.name!r}: reset_states() is for "
                                 f"stateful layers.\nhint: create the layer with "
                                 f"stateful=True.")
        if flat is None:
            return
        values = [None] * len(flat) if states is None else tf.nest.flatten(states)
        if len(values) != len(flat):
            raise ValueError(f"{type(self).__name__} {self.name!r}: reset_states expected "
                             f"{len(flat)} states, got {len(values)}.\nhint: pass one array "
                             f"per state, shaped (batch_size, units).")
        for v, value in zip(flat, values):
            v.assign(tf.zeros_like(v) if value is None else tf.cast(value, v.dtype))

    reset_state = reset_states

    # -- calling -----------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, (list, tuple)):  # tf.keras 2: [sequences, *initial_states]
            sequences, extra = sequences[0], list(sequences[1:])
            initial_state = extra or initial_state
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        x = sequences
        rank = x.shape.rank
        if rank is not None and rank < 3:
            self.build(x.shape)  # raises the rank error
        if not self.time_major:
            x = tf.transpose(x, [1, 0] + list(range(2, rank)))
        if mask is not None:
            mask = tf.cast(mask, tf.bool)
            if not self.time_major:
                mask = tf.transpose(mask, [1, 0])
        if self.unroll and x.shape[0] is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: cannot unroll over a time "
                             f"axis of unknown size (input shape {sequences.shape}).\nhint: "
                             f"give the input a static number of steps, or unroll=False.")
        batch = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
        structure = self.get_initial_state(batch)
        states = self._initial_states(initial_state, structure)
        step, x = self._step(x, structure, states, training)
        set_mask_cache(self.cell, True)
        try:
            last, outputs, final = rnn_loop(
                step, x, states, mask=mask, go_backwards=self.go_backwards, unroll=self.unroll,
                zero_output_for_mask=self.zero_output_for_mask,
                return_all_outputs=self.return_sequences)
        finally:
            set_mask_cache(self.cell, False)
        if self.stateful and _node.symbolic_graph([sequences]) is None:
            for v, s in zip(self.__dict__["_state_vars"], final):
                v.assign(s)
        if self.return_sequences:
            output = outputs if self.time_major else \
                tf.transpose(outputs, [1, 0] + list(range(2, outputs.shape.rank)))
        else:
            output = last
        if self.return_state:
            return [output, *tf.nest.pack_sequence_as(structure, final)]
        return output

    def _initial_states(self, initial_state, structure) -> list:
        """The flat list of initial states: given, else the stateful variables, else
        zeros."""
        n = len(tf.nest.flatten(structure))
        if initial_state is None:
            if self.stateful:
                flat = [v.value() for v in self.__dict__["_state_vars"]]
                batch = tf.nest.flatten(structure)[0].shape[0]
                if batch is not None and flat[0].shape[0] != batch:
                    raise ValueError(
                        f"{type(self).__name__} {self.name!r}: a stateful RNN was built for "
                        f"batches of {flat[0].shape[0]}, got a batch of {batch}.\nhint: feed "
                        f"batches of one size (fit(..., batch_size=...) with a sample count "
                        f"divisible by it), or build a new layer for the new size.")
                return flat
            return tf.nest.flatten(structure)
        flat = [tf.convert_to_tensor(s, dtype=self.dtype) if not isinstance(s, tf.Tensor)
                else s for s in tf.nest.flatten(initial_state)]
        if len(flat) != n:
            raise ValueError(f"{type(self).__name__} {self.name!r}: initial_state has "
                             f"{len(flat)} tensors, but the cell has {n} states "
                             f"(state_size={self.cell.state_size}).\nhint: pass one tensor "
                             f"of shape (batch, size) per state, e.g. [h, c] for an LSTM.")
        return flat

    def _step(self, x, structure, states, training):
        """The step function over flat states, and the loop's inputs (the built-in cells'
        input projections of every step, else the inputs)."""
        cell = self.cell
        fused = getattr(cell, "_fused_step", None)
        if fused is not None and type(cell).call is RNNCellBase.call:
            project, step = fused(training, x[0], states[0])
            if tf.executing_eagerly() or self.unroll:  # one product over every step
                return step, project(x)
            # traced: each step projects its own input, so the loop's gradient accumulates
            # over the (smaller) inputs rather than over their projections
            return (lambda xt, s: step(project(xt), s)), x
        kwargs = {}
        if isinstance(cell, Layer):
            if cell._call_spec[0]:
                kwargs["training"] = training
            call = cell
        else:
            call = cell.call

        def step(xt, flat):
            out, new = call(xt, tf.nest.pack_sequence_as(structure, flat), **kwargs)
            new = tf.nest.flatten(new)
            if len(new) != len(flat):
                raise ValueError(f"{type(self).__name__} {self.name!r}: the cell returned "
                                 f"{len(new)} states, but its state_size "
                                 f"{cell.state_size} declares {len(flat)}.\nhint: call() "
                                 f"must return (output, new_states) with one new state per "
                                 f"entry of state_size.")
            return out, new

        return step, x

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list) and input_shape and \
                not isinstance(input_shape[0], (int, type(None))):
            input_shape = input_shape[0]
        shape = tf.TensorShape(input_shape)
        batch, steps = (shape[1], shape[0]) if self.time_major else (shape[0], shape[1])
        units = _output_size(self.cell)
        if self.return_sequences:
            out = [steps, batch, units] if self.time_major else [batch, steps, units]
        else:
            out = [batch, units]
        out = tf.TensorShape(out)
        if not self.return_state:
            return out
        return [out] + [tf.TensorShape([batch, s])
                        for s in tf.nest.flatten(self.cell.state_size)]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(tf.nest.flatten(self.cell.state_size))
        return out

    # -- config ------------------------------------------------------------------------------
    def _rnn_config(self) -> dict:
        config = {"return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "stateful": self.stateful,
                  "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}
        if self.time_major:
            config["time_major"] = True
        return config

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._rnn_config()}
        if self._cell_owned:
            cell = self.cell.get_config()
            for key in ("name", "trainable", "dtype"):
                cell.pop(key, None)
            return {**config, **cell, "activity_regularizer": regularizers.serialize(
                self.activity_regularizer)}
        config["cell"] = serialize_keras_object(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "cell" in config and not cls._cell_owned:
            config["cell"] = deserialize_layer(config["cell"], custom_objects)
        return super().from_config(config)


_SEQUENCE_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                  "time_major", "zero_output_for_mask", "activity_regularizer")


def _cell_args(cell_cls) -> list:
    params = inspect.signature(cell_cls.__init__).parameters.values()
    return [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"]


def cell_properties(cell_cls):
    """Class decorator of a layer made of one built-in cell (LSTM, GRU, ...): the cell's
    constructor arguments are the layer's (`layer.units` reads `layer.cell.units`), and
    `_init_cell_layer` builds the cell from the layer's constructor arguments."""
    def decorate(cls):
        for name in _cell_args(cell_cls):
            setattr(cls, name, property(lambda self, n=name: getattr(self.cell, n)))
        cls._cell_owned = True
        cls._cell_class = cell_cls
        return cls
    return decorate


def init_cell_layer(layer, cell_name: str, arguments: dict, *cell_args) -> None:
    """`RNN.__init__` of a `cell_properties` layer from its constructor's `locals()`: the
    arguments its cell takes go to the cell (after `cell_args`), the sequence arguments and
    the other keywords to `RNN`."""
    arguments = dict(arguments)
    kwargs = arguments.pop("kwargs")
    taken = _cell_args(layer._cell_class)[len(cell_args):]
    cell = layer._cell_class(*cell_args, **{k: arguments[k] for k in taken if k in arguments},
                             dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                             name=cell_name)
    RNN.__init__(layer, cell, **{k: arguments[k] for k in _SEQUENCE_ARGS if k in arguments},
                 **kwargs)


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of a cell to the next; the
    states are the list of the cells' states.

    >>> cells = [keras.layers.SimpleRNNCell(4), keras.layers.SimpleRNNCell(2)]
    >>> keras.layers.RNN(cells)(np.ones((3, 5, 1))).shape
    TensorShape([3, 2])
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            _check_cell(cell, "StackedRNNCells")
        self.cells = cells

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        """Each cell's initial states, in a list."""
        return [s if isinstance(c.state_size, (list, tuple)) or len(s) != 1 else s[0]
                for c, s in ((c, _cell_initial_state(c, batch_size, self.dtype))
                             for c in self.cells)]

    def build(self, input_shape):
        shape = tf.TensorShape(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                with layer_scope(self):
                    cell.build(shape)
                cell.built = True
            shape = tf.TensorShape([shape[0], _output_size(cell)])
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, state in zip(self.cells, states):
            nested = isinstance(state, (list, tuple))
            kwargs = {"training": training} if isinstance(cell, Layer) and \
                cell._call_spec[0] else {}
            call = cell if isinstance(cell, Layer) else cell.call
            inputs, state = call(inputs, list(state) if nested else [state], **kwargs)
            if not nested and isinstance(state, (list, tuple)) and len(state) == 1:
                state = state[0]
            new_states.append(state)
        return inputs, new_states

    def get_config(self) -> dict:
        return {**super().get_config(),
                "cells": [serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cells"] = [deserialize_layer(c, custom_objects) for c in config["cells"]]
        return cls(**config)
