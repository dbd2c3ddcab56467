"""What a suite may say about its data: the dataset names and the ``dataset:`` section.

It lives with the datasets (as each model family's ``Config`` lives with its
builder), so :mod:`bench.config` imports it and nothing here imports
:mod:`bench.config`: the two never import each other.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATASET_NAMES: tuple[str, ...] = (
    "digits",
    "mnist5k",
    "mnist",
    "fashion_mnist",
    "cifar10",
    "cifar100",
    "folder",
)

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


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

    @field_validator("name")
    @classmethod
    def _known_dataset(cls, name: str) -> str:
        if name not in DATASET_NAMES:
            raise ValueError(
                f"unknown dataset {name!r}; allowed: {', '.join(sorted(DATASET_NAMES))}"
            )
        return name
