"""`keras.datasets.imdb`: 50,000 movie reviews as word-index sequences, labeled by sentiment.

Words are indexed by frequency (1 = most frequent), then shifted by `index_from`; 0 is
padding, `start_char` marks a review's start and `oov_char` replaces words left out.
"""

from __future__ import annotations

import json

import numpy as np

from rill.keras.datasets import _common


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads IMDB: 25,000 training and 25,000 test reviews.

    Args:
        num_words: keep word indices below `num_words` (others become `oov_char`, or are
            dropped if it is None); by default all but the largest index, as in Keras.
        skip_top: also treat indices below `skip_top` as out of vocabulary.
        maxlen: drop reviews of `maxlen` words or more (after adding `start_char`).
        seed: the shuffle's seed (the same seed gives Keras' exact order).
        start_char, oov_char, index_from: see the module docstring.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of int lists, int labels 0/1.
    """
    num_words = kwargs.pop("nb_words", num_words)  # tf.keras 1's name
    f = _common.load_npz(_common.fetch(path, "imdb.npz"))
    rng = np.random.RandomState(seed)
    x_train, y_train = _common.shuffled(rng, f["x_train"], f["y_train"])
    x_test, y_test = _common.shuffled(rng, f["x_test"], f["y_test"])
    x_train = _common.encode_sequences(x_train, start_char, index_from)
    x_test = _common.encode_sequences(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = _common.drop_long(maxlen, x_train, y_train)
        x_test, y_test = _common.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no sequence is shorter than maxlen={maxlen}.\n"
                             f"hint: increase maxlen.")
    xs = _common.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    n = len(x_train)
    labels = np.concatenate([np.asarray(y_train), np.asarray(y_test)])
    return ((_common.ragged(xs[:n]), labels[:n]), (_common.ragged(xs[n:]), labels[n:]))


def get_word_index(path="imdb_word_index.json"):
    """The dict word -> frequency rank (add `index_from` to match `load_data`'s indices)."""
    with open(_common.fetch(path, "imdb_word_index.json")) as f:
        return json.load(f)
