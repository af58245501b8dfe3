"""Preprocessing layers: the omnibus harness, values against NumPy references (or TensorFlow
values, noted), `adapt` statistics, seeded randomness, inference identity, tf.data maps, and
parity with Keras when RILL_TF_PYTHON names a TensorFlow interpreter."""

import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.layers import preprocessing as P
from tests.keras.layer_harness import run_layer_test

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")
OBJECTS = {cls.__name__: cls for cls in P.PREPROCESSING_LAYERS}
TEXTS = np.array(["The cat sat.", "the dog", "a cat, a dog!"])

# (class, init kwargs, input shape, output shape, non-trainable weights, extra harness args)
CASES = [
    (P.Normalization, {}, (4, 3), (4, 3), 3, {}),
    (P.Normalization, {"axis": None, "mean": 2.0, "variance": 4.0, "invert": True}, (4, 3),
     (4, 3), 0, {}),
    (P.Normalization, {"axis": (1, 2), "mean": [[1.0, 2.0]], "variance": [[1.0, 4.0]]},
     (2, 1, 2), (2, 1, 2), 0, {}),
    (P.Rescaling, {"scale": 1 / 255, "offset": -0.5}, (2, 3), (2, 3), 0, {}),
    (P.Discretization, {"bin_boundaries": [-0.5, 0.0, 0.5]}, (3, 4), (3, 4), 0, {}),
    (P.Discretization, {"bin_boundaries": [0.0], "output_mode": "one_hot"}, (3, 1), (3, 2), 0,
     {}),
    (P.Resizing, {"height": 3, "width": 5}, (2, 4, 4, 2), (2, 3, 5, 2), 0, {}),
    (P.Resizing, {"height": 2, "width": 2, "interpolation": "nearest",
                  "crop_to_aspect_ratio": True}, (1, 4, 6, 1), (1, 2, 2, 1), 0, {}),
    (P.Resizing, {"height": 4, "width": 2, "pad_to_aspect_ratio": True, "antialias": True},
     (1, 3, 3, 1), (1, 4, 2, 1), 0, {}),
    (P.CenterCrop, {"height": 2, "width": 3}, (2, 4, 5, 1), (2, 2, 3, 1), 0, {}),
    (P.CenterCrop, {"height": 6, "width": 2}, (1, 4, 4, 1), (1, 6, 2, 1), 0, {}),
    (P.RandomFlip, {"seed": 1}, (2, 3, 3, 1), (2, 3, 3, 1), 0, {}),
    (P.RandomFlip, {"mode": "vertical", "data_format": "channels_first"}, (2, 1, 3, 3),
     (2, 1, 3, 3), 0, {}),
    (P.RandomRotation, {"factor": 0.2, "seed": 2}, (2, 5, 5, 2), (2, 5, 5, 2), 0, {}),
    (P.RandomZoom, {"height_factor": (-0.3, 0.2), "width_factor": 0.1, "seed": 3,
                    "fill_mode": "constant"}, (2, 5, 4, 1), (2, 5, 4, 1), 0, {}),
    (P.RandomTranslation, {"height_factor": 0.2, "width_factor": (-0.1, 0.3),
                           "fill_mode": "wrap", "interpolation": "nearest"},
     (2, 4, 6, 3), (2, 4, 6, 3), 0, {}),
    (P.RandomContrast, {"factor": 0.5, "seed": 4}, (2, 3, 3, 2), (2, 3, 3, 2), 0, {}),
    (P.RandomBrightness, {"factor": 0.1, "value_range": (0, 1), "seed": 5}, (2, 3, 3, 2),
     (2, 3, 3, 2), 0, {}),
    (P.RandomCrop, {"height": 2, "width": 3, "seed": 6}, (2, 4, 5, 1), (2, 2, 3, 1), 0, {}),
    (P.CategoryEncoding, {"num_tokens": 4}, (3, 2), (3, 4), 0, {"input_dtype": "int32"}),
    (P.CategoryEncoding, {"num_tokens": 3, "output_mode": "one_hot"}, (3, 1), (3, 3), 0,
     {"input_dtype": "int32"}),
    (P.Hashing, {"num_bins": 5}, (3, 2), (3, 2), 0, {"input_dtype": "int32"}),
    (P.Hashing, {"num_bins": 4, "mask_value": 0, "output_mode": "count"}, (3, 2), (3, 4), 0,
     {"input_dtype": "int32"}),
    (P.IntegerLookup, {"vocabulary": [0, 1, 2]}, (3, 2), (3, 2), 0,
     {"input_dtype": "int32"}),
    (P.IntegerLookup, {"vocabulary": [2, 0], "output_mode": "multi_hot"}, (3, 2), (3, 3), 0,
     {"input_dtype": "int32"}),
    (P.StringLookup, {"vocabulary": ["a", "b"], "mask_token": ""}, (2, 2), (2, 2), 0,
     {"input_data": np.array([["a", ""], ["c", "b"]]), "input_dtype": "string"}),
    (P.StringLookup, {"vocabulary": ["a", "b"], "output_mode": "tf_idf",
                      "idf_weights": [0.5, 2.0]}, (2, 2), (2, 3), 0,
     {"input_data": np.array([["a", "a"], ["c", "b"]]), "input_dtype": "string"}),
    (P.TextVectorization, {"vocabulary": ["the", "cat", "dog"], "output_sequence_length": 4},
     (3,), (3, 4), 0, {"input_data": TEXTS, "input_dtype": "string"}),
    (P.TextVectorization, {"vocabulary": ["the", "cat", "the cat"], "ngrams": 2,
                           "output_mode": "count"}, (3,), (3, 4), 0,
     {"input_data": TEXTS, "input_dtype": "string"}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_frozen, extra = case
    run_layer_test(cls, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
                   expected_num_non_trainable_weights=n_frozen, custom_objects=OBJECTS,
                   **extra)


def test_the_table_covers_every_preprocessing_layer():
    assert {case[0] for case in CASES} == set(P.PREPROCESSING_LAYERS)


# -- numerical ------------------------------------------------------------------------------
def _data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((50, 3)) * [1.0, 2.0, 3.0] + [0.0, 1.0, 2.0]).astype("float32")


@pytest.mark.parametrize("source", ["array", "dataset", "batches", "tensor"])
def test_normalization_adapt_statistics_match_numpy(source):
    x = _data()
    data = {"array": x, "tensor": tf.constant(x),
            "dataset": tf.data.Dataset.from_tensor_slices(x).batch(7),
            "batches": [x[:20], x[20:]]}[source]
    layer = P.Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.adapt_mean, x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance, x.var(0), rtol=1e-5)
    np.testing.assert_allclose(layer(x), (x - x.mean(0)) / x.std(0), rtol=1e-4, atol=1e-5)


