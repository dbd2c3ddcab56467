"""The schema of a resolved run configuration: dataset, training, model.

Every field is validated here, at load time, before anything trains
(asv leaves its config unchecked; we do not).  The model section is a
union over the families registered in :mod:`bench.models`; each family
owns its own pydantic class.  Nothing in this module imports TensorFlow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bench.models import model_config_union

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "nadam", "adagrad")

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatasetConfig(StrictModel):
    """Which data, how much of it, and how it is prepared."""

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

    @field_validator("name")
    @classmethod
    def _known_dataset(cls, name: str) -> str:
        from bench.datasets import DATASET_NAMES

        if name not in DATASET_NAMES:
            raise ValueError(
                f"unknown dataset {name!r}; allowed: {', '.join(sorted(DATASET_NAMES))}"
            )
        return name


class TrainConfig(StrictModel):
    """How every run of a variant is trained."""

    epochs: Annotated[int, Field(ge=1)] = 5
    batch_size: Annotated[int, Field(ge=1)] = 128
    optimizer: Literal[OPTIMIZERS] = "adam"  # type: ignore[valid-type]
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0e-3
    seeds: Annotated[int, Field(ge=1, le=1000)] = 3
    seed_offset: Annotated[int, Field(ge=0)] = 0
    shuffle_buffer: Optional[Annotated[int, Field(gt=0)]] = None
    max_minutes: Optional[Annotated[float, Field(gt=0)]] = None


class RunConfig(StrictModel):
    """A fully resolved configuration: what one run trains (its seed aside)."""

    dataset: DatasetConfig
    train: TrainConfig = TrainConfig()
    model: Annotated[Union[model_config_union()], Field(discriminator="family")]  # type: ignore[valid-type]

    def key_material(self) -> dict[str, Any]:
        """What a run's key hashes (with its seed): all but how many seeds and budgets."""
        data = self.model_dump(mode="json")
        for bookkeeping in ("seeds", "seed_offset", "max_minutes"):
            data["train"].pop(bookkeeping, None)
        return data
