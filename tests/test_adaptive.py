"""``--until-conclusive``: more seeds where a verdict is open, with a fake trainer (no TensorFlow cost)."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd
import pytest

import bench.worker
from bench import analysis
from bench.adaptive import plan_more_seeds, run_until_conclusive
from bench.cli import main
from bench.runner import run_suite
from bench.store import ResultStore, RunResult
from bench.suite import load_suite

# 'better' has a real +2 pp effect, 'same' is the baseline on other seeds (an A/A pair);
# every run's accuracy has a spread of 0.5 pp over seeds.
SUITE = """\
name: adaptive
dataset: {name: digits, train_size: 300, test_size: 200}
train: {epochs: 1, batch_size: 32, seeds: 2}
min_effect: 0.01
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2}
  dense: [16]
variants:
  - name: better
    set: {model.activation: tanh}
  - name: same
    set: {train.seed_offset: 100}
"""
TRUE_MEANS = {"base": 0.90, "better": 0.92, "same": 0.90}
SPREAD = 0.005


def scripted_run(spec, on_epoch=None) -> RunResult:
    """Stands in for training: accuracy = the variant's true mean + seeded noise."""
    z = np.random.default_rng([zlib.crc32(spec.variant.encode()), spec.seed]).standard_normal()
    return RunResult(
        key=spec.key, suite=spec.suite, variant=spec.variant, seed=spec.seed,
        config=spec.config.model_dump(mode="json"), status="ok",
        metrics={"accuracy": TRUE_MEANS[spec.variant] + SPREAD * z}, started_at=0.0, finished_at=0.01,
    )  # fmt: skip


@pytest.fixture
def fake_training(monkeypatch):
    calls: list[tuple[str, int]] = []

    def fake(spec, on_epoch=None):
        calls.append((spec.variant, spec.seed))
        return scripted_run(spec, on_epoch)

    monkeypatch.setattr(bench.worker, "train_run", fake)  # the runner looks it up at call time
    return calls


def planned_seeds(store) -> dict[str, int]:
    with ResultStore(store) as opened:
        runs = opened.runs_frame()
    return runs[runs["status"] == "ok"].groupby("variant").size().to_dict()


def test_open_verdicts_get_seeds_until_decided_or_the_limit(write_suite, tmp_path, fake_training):
    suite = load_suite(write_suite(SUITE))
    store = tmp_path / "results.sqlite"
    run_suite(suite, store)
    with ResultStore(store) as opened:
        before = analysis.compare_to_baseline(opened.runs_frame(), "base", min_effect=0.01)
    assert set(before["verdict"]) == {analysis.NO_DIFFERENCE}  # 2 seeds decide nothing here

    lines: list[str] = []
    summary = run_until_conclusive(suite, store, max_seeds=6, say=lines.append)
    assert summary.verdicts == {"better": analysis.BETTER, "same": analysis.NO_DIFFERENCE}
    assert 2 < summary.seeds["better"] < 6  # decided before the limit
    assert summary.seeds["same"] == 6 and summary.seeds["base"] == 6  # stopped at K
    assert "at the limit of 6 seeds" in summary.stopped["same"]
    assert planned_seeds(store) == summary.seeds  # the store holds exactly those runs
    assert len(fake_training) == sum(summary.seeds.values())  # no run trained twice
    assert len(lines) == summary.rounds and all(line.startswith("round ") for line in lines)
    assert "better 2→" in lines[0] and "no significant difference" in lines[0]


def test_without_a_minimum_effect_an_identical_variant_is_not_chased(write_suite, tmp_path, fake_training):
    suite = load_suite(write_suite(SUITE.replace("min_effect: 0.01\n", "")))
    store = tmp_path / "results.sqlite"
    run_suite(suite, store)
    summary = run_until_conclusive(suite, store, max_seeds=10, say=lambda line: None)
    assert summary.verdicts["better"] == analysis.BETTER
    assert summary.seeds["same"] == 2  # its tiny observed Δ would need more than K seeds
    assert "more than 10 seeds would be needed" in summary.stopped["same"]


