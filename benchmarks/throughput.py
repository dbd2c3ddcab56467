"""(a) Per-run training throughput: bench's worker vs plain Keras scripts, same model and data.

Contenders, each in a fresh process, rounds interleaved:

* ``bench``         — :func:`bench.worker.train_run` (what every bench worker runs);
* ``plain-numpy``   — ``model.fit(x, y)`` on NumPy arrays, the seed homework's way;
* ``plain-tfdata``  — a hand-tuned ``tf.data`` script (cache, shuffle, batch, prefetch).

Model: the classic Keras CIFAR-10 CNN (2×conv32, pool, 2×conv64, pool, dense 512).
Data: bench's ``mnist5k`` resized to 32×32×3 (CIFAR is not available offline),
3,600 training and 400 validation images, validation after every epoch in
all three.  Throughput = images fitted / seconds in ``fit`` (first epoch, with
graph tracing, included); "steady" leaves the first epoch out.

    python benchmarks/throughput.py [--epochs 5] [--rounds 3]

Targets (issue #5): bench ≥ 1.3× plain-numpy and ≥ 0.97× plain-tfdata.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _common import (PYTHON, RATES, REPO, bench_ratios, contender_arguments, machine_note,
                     measure_rates, print_rates, save_splits, train_with_bench)

SUITE = """\
name: throughput
dataset: {name: mnist5k, image_size: [32, 32], channels: 3, validation: 0.1}
train: {epochs: EPOCHS, batch_size: 128, seeds: 1}
model:
  family: cnn
  blocks:
    - {filters: 32, kernel: 3, convs: 2, pool: 2, dropout: 0.25}
    - {filters: 64, kernel: 3, convs: 2, pool: 2, dropout: 0.25}
  dense: [512]
  dense_dropout: 0.5
  activation: relu
"""


def prepare(folder: Path, epochs: int) -> tuple[Path, Path]:
    """The suite file and the same prepared arrays as an .npz for the plain scripts."""

    from bench.suite import load_suite

    suite_path = folder / "throughput.yaml"
    suite_path.write_text(SUITE.replace("EPOCHS", str(epochs)), encoding="utf-8")
    from bench.worker import load_prepared_dataset

    data = load_prepared_dataset(load_suite(suite_path).specs()[0].config.dataset)
    npz = save_splits(data, folder / "data.npz")
    return suite_path, npz


def main() -> None:
    args = contender_arguments(__doc__.splitlines()[0], epochs=5)
    if args.one:
        train_with_bench(args.one, "accuracy")
        return

    print("machine:", machine_note())
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        folder = Path(tmp)
        env = {"BENCH_CACHE": str(folder / "cache"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        suite_path, npz = prepare(folder, args.epochs)
        commands = {
            "bench": [PYTHON, str(Path(__file__).resolve()), "--one", str(suite_path)],
            "plain-numpy": [
                PYTHON,
                str(REPO / "benchmarks" / "plain_keras.py"),
                str(npz),
                "--epochs",
                str(args.epochs),
                "--pipeline",
                "numpy",
            ],
            "plain-tfdata": [
                PYTHON,
                str(REPO / "benchmarks" / "plain_keras.py"),
                str(npz),
                "--epochs",
                str(args.epochs),
                "--pipeline",
                "tfdata",
            ],
        }
        rates = measure_rates(commands, args.rounds, env, lambda out: f", accuracy {out['accuracy']:.4f}")
    print(
        f"\nclassic CIFAR CNN, 32×32×3, {args.epochs} epochs × 3,600 images, batch 128; "
        "median (min–max) over rounds"
    )
    print("  fit: images / seconds in fit (first epoch, with tracing, included)")
    print("  steady: epochs 2.. only; steady-cpu: the same per CPU-second (less swayed by load)")
    print_rates(rates)
    for other, target in (("plain-numpy", 1.3), ("plain-tfdata", 0.97)):
        ratios = bench_ratios(rates, other)
        verdict = "meets" if ratios["fit"] >= target else "misses"
        print(
            f"bench / {other}: "
            + ", ".join(f"{ratios[m]:.2f}× {m}" for m in RATES)
            + f" (target ≥ {target}× on fit: {verdict})"
        )
    print("machine after:", machine_note())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
