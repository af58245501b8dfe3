"""`keras.layers.MultiHeadAttention` (Vaswani et al., 2017) and
`keras.layers.GroupQueryAttention` (several query heads share each key/value head).

The projections are `EinsumDense` layers named `query`, `key`, `value` and
`attention_output` (Keras' weight layout: kernels `(dim, heads, size)` and
`(heads, size, dim)`). Masks: the keras masks of `query`, `value` and `key`, an
`attention_mask` `(batch, Tq, Tv)`, the causal mask and a sliding window are combined; a
position whose mask is False gets no attention weight.
"""

from __future__ import annotations

import math
import string

import rill as tf
from rill.keras import constraints, initializers, regularizers
from rill.keras.layers._call_context import get_mask
from rill.keras.layers._rnn_cell import layer_scope
from rill.keras.layers.attention import causal_mask
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.einsum_dense import EinsumDense

_L = string.ascii_lowercase


def _projection(free: int, bound: int, out: int) -> tuple:
    """(equation, bias axes): `free` axes kept, `bound` contracted, `out` produced."""
    x, k, y = _L[:free] + _L[free:free + bound], _L[free:free + bound + out], \
        _L[:free] + _L[free + bound:free + bound + out]
    return f"{x},{k}->{y}", _L[free + bound:free + bound + out]


