"""`keras.datasets.reuters`: 11,228 Reuters newswires as word-index sequences, 46 topics.

Indices are encoded as in `keras.datasets.imdb` (`start_char`, `oov_char`, `index_from`).
"""

from __future__ import annotations

import json

import numpy as np

from rill.keras.datasets import _common

_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Loads Reuters newswires, shuffled with `seed`, the last `test_split` held out.

    Arguments as in `keras.datasets.imdb.load_data`. Returns
    `(x_train, y_train), (x_test, y_test)`: object arrays of int lists and int topic labels.
    """
    f = _common.load_npz(_common.fetch(path, "reuters.npz"))
    xs, labels = _common.shuffled(seed, f["x"], f["y"])
    xs = _common.encode_sequences(xs, start_char, index_from)
    if maxlen:
        xs, labels = _common.drop_long(maxlen, xs, labels)
    xs = _common.limit_vocabulary(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    labels = np.asarray(labels)
    return ((_common.ragged(xs[:n]), np.array(labels[:n])),
            (_common.ragged(xs[n:]), np.array(labels[n:])))


def get_word_index(path="reuters_word_index.json"):
    """The dict word -> frequency rank (add `index_from` to match `load_data`'s indices)."""
    with open(_common.fetch(path, "reuters_word_index.json")) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return _LABELS
