"""SSD (Liu et al. 2016, arXiv:1512.02325): multi-scale feature maps, 3×3 heads, MultiBox loss.

The backbone yields candidate feature maps at falling resolutions, finest first:

* a list of VGG-style blocks (3×3 convolutions, each block after the first opening with
  2×2 max-pooling; the default): every block's output;
* ``{family: cnn, blocks: [...]}``: every block's output (pooling included);
* ``{family: resnet, stem: ..., stages: [...]}``: every stage's output;
* ``{family: scale_permuted, blocks: [...]}``: every block marked ``output``, finest
  level first -- SpineNet's multi-scale outputs feed the heads directly;
* ``{family: keras_app, name: VGG16}``: the last layer at each resolution of the
  application without its top (VGG16: block1_conv2 … block4_conv3, block5_conv3,
  block5_pool; ``feature_blocks: [3, 4]`` is SSD300's conv4_3 and the 19×19 map).
  Random weights only (``weights: null``), as everywhere in bench.

Only the backbone part of those families' settings is used (their classifier keys are
ignored).  The candidates named in ``feature_blocks`` feed the heads (default: the last;
for ``scale_permuted`` every output); ``top_down: F`` adds an FPN-style top-down path
over them (1×1 laterals to F channels, nearest-neighbour upsampling and addition from
the coarsest map down, a 3×3 convolution on each sum); ``extras`` add further maps after
the last backbone map, each a 1×1 reduction and a strided 3×3 convolution, as the
paper's conv8_2..conv11_2.
On every map a 3×3 convolution predicts, per default box, ``classes + 1`` scores
(column 0: background) and a 4-number box encoding (:mod:`bench.detection.encoding`).
The network has one output, ``(batch, boxes, classes + 1 + 4)``: scores, then offsets.

The loss is the paper's: smooth L1 on the offsets of matched boxes plus softmax
cross-entropy on matched boxes and the hardest background boxes (``neg_pos_ratio``
of them per positive, by loss), divided by the number of matched boxes of the batch;
``negatives: all`` uses every background box instead.  Targets come from NumPy
matching (:func:`targets`), made once per dataset.

TensorFlow and Keras are imported inside functions only, so configurations validate
without them; the default boxes follow the sizes of the maps the built network's heads
see (:func:`model_feature_sizes`), and for a VGG-style block list also without
TensorFlow (:func:`feature_sizes`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional, Sequence, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from bench.detection.default_boxes import boxes_per_location, default_boxes, ssd_scales
from bench.detection.encoding import encode_batch
from bench.detection.nms import Detections, postprocess
from bench.models import ACTIVATIONS
from bench.models import cnn, keras_app, resnet, scale_permuted

__all__ = [
    "Config", "anchors", "build", "feature_sizes", "make_loss", "model_feature_sizes", "predict_detections",
    "raw_detections", "targets",
]  # fmt: skip

#: The model's task (:mod:`bench.tasks.detection`).
TASK = "detection"

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


def _backbone_kind(value: Any) -> str:
    """``vgg`` for a block list, else the family a mapping (or config) names."""
    if isinstance(value, list):
        return "vgg"
    family = value.get("family") if isinstance(value, dict) else getattr(value, "family", None)
    return str(family) if family in BACKBONE_FAMILIES else "unknown"


#: Families whose networks serve as backbones (their classifier keys are ignored).
BACKBONE_FAMILIES = ("cnn", "resnet", "scale_permuted", "keras_app")
#: A VGG-style block list, or a backbone from another family, chosen by shape and ``family``;
#: an unknown family is one clear error, not one per candidate.
Backbone = Annotated[
    Union[
        Annotated[list[ConvBlock], Tag("vgg")],
        Annotated[cnn.Config, Tag("cnn")],
        Annotated[resnet.Config, Tag("resnet")],
        Annotated[scale_permuted.Config, Tag("scale_permuted")],
        Annotated[keras_app.Config, Tag("keras_app")],
    ],
    Discriminator(
        _backbone_kind,
        custom_error_type="backbone_kind",
        custom_error_message=(
            "must be a list of VGG-style blocks or a mapping with family: "
            + ", ".join(BACKBONE_FAMILIES)
        ),
    ),
]


class Config(BaseModel):
    """An SSD: a backbone, which of its maps (plus extras) feed the heads, default boxes,
    loss and post-processing."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["ssd"] = "ssd"
    backbone: Backbone = Field(
        default_factory=lambda: [b.model_copy() for b in DEFAULT_BACKBONE],
        description="VGG-style blocks, or {family: cnn|resnet|scale_permuted|keras_app, ...}",
    )
    feature_blocks: Optional[list[int]] = Field(
        default=None, min_length=1,
        description="candidate maps that feed heads (negative: from the end); null: the last "
        "(scale_permuted: every output)",
    )
    top_down: Optional[Positive] = Field(default=None, description="width of an FPN-style top-down path")
    input_scale: Annotated[float, Field(gt=0.0, le=8.0)] = Field(
        default=1.0, description="the network first resizes its input by this factor (SSD300 → SSD512: 1.7)"
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
        if isinstance(self.backbone, list) and not self.backbone:
            raise ValueError("backbone needs at least one block")
        candidates = self.candidate_count
        blocks = self.feature_block_indices
        if candidates is not None:
            if blocks != sorted(set(blocks)) or not all(0 <= b < candidates for b in blocks):
                raise ValueError(
                    f"feature_blocks must be distinct indices of the backbone's {candidates} candidate "
                    f"maps in rising order (0..{candidates - 1}, or negative from the end). "
                    f"Received: {self.feature_blocks}"
                )
            if blocks[-1] != candidates - 1 and self.backbone_family != "scale_permuted":
                raise ValueError(
                    f"the last backbone map ({candidates - 1}) must feed a head, or the layers after "
                    f"the last feature map are wasted. Received feature_blocks: {self.feature_blocks}"
                )
        elif blocks != sorted(set(blocks)):
            raise ValueError(f"feature_blocks must be distinct and in rising order. Received: {self.feature_blocks}")
        if self.backbone_family == "keras_app" and self.backbone.weights is not None:  # type: ignore[union-attr]
            raise ValueError("backbone.weights must be null: bench never downloads weights")
        maps = self.num_maps
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
    def backbone_family(self) -> str:
        """``vgg`` for a block list, else the backbone's family name."""
        return "vgg" if isinstance(self.backbone, list) else str(self.backbone.family)

    @property
    def candidate_count(self) -> Optional[int]:
        """How many candidate maps the backbone offers (None: known only once built, keras_app)."""
        backbone = self.backbone
        if isinstance(backbone, list):
            return len(backbone)
        if isinstance(backbone, cnn.Config):
            return len(backbone.blocks)
        if isinstance(backbone, resnet.Config):
            return len(backbone.stages)
        if isinstance(backbone, scale_permuted.Config):
            return sum(1 for b in backbone.blocks if b.output)
        return None

    @property
    def feature_block_indices(self) -> list[int]:
        """The chosen candidate maps, negative indices resolved (keras_app: as written)."""
        count = self.candidate_count
        chosen = self.feature_blocks
        if chosen is None:
            chosen = list(range(count)) if self.backbone_family == "scale_permuted" and count else [-1]
        if count is None:
            return list(chosen)
        return [count + i if i < 0 else i for i in chosen]

    @property
    def num_maps(self) -> int:
        return len(self.feature_block_indices) + len(self.extras)

    def ratios_per_map(self) -> list[list[float]]:
        if self.aspect_ratios and isinstance(self.aspect_ratios[0], list):
            return [list(r) for r in self.aspect_ratios]  # type: ignore[arg-type]
        return [list(self.aspect_ratios) for _ in range(self.num_maps)]  # type: ignore[arg-type]

    def scale_list(self) -> list[float]:
        return list(self.scales) if self.scales is not None else ssd_scales(self.num_maps, self.s_min, self.s_max)


# -- geometry, without TensorFlow ---------------------------------------------------------
def feature_sizes(config: Config, input_shape: Sequence[int]) -> list[tuple[int, int]]:
    """``(height, width)`` of every map that feeds a head, finest first ('same' padding:
    each halving rounds up), for a VGG-style block list (other backbones: from the built
    network, :func:`model_feature_sizes`)."""
    if not isinstance(config.backbone, list):
        raise ValueError("feature sizes without TensorFlow are known for a VGG-style block list only")
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


Sizes = Sequence[tuple[int, int]]


def anchors(config: Config, input_shape: Sequence[int], sizes: Optional[Sizes] = None) -> np.ndarray:
    """The default boxes (A, 4), centre form, normalised, in the order the network predicts.

    ``sizes``: the maps' ``(height, width)`` (:func:`model_feature_sizes`); None computes
    them for a VGG-style block list.
    """
    if sizes is None:
        sizes = feature_sizes(config, input_shape)
    return default_boxes(list(sizes), config.scale_list(), config.ratios_per_map(),
                         extra_square=config.extra_square)  # fmt: skip


def targets(
    config: Config, input_shape: Sequence[int], boxes: Sequence[np.ndarray], labels: Sequence[np.ndarray],
    sizes: Optional[Sizes] = None,
) -> np.ndarray:  # fmt: skip
    """Training targets ``(N, A, 5)`` float32 -- matched class (0 background), then the four
    encoded offsets -- for images of ``input_shape`` with pixel ``boxes`` and ``labels``."""
    height, width = float(input_shape[0]), float(input_shape[1])
    scale = np.array([width, height, width, height])
    normalised = [np.asarray(b, dtype=np.float64).reshape(-1, 4) / scale for b in boxes]
    classes, offsets = encode_batch(normalised, labels, anchors(config, input_shape, sizes),
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


def _vgg_maps(x: Any, config: Config) -> list[Any]:
    from keras import layers

    maps = []
    for index, block in enumerate(config.backbone):  # type: ignore[arg-type]
        if block.pool:
            x = layers.MaxPooling2D(2, padding="same", name=f"block{index}_pool")(x)
        for conv in range(block.convs):
            x = _conv(x, block.filters, 3, 1, config, f"block{index}_conv{conv}")
        maps.append(x)
    return maps


def _resnet_maps(x: Any, backbone: resnet.Config) -> list[Any]:
    x = resnet.stem(x, backbone.stem, backbone.norm(), backbone.activation)
    maps = []
    for stage in backbone.stages:
        for i in range(stage.blocks):
            x = resnet.residual_block(x, stage.filters, stage.stride if i == 0 else 1, backbone.block,
                                      backbone.norm(), backbone.activation)  # fmt: skip
        maps.append(x)
    return maps


def _keras_app_maps(inputs: Any, backbone: keras_app.Config) -> list[Any]:
    """The last layer at each spatial resolution of the application without its top."""
    import keras

    base = keras_app.base_model(backbone, tuple(int(d) for d in inputs.shape[1:]))
    base = keras.Model(base.inputs, [layer.output for layer in base.layers[1:]])  # every layer's output
    outputs = base(inputs)
    last_at: dict[tuple[int, int], Any] = {}
    for output in outputs:
        shape = output.shape
        if len(shape) != 4:
            continue
        last_at.pop((shape[1], shape[2]), None)  # keep insertion order = depth order
        last_at[(shape[1], shape[2])] = output
    return list(last_at.values())


def backbone_maps(inputs: Any, config: Config) -> list[Any]:
    """Every candidate feature map of the backbone, finest first (see the module docstring)."""
    backbone = config.backbone
    if isinstance(backbone, list):
        return _vgg_maps(inputs, config)
    if isinstance(backbone, cnn.Config):
        maps, x = [], inputs
        for block in backbone.blocks:
            x = cnn.conv_block(x, block, backbone.activation)
            maps.append(x)
        return maps
    if isinstance(backbone, resnet.Config):
        return _resnet_maps(inputs, backbone)
    if isinstance(backbone, scale_permuted.Config):
        features = scale_permuted.block_features(inputs, backbone)
        outputs = [i for i, b in enumerate(backbone.blocks) if b.output]
        outputs.sort(key=lambda i: backbone.blocks[i].level)  # stable: finest level first
        return [features[i] for i in outputs]
    return _keras_app_maps(inputs, backbone)


def _top_down(maps: list[Any], width: int, config: Config) -> list[Any]:
    """FPN's top-down path (Lin et al. 2017): laterals, upsample-and-add, 3×3 smoothing."""
    from keras import layers

    lateral = [_conv(m, width, 1, 1, config, f"fpn_lateral{i}") for i, m in enumerate(maps)]
    merged = [lateral[-1]]
    for i in range(len(maps) - 2, -1, -1):
        target = lateral[i]
        up = layers.Resizing(int(target.shape[1]), int(target.shape[2]), interpolation="nearest",
                             name=f"fpn_up{i}")(merged[0])  # fmt: skip
        merged.insert(0, layers.Add(name=f"fpn_add{i}")([target, up]))
    return [_conv(m, width, 3, 1, config, f"fpn_out{i}") for i, m in enumerate(merged)]


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """The SSD for images of ``input_shape`` (H, W, C) and ``num_classes`` object classes.

    Output: ``(batch, A, num_classes + 1 + 4)`` -- class logits (background first), then
    box offsets, for the ``A`` default boxes of :func:`anchors` at the sizes of
    :func:`model_feature_sizes`.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = inputs
    if config.input_scale != 1.0:  # boxes are normalised: only the resolution the network sees changes
        x = layers.Resizing(max(1, round(input_shape[0] * config.input_scale)),
                            max(1, round(input_shape[1] * config.input_scale)), name="input_resize")(x)  # fmt: skip
    candidates = backbone_maps(x, config)
    chosen = config.feature_block_indices
    if not all(-len(candidates) <= i < len(candidates) for i in chosen):
        raise ValueError(
            f"feature_blocks {config.feature_blocks} name maps the backbone does not have: it offers "
            f"{len(candidates)} (0..{len(candidates) - 1})"
        )
    features = [candidates[i] for i in chosen]
    x = features[-1]
    if config.top_down:
        features = _top_down(features, config.top_down, config)
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
    expected = anchors(config, input_shape, model_feature_sizes(model)).shape[0]
    if model.output_shape[1] != expected:  # the geometry and the layers must agree
        raise AssertionError(f"SSD predicts {model.output_shape[1]} boxes but has {expected} default boxes")
    return model


def model_feature_sizes(model: Any) -> list[tuple[int, int]]:
    """``(height, width)`` of the maps the heads of a built SSD see, in prediction order."""
    sizes = []
    index = 0
    while True:
        try:
            layer = model.get_layer(f"head{index}_classes")
        except ValueError:
            break
        shape = layer.output.shape
        sizes.append((int(shape[1]), int(shape[2])))
        index += 1
    if not sizes:
        raise ValueError(f"model {getattr(model, 'name', '?')!r} has no SSD heads (layers head0_classes, ...)")
    return sizes


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


def raw_detections(
    raw: np.ndarray, config: Config, input_shape: Sequence[int], sizes: Optional[Sizes] = None
) -> list[Detections]:
    """Detections in pixels from the network's raw outputs ``(N, A, classes + 1 + 4)``:
    softmax, decoding against the default boxes, class-wise suppression."""
    raw = np.asarray(raw, dtype=np.float64)
    num_columns = raw.shape[-1] - 4
    logits = raw[..., :num_columns] - raw[..., :num_columns].max(axis=-1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    boxes = anchors(config, input_shape, sizes)
    return [
        postprocess(p, o, boxes, score_threshold=config.score_threshold, iou_threshold=config.nms_iou,
                    top_k=config.top_k, max_detections=config.max_detections, variances=config.variances,
                    image_size=(float(input_shape[0]), float(input_shape[1])))  # fmt: skip
        for p, o in zip(probabilities, raw[..., num_columns:])
    ]


def predict_detections(
    model: Any, config: Config, images: np.ndarray, batch_size: int = 256
) -> list[Detections]:
    """Detections in pixels for ``images`` (already preprocessed as in training)."""
    raw = model.predict(images, batch_size=batch_size, verbose=0)
    return raw_detections(raw, config, images.shape[1:], model_feature_sizes(model))
