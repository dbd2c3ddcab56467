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
    coarse_train: Optional[np.ndarray] = None
    coarse_test: Optional[np.ndarray] = None
    coarse_class_names: Optional[list[str]] = None
    info: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("x_train", "y_train", "x_test", "y_test", "coarse_train", "coarse_test"):
            arr = getattr(self, attr)
            if arr is None:
                continue
            if attr.startswith(("y_", "coarse_")):
                arr = np.asarray(arr, dtype=np.int64).reshape(-1)
            arr.flags.writeable = False
            setattr(self, attr, arr)

    @property
    def has_test(self) -> bool:
        return self.x_test is not None
