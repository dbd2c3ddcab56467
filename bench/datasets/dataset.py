"""The prepared dataset a run trains on: three splits of images and their named targets.

Targets are carried generically, as named arrays per split whose first axis is the
example: ``label`` (the class of each image) for every classification dataset,
``coarse_label`` (the superclass) for CIFAR-100, and whatever a later task needs
(boxes, several label sets) -- without a new field per case.  Which targets a
run *uses* is its task's business (:mod:`bench.tasks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

SPLITS: tuple[str, ...] = ("train", "val", "test")
#: The target every classification dataset carries: one class index per example.
LABEL = "label"
#: A label set grouping the classes (CIFAR-100's 20 superclasses of its 100 classes).
COARSE_LABEL = "coarse_label"


@dataclass
class Dataset:
    """Prepared splits: images float32 NHWC; targets by split, then by name.

    Attributes:
        targets: ``{"train": {"label": ..., ...}, "val": {...}, "test": {...}}``; every
            split carries the same names, each array has one row per image of the split.
        class_names: the names of the ``label`` classes (what a model's classes are).
        target_classes: class names of the other categorical targets
            (``{"coarse_label": [20 superclass names]}``).
    """

    name: str
    x_train: np.ndarray
    x_val: np.ndarray
    x_test: np.ndarray
    targets: dict[str, dict[str, np.ndarray]]
    class_names: list[str]
    target_classes: dict[str, list[str]] = field(default_factory=dict)
    info: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [sorted(self.targets.get(split, {})) for split in SPLITS]
        if any(n != names[0] for n in names):
            raise ValueError(f"dataset {self.name!r}: every split must carry the same targets, got {names}")
        for split in SPLITS:
            images = len(self.x(split))
            for name, values in self.targets[split].items():
                if len(values) != images:
                    raise ValueError(
                        f"dataset {self.name!r}: target {name!r} has {len(values)} rows in split "
                        f"{split!r}, which has {images} images"
                    )

    def x(self, split: str) -> np.ndarray:
        """The images of ``split`` (train, val or test)."""
        return {"train": self.x_train, "val": self.x_val, "test": self.x_test}[split]

    @property
    def target_names(self) -> list[str]:
        """The targets this dataset carries, sorted."""
        return sorted(self.targets["train"])

    def has_target(self, name: str) -> bool:
        return name in self.targets["train"]

    def target(self, name: str, split: str) -> np.ndarray:
        """Target ``name`` of ``split``; a KeyError that says which targets there are."""
        carried = self.targets[split]
        if name not in carried:
            raise KeyError(
                f"dataset {self.name!r} carries no target {name!r}; it has: {', '.join(sorted(carried)) or 'none'}"
            )
        return carried[name]

    def split_targets(self, split: str) -> Mapping[str, np.ndarray]:
        return self.targets[split]

    # The common case, by its usual names.
    @property
    def y_train(self) -> np.ndarray:
        return self.target(LABEL, "train")

    @property
    def y_val(self) -> np.ndarray:
        return self.target(LABEL, "val")

    @property
    def y_test(self) -> np.ndarray:
        return self.target(LABEL, "test")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]
