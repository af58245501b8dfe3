"""tf.image: values against NumPy references (the resampling matrices of specs_image.py) or
TensorFlow values (noted), errors, traced code with unknown sizes, gradients, and parity
with TensorFlow when RILL_TF_PYTHON names a TensorFlow interpreter."""

import json
import textwrap

import numpy as np
import pytest

import rill as tf
from tests.conftest import require_tf_python, run_json
from tests.ops import specs_image as S

pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def _images(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, shape).astype(np.float32)


# -- resize ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method, matrix", [("bilinear", S.bilinear_matrix),
                                            ("nearest", S.nearest_matrix),
                                            ("bicubic", S.bicubic_matrix),
                                            ("area", S.area_matrix)])
@pytest.mark.parametrize("size", [(3, 7), (8, 2), (5, 5)])
def test_resize_matches_the_sampling_rules(method, matrix, size):
    x = _images(2, 5, 4, 3)
    got = tf.image.resize(x, size, method=method)
    np.testing.assert_allclose(got, S.resized(x.astype(np.float64), size, matrix), rtol=1e-5,
                               atol=1e-5)
    assert got.dtype == tf.float32


def test_resize_values_noted_from_tensorflow():
    x = np.arange(12.0).reshape(1, 3, 4, 1)
    # TensorFlow 2.21: tf.image.resize(x, [2, 3]) and with antialias=True
    np.testing.assert_allclose(tf.image.resize(x, [2, 3]).numpy().ravel(),
                               [1.1666666, 2.5, 3.8333335, 7.166667, 8.5, 9.833334], rtol=1e-6)
    np.testing.assert_allclose(tf.image.resize(x, [2, 3], antialias=True).numpy().ravel(),
                               [1.8, 3.0, 4.2, 6.8, 8.0, 9.2], rtol=1e-6)
    bicubic = tf.image.resize(x, [4, 5], method="bicubic").numpy().ravel()
    np.testing.assert_allclose(bicubic[:5], [-0.25207904, 0.43937087, 1.2910448, 2.1427186,
                                             2.8341687], rtol=1e-5)


def test_antialias_reduction_is_a_normalized_triangle():
    x = _images(1, 9, 7, 2)
    got = tf.image.resize(x, [4, 3], antialias=True)
    np.testing.assert_allclose(got, S.resized(x.astype(np.float64), (4, 3), S.triangle_matrix),
                               rtol=1e-5, atol=1e-6)


def test_kernel_methods_keep_constants_and_shapes():
    x = np.full((2, 6, 5, 1), 3.0, np.float32)
    for method in ("lanczos3", "lanczos5", "gaussian", "mitchellcubic"):
        for aa in (False, True):
            y = tf.image.resize(x, [4, 9], method=method, antialias=aa)
            assert y.shape == (2, 4, 9, 1)
            np.testing.assert_allclose(y, 3.0, rtol=1e-6)


def test_resize_dtypes_and_single_images():
    u8 = (np.arange(2 * 3 * 4 * 1) % 256).astype(np.uint8).reshape(2, 3, 4, 1)
    assert tf.image.resize(u8, [5, 5], method="nearest").dtype == tf.uint8
    assert tf.image.resize(u8, [5, 5]).dtype == tf.float32
    assert tf.image.resize(u8.astype(np.float64), [5, 5]).dtype == tf.float32
    single = tf.image.resize(u8[0], [6, 8], method="nearest")
    assert single.shape == (6, 8, 1)
    np.testing.assert_array_equal(single, u8[0].repeat(2, 0).repeat(2, 1))


def test_preserve_aspect_ratio_and_resize_with_pad():
    x = _images(1, 4, 8, 1)
    assert tf.image.resize(x, [6, 6], preserve_aspect_ratio=True).shape == (1, 3, 6, 1)
    padded = tf.image.resize_with_pad(x, 6, 6)
    assert padded.shape == (1, 6, 6, 1)
    np.testing.assert_allclose(padded[0, 1:4, :, 0], tf.image.resize(x, [3, 6])[0, :, :, 0])
    np.testing.assert_array_equal(padded.numpy()[0, [0, 4, 5]], 0)


