"""`keras.layers.Bidirectional`: runs a recurrent layer forwards and a copy of it backwards
over the sequence and merges their outputs."""

from __future__ import annotations

import rill as tf
from rill.keras.layers._rnn_cell import deserialize_layer, layer_scope
from rill.keras.layers.base_layer import Layer
from rill.keras.saving.serialization import serialize_keras_object

_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer, name: str, go_backwards=None):
    config = serialize_keras_object(layer)
    config["config"]["name"] = name
    if go_backwards is not None:
        config["config"]["go_backwards"] = go_backwards
    return deserialize_layer(config)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs `layer` (an RNN) over the sequence forwards and a copy backwards.

    Args:
        layer: a recurrent layer (`LSTM(8)`, `RNN(cell)`); the forward layer is a copy of it
            named `forward_<name>`.
        merge_mode: how the two outputs are combined: "concat" (default), "sum", "mul",
            "ave", or None (a list of both).
        backward_layer: the backward layer (default: a copy of `layer` with `go_backwards`
            flipped, named `backward_<name>`).
        weights: initial weights, the forward layer's then the backward layer's.

    The backward layer's sequence is reversed back before merging, so step `t` of the output
    combines both directions at step `t`. With `return_state`, the forward states then the
    backward states follow the output.

    >>> bi = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    >>> bi(np.ones((2, 5, 4))).shape
    TensorShape([2, 5, 6])
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: `layer` must be a recurrent keras layer (with "
                             f"go_backwards), got {layer!r}.\nhint: "
                             f"Bidirectional(keras.layers.LSTM(8)).")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` must be a keras layer, got "
                             f"{backward_layer!r}.")
        if merge_mode not in _MODES:
            raise ValueError(f"Bidirectional: invalid merge_mode {merge_mode!r}.\nhint: use "
                             f"one of 'concat', 'sum', 'mul', 'ave' or None.")
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, "forward_" + _strip(layer.name, "forward_"))
        self.backward_layer = backward_layer if backward_layer is not None else _copy(
            layer, "backward_" + _strip(layer.name, "backward_"), not layer.go_backwards)
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(f"Bidirectional: the forward and backward layers must have "
                             f"different go_backwards, got {fwd.go_backwards} for both.\n"
                             f"hint: create the backward layer with go_backwards=True.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(f"Bidirectional: the forward and backward layers must have "
                                 f"the same {attr}, got {getattr(fwd, attr)} and "
                                 f"{getattr(bwd, attr)}.")
        for sub in (fwd, bwd):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = fwd.stateful
        self.return_sequences = fwd.return_sequences
        self.return_state = fwd.return_state
        self.supports_masking = True
        self.__dict__["_split_weights"] = weights

    def build(self, input_shape):
        with layer_scope(self):
            for sub in (self.forward_layer, self.backward_layer):
                if not sub.built:
                    sub.build(input_shape)
                    sub.built = True
        weights = self.__dict__.pop("_split_weights", None)
        if weights:
            half = len(weights) // 2
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training, "mask": mask}
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=fwd_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, [0 if getattr(self.forward_layer, "time_major", False)
                                       else 1])
        mode = self.merge_mode
        if mode == "concat":
            output = tf.concat([y, y_rev], -1)
        elif mode == "sum":
            output = y + y_rev
        elif mode == "ave":
            output = (y + y_rev) / 2
        elif mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if mode is None else [output]) + states
        return output

    def reset_states(self, states=None) -> None:
        """Resets both directions' states (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(f"Bidirectional {self.name!r}: reset_states() is for "
                                 f"stateful layers.\nhint: wrap a layer created with "
                                 f"stateful=True.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    @property
    def states(self):
        """The forward then the backward state variables of stateful layers."""
        f, b = self.forward_layer.states, self.backward_layer.states
        return tuple(tf.nest.flatten(f) + tf.nest.flatten(b)) if f and b else None

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = out[0], list(out[1:])
        out = tf.TensorShape(out)
        if self.merge_mode == "concat":
            out = tf.TensorShape(out.as_list()[:-1] + [None if out[-1] is None
                                                       else 2 * out[-1]])
        outputs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outputs + states + states
        return outputs if self.merge_mode is None else out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outputs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(tf.nest.flatten(self.forward_layer.cell.state_size))
            return outputs + [None] * (2 * n)
        return outputs if self.merge_mode is None else out

    def get_config(self) -> dict:
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_keras_object(self.forward_layer),
                "backward_layer": serialize_keras_object(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"],
                                                         custom_objects)
        return cls(**config)
