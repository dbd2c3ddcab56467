"""Run a suite: plan the runs, skip what the store has, train the rest, record each.

The runner is framework-free: it knows RunSpecs and RunResults, and hands
training to :func:`bench.worker.train_run` (imported lazily, so planning and
``--dry-run`` never import TensorFlow).  Each finished run is written to the
store at once, in its own transaction: stopping the process loses at most the
run in flight, and the next ``bench run`` resumes where this one stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bench.store import ResultStore, RunResult, default_store_path
from bench.suite import RunSpec, Suite


@dataclass
class RunSummary:
    """What one ``bench run`` did."""

    store_path: Path
    planned: int = 0
    skipped: int = 0
    trained: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        done = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "nothing new"
        return (
            f"{self.planned} runs planned, {self.skipped} already in the store, "
            f"{self.trained} trained ({done}) in {self.seconds:.1f} s → {self.store_path}"
        )


def plan_runs(
    suite: Suite,
    store: ResultStore,
    *,
    only: Sequence[str] = (),
    seeds: Optional[int] = None,
    fresh: bool = False,
) -> tuple[list[RunSpec], list[RunSpec]]:
    """Save the suite's plan; return (all runs, runs still to train)."""
    specs = suite.specs(seeds, only)
    full_plan = suite.specs(seeds)
    store.save_suite(
        suite.name,
        suite.title,
        str(suite.path),
        suite.definition(),
        [(s.variant, s.seed, s.key) for s in full_plan],
    )
    if fresh:
        store.delete_runs({s.key for s in specs})
    finished = store.finished_keys()
    pending: list[RunSpec] = []
    queued: set[str] = set()
    for spec in specs:  # variants with identical configs share a key: train it once
        if spec.key not in finished and spec.key not in queued:
            pending.append(spec)
            queued.add(spec.key)
    return specs, pending


def run_suite(
    suite: Suite,
    store_path: Optional[str | Path] = None,
    *,
    only: Sequence[str] = (),
    seeds: Optional[int] = None,
    fresh: bool = False,
    console: Optional[Console] = None,
) -> RunSummary:
    """Train every run of ``suite`` the store lacks and record each as it finishes."""
    console = console or Console(stderr=True)
    path = Path(store_path) if store_path else default_store_path(suite.name)
    started = time.perf_counter()
    with ResultStore(path) as store:
        specs, pending = plan_runs(suite, store, only=only, seeds=seeds, fresh=fresh)
        summary = RunSummary(path, planned=len(specs), skipped=len(specs) - len(pending))
        if pending:
            console.print(
                f"{suite.name}: {len(pending)} of {len(specs)} runs to train "
                f"({summary.skipped} already in {path})"
            )
        for result in _execute(pending, console):
            store.record(result)
            summary.trained += 1
            summary.statuses[result.status] = summary.statuses.get(result.status, 0) + 1
    summary.seconds = time.perf_counter() - started
    return summary


def _execute(pending: list[RunSpec], console: Console):  # type: ignore[no-untyped-def]
    """Train runs one after another in this process, with a progress display."""
    if not pending:
        return
    from bench.worker import train_run

    total_epochs = sum(spec.config.train.epochs for spec in pending)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    with progress:
        task = progress.add_task("starting", total=total_epochs)
        for index, spec in enumerate(pending, start=1):
            label = f"run {index}/{len(pending)} {spec.variant} seed {spec.seed}"
            epochs = spec.config.train.epochs
            progress.update(task, description=f"{label} epoch 0/{epochs}")
            done_before = progress.tasks[0].completed

            def on_epoch(epoch: int, of: int, logs: dict[str, float], label: str = label) -> None:
                progress.update(task, advance=1, description=f"{label} epoch {epoch}/{of}")

            result = train_run(spec, on_epoch=on_epoch)
            progress.update(task, completed=done_before + epochs)
            console.print(_result_line(label, result), highlight=False)
            yield result


def _result_line(label: str, result: RunResult) -> str:
    seconds = result.finished_at - result.started_at
    if result.status == "failed":
        last = (result.error or "").strip().splitlines()[-1:] or ["?"]
        return f"{label}: FAILED after {seconds:.1f} s: {last[0]}"
    accuracy = result.metrics.get("accuracy")
    shown = f"accuracy {accuracy:.4f}" if accuracy is not None else ""
    return f"{label}: {result.status} {shown} ({seconds:.1f} s)"
