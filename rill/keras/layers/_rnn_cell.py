"""What the built-in recurrent cells share: argument checks, the weights' arguments, dropout
masks that stay the same for every step of a sequence, and the fused step protocol that the
`RNN` layer uses to project the inputs of all steps with one matrix product.

A built-in cell defines `_fused_step(training, inputs, state)` returning `(project, step)`:
`project(x)` maps inputs `(..., input_dim)` (one step or all of them) to their part of the
pre-activations, and `step(projected_t, states)` does the recurrent rest of one step. Its
`call` is `step(project(inputs), states)`, so both paths compute the same thing.
"""

from __future__ import annotations

import contextlib
import importlib

import rill as tf
from rill.keras import activations
from rill.keras.layers import _weight_args as W
from rill.keras.layers.base_layer import Layer
from rill.keras.saving.serialization import deserialize_keras_object


def layer_scope(layer):
    """The layer's name scope for creating nested layers' weights (`lstm/lstm_cell/kernel`),
    unless it is already the current one."""
    scope = tf.get_current_name_scope()
    if scope == layer.name or scope.endswith("/" + layer.name):
        return contextlib.nullcontext()
    return tf.name_scope(layer.name)


def check_units(units, who: str) -> int:
    """`units` as an int, or a ValueError naming the layer."""
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(f"{who}: units must be a positive integer, got {units!r}.\nhint: "
                         f"{who}(units=32) for 32 features per step.")
    return units


