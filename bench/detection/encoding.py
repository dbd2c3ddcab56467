"""Matching ground truth to default boxes, and the SSD box encoding with variances.

Training targets are made here in NumPy (once per dataset, not per step), so the
Keras loss only compares tensors.  Matching follows the SSD paper: every default box
whose best IoU with a ground-truth box reaches the threshold (0.5) is a positive for
that box, and every ground-truth box also claims its single best default box, so no
object is left without a positive even when it fits no default box well.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from bench.detection.boxes import center_to_corner, corner_to_center, iou_matrix

__all__ = ["DEFAULT_VARIANCES", "decode", "encode", "encode_batch", "match"]

#: The variances of the original SSD code: centre offsets are divided by 0.1, log-sizes by 0.2.
DEFAULT_VARIANCES: tuple[float, float] = (0.1, 0.2)


def encode(
    boxes: np.ndarray, anchors: np.ndarray, variances: Sequence[float] = DEFAULT_VARIANCES
) -> np.ndarray:
    """Offsets of corner ``boxes`` (A, 4) relative to centre-form ``anchors`` (A, 4)."""
    box = corner_to_center(boxes)
    anchors = np.asarray(anchors, dtype=np.float64)
    centre = (box[..., :2] - anchors[..., :2]) / anchors[..., 2:] / variances[0]
    with np.errstate(divide="ignore"):
        size = np.log(np.maximum(box[..., 2:], 1e-12) / anchors[..., 2:]) / variances[1]
    return np.concatenate([centre, size], axis=-1)


def decode(
    offsets: np.ndarray, anchors: np.ndarray, variances: Sequence[float] = DEFAULT_VARIANCES
) -> np.ndarray:
    """Corner boxes from ``offsets`` (..., A, 4) and centre-form ``anchors`` (A, 4)."""
    offsets = np.asarray(offsets, dtype=np.float64)
    anchors = np.asarray(anchors, dtype=np.float64)
    centre = anchors[..., :2] + offsets[..., :2] * variances[0] * anchors[..., 2:]
    # a wild prediction must not overflow to inf (exp(88) is float32's limit)
    size = anchors[..., 2:] * np.exp(np.clip(offsets[..., 2:] * variances[1], -30.0, 30.0))
    return center_to_corner(np.concatenate([centre, size], axis=-1))


def match(
    gt_boxes: np.ndarray,
    gt_labels: np.ndarray,
    anchors: np.ndarray,
    iou_threshold: float = 0.5,
    variances: Sequence[float] = DEFAULT_VARIANCES,
) -> tuple[np.ndarray, np.ndarray]:
    """Targets for one image.

    Args:
        gt_boxes: (G, 4) corner boxes, normalised like the anchors.
        gt_labels: (G,) class indices from 0.
        anchors: (A, 4) centre-form default boxes.

    Returns:
        ``classes`` (A,) int32 with 0 for background and ``label + 1`` for a positive,
        and ``offsets`` (A, 4) float32, the encoded matched box (zeros for background).
    """
    anchors = np.asarray(anchors, dtype=np.float64)
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    gt_labels = np.asarray(gt_labels, dtype=np.int64).reshape(-1)
    count = anchors.shape[0]
    classes = np.zeros(count, dtype=np.int32)
    offsets = np.zeros((count, 4), dtype=np.float32)
    if gt_boxes.shape[0] == 0:
        return classes, offsets
    ious = iou_matrix(gt_boxes, center_to_corner(anchors))  # (G, A)
    best_gt = ious.argmax(axis=0)
    best_iou = ious.max(axis=0)
    # each ground truth claims its best default box; later ones win a contested box,
    # as in the reference implementations
    best_anchor = ious.argmax(axis=1)
    for gt_index, anchor_index in enumerate(best_anchor):
        if ious[gt_index, anchor_index] > 0.0:
            best_gt[anchor_index] = gt_index
            best_iou[anchor_index] = 2.0  # above any threshold
    positive = best_iou >= iou_threshold
    classes[positive] = gt_labels[best_gt[positive]] + 1
    offsets[positive] = encode(gt_boxes[best_gt[positive]], anchors[positive], variances)
    return classes, offsets


def encode_batch(
    boxes: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    anchors: np.ndarray,
    iou_threshold: float = 0.5,
    variances: Sequence[float] = DEFAULT_VARIANCES,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match` for every image: ``(N, A)`` int32 classes and ``(N, A, 4)`` offsets."""
    classes = np.zeros((len(boxes), anchors.shape[0]), dtype=np.int32)
    offsets = np.zeros((len(boxes), anchors.shape[0], 4), dtype=np.float32)
    for i, (image_boxes, image_labels) in enumerate(zip(boxes, labels)):
        classes[i], offsets[i] = match(image_boxes, image_labels, anchors, iou_threshold, variances)
    return classes, offsets
