"""What a task is: the contract between a dataset's targets, the worker's training loop
and the views of stored results.

A task owns everything that depends on *what* is learned: which targets a dataset must
carry, how they are fed to ``fit`` (one output or several), the loss and the Keras
metrics to compile, how a trained model's test-set outputs become the run's metrics and
its per-item results (stored for paired tests and per-class views), and -- without
TensorFlow -- how stored per-item results turn into the report's per-item views.  The
worker (:mod:`bench.worker`) calls these and knows no task by name.

Task modules (``bench/tasks/<name>.py``) register one :class:`Task` each with
:func:`register` and their metrics with :func:`bench.metrics.register`.  Keras is
imported inside the training-side methods only, so the read side (report, diff, show)
can ask a task for its views in a process that never imports TensorFlow.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping, Optional, Sequence, Union

import numpy as np

from bench.errors import BenchError

#: What ``fit`` gets as ``y``: one array (one output) or arrays by output name.
FitTargets = Union[np.ndarray, dict[str, np.ndarray]]


@dataclass
class Evaluation:
    """What a task makes of a model's test-set outputs.

    Attributes:
        metrics: the run's task metrics by metric-table name (``accuracy``, ``loss``, ...).
        items: per-item results by name, saved in the store's ``predictions`` table; any
            shapes (one row per test example for classification, several named arrays for
            detection).
    """

    metrics: dict[str, float] = field(default_factory=dict)
    items: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemViews:
    """The per-item views of one run, derived from its stored per-item results.

    Attributes:
        paired: ``(y_true, y_pred)`` int64 for paired tests (McNemar, per-class changes),
            or None where the task has no per-item right/wrong.
        per_class: one score per class, NaN for a class without test examples, or None.
        per_class_metric: the metric-table name of that score (``accuracy``).
        confusion: counts[true, predicted] of shape (classes, classes), or None.
    """

    paired: Optional[tuple[np.ndarray, np.ndarray]] = None
    per_class: Optional[np.ndarray] = None
    per_class_metric: str = "accuracy"
    confusion: Optional[np.ndarray] = None


@dataclass(frozen=True)
class RunItems:
    """One successful run's stored per-item results, as the read side hands them to its task."""

    key: str
    variant: str
    seed: int
    items: Mapping[str, np.ndarray]
    #: the run's resolved configuration (its ``dataset`` section finds the test images again)
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FigureRequest:
    """What a task's report figures are drawn from.

    Attributes:
        runs: every successful run with stored per-item results, in plan order.
        baseline: the suite's baseline variant.
        best: the variant with the best mean of the primary metric (None when unknown).
        num_classes: classes of the test set; ``class_names`` their names (one per class).
        fig_dir: the folder the PNGs go into (``<report>/figures``).
        lang: the language of every word drawn.
        input_shape: the shape of one input the models saw (``(H, W, C)`` for images).
    """

    runs: tuple[RunItems, ...]
    baseline: str
    best: Optional[str]
    num_classes: int
    class_names: tuple[str, ...]
    fig_dir: Path
    lang: str = "en"
    input_shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class TaskFigure:
    """One figure a task adds to the report; ``file`` is relative to the report's folder."""

    id: str
    title: str
    caption: str
    file: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "caption": self.caption, "file": self.file}


@dataclass(frozen=True)
class PairedTest:
    """A task's paired per-item test of two variants on their same-seed runs.

    It describes these trained models on this test set (the variation of test items,
    not of seeds), so it never changes a verdict.  ``method`` names the procedure and
    the catalog sentence that states it (``paired.<method>``).

    Attributes:
        method: ``per_example`` (pooled right/wrong counts), ``bootstrap_images`` (...).
        metric: the metric-table name the difference is in, or None for counts only.
        pairs: same-seed run pairs used; ``items``: test items per run.
        delta: mean over the pairs of metric(b) - metric(a); ``ci_low``/``ci_high`` its
            interval at ``level``; ``p_value`` two-sided, for "no difference".
        counts: named counts (``a_only``, ``b_only``: items only one side got right).
    """

    method: str
    metric: Optional[str]
    pairs: int
    items: int
    delta: Optional[float] = None
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None
    level: Optional[float] = None
    p_value: Optional[float] = None
    counts: Mapping[str, int] = field(default_factory=dict)


