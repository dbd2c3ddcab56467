"""(c) ``bench report`` on a 100-run store: wall time, and proof that TensorFlow is never imported.

The store is synthetic (``tests/conftest.build_synthetic_store``: scripted
accuracies, curves and predictions; 10 variants × 10 seeds), so nothing
trains.  Each timing is a fresh ``python -m bench report`` process, the way a
person runs it.  The target is for a warm report (the store unchanged since the
last report, so its figures are reused); a cold one draws every figure.  When the
warm median is over the target, the script prints where a warm report's time goes:
the slowest imports (``python -X importtime``) and the functions with the most
cumulative time (cProfile).  Python keeps compiled modules (.pyc) by default; where
the shell turns that off (``PYTHONDONTWRITEBYTECODE``), every process would compile
bench's modules anew, so the timed processes keep theirs in a temporary folder
(``PYTHONPYCACHEPREFIX``), and warm reports without them are timed as well.

    python benchmarks/report_speed.py [--repeats 5] [--profile]

Target: warm ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import os
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


#: Modules a warm report has no use for: the plotting stack, and scipy.stats where t tests suffice.
NOT_NEEDED_WARM = ("matplotlib", "seaborn", "scipy.stats")


def slowest_imports(
    command: list[str], env: dict[str, str], top: int = 12
) -> tuple[list[str], set[str]]:
    """``-X importtime``'s slowest modules (cumulative µs), and every module imported."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *command], check=False, capture_output=True, text=True,
        env={**os.environ, **env},
    )  # fmt: skip
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)), match.group(4)))
    imported = {name for _, _, name in rows}
    rows.sort(reverse=True)
    return [f"{us / 1e6:6.3f} s  {name}" for us, _, name in rows[:top]], imported


#: Run in a fresh interpreter, as a person's report is: the figures' cache is then read as
#: it is in ``bench report``, not after this script's own imports.
_PROFILE = """
import cProfile, io, pstats, sys
from bench.cli import main
profiler = cProfile.Profile()
profiler.enable()
main(["report", sys.argv[1], "--out", sys.argv[2]])
profiler.disable()
text = io.StringIO()
# import machinery hides what runs inside it: list the code itself
pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(
    r"^(?!.*(importlib|built-in method builtins\\.(exec|__import__))).*$", int(sys.argv[3])
)
print(text.getvalue())
"""


def profile(store: Path, out: Path, env: dict[str, str], top: int = 15) -> list[str]:
    done = subprocess.run(
        [PYTHON, "-c", _PROFILE, str(store), str(out), str(top)],
        check=True, capture_output=True, text=True, cwd=REPO, env={**os.environ, **env},
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.strip()]
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

        # compiled modules kept, as Python does unless told not to (outside the clone)
        pyc = {"PYTHONPYCACHEPREFIX": str(folder / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
        timed([PYTHON, *report("warm")], pyc)  # file cache, .pyc files, and the figures of "warm"
        # cold: a new output folder each time, every figure drawn (the first report after
        # `bench run` added runs); warm: the same folder, the store unchanged (figures reused)
        cold = [timed([PYTHON, *report(f"cold-{i}")], pyc) for i in range(args.repeats)]
        warm = [timed([PYTHON, *report("warm")], pyc) for _ in range(args.repeats)]
        no_pyc = os.environ.get("PYTHONDONTWRITEBYTECODE")
        warm_compiling = [timed([PYTHON, *report("warm")]) for _ in range(args.repeats)] if no_pyc else []
        _, cold_modules = slowest_imports(report("imports"), pyc)
        tensorflow = any(name.split(".")[0] in ("tensorflow", "keras") for name in cold_modules)
        imports, warm_modules = slowest_imports(report("warm"), pyc)
        needless = [name for name in NOT_NEEDED_WARM if name in warm_modules]
        print("\nbench report, 100-run store, wall s (interpreter start included):")
        print(f"  cold (figures drawn):  {spread(cold)}")
        print(f"  warm (figures reused): {spread(warm)}")
        if warm_compiling:
            print(f"  warm, no .pyc kept (PYTHONDONTWRITEBYTECODE as in this shell): {spread(warm_compiling)}")
        print(f"TensorFlow imported: {'YES — a bug' if tensorflow else 'no'}")
        print(f"a warm report imports {', '.join(needless) if needless else 'none of'}"
              f"{'' if needless else ' ' + ', '.join(NOT_NEEDED_WARM)}")
        slow = median(warm) > TARGET_SECONDS
        print(f"target: warm ≤ {TARGET_SECONDS} s: {'misses' if slow else 'meets'}")
        if slow or args.profile:
            print("\nslowest imports of a warm report (cumulative):")
            print("\n".join("  " + line for line in imports))
            print("\ncProfile of a warm report in a fresh process, imports included (cumulative; profiling slows it):")
            print("\n".join("  " + line for line in profile(store, folder / "warm", pyc)))
    print("machine after:", machine_note())


if __name__ == "__main__":
    main()
