"""Shared by the dataset loaders: where files come from, safe `.npz`/pickle reading, and the
shuffles and splits Keras applies (so the same seed gives Keras' exact order)."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

from rill.keras.utils.data import get_file

# Keras' own origins and the sha256 (or md5) hashes of its files; tests point the origins
# at local `file://` folders.
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR_ORIGIN_FOLDER = "https://www.cs.toronto.edu/~kriz/"
FILE_HASHES = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "imdb_word_index.json": "bfafd718b763782e994055a2d397834f",
    "reuters.npz": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    "reuters_word_index.json": "4d44cc38712099c9e383dc6e5f11a921",
    "boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    "california_housing.npz":
        "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
    "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    "cifar-100-python.tar.gz":
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
}


def fetch(fname: str, remote: str, cifar: bool = False, **kwargs) -> str:
    """The cached path of Keras' file `remote` (downloaded on first use) as `fname`."""
    folder = CIFAR_ORIGIN_FOLDER if cifar else ORIGIN_FOLDER
    return get_file(fname, origin=folder + remote, file_hash=FILE_HASHES.get(remote),
                    **kwargs)


# NumPy's object arrays (ragged sequences) are pickles; only these globals may be loaded, so a
# tampered file cannot run code.
_ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}


class SafeUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain Python data only."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load `{module}.{name}` from a dataset "
                                     f"file: it may be corrupted or malicious.\nhint: delete "
                                     f"the cached file and download it again.")


def _read_npy(stream) -> np.ndarray:
    data = stream.read()
    try:
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except ValueError:  # an object array: skip the header, then unpickle safely
        f = io.BytesIO(data)
        major, _ = np.lib.format.read_magic(f)
        if major == 1:
            np.lib.format.read_array_header_1_0(f)
        else:
            np.lib.format.read_array_header_2_0(f)
        return SafeUnpickler(f, encoding="latin1").load()


def load_npz(path: str) -> dict:
    """The arrays of an `.npz` file (object arrays through `SafeUnpickler`)."""
    with zipfile.ZipFile(path) as archive:
        return {name[:-4]: _read_npy(archive.open(name)) for name in archive.namelist()
                if name.endswith(".npy")}


def shuffled(rng, *arrays):
    """The arrays permuted together as Keras does (`np.random.RandomState(seed).shuffle`);
    `rng` is a seed or a `RandomState` to continue."""
    if not isinstance(rng, np.random.RandomState):
        rng = np.random.RandomState(rng)
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def check_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(f"load_data: invalid `test_split` {test_split}; it must be in [0, 1)."
                         f"\nhint: test_split=0.2 keeps 20% of the samples for testing.")


def train_test(x, y, test_split: float):
    """The first `1 - test_split` of the samples for training, the rest for testing."""
    check_split(test_split)
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))


def encode_sequences(xs, start_char, index_from):
    """Shifts word indices by `index_from` and prepends `start_char` (when not None)."""
    head = [] if start_char is None else [start_char]
    return [head + [w + (index_from or 0) for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """Keeps the sequences shorter than `maxlen` (strictly, as Keras does)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become `oov_char`, or are dropped if it is None."""
    if not num_words:
        num_words = max(max(x) for x in xs if x) if any(xs) else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def ragged(sequences) -> np.ndarray:
    """A 1-D object array of lists (NumPy would otherwise make a 2-D array of equal rows)."""
    out = np.empty(len(sequences), dtype=object)
    out[:] = [list(s) for s in sequences]
    return out
