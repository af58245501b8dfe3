"""Argument checking shared by the spatial layers (convolution, pooling, padding,
cropping, upsampling): Keras 3's normalizations and error messages, with a hint."""

from __future__ import annotations

from rill.keras import backend


def int_tuple(value, rank: int, name: str, who: str, allow_zero: bool = False) -> tuple:
    """An int or a sequence of `rank` ints as a tuple (Keras' `standardize_tuple`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if values is None or len(values) != rank or \
                not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError(f"{who}: the `{name}` argument must be a tuple of {rank} "
                             f"integers. Received {name}={value!r}.\nhint: pass an int or "
                             f"{rank} ints, e.g. {name}={(2,) * rank if rank > 1 else 2}.")
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        raise ValueError(f"{who}: the `{name}` argument must be a tuple of {rank} integers "
                         f"{'>= 0' if allow_zero else '> 0'}. Received {name}={value!r}.\n"
                         f"hint: sizes, strides and rates are positive.")
    return values


def padding_mode(padding, who: str, allow_causal: bool = False) -> str:
    """'valid', 'same' (or 'causal' for 1-D convolutions), lower case."""
    mode = str(padding).lower() if isinstance(padding, str) else None
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if mode not in allowed:
        raise ValueError(f"{who}: the `padding` argument must be a value in {set(allowed)}. "
                         f"Received: padding={padding!r}.\nhint: 'same' keeps the size at "
                         f"stride 1; 'valid' pads nothing"
                         f"{'; causal pads on the left only' if allow_causal else ''}.")
    return mode


def data_format(value, who: str) -> str:
    """'channels_last' or 'channels_first' (None: the backend's image_data_format)."""
    value = backend.image_data_format() if value is None else str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{who}: the `data_format` argument must be one of "
                         f"{{'channels_first', 'channels_last'}}. Received: "
                         f"data_format={value!r}.\nhint: channels_last is (batch, *spatial, "
                         f"channels).")
    return value


def tf_format(fmt: str, rank: int) -> str:
    """TensorFlow's data_format string ('NHWC', 'NCDHW', ...) for a layer's data_format."""
    spatial = "DHW"[3 - rank:]
    return f"NC{spatial}" if fmt == "channels_first" else f"N{spatial}C"


def spatial_dims(shape: list, fmt: str) -> list:
    """The spatial sizes of a full (batch first) shape."""
    return shape[2:] if fmt == "channels_first" else shape[1:-1]


def with_spatial(shape: list, spatial: list, channels, fmt: str) -> list:
    """A full shape from the batch of `shape`, new spatial sizes and a channel count."""
    if fmt == "channels_first":
        return [shape[0], channels, *spatial]
    return [shape[0], *spatial, channels]


def conv_length(n, k: int, padding: str, stride: int, dilation: int = 1):
    """The output length of a convolution or pooling window over n (None stays None)."""
    if n is None:
        return None
    if padding == "valid":
        return max((n - (k - 1) * dilation - 1) // stride + 1, 0)
    return (n - 1) // stride + 1  # same and causal


def deconv_length(n, k: int, padding: str, stride: int, output_padding, dilation: int = 1):
    """The output length of a transposed convolution (Keras' rule)."""
    if n is None:
        return None
    k = (k - 1) * dilation + 1
    if output_padding is None:
        return n * stride + max(k - stride, 0) if padding == "valid" else n * stride
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding
