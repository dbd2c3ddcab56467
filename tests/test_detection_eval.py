"""Detection metrics against pycocotools and a hand-worked VOC example."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from bench.detection.evaluation import evaluate_detections, voc_ap, voc_precision_recall

NUM_CLASSES = 5  # class 3 has no ground truth (only false positives), class 4 is never predicted


def _random_box(rng: np.random.Generator, size: float = 100.0) -> np.ndarray:
    x0, y0 = rng.uniform(0, size * 0.7, 2)
    w, h = rng.uniform(5, size * 0.3, 2)
    return np.array([x0, y0, x0 + w, y0 + h])


def _fixture(seed: int, quantize_scores: bool = False):
    """Ground truth and detections with every awkward case COCOeval handles."""
    rng = np.random.default_rng(seed)
    gt, dets = [], []
    for image in range(40):
        count = 0 if image % 7 == 0 else int(rng.integers(1, 6))  # some images have no objects
        boxes = np.array([_random_box(rng) for _ in range(count)]).reshape(-1, 4)
        labels = rng.choice([0, 1, 2, 4], size=count)
        gt.append({"boxes": boxes, "labels": labels})
        det_boxes, det_labels = [], []
        for box, label in zip(boxes, labels):
            if label == 4 or rng.random() < 0.15:
                continue  # missed objects; class 4 is never predicted
            for _ in range(int(rng.integers(1, 4))):  # duplicates of one object
                det_boxes.append(box + rng.normal(0, 0.08, 4) * (box[2:] - box[:2]).repeat(2))
                det_labels.append(label if rng.random() < 0.9 else int(rng.integers(0, 4)))
        for _ in range(int(rng.integers(0, 4))):  # pure false positives, class 3 among them
            det_boxes.append(_random_box(rng))
            det_labels.append(int(rng.integers(0, 4)))
        if image == 5:  # more than COCO's 100 detections of one class in one image: the
            for _ in range(120):  # lowest, a perfect one, falls beyond the 100 and is not seen
                det_boxes.append(_random_box(rng))
                det_labels.append(1)
            hidden = _random_box(rng)
            gt[-1] = {"boxes": np.vstack([boxes, hidden]), "labels": np.append(labels, 1)}
            det_boxes.append(hidden)
            det_labels.append(1)
        db = np.array(det_boxes).reshape(-1, 4)
        db[:, 2:] = np.maximum(db[:, 2:], db[:, :2] + 1.0)
        scores = rng.uniform(0.01, 1.0, len(det_labels))
        if image == 5:
            scores[-121:] = np.append(rng.uniform(0.2, 0.3, 120), 0.011)
        if quantize_scores:
            scores = np.round(scores, 1) + 0.01
        dets.append({"boxes": db, "labels": np.array(det_labels, dtype=np.int64), "scores": scores})
    return gt, dets


def _pycocotools(gt, dets):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations, results = [], [], []
    for index, (g, d) in enumerate(zip(gt, dets), start=1):
        images.append({"id": index, "width": 100, "height": 100, "file_name": f"{index}.jpg"})
        for box, label in zip(g["boxes"], g["labels"]):
            w, h = box[2] - box[0], box[3] - box[1]
            annotations.append({"id": len(annotations) + 1, "image_id": index, "category_id": int(label) + 1,
                                "bbox": [box[0], box[1], w, h], "area": w * h, "iscrowd": 0})  # fmt: skip
        for box, label, score in zip(d["boxes"], d["labels"], d["scores"]):
            results.append({"image_id": index, "category_id": int(label) + 1, "score": float(score),
                            "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]]})  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": images, "annotations": annotations,
                        "categories": [{"id": k + 1, "name": str(k)} for k in range(NUM_CLASSES)]}  # fmt: skip
        coco.createIndex()
        evaluation = COCOeval(coco, coco.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation


@pytest.mark.parametrize("seed,quantize", [(0, False), (1, False), (2, True)])
def test_map_agrees_with_pycocotools(seed: int, quantize: bool) -> None:
    gt, dets = _fixture(seed, quantize)
    ours = evaluate_detections(gt, dets, NUM_CLASSES)
    reference = _pycocotools(gt, dets)
    assert ours["map"] == pytest.approx(reference.stats[0], abs=1e-4)
    assert ours["map50_coco"] == pytest.approx(reference.stats[1], abs=1e-4)
    assert ours["recall100"] == pytest.approx(reference.stats[8], abs=1e-4)
    precision = reference.eval["precision"][:, :, :, 0, -1]  # (T, R, K), area all, 100 dets
    for k in range(NUM_CLASSES):
        if (precision[:, :, k] > -1).any():
            assert ours["ap_per_class"][k] == pytest.approx(precision[:, :, k].mean(), abs=1e-4)
        else:
            assert np.isnan(ours["ap_per_class"][k])
    assert 0.05 < ours["map"] < 0.95  # the fixture is neither trivial nor hopeless
    assert ours["ap_per_class"][4] == 0.0  # never predicted: AP 0, and it counts in the mean
    assert np.isnan(ours["ap_per_class"][3]) and np.isnan(ours["ap50_per_class"][3])


def test_perfect_detections_score_one_and_images_without_objects_are_fine() -> None:
    gt = [{"boxes": np.array([[0, 0, 10, 10], [20, 20, 40, 35]]), "labels": np.array([0, 1])},
          {"boxes": np.zeros((0, 4)), "labels": np.zeros(0)}]  # fmt: skip
    dets = [{"boxes": gt[0]["boxes"], "labels": gt[0]["labels"], "scores": np.array([0.9, 0.8])},
            {"boxes": np.zeros((0, 4)), "labels": np.zeros(0), "scores": np.zeros(0)}]  # fmt: skip
    result = evaluate_detections(gt, dets, 2)
    for name in ("map50", "map50_voc07", "map", "map50_coco", "recall100"):
        assert result[name] == pytest.approx(1.0)


def test_voc_ap_hand_worked_example() -> None:
    # One class, two images.  Image A: ground truths a1 = [0,0,10,10] and a2 = [20,0,30,10]
    # (difficult); image B: b1 = [0,0,10,10].  Three positives? No: a2 is difficult, so two.
    # Detections by score:
    #   0.9 on a1, IoU 1        -> TP                       tp=1 fp=0  rec 1/2 prec 1
    #   0.8 on a1 again         -> FP (already taken)       tp=1 fp=1  rec 1/2 prec 1/2
    #   0.7 on a2 (difficult)   -> neither                  tp=1 fp=1  rec 1/2 prec 1/2
    #   0.6 in B, IoU 0.25      -> FP (not above 0.5)       tp=1 fp=2  rec 1/2 prec 1/3
    #   0.5 on b1, IoU 0.81     -> TP                       tp=2 fp=2  rec 1   prec 1/2
    # All-point AP: envelope 1 on recall (0, 1/2], 1/2 on (1/2, 1] -> 0.5 + 0.25 = 0.75.
    # 11-point AP: recall >= 0 .. 0.5 (6 points) max precision 1; 0.6 .. 1 (5 points) 1/2
    #   -> (6 + 2.5) / 11 = 0.772727...
    gt = [{"boxes": np.array([[0, 0, 10, 10], [20, 0, 30, 10]]), "labels": np.array([0, 0]),
           "difficult": np.array([False, True])},
          {"boxes": np.array([[0, 0, 10, 10]]), "labels": np.array([0])}]  # fmt: skip
    dets = [{"boxes": np.array([[0, 0, 10, 10], [0, 0, 10, 10], [20, 0, 30, 10]]),
             "labels": np.array([0, 0, 0]), "scores": np.array([0.9, 0.8, 0.7])},
            {"boxes": np.array([[0, 0, 5, 5], [1, 1, 10, 10]]),
             "labels": np.array([0, 0]), "scores": np.array([0.6, 0.5])}]  # fmt: skip
    recall, precision, positives = voc_precision_recall(gt, dets, 0)
    assert positives == 2
    np.testing.assert_allclose(recall, [0.5, 0.5, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(precision, [1.0, 0.5, 0.5, 1 / 3, 0.5])
    assert voc_ap(recall, precision) == pytest.approx(0.75)
    assert voc_ap(recall, precision, eleven_point=True) == pytest.approx(8.5 / 11)
    result = evaluate_detections(gt, dets, 1)
    assert result["map50"] == pytest.approx(0.75)
    assert result["map50_voc07"] == pytest.approx(8.5 / 11)


def test_difficult_ground_truth_is_ignored_by_the_coco_protocol_too() -> None:
    gt = [{"boxes": np.array([[0, 0, 10, 10], [50, 50, 60, 60]]), "labels": np.array([0, 0]),
           "difficult": np.array([False, True])}]  # fmt: skip
    with_difficult_hit = [{"boxes": np.array([[0, 0, 10, 10], [50, 50, 60, 60]]),
                           "labels": np.array([0, 0]), "scores": np.array([0.5, 0.9])}]  # fmt: skip
    result = evaluate_detections(gt, with_difficult_hit, 1)
    assert result["map"] == pytest.approx(1.0)
    assert result["map50"] == pytest.approx(1.0)
    assert result["positives_per_class"][0] == 1


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one detection entry per ground-truth image"):
        evaluate_detections([{"boxes": np.zeros((0, 4)), "labels": []}], [], 1)
