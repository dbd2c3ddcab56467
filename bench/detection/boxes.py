"""Box arithmetic shared by matching, suppression and evaluation."""

from __future__ import annotations

import numpy as np

__all__ = ["area", "center_to_corner", "corner_to_center", "iou_matrix", "xywh_to_corner"]


def corner_to_center(boxes: np.ndarray) -> np.ndarray:
    """``(xmin, ymin, xmax, ymax)`` → ``(cx, cy, w, h)`` along the last axis."""
    boxes = np.asarray(boxes, dtype=np.float64)
    wh = boxes[..., 2:] - boxes[..., :2]
    return np.concatenate([boxes[..., :2] + wh / 2.0, wh], axis=-1)


def center_to_corner(boxes: np.ndarray) -> np.ndarray:
    """``(cx, cy, w, h)`` → ``(xmin, ymin, xmax, ymax)`` along the last axis."""
    boxes = np.asarray(boxes, dtype=np.float64)
    half = boxes[..., 2:] / 2.0
    return np.concatenate([boxes[..., :2] - half, boxes[..., :2] + half], axis=-1)


def xywh_to_corner(boxes: np.ndarray) -> np.ndarray:
    """COCO's ``(x, y, width, height)`` → corners."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], axis=-1)


def area(boxes: np.ndarray) -> np.ndarray:
    """Areas of corner boxes (zero for empty or inverted ones)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    wh = np.clip(boxes[..., 2:] - boxes[..., :2], 0.0, None)
    return wh[..., 0] * wh[..., 1]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (N, 4) with every box in ``b`` (M, 4).

    Returns an (N, M) array; a pair whose union is empty has IoU 0.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(bottom_right - top_left, 0.0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area(a)[:, None] + area(b)[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
