"""A small scale-permuted backbone in the spirit of SpineNet (Du et al. 2019, arXiv:1912.05027).

A ResNet (:mod:`bench.models.resnet`) only ever lowers resolution; SpineNet
keeps the same kind of residual blocks but *permutes* their order, so the
resolution goes down **and up** through the network, and each block may take
its inputs from any earlier blocks at other scales (cross-scale connections).
Features from several scales are merged at the end.  The paper reports that
SpineNet-49 reaches higher COCO AP than ResNet-50-FPN with fewer FLOPs; the
``spinenet-vs-resnet`` suite asks whether the idea helps a small classifier.

Here a block sits at a ``level``: level ℓ has the stem output's resolution
divided by 2^ℓ (rounded up).  Block *i* takes ``inputs`` (indices of earlier
blocks; default the previous block, the stem for block 0), resamples each to
its level and width and sums them, then applies a basic residual block (two
3×3 convolutions and an identity shortcut).  Resampling, as in the paper, is
a 1×1 convolution plus nearest-neighbour upsampling or max-pooling: the 1×1
convolution (only when the width differs) runs at the lower of the two
resolutions, so it costs as little as possible.  Blocks marked ``output`` are
brought to ``head_filters`` channels (1×1 convolution where needed), upsampled
to the finest output level, averaged, globally average-pooled and classified
by one dense layer.

FLOPs (2 × MACs): residual block ``2·H·W·F·9·F``, resampling 1×1 convolution
``H·W·C_in·C_out`` at the lower resolution, dense ``head_filters·classes``;
additions, pooling and upsampling are not counted.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bench.models import ACTIVATIONS, OUTPUT_ACTIVATIONS
from bench.models.checks import error_at
from bench.models.cnn import Fraction
from bench.models.resnet import BatchNormMomentum, Stem, conv_bn, residual_block, stem

MAX_LEVEL = 7


class SpineBlock(BaseModel):
    """One residual block at a ``level``, fed by earlier blocks (``inputs``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    level: Annotated[int, Field(ge=0, le=MAX_LEVEL)]
    inputs: list[Annotated[int, Field(ge=0)]] = Field(
        default=[], description="indices of earlier blocks; empty: the previous block (block 0: the stem)"
    )
    filters: Optional[Annotated[int, Field(ge=1)]] = Field(
        default=None, description="width; null: level_filters[level]"
    )
    output: bool = False


class Config(BaseModel):
    """``stem`` → permuted ``blocks`` with cross-scale inputs → merged outputs → dense."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["scale_permuted"] = "scale_permuted"
    stem: Stem = Stem()
    level_filters: list[Annotated[int, Field(ge=1)]] = Field(
        default=[16, 32, 64, 128], min_length=1, description="block width at each level"
    )
    blocks: list[SpineBlock] = Field(min_length=1)
    head_filters: Optional[Annotated[int, Field(ge=1)]] = Field(
        default=None, description="merged feature width; null: the widest output block's"
    )
    batch_norm: bool = True
    batch_norm_momentum: BatchNormMomentum = 0.9
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]
    dropout: Fraction = 0.0
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "softmax"  # type: ignore[valid-type]

    @field_validator("blocks", mode="wrap")
    @classmethod
    def _wiring(cls, value: Any, handler: Any, info: ValidationInfo) -> list[SpineBlock]:
        """Catch wiring mistakes now, not as a Keras shape error after data loading."""
        blocks: list[SpineBlock] = handler(value)
        level_filters = info.data.get("level_filters") or []
        used: set[int] = set()
        for i, block in enumerate(blocks):
            if i == 0 and block.inputs:
                raise error_at((0, "inputs"), block.inputs, "must be empty: the first block is fed by the stem")
            for parent in block.inputs:
                if parent >= i:
                    raise error_at(
                        (i, "inputs"), parent, f"not an earlier block; allowed: 0..{i - 1}"
                    )
            used.update(block.inputs or [i - 1])
            if block.filters is None and block.level >= len(level_filters):
                raise error_at(
                    (i, "level"), block.level,
                    f"level_filters has {len(level_filters)} entries (levels "
                    f"0..{len(level_filters) - 1}); lengthen level_filters or give the block filters",
                )
        outputs = [i for i, b in enumerate(blocks) if b.output]
        if not outputs:
            raise error_at((), value, "no block has output: true; mark the blocks whose features are classified")
        for i in range(len(blocks)):
            if i not in used and i not in outputs:
                raise error_at(
                    (i,), value[i] if isinstance(value, list) else None,
                    "feeds no later block and is not an output; use it as an input or set output: true",
                )
        return blocks

    def norm(self) -> Optional[float]:
        """The batch-norm momentum, or None without batch-norm (what the builders take)."""
        return self.batch_norm_momentum if self.batch_norm else None

    def parents(self, index: int) -> list[int]:
        """The blocks feeding block ``index`` (-1: the stem), defaults resolved."""
        block = self.blocks[index]
        return list(block.inputs) if block.inputs else [index - 1]

    def width(self, index: int) -> int:
        """Block ``index``'s number of filters, defaults resolved."""
        block = self.blocks[index]
        return block.filters if block.filters is not None else self.level_filters[block.level]


def _stem_size(config: Config, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """The stem output's spatial size (level 0), as Keras' 'same' padding computes it."""
    height, width = int(input_shape[0]), int(input_shape[1])
    stride = config.stem.stride
    height, width = math.ceil(height / stride), math.ceil(width / stride)
    pool = min(config.stem.pool, height, width)
    if pool > 1:
        height, width = math.ceil(height / pool), math.ceil(width / pool)
    return height, width


def level_size(stem_size: int, level: int) -> int:
    """Spatial size of a level: the stem output's divided by 2**level, rounded up."""
    return math.ceil(stem_size / 2**level)


def resample(x: Any, level_from: int, level_to: int, filters: int, size: tuple[int, int],
             batch_norm: Optional[float]) -> Any:
    """Bring a feature map to another level and width: 1×1 conv at the lower resolution."""
    from keras import layers

    if level_to > level_from:  # down: pool first, so the 1×1 conv runs on the small map
        factor = 2 ** (level_to - level_from)
        x = layers.MaxPooling2D(factor, strides=factor, padding="same")(x)
    if x.shape[-1] != filters:
        x = conv_bn(x, filters, 1, 1, batch_norm)
    if level_to < level_from:  # up: nearest neighbour to the exact target size
        x = layers.Resizing(size[0], size[1], interpolation="nearest")(x)
    return x


def block_features(inputs: Any, config: Config) -> list[Any]:
    """The stem and the permuted blocks on ``inputs``: every block's output, in block order
    (also the multi-scale features an SSD's heads take directly)."""
    from keras import layers

    base = stem(inputs, config.stem, config.norm(), config.activation)
    height, width = int(base.shape[1]), int(base.shape[2])

    def size_of(level: int) -> tuple[int, int]:
        return level_size(height, level), level_size(width, level)

    features: list[Any] = []
    for i, block in enumerate(config.blocks):
        filters = config.width(i)
        parents = [(base, 0)] if i == 0 else [
            (features[p], config.blocks[p].level) for p in config.parents(i)
        ]
        resampled = [
            resample(x, level, block.level, filters, size_of(block.level), config.norm())
            for x, level in parents
        ]
        x = resampled[0] if len(resampled) == 1 else layers.Add()(resampled)
        if len(resampled) > 1:
            x = layers.Activation(config.activation)(x)
        features.append(residual_block(x, filters, 1, "basic", config.norm(), config.activation))
    return features


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Build the backbone and its classifier for ``input_shape`` and ``num_classes``."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    features = block_features(inputs, config)
    height, width = _stem_size(config, input_shape)

    def size_of(level: int) -> tuple[int, int]:
        return level_size(height, level), level_size(width, level)

    outputs = [i for i, b in enumerate(config.blocks) if b.output]
    head = config.head_filters or max(config.width(i) for i in outputs)
    finest = min(config.blocks[i].level for i in outputs)
    merged = [
        resample(features[i], config.blocks[i].level, finest, head, size_of(finest), config.norm())
        for i in outputs
    ]
    x = merged[0] if len(merged) == 1 else layers.Average()(merged)
    x = layers.GlobalAveragePooling2D()(x)
    if config.dropout > 0:
        x = layers.Dropout(config.dropout)(x)
    outputs_ = layers.Dense(num_classes, activation=config.output_activation)(x)
    return keras.Model(inputs, outputs_, name="scale_permuted")
