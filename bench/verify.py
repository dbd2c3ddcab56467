"""Re-check a stored result: retrain runs from their stored configuration and compare.

``bench verify STORE`` takes chosen runs of a store (by default seed 0 of the
baseline), trains each again in a fresh worker process (the same
:func:`bench.worker.train_run` that trained it, with the intra-op thread count
the run recorded), and compares what comes out with what the store holds:
every metric that does not measure time, every per-epoch curve, and the
test-set predictions.  A run is *identical* when all are equal, *within
tolerance* when each metric and curve value is within the given absolute
tolerance and at most that fraction of the predictions differ, and
*different* otherwise.  The manifest fields that changed between the stored
run and the re-run (threads, package versions, CPU, ...) come with the answer,
since they are where a difference usually comes from.

The store is only read: everything needed is read first and the store is
closed before anything trains, and nothing is recorded.  This module returns
data; the command (:mod:`bench.cli.verify`) adds the words.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from bench import metrics as metric_table
from bench.errors import BenchError
from bench.status import Status
from bench.manifest import ManifestChange, compare_manifests

__all__ = ["Difference", "RunCheck", "StoredRun", "VerifyOutcome", "select_runs", "stored_lang", "verify_store"]

IDENTICAL = "identical"
WITHIN_TOLERANCE = "within tolerance"
DIFFERENT = "different"
FAILED = "retrain failed"
#: Metric kinds that measure the machine's speed, not the model: never reproducible.
_TIMING_KINDS = (metric_table.Kind.SECONDS, metric_table.Kind.MILLISECONDS, metric_table.Kind.RATE)


@dataclass
class StoredRun:
    """One run as the store holds it: what to train again and what it produced then."""

    suite: str
    variant: str
    seed: int
    key: str
    config: dict[str, Any]
    status: str
    metrics: dict[str, Optional[float]]
    history: dict[str, list[Optional[float]]]
    predictions: dict[str, np.ndarray]
    manifest: dict[str, Any]
    threads: Optional[int]


@dataclass(frozen=True)
class Difference:
    """One thing that came out differently: ``kind`` is metric, history, predictions or status."""

    kind: str
    name: str
    stored: Any
    rerun: Any
    within_tolerance: bool = False
    epoch: Optional[int] = None
    changed: Optional[int] = None  # predictions: how many items differ
    total: Optional[int] = None


@dataclass
class RunCheck:
    """The verdict on one re-trained run."""

    variant: str
    seed: int
    key: str
    status: str  # IDENTICAL, WITHIN_TOLERANCE, DIFFERENT or FAILED
    differences: list[Difference] = field(default_factory=list)
    manifest_changes: list[ManifestChange] = field(default_factory=list)
    error: Optional[str] = None
    key_changed: bool = False  # this bench resolves the stored config to another run key
    threads: Optional[int] = None

    @property
    def passed(self) -> bool:
        return self.status in (IDENTICAL, WITHIN_TOLERANCE)


@dataclass
class VerifyOutcome:
    """Every checked run; the command exits 0 only if all passed."""

    store_path: Path
    tolerance: float
    checks: list[RunCheck]
    lang: Optional[str] = None  # the stored suite's ``lang:``, the command's default language

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)


# -- choosing and reading runs --------------------------------------------------------------------
def select_runs(
    store_path: str | Path,
    *,
    variant: Optional[str] = None,
    seed: Optional[int] = None,
    all_runs: bool = False,
    suite: Optional[str] = None,
) -> list[StoredRun]:
    """The runs to verify, read from the store (which is closed on return).

    Default: the baseline's first seed.  ``variant``/``seed`` pick one run (the
    variant's first seed when ``seed`` is None); ``all_runs`` takes every finished
    ``ok`` run, of ``variant`` only if given.
    """
    from bench.store import ResultStore

    if all_runs and seed is not None:
        raise BenchError("--seed picks one run; --all takes every seed: give one of them")
    with ResultStore(store_path, create=False) as store:
        definition = store.suite_definition(suite)
        names = [v["name"] for v in definition["variants"]]
        chosen_variant = variant or definition.get("baseline", "base")
        if variant is not None and variant not in names:
            raise BenchError(f"{store_path}: --variant: no variant {variant!r}; the suite has: {', '.join(names)}")
        runs = store.runs_frame(definition["name"])
        if not all_runs or variant is not None:
            runs = runs[runs["variant"] == chosen_variant]
        if not all_runs:
            seeds = sorted(int(s) for s in runs["seed"])
            if seed is None and seeds:
                seed = seeds[0]
            if seed not in seeds:
                raise BenchError(
                    f"{store_path}: --seed: variant {chosen_variant!r} has no seed {seed}; "
                    f"planned seeds: {', '.join(map(str, seeds)) or 'none'}"
                )
            runs = runs[runs["seed"] == seed]
        runs = runs.drop_duplicates("key")
        not_ok = runs[runs["status"] != Status.OK.value]
        if not all_runs and len(not_ok):
            row = not_ok.iloc[0]
            raise BenchError(
                f"{store_path}: {row['variant']} seed {int(row['seed'])} is {row['status']}; only runs "
                "that finished ok can be verified (run `bench run SUITE` first)"
            )
        runs = runs[runs["status"] == Status.OK.value]
        if runs.empty:
            raise BenchError(f"{store_path}: no finished run to verify")
        keys = list(runs["key"])
        history = store.history_frame(keys)
        manifests = store.run_manifests(keys)
        metric_names = [c for c in runs.columns if c not in _RUN_COLUMNS]
        chosen = []
        for row in runs.to_dict("records"):
            mine = history[history["run_key"] == row["key"]]
            curves: dict[str, list[Optional[float]]] = {}
            for name, group in mine.groupby("name", sort=True):
                curves[str(name)] = [_clean(v) for v in group.sort_values("epoch")["value"]]
            manifest = manifests.get(row["key"], {})
            hardware = json.loads(row.get("hardware") or "{}")
            threads = (manifest.get("parallelism") or {}).get("threads") or hardware.get("threads")
            chosen.append(
                StoredRun(
                    suite=definition["name"], variant=str(row["variant"]), seed=int(row["seed"]),
                    key=str(row["key"]), config=json.loads(row["config"]), status=str(row["status"]),
                    metrics={m: _clean(row[m]) for m in metric_names if not _missing(row[m])},
                    history=curves, predictions=store.predictions(row["key"]), manifest=manifest,
                    threads=int(threads) if threads else None,
                )  # fmt: skip
            )
    return chosen


_RUN_COLUMNS = {
    "suite", "variant", "seed", "key", "status", "error", "started_at", "finished_at",
    "host", "config", "versions", "hardware", "dataset",
}  # fmt: skip


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _clean(value: Any) -> Optional[float]:
    """As the store keeps a number: a float, or None for NaN/infinite/absent."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# -- comparing -------------------------------------------------------------------------------------
