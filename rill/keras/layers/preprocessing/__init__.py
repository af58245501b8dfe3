"""Preprocessing layers: numerical (Normalization, Rescaling, Discretization), image
(Resizing, CenterCrop and the random augmentations), categorical (CategoryEncoding, Hashing,
IntegerLookup, StringLookup) and text (TextVectorization). Each works inside models and in
tf.data pipelines (`dataset.map(layer)`)."""

from rill.keras.layers.preprocessing.categorical import CategoryEncoding, Hashing
from rill.keras.layers.preprocessing.image import CenterCrop, Resizing
from rill.keras.layers.preprocessing.image_random import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from rill.keras.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from rill.keras.layers.preprocessing.numerical import Discretization, Normalization, Rescaling
from rill.keras.layers.preprocessing.text_vectorization import TextVectorization

PREPROCESSING_LAYERS = (
    Normalization, Rescaling, Discretization, Resizing, CenterCrop, RandomFlip,
    RandomRotation, RandomZoom, RandomTranslation, RandomContrast, RandomBrightness,
    RandomCrop, CategoryEncoding, Hashing, IntegerLookup, StringLookup, TextVectorization,
)

__all__ = [cls.__name__ for cls in PREPROCESSING_LAYERS] + ["PREPROCESSING_LAYERS"]
