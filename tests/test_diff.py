"""``bench diff`` on stores written in the test (no training): verdicts, p-values, formats, exit codes."""

from __future__ import annotations

import json
import re
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bench import analysis, metrics
from bench.cli import main
from bench.diff import diff_stores, diff_variants, render
from bench.store import ResultStore
from conftest import TINY_SUITE, build_synthetic_store

#: The metrics build_synthetic_store records for every run.
RECORDED = ("accuracy", "top5_accuracy", "loss", "flops", "macs", "params", "train_seconds",
            "images_per_second", "latency_ms")  # fmt: skip

THREE_SEEDS = TINY_SUITE.replace("seeds: 2", "seeds: 3")
THREE_VARIANTS = THREE_SEEDS + """\
  - name: wide
    set: {model.dense: [32]}
"""
GOOD = [0.90, 0.92, 0.94]
BAD = [0.40, 0.42, 0.44]


def store_with(tmp_path: Path, name: str, accuracies: dict, suite_text: str = THREE_VARIANTS) -> Path:
    return build_synthetic_store(tmp_path / name / "results.sqlite", suite_text, accuracies=accuracies)


def accuracies_of(store: Path, variant: str) -> np.ndarray:
    with ResultStore(store) as opened:
        runs = opened.runs_frame()
    return runs.loc[runs["variant"] == variant, "accuracy"].to_numpy(dtype=float)


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


def paired_p(a: np.ndarray, b: np.ndarray) -> float:
    """Same seeds on the same split on both sides: the paired t-test over seeds."""
    return float(stats.ttest_rel(b, a).pvalue)


def holm_by_hand(p: list[float]) -> list[float]:
    order = np.argsort(p)
    m, running, out = len(p), 0.0, [0.0] * len(p)
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


@pytest.fixture
def worse_store(tmp_path: Path) -> Path:
    return store_with(tmp_path, "one", {"base": GOOD, "tanh": BAD, "wide": GOOD})


