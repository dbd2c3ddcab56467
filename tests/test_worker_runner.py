"""Training in one place: determinism, failures and divergence recorded, the suite goes on."""

from __future__ import annotations

import sys
import textwrap

import pytest

from bench.runner import run_suite
from bench.store import ResultStore
from bench.suite import load_suite
from bench.worker import train_run

BUILDERS = '''
import keras
import numpy as np

def exploding(input_shape, num_classes):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(num_classes)(x)
    x = keras.layers.Lambda(lambda t: t * float("nan"))(x)
    return keras.Model(inputs, keras.layers.Activation("softmax")(x))

def broken(input_shape, num_classes):
    raise RuntimeError("this builder is broken on purpose")
'''


@pytest.fixture
def builders(tmp_path, monkeypatch):
    (tmp_path / "test_builders_mod.py").write_text(BUILDERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("test_builders_mod", None)


@pytest.mark.slow
def test_same_seed_same_result_on_cpu(tiny_suite):
    spec = load_suite(tiny_suite).specs(seeds=1)[0]
    first, second = train_run(spec), train_run(spec)
    assert first.status == second.status == "ok", first.error
    assert first.metrics["accuracy"] == second.metrics["accuracy"]
    assert first.history["loss"] == second.history["loss"]
    assert (first.predictions["y_pred"] == second.predictions["y_pred"]).all()
    assert first.metrics["flops"] > 0 and first.metrics["macs"] * 2 == first.metrics["flops"]
    assert first.metrics["latency_ms"] > 0 and first.metrics["images_per_second"] > 0
    assert first.metrics["top5_accuracy"] >= first.metrics["accuracy"]
    assert first.versions["tensorflow"] and first.hardware["cores"]
    assert first.dataset["classes"] == 10 and first.dataset["test"] == 200


@pytest.mark.slow
def test_failed_and_diverged_runs_are_recorded_and_the_suite_goes_on(write_suite, tmp_path, builders):
    path = write_suite(textwrap.dedent("""\
        name: mixed
        dataset: {name: digits, train_size: 200, test_size: 100, validation: 0.1}
        train: {epochs: 2, batch_size: 32, seeds: 1}
        model:
          family: cnn
          blocks: [{filters: 4}]
        variants:
          - name: explodes
            set: {model: {family: python, builder: "test_builders_mod:exploding"}}
          - name: crashes
            set: {model: {family: python, builder: "test_builders_mod:broken"}}
        """))
    store_path = tmp_path / "results.sqlite"
    summary = run_suite(load_suite(path), store_path)
    assert summary.statuses == {"ok": 1, "diverged": 1, "failed": 1}
    with ResultStore(store_path) as store:
        frame = store.runs_frame().set_index("variant")
        assert frame.loc["base", "status"] == "ok"
        assert frame.loc["explodes", "status"] == "diverged"
        assert "loss became nan in epoch 1" in frame.loc["explodes", "error"]
        assert frame.loc["crashes", "status"] == "failed"
        assert "RuntimeError: this builder is broken on purpose" in frame.loc["crashes", "error"]
        assert "Traceback" in frame.loc["crashes", "error"]
    # failed runs are tried again; finished ones are not
    again = run_suite(load_suite(path), store_path)
    assert (again.skipped, again.trained, again.statuses) == (2, 1, {"failed": 1})
    fresh = run_suite(load_suite(path), store_path, fresh=True, only=["base"])
    assert (fresh.trained, fresh.statuses) == (1, {"ok": 1})


def test_plan_keeps_extra_finished_seeds(tiny_suite, tmp_path):
    """Seeds added by --seeds N stay in the report after a plain re-run."""
    from bench.runner import plan_runs
    from bench.store import RunResult

    suite = load_suite(tiny_suite)
    with ResultStore(tmp_path / "r.sqlite") as store:
        for spec in suite.specs(seeds=4, only=["tanh"]):
            store.record(RunResult(spec.key, suite.name, spec.variant, spec.seed, {}, metrics={"accuracy": 0.5}))
        specs, pending = plan_runs(suite, store)
        frame = store.runs_frame()
        assert sorted(frame[frame.variant == "tanh"]["seed"]) == [0, 1, 2, 3]
        assert sorted(frame[frame.variant == "base"]["seed"]) == [0, 1]
        assert [(s.variant, s.seed) for s in pending] == [("base", 0), ("base", 1)]
