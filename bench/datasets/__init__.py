"""Dataset registry: a name in a suite → a loader returning prepared arrays.

Loaders use NumPy (and Pillow for images); no TensorFlow is imported here, so
a suite validates in a second.  ``DATASET_NAMES`` is what a suite may name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:
    from bench.config import DatasetConfig

DATASET_NAMES: tuple[str, ...] = (
    "digits",
    "mnist5k",
    "mnist",
    "fashion_mnist",
    "cifar10",
    "cifar100",
    "folder",
)


@dataclass
class Dataset:
    """Prepared splits: images float32 NHWC, labels int64 (fine labels)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    coarse_train: Optional[np.ndarray] = None
    coarse_val: Optional[np.ndarray] = None
    coarse_test: Optional[np.ndarray] = None
    coarse_class_names: Optional[list[str]] = None
    info: dict[str, object] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]


def load_dataset(config: "DatasetConfig") -> Dataset:
    """Load and prepare the dataset a suite names (raw files cached per process).

    Raises :class:`bench.errors.DataUnavailableError` (one line: dataset, folders
    searched, files expected) when the files are absent; nothing is downloaded.
    """
    from bench.datasets.prepare import prepare
    from bench.datasets.registry import load_raw

    return prepare(load_raw(config), config)


def clear_cache() -> None:
    """Forget the raw arrays cached by :func:`load_dataset` (tests, long-lived workers)."""
    from bench.datasets.registry import clear_cache as _clear

    _clear()
