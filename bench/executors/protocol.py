"""What the runner and an executor say to each other: the queue, the listener, the executor.

Kept apart from :mod:`bench.executors` (which picks an executor) so that each executor
module imports this and the package imports the executors, never the other way round.
"""

from __future__ import annotations

import time
from typing import Optional, Protocol, Sequence

from bench.status import Status
from bench.store import RunResult
from bench.suite import RunSpec

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

    def describe(self, lang: Optional[str] = None) -> str:
        """One line for the console, in ``lang``: where runs train and how many at once."""

    def run(self, queue: WorkQueue, listener: Listener) -> None:
        """Train until the queue is exhausted and nothing is in flight."""


def lost_run(spec: RunSpec, cause: str, started_at: Optional[float] = None) -> RunResult:
    """A ``failed`` result for a run whose worker never returned one (it died, Ray lost it)."""
    now = time.time()
    return RunResult(
        key=spec.key,
        suite=spec.suite,
        variant=spec.variant,
        seed=spec.seed,
        config=spec.config.model_dump(mode="json"),
        status=Status.FAILED,
        error=cause,
        started_at=started_at or now,
        finished_at=now,
    )