def test_normalization_axes_invert_and_errors():
    x = np.random.default_rng(1).standard_normal((4, 2, 3)).astype("float32")
    layer = P.Normalization(axis=(1, 2))
    layer.adapt(x)
    np.testing.assert_allclose(layer.adapt_mean, x.mean(0), rtol=1e-5, atol=1e-6)
    scalar = P.Normalization(axis=None)
    scalar.adapt(x)
    np.testing.assert_allclose(scalar(x), (x - x.mean()) / x.std(), rtol=1e-4, atol=1e-5)
    inverse = P.Normalization(axis=None, invert=True)
    inverse.adapt(x)
    np.testing.assert_allclose(inverse(scalar(x)), x, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"Normalization.*given together[\s\S]*hint"):
        P.Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"built for inputs of shape[\s\S]*hint"):
        layer.adapt(np.zeros((3, 2, 4)))


def test_normalization_inside_tf_data_and_a_model():
    x = _data()
    layer = P.Normalization()
    layer.adapt(x)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(10).map(layer)
    np.testing.assert_allclose(np.concatenate(list(ds.as_numpy_iterator())), layer(x),
                               rtol=1e-6)
    model = keras.Sequential([keras.Input(shape=(3,)), layer])
    np.testing.assert_allclose(model.predict(x, verbose=0), layer(x), rtol=1e-6)


