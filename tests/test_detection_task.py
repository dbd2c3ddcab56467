"""The detection task's metrics are in the metric table, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench import metrics
from bench.detection.evaluation import METRIC_NAMES


def test_every_detection_metric_is_registered_as_a_higher_is_better_fraction() -> None:
    for name in METRIC_NAMES:
        metric = metrics.get(name)
        assert metric.task == "detection", name
        assert metric.kind is metrics.Kind.FRACTION
        assert metric.direction is metrics.Direction.HIGHER
        assert metric.label("en") and metric.label("ru")
    assert "map50" in metrics.claimable()
    assert "map50" in metrics.report_metrics()


@pytest.mark.slow
def test_detection_modules_import_without_tensorflow() -> None:
    code = (
        "import sys, bench.tasks.detection, bench.detection.nms, bench.detection.encoding, "
        "bench.detection.default_boxes, bench.datasets.mnist_det, bench.datasets.voc, bench.datasets.coco, "
        "bench.models.ssd; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
