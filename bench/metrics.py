"""The metric table: what every metric bench records *is*, in one place.

Every module that names a metric -- suite validation, the worker's tasks, analysis,
the report, diff, figures, export, show, publish -- asks this table for its facts:
its kind (how a value is read and formatted), its direction (is larger better,
smaller better, or neither), whether it is a cost, how seeds are aggregated, and its
label in every report language.  Adding a metric is one :func:`register` call; a task
(``bench.tasks``) registers the metrics it produces when it is imported.

Labels live here because a label belongs to a metric as much as its direction does;
every other word (units, sentences, headings) lives in the word catalogs
(``bench.words``).  This module imports nothing heavy and never TensorFlow.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import threading
from dataclasses import dataclass, field
from typing import Iterable, Mapping

__all__ = [
    "Aggregate",
    "Direction",
    "Kind",
    "Metric",
    "all_metrics",
    "claimable",
    "cost_metrics",
    "get",
    "is_known",
    "label",
    "register",
    "report_metrics",
]


class Kind(str, enum.Enum):
    """How a metric's values are read and formatted (the presentation layer decides the text)."""

    FRACTION = "fraction"  #: a proportion in 0..1, shown as a percentage; differences in pp
    NUMBER = "number"  #: a plain real number (loss), three significant digits
    COUNT = "count"  #: a count of things (parameters, examples), SI prefixes
    FLOPS = "flops"  #: floating-point operations, SI prefixes and "FLOPs"
    MACS = "macs"  #: multiply-accumulates, SI prefixes and "MACs"
    SECONDS = "seconds"  #: a duration in seconds
    MILLISECONDS = "milliseconds"  #: a short duration in milliseconds
    RATE = "rate"  #: examples per second
    EPOCHS = "epochs"  #: a number of epochs


class Direction(str, enum.Enum):
    """Which way is good for a metric."""

    HIGHER = "higher"  #: larger is better (accuracy, mAP, throughput)
    LOWER = "lower"  #: smaller is better (loss, time, FLOPs)
    NEITHER = "neither"  #: no better side (dataset sizes, epochs run): a change is only reported


class Aggregate(str, enum.Enum):
    """How the runs of one variant combine into the number a table shows."""

    MEAN = "mean"  #: mean over seeds, with a t interval (the statistics' default)
    MEDIAN = "median"  #: median over seeds (timings, where one slow run should not dominate)


#: The languages every label must be given in (the word catalogs have the same set).
LANGUAGES: tuple[str, ...] = ("en", "ru")


@dataclass(frozen=True)
class Metric:
    """One row of the metric table.

    Attributes:
        name: the key runs are stored under (``accuracy``).
        kind: how values are read and formatted.
        direction: which way is good.
        labels: the label in every language of :data:`LANGUAGES` ("accuracy", "точность").
        cost: a cost of a variant (FLOPs, time, parameters): comparisons report its ratio
            to the baseline.
        aggregate: how seeds combine in tables.
        report: shown in the report's results table when a store holds it.
        compare: compared against the baseline (tests, verdicts) when a store holds it.
        claimable: a suite's claim may name it.
        task: the task that registered it (``None`` for metrics every run records).
    """

    name: str
    kind: Kind
    direction: Direction
    labels: Mapping[str, str]
    cost: bool = False
    aggregate: Aggregate = Aggregate.MEAN
    report: bool = True
    compare: bool = True
    claimable: bool = True
    task: str | None = None
    description: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [lang for lang in LANGUAGES if not self.labels.get(lang)]
        if missing:
            raise ValueError(f"metric {self.name!r} lacks a label in: {', '.join(missing)}")

    @property
    def higher_is_better(self) -> bool | None:
        """True/False for a metric with a better side, None for one without."""
        if self.direction is Direction.NEITHER:
            return None
        return self.direction is Direction.HIGHER

    @property
    def is_fraction(self) -> bool:
        return self.kind is Kind.FRACTION

    @property
    def varies_by_seed(self) -> bool:
        """Whether seeds scatter its values (accuracy, loss, time), unlike sizes and counts.

        Zero spread over seeds is then a warning sign, not an exact difference.
        """
        return self.kind not in (Kind.COUNT, Kind.FLOPS, Kind.MACS, Kind.EPOCHS)

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels["en"]


_TABLE: dict[str, Metric] = {}
_LOCK = threading.Lock()
_TASKS_LOADED = False


def register(metric: Metric, *, replace: bool = False) -> Metric:
    """Add ``metric`` to the table; registering the same definition twice is a no-op.

    A different definition under a taken name raises ``ValueError`` unless ``replace``:
    two modules must never disagree on what a metric is.
    """
    with _LOCK:
        existing = _TABLE.get(metric.name)
        if existing is not None and existing != metric and not replace:
            raise ValueError(f"metric {metric.name!r} is already registered differently")
        _TABLE[metric.name] = metric
    return metric


