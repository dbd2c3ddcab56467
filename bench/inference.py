"""Tests and intervals for comparing variants over seeds: arrays in, typed records out.

Every procedure here returns numbers and flags, never sentences; :mod:`bench.analysis`
turns them into verdicts and the word catalogs into text.  Each docstring states the
error rate the procedure keeps; ``tests/test_inference.py`` measures it by simulation.

Unit of replication: one training run (a seed).  Two variants of one suite, or one
variant in two stores, that ran the same seed on the same data split share that seed's
luck (initial weights, data order, split); their per-seed differences cancel it, so a
paired t-test over seeds is used where that pairing is real, Welch's t-test otherwise
(:func:`choose_test`).

Pure numpy + scipy; never imports TensorFlow.  ``scipy.stats`` (about a second to import)
is imported only by the procedures that need more than the t quantiles and CDFs of
``scipy.special``, which are the functions ``scipy.stats.t`` evaluates.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from scipy import special

__all__ = [
    "Method",
    "PairingReason",
    "TestChoice",
    "choose_test",
    "Difference",
    "mean_difference",
    "paired_t",
    "welch_t",
    "holm",
    "HolmFamily",
    "holm_family",
    "IntervalReading",
    "read_interval",
    "PerClassFamily",
    "per_class_family",
    "RateComparison",
    "compare_rates",
    "Equivalence",
    "equivalence",
    "RegressionTest",
    "regression_test",
    "GateResult",
    "regression_gate",
    "SeedsNeeded",
    "seeds_for_power",
    "power_at",
    "ComparisonPlan",
    "SuitePlan",
    "plan_seeds",
    "BootstrapResult",
    "two_level_bootstrap",
    "two_level_bootstraps",
    "probability_of_outperforming",
]

#: Relative size below which a standard error counts as zero (float noise, not spread).
_ZERO_SPREAD_TOLERANCE = 1e-12


# --------------------------------------------------------------------------- choice of test


class Method(str, enum.Enum):
    """Which two-sample statistic a comparison used."""

    PAIRED = "paired"  # paired t over per-seed differences
    WELCH = "welch"  # Welch's unequal-variance t over the two sets of seeds


class PairingReason(str, enum.Enum):
    """Why :func:`choose_test` chose its method (for the report's "which test" column)."""

    SHARED_SEEDS = "shared_seeds"  # same seeds, same split: paired
    DESIGN_UNPAIRED = "design_unpaired"  # the seeds do not share a split / data
    TOO_FEW_PAIRS = "too_few_pairs"  # fewer than two seeds in common
    SEEDS_DIFFER = "seeds_differ"  # one side has seeds the other lacks


@dataclass(frozen=True)
class TestChoice:
    """The test a comparison uses, why, and (paired) the seeds that pair."""

    method: Method
    reason: PairingReason
    seeds: tuple[int, ...] = ()


def choose_test(
    seeds_a: Sequence[int],
    seeds_b: Sequence[int],
    *,
    pairing_real: bool,
    min_pairs: int = 2,
) -> TestChoice:
    """Paired t where the design pairs seeds, else Welch -- decided from the design, not the data.

    ``pairing_real`` is the design's statement that the same seed means the same split
    and the same data order on both sides (variants of one suite; one suite in two
    stores).  Pairing is used when it is real, at least ``min_pairs`` seeds are shared,
    and every seed of the smaller side has its partner (so no run is silently dropped
    except the larger side's extra seeds).  Choosing from the design, never from the
    observed correlation, keeps the test's level exact.
    """
    a, b = [int(s) for s in seeds_a], [int(s) for s in seeds_b]
    if not pairing_real:
        return TestChoice(Method.WELCH, PairingReason.DESIGN_UNPAIRED)
    common = sorted(set(a) & set(b))
    if len(common) < min_pairs:
        return TestChoice(Method.WELCH, PairingReason.TOO_FEW_PAIRS)
    if len(common) < min(len(set(a)), len(set(b))):
        return TestChoice(Method.WELCH, PairingReason.SEEDS_DIFFER)
    return TestChoice(Method.PAIRED, PairingReason.SHARED_SEEDS, tuple(common))


# --------------------------------------------------------------------------- t statistics


def t_isf(q: float | np.ndarray, df: float | np.ndarray) -> np.ndarray:
    """``scipy.stats.t.isf(q, df)``, the same numbers, without importing ``scipy.stats``.

    For 0 < q < 1 and df > 0 that method returns ``-special.stdtrit(df, q)``; anything else
    (q at 0 or 1, a bad df) is left to scipy.stats itself.
    """
    q_, df_ = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    if not (np.all((q_ > 0) & (q_ < 1)) and np.all(df_ > 0)):
        from scipy import stats

        return np.asarray(stats.t.isf(q, df))
    return -special.stdtrit(df_, q_)


def t_ppf(q: float | np.ndarray, df: float | np.ndarray) -> np.ndarray:
    """``scipy.stats.t.ppf(q, df)``, the same numbers, without importing ``scipy.stats``."""
    q_, df_ = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    if not (np.all((q_ > 0) & (q_ < 1)) and np.all(df_ > 0)):
        from scipy import stats

        return np.asarray(stats.t.ppf(q, df))
    return special.stdtrit(df_, q_)


def t_cdf(x: float | np.ndarray, df: float | np.ndarray) -> np.ndarray:
    """``scipy.stats.t.cdf(x, df)``: ``special.stdtr(df, x)`` for finite x and df > 0."""
    x_, df_ = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    if not (np.all(np.isfinite(x_)) and np.all(df_ > 0)):
        from scipy import stats

        return np.asarray(stats.t.cdf(x, df))
    return special.stdtr(df_, x_)


def t_sf(x: float | np.ndarray, df: float | np.ndarray) -> np.ndarray:
    """``scipy.stats.t.sf(x, df)``: ``special.stdtr(df, -x)`` for finite x and df > 0."""
    x_, df_ = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    if not (np.all(np.isfinite(x_)) and np.all(df_ > 0)):
        from scipy import stats

        return np.asarray(stats.t.sf(x, df))
    return special.stdtr(df_, -x_)


@dataclass(frozen=True)
class TStats:
    """Vectorised t statistics (arrays of one shape): the common core of both tests."""

    delta: np.ndarray
    se: np.ndarray
    df: np.ndarray
    t: np.ndarray
    p: np.ndarray  # two-sided; NaN where untestable (n < 2 or zero spread)
    n_a: np.ndarray
    n_b: np.ndarray
    zero_spread: np.ndarray  # n >= 2 on both sides but no spread at all


def _finish(delta, se, df, n_a, n_b, scale) -> TStats:
    with np.errstate(invalid="ignore", divide="ignore"):
        testable = (n_a >= 2) & (n_b >= 2) & np.isfinite(se)
        zero = testable & (se <= _ZERO_SPREAD_TOLERANCE * np.maximum(1.0, scale))
        ok = testable & ~zero
        t = np.where(ok, delta / np.where(ok, se, 1.0), np.nan)
        df = np.where(ok, df, np.nan)
        # special.stdtr is the t CDF stats.t.sf evaluates, without its per-call overhead
        p = np.where(ok, 2.0 * special.stdtr(np.where(ok, df, 1.0), -np.abs(t)), np.nan)
    return TStats(delta, np.where(testable, se, np.nan), df, t, p, n_a, n_b, zero)


def paired_t(a: np.ndarray, b: np.ndarray, axis: int = -1) -> TStats:
    """Paired t of b − a over aligned seeds along ``axis``; NaN on either side drops the pair."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = b - a
    n = np.sum(~np.isnan(d), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        mean = np.nanmean(d, axis=axis)
        sd = np.nanstd(d, axis=axis, ddof=1)
        se = sd / np.sqrt(n)
        scale = np.nanmax(np.abs(np.where(np.isnan(d), np.nan, b)), axis=axis)
    return _finish(mean, se, n - 1.0, n, n, np.nan_to_num(scale))


def welch_t(a: np.ndarray, b: np.ndarray, axis: int = -1) -> TStats:
    """Welch's t of mean(b) − mean(a) along ``axis`` (NaN entries are left out)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    na = np.sum(~np.isnan(a), axis=axis)
    nb = np.sum(~np.isnan(b), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        ma, mb = np.nanmean(a, axis=axis), np.nanmean(b, axis=axis)
        qa = np.nanvar(a, axis=axis, ddof=1) / na
        qb = np.nanvar(b, axis=axis, ddof=1) / nb
        se = np.sqrt(qa + qb)
        df = (qa + qb) ** 2 / (qa**2 / (na - 1) + qb**2 / (nb - 1))
        scale = np.maximum(np.abs(ma), np.abs(mb))
    return _finish(mb - ma, se, df, na, nb, np.nan_to_num(scale))


class _quiet:
    """Silence numpy's empty-slice warnings (an empty side is reported as n = 0)."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


@dataclass(frozen=True)
class Difference:
    """One comparison, b against a: Δ = mean(b) − mean(a), its t statistic and the test used.

    ``p_value`` is NaN when the comparison cannot be tested: fewer than 2 seeds on a side,
    or ``zero_spread`` on a noisy metric (identical values on both sides say nothing about
    seed noise, so they are inconclusive, never "p = 0").  For a deterministic metric
    (``noisy=False``: FLOPs, parameters) zero spread is exact: ``p_value`` is 0 or 1.
    """

    method: Method
    reason: PairingReason
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    sd_a: float
    sd_b: float
    delta: float
    se: float
    df: float
    t_stat: float
    p_value: float
    zero_spread: bool

    @property
    def testable(self) -> bool:
        return bool(np.isfinite(self.p_value))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided t interval for Δ at ``level`` (NaN when untestable)."""
        if not (np.isfinite(self.se) and np.isfinite(self.df)) or self.se == 0:
            exact = self.zero_spread and np.isfinite(self.p_value)
            return (self.delta, self.delta) if exact else (math.nan, math.nan)
        half = float(t_isf((1 - level) / 2, self.df)) * self.se
        return self.delta - half, self.delta + half


def mean_difference(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    seeds_a: Sequence[int] | None = None,
    seeds_b: Sequence[int] | None = None,
    pairing_real: bool = False,
    noisy: bool = True,
) -> Difference:
    """Compare b with a over seeds with the test :func:`choose_test` picks.

    ``a``/``b`` hold one value per seed (NaN: a run that did not finish -- it is left out,
    and counted elsewhere); ``seeds_a``/``seeds_b`` name those seeds (default 0, 1, ...).
    Error rate: the two-sided p-value is exact under normal seed noise (paired t) or
    Welch's approximation (Welch), so a true Δ = 0 gives p < α in at most about α.
    """
    xa, xb = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    sa = np.arange(xa.size) if seeds_a is None else np.asarray(seeds_a, dtype=int)
    sb = np.arange(xb.size) if seeds_b is None else np.asarray(seeds_b, dtype=int)
    if sa.size != xa.size or sb.size != xb.size:
        raise ValueError("each seed list must have one seed per value")
    keep_a, keep_b = ~np.isnan(xa), ~np.isnan(xb)
    choice = choose_test(sa[keep_a], sb[keep_b], pairing_real=pairing_real)
    if choice.method is Method.PAIRED:
        pa = dict(zip(sa[keep_a].tolist(), xa[keep_a]))
        pb = dict(zip(sb[keep_b].tolist(), xb[keep_b]))
        ya = np.array([pa[s] for s in choice.seeds])
        yb = np.array([pb[s] for s in choice.seeds])
        ts = paired_t(ya, yb)
    else:
        ya, yb = xa[keep_a], xb[keep_b]
        ts = welch_t(ya, yb)
    p, t, zero = float(ts.p), float(ts.t), bool(ts.zero_spread)
    delta = float(ts.delta) if ya.size and yb.size else math.nan
    if zero and not noisy:
        exact_zero = abs(delta) <= _ZERO_SPREAD_TOLERANCE * max(1.0, abs(float(np.mean(yb))))
        p = 1.0 if exact_zero else 0.0
        t = 0.0 if exact_zero else math.copysign(math.inf, delta)
    return Difference(
        method=choice.method,
        reason=choice.reason,
        n_a=int(ya.size),
        n_b=int(yb.size),
        mean_a=float(np.mean(ya)) if ya.size else math.nan,
        mean_b=float(np.mean(yb)) if yb.size else math.nan,
        sd_a=float(np.std(ya, ddof=1)) if ya.size >= 2 else math.nan,
        sd_b=float(np.std(yb, ddof=1)) if yb.size >= 2 else math.nan,
        delta=delta,
        se=float(ts.se),
        df=float(ts.df),
        t_stat=t,
        p_value=p,
        zero_spread=zero,
    )


# --------------------------------------------------------------------------- one family


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values over the last axis; NaN counts as p = 1 (stays NaN).

    Family-wise error ≤ α under any dependence (Holm 1979).  Counting an untestable
    comparison as p = 1 keeps the family's size fixed when runs fail.
    """
    p = np.asarray(pvalues, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    q = np.where(np.isnan(p), 1.0, p)
    m = q.shape[-1]
    if m == 0:
        return p.copy()
    order = np.argsort(q, axis=-1, kind="stable")
    ranked = np.take_along_axis(q, order, axis=-1) * (m - np.arange(m))
    adjusted = np.minimum(np.maximum.accumulate(ranked, axis=-1), 1.0)
    out = np.empty_like(q)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return np.where(np.isnan(p), np.nan, out)


@dataclass(frozen=True)
class HolmFamily:
    """One family's Holm verdicts with intervals that agree with them.

    ``level`` is the confidence level of every interval in the family: 1 − α/|A|, where
    A is the set Holm does not reject (1 − α when it rejects all).  ``rejected[i]`` is
    True exactly when ``ci_low[i] > 0`` or ``ci_high[i] < 0``.
    """

    p_value: np.ndarray
    p_holm: np.ndarray
    rejected: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float
    alpha: float


def holm_family(
    delta: Sequence[float] | np.ndarray,
    se: Sequence[float] | np.ndarray,
    df: Sequence[float] | np.ndarray,
    p_value: Sequence[float] | np.ndarray,
    alpha: float = 0.05,
) -> HolmFamily:
    """Holm across one family of t-based comparisons, with Holm-consistent intervals.

    Error rates: family-wise false rejections ≤ α (Holm).  The intervals are t intervals at
    the level of Holm's last step, 1 − α/|A| (A: the not-rejected hypotheses), the
    construction of Guilbaud (2008) and Strassburger & Bretz (2008) for the not-rejected
    set: jointly with the signs of the rejected effects they cover with probability
    ≥ 1 − α.  The rejected rows get an interval at the same level, which is narrower than
    Bonferroni's when Holm rejected more; it is a per-row interval, and the verdict and
    interval always agree (proof: a rejected rank-k p is < α/(m−k+1) ≤ α/|A|, a not-rejected
    one ≥ α/|A|).  ``p_value`` must be the two-sided t p of ``delta / se`` on ``df``; NaN
    rows (untestable) count as p = 1 and get NaN intervals.
    """
    d, s, f, p = (np.asarray(x, dtype=float) for x in (delta, se, df, p_value))
    adj = holm(p)
    rejected = np.nan_to_num(adj, nan=1.0) < alpha
    kept = int(np.sum(~rejected))
    gamma = alpha / max(kept, 1)
    ok = np.isfinite(p) & np.isfinite(s) & np.isfinite(f)
    with np.errstate(invalid="ignore"):
        half = np.where(ok, t_isf(gamma / 2, np.where(ok, f, 1.0)) * s, np.nan)
    return HolmFamily(p, adj, rejected, d - half, d + half, 1.0 - gamma, alpha)


@dataclass(frozen=True)
class IntervalReading:
    """What an interval for Δ shows, against zero and the declared ``min_effect``.

    ``within_min_effect``: the whole interval lies inside (−min_effect, +min_effect) --
    only then is "smaller than min_effect" supported.  ``rules_out_increase`` /
    ``rules_out_decrease``: the interval excludes a change of at least min_effect upward /
    downward (what the data already rule out, for a row that is not decided).
    """

    excludes_zero: bool
    sign: int
    beyond_min_effect: bool
    within_min_effect: bool
    rules_out_increase: bool
    rules_out_decrease: bool


def read_interval(low: float, high: float, min_effect: float = 0.0) -> IntervalReading:
    """Read an interval as data (no words): see :class:`IntervalReading`."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return IntervalReading(False, 0, False, False, False, False)
    excludes = low > 0 or high < 0
    sign = 1 if low > 0 else -1 if high < 0 else 0
    return IntervalReading(
        excludes_zero=excludes,
        sign=sign,
        beyond_min_effect=(low >= min_effect > 0) or (high <= -min_effect < 0),
        within_min_effect=min_effect > 0 and low > -min_effect and high < min_effect,
        rules_out_increase=high < min_effect,
        rules_out_decrease=low > -min_effect,
    )


# --------------------------------------------------------------------------- per class


@dataclass(frozen=True)
class PerClassFamily:
    """All variant × class comparisons as one Holm family; arrays of shape (variants, classes)."""

    variants: tuple[str, ...]
    method: Method
    delta: np.ndarray
    p_value: np.ndarray
    p_holm: np.ndarray
    changed: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float


def per_class_family(
    baseline: np.ndarray,
    variants: Mapping[str, np.ndarray],
    *,
    pairing_real: bool = False,
    alpha: float = 0.05,
    min_effect: float = 0.0,
) -> PerClassFamily:
    """Which classes changed, across every variant at once.

    ``baseline`` is (seeds, classes) per-seed class accuracy; each variant the same
    shape (rows aligned by seed when ``pairing_real``; NaN for an absent class).  Every
    variant × class test enters one Holm family, so the chance that an A/A report flags
    any class is ≤ α however many classes and variants there are.  ``changed`` needs Holm
    rejection and, when ``min_effect`` > 0, |Δ| ≥ min_effect; intervals are
    :func:`holm_family`'s, so a changed class never has an interval that includes 0.
    """
    base = np.asarray(baseline, dtype=float)
    names = tuple(variants)
    stack = np.stack([np.asarray(variants[v], dtype=float) for v in names]) if names else (
        np.empty((0,) + base.shape)
    )
    paired = pairing_real and all(stack[i].shape[0] == base.shape[0] for i in range(len(names)))
    ts = paired_t(base[None], stack, axis=1) if paired else welch_t(base[None], stack, axis=1)
    fam = holm_family(
        ts.delta.ravel(), ts.se.ravel(), ts.df.ravel(), ts.p.ravel(), alpha
    ) if names else None
    shape = ts.delta.shape
    if fam is None:
        empty = np.empty(shape)
        return PerClassFamily(names, Method.WELCH, empty, empty, empty, empty.astype(bool),
                              empty, empty, 1 - alpha)  # fmt: skip
    changed = fam.rejected.reshape(shape) & (np.abs(ts.delta) >= min_effect)
    return PerClassFamily(
        variants=names,
        method=Method.PAIRED if paired else Method.WELCH,
        delta=ts.delta,
        p_value=ts.p,
        p_holm=fam.p_holm.reshape(shape),
        changed=changed,
        ci_low=fam.ci_low.reshape(shape),
        ci_high=fam.ci_high.reshape(shape),
        level=fam.level,
    )


# --------------------------------------------------------------------------- failure rates


@dataclass(frozen=True)
class RateComparison:
    """Failed-or-diverged runs on each side and Fisher's exact test of equal rates."""

    bad_a: int
    total_a: int
    bad_b: int
    total_b: int
    rate_a: float
    rate_b: float
    p_value: float
    differs: bool


def compare_rates(bad_a: int, total_a: int, bad_b: int, total_b: int,
                  alpha: float = 0.05) -> RateComparison:  # fmt: skip
    """Fisher's exact two-sided test that two sides fail (or diverge) equally often.

    Error rate: ≤ α false "rates differ" (the test is exact and conservative).  Its role
    is a flag: when rates differ, a verdict computed on the runs that finished is about
    converged runs only.  Low power with few seeds (3/10 vs 0/10 gives p ≈ 0.21).
    """
    if not (0 <= bad_a <= total_a and 0 <= bad_b <= total_b):
        raise ValueError("failure counts must lie between 0 and the number of runs")
    if total_a == 0 or total_b == 0:
        p = math.nan
    elif bad_a + bad_b == 0 or bad_a + bad_b == total_a + total_b:
        p = 1.0  # a table with an empty column: scipy's fisher_exact answers 1 without a test
    else:
        from scipy import stats

        table = [[bad_a, total_a - bad_a], [bad_b, total_b - bad_b]]
        p = float(stats.fisher_exact(table).pvalue)
    rate = lambda k, n: k / n if n else math.nan  # noqa: E731
    return RateComparison(bad_a, total_a, bad_b, total_b, rate(bad_a, total_a),
                          rate(bad_b, total_b), p, bool(np.isfinite(p) and p < alpha))  # fmt: skip


# --------------------------------------------------------------------------- same / regression


@dataclass(frozen=True)
class Equivalence:
    """Two one-sided tests (TOST) of |Δ| < margin; ``equivalent`` decides a "same" claim."""

    margin: float
    p_value: float
    equivalent: bool
    ci_low: float  # the (1 − 2α) interval whose inclusion in ±margin is the same decision
    ci_high: float
    alpha: float


def equivalence(diff: Difference, margin: float, alpha: float = 0.05) -> Equivalence:
    """TOST (Schuirmann 1987): equivalent iff both one-sided tests reject at ``alpha``.

    Error rate: a true |Δ| ≥ margin is called equivalent in at most α of cases.  It decides
    the claim by itself: a significant Δ inside the margin (Δ +0.3 pp, margin 1 pp) is
    still "same".  Untestable comparisons (n < 2, zero spread on a noisy metric) are never
    equivalent.
    """
    if margin <= 0:
        raise ValueError("the equivalence margin must be positive")
    if not diff.testable or not (np.isfinite(diff.se) and diff.se > 0):
        return Equivalence(margin, math.nan, False, math.nan, math.nan, alpha)
    p_low = float(t_sf((diff.delta + margin) / diff.se, diff.df))
    p_high = float(t_cdf((diff.delta - margin) / diff.se, diff.df))
    p = max(p_low, p_high)
    lo, hi = diff.interval(1 - 2 * alpha)
    return Equivalence(margin, p, p < alpha, lo, hi, alpha)


@dataclass(frozen=True)
class RegressionTest:
    """One gate metric: is the new result worse than the old by more than ``margin``?"""

    metric: str
    method: Method
    worse_by: float  # estimated, in the metric's units, positive = worse
    margin: float
    t_stat: float
    df: float
    p_value: float  # one-sided, H0: worse_by ≤ margin


def regression_test(
    diff: Difference, margin: float, *, higher_is_better: bool = True, metric: str = ""
) -> RegressionTest:
    """One-sided test of H0 "new is worse than old by at most ``margin``" (Δ = new − old).

    Rejecting H0 means: worse by more than the margin, with confidence -- the only case a
    gate fails.  Error rate: when the true regression is ≤ margin, p < α in at most α of
    cases.  Use ``diff`` from :func:`mean_difference` with ``pairing_real=True`` when both
    stores ran the same seeds on the same data: the per-seed pairing removes the seed
    noise both stores share.
    """
    if margin < 0:
        raise ValueError("the regression margin must be zero or positive")
    worse_by = -diff.delta if higher_is_better else diff.delta
    if not diff.testable or not (np.isfinite(diff.se) and diff.se > 0):
        p = math.nan if not diff.testable else (0.0 if worse_by > margin else 1.0)
        return RegressionTest(metric, diff.method, worse_by, margin, math.nan, diff.df, p)
    t = (worse_by - margin) / diff.se
    return RegressionTest(metric, diff.method, worse_by, margin, t, diff.df,
                          float(special.stdtr(diff.df, -t)))  # fmt: skip


@dataclass(frozen=True)
class GateResult:
    """The regression gate over all its tests (metrics × variants), Holm-corrected."""

    tests: tuple[RegressionTest, ...]
    p_holm: np.ndarray
    failed: np.ndarray
    any_failed: bool
    alpha: float


def regression_gate(tests: Sequence[RegressionTest], alpha: float = 0.05) -> GateResult:
    """Fail where Holm across every gate test (each metric, each variant) rejects.

    Error rate: the chance that a gate with no regression beyond any margin fails is ≤ α,
    however many metrics and variants it checks.  Untestable entries never fail the gate.
    """
    p = np.array([t.p_value for t in tests], dtype=float)
    adj = holm(p) if p.size else p
    failed = np.nan_to_num(adj, nan=1.0) < alpha
    return GateResult(tuple(tests), adj, failed, bool(failed.any()), alpha)


# --------------------------------------------------------------------------- planning


def power_at(
    effect: float, sd: float, n: int | np.ndarray, *, alpha: float, paired: bool,
    sd_b: float | None = None,
) -> np.ndarray:  # fmt: skip
    """Power of the two-sided t-test at level ``alpha`` with ``n`` seeds per side (noncentral t).

    Paired: ``sd`` is the spread of per-seed differences, df n − 1.  Unpaired: ``sd`` and
    ``sd_b`` are the two sides' spreads, Welch--Satterthwaite df for equal n.
    """
    n = np.asarray(n, dtype=float)
    if paired:
        df, s2 = n - 1, sd**2
    else:
        sd_b = sd if sd_b is None else sd_b
        s2 = sd**2 + sd_b**2
        df = (n - 1) * s2**2 / (sd**4 + sd_b**4) if s2 > 0 else n - 1
    if s2 == 0:
        return np.where(n >= 2, 1.0, np.nan)
    nc = abs(effect) / np.sqrt(s2 / n)
    from scipy import stats

    with np.errstate(invalid="ignore"):
        crit = stats.t.isf(alpha / 2, df)
        return stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)


@dataclass(frozen=True)
class SeedsNeeded:
    """Seeds per side for ``power`` at ``level``; ``capped``: more than ``max_seeds`` needed."""

    seeds: int | None
    capped: bool
    effect: float
    level: float
    power: float


def seeds_for_power(
    effect: float,
    sd: float,
    *,
    alpha: float = 0.05,
    family_size: int = 1,
    power: float = 0.8,
    paired: bool = False,
    sd_b: float | None = None,
    max_seeds: int = 1000,
) -> SeedsNeeded:
    """Smallest seed count per side that detects ``effect`` with ``power`` after Holm.

    ``effect`` is the pre-declared ``min_effect`` (or a claim's margin), never the
    observed Δ: power for the observed Δ is a restatement of its p-value.  The level is
    α / ``family_size``, the level Holm's first step demands -- so the count suffices
    whatever the other comparisons show (conservative when several effects are real).
    ``seeds`` is None when no effect or no spread is known.
    """
    level = alpha / max(family_size, 1)
    if not (np.isfinite(effect) and effect != 0 and np.isfinite(sd)):
        return SeedsNeeded(None, False, effect, level, power)
    ns = np.arange(2, max_seeds + 1)
    reached = np.nonzero(power_at(effect, sd, ns, alpha=level, paired=paired, sd_b=sd_b)
                         >= power)[0]  # fmt: skip
    if reached.size == 0:
        return SeedsNeeded(max_seeds, True, effect, level, power)
    return SeedsNeeded(int(ns[reached[0]]), False, effect, level, power)


@dataclass(frozen=True)
class ComparisonPlan:
    """``bench plan``'s answer for one comparison against the baseline."""

    variant: str
    method: Method
    sd: float  # spread the power is computed with (of differences when paired)
    pilot_seeds: int
    seeds_needed: int | None
    capped: bool
    decidable: bool  # needs at most max_seeds
    more_runs: int  # runs of this variant still to train
    cpu_seconds: float  # their estimated cost (NaN without run times)


@dataclass(frozen=True)
class SuitePlan:
    """All comparisons of a suite, the baseline's share, and the total cost."""

    comparisons: tuple[ComparisonPlan, ...]
    baseline_seeds: int | None
    baseline_more_runs: int
    total_cpu_seconds: float
    level: float
    power: float
    min_effect: float


def plan_seeds(
    pilot: Mapping[str, Sequence[float] | np.ndarray],
    baseline: str,
    min_effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    max_seeds: int = 20,
    pairing_real: bool = True,
    run_seconds: Mapping[str, float] | None = None,
    sd_upper_confidence: float | None = None,
) -> SuitePlan:
    """Seeds each comparison needs to detect ``min_effect`` at ``power`` after Holm.

    ``pilot`` maps each variant to its per-seed values (position = seed, NaN = no run);
    the spread comes from there (differences by seed when ``pairing_real``).  With
    ``sd_upper_confidence`` (e.g. 0.8) the spread is the one-sided upper confidence limit
    from the chi-square distribution, which guards against a pilot that happened to be
    calm.  ``run_seconds`` (mean seconds of one run per variant) turns the extra runs into
    CPU time.  The Holm family is every variant other than the baseline.
    """
    if baseline not in pilot:
        raise ValueError(f"baseline {baseline!r} is not among the pilot variants")
    base = np.asarray(pilot[baseline], dtype=float)
    others = [v for v in pilot if v != baseline]
    m = len(others)
    seconds = dict(run_seconds or {})
    have_base = int(np.sum(~np.isnan(base)))

    def inflate(sd: float, n: int) -> float:
        if sd_upper_confidence is None or n < 2 or not np.isfinite(sd):
            return sd
        from scipy import stats

        return sd * math.sqrt((n - 1) / stats.chi2.ppf(1 - sd_upper_confidence, n - 1))

    rows = []
    for name in others:
        x = np.asarray(pilot[name], dtype=float)
        width = min(x.size, base.size)
        pairs = ~np.isnan(x[:width]) & ~np.isnan(base[:width])
        have = int(np.sum(~np.isnan(x)))
        paired = pairing_real and int(pairs.sum()) >= 2
        if paired:
            d = x[:width][pairs] - base[:width][pairs]
            sd = inflate(float(np.std(d, ddof=1)), d.size)
            need = seeds_for_power(min_effect, sd, alpha=alpha, family_size=m, power=power,
                                   paired=True, max_seeds=max_seeds)  # fmt: skip
            pilot_n = int(d.size)
        else:
            sa = inflate(_sd(base), have_base)
            sb = inflate(_sd(x), have)
            sd = math.sqrt((sa**2 + sb**2) / 2) if np.isfinite(sa) and np.isfinite(sb) else math.nan
            need = seeds_for_power(min_effect, sa, sd_b=sb, alpha=alpha, family_size=m,
                                   power=power, paired=False, max_seeds=max_seeds)  # fmt: skip
            pilot_n = min(have, have_base)
        more = max(0, (need.seeds or 0) - have) if not need.capped else max(0, max_seeds - have)
        rows.append(
            ComparisonPlan(
                variant=name,
                method=Method.PAIRED if paired else Method.WELCH,
                sd=sd,
                pilot_seeds=pilot_n,
                seeds_needed=need.seeds,
                capped=need.capped,
                decidable=need.seeds is not None and not need.capped,
                more_runs=more,
                cpu_seconds=more * seconds.get(name, math.nan),
            )
        )
    wanted = [r.seeds_needed for r in rows if r.seeds_needed is not None]
    base_seeds = min(max(wanted), max_seeds) if wanted else None
    base_more = max(0, (base_seeds or 0) - have_base)
    total = sum(r.cpu_seconds for r in rows) + base_more * seconds.get(baseline, math.nan)
    return SuitePlan(tuple(rows), base_seeds, base_more, float(total), alpha / max(m, 1),
                     power, min_effect)  # fmt: skip


def _sd(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.std(x, ddof=1)) if x.size >= 2 else math.nan


# --------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class BootstrapResult:
    """Two-level bootstrap of Δ and of P(variant beats baseline), percentile intervals."""

    delta: float
    ci_low: float
    ci_high: float
    p_beats: float
    p_beats_low: float
    p_beats_high: float
    level: float
    n_boot: int
    sources: tuple[str, ...] = field(default=("seeds", "test_examples"))


def _beats(a: np.ndarray, b: np.ndarray, paired: bool) -> np.ndarray:
    """P(a b-run beats an a-run) along the last axis: ties count one half."""
    if paired:
        return np.mean((b > a) + 0.5 * (b == a), axis=-1)
    gt = (b[..., :, None] > a[..., None, :]) + 0.5 * (b[..., :, None] == a[..., None, :])
    return gt.mean(axis=(-2, -1))


def two_level_bootstrap(
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    *,
    paired_seeds: bool = False,
    n_boot: int = 2000,
    ci_level: float = 0.95,
    rng: np.random.Generator | int | None = 0,
    chunk: int = 256,
) -> BootstrapResult:
    """Interval for Δaccuracy covering seed noise and the test sample, paired by example.

    ``scores_a``/``scores_b`` are (seeds, examples): per-example correctness (0/1) or
    score of each run on one fixed test set (same example order on both sides).  Each
    replicate resamples seeds (the same seed indices on both sides when ``paired_seeds``)
    and, independently, test examples -- the same examples for both sides, because a
    variant and its baseline are scored on one test set (Bouthillier et al. 2021).  Also
    P(variant beats baseline) -- the chance a run of b scores above a run of a (paired:
    on the same seed) -- with its percentile interval.  Coverage is that of the percentile
    bootstrap: close to the nominal level with ≥ 5 seeds a side, optimistic with 2–3.
    """
    (result,) = two_level_bootstraps(
        [(scores_a, scores_b)], paired_seeds=paired_seeds, n_boot=n_boot, ci_levels=[ci_level],
        rng=rng, chunk=chunk,
    )  # fmt: skip
    return result


def two_level_bootstraps(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    paired_seeds: bool = False,
    n_boot: int = 2000,
    ci_levels: Sequence[float] | None = None,
    rng: np.random.Generator | int | None = 0,
    chunk: int = 256,
) -> list[BootstrapResult]:
    """:func:`two_level_bootstrap` of each ``(scores_a, scores_b)`` pair, from one set of draws.

    The draws of a replicate depend only on the shapes (examples, seeds a side) and the
    seed pairing, so pairs of one shape share them: with an integer ``rng`` each result is
    the one a call per pair gives, for the price of one set of draws (resampling the test
    set is most of a bootstrap's time).  ``ci_levels``: one per pair (default 0.95).
    """
    if not pairs:
        return []
    arrays = [(np.asarray(a, dtype=float), np.asarray(b, dtype=float)) for a, b in pairs]
    levels = [0.95] * len(arrays) if ci_levels is None else list(ci_levels)
    a0, b0 = arrays[0]
    for a, b in arrays:
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
            raise ValueError("scores must be (seeds, examples) with the same examples on both sides")
        if paired_seeds and a.shape[0] != b.shape[0]:
            raise ValueError("paired seeds need the same number of seeds on both sides")
        if a.shape != a0.shape or b.shape != b0.shape:
            raise ValueError("pairs drawn together must have the same shapes")
    if len(levels) != len(arrays):
        raise ValueError("one confidence level per pair")
    gen = np.random.default_rng(rng)
    sa, sb, e = a0.shape[0], b0.shape[0], a0.shape[1]
    deltas, beats = np.empty((len(arrays), n_boot)), np.empty((len(arrays), n_boot))
    done = 0
    while done < n_boot:
        k = min(chunk, n_boot - done)
        weights = gen.multinomial(e, np.full(e, 1.0 / e), size=k).T / e  # (examples, k)
        ia = gen.integers(0, sa, size=(k, sa))
        ib = ia if paired_seeds else gen.integers(0, sb, size=(k, sb))
        cols = np.arange(k)[:, None]
        for i, (a, b) in enumerate(arrays):
            acc_a = a @ weights  # (seeds_a, k): each seed's accuracy on the resampled test set
            acc_b = b @ weights
            ra, rb = acc_a[ia, cols], acc_b[ib, cols]  # (k, seeds)
            deltas[i, done:done + k] = rb.mean(axis=1) - ra.mean(axis=1)
            beats[i, done:done + k] = _beats(ra, rb, paired_seeds)
        done += k
    out = []
    for i, ((a, b), ci_level) in enumerate(zip(arrays, levels)):
        ma, mb = a.mean(axis=1), b.mean(axis=1)
        out.append(_percentile_result(deltas[i], beats[i], float(mb.mean() - ma.mean()),
                                      float(_beats(ma, mb, paired_seeds)), ci_level, n_boot))  # fmt: skip
    return out


def _percentile_result(
    deltas: np.ndarray, beats: np.ndarray, delta: float, p_beats: float, ci_level: float, n_boot: int,
    sources: tuple[str, ...] = ("seeds", "test_examples"),
) -> BootstrapResult:
    """Percentile intervals of bootstrap draws of Δ and of P(beats), around their point values."""
    tail = (1 - ci_level) / 2 * 100
    lo, hi = np.percentile(deltas, [tail, 100 - tail])
    plo, phi = np.percentile(beats, [tail, 100 - tail])
    return BootstrapResult(delta=delta, ci_low=float(lo), ci_high=float(hi), p_beats=p_beats,
                           p_beats_low=float(plo), p_beats_high=float(phi), level=ci_level, n_boot=n_boot,
                           sources=sources)  # fmt: skip


def probability_of_outperforming(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    paired: bool = False,
    n_boot: int = 2000,
    ci_level: float = 0.95,
    rng: np.random.Generator | int | None = 0,
) -> BootstrapResult:
    """P(a run of b beats a run of a) over seeds alone, with a percentile bootstrap interval.

    The "probability of outperforming" of Bouthillier et al. (2021); 0.5 means no
    tendency either way.  ``sources`` is ("seeds",): the test sample is held fixed.
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    xa, xb = (xa, xb) if paired else (xa[~np.isnan(xa)], xb[~np.isnan(xb)])
    if paired:
        keep = ~np.isnan(xa) & ~np.isnan(xb)
        xa, xb = xa[keep], xb[keep]
    gen = np.random.default_rng(rng)
    ia = gen.integers(0, xa.size, size=(n_boot, xa.size))
    ib = ia if paired else gen.integers(0, xb.size, size=(n_boot, xb.size))
    ra, rb = xa[ia], xb[ib]
    beats = _beats(ra, rb, paired)
    deltas = rb.mean(axis=1) - ra.mean(axis=1)
    return _percentile_result(deltas, beats, float(xb.mean() - xa.mean()), float(_beats(xa, xb, paired)),
                              ci_level, n_boot, sources=("seeds",))  # fmt: skip
