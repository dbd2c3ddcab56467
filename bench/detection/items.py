"""A detection run's per-item results: how they are stored, read back and re-scored.

The results store keeps, per run, named arrays whose first axis is the test image
(every array of a run has the same length), so the ragged per-image lists are padded;
a padding slot has label -1:

=================  =======  ==========  ==================================================
name               dtype    shape       what
=================  =======  ==========  ==================================================
``gt_boxes``       float32  (N, G, 4)   true corners ``(xmin, ymin, xmax, ymax)``, pixels
``gt_labels``      int16    (N, G)      class from 0; -1 padding
``gt_difficult``   bool     (N, G)      ignored by the metrics (VOC difficult, COCO crowd)
``det_boxes``      float32  (N, D, 4)   detections after suppression, same coordinates
``det_labels``     int16    (N, D)      class from 0; -1 padding
``det_scores``     float32  (N, D)      the class's score; 0 in padding; best first per row
=================  =======  ==========  ==================================================

A run's detection metrics are computed from these (float32) arrays, so re-scoring a
stored run gives its stored metrics exactly.  :func:`ranked_matches` and
:func:`map50_of` re-score ``map50`` with images re-weighted -- a bootstrap over test
images -- without matching again: VOC matching is per image, so whether a detection is
a true positive does not depend on which other images are in the sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from bench.detection.boxes import iou_matrix
from bench.detection.evaluation import voc_ap

__all__ = ["ITEM_NAMES", "RankedMatches", "map50_of", "pack", "ranked_matches", "unpack"]

ITEM_NAMES: tuple[str, ...] = ("gt_boxes", "gt_labels", "gt_difficult", "det_boxes", "det_labels", "det_scores")


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def pack(gt: Sequence[Any], detections: Sequence[Any]) -> dict[str, np.ndarray]:
    """Per-image ground truth and detections (mappings or objects with ``boxes``,
    ``labels`` and ``difficult`` / ``scores``) as the padded arrays above."""
    if len(gt) != len(detections):
        raise ValueError(f"need one detection entry per image. Received: {len(detections)} for {len(gt)} images")
    count = len(gt)
    width_g = max((len(np.reshape(_get(g, "labels"), -1)) for g in gt), default=0)
    width_d = max((len(np.reshape(_get(d, "labels"), -1)) for d in detections), default=0)
    out = {
        "gt_boxes": np.zeros((count, width_g, 4), dtype=np.float32),
        "gt_labels": np.full((count, width_g), -1, dtype=np.int16),
        "gt_difficult": np.zeros((count, width_g), dtype=bool),
        "det_boxes": np.zeros((count, width_d, 4), dtype=np.float32),
        "det_labels": np.full((count, width_d), -1, dtype=np.int16),
        "det_scores": np.zeros((count, width_d), dtype=np.float32),
    }
    for i, (g, d) in enumerate(zip(gt, detections)):
        labels = np.asarray(_get(g, "labels"), dtype=np.int64).reshape(-1)
        k = labels.size
        out["gt_boxes"][i, :k] = np.asarray(_get(g, "boxes"), dtype=np.float64).reshape(-1, 4)
        out["gt_labels"][i, :k] = labels
        difficult = _get(g, "difficult")
        if difficult is not None:
            out["gt_difficult"][i, :k] = np.asarray(difficult, dtype=bool).reshape(-1)
        labels = np.asarray(_get(d, "labels"), dtype=np.int64).reshape(-1)
        scores = np.asarray(_get(d, "scores"), dtype=np.float64).reshape(-1)
        order = np.argsort(-scores, kind="stable")
        k = labels.size
        out["det_boxes"][i, :k] = np.asarray(_get(d, "boxes"), dtype=np.float64).reshape(-1, 4)[order]
        out["det_labels"][i, :k] = labels[order]
        out["det_scores"][i, :k] = scores[order]
    return out


def unpack(items: Mapping[str, np.ndarray]) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    """Per-image ground truth (``boxes``, ``labels``, ``difficult``) and detections
    (``boxes``, ``labels``, ``scores``), padding dropped, float64 boxes and scores."""
    missing = [name for name in ITEM_NAMES if name not in items]
    if missing:
        raise ValueError(f"not a detection run's per-item results: {', '.join(missing)} missing")
    gt, detections = [], []
    for boxes, labels, difficult in zip(items["gt_boxes"], items["gt_labels"], items["gt_difficult"]):
        real = labels >= 0
        gt.append({"boxes": boxes[real].astype(np.float64), "labels": labels[real].astype(np.int64),
                   "difficult": difficult[real].astype(bool)})  # fmt: skip
    for boxes, labels, scores in zip(items["det_boxes"], items["det_labels"], items["det_scores"]):
        real = labels >= 0
        detections.append({"boxes": boxes[real].astype(np.float64), "labels": labels[real].astype(np.int64),
                           "scores": scores[real].astype(np.float64)})  # fmt: skip
    return gt, detections


@dataclass(frozen=True)
class RankedMatches:
    """Every detection's VOC outcome at IoU 0.5, once, for re-weighted re-scoring.

    Attributes:
        image, label, score: per detection (D,), its image, class and score.
        true_positive: (D,) matched an unclaimed, non-difficult ground truth of its class.
        counted: (D,) False where it matched a difficult object (neither TP nor FP).
        positives: (N, K) non-difficult ground truths per image and class.
    """

    image: np.ndarray
    label: np.ndarray
    score: np.ndarray
    true_positive: np.ndarray
    counted: np.ndarray
    positives: np.ndarray


def ranked_matches(
    gt: Sequence[Mapping[str, np.ndarray]], detections: Sequence[Mapping[str, np.ndarray]], num_classes: int,
    iou_threshold: float = 0.5,
) -> RankedMatches:  # fmt: skip
    """The VOC devkit's matching (:func:`bench.detection.evaluation.voc_precision_recall`),
    done per image: detections of a class by falling score take the best-overlapping ground
    truth of their class if above ``iou_threshold`` and not yet taken."""
    if len(gt) != len(detections):
        raise ValueError(f"need one detection entry per image. Received: {len(detections)} for {len(gt)} images")
    images, labels, scores, tps, counted = [], [], [], [], []
    positives = np.zeros((len(gt), num_classes), dtype=np.int64)
    for index, (g, d) in enumerate(zip(gt, detections)):
        g_boxes = np.asarray(g["boxes"], dtype=np.float64).reshape(-1, 4)
        g_labels = np.asarray(g["labels"], dtype=np.int64).reshape(-1)
        difficult = g.get("difficult")
        g_difficult = np.zeros(g_labels.size, dtype=bool) if difficult is None else np.asarray(difficult, dtype=bool)
        np.add.at(positives[index], g_labels[~g_difficult], 1)
        d_boxes = np.asarray(d["boxes"], dtype=np.float64).reshape(-1, 4)
        d_labels = np.asarray(d["labels"], dtype=np.int64).reshape(-1)
        d_scores = np.asarray(d["scores"], dtype=np.float64).reshape(-1)
        tp = np.zeros(d_labels.size, dtype=bool)
        keep = np.ones(d_labels.size, dtype=bool)
        for k in np.unique(d_labels):
            mine = np.flatnonzero(d_labels == k)
            mine = mine[np.argsort(-d_scores[mine], kind="stable")]
            truth = np.flatnonzero(g_labels == k)
            if truth.size == 0:
                continue
            overlaps = iou_matrix(d_boxes[mine], g_boxes[truth])
            taken = np.zeros(truth.size, dtype=bool)
            for row, det in enumerate(mine):
                best = int(overlaps[row].argmax())
                if overlaps[row, best] > iou_threshold:
                    if g_difficult[truth[best]]:
                        keep[det] = False
                    elif not taken[best]:
                        tp[det] = True
                        taken[best] = True
        images.append(np.full(d_labels.size, index, dtype=np.int64))
        labels.append(d_labels)
        scores.append(d_scores)
        tps.append(tp)
        counted.append(keep)

    def joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return RankedMatches(joined(images, np.int64), joined(labels, np.int64), joined(scores, np.float64),
                         joined(tps, bool), joined(counted, bool), positives)  # fmt: skip


def map50_of(matches: RankedMatches, weights: np.ndarray) -> float:
    """``map50`` (VOC all-point AP at IoU 0.5, mean over classes with ground truth) with
    image ``i`` counted ``weights[i]`` times; all ones gives :func:`evaluate_detections`'
    value (same ranking: by score, ties in image order)."""
    weights = np.asarray(weights, dtype=np.float64)
    positives = weights @ matches.positives  # (K,)
    aps = []
    for k in range(matches.positives.shape[1]):
        if positives[k] <= 0:
            continue
        mine = np.flatnonzero((matches.label == k) & matches.counted)
        if mine.size == 0:
            aps.append(0.0)
            continue
        order = mine[np.argsort(-matches.score[mine], kind="stable")]
        w = weights[matches.image[order]]
        tp = np.cumsum(w * matches.true_positive[order])
        fp = np.cumsum(w * ~matches.true_positive[order])
        seen = w > 0
        tp, fp = tp[seen], fp[seen]
        recall = tp / positives[k]
        precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        aps.append(voc_ap(recall, precision))
    return float(np.mean(aps)) if aps else float("nan")