class Task(ABC):
    """One kind of learning problem; see the module docstring for the split of duties."""

    #: The name runs are stored under and suites / families refer to.
    name: ClassVar[str]
    #: Targets a dataset must carry (:mod:`bench.datasets.dataset` names).
    targets: ClassVar[tuple[str, ...]]

    # -- training side (called by the worker; Keras imported inside) -----------------
    def check(self, data: Any, model: Any) -> None:
        """Refuse, with one line saying what to change, a dataset or model that does not fit.

        The default checks the targets; tasks add checks of the model's outputs.
        """
        missing = [t for t in self.targets if not data.has_target(t)]
        if missing:
            raise BenchError(
                f"task {self.name!r} needs the dataset targets {', '.join(missing)}, but dataset "
                f"{data.name!r} carries only: {', '.join(data.target_names) or 'none'}"
            )

    @abstractmethod
    def fit_targets(self, data: Any, split: str) -> FitTargets:
        """``y`` for ``fit`` on ``split``: one array, or arrays keyed by the model's output names."""

    @abstractmethod
    def compile_args(self, data: Any, model: Any) -> tuple[Any, Any]:
        """``(loss, metrics)`` for ``model.compile`` (per output where the model has several)."""

    def curves(self, history: dict[str, list[float]]) -> dict[str, list[float]]:
        """Keras' per-epoch history under the names runs are compared by (default: as is)."""
        return history

    def serving_model(self, model: Any) -> Any:
        """The model whose batch-1 latency is the run's (default: the whole model)."""
        return model

    def bind(self, model_config: Any, model: Any) -> "Task":
        """This task for one built model (the worker calls it right after building).

        Tasks whose targets, loss or scoring depend on the model's own settings -- a
        detector's default boxes, matching threshold and suppression settings -- return a
        copy that holds them, so :meth:`fit_targets` and :meth:`evaluate` need no model
        argument.  The default is the task itself.
        """
        return self

    @abstractmethod
    def evaluate(self, outputs: Mapping[str, np.ndarray], data: Any) -> Evaluation:
        """Run metrics and per-item results from the test-set outputs, by output name."""

    # -- read side (TensorFlow-free) ------------------------------------------------
    @abstractmethod
    def item_views(self, items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
        """One run's per-item views from what :meth:`evaluate` stored as ``items``."""

    def report_figures(self, request: FigureRequest) -> list[TaskFigure]:
        """The task's own report figures (beyond the per-class and confusion views of
        :meth:`item_views`), drawn into ``request.fig_dir``; default none."""
        return []

    #: modules (besides the task's own) whose code the task's figures depend on; a
    #: report redraws cached task figures when one of them changes
    figure_modules: ClassVar[tuple[str, ...]] = ()

    def paired_test(
        self, pairs: Sequence[tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]], num_classes: int
    ) -> Optional[PairedTest]:
        """A paired per-item test of side ``a`` against side ``b`` over same-seed run pairs
        (``(a items, b items)`` each), or None where the task has none."""
        return None


def output_names(model: Any) -> list[str]:
    """A Keras model's output names, in order."""
    return list(getattr(model, "output_names", None) or [])


def named_outputs(model: Any, outputs: Any) -> dict[str, np.ndarray]:
    """What ``model.predict`` returned (one array, a list or a dict) keyed by output name."""
    if isinstance(outputs, Mapping):
        return {str(k): np.asarray(v) for k, v in outputs.items()}
    names = output_names(model)
    if isinstance(outputs, (list, tuple)):
        if len(names) != len(outputs):
            names = [f"output_{i}" for i in range(len(outputs))]
        return {name: np.asarray(v) for name, v in zip(names, outputs)}
    return {names[0] if len(names) == 1 else "output": np.asarray(outputs)}


def only_output(outputs: Mapping[str, np.ndarray], task: str) -> np.ndarray:
    """The one output of a one-output model."""
    if len(outputs) != 1:
        raise BenchError(
            f"task {task!r} scores a model with one output; this model has "
            f"{len(outputs)}: {', '.join(outputs)}"
        )
    return np.asarray(next(iter(outputs.values())))


# -- the registry ---------------------------------------------------------------------
_TASKS: dict[str, Task] = {}
_LOCK = threading.Lock()
_LOADED = False


def register(task: Task, *, replace: bool = False) -> Task:
    """Make ``task`` known by its name; another task under a taken name raises ``ValueError``."""
    with _LOCK:
        existing = _TASKS.get(task.name)
        if existing is not None and type(existing) is not type(task) and not replace:
            raise ValueError(f"task {task.name!r} is already registered")
        _TASKS[task.name] = task
    return task


def unregister(name: str) -> None:
    """Forget a task (tests that register their own clean up with this)."""
    with _LOCK:
        _TASKS.pop(name, None)


def _load() -> None:
    # Every module of bench/tasks is a task, found as CLI verbs are (not named here).
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    package = importlib.import_module("bench.tasks")
    for found in pkgutil.iter_modules(package.__path__):
        if not found.name.startswith("_"):
            importlib.import_module(f"bench.tasks.{found.name}")


def names() -> list[str]:
    """Every registered task name, sorted."""
    _load()
    return sorted(_TASKS)


def get(name: str) -> Task:
    """The task called ``name``; an unknown name is a BenchError naming the known ones."""
    _load()
    task = _TASKS.get(name)
    if task is None:
        raise BenchError(f"unknown task {name!r}; known tasks: {', '.join(sorted(_TASKS))}")
    return task


def task_of(config: Mapping[str, Any], dataset_record: Optional[Mapping[str, Any]] = None) -> str:
    """The task name of a stored run, from its config (JSON) and dataset record.

    Runs record their task in the dataset record; for runs stored before that, the
    model family decides as it does today (:func:`bench.models.task_name`).
    """
    recorded = (dataset_record or {}).get("task")
    if recorded:
        return str(recorded)
    from bench.models import task_name

    return task_name((config or {}).get("model") or {})

