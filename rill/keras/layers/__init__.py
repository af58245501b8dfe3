"""`keras.layers`: every public layer, the functional API's `Input`, and
`serialize`/`deserialize`/`get` for layer configs.

>>> layer = keras.layers.deserialize(keras.layers.serialize(keras.layers.Dense(3)))
>>> type(layer).__name__, layer.units
('Dense', 3)
"""

from rill.keras.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from rill.keras.layers.attention import AdditiveAttention, Attention
from rill.keras.layers.base_layer import Layer
from rill.keras.layers.bidirectional import Bidirectional
from rill.keras.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from rill.keras.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from rill.keras.layers.core import Activation, Dense, Identity
from rill.keras.layers.einsum_dense import EinsumDense
from rill.keras.layers.embedding import Embedding
from rill.keras.layers.gru import GRU, GRUCell
from rill.keras.layers.input_layer import Input, InputLayer, KerasTensor
from rill.keras.layers.input_spec import InputSpec
from rill.keras.layers.lambda_layer import Lambda
from rill.keras.layers.lstm import LSTM, LSTMCell
from rill.keras.layers.masking import Masking
from rill.keras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from rill.keras.layers.multi_head_attention import GroupQueryAttention, MultiHeadAttention
from rill.keras.layers.normalization import BatchNormalization, LayerNormalization
from rill.keras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from rill.keras.layers.preprocessing import (
    PREPROCESSING_LAYERS,
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    StringLookup,
    TextVectorization,
)
from rill.keras.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
)
from rill.keras.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from rill.keras.layers.reshaping_spatial import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from rill.keras.layers.rnn import RNN, StackedRNNCells
from rill.keras.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from rill.keras.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from rill.keras.layers.time_distributed import TimeDistributed
from rill.keras.saving.serialization import (
    deserialize_keras_object,
    make_get,
    serialize_keras_object,
)

_LAYERS = (Layer, InputLayer, Dense, Activation, Identity, Lambda, Flatten, Reshape, Permute,
           RepeatVector, Dropout, AlphaDropout, GaussianNoise, GaussianDropout,
           ActivityRegularization, BatchNormalization, LayerNormalization, Embedding,
           Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot, ReLU,
           LeakyReLU, PReLU, ELU, Softmax, RNN, StackedRNNCells, SimpleRNN, SimpleRNNCell,
           LSTM, LSTMCell, GRU, GRUCell, Bidirectional, TimeDistributed, ConvLSTM1D,
           ConvLSTM2D, ConvLSTM3D, Masking, Attention, AdditiveAttention, MultiHeadAttention,
           GroupQueryAttention, EinsumDense, Conv1D, Conv2D, Conv3D, Conv1DTranspose,
           Conv2DTranspose, Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
           SeparableConv2D, MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D,
           AveragePooling2D, AveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
           GlobalMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
           GlobalAveragePooling3D, Cropping1D, Cropping2D, Cropping3D, UpSampling1D,
           UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
           SpatialDropout1D, SpatialDropout2D, SpatialDropout3D) + PREPROCESSING_LAYERS

# Keras' other names for the same classes
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)


def _module_objects() -> dict:
    objects = {cls.__name__: cls for cls in _LAYERS}
    objects["InputSpec"] = InputSpec
    # tf.keras 2's layers that are models live in keras.models (loaded on demand)
    import importlib
    models = importlib.import_module("rill.keras.models")
    for name in ("Model", "Sequential", "Functional"):
        if hasattr(models, name):
            objects[name] = getattr(models, name)
    return objects


def serialize(layer) -> dict:
    """The layer's config in Keras 3's format (`module`, `class_name`, `config`)."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer that `config` (from `serialize`, or tf.keras 2's `{"class_name", "config"}`)
    describes; custom layers are found through `custom_objects` or registration."""
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=_module_objects(),
                                    printable_module_name="layer")


get = make_get(_module_objects, "layer")
