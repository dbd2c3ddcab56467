"""A small ResNet-style backbone: a stem, then stages of residual blocks, scale-decreasing.

He et al. 2015 (arXiv:1512.03385).  Resolution only goes *down* (each stage's
first block may stride), which is what SpineNet's scale-permuted backbone
(:mod:`bench.models.scale_permuted`) is compared against.  Classification:
global average pooling of the last stage, optional dropout, one dense layer.

Blocks: ``basic`` (two 3×3 convolutions, width F) or ``bottleneck`` (1×1 to F,
3×3 at F, 1×1 to 4F; the stride sits on the 3×3, as in "ResNet v1.5").  The
shortcut is the identity when shape is kept, else a strided 1×1 convolution
(counted in FLOPs); batch-norm follows every convolution when ``batch_norm``,
with momentum 0.9 by default (see ``BatchNormMomentum``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from bench.models import ACTIVATIONS, OUTPUT_ACTIVATIONS
from bench.models.cnn import Fraction, Kernel

BOTTLENECK_EXPANSION = 4
# 0.9 (PyTorch's default), not Keras' 0.99: with 0.99 the moving statistics need
# hundreds of steps to forget their initial values, and a short CPU run then
# evaluates at chance accuracy although it trained well.
BatchNormMomentum = Annotated[float, Field(gt=0.0, lt=1.0)]


class Stem(BaseModel):
    """The first convolution (and optional max-pooling) before any residual block."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    filters: Annotated[int, Field(ge=1)] = 16
    kernel: Kernel = 3
    stride: Annotated[int, Field(ge=1)] = 1
    pool: Annotated[int, Field(ge=0)] = 0


class Stage(BaseModel):
    """``blocks`` residual blocks of width ``filters``; the first one strides by ``stride``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    filters: Annotated[int, Field(ge=1)]
    blocks: Annotated[int, Field(ge=1)] = 2
    stride: Annotated[int, Field(ge=1)] = 2


class Config(BaseModel):
    """``stem`` → ``stages`` → global average pooling → dropout → dense output."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["resnet"] = "resnet"
    stem: Stem = Stem()
    stages: list[Stage] = Field(min_length=1)
    block: Literal["basic", "bottleneck"] = "basic"
    batch_norm: bool = True
    batch_norm_momentum: BatchNormMomentum = 0.9
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]
    dropout: Fraction = 0.0
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "softmax"  # type: ignore[valid-type]

    def norm(self) -> Optional[float]:
        """The batch-norm momentum, or None without batch-norm (what the builders take)."""
        return self.batch_norm_momentum if self.batch_norm else None


def conv_bn(x: Any, filters: int, kernel: Any, stride: int, batch_norm: Optional[float]) -> Any:
    """Convolution ('same' padding), then batch-norm with momentum ``batch_norm`` unless None."""
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=batch_norm is None)(x)
    return layers.BatchNormalization(momentum=batch_norm)(x) if batch_norm is not None else x


def residual_block(
    x: Any, filters: int, stride: int, kind: str, batch_norm: Optional[float], activation: str
) -> Any:
    """One residual block; a 1×1 projection shortcut when stride or width changes."""
    from keras import layers

    out_width = filters * BOTTLENECK_EXPANSION if kind == "bottleneck" else filters
    shortcut = x
    if stride != 1 or x.shape[-1] != out_width:
        shortcut = conv_bn(x, out_width, 1, stride, batch_norm)
    if kind == "bottleneck":
        y = layers.Activation(activation)(conv_bn(x, filters, 1, 1, batch_norm))
        y = layers.Activation(activation)(conv_bn(y, filters, 3, stride, batch_norm))
        y = conv_bn(y, out_width, 1, 1, batch_norm)
    else:
        y = layers.Activation(activation)(conv_bn(x, filters, 3, stride, batch_norm))
        y = conv_bn(y, filters, 3, 1, batch_norm)
    return layers.Activation(activation)(layers.Add()([shortcut, y]))


def stem(x: Any, config: Stem, batch_norm: Optional[float], activation: str) -> Any:
    """The stem convolution, activation and optional max-pooling."""
    from keras import layers

    x = layers.Activation(activation)(conv_bn(x, config.filters, config.kernel, config.stride, batch_norm))
    size = min(config.pool, x.shape[1], x.shape[2])
    if size > 1:
        x = layers.MaxPooling2D(size, padding="same")(x)
    return x


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Build the backbone and its classifier for ``input_shape`` and ``num_classes``."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = stem(inputs, config.stem, config.norm(), config.activation)
    for stage in config.stages:
        for i in range(stage.blocks):
            x = residual_block(
                x, stage.filters, stage.stride if i == 0 else 1, config.block,
                config.norm(), config.activation,
            )
    x = layers.GlobalAveragePooling2D()(x)
    if config.dropout > 0:
        x = layers.Dropout(config.dropout)(x)
    outputs = layers.Dense(num_classes, activation=config.output_activation)(x)
    return keras.Model(inputs, outputs, name="resnet")
