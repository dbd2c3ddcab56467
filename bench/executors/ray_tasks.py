"""Runs as Ray remote tasks: ``bench run --executor ray [--address ADDR]``.

Ray (an existing distributed engine) schedules the runs over a cluster; each
task calls the same :func:`bench.worker.train_run` as the local workers and
returns its :class:`~bench.store.RunResult` to the driver, which alone writes
the store.  Each task declares the CPUs its TensorFlow uses (intra-op
threads) and one GPU when the cluster has GPUs.  Ray reuses its worker
processes between CPU tasks, so TensorFlow and the dataset stay loaded there
too.  Progress advances per finished run: epochs are not streamed from Ray.

Without ``--address`` a private local Ray instance is started (all usable
cores) and shut down afterwards; with one, the driver connects to that
cluster, whose nodes need bench and its dependencies installed.  Ray is an
optional extra: ``pip install -e '.[ray]'``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Optional, Sequence

from bench.errors import BenchError
from bench.executors.protocol import POLL_SECONDS, Listener, WorkQueue, lost_run
from bench.executors.sizing import JobsArg, SizingReason, WorkerPlan, describe, plan_workers, usable_cores
from bench.store import RunResult
from bench.suite import RunSpec

INSTALL_HINT = "pip install -e '.[ray]' (or: pip install 'ray>=2.9')"


def train_on_ray(spec: RunSpec, threads: int) -> RunResult:
    """The Ray task: configure this Ray worker's TensorFlow once, then the usual train_run."""
    from bench.manifest import with_parallelism
    from bench.worker import configure_tensorflow, train_run

    configure_tensorflow(threads)
    result = train_run(spec)
    result.hardware = {**result.hardware, "threads": threads, "executor": "ray"}
    result.manifest = with_parallelism(result.manifest, threads=threads, executor="ray")
    return result


class RayExecutor:
    """Runs as Ray tasks; ``slots`` tasks in flight so claims and budgets stay per run."""

    name = "ray"

    def __init__(self, jobs: JobsArg, address: Optional[str]) -> None:
        try:
            import ray
        except ImportError:
            raise BenchError(
                f"--executor ray needs Ray, an optional extra: {INSTALL_HINT}"
            ) from None
        self._ray = ray
        self._jobs = jobs
        self._address = address
        self._owns_ray = False
        self.plan = WorkerPlan(1, 1, SizingReason.NOT_CONNECTED)
        self.slots = 0
        self._task: Any = None

    def __enter__(self) -> "RayExecutor":
        return self

    def start(self, specs: Sequence[RunSpec]) -> None:
        """Connect (or start a local instance) and size the tasks for ``specs``."""
        if self._task is not None:
            return
        ray = self._ray
        if not ray.is_initialized():
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            try:
                if self._address:
                    ray.init(address=self._address, **options)
                else:
                    ray.init(num_cpus=usable_cores(), **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self._address or "a local instance"
                raise BenchError(
                    f"--executor ray: cannot start or reach Ray at {where}: {exc}"
                ) from None
            self._owns_ray = True
        resources = ray.cluster_resources()
        cpus = max(1, int(resources.get("CPU", 1)))
        gpus = int(resources.get("GPU", 0))
        node_cpus = [int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
        plan = plan_workers(
            self._jobs, specs, cores=cpus, memory=float(resources.get("memory", 0)), gpus=gpus
        )
        threads = max(1, min(plan.threads, max(node_cpus, default=cpus)))  # must fit on a node
        self.plan = replace(plan, threads=threads, gpus=gpus)
        self.slots = plan.jobs
        self._task = ray.remote(train_on_ray).options(
            num_cpus=threads, num_gpus=1 if gpus else 0, max_retries=0
        )

    def __exit__(self, *exc: object) -> None:
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False
        self._task = None

    def describe(self, lang: Optional[str] = None) -> str:
        from bench import words

        return words.t(
            "executor.ray", lang, plan=describe(self.plan, lang),
            gpus=words.t("executor.ray_gpus", lang) if self.plan.gpus else "",
            where=self._address or words.t("executor.ray_local", lang),
        )  # fmt: skip

    def run(self, queue: WorkQueue, listener: Listener) -> None:
        ray = self._ray
        free = list(range(self.slots))
        flight: dict[Any, tuple[int, RunSpec, float]] = {}
        try:
            while True:
                while free:
                    spec = queue.take()
                    if spec is None:
                        break
                    slot = free.pop(0)
                    flight[self._task.remote(spec, self.plan.threads)] = (slot, spec, time.time())
                    listener.on_start(slot, spec)
                if not flight:
                    if queue.exhausted():
                        return
                    time.sleep(POLL_SECONDS)
                    continue
                done, _ = ray.wait(list(flight), num_returns=1, timeout=POLL_SECONDS)
                for ref in done:
                    slot, spec, started = flight.pop(ref)
                    free.append(slot)
                    try:
                        result = ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - a worker died, Ray lost a node, ...
                        result = lost_run(
                            spec,
                            f"the Ray task failed: {type(exc).__name__}: {exc}. "
                            "Recorded as failed; the next `bench run` trains it again.",
                            started,
                        )
                    listener.on_result(slot, spec, result)
        finally:
            for ref in flight:  # interrupted: do not leave runs training on the cluster
                ray.cancel(ref, force=True)
