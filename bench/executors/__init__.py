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

from typing import Optional

from bench.errors import BenchError
from bench.executors.protocol import POLL_SECONDS, Executor, Listener, WorkQueue, lost_run
from bench.executors.sizing import JobsArg, WorkerPlan, plan_workers

EXECUTORS = ("local", "ray")


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


__all__ = [
    "EXECUTORS",
    "POLL_SECONDS",
    "Executor",
    "Listener",
    "WorkQueue",
    "WorkerPlan",
    "lost_run",
    "make_executor",
    "plan_workers",
]
