"""bench verify: retrain stored runs in a fresh worker and compare with the store."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.store import RunResult
from bench.verify import DIFFERENT, IDENTICAL, WITHIN_TOLERANCE, compare_run, select_runs


def _as_rerun(stored) -> RunResult:
    """What a perfectly reproducible retrain of ``stored`` would return."""
    return RunResult(
        key=stored.key, suite=stored.suite, variant=stored.variant, seed=stored.seed,
        config=stored.config, status="ok",
        metrics={k: v for k, v in stored.metrics.items()},
        history={k: list(v) for k, v in stored.history.items()},
        predictions={k: v.copy() for k, v in stored.predictions.items()},
        manifest=dict(stored.manifest),
    )  # fmt: skip


def test_select_runs_defaults_to_the_baselines_first_seed(synthetic_store: Path) -> None:
    (run,) = select_runs(synthetic_store)
    assert (run.variant, run.seed) == ("base", 0)
    assert run.metrics["accuracy"] > 0 and run.history["loss"] == [1.0, 0.6]
    assert set(run.predictions) == {"y_true", "y_pred"}
    assert [(r.variant, r.seed) for r in select_runs(synthetic_store, variant="tanh", seed=1)] == [("tanh", 1)]
    assert len(select_runs(synthetic_store, all_runs=True)) == 4
    assert {r.seed for r in select_runs(synthetic_store, variant="tanh", all_runs=True)} == {0, 1}


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"variant": "nope"}, "no variant 'nope'; the suite has: base, tanh"),
        ({"seed": 7}, "has no seed 7; planned seeds: 0, 1"),
        ({"seed": 0, "all_runs": True}, "give one of them"),
    ],
)
def test_select_runs_refuses_what_is_not_there(synthetic_store: Path, arguments, message) -> None:
    with pytest.raises(BenchError, match=message):
        select_runs(synthetic_store, **arguments)


def test_compare_run_identical_different_and_within_tolerance(synthetic_store: Path) -> None:
    (stored,) = select_runs(synthetic_store)
    assert compare_run(stored, _as_rerun(stored)).status == IDENTICAL

    timing_only = _as_rerun(stored)
    timing_only.metrics.update(train_seconds=99.0, images_per_second=1.0, latency_ms=7.0)
    assert compare_run(stored, timing_only).status == IDENTICAL  # timings are never compared

    rerun = _as_rerun(stored)
    rerun.metrics["accuracy"] = stored.metrics["accuracy"] + 0.004
    rerun.history["val_loss"][1] += 0.001
    rerun.predictions["y_pred"][:2] = (rerun.predictions["y_pred"][:2] + 1) % 10
    check = compare_run(stored, rerun)
    assert check.status == DIFFERENT
    found = {(d.kind, d.name) for d in check.differences}
    assert found == {("metric", "accuracy"), ("history", "val_loss"), ("predictions", "y_pred")}
    changed = next(d for d in check.differences if d.kind == "predictions")
    assert (changed.changed, changed.total) == (2, 200)
    assert compare_run(stored, rerun, tolerance=0.01).status == WITHIN_TOLERANCE
    assert compare_run(stored, rerun, tolerance=0.002).status == DIFFERENT


def test_compare_run_names_the_manifest_fields_that_changed(synthetic_store: Path) -> None:
    (stored,) = select_runs(synthetic_store)
    stored = replace(stored, manifest={"parallelism": {"threads": 1}, "packages": {"numpy": "2.0"}})
    rerun = _as_rerun(stored)
    rerun.manifest = {"parallelism": {"threads": 2}, "packages": {"numpy": "2.1"}}
    check = compare_run(stored, rerun)
    assert check.status == IDENTICAL
    assert [(c.field, c.before, c.after) for c in check.manifest_changes] == [
        ("packages.numpy", "2.0", "2.1"),
        ("parallelism.threads", 1, 2),
    ]


def test_a_negative_tolerance_is_refused_before_training(synthetic_store: Path, capsys) -> None:
    assert main(["verify", str(synthetic_store), "--tolerance", "-1"]) == 2
    assert "--tolerance: -1.0 is not allowed" in capsys.readouterr().err


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_verify_retrains_a_tiny_store_identically_and_names_an_altered_metric(
    tiny_suite: Path, tmp_path: Path, capsys
) -> None:
    from bench.runner import run_suite
    from bench.suite import load_suite

    store = tmp_path / "results.sqlite"
    summary = run_suite(load_suite(tiny_suite), store, only=["base"], seeds=1, jobs=1)
    assert summary.statuses == {"ok": 1}
    capsys.readouterr()
    from bench.store import ResultStore

    with ResultStore(store, create=False) as results:  # the worker recorded the run's manifest
        (manifest,) = results.run_manifests().values()
        assert results.suite_manifest("tiny")["suite"]["sha256"]
    assert manifest["parallelism"]["workers"] == 1 and manifest["parallelism"]["threads"] >= 1
    assert manifest["dataset"]["fingerprint"] and manifest["packages"]["tensorflow"]
    assert manifest["determinism"]["op_determinism"] is True
    before = _file_hash(store)

    assert main(["verify", str(store)]) == 0
    out = capsys.readouterr().out
    assert "base seed 0" in out and ": identical" in out and "1 of 1 run(s) reproduced" in out
    assert "manifest: the same" in out
    assert _file_hash(store) == before  # verifying wrote nothing

    with sqlite3.connect(store) as db:  # someone edits a published number
        db.execute("UPDATE metrics SET value = value + 0.125 WHERE name = 'accuracy'")
    db.close()
    assert main(["verify", str(store), "--variant", "base", "--seed", "0"]) == 1
    out = capsys.readouterr().out
    assert ": different" in out and "accuracy: stored" in out and "Δ -0.125" in out
    assert "0 of 1 run(s) reproduced" in out
