"""The read side: one results store read into one typed :class:`SuiteResults`.

Every view -- ``bench report``, ``diff``, ``show``, ``export``, ``list``, ``publish`` --
reads a store through this module and nothing else, so "the environment a suite ran
in", "the dataset it was scored on" or "a run's test predictions" is worked out in one
place and means the same in every view.  Only :mod:`bench.store` touches SQLite; this
module asks the store and shapes what it returns.  It computes no statistic (that is
:mod:`bench.analysis`) and writes no word (the views do, from the catalogs).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from bench import metrics as metric_table
from bench import status
from bench.configdiff import is_bookkeeping
from bench.status import Status
from bench.store import ResultStore

if TYPE_CHECKING:
    from bench.tasks import ItemViews

__all__ = [
    "MISSING",
    "RUN_COLUMNS",
    "DatasetRecord",
    "Environment",
    "SuiteResults",
    "load",
    "run_statuses",
    "suite_names",
]

#: The status of a planned run not trained yet (no row in the store's ``runs``).
MISSING = status.MISSING
#: Columns of :attr:`SuiteResults.runs` that are not metrics.
RUN_COLUMNS: frozenset[str] = frozenset(
    ("suite", "variant", "seed", "key", "status", "error", "started_at", "finished_at",
     "host", "config", "versions", "hardware", "dataset", "task")
)  # fmt: skip
#: Statuses of runs that ended without counting (the run statuses but ``ok``).
UNSUCCESSFUL: tuple[str, ...] = tuple(s.value for s in Status if s is not Status.OK)


@dataclass(frozen=True)
class Environment:
    """Where runs were measured: the last successful run's host, hardware and library versions."""

    host: Optional[str] = None
    cpu: Optional[str] = None
    cores: Optional[int] = None
    gpus: tuple[str, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return self.host is not None

    def changes_to(self, other: "Environment") -> list[tuple[str, Any, Any]]:
        """``(what, before, after)`` for each of host, CPU, GPUs and library version that moved."""
        if not self.known or not other.known:
            return []
        moved: list[tuple[str, Any, Any]] = [
            (what, getattr(self, what), getattr(other, what))
            for what in ("host", "cpu", "gpus")
            if getattr(self, what) != getattr(other, what)
        ]
        for name in dict.fromkeys([*self.versions, *other.versions]):
            before, after = self.versions.get(name), other.versions.get(name)
            if before != after:
                moved.append((name, before, after))
        return moved

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "cpu": self.cpu,
            "cores": self.cores,
            "gpus": list(self.gpus),
            "versions": dict(self.versions),
        }


@dataclass(frozen=True)
class DatasetRecord:
    """The dataset the runs were scored on, as the worker recorded it (else as configured).

    ``record`` keeps everything the worker wrote, so a task's own fields (class names,
    box formats) reach the views without a field here per case.
    """

    name: str
    input_shape: tuple[int, ...] = ()
    classes: Optional[int] = None
    class_names: tuple[str, ...] = ()
    train: Optional[int] = None
    validation: Optional[int] = None
    test: Optional[int] = None
    fingerprint: Optional[str] = None
    configured: Mapping[str, Any] = field(default_factory=dict)
    record: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names_of_classes(self) -> Optional[list[str]]:
        """Class names when there is one per class, else None (the views number them)."""
        if self.class_names and self.classes and len(self.class_names) == self.classes:
            return list(self.class_names)
        return None


