"""Box arithmetic, SSD default boxes, matching, encoding and suppression."""

from __future__ import annotations

import numpy as np
import pytest

from bench.detection.boxes import area, center_to_corner, corner_to_center, iou_matrix, xywh_to_corner
from bench.detection.default_boxes import boxes_per_location, default_boxes, ssd_scales
from bench.detection.encoding import decode, encode, encode_batch, match
from bench.detection.nms import nms, postprocess


def test_conversions_round_trip_and_iou_by_hand() -> None:
    corners = np.array([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 15.0, 25.0]])
    np.testing.assert_allclose(corner_to_center(corners), [[5, 5, 10, 10], [10, 15, 10, 20]])
    np.testing.assert_allclose(center_to_corner(corner_to_center(corners)), corners)
    np.testing.assert_allclose(xywh_to_corner([[5, 5, 10, 20]]), [[5, 5, 15, 25]])
    np.testing.assert_allclose(area(corners), [100, 200])
    # overlap 5×5 = 25; union 100 + 200 - 25 = 275
    ious = iou_matrix(corners, np.vstack([corners, [[100, 100, 110, 110]]]))
    np.testing.assert_allclose(ious, [[1, 25 / 275, 0], [25 / 275, 1, 0]])
    assert iou_matrix(np.zeros((0, 4)), corners).shape == (0, 2)


def test_ssd_scales_follow_the_paper() -> None:
    np.testing.assert_allclose(ssd_scales(6), [0.2, 0.34, 0.48, 0.62, 0.76, 0.9, 1.04])
    assert ssd_scales(1, 0.3, 0.6) == [0.3, 0.6]


def test_default_boxes_layout_order_and_shapes() -> None:
    boxes = default_boxes([(2, 3), (1, 1)], [0.2, 0.5, 0.8], [[1.0, 2.0], [1.0]])
    per_cell = boxes_per_location([1.0, 2.0])
    assert per_cell == 3 and boxes_per_location([2.0, 0.5]) == 2
    assert boxes.shape == (2 * 3 * 3 + 1 * 2, 4)
    # first cell (row 0, col 0): centre (1/6, 1/4); boxes: ratio 1, extra square, ratio 2
    np.testing.assert_allclose(boxes[0], [1 / 6, 1 / 4, 0.2, 0.2])
    np.testing.assert_allclose(boxes[1], [1 / 6, 1 / 4, np.sqrt(0.1), np.sqrt(0.1)])
    np.testing.assert_allclose(boxes[2], [1 / 6, 1 / 4, 0.2 * np.sqrt(2), 0.2 / np.sqrt(2)])
    # next cell is the next column of the same row
    np.testing.assert_allclose(boxes[3, :2], [0.5, 0.25])
    np.testing.assert_allclose(boxes[-2], [0.5, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(boxes[-1], [0.5, 0.5, np.sqrt(0.4), np.sqrt(0.4)])
    with pytest.raises(ValueError, match="one scale per feature map plus one"):
        default_boxes([(2, 2)], [0.2], [[1.0]])


def test_encode_decode_round_trip_with_variances() -> None:
    rng = np.random.default_rng(0)
    anchors = np.column_stack([rng.uniform(0.2, 0.8, (50, 2)), rng.uniform(0.05, 0.5, (50, 2))])
    truth = center_to_corner(anchors * rng.uniform(0.8, 1.2, (50, 4)))
    offsets = encode(truth, anchors)
    np.testing.assert_allclose(decode(offsets, anchors), truth, atol=1e-12)
    # variances scale the encoding: (0.1, 0.2) gives 10× the centre shift in anchor widths
    shifted = encode(np.array([[0.45, 0.4, 0.65, 0.6]]), np.array([[0.5, 0.5, 0.2, 0.2]]))
    np.testing.assert_allclose(shifted, [[2.5, 0.0, 0.0, 0.0]], atol=1e-12)


def test_matching_threshold_and_every_truth_gets_its_best_box() -> None:
    anchors = np.array([[0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 0.5, 0.5], [0.5, 0.5, 0.2, 0.2]])
    truth = np.array([[0.0, 0.0, 0.5, 0.5],  # exactly anchor 0
                      [0.47, 0.47, 0.57, 0.57]])  # small: best IoU 0.25, with anchor 2  # fmt: skip
    ious = iou_matrix(truth, center_to_corner(anchors))
    assert ious[1].max() == pytest.approx(0.25)  # the second object fits no default box well
    classes, offsets = match(truth, np.array([3, 7]), anchors)
    assert classes.tolist() == [4, 0, 8]  # anchor 2 is forced to the small object
    np.testing.assert_allclose(offsets[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(decode(offsets[2:3], anchors[2:3]), truth[1:2], atol=1e-6)
    empty_classes, empty_offsets = match(np.zeros((0, 4)), np.zeros(0), anchors)
    assert not empty_classes.any() and not empty_offsets.any()
    batch_classes, batch_offsets = encode_batch([truth, np.zeros((0, 4))], [[3, 7], []], anchors)
    assert batch_classes.shape == (2, 3) and batch_offsets.shape == (2, 3, 4)
    assert batch_classes[0].tolist() == [4, 0, 8] and not batch_classes[1].any()


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]], float)
    scores = np.array([0.8, 0.9, 0.7, 0.1])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.95).tolist() == [1, 0, 2, 3]
    assert nms(boxes, scores, 0.5, top_k=1).tolist() == [1]


def test_postprocess_is_class_wise_and_scaled_to_pixels() -> None:
    anchors = np.array([[0.25, 0.25, 0.5, 0.5], [0.26, 0.26, 0.5, 0.5], [0.75, 0.75, 0.5, 0.5]])
    probs = np.array([[0.1, 0.8, 0.1],   # class 0 (column 1)
                      [0.1, 0.1, 0.8],   # class 1, same place: a different class is not suppressed
                      [0.98, 0.01, 0.01]])  # fmt: skip
    found = postprocess(probs, np.zeros((3, 4)), anchors, score_threshold=0.05, image_size=(100, 200))
    assert found.labels.tolist() == [0, 1]
    np.testing.assert_allclose(found.boxes[0], [0, 0, 100, 50])
    np.testing.assert_allclose(found.scores, [0.8, 0.8])
    probs[1] = [0.1, 0.7, 0.2]  # now the same class as anchor 0, overlapping: suppressed
    found = postprocess(probs, np.zeros((3, 4)), anchors, score_threshold=0.05)
    assert found.labels.tolist() == [0, 1] and found.scores.tolist() == [0.8, 0.2]
    none = postprocess(probs, np.zeros((3, 4)), anchors, score_threshold=0.99)
    assert len(none) == 0 and none.boxes.shape == (0, 4)