def test_rescaling():
    np.testing.assert_allclose(P.Rescaling(1 / 127.5, offset=-1)(np.array([0, 255])), [-1, 1])
    per_channel = P.Rescaling([1.0, 2.0], offset=[0.0, 1.0])(np.ones((2, 2, 2)))
    np.testing.assert_allclose(per_channel, np.broadcast_to([1.0, 3.0], (2, 2, 2)))


def test_discretization_buckets_like_digitize():
    bounds = [-1.0, 0.0, 0.5, 2.0]
    x = np.array([[-3.0, -1.0, 0.0, 0.2], [0.5, 1.9, 2.0, 7.0]])
    layer = P.Discretization(bin_boundaries=bounds)
    np.testing.assert_array_equal(layer(x), np.digitize(x, bounds))
    counts = P.Discretization(bin_boundaries=bounds, output_mode="count")(x)
    np.testing.assert_array_equal(counts, [np.bincount(np.digitize(r, bounds), minlength=5)
                                           for r in x])


def test_discretization_adapt_quantiles():
    # fewer values than 1 / epsilon: the boundaries interpolate the empirical CDF
    values = np.random.default_rng(2).permutation(np.arange(1.0, 11.0))
    layer = P.Discretization(num_bins=4)
    layer.adapt(values)
    ref = np.interp([0.25, 0.5, 0.75], np.arange(1, 11) / 10, np.sort(values))
    np.testing.assert_allclose(layer.bin_boundaries, ref, rtol=1e-6)
    # TensorFlow 2.21 / Keras 3.15 on larger data (the epsilon-compressed summaries)
    big = P.Discretization(num_bins=4)
    big.adapt(np.arange(1000.0))
    np.testing.assert_allclose(big.bin_boundaries, [248.99976, 498.99982, 748.99994],
                               rtol=1e-6)
    streamed = P.Discretization(num_bins=3)
    streamed.adapt(tf.data.Dataset.from_tensor_slices(np.arange(300.0) ** 0.5).batch(64))
    np.testing.assert_allclose(streamed.bin_boundaries, [9.949374, 14.106571], rtol=1e-6)
    with pytest.raises(ValueError, match=r"cannot adapt a layer made with bin_boundaries"):
        P.Discretization(bin_boundaries=[1.0]).adapt(values)


