"""Run a suite: plan the runs, skip what the store has, train the rest, record each.

The runner is framework-free: it knows RunSpecs and RunResults and decides
*what* trains; an executor (:mod:`bench.executors`: this process, local worker
processes, or Ray) decides *where*, and hands every result back here, so this
process alone writes the store.  Each finished run is written at once, in its
own transaction: a kill at any moment loses at most the runs in flight, and
the next ``bench run`` trains only what is missing.

Before a run is handed out it is claimed in the store (see
:meth:`bench.store.ResultStore.claim`), so two ``bench run`` processes on one
store share the work instead of training a key twice; a heartbeat thread keeps
this process's claims fresh.  Runs go out longest-first (estimated from the
configuration), and ``max_minutes`` stops handing out new ones once the suite
has run that long: runs in flight finish, unstarted runs stay missing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench.errors import AllRunsFailedError, BenchError, StoreWriteError
from bench.executors import Executor, make_executor
from bench.executors.sizing import JobsArg, longest_first
from bench import formatting, layout, metrics, words
from bench.manifest import suite_manifest
from bench.status import Status, failure_cause
from bench.store import Claimant, ResultStore, RunResult
from bench.suite import RunSpec, Suite, run_key

HEARTBEAT_SECONDS = 20.0
RECHECK_SECONDS = 2.0  # how often runs held by another `bench run` are asked for again


@dataclass
class RunSummary:
    """What one ``bench run`` did."""

    store_path: Path
    planned: int = 0
    skipped: int = 0
    trained: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    elsewhere: int = 0  # finished meanwhile by another `bench run` on the same store
    not_started: list[RunSpec] = field(default_factory=list)  # left missing by --max-minutes
    causes: Counter[str] = field(default_factory=Counter)  # why trained runs failed, by cause

    @property
    def all_failed(self) -> bool:
        """Runs were trained, and every one of them failed."""
        return self.trained > 0 and self.statuses.get(Status.FAILED.value, 0) == self.trained

    def failure_line(self, lang: Optional[str] = None) -> str:
        """Every trained run failed: how many, and the causes, most common first."""
        shown = "; ".join(
            words.t("run.cause", lang, n=n, cause=cause if len(cause) <= 240 else cause[:239] + "…")
            for cause, n in self.causes.most_common(3)
        )
        more = len(self.causes) - 3
        if more > 0:
            shown += words.t("run.other_causes_one" if more == 1 else "run.other_causes_many", lang, n=more)
        command = f"`bench show {self.store_path} {words.t('run.variant_argument', lang)}`"
        return words.t("run.all_failed", lang, n=self.trained, causes=shown, command=command)

    def raise_if_all_failed(self, lang: Optional[str] = None) -> None:
        """Exit status 1 with :meth:`failure_line` when every trained run failed."""
        if self.all_failed:
            raise AllRunsFailedError(self.failure_line(lang))

    def line(self, lang: Optional[str] = None) -> str:
        """The console's summary of the call: planned, skipped, trained by status, time, store."""
        done = words.t("sentence.list_sep", lang).join(
            words.t("run.status_count", lang, n=n, status=words.status_word(s, lang))
            for s, n in sorted(self.statuses.items())
        ) or words.t("run.nothing_new", lang)
        extra = words.t("run.elsewhere", lang, n=self.elsewhere) if self.elsewhere else ""
        if self.not_started:
            extra += words.t("run.not_started", lang, n=len(self.not_started))
        return words.t(
            "run.summary", lang, planned=self.planned, skipped=self.skipped, trained=self.trained,
            done=done, extra=extra, time=formatting.seconds(self.seconds, lang), store=self.store_path,
        )  # fmt: skip


