"""Embedding: lookup, mask, input_length, errors."""

import numpy as np
import pytest

import rill as tf
from rill import keras


def test_embedding_looks_up_rows():
    emb = keras.layers.Embedding(4, 3)
    ids = np.array([[0, 3, 3], [1, 2, 0]])
    y = emb(ids).numpy()
    (table,) = emb.get_weights()
    np.testing.assert_array_equal(y, table[ids])
    assert np.all(np.abs(table) <= 0.05)  # "uniform": RandomUniform(-0.05, 0.05)
    np.testing.assert_array_equal(emb(ids.astype(np.float32)).numpy(), table[ids])


def test_embedding_gradient_reaches_the_looked_up_rows_only():
    emb = keras.layers.Embedding(4, 2, embeddings_initializer="ones")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(np.array([[1, 1, 3]])))
    (grad,) = tape.gradient(loss, emb.trainable_weights)
    np.testing.assert_array_equal(tf.convert_to_tensor(grad).numpy(),
                                  [[0, 0], [2, 2], [0, 0], [1, 1]])


def test_mask_zero_and_input_length():
    emb = keras.layers.Embedding(10, 2, mask_zero=True, input_length=3)
    assert emb.batch_input_shape == (None, 3) and emb.supports_masking
    np.testing.assert_array_equal(emb.compute_mask(np.array([[0, 4, 0]])).numpy(),
                                  [[False, True, False]])
    assert keras.layers.Embedding(10, 2).compute_mask(np.array([[0]])) is None
    model = keras.Sequential([emb, keras.layers.Flatten()])
    assert model(np.array([[1, 2, 3]])).shape == (1, 6)


def test_embedding_errors():
    with pytest.raises(ValueError, match="(?s)input_dim must be a positive integer.*hint"):
        keras.layers.Embedding(0, 2)
    with pytest.raises(Exception, match="5"):
        keras.layers.Embedding(3, 2)(np.array([[5]]))
