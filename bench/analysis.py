"""The one place that decides verdicts: statistics over the runs of a suite.

Everything a report says about a variant ("better", "no significant
difference", ...) is computed here and nowhere else, from a runs table in the
shape the results store returns: one row per run with the columns ``key``,
``variant``, ``seed``, ``status`` (``'ok' | 'failed' | 'diverged' | 'budget'``)
and one float column per metric (``accuracy``, ``loss``, ``flops``, ...).

Rules that hold throughout:

* Only ``status == 'ok'`` rows with a non-NaN value enter a statistic; failed,
  diverged and over-budget runs are counted separately, never averaged in.
* Two variants are compared by Welch's t-test over seeds (unequal variances,
  Welch--Satterthwaite degrees of freedom); all p-values come from
  :mod:`scipy.stats`, never from hand-written distributions.
* Comparisons against a baseline are one family per metric: their p-values are
  Holm-adjusted before any verdict is given.
* Fewer than two successful seeds on either side is ``'inconclusive'`` -- a
  spread cannot be estimated, so nothing is claimed.
* Confidence intervals are per comparison (not multiplicity-adjusted), at
  ``ci_level`` (95 % by default).

Results are typed records (:class:`Comparison`, :class:`Claim`) or DataFrames of their
fields: a verdict, the reason for it and the numbers, never a sentence.  The words are
added at the edge (:mod:`bench.words`); metric facts (direction, kind, costs) come from
:mod:`bench.metrics`.

The module is pure pandas + numpy + scipy; it never imports TensorFlow or Keras.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from bench import metrics
from bench.errors import BenchError
from bench.metrics import Direction
from bench.status import Status

__all__ = [
    "BETTER",
    "WORSE",
    "NO_DIFFERENCE",
    "INCONCLUSIVE",
    "VERDICTS",
    "CLAIM_RESULTS",
    "SUMMARY_COLUMNS",
    "COMPARISON_COLUMNS",
    "CLAIM_COLUMNS",
    "PER_CLASS_COLUMNS",
    "Claim",
    "ClaimReason",
    "ClaimResult",
    "Comparison",
    "McNemarResult",
    "Reason",
    "SeedEstimate",
    "Verdict",
    "check_claims",
    "claim_records",
    "compare",
    "compare_measurements",
    "compare_to_baseline",
    "comparison_columns",
    "confusion_matrix",
    "holm",
    "mcnemar",
    "metric_columns",
    "ok_runs",
    "pareto_front",
    "per_class_accuracy",
    "per_class_changes",
    "power_two_sample",
    "records",
    "required_seeds",
    "summarize",
    "summary_wide",
]

# --------------------------------------------------------------------------- records


class Verdict(str, enum.Enum):
    """What a comparison says about a variant; a ``str`` so tables and JSON carry its value."""

    BETTER = "better"
    WORSE = "worse"
    NO_DIFFERENCE = "no significant difference"
    INCONCLUSIVE = "inconclusive"
    #: A significant change of a metric without a better side (direction NEITHER).
    HIGHER = "higher"
    LOWER = "lower"

    def __str__(self) -> str:
        return self.value


class Reason(str, enum.Enum):
    """Why a comparison got its verdict."""

    SIGNIFICANT = "significant"  #: Holm p < alpha and |Δ| >= min_effect
    BELOW_MIN_EFFECT = "below_min_effect"  #: Holm p < alpha, but |Δ| < min_effect
    NOT_SIGNIFICANT = "not_significant"  #: Holm p >= alpha
    TOO_FEW_SEEDS = "too_few_seeds"  #: fewer than 2 ok seeds on a side (but some on both)
    NO_RUNS_VARIANT = "no_runs_variant"
    NO_RUNS_BASELINE = "no_runs_baseline"
    NO_RUNS_BOTH = "no_runs_both"

    def __str__(self) -> str:
        return self.value


class SeedEstimate(str, enum.Enum):
    """What ``seeds_needed`` of a comparison says."""

    ESTIMATED = "estimated"  #: ``seeds_needed`` per side would reach 80 % power
    CAPPED = "capped"  #: more than ``seeds_needed`` (= max_seeds) would be needed
    UNKNOWN_SPREAD = "unknown_spread"  #: no side has two seeds: the spread is unknown
    NO_EFFECT_OBSERVED = "no_effect_observed"  #: Δ = 0 and no min_effect: nothing to detect
    NOT_APPLICABLE = "not_applicable"  #: decided (or a real difference below min_effect)

    def __str__(self) -> str:
        return self.value


class ClaimResult(str, enum.Enum):
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


class ClaimReason(str, enum.Enum):
    """Why a claim got its result (the numbers are in the claim's record)."""

    NO_COMPARISON = "no_comparison"
    COMPARISON_INCONCLUSIVE = "comparison_inconclusive"
    SIGNIFICANT_AS_CLAIMED = "significant_as_claimed"
    SIGNIFICANT_OPPOSITE = "significant_opposite"
    CI_EXCLUDES_INCREASE = "ci_excludes_increase"
    CI_EXCLUDES_DECREASE = "ci_excludes_decrease"
    CI_TOO_WIDE = "ci_too_wide"
    WITHIN_MARGIN = "within_margin"
    SIGNIFICANT_CHANGE = "significant_change"
    BEYOND_MARGIN = "beyond_margin"

    def __str__(self) -> str:
        return self.value


BETTER = Verdict.BETTER
WORSE = Verdict.WORSE
NO_DIFFERENCE = Verdict.NO_DIFFERENCE
INCONCLUSIVE = Verdict.INCONCLUSIVE
#: The verdicts of a metric with a better side (HIGHER/LOWER only for direction NEITHER).
VERDICTS = (BETTER, WORSE, NO_DIFFERENCE, INCONCLUSIVE)
#: Verdicts that say a real change was measured.
SIGNIFICANT_VERDICTS = (Verdict.BETTER, Verdict.WORSE, Verdict.HIGHER, Verdict.LOWER)

CONFIRMED = ClaimResult.CONFIRMED
REFUTED = ClaimResult.REFUTED
#: The only values the ``result`` column of :func:`check_claims` takes.
CLAIM_RESULTS = tuple(ClaimResult)

_ID_COLUMNS = ("key", "variant", "seed", "status")
_NOT_OK = (Status.FAILED, Status.DIVERGED, Status.BUDGET)

#: Default half-width of the equivalence band for a 'same' claim on a fraction metric
#: (values in 0..1): one percentage point.
DEFAULT_SAME_MARGIN_FRACTION = 0.01
#: Default half-width for other metrics, relative to the baseline mean: 1 %.
DEFAULT_SAME_MARGIN_RELATIVE = 0.01

#: Columns of :func:`summarize` (long format: one row per variant x metric).
SUMMARY_COLUMNS = [
    "variant",
    "metric",
    "n",
    "mean",
    "std",
    "sem",
    "ci_low",
    "ci_high",
    "ci_half_width",
    "n_runs",
    "n_ok",
    "n_failed",
    "n_diverged",
    "n_budget",
]


@dataclass(frozen=True)
class Comparison(Mapping[str, Any]):
    """One variant against its reference on one metric: the numbers, the verdict and why.

    Readable as attributes (``rec.verdict``) and, like the table rows it also becomes, by
    key (``rec["delta"]``).  ``delta`` = mean(variant) − mean(baseline); ``cost_ratios``
    maps each cost metric (:func:`bench.metrics.cost_metrics`) to variant mean ÷ baseline mean.
    """

    variant: Any
    baseline: Any
    metric: str
    higher_is_better: bool | None
    n_baseline: int
    n_variant: int
    mean_baseline: float
    mean_variant: float
    std_baseline: float
    std_variant: float
    delta: float
    ci_low: float
    ci_high: float
    ci_level: float
    df: float
    t_stat: float
    p_value: float
    p_holm: float
    cohen_d: float
    hedges_g: float
    verdict: Verdict
    reason: Reason
    significant: bool
    seeds_needed: int | None
    seed_estimate: SeedEstimate
    seeds_needed_effect: float
    mcnemar_b: int
    mcnemar_c: int
    mcnemar_seeds: int
    mcnemar_p: float
    failed_baseline: int
    diverged_baseline: int
    budget_baseline: int
    failed_variant: int
    diverged_variant: int
    budget_variant: int
    alpha: float
    min_effect: float
    cost_ratios: Mapping[str, float] = field(default_factory=dict)

    @property
    def seeds_needed_capped(self) -> bool:
        return self.seed_estimate is SeedEstimate.CAPPED

    @property
    def direction(self) -> Direction:
        if self.higher_is_better is None:
            return Direction.NEITHER
        return Direction.HIGHER if self.higher_is_better else Direction.LOWER

    def excluded(self) -> dict[Status, int]:
        """Runs left out of the statistics on both sides, by status (zero counts omitted)."""
        counts = {
            status: int(getattr(self, f"{status.value}_baseline"))
            + int(getattr(self, f"{status.value}_variant"))
            for status in _NOT_OK
        }
        return {s: n for s, n in counts.items() if n}

    def row(self) -> dict[str, Any]:
        """The flat table row: every field, the cost ratios as ``<metric>_ratio`` columns."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cost_ratios"}
        out["seeds_needed_capped"] = self.seeds_needed_capped
        for name in metrics.cost_metrics():
            out[f"{name}_ratio"] = self.cost_ratios.get(name, math.nan)
        return out

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Comparison":
        """The record back from a table row (:func:`compare_to_baseline`'s DataFrame)."""
        if isinstance(row, Comparison):
            return row
        get = row.get if hasattr(row, "get") else (lambda k, d=None: row[k] if k in row else d)
        values = {f.name: get(f.name) for f in fields(cls) if f.name != "cost_ratios"}
        values["verdict"] = Verdict(values["verdict"])
        values["reason"] = Reason(values["reason"])
        values["seed_estimate"] = SeedEstimate(values["seed_estimate"])
        hib = values["higher_is_better"]
        values["higher_is_better"] = None if _missing(hib) else bool(hib)
        values["seeds_needed"] = None if _missing(values["seeds_needed"]) else int(values["seeds_needed"])
        ratios = {
            str(k)[: -len("_ratio")]: float(v)
            for k, v in (row.items() if hasattr(row, "items") else [])
            if str(k).endswith("_ratio") and not _missing(v)
        }
        return cls(**values, cost_ratios=ratios)

    # Mapping protocol: old code and templates read a record like a table row.
    def __getitem__(self, key: str) -> Any:
        row = self.row()
        if key not in row:
            raise KeyError(key)
        return row[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.row())

    def __len__(self) -> int:
        return len(self.row())


@dataclass(frozen=True)
class Claim:
    """A suite's claim checked against its comparison: the result, why, and the numbers."""

    variant: Any
    metric: str
    direction: str  #: 'up' | 'down' | 'same' (about the metric's value, not better/worse)
    note: str
    result: ClaimResult
    reason: ClaimReason
    verdict: Verdict | None = None
    delta: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_level: float = math.nan
    p_holm: float = math.nan
    margin: float = math.nan
    comparison: Comparison | None = None

    def row(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in CLAIM_COLUMNS}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


#: Columns of :func:`compare_to_baseline` before the ``<cost>_ratio`` columns.
_BASE_COMPARISON_COLUMNS = [f.name for f in fields(Comparison) if f.name != "cost_ratios"]
_BASE_COMPARISON_COLUMNS.insert(_BASE_COMPARISON_COLUMNS.index("seed_estimate") + 1, "seeds_needed_capped")


def comparison_columns() -> list[str]:
    """Columns of :func:`compare_to_baseline`: the record's fields, then one ratio per cost."""
    return _BASE_COMPARISON_COLUMNS + [f"{name}_ratio" for name in metrics.cost_metrics()]


#: Columns of :func:`compare_to_baseline` with the cost metrics known at import.
COMPARISON_COLUMNS = comparison_columns()

#: Columns of :func:`check_claims`.
CLAIM_COLUMNS = [
    "variant",
    "metric",
    "direction",
    "note",
    "result",
    "reason",
    "verdict",
    "delta",
    "ci_low",
    "ci_high",
    "ci_level",
    "p_holm",
    "margin",
]

#: Columns of :func:`per_class_changes`.
PER_CLASS_COLUMNS = [
    "class",
    "class_name",
    "n_baseline",
    "n_variant",
    "acc_baseline",
    "acc_variant",
    "delta",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "changed",
    "direction",
]


def records(table: pd.DataFrame | Iterable[Mapping[str, Any]] | None) -> list[Comparison]:
    """The comparison records of a :func:`compare_to_baseline` table (or of its rows)."""
    if table is None:
        return []
    rows = table.to_dict("records") if isinstance(table, pd.DataFrame) else table
    return [Comparison.from_row(r) for r in rows]


def _higher_is_better(metric: str, given: bool | None) -> bool | None:
    """The caller's choice, else the metric table's direction (None: neither side is better)."""
    return given if given is not None else metrics.get(metric).higher_is_better


# --------------------------------------------------------------------------- helpers


def _check_columns(runs: pd.DataFrame, needed: Iterable[str]) -> None:
    missing = [c for c in needed if c not in runs.columns]
    if missing:
        raise BenchError(
            f"runs table lacks column(s) {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(map(str, runs.columns))}"
        )


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that count in statistics: ``status == 'ok'`` (all others are only counted)."""
    _check_columns(runs, ("variant", "status"))
    return runs[runs["status"] == Status.OK.value]


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """Numeric columns other than the identifiers: the metrics a summary covers by default."""
    return [
        c
        for c in runs.columns
        if c not in _ID_COLUMNS
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
    ]


def _variant_order(runs: pd.DataFrame) -> list[Any]:
    return list(pd.unique(runs["variant"]))


def _status_counts(runs: pd.DataFrame) -> dict[Any, dict[str, int]]:
    counts: dict[Any, dict[str, int]] = {}
    for variant, status in zip(runs["variant"].tolist(), runs["status"].tolist()):
        c = counts.setdefault(variant, {})
        c[status] = c.get(status, 0) + 1
    return counts


def _values(ok: pd.DataFrame, variant: Any, metric: str) -> np.ndarray:
    col = ok.loc[ok["variant"] == variant, metric].to_numpy(dtype=float)
    return col[~np.isnan(col)]


def _mean_ci(x: np.ndarray, level: float) -> tuple[float, float, float, float]:
    """mean, std (ddof=1), sem, Student-t half-width (NaN for n < 2)."""
    n = x.size
    if n == 0:
        return (math.nan,) * 4
    mean = float(np.mean(x))
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    std = float(np.std(x, ddof=1))
    sem = std / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sem
    return mean, std, sem, half


# --------------------------------------------------------------------------- summary


def summarize(
    runs: pd.DataFrame, metrics: Sequence[str] | None = None, ci_level: float = 0.95
) -> pd.DataFrame:
    """Per variant and metric: n, mean, std, Student-t CI of the mean, and run-status counts.

    Long format -- one row per (variant, metric), columns :data:`SUMMARY_COLUMNS` -- so a
    report template can loop over rows or pivot with :func:`summary_wide`.  ``n`` counts
    ok runs with a value for that metric (a NaN ``top5_accuracy`` is not a zero);
    ``std``/``sem``/CI are NaN when n < 2.  Variants keep the order of the runs table.
    """
    _check_columns(runs, ("variant", "status"))
    metrics = list(metrics) if metrics is not None else metric_columns(runs)
    _check_columns(runs, metrics)
    ok = ok_runs(runs)
    counts = _status_counts(runs)
    rows = []
    for variant in _variant_order(runs):
        c = counts.get(variant, {})
        for metric in metrics:
            x = _values(ok, variant, metric)
            mean, std, sem, half = _mean_ci(x, ci_level)
            rows.append(
                {
                    "variant": variant,
                    "metric": metric,
                    "n": int(x.size),
                    "mean": mean,
                    "std": std,
                    "sem": sem,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "ci_half_width": half,
                    "n_runs": int(sum(c.values())),
                    "n_ok": c.get(Status.OK.value, 0),
                    "n_failed": c.get(Status.FAILED.value, 0),
                    "n_diverged": c.get(Status.DIVERGED.value, 0),
                    "n_budget": c.get(Status.BUDGET.value, 0),
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def summary_wide(summary: pd.DataFrame, stat: str = "mean") -> pd.DataFrame:
    """Pivot :func:`summarize`'s long table: index variant, one column per metric."""
    wide = summary.pivot(index="variant", columns="metric", values=stat)
    order = list(pd.unique(summary["variant"]))
    return wide.reindex(index=order, columns=list(pd.unique(summary["metric"])))


# --------------------------------------------------------------------------- tests


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control without independence).

    NaN entries stay NaN and do not count in the family size.  Adjusted values are
    monotone in the raw ones and capped at 1.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    mask = ~np.isnan(p)
    q = p[mask]
    if np.any((q < 0) | (q > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adjusted = np.minimum(np.maximum.accumulate((m - np.arange(m)) * q[order]), 1.0)
    res = np.empty(m)
    res[order] = adjusted
    out[mask] = res
    return out


def _welch_df(var_a: float, n_a: float, var_b: float, n_b: float) -> float:
    qa, qb = var_a / n_a, var_b / n_b
    return (qa + qb) ** 2 / (qa**2 / (n_a - 1) + qb**2 / (n_b - 1))


def power_two_sample(
    effect: float, sd_a: float, sd_b: float, n: int | np.ndarray, alpha: float = 0.05
) -> float | np.ndarray:
    """Power of the two-sided Welch test with ``n`` seeds per side (noncentral t).

    Uses the Welch--Satterthwaite df for equal n and the noncentrality
    ``effect / sqrt((sd_a**2 + sd_b**2) / n)``.
    """
    n_arr = np.asarray(n, dtype=float)
    s2 = sd_a**2 + sd_b**2
    if s2 == 0:
        return np.where(n_arr >= 2, 1.0 if effect != 0 else alpha, np.nan)[()]
    df = (n_arr - 1) * s2**2 / (sd_a**4 + sd_b**4)
    nc = abs(effect) / np.sqrt(s2 / n_arr)
    # scipy.special's t quantile and noncentral-t CDF are what stats.t.ppf / stats.nct.cdf
    # evaluate; called directly because this runs for every non-significant comparison.
    crit = special.stdtrit(df, 1 - alpha / 2)
    power = 1.0 - special.nctdtr(df, nc, crit) + special.nctdtr(df, nc, -crit)
    return power[()] if np.ndim(power) == 0 else power


def required_seeds(
    effect: float,
    sd_a: float,
    sd_b: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    max_seeds: int = 1000,
) -> tuple[int | None, bool]:
    """Seeds per side for the Welch test to detect ``effect`` with the given power.

    Returns ``(n, capped)``: ``n`` is the smallest n >= 2 reaching ``power`` at
    level ``alpha`` (t-based, via :func:`power_two_sample`); ``(max_seeds, True)``
    when even ``max_seeds`` is not enough; ``(None, False)`` when it cannot be said
    (no effect, or the spread is unknown).  ``sd_b=None`` uses ``sd_a`` for both.
    """
    sd_b = sd_a if sd_b is None else sd_b
    if not (np.isfinite(effect) and np.isfinite(sd_a) and np.isfinite(sd_b)) or effect == 0:
        return None, False
    s2 = sd_a**2 + sd_b**2
    if s2 == 0:
        return 2, False
    z = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    # start a little below the normal approximation (the t-based n is never smaller)
    start = max(2, int(math.floor(0.8 * s2 * z**2 / effect**2)) - 1)
    if start > max_seeds:
        return max_seeds, True
    block = 32
    while start <= max_seeds:
        ns = np.arange(start, min(start + block, max_seeds + 1))
        reached = np.nonzero(power_two_sample(effect, sd_a, sd_b, ns, alpha) >= power)[0]
        if reached.size:
            return int(ns[reached[0]]), False
        start += block
        block *= 4
    return max_seeds, True


@dataclass(frozen=True)
class McNemarResult:
    """Discordant pairs and the exact two-sided McNemar p-value.

    ``b``: examples the first model (baseline) got right and the second got wrong;
    ``c``: the reverse; ``n_pairs``: how many prediction pairs were pooled.
    """

    b: int
    c: int
    n_pairs: int
    p_value: float


def mcnemar(
    pairs: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> McNemarResult:
    """Exact McNemar test pooled over (y_true, pred_a, pred_b) triples (e.g. same-seed runs).

    The discordant counts are summed over the pairs and tested with
    ``scipy.stats.binomtest(b, b + c, 0.5)``; with no discordant example p = 1.
    Pooling over seeds treats examples from different seeds as independent, so this is
    a supplement to the across-seed Welch test, never the basis of a verdict.
    """
    b = c = k = 0
    for y_true, pred_a, pred_b in pairs:
        y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
        if not (y_true.shape == pred_a.shape == pred_b.shape):
            raise ValueError("y_true and both predictions must have the same shape")
        right_a, right_b = pred_a == y_true, pred_b == y_true
        b += int(np.sum(right_a & ~right_b))
        c += int(np.sum(~right_a & right_b))
        k += 1
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)
    return McNemarResult(b=b, c=c, n_pairs=k, p_value=p)


def _batched_ttests(
    xa: np.ndarray, groups: Sequence[np.ndarray]
) -> list[tuple[float, float] | None]:
    """Welch ``ttest_ind(xb, xa)`` (t, p) for many b's, one scipy call per sample size."""
    out: list[tuple[float, float] | None] = [None] * len(groups)
    if xa.size < 2:
        return out
    by_n: dict[int, list[int]] = {}
    for i, xb in enumerate(groups):
        if xb.size >= 2:
            by_n.setdefault(xb.size, []).append(i)
    for idx in by_n.values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ttest_ind(
                np.vstack([groups[i] for i in idx]), xa[None, :], axis=1, equal_var=False
            )
        for j, i in enumerate(idx):
            out[i] = (float(res.statistic[j]), float(res.pvalue[j]))
    return out


def _welch(
    xa: np.ndarray,
    xb: np.ndarray,
    ci_level: float,
    ttest: tuple[float, float] | None = None,
) -> dict[str, float]:
    """Welch comparison of b against a: Δ = mean(b) − mean(a), CI, t, df, p, d, g.

    ``ttest`` is a precomputed ``(statistic, pvalue)`` of ``ttest_ind(xb, xa,
    equal_var=False)`` (see :func:`_batched_ttests`); computed here when absent.
    """
    na, nb = xa.size, xb.size
    ma = float(np.mean(xa)) if na else math.nan
    mb = float(np.mean(xb)) if nb else math.nan
    sa = float(np.std(xa, ddof=1)) if na >= 2 else math.nan
    sb = float(np.std(xb, ddof=1)) if nb >= 2 else math.nan
    out = dict(
        mean_a=ma, mean_b=mb, std_a=sa, std_b=sb, delta=mb - ma,
        ci_low=math.nan, ci_high=math.nan, df=math.nan, t_stat=math.nan,
        p_value=math.nan, cohen_d=math.nan, hedges_g=math.nan,
    )  # fmt: skip
    if na < 2 or nb < 2:
        return out
    delta = mb - ma
    va, vb = sa**2, sb**2
    se = math.sqrt(va / na + vb / nb)
    tol = 1e-12 * max(1.0, abs(ma), abs(mb))
    if se <= tol:
        # No spread on either side: the t statistic is undefined; the difference is exact.
        exact_zero = abs(delta) <= tol
        out.update(ci_low=delta, ci_high=delta, p_value=1.0 if exact_zero else 0.0)
        out["t_stat"] = 0.0 if exact_zero else math.copysign(math.inf, delta)
        return out
    df = _welch_df(va, na, vb, nb)
    half = float(stats.t.ppf(0.5 + ci_level / 2, df)) * se
    if ttest is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ttest_ind(xb, xa, equal_var=False)
        ttest = (float(res.statistic), float(res.pvalue))
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    d = delta / pooled if pooled > 0 else math.nan
    m = na + nb - 2
    j = math.exp(special.gammaln(m / 2) - 0.5 * math.log(m / 2) - special.gammaln((m - 1) / 2))
    out.update(
        ci_low=delta - half, ci_high=delta + half, df=float(df),
        t_stat=ttest[0], p_value=ttest[1], cohen_d=d, hedges_g=d * j,
    )  # fmt: skip
    return out


def _decide(
    rec: dict[str, Any],
    p_for_verdict: float,
    alpha: float,
    min_effect: float,
    higher_is_better: bool | None,
    power: float,
    max_seeds: int,
) -> None:
    """Fill verdict, reason, significant, seeds_needed and seed_estimate into ``rec``."""
    na, nb, delta = rec["n_baseline"], rec["n_variant"], rec["delta"]
    sd_a, sd_b = rec["std_baseline"], rec["std_variant"]
    # spread for the power calculation: each side's own, or the other side's if unknown
    sd_a_pw = sd_a if np.isfinite(sd_a) else sd_b
    sd_b_pw = sd_b if np.isfinite(sd_b) else sd_a
    target = max(abs(delta), min_effect) if np.isfinite(delta) else math.nan
    estimate_seeds = False
    if na < 2 or nb < 2:
        verdict = Verdict.INCONCLUSIVE
        if na == 0 and nb == 0:
            reason = Reason.NO_RUNS_BOTH
        elif nb == 0:
            reason = Reason.NO_RUNS_VARIANT
        elif na == 0:
            reason = Reason.NO_RUNS_BASELINE
        else:
            reason = Reason.TOO_FEW_SEEDS
            estimate_seeds = True
    elif p_for_verdict < alpha and abs(delta) >= min_effect and delta != 0:
        reason = Reason.SIGNIFICANT
        if higher_is_better is None:
            verdict = Verdict.HIGHER if delta > 0 else Verdict.LOWER
        else:
            verdict = Verdict.BETTER if (delta > 0) == higher_is_better else Verdict.WORSE
    else:
        verdict = Verdict.NO_DIFFERENCE
        if p_for_verdict < alpha:
            reason = Reason.BELOW_MIN_EFFECT
        else:
            reason = Reason.NOT_SIGNIFICANT
            estimate_seeds = True
    needed, estimate = None, SeedEstimate.NOT_APPLICABLE
    if estimate_seeds:
        needed, capped = required_seeds(target, sd_a_pw, sd_b_pw, alpha, power, max_seeds)
        if needed is not None:
            estimate = SeedEstimate.CAPPED if capped else SeedEstimate.ESTIMATED
        elif np.isfinite(target) and target == 0:
            estimate = SeedEstimate.NO_EFFECT_OBSERVED
        else:
            estimate = SeedEstimate.UNKNOWN_SPREAD
    rec.update(
        verdict=verdict,
        reason=reason,
        significant=verdict in SIGNIFICANT_VERDICTS,
        seeds_needed=needed,
        seed_estimate=estimate,
        seeds_needed_effect=target if needed is not None else math.nan,
    )


def _comparison_record(
    xa: np.ndarray,
    xb: np.ndarray,
    *,
    variant: Any,
    baseline: Any,
    metric: str,
    higher_is_better: bool | None,
    ci_level: float,
    alpha: float,
    min_effect: float,
    ttest: tuple[float, float] | None = None,
) -> dict[str, Any]:
    w = _welch(xa, xb, ci_level, ttest)
    return dict(
        variant=variant, baseline=baseline, metric=metric, higher_is_better=higher_is_better,
        n_baseline=int(xa.size), n_variant=int(xb.size),
        mean_baseline=w["mean_a"], mean_variant=w["mean_b"],
        std_baseline=w["std_a"], std_variant=w["std_b"],
        delta=w["delta"], ci_low=w["ci_low"], ci_high=w["ci_high"], ci_level=ci_level,
        df=w["df"], t_stat=w["t_stat"], p_value=w["p_value"], p_holm=math.nan,
        cohen_d=w["cohen_d"], hedges_g=w["hedges_g"],
        mcnemar_b=0, mcnemar_c=0, mcnemar_seeds=0, mcnemar_p=math.nan,
        failed_baseline=0, diverged_baseline=0, budget_baseline=0,
        failed_variant=0, diverged_variant=0, budget_variant=0,
        alpha=alpha, min_effect=min_effect, cost_ratios={},
    )  # fmt: skip


def _mcnemar_for(
    ok: pd.DataFrame, baseline: Any, variant: Any, predictions: Mapping[str, Any]
) -> McNemarResult | None:
    """Pool McNemar over seeds run successfully by both variants and having predictions."""
    _check_columns(ok, ("key", "seed"))
    a = ok.loc[ok["variant"] == baseline, ["seed", "key"]].drop_duplicates("seed")
    b = ok.loc[ok["variant"] == variant, ["seed", "key"]].drop_duplicates("seed")
    pairs = []
    for seed, key_a, key_b in a.merge(b, on="seed", suffixes=("_a", "_b")).itertuples(
        index=False
    ):
        if key_a not in predictions or key_b not in predictions:
            continue
        y_a, p_a = (np.asarray(v) for v in predictions[key_a])
        y_b, p_b = (np.asarray(v) for v in predictions[key_b])
        if y_a.shape != y_b.shape or not np.array_equal(y_a, y_b):
            raise BenchError(
                f"runs {key_a!r} and {key_b!r} (seed {seed}) were evaluated on different "
                "test labels; McNemar's test needs the same test examples"
            )
        pairs.append((y_a, p_a, p_b))
    return mcnemar(pairs) if pairs else None


def _fill_counts(
    rec: dict[str, Any], counts_baseline: Mapping[str, int], counts_variant: Mapping[str, int]
) -> None:
    for side, c in (("baseline", counts_baseline), ("variant", counts_variant)):
        for status in _NOT_OK:
            rec[f"{status.value}_{side}"] = c.get(status.value, 0)


def _cost_ratios(
    means_baseline: pd.DataFrame, means_variant: pd.DataFrame, baseline: Any, variant: Any
) -> dict[str, float]:
    """variant mean ÷ baseline mean for every cost metric both sides measured."""
    ratios = {}
    for cost in metrics.cost_metrics():
        if cost not in means_baseline.columns or cost not in means_variant.columns:
            continue
        base = means_baseline[cost].get(baseline, math.nan)
        var = means_variant[cost].get(variant, math.nan)
        if np.isfinite(base) and np.isfinite(var) and base != 0:
            ratios[cost] = float(var / base)
        else:
            ratios[cost] = math.nan
    return ratios


def _fill_run_context(
    rec: dict[str, Any],
    ok: pd.DataFrame,
    counts: dict[Any, dict[str, int]],
    baseline: Any,
    variant: Any,
    predictions: Mapping[str, Any] | None,
    means: pd.DataFrame,
) -> None:
    _fill_counts(rec, counts.get(baseline, {}), counts.get(variant, {}))
    rec["cost_ratios"] = _cost_ratios(means, means, baseline, variant)
    if predictions:
        res = _mcnemar_for(ok, baseline, variant, predictions)
        if res is not None:
            rec.update(
                mcnemar_b=res.b, mcnemar_c=res.c, mcnemar_seeds=res.n_pairs, mcnemar_p=res.p_value
            )


def _cost_means(ok: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in metrics.cost_metrics() if c in ok.columns]
    if not cols:
        return pd.DataFrame()
    return ok.groupby("variant", sort=False)[cols].mean()


def compare(
    a: pd.DataFrame | str | Sequence[float] | np.ndarray,
    b: pd.DataFrame | str | Sequence[float] | np.ndarray,
    metric: str = "accuracy",
    *,
    runs: pd.DataFrame | None = None,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    higher_is_better: bool | None = None,
    predictions: Mapping[str, Any] | None = None,
    ci_level: float = 0.95,
    power: float = 0.8,
    max_seeds: int = 1000,
) -> Comparison:
    """One comparison, b against a (Δ = mean(b) − mean(a)), as a :class:`Comparison`.

    ``a``/``b`` are each the runs of one variant (a DataFrame; non-ok rows are counted,
    not used), a variant name (then ``runs`` is required), or a plain array of metric
    values.  A single comparison is a family of one, so ``p_holm == p_value`` here;
    use :func:`compare_to_baseline` for a suite.  ``higher_is_better=None`` takes the
    metric table's direction.  McNemar (``predictions``) is a supplement on same-seed
    runs and never changes the verdict.
    """
    higher_is_better = _higher_is_better(metric, higher_is_better)

    def side(x: Any) -> tuple[Any, np.ndarray, pd.DataFrame | None]:
        if isinstance(x, str):
            if runs is None:
                raise BenchError(f"compare({x!r}, ...) names a variant: pass runs=")
            if x not in set(runs["variant"]):
                raise BenchError(
                    f"unknown variant {x!r}; the runs have: "
                    f"{', '.join(map(str, _variant_order(runs)))}"
                )
            frame = runs[runs["variant"] == x]
        elif isinstance(x, pd.DataFrame):
            frame = x
        else:
            vals = np.asarray(x, dtype=float).ravel()
            return None, vals[~np.isnan(vals)], None
        _check_columns(frame, ("variant", "status", metric))
        names = list(pd.unique(frame["variant"]))
        if len(names) > 1:
            raise BenchError(f"compare() needs the runs of one variant per side, got {names}")
        name = names[0] if names else None
        return name, _values(ok_runs(frame), name, metric) if names else np.array([]), frame

    name_a, xa, frame_a = side(a)
    name_b, xb, frame_b = side(b)
    name_a = "a" if name_a is None else name_a
    name_b = "b" if name_b is None else name_b
    rec = _comparison_record(
        xa, xb, variant=name_b, baseline=name_a, metric=metric,
        higher_is_better=higher_is_better, ci_level=ci_level, alpha=alpha, min_effect=min_effect,
    )  # fmt: skip
    if frame_a is not None and frame_b is not None:
        both = pd.concat([frame_a, frame_b], ignore_index=True)
        ok = ok_runs(both)
        _fill_run_context(
            rec, ok, _status_counts(both), name_a, name_b, predictions, _cost_means(ok)
        )
    p = rec["p_value"]
    rec["p_holm"] = p
    _decide(rec, p, alpha, min_effect, higher_is_better, power, max_seeds)
    return Comparison(**rec)


def compare_to_baseline(
    runs: pd.DataFrame,
    baseline: str,
    metric: str = "accuracy",
    alpha: float = 0.05,
    min_effect: float = 0.0,
    higher_is_better: bool | None = None,
    predictions: Mapping[str, Any] | None = None,
    *,
    variants: Sequence[str] | None = None,
    ci_level: float = 0.95,
    power: float = 0.8,
    max_seeds: int = 1000,
) -> pd.DataFrame:
    """Every other variant against ``baseline`` on ``metric``, with Holm-adjusted verdicts.

    One row per variant (suite order), columns :func:`comparison_columns` (the fields of
    :class:`Comparison`; :func:`records` turns the rows back into records).  The Holm
    family is every compared variant of the suite; an untestable (inconclusive)
    comparison enters it as p = 1, so the family does not shrink when runs fail.
    Verdict: fewer than 2 ok seeds on either side -> inconclusive; Holm p < alpha
    and |Δ| >= min_effect -> better/worse (by sign and ``higher_is_better``, by default
    the metric table's direction; higher/lower for a metric without a better side);
    else no significant difference.  ``reason`` says which rule applied.
    ``seeds_needed`` (per side, 80 % power at ``alpha``, observed spread) is given for
    too-few-seeds and not-significant rows when it can be estimated (``seed_estimate``
    says whether and why not); the effect it is for, max(|Δ|, min_effect), is
    ``seeds_needed_effect``.  Cost ratios are variant mean / baseline mean.
    """
    _check_columns(runs, ("variant", "status", metric))
    higher_is_better = _higher_is_better(metric, higher_is_better)
    order = _variant_order(runs)
    if baseline not in order:
        raise BenchError(
            f"baseline {baseline!r} has no runs; the runs have: {', '.join(map(str, order))}"
        )
    if variants is None:
        variants = [v for v in order if v != baseline]
    else:
        unknown = [v for v in variants if v not in order]
        if unknown:
            raise BenchError(
                f"variant(s) {', '.join(map(repr, unknown))} have no runs; "
                f"the runs have: {', '.join(map(str, order))}"
            )
        variants = [v for v in variants if v != baseline]
    ok = ok_runs(runs)
    counts = _status_counts(runs)
    means = _cost_means(ok)
    groups = {
        v: g.to_numpy(dtype=float) for v, g in ok.groupby("variant", sort=False)[metric]
    }

    def clean(v: Any) -> np.ndarray:
        x = groups.get(v, np.array([]))
        return x[~np.isnan(x)]

    xa = clean(baseline)
    xbs = [clean(v) for v in variants]
    recs = []
    for variant, xb, ttest in zip(variants, xbs, _batched_ttests(xa, xbs)):
        rec = _comparison_record(
            xa, xb, variant=variant, baseline=baseline, metric=metric,
            higher_is_better=higher_is_better, ci_level=ci_level, alpha=alpha,
            min_effect=min_effect, ttest=ttest,
        )  # fmt: skip
        _fill_run_context(rec, ok, counts, baseline, variant, predictions, means)
        recs.append(rec)
    return _holm_and_decide(recs, alpha, min_effect, higher_is_better, power, max_seeds)


# --------------------------------------------------------------------------- claims


def _default_margin(rec: Comparison, min_effect: float) -> float:
    if metrics.get(rec.metric).is_fraction:
        base = DEFAULT_SAME_MARGIN_FRACTION
    else:
        mb = rec.mean_baseline
        base = DEFAULT_SAME_MARGIN_RELATIVE * abs(mb) if np.isfinite(mb) else 0.0
    return max(min_effect, base)


def check_claim(claim: Mapping[str, Any], comparison: Comparison | None) -> Claim:
    """One stated expectation against its comparison (``None``: there is none).

    A claim is ``{variant, metric, direction: 'up'|'down'|'same', note, [margin]}``;
    the direction is about the metric's value (not better/worse).  Rules:

    * up: confirmed if significant with Δ > 0; refuted if significant with Δ < 0,
      or if not significant and the CI's upper bound is <= min_effect (the data
      exclude any increase that would count); otherwise inconclusive.  down: mirrored.
    * same: confirmed if not significant and the whole CI lies within ±margin
      (``margin`` from the claim, else max(min_effect, 1 pp for fraction metrics
      or 1 % of the baseline mean otherwise)); refuted if significant; else inconclusive.
    * An inconclusive comparison, or none at all, leaves the claim inconclusive.
    """
    variant, direction = claim.get("variant"), claim.get("direction")
    metric = str(claim.get("metric", "accuracy"))
    if direction not in ("up", "down", "same"):
        raise BenchError(
            f"claim about {variant!r}: direction must be 'up', 'down' or 'same', "
            f"got {direction!r}"
        )
    head = dict(variant=variant, metric=metric, direction=direction, note=claim.get("note") or "")
    if comparison is None:
        return Claim(**head, result=ClaimResult.INCONCLUSIVE, reason=ClaimReason.NO_COMPARISON)
    rec = comparison
    min_effect = float(rec.min_effect) if np.isfinite(rec.min_effect) else 0.0
    given = claim.get("margin")
    if given is not None:
        margin = float(given)
    elif direction == "same":
        margin = _default_margin(rec, min_effect)
    else:
        margin = min_effect
    lo, hi, delta = float(rec.ci_low), float(rec.ci_high), float(rec.delta)
    if rec.verdict is Verdict.INCONCLUSIVE:
        result, reason = ClaimResult.INCONCLUSIVE, ClaimReason.COMPARISON_INCONCLUSIVE
    elif direction == "same":
        if rec.significant:
            result, reason = ClaimResult.REFUTED, ClaimReason.SIGNIFICANT_CHANGE
        elif lo >= -margin and hi <= margin:
            result, reason = ClaimResult.CONFIRMED, ClaimReason.WITHIN_MARGIN
        else:
            result, reason = ClaimResult.INCONCLUSIVE, ClaimReason.BEYOND_MARGIN
    else:
        sign = 1.0 if direction == "up" else -1.0
        if rec.significant and sign * delta > 0:
            result, reason = ClaimResult.CONFIRMED, ClaimReason.SIGNIFICANT_AS_CLAIMED
        elif rec.significant:
            result, reason = ClaimResult.REFUTED, ClaimReason.SIGNIFICANT_OPPOSITE
        elif direction == "up" and hi <= margin:
            result, reason = ClaimResult.REFUTED, ClaimReason.CI_EXCLUDES_INCREASE
        elif direction == "down" and lo >= -margin:
            result, reason = ClaimResult.REFUTED, ClaimReason.CI_EXCLUDES_DECREASE
        else:
            result, reason = ClaimResult.INCONCLUSIVE, ClaimReason.CI_TOO_WIDE
    return Claim(
        **head, result=result, reason=reason, verdict=rec.verdict, delta=delta,
        ci_low=lo, ci_high=hi, ci_level=float(rec.ci_level), p_holm=float(rec.p_holm),
        margin=margin, comparison=rec,
    )  # fmt: skip


def check_claims(
    comparisons: pd.DataFrame | Iterable[Comparison], claims: Iterable[Mapping[str, Any]]
) -> pd.DataFrame:
    """Every claim checked (:func:`check_claim`); one row per claim, columns :data:`CLAIM_COLUMNS`.

    ``comparisons`` is a :func:`compare_to_baseline` table (or its records), possibly of
    several metrics concatenated; :func:`claim_records` gives the claims as records.
    """
    index = {(r.variant, r.metric): r for r in records(comparisons)}
    rows = [
        check_claim(claim, index.get((claim.get("variant"), claim.get("metric", "accuracy"))))
        for claim in claims
    ]
    return pd.DataFrame([r.row() for r in rows], columns=CLAIM_COLUMNS)


def claim_records(
    comparisons: pd.DataFrame | Iterable[Comparison], claims: Iterable[Mapping[str, Any]]
) -> list[Claim]:
    """Every claim checked, as :class:`Claim` records (each holding its comparison)."""
    index = {(r.variant, r.metric): r for r in records(comparisons)}
    return [
        check_claim(claim, index.get((claim.get("variant"), claim.get("metric", "accuracy"))))
        for claim in claims
    ]


# --------------------------------------------------------------------------- pareto


def pareto_front(
    summary: pd.DataFrame,
    x: str = "flops",
    y: str = "accuracy",
    *,
    minimize_x: bool = True,
    maximize_y: bool = True,
) -> set[Any]:
    """Variants no other variant beats on both axes (by default: fewer FLOPs, more accuracy).

    ``summary`` is :func:`summarize`'s long table (means are used) or a wide table with
    one row per variant (index or ``variant`` column) and columns ``x`` and ``y``.
    Variants lacking either value are left out; identical points are all kept.
    """
    if {"metric", "mean", "variant"} <= set(summary.columns):
        wide = summary_wide(summary, "mean")
    elif "variant" in summary.columns:
        wide = summary.set_index("variant")
    else:
        wide = summary
    if x not in wide.columns or y not in wide.columns:
        raise BenchError(f"pareto_front needs columns {x!r} and {y!r}; have {list(wide.columns)}")
    pts = wide[[x, y]].astype(float).dropna()
    xs = pts[x].to_numpy() * (1 if minimize_x else -1)
    ys = pts[y].to_numpy() * (1 if maximize_y else -1)
    front = set()
    for i, name in enumerate(pts.index):
        dominated = np.any((xs <= xs[i]) & (ys >= ys[i]) & ((xs < xs[i]) | (ys > ys[i])))
        if not dominated:
            front.add(name)
    return front


# --------------------------------------------------------------------------- per class


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} has labels outside 0..{num_classes - 1}")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts[true, predicted] as an int array of shape (num_classes, num_classes)."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    _check_labels(y_true, y_pred, num_classes)
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_accuracy(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Recall per true class (correct / examples of that class); NaN for absent classes."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    _check_labels(y_true, y_pred, num_classes)
    total = np.bincount(y_true, minlength=num_classes).astype(float)
    correct = np.bincount(y_true[y_true == y_pred], minlength=num_classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, correct / np.where(total > 0, total, 1), np.nan)


def _per_class_matrix(
    ok: pd.DataFrame, variant: Any, predictions: Mapping[str, Any], num_classes: int
) -> np.ndarray:
    keys = [k for k in ok.loc[ok["variant"] == variant, "key"] if k in predictions]
    if not keys:
        return np.empty((0, num_classes))
    return np.vstack([per_class_accuracy(*predictions[k], num_classes) for k in keys])


def per_class_changes(
    runs: pd.DataFrame,
    predictions: Mapping[str, Any],
    baseline: str,
    variant: str,
    num_classes: int,
    *,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    class_names: Sequence[str] | None = None,
    ci_level: float = 0.95,
    all_classes: bool = False,
) -> pd.DataFrame:
    """Classes whose accuracy changed significantly between baseline and variant.

    Per class: per-seed class accuracy of each ok run (from ``predictions``), Welch's
    test variant vs baseline, Holm across classes.  ``changed`` = Holm p < alpha and
    |Δ| >= min_effect with >= 2 seeds each side.  Returns only changed classes unless
    ``all_classes=True``; columns :data:`PER_CLASS_COLUMNS`.
    """
    _check_columns(runs, ("key", "variant", "status"))
    ok = ok_runs(runs)
    acc_a = _per_class_matrix(ok, baseline, predictions, num_classes)
    acc_b = _per_class_matrix(ok, variant, predictions, num_classes)
    rows = []
    for k in range(num_classes):
        xa = acc_a[:, k][~np.isnan(acc_a[:, k])]
        xb = acc_b[:, k][~np.isnan(acc_b[:, k])]
        w = _welch(xa, xb, ci_level)
        rows.append(
            {
                "class": k,
                "class_name": class_names[k] if class_names is not None else str(k),
                "n_baseline": int(xa.size),
                "n_variant": int(xb.size),
                "acc_baseline": w["mean_a"],
                "acc_variant": w["mean_b"],
                "delta": w["delta"],
                "ci_low": w["ci_low"],
                "ci_high": w["ci_high"],
                "p_value": w["p_value"],
            }
        )
    out = pd.DataFrame(rows, columns=PER_CLASS_COLUMNS)
    p = out["p_value"].to_numpy(dtype=float)
    adj = holm(np.where(np.isnan(p), 1.0, p))
    out["p_holm"] = np.where(np.isnan(p), np.nan, adj)
    out["changed"] = (
        (adj < alpha) & (out["delta"].abs() >= min_effect) & (out["delta"] != 0)
        & (out["n_baseline"] >= 2) & (out["n_variant"] >= 2)
    ).astype(bool)  # fmt: skip
    out["direction"] = np.where(
        out["changed"], np.where(out["delta"] > 0, "up", "down"), ""
    )
    if not all_classes:
        out = out[out["changed"]].reset_index(drop=True)
    return out


# --------------------------------------------------------------------------- two measurements


def compare_measurements(
    old: pd.DataFrame,
    new: pd.DataFrame,
    metric: str = "accuracy",
    *,
    variants: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    higher_is_better: bool | None = None,
    labels: tuple[str, str] = ("old", "new"),
    ci_level: float = 0.95,
    power: float = 0.8,
    max_seeds: int = 1000,
) -> pd.DataFrame:
    """Each variant measured twice (two runs tables of one suite): new against old.

    For ``bench diff OLD NEW`` -- another commit, machine or library version.  One row
    per variant present in both tables (``old``'s order unless ``variants`` is given),
    columns :func:`comparison_columns`; ``baseline`` holds ``labels[0]`` and Δ is
    mean(new) − mean(old).  The Holm family is every compared variant, exactly as in
    :func:`compare_to_baseline` (an untestable row enters as p = 1), so scanning many
    variants for regressions does not inflate the false-alarm rate.  Cost ratios are
    new mean / old mean.  McNemar is not computed: the two tables' run keys coincide.
    """
    for frame in (old, new):
        _check_columns(frame, ("variant", "status", metric))
    higher_is_better = _higher_is_better(metric, higher_is_better)
    common = [v for v in _variant_order(old) if v in set(new["variant"])]
    if variants is None:
        variants = common
    else:
        missing = [v for v in variants if v not in common]
        if missing:
            raise BenchError(
                f"variant(s) {', '.join(map(repr, missing))} are not in both runs tables; "
                f"both have: {', '.join(map(str, common)) or 'none'}"
            )
    ok_old, ok_new = ok_runs(old), ok_runs(new)
    counts_old, counts_new = _status_counts(old), _status_counts(new)
    means_old, means_new = _cost_means(ok_old), _cost_means(ok_new)
    recs = []
    for variant in variants:
        xa, xb = _values(ok_old, variant, metric), _values(ok_new, variant, metric)
        rec = _comparison_record(
            xa, xb, variant=variant, baseline=labels[0], metric=metric,
            higher_is_better=higher_is_better, ci_level=ci_level, alpha=alpha,
            min_effect=min_effect,
        )  # fmt: skip
        _fill_counts(rec, counts_old.get(variant, {}), counts_new.get(variant, {}))
        rec["cost_ratios"] = _cost_ratios(means_old, means_new, variant, variant)
        recs.append(rec)
    return _holm_and_decide(recs, alpha, min_effect, higher_is_better, power, max_seeds)


def _holm_and_decide(
    recs: list[dict[str, Any]],
    alpha: float,
    min_effect: float,
    higher_is_better: bool | None,
    power: float,
    max_seeds: int,
) -> pd.DataFrame:
    """Holm-adjust one family of comparisons, give each its verdict, return the table.

    Untestable comparisons (NaN p) count in the family as p = 1: the conservative
    reading, so a failed variant never makes the others look more significant.
    """
    p = np.array([r["p_value"] for r in recs], dtype=float)
    p_holm = holm(np.where(np.isnan(p), 1.0, p)) if recs else p
    rows = []
    for rec, adjusted in zip(recs, p_holm):
        rec["p_holm"] = float(adjusted) if np.isfinite(rec["p_value"]) else math.nan
        _decide(rec, float(adjusted), alpha, min_effect, higher_is_better, power, max_seeds)
        rows.append(Comparison(**rec).row())
    out = pd.DataFrame(rows, columns=comparison_columns())
    out["seeds_needed"] = pd.Series([r["seeds_needed"] for r in rows], dtype=object)
    out["higher_is_better"] = pd.Series([r["higher_is_better"] for r in rows], dtype=object)
    out["significant"] = out["significant"].astype(bool)
    out["seeds_needed_capped"] = out["seeds_needed_capped"].astype(bool)
    return out
