"""``--until-conclusive``: more seeds where a verdict is open, with a fake trainer (no TensorFlow cost)."""

from __future__ import annotations

import math
import time
import zlib

import numpy as np
import pandas as pd
import pytest

import bench.worker
from bench import analysis
from bench import sequential as S
from bench.adaptive import per_seed_values, plan_look, run_until_conclusive
from bench.errors import BenchError
from bench.cli import main
from bench.results import load
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
        metrics={"accuracy": TRUE_MEANS[spec.variant] + SPREAD * z}, started_at=time.time(), finished_at=time.time(),
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


@pytest.mark.slow
def test_the_design_adds_seeds_look_by_look_and_decides_a_real_effect(write_suite, tmp_path, fake_training):
    suite = load_suite(write_suite(SUITE))
    store = tmp_path / "results.sqlite"
    run_suite(suite, store)
    lines: list[str] = []
    summary = run_until_conclusive(suite, store, max_seeds=8, say=lines.append)
    assert summary.design.looks == S.design_looks(2, 8)
    assert summary.design.spending is S.Spending.OBRIEN_FLEMING
    assert summary.verdicts["better"] == analysis.BETTER
    assert summary.verdicts["same"] != analysis.BETTER and summary.verdicts["same"] != analysis.WORSE
    assert all(n in summary.design.looks for n in summary.seeds.values())  # only at looks
    assert summary.seeds["base"] == max(summary.seeds.values())
    assert planned_seeds(store) == summary.seeds  # the store holds exactly those runs
    assert len(fake_training) == sum(summary.seeds.values())  # no run trained twice
    assert len(lines) == summary.rounds and all(line.startswith("round ") for line in lines)
    record = summary.design_record()
    assert record["kind"] == "group-sequential" and record["looks"] == list(summary.design.looks)
    assert record["variants"]["better"]["decision"] == "reject"
    assert 0 < record["variants"]["better"]["alpha_spent"] <= 0.05


@pytest.mark.slow
def test_the_run_decides_exactly_as_decide_look_on_the_stored_values(write_suite, tmp_path, fake_training):
    suite = load_suite(write_suite(SUITE))
    store = tmp_path / "results.sqlite"
    run_suite(suite, store)
    summary = run_until_conclusive(suite, store, max_seeds=6, say=lambda line: None)
    with ResultStore(store) as opened:
        runs = opened.runs_frame()
    values = {n: per_seed_values(runs, n, suite.variant(n).seeds(), "accuracy") for n in summary.seeds}
    look = S.decide_look(summary.design, values["base"], {n: values[n] for n in ("better", "same")},
                         paired=False, min_effect=0.01)  # fmt: skip
    assert summary.paired is False  # 'same' runs other seeds: no pairing
    assert [v.decision for v in look.variants] == [v.decision for v in summary.last_look.variants]
    assert look.finished
    # the final verdicts come from the design, not from a fixed-design test of the last seeds
    table = analysis.compare_to_baseline(runs, "base", min_effect=0.01,
                                         design=summary.design_record())  # fmt: skip
    rows = {r.variant: r for r in analysis.records(table)}
    assert rows["better"].design_decision == "reject" and rows["better"].ci_low > 0
    for v in look.variants:
        assert rows[v.variant].ci_low == pytest.approx(v.rci_low)


@pytest.mark.slow
def test_without_a_minimum_effect_the_design_runs_to_the_limit_unless_a_boundary_is_crossed(
    write_suite, tmp_path, fake_training
):
    suite = load_suite(write_suite(SUITE.replace("min_effect: 0.01\n", "")))
    store = tmp_path / "results.sqlite"
    run_suite(suite, store)
    summary = run_until_conclusive(suite, store, max_seeds=6, say=lambda line: None)
    assert summary.target_effect == 0.0
    assert summary.verdicts["better"] == analysis.BETTER
    decisions = {v.variant: v.decision for v in summary.last_look.variants}
    assert decisions["same"] in (S.Decision.MAX_REACHED, S.Decision.REJECT)
    if decisions["same"] is S.Decision.MAX_REACHED:
        assert summary.seeds["same"] == 6 and "last look" in summary.stopped["same"]


@pytest.mark.slow
def test_pocock_spending_is_an_option_and_bad_values_are_refused(write_suite, tmp_path, fake_training):
    suite = load_suite(write_suite(SUITE))
    store = tmp_path / "results.sqlite"
    run_suite(suite, store)
    summary = run_until_conclusive(suite, store, max_seeds=6, spending="pocock", say=lambda line: None)
    assert summary.design.spending is S.Spending.POCOCK
    with pytest.raises(BenchError, match="--spending"):
        run_until_conclusive(suite, store, max_seeds=6, spending="greedy", say=lambda line: None)