@dataclass
class SuiteResults:
    """One suite of one store, read once.

    Attributes:
        path: the store file.
        definition: the suite as ``bench run`` saved it (variants with their configs and
            changes, baseline, alpha, ...).
        runs: one row per planned run in plan order: identifiers, ``status`` (a
            :class:`~bench.status.Status` value or ``"missing"``), ``task``, times, host,
            the JSON columns, and one column per recorded metric.
        history: per-epoch values of the trained runs (any status), long: run_key, variant, seed,
            epoch, name, value.
        predictions: each successful run's stored per-item arrays (``y_true``, ``y_pred``,
            a task's own), by run key; empty when not asked for.
        manifest: the reproducibility manifest of the suite's last ``bench run`` (None for
            stores recorded before manifests existed).
        run_manifests: run key → that run's manifest.
        design: the group-sequential design ``--until-conclusive`` added seeds by (None:
            the seeds were fixed in advance); verdicts are then re-decided by it.
    """

    path: Path
    definition: dict[str, Any]
    runs: pd.DataFrame
    history: pd.DataFrame
    predictions: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    manifest: Optional[dict[str, Any]] = None
    run_manifests: dict[str, dict[str, Any]] = field(default_factory=dict)
    design: Optional[dict[str, Any]] = None
    _views: dict[str, Any] = field(default_factory=dict, repr=False)
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    def _once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, worked out once per loaded table: a report asks the same things
        (the ok runs, the classes, a per-class family) many times.  Replacing ``runs``
        starts afresh."""
        if self._derived.get("runs") is not self.runs:
            self._derived.clear()
            self._views.clear()
            self._derived["runs"] = self.runs
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    # -- the suite ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.definition["name"])

    @property
    def title(self) -> str:
        return str(self.definition.get("title") or self.definition["name"])

    @property
    def baseline(self) -> str:
        return str(self.definition.get("baseline", "base"))

    @property
    def alpha(self) -> float:
        return float(self.definition.get("alpha", 0.05))

    @property
    def min_effect(self) -> float:
        return float(self.definition.get("min_effect", 0.0) or 0.0)

    @property
    def lang(self) -> Optional[str]:
        return self.definition.get("lang") or None

    @property
    def variants(self) -> list[dict[str, Any]]:
        """The suite's variants in suite order (name, config, changes, claim, description).

        Stores written before bookkeeping left the changes may list ``train.seeds``; it is
        dropped here, so a variant given more seeds never reads as a different variant.
        """
        return [
            {**info, "changes": [c for c in info.get("changes") or [] if not is_bookkeeping(c[0])]}
            for info in self.definition.get("variants", [])
        ]

    def variant(self, name: str) -> dict[str, Any]:
        """The variant called ``name``; KeyError names the ones there are."""
        for info in self.variants:
            if info["name"] == name:
                return info
        raise KeyError(name)

    @property
    def variant_names(self) -> list[str]:
        return [v["name"] for v in self.variants]

    def variants_with_runs(self) -> list[str]:
        """Variant names in suite order, those the plan has runs for."""
        present = set(self.runs["variant"])
        return [n for n in self.variant_names if n in present]

    @property
    def training(self) -> dict[str, Any]:
        """The baseline's training settings (epochs, batch size, optimizer, rate, seeds).

        ``seeds_range`` is (fewest, most) planned seeds per variant where variants differ
        (more seeds where a verdict was open), else None.
        """
        train = self._baseline_config().get("train", {})
        settings = {k: train.get(k) for k in ("epochs", "batch_size", "optimizer", "learning_rate", "seeds")}
        per_variant = self.runs.groupby("variant").size() if len(self.runs) else pd.Series(dtype=int)
        low, high = (int(per_variant.min()), int(per_variant.max())) if len(per_variant) else (0, 0)
        settings["seeds_range"] = (low, high) if low != high else None
        return settings

    # -- the runs ---------------------------------------------------------------------------
    @property
    def ok(self) -> pd.DataFrame:
        """The successful runs (the only ones a statistic counts)."""
        return self._once("ok", lambda: self.runs[self.runs["status"] == Status.OK.value])

    @property
    def finished(self) -> pd.DataFrame:
        """Every run that was trained (any status but missing)."""
        return self.runs[self.runs["status"] != MISSING]

    @property
    def unsuccessful(self) -> pd.DataFrame:
        """Runs that ended without counting: failed, diverged, over budget."""
        return self.runs[self.runs["status"].isin(UNSUCCESSFUL)]

    @property
    def metric_names(self) -> list[str]:
        """Metrics some run recorded a value of: the table's order first, then the rest by name."""
        recorded = [
            c for c in self.runs.columns if c not in RUN_COLUMNS and self.runs[c].notna().any()
        ]
        known = [m.name for m in metric_table.all_metrics() if m.name in recorded]
        return known + sorted(set(recorded) - set(known))

    def counts(self) -> dict[str, int]:
        """Planned runs and how many have each status (every status, and ``missing``)."""
        found = self.runs["status"].value_counts().to_dict()
        statuses = [s.value for s in Status] + [MISSING]
        return {"planned": int(len(self.runs)), **{s: int(found.get(s, 0)) for s in statuses}}

    def last_finished(self) -> Optional[float]:
        """When the last run finished (a UNIX time), None before any."""
        finished = pd.to_numeric(self.runs["finished_at"], errors="coerce").dropna()
        return float(finished.max()) if len(finished) else None

    @property
    def tasks(self) -> list[str]:
        """The tasks the runs belong to, in first-seen order."""
        return list(dict.fromkeys(t for t in self.runs["task"].dropna()))

    # -- derived records ------------------------------------------------------------------------
    def environment(self, runs: Optional[pd.DataFrame] = None) -> Environment:
        """The environment of the last successful run (of ``runs`` if given) that recorded one."""
        frame = self.ok if runs is None else runs
        if "host" not in frame:
            return Environment()
        frame = frame[frame["host"].notna()]
        if frame.empty:
            return Environment()
        row = frame.iloc[-1]
        hardware = _json(row.get("hardware"))
        cores = hardware.get("cores")
        return Environment(
            host=str(row["host"]),
            cpu=hardware.get("cpu"),
            cores=int(cores) if isinstance(cores, (int, float)) else None,
            gpus=tuple(str(g) for g in hardware.get("gpus") or ()),
            versions={str(k): str(v) for k, v in _json(row.get("versions")).items()},
        )

    def dataset(self, variants: Optional[Iterable[str]] = None) -> DatasetRecord:
        """The dataset as the first successful run (of ``variants``) recorded it, else as configured."""
        chosen = frozenset(variants) if variants is not None else None
        return self._once(("dataset", chosen), lambda: self._dataset(chosen))

    def _dataset(self, variants: Optional[frozenset[str]]) -> DatasetRecord:
        configured = dict(self._baseline_config().get("dataset", {}))
        recorded = self._once(
            "ok_datasets", lambda: list(zip(self.ok["variant"].tolist(), self.ok["dataset"].tolist()))
        )  # fmt: skip
        record: dict[str, Any] = {}
        for variant, text in recorded:
            if variants is not None and variant not in variants:
                continue
            record = _json(text)
            if record:
                break
        return DatasetRecord(
            name=str(record.get("name") or configured.get("name") or "—"),
            input_shape=tuple(int(x) for x in record.get("input_shape") or ()),
            classes=_int_or_none(record.get("classes")),
            class_names=tuple(str(c) for c in record.get("class_names") or ()),
            train=_int_or_none(record.get("train")),
            validation=_int_or_none(record.get("validation")),
            test=_int_or_none(record.get("test")),
            fingerprint=record.get("fingerprint"),
            configured=configured,
            record=record,
        )

    def test_set_identity(self, variant: str) -> Optional[str]:
        """The test set ``variant`` was scored on: the recorded fingerprint, else a hash of its labels."""
        ok = self.ok[self.ok["variant"] == variant]
        for text in ok["dataset"].dropna():
            fingerprint = _json(text).get("fingerprint")
            if fingerprint:
                return str(fingerprint)
        for key in ok["key"]:
            labels = self.predictions.get(key, {}).get("y_true")
            if labels is not None:
                raw = np.ascontiguousarray(labels, dtype="<i8").tobytes()
                return "labels:" + hashlib.sha256(raw).hexdigest()
        return None

    def num_classes(self) -> Optional[int]:
        """Classes of the test set: as recorded, else one more than the largest stored label."""
        return self._once("num_classes", self._num_classes)

    def _num_classes(self) -> Optional[int]:
        recorded = self.dataset().classes
        if recorded:
            return recorded
        labels = [
            int(array.max())
            for arrays in self.predictions.values()
            for array in arrays.values()
            if array.size and np.issubdtype(array.dtype, np.integer)
        ]
        return 1 + max(labels) if labels else None

    def item_views(self, key: str) -> "ItemViews":
        """One successful run's per-item views (paired labels, per-class scores, confusion),
        as the run's task derives them from what it stored."""
        from bench import tasks

        task_of = self._once(
            "task_of", lambda: dict(zip(self.runs["key"][::-1], self.runs["task"][::-1]))
        )  # the first row of a key, as a lookup
        cached = self._views.get(key)
        if cached is None:
            task = tasks.get(str(task_of[key]))
            cached = task.item_views(self.predictions.get(key, {}), self.num_classes() or 0)
            self._views[key] = cached
        return cached

    def labelled_predictions(
        self, keys: Optional[Iterable[str]] = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{run key: (y_true, y_pred)}`` as integer arrays: the per-item pairs the paired
        tests and per-class changes take, for the runs (of ``keys``) whose task gives them."""
        wanted = list(self.predictions) if keys is None else [k for k in keys if k in self.predictions]
        pairs = {key: self.item_views(key).paired for key in wanted}
        return {key: pair for key, pair in pairs.items() if pair is not None}

    def class_changes(
        self, a: str, b: str, family: Optional[Sequence[str]] = None
    ) -> Optional[pd.DataFrame]:
        """Classes whose score changed significantly from variant ``a`` to ``b``: a t-test over
        seeds (paired where the seeds pair), Holm across every variant × class test of
        ``family`` (default: ``b`` alone) (:func:`bench.analysis.per_class_changes`) on the
        runs' per-item views; None when the runs stored none.  The one way report and diff
        ask it: the report passes every variant, so its per-class family is the whole suite."""
        from bench import analysis

        family = list(family) if family is not None else [b]
        names = family if b in family else [*family, b]
        class_names = self.dataset([a, b]).names_of_classes
        key = ("class_changes", a, tuple(names), None if class_names is None else tuple(class_names))
        # one family table answers every variant of it (the report asks once per variant)
        table = self._once(key, lambda: self._class_family(a, names, class_names))
        if table is None:
            return None
        return analysis.per_class_rows(table, b)

    def _class_family(
        self, a: str, names: list[str], class_names: Optional[list[str]]
    ) -> Optional[pd.DataFrame]:
        from bench import analysis

        keys = self.ok.loc[self.ok["variant"].isin([a, *names]), "key"]
        pairs = self.labelled_predictions(keys)
        classes = self.num_classes()
        if not pairs or not classes:
            return None
        return analysis.per_class_family_changes(
            self.runs, pairs, a, int(classes), variants=names, alpha=self.alpha,
            min_effect=self.min_effect, class_names=class_names,
        )  # fmt: skip

    def seed_rows(self, metrics: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Each variant's trained runs, seed by seed: seed, status and the ``metrics`` values."""
        names = list(metrics)
        rows: dict[str, list[dict[str, Any]]] = {}
        for run in self.finished.sort_values(["seed"], kind="stable").to_dict("records"):
            row = {"seed": int(run["seed"]), "status": str(run["status"]), "key": str(run["key"])}
            row["values"] = {name: finite_or_none(run.get(name)) for name in names}
            rows.setdefault(str(run["variant"]), []).append(row)
        return rows

    def config_of(self, variant: str) -> dict[str, Any]:
        return dict(self.variant(variant).get("config", {}))

    def _baseline_config(self) -> dict[str, Any]:
        for info in self.variants:
            if info["name"] == self.baseline:
                return dict(info.get("config", {}))
        return dict(self.variants[0].get("config", {})) if self.variants else {}


# -- reading ------------------------------------------------------------------------------------
def load(
    path: str | Path,
    suite: Optional[str] = None,
    *,
    predictions: bool = True,
    history: bool = True,
) -> SuiteResults:
    """Read one suite of the store at ``path`` (the only one if ``suite`` is None).

    ``predictions``/``history`` False skip the per-item arrays and the curves (a view that
    needs neither, like ``bench export``, then reads only the runs).  Raises
    :class:`bench.errors.BenchError` for a missing or foreign file or an unknown suite.
    """
    with ResultStore(path, create=False) as store:
        definition = store.suite_definition(suite)
        runs = store.runs_frame(definition["name"])
        ok_keys = list(runs.loc[runs["status"] == Status.OK.value, "key"].unique())
        trained = list(runs.loc[runs["status"] != MISSING, "key"].unique())
        curves = store.history_frame(trained) if history else _empty_history()
        arrays = {key: store.predictions(key) for key in ok_keys} if predictions else {}
        manifest = store.suite_manifest(definition["name"])
        run_manifests = store.run_manifests(trained)
        design = store.design(definition["name"])
    runs = runs.copy()
    runs["task"] = [_task_of(c, d) for c, d in zip(runs["config"], runs["dataset"], strict=True)]
    if len(curves):
        who = runs[["key", "variant", "seed"]].drop_duplicates("key").rename(columns={"key": "run_key"})
        curves = curves.merge(who, on="run_key")
    else:
        curves = _empty_history()
    return SuiteResults(
        Path(path), definition, runs, curves, {k: v for k, v in arrays.items() if v},
        manifest, run_manifests, design,
    )


def suite_names(path: str | Path) -> list[str]:
    """The suites a store holds (empty for a store no ``bench run`` finished saving)."""
    with ResultStore(path, create=False) as store:
        return store.suite_names()


def run_statuses(path: str | Path) -> dict[str, str]:
    """Every stored run's status by key, planned or not (for matching a suite file's plan)."""
    with ResultStore(path, create=False) as store:
        frame = store.runs_frame(None, planned_only=False)
    return dict(zip(frame["key"], frame["status"].astype(str), strict=True))


# -- small pieces -------------------------------------------------------------------------------
def finite_or_none(value: Any) -> Optional[float]:
    """A finite float, or None for None, NaN, infinities and non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(columns=["run_key", "epoch", "name", "value", "variant", "seed"])


def _json(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _int_or_none(value: Any) -> Optional[int]:
    number = finite_or_none(value)
    return int(number) if number is not None else None


def _task_of(config_text: Any, dataset_text: Any) -> Optional[str]:
    """The task a trained run belongs to (:func:`bench.tasks.task_of`); None for one not trained."""
    if not isinstance(config_text, str):
        return None
    from bench import tasks

    return tasks.task_of(_json(config_text), _json(dataset_text))
