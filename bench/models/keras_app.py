"""Any ``keras.applications`` architecture, trained from scratch: ``{family: keras_app, name: ResNet50}``.

The names are listed here, not read from Keras, so that a suite validates in
a second without importing TensorFlow (a test checks that every name exists
in the installed Keras).  Only ``weights: null`` is accepted: bench never
downloads anything, and a benchmark of a from-scratch run must not silently
start from ImageNet weights.

``include_top: true`` (default) keeps the application's own classifier with
``classes`` set to the dataset's, so FLOPs match the published counts (e.g.
ResNet50 3.86 G multiply-adds at 224×224); ``include_top: false`` puts global
pooling, optional dropout and one dense layer on the convolutional base.
Applications with a built-in preprocessing switch get it turned off, because
the dataset is already normalised by bench (``dataset.normalize``).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bench.models import OUTPUT_ACTIVATIONS
from bench.models.cnn import Fraction

APPLICATIONS: tuple[str, ...] = (
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
    "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3",
    "MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small",
    "NASNetLarge", "NASNetMobile",
    "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2",
    "VGG16", "VGG19", "Xception",
)  # fmt: skip
WIDTH_MULTIPLIER_APPS = ("MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small")


class Config(BaseModel):
    """Which application, its width multiplier, and how its classifier is made."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["keras_app"] = "keras_app"
    name: Literal[APPLICATIONS]  # type: ignore[valid-type]
    weights: Optional[str] = Field(default=None, description="only null: random initialisation")
    include_top: bool = True
    pooling: Literal["avg", "max"] = "avg"
    dropout: Fraction = 0.0
    alpha: Optional[Annotated[float, Field(gt=0.0, le=4.0)]] = Field(
        default=None, description="width multiplier (MobileNet family only)"
    )
    output_activation: Literal[OUTPUT_ACTIVATIONS] = "softmax"  # type: ignore[valid-type]

    @field_validator("weights")
    @classmethod
    def _no_downloads(cls, weights: Optional[str]) -> Optional[str]:
        if weights is not None:
            raise ValueError(
                "only null is allowed: bench trains from random initialisation and never "
                "downloads pretrained weights"
            )
        return weights

    @field_validator("pooling", "dropout")
    @classmethod
    def _head_options(cls, value: Any, info: ValidationInfo) -> Any:
        """Options that would be silently ignored are mistakes (defaults pass: dumps re-validate)."""
        default = cls.model_fields[info.field_name or ""].default
        if value != default and info.data.get("include_top", True):
            raise ValueError(f"{info.field_name} shapes bench's own head: set include_top: false first")
        return value

    @field_validator("alpha")
    @classmethod
    def _alpha_applies(cls, alpha: Optional[float], info: ValidationInfo) -> Optional[float]:
        name = info.data.get("name")
        if alpha is not None and name not in WIDTH_MULTIPLIER_APPS:
            raise ValueError(
                f"alpha (width multiplier) applies to {', '.join(WIDTH_MULTIPLIER_APPS)} only, "
                f"not {name}; remove alpha"
            )
        return alpha


def _factory_args(config: Config, input_shape: tuple[int, ...]) -> tuple[Any, dict[str, Any]]:
    import keras

    factory = getattr(keras.applications, config.name)
    accepted = inspect.signature(factory).parameters
    kwargs: dict[str, Any] = {"weights": None, "input_shape": tuple(input_shape)}
    if config.alpha is not None:
        kwargs["alpha"] = config.alpha
    if "include_preprocessing" in accepted:
        kwargs["include_preprocessing"] = False
    return factory, kwargs


def base_model(config: Config, input_shape: tuple[int, ...], input_tensor: Any = None) -> Any:
    """The application's convolutional base (no top, no pooling), random weights; a
    detector's backbone (:mod:`bench.models.ssd`)."""
    factory, kwargs = _factory_args(config, input_shape)
    if input_tensor is not None:
        kwargs["input_tensor"] = input_tensor
    return factory(include_top=False, pooling=None, **kwargs)


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Instantiate the application with random weights for ``input_shape`` and ``num_classes``."""
    import keras
    from keras import layers

    factory, kwargs = _factory_args(config, input_shape)
    if config.include_top:
        kwargs.update(include_top=True, classes=num_classes,
                      classifier_activation=config.output_activation)
        return factory(**kwargs)
    base = factory(include_top=False, pooling=config.pooling, **kwargs)
    x = base.output
    if config.dropout > 0:
        x = layers.Dropout(config.dropout)(x)
    outputs = layers.Dense(num_classes, activation=config.output_activation)(x)
    return keras.Model(base.inputs, outputs, name=f"{config.name.lower()}_head")
