"""(c) ``bench report`` on a 100-run store: wall time, and proof that TensorFlow is never imported.

The store is synthetic (``tests/conftest.build_synthetic_store``: scripted
accuracies, curves and predictions; 10 variants × 10 seeds), so nothing
trains.  Each timing is a fresh ``python -m bench report`` process, the way a
person runs it.  When the median is over the target, the script prints where
the time goes: the slowest imports (``python -X importtime``) and the
functions with the most cumulative time (cProfile).

    python benchmarks/report_speed.py [--repeats 5]

Target (issue #5): ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import PYTHON, REPO, machine_note, median, spread, timed

TARGET_SECONDS = 1.5
SUITE = """\
name: hundred
title: A hundred synthetic runs
dataset: {name: digits, train_size: 300, test_size: 200, validation: 0.1}
train: {epochs: 2, batch_size: 32, seeds: 10}
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2, dropout: 0.1}
  dense: [16]
  activation: relu
variants:
""" + "".join(
    f"  - name: {name}\n    set: {{{change}}}\n"
    for name, change in [
        ("tanh", "model.activation: tanh"),
        ("elu", "model.activation: elu"),
        ("selu", "model.activation: selu"),
        ("gelu", "model.activation: gelu"),
        ("no-dropout", '"model.blocks[0].dropout": 0.0'),
        ("dropout-0.3", '"model.blocks[0].dropout": 0.3'),
        ("wide", '"model.blocks[0].filters": 8'),
        ("dense-32", "model.dense: [32]"),
        ("batch-64", "train.batch_size: 64"),
    ]
)


def build_store(folder: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.conftest import build_synthetic_store

    accuracies = {"tanh": [0.78, 0.8, 0.79], "elu": [0.84, 0.85], "batch-64": [0.75, 0.74]}
    return build_synthetic_store(
        folder / "reports" / "hundred" / "results.sqlite", SUITE, accuracies, suite_dir=folder
    )


def slowest_imports(command: list[str], top: int = 12) -> tuple[list[str], bool]:
    """``-X importtime``'s slowest modules (cumulative µs) and whether TensorFlow was among them."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *command], check=False, capture_output=True, text=True
    )
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)), match.group(4)))
    tensorflow = any(name.split(".")[0] in ("tensorflow", "keras") for _, _, name in rows)
    rows.sort(reverse=True)
    return [f"{us / 1e6:6.3f} s  {name}" for us, _, name in rows[:top]], tensorflow


def profile(store: Path, out: Path, top: int = 15) -> list[str]:
    from bench.cli import main as bench_main

    profiler = cProfile.Profile()
    profiler.enable()
    bench_main(["report", str(store), "--out", str(out)])
    profiler.disable()
    text = io.StringIO()
    # import machinery hides what runs inside it: list the code itself
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(
        r"^(?!.*(importlib|built-in method builtins\.(exec|__import__))).*$", top
    )
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return lines[start:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--profile", action="store_true", help="print where the time goes even under target"
    )
    args = parser.parse_args()
    print("machine:", machine_note())
    with tempfile.TemporaryDirectory(prefix="bench-report-speed-") as tmp:
        folder = Path(tmp)
        store = build_store(folder)

        def report(out: str) -> list[str]:
            return ["-m", "bench", "report", str(store), "--out", str(folder / out)]

        timed([PYTHON, *report("warm")])  # file cache, .pyc files, and the figures of "warm"
        # cold: a new output folder each time, every figure drawn (the first report after
        # `bench run` added runs); warm: the same folder, the store unchanged (figures reused)
        cold = [timed([PYTHON, *report(f"cold-{i}")]) for i in range(args.repeats)]
        warm = [timed([PYTHON, *report("warm")]) for _ in range(args.repeats)]
        imports, tensorflow = slowest_imports(report("imports"))
        print("\nbench report, 100-run store, wall s (interpreter start included):")
        print(f"  cold (figures drawn):  {spread(cold)}")
        print(f"  warm (figures reused): {spread(warm)}")
        print(f"TensorFlow imported: {'YES — a bug' if tensorflow else 'no'}")
        slow = median(cold) > TARGET_SECONDS
        print(
            f"target ≤ {TARGET_SECONDS} s, cold: {'misses' if slow else 'meets'}; warm: "
            f"{'misses' if median(warm) > TARGET_SECONDS else 'meets'}"
        )
        if slow or args.profile:
            print("\nslowest imports (cumulative):")
            print("\n".join("  " + line for line in imports))
            print("\ncProfile, in-process cold report (cumulative; profiling slows it):")
            print("\n".join("  " + line for line in profile(store, folder / "out-profile")))
    print("machine after:", machine_note())


if __name__ == "__main__":
    main()