def test_resize_errors_name_the_function_and_argument():
    with pytest.raises(ValueError, match=r"tf\.image\.resize.*rank 3 or 4[\s\S]*hint"):
        tf.image.resize(np.zeros((2, 2)), [1, 1])
    with pytest.raises(ValueError, match=r"method must be one of[\s\S]*hint"):
        tf.image.resize(np.zeros((2, 2, 1)), [1, 1], method="cubic")
    with pytest.raises(ValueError, match=r"'size'[\s\S]*hint"):
        tf.image.resize(np.zeros((2, 2, 1)), [1, 2, 3])


def test_resize_traced_with_unknown_sizes():
    f = tf.function(lambda x: tf.image.resize(x, [3, 2]),
                    input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])
    x = _images(2, 5, 7, 1)
    np.testing.assert_allclose(f(x), tf.image.resize(x, [3, 2]), rtol=1e-6)


@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic", "area"])
def test_resize_gradient_is_the_transposed_map(method):
    x = tf.constant(_images(1, 4, 3, 2).astype(np.float64))
    w = np.random.default_rng(1).standard_normal((1, 6, 5, 2))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.image.resize(x, [6, 5], method=method)
        loss = tf.reduce_sum(tf.cast(y, tf.float64) * w)
    matrix = {"bilinear": S.bilinear_matrix, "nearest": S.nearest_matrix,
              "bicubic": S.bicubic_matrix, "area": S.area_matrix}[method]
    np.testing.assert_allclose(tape.gradient(loss, x), S.resized_grad(w, x.numpy(), matrix),
                               rtol=1e-5, atol=1e-6)


# -- crops, pads, flips, rotations ------------------------------------------------------------
def test_crop_pad_and_central_crop():
    x = np.arange(2 * 5 * 6 * 1, dtype=np.float32).reshape(2, 5, 6, 1)
    np.testing.assert_array_equal(tf.image.crop_to_bounding_box(x, 1, 2, 3, 4), x[:, 1:4, 2:6])
    np.testing.assert_array_equal(tf.image.pad_to_bounding_box(x[0], 2, 1, 8, 8),
                                  np.pad(x[0], ((2, 1), (1, 1), (0, 0))))
    # central_crop starts at int((size - size * fraction) / 2)
    np.testing.assert_array_equal(tf.image.central_crop(x, 0.5), x[:, 1:4, 1:5])
    np.testing.assert_array_equal(tf.image.central_crop(x, 1.0), x)
    np.testing.assert_array_equal(tf.image.resize_with_crop_or_pad(x, 3, 8),
                                  np.pad(x[:, 1:4], ((0, 0), (0, 0), (1, 1), (0, 0))))


def test_crop_and_pad_errors():
    x = np.zeros((4, 4, 1))
    with pytest.raises(ValueError, match=r"crop_to_bounding_box: height must be >= target "
                                         r"\+ offset[\s\S]*hint"):
        tf.image.crop_to_bounding_box(x, 2, 0, 3, 2)
    with pytest.raises(ValueError, match=r"target_width must be > 0"):
        tf.image.crop_to_bounding_box(x, 0, 0, 1, 0)
    with pytest.raises(ValueError, match=r"pad_to_bounding_box: target_width must be >= "):
        tf.image.pad_to_bounding_box(x, 0, 2, 6, 5)
    with pytest.raises(ValueError, match=r"central_fraction must be within \(0, 1\]"):
        tf.image.central_crop(x, 0.0)


def test_crops_traced_with_unknown_sizes():
    sig = [tf.TensorSpec([None, None, 1], tf.float32)]
    x = np.arange(30, dtype=np.float32).reshape(5, 6, 1)
    crop = tf.function(lambda v: tf.image.central_crop(v, 0.5), input_signature=sig)
    np.testing.assert_array_equal(crop(x), x[1:4, 1:5])
    box = tf.function(lambda v: tf.image.crop_to_bounding_box(v, 1, 1, 2, 2),
                      input_signature=sig)
    np.testing.assert_array_equal(box(x), x[1:3, 1:3])


