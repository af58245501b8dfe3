"""Merging layers and their functional forms against NumPy."""

import numpy as np
import pytest

from rill import keras


@pytest.fixture
def abc(rng):
    return [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3)]


@pytest.mark.parametrize("cls, fn, ref", [
    (keras.layers.Add, keras.layers.add, lambda xs: xs[0] + xs[1] + xs[2]),
    (keras.layers.Multiply, keras.layers.multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (keras.layers.Average, keras.layers.average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (keras.layers.Maximum, keras.layers.maximum, lambda xs: np.maximum.reduce(xs)),
    (keras.layers.Minimum, keras.layers.minimum, lambda xs: np.minimum.reduce(xs)),
])
def test_elementwise_merges(cls, fn, ref, abc):
    np.testing.assert_allclose(cls()(abc).numpy(), ref(abc), rtol=1e-6)
    np.testing.assert_allclose(fn(abc).numpy(), ref(abc), rtol=1e-6)


def test_subtract_needs_exactly_two(abc):
    np.testing.assert_allclose(keras.layers.subtract(abc[:2]).numpy(), abc[0] - abc[1])
    with pytest.raises(ValueError, match="(?s)exactly 2 inputs.*hint"):
        keras.layers.Subtract()(abc)


def test_inputs_of_lower_rank_get_axes_after_the_batch(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(keras.layers.Add()([a, b]).numpy(), a + b[:, None, :])


def test_incompatible_shapes_and_non_lists_are_refused():
    with pytest.raises(ValueError, match="(?s)incompatible shapes.*hint"):
        keras.layers.Add()([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="(?s)list of inputs.*hint"):
        keras.layers.Add()(np.ones((2, 3)))


def test_concatenate(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 1, 4)).astype(np.float32)
    np.testing.assert_array_equal(keras.layers.Concatenate(axis=1)([a, b]).numpy(),
                                  np.concatenate([a, b], 1))
    np.testing.assert_array_equal(keras.layers.concatenate([a, a]).numpy(),
                                  np.concatenate([a, a], -1))
    with pytest.raises(ValueError, match="(?s)matching shapes except.*hint"):
        keras.layers.Concatenate()([a, b])
    x, y = keras.Input((3,)), keras.Input((5,))
    assert keras.layers.concatenate([x, y], name="cat").shape.as_list() == [None, 8]


def test_dot_products_and_cosine_similarity(rng):
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(keras.layers.Dot(axes=1)([a, b]).numpy(),
                               (a * b).sum(1, keepdims=True), rtol=1e-5)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(keras.layers.dot([a, b], axes=1, normalize=True).numpy(),
                               cos[:, None], rtol=1e-5)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = rng.standard_normal((2, 3, 5)).astype(np.float32)
    np.testing.assert_allclose(keras.layers.Dot(axes=(1, 1))([x, y]).numpy(),
                               np.einsum("bij,bik->bjk", x, y), rtol=1e-5, atol=1e-6)
    z = rng.standard_normal((2, 5, 4)).astype(np.float32)
    np.testing.assert_allclose(keras.layers.Dot(axes=2)([x, z]).numpy(),
                               np.einsum("bij,bkj->bik", x, z), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="(?s)axis 1 of .* is 3 but axis 1 of .* is 5.*hint"):
        keras.layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 5))])


def test_merge_masks():
    m1 = np.array([[True, False, True]])
    m2 = np.array([[True, True, False]])
    x = np.ones((1, 3, 2), np.float32)
    np.testing.assert_array_equal(keras.layers.Add().compute_mask([x, x], [m1, m2]).numpy(),
                                  [[True, False, False]])
    assert keras.layers.Add().compute_mask([x, x], [None, None]) is None
    cat = keras.layers.Concatenate().compute_mask([x, x], [m1, None]).numpy()
    np.testing.assert_array_equal(cat, [[True, True, True]])  # Keras 3: any over the axis
