"""Shared fixtures: quiet TensorFlow, a fixed seed, tiny suites written to tmp_path."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")
# prepared-dataset cache: one per test session, never the user's ~/.cache/bench
os.environ["BENCH_CACHE"] = tempfile.mkdtemp(prefix="bench-test-cache-")

TINY_SUITE = """\
name: tiny
title: Tiny suite
dataset: {name: digits, train_size: 300, test_size: 200, validation: 0.1}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2, dropout: 0.1}
  dense: [16]
  activation: relu
variants:
  - name: tanh
    set: {model.activation: tanh}
    claim: {metric: accuracy, direction: same}
"""


@pytest.fixture(autouse=True)
def fixed_seed() -> None:
    np.random.seed(0)


@pytest.fixture
def write_suite(tmp_path: Path):
    """Write a suite text (dedented) to tmp_path and return its path."""

    def write(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_suite(write_suite) -> Path:
    return write_suite(TINY_SUITE)


def build_synthetic_store(path: Path, suite_text: str = TINY_SUITE, accuracies=None, suite_dir: Path | None = None,
                          extra_metrics=None) -> Path:
    """A results store filled without training: scripted accuracies, curves, predictions.

    ``extra_metrics`` ({name: function of the run's accuracy}) records more metrics per run.
    """
    from bench.store import ResultStore, RunResult
    from bench.suite import load_suite

    suite_file = (suite_dir or path.parent) / "synthetic-suite.yaml"
    suite_file.parent.mkdir(parents=True, exist_ok=True)
    suite_file.write_text(textwrap.dedent(suite_text), encoding="utf-8")
    suite = load_suite(suite_file)
    accuracies = accuracies or {}
    rng = np.random.default_rng(0)
    y_true = np.repeat(np.arange(10), 20)
    with ResultStore(path) as store:
        specs = suite.specs()
        store.save_suite(suite.name, suite.title, str(suite_file), suite.definition(),
                         [(s.variant, s.seed, s.key) for s in specs])
        for index, spec in enumerate(specs):
            accuracy = accuracies.get(spec.variant, [0.8 + 0.01 * spec.seed])[spec.seed % len(accuracies.get(spec.variant, [0]))]
            y_pred = np.where(rng.random(y_true.size) < accuracy, y_true, (y_true + 1) % 10)
            measured = float(np.mean(y_pred == y_true))
            extra = {name: float(of(measured)) for name, of in (extra_metrics or {}).items()}
            store.record(RunResult(
                key=spec.key, suite=suite.name, variant=spec.variant, seed=spec.seed,
                config=spec.config.model_dump(mode="json"),
                metrics={"accuracy": float(np.mean(y_pred == y_true)), "top5_accuracy": 0.99, "loss": 0.5,
                         "flops": 1e6 * (1 + index % 2), "macs": 5e5 * (1 + index % 2), "params": 1e4,
                         "train_seconds": 2.0, "images_per_second": 1000.0, "latency_ms": 0.5, **extra},
                history={"loss": [1.0, 0.6], "val_loss": [1.1, 0.7], "accuracy": [0.6, 0.8], "val_accuracy": [0.55, 0.75]},
                predictions={"y_true": y_true.astype(np.int16), "y_pred": y_pred.astype(np.int16)},
                started_at=1.0, finished_at=3.0, host="testhost",
                versions={"tensorflow": "2.x", "bench": "0"}, hardware={"cpu": "test cpu", "cores": 2, "gpus": []},
                dataset={"name": "digits", "input_shape": [8, 8, 1], "classes": 10,
                         "class_names": [str(i) for i in range(10)], "train": 300, "validation": 30, "test": 200},
            ))
    return path


@pytest.fixture
def synthetic_store(tmp_path: Path) -> Path:
    return build_synthetic_store(tmp_path / "reports" / "tiny" / "results.sqlite")