def test_plan_look_raises_continuing_variants_and_the_baseline_to_the_next_look():
    design = S.make_design(3, 9)
    rng = np.random.default_rng(2)
    base = 0.9 + rng.normal(0, 0.005, size=3)
    look = S.decide_look(design, base, {"clear": base + 0.05 + rng.normal(0, 0.0002, size=3), "open": base + rng.normal(0, 0.005, size=3)},
                         paired=True, min_effect=0.01)  # fmt: skip
    plan = plan_look(look, {"base": 3, "clear": 3, "open": 3}, "base")
    decisions = {v.variant: v.decision for v in look.variants}
    assert decisions["clear"] is S.Decision.REJECT and "clear" in plan.stopped
    if decisions["open"] is S.Decision.CONTINUE:
        assert plan.raise_to == {"open": 5, "base": 5}
    assert "crossed its boundary" in plan.stopped["clear"]


@pytest.fixture
def in_process(monkeypatch):
    """`bench run` trains in worker processes by default; the fake lives in this one."""
    import bench.executors

    original = bench.executors.make_executor
    monkeypatch.setattr(bench.executors, "make_executor", lambda *args, **kwargs: original("local", None))


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_suite_that_declares_its_design_adds_seeds_on_a_plain_run(write_suite, tmp_path, fake_training,
                                                                    in_process, capsys):
    """``until_conclusive:`` in the suite: a plain ``bench run`` follows the design with the
    suite's max_seeds; --profile, --seeds and --no-until-conclusive keep the seeds fixed."""
    text = SUITE.replace("min_effect: 0.01\n", "min_effect: 0.01\nuntil_conclusive: {max_seeds: 4}\n")
    text += "profiles:\n  quick: {train.epochs: 1}\n"
    path = write_suite(text)
    for fixed in (["--profile", "quick"], ["--seeds", "2"], ["--no-until-conclusive"]):
        store = tmp_path / fixed[0].strip("-") / "results.sqlite"
        assert main(["run", str(path), "--store", str(store), "--no-report", *fixed]) == 0
        assert "round 1" not in capsys.readouterr().out
        assert len(fake_training) == 6  # 3 variants × 2 seeds, nothing added
        fake_training.clear()
    store = tmp_path / "declared" / "results.sqlite"
    assert main(["run", str(path), "--store", str(store), "--no-report"]) == 0
    out = capsys.readouterr().out
    assert "round 1: more seeds for better 2→" in out
    assert max(seed for name, seed in fake_training if name != "same") == 3  # max_seeds 4: seeds 0..3
    found = load(store)
    assert found.definition["until_conclusive"] == {"max_seeds": 4, "spending": "obrien-fleming"}


def test_fresh_retrains_every_stored_run_the_design_uses_once(write_suite, tmp_path, fake_training,
                                                                in_process, capsys):
    """``bench run --fresh`` on a store that already holds the design's extra seeds: the
    rounds retrain those too (none is reused from before), and no run twice."""
    path = write_suite(SUITE.replace("min_effect: 0.01\n", "min_effect: 0.01\nuntil_conclusive: {max_seeds: 4}\n"))
    store = tmp_path / "s" / "results.sqlite"
    assert main(["run", str(path), "--store", str(store), "--no-report"]) == 0
    first = sorted(fake_training)
    assert any(seed >= 2 for name, seed in first if name == "better")  # the design added seeds
    fake_training.clear()
    assert main(["run", str(path), "--store", str(store), "--no-report", "--fresh"]) == 0
    assert sorted(fake_training) == first  # the same runs, each trained again exactly once
    assert "0 runs trained" not in capsys.readouterr().out


def test_a_suites_design_is_checked_like_every_key(write_suite, capsys):
    fewer = SUITE.replace("seeds: 2}", "seeds: 6}").replace("min_effect: 0.01\n", "min_effect: 0.01\nuntil_conclusive: {max_seeds: 5}\n")
    assert main(["validate", str(write_suite(fewer))]) == 2
    assert ":5: until_conclusive.max_seeds: 5 is fewer than train.seeds (6); allowed: at least 6" in capsys.readouterr().err
    for design, expected in [
        ("{max_seeds: 1}", "until_conclusive.max_seeds: 1 is not allowed — must be greater than or equal to 2"),
        ("{spending: linear}", "allowed: 'obrien-fleming' or 'pocock'"),
        ('{max_seeds: "6"}', "until_conclusive.max_seeds"),
        ("sometimes", "allowed: true, false, or {max_seeds: K, spending: obrien-fleming or pocock}"),
        ("{max_seeds: 6, stop: early}", "until_conclusive.stop"),
    ]:
        path = write_suite(SUITE.replace("min_effect: 0.01\n", f"min_effect: 0.01\nuntil_conclusive: {design}\n"))
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"bench: error: {path}:5: until_conclusive") and expected in err, err
        assert len(err.splitlines()) == 1


def test_cli_refuses_bad_seed_limits(write_suite, tmp_path, capsys):
    path = write_suite(SUITE)
    store = tmp_path / "results.sqlite"
    assert main(["run", str(path), "--store", str(store), "--max-seeds", "5"]) == 2
    assert "--max-seeds only applies with --until-conclusive" in capsys.readouterr().err
    assert main(["run", str(path), "--store", str(store), "--until-conclusive", "--max-seeds", "1"]) == 2
    assert "--max-seeds: 1 is not allowed" in capsys.readouterr().err
    assert not store.exists()
