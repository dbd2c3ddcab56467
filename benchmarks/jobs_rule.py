"""What ``--jobs auto`` rests on: N workers × T threads, for every split of this machine's cores.

For each model, every split N × T = cores is measured the way bench runs it:
N spawned processes, each with T intra-op threads (``configure_tensorflow``),
each trains one untimed warm-up run through :func:`bench.worker.train_run`
(TensorFlow import, data loading and graph tracing out of the way), all
meet at a barrier, then each trains ``--runs`` more runs.  Throughput =
images fitted by all workers / seconds from the barrier to the last finish.
Splits alternate round by round; medians are compared.

    python benchmarks/jobs_rule.py [--runs 2] [--epochs 2] [--rounds 3] [--model small|cifar]

Models: a small MNIST CNN (quickstart-sized, 28×28×1) and the classic CIFAR
CNN (32×32×3, mnist5k resized).  The rule in ``bench/executors/sizing.py``
(one single-threaded worker per core) is what these numbers supported here.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from _common import machine_note, median, rotations, spread

SMALL = """\
name: small
dataset: {name: mnist5k, validation: 0.1}
train: {epochs: EPOCHS, batch_size: 64, seeds: 1}
model:
  family: cnn
  blocks: [{filters: 16, pool: 2, dropout: 0.1}, {filters: 32, pool: 2, dropout: 0.1}]
  dense: [64]
"""
CIFAR = """\
name: cifar
dataset: {name: mnist5k, image_size: [32, 32], channels: 3, validation: 0.1}
train: {epochs: EPOCHS, batch_size: 128, seeds: 1}
model:
  family: cnn
  blocks:
    - {filters: 32, convs: 2, pool: 2, dropout: 0.25}
    - {filters: 64, convs: 2, pool: 2, dropout: 0.25}
  dense: [512]
  dense_dropout: 0.5
"""


def worker(suite_path: str, threads: int, runs: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    from bench.suite import load_suite
    from bench.worker import configure_tensorflow, train_run

    configure_tensorflow(threads)
    spec = load_suite(suite_path).specs()[0]
    train_run(spec)  # warm-up: import, data, tracing
    barrier.wait()
    started = time.perf_counter()
    images = 0.0
    fit_seconds = 0.0
    for _ in range(runs):
        result = train_run(spec)
        images += result.metrics["epochs_run"] * result.metrics["train_size"]
        fit_seconds += result.metrics["train_seconds"]
    results.put((images, started, time.perf_counter(), fit_seconds))


def measure(suite_path: Path, jobs: int, threads: int, runs: int) -> tuple[float, float]:
    """(images/s over whole runs, images/s inside fit only) summed over the workers."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(jobs)
    results = context.Queue()
    processes = [
        context.Process(target=worker, args=(str(suite_path), threads, runs, barrier, results))
        for _ in range(jobs)
    ]
    for process in processes:
        process.start()
    rows = [results.get() for _ in processes]
    for process in processes:
        process.join()
    images = sum(r[0] for r in rows)
    wall = max(r[2] for r in rows) - min(r[1] for r in rows)
    fit_rate = sum(r[0] / r[3] for r in rows)
    return images / wall, fit_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--model",
        choices=("small", "cifar"),
        action="append",
        help="measure only this model (repeatable; default both)",
    )
    args = parser.parse_args()
    print("machine:", machine_note())
    splits = [(n, args.cores // n) for n in range(1, args.cores + 1) if args.cores % n == 0]
    with tempfile.TemporaryDirectory(prefix="bench-jobs-rule-") as tmp:
        os.environ["BENCH_CACHE"] = str(Path(tmp) / "cache")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        for name, text in (("small MNIST CNN", SMALL), ("classic CIFAR CNN", CIFAR)):
            if args.model and name.split()[1].lower() not in args.model:
                continue
            suite_path = Path(tmp) / f"{name.split()[1].lower()}.yaml"
            suite_path.write_text(text.replace("EPOCHS", str(args.epochs)), encoding="utf-8")
            rates: dict[tuple[int, int], list[float]] = {split: [] for split in splits}
            for number, order in enumerate(rotations(splits, args.rounds), start=1):
                for jobs, threads in order:
                    whole, fit = measure(suite_path, jobs, threads, args.runs)
                    rates[(jobs, threads)].append(whole)
                    print(
                        f"  round {number} {name}: {jobs} worker(s) × {threads} thread(s): "
                        f"{whole:7.1f} img/s (whole runs), {fit:7.1f} img/s (inside fit)",
                        flush=True,
                    )
            one = median(rates[(1, args.cores)])
            for (jobs, threads), values in rates.items():
                print(
                    f"{name}: {jobs}×{threads}: {spread(values)} img/s"
                    + (
                        f" = {median(values) / one:.2f}× the work of 1×{args.cores}"
                        if jobs > 1
                        else ""
                    )
                )
    print("machine after:", machine_note())


if __name__ == "__main__":
    main()
