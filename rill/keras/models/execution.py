"""`compile(steps_per_execution=N)`: one compiled call runs up to N steps.

The data handler stacks N consecutive batches of one structure and shape on a new first axis
(`DataHandler.groups`); the function made here takes those stacked leaves, runs the step on
the first batch, then on the others in one `tf.while_loop` (so the graph holds two copies of
the step whatever N is), and returns the last step's logs, as Keras does. A predict step's
outputs are gathered with `tf.map_fn` and concatenated along the batch axis. The number of
batches is read at run time and the function relaxes that axis (`reduce_retracing`), so a
shorter group at the end of an epoch costs at most one more trace, whatever its length.
"""

from __future__ import annotations

import rill as tf


def multi_step(step, template, kind: str, quiet: bool):
    """A function of the stacked leaves of a group of batches that runs `step` on each.

    `template` is the structure of one batch (its leaves in `tf.nest` order), `quiet` drops
    the logs (the caller reads the metrics at the end instead)."""
    pack = tf.nest.pack_sequence_as
    nested = isinstance(template, (list, tuple, dict))

    def batch(stacked, i):
        leaves = [s[i] for s in stacked]
        return pack(template, leaves) if nested else leaves[0]

    def steps(*stacked):
        count = tf.shape(stacked[0])[0]  # traced once for any number of batches
        out = step(batch(stacked, 0))
        if kind == "predict":
            return _gather_predictions(step, batch, stacked, count, out)
        if quiet:
            def body(i):
                step(batch(stacked, i))
                return (i + 1,)

            tf.while_loop(lambda i: i < count, body, (tf.constant(1),))
            return None

        def body(i, logs):
            return i + 1, step(batch(stacked, i))

        _, out = tf.while_loop(lambda i, _: i < count, body, (tf.constant(1), out))
        return out

    steps.__name__ = f"{kind}_function"
    return steps


def _gather_predictions(step, batch, stacked, count, first):
    """The predictions of every batch of the group, concatenated along the batch axis."""
    specs = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), first)
    rest = tf.map_fn(lambda i: step(batch(stacked, i)), tf.range(1, count),
                     fn_output_signature=specs)

    def join(a, b):
        b = tf.reshape(b, tf.concat([[-1], tf.shape(a)], 0))  # no batches left: (0, ...)
        both = tf.concat([a[None], b], 0)
        if a.shape.rank == 0:
            return both
        return tf.reshape(both, tf.concat([[-1], tf.shape(a)[1:]], 0))

    return tf.nest.map_structure(join, first, rest)
