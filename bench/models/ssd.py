"""SSD (Liu et al. 2016, arXiv:1512.02325): multi-scale feature maps, 3×3 heads, MultiBox loss.

A VGG-style backbone (blocks of 3×3 convolutions, each block after the first opening
with 2×2 max-pooling) yields feature maps at falling resolutions; the blocks named in
``feature_blocks`` feed the heads, and ``extras`` add further maps after the last one,
each a 1×1 reduction and a strided 3×3 convolution, as the paper's conv8_2..conv11_2.
On every map a 3×3 convolution predicts, per default box, ``classes + 1`` scores
(column 0: background) and a 4-number box encoding (:mod:`bench.detection.encoding`).
The network has one output, ``(batch, boxes, classes + 1 + 4)``: scores, then offsets.

The loss is the paper's: smooth L1 on the offsets of matched boxes plus softmax
cross-entropy on matched boxes and the hardest background boxes (``neg_pos_ratio``
of them per positive, by loss), divided by the number of matched boxes of the batch;
``negatives: all`` uses every background box instead.  Targets come from NumPy
matching (:func:`targets`), made once per dataset.

TensorFlow and Keras are imported inside functions only, so configurations validate,
and default boxes are computed, without them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional, Sequence, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bench.detection.default_boxes import boxes_per_location, default_boxes, ssd_scales
from bench.detection.encoding import encode_batch
from bench.detection.nms import Detections, postprocess
from bench.models import ACTIVATIONS

__all__ = ["Config", "anchors", "build", "feature_sizes", "make_loss", "predict_detections", "targets"]

Positive = Annotated[int, Field(ge=1)]
Ratio = Annotated[float, Field(gt=0.0)]


class ConvBlock(BaseModel):
    """``convs`` 3×3 convolutions of ``filters`` channels, after 2×2 max-pooling if ``pool``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    filters: Positive
    convs: Positive = 2
    pool: bool = True


class ExtraLayer(BaseModel):
    """One extra feature map: 1×1 to ``reduce`` channels, then a 3×3 convolution of
    ``filters`` channels with ``stride``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    filters: Positive
    reduce: Optional[Positive] = Field(default=None, description="null: filters // 2")
    stride: Positive = 2


DEFAULT_BACKBONE = [
    ConvBlock(filters=16, convs=1, pool=False),
    ConvBlock(filters=32),
    ConvBlock(filters=64),
    ConvBlock(filters=64),
]


class Config(BaseModel):
    """An SSD: backbone blocks, which of them (plus extras) feed the heads, default boxes,
    loss and post-processing."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["ssd"] = "ssd"
    backbone: list[ConvBlock] = Field(default_factory=lambda: [b.model_copy() for b in DEFAULT_BACKBONE],
                                      min_length=1)  # fmt: skip
    feature_blocks: list[int] = Field(
        default=[-1], min_length=1, description="backbone blocks whose outputs feed heads; -1: the last"
    )
    extras: list[ExtraLayer] = []
    batch_norm: bool = True
    # Keras' default 0.99 leaves the moving statistics far from the data after the few
    # hundred steps of a small run, and detections made in inference mode then fail
    batch_norm_momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]
    aspect_ratios: Union[list[Ratio], list[list[Ratio]]] = Field(
        default=[1.0, 2.0, 0.5], description="one list for every map, or one list per map"
    )
    extra_square: bool = True
    scales: Optional[list[Annotated[float, Field(gt=0.0)]]] = Field(
        default=None, description="maps + 1 scales; null: linear from s_min to s_max"
    )
    s_min: Annotated[float, Field(gt=0.0, le=1.0)] = 0.2
    s_max: Annotated[float, Field(gt=0.0, le=1.5)] = 0.9
    match_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    variances: tuple[Annotated[float, Field(gt=0.0)], Annotated[float, Field(gt=0.0)]] = (0.1, 0.2)
    negatives: Literal["hard", "all"] = "hard"
    neg_pos_ratio: Annotated[float, Field(gt=0.0)] = 3.0
    loc_weight: Annotated[float, Field(ge=0.0)] = 1.0
    score_threshold: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.01
    nms_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.45
    top_k: Positive = 200
    max_detections: Positive = 100

    @model_validator(mode="after")
    def _consistent(self) -> "Config":
        blocks = self.feature_block_indices
        if blocks != sorted(set(blocks)) or not all(0 <= b < len(self.backbone) for b in blocks):
            raise ValueError(
                f"feature_blocks must be distinct backbone block indices in rising order, below "
                f"{len(self.backbone)}. Received: {self.feature_blocks}"
            )
        if blocks[-1] != len(self.backbone) - 1:
            raise ValueError(
                f"the last backbone block ({len(self.backbone) - 1}) must feed a head, or the "
                f"blocks after the last feature map are wasted. Received feature_blocks: {self.feature_blocks}"
            )
        maps = len(blocks) + len(self.extras)
        if self.aspect_ratios and isinstance(self.aspect_ratios[0], list):
            if len(self.aspect_ratios) != maps:
                raise ValueError(
                    f"aspect_ratios needs one list per feature map ({maps}). Received: {len(self.aspect_ratios)}"
                )
        if self.scales is not None and len(self.scales) != maps + 1:
            raise ValueError(f"scales needs feature maps + 1 = {maps + 1} values. Received: {len(self.scales)}")
        if self.s_min > self.s_max:
            raise ValueError(f"s_min must not exceed s_max. Received: {self.s_min} > {self.s_max}")
        return self

    @property
    def feature_block_indices(self) -> list[int]:
        return [len(self.backbone) + i if i < 0 else i for i in self.feature_blocks]

    @property
    def num_maps(self) -> int:
        return len(self.feature_blocks) + len(self.extras)

    def ratios_per_map(self) -> list[list[float]]:
        if self.aspect_ratios and isinstance(self.aspect_ratios[0], list):
            return [list(r) for r in self.aspect_ratios]  # type: ignore[arg-type]
        return [list(self.aspect_ratios) for _ in range(self.num_maps)]  # type: ignore[arg-type]

    def scale_list(self) -> list[float]:
        return list(self.scales) if self.scales is not None else ssd_scales(self.num_maps, self.s_min, self.s_max)


