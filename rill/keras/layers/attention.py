"""`keras.layers.Attention` (Luong, dot-product) and `keras.layers.AdditiveAttention`
(Bahdanau): `softmax(scores(query, key)) @ value` over inputs `[query, value(, key)]`."""

from __future__ import annotations

import rill as tf
from rill.keras.layers.base_layer import Layer


def causal_mask(tq, tv):
    """`(1, tq, tv)` booleans, True where key position j <= query position i."""
    rows = tf.expand_dims(tf.range(tq), 1)
    cols = tf.expand_dims(tf.range(tv), 0)
    return tf.expand_dims(rows >= cols, 0)


class Attention(Layer):
    """Dot-product attention: `scores = query @ key^T` (times a learned `scale` with
    `use_scale`), `output = softmax(scores) @ value`.

    Args:
        use_scale: learn a scalar `scale` of the scores.
        score_mode: "dot" (`q . k`) or "concat" (`concat_score_weight * sum(tanh(q + k))`).
        dropout: fraction of the attention weights dropped in training. seed: its seed.

    Call arguments: `inputs = [query (batch, Tq, dim), value (batch, Tv, dim)]` plus an
    optional `key` (default: value); `mask = [query_mask, value_mask]` (from the inputs'
    keras masks by default): masked values get no weight, masked queries output zeros;
    `return_attention_scores` (also return the weights `(batch, Tq, Tv)`);
    `use_causal_mask` (query i sees keys j <= i); `training`.

    >>> q = np.array([[[1., 0.]]]); v = np.array([[[1., 0.], [0., 1.]]])
    >>> out, w = keras.layers.Attention()([q, v], return_attention_scores=True)
    >>> w.numpy().round(3)  # softmax([1, 0])
    array([[[0.731, 0.269]]], dtype=float32)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        causal = kwargs.pop("causal", False)  # tf.keras 2 (before use_causal_mask)
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: invalid score_mode {score_mode!r}.\n"
                             f"hint: use score_mode='dot' or 'concat'.")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout <= 1:
            raise ValueError(f"{type(self).__name__}: dropout must be a number in [0, 1], "
                             f"got {dropout!r}.\nhint: dropout=0.1.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True
        self._causal = bool(causal)

    def _check_inputs(self, inputs, mask=None) -> None:
        who = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{who} {self.name!r}: inputs must be a list [query, value] or "
                             f"[query, value, key], got {inputs!r}.\nhint: call "
                             f"{who}()([query, value]).")
        if mask is not None and (not isinstance(mask, (list, tuple)) or
                                 not 2 <= len(mask) <= 3):
            raise ValueError(f"{who} {self.name!r}: mask must be a list [query_mask, "
                             f"value_mask], got {mask!r}.")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") \
            if self.use_scale else None
        self.concat_score_weight = self.add_weight(
            name="concat_score_weight", shape=(), initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = tf.matmul(query, key, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        pair = tf.expand_dims(query, -2) + tf.expand_dims(key, -3)
        if self.scale is not None:
            pair = self.scale * pair
        return self.concat_score_weight * tf.reduce_sum(tf.tanh(pair), -1)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        self._check_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask, v_mask = (mask[0], mask[1]) if mask else (None, None)
        scores = self._scores(q, k)
        keep = None if v_mask is None else tf.expand_dims(tf.cast(v_mask, tf.bool), -2)
        if use_causal_mask or self._causal:
            shape = tf.shape(scores)
            causal = causal_mask(shape[-2], shape[-1])
            keep = causal if keep is None else tf.logical_and(keep, causal)
        if keep is not None:
            scores = tf.where(keep, scores, scores - 1e9)
        weights = tf.nn.softmax(scores, axis=-1)
        applied = weights
        if training and self.dropout > 0:
            applied = tf.nn.dropout(weights, self.dropout, seed=self.seed)
        out = tf.matmul(applied, v)
        if q_mask is not None:
            out = tf.where(tf.expand_dims(tf.cast(q_mask, tf.bool), -1), out,
                           tf.zeros_like(out))
        return [out, weights] if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        q, v = tf.TensorShape(input_shape[0]), tf.TensorShape(input_shape[1])
        return tf.TensorShape(q.as_list()[:-1] + [v[-1]])

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive attention: `scores = sum(scale * tanh(query_i + key_j))` over the features
    (`scale` a learned vector with `use_scale`, the default), then as `Attention`.

    >>> layer = keras.layers.AdditiveAttention()
    >>> layer([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        dim = tf.TensorShape(input_shape[0])[-1]
        self.scale = self.add_weight(name="scale", shape=(dim,),
                                     initializer="glorot_uniform") if self.use_scale else None
        self.concat_score_weight = None
        self.built = True

    def _scores(self, query, key):
        pair = tf.tanh(tf.expand_dims(query, -2) + tf.expand_dims(key, -3))
        if self.scale is not None:
            pair = self.scale * pair
        return tf.reduce_sum(pair, -1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
