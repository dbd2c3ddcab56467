"""Detection metrics: Pascal VOC AP at IoU 0.5 and COCO AP over IoU 0.50:0.95.

Two protocols, each implemented as its reference code does it, because published
numbers are only comparable under the same rules:

* **VOC** (``map50``, ``map50_voc07``; the devkit's ``VOCevalcls``/``voc_eval``): per
  class, all detections ranked by score; a detection is a true positive when its best
  IoU with a ground truth of its class in its image is *above* 0.5 and that ground
  truth is not yet taken (else a false positive); a match with a ``difficult`` ground
  truth counts as neither, and difficult objects are not among the positives.  AP is
  the area under the precision envelope at every recall step ("all-point", VOC2010+)
  or the mean of the envelope at recalls 0, 0.1, …, 1 ("11-point", VOC2007).
* **COCO** (``map``, ``recall100``; pycocotools' ``COCOeval``, ``bbox``, area range
  "all"): per image and class, detections by score (at most 100) take the unmatched
  ground truth of highest IoU at or above each threshold 0.50, 0.55, …, 0.95;
  precision is interpolated at 101 recall points; AP is the mean over thresholds,
  recall points and classes.  ``recall100`` is COCO's AR@100.  Difficult ground
  truths play COCO's "ignore" role: a detection matched to one is not counted.

Classes without a (non-difficult) ground-truth box in the test set have no AP and
are left out of the means, in both protocols; their per-class entries are NaN.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from bench.detection.boxes import iou_matrix

__all__ = [
    "COCO_IOU_THRESHOLDS",
    "COCO_RECALL_POINTS",
    "METRIC_NAMES",
    "coco_evaluate",
    "evaluate_detections",
    "voc_ap",
    "voc_precision_recall",
]

#: 0.50, 0.55, …, 0.95 built exactly as pycocotools builds them (the float values matter
#: for boxes whose IoU sits on a threshold).
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
#: 0, 0.01, …, 1, as in pycocotools.
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, int(np.round((1.0 - 0.0) / 0.01)) + 1, endpoint=True)
#: The scalar metrics :func:`evaluate_detections` returns.
METRIC_NAMES = ("map50", "map50_voc07", "map", "map50_coco", "recall100")


def _field(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _image_arrays(item: Any, with_scores: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes, labels, scores-or-difficult) of one image from a mapping or an object."""
    boxes = np.asarray(_field(item, "boxes"), dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(_field(item, "labels"), dtype=np.int64).reshape(-1)
    if with_scores:
        third = np.asarray(_field(item, "scores"), dtype=np.float64).reshape(-1)
    else:
        difficult = _field(item, "difficult")
        third = (
            np.zeros(labels.shape[0], dtype=bool)
            if difficult is None
            else np.asarray(difficult, dtype=bool).reshape(-1)
        )
    if not (boxes.shape[0] == labels.shape[0] == third.shape[0]):
        raise ValueError(
            f"boxes, labels and {'scores' if with_scores else 'difficult'} must have one entry "
            f"per object. Received: {boxes.shape[0]}, {labels.shape[0]}, {third.shape[0]}"
        )
    return boxes, labels, third


# -- Pascal VOC ----------------------------------------------------------------------------
def voc_ap(recall: np.ndarray, precision: np.ndarray, eleven_point: bool = False) -> float:
    """The devkit's AP of one class from its cumulative recall and precision."""
    recall = np.asarray(recall, dtype=np.float64)
    precision = np.asarray(precision, dtype=np.float64)
    if eleven_point:
        total = 0.0
        for point in np.arange(0.0, 1.1, 0.1):
            reached = recall >= point
            total += (precision[reached].max() if reached.any() else 0.0) / 11.0
        return float(total)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # the precision envelope
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def voc_precision_recall(
    gt: Sequence[Any], detections: Sequence[Any], class_id: int, iou_threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray, int]:
    """Cumulative recall and precision of one class over ranked detections, and its
    number of positives (non-difficult ground truths), as the VOC devkit computes them."""
    truths = []
    positives = 0
    for image in gt:
        boxes, labels, difficult = _image_arrays(image, with_scores=False)
        mine = labels == class_id
        truths.append((boxes[mine], difficult[mine], np.zeros(int(mine.sum()), dtype=bool)))
        positives += int((~difficult[mine]).sum())
    image_ids, scores, det_boxes = [], [], []
    for index, image in enumerate(detections):
        boxes, labels, image_scores = _image_arrays(image, with_scores=True)
        mine = labels == class_id
        image_ids.append(np.full(int(mine.sum()), index))
        scores.append(image_scores[mine])
        det_boxes.append(boxes[mine])
    if not scores:
        return np.zeros(0), np.zeros(0), positives
    image_of = np.concatenate(image_ids)
    score = np.concatenate(scores)
    box = np.concatenate(det_boxes).reshape(-1, 4)
    order = np.argsort(-score, kind="stable")
    tp = np.zeros(order.size)
    fp = np.zeros(order.size)
    for rank, det in enumerate(order):
        gt_boxes, gt_difficult, taken = truths[image_of[det]]
        if gt_boxes.shape[0] == 0:
            fp[rank] = 1.0
            continue
        overlaps = iou_matrix(box[det : det + 1], gt_boxes)[0]
        best = int(overlaps.argmax())
        if overlaps[best] > iou_threshold:
            if not gt_difficult[best]:
                if not taken[best]:
                    tp[rank] = 1.0
                    taken[best] = True
                else:
                    fp[rank] = 1.0
        else:
            fp[rank] = 1.0
    tp_sum = np.cumsum(tp)
    fp_sum = np.cumsum(fp)
    recall = tp_sum / positives if positives else np.full(order.size, np.nan)
    precision = tp_sum / np.maximum(tp_sum + fp_sum, np.finfo(np.float64).eps)
    return recall, precision, positives


# -- COCO ----------------------------------------------------------------------------------
def _coco_match(
    ious: np.ndarray, gt_ignore: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """pycocotools' greedy matching of score-sorted detections to ground truths sorted
    ignored-last: per threshold, ``matched`` (T, D) and ``ignored`` (T, D)."""
    count_t, (count_d, count_g) = thresholds.size, ious.shape
    matched = np.zeros((count_t, count_d), dtype=bool)
    ignored = np.zeros((count_t, count_d), dtype=bool)
    if count_g == 0:
        return matched, ignored
    gt_taken = np.zeros((count_t, count_g), dtype=bool)
    limits = np.minimum(thresholds, 1 - 1e-10)[:, None]
    for d in range(count_d):
        eligible = ~gt_taken & (ious[d][None, :] >= limits)  # (T, G)
        for prefer_ignored in (False, True):
            group = eligible & (gt_ignore[None, :] == prefer_ignored)
            open_rows = group.any(axis=1) & ~matched[:, d]  # ignored ones only as a last resort
            if not open_rows.any():
                continue
            scored = np.where(group, ious[d][None, :], -1.0)
            # the reference loop keeps the *last* ground truth reaching the best IoU
            last_best = count_g - 1 - np.argmax(scored[:, ::-1], axis=1)
            rows = np.flatnonzero(open_rows)
            gt_taken[rows, last_best[rows]] = True
            matched[rows, d] = True
            ignored[rows, d] = gt_ignore[last_best[rows]]
    return matched, ignored


def coco_evaluate(
    gt: Sequence[Any],
    detections: Sequence[Any],
    num_classes: int,
    iou_thresholds: np.ndarray = COCO_IOU_THRESHOLDS,
    max_detections: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """COCO's accumulated ``precision`` (T, R, K) and ``recall`` (T, K); -1 marks a class
    without ground truth, as in pycocotools.  ``max_detections`` applies per image and
    class, exactly as ``COCOeval`` applies ``maxDets``."""
    if len(gt) != len(detections):
        raise ValueError(
            f"need one detection entry per ground-truth image. Received: {len(detections)} "
            f"detection entries for {len(gt)} images"
        )
    thresholds = np.asarray(iou_thresholds, dtype=np.float64)
    count_t, count_r = thresholds.size, COCO_RECALL_POINTS.size
    per_class: list[dict[str, list[np.ndarray]]] = [
        {"scores": [], "matched": [], "ignored": [], "gt_ignore": []} for _ in range(num_classes)
    ]
    for image_gt, image_det in zip(gt, detections):
        gt_boxes, gt_labels, gt_difficult = _image_arrays(image_gt, with_scores=False)
        det_boxes, det_labels, det_scores = _image_arrays(image_det, with_scores=True)
        for k in np.union1d(np.unique(gt_labels), np.unique(det_labels)):
            if not 0 <= k < num_classes:
                raise ValueError(f"class index {k} is outside 0..{num_classes - 1}")
            g = np.flatnonzero(gt_labels == k)
            g = g[np.argsort(gt_difficult[g], kind="stable")]  # ignored last
            d = np.flatnonzero(det_labels == k)
            d = d[np.argsort(-det_scores[d], kind="stable")][:max_detections]
            matched, ignored = _coco_match(
                iou_matrix(det_boxes[d], gt_boxes[g]), gt_difficult[g], thresholds
            )
            entry = per_class[k]
            entry["scores"].append(det_scores[d])
            entry["matched"].append(matched)
            entry["ignored"].append(ignored)
            entry["gt_ignore"].append(gt_difficult[g])
    precision = -np.ones((count_t, count_r, num_classes))
    recall = -np.ones((count_t, num_classes))
    for k, entry in enumerate(per_class):
        positives = int(sum((~ig).sum() for ig in entry["gt_ignore"]))
        if positives == 0:
            continue
        scores = np.concatenate(entry["scores"])
        order = np.argsort(-scores, kind="mergesort")
        matched = np.concatenate(entry["matched"], axis=1)[:, order]
        ignored = np.concatenate(entry["ignored"], axis=1)[:, order]
        tp_sum = np.cumsum(matched & ~ignored, axis=1).astype(np.float64)
        fp_sum = np.cumsum(~matched & ~ignored, axis=1).astype(np.float64)
        for t in range(count_t):
            tp, fp = tp_sum[t], fp_sum[t]
            curve_recall = tp / positives
            curve_precision = tp / (fp + tp + np.spacing(1))
            recall[t, k] = curve_recall[-1] if tp.size else 0.0
            envelope = np.maximum.accumulate(curve_precision[::-1])[::-1]
            where = np.searchsorted(curve_recall, COCO_RECALL_POINTS, side="left")
            reached = where < envelope.size
            row = np.zeros(count_r)
            row[reached] = envelope[where[reached]]
            precision[t, :, k] = row
    return precision, recall


def _mean_defined(values: np.ndarray) -> float:
    defined = values[values > -1]
    return float(defined.mean()) if defined.size else float("nan")


# -- the entry point -----------------------------------------------------------------------
def evaluate_detections(
    gt: Sequence[Any], detections: Sequence[Any], num_classes: int
) -> dict[str, Any]:
    """Every detection metric of one test set.

    Args:
        gt: per image, ``boxes`` (N, 4) corners in pixels, ``labels`` (N,) from 0 and
            optionally ``difficult`` (N,) -- mappings or objects with those attributes.
        detections: per image (same order), ``boxes``, ``labels`` and ``scores``.
        num_classes: the number of object classes (background not counted).

    Returns:
        The scalars of :data:`METRIC_NAMES` (floats, NaN when no class has ground truth),
        and per class (arrays of ``num_classes``, NaN for a class without ground truth):
        ``ap50_per_class`` (VOC all-point), ``ap50_voc07_per_class``, ``ap_per_class``
        (COCO), ``recall100_per_class``; ``positives_per_class`` (non-difficult ground
        truths); and ``pr_curves``, per class the VOC ``(recall, precision)`` arrays.
    """
    if len(gt) != len(detections):
        raise ValueError(
            f"need one detection entry per ground-truth image. Received: {len(detections)} "
            f"detection entries for {len(gt)} images"
        )
    ap50 = np.full(num_classes, np.nan)
    ap50_07 = np.full(num_classes, np.nan)
    positives = np.zeros(num_classes, dtype=np.int64)
    curves: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(num_classes):
        rec, prec, positives[k] = voc_precision_recall(gt, detections, k)
        curves.append((rec, prec))
        if positives[k]:
            ap50[k] = voc_ap(rec, prec)
            ap50_07[k] = voc_ap(rec, prec, eleven_point=True)
    precision, recall = coco_evaluate(gt, detections, num_classes)
    has_gt = recall[0] > -1
    ap_per_class = np.where(has_gt, np.where(precision > -1, precision, 0).mean(axis=(0, 1)), np.nan)
    recall_per_class = np.where(has_gt, np.where(recall > -1, recall, 0).mean(axis=0), np.nan)
    at50 = int(np.argmin(np.abs(COCO_IOU_THRESHOLDS - 0.5)))

    def nanmean(values: np.ndarray) -> float:
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    return {
        "map50": nanmean(ap50),
        "map50_voc07": nanmean(ap50_07),
        "map": _mean_defined(precision),
        "map50_coco": _mean_defined(precision[at50]),
        "recall100": _mean_defined(recall),
        "ap50_per_class": ap50,
        "ap50_voc07_per_class": ap50_07,
        "ap_per_class": ap_per_class,
        "recall100_per_class": recall_per_class,
        "positives_per_class": positives,
        "pr_curves": curves,
    }
