"""`tf.data.experimental`: the aliases TensorFlow keeps there, CsvDataset and
make_csv_dataset."""

from __future__ import annotations

from rill.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN


def __getattr__(name: str):
    # readers import rill.io; resolved on first use
    if name in ("CsvDataset", "make_csv_dataset"):
        from rill.data import readers
        return getattr(readers, name)
    raise AttributeError(f"module 'rill.data.experimental' has no attribute {name!r}")


def cardinality(dataset: Dataset):
    """`dataset.cardinality()`."""
    return dataset.cardinality()


def assert_cardinality(expected_cardinality):
    """A transformation that declares the dataset's cardinality."""
    n = int(getattr(expected_cardinality, "_value", expected_cardinality))

    def apply(ds: Dataset) -> Dataset:
        from rill.data.transformations import _Passthrough
        out = _Passthrough(ds)
        out._cardinality = lambda: n
        return out
    return apply


def _method(name: str, doc: str):
    def factory(*args, **kwargs):
        return lambda ds: getattr(ds, name)(*args, **kwargs)
    factory.__name__ = name
    factory.__doc__ = doc
    return factory


ignore_errors = _method("ignore_errors", "`lambda ds: ds.ignore_errors(...)`.")
unique = _method("unique", "`lambda ds: ds.unique()`.")
scan = _method("scan", "`lambda ds: ds.scan(initial_state, scan_func)`.")
take_while = _method("take_while", "`lambda ds: ds.take_while(predicate)`.")
group_by_window = _method("group_by_window", "`lambda ds: ds.group_by_window(...)`.")
bucket_by_sequence_length = _method("bucket_by_sequence_length",
                                    "`lambda ds: ds.bucket_by_sequence_length(...)`.")
rebatch = _method("rebatch", "`lambda ds: ds.rebatch(batch_size)`.")
enumerate_dataset = _method("enumerate", "`lambda ds: ds.enumerate(start)`.")


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """`lambda ds: ds.shuffle(buffer_size, seed).repeat(count)`."""
    return lambda ds: ds.shuffle(buffer_size, seed).repeat(count)


def dense_to_ragged_batch(batch_size, drop_remainder=False, row_splits_dtype=None):
    return lambda ds: ds.ragged_batch(batch_size, drop_remainder)


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def get_single_element(dataset: Dataset):
    return dataset.get_single_element()


__all__ = ["AUTOTUNE"]
