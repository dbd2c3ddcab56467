"""Class-wise non-maximum suppression and the decoding of raw SSD outputs to detections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bench.detection.encoding import DEFAULT_VARIANCES, decode

__all__ = ["Detections", "nms", "postprocess", "postprocess_batch"]


@dataclass
class Detections:
    """One image's detections: corner ``boxes`` (K, 4), ``labels`` (K,) from 0, ``scores`` (K,)."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, top_k: int | None = None) -> np.ndarray:
    """Greedy suppression: indices of the kept boxes, best score first.

    A box is dropped when its IoU with a kept, higher-scoring box exceeds
    ``iou_threshold``; ``top_k`` caps the number kept.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores), kind="stable")
    x0, y0, x1, y1 = (np.ascontiguousarray(boxes[order, i]) for i in range(4))
    areas = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    alive = np.arange(order.size)
    keep: list[int] = []
    # IoU of each kept box with the boxes still alive only: most candidates are
    # suppressed early, so this is far cheaper than the full matrix
    while alive.size and (top_k is None or len(keep) < top_k):
        best, rest = alive[0], alive[1:]
        keep.append(int(order[best]))
        width = np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest])
        height = np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest])
        inter = np.clip(width, 0, None) * np.clip(height, 0, None)
        union = areas[best] + areas[rest] - inter
        overlap = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        alive = rest[overlap <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def postprocess(
    class_probs: np.ndarray,
    offsets: np.ndarray,
    anchors: np.ndarray,
    score_threshold: float = 0.01,
    iou_threshold: float = 0.45,
    top_k: int = 200,
    max_detections: int = 100,
    variances: Sequence[float] = DEFAULT_VARIANCES,
    image_size: tuple[float, float] = (1.0, 1.0),
) -> Detections:
    """Detections of one image from its SSD outputs.

    Args:
        class_probs: (A, C + 1) softmax scores, column 0 the background.
        offsets: (A, 4) predicted encodings.
        anchors: (A, 4) centre-form default boxes.
        score_threshold: per-class scores below it are dropped before suppression.
        iou_threshold: suppression overlap, per class.
        top_k: candidates per class entering suppression (best scores first).
        max_detections: detections kept per image over all classes.
        image_size: ``(height, width)`` that normalised boxes are scaled to.
    """
    boxes = decode(offsets, anchors, variances)
    height, width = image_size
    boxes = np.clip(boxes, 0.0, 1.0) * np.array([width, height, width, height], dtype=np.float64)
    kept_boxes, kept_labels, kept_scores = [], [], []
    for column in range(1, class_probs.shape[1]):
        scores = class_probs[:, column]
        candidates = np.flatnonzero(scores >= score_threshold)
        if candidates.size == 0:
            continue
        if candidates.size > top_k:
            candidates = candidates[np.argsort(-scores[candidates], kind="stable")[:top_k]]
        chosen = candidates[nms(boxes[candidates], scores[candidates], iou_threshold)]
        kept_boxes.append(boxes[chosen])
        kept_labels.append(np.full(chosen.size, column - 1, dtype=np.int64))
        kept_scores.append(scores[chosen].astype(np.float64))
    if not kept_scores:
        return Detections(np.zeros((0, 4)), np.zeros(0, dtype=np.int64), np.zeros(0))
    all_boxes = np.concatenate(kept_boxes)
    all_labels = np.concatenate(kept_labels)
    all_scores = np.concatenate(kept_scores)
    best = np.argsort(-all_scores, kind="stable")[:max_detections]
    return Detections(all_boxes[best], all_labels[best], all_scores[best])


def postprocess_batch(
    class_probs: np.ndarray, offsets: np.ndarray, anchors: np.ndarray, **options: object
) -> list[Detections]:
    """:func:`postprocess` for every image of a batch (``(N, A, C + 1)`` and ``(N, A, 4)``)."""
    return [postprocess(p, o, anchors, **options) for p, o in zip(class_probs, offsets)]  # type: ignore[arg-type]
