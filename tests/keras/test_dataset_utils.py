"""keras.utils.image_dataset_from_directory / text_dataset_from_directory on small folders
made here (images need Pillow, an optional dependency: those tests skip without it)."""

import numpy as np
import pytest

from rill.keras.utils.dataset_utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
)


@pytest.fixture
def text_dir(tmp_path):
    for c in ("neg", "pos"):
        (tmp_path / c).mkdir()
        for i in range(3):
            (tmp_path / c / f"{i}.txt").write_text(f"{c} review {i}", encoding="utf-8")
    (tmp_path / "pos" / "skip.md").write_text("not a text file")
    return tmp_path


def _rows(ds):
    return [(t, lab) for texts, labels in ds.as_numpy_iterator()
            for t, lab in zip(texts, labels)]


def test_text_dataset_labels_and_order(text_dir, capsys):
    ds = text_dataset_from_directory(str(text_dir), batch_size=4, shuffle=False)
    assert ds.class_names == ["neg", "pos"]
    assert "Found 6 files belonging to 2 classes." in capsys.readouterr().out
    rows = _rows(ds)
    assert [t for t, _ in rows] == [f"{c} review {i}".encode() for c in ("neg", "pos")
                                    for i in range(3)]
    assert [int(lab) for _, lab in rows] == [0, 0, 0, 1, 1, 1]


def test_text_dataset_splits_modes_and_max_length(text_dir):
    train, val = text_dataset_from_directory(
        str(text_dir), batch_size=2, seed=3, validation_split=0.5, subset="both",
        label_mode="categorical", max_length=3, verbose=False)
    rows = _rows(train) + _rows(val)
    assert len(_rows(train)) == 3 and len(_rows(val)) == 3
    assert sorted(t for t, _ in rows) == sorted([b"neg"] * 3 + [b"pos"] * 3)
    assert all(lab.tolist() == ([1, 0] if t == b"neg" else [0, 1]) for t, lab in rows)
    binary = text_dataset_from_directory(str(text_dir), label_mode="binary", verbose=False)
    assert next(iter(binary))[1].shape == (6, 1)
    with pytest.raises(ValueError, match=r"needs a seed[\s\S]*hint"):
        text_dataset_from_directory(str(text_dir), validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match=r"does not exist[\s\S]*hint"):
        text_dataset_from_directory(str(text_dir / "missing"))


def test_image_dataset(tmp_path):
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    arrays = {}
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(2):
            arr = rng.integers(0, 256, (4 + i, 6, 3)).astype(np.uint8)
            image.fromarray(arr).save(tmp_path / c / f"{i}.png")
            arrays[f"{c}/{i}.png"] = arr
    ds = image_dataset_from_directory(str(tmp_path), image_size=(3, 4), batch_size=3,
                                      shuffle=False, verbose=False)
    images, labels = next(iter(ds))
    assert images.shape == (3, 3, 4, 3) and images.dtype.name == "float32"
    assert labels.numpy().tolist() == [0, 0, 1]
    import rill as tf
    np.testing.assert_allclose(images[0], tf.image.resize(arrays["a/0.png"], [3, 4]),
                               rtol=1e-6)
    gray = image_dataset_from_directory(str(tmp_path), image_size=(2, 2), color_mode="grayscale",
                                        label_mode=None, shuffle=False, verbose=False)
    assert next(iter(gray)).shape == (4, 2, 2, 1)
    assert [p.split("/")[-2:] for p in ds.file_paths] == [["a", "0.png"], ["a", "1.png"],
                                                          ["b", "0.png"], ["b", "1.png"]]
