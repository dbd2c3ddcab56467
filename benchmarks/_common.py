"""Shared by the benchmark scripts: the machine note, subprocess timing, medians.

Benchmarks print ratios measured side by side in one invocation, each
contender in a fresh process, rounds interleaved so background load hits
every contender alike.  They are never timed assertions in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def machine_note() -> str:
    """Cores, CPU model and the load average: timings mean little without them."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cores} cores ({cpu}); load average {load} (1, 5, 15 min)"


def _run_checked(
    command: Sequence[str], env: dict[str, str] | None, cwd: Path
) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command that must succeed; return it and its wall seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        list(command),
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout[-2000:]}"
            f"\n{done.stderr[-3000:]}"
        )
    return done, wall


def run_json(
    command: Sequence[str], env: dict[str, str] | None = None, cwd: Path = REPO
) -> dict[str, Any]:
    """Run a command that prints one JSON line last; add its wall time as ``wall_seconds``."""
    done, wall = _run_checked(command, env, cwd)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    result["wall_seconds"] = wall
    return result


def timed(command: Sequence[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> float:
    """Wall seconds of a command that must succeed (interpreter start included)."""
    return _run_checked(command, env, cwd)[1]


def save_splits(data: Any, path: Path) -> Path:
    """The prepared splits as one .npz, so plain scripts train on exactly bench's data."""
    import numpy as np

    np.savez(
        path,
        x_train=data.x_train,
        y_train=data.y_train,
        x_val=data.x_val,
        y_val=data.y_val,
        x_test=data.x_test,
        y_test=data.y_test,
    )
    return path


def train_with_bench(suite_path: str, headline: str) -> None:
    """One run of the suite's first spec through bench's worker, in this (fresh) process;
    prints a JSON line with its throughput figures and its ``headline`` metric."""
    started = time.perf_counter()
    from bench.suite import load_suite
    from bench.worker import configure_tensorflow, train_run

    configure_tensorflow()
    spec = load_suite(suite_path).specs()[0]
    epoch_ends: list[float] = []
    epoch_cpu: list[float] = []

    def mark(*_: object) -> None:
        epoch_ends.append(time.perf_counter())
        epoch_cpu.append(time.process_time())

    result = train_run(spec, on_epoch=mark)
    if result.status != "ok":
        raise SystemExit(result.error)
    print(json.dumps({
        "contender": "bench",
        "train_images": int(result.metrics["train_size"]),
        "epochs": int(result.metrics["epochs_run"]),
        "fit_seconds": result.metrics["train_seconds"],
        "steady_epoch_seconds": (epoch_ends[-1] - epoch_ends[0]) / (len(epoch_ends) - 1),
        "steady_epoch_cpu_seconds": (epoch_cpu[-1] - epoch_cpu[0]) / (len(epoch_cpu) - 1),
        headline: result.metrics[headline],
        "process_seconds": time.perf_counter() - started,
    }))  # fmt: skip


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """``median (min–max, n)`` for a row of the printed table."""
    return f"{median(values):.2f} ({min(values):.2f}–{max(values):.2f}, n={len(values)})"


def rotations(names: Sequence[str], rounds: int) -> list[list[str]]:
    """Round r runs the contenders rotated by r: none always goes first (cold caches) or last."""
    names = list(names)
    return [names[r % len(names) :] + names[: r % len(names)] for r in range(rounds)]


#: The three training rates each throughput benchmark reports per contender.
RATES = ("fit", "steady", "steady-cpu")
#: The contenders of the throughput benchmarks: bench's worker and two plain Keras scripts.
CONTENDERS = ("bench", "plain-numpy", "plain-tfdata")


def contender_arguments(description: str, epochs: int) -> argparse.Namespace:
    """``--epochs`` (at least 2: the steady rate leaves the first out), ``--rounds`` and
    the internal ``--one SUITE`` that runs the bench contender in this process."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one bench contender
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the steady rate leaves the first epoch out)")
    return args


def measure_rates(
    commands: Mapping[str, Sequence[str]], rounds: int, env: dict[str, str], note: Callable[[dict[str, Any]], str]
) -> dict[str, dict[str, list[float]]]:
    """Each contender once per round, in rotated order: images per second for every rate
    (``rates[rate][contender]``, one value per round); ``note`` adds a result to each line."""
    rates: dict[str, dict[str, list[float]]] = {m: {c: [] for c in CONTENDERS} for m in RATES}
    for number, order in enumerate(rotations(CONTENDERS, rounds), start=1):
        for name in order:
            out = run_json(commands[name], env)
            images = out["train_images"]
            rates["fit"][name].append(out["epochs"] * images / out["fit_seconds"])
            rates["steady"][name].append(images / out["steady_epoch_seconds"])
            rates["steady-cpu"][name].append(images / out["steady_epoch_cpu_seconds"])
            print(f"  round {number} {name:13s} "
                  + ", ".join(f"{m} {rates[m][name][-1]:7.1f}" for m in RATES) + f" img/s{note(out)}",
                  flush=True)  # fmt: skip
    return rates


def print_rates(rates: Mapping[str, Mapping[str, list[float]]]) -> None:
    """The table of every contender's rates, median (min–max) over rounds."""
    print(f"{'contender':14s}" + "".join(f"{m + ' img/s':>30s}" for m in RATES))
    for name in CONTENDERS:
        print(f"{name:14s}" + "".join(f"{spread(rates[m][name]):>30s}" for m in RATES))


def bench_ratios(rates: Mapping[str, Mapping[str, list[float]]], other: str) -> dict[str, float]:
    """bench ÷ ``other`` for every rate, the median of the per-round ratios (paired by round:
    contenders of one round ran minutes apart, under similar load)."""
    return {m: median([b / o for b, o in zip(rates[m]["bench"], rates[m][other])]) for m in RATES}
