"""The configurable CNN: blocks of convolutions, then a dense head.

The classic Keras CIFAR-10 network is two blocks of two 3×3 convolutions with
max-pooling and dropout, a 512-wide dense layer and a softmax: every part of
it is a field here, so a suite's variants can change any of them by key path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from bench.models import ACTIVATIONS, OUTPUT_ACTIVATIONS

Kernel = Union[Annotated[int, Field(ge=1)], tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]]
Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


class Block(BaseModel):
    """``convs`` convolutions of one width, optional batch-norm, pooling, dropout."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    filters: Annotated[int, Field(ge=1)]
    kernel: Kernel = 3
    convs: Annotated[int, Field(ge=1)] = 1
    stride: Annotated[int, Field(ge=1)] = 1
    padding: Literal["same", "valid"] = "same"
    activation: Optional[Literal[ACTIVATIONS]] = None  # type: ignore[valid-type]
    batch_norm: bool = False
    pool: Annotated[int, Field(ge=0)] = 2
    pool_type: Literal["max", "avg"] = "max"
    dropout: Fraction = 0.0


class Config(BaseModel):
    """A plain CNN: ``blocks`` → flatten (or global pooling) → ``dense`` → output."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["cnn"] = "cnn"
    blocks: list[Block] = Field(min_length=1)
    dense: list[Annotated[int, Field(ge=1)]] = []
    dense_dropout: Fraction = 0.0
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "softmax"  # type: ignore[valid-type]
    global_pool: Optional[Literal["avg", "max"]] = None


def conv_block(x: Any, block: Block, default_activation: str) -> Any:
    """Apply one block to tensor ``x`` (shared by the families built on it)."""
    from keras import layers

    activation = block.activation or default_activation
    for i in range(block.convs):
        x = layers.Conv2D(
            block.filters,
            block.kernel,
            strides=block.stride if i == 0 else 1,
            padding=block.padding,
            use_bias=not block.batch_norm,
        )(x)
        if block.batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.Activation(activation)(x)
    if block.pool > 1:
        pool_cls = layers.MaxPooling2D if block.pool_type == "max" else layers.AveragePooling2D
        size = min(block.pool, x.shape[1], x.shape[2])
        if size > 1:
            x = pool_cls(size)(x)
    if block.dropout > 0:
        x = layers.Dropout(block.dropout)(x)
    return x


def dense_head(x: Any, widths: list[int], dropout: float, activation: str) -> Any:
    """Dense layers with dropout after each (the classifier before the output)."""
    from keras import layers

    for width in widths:
        x = layers.Dense(width, activation=activation)(x)
        if dropout > 0:
            x = layers.Dropout(dropout)(x)
    return x


def conv_trunk(inputs: Any, blocks: list[Block], activation: str, global_pool: Optional[str]) -> Any:
    """The blocks, then flatten or global pooling: the features a head classifies."""
    from keras import layers

    x = inputs
    for block in blocks:
        x = conv_block(x, block, activation)
    if global_pool == "avg":
        return layers.GlobalAveragePooling2D()(x)
    if global_pool == "max":
        return layers.GlobalMaxPooling2D()(x)
    return layers.Flatten()(x)


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Build the CNN for ``input_shape`` (H, W, C) and ``num_classes`` outputs."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = conv_trunk(inputs, config.blocks, config.activation, config.global_pool)
    x = dense_head(x, config.dense, config.dense_dropout, config.activation)
    outputs = layers.Dense(num_classes, activation=config.output_activation)(x)
    return keras.Model(inputs, outputs, name="cnn")