def plan_runs(
    suite: Suite,
    store: ResultStore,
    *,
    only: Sequence[str] = (),
    seeds: Optional[int] = None,
    fresh: bool = False,
    fresh_since: Optional[float] = None,
) -> tuple[list[RunSpec], list[RunSpec]]:
    """Save the suite's plan; return (all runs, runs still to train).

    The saved plan also keeps each variant's extra seeds already finished in
    the store (from ``--seeds N`` or ``--until-conclusive``), so a later plain
    run never hides measurements the report had.  ``fresh`` retrains the planned
    runs; ``fresh_since`` (a ``time.time()`` instant) only those finished before it,
    so a command that trains in several calls (rounds of more seeds) retrains each
    stored run it uses once, and never one it trained itself.
    """
    specs = suite.specs(seeds, only)
    if fresh or fresh_since is not None:
        since = time.time() if fresh_since is None else fresh_since
        store.delete_runs(store.finished_before({s.key for s in specs}, since))
    finished = store.finished_keys()
    full_plan = suite.specs(seeds) + _extra_finished_seeds(suite, seeds, finished)
    store.save_suite(
        suite.name,
        suite.title,
        str(suite.path),
        suite.definition(),
        [(s.variant, s.seed, s.key) for s in full_plan],
        manifest=suite_manifest(suite.path, suite.variant(suite.baseline).config.dataset.model_dump(mode="json")),
    )
    pending: list[RunSpec] = []
    queued: set[str] = set()
    for spec in specs:  # variants with identical configs share a key: train it once
        if spec.key not in finished and spec.key not in queued:
            pending.append(spec)
            queued.add(spec.key)
    return specs, pending


def _extra_finished_seeds(suite: Suite, seeds: Optional[int], finished: set[str]) -> list[RunSpec]:
    """Finished runs of the next seeds after each variant's count, while they exist."""
    extra: list[RunSpec] = []
    for variant in suite.variants:
        seed = variant.seeds(seeds)[-1] + 1
        while run_key(variant.config, seed) in finished:
            extra.append(RunSpec(suite.name, variant.name, seed, variant.config, run_key(variant.config, seed)))
            seed += 1
    return extra


def run_suite(
    suite: Suite,
    store_path: Optional[str | Path] = None,
    *,
    only: Sequence[str] = (),
    seeds: Optional[int] = None,
    fresh: bool = False,
    fresh_since: Optional[float] = None,
    console: Optional[Console] = None,
    jobs: JobsArg = None,
    executor: Union[str, Executor] = "local",
    address: Optional[str] = None,
    max_minutes: Optional[float] = None,
    deadline: Optional[float] = None,
    lang: Optional[str] = None,
) -> RunSummary:
    """Train every run of ``suite`` the store lacks and record each as it finishes.

    Args:
        jobs: ``None`` trains in this process; ``N`` or ``"auto"`` uses worker processes
            (or sizes the Ray tasks).
        executor: ``"local"``, ``"ray"``, or an executor from
            :func:`bench.executors.make_executor` that the caller keeps open across calls
            (rounds that add seeds), so its workers start once; ``jobs`` then does nothing.
        address: the Ray cluster to connect to (``--executor ray`` only).
        max_minutes: budget for the whole call: no run starts after it; runs in flight
            finish; runs not started stay missing (listed in the summary and printed).
        deadline: the same as an instant on ``time.monotonic()``, for one budget shared by
            several calls; the earlier of the two applies.
        lang: the language of the console lines (default English).
        fresh, fresh_since: retrain stored runs (all, or those finished before an
            instant): see :func:`plan_runs`.
    """
    console = console or Console(stderr=True)
    path = Path(store_path) if store_path else layout.default_store_path(suite.name)
    from bench.datachecks import check_data

    check_data((s.config for s in suite.specs(seeds, only)), suite.path)  # before any worker starts
    started = time.perf_counter()
    if max_minutes is not None:
        own = time.monotonic() + max_minutes * 60
        deadline = own if deadline is None else min(deadline, own)
    with ResultStore(path) as store:
        specs, pending = plan_runs(suite, store, only=only, seeds=seeds, fresh=fresh,
                                    fresh_since=fresh_since)
        summary = RunSummary(path, planned=len(specs), skipped=len(specs) - len(pending))
        if pending:
            owned = isinstance(executor, str)
            pool = make_executor(executor, jobs, address) if isinstance(executor, str) else executor
            claimant = Claimant.this_process()
            queue = ClaimQueue(store, longest_first(pending), claimant, deadline, console, lang=lang)
            try:
                pool.start(pending)
                console.print(
                    words.t("run.header", lang, suite=suite.name, pending=len(pending), total=len(specs),
                            skipped=summary.skipped, store=path, executor=pool.describe(lang))
                )  # fmt: skip
                with _Heartbeat(path, claimant), _SuiteProgress(console, pending, pool.slots, lang) as shown:
                    pool.run(queue, _Recorder(store, summary, shown))
            finally:
                try:
                    with contextlib.suppress(BenchError):  # a full disk: the claims go stale instead
                        store.release(claimant)  # interrupted: what this process held is free again
                finally:
                    if owned:
                        pool.__exit__(None, None, None)
            summary.elsewhere = len(queue.finished_elsewhere)
            summary.not_started = queue.not_started
            if queue.not_started:
                console.print(_budget_note(queue.not_started, lang), highlight=False)
    summary.seconds = time.perf_counter() - started
    return summary


