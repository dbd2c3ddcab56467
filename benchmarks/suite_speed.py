"""(b) A suite of 8 small variants: ``bench run --jobs auto`` vs 8 plain scripts one after another.

The plain way trains each variant with its own ``python plain_keras.py ...``
process (``model.fit`` on NumPy arrays), one after another, so each pays the
TensorFlow import.  bench trains the same 8 variants (same model, data,
epochs, batch size, one seed) in one ``bench run`` with persistent workers
sharing the cores.  Both read already-prepared data (bench's disk cache is
warmed first, the scripts read an ``.npz``); ``--no-report`` leaves report
rendering out of bench's time.  Wall time includes interpreter start.

    python benchmarks/suite_speed.py [--epochs 3] [--rounds 1] [--with-jobs-1]

Target (issue #5): bench's wall time ≤ 0.45× the sequential scripts'.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from _common import PYTHON, REPO, machine_note, median, rotations, spread, timed, save_splits

BASE = """\
name: eight-variants
dataset: {name: mnist5k, validation: 0.1}
train: {epochs: EPOCHS, batch_size: 64, learning_rate: 1.0e-3, seeds: 1}
model:
  family: cnn
  blocks:
    - {filters: 16, kernel: 3, pool: 2, dropout: 0.25}
    - {filters: 32, kernel: 3, pool: 2, dropout: 0.25}
  dense: [64]
  dense_dropout: 0.25
  activation: relu
"""
# name, bench override, the plain script's arguments for the same change
VARIANTS: list[tuple[str, dict, list[str]]] = [
    ("base", {}, []),
    ("tanh", {"model.activation": "tanh"}, ["--activation", "tanh"]),
    ("elu", {"model.activation": "elu"}, ["--activation", "elu"]),
    ("selu", {"model.activation": "selu"}, ["--activation", "selu"]),
    ("no-dropout", {"model.blocks[*].dropout": 0.0}, ["--dropout", "0"]),
    ("dropout-0.4", {"model.blocks[*].dropout": 0.4}, ["--dropout", "0.4"]),
    ("batch-128", {"train.batch_size": 128}, ["--batch-size", "128"]),
    ("lr-3e-3", {"train.learning_rate": 0.003}, ["--learning-rate", "0.003"]),
]


def suite_text(epochs: int) -> str:
    lines = [BASE.replace("EPOCHS", str(epochs)), "variants:"]
    for name, overrides, _ in VARIANTS[1:]:
        lines.append(f"  - name: {name}")
        lines.append(f"    set: {json.dumps(overrides)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--with-jobs-1",
        action="store_true",
        help="also time bench run --jobs 1 (persistent worker, no parallelism)",
    )
    args = parser.parse_args()
    print("machine:", machine_note())


    from bench.suite import load_suite
    from bench.worker import load_prepared_dataset

    with tempfile.TemporaryDirectory(prefix="bench-suite-speed-") as tmp:
        folder = Path(tmp)
        env = {"BENCH_CACHE": str(folder / "cache"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        suite_path = folder / "suite.yaml"
        suite_path.write_text(suite_text(args.epochs), encoding="utf-8")
        suite = load_suite(suite_path)
        assert len(suite.specs()) == 8
        os.environ["BENCH_CACHE"] = env["BENCH_CACHE"]  # warm the cache bench's workers read
        data = load_prepared_dataset(suite.specs()[0].config.dataset)
        npz = save_splits(data, folder / "mnist5k.npz")

        def bench_run(jobs: str) -> float:
            store = folder / f"store-{jobs}.sqlite"
            for leftover in folder.glob(f"store-{jobs}.sqlite*"):
                leftover.unlink()
            return timed(
                [
                    PYTHON,
                    "-m",
                    "bench",
                    "run",
                    str(suite_path),
                    "--store",
                    str(store),
                    "--jobs",
                    jobs,
                    "--no-report",
                ],
                env,
                cwd=folder,
            )

        def plain_scripts() -> float:
            total = 0.0
            for _, _, extra in VARIANTS:
                total += timed(
                    [
                        PYTHON,
                        str(REPO / "benchmarks" / "plain_keras.py"),
                        str(npz),
                        "--model",
                        "small",
                        "--epochs",
                        str(args.epochs),
                        "--batch-size",
                        "64",
                        "--pipeline",
                        "numpy",
                        *extra,
                    ],
                    env,
                )
            return total

        contenders = {
            "bench --jobs auto": lambda: bench_run("auto"),
            "8 plain scripts": plain_scripts,
        }
        if args.with_jobs_1:
            contenders["bench --jobs 1"] = lambda: bench_run("1")
        walls: dict[str, list[float]] = {name: [] for name in contenders}
        for number, order in enumerate(rotations(list(contenders), args.rounds), start=1):
            for name in order:
                walls[name].append(contenders[name]())
                print(f"  round {number} {name:18s} {walls[name][-1]:7.1f} s", flush=True)

    print(
        f"\n8 variants × 1 seed, small CNN on mnist5k (3,600 training images), {args.epochs} epochs"
    )
    for name, values in walls.items():
        print(f"{name:18s} wall s {spread(values)}")
    ratio = median(walls["bench --jobs auto"]) / median(walls["8 plain scripts"])
    print(
        f"bench --jobs auto / sequential scripts: {ratio:.2f}× wall time "
        f"(target ≤ 0.45×: {'meets' if ratio <= 0.45 else 'misses'})"
    )
    print("machine after:", machine_note())


if __name__ == "__main__":
    main()
