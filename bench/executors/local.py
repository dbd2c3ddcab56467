"""Persistent worker processes on this machine: ``bench run --jobs N|auto``.

Each worker is a process started with the ``spawn`` method (TensorFlow does
not survive ``fork``).  It imports TensorFlow once, fixes its intra-op
threads (the plan splits the cores between workers) before TensorFlow
initialises, and then trains run after run, so every dataset is loaded once
per worker (:func:`bench.worker.dataset_for` caches it in-process, and on
disk between invocations).  Each worker talks to the parent through its own
pipe: the parent sends one run at a time, the worker sends back ``ready``,
one message per finished epoch (the progress display) and the result.  The
parent alone writes the store.

A worker that dies (killed, out of memory, a crash inside TensorFlow) is
noticed through its process sentinel; its run is recorded as ``failed`` with
the exit cause and the last lines of the worker's output, and a new worker
takes its place.  The run is *not* retried in this invocation: a run that
kills its worker tends to kill the next one too (memory), and ``failed`` runs
are trained again by the next ``bench run``.  Workers ignore Ctrl-C (the
parent stops them) and exit on their own when the parent disappears
(``kill -9``), so no orphan keeps training.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from bench.errors import BenchError
from bench.executors.protocol import POLL_SECONDS, Listener, WorkQueue, lost_run
from bench.executors.sizing import JobsArg, WorkerPlan, describe, plan_workers
from bench.suite import RunSpec

KILL_HOOK_ENV = "BENCH_TEST_KILL_WORKER_ON"  # tests: a worker training this variant kills itself
STOP_GRACE_SECONDS = 5.0
LOG_TAIL_LINES = 15
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class _Worker:
    slot: int
    process: Any  # multiprocessing.process.BaseProcess
    conn: Connection
    log_path: Path
    ready: bool = False
    spec: Optional[RunSpec] = None
    started_at: float = 0.0
    startup_error: str = ""


class LocalExecutor:
    """Persistent worker processes: ``plan.jobs`` of them, ``plan.threads`` threads each."""

    name = "local"

    def __init__(self, jobs: JobsArg, threads: Optional[int] = None) -> None:
        self._jobs = jobs
        self._threads = threads  # fixed intra-op threads (bench verify: as the run recorded)
        self.plan: Optional[WorkerPlan] = None
        self.slots = 0
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._log_dir: Optional[Path] = None
        self._spawned = 0
        self._failed_starts = 0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_all()
        if self._log_dir is not None:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._log_dir = None
        self.plan, self.slots = None, 0  # a later start() sizes and spawns afresh

    def start(self, specs: Sequence[RunSpec]) -> None:
        """Size the pool for ``specs`` and spawn it; the workers import TensorFlow meanwhile."""
        if self.plan is not None:
            return
        self.plan = plan_workers(self._jobs, specs)
        if self._threads:
            self.plan = replace(self.plan, threads=self._threads, recorded_threads=True)
        self.slots = self.plan.jobs
        self._log_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
        self._workers = [self._spawn(slot) for slot in range(self.slots)]

    def describe(self, lang: Optional[str] = None) -> str:
        from bench import words

        assert self.plan is not None, "start() first"
        return words.t("executor.local", lang, plan=describe(self.plan, lang))

    def _spawn(self, slot: int) -> _Worker:
        assert self.plan is not None and self._log_dir is not None, "start() first"
        self._spawned += 1
        log_path = self._log_dir / f"worker-{slot}-{self._spawned}.log"
        parent_end, child_end = self._context.Pipe(duplex=True)
        gpu = slot % self.plan.gpus if self.plan.gpus else None
        process = self._context.Process(
            target=serve,
            args=(child_end, self.plan.threads, self.plan.jobs, os.getpid(), str(log_path)),
            name=f"bench-worker-{slot}",
            daemon=True,
        )
        with _child_environment(self.plan.threads, gpu):
            process.start()
        child_end.close()
        return _Worker(slot, process, parent_end, log_path)

    def _stop_all(self) -> None:
        """Idle workers are asked to stop; busy ones (interrupted runs) are terminated."""
        for worker in self._workers:
            try:
                if worker.spec is None:
                    worker.conn.send(("stop",))
                else:
                    worker.process.terminate()
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)
            worker.conn.close()
        self._workers = []

    # -- the loop ----------------------------------------------------------------------------
    def run(self, queue: WorkQueue, listener: Listener) -> None:
        assert self.plan is not None, "start() first"
        if not self._workers:  # all died at the end of an earlier call
            self._workers = [self._spawn(slot) for slot in range(self.slots)]
        while True:
            self._hand_out(queue, listener)
            if queue.exhausted() and all(w.spec is None for w in self._workers):
                return
            waitables: dict[Any, _Worker] = {}
            for worker in self._workers:
                waitables[worker.conn] = worker
                waitables[worker.process.sentinel] = worker
            ready = wait(list(waitables), timeout=POLL_SECONDS)
            for worker in sorted(
                {id(waitables[r]): waitables[r] for r in ready}.values(), key=lambda w: w.slot
            ):
                self._drain(worker, queue, listener)

    def _hand_out(self, queue: WorkQueue, listener: Listener) -> None:
        for worker in self._workers:
            if not worker.ready or worker.spec is not None:
                continue
            spec = queue.take()
            if spec is None:
                return
            worker.spec, worker.started_at = spec, time.time()
            listener.on_start(worker.slot, spec)
            try:
                worker.conn.send(("run", spec))
            except OSError:
                pass  # it just died: its sentinel fires and the run is recorded as lost

    def _drain(self, worker: _Worker, queue: WorkQueue, listener: Listener) -> None:
        """Handle everything the worker sent (a result may precede its death), then a death."""
        closed = False
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv(), listener)
        except (EOFError, OSError):
            closed = True
        if closed:
            worker.process.join(2.0)
        if not worker.process.is_alive():
            self._bury(worker, queue, listener)

    def _handle(self, worker: _Worker, message: tuple, listener: Listener) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            self._failed_starts = 0
        elif kind == "epoch" and worker.spec is not None:
            listener.on_epoch(worker.slot, worker.spec, *message[1:])
        elif kind == "result" and worker.spec is not None:
            spec, worker.spec = worker.spec, None
            listener.on_result(worker.slot, spec, message[1])
        elif kind == "broken":
            worker.startup_error = message[1]

    def _bury(self, worker: _Worker, queue: WorkQueue, listener: Listener) -> None:
        """Record the dead worker's run as failed (with the cause) and replace the worker."""
        cause = _exit_cause(worker.process.exitcode)
        tail = _tail(worker.log_path)
        if worker.spec is not None:
            spec, worker.spec = worker.spec, None
            message = (
                f"the worker process (pid {worker.process.pid}) died while training this run: "
                f"{cause}. Recorded as failed; the next `bench run` trains it again."
            )
            if tail:
                message += "\nLast lines of the worker's output:\n" + tail
            listener.on_result(worker.slot, spec, lost_run(spec, message, worker.started_at))
        if not worker.ready:
            self._failed_starts += 1
            if self._failed_starts >= 2:
                detail = (worker.startup_error or tail or "no output").strip().splitlines()[-1]
                raise BenchError(f"worker processes die while starting ({cause}): {detail}")
        worker.conn.close()
        index = self._workers.index(worker)
        if queue.exhausted():
            del self._workers[index]
        else:
            self._workers[index] = self._spawn(worker.slot)


