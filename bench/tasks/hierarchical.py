"""Hierarchical classification: a coarse head (superclass) and a fine head (class)."""

from bench.metrics import Direction, Kind, Metric, register

TASK = "hierarchical"

register(Metric("coarse_accuracy", Kind.FRACTION, Direction.HIGHER,
                {"en": "coarse accuracy", "ru": "точность по надклассам"}, task=TASK))  # fmt: skip
