"""`keras.layers.EinsumDense`: a dense layer whose product is an einsum equation, e.g.
`"abc,cde->abde"` projects `(batch, seq, dim)` to `(batch, seq, heads, size)` (the
projections of `MultiHeadAttention`)."""

from __future__ import annotations

import re

import rill as tf
from rill.keras import activations, initializers, regularizers
from rill.keras.layers import _weight_args as W
from rill.keras.layers.base_layer import Layer

_EQUATION = re.compile(r"(\.\.\.)?([a-zA-Z]+)(\.\.\.)?,([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)"
                       r"(\.\.\.)?")


def _error(equation: str, why: str) -> ValueError:
    return ValueError(f"EinsumDense: invalid equation {equation!r}: {why}.\nhint: write it as "
                      f"'ab,bc->ac', '...b,bc->...c' or 'ab...,bc->ac...' (input, kernel, "
                      f"output; letters name the axes).")


def analyze(equation: str, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape, kernel input axes, kernel
    output axes) of an EinsumDense for inputs of `input_shape`; `output_shape` is the output
    without its batch axis (None entries: taken from the input)."""
    m = _EQUATION.fullmatch(equation.replace(" ", ""))
    if m is None:
        raise _error(equation, "it is not of the form input,kernel->output")
    left_in, in_spec, right_in, w_spec, left_out, out_spec, right_out = m.groups()
    left, right = bool(left_in), bool(right_in)
    if left != bool(left_out) or right != bool(right_out) or (left and right):
        raise _error(equation, "'...' must be on the same side of the input and the output")
    shape = list(tf.TensorShape(input_shape).as_list())
    elided = len(shape) - len(in_spec)
    if elided < 0 or (elided and not (left or right)):
        raise _error(equation, f"the input spec {in_spec!r} does not match inputs of rank "
                               f"{len(shape)}")
    out = [shape[0]] + list(output_shape)
    if left:
        out[1:1] = shape[1:elided]
        in_pos = {c: i + elided for i, c in enumerate(in_spec)}
        out_pos = {c: i + elided for i, c in enumerate(out_spec)}
    else:
        out += shape[len(shape) - elided:]
        in_pos = {c: i for i, c in enumerate(in_spec)}
        out_pos = {c: i for i, c in enumerate(out_spec)}
    if len(out) != len(out_spec) + elided:
        raise ValueError(f"EinsumDense: output_shape {tuple(output_shape)} does not match the "
                         f"output spec {out_spec!r} of {equation!r}.\nhint: give one size per "
                         f"output letter after the batch axis (None to copy an input size).")
    for c, i in out_pos.items():
        if c in in_pos:
            if out[i] is not None and shape[in_pos[c]] is not None and \
                    out[i] != shape[in_pos[c]]:
                raise ValueError(f"EinsumDense: the input and the output disagree on axis "
                                 f"{c!r} of {equation!r}: {shape[in_pos[c]]} vs {out[i]}.")
            out[i] = shape[in_pos[c]] if out[i] is None else out[i]
        elif c not in w_spec:
            raise _error(equation, f"output axis {c!r} is in neither the input nor the kernel")
    kernel, in_axes, out_axes = [], [], []
    for k, c in enumerate(w_spec):
        if c in out_pos:
            kernel.append(out[out_pos[c]])
            out_axes.append(k)
        elif c in in_pos:
            kernel.append(shape[in_pos[c]])
            in_axes.append(k)
        else:
            raise _error(equation, f"kernel axis {c!r} is in neither the input nor the output")
    if None in kernel:
        raise ValueError(f"EinsumDense: the kernel shape {kernel} of {equation!r} is not fully "
                         f"known from input shape {tuple(shape)} and output_shape "
                         f"{tuple(output_shape)}.\nhint: give the sizes of the kernel's axes "
                         f"in output_shape, and a static size to the contracted input axes.")
    bias = None
    if bias_axes:
        for c in bias_axes:
            if c not in out_spec:
                raise _error(equation, f"bias axis {c!r} is not an output axis")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [out[out_pos[c]] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias += [1] * elided
    return kernel, bias, out, in_axes, out_axes


class EinsumDense(Layer):
    """A dense layer computing `activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: `"<input>,<kernel>-><output>"`, letters naming axes (one may be '...').
        output_shape: the output's shape without the batch axis (an int for rank 2); None
            entries take the input's size.
        activation: applied last. bias_axes: the output letters the bias spans (None: no
            bias).
        kernel_initializer, bias_initializer, *_regularizer, *_constraint: of the weights.

    >>> layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4),
    ...                                  bias_axes="de")
    >>> layer(np.ones((3, 5, 8))).shape, layer.kernel.shape, layer.bias.shape
    (TensorShape([3, 5, 2, 4]), TensorShape([8, 2, 4]), TensorShape([2, 4]))
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(equation, str) or _EQUATION.fullmatch(equation.replace(" ", "")) \
                is None:
            raise _error(str(equation), "it is not of the form input,kernel->output")
        if lora_rank or quantization_config is not None:
            raise NotImplementedError("EinsumDense: LoRA (lora_rank) and quantization are not "
                                      "supported by rill.\nhint: leave lora_rank and "
                                      "quantization_config at None.")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) \
            else tuple(output_shape)
        self.bias_axes = bias_axes or None
        self.activation = activations.get(activation)
        W.set_args(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        W.set_args(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        kernel, bias, _, in_axes, out_axes = analyze(self.equation, self.bias_axes,
                                                     input_shape, self.partial_output_shape)
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and init.input_axes is None \
                and init.output_axes is None:  # fans from the equation, as Keras 3 does
            init = type(init).from_config({**init.get_config(), "input_axes": in_axes,
                                           "output_axes": out_axes})
        self.kernel = W.add_weight(self, "kernel", tuple(kernel), initializer=init)
        self.bias = W.add_weight(self, "bias", tuple(bias)) if bias is not None else None
        self.built = True

    def call(self, inputs):
        y = tf.einsum(self.equation, inputs, self.kernel.value())
        if self.bias is not None:
            y = y + self.bias.value()
        return self.activation(y) if self.activation is not activations.linear else y

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(analyze(self.equation, self.bias_axes, input_shape,
                                      self.partial_output_shape)[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "output_shape": list(self.partial_output_shape),
                "equation": self.equation, "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes, **W.config(self, "kernel", "bias"),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
