"""Object detection: boxes and class labels per image; VOC and COCO average precision.

The metrics are computed by :func:`bench.detection.evaluation.evaluate_detections`
(NumPy, no TensorFlow); this module says what each one is.
"""

from bench.detection.evaluation import evaluate_detections
from bench.metrics import Direction, Kind, Metric, register

TASK = "detection"

__all__ = ["TASK", "evaluate_detections"]

register(Metric("map50", Kind.FRACTION, Direction.HIGHER,
                {"en": "mAP@0.5 (VOC)", "ru": "mAP@0.5 (VOC)"}, task=TASK,
                description={"en": "Pascal VOC mean average precision at IoU 0.5, all-point interpolation",
                             "ru": "средняя точность Pascal VOC при IoU 0,5, интерполяция по всем точкам"}))  # fmt: skip
register(Metric("map50_voc07", Kind.FRACTION, Direction.HIGHER,
                {"en": "mAP@0.5 (VOC2007, 11-point)", "ru": "mAP@0.5 (VOC2007, 11 точек)"}, task=TASK,
                description={"en": "the VOC2007 11-point variant, behind published VOC2007 numbers",
                             "ru": "вариант VOC2007 по 11 точкам, как в опубликованных результатах VOC2007"}))  # fmt: skip
register(Metric("map", Kind.FRACTION, Direction.HIGHER,
                {"en": "mAP@[.5:.95] (COCO)", "ru": "mAP@[.5:.95] (COCO)"}, task=TASK,
                description={"en": "COCO average precision over IoU 0.50:0.95, 101 recall points",
                             "ru": "средняя точность COCO по IoU 0,50:0,95, 101 точка полноты"}))  # fmt: skip
register(Metric("map50_coco", Kind.FRACTION, Direction.HIGHER,
                {"en": "AP@0.5 (COCO)", "ru": "AP@0.5 (COCO)"}, task=TASK, report=False, compare=False,
                description={"en": "COCO average precision at IoU 0.5 (101-point interpolation)",
                             "ru": "средняя точность COCO при IoU 0,5 (интерполяция по 101 точке)"}))  # fmt: skip
register(Metric("recall100", Kind.FRACTION, Direction.HIGHER,
                {"en": "recall@100 (COCO AR)", "ru": "полнота@100 (COCO AR)"}, task=TASK,
                description={"en": "COCO average recall with at most 100 detections per image",
                             "ru": "средняя полнота COCO, не более 100 обнаружений на изображение"}))  # fmt: skip
