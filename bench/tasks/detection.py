"""Object detection: boxes and class labels per image; VOC and COCO average precision.

Targets: a detection dataset's ``boxes``, ``box_labels`` and ``difficult``
(:mod:`bench.datasets.detection_splits`).  The model is an SSD (``family: ssd``,
:mod:`bench.models.ssd`); the task is bound to the built network
(:meth:`Task.bind`) because what ``fit`` gets -- each default box's matched class and
encoded offsets, computed in NumPy once per dataset -- and how raw outputs become
detections depend on that network's default boxes, matching threshold, variances and
suppression settings.

Evaluation: the test outputs are decoded, suppressed class by class, packed into the
per-item arrays of :mod:`bench.detection.items` (stored with the run) and scored from
those arrays by :func:`bench.detection.evaluation.evaluate_detections` (NumPy, no
TensorFlow): ``map50`` (the headline, registered first), ``map50_voc07``, ``map``,
``map50_coco``, ``recall100``, and the test MultiBox loss.  The read side's views,
figures and paired per-image test are in :mod:`bench.detection.views`.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from bench.datasets.detection_splits import DETECTION_TARGETS, image_objects
from bench.detection.evaluation import METRIC_NAMES, evaluate_detections
from bench.detection.items import pack, unpack
from bench.detection.views import SAMPLE_IMAGES, sample_images
from bench.errors import BenchError
from bench.metrics import Direction, Kind, Metric, register
from bench.tasks._base import Evaluation, FigureRequest, ItemViews, PairedTest, Task, TaskFigure, only_output
from bench.tasks._base import register as register_task

TASK = "detection"

__all__ = ["TASK", "Detection", "evaluate_detections", "multibox_loss"]

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
register(Metric("ap50", Kind.FRACTION, Direction.HIGHER,
                {"en": "AP@0.5", "ru": "AP@0,5"}, task=TASK, report=False, compare=False, claimable=False,
                description={"en": "one class's Pascal VOC average precision at IoU 0.5 (per-class views)",
                             "ru": "средняя точность Pascal VOC одного класса при IoU 0,5 (по классам)"}))  # fmt: skip

#: Images whose MultiBox loss is computed at once (bounds memory on large test sets).
LOSS_CHUNK = 256


class Detection(Task):
    """Boxes in, an SSD's class scores and box offsets out, mAP out of the evaluation."""

    name = TASK
    targets = DETECTION_TARGETS

    def __init__(self, model_config: Any = None, feature_sizes: Optional[Sequence[tuple[int, int]]] = None) -> None:
        self.model_config = model_config
        self.feature_sizes = list(feature_sizes) if feature_sizes is not None else None

    # -- training side -------------------------------------------------------------------
    def bind(self, model_config: Any, model: Any) -> "Detection":
        from bench.models import ssd

        if not isinstance(model_config, ssd.Config):
            raise BenchError(
                f"task {self.name!r} trains SSD models; model family {getattr(model_config, 'family', '?')!r} "
                "is not one (use family: ssd)"
            )
        return Detection(model_config, ssd.model_feature_sizes(model))

    def _config(self) -> Any:
        if self.model_config is None:
            raise BenchError(f"task {self.name!r} must be bound to its model first (Task.bind)")
        return self.model_config

    def check(self, data: Any, model: Any) -> None:
        super().check(data, model)
        from bench.models import ssd

        config = self._config()
        expected = ssd.anchors(config, data.input_shape, self.feature_sizes).shape[0]
        shape = tuple(model.output_shape)
        if len(shape) != 3 or shape[1] != expected or shape[2] != data.num_classes + 1 + 4:
            raise BenchError(
                f"task {self.name!r} expects the SSD output (batch, {expected}, {data.num_classes + 1 + 4}) "
                f"for {data.num_classes} classes; this model outputs {shape}"
            )

    def fit_targets(self, data: Any, split: str) -> np.ndarray:
        from bench.models import ssd

        objects = image_objects(data, split)
        return ssd.targets(self._config(), data.input_shape, [o["boxes"] for o in objects],
                           [o["labels"] for o in objects], self.feature_sizes)  # fmt: skip

    def compile_args(self, data: Any, model: Any) -> tuple[Any, Any]:
        from bench.models import ssd

        return ssd.make_loss(self._config(), data.num_classes), []

    def evaluate(self, outputs: Mapping[str, np.ndarray], data: Any) -> Evaluation:
        from bench.models import ssd

        config = self._config()
        raw = only_output(outputs, self.name)
        detections = ssd.raw_detections(raw, config, data.input_shape, self.feature_sizes)
        items = pack(image_objects(data, "test"), detections)
        gt, stored = unpack(items)  # scored from what is stored: re-scoring gives the same
        scores = evaluate_detections(gt, stored, data.num_classes)
        metrics = {name: float(scores[name]) for name in METRIC_NAMES}
        metrics["loss"] = multibox_loss(self.fit_targets(data, "test"), raw, config, data.num_classes)
        items[SAMPLE_IMAGES] = sample_images(data.x_test)  # the report's picture, without the dataset
        return Evaluation(metrics=metrics, items=items)

    # -- read side -----------------------------------------------------------------------
    def item_views(self, items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
        from bench.detection import views

        return views.item_views(items, num_classes)

    def report_figures(self, request: FigureRequest) -> list[TaskFigure]:
        from bench.detection import views

        return views.report_figures(request)

    def paired_test(
        self, pairs: Sequence[tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]], num_classes: int
    ) -> Optional[PairedTest]:
        from bench.detection import views

        return views.paired_test(pairs, num_classes)


def multibox_loss(y_true: np.ndarray, y_pred: np.ndarray, config: Any, num_classes: int) -> float:
    """The SSD loss of a whole set in NumPy (float32, as the Keras loss of
    :func:`bench.models.ssd.make_loss`): classification over matched and mined boxes plus
    ``loc_weight`` × smooth L1 over matched boxes, summed, divided by all matched boxes."""
    columns = num_classes + 1
    total, matched = 0.0, 0.0
    for start in range(0, len(y_true), LOSS_CHUNK):
        truth = np.asarray(y_true[start : start + LOSS_CHUNK], dtype=np.float32)
        pred = np.asarray(y_pred[start : start + LOSS_CHUNK], dtype=np.float32)
        labels = truth[..., 0].astype(np.int64)
        logits = pred[..., :columns]
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=-1))
        cross_entropy = log_sum - np.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
        positive = labels > 0
        difference = np.abs(truth[..., 1:] - pred[..., columns:])
        smooth_l1 = np.where(difference < 1.0, 0.5 * difference**2, difference - 0.5).sum(axis=-1)
        positives = positive.sum(axis=-1).astype(np.float32)
        if config.negatives == "hard":
            background = np.where(positive, -1.0, cross_entropy)
            rank = np.argsort(np.argsort(-background, axis=-1, kind="stable"), axis=-1, kind="stable")
            limit = np.minimum(config.neg_pos_ratio * positives, labels.shape[-1] - positives)
            weight = positive | ((rank < limit[:, None]) & ~positive)
        else:
            weight = np.ones_like(positive)
        total += float((cross_entropy * weight).sum() + config.loc_weight * (smooth_l1 * positive).sum())
        matched += float(positives.sum())
    return total / max(matched, 1.0)


register_task(Detection())
