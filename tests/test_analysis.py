"""Tests of bench.analysis: the statistics behind every verdict a report prints."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench import analysis as A
from bench import inference as I
from bench import words
from bench.errors import BenchError

# --------------------------------------------------------------------------- helpers


def make_runs(spec, metric="accuracy", extra=None):
    """Runs table from {variant: [values...]} (all ok), plus optional extra row dicts."""
    rows = []
    for variant, values in spec.items():
        for seed, value in enumerate(values):
            rows.append(
                {
                    "key": f"{variant}-s{seed}",
                    "variant": variant,
                    "seed": seed,
                    "status": "ok",
                    metric: float(value),
                }
            )
    rows.extend(extra or [])
    return pd.DataFrame(rows)


def suite_frame(groups, names, metric="accuracy"):
    """Fast runs table for the simulations: names[i] has the values groups[i]."""
    variant = np.repeat(np.array(names, dtype=object), [len(g) for g in groups])
    seed = np.concatenate([np.arange(len(g)) for g in groups])
    return pd.DataFrame(
        {
            "key": [f"{v}-{s}" for v, s in zip(variant, seed)],
            "variant": variant,
            "seed": seed,
            "status": "ok",
            metric: np.concatenate(groups),
        }
    )


def comparison_row(**kw):
    """A hand-made comparison row with every column (for claims and sentence tests)."""
    row = {c: math.nan for c in A.COMPARISON_COLUMNS}
    row.update(
        variant="v", baseline="base", metric="accuracy", higher_is_better=True,
        n_baseline=3, n_variant=3, mean_baseline=0.90, mean_variant=0.90, ci_level=0.95,
        alpha=0.05, min_effect=0.0, seeds_needed=None, seeds_needed_capped=False,
        failed_baseline=0, diverged_baseline=0, budget_baseline=0,
        failed_variant=0, diverged_variant=0, budget_variant=0,
    )  # fmt: skip
    row.update(kw)
    row["significant"] = row.get("verdict") in (A.BETTER, A.WORSE)
    # the reason analysis would give such a row, unless the test states it
    if "reason" not in kw:
        verdict = row.get("verdict")
        if verdict in (A.BETTER, A.WORSE):
            row["reason"] = A.Reason.SIGNIFICANT
        elif verdict == A.NO_DIFFERENCE:
            row["reason"] = A.Reason.NOT_SIGNIFICANT
        elif row["n_variant"] == 0:
            row["reason"] = A.Reason.NO_RUNS_VARIANT
        else:
            row["reason"] = A.Reason.TOO_FEW_SEEDS
    if "seed_estimate" not in kw:
        row["seed_estimate"] = (
            A.SeedEstimate.ESTIMATED if row["seeds_needed"] is not None
            else A.SeedEstimate.UNKNOWN_SPREAD
        )
    return row


# --------------------------------------------------------------------------- summarize


def test_summarize_counts_only_ok_runs_and_matches_t_interval():
    extra = [
        {"key": "b-f", "variant": "b", "seed": 7, "status": "failed", "accuracy": 0.1},
        {"key": "b-d", "variant": "b", "seed": 8, "status": "diverged", "accuracy": 0.0},
        {"key": "b-d2", "variant": "b", "seed": 9, "status": "diverged", "accuracy": np.nan},
        {"key": "b-x", "variant": "b", "seed": 10, "status": "budget", "accuracy": 0.2},
    ]
    runs = make_runs({"a": [0.90, 0.91, 0.93, 0.92], "b": [0.88], "c": []}, extra=extra)
    s = A.summarize(runs, ["accuracy"])
    assert list(s.columns) == A.SUMMARY_COLUMNS
    assert list(s["variant"]) == ["a", "b"]  # suite order; 'c' has no rows at all
    a = s.set_index("variant").loc["a"]
    x = np.array([0.90, 0.91, 0.93, 0.92])
    assert a["n"] == 4
    assert a["mean"] == pytest.approx(x.mean())
    assert a["std"] == pytest.approx(x.std(ddof=1))
    lo, hi = stats.t.interval(0.95, 3, loc=x.mean(), scale=stats.sem(x))
    assert (a["ci_low"], a["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    b = s.set_index("variant").loc["b"]
    assert b["n"] == 1 and b["mean"] == pytest.approx(0.88)  # failed rows not averaged in
    assert math.isnan(b["std"]) and math.isnan(b["ci_half_width"])
    counts = (b["n_failed"], b["n_diverged"], b["n_budget"], b["n_ok"], b["n_runs"])
    assert counts == (1, 2, 1, 1, 5)


def test_summarize_default_metrics_skip_nan_values():
    runs = make_runs({"a": [0.9, 0.8]})
    runs["top5_accuracy"] = [0.99, np.nan]
    runs["loss"] = [0.3, 0.4]
    s = A.summarize(runs)
    assert set(s["metric"]) == {"accuracy", "top5_accuracy", "loss"}  # seed is not a metric
    top5 = s[s["metric"] == "top5_accuracy"].iloc[0]
    assert top5["n"] == 1 and top5["mean"] == pytest.approx(0.99)
    wide = A.summary_wide(s)
    assert wide.loc["a", "loss"] == pytest.approx(0.35)


# --------------------------------------------------------------------------- Holm


def test_holm_hand_example():
    adj = A.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adj, [0.03, 0.06, 0.06, 0.02])
    order = np.argsort([0.01, 0.04, 0.03, 0.005])
    assert np.all(np.diff(adj[order]) >= 0)  # monotone in the raw p-values
    np.testing.assert_allclose(A.holm([0.5, 0.6, 0.01]), [1.0, 1.0, 0.03])  # capped at 1
    out = A.holm([0.02, np.nan, 0.04])
    assert math.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.04, 0.04])
    assert A.holm([]).size == 0
    with pytest.raises(ValueError):
        A.holm([1.5])


# --------------------------------------------------------------------------- Welch


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_welch_p_value_and_ci_equal_scipy(seed):
    rng = np.random.default_rng(seed)
    xa = rng.normal(0.90, 0.004, size=3 + seed)
    xb = rng.normal(0.905, 0.009, size=5)
    rec = A.compare(xa, xb, "accuracy")
    ref = stats.ttest_ind(xb, xa, equal_var=False)
    assert rec["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert rec["p_holm"] == rec["p_value"]
    assert rec["t_stat"] == pytest.approx(ref.statistic, rel=1e-12)
    va, vb = xa.var(ddof=1) / xa.size, xb.var(ddof=1) / xb.size
    df = (va + vb) ** 2 / (va**2 / (xa.size - 1) + vb**2 / (xb.size - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    delta = xb.mean() - xa.mean()
    assert rec["df"] == pytest.approx(df, rel=1e-12)
    assert rec["delta"] == pytest.approx(delta, rel=1e-12)
    assert rec["ci_low"] == pytest.approx(delta - half, rel=1e-10)
    assert rec["ci_high"] == pytest.approx(delta + half, rel=1e-10)
    if hasattr(ref, "confidence_interval"):
        ci = ref.confidence_interval(0.95)
        assert (rec["ci_low"], rec["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    pooled = math.sqrt(
        ((xa.size - 1) * xa.var(ddof=1) + (xb.size - 1) * xb.var(ddof=1)) / (xa.size + xb.size - 2)
    )
    assert rec["cohen_d"] == pytest.approx(delta / pooled)
    m = xa.size + xb.size - 2
    assert rec["hedges_g"] == pytest.approx(rec["cohen_d"] * (1 - 3 / (4 * m - 1)), rel=0.01)


def test_suite_p_values_equal_per_pair_scipy_calls():
    rng = np.random.default_rng(11)
    names = ["base", "a", "b", "c", "d"]
    groups = [rng.normal(0.9, 0.01, size=n) for n in (4, 3, 5, 3, 2)]
    out = A.compare_to_baseline(suite_frame(groups, names), "base").set_index("variant")
    for name, xb in zip(names[1:], groups[1:]):
        ref = stats.ttest_ind(xb, groups[0], equal_var=False)
        assert out.loc[name, "p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
        assert out.loc[name, "t_stat"] == pytest.approx(ref.statistic, rel=1e-12)
    np.testing.assert_allclose(out["p_holm"], A.holm(out["p_value"]))


def test_compare_by_variant_names_and_frames_agree():
    runs = make_runs({"base": [0.90, 0.91, 0.92], "v": [0.93, 0.94, 0.95]})
    by_name = A.compare("base", "v", runs=runs)
    by_frame = A.compare(runs[runs.variant == "base"], runs[runs.variant == "v"])
    assert by_name["verdict"] == by_frame["verdict"]
    assert by_name["p_value"] == pytest.approx(by_frame["p_value"])
    assert (by_name["baseline"], by_name["variant"]) == ("base", "v")
    assert set(by_name) == set(A.comparison_columns())
    with pytest.raises(BenchError):
        A.compare("base", "nope", runs=runs)


@pytest.mark.parametrize("d, n", [(0.5, 64), (0.8, 26), (1.0, 17)])
def test_required_seeds_matches_classical_power_table(d, n):
    assert A.required_seeds(d, 1.0, 1.0) == (n, False)
    df = 2 * n - 2
    crit = stats.t.ppf(0.975, df)
    nc = d / math.sqrt(2 / n)
    ref = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    assert A.power_two_sample(d, 1.0, 1.0, n) == pytest.approx(ref, abs=1e-5)
    assert A.power_two_sample(d, 1.0, 1.0, n - 1) < 0.8 <= A.power_two_sample(d, 1.0, 1.0, n)


def test_required_seeds_edge_cases():
    assert A.required_seeds(0.0, 1.0) == (None, False)
    assert A.required_seeds(0.01, math.nan) == (None, False)
    assert A.required_seeds(0.001, 1.0, max_seeds=1000) == (1000, True)


# --------------------------------------------------------------------------- simulations


@pytest.mark.slow
def test_a_a_suites_rarely_call_a_difference():
    """All variants drawn from one distribution: 'better'/'worse' at most alpha of the time."""
    rng = np.random.default_rng(20240601)
    names = ["base", "v1", "v2", "v3", "v4"]
    n_suites, calls, comparisons, suites_with_call = 1000, 0, 0, 0
    for _ in range(n_suites):
        groups = [rng.normal(0.90, 0.005, size=rng.integers(3, 6)) for _ in names]
        out = A.compare_to_baseline(suite_frame(groups, names), "base", outperforming=False)
        called = int(out["verdict"].isin([A.BETTER, A.WORSE]).sum())
        assert set(out["verdict"]) <= set(A.VERDICTS)
        calls += called
        comparisons += len(out)
        suites_with_call += called > 0
    assert comparisons == 4 * n_suites
    assert calls / comparisons <= 0.05
    # Holm controls the family-wise rate too (3 standard errors of slack for 1000 suites).
    assert suites_with_call / n_suites <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n_suites)


@pytest.mark.slow
def test_power_real_two_pp_effect_is_found():
    rng = np.random.default_rng(7)
    names = ["base", "real", "null1", "null2", "null3"]
    shifts = [0.0, 0.02, 0.0, 0.0, 0.0]
    n_sims, found = 200, 0
    for _ in range(n_sims):
        groups = [rng.normal(0.90 + s, 0.005, size=5) for s in shifts]
        out = A.compare_to_baseline(
            suite_frame(groups, names), "base", outperforming=False
        ).set_index("variant")
        found += out.loc["real", "verdict"] == A.BETTER
    assert found / n_sims >= 0.95


# --------------------------------------------------------------------------- verdict rules


def test_one_seed_is_inconclusive_with_detail_and_no_seed_estimate():
    runs = make_runs({"base": [0.90], "v": [0.95], "w": [0.96, 0.97, 0.95]})
    out = A.compare_to_baseline(runs, "base", min_effect=0.01).set_index("variant")
    v = out.loc["v"]
    assert v["verdict"] == A.INCONCLUSIVE
    assert v["reason"] == A.Reason.TOO_FEW_SEEDS
    assert words.verdict_detail(v) == "inconclusive — 1 seed"
    assert v["seeds_needed"] is None  # spread unknown with 1 seed on both sides
    assert math.isnan(v["p_value"]) and math.isnan(v["p_holm"])
    assert not v["significant"]
    w = out.loc["w"]  # 3 seeds against 1: still inconclusive, but the spread is known
    assert w["verdict"] == A.INCONCLUSIVE
    assert words.verdict_detail(w).startswith("inconclusive — 1 seed")
    assert isinstance(w["seeds_needed"], int) and w["seeds_needed"] >= 2


def test_failed_and_diverged_rows_are_excluded():
    clean = make_runs({"base": [0.90, 0.901, 0.899], "v": [0.91, 0.912, 0.908]})
    noisy = make_runs(
        {"base": [0.90, 0.901, 0.899], "v": [0.91, 0.912, 0.908]},
        extra=[
            {"key": "v-f", "variant": "v", "seed": 3, "status": "failed", "accuracy": 0.10},
            {"key": "v-d", "variant": "v", "seed": 4, "status": "diverged", "accuracy": 0.0},
            {"key": "b-d", "variant": "base", "seed": 5, "status": "diverged", "accuracy": np.nan},
        ],
    )
    a = A.compare_to_baseline(clean, "base").iloc[0]
    b = A.compare_to_baseline(noisy, "base").iloc[0]
    for col in ("n_variant", "delta", "p_value", "ci_low", "ci_high", "verdict"):
        assert a[col] == b[col]
    assert (b["failed_variant"], b["diverged_variant"], b["diverged_baseline"]) == (1, 1, 1)


def test_variant_with_no_ok_runs_is_inconclusive_and_counts_in_holm_family():
    runs = make_runs(
        {"base": [0.90, 0.901, 0.899], "v": [0.92, 0.921, 0.919]},
        extra=[{"key": "x-f", "variant": "x", "seed": 0, "status": "failed", "accuracy": np.nan}],
    )
    out = A.compare_to_baseline(runs, "base").set_index("variant")
    assert out.loc["x", "verdict"] == A.INCONCLUSIVE
    assert out.loc["x", "reason"] == A.Reason.NO_RUNS_VARIANT
    assert words.verdict_detail(out.loc["x"]).startswith("inconclusive — 0 seeds")
    assert out.loc["v", "p_holm"] == pytest.approx(min(1.0, 2 * out.loc["v", "p_value"]))


def test_higher_is_better_false_flips_the_verdict():
    runs = make_runs({"base": [0.30, 0.31, 0.29], "v": [0.20, 0.21, 0.19]}, metric="loss")
    assert A.compare_to_baseline(runs, "base", "loss").iloc[0]["verdict"] == A.BETTER  # inferred
    flipped = A.compare_to_baseline(runs, "base", "loss", higher_is_better=True).iloc[0]
    assert flipped["verdict"] == A.WORSE
    explicit = A.compare_to_baseline(runs, "base", "loss", higher_is_better=False).iloc[0]
    assert explicit["verdict"] == A.BETTER and explicit["delta"] < 0


def test_min_effect_stops_a_tiny_significant_effect():
    runs = make_runs({"base": [0.9000, 0.9001, 0.8999], "v": [0.9010, 0.9011, 0.9009]})
    plain = A.compare_to_baseline(runs, "base").iloc[0]
    assert plain["verdict"] == A.BETTER and plain["p_holm"] < 0.05
    guarded = A.compare_to_baseline(runs, "base", min_effect=0.005).iloc[0]
    assert guarded["verdict"] == A.NEGLIGIBLE  # the whole interval lies inside ±0.5 pp
    assert guarded["reason"] == A.Reason.BELOW_MIN_EFFECT
    assert 0 < guarded["ci_low"] and guarded["ci_high"] < 0.005
    assert "min_effect" in words.verdict_detail(guarded)


def test_seeds_needed_are_for_min_effect_at_the_holm_level_never_the_observed_delta():
    runs = make_runs({"base": [0.90, 0.91, 0.89], "v": [0.905, 0.915, 0.895], "w": [0.9, 0.9, 0.91]})
    row = A.compare_to_baseline(runs, "base", min_effect=0.01).iloc[0]
    assert row["verdict"] == A.NO_DIFFERENCE and row["family_size"] == 2
    sd = 0.01  # both sides
    expected = I.seeds_for_power(0.01, sd, sd_b=sd, alpha=0.05, family_size=2).seeds
    assert row["seeds_needed"] == expected and row["seeds_needed_effect"] == pytest.approx(0.01)
    (text,) = words.conclusion_sentences(pd.DataFrame([row]))
    assert f"about {expected} seeds per variant" in text and "difference of 1.0 pp" in text
    assert "the data allow" in text and "did not change" not in text
    # no min_effect declared: nothing to plan for, whatever Δ was observed
    plain = A.compare_to_baseline(runs, "base").iloc[0]
    assert plain["seeds_needed"] is None and plain["seed_estimate"] == A.SeedEstimate.NO_MIN_EFFECT
    tiny = make_runs({"base": [0.90, 0.91, 0.89], "v": [0.9001, 0.9101, 0.8901]})
    row = A.compare_to_baseline(tiny, "base", min_effect=0.001).iloc[0]
    assert row["seeds_needed"] == 1000 and row["seeds_needed_capped"]


def test_wording_says_what_the_interval_allows_and_min_effect_only_for_the_whole_interval():
    # Δ −1.5 pp with an interval reaching past min_effect: not "smaller than min_effect"
    runs = make_runs({"base": [0.90, 0.93, 0.88, 0.91], "v": [0.89, 0.90, 0.87, 0.91]})
    row = A.compare_to_baseline(runs, "base", min_effect=0.01).iloc[0]
    assert row["verdict"] == A.NO_DIFFERENCE and row["reason"] == A.Reason.NOT_SIGNIFICANT
    assert row["ci_low"] < -0.01
    (text,) = words.conclusion_sentences(pd.DataFrame([row]))
    assert "no significant difference in accuracy" in text and "the data allow −4.6…+2.1 pp" in text
    assert "smaller than" not in text and "did not change" not in text
    # the whole interval inside ±min_effect: smaller than min_effect, said as such
    calm = make_runs({"base": [0.900, 0.9002, 0.8998, 0.9001], "v": [0.9001, 0.9, 0.8999, 0.9002]})
    row = A.compare_to_baseline(calm, "base", min_effect=0.01).iloc[0]
    assert row["verdict"] == A.NEGLIGIBLE and row["reason"] == A.Reason.WITHIN_MIN_EFFECT
    assert "smaller than the minimum effect" in words.conclusion_sentences(pd.DataFrame([row]))[0]


def test_zero_spread_metrics_are_exact():
    runs = make_runs({"base": [1e3, 1e3], "same": [1e3, 1e3], "big": [2e3, 2e3]}, "params")
    out = A.compare_to_baseline(runs, "base", "params").set_index("variant")
    assert out.loc["same", "verdict"] == A.NO_DIFFERENCE and out.loc["same", "p_value"] == 1.0
    assert out.loc["big", "verdict"] == A.WORSE  # more parameters, lower is better


def test_unknown_baseline_or_metric_is_a_bench_error():
    runs = make_runs({"base": [0.9, 0.91]})
    with pytest.raises(BenchError, match="baseline 'nope'"):
        A.compare_to_baseline(runs, "nope")
    with pytest.raises(BenchError, match="loss"):
        A.compare_to_baseline(runs, "base", "loss")


def test_cost_ratios_are_ratios_of_means():
    runs = make_runs({"base": [0.90, 0.91], "v": [0.92, 0.93]})
    runs["flops"] = [100.0, 100.0, 150.0, 150.0]
    runs["train_seconds"] = [10.0, 12.0, 11.0, 13.0]
    runs["params"] = [5.0, 5.0, 10.0, 10.0]
    row = A.compare_to_baseline(runs, "base").iloc[0]
    assert row["flops_ratio"] == pytest.approx(1.5)
    assert row["train_seconds_ratio"] == pytest.approx(12.0 / 11.0)
    assert row["params_ratio"] == pytest.approx(2.0)


# --------------------------------------------------------------------------- McNemar


def test_mcnemar_pooled_over_shared_seeds_matches_binomtest():
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    base0 = np.array([1, 1, 2, 3, 0, 1, 2, 3, 0, 0])  # wrong on examples 0 and 9
    var0 = np.array([0, 1, 2, 3, 0, 1, 2, 0, 0, 1])  # wrong on 7; right on 0 and 9
    base1 = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1])  # all right
    var1 = np.array([0, 1, 2, 3, 3, 1, 2, 3, 1, 1])  # wrong on 4 and 8
    # seed 0: b (base right, var wrong) = 1, c = 2; seed 1: b = 2, c = 0 -> b = 3, c = 2
    predictions = {
        "base-s0": (y, base0), "v-s0": (y, var0),
        "base-s1": (y, base1), "v-s1": (y, var1),
        "base-s2": (y, base1),  # the variant has no seed 2: not paired
    }  # fmt: skip
    runs = make_runs({"base": [0.8, 0.9, 0.85], "v": [0.9, 0.8]})
    row = A.compare_to_baseline(runs, "base", predictions=predictions).iloc[0]
    assert (row["mcnemar_b"], row["mcnemar_c"], row["mcnemar_seeds"]) == (3, 2, 2)
    assert "mcnemar_p" not in row  # a pooled p is about these models, never a verdict's basis
    direct = A.mcnemar([(y, base0, var0), (y, base1, var1)])
    assert (direct.b, direct.c) == (3, 2)
    assert direct.p_value == pytest.approx(stats.binomtest(3, 5, 0.5).pvalue)
    assert A.mcnemar([(y, y, y)]).p_value == 1.0
    bad = dict(predictions, **{"v-s1": (y[::-1], var1)})
    with pytest.raises(BenchError, match="different"):
        A.compare_to_baseline(runs, "base", predictions=bad)


# --------------------------------------------------------------------------- claims


def test_check_claims_outcomes():
    def row(variant, verdict, delta, ci_low=math.nan, ci_high=math.nan, p_holm=math.nan):
        return comparison_row(
            variant=variant, verdict=verdict, delta=delta, ci_low=ci_low, ci_high=ci_high,
            p_holm=p_holm,
        )  # fmt: skip

    rows = pd.DataFrame(
        [
            row("up_sig", A.BETTER, 0.02, 0.012, 0.03, 0.01),
            row("down_sig", A.WORSE, -0.02, -0.03, -0.01, 0.01),
            row("narrow", A.NO_DIFFERENCE, -0.001, -0.004, 0.002, 0.6),
            row("below0", A.NO_DIFFERENCE, -0.01, -0.02, -0.0001, 0.2),
            row("wide", A.NO_DIFFERENCE, 0.01, -0.03, 0.05, 0.5),
            row("one", A.INCONCLUSIVE, 0.05),
        ]
    )
    claims = [
        {"variant": "up_sig", "metric": "accuracy", "direction": "up", "note": "n1"},
        {"variant": "up_sig", "metric": "accuracy", "direction": "down"},
        {"variant": "up_sig", "metric": "accuracy", "direction": "same"},
        {"variant": "down_sig", "metric": "accuracy", "direction": "down"},
        {"variant": "down_sig", "metric": "accuracy", "direction": "up"},
        {"variant": "narrow", "metric": "accuracy", "direction": "same"},  # CI within ±1 pp
        {"variant": "narrow", "metric": "accuracy", "direction": "up"},  # CI still allows up
        {"variant": "below0", "metric": "accuracy", "direction": "up"},  # CI upper bound <= 0
        {"variant": "below0", "metric": "accuracy", "direction": "same"},  # CI beyond -1 pp
        {"variant": "wide", "metric": "accuracy", "direction": "same"},
        {"variant": "wide", "metric": "accuracy", "direction": "down"},
        {"variant": "wide", "metric": "accuracy", "direction": "same", "margin": 0.1},
        {"variant": "one", "metric": "accuracy", "direction": "up"},
        {"variant": "ghost", "metric": "accuracy", "direction": "up"},
    ]
    out = A.check_claims(rows, claims)
    assert list(out.columns) == A.CLAIM_COLUMNS
    assert list(out["result"]) == [
        "confirmed", "refuted", "refuted", "confirmed", "refuted",
        "confirmed", "inconclusive", "refuted", "inconclusive",
        "inconclusive", "inconclusive", "confirmed",
        "inconclusive", "inconclusive",
    ]  # fmt: skip
    assert out.loc[0, "note"] == "n1"
    assert out.loc[13, "reason"] == A.ClaimReason.NO_COMPARISON
    assert "no comparison" in words.claim_reason(A.claim_records(rows, claims)[13])
    with pytest.raises(BenchError):
        A.check_claims(rows, [{"variant": "wide", "metric": "accuracy", "direction": "sideways"}])


def test_check_claims_min_effect_counts_for_up_refutation():
    row = comparison_row(
        variant="v", verdict=A.NO_DIFFERENCE, delta=0.001, ci_low=-0.001, ci_high=0.004,
        p_holm=0.3, min_effect=0.005,
    )  # fmt: skip
    claim = {"variant": "v", "metric": "accuracy", "direction": "up"}
    out = A.check_claims(pd.DataFrame([row]), [claim])
    assert out.loc[0, "result"] == A.REFUTED  # no increase of >= 0.5 pp is compatible


# --------------------------------------------------------------------------- pareto


def test_pareto_front_hand_example():
    wide = pd.DataFrame(
        {
            "flops": [1.0, 2.0, 2.0, 3.0, 1.5, np.nan],
            "accuracy": [0.80, 0.90, 0.85, 0.90, 0.80, 0.99],
        },
        index=["small", "mid", "mid_worse", "big_same", "dominated", "unknown"],
    )
    assert A.pareto_front(wide) == {"small", "mid"}
    long = A.summarize(
        pd.DataFrame(
            {
                "key": list("abcd"), "variant": ["x", "y", "z", "z"], "seed": [0, 0, 0, 1],
                "status": "ok", "flops": [1.0, 2.0, 1.0, 1.0], "accuracy": [0.7, 0.9, 0.8, 0.8],
            }
        )
    )  # fmt: skip
    assert A.pareto_front(long) == {"y", "z"}
    assert A.pareto_front(wide, minimize_x=False) == {"big_same"}  # more FLOPs wanted


# --------------------------------------------------------------------------- per class


def test_confusion_matrix_and_per_class_accuracy_tiny():
    from bench.tasks.classification import confusion_matrix, per_class_accuracy

    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 2])
    cm = confusion_matrix(y_true, y_pred, 4)
    expected = np.zeros((4, 4), dtype=int)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[1, 0], expected[2, 2] = 1, 1, 2, 1, 1
    np.testing.assert_array_equal(cm, expected)
    acc = per_class_accuracy(y_true, y_pred, 4)
    np.testing.assert_allclose(acc[:3], [0.5, 2 / 3, 1.0])
    assert math.isnan(acc[3])  # class 3 never occurs
    with pytest.raises(ValueError):
        confusion_matrix(np.array([0, 5]), np.array([0, 1]), 4)


def test_per_class_changes_finds_the_degraded_class():
    rng = np.random.default_rng(3)
    k, per_class = 4, 200
    y = np.repeat(np.arange(k), per_class)
    rows, predictions = [], {}
    for variant, err in (("base", [0.1, 0.1, 0.1, 0.1]), ("v", [0.1, 0.1, 0.4, 0.1])):
        for seed in range(4):
            wrong = rng.random(y.size) < np.asarray(err)[y]
            pred = np.where(wrong, (y + 1) % k, y)
            key = f"{variant}-{seed}"
            predictions[key] = (y, pred)
            rows.append({"key": key, "variant": variant, "seed": seed, "status": "ok"})
    runs = pd.DataFrame(rows)
    changed = A.per_class_changes(runs, predictions, "base", "v", k, class_names=list("abcd"))
    assert list(changed["class"]) == [2]
    assert changed.iloc[0]["direction"] == "down" and changed.iloc[0]["class_name"] == "c"
    full = A.per_class_changes(runs, predictions, "base", "v", k, all_classes=True)
    assert list(full.columns) == A.PER_CLASS_COLUMNS and len(full) == k
    np.testing.assert_allclose(full["p_holm"], A.holm(full["p_value"]))


# --------------------------------------------------------------------------- sentences


def test_conclusion_sentences_carry_the_numbers():
    runs = make_runs(
        {
            "base": [0.900, 0.901, 0.899],
            "tanh": [0.912, 0.913, 0.911],
            "same": [0.902, 0.895, 0.906],
        }
    )
    runs["flops"] = 1000.0
    runs["train_seconds"] = [10.0] * 3 + [11.0] * 3 + [10.0] * 3
    one = make_runs({"lone": [0.95]})
    one["flops"], one["train_seconds"] = 1000.0, 10.0
    out = A.compare_to_baseline(pd.concat([runs, one], ignore_index=True), "base", min_effect=0.005)
    text = words.conclusion_sentences(out, {"tanh": "tanh + dropout 0.125"})
    assert len(text) == 3
    sig, nodiff, inc = text
    row = out.set_index("variant").loc["tanh"]
    assert row["verdict"] == A.BETTER
    assert sig.startswith("tanh + dropout 0.125: accuracy rose by 1.2 pp")
    lo, hi = f"{row['ci_low'] * 100:+.1f}", f"{row['ci_high'] * 100:+.1f}"
    assert row["ci_level"] == pytest.approx(1 - 0.05 / 2)  # Holm level: 2 comparisons not rejected
    assert f"97.5% CI {lo}…{hi}" in sig
    assert "3 seeds each" in sig and "Holm-adjusted p" in sig
    assert "1.00× the FLOPs per example and 1.10× the training time" in sig
    assert "no significant difference in accuracy" in nodiff and "the data allow" in nodiff
    assert "seeds per variant would detect a difference of 0.5 pp" in nodiff
    assert "inconclusive with 1 seed" in inc
    for word in ("rose", "fell", "better", "worse", "did not change"):
        assert word not in inc


def test_conclusion_sentences_never_overclaim_inconclusive_rows():
    rows = pd.DataFrame(
        [
            comparison_row(variant="a", verdict=A.INCONCLUSIVE, n_variant=1, n_baseline=1,
                           delta=0.03, std_baseline=math.nan, std_variant=math.nan),
            comparison_row(variant="b", verdict=A.INCONCLUSIVE, n_variant=0, diverged_variant=2,
                           delta=math.nan),
            comparison_row(variant="c", verdict=A.INCONCLUSIVE, n_variant=1, delta=-0.02,
                           seeds_needed=7),
            comparison_row(variant="d", verdict=A.WORSE, delta=-0.02, ci_low=-0.03, ci_high=-0.01,
                           p_holm=0.0004, n_variant=5, n_baseline=4),
        ]
    )  # fmt: skip
    a, b, c, d = words.conclusion_sentences(rows)
    assert "at least 2 successful seeds" in a and "+3.0 pp" in a
    assert "no successful runs of the variant" in b and "2 diverged" in b
    assert "about 7 seeds per variant" in c and "−2.0 pp" in c and "difference of 2.0 pp" in c
    for s in (a, b, c):
        assert "inconclusive" in s
        assert not any(w in s for w in ("rose", "fell", "better", "worse"))
    assert "fell by 2.0 pp" in d and "p < 0.001" in d and "5 vs 4 seeds" in d


def test_sentences_for_non_fraction_metrics_use_plain_numbers():
    runs = make_runs({"base": [10.0, 10.5, 9.5], "v": [20.0, 20.5, 19.5]}, metric="train_seconds")
    out = A.compare_to_baseline(runs, "base", "train_seconds")
    (s,) = words.conclusion_sentences(out)
    assert out.iloc[0]["verdict"] == A.WORSE
    assert "training time rose by 10.0 s" in s and "pp" not in s


# --------------------------------------------------------------------------- issue-level guarantees


def _with_configs(runs, dataset_of=lambda variant: {"name": "digits", "split_seed": 0}):
    runs = runs.copy()
    runs["config"] = [json.dumps({"dataset": dataset_of(v)}) for v in runs["variant"]]
    return runs


def test_paired_by_seed_where_the_split_is_shared_welch_otherwise():
    rng = np.random.default_rng(3)
    shared = rng.normal(0.9, 0.01, size=6)
    runs = make_runs({"base": shared, "v": shared + 0.004 + rng.normal(0, 0.001, size=6)})
    paired = A.compare_to_baseline(_with_configs(runs), "base", outperforming=False).iloc[0]
    ref = stats.ttest_rel(runs[runs.variant == "v"].accuracy, runs[runs.variant == "base"].accuracy)
    assert paired["method"] == I.Method.PAIRED and paired["pairing"] == I.PairingReason.SHARED_SEEDS
    assert paired["p_value"] == pytest.approx(ref.pvalue) and paired["verdict"] == A.BETTER
    other = _with_configs(runs, lambda v: {"name": "digits", "split_seed": 1 if v == "v" else 0})
    welch = A.compare_to_baseline(other, "base", outperforming=False).iloc[0]
    assert welch["method"] == I.Method.WELCH and welch["pairing"] == I.PairingReason.DESIGN_UNPAIRED
    assert welch["p_value"] > paired["p_value"]
    # without stored configs the pairing is not known: Welch, valid either way
    assert A.compare_to_baseline(runs, "base", outperforming=False).iloc[0]["method"] == I.Method.WELCH


@pytest.mark.slow
def test_no_simulated_row_has_a_verdict_and_interval_that_disagree():
    rng = np.random.default_rng(99)
    names = ["base", "v1", "v2", "v3", "v4", "v5"]
    effects = [0.0, 0.0, 0.004, -0.006, 0.01, 0.0]
    checked = 0
    for _ in range(300):
        groups = [rng.normal(0.9 + e, 0.005, size=rng.integers(3, 7)) for e in effects]
        out = A.compare_to_baseline(suite_frame(groups, names), "base", outperforming=False,
                                    min_effect=float(rng.choice([0.0, 0.003])))  # fmt: skip
        for r in out.to_dict("records"):
            holds_zero = r["ci_low"] <= 0 <= r["ci_high"]
            if r["verdict"] in (A.BETTER, A.WORSE):
                assert not holds_zero, r
            if r["verdict"] == A.NO_DIFFERENCE:
                assert holds_zero, r
            if r["verdict"] == A.NEGLIGIBLE:
                assert -r["min_effect"] < r["ci_low"] and r["ci_high"] < r["min_effect"]
            checked += 1
    assert checked == 300 * 5


def test_zero_spread_on_accuracy_is_inconclusive_not_better():
    row = A.compare([0.90, 0.90], [0.91, 0.91])
    assert row.verdict == A.INCONCLUSIVE and row.reason == A.Reason.ZERO_SPREAD
    assert "inconclusive" in words.conclusion_sentences([row])[0]
    exact = A.compare([1e3, 1e3], [2e3, 2e3], "params")  # a size: zero spread is exact
    assert exact.verdict == A.WORSE and exact.ci_low == exact.ci_high == 1e3


def test_divergence_rates_are_tested_and_verdicts_say_among_converged_runs():
    bad = [{"key": f"v-d{i}", "variant": "v", "seed": 10 + i, "status": "diverged",
            "accuracy": np.nan} for i in range(7)]  # fmt: skip
    runs = make_runs({"base": [0.90, 0.901, 0.899, 0.9, 0.902, 0.898, 0.9, 0.901],
                      "v": [0.92, 0.921, 0.919]}, extra=bad)  # fmt: skip
    row = A.compare_to_baseline(runs, "base", outperforming=False).iloc[0]
    assert row["rates_differ"] and row["rate_p"] == pytest.approx(
        stats.fisher_exact([[0, 8], [7, 3]]).pvalue
    )
    (text,) = words.conclusion_sentences(pd.DataFrame([row]))
    assert "among converged runs only" in text and "7/10" in text
    calm = A.compare_to_baseline(make_runs({"base": [0.9, 0.91], "v": [0.9, 0.92]}), "base").iloc[0]
    assert not calm["rates_differ"]


def test_a_same_claim_is_decided_by_equivalence_alone():
    # Δ +0.3 pp, significant, but well inside a 1 pp margin: "same" is confirmed
    rng = np.random.default_rng(5)
    base = 0.9 + rng.normal(0, 0.0005, size=8)
    runs = make_runs({"base": base, "v": base + 0.003 + rng.normal(0, 0.0003, size=8)})
    table = A.compare_to_baseline(runs, "base", outperforming=False)
    assert table.iloc[0]["verdict"] == A.BETTER
    (claim,) = A.claim_records(table, [{"variant": "v", "metric": "accuracy", "direction": "same",
                                        "margin": 0.01}])  # fmt: skip
    assert claim.result == A.CONFIRMED and claim.reason == A.ClaimReason.WITHIN_MARGIN
    assert claim.ci_level == pytest.approx(0.9) and -0.01 < claim.ci_low < claim.ci_high < 0.01


def test_p_beats_and_the_two_level_interval_are_reported_with_their_sources():
    y = np.repeat(np.arange(4), 25)
    rng = np.random.default_rng(8)
    predictions, rows = {}, []
    for variant, acc in (("base", 0.8), ("v", 0.9)):
        for seed in range(4):
            pred = np.where(rng.random(y.size) < acc, y, (y + 1) % 4)
            key = f"{variant}-{seed}"
            predictions[key] = (y, pred)
            rows.append({"key": key, "variant": variant, "seed": seed, "status": "ok",
                         "accuracy": float(np.mean(pred == y))})  # fmt: skip
    out = A.compare_to_baseline(pd.DataFrame(rows), "base", predictions=predictions).iloc[0]
    assert 0.5 < out["p_beats"] <= 1 and out["p_beats_low"] <= out["p_beats"] <= out["p_beats_high"]
    assert out["boot_ci_low"] < out["delta"] < out["boot_ci_high"]
    line = words.variance_sources(pd.DataFrame([out]))
    assert "seed-to-seed" in line and "test examples" in line and "seeds only" in line


@pytest.mark.slow
def test_per_class_family_flags_a_class_in_at_most_five_percent_of_a_a_reports():
    rng = np.random.default_rng(17)
    classes, seeds, names = 10, 4, ["base", "v1", "v2", "v3"]
    flagged, n_reports = 0, 300
    y = np.repeat(np.arange(classes), 30)
    for _ in range(n_reports):
        predictions, rows = {}, []
        for variant in names:
            for seed in range(seeds):
                pred = np.where(rng.random(y.size) < 0.85, y, (y + 1) % classes)
                key = f"{variant}-{seed}"
                predictions[key] = (y, pred)
                rows.append({"key": key, "variant": variant, "seed": seed, "status": "ok",
                             "accuracy": float(np.mean(pred == y))})  # fmt: skip
        table = A.per_class_family_changes(pd.DataFrame(rows), predictions, "base", classes)
        assert len(table) == 3 * classes
        flagged += bool(table["changed"].any())
    assert flagged / n_reports <= 0.05
    # asking about one variant still uses the whole family
    one = A.per_class_changes(pd.DataFrame(rows), predictions, "base", "v1", classes, all_classes=True)
    assert one["p_holm"].tolist() == pytest.approx(
        table[table.variant == "v1"]["p_holm"].tolist(), nan_ok=True
    )


@pytest.mark.slow
def test_paired_two_store_gate_catches_half_a_point_with_few_false_alarms():
    """Same seeds, same split in both stores (same-seed correlation 0.9), σ 0.5 pp, margin 0."""
    rng = np.random.default_rng(21)

    def stores(regression):
        shared = rng.normal(0, 0.005 * math.sqrt(0.9), size=5)
        own = lambda: rng.normal(0, 0.005 * math.sqrt(0.1), size=5)  # noqa: E731
        old = _with_configs(make_runs({"base": 0.8 + shared + own()}))
        new = _with_configs(make_runs({"base": 0.8 - regression + shared + own()}))
        return old, new

    def fails(regression):
        old, new = stores(regression)
        (row,) = A.regression_gate(old, new, ["accuracy"])
        assert row.method == I.Method.PAIRED
        return row.failed

    n = 400
    caught = np.mean([fails(0.005) for _ in range(n)])
    false_alarms = np.mean([fails(0.0) for _ in range(n)])
    assert caught >= 0.5 and false_alarms <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n)
    # a margin turns the gate into non-inferiority: a 0.5 pp drop within a 1 pp margin passes
    old, new = stores(0.005)
    (row,) = A.regression_gate(old, new, ["accuracy"], margins={"accuracy": 0.01})
    assert not row.failed and row.margin == 0.01
    # several gate metrics are one Holm family
    old["loss"], new["loss"] = 0.5, 0.5 + rng.normal(0, 0.01, size=5)
    rows = A.regression_gate(old, new, ["accuracy", "loss"])
    assert [r.metric for r in rows] == ["accuracy", "loss"]
    assert all(r.p_holm >= r.p_value or math.isnan(r.p_value) for r in rows)