# -- image ------------------------------------------------------------------------------------
def _img(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def test_resizing_and_center_crop_values():
    x = _img(2, 6, 8, 3)
    np.testing.assert_allclose(P.Resizing(3, 4)(x), tf.image.resize(x, [3, 4]), rtol=1e-6)
    cropped = P.Resizing(4, 4, crop_to_aspect_ratio=True)(x)
    np.testing.assert_allclose(cropped, tf.image.resize(x[:, :, 1:7], [4, 4]), rtol=1e-6)
    padded = P.Resizing(8, 4, pad_to_aspect_ratio=True, fill_value=1.0)(x)
    canvas = np.pad(x, ((0, 0), (5, 5), (0, 0), (0, 0)), constant_values=1.0)
    np.testing.assert_allclose(padded, tf.image.resize(canvas, [8, 4]), rtol=1e-6)
    u8 = x.astype("uint8")
    out = P.Resizing(3, 4)(u8)
    assert out.dtype == tf.uint8
    np.testing.assert_array_equal(out, np.round(tf.image.resize(u8, [3, 4]).numpy()))
    np.testing.assert_array_equal(P.CenterCrop(2, 4)(x), x[:, 2:4, 2:6])
    small = P.CenterCrop(8, 4)(x)  # taller than the image: crop to 2:1, then resize
    np.testing.assert_allclose(small, tf.image.resize(x[:, :, 2:5], [8, 4]), rtol=1e-6)


def test_image_layers_channels_first():
    x = _img(2, 3, 6, 8)
    out = P.Resizing(3, 4, data_format="channels_first")(x)
    np.testing.assert_allclose(out, np.transpose(tf.image.resize(
        np.transpose(x, (0, 2, 3, 1)), [3, 4]), (0, 3, 1, 2)), rtol=1e-6)


RANDOM = [
    (P.RandomFlip, {}),
    (P.RandomRotation, {"factor": 0.3}),
    (P.RandomZoom, {"height_factor": 0.3}),
    (P.RandomTranslation, {"height_factor": 0.2, "width_factor": 0.2}),
    (P.RandomContrast, {"factor": 0.5}),
    (P.RandomBrightness, {"factor": 0.3}),
    (P.RandomCrop, {"height": 3, "width": 4}),
]


@pytest.mark.parametrize("cls, kwargs", RANDOM, ids=lambda v: getattr(v, "__name__", ""))
def test_random_layers_are_seeded_and_identity_at_inference(cls, kwargs):
    x = _img(4, 6, 7, 3)
    a, b, c = cls(seed=11, **kwargs), cls(seed=11, **kwargs), cls(seed=12, **kwargs)
    first = a(x).numpy()
    np.testing.assert_array_equal(first, b(x))  # same seed, same draws
    assert not np.array_equal(first, a(x))  # the stream moves on
    assert not np.array_equal(first, c(x))
    np.testing.assert_array_equal(a(x, training=False), x)
    d = cls(seed=11, **kwargs)
    d(x)
    second = d(x)
    traced = tf.function(lambda v: b(v, training=True))  # b's second draw, traced
    np.testing.assert_allclose(traced(x), second, rtol=1e-5, atol=1e-3)
    model = keras.Sequential([keras.Input(shape=(6, 7, 3)), cls(seed=1, **kwargs)])
    if cls is not P.RandomCrop:
        np.testing.assert_allclose(model.predict(x, verbose=0), x, rtol=1e-6)


def test_random_flip_flips_whole_images():
    x = _img(16, 3, 4, 1)
    y = P.RandomFlip("horizontal", seed=3)(x).numpy()
    flipped = [np.array_equal(y[i], x[i, :, ::-1]) for i in range(16)]
    assert all(f or np.array_equal(y[i], x[i]) for i, f in enumerate(flipped))
    assert 0 < sum(flipped) < 16
    both = P.RandomFlip(seed=3)(x).numpy()
    assert all(np.array_equal(both[i], x[i, ::-1, ::-1]) or np.array_equal(both[i], x[i])
               for i in range(16))


def test_affine_layers_exact_cases():
    x = _img(2, 5, 5, 1)
    quarter = P.RandomRotation((0.25, 0.25), fill_mode="constant")(x)
    np.testing.assert_allclose(quarter, np.rot90(x, 1, axes=(1, 2)), atol=1e-3)
    shift = P.RandomTranslation((0.2, 0.2), (-0.2, -0.2), fill_mode="constant")(x)
    want = np.zeros_like(x)
    want[:, 1:, :4] = x[:, :4, 1:]  # down by one row, left by one column
    np.testing.assert_allclose(shift, want, atol=1e-3)
    reflected = P.RandomTranslation((0.2, 0.2), 0.0, fill_mode="reflect")(x)
    np.testing.assert_allclose(reflected[:, 0], x[:, 0], atol=1e-3)  # row -1 reflects row 0
    zoom = P.RandomZoom((-0.5, -0.5), interpolation="nearest")(np.arange(25.0).reshape(
        1, 5, 5, 1))
    assert zoom[0, 2, 2, 0] == 12.0  # the center stays


def test_contrast_and_brightness_are_per_image():
    x = _img(3, 4, 4, 2)
    y = P.RandomContrast(0.5, seed=1)(x).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    factor = (np.clip(y, 0, 255) - mean) / (x - mean)
    inside = (y > 0) & (y < 255)
    for i in range(3):
        f = factor[i][inside[i]]
        assert np.allclose(f, f[0], rtol=1e-3) and 1.0 <= f[0] <= 1.5
    z = P.RandomBrightness(0.1, seed=1)(x).numpy()
    delta = z - x
    for i in range(3):
        d = delta[i][(z[i] > 0) & (z[i] < 255)]
        assert np.allclose(d, d[0], atol=1e-3) and abs(d[0]) <= 25.5


def test_random_crop_windows():
    x = _img(2, 6, 7, 1)
    y = P.RandomCrop(3, 4, seed=2)(x).numpy()
    windows = [x[:, i:i + 3, j:j + 4] for i in range(4) for j in range(4)]
    assert any(np.array_equal(y, w) for w in windows)
    assert P.RandomCrop(3, 4)(x, training=False) is not None
    np.testing.assert_array_equal(P.RandomCrop(3, 4)(x, training=False), x)
    # not larger than the target: Keras 3.15 slices target-sized from the aspect-ratio box's
    # corner (0, 0 here), which keeps the whole image, and resizes
    small = P.RandomCrop(8, 8, seed=2)(x)
    np.testing.assert_allclose(small, tf.image.resize(x, [8, 8]), rtol=1e-5)


def test_augmentation_in_a_tf_data_pipeline():
    images = _img(8, 6, 6, 3)
    augment = keras.Sequential([P.RandomFlip("horizontal", seed=1),
                                P.RandomRotation(0.1, seed=2)])
    ds = tf.data.Dataset.from_tensor_slices(images).batch(4).map(
        lambda v: augment(v, training=True))
    out = np.concatenate(list(ds.as_numpy_iterator()))
    assert out.shape == images.shape and not np.allclose(out, images)


def test_image_layer_errors():
    with pytest.raises(ValueError, match=r"RandomRotation.*factor[\s\S]*hint"):
        P.RandomRotation("a lot")
    with pytest.raises(ValueError, match=r"fill_mode must be one of[\s\S]*hint"):
        P.RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"Resizing.*height must be a positive integer"):
        P.Resizing(0, 3)
    with pytest.raises(ValueError, match=r"expected images of rank 3[\s\S]*hint"):
        P.CenterCrop(1, 1)(np.zeros((2, 2)))


