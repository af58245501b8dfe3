"""`keras.datasets`: Keras' small benchmark datasets, downloaded once (through
`keras.utils.get_file`) into `~/.keras/datasets/` and parsed as Keras does."""

from rill.keras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
           "imdb", "mnist", "reuters"]
