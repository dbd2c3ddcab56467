"""Hierarchical classification: a coarse head (superclass) and a fine head (class).

The seed homework's CIFAR-100 network first picks one of the 20 superclasses, then
the class inside it.  A model for this task has two outputs named ``coarse`` and
``fine``; both are trained (sparse cross-entropy each, on the dataset's
``coarse_label`` and ``label`` targets) and the run is scored on ``fine`` like a flat
classifier, plus the coarse head's own ``coarse_accuracy``.  Learning curves keep the
flat names for the fine head (``accuracy``, ``val_loss``), so runs of both tasks compare.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from bench.datasets.dataset import COARSE_LABEL, LABEL
from bench.errors import BenchError
from bench.metrics import Direction, Kind, Metric, register
from bench.tasks._base import Evaluation, ItemViews, PairedTest, Task, named_outputs, output_names
from bench.tasks._base import register as register_task
from bench.tasks.classification import (
    add_coarse,
    label_metrics_to_compile,
    label_paired_test,
    label_views,
    score_labels,
)

TASK = "hierarchical"
COARSE_OUTPUT = "coarse"
FINE_OUTPUT = "fine"

register(Metric("coarse_accuracy", Kind.FRACTION, Direction.HIGHER,
                {"en": "coarse accuracy", "ru": "точность по надклассам"}, task=TASK))  # fmt: skip


class Hierarchical(Task):
    """Superclass and class heads: ``coarse_label`` and ``label`` in, both heads trained."""

    name = TASK
    targets = (LABEL, COARSE_LABEL)

    def check(self, data: Any, model: Any) -> None:
        super().check(data, model)
        if not has_coarse_head(model):
            raise BenchError(
                f"task {self.name!r} trains a model with two outputs named 'coarse' and 'fine'; "
                f"this model's outputs are: {', '.join(output_names(model)) or 'none'}"
            )
        highest = int(np.max(data.target(COARSE_LABEL, "train"), initial=0))
        if highest >= coarse_width(model):
            raise BenchError(
                f"coarse labels go up to {highest} but the coarse output has "
                f"{coarse_width(model)} classes; raise model.coarse_classes"
            )

    def fit_targets(self, data: Any, split: str) -> dict[str, np.ndarray]:
        return {
            COARSE_OUTPUT: np.asarray(data.target(COARSE_LABEL, split), dtype=np.int64),
            FINE_OUTPUT: np.asarray(data.target(LABEL, split), dtype=np.int64),
        }

    def compile_args(self, data: Any, model: Any) -> tuple[Any, Any]:
        loss = "sparse_categorical_crossentropy"
        metrics = {FINE_OUTPUT: label_metrics_to_compile(data.num_classes), COARSE_OUTPUT: ["accuracy"]}
        return {FINE_OUTPUT: loss, COARSE_OUTPUT: loss}, metrics

    def curves(self, history: dict[str, list[float]]) -> dict[str, list[float]]:
        return fine_history(history)

    def serving_model(self, model: Any) -> Any:
        return fine_model(model)

    def evaluate(self, outputs: Mapping[str, np.ndarray], data: Any) -> Evaluation:
        for name in (COARSE_OUTPUT, FINE_OUTPUT):
            if name not in outputs:
                raise BenchError(f"task {self.name!r} needs the model output {name!r}; got: {', '.join(outputs)}")
        evaluation = score_labels(data.y_test, outputs[FINE_OUTPUT], data.num_classes)
        coarse_pred = np.asarray(outputs[COARSE_OUTPUT]).argmax(axis=1)
        add_coarse(evaluation, data.target(COARSE_LABEL, "test"), coarse_pred)
        return evaluation

    def item_views(self, items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
        return label_views(items, num_classes)  # per-class views of the fine head

    def paired_test(
        self, pairs: Sequence[tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]], num_classes: int
    ) -> Optional[PairedTest]:
        return label_paired_test(pairs)  # the fine head's right and wrong


def has_coarse_head(model: Any) -> bool:
    """True for a model with exactly two outputs named ``coarse`` and ``fine`` (any family)."""
    return sorted(output_names(model)) == [COARSE_OUTPUT, FINE_OUTPUT]


def coarse_width(model: Any) -> int:
    """Number of classes of the ``coarse`` output."""
    index = output_names(model).index(COARSE_OUTPUT)
    return int(model.outputs[index].shape[-1])


def split_outputs(model: Any, outputs: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(coarse, fine)`` probabilities from what ``predict`` returned (a list or a dict)."""
    named = named_outputs(model, outputs)
    return named[COARSE_OUTPUT], named[FINE_OUTPUT]


def fine_model(model: Any) -> Any:
    """The sub-model that computes the ``fine`` output only (for latency: one tensor out)."""
    import keras

    index = output_names(model).index(FINE_OUTPUT)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, model.outputs[index])


def fine_history(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """Keras' two-output history renamed so learning curves compare with one-output runs.

    ``fine_accuracy`` → ``accuracy``, ``fine_loss`` → ``loss`` (and their ``val_``
    forms); the summed loss of both heads becomes ``total_loss``; ``coarse_*`` stay.
    """
    renamed: dict[str, list[float]] = {}
    for name, values in history.items():
        split = "val_" if name.startswith("val_") else ""
        rest = name[len(split) :]
        if rest == "loss":
            rest = "total_loss"
        elif rest.startswith(FINE_OUTPUT + "_"):
            rest = rest[len(FINE_OUTPUT) + 1 :]
        renamed[split + rest] = values
    return renamed


register_task(Hierarchical())
