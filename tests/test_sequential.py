"""Group-sequential seeding (bench.sequential): boundaries, decisions, and simulated error rates.

No TensorFlow: per-seed metrics are simulated (σ = 0.5 pp between seeds) and driven
through the same decision function ``bench run --until-conclusive`` calls at each look.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bench import inference as I
from bench import sequential as S

SIGMA = 0.005  # 0.5 pp between seeds
EFFECT = 0.01  # +1 pp


def simulate(design, n_suites, m, effect, *, paired, rho=0.0, min_effect=0.0, seed=0):
    """Run the design's looks on simulated suites; returns the last look's batch and seed counts.

    ``rho``: correlation of the same seed across variants (shared split and data order).
    """
    rng = np.random.default_rng(seed)
    n = design.max_seeds
    shared = rng.normal(size=(n_suites, 1, n)) * SIGMA * np.sqrt(rho)
    base = 0.8 + shared[:, 0] + rng.normal(size=(n_suites, n)) * SIGMA * np.sqrt(1 - rho)
    var = 0.8 + effect + shared + rng.normal(size=(n_suites, m, n)) * SIGMA * np.sqrt(1 - rho)
    seeds = np.full((n_suites, m), design.looks[0])
    bseeds = np.full(n_suites, design.looks[0])
    for _ in design.looks:
        res = S.decide_batch(design, base, var, seeds, bseeds, paired=paired,
                             min_effect=min_effect)  # fmt: skip
        if np.array_equal(res.next_seeds, seeds) and np.array_equal(res.baseline_next, bseeds):
            break
        seeds, bseeds = res.next_seeds, res.baseline_next
    return res, seeds, bseeds, base, var


def fixed_design(base, var, n, *, paired, alpha=0.05):
    """The fixed design on the same data: n seeds, one t-test per variant, Holm."""
    ts = (I.paired_t if paired else I.welch_t)(base[:, None, :n], var[:, :, :n], axis=-1)
    return (I.holm(ts.p) < alpha) & (ts.delta > 0)


# --------------------------------------------------------------------------- boundaries


def test_pocock_boundaries_match_the_published_lan_demets_table():
    z = S.z_boundaries(np.arange(1, 6) / 5, 0.05, "pocock")
    assert z == pytest.approx([2.4380, 2.4268, 2.4102, 2.3966, 2.3860], abs=2e-4)


def test_recursion_reproduces_the_gsdesign_obrien_fleming_table():
    # gsDesign's two-sided symmetric sfLDOF spends 2 - 2Φ(z_{α/4}/√t) per side (α = 0.05)
    t = np.arange(1, 6) / 5
    per_side = 2 - 2 * stats.norm.cdf(stats.norm.isf(0.025 / 2) / np.sqrt(t))
    z = S.boundaries_for_spending(t, 2 * per_side)
    assert z == pytest.approx([4.8769, 3.3569, 2.6803, 2.2898, 2.0310], abs=3e-4)


@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
def test_boundaries_spend_alpha_under_the_canonical_joint_normal(spending):
    looks = (3, 5, 8, 10)
    t = np.array(looks) / 10
    z = S.z_boundaries(t, 0.05, spending)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))  # Corr = √(n_i/n_j)
    for k in range(2, len(looks) + 1):
        mvn = stats.multivariate_normal(np.zeros(k), cov[:k, :k], seed=1)
        stay = mvn.cdf(z[:k], lower_limit=-z[:k])
        assert 1 - stay == pytest.approx(S.spent_alpha(t[k - 1], 0.05, spending), abs=2e-4)
    assert S.spent_alpha(1.0, 0.05, spending) == pytest.approx(0.05)


def test_one_look_is_the_fixed_test_and_obrien_fleming_is_strict_early():
    assert S.z_boundaries([1.0], 0.05)[0] == pytest.approx(stats.norm.isf(0.025))
    z = S.z_boundaries([0.3, 0.5, 0.8, 1.0], 0.05)
    assert z[0] == pytest.approx(stats.norm.isf(0.025) / np.sqrt(0.3)) and np.all(np.diff(z) < 0)
    with pytest.raises(ValueError, match="increase"):
        S.z_boundaries([0.5, 0.5], 0.05)


def test_design_looks_run_from_the_suite_seeds_to_the_maximum():
    assert S.design_looks(3, 10) == (3, 5, 8, 10)
    assert S.design_looks(5, 20) == (5, 10, 15, 20)
    assert S.design_looks(5, 6) == (5, 6)
    assert S.design_looks(4, 4) == (4,)
    with pytest.raises(ValueError):
        S.design_looks(1, 10)
    with pytest.raises(ValueError, match="increasing"):
        S.SequentialDesign(looks=(5, 3))


@pytest.mark.slow
def test_paired_boundaries_are_calibrated_to_the_exact_t_law():
    design = S.make_design(3, 10, spending="pocock")
    calibrated = design.nominal_p(0.05, paired=True)
    normal = design.nominal_p(0.05)
    # with 2 df at the first look the normal-theory boundary would spend too much later
    assert np.all(calibrated[1:] < normal[1:])
    # the calibrated boundaries spend the design's α on fresh null paths
    rng = np.random.default_rng(7)
    d = rng.standard_normal((100_000, 10))
    reject = np.zeros(d.shape[0], dtype=bool)
    for n, bound in zip(design.looks, calibrated):
        p = stats.ttest_1samp(d[:, :n], 0.0, axis=1).pvalue
        reject |= p <= bound
    assert reject.mean() == pytest.approx(0.05, abs=0.003)


# --------------------------------------------------------------------------- error rates


@pytest.mark.slow
@pytest.mark.parametrize("paired", [True, False], ids=["paired", "welch"])
@pytest.mark.parametrize("n0,max_seeds", [(3, 10), (5, 10), (3, 20), (5, 20)])
def test_family_wise_false_positives_stay_at_alpha_and_power_is_reported(n0, max_seeds, paired):
    design = S.make_design(n0, max_seeds)
    n_suites = 8000 if paired else 4000  # standard error ≤ 0.0035 around a rate near 0.045
    res, *_ = simulate(design, n_suites, 5, 0.0, paired=paired, seed=n0 * 100 + max_seeds)
    fwer = res.rejected.any(axis=1).mean()
    assert fwer <= 0.055

    res1, seeds1, bseeds1, base1, var1 = simulate(
        design, 2000, 5, EFFECT, paired=paired, rho=0.5 if paired else 0.0,
        min_effect=0.005, seed=1,
    )  # fmt: skip
    power = (res1.rejected & (res1.delta > 0)).mean()
    power_n0 = fixed_design(base1, var1, n0, paired=paired).mean()
    power_max = fixed_design(base1, var1, max_seeds, paired=paired).mean()
    print(
        f"\n[{'paired' if paired else 'welch'} n0={n0} max={max_seeds} looks={design.looks}] "
        f"A/A family-wise false positives {fwer:.4f}; true +1 pp (σ 0.5 pp): "
        f"sequential power {power:.3f} with {seeds1.mean():.2f} seeds/variant "
        f"(baseline {bseeds1.mean():.2f}); fixed {n0} seeds: power {power_n0:.3f}; "
        f"fixed {max_seeds} seeds: power {power_max:.3f}"
    )
    assert power > power_n0 and seeds1.mean() < max_seeds
    assert np.all(res1.rejected[res1.rejected] == (res1.rci_low > 0)[res1.rejected])


@pytest.mark.slow
def test_pocock_spending_also_keeps_the_family_wise_rate():
    design = S.make_design(3, 10, spending="pocock")
    res, *_ = simulate(design, 4000, 5, 0.0, paired=True, seed=11)
    assert res.rejected.any(axis=1).mean() <= 0.055
    single, *_ = simulate(design, 8000, 1, 0.0, paired=True, seed=12)
    assert single.rejected.mean() <= 0.055


@pytest.mark.slow
def test_stop_rules_never_add_false_positives():
    design = S.make_design(5, 20)
    with_rules, *_ = simulate(design, 3000, 5, 0.0, paired=True, min_effect=0.005, seed=3)
    without, *_ = simulate(design, 3000, 5, 0.0, paired=True, min_effect=0.0, seed=3)
    assert np.all(with_rules.rejected <= without.rejected)


# --------------------------------------------------------------------------- one suite


@pytest.mark.slow
def test_decide_look_matches_the_batch_simulation_look_by_look():
    design = S.make_design(3, 10)
    rng = np.random.default_rng(5)
    for suite in range(40):
        base = 0.8 + rng.normal(size=10) * SIGMA
        var = {f"v{i}": 0.8 + (EFFECT if i == 0 else 0) + rng.normal(size=10) * SIGMA
               for i in range(3)}  # fmt: skip
        have = {name: design.looks[0] for name in var}
        n_base = design.looks[0]
        while True:
            look = S.decide_look(
                design, base[:n_base], {k: v[: have[k]] for k, v in var.items()},
                paired=True, min_effect=0.005,
            )  # fmt: skip
            batch = S.decide_batch(
                design, base[None], np.stack(list(var.values()))[None],
                np.array([[have[k] for k in var]]), np.array([n_base]),
                paired=True, min_effect=0.005,
            )  # fmt: skip
            assert [v.decision for v in look.variants] == list(batch.decisions()[0])
            if look.finished:
                break
            have = {v.variant: v.next_seeds for v in look.variants}
            n_base = look.baseline_next_seeds
        for v in look.variants:
            if v.decision is S.Decision.REJECT:
                assert v.rci_low > 0 or v.rci_high < 0
                assert v.p_value <= v.nominal_p and abs(v.t_stat) >= v.t_boundary - 1e-9
            assert v.looks_taken == tuple(n for n in design.looks if n <= v.seeds)


def test_a_clear_effect_stops_early_and_a_tiny_one_stops_as_within_min_effect():
    design = S.make_design(5, 20)
    rng = np.random.default_rng(0)
    base = 0.8 + rng.normal(size=5) * 0.001
    look = S.decide_look(
        design, base,
        {"big": base + 0.05 + rng.normal(size=5) * 0.001,
         "none": base + rng.normal(size=5) * 0.0002,
         "unsure": base + 0.003 + rng.normal(size=5) * 0.004},
        paired=True, min_effect=0.01,
    )  # fmt: skip
    got = {v.variant: v.decision for v in look.variants}
    assert got["big"] is S.Decision.REJECT
    assert got["none"] is S.Decision.WITHIN_MIN_EFFECT
    assert got["unsure"] is S.Decision.CONTINUE
    assert look.baseline_next_seeds == 10
    unsure = next(v for v in look.variants if v.variant == "unsure")
    assert unsure.next_seeds == 10 and unsure.alpha_spent < unsure.level


def test_last_look_without_crossing_is_max_reached_and_zero_spread_cannot_reject():
    design = S.SequentialDesign(looks=(3, 5))
    base = [0.90] * 5
    look = S.decide_look(design, base, {"same": [0.90] * 5, "noise": [0.9, 0.91, 0.89, 0.9, 0.9]},
                         paired=False)  # fmt: skip
    got = {v.variant: v for v in look.variants}
    assert got["noise"].decision is S.Decision.MAX_REACHED
    assert got["same"].decision is S.Decision.MAX_REACHED and got["same"].zero_spread
    early = S.decide_look(design, base[:3], {"shift": [0.91] * 3}, paired=False)
    assert early.variants[0].decision is S.Decision.CONTINUE  # zero spread: more seeds


def test_seed_counts_off_the_design_are_refused():
    design = S.make_design(3, 10)
    with pytest.raises(ValueError, match="looks"):
        S.decide_look(design, [0.9] * 4, {"v": [0.9] * 4}, paired=True)
    with pytest.raises(ValueError, match="more seeds"):
        S.decide_look(design, [0.9] * 3, {"v": [0.9] * 5}, paired=True)
