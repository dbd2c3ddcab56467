"""``bench plan``: seeds per comparison from a store's spread, CPU time, undecidable claims; no TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bench import inference
from bench.cli import main
from bench.planning import plan_suite, store_runs
from bench.suite import load_suite
from conftest import build_synthetic_store

SUITE = """\
name: planned
dataset: {name: digits, train_size: 300, test_size: 200, validation: 0.1}
train: {epochs: 1, batch_size: 32, seeds: 4}
min_effect: 0.02
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2}
  dense: [16]
variants:
  - name: tanh
    set: {model.activation: tanh}
    claim: {metric: accuracy, direction: same}
  - name: wide
    set: {model.dense: [32]}
    claim: {metric: accuracy, direction: up}
"""
ACCURACIES = {"base": [0.80, 0.83, 0.78, 0.81], "tanh": [0.80, 0.84, 0.79, 0.80],
              "wide": [0.82, 0.85, 0.80, 0.84]}  # fmt: skip


@pytest.fixture
def store(tmp_path):
    return build_synthetic_store(tmp_path / "planned" / "results.sqlite", SUITE, ACCURACIES)


def test_plan_uses_the_stored_spread_paired_by_seed_and_the_holm_level(store):
    suite = load_suite(store.parent / "synthetic-suite.yaml")
    plan = plan_suite(suite, store_runs(store, suite.name), max_seeds=30)
    assert plan.seeds.level == pytest.approx(0.05 / 2)
    runs = store_runs(store, suite.name)
    ok = runs[runs.status == "ok"].sort_values("seed")
    values = {v: ok[ok.variant == v]["accuracy"].to_numpy() for v in ("base", "tanh", "wide")}
    expected = inference.plan_seeds(values, "base", 0.02, max_seeds=30, run_seconds={v: 2.0 for v in values},
                                    sd_upper_confidence=0.8)  # fmt: skip
    got = {c.variant: c for c in plan.seeds.comparisons}
    for row in expected.comparisons:
        assert got[row.variant].method is inference.Method.PAIRED
        assert got[row.variant].seeds_needed == row.seeds_needed
        assert got[row.variant].cpu_seconds == pytest.approx(row.cpu_seconds)
    assert np.isfinite(plan.seeds.total_cpu_seconds)


def test_pilot_seeds_limit_the_spread_and_claims_beyond_max_seeds_warn(store, capsys):
    suite_file = store.parent / "synthetic-suite.yaml"
    assert main(["plan", str(suite_file), "--store", str(store), "--pilot-seeds", "3",
                 "--max-seeds", "3"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "first 3 seeds" in out and "over 3 seed(s)" in out
    assert "warning: the claim" in out and "within 3 seeds" in out
    assert main(["plan", str(suite_file), "--store", str(store), "--lang", "ru"]) == 0
    assert "План для planned" in capsys.readouterr().out


def test_plan_without_runs_says_the_spread_is_unknown(tmp_path, write_suite, capsys):
    path = write_suite(SUITE)
    assert main(["plan", str(path), "--store", str(tmp_path / "none.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "spread unknown" in out and "cannot be decided" in out


@pytest.mark.parametrize("args, message", [
    (["--pilot-seeds", "1"], "--pilot-seeds: 1 is not allowed"),
    (["--max-seeds", "1"], "--max-seeds: 1 is not allowed"),
    (["--power", "1.5"], "--power: 1.5 is not allowed"),
])  # fmt: skip
def test_bad_plan_options_are_one_line_and_exit_2(store, capsys, args, message):
    assert main(["plan", str(store.parent / "synthetic-suite.yaml"), "--store", str(store), *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_plan_never_imports_tensorflow(store):
    code = (
        "import sys; from bench.cli import main; "
        f"main(['plan', {str(store.parent / 'synthetic-suite.yaml')!r}, '--store', {str(store)!r}]); "
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_a_claim_the_stored_runs_already_decide_is_said_to_be_decided(tmp_path) -> None:
    from conftest import TINY_SUITE, build_synthetic_store

    from bench.planning import plan_suite
    from bench.store import ResultStore
    from bench.suite import load_suite

    suite_text = TINY_SUITE.replace("direction: same", "direction: down")
    store = build_synthetic_store(tmp_path / "results.sqlite", suite_text,
                                  accuracies={"base": [0.9, 0.91], "tanh": [0.5, 0.52]})
    suite = load_suite(tmp_path / "synthetic-suite.yaml")
    with ResultStore(store, create=False) as opened:
        runs = opened.runs_frame(suite.name)
    plan = plan_suite(suite, runs)
    assert [(c.variant, c.decided) for c in plan.claims] == [("tanh", "confirmed")]