def _attention_equations(rank: int, attn_axes: tuple) -> tuple:
    """(scores equation over key, query; combine equation over scores, value; rank of the
    scores) for projected tensors `(batch, *positions, heads, size)` of `rank`."""
    target = _L[:rank]
    batch = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, letter = "", rank
    for i in range(rank):
        if i in batch or i == rank - 1:
            source += target[i]
        else:
            source += _L[letter]
            letter += 1
    product = "".join([target[i] for i in batch] + [target[i] for i in attn_axes] +
                      [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def masked_softmax(scores, mask, axes):
    """Softmax over `axes`; positions where `mask` (broadcast) is False get weight 0."""
    if mask is not None:
        scores = tf.where(mask, scores, tf.fill(tf.shape(scores), tf.cast(-1e9, scores.dtype)))
    if len(axes) == 1:
        weights = tf.nn.softmax(scores, axis=axes[0])
    else:
        weights = tf.exp(scores - tf.reduce_logsumexp(scores, axes, keepdims=True))
    return weights if mask is None else tf.where(mask, weights, tf.zeros_like(weights))


class _MultiHeadBase(Layer):
    """The arguments, sub-layer settings and mask logic both attention layers share."""

    def _init_common(self, dropout, use_bias, sliding_window, kernel_initializer,
                     bias_initializer, kernel_regularizer, bias_regularizer,
                     activity_regularizer, kernel_constraint, bias_constraint, use_gate, seed):
        who = type(self).__name__
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout <= 1:
            raise ValueError(f"{who}: dropout must be a number in [0, 1], got {dropout!r}.\n"
                             f"hint: dropout=0.1.")
        if sliding_window is not None and (not isinstance(sliding_window, int) or
                                           sliding_window <= 0):
            raise ValueError(f"{who}: sliding_window must be None or a positive integer, got "
                             f"{sliding_window!r}.")
        self._dropout_rate = float(dropout)
        self._use_bias = bool(use_bias)
        self._sliding_window = sliding_window
        self._use_gate = bool(use_gate)
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._sub_activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.supports_masking = True
        self.__dict__["_sublayers_built"] = False

    def _dense(self, equation, output_shape, bias_axes, name, activation=None):
        return EinsumDense(
            equation, output_shape=output_shape, activation=activation,
            bias_axes=bias_axes if self._use_bias else None, name=name, dtype=self.dtype,
            kernel_initializer=self._kernel_initializer.__class__.from_config(
                self._kernel_initializer.get_config()),
            bias_initializer=self._bias_initializer.__class__.from_config(
                self._bias_initializer.get_config()),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._sub_activity_regularizer,
            kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is not None:  # else: built from the first call's value and key
            with layer_scope(self):
                self._build_sublayers(query_shape, value_shape, key_shape)
        self.built = True

    def _ensure_built(self, query, value, key) -> None:
        if not self.__dict__["_sublayers_built"]:
            with tf.init_scope(), layer_scope(self):
                self._build_sublayers(query.shape, value.shape,
                                      None if key is None else key.shape)

    def _build_sublayers(self, query_shape, value_shape, key_shape) -> None:
        raise NotImplementedError

    def _masks(self, query, value, key, query_mask, value_mask, key_mask, attention_mask,
               use_causal_mask):
        """The combined boolean mask `(batch, Tq, Tv)` (or broadcastable), else None."""
        query_mask = get_mask(query) if query_mask is None else query_mask
        value_mask = get_mask(value) if value_mask is None else value_mask
        if key is not None and key_mask is None:
            key_mask = get_mask(key)
        mask = None
        for m, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
            if m is not None:
                m = tf.expand_dims(tf.cast(m, tf.bool), axis)
                mask = m if mask is None else tf.logical_and(mask, m)
        tq, tv = tf.shape(query)[1], tf.shape(value)[1]
        if use_causal_mask:
            c = causal_mask(tq, tv)
            mask = c if mask is None else tf.logical_and(mask, c)
        if self._sliding_window is not None:
            rows = tf.reshape(tf.range(tq), [1, -1, 1])
            cols = tf.reshape(tf.range(tv), [1, 1, -1])
            w = tf.abs(rows - cols) < self._sliding_window
            mask = w if mask is None else tf.logical_and(mask, w)
        if attention_mask is not None:
            a = tf.cast(attention_mask, tf.bool)
            mask = a if mask is None else tf.logical_and(a, mask)
        return mask

    def _dropped(self, weights, training):
        if training and self._dropout_rate > 0:
            return tf.nn.dropout(weights, self._dropout_rate, seed=self.seed)
        return weights

    def _common_config(self) -> dict:
        return {"dropout": self._dropout_rate, "use_bias": self._use_bias,
                "use_gate": self._use_gate, "sliding_window": self._sliding_window,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self._bias_regularizer),
                "activity_regularizer": regularizers.serialize(
                    self._sub_activity_regularizer),
                "kernel_constraint": constraints.serialize(self._kernel_constraint),
                "bias_constraint": constraints.serialize(self._bias_constraint),
                "seed": self.seed}


def _positive(value, arg: str, who: str, optional: bool = False):
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{who}: {arg} must be a positive integer{' or None' * optional}, "
                         f"got {value!r}.\nhint: e.g. {who}(num_heads=2, key_dim=16).")
    return value


class MultiHeadAttention(_MultiHeadBase):
    """Multi-head attention: `num_heads` scaled dot-product attentions over projections of
    `query`, `key` and `value`, concatenated and projected back.

    Args:
        num_heads: the number of heads. key_dim: the size of each head's query and key.
        value_dim: the size of each head's value (default key_dim).
        dropout: of the attention weights (training only). use_bias: of the projections.
        output_shape: the output's last axes (default: the query's last axis).
        attention_axes: the axes attended over (default: all between batch and features).
        kernel_*/bias_*: of the four projections. use_gate: a sigmoid gate on the heads'
        outputs (Keras 3). sliding_window: attend only to |i - j| < sliding_window.

    Call arguments: `query (batch, Tq, dim)`, `value (batch, Tv, dim)`, `key` (default
    value), `attention_mask (batch, Tq, Tv)` booleans, `return_attention_scores` (also return
    the weights `(batch, heads, Tq, Tv)`), `training`, `use_causal_mask`.

    >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> out, w = mha(np.ones((1, 3, 8)), np.ones((1, 5, 8)), return_attention_scores=True)
    >>> out.shape, w.shape
    (TensorShape([1, 3, 8]), TensorShape([1, 2, 3, 5]))
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = "MultiHeadAttention"
        self._num_heads = _positive(num_heads, "num_heads", who)
        self._key_dim = _positive(key_dim, "key_dim", who)
        self._value_dim = _positive(value_dim, "value_dim", who, True) or self._key_dim
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"{who}: attention_axes must be an int, list or tuple, got "
                             f"{attention_axes!r}.\nhint: attention_axes=(1,) attends over "
                             f"the sequence axis.")
        self._attention_axes = tuple(attention_axes) if attention_axes is not None else None
        self._init_common(dropout, use_bias, sliding_window, kernel_initializer,
                          bias_initializer, kernel_regularizer, bias_regularizer,
                          activity_regularizer, kernel_constraint, bias_constraint, use_gate,
                          seed)

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout_rate)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    def _build_sublayers(self, query_shape, value_shape, key_shape) -> None:
        q, v = tf.TensorShape(query_shape), tf.TensorShape(value_shape)
        k = v if key_shape is None else tf.TensorShape(key_shape)
        if v[1:-1] != k[1:-1]:
            raise ValueError(f"MultiHeadAttention {self.name!r}: value and key must have the "
                             f"same shape except the last axis, got {v} and {k}.")
        heads, rank = self._num_heads, q.rank + 1
        eq, bias = _projection(q.rank - 1, 1, 2)
        self._query_dense = self._dense(eq, [None] * (q.rank - 2) + [heads, self._key_dim],
                                        bias, "query")
        self._query_dense.build(q)
        eq, bias = _projection(k.rank - 1, 1, 2)
        self._key_dense = self._dense(eq, [None] * (k.rank - 2) + [heads, self._key_dim],
                                      bias, "key")
        self._key_dense.build(k)
        if self._use_gate:
            eq, bias = _projection(q.rank - 1, 1, 2)
            self._gate_dense = self._dense(eq, [None] * (q.rank - 2) +
                                           [heads, self._value_dim], bias, "gate", "sigmoid")
            self._gate_dense.build(q)
        eq, bias = _projection(v.rank - 1, 1, 2)
        self._value_dense = self._dense(eq, [None] * (v.rank - 2) + [heads, self._value_dim],
                                        bias, "value")
        self._value_dense.build(v)
        axes = self._attention_axes or tuple(range(1, rank - 2))
        self._attn_axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
        self._dot_eq, self._combine_eq, scores_rank = _attention_equations(rank, self._attn_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attn_axes), scores_rank))
        out = self._output_shape or (q[-1],)
        eq, bias = _projection(q.rank - 1, 2, len(out))
        self._output_dense = self._dense(eq, [None] * (q.rank - 2) + list(out), bias,
                                         "attention_output")
        self._output_dense.build(tf.TensorShape(q.as_list()[:-1] + [heads, self._value_dim]))
        self.__dict__["_sublayers_built"] = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        self._ensure_built(query, value, key)
        mask = self._masks(query, value, key, query_mask, value_mask, key_mask,
                           attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q = self._query_dense(query) * (1.0 / math.sqrt(float(self._key_dim)))
        k = self._key_dense(value if key is None else key)
        v = self._value_dense(value)
        scores = tf.einsum(self._dot_eq, k, q)
        if mask is not None:
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = tf.expand_dims(mask, -len(self._attn_axes) * 2 - 1)
        weights = masked_softmax(scores, mask, self._norm_axes)
        out = tf.einsum(self._combine_eq, self._dropped(weights, training), v)
        out = self._output_dense(out if gate is None else out * gate)
        return [out, weights] if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        q = tf.TensorShape(query_shape)
        if self._output_shape:
            return tf.TensorShape(q.as_list()[:-1] + list(self._output_shape))
        return q

    def get_config(self) -> dict:
        return {**super().get_config(), "num_heads": self._num_heads,
                "key_dim": self._key_dim, "value_dim": self._value_dim,
                "output_shape": list(self._output_shape) if self._output_shape else None,
                "attention_axes": list(self._attention_axes) if self._attention_axes
                else None, **self._common_config()}


class GroupQueryAttention(_MultiHeadBase):
    """Grouped-query attention (Ainslie et al., 2023): `num_query_heads` query heads share
    `num_key_value_heads` key/value heads (each repeated `num_query_heads //
    num_key_value_heads` times). Keras' class is `GroupedQueryAttention`, exported and
    saved as `GroupQueryAttention`, as here.

    Args:
        head_dim: the size of each head. num_query_heads, num_key_value_heads: the head
        counts (the first a multiple of the second). Others as in `MultiHeadAttention`.

    >>> gqa = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
    ...                                        num_key_value_heads=2)
    >>> gqa(np.ones((1, 3, 8)), np.ones((1, 5, 8))).shape
    TensorShape([1, 3, 8])
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        who = "GroupQueryAttention"
        self.head_dim = _positive(head_dim, "head_dim", who)
        self.num_query_heads = _positive(num_query_heads, "num_query_heads", who)
        self.num_key_value_heads = _positive(num_key_value_heads, "num_key_value_heads", who)
        if num_query_heads % num_key_value_heads:
            raise ValueError(f"{who}: num_query_heads ({num_query_heads}) must be a multiple "
                             f"of num_key_value_heads ({num_key_value_heads}).\nhint: e.g. 8 "
                             f"query heads over 2 key/value heads.")
        self.num_repeats = num_query_heads // num_key_value_heads
        self._init_common(dropout, use_bias, sliding_window, kernel_initializer,
                          bias_initializer, kernel_regularizer, bias_regularizer,
                          activity_regularizer, kernel_constraint, bias_constraint, use_gate,
                          seed)

    dropout = property(lambda self: self._dropout_rate)
    use_bias = property(lambda self: self._use_bias)

    def _build_sublayers(self, query_shape, value_shape, key_shape) -> None:
        q, v = tf.TensorShape(query_shape), tf.TensorShape(value_shape)
        k = v if key_shape is None else tf.TensorShape(key_shape)
        nq, nkv, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self.feature_dim = q[-1]
        self._query_dense = self._dense("bqm,muh->bquh", (None, nq, h), "uh", "query")
        self._query_dense.build(q)
        self._key_dense = self._dense("bkm,mvh->bkvh", (None, nkv, h), "vh", "key")
        self._key_dense.build(k)
        if self._use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", (None, nq, h), "uh", "gate",
                                           "sigmoid")
            self._gate_dense.build(q)
        self._value_dense = self._dense("bkm,mvh->bkvh", (None, nkv, h), "vh", "value")
        self._value_dense.build(v)
        self._output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m",
                                         "attention_output")
        self._output_dense.build(tf.TensorShape([None, None, nq, h]))
        self.__dict__["_sublayers_built"] = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        self._ensure_built(query, value, key)
        mask = self._masks(query, value, key, query_mask, value_mask, key_mask,
                           attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q = self._query_dense(query) * (1.0 / math.sqrt(float(self.head_dim)))
        k = tf.repeat(self._key_dense(value if key is None else key), self.num_repeats, 2)
        v = tf.repeat(self._value_dense(value), self.num_repeats, 2)
        scores = tf.einsum("bquh,bkuh->buqk", q, k)
        if mask is not None:
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = tf.expand_dims(mask, -3)
        weights = masked_softmax(scores, mask, (-1,))
        out = tf.einsum("buqk,bkuh->bquh", self._dropped(weights, training), v)
        out = self._output_dense(out if gate is None else out * gate)
        return [out, weights] if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tf.TensorShape(query_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, **self._common_config()}


GroupedQueryAttention = GroupQueryAttention  # Keras' class name (exported as the other)