# -- two variants of one store ------------------------------------------------------------
def test_variant_diff_verdicts_and_p_values_match_scipy(worse_store):
    result = diff_variants(worse_store, "base", "tanh")
    rows = {r["metric"]: r for r in result.rows}
    accuracy = rows["accuracy"]
    a, b = accuracies_of(worse_store, "base"), accuracies_of(worse_store, "tanh")
    assert accuracy["verdict"] == analysis.WORSE
    assert accuracy["p_value"] == pytest.approx(paired_p(a, b), rel=1e-12)
    assert accuracy["p_holm"] == accuracy["p_value"]  # no correction across metrics
    d = b - a
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert accuracy["delta"] == pytest.approx(d.mean())
    assert (accuracy["ci_low"], accuracy["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    # the same loss in every run: no spread over seeds says nothing, so no verdict
    assert rows["loss"]["verdict"] == analysis.INCONCLUSIVE and rows["loss"]["reason"] == "zero_spread"
    assert result.config_changes == [{"path": "model.activation", "a": "relu", "b": "tanh"}]
    assert [r["metric"] for r in result.regressions()] == ["accuracy"]


def test_variant_diff_mcnemar_and_per_class_come_from_the_predictions(worse_store):
    result = diff_variants(worse_store, "base", "tanh")
    b = c = 0
    with ResultStore(worse_store) as opened:
        runs = opened.runs_frame()
        for seed in range(3):
            key_a = runs[(runs["variant"] == "base") & (runs["seed"] == seed)]["key"].item()
            key_b = runs[(runs["variant"] == "tanh") & (runs["seed"] == seed)]["key"].item()
            pa, pb = opened.predictions(key_a), opened.predictions(key_b)
            right_a, right_b = pa["y_pred"] == pa["y_true"], pb["y_pred"] == pb["y_true"]
            b += int(np.sum(right_a & ~right_b))
            c += int(np.sum(~right_a & right_b))
    # per-example counts only: a pooled p would be about these trained models, not the variant
    assert result.mcnemar == {"a_right_b_wrong": b, "a_wrong_b_right": c, "seeds": 3}
    assert result.num_classes == 10
    assert result.per_class and all(row["direction"] == "down" for row in result.per_class)


@pytest.mark.slow
def test_identical_variants_are_no_significant_difference(tmp_path):
    store = store_with(tmp_path, "same", {"base": GOOD, "tanh": GOOD, "wide": GOOD})
    accuracy = diff_variants(store, "base", "wide").rows[0]
    assert accuracy["metric"] == "accuracy" and accuracy["verdict"] == analysis.NO_DIFFERENCE
    a, b = accuracies_of(store, "base"), accuracies_of(store, "wide")
    assert accuracy["p_value"] == pytest.approx(paired_p(a, b), rel=1e-12)
    assert main(["diff", str(store), "base", "wide", "--fail-on-regression"]) == 0


# -- the same suite measured twice ----------------------------------------------------------
def test_store_diff_holm_across_variants_and_exact_verdicts(tmp_path):
    old = store_with(tmp_path, "old", {"base": GOOD, "tanh": GOOD, "wide": GOOD})
    new = store_with(tmp_path, "new", {"base": GOOD, "tanh": [0.91, 0.93, 0.95], "wide": BAD})
    result = diff_stores(old, new)
    accuracy = [r for r in result.rows if r["metric"] == "accuracy"]
    assert [r["variant"] for r in accuracy] == ["base", "tanh", "wide"]
    # both stores ran the same seeds on the same split: paired by seed
    raw = [paired_p(accuracies_of(old, v), accuracies_of(new, v)) for v in ("tanh", "wide")]
    assert [r["p_value"] for r in accuracy[1:]] == pytest.approx(raw, rel=1e-12)
    # base is identical in both stores: zero spread, untestable, p = 1 in the Holm family
    assert np.isnan(accuracy[0]["p_value"]) and accuracy[0]["verdict"] == analysis.INCONCLUSIVE
    assert [r["p_holm"] for r in accuracy[1:]] == pytest.approx(holm_by_hand([1.0, *raw])[1:], rel=1e-12)
    verdicts = {r["variant"]: r["verdict"] for r in accuracy}
    assert verdicts["wide"] == analysis.WORSE
    # every compared metric of the table the stores recorded (macs is not compared)
    assert {r["metric"] for r in result.rows} == set(metrics.compared_metrics(RECORDED))
    assert result.warnings == []  # same configs, same test labels
    assert [r["variant"] for r in result.regressions()] == ["wide"]


@pytest.mark.slow
def test_fail_on_regression_exit_codes(tmp_path, capsys):
    old = store_with(tmp_path, "old", {"base": GOOD, "tanh": GOOD, "wide": GOOD})
    new = store_with(tmp_path, "new", {"base": GOOD, "tanh": GOOD, "wide": BAD})
    assert main(["diff", str(old), str(new)]) == 0  # a regression is reported, not fatal
    assert main(["diff", str(old), str(new), "--fail-on-regression"]) == 1
    err = capsys.readouterr().err
    assert "bench: regression: significantly worse: wide (accuracy)" in err
    # non-inferiority: a 50 pp drop fails a 10 pp margin, passes a 60 pp one
    assert main(["diff", str(old), str(new), "--fail-on-regression", "--margin", "0.1"]) == 1
    assert "by more than 0.1" in capsys.readouterr().err
    assert main(["diff", str(old), str(new), "--fail-on-regression", "--margin", "0.6"]) == 0
    assert main(["diff", str(old), str(new), "--margin", "-1"]) == 2
    assert main(["diff", str(old), "base", "wide", "--margin", "0.1"]) == 2
    assert main(["diff", str(old), str(old), "--fail-on-regression"]) == 0
    assert main(["diff", str(new), str(old), "--fail-on-regression"]) == 0  # better is no regression
    # a gate on another metric only: accuracy's regression no longer fails
    assert main(["diff", str(old), str(new), "--fail-on-regression", "--fail-metric", "train_seconds"]) == 0


def test_warns_when_configs_or_test_sets_differ(tmp_path, capsys):
    old = store_with(tmp_path, "old", {})
    changed = THREE_VARIANTS.replace("model.activation: tanh", "model.activation: elu")
    new = store_with(tmp_path, "new", {}, changed)
    with sqlite3.connect(new) as db:  # the new store was scored on another test set
        for key, text in db.execute("SELECT key, dataset FROM runs").fetchall():
            record = json.loads(text)
            record["fingerprint"] = "another-test-set"
            db.execute("UPDATE runs SET dataset=? WHERE key=?", (json.dumps(record), key))
    with sqlite3.connect(old) as db:
        for key, text in db.execute("SELECT key, dataset FROM runs").fetchall():
            record = json.loads(text)
            record["fingerprint"] = "the-test-set"
            db.execute("UPDATE runs SET dataset=? WHERE key=?", (json.dumps(record), key))
    result = diff_stores(old, new)
    assert len(result.warnings) == 2
    warnings = result.warning_texts()
    assert "variant 'tanh' was configured differently" in warnings[0]
    assert "model.activation: tanh → elu" in warnings[0]
    assert warnings[1].startswith("the test sets differ between the stores")
    assert main(["diff", str(old), str(new)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert sum(line.startswith("bench: warning: ") for line in err) == 2


# -- output formats -------------------------------------------------------------------------
def test_markdown_json_and_table_say_the_same(worse_store, tmp_path):
    result = diff_variants(worse_store, "base", "tanh")
    table = render(result, "table")
    assert "model.activation: relu → tanh" in table and "worse" in table
    assert "p-values are not corrected across metrics" in table
    md = render(result, "md")
    assert "| metric" in md and "| accuracy" in md and "worse" in md
    assert "## Configuration changes" in md
    data = json.loads(render(result, "json"))
    assert data["kind"] == "variants" and data["a"]["label"] == "base"
    assert data["rows"][0]["verdict"] == "worse"
    assert data["regressions"] == [{"variant": "tanh", "metric": "accuracy"}]
    out = tmp_path / "d" / "diff.json"
    assert main(["diff", str(worse_store), "base", "tanh", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["rows"][0]["metric"] == "accuracy"  # format from the suffix


def test_html_is_self_contained_and_escapes_user_text(tmp_path):
    text = THREE_VARIANTS.replace("name: tanh", "name: <b>x</b>|y")
    store = store_with(tmp_path, "esc", {"base": GOOD, "<b>x</b>|y": BAD}, text)
    result = diff_variants(store, "base", "<b>x</b>|y")
    html = render(result, "html")
    assert "&lt;b&gt;x&lt;/b&gt;|y" in html and "<b>x</b>" not in html
    assert "<table" in html and "worse" in html
    assert "<script" not in html and 'src="http' not in html and 'href="http' not in html
    md = render(result, "md")
    assert r"&lt;b>x&lt;/b>\|y" in md and "<b>" not in md  # no raw HTML; pipes escaped in cells


# -- mistakes -------------------------------------------------------------------------------
def test_user_mistakes_exit_2_with_one_line(worse_store, tmp_path, capsys):
    for args in (
        [str(worse_store), "base", "nope"],
        [str(worse_store), "base", "base"],
        [str(worse_store), "base"],  # a variant name where a store belongs
        [str(worse_store)],
        [str(worse_store), "base", "tanh", "--metric", "no_such_metric"],
        [str(tmp_path / "absent.sqlite"), "base", "tanh"],
    ):
        assert main(["diff", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("bench: error: ") and err.count("\n") == 1, err
    assert main(["diff", str(worse_store), "base", "nope"]) == 2
    assert "has no variant 'nope'; it has: base, tanh, wide" in capsys.readouterr().err


# -- end to end -----------------------------------------------------------------------------
@pytest.mark.slow
def test_bench_diff_end_to_end_without_tensorflow(tiny_suite, synthetic_store, tmp_path):
    """The installed command, with TensorFlow and Keras made unimportable."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "tensorflow.py").write_text("raise ImportError('tensorflow must not be imported here')\n")
    (blocker / "keras.py").write_text("raise ImportError('keras must not be imported here')\n")
    env = dict(os.environ, PYTHONPATH=f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")

    def bench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bench", "diff", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    # the suite file stands for its default store, reports/tiny/results.sqlite under cwd
    done = bench(str(tiny_suite), "base", "tanh", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"][0]["metric"] == "accuracy"
    done = bench(str(synthetic_store), str(synthetic_store), "--format", "md", "--fail-on-regression")
    assert done.returncode == 0, done.stderr
    assert "| base" in done.stdout and "no significant difference" in done.stdout


@pytest.mark.slow
def test_report_lists_the_classes_that_changed(worse_store):
    """The report shows, per variant, the classes one Holm family over the whole suite
    (every variant × class) calls changed -- a subset of what the pair's own diff flags."""
    from bench import results
    from bench.report import render_report

    pair = {row["class_name"] for row in diff_variants(worse_store, "base", "tanh").per_class}
    found = results.load(worse_store)
    suite_family = analysis.per_class_family_changes(
        found.runs, found.labelled_predictions(), "base", found.num_classes(),
        alpha=found.alpha, min_effect=found.min_effect,
    )  # fmt: skip
    changed = set(suite_family[(suite_family.variant == "tanh") & suite_family.changed]["class_name"])
    md = render_report(worse_store)[0].read_text()
    match = re.search(r"^### Classes that changed significantly\n\n- \*\*tanh\*\* (.*)$", md, re.M)
    assert match, md
    shown = {m for m in re.findall(r"class (\w+):", match.group(1))}
    assert shown == changed and shown <= pair and shown