# -- geometry, without TensorFlow ---------------------------------------------------------
def feature_sizes(config: Config, input_shape: Sequence[int]) -> list[tuple[int, int]]:
    """``(height, width)`` of every map that feeds a head, finest first ('same' padding:
    each halving rounds up)."""
    height, width = int(input_shape[0]), int(input_shape[1])
    sizes = []
    for index, block in enumerate(config.backbone):
        if block.pool:
            height, width = math.ceil(height / 2), math.ceil(width / 2)
        if index in config.feature_block_indices:
            sizes.append((height, width))
    for extra in config.extras:
        height, width = math.ceil(height / extra.stride), math.ceil(width / extra.stride)
        sizes.append((height, width))
    return sizes


def anchors(config: Config, input_shape: Sequence[int]) -> np.ndarray:
    """The default boxes (A, 4), centre form, normalised, in the order the network predicts."""
    return default_boxes(feature_sizes(config, input_shape), config.scale_list(), config.ratios_per_map(),
                         extra_square=config.extra_square)  # fmt: skip


def targets(
    config: Config, input_shape: Sequence[int], boxes: Sequence[np.ndarray], labels: Sequence[np.ndarray]
) -> np.ndarray:
    """Training targets ``(N, A, 5)`` float32 -- matched class (0 background), then the four
    encoded offsets -- for images of ``input_shape`` with pixel ``boxes`` and ``labels``."""
    height, width = float(input_shape[0]), float(input_shape[1])
    scale = np.array([width, height, width, height])
    normalised = [np.asarray(b, dtype=np.float64).reshape(-1, 4) / scale for b in boxes]
    classes, offsets = encode_batch(normalised, labels, anchors(config, input_shape),
                                    config.match_iou, config.variances)  # fmt: skip
    return np.concatenate([classes[..., None].astype(np.float32), offsets], axis=-1)