class ClaimQueue:
    """Hands out runs in order, each claimed in the store first; stops at the suite budget.

    A run finished meanwhile by another ``bench run`` is dropped; one another
    live ``bench run`` holds is set aside and asked for again every
    ``RECHECK_SECONDS`` until it is finished there or its claim goes stale (then
    this process takes it over), so a call returns only when every run is in
    the store or was left out by the budget.
    """

    def __init__(
        self,
        store: ResultStore,
        specs: Sequence[RunSpec],
        claimant: Claimant,
        deadline: Optional[float] = None,
        console: Optional[Console] = None,
        clock: Callable[[], float] = time.monotonic,
        lang: Optional[str] = None,
    ) -> None:
        self._store = store
        self._todo: deque[RunSpec] = deque(specs)
        self._held: list[RunSpec] = []
        self._claimant = claimant
        self._deadline = deadline
        self._console = console
        self._clock = clock
        self._lang = lang
        self._checked = clock()
        self._told: set[str] = set()
        self.finished_elsewhere: list[RunSpec] = []
        self.not_started: list[RunSpec] = []

    def take(self) -> Optional[RunSpec]:
        if self._deadline is not None and self._clock() >= self._deadline:
            if self._todo or self._held:  # budget spent: what is left stays missing
                self.not_started += [*self._todo, *self._held]
                self._todo.clear()
                self._held.clear()
            return None
        spec = self._claim_next()
        if spec is None and self._held and self._clock() - self._checked >= RECHECK_SECONDS:
            self._checked = self._clock()
            self._todo.extend(self._held)
            self._held.clear()
            spec = self._claim_next()
        return spec

    def exhausted(self) -> bool:
        return not self._todo and not self._held

    def _claim_next(self) -> Optional[RunSpec]:
        while self._todo:
            spec = self._todo.popleft()
            outcome = self._store.claim(spec.key, self._claimant)
            if outcome.claimed:
                if outcome.took_over:
                    self._say(words.t("run.take_over", self._lang, run=_run_name(spec, self._lang),
                                      holder=outcome.took_over))
                return spec
            if outcome.finished:
                self.finished_elsewhere.append(spec)
            else:
                self._held.append(spec)
                if outcome.holder and outcome.holder not in self._told:
                    self._told.add(outcome.holder)
                    self._say(words.t("run.held_elsewhere", self._lang, holder=outcome.holder))
        return None

    def _say(self, text: str) -> None:
        if self._console is not None:
            self._console.print(text, highlight=False)


class _Recorder:
    """The executor's listener: writes each result to the store and keeps the display current."""

    def __init__(self, store: ResultStore, summary: RunSummary, shown: "_SuiteProgress") -> None:
        self._store = store
        self._summary = summary
        self._shown = shown

    def on_start(self, slot: int, spec: RunSpec) -> None:
        self._shown.start(slot, spec)

    def on_epoch(self, slot: int, spec: RunSpec, epoch: int, of: int, logs: dict[str, float]) -> None:
        self._shown.epoch(slot, spec, epoch, of)

    def on_result(self, slot: int, spec: RunSpec, result: RunResult) -> None:
        try:
            self._store.record(result)
        except StoreWriteError as exc:
            saved = self._summary.trained
            raise StoreWriteError(
                f"{exc}; {spec.variant} seed {spec.seed} was not saved; the {saved} run(s) "
                "finished before it are in the store, and the next `bench run` trains the rest"
            ) from None
        self._summary.trained += 1
        self._summary.statuses[result.status] = self._summary.statuses.get(result.status, 0) + 1
        if result.status == Status.FAILED:
            self._summary.causes[failure_cause(result.error)] += 1
        self._shown.finish(slot, spec, result)