# -- categorical ------------------------------------------------------------------------------
def test_category_encoding_matches_bincount():
    x = np.array([[0, 1, 1, 3], [2, 2, 2, 0]])
    count = P.CategoryEncoding(5, output_mode="count")(x)
    np.testing.assert_array_equal(count, [np.bincount(r, minlength=5) for r in x])
    multi = P.CategoryEncoding(5)(x)
    np.testing.assert_array_equal(multi, np.minimum(count, 1))
    weights = np.array([[0.5, 1.0, 2.0, 1.0], [1.0, 1.0, 1.0, 3.0]])
    weighted = P.CategoryEncoding(5, output_mode="count")(x, count_weights=weights)
    np.testing.assert_allclose(weighted, [np.bincount(r, w, minlength=5)
                                          for r, w in zip(x, weights)])
    np.testing.assert_array_equal(P.CategoryEncoding(4, output_mode="one_hot")(
        np.array([[1], [3]])), np.eye(4)[[1, 3]])
    # Keras drops values outside [0, num_tokens) (TensorFlow 2.21 / Keras 3.15)
    np.testing.assert_array_equal(P.CategoryEncoding(4)(np.array([1, 5])), [0, 1, 0, 0])


def test_hashing_values_noted_from_tensorflow():
    strings = np.array([["A"], ["B"], ["C"]])
    np.testing.assert_array_equal(P.Hashing(3)(strings).numpy().ravel(), [1, 0, 1])
    np.testing.assert_array_equal(P.Hashing(3, salt=133)(strings).numpy().ravel(), [0, 0, 2])
    masked = P.Hashing(3, mask_value="")(np.array([["A"], ["B"], [""], ["C"]]))
    np.testing.assert_array_equal(masked.numpy().ravel(), [1, 1, 0, 2])
    ints = np.array([[12, 345], [6789, 0]])
    np.testing.assert_array_equal(P.Hashing(7)(ints), P.Hashing(7)(ints.astype(str)))
    one_hot = P.Hashing(4, output_mode="one_hot")(strings)
    assert one_hot.shape == (3, 4)


