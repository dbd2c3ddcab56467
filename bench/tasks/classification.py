"""Flat classification: integer class labels, accuracy, top-5, per-class views."""

from bench.metrics import Direction, Kind, Metric, register

TASK = "classification"

register(Metric("accuracy", Kind.FRACTION, Direction.HIGHER,
                {"en": "accuracy", "ru": "точность"}, task=TASK))  # fmt: skip
register(Metric("top5_accuracy", Kind.FRACTION, Direction.HIGHER,
                {"en": "top-5 accuracy", "ru": "точность top-5"}, task=TASK))  # fmt: skip
