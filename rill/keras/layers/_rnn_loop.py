"""The time loop of the recurrent layers (Keras' `backend.rnn`), over time-major inputs.

Eagerly (and with `unroll=True`) the loop is a Python loop over the time steps; in traced code
it is one `tf.while_loop` whose body is the step, reading the inputs from a `TensorArray` and
writing the outputs to another, so a 100-step sequence is one `While` node, not 100 copies.
Gradients flow through both.

A mask (`(time, batch)` booleans) skips steps: a masked step keeps the previous states and
outputs the previous output (zeros with `zero_output_for_mask`, and zeros before the first
unmasked step).
"""

from __future__ import annotations

import rill as tf


def _where(mask_t, new, old):
    """`new` where the step's mask (batch,) is true, else `old` (broadcast over features)."""
    m = mask_t
    for _ in range((new.shape.rank or 2) - 1):
        m = tf.expand_dims(m, -1)
    return tf.where(m, new, old)


def _select(mask_t, new: list, old: list) -> list:
    return [_where(mask_t, n, o) for n, o in zip(new, old)]


def rnn_loop(step, inputs, states: list, mask=None, go_backwards: bool = False,
             unroll: bool = False, zero_output_for_mask: bool = False,
             return_all_outputs: bool = True):
    """Runs `output, states = step(inputs[t], states)` over the time axis.

    Args:
        step: `(x_t, states) -> (output, new_states)`, states a flat list of tensors.
        inputs: a time-major tensor `(time, batch, ...)`.
        states: the initial states, a flat list of `(batch, ...)` tensors.
        mask: None or booleans `(time, batch)`.
        go_backwards: process the steps last to first (outputs are in that order).
        unroll: a Python loop even in traced code (needs a static number of steps).
        zero_output_for_mask: masked steps output zeros instead of the previous output.
        return_all_outputs: also return every step's output (else `outputs` is None).

    Returns:
        `(last_output, outputs, final_states)`; `outputs` is time-major `(time, batch, ...)`.
    """
    if go_backwards:
        inputs = tf.reverse(inputs, [0])
        if mask is not None:
            mask = tf.reverse(mask, [0])
    if unroll or tf.executing_eagerly():
        return _python_loop(step, inputs, states, mask, unroll, zero_output_for_mask,
                            return_all_outputs)
    return _while_loop(step, inputs, states, mask, zero_output_for_mask, return_all_outputs)


def _python_loop(step, inputs, states, mask, unroll, zero_output_for_mask, return_all):
    steps = inputs.shape[0]
    if steps is None:
        raise ValueError("RNN: cannot unroll a loop over a sequence whose number of time "
                         f"steps is unknown (inputs of shape {inputs.shape}).\nhint: give "
                         "the input a static time axis, e.g. keras.Input(shape=(10, 8)), "
                         "or use unroll=False.")
    if steps == 0:
        raise ValueError("RNN: the input sequence has 0 time steps.\nhint: recurrent layers "
                         "need at least one step.")
    xs = tf.unstack(inputs, axis=0)
    ms = tf.unstack(mask, axis=0) if mask is not None else None
    outputs, out = [], None
    for t in range(steps):
        new_out, new_states = step(xs[t], states)
        if ms is not None:
            prev = out if out is not None and not zero_output_for_mask \
                else tf.zeros_like(new_out)
            new_out = _where(ms[t], new_out, prev)
            new_states = _select(ms[t], new_states, states)
        out, states = new_out, list(new_states)
        if return_all:
            outputs.append(out)
    return out, (tf.stack(outputs) if return_all else None), states


def _while_loop(step, inputs, states, mask, zero_output_for_mask, return_all):
    steps = inputs.shape[0]
    n = tf.shape(inputs)[0] if steps is None else steps
    inputs_ta = tf.TensorArray(inputs.dtype, size=n).unstack(inputs)
    mask_ta = tf.TensorArray(tf.bool, size=n).unstack(mask) if mask is not None else None
    # one step outside the loop gives the output's shape and dtype (and lets a cell create
    # its weights and dropout masks before the loop body is traced); the optimizer prunes it
    out0, _ = step(inputs[0], states)
    zero = tf.zeros_like(out0)
    head = (tf.TensorArray(out0.dtype, size=n, element_shape=out0.shape),) if return_all else ()

    def body(t, *loop_vars):
        out_ta = loop_vars[0] if return_all else None
        prev, states = loop_vars[len(head)], list(loop_vars[len(head) + 1:])
        out, new_states = step(inputs_ta.read(t), states)
        new_states = list(new_states)
        if mask_ta is not None:
            m = mask_ta.read(t)
            out = _where(m, out, zero if zero_output_for_mask else prev)
            new_states = _select(m, new_states, states)
        if return_all:
            return (t + 1, out_ta.write(t, out), out, *new_states)
        return (t + 1, out, *new_states)

    result = tf.while_loop(lambda t, *_: t < n, body, (tf.constant(0), *head, zero, *states))
    last, final = result[1 + len(head)], list(result[2 + len(head):])
    outputs = None
    if return_all:  # the loop relaxes the TensorArray's length: restore what is known
        outputs = tf.ensure_shape(result[1].stack(), [steps] + out0.shape.as_list())
    return last, outputs, final