def test_integer_lookup():
    vocab = [12, 36, 1138, 42]
    layer = P.IntegerLookup(vocabulary=vocab)
    np.testing.assert_array_equal(layer(np.array([[12, 1138, 42], [42, 1000, 36]])),
                                  [[1, 3, 4], [4, 0, 2]])
    masked = P.IntegerLookup(vocabulary=vocab, mask_token=0, num_oov_indices=2)
    # index 0 is the mask; the OOV indices 1, 2 take value % 2
    np.testing.assert_array_equal(masked(np.array([12, 0, 1000, 1001])), [3, 0, 1, 2])
    assert masked.get_vocabulary() == [0, -1, -1, 12, 36, 1138, 42]
    inverse = P.IntegerLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inverse(np.array([1, 3, 0, 9])), [12, 1138, -1, -1])
    hot = P.IntegerLookup(vocabulary=vocab, output_mode="multi_hot")(np.array([[12, 7, 12]]))
    np.testing.assert_array_equal(hot, [[1, 1, 0, 0, 0]])
    assert hot.dtype == tf.float32  # tf.keras 2's dtype (Keras 3.15: int64, see PARITY)
    strict = P.IntegerLookup(vocabulary=vocab, num_oov_indices=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"num_oov_indices=0[\s\S]*hint"):
        strict(np.array([5]))


def test_lookup_adapt_order_and_limits():
    # most frequent first, ties broken by the larger token (TensorFlow 2.21 / Keras 3.15)
    layer = P.IntegerLookup()
    layer.adapt(np.array([3, 3, 1, 2, 2, 5, 7]))
    assert layer.get_vocabulary() == [-1, 3, 2, 7, 5, 1]
    capped = P.IntegerLookup(max_tokens=3, num_oov_indices=2)
    capped.adapt(np.array([3, 3, 1, 2, 2, 5, 7]))
    assert capped.get_vocabulary() == [-1, -1, 3]
    np.testing.assert_array_equal(capped(np.array([3, 1, 9, 10])), [2, 1, 1, 0])
    strings = P.StringLookup()
    strings.adapt(tf.data.Dataset.from_tensor_slices(np.array(["b", "a", "b", "c"])).batch(3))
    assert strings.get_vocabulary() == ["[UNK]", "b", "c", "a"]


def test_tf_idf_weights_follow_the_formula():
    docs = np.array([["a", "a", "b"], ["c", "a", "d"]])
    layer = P.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    assert layer.get_vocabulary() == ["[UNK]", "a", "d", "c", "b"]
    doc_freq = np.array([2, 1, 1, 1])
    idf = np.log(1 + 2 / (1 + doc_freq))
    weights = np.concatenate([[idf.mean()], idf])
    np.testing.assert_allclose(layer(np.array([["a", "a", "z"]])),
                               [[1, 2, 0, 0, 0] * weights], rtol=1e-6)


def test_string_lookup_files_oov_buckets_and_invert(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("[UNK]\ncat\ndog\n", encoding="utf-8")
    layer = P.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "cat", "dog"]
    np.testing.assert_array_equal(layer(np.array(["dog", "cow"])), [2, 0])
    buckets = P.StringLookup(vocabulary=["a"], num_oov_indices=3)
    # TensorFlow 2.21: the OOV strings q, r, s, t hash to buckets 2, 1, 1, 1 (FarmHash)
    np.testing.assert_array_equal(buckets(np.array(["a", "q", "r", "s", "t"])),
                                  [3, 2, 1, 1, 1])
    inverse = P.StringLookup(vocabulary=["a", "b"], invert=True)
    np.testing.assert_array_equal(inverse(np.array([[2, 0, 1]])),
                                  np.array([[b"b", b"[UNK]", b"a"]], object))
    with pytest.raises(ValueError, match=r"StringLookup.*repeats"):
        P.StringLookup(vocabulary=["a", "a"])