def _reproducible(metric: str) -> bool:
    return metric_table.get(metric).kind not in _TIMING_KINDS


def _number_difference(kind: str, name: str, a: Optional[float], b: Optional[float], tolerance: float,
                       epoch: Optional[int] = None) -> Optional[Difference]:  # fmt: skip
    if a == b:
        return None
    close = a is not None and b is not None and abs(a - b) <= tolerance
    return Difference(kind, name, a, b, within_tolerance=close, epoch=epoch)


def compare_run(stored: StoredRun, rerun: Any, tolerance: float = 0.0) -> RunCheck:
    """What differs between a stored run and ``rerun`` (a :class:`bench.store.RunResult`)."""
    from bench.config import RunConfig
    from bench.suite import run_key

    check = RunCheck(stored.variant, stored.seed, stored.key, IDENTICAL, threads=stored.threads)
    check.manifest_changes = compare_manifests(stored.manifest, getattr(rerun, "manifest", {}) or {})
    try:
        check.key_changed = run_key(RunConfig.model_validate(stored.config), stored.seed) != stored.key
    except Exception:  # noqa: BLE001 - an old config this bench no longer reads: the retrain said so
        check.key_changed = True
    if rerun.status == Status.FAILED.value:
        check.status = FAILED
        check.error = (rerun.error or "").strip()
        return check
    found: list[Difference] = []
    if rerun.status != stored.status:
        found.append(Difference("status", "status", stored.status, rerun.status))
    rerun_metrics = {k: _clean(v) for k, v in rerun.metrics.items()}
    for name in sorted(set(stored.metrics) | set(rerun_metrics)):
        if not _reproducible(name):
            continue
        difference = _number_difference("metric", name, stored.metrics.get(name), rerun_metrics.get(name), tolerance)
        if difference:
            found.append(difference)
    rerun_history = {k: [_clean(v) for v in values] for k, values in rerun.history.items()}
    for name in sorted(set(stored.history) | set(rerun_history)):
        before, after = stored.history.get(name, []), rerun_history.get(name, [])
        for epoch in range(max(len(before), len(after))):
            a = before[epoch] if epoch < len(before) else None
            b = after[epoch] if epoch < len(after) else None
            difference = _number_difference("history", name, a, b, tolerance, epoch=epoch + 1)
            if difference:
                found.append(difference)
    for name in sorted(set(stored.predictions) | set(rerun.predictions)):
        a, b = stored.predictions.get(name), rerun.predictions.get(name)
        if a is None or b is None or a.shape != b.shape:
            found.append(Difference("predictions", name, None if a is None else a.shape,
                                    None if b is None else b.shape))  # fmt: skip
            continue
        changed = int(np.count_nonzero(a != b))
        if changed:
            found.append(Difference("predictions", name, None, None, changed / a.size <= tolerance,
                                    changed=changed, total=int(a.size)))  # fmt: skip
    check.differences = found
    if found:
        check.status = WITHIN_TOLERANCE if all(d.within_tolerance for d in found) else DIFFERENT
    return check


