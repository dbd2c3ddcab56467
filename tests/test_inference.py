"""bench.inference: each procedure against scipy, and its error rate by simulation.

No TensorFlow: per-seed metrics are simulated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench import inference as I

SIGMA = 0.005  # 0.5 pp between seeds


# --------------------------------------------------------------------------- choice and tests


def test_pairing_follows_the_design_not_the_data():
    assert I.choose_test([0, 1, 2], [0, 1, 2], pairing_real=True).method is I.Method.PAIRED
    unpaired = I.choose_test([0, 1, 2], [0, 1, 2], pairing_real=False)
    assert (unpaired.method, unpaired.reason) == (I.Method.WELCH, I.PairingReason.DESIGN_UNPAIRED)
    assert I.choose_test([0, 1], [5, 6], pairing_real=True).reason is I.PairingReason.TOO_FEW_PAIRS
    assert I.choose_test([0, 1, 2], [0, 1, 7], pairing_real=True).reason is (
        I.PairingReason.SEEDS_DIFFER
    )
    # the larger side's extra seeds are left out; every seed of the smaller side pairs
    assert I.choose_test([0, 1, 2, 3], [0, 1, 2], pairing_real=True).seeds == (0, 1, 2)


def test_mean_difference_matches_scipy_for_both_tests():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=6) + 0.4
    welch = I.mean_difference(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert welch.p_value == pytest.approx(ref.pvalue)
    assert welch.interval(0.95) == pytest.approx(tuple(ref.confidence_interval(0.95)))
    paired = I.mean_difference(a, b, pairing_real=True)
    ref = stats.ttest_rel(b, a)
    assert paired.method is I.Method.PAIRED and paired.p_value == pytest.approx(ref.pvalue)
    assert paired.interval(0.9) == pytest.approx(tuple(ref.confidence_interval(0.9)))
    # a failed run (NaN) drops its pair, not the whole comparison
    a2 = a.copy()
    a2[2] = np.nan
    dropped = I.mean_difference(a2, b, pairing_real=True)
    assert dropped.n_a == dropped.n_b == 5
    ref = stats.ttest_rel(np.delete(b, 2), np.delete(a, 2))
    assert dropped.p_value == pytest.approx(ref.pvalue)


def test_zero_spread_on_a_noisy_metric_is_untestable_not_p_zero():
    d = I.mean_difference([0.90, 0.90], [0.91, 0.91])
    assert d.zero_spread and math.isnan(d.p_value) and not d.testable
    assert all(math.isnan(x) for x in d.interval())
    fam = I.holm_family([d.delta], [d.se], [d.df], [d.p_value])
    assert not fam.rejected[0]
    exact = I.mean_difference([1e6, 1e6], [2e6, 2e6], noisy=False)  # e.g. FLOPs
    assert exact.p_value == 0.0 and exact.interval() == (1e6, 1e6)


def test_paired_test_is_exact_on_a_null_and_uses_the_shared_seed_luck():
    rng = np.random.default_rng(1)
    shared = rng.normal(size=(20000, 5)) * SIGMA * math.sqrt(0.9)
    own = lambda: rng.normal(size=(20000, 5)) * SIGMA * math.sqrt(0.1)  # noqa: E731
    a, b = shared + own(), shared + own()
    assert (I.paired_t(a, b).p < 0.05).mean() == pytest.approx(0.05, abs=0.006)
    assert (I.welch_t(a, b).p < 0.05).mean() < 0.01  # unpaired: blind to the pairing


# --------------------------------------------------------------------------- Holm + intervals


def _suites(n_suites, m, n, effects, rng):
    base = rng.normal(size=(n_suites, 1, n)) * SIGMA
    var = rng.normal(size=(n_suites, m, n)) * SIGMA + np.asarray(effects)[None, :, None]
    return base, var


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert I.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(I.holm([0.01, np.nan])[1]) and I.holm([0.01, np.nan])[0] == 0.02
    assert I.holm(np.vstack([p, p]))[1] == pytest.approx(I.holm(p))


@pytest.mark.slow
@pytest.mark.parametrize("effects", [[0.0] * 5, [0.0, 0.0, 0.004, 0.006, 0.01]],
                         ids=["a/a", "mixed"])  # fmt: skip
def test_no_row_has_a_verdict_and_an_interval_that_disagree(effects):
    rng = np.random.default_rng(2)
    base, var = _suites(3000, 5, 5, effects, rng)
    ts = I.welch_t(base, var)
    disagree = false_rows = missed = 0
    for k in range(base.shape[0]):
        fam = I.holm_family(ts.delta[k], ts.se[k], ts.df[k], ts.p[k])
        excludes = (fam.ci_low > 0) | (fam.ci_high < 0)
        disagree += int(np.sum(excludes != fam.rejected))
        null = np.asarray(effects) == 0
        false_rows += bool(np.any(fam.rejected & null))
        truth = np.asarray(effects)
        missed += bool(np.any(((fam.ci_low > truth) | (fam.ci_high < truth)) & ~fam.rejected))
    assert disagree == 0
    assert false_rows / base.shape[0] <= 0.05
    # the not-rejected rows' intervals cover jointly at ≥ 95 % (Guilbaud 2008)
    assert missed / base.shape[0] <= 0.05


def test_interval_reading_says_what_is_ruled_out():
    r = I.read_interval(-0.04, 0.01, min_effect=0.02)
    assert not r.excludes_zero and r.rules_out_increase and not r.rules_out_decrease
    assert not r.within_min_effect
    assert I.read_interval(-0.01, 0.01, 0.02).within_min_effect
    assert I.read_interval(0.03, 0.05, 0.02).beyond_min_effect
    assert I.read_interval(0.01, 0.05, 0.02).sign == 1


@pytest.mark.slow
def test_per_class_family_flags_a_class_in_at_most_alpha_of_a_a_reports():
    rng = np.random.default_rng(3)
    n_reports, m, classes, seeds = 2000, 5, 10, 5
    flagged = 0
    for _ in range(n_reports):
        seed_luck = rng.normal(size=(seeds, 1)) * 0.01
        base = 0.8 + seed_luck + rng.normal(size=(seeds, classes)) * 0.02
        variants = {f"v{i}": 0.8 + seed_luck + rng.normal(size=(seeds, classes)) * 0.02
                    for i in range(m)}  # fmt: skip
        fam = I.per_class_family(base, variants, pairing_real=True)
        flagged += bool(fam.changed.any())
        assert np.all(fam.changed <= ((fam.ci_low > 0) | (fam.ci_high < 0)))
    assert flagged / n_reports <= 0.05
    # a real change in one class of one variant is found
    base = 0.8 + rng.normal(size=(8, classes)) * 0.01
    moved = 0.8 + rng.normal(size=(8, classes)) * 0.01
    moved[:, 4] += 0.1
    fam = I.per_class_family(base, {"v": moved, "w": base + 0.001})
    assert fam.changed.tolist()[0] == [k == 4 for k in range(classes)]


# --------------------------------------------------------------------------- failure rates


@pytest.mark.slow
def test_fisher_flags_different_failure_rates_and_rarely_equal_ones():
    assert I.compare_rates(0, 12, 7, 12).differs
    assert not I.compare_rates(0, 10, 3, 10).differs  # 3/10 vs 0/10: p ≈ 0.21
    rng = np.random.default_rng(4)
    a, b = rng.binomial(10, 0.2, size=2000), rng.binomial(10, 0.2, size=2000)
    false = np.mean([I.compare_rates(int(x), 10, int(y), 10).differs for x, y in zip(a, b)])
    assert false <= 0.05


# --------------------------------------------------------------------------- same / regression


def test_equivalence_decides_a_same_claim_even_when_the_difference_is_significant():
    # Δ +0.3 pp with a CI of about +0.18…+0.42 pp: significant, yet inside a 1 pp margin
    rng = np.random.default_rng(5)
    a = 0.9 + rng.normal(size=8) * 0.0007
    b = a + 0.003 + rng.normal(size=8) * 0.0001
    d = I.mean_difference(a, b, pairing_real=True)
    assert d.p_value < 0.05
    eq = I.equivalence(d, margin=0.01)
    assert eq.equivalent and -0.01 < eq.ci_low and eq.ci_high < 0.01
    assert not I.equivalence(I.mean_difference([0.9, 0.9], [0.9, 0.9]), 0.01).equivalent


@pytest.mark.slow
def test_equivalence_at_the_margin_is_claimed_in_at_most_alpha():
    rng = np.random.default_rng(6)
    margin = 0.005
    hits = 0
    for _ in range(2000):
        a = rng.normal(size=6) * SIGMA
        b = margin + rng.normal(size=6) * SIGMA
        hits += I.equivalence(I.mean_difference(a, b), margin).equivalent
    assert hits / 2000 <= 0.05


def _two_stores(rng, n, regression, correlation=0.9):
    """Two stores of one suite on the same seeds: accuracy and top-5 accuracy per seed."""
    shared = rng.normal(size=(2, n)) * SIGMA * math.sqrt(correlation)
    noise = lambda: rng.normal(size=(2, n)) * SIGMA * math.sqrt(1 - correlation)  # noqa: E731
    old = np.array([[0.80], [0.95]]) + shared + noise()
    new = np.array([[0.80 - regression], [0.95 - regression / 2]]) + shared + noise()
    return old, new


def _gate_fails(old, new, margin, pairing_real):
    tests = [
        I.regression_test(I.mean_difference(old[k], new[k], pairing_real=pairing_real), margin,
                          metric=name)  # fmt: skip
        for k, name in enumerate(("accuracy", "top5_accuracy"))
    ]
    return I.regression_gate(tests).any_failed


@pytest.mark.slow
def test_paired_regression_gate_catches_half_a_point_with_few_false_alarms():
    rng = np.random.default_rng(7)
    n, margin, sims = 5, 0.001, 1000
    caught = np.mean([_gate_fails(*_two_stores(rng, n, 0.005), margin, True) for _ in range(sims)])
    at_margin = np.mean(
        [_gate_fails(*_two_stores(rng, n, margin), margin, True) for _ in range(sims)]
    )
    none = np.mean([_gate_fails(*_two_stores(rng, n, 0.0), margin, True) for _ in range(sims)])
    welch = np.mean(
        [_gate_fails(*_two_stores(rng, n, 0.005), margin, False) for _ in range(sims)]
    )
    print(f"\n[gate, 5 seeds, margin 0.1 pp, ρ 0.9] catches −0.5 pp: paired {caught:.3f}, "
          f"unpaired {welch:.3f}; false alarms at the margin {at_margin:.3f}, at 0: {none:.3f}")
    assert caught >= 0.5 and at_margin <= 0.05 and none <= 0.05
    assert welch < caught


# --------------------------------------------------------------------------- planning


def test_seeds_for_power_is_the_smallest_count_reaching_power_at_the_holm_level():
    need = I.seeds_for_power(0.01, 0.005, alpha=0.05, family_size=5, paired=False)
    assert need.level == 0.01 and not need.capped
    n = need.seeds
    assert I.power_at(0.01, 0.005, n, alpha=0.01, paired=False) >= 0.8
    assert I.power_at(0.01, 0.005, n - 1, alpha=0.01, paired=False) < 0.8
    # the power is real: simulate the Welch test at that n and level
    rng = np.random.default_rng(8)
    a = rng.normal(size=(20000, n)) * 0.005
    b = 0.01 + rng.normal(size=(20000, n)) * 0.005
    assert (I.welch_t(a, b).p < 0.01).mean() == pytest.approx(
        float(I.power_at(0.01, 0.005, n, alpha=0.01, paired=False)), abs=0.02
    )
    assert I.seeds_for_power(0.0, 0.005).seeds is None
    capped = I.seeds_for_power(0.0001, 0.005, max_seeds=30)
    assert capped.capped and capped.seeds == 30


def test_plan_seeds_from_a_pilot_with_run_times():
    rng = np.random.default_rng(9)
    luck = rng.normal(size=4) * 0.004
    pilot = {
        "base": 0.8 + luck + rng.normal(size=4) * 0.002,
        "wide": 0.8 + luck + rng.normal(size=4) * 0.002,
        "hopeless": 0.8 + rng.normal(size=4) * 0.05,
    }
    plan = I.plan_seeds(pilot, "base", min_effect=0.01, max_seeds=20,
                        run_seconds={"base": 10.0, "wide": 20.0, "hopeless": 5.0})  # fmt: skip
    rows = {r.variant: r for r in plan.comparisons}
    assert rows["wide"].method is I.Method.PAIRED and rows["wide"].decidable
    assert rows["hopeless"].capped and not rows["hopeless"].decidable
    assert rows["wide"].cpu_seconds == rows["wide"].more_runs * 20.0
    assert plan.level == pytest.approx(0.025)
    assert plan.total_cpu_seconds == pytest.approx(
        sum(r.cpu_seconds for r in plan.comparisons) + plan.baseline_more_runs * 10.0
    )
    cautious = I.plan_seeds(pilot, "base", 0.01, sd_upper_confidence=0.8)
    assert cautious.comparisons[0].seeds_needed >= plan.comparisons[0].seeds_needed


# --------------------------------------------------------------------------- bootstrap


@pytest.mark.slow
def test_two_level_bootstrap_covers_seeds_and_test_examples():
    rng = np.random.default_rng(10)
    examples, seeds = 400, 6
    hardness = rng.uniform(0.3, 0.99, size=examples)  # the same test set for both sides

    def runs(shift):
        skill = rng.normal(size=(seeds, 1)) * 0.02 + shift
        return (rng.uniform(size=(seeds, examples)) < np.clip(hardness + skill, 0, 1)).astype(float)

    res = I.two_level_bootstrap(runs(0.0), runs(0.05), n_boot=1000, rng=0)
    assert res.ci_low < res.delta < res.ci_high and res.ci_low > 0
    assert res.p_beats > 0.8 and res.p_beats_low <= res.p_beats <= res.p_beats_high
    assert res.sources == ("seeds", "test_examples")
    # A/A: the interval covers 0 in most simulated pairs of suites
    covered = [
        (lambda r: r.ci_low <= 0 <= r.ci_high)(
            I.two_level_bootstrap(runs(0.0), runs(0.0), n_boot=400, rng=k)
        )
        for k in range(100)
    ]
    assert np.mean(covered) >= 0.85
    paired = I.two_level_bootstrap(runs(0.0), runs(0.0), paired_seeds=True, n_boot=300)
    assert 0 <= paired.p_beats <= 1


def test_probability_of_outperforming_over_seeds():
    res = I.probability_of_outperforming([0.80, 0.81, 0.79, 0.80], [0.85, 0.86, 0.84, 0.85])
    assert res.p_beats == 1.0 and res.sources == ("seeds",)
    tie = I.probability_of_outperforming([0.8, 0.8], [0.8, 0.8])
    assert tie.p_beats == 0.5
