"""Flat classification: one integer class label per image, one softmax output.

Trained with sparse categorical cross-entropy; scored by top-1 accuracy, top-5 accuracy
where there are more than five classes, and test loss.  Each test image's true and
predicted class is stored (``y_true``, ``y_pred``) for McNemar's test, per-class
accuracy and the confusion matrix.  On a dataset whose classes group into superclasses
(CIFAR-100's ``coarse_label``) a flat model is also scored on the superclass of the
class it predicts (``coarse_accuracy``), so flat and hierarchical models compare.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from bench.datasets.dataset import COARSE_LABEL, LABEL
from bench.errors import BenchError
from bench.metrics import Direction, Kind, Metric, register
from bench.tasks._base import Evaluation, ItemViews, PairedTest, Task, only_output, output_names
from bench.tasks._base import register as register_task

TASK = "classification"
TOP_K = 5
#: Keras' clipping of probabilities before the logarithm (``keras.backend.epsilon()``).
EPSILON = 1e-7

register(Metric("accuracy", Kind.FRACTION, Direction.HIGHER,
                {"en": "accuracy", "ru": "точность"}, task=TASK))  # fmt: skip
register(Metric("top5_accuracy", Kind.FRACTION, Direction.HIGHER,
                {"en": "top-5 accuracy", "ru": "точность top-5"}, task=TASK))  # fmt: skip


class Classification(Task):
    """Flat classes: ``label`` in, one softmax output, accuracy out."""

    name = TASK
    targets = (LABEL,)

    def check(self, data: Any, model: Any) -> None:
        super().check(data, model)
        names = output_names(model)
        if len(names) != 1:
            raise BenchError(
                f"task {self.name!r} trains a model with one output; this model has {len(names)} "
                f"({', '.join(names)}); a model with outputs 'coarse' and 'fine' needs task "
                "'hierarchical' (family hierarchical, or model.task: hierarchical)"
            )

    def fit_targets(self, data: Any, split: str) -> np.ndarray:
        return np.asarray(data.target(LABEL, split), dtype=np.int64)

    def compile_args(self, data: Any, model: Any) -> tuple[Any, Any]:
        return "sparse_categorical_crossentropy", label_metrics_to_compile(data.num_classes)

    def evaluate(self, outputs: Mapping[str, np.ndarray], data: Any) -> Evaluation:
        probabilities = only_output(outputs, self.name)
        evaluation = score_labels(data.y_test, probabilities, data.num_classes)
        if data.has_target(COARSE_LABEL):
            superclass = fine_to_coarse(data.y_train, data.target(COARSE_LABEL, "train"), data.num_classes)
            y_pred = evaluation.items["y_pred"].astype(np.int64)
            add_coarse(evaluation, data.target(COARSE_LABEL, "test"), superclass[y_pred])
        return evaluation

    def item_views(self, items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
        return label_views(items, num_classes)

    def paired_test(
        self, pairs: Sequence[tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]], num_classes: int
    ) -> Optional[PairedTest]:
        return label_paired_test(pairs)


# -- shared with the tasks built on classification (hierarchical) ----------------------
def label_metrics_to_compile(num_classes: int) -> list[Any]:
    """Keras metrics shown in the learning curves: accuracy, and top-5 beyond five classes."""
    import keras

    metrics: list[Any] = ["accuracy"]
    if num_classes > TOP_K:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=TOP_K, name="top5_accuracy"))
    return metrics


def cross_entropy(y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per-example sparse categorical cross-entropy, as Keras computes it from probabilities.

    Keras clips the probabilities to [ε, 1-ε], takes their logarithm as logits and
    applies softmax cross-entropy, which renormalises them; the same here in NumPy, in
    float32 as there, so that runs whose outputs differ only in the last bits (one
    thread or several) record the same loss.
    """
    clipped = np.clip(np.asarray(probabilities, dtype=np.float32), np.float32(EPSILON), np.float32(1 - EPSILON))
    y_true = np.asarray(y_true, dtype=np.int64)
    picked = clipped[np.arange(len(y_true)), y_true]
    return np.log(clipped.sum(axis=1)) - np.log(picked)