# -- the whole verification ----------------------------------------------------------------------
def verify_store(
    store_path: str | Path,
    *,
    variant: Optional[str] = None,
    seed: Optional[int] = None,
    all_runs: bool = False,
    tolerance: float = 0.0,
    suite: Optional[str] = None,
) -> VerifyOutcome:
    """Retrain the chosen runs in a fresh worker process and compare them with the store."""
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise BenchError(f"--tolerance: {tolerance} is not allowed — a number ≥ 0")
    chosen = select_runs(store_path, variant=variant, seed=seed, all_runs=all_runs, suite=suite)
    lang = stored_lang(store_path, suite)
    reruns = _retrain(chosen)
    checks = [compare_run(run, reruns[run.key], tolerance) for run in chosen]
    return VerifyOutcome(Path(store_path), tolerance, checks, lang)


def stored_lang(store_path: str | Path, suite: Optional[str] = None) -> Optional[str]:
    """The ``lang:`` the stored suite declares, or None (the store is only read)."""
    from bench.store import ResultStore

    with ResultStore(store_path, create=False) as store:
        return store.suite_definition(suite).get("lang") or None


def _retrain(runs: Sequence[StoredRun]) -> dict[str, Any]:
    """Train each run again in a fresh worker process, with the threads it recorded."""
    from bench.config import RunConfig
    from bench.executors.local import LocalExecutor
    from bench.suite import RunSpec

    by_threads: dict[Optional[int], list[RunSpec]] = defaultdict(list)
    for run in runs:
        try:
            config = RunConfig.model_validate(run.config)
        except Exception as exc:  # noqa: BLE001 - pydantic's message names the key
            first = str(exc).strip().splitlines()
            raise BenchError(
                f"{run.variant} seed {run.seed}: the stored configuration no longer validates "
                f"with this bench: {' '.join(first[:3])}"
            ) from None
        by_threads[run.threads].append(RunSpec(run.suite, run.variant, run.seed, config, run.key))
    results: dict[str, Any] = {}
    for threads, specs in by_threads.items():
        collector = _Collected(specs)
        with LocalExecutor(1, threads=threads) as pool:
            pool.start(specs)
            pool.run(collector, collector)
        results.update(collector.results)
    return results


class _Collected:
    """Work queue and listener at once: hands out the runs, keeps their results (no store)."""

    def __init__(self, specs: Sequence[Any]) -> None:
        self._todo = list(specs)
        self.results: dict[str, Any] = {}

    def take(self) -> Optional[Any]:
        return self._todo.pop(0) if self._todo else None

    def exhausted(self) -> bool:
        return not self._todo

    def on_start(self, slot: int, spec: Any) -> None:
        return None

    def on_epoch(self, slot: int, spec: Any, epoch: int, of: int, logs: dict[str, float]) -> None:
        return None

    def on_result(self, slot: int, spec: Any, result: Any) -> None:
        self.results[spec.key] = result
