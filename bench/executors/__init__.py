"""Executors: where runs train — this process, local worker processes, or a Ray cluster.

The split of responsibilities (the runner decides *what*, an executor decides *where*):

* the runner (:mod:`bench.runner`) plans, claims each run in the store just
  before it starts, enforces the suite budget, and alone writes results;
* an executor pulls runs from a :class:`WorkQueue` whenever it has a free
  slot, trains each with :func:`bench.worker.train_run` (the one place that
  trains) and reports back through a :class:`Listener`: started, epoch
  finished, result.  A run whose worker died comes back as a ``failed``
  result that names the cause, so the suite goes on.

Executors are context managers; :meth:`Executor.start` (called by the runner
once there is something to train) starts the workers or connects to Ray, and
leaving the context stops them.  One executor can serve several ``run_suite``
calls, so a loop that adds seeds pays for starting TensorFlow only once, and
a call with nothing to train starts nothing.
"""

from __future__ import annotations

import time
from typing import Optional, Protocol, Sequence

from bench.errors import BenchError
from bench.executors.sizing import JobsArg, WorkerPlan, plan_workers
from bench.store import RunResult
from bench.suite import RunSpec

EXECUTORS = ("local", "ray")
POLL_SECONDS = 0.5  # how often an idle executor asks the queue again (claims held elsewhere)


class WorkQueue(Protocol):
    """The runner's side: hands out claimed runs, one at a time."""

    def take(self) -> Optional[RunSpec]:
        """The next run to train (already claimed), or None if none can start now."""

    def exhausted(self) -> bool:
        """True once :meth:`take` will never return a run again."""


class Listener(Protocol):
    """What an executor reports; called in the runner's thread."""

    def on_start(self, slot: int, spec: RunSpec) -> None: ...

    def on_epoch(
        self, slot: int, spec: RunSpec, epoch: int, of: int, logs: dict[str, float]
    ) -> None: ...

    def on_result(self, slot: int, spec: RunSpec, result: RunResult) -> None: ...


class Executor(Protocol):
    """Trains what a queue hands out, ``slots`` runs at a time."""

    name: str
    slots: int

    def __enter__(self) -> "Executor": ...

    def __exit__(self, *exc: object) -> None: ...

    def start(self, specs: Sequence[RunSpec]) -> None:
        """Start workers sized for ``specs`` (``--jobs auto``); later calls do nothing."""

    def describe(self) -> str:
        """One line for the console: where runs train and how many at once."""

    def run(self, queue: WorkQueue, listener: Listener) -> None:
        """Train until the queue is exhausted and nothing is in flight."""


def make_executor(
    kind: str = "local", jobs: JobsArg = None, address: Optional[str] = None
) -> Executor:
    """The executor for ``--executor KIND --jobs N|auto [--address ADDR]`` (not started yet).

    ``kind='local'`` with ``jobs=None`` trains in this process (the library
    default: debuggable, nothing spawned); any ``jobs`` means that many
    persistent worker processes, ``auto`` as many as :func:`plan_workers` picks.
    """
    if kind not in EXECUTORS:
        raise BenchError(f"--executor: {kind!r} is not allowed — allowed: {', '.join(EXECUTORS)}")
    if jobs not in (None, "auto"):
        try:
            count = int(jobs)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            count = 0
        if count < 1:
            raise BenchError(f"--jobs: {jobs!r} is not allowed — a whole number ≥ 1, or auto")
        jobs = count
    if kind == "ray":
        from bench.executors.ray_tasks import RayExecutor

        return RayExecutor(jobs, address)
    if address:
        raise BenchError("--address applies to --executor ray only")
    if jobs is None:
        from bench.executors.inline import InlineExecutor

        return InlineExecutor()
    from bench.executors.local import LocalExecutor

    return LocalExecutor(jobs)


def lost_run(spec: RunSpec, cause: str, started_at: Optional[float] = None) -> RunResult:
    """A ``failed`` result for a run whose worker never returned one (it died, Ray lost it)."""
    now = time.time()
    return RunResult(
        key=spec.key,
        suite=spec.suite,
        variant=spec.variant,
        seed=spec.seed,
        config=spec.config.model_dump(mode="json"),
        status="failed",
        error=cause,
        started_at=started_at or now,
        finished_at=now,
    )


__all__ = [
    "EXECUTORS",
    "Executor",
    "Listener",
    "WorkQueue",
    "WorkerPlan",
    "lost_run",
    "make_executor",
    "plan_workers",
]
