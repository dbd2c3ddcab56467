"""The raw form every loader returns, before splits and preprocessing.

Loaders only read files; everything that depends on the suite (splits,
subsets, normalisation, channels, size) happens in :mod:`bench.datasets.prepare`.
Keeping that boundary lets one cached raw copy serve many runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class RawData:
    """Arrays exactly as stored: images NHWC (usually uint8), labels int64.

    ``y_*`` hold the class labels; ``targets_train`` / ``targets_test`` hold any other
    per-image targets by name (CIFAR-100's ``coarse_label``), with the class names of
    the categorical ones in ``target_classes``.

    ``x_test`` is ``None`` when the dataset has no official test split (then
    :func:`~bench.datasets.prepare.prepare` carves one out of ``x_train``).
    Arrays are marked read-only because the same object is cached and shared
    between runs.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    class_names: list[str]
    max_value: float
    source: str
    x_test: Optional[np.ndarray] = None
    y_test: Optional[np.ndarray] = None
    targets_train: dict[str, np.ndarray] = field(default_factory=dict)
    targets_test: dict[str, np.ndarray] = field(default_factory=dict)
    target_classes: dict[str, list[str]] = field(default_factory=dict)
    info: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("x_train", "y_train", "x_test", "y_test"):
            arr = getattr(self, attr)
            if arr is None:
                continue
            if attr.startswith("y_"):
                arr = np.asarray(arr, dtype=np.int64).reshape(-1)
            arr.flags.writeable = False
            setattr(self, attr, arr)
        for targets in (self.targets_train, self.targets_test):
            for name, values in targets.items():
                values = np.asarray(values)
                if name in self.target_classes:  # categorical: one class index per image
                    values = values.astype(np.int64).reshape(-1)
                values.flags.writeable = False
                targets[name] = values

    @property
    def has_test(self) -> bool:
        return self.x_test is not None