def row(**kw):
    base = {c: math.nan for c in analysis.COMPARISON_COLUMNS}
    base.update(variant="v", n_baseline=3, n_variant=3, delta=0.01, p_holm=0.2, alpha=0.05,
                verdict=analysis.NO_DIFFERENCE, reason=analysis.Reason.NOT_SIGNIFICANT,
                seeds_needed=None, seed_estimate=analysis.SeedEstimate.ESTIMATED)
    base.update(kw)
    return base


def test_the_seed_rule():
    table = pd.DataFrame([
        row(variant="open", seeds_needed=6),
        row(variant="almost", seeds_needed=2),            # estimate already met: one more seed
        row(variant="hopeless", seeds_needed=10, seed_estimate=analysis.SeedEstimate.CAPPED),
        row(variant="at-limit", seeds_needed=5),
        row(variant="decided", verdict=analysis.BETTER, p_holm=0.001, reason=analysis.Reason.SIGNIFICANT,
            seed_estimate=analysis.SeedEstimate.NOT_APPLICABLE),
        row(variant="tiny-but-real", p_holm=0.01, reason=analysis.Reason.BELOW_MIN_EFFECT,
            seed_estimate=analysis.SeedEstimate.NOT_APPLICABLE),
        row(variant="one-seed", verdict=analysis.INCONCLUSIVE, n_baseline=1, n_variant=1,
            reason=analysis.Reason.TOO_FEW_SEEDS, seed_estimate=analysis.SeedEstimate.UNKNOWN_SPREAD),
        row(variant="all-failed", verdict=analysis.INCONCLUSIVE, n_variant=0,
            reason=analysis.Reason.NO_RUNS_VARIANT, seed_estimate=analysis.SeedEstimate.NOT_APPLICABLE),
    ])  # fmt: skip
    seeds = {"base": 3, "open": 3, "almost": 3, "hopeless": 3, "at-limit": 10, "decided": 3,
             "tiny-but-real": 3, "one-seed": 1, "all-failed": 3}
    plan = plan_more_seeds(table, seeds, "base", max_seeds=10)
    assert plan.raise_to == {"open": 6, "almost": 4, "one-seed": 2, "base": 6}
    assert set(plan.stopped) == {"hopeless", "at-limit", "tiny-but-real", "all-failed"}
    assert "no successful runs of the variant" in plan.stopped["all-failed"]


@pytest.fixture
def in_process(monkeypatch):
    """`bench run` trains in worker processes by default; the fake lives in this one."""
    import bench.executors

    original = bench.executors.make_executor
    monkeypatch.setattr(bench.executors, "make_executor", lambda *args, **kwargs: original("local", None))


def test_cli_until_conclusive_reuses_runs(write_suite, tmp_path, fake_training, in_process, capsys):
    path = write_suite(SUITE)
    store = tmp_path / "s" / "results.sqlite"
    args = ["run", str(path), "--store", str(store), "--no-report", "--until-conclusive", "--max-seeds", "5"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "round 1: more seeds for better 2→" in out and "until-conclusive:" in out
    trained = len(fake_training)
    assert main(args) == 0  # again: the same rounds, every run already in the store
    assert len(fake_training) == trained
    assert "0 runs trained" in capsys.readouterr().out


def test_cli_refuses_bad_seed_limits(write_suite, tmp_path, capsys):
    path = write_suite(SUITE)
    store = tmp_path / "results.sqlite"
    assert main(["run", str(path), "--store", str(store), "--max-seeds", "5"]) == 2
    assert "--max-seeds only applies with --until-conclusive" in capsys.readouterr().err
    assert main(["run", str(path), "--store", str(store), "--until-conclusive", "--max-seeds", "1"]) == 2
    assert "--max-seeds: 1 is not allowed" in capsys.readouterr().err
    assert not store.exists()