# -- Keras ---------------------------------------------------------------------------------
def _conv(x: Any, filters: int, kernel: int, stride: int, config: Config, name: str) -> Any:
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=not config.batch_norm,
                      name=name)(x)  # fmt: skip
    if config.batch_norm:
        x = layers.BatchNormalization(momentum=config.batch_norm_momentum, name=f"{name}_bn")(x)
    return layers.Activation(config.activation, name=f"{name}_act")(x)


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """The SSD for images of ``input_shape`` (H, W, C) and ``num_classes`` object classes.

    Output: ``(batch, A, num_classes + 1 + 4)`` -- class logits (background first), then
    box offsets, for the ``A`` default boxes of :func:`anchors`.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = inputs
    features = []
    for index, block in enumerate(config.backbone):
        if block.pool:
            x = layers.MaxPooling2D(2, padding="same", name=f"block{index}_pool")(x)
        for conv in range(block.convs):
            x = _conv(x, block.filters, 3, 1, config, f"block{index}_conv{conv}")
        if index in config.feature_block_indices:
            features.append(x)
    for index, extra in enumerate(config.extras):
        x = _conv(x, extra.reduce or max(1, extra.filters // 2), 1, 1, config, f"extra{index}_reduce")
        x = _conv(x, extra.filters, 3, extra.stride, config, f"extra{index}_conv")
        features.append(x)
    class_columns = num_classes + 1
    scores, offsets = [], []
    for index, (feature, ratios) in enumerate(zip(features, config.ratios_per_map())):
        per_cell = boxes_per_location(ratios, config.extra_square)
        s = layers.Conv2D(per_cell * class_columns, 3, padding="same", name=f"head{index}_classes")(feature)
        o = layers.Conv2D(per_cell * 4, 3, padding="same", name=f"head{index}_boxes")(feature)
        scores.append(layers.Reshape((-1, class_columns), name=f"head{index}_classes_flat")(s))
        offsets.append(layers.Reshape((-1, 4), name=f"head{index}_boxes_flat")(o))
    joined_scores = scores[0] if len(scores) == 1 else layers.Concatenate(axis=1, name="classes")(scores)
    joined_offsets = offsets[0] if len(offsets) == 1 else layers.Concatenate(axis=1, name="boxes")(offsets)
    outputs = layers.Concatenate(axis=-1, name="ssd")([joined_scores, joined_offsets])
    model = keras.Model(inputs, outputs, name="ssd")
    expected = anchors(config, input_shape).shape[0]
    if model.output_shape[1] != expected:  # the geometry above and the layers must agree
        raise AssertionError(f"SSD predicts {model.output_shape[1]} boxes but has {expected} default boxes")
    return model


def make_loss(config: Config, num_classes: int) -> Any:
    """The MultiBox loss for targets from :func:`targets` and outputs of :func:`build`."""
    import keras
    from keras import ops

    class_columns = num_classes + 1
    hard = config.negatives == "hard"
    ratio = float(config.neg_pos_ratio)
    loc_weight = float(config.loc_weight)

    class MultiBoxLoss(keras.losses.Loss):
        """Per image: (classification + loc_weight × localisation) × batch / matched boxes in
        the batch, so Keras' mean over the batch is the paper's sum divided by N."""

        def call(self, y_true: Any, y_pred: Any) -> Any:
            y_pred = ops.cast(y_pred, "float32")
            labels = ops.cast(y_true[..., 0], "int32")
            positive = ops.cast(labels > 0, "float32")
            logits = y_pred[..., :class_columns]
            cross_entropy = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
            difference = ops.abs(y_true[..., 1:] - y_pred[..., class_columns:])
            smooth_l1 = ops.sum(ops.where(difference < 1.0, 0.5 * difference**2, difference - 0.5), axis=-1)
            positives = ops.sum(positive, axis=-1)  # per image
            if hard:
                # rank background boxes by their loss; keep the ratio × positives hardest
                background_loss = ops.where(labels > 0, -1.0, cross_entropy)
                rank = ops.argsort(ops.argsort(-background_loss, axis=-1), axis=-1)
                limit = ops.minimum(ratio * positives, ops.cast(ops.shape(labels)[-1], "float32") - positives)
                negative = ops.cast(ops.cast(rank, "float32") < limit[:, None], "float32") * (1.0 - positive)
                weight = positive + negative
            else:
                weight = ops.ones_like(positive)
            per_image = ops.sum(cross_entropy * weight, axis=-1) + loc_weight * ops.sum(smooth_l1 * positive, axis=-1)
            batch = ops.cast(ops.shape(labels)[0], "float32")
            return per_image * batch / ops.maximum(ops.sum(positives), 1.0)

    return MultiBoxLoss(name="multibox")


def predict_detections(
    model: Any, config: Config, images: np.ndarray, batch_size: int = 256
) -> list[Detections]:
    """Detections in pixels for ``images`` (already preprocessed as in training)."""
    input_shape = images.shape[1:]
    raw = np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float64)
    num_columns = raw.shape[-1] - 4
    logits = raw[..., :num_columns]
    logits -= logits.max(axis=-1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    boxes = anchors(config, input_shape)
    return [
        postprocess(p, o, boxes, score_threshold=config.score_threshold, iou_threshold=config.nms_iou,
                    top_k=config.top_k, max_detections=config.max_detections, variances=config.variances,
                    image_size=(float(input_shape[0]), float(input_shape[1])))  # fmt: skip
        for p, o in zip(probabilities, raw[..., num_columns:])
    ]