# -- text -------------------------------------------------------------------------------------
def test_text_vectorization_values_noted_from_tensorflow():
    layer = P.TextVectorization(output_sequence_length=4)
    layer.adapt(["the cat sat", "the dog"])
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "sat", "dog", "cat"]
    np.testing.assert_array_equal(layer(["The cat, the DOG!"]), [[2, 5, 2, 4]])
    np.testing.assert_array_equal(layer(np.array([["a"], ["the the the the the"]])),
                                  [[1, 0, 0, 0], [2, 2, 2, 2]])
    ngrams = P.TextVectorization(output_mode="tf_idf", ngrams=2)
    ngrams.adapt(["the cat sat", "the dog"])
    assert ngrams.get_vocabulary() == ["[UNK]", "the", "the dog", "the cat", "sat", "dog",
                                       "cat sat", "cat"]
    np.testing.assert_allclose(ngrams(["The cat, the DOG!"]),
                               [[0.66710126, 1.0216513, 0.6931472, 0.6931472, 0.0, 0.6931472,
                                 0.0, 0.6931472]], rtol=1e-6)


def test_text_vectorization_modes():
    vocab = ["the", "cat", "dog"]
    ragged = P.TextVectorization(vocabulary=vocab, ragged=True)(TEXTS)
    assert ragged.to_list() == [[2, 3, 1], [2, 4], [1, 3, 1, 4]]
    dense = P.TextVectorization(vocabulary=vocab)(TEXTS)
    np.testing.assert_array_equal(dense, [[2, 3, 1, 0], [2, 4, 0, 0], [1, 3, 1, 4]])
    hot = P.TextVectorization(vocabulary=vocab, output_mode="multi_hot")(TEXTS)
    np.testing.assert_array_equal(hot, [[1, 1, 1, 0], [0, 1, 0, 1], [1, 0, 1, 1]])
    chars = P.TextVectorization(split="character", standardize=None, vocabulary=["a", "b"])
    np.testing.assert_array_equal(chars(["abc"]), [[2, 3, 1]])
    capped = P.TextVectorization(max_tokens=4)
    capped.adapt(TEXTS)
    assert len(capped.get_vocabulary()) == 4


def test_text_vectorization_in_tf_data_and_models():
    layer = P.TextVectorization(output_sequence_length=5)
    layer.adapt(tf.data.Dataset.from_tensor_slices(TEXTS).batch(2))
    ds = tf.data.Dataset.from_tensor_slices((TEXTS, np.arange(3))).batch(2).map(
        lambda text, label: (layer(text), label))
    tokens = np.concatenate([t for t, _ in ds.as_numpy_iterator()])
    np.testing.assert_array_equal(tokens, layer(TEXTS))
    inputs = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(TEXTS[:, None], verbose=0), layer(TEXTS))


