"""What a suite may say about its data: the dataset names and the ``dataset:`` section.

It lives with the datasets (as each model family's ``Config`` lives with its
builder), so :mod:`bench.config` imports it and nothing here imports
:mod:`bench.config`: the two never import each other.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

DATASET_NAMES: tuple[str, ...] = (
    "digits",
    "mnist5k",
    "mnist",
    "fashion_mnist",
    "cifar10",
    "cifar100",
    "folder",
    "mnist_det",
    "voc",
    "coco",
)
#: Datasets of boxes and their classes (task ``detection``), prepared by
#: :mod:`bench.datasets.detection_splits`.
DETECTION_DATASETS: tuple[str, ...] = ("mnist_det", "voc", "coco")

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
Pair = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class MnistDetSection(_Section):
    """``mnist_det`` canvases (:mod:`bench.datasets.mnist_det`); their numbers are
    ``train_size`` (default 2000) and ``test_size`` (default 500)."""

    canvas_size: Annotated[int, Field(ge=8)] = 64
    digits_per_canvas: Pair = (1, 4)
    digit_size: Pair = (12, 36)
    max_overlap: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        default=0.2, description="share of the 5,000 digits kept for test canvases"
    )

    @model_validator(mode="after")
    def _fits(self) -> "MnistDetSection":
        low, high = self.digits_per_canvas
        if low > high:
            raise ValueError(f"digits_per_canvas [{low}, {high}] must be [min, max] with min <= max")
        small, large = self.digit_size
        if not 4 <= small <= large:
            raise ValueError(f"digit_size [{small}, {large}] must be [min, max] with 4 <= min <= max")
        if large > self.canvas_size:
            raise ValueError(
                f"digit_size up to {large} px does not fit canvas_size {self.canvas_size}; allowed: "
                f"digit sizes up to canvas_size (raise canvas_size or lower digit_size)"
            )
        return self


class VocSection(_Section):
    """Pascal VOC in ``data_dir`` (a year folder: Annotations/, JPEGImages/, ImageSets/Main/)."""

    train_split: str = "trainval"
    test_split: str = "test"
    keep_difficult: bool = True
    label_map: Optional[list[str]] = Field(
        default=None, min_length=1, description="class names, label 0 first; null: the 20 VOC classes"
    )


class CocoSection(_Section):
    """COCO instances files and image folders, relative to ``data_dir``."""

    train_annotations: str = "annotations/instances_train2017.json"
    train_images: str = "train2017"
    test_annotations: str = "annotations/instances_val2017.json"
    test_images: str = "val2017"


class DatasetConfig(BaseModel):
    """Which data, how much of it, and how it is prepared."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str = Field(description="a registered dataset name")
    data_dir: Optional[str] = Field(
        default=None, description="folder holding the dataset's standard files"
    )
    train_size: Optional[Annotated[int, Field(gt=0)]] = None
    test_size: Optional[Annotated[int, Field(gt=0)]] = None
    validation: Fraction = 0.1
    image_size: Optional[tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]] = None
    channels: Optional[Literal[1, 3]] = None
    normalize: Literal["unit", "standard", "none"] = "unit"
    labels: Literal["fine", "coarse", "both"] = "fine"
    classes: Optional[Annotated[int, Field(gt=1)]] = None
    images_per_class: Optional[Annotated[int, Field(gt=0)]] = None
    split_seed: Annotated[int, Field(ge=0)] = 0
    resample: Literal["none", "per_seed"] = Field(
        default="none",
        description="per_seed: each seed draws its own train/validation split (the test set "
        "stays the same), so intervals cover data sampling as well as seed noise",
    )
    resample_seed: Optional[Annotated[int, Field(ge=0)]] = Field(
        default=None,
        description="set for each run by resample: per_seed (the run's seed); not for suites",
    )

    mnist_det: Optional[MnistDetSection] = Field(default=None, description="mnist_det's settings")
    voc: Optional[VocSection] = Field(default=None, description="voc's settings")
    coco: Optional[CocoSection] = Field(default=None, description="coco's settings")

    @field_validator("mnist_det", "voc", "coco")
    @classmethod
    def _section_of_this_dataset(cls, section: Any, info: ValidationInfo) -> Any:
        name = info.data.get("name")
        if section is not None and name != info.field_name:
            raise ValueError(f"settings for dataset {info.field_name}, but this dataset is {name!r}; remove them")
        return section

    @property
    def is_detection(self) -> bool:
        """Whether the dataset is one of boxes (:data:`DETECTION_DATASETS`)."""
        return self.name in DETECTION_DATASETS

    @field_validator("name")
    @classmethod
    def _known_dataset(cls, name: str) -> str:
        if name not in DATASET_NAMES:
            raise ValueError(
                f"unknown dataset {name!r}; allowed: {', '.join(sorted(DATASET_NAMES))}"
            )
        return name
