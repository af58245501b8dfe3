"""Vocabulary lookups: IntegerLookup and StringLookup (and their shared base, which
TextVectorization also uses).

Indices: [mask (int mode, when mask_token is set)] + [OOV] * num_oov_indices + tokens. The
lookup is a binary search in the sorted vocabulary (`tf.searchsorted`), so it runs eagerly,
traced and inside tf.data; tokens not found take an OOV index (the value modulo
num_oov_indices for integers, its FarmHash bucket for strings).
"""

from __future__ import annotations

import collections
import os

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.preprocessing import _utils as U

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """Maps tokens (integers or strings) to vocabulary indices, or back with `invert`."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", salt=None,
                 **kwargs):
        frozen = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        if kwargs.get("dtype") is None or isinstance(kwargs.get("dtype"), dict):
            # int64 indices; float encodings (as tf.keras 2: Keras 3.15 gives int64 one_hot,
            # multi_hot and count, which its Dense promotes, and rill's Dense would refuse)
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        who = f"{type(self).__name__} {self.name!r}"
        self._who = who
        U.one_of(output_mode, _MODES, who, "output_mode")
        if max_tokens is not None and (isinstance(max_tokens, bool) or max_tokens <= 1):
            raise ValueError(f"{who}: max_tokens must be None or greater than 1, got "
                             f"{max_tokens!r}.\nhint: max_tokens=20000.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{who}: pad_to_max_tokens=True needs max_tokens.")
        if isinstance(num_oov_indices, bool) or num_oov_indices < 0:
            raise ValueError(f"{who}: num_oov_indices must be >= 0, got {num_oov_indices!r}.")
        if invert and output_mode != "int":
            raise ValueError(f"{who}: invert=True needs output_mode='int', got "
                             f"{output_mode!r}.")
        if sparse:
            raise NotImplementedError(f"{who}: sparse outputs are not supported by rill.\n"
                                      f"hint: leave sparse=False.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf'.")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.vocabulary_dtype = tf.as_dtype(vocabulary_dtype).name
        self.invert, self.output_mode = bool(invert), output_mode
        self.sparse, self.pad_to_max_tokens = False, bool(pad_to_max_tokens)
        self.oov_method, self.salt = oov_method, salt
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.vocabulary_path = vocabulary if isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._tokens = self._array([])
        self._idf = None
        self._frozen_size = frozen
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif output_mode == "tf_idf" and idf_weights is not None:
            raise ValueError(f"{who}: idf_weights need a vocabulary.")

    # -- tokens ------------------------------------------------------------------------------
    def _array(self, values):
        """Tokens as a 1-D NumPy array of the vocabulary dtype (bytes objects for strings)."""
        if self.vocabulary_dtype == "string":
            out = np.empty(len(values), object)
            for i, v in enumerate(values):
                out[i] = v.encode("utf-8") if isinstance(v, str) else bytes(v)
            return out
        return np.asarray(values, np.int64).reshape(-1)

    def _special(self, token):
        if token is None:
            return None
        return self._array([token])[0]

    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices: tokens plus the mask and OOV indices."""
        return len(self._tokens) + self._token_start()

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The tokens in index order (with the mask and OOV tokens first when
        `include_special_tokens`)."""
        special = [self.oov_token] * self._token_start()
        if self.mask_token is not None and self.output_mode == "int":
            special[0] = self.mask_token
        tokens = [self._plain(t) for t in self._tokens]
        return (special + tokens) if include_special_tokens else tokens

    def _plain(self, token):
        return token.decode("utf-8") if isinstance(token, bytes) else int(token)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the tokens: a list, array, tensor or a text file with one token per line (a
        leading run of the special tokens, in index order, is skipped)."""
        who = self._who
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{who}: output_mode='tf_idf' needs idf_weights with the "
                             f"vocabulary.")
        if isinstance(vocabulary, str):
            vocabulary = self._read_file(vocabulary)
        tokens = self._array(list(np.asarray(vocabulary).reshape(-1)))
        if tokens.size == 0:
            raise ValueError(f"{who}: the vocabulary is empty.\nhint: pass at least one "
                             f"token.")
        start = self._token_start()
        special = [self._special(self.mask_token)] * self._oov_start() + \
            [self._special(self.oov_token)] * self.num_oov_indices
        has_special = len(tokens) >= start and list(tokens[:start]) == special
        if has_special:
            tokens = tokens[start:]
        repeated = [t for t, c in collections.Counter(tokens.tolist()).items() if c > 1]
        if repeated:
            raise ValueError(f"{who}: the vocabulary repeats {sorted(repeated)[:5]}.\nhint: "
                             f"give each token once.")
        mask = self._special(self.mask_token)
        if mask is not None and mask in set(tokens.tolist()):
            raise ValueError(f"{who}: the mask token {self.mask_token!r} is in the vocabulary."
                             f"\nhint: leave the mask and OOV tokens out of the vocabulary, or"
                             f" put them first in this order: {special}.")
        oov = self._special(self.oov_token)
        if self.invert and oov is not None and oov in set(tokens.tolist()):
            raise ValueError(f"{who}: the OOV token {self.oov_token!r} is in the vocabulary.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{who}: the vocabulary has {start + len(tokens)} entries, more "
                             f"than max_tokens={self.max_tokens}.")
        self._set_tokens(tokens)
        if idf_weights is not None:
            if self.output_mode != "tf_idf":
                raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf'.")
            w = np.asarray(idf_weights, np.float64).reshape(-1)
            if len(w) != len(tokens) + (start if has_special else 0):
                raise ValueError(f"{who}: idf_weights has {len(w)} entries but the vocabulary "
                                 f"{len(tokens) + (start if has_special else 0)}.")
            front = 0 if has_special else start
            self._set_idf(np.concatenate([np.full(front, w.mean() if w.size else 0.0), w]))

    def _read_file(self, path):
        if not os.path.exists(path):
            raise ValueError(f"{self._who}: vocabulary file {path!r} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(f"{self._who}: output_mode='tf_idf' cannot read a vocabulary "
                             f"file.\nhint: pass the vocabulary and idf_weights as lists.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return lines if self.vocabulary_dtype == "string" else [int(v) for v in lines]

    def _set_tokens(self, tokens):
        size = len(tokens) + self._token_start()
        if self._frozen_size is not None and self.output_mode != "int" and \
                not self.pad_to_max_tokens and self.__dict__.get("_called") and \
                size != self._frozen_size:
            raise RuntimeError(f"{self._who}: the vocabulary size cannot change after the "
                               f"layer was called ({self._frozen_size} -> {size}).")
        self._tokens = tokens
        self._frozen_size = size
        order = np.argsort(tokens, kind="stable")
        self._sorted = tokens[order]
        self._sorted_ids = order.astype(np.int64) + self._token_start()

    def _set_idf(self, weights):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - len(weights)))
        self._idf = weights.astype(np.float32)

    # -- adapt -------------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Builds the vocabulary from the tokens of `data`, most frequent first (ties: the
        larger token first, as Keras), up to max_tokens entries."""
        if self.input_vocabulary is not None or self.vocabulary_path is not None:
            raise ValueError(f"{self._who}: cannot adapt a layer given a vocabulary.")
        self._adapt_documents(self._documents(data, steps))

    def _documents(self, data, steps):
        """The token lists (documents) of `data`: each row of each batch; a rank-1 batch of
        a dataset is one document, a rank-1 array one token per document."""
        if isinstance(data, (np.ndarray, tf.Tensor, list, tuple)):
            arr = np.asarray(data)
            batches = [arr[:, None] if arr.ndim == 1 else arr]
        else:
            batches = U.adapt_batches(data, type(self).__name__, steps)
        for batch in batches:
            batch = np.asarray(batch)
            values = self._array(list(batch.reshape(-1)))
            if batch.ndim <= 1:
                yield values.tolist()
            else:
                yield from values.reshape(batch.shape[0], -1).tolist()

    def _adapt_documents(self, documents):
        counts, docs, n_docs = collections.Counter(), collections.Counter(), 0
        for row in documents:
            counts.update(row)
            if self.output_mode == "tf_idf":
                docs.update(set(row))
            n_docs += 1
        for special in (self._special(self.mask_token), self._special(self.oov_token)):
            counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[:max(self.max_tokens - self._token_start(), 0)]
        tokens = self._array([t for t, _ in ranked])
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.log(1 + n_docs / (1 + np.array([docs[t] for t in tokens.tolist()],
                                                    np.float64)))
            front = idf.mean() if idf.size else 0.0
            self._set_idf(np.concatenate([np.full(self._token_start(), front), idf]))

    # -- call --------------------------------------------------------------------------------
    def call(self, inputs):
        x = inputs if U.is_ragged(inputs) else U.as_input(inputs)
        if self.invert:
            return self._map(x, self._invert)
        if self.output_mode != "int" and self._frozen_size is None and \
                not self.pad_to_max_tokens:
            raise RuntimeError(f"{self._who}: output_mode={self.output_mode!r} needs the "
                               f"vocabulary before the first call.\nhint: pass vocabulary= or "
                               f"call adapt(data) first.")
        ids = self._map(x, self._lookup)
        if self.output_mode == "int":
            return ids
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        if U.is_ragged(ids):  # rows of tokens: padding -1 falls outside the bins
            ids = ids.to_tensor(default_value=-1)
        out = U.encode(ids, mode, depth, self.dtype)
        if self.output_mode == "tf_idf":
            if self._idf is None:
                raise RuntimeError(f"{self._who}: tf_idf needs idf weights.\nhint: adapt the "
                                   f"layer, or pass vocabulary and idf_weights.")
            out = out * tf.constant(self._idf[:depth].astype(self.dtype))
        return out

    def _map(self, x, fn):
        if U.is_ragged(x):
            return x.with_flat_values(fn(x.flat_values))
        return fn(x)

    def _keys(self, x):
        if self.vocabulary_dtype == "string":
            if x.dtype != tf.string:
                raise TypeError(f"{self._who}: expected string inputs, got {x.dtype.name}.\n"
                                f"hint: use IntegerLookup for integer inputs.")
            return x
        if x.dtype == tf.string or not (x.dtype.is_integer or x.dtype.is_floating):
            raise TypeError(f"{self._who}: expected integer inputs, got {x.dtype.name}.\n"
                            f"hint: use StringLookup for strings.")
        return tf.cast(x, tf.int64)

    def _lookup(self, x):
        x = self._keys(x)
        n = len(self._sorted)
        oov_value = self._oov_start() if self.num_oov_indices == 1 else -1
        if n:
            keys = tf.constant(self._sorted)
            flat = tf.reshape(x, [-1])
            pos = tf.minimum(tf.searchsorted(keys, flat, out_type=tf.int64), n - 1)
            found = tf.equal(tf.gather(keys, pos), flat)
            ids = tf.where(found, tf.gather(tf.constant(self._sorted_ids), pos),
                           tf.fill(tf.shape(pos), tf.constant(oov_value, tf.int64)))
            ids = tf.reshape(ids, tf.shape(x))
        else:
            found = tf.zeros(tf.shape(x), tf.bool)
            ids = tf.fill(tf.shape(x), tf.constant(oov_value, tf.int64))
        missing = tf.logical_not(tf.reshape(found, tf.shape(x)))
        if self.num_oov_indices == 0:
            self._check_no_oov(x, missing)
        elif self.num_oov_indices > 1:
            ids = tf.where(missing, self._oov_ids(x), ids)
        if self.mask_token is not None:
            mask_value = 0 if self.output_mode == "int" else np.iinfo(np.int64).max
            ids = tf.where(tf.equal(x, tf.constant(self._special(self.mask_token))),
                           tf.fill(tf.shape(ids), tf.constant(mask_value, tf.int64)), ids)
        return ids

    def _oov_ids(self, x):
        k = self.num_oov_indices
        if x.dtype != tf.string and self.oov_method != "farmhash":
            hashed = tf.math.floormod(x, k)
        else:
            strings = U.strings()
            text = x if x.dtype == tf.string else strings.as_string(x)
            hashed = strings.to_hash_bucket_strong(text, k, key=self.salt) \
                if self.salt is not None else strings.to_hash_bucket_fast(text, k)
        return hashed + self._oov_start()

    def _check_no_oov(self, x, missing):
        if not tf.executing_eagerly():
            return
        bad = np.asarray(x)[np.asarray(missing)]
        if bad.size:
            raise tf.errors.InvalidArgumentError(
                None, None, f"{self._who}: with num_oov_indices=0 all inputs must be in the "
                f"vocabulary, found out-of-vocabulary values {bad[:5].tolist()}.\nhint: set "
                f"num_oov_indices=1.")

    def _invert(self, x):
        ids = tf.cast(x, tf.int64)
        oov = self._special(self.oov_token) if self.oov_token is not None else \
            self._array([b"" if self.vocabulary_dtype == "string" else -1])[0]
        table = np.concatenate([self._array([oov] * self._token_start()), self._tokens])
        if self.mask_token is not None and self.output_mode == "int":
            table[0] = self._special(self.mask_token)
        inside = tf.logical_and(ids >= 0, ids < len(table))
        values = tf.gather(tf.constant(table), tf.where(inside, ids, tf.zeros_like(ids)))
        return tf.where(inside, values, tf.fill(tf.shape(values), tf.constant(oov)))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tf.TensorShape(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_size
        return U.encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self) -> dict:
        listed = (lambda v: None if v is None else np.asarray(v).tolist())
        vocab = self.input_vocabulary if self.vocabulary_path is None else self.vocabulary_path
        if vocab is not None and not isinstance(vocab, str):
            vocab = [self._plain(t) for t in self._array(list(np.asarray(vocab).reshape(-1)))]
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": listed(self.input_idf_weights), "vocabulary": vocab,
                "vocabulary_size": self._frozen_size, "oov_method": self.oov_method,
                "salt": self.salt}


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (given, read from a file, or
    built by `adapt`), or indices back to integers with `invert`; `output_mode` "int",
    "one_hot", "multi_hot", "count" or "tf_idf". Unknown values take one of
    `num_oov_indices` OOV indices (value modulo num_oov_indices).

    >>> layer = keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).numpy()
    array([[1, 3, 4],
           [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, **kwargs):
        if vocabulary_dtype not in ("int64", tf.int64):
            raise ValueError(f"IntegerLookup: vocabulary_dtype must be 'int64', got "
                             f"{vocabulary_dtype!r}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"IntegerLookup: oov_method must be 'floormod' or 'farmhash', "
                             f"got {oov_method!r}.")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, "int64",
                         vocabulary, idf_weights, invert, output_mode, sparse,
                         pad_to_max_tokens, oov_method, salt, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocabulary_dtype": "int64"}


class StringLookup(IndexLookup):
    """Maps strings to contiguous indices through a vocabulary (given, read from a file, or
    built by `adapt`), or indices back to strings with `invert`; `output_mode` "int",
    "one_hot", "multi_hot", "count" or "tf_idf". Unknown strings take one of
    `num_oov_indices` OOV indices (by FarmHash bucket).

    >>> layer = keras.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]])).numpy()
    array([[1, 3, 4],
           [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", salt=None,
                 **kwargs):
        kwargs.pop("oov_method", None)
        kwargs.pop("vocabulary_dtype", None)
        if encoding != "utf-8":
            raise NotImplementedError("StringLookup: only encoding='utf-8' is supported.")
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, "string",
                         vocabulary, idf_weights, invert, output_mode, sparse,
                         pad_to_max_tokens, "farmhash", salt, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "encoding": self.encoding}