class _SuiteProgress:
    """The rich display: one bar over all epochs, one line per worker slot."""

    def __init__(self, console: Console, pending: Sequence[RunSpec], slots: int,
                 lang: Optional[str] = None) -> None:  # fmt: skip
        self._console = console
        self._lang = lang
        self._total = len(pending)
        self._finished = 0
        self._epochs_done: dict[str, int] = {}
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(words.t("run.progress_epochs", lang)),
            TimeElapsedColumn(),
            TextColumn(words.t("run.progress_eta", lang)),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._overall = self._progress.add_task(
            words.t("run.progress_runs", lang, n=0, total=self._total),
            total=sum(s.config.train.epochs for s in pending),
        )
        self._slots: dict[int, TaskID] = {}
        self._slot_count = slots

    def __enter__(self) -> "_SuiteProgress":
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)  # type: ignore[arg-type]

    def _slot(self, slot: int) -> TaskID:
        if slot not in self._slots:
            self._slots[slot] = self._progress.add_task("", total=1, visible=False)
        return self._slots[slot]

    def start(self, slot: int, spec: RunSpec) -> None:
        self._epochs_done[spec.key] = 0
        if self._slot_count > 1:  # one line per worker: its run's epochs
            self._progress.reset(self._slot(slot), total=spec.config.train.epochs, visible=True,
                                 description="  " + _run_name(spec, self._lang))
        else:
            self._progress.update(self._overall, description=_run_name(spec, self._lang))

    def epoch(self, slot: int, spec: RunSpec, epoch: int, of: int) -> None:
        self._epochs_done[spec.key] = epoch
        self._progress.update(self._overall, advance=1)
        if self._slot_count > 1:
            self._progress.update(self._slot(slot), completed=epoch)

    def finish(self, slot: int, spec: RunSpec, result: RunResult) -> None:
        self._finished += 1
        remaining = spec.config.train.epochs - self._epochs_done.pop(spec.key, 0)
        self._progress.update(
            self._overall, advance=remaining,
            description=words.t("run.progress_runs", self._lang, n=self._finished, total=self._total),
        )  # fmt: skip
        if self._slot_count > 1:
            self._progress.update(self._slot(slot), visible=False)
        label = words.t("run.label", self._lang, n=self._finished, total=self._total,
                        run=_run_name(spec, self._lang))  # fmt: skip
        self._console.print(_result_line(label, result, self._lang), highlight=False)


class _Heartbeat:
    """A thread that refreshes this process's claims, so other ``bench run``s see it alive.

    It has its own connection (SQLite connections belong to one thread) and
    keeps beating while a long run trains in the main thread.
    """

    def __init__(self, path: Path, claimant: Claimant, every: float = HEARTBEAT_SECONDS) -> None:
        self._path = path
        self._claimant = claimant
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="bench-heartbeat", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _beat(self) -> None:
        try:
            store = ResultStore(self._path)
        except BenchError:
            return  # the main connection reports what is wrong with the store
        with store:
            while not self._stop.wait(self._every):
                try:
                    store.heartbeat(self._claimant)
                except (sqlite3.Error, BenchError):
                    pass  # busy or full for a while: the next beat comes long before claims go stale


def _run_name(spec: RunSpec, lang: Optional[str] = None) -> str:
    """``deeper seed 0``: one run, as the console names it."""
    return words.t("run.variant_seed", lang, variant=spec.variant, seed=spec.seed)


def _budget_note(skipped: Sequence[RunSpec], lang: Optional[str] = None) -> str:
    shown = words.t("sentence.list_sep", lang).join(_run_name(s, lang) for s in skipped[:12])
    more = words.t("run.and_more", lang, n=len(skipped) - 12) if len(skipped) > 12 else ""
    return words.t("run.budget_reached", lang, option="--max-minutes", n=len(skipped), runs=shown, more=more)


def _result_line(label: str, result: RunResult, lang: Optional[str] = None) -> str:
    took = formatting.seconds(result.finished_at - result.started_at, lang)
    if result.status == Status.FAILED:
        return words.t("run.failed_line", lang, label=label, time=took, cause=failure_cause(result.error))
    headline = metrics.report_metrics(result.metrics)[:1]  # the task's first metric (accuracy, mAP)
    shown = (
        " " + words.t(
            "run.headline", lang, metric=metrics.label(headline[0], lang),
            value=formatting.value(result.metrics[headline[0]], headline[0], lang),
        )
        if headline
        else ""
    )  # fmt: skip
    return words.t("run.result_line", lang, label=label, status=words.status_word(result.status, lang),
                   shown=shown, time=took)  # fmt: skip