def test_flips_rot90_transpose():
    x = np.arange(2 * 3 * 4 * 2).reshape(2, 3, 4, 2)
    np.testing.assert_array_equal(tf.image.flip_left_right(x), x[:, :, ::-1])
    np.testing.assert_array_equal(tf.image.flip_up_down(x[0]), x[0, ::-1])
    np.testing.assert_array_equal(tf.image.transpose(x), x.transpose(0, 2, 1, 3))
    for k in range(-2, 6):
        np.testing.assert_array_equal(tf.image.rot90(x, k), np.rot90(x, k, axes=(1, 2)))
        np.testing.assert_array_equal(tf.image.rot90(x[1], k), np.rot90(x[1], k))
    traced = tf.function(lambda v, k: tf.image.rot90(v, k))
    np.testing.assert_array_equal(traced(x, tf.constant(3)), np.rot90(x, 3, axes=(1, 2)))


def test_random_flips_are_per_image_and_seeded():
    x = np.arange(8 * 2 * 3 * 1, dtype=np.float32).reshape(8, 2, 3, 1)
    tf.random.set_seed(7)
    a = tf.image.random_flip_left_right(x, seed=3).numpy()
    tf.random.set_seed(7)
    b = tf.image.random_flip_left_right(x, seed=3).numpy()
    np.testing.assert_array_equal(a, b)
    flipped = [np.array_equal(a[i], x[i, :, ::-1]) for i in range(8)]
    assert all(f or np.array_equal(a[i], x[i]) for i, f in enumerate(flipped))
    s1 = tf.image.stateless_random_flip_up_down(x, seed=[1, 2])
    np.testing.assert_array_equal(s1, tf.image.stateless_random_flip_up_down(x, seed=[1, 2]))


# -- color and dtype --------------------------------------------------------------------------
def test_convert_image_dtype():
    u8 = np.array([0, 1, 128, 255], np.uint8)
    np.testing.assert_allclose(tf.image.convert_image_dtype(u8, tf.float32), u8 / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(tf.image.convert_image_dtype(u8, tf.int32),
                                  u8.astype(np.int32) << 23)  # scale (2^31) / 2^8
    np.testing.assert_array_equal(tf.image.convert_image_dtype(u8.astype(np.uint16) * 257,
                                                               tf.uint8), u8)
    f = np.array([-0.5, 0.0, 0.5, 1.0, 1.5], np.float32)
    np.testing.assert_array_equal(tf.image.convert_image_dtype(f, tf.uint8, saturate=True),
                                  np.clip(f * 255.5, 0, 255).astype(np.uint8))
    assert tf.image.convert_image_dtype(f, tf.float64).dtype == tf.float64
    with pytest.raises(TypeError, match="float or integer dtype"):
        tf.image.convert_image_dtype(f, tf.bool)


def test_brightness_contrast_grayscale_standardization():
    x = _images(2, 3, 4, 3)
    np.testing.assert_allclose(tf.image.adjust_brightness(x, 0.1), x + 0.1, rtol=1e-6)
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(x, 1.7), (x - mean) * 1.7 + mean,
                               rtol=1e-5, atol=1e-6)
    u8 = (x * 255).astype(np.uint8)
    np.testing.assert_array_equal(tf.image.adjust_brightness(u8, 0.5),
                                  np.clip(u8 / 255.0 + 0.5, 0, 1) * 255.5 // 1)
    gray = x @ np.array([0.2989, 0.5870, 0.1140])
    np.testing.assert_allclose(tf.image.rgb_to_grayscale(x)[..., 0], gray, rtol=1e-5)
    assert tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x)).shape == x.shape
    std = np.maximum(x.std(axis=(1, 2, 3), keepdims=True), 1 / np.sqrt(36))
    np.testing.assert_allclose(tf.image.per_image_standardization(x),
                               (x - x.mean(axis=(1, 2, 3), keepdims=True)) / std, rtol=1e-5,
                               atol=1e-6)
    flat = tf.image.per_image_standardization(np.ones((2, 2, 1), np.uint8))
    assert flat.dtype == tf.float32 and np.all(flat.numpy() == 0)


