"""TextVectorization: strings to token indices (or multi_hot, count, tf_idf vectors)."""

from __future__ import annotations

import numpy as np

import rill as tf
from rill.keras import backend
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.preprocessing import _utils as U
from rill.keras.layers.preprocessing.index_lookup import StringLookup
from rill.keras.saving import serialization

PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = (None, "whitespace", "character")


class TextVectorization(Layer):
    """Turns strings into token indices: standardize ("lower_and_strip_punctuation",
    "lower", "strip_punctuation", None or a function), split ("whitespace", "character",
    None or a function), optional n-grams (`ngrams` n: all of 1..n; a tuple: those), then a
    vocabulary lookup (index 0 pads, 1 is the OOV token "[UNK]").

    output_mode "int" gives (batch, tokens) padded with 0 (to `output_sequence_length`
    when given, truncating longer texts); "multi_hot", "count" and "tf_idf" give
    (batch, vocabulary size) vectors. The vocabulary is given or built by `adapt(data)`
    (most frequent tokens first, at most `max_tokens` entries with the special ones).

    >>> layer = keras.layers.TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["the cat sat", "the dog"])
    >>> layer(["The cat, the DOG!"]).numpy()
    array([[2, 5, 2, 4]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", **kwargs):
        frozen = kwargs.pop("vocabulary_size", None)
        if kwargs.get("dtype") is None or isinstance(kwargs.get("dtype"), dict):
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        who = f"TextVectorization {self.name!r}"
        if not callable(standardize):
            U.one_of(standardize, _STANDARDIZE, who, "standardize")
        if not callable(split):
            U.one_of(split, _SPLIT, who, "split")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (isinstance(ngrams, int) and ngrams > 0) or
                (isinstance(ngrams, tuple) and all(isinstance(n, int) and n > 0
                                                   for n in ngrams))):
            raise ValueError(f"{who}: ngrams must be None, a positive int or a tuple of them, "
                             f"got {ngrams!r}.\nhint: ngrams=2 makes unigrams and bigrams.")
        U.one_of(output_mode, ("int", "multi_hot", "count", "tf_idf"), who, "output_mode")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"{who}: output_sequence_length applies to output_mode='int' "
                             f"only, got output_mode={output_mode!r}.")
        if ragged and (output_mode != "int" or output_sequence_length is not None):
            raise ValueError(f"{who}: ragged=True needs output_mode='int' and no "
                             f"output_sequence_length.")
        if sparse:
            raise NotImplementedError(f"{who}: sparse outputs are not supported by rill.\n"
                                      f"hint: leave sparse=False.")
        self.standardize, self.split = standardize, split
        self.ngrams = ngrams
        self._widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.ragged, self.encoding = bool(ragged), encoding
        self.__dict__["_lookup"] = StringLookup(  # a helper, not a tracked sub-layer
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            mask_token="", pad_to_max_tokens=pad_to_max_tokens, output_mode=output_mode,
            vocabulary_size=frozen, name=f"{self.name}_lookup")

    # -- preprocessing -----------------------------------------------------------------------
    def _preprocess(self, inputs):
        strings = U.strings()
        x = inputs if U.is_ragged(inputs) else U.as_input(inputs)
        if x.dtype != tf.string:
            raise TypeError(f"TextVectorization {self.name!r}: expected string inputs, got "
                            f"{x.dtype.name}.\nhint: pass text, e.g. np.array(['a b', 'c']).")
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            x = strings.lower(x)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            x = strings.regex_replace(x, PUNCTUATION, "")
        if callable(self.standardize):
            x = self.standardize(x)
        if self.split is not None:
            if x.shape.rank is not None and x.shape.rank > 1:
                if x.shape[-1] != 1:
                    raise ValueError(f"TextVectorization {self.name!r}: to split text the "
                                     f"inputs must have rank 1 or a last dimension of 1, got "
                                     f"shape {x.shape}.\nhint: pass one string per sample.")
                x = tf.squeeze(x, -1)
            if self.split == "whitespace":
                x = strings.split(x)
            elif self.split == "character":
                x = strings.unicode_split(x, "UTF-8")
            else:
                x = self.split(x)
        if self._widths is not None:
            x = strings.ngrams(x, self._widths, separator=" ")
        return x

    def adapt(self, data, batch_size=None, steps=None):
        """Builds the vocabulary from the tokens of `data` (texts: an array, a list, a
        tf.data dataset of batches or another iterable)."""
        if isinstance(data, (np.ndarray, tf.Tensor, list, tuple)):
            arr = np.asarray(data)
            batches = [arr[:, None] if arr.ndim == 1 else arr]
        else:
            batches = U.adapt_batches(data, "TextVectorization", steps)
        self._lookup._adapt_documents(self._token_rows(batches))

    def _token_rows(self, batches):
        for batch in batches:
            tokens = self._preprocess(tf.constant(np.asarray(batch, object)))
            if U.is_ragged(tokens):
                for row in tokens.to_list():
                    yield list(row)
            elif tokens.shape.rank <= 1:
                yield np.asarray(tokens).reshape(-1).tolist()
            else:
                yield from np.asarray(tokens).reshape(tokens.shape[0], -1).tolist()

    # -- call --------------------------------------------------------------------------------
    def call(self, inputs):
        ids = self._lookup.call(self._preprocess(inputs))
        if self.output_mode != "int":
            return ids
        length = self.output_sequence_length
        if U.is_ragged(ids):
            if self.ragged:
                return ids
            if length is None:
                return ids.to_tensor(default_value=0)
            shape = [None] * (ids.shape.rank - 1) + [length]
            return tf.ensure_shape(ids.to_tensor(default_value=0, shape=shape), shape)
        if length is None:
            return ids
        ids = ids[..., :length]
        pad = tf.maximum(length - tf.shape(ids)[-1], 0)
        paddings = tf.concat([tf.zeros([tf.rank(ids) - 1, 2], tf.int32),
                              tf.reshape(tf.stack([0, pad]), [1, 2])], 0)
        return tf.ensure_shape(tf.pad(ids, paddings), ids.shape.as_list()[:-1] + [length])

    def compute_output_shape(self, input_shape):
        dims = tf.TensorShape(input_shape).as_list()
        if self.output_mode == "int":
            return tf.TensorShape([dims[0] if dims else None, self.output_sequence_length])
        depth = self._lookup.max_tokens if self._lookup.pad_to_max_tokens else \
            self._lookup._frozen_size
        return tf.TensorShape([dims[0] if dims else None, depth])

    # -- vocabulary --------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The tokens in index order ("" and "[UNK]" first when include_special_tokens)."""
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the tokens (a list, array, tensor or file path) and, for tf_idf, weights."""
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    def get_config(self) -> dict:
        fn = (lambda v: v if v is None or isinstance(v, str)
              else serialization.serialize_keras_object(v))
        lookup = self._lookup.get_config()
        return {**super().get_config(), "max_tokens": lookup["max_tokens"],
                "standardize": fn(self.standardize), "split": fn(self.split),
                "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
                "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": lookup["pad_to_max_tokens"], "sparse": False,
                "ragged": self.ragged, "vocabulary": lookup["vocabulary"],
                "idf_weights": lookup["idf_weights"], "encoding": self.encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = serialization.deserialize_keras_object(config[key])
        return super().from_config(config)
