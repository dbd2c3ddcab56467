"""The schema of a resolved run configuration: dataset, training, model.

Every field is validated here, at load time, before anything trains
(asv leaves its config unchecked; we do not).  The model section is a
union over the families registered in :mod:`bench.models`; each family
owns its own pydantic class.  Nothing in this module imports TensorFlow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from bench.configdiff import BOOKKEEPING_KEYS
from bench.datasets.config import DatasetConfig
from bench.models import model_config_union

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "nadam", "adagrad")

__all__ = ["DatasetConfig", "OPTIMIZERS", "RunConfig", "StrictModel", "TrainConfig"]


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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
    lr_schedule: Literal["constant", "cosine"] = Field(
        default="constant",
        description="cosine: the learning rate decays to 0 over all steps (Loshchilov & Hutter 2017)",
    )


class RunConfig(StrictModel):
    """A fully resolved configuration: what one run trains (its seed aside)."""

    dataset: DatasetConfig
    train: TrainConfig = TrainConfig()
    model: Annotated[Union[model_config_union()], Field(discriminator="family")]  # type: ignore[valid-type]

    def key_material(self) -> dict[str, Any]:
        """What a run's key hashes (with its seed): all but how many seeds and budgets."""
        data = self.model_dump(mode="json")
        for bookkeeping in BOOKKEEPING_KEYS:
            data["train"].pop(bookkeeping, None)
        if data["train"].get("lr_schedule") == "constant":  # came later: the default keeps old keys
            data["train"].pop("lr_schedule")
        _drop_unset_task(data["model"])
        _drop_default_resampling(data["dataset"])
        return data


def _drop_default_resampling(dataset: dict[str, Any]) -> None:
    """``dataset.resample`` came after stores existed: left at its default, it stays out of
    the key, so runs stored before keep their keys."""
    if dataset.get("resample") == "none":
        dataset.pop("resample")
    if dataset.get("resample_seed") is None:
        dataset.pop("resample_seed", None)
    for section in ("mnist_det", "voc", "coco"):  # per-dataset settings, later too
        if dataset.get(section, "") is None:
            del dataset[section]


def _drop_unset_task(model: Any) -> None:
    """``model.task`` came after stores existed: unset, it stays out of the key, so runs
    stored before keep their keys and are not trained again."""
    if isinstance(model, dict):
        if model.get("task", "") is None:
            del model["task"]
        for value in model.values():
            _drop_unset_task(value)
    elif isinstance(model, list):
        for item in model:
            _drop_unset_task(item)