def test_random_brightness_and_contrast_stay_in_their_ranges():
    x = _images(3, 4, 1)
    delta = tf.image.random_brightness(x, 0.2, seed=1) - x
    assert np.allclose(delta, delta[0, 0, 0], atol=1e-6) and abs(float(delta[0, 0, 0])) <= 0.2
    y = tf.image.random_contrast(x, 0.5, 0.6, seed=1).numpy()
    factor = (y - x.mean()) / (x - x.mean())
    assert np.allclose(factor, factor[0, 0, 0], rtol=1e-3) and 0.5 <= factor[0, 0, 0] < 0.6


def test_color_ops_inside_tf_data():
    images = _images(4, 6, 6, 3)
    ds = tf.data.Dataset.from_tensor_slices(images).map(
        lambda im: tf.image.resize(tf.image.flip_left_right(im), [3, 3]))
    got = np.stack(list(ds.as_numpy_iterator()))
    np.testing.assert_allclose(got, tf.image.resize(images[:, :, ::-1], [3, 3]), rtol=1e-6)


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
PARITY_CASES = [
    "tf.image.resize(f, [3, 4])", "tf.image.resize(f, [9, 11], method='bicubic')",
    "tf.image.resize(u8, [3, 5], method='nearest')", "tf.image.resize(f64, [4, 3], 'area')",
    "tf.image.resize(f, [2, 3], antialias=True)",
    "tf.image.resize(f, [3, 2], method='bicubic', antialias=True)",
    "tf.image.resize(f, [7, 9], method='lanczos3')",
    "tf.image.resize(f, [3, 3], method='gaussian', antialias=True)",
    "tf.image.resize(f, [6, 4], method='mitchellcubic')",
    "tf.image.resize(f, [3, 4], preserve_aspect_ratio=True)",
    "tf.image.resize_with_pad(f, 10, 3)", "tf.image.resize_with_pad(u8, 4, 12, 'nearest')",
    "tf.image.resize_with_crop_or_pad(f, 3, 9)", "tf.image.central_crop(f, 0.33)",
    "tf.image.central_crop(f[0], 0.7)", "tf.image.crop_to_bounding_box(f, 1, 2, 3, 3)",
    "tf.image.pad_to_bounding_box(f, 1, 2, 9, 9)", "tf.image.rot90(f, 3)",
    "tf.image.transpose(f)", "tf.image.convert_image_dtype(u8, tf.float32)",
    "tf.image.convert_image_dtype(u8, tf.int16)",
    "tf.image.convert_image_dtype(f * 2 - 0.5, tf.uint8, saturate=True)",
    "tf.image.per_image_standardization(u8)", "tf.image.per_image_standardization(f64)",
    "tf.image.adjust_contrast(u8, 1.7)", "tf.image.adjust_brightness(u8, -0.3)",
    "tf.image.adjust_brightness(f64, 0.2)", "tf.image.rgb_to_grayscale(u8)",
    "tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(f))",
]
PARITY_SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import {module} as tf
    rng = np.random.default_rng(0)
    u8 = tf.constant(rng.integers(0, 256, (2, 5, 7, 3)).astype(np.uint8))
    f = tf.constant(rng.uniform(0, 1, (2, 5, 7, 3)).astype(np.float32))
    f64 = tf.constant(rng.uniform(0, 1, (2, 5, 7, 3)))
    out = {{}}
    for case in json.loads(sys.argv[1]):
        value = eval(case)
        out[case] = [np.asarray(value, np.float64).tolist(), value.dtype.name]
    print(json.dumps(out))
""")


def _run(python, module):
    return run_json(python, PARITY_SCRIPT.format(module=module), json.dumps(PARITY_CASES))


def test_same_values_as_tensorflow():
    python = require_tf_python()
    theirs = _run(python, "tensorflow")
    import sys
    ours = _run(sys.executable, "rill")
    for case in PARITY_CASES:
        (a, a_dtype), (b, b_dtype) = theirs[case], ours[case]
        assert a_dtype == b_dtype, case
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-4,
                                   err_msg=case)


def test_docstring_examples():
    import doctest

    from rill.ops import image_ops
    result = doctest.testmod(image_ops, extraglobs={"tf": tf, "np": np})
    assert result.attempted > 0 and result.failed == 0
