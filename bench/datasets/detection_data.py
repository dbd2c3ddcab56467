"""The plain form every detection loader returns: images and, per image, its boxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

__all__ = ["DetectionData", "DetectionSplit"]


@dataclass
class DetectionSplit:
    """Images (N, H, W, C) uint8 and per image its objects.

    ``boxes[i]`` is (K_i, 4) float32 corners ``(xmin, ymin, xmax, ymax)`` in pixels of
    the stored image (continuous coordinates, see :mod:`bench.detection`), ``labels[i]``
    (K_i,) int64 class indices from 0, ``difficult[i]`` (K_i,) bool (VOC's flag, COCO's
    crowd regions: kept, and ignored by the metrics).
    """

    images: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]
    difficult: list[np.ndarray]
    ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        count = self.images.shape[0]
        if not (len(self.boxes) == len(self.labels) == len(self.difficult) == count):
            raise ValueError(
                f"need boxes, labels and difficult for each of the {count} images. Received: "
                f"{len(self.boxes)}, {len(self.labels)}, {len(self.difficult)}"
            )
        if not self.ids:
            self.ids = [str(i) for i in range(count)]

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def targets(self) -> list[dict[str, np.ndarray]]:
        """Ground truth per image, as :func:`bench.detection.evaluation.evaluate_detections` takes it."""
        return [
            {"boxes": b, "labels": lab, "difficult": d}
            for b, lab, d in zip(self.boxes, self.labels, self.difficult)
        ]

    @property
    def object_count(self) -> int:
        return int(sum(len(lab) for lab in self.labels))


@dataclass
class DetectionData:
    """A detection dataset: a training and a test split, the class names, where it came from."""

    name: str
    train: DetectionSplit
    test: Optional[DetectionSplit]
    class_names: list[str]
    max_value: float
    source: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)