# -- the worker process ------------------------------------------------------------------------
def serve(conn: Connection, threads: int, jobs: int, parent_pid: int, log_path: str) -> None:
    """A worker's life: import TensorFlow once, then train each run the parent sends."""
    _redirect_output(log_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        from bench.manifest import with_parallelism
        from bench.worker import configure_tensorflow, train_run

        configure_tensorflow(threads)
    except BaseException:  # noqa: BLE001 - whatever stops TensorFlow loading, the parent must hear it
        conn.send(("broken", traceback.format_exc()))
        return
    conn.send(("ready", os.getpid()))
    kill_on = os.environ.get(KILL_HOOK_ENV)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "run":
            return
        spec: RunSpec = message[1]

        def on_epoch(epoch: int, of: int, logs: dict[str, float], spec: RunSpec = spec) -> None:
            if kill_on and spec.variant == kill_on:
                os.kill(os.getpid(), signal.SIGKILL)
            conn.send(("epoch", epoch, of, logs))

        result = train_run(spec, on_epoch=on_epoch)
        result.hardware = {**result.hardware, "threads": threads, "workers": jobs}
        result.manifest = with_parallelism(result.manifest, threads=threads, workers=jobs)
        conn.send(("result", result))


def _redirect_output(log_path: str) -> None:
    """Worker output (TensorFlow's start-up chatter, a builder's prints) goes to a log file;
    the parent quotes its tail when the worker dies."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _exit_with_parent(parent_pid: int) -> None:
    """The parent was killed (``kill -9``): stop at once rather than train a run nobody records."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(3)


@contextmanager
def _child_environment(threads: int, gpu: Optional[int]) -> Iterator[None]:
    """Environment a spawned worker starts with: BLAS threads, its GPU, quiet TensorFlow."""
    wanted = {name: str(threads) for name in _THREAD_ENV}
    wanted["TF_CPP_MIN_LOG_LEVEL"] = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")
    if gpu is not None:
        wanted["CUDA_VISIBLE_DEVICES"] = str(gpu)
        wanted["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"  # workers may share a GPU
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _exit_cause(code: Optional[int]) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        hint = (
            " (out of memory? the kernel's OOM killer sends SIGKILL)" if name == "SIGKILL" else ""
        )
        return f"killed by {name}{hint}"
    return f"it exited with status {code}"


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