def unregister(name: str) -> None:
    """Remove a metric (tests that register one of their own clean up with this)."""
    with _LOCK:
        _TABLE.pop(name, None)


def _load_tasks() -> None:
    # Tasks are plug-ins found by name (as CLI verbs are): every module of ``bench/tasks``
    # registers its metrics when imported, which is cheap (no TensorFlow).  Found, not
    # imported by name, so that this table depends on no task.
    global _TASKS_LOADED
    if _TASKS_LOADED:
        return
    _TASKS_LOADED = True
    package = importlib.import_module("bench.tasks")
    for found in pkgutil.iter_modules(package.__path__):
        if not found.name.startswith("_"):
            importlib.import_module(f"bench.tasks.{found.name}")


def is_known(name: str) -> bool:
    _load_tasks()
    return name in _TABLE


def get(name: str) -> Metric:
    """The metric called ``name``; an unknown name (a user's own family recorded it) gets a
    neutral plain-number entry labelled with its own name, so every view can still show it."""
    _load_tasks()
    found = _TABLE.get(name)
    if found is not None:
        return found
    text = name.replace("_", " ")
    return Metric(
        name=name,
        kind=Kind.NUMBER,
        direction=Direction.NEITHER,
        labels={lang: text for lang in LANGUAGES},
        compare=False,
        claimable=False,
    )


def label(name: str, lang: str = "en") -> str:
    return get(name).label(lang)


def all_metrics() -> list[Metric]:
    """Every registered metric in table order: the tasks' own metrics first (accuracy, mAP),
    then those every run records (loss, costs), each group in registration order."""
    _load_tasks()
    return sorted(_TABLE.values(), key=lambda m: m.task is None)


def report_metrics(present: Iterable[str] | None = None) -> list[str]:
    """Names of the metrics a results table shows, in table order, limited to ``present``."""
    have = None if present is None else set(present)
    return [m.name for m in all_metrics() if m.report and (have is None or m.name in have)]


def compared_metrics(present: Iterable[str] | None = None) -> list[str]:
    """Names of the metrics compared against the baseline, limited to ``present``."""
    have = None if present is None else set(present)
    return [m.name for m in all_metrics() if m.compare and (have is None or m.name in have)]


def cost_metrics() -> list[str]:
    """Names of the cost metrics (their ratio to the baseline is reported)."""
    return [m.name for m in all_metrics() if m.cost]


def claimable() -> list[str]:
    """Names a suite's ``claim.metric`` may take."""
    return [m.name for m in all_metrics() if m.claimable]


# -- metrics every run records, whatever its task ----------------------------------------
def _common(name: str, kind: Kind, direction: Direction, en: str, ru: str, **facts: object) -> None:
    register(Metric(name=name, kind=kind, direction=direction, labels={"en": en, "ru": ru}, **facts))  # type: ignore[arg-type]


_common("loss", Kind.NUMBER, Direction.LOWER, "loss", "потери")
_common("flops", Kind.FLOPS, Direction.LOWER, "FLOPs per example", "FLOPs на пример", cost=True)
_common("macs", Kind.MACS, Direction.LOWER, "multiply-adds per example", "умножений-сложений на пример",
        compare=False)  # fmt: skip
_common("params", Kind.COUNT, Direction.LOWER, "parameters", "параметры", cost=True)
_common("train_seconds", Kind.SECONDS, Direction.LOWER, "training time", "время обучения", cost=True)
_common("images_per_second", Kind.RATE, Direction.HIGHER, "throughput", "пропускная способность")
_common("latency_ms", Kind.MILLISECONDS, Direction.LOWER, "latency", "задержка")
_common("train_flops", Kind.FLOPS, Direction.LOWER, "training FLOPs", "FLOPs обучения",
        report=False, compare=False)  # fmt: skip
_common("trainable_params", Kind.COUNT, Direction.NEITHER, "trainable parameters",
        "обучаемые параметры", report=False, compare=False, claimable=False)  # fmt: skip
_common("epochs_run", Kind.EPOCHS, Direction.NEITHER, "epochs run", "пройдено эпох",
        report=False, compare=False, claimable=False)  # fmt: skip
_common("train_size", Kind.COUNT, Direction.NEITHER, "training examples", "обучающих примеров",
        report=False, compare=False, claimable=False)  # fmt: skip
_common("test_size", Kind.COUNT, Direction.NEITHER, "test examples", "тестовых примеров",
        report=False, compare=False, claimable=False)  # fmt: skip