def check_rate(rate, arg: str, who: str) -> float:
    """A dropout rate clipped to [0, 1] as Keras does, or a ValueError for a non-number."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise ValueError(f"{who}: {arg} must be a number in [0, 1], got {rate!r}.\nhint: "
                         f"{arg}=0.2 drops 20% of the values during training.")
    return min(1.0, max(0.0, float(rate)))


class RNNCellBase(Layer):
    """The built-in cells' shared arguments, weights' arguments, dropout masks and config."""

    def _init_cell(self, units, activation, recurrent_activation, use_bias, kernel_initializer,
                   recurrent_initializer, bias_initializer, kernel_regularizer,
                   recurrent_regularizer, bias_regularizer, kernel_constraint,
                   recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed):
        who = type(self).__name__
        self.units = check_units(units, who)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation) \
            if recurrent_activation is not None else None
        self.use_bias = bool(use_bias)
        W.set_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        W.set_args(self, "recurrent", recurrent_initializer, recurrent_regularizer,
                   recurrent_constraint)
        W.set_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.dropout = check_rate(dropout, "dropout", who)
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout", who)
        self.seed = seed
        self.output_size = self.units

    def _kernels(self, input_shape, gates: int):
        """Creates `kernel (input_dim, gates*units)` and `recurrent_kernel (units,
        gates*units)`."""
        shape = tf.TensorShape(input_shape)
        dim = shape[-1] if shape.rank else None
        if dim is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the last axis of the "
                             f"inputs must be known to build the kernel, got input shape "
                             f"{shape}.\nhint: give the input a static feature axis, e.g. "
                             f"keras.Input(shape=(timesteps, features)).")
        self._add_kernels((dim, gates * self.units), (self.units, gates * self.units))

    def _add_kernels(self, kernel_shape, recurrent_shape):
        self.kernel = W.add_weight(self, "kernel", kernel_shape)
        self.recurrent_kernel = W.add_weight(self, "recurrent_kernel", recurrent_shape,
                                             prefix="recurrent")

    def _add_bias(self, shape, initializer=None):
        self.bias = W.add_weight(self, "bias", shape, initializer=initializer or
                                 self.bias_initializer) if self.use_bias else None

    def _dropout_masks(self, inputs, state, training):
        """(input mask, recurrent mask), each None when unused: scaled keep masks drawn once
        per sequence (kept in the cache the RNN layer opens for the length of one call)."""
        if not training or not (0 < self.dropout < 1 or 0 < self.recurrent_dropout < 1):
            return None, None
        cache = self.__dict__.get("_mask_cache")
        if cache is not None and "masks" in cache:
            return cache["masks"]
        masks = tuple(tf.nn.dropout(tf.ones_like(x), rate, seed=self.seed) if 0 < rate < 1
                      else None for x, rate in ((inputs, self.dropout),
                                                (state, self.recurrent_dropout)))
        if cache is not None:
            cache["masks"] = masks
        return masks

    def _project_fn(self, kernel, bias, in_mask):
        """`x -> (x * in_mask) @ kernel + bias` over any leading axes."""
        def project(x):
            if in_mask is not None:
                x = x * in_mask
            if x.shape.rank == 2:
                y = tf.matmul(x, kernel)
            else:  # one product over every step (BLAS on one large operand)
                lead = tf.shape(x)[:-1]
                y = tf.matmul(tf.reshape(x, [-1, x.shape[-1]]), kernel)
                y = tf.reshape(y, tf.concat([lead, [kernel.shape[-1]]], 0))
            return y + bias if bias is not None else y
        return project

    def call(self, inputs, states, training=None):
        single = not isinstance(states, (list, tuple))
        states = [states] if single else list(states)
        project, step = self._fused_step(training, inputs, states[0])
        out, new_states = step(project(inputs), states)
        return out, (new_states[0] if single and len(new_states) == 1 else new_states)

    def get_initial_state(self, batch_size=None, inputs=None, dtype=None):
        """Zero states `(batch_size, size)`, one per entry of `state_size` (tf.keras 2's
        `inputs=` gives the batch size and dtype)."""
        if inputs is not None:
            batch_size = inputs.shape[0] if inputs.shape[0] is not None \
                else tf.shape(inputs)[0]
            dtype = dtype or inputs.dtype
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) \
            else [self.state_size]
        return [tf.zeros(tf.stack([batch_size, s]) if isinstance(batch_size, tf.Tensor)
                         else (batch_size, s), dtype=dtype or self.dtype) for s in sizes]

    def _cell_config(self) -> dict:
        config = {"units": self.units, "activation": activations.serialize(self.activation)}
        if self.recurrent_activation is not None:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config.update({
            "use_bias": self.use_bias, **W.config(self, "kernel", "recurrent", "bias"),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed})
        return config

    def get_config(self) -> dict:
        return {**super().get_config(), **self._cell_config()}


def set_mask_cache(cell, open_: bool) -> None:
    """Opens (or closes) the per-call dropout mask cache of a cell and of the cells it
    stacks."""
    if isinstance(cell, RNNCellBase):
        cell.__dict__["_mask_cache"] = {} if open_ else None
    for inner in getattr(cell, "cells", None) or ():
        set_mask_cache(inner, open_)


_RECURRENT_MODULES = ("rnn", "simple_rnn", "lstm", "gru", "bidirectional", "time_distributed",
                      "conv_lstm", "masking", "attention", "multi_head_attention",
                      "einsum_dense")


def module_objects() -> dict:
    """The layers by class name: `keras.layers`' plus those of this package's recurrent and
    attention modules (until `keras.layers` exports them itself)."""
    layers = importlib.import_module("rill.keras.layers")
    objects = dict(layers._module_objects())
    for name in _RECURRENT_MODULES:
        try:
            module = importlib.import_module(f"rill.keras.layers.{name}")
        except ImportError:  # a module that is not there (yet)
            continue
        for key, value in vars(module).items():  # aliases too (GroupQueryAttention)
            if isinstance(value, type) and issubclass(value, Layer) and \
                    value.__module__ == module.__name__ and not key.startswith("_"):
                objects.setdefault(key, value)
    return objects


def deserialize_layer(config, custom_objects=None):
    """The layer (or cell) that a nested config describes."""
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=module_objects(),
                                    printable_module_name="layer")