# -- parity with Keras (RILL_TF_PYTHON: see tests/conftest.py) -------------------------------
PARITY = [  # (class, kwargs, input, adapt data); random layers at inference only
    ("Normalization", {}, "f", "f"),
    ("Normalization", {"axis": None, "invert": True}, "f", "f * 3"),
    ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, "f", None),
    ("Rescaling", {"scale": 0.5, "offset": 2.0}, "u8", None),
    ("Discretization", {"num_bins": 5}, "f", "f"),
    ("Discretization", {"bin_boundaries": [0.2, 0.5], "output_mode": "count"}, "f", None),
    ("Resizing", {"height": 3, "width": 5}, "img", None),
    ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True,
                  "interpolation": "bicubic"}, "img", None),
    ("Resizing", {"height": 3, "width": 6, "pad_to_aspect_ratio": True, "fill_value": 2.0},
     "img", None),
    ("Resizing", {"height": 3, "width": 2, "antialias": True}, "img_u8", None),
    ("CenterCrop", {"height": 3, "width": 3}, "img", None),
    ("CenterCrop", {"height": 8, "width": 3}, "img", None),
    ("RandomFlip", {}, "img", None), ("RandomRotation", {"factor": 0.2}, "img", None),
    ("RandomCrop", {"height": 2, "width": 2}, "img", None),
    ("CategoryEncoding", {"num_tokens": 6, "output_mode": "count"}, "ints", None),
    ("CategoryEncoding", {"num_tokens": 6, "output_mode": "one_hot"}, "ints[:, :1]", None),
    ("Hashing", {"num_bins": 10}, "ints", None),
    ("Hashing", {"num_bins": 10, "salt": [3, 4], "output_mode": "multi_hot"}, "words",
     None),
    ("IntegerLookup", {"num_oov_indices": 2}, "ints", "ints[:3]"),
    ("IntegerLookup", {"vocabulary": [4, 2, 1], "output_mode": "count"}, "ints", None),
    ("StringLookup", {"num_oov_indices": 3, "mask_token": "c"}, "words", "words[:, :2]"),
    ("StringLookup", {"output_mode": "tf_idf"}, "words", "words"),
    ("TextVectorization", {"output_sequence_length": 6}, "texts", "texts"),
    ("TextVectorization", {"ngrams": (1, 3), "output_mode": "count", "max_tokens": 9},
     "texts", "texts"),
]
LAYER_SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    {imports}
    rng = np.random.default_rng(0)
    f = rng.standard_normal((6, 3)).astype("float32")
    u8 = rng.integers(0, 256, (2, 3)).astype("uint8")
    img = rng.uniform(0, 255, (2, 5, 6, 2)).astype("float32")
    img_u8 = img.astype("uint8")
    ints = rng.integers(0, 6, (4, 3))
    words = np.array([["a", "b", "c"], ["b", "zz", "a"], ["c", "c", "q"]])
    texts = np.array(["The cat sat on the mat.", "A dog! A cat?", "the the dog"])
    out = []
    for name, kwargs, expr, adapt in json.loads(sys.argv[1]):
        if isinstance(kwargs.get("ngrams"), list):
            kwargs["ngrams"] = tuple(kwargs["ngrams"])
        layer = getattr(layers, name)(**kwargs)
        if adapt is not None:
            layer.adapt(eval(adapt))
        value = layer(eval(expr), training=False)
        out.append([np.asarray(value, np.float64).tolist(), str(np.asarray(value).dtype)])
    print(json.dumps(out))
""")


def _layer_outputs(python, imports):
    proc = subprocess.run([python, "-c", LAYER_SCRIPT.format(imports=imports),
                           json.dumps(PARITY)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_same_outputs_as_keras():
    from tests.conftest import require_tf_python
    theirs = _layer_outputs(require_tf_python(), "from keras import layers")
    import sys
    ours = _layer_outputs(sys.executable, "from rill.keras.layers import preprocessing as layers")
    for case, (a, a_dtype), (b, b_dtype) in zip(PARITY, theirs, ours):
        if case[0] in ("IntegerLookup", "StringLookup", "TextVectorization") and \
                case[1].get("output_mode") in ("one_hot", "multi_hot", "count"):
            a_dtype = "float32"  # Keras 3.15 gives int64 here; rill float32, as tf.keras 2
        assert a_dtype == b_dtype, (case, a_dtype, b_dtype)
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-4,
                                   err_msg=str(case))




def test_docstring_examples():
    import doctest
    import types

    from rill.keras.layers.preprocessing import (
        _utils,
        categorical,
        image,
        image_random,
        index_lookup,
        numerical,
        text_vectorization,
    )
    namespace = types.SimpleNamespace(layers=P)  # until keras.layers exports these names
    for module in (_utils, categorical, image, image_random, index_lookup, numerical,
                   text_vectorization):
        result = doctest.testmod(module, extraglobs={"tf": tf, "keras": namespace, "np": np},
                                 optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__
