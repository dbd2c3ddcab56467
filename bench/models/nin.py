"""Network in network (Lin, Chen & Yan 2013, arXiv:1312.4400): mlpconv blocks, no dense head.

An *mlpconv* block is a k×k convolution followed by 1×1 convolutions — a small
multilayer perceptron slid over every position, which the seed homework
suggests for ImageNet.  After the last block a 1×1 convolution makes one map
per class and global average pooling turns each map into that class's score,
so the network has no dense layers: far fewer parameters than a CNN with a
dense head, and the score maps keep spatial meaning.

FLOPs (2 × MACs): k×k conv ``H·W·F·k²·C_in``, each 1×1 conv ``H·W·C_out·C_in``,
the class map ``H·W·classes·C_last``; pooling is not counted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from bench.models import ACTIVATIONS, OUTPUT_ACTIVATIONS
from bench.models.cnn import Fraction, Kernel

Width = Annotated[int, Field(ge=1)]


class MlpConv(BaseModel):
    """A k×k convolution, then 1×1 convolutions (``mlp`` widths), pooling and dropout."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    filters: Width
    kernel: Kernel = 3
    stride: Annotated[int, Field(ge=1)] = 1
    mlp: Optional[list[Width]] = Field(
        default=None,
        description="widths of the 1×1 convolutions; null: two as wide as filters (the paper's)",
    )
    batch_norm: bool = False
    pool: Annotated[int, Field(ge=0)] = 2
    pool_type: Literal["max", "avg"] = "max"
    dropout: Fraction = 0.0

    def widths(self) -> list[int]:
        """The 1×1 convolutions' widths, defaults resolved."""
        return list(self.mlp) if self.mlp is not None else [self.filters, self.filters]


class Config(BaseModel):
    """mlpconv ``blocks`` → 1×1 class maps → global average pooling → output activation."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["nin"] = "nin"
    blocks: list[MlpConv] = Field(min_length=1)
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "softmax"  # type: ignore[valid-type]


def _conv(x: Any, filters: int, kernel: Any, stride: int, batch_norm: bool, activation: str) -> Any:
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=not batch_norm)(x)
    if batch_norm:
        x = layers.BatchNormalization()(x)
    return layers.Activation(activation)(x)


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Build the network for ``input_shape`` (H, W, C) and ``num_classes`` outputs."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = inputs
    for block in config.blocks:
        x = _conv(x, block.filters, block.kernel, block.stride, block.batch_norm, config.activation)
        for width in block.widths():
            x = _conv(x, width, 1, 1, block.batch_norm, config.activation)
        size = min(block.pool, x.shape[1], x.shape[2])
        if size > 1:
            pool_cls = layers.MaxPooling2D if block.pool_type == "max" else layers.AveragePooling2D
            x = pool_cls(size)(x)
        if block.dropout > 0:
            x = layers.Dropout(block.dropout)(x)
    x = layers.Conv2D(num_classes, 1, name="class_maps")(x)  # one map per class
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Activation(config.output_activation, name="scores")(x)
    return keras.Model(inputs, outputs, name="nin")