def score_labels(y_true: np.ndarray, probabilities: np.ndarray, num_classes: int) -> Evaluation:
    """Accuracy, top-5 accuracy (more than five classes) and loss of class probabilities."""
    y_true = np.asarray(y_true, dtype=np.int64)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise BenchError(
            f"expected class probabilities of shape ({len(y_true)}, {num_classes}). "
            f"Received: {probabilities.shape}"
        )
    y_pred = probabilities.argmax(axis=1)
    metrics = {
        "accuracy": float(np.mean(y_pred == y_true)),
        "loss": float(np.mean(cross_entropy(y_true, probabilities))),
    }
    if num_classes > TOP_K:
        top = np.argsort(probabilities, axis=1)[:, -TOP_K:]
        metrics["top5_accuracy"] = float(np.mean((top == y_true[:, None]).any(axis=1)))
    items = {"y_true": y_true.astype(np.int16), "y_pred": y_pred.astype(np.int16)}
    return Evaluation(metrics=metrics, items=items)


def add_coarse(evaluation: Evaluation, coarse_true: np.ndarray, coarse_pred: np.ndarray) -> None:
    """The superclass score and per-item superclasses, added to an evaluation."""
    coarse_true = np.asarray(coarse_true, dtype=np.int64)
    coarse_pred = np.asarray(coarse_pred, dtype=np.int64)
    evaluation.metrics["coarse_accuracy"] = float(np.mean(coarse_pred == coarse_true))
    evaluation.items["coarse_true"] = coarse_true.astype(np.int16)
    evaluation.items["coarse_pred"] = coarse_pred.astype(np.int16)


def fine_to_coarse(fine: np.ndarray, coarse: np.ndarray, num_fine: int) -> np.ndarray:
    """Each fine class's superclass, from training labels: the most frequent coarse label.

    CIFAR-100 maps every class to exactly one superclass, so the mode is that
    superclass; a class absent from ``fine`` maps to -1 (never correct).
    """
    fine = np.asarray(fine, dtype=np.int64).reshape(-1)
    coarse = np.asarray(coarse, dtype=np.int64).reshape(-1)
    mapping = np.full(num_fine, -1, dtype=np.int64)
    if len(fine) == 0:
        return mapping
    counts = np.zeros((num_fine, int(coarse.max()) + 1), dtype=np.int64)
    np.add.at(counts, (fine, coarse), 1)
    seen = counts.sum(axis=1) > 0
    mapping[seen] = counts[seen].argmax(axis=1)
    return mapping


# -- views of stored per-item results (no TensorFlow) ----------------------------------
def label_views(items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
    """Paired labels, per-class accuracy and the confusion matrix from ``y_true``/``y_pred``."""
    if "y_true" not in items or "y_pred" not in items:
        return ItemViews()
    y_true = np.asarray(items["y_true"], dtype=np.int64).ravel()
    y_pred = np.asarray(items["y_pred"], dtype=np.int64).ravel()
    return ItemViews(
        paired=(y_true, y_pred),
        per_class=per_class_accuracy(y_true, y_pred, num_classes),
        per_class_metric="accuracy",
        confusion=confusion_matrix(y_true, y_pred, num_classes),
    )


def label_paired_test(
    pairs: Sequence[tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]],
) -> Optional[PairedTest]:
    """Per test example, pooled over same-seed run pairs: how many only ``a`` got right and
    how many only ``b`` did (the discordant counts McNemar's test reads)."""
    a_only = b_only = used = items = 0
    for a, b in pairs:
        if not {"y_true", "y_pred"} <= set(a) or not {"y_true", "y_pred"} <= set(b):
            continue
        y_a = np.asarray(a["y_true"], dtype=np.int64).ravel()
        y_b = np.asarray(b["y_true"], dtype=np.int64).ravel()
        if y_a.shape != y_b.shape or not np.array_equal(y_a, y_b):
            continue  # not the same test examples: nothing to pair
        right_a = np.asarray(a["y_pred"], dtype=np.int64).ravel() == y_a
        right_b = np.asarray(b["y_pred"], dtype=np.int64).ravel() == y_b
        a_only += int(np.sum(right_a & ~right_b))
        b_only += int(np.sum(right_b & ~right_a))
        used += 1
        items = y_a.size
    if not used:
        return None
    return PairedTest("per_example", None, used, items, counts={"a_only": a_only, "b_only": b_only})


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred must have the same shape")
    for values in (y_true, y_pred):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"class labels must lie in 0..{num_classes - 1}")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts[true, predicted] as an int array of shape (num_classes, num_classes)."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    _check_labels(y_true, y_pred, num_classes)
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_accuracy(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Recall per true class (correct / examples of that class); NaN for absent classes."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    _check_labels(y_true, y_pred, num_classes)
    total = np.bincount(y_true, minlength=num_classes).astype(float)
    correct = np.bincount(y_true[y_true == y_pred], minlength=num_classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, correct / np.where(total > 0, total, 1), np.nan)


register_task(Classification())
