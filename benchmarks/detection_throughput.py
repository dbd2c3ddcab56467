"""Detection training throughput: bench's worker vs a plain Keras SSD script, same data.

Contenders, each in a fresh process, rounds interleaved:

* ``bench``         — :func:`bench.worker.train_run` on an ``ssd`` suite (what a worker runs);
* ``plain-numpy``   — ``benchmarks/plain_keras_ssd.py``: the same SSD and MultiBox loss
  written in plain Keras, ``model.fit(x, y)`` on NumPy arrays;
* ``plain-tfdata``  — the same script with a hand-tuned ``tf.data`` input.

Data: ``mnist_det`` (64×64 canvases of real MNIST digits), 1,000 training canvases, no
validation split; the plain scripts get bench's prepared images and its matched,
encoded targets (so every contender fits the same arrays).  Throughput = images fitted
/ seconds in ``fit`` (first epoch, with tracing, included); "steady" leaves the first
epoch out; "steady-cpu" is per CPU-second (less swayed by other load).

    python benchmarks/detection_throughput.py [--epochs 3] [--rounds 3]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _common import (PYTHON, RATES, REPO, bench_ratios, contender_arguments, machine_note, measure_rates,
                     print_rates, train_with_bench)

SUITE = """\
name: detection-throughput
dataset: {name: mnist_det, train_size: 1000, test_size: 100, validation: 0.0,
          mnist_det: {canvas_size: 64, digits_per_canvas: [1, 3], digit_size: [12, 36]}}
train: {epochs: EPOCHS, batch_size: 32, learning_rate: 3.0e-3, seeds: 1}
model:
  family: ssd
  backbone:
    - {filters: 16, convs: 1, pool: false}
    - {filters: 32, convs: 1}
    - {filters: 48, convs: 2}
    - {filters: 64, convs: 1}
  feature_blocks: [2, 3]
  extras: [{filters: 64}]
  aspect_ratios: [1.0, 0.5, 0.33]
  s_min: 0.15
  s_max: 0.5
"""


def prepare(folder: Path, epochs: int) -> tuple[Path, Path]:
    """The suite file, and bench's prepared images with their encoded targets as an .npz."""
    import numpy as np

    from bench.models import build_model
    from bench.suite import load_suite
    from bench.tasks.detection import Detection
    from bench.worker import load_prepared_dataset

    suite_path = folder / "detection.yaml"
    suite_path.write_text(SUITE.replace("EPOCHS", str(epochs)), encoding="utf-8")
    config = load_suite(suite_path).specs()[0].config
    data = load_prepared_dataset(config.dataset)
    model = build_model(config.model, data.input_shape, data.num_classes)
    targets = Detection().bind(config.model, model).fit_targets(data, "train")
    npz = folder / "data.npz"
    np.savez(npz, x_train=data.x_train, y_train=targets)
    return suite_path, npz


def main() -> None:
    args = contender_arguments(__doc__.splitlines()[0], epochs=3)
    if args.one:
        train_with_bench(args.one, "map50")
        return

    print("machine:", machine_note())
    with tempfile.TemporaryDirectory(prefix="bench-detection-") as tmp:
        folder = Path(tmp)
        env = {"BENCH_CACHE": str(folder / "cache"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        suite_path, npz = prepare(folder, args.epochs)
        plain = [PYTHON, str(REPO / "benchmarks" / "plain_keras_ssd.py"), str(npz), "--epochs", str(args.epochs)]
        commands = {
            "bench": [PYTHON, str(Path(__file__).resolve()), "--one", str(suite_path)],
            "plain-numpy": [*plain, "--pipeline", "numpy"],
            "plain-tfdata": [*plain, "--pipeline", "tfdata"],
        }
        rates = measure_rates(commands, args.rounds, env,
                              lambda out: f", map50 {out['map50']:.3f}" if "map50" in out else f", loss {out['final_loss']:.3f}")
    print(f"\nsmall SSD on mnist_det 64×64, {args.epochs} epochs × 1,000 canvases, batch 32; median (min–max) over rounds")
    print("  fit: images / seconds in fit (first epoch, with tracing, included); steady: epochs 2..; "
          "steady-cpu: per CPU-second")  # fmt: skip
    print_rates(rates)
    for other in ("plain-numpy", "plain-tfdata"):
        ratios = bench_ratios(rates, other)
        print(f"bench / {other}: " + ", ".join(f"{ratios[m]:.2f}× {m}" for m in RATES))
    print("machine after:", machine_note())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
