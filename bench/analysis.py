"""The one place that decides verdicts: statistics over the runs of a suite.

Everything a report says about a variant ("better", "no significant
difference", ...) is computed here and nowhere else, from a runs table in the
shape the results store returns: one row per run with the columns ``key``,
``variant``, ``seed``, ``status`` (``'ok' | 'failed' | 'diverged' | 'budget'``)
and one float column per metric (``accuracy``, ``loss``, ``flops``, ...).

Rules that hold throughout:

* Only ``status == 'ok'`` rows with a non-NaN value enter a statistic; failed,
  diverged and over-budget runs are counted separately, never averaged in.
* Two variants are compared by a paired t-test over per-seed differences where the
  pairing is real (same seeds, same data split), by Welch's t-test otherwise; the
  record says which (:mod:`bench.inference` holds the procedures).
* Comparisons against a baseline are one family per metric: Holm-adjusted before
  any verdict, with intervals at the level of Holm's last step, so a verdict and its
  interval never disagree.
* Fewer than two successful seeds on either side, or no spread at all on a metric
  that varies by seed, is ``'inconclusive'`` -- nothing is claimed.
* Failure and divergence rates are compared by Fisher's exact test; "same" claims are
  decided by equivalence (TOST) alone; seeds needed are planned for ``min_effect``.

Results are typed records (:class:`Comparison`, :class:`Claim`) or DataFrames of their
fields: a verdict, the reason for it and the numbers, never a sentence.  The words are
added at the edge (:mod:`bench.words`); metric facts (direction, kind, costs) come from
:mod:`bench.metrics`.

The module is pure pandas + numpy + scipy; it never imports TensorFlow or Keras, and
``scipy.stats`` only where a procedure needs more than :mod:`scipy.special` (a report
of t tests renders without its second of import).
"""

from __future__ import annotations

import enum
import json
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import MISSING as MISSING_FIELD
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from bench import inference, metrics
from bench.errors import BenchError
from bench.metrics import Direction
from bench.status import Status
from bench.tasks.classification import per_class_accuracy  # the task owns its per-item views

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
    "holm",
    "mcnemar",
    "metric_columns",
    "ok_runs",
    "pareto_front",
    "per_class_changes",
    "per_class_family_changes",
    "per_class_rows",
    "GateRow",
    "regression_gate",
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
    #: The whole interval lies inside ±min_effect: any difference is too small to count.
    NEGLIGIBLE = "smaller than min_effect"

    def __str__(self) -> str:
        return self.value


class Reason(str, enum.Enum):
    """Why a comparison got its verdict."""

    SIGNIFICANT = "significant"  #: Holm p < alpha and |Δ| >= min_effect
    #: Holm p < alpha, and the whole interval lies inside ±min_effect
    BELOW_MIN_EFFECT = "below_min_effect"
    #: Holm p >= alpha, and the whole interval lies inside ±min_effect
    WITHIN_MIN_EFFECT = "within_min_effect"
    #: Holm p < alpha, Δ below min_effect, but the interval reaches past it
    SIZE_UNDECIDED = "size_undecided"
    NOT_SIGNIFICANT = "not_significant"  #: Holm p >= alpha; the interval says what is allowed
    ZERO_SPREAD = "zero_spread"  #: no spread at all on a metric that varies by seed
    TOO_FEW_SEEDS = "too_few_seeds"  #: fewer than 2 ok seeds on a side (but some on both)
    NO_RUNS_VARIANT = "no_runs_variant"
    NO_RUNS_BASELINE = "no_runs_baseline"
    NO_RUNS_BOTH = "no_runs_both"

    def __str__(self) -> str:
        return self.value


class SeedEstimate(str, enum.Enum):
    """What ``seeds_needed`` of a comparison says."""

    ESTIMATED = "estimated"  #: ``seeds_needed`` per side detect min_effect with 80 % power
    CAPPED = "capped"  #: more than ``seeds_needed`` (= max_seeds) would be needed
    UNKNOWN_SPREAD = "unknown_spread"  #: no side has two seeds: the spread is unknown
    NO_MIN_EFFECT = "no_min_effect"  #: no min_effect declared: no effect to plan for
    NO_EFFECT_OBSERVED = "no_effect_observed"  #: (older tables) Δ = 0 and no min_effect
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
    WITHIN_MARGIN = "within_margin"  #: equivalent: TOST rejects |Δ| >= margin
    SIGNIFICANT_CHANGE = "significant_change"  #: (older tables) refuted by significance
    BEYOND_MARGIN = "beyond_margin"  #: equivalence not shown: the interval reaches past ±margin
    OUTSIDE_MARGIN = "outside_margin"  #: the whole interval lies beyond ±margin

    def __str__(self) -> str:
        return self.value


BETTER = Verdict.BETTER
WORSE = Verdict.WORSE
NO_DIFFERENCE = Verdict.NO_DIFFERENCE
INCONCLUSIVE = Verdict.INCONCLUSIVE
NEGLIGIBLE = Verdict.NEGLIGIBLE
#: The verdicts of a metric with a better side (HIGHER/LOWER only for direction NEITHER).
VERDICTS = (BETTER, WORSE, NO_DIFFERENCE, NEGLIGIBLE, INCONCLUSIVE)
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
    failed_baseline: int
    diverged_baseline: int
    budget_baseline: int
    failed_variant: int
    diverged_variant: int
    budget_variant: int
    alpha: float
    min_effect: float
    cost_ratios: Mapping[str, float] = field(default_factory=dict)
    #: standard error of Δ (of the paired differences' mean when paired)
    se: float = math.nan
    #: the test: paired t over seeds or Welch's t (:class:`bench.inference.Method`)
    method: inference.Method = inference.Method.WELCH
    #: why that test (:class:`bench.inference.PairingReason`)
    pairing: inference.PairingReason = inference.PairingReason.DESIGN_UNPAIRED
    #: no spread at all on both sides (inconclusive for a metric that varies by seed)
    zero_spread: bool = False
    #: comparisons in the Holm family (the intervals' level is that of Holm's last step)
    family_size: int = 1
    #: Fisher's exact p for equal failed-or-diverged rates; True: they differ at alpha
    rate_p: float = math.nan
    rates_differ: bool = False
    #: P(a run of the variant beats a run of the baseline) and its bootstrap interval
    p_beats: float = math.nan
    p_beats_low: float = math.nan
    p_beats_high: float = math.nan
    #: two-level bootstrap interval of Δ (seeds × test examples), accuracy with predictions
    boot_ci_low: float = math.nan
    boot_ci_high: float = math.nan
    boot_level: float = math.nan
    #: what the t interval's spread covers: "seeds" or "seeds_splits" (per-seed resampling)
    interval_sources: str = "seeds"
    #: seeds were added by a group-sequential design: its decision for this variant ("" if not)
    design_decision: str = ""
    #: α the design spent on this variant by the deciding look (NaN: fixed design)
    alpha_spent: float = math.nan

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
        for f in fields(cls):  # columns added later are absent from older tables
            if f.name in _DEFAULTED and _missing(values.get(f.name)):
                values[f.name] = f.default
        values["method"] = inference.Method(values["method"])
        values["pairing"] = inference.PairingReason(values["pairing"])
        for flag in ("zero_spread", "rates_differ", "significant"):
            values[flag] = bool(values[flag]) if not _missing(values[flag]) else False
        for count in ("n_baseline", "n_variant", "family_size", "mcnemar_b", "mcnemar_c",
                      "mcnemar_seeds"):  # fmt: skip
            values[count] = int(values[count]) if not _missing(values[count]) else 0
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


#: Fields a table from before they existed may lack (their defaults are used).
_DEFAULTED = {f.name for f in fields(Comparison) if f.default is not MISSING_FIELD}

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
    half = float(inference.t_ppf(0.5 + level / 2, n - 1)) * sem
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
    positions = ok.groupby("variant", sort=False).indices  # one pass, not a mask per variant
    columns = {metric: ok[metric].to_numpy(dtype=float) for metric in metrics}
    none = np.array([], dtype=np.int64)
    rows = []
    for variant in _variant_order(runs):
        c = counts.get(variant, {})
        at = positions.get(variant, none)
        for metric in metrics:
            x = columns[metric][at]
            x = x[~np.isnan(x)]
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
    Pooling over seeds treats examples from different seeds as independent: its p is
    about these trained models on this test set, not about the variant (seed noise is
    ignored), so no verdict and no report uses it.  Comparisons keep only the
    discordant counts, for per-example views.
    """
    b, c, k = _discordant(pairs)
    if b + c == 0:
        return McNemarResult(b=b, c=c, n_pairs=k, p_value=1.0)
    from scipy import stats

    return McNemarResult(b=b, c=c, n_pairs=k, p_value=float(stats.binomtest(b, b + c, 0.5).pvalue))


def _discordant(
    pairs: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[int, int, int]:
    """McNemar's discordant counts ``(b, c)`` pooled over the pairs, and how many pairs."""
    b = c = k = 0
    for y_true, pred_a, pred_b in pairs:
        y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
        if not (y_true.shape == pred_a.shape == pred_b.shape):
            raise ValueError("y_true and both predictions must have the same shape")
        right_a, right_b = pred_a == y_true, pred_b == y_true
        b += int(np.sum(right_a & ~right_b))
        c += int(np.sum(~right_a & right_b))
        k += 1
    return b, c, k


def _seeded(ok: pd.DataFrame, variant: Any, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """One variant's values of ``metric`` (ok runs, NaN left out) and the seed of each."""
    return _seeded_all(ok, metric).get(variant, (np.array([]), np.array([], dtype=np.int64)))


def _seeded_all(ok: pd.DataFrame, metric: str) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
    """:func:`_seeded` for every variant at once (one pass over the table)."""
    x = ok[metric].to_numpy(dtype=float)
    s = ok["seed"].to_numpy() if "seed" in ok.columns else None
    out = {}
    for variant, rows in ok.groupby("variant", sort=False).indices.items():
        values = x[rows]
        seeds = s[rows].astype(np.int64) if s is not None else np.arange(rows.size)
        keep = ~np.isnan(values)
        out[variant] = (values[keep], seeds[keep])
    return out


def _dataset_of(config: Any) -> Any:
    """The ``dataset`` section of a stored config (JSON text or dict), as comparable text."""
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return None
    if not isinstance(config, Mapping):
        return None
    section = dict(config.get("dataset") or {})
    if section.get("resample", "none") == "none":  # the default, absent from older stores
        section.pop("resample", None)
    section.pop("resample_seed", None)
    return json.dumps(section, sort_keys=True, default=str)


def _datasets(frame: pd.DataFrame) -> dict[Any, set[Any]]:
    """Per variant, the distinct dataset sections its ok runs were trained with."""
    if "config" not in frame.columns:
        return {}
    out: dict[Any, set[Any]] = {}
    for variant, config in zip(frame["variant"].tolist(), frame["config"].tolist()):
        out.setdefault(variant, set()).add(_dataset_of(config))
    return out


def _pairing_real(
    given: bool | None, datasets_a: set[Any] | None, datasets_b: set[Any] | None
) -> bool:
    """Whether the same seed means the same split and data on both sides.

    ``given`` (the caller's statement) wins.  Otherwise the stored configs decide: both
    sides trained on one and the same dataset section (same split seed, sizes,
    preparation).  Without stored configs the pairing is not known, and Welch's test,
    valid either way, is used.
    """
    if given is not None:
        return bool(given)
    if not datasets_a or not datasets_b:
        return False
    both = datasets_a | datasets_b
    return len(both) == 1 and None not in both


def _resampled(datasets: Iterable[set[Any] | None]) -> bool:
    """Every side drew its own split per seed (``dataset.resample: per_seed``)."""
    found = False
    for group in datasets:
        for text in group or ():
            section = json.loads(text) if isinstance(text, str) else None
            if not isinstance(section, Mapping) or section.get("resample") != "per_seed":
                return False
            found = True
    return found


def _aligned(
    xa: np.ndarray, sa: np.ndarray, xb: np.ndarray, sb: np.ndarray, diff: inference.Difference
) -> tuple[np.ndarray, np.ndarray]:
    """The values the test compared: the seed pairs (paired) or both samples (Welch)."""
    if diff.method is not inference.Method.PAIRED:
        return xa, xb
    pa, pb = dict(zip(sa.tolist(), xa)), dict(zip(sb.tolist(), xb))
    common = sorted(set(pa) & set(pb))
    return np.array([pa[s] for s in common]), np.array([pb[s] for s in common])


def _effect_sizes(diff: inference.Difference) -> tuple[float, float]:
    """Cohen's d (pooled SD) and Hedges' g (exact small-sample correction) of Δ."""
    na, nb = diff.n_a, diff.n_b
    if na < 2 or nb < 2 or not (np.isfinite(diff.sd_a) and np.isfinite(diff.sd_b)):
        return math.nan, math.nan
    pooled = math.sqrt(((na - 1) * diff.sd_a**2 + (nb - 1) * diff.sd_b**2) / (na + nb - 2))
    if pooled <= 0:
        return math.nan, math.nan
    d = diff.delta / pooled
    m = na + nb - 2
    j = math.exp(special.gammaln(m / 2) - 0.5 * math.log(m / 2) - special.gammaln((m - 1) / 2))
    return d, d * j


def _measure(
    xa: np.ndarray,
    sa: np.ndarray,
    xb: np.ndarray,
    sb: np.ndarray,
    *,
    pairing_real: bool,
    variant: Any,
    baseline: Any,
    metric: str,
    higher_is_better: bool | None,
    alpha: float,
    min_effect: float,
    outperforming: bool,
) -> tuple[dict[str, Any], inference.Difference]:
    """The numbers of one comparison before its family is known (no p_holm, no verdict)."""
    if np.unique(sa).size < sa.size or np.unique(sb).size < sb.size:
        pairing_real = False  # a seed run twice on one side pairs with nothing in particular
    noisy = metrics.get(metric).varies_by_seed if metrics.is_known(metric) else True
    diff = inference.mean_difference(
        xa, xb, seeds_a=sa, seeds_b=sb, pairing_real=pairing_real, noisy=noisy
    )
    d, g = _effect_sizes(diff)
    rec = dict(
        variant=variant, baseline=baseline, metric=metric, higher_is_better=higher_is_better,
        n_baseline=diff.n_a, n_variant=diff.n_b,
        mean_baseline=diff.mean_a, mean_variant=diff.mean_b,
        std_baseline=diff.sd_a, std_variant=diff.sd_b,
        delta=diff.delta, ci_low=math.nan, ci_high=math.nan, ci_level=math.nan,
        df=diff.df, t_stat=diff.t_stat, p_value=diff.p_value, p_holm=math.nan,
        cohen_d=d, hedges_g=g,
        mcnemar_b=0, mcnemar_c=0, mcnemar_seeds=0,
        failed_baseline=0, diverged_baseline=0, budget_baseline=0,
        failed_variant=0, diverged_variant=0, budget_variant=0,
        alpha=alpha, min_effect=min_effect, cost_ratios={},
        se=diff.se, method=diff.method, pairing=diff.reason, zero_spread=diff.zero_spread,
    )  # fmt: skip
    if outperforming and diff.n_a >= 2 and diff.n_b >= 2:
        ya, yb = _aligned(xa, sa, xb, sb, diff)
        if higher_is_better is False:
            ya, yb = -ya, -yb  # "beats" means better, not larger
        beats = inference.probability_of_outperforming(
            ya, yb, paired=diff.method is inference.Method.PAIRED, n_boot=_P_BEATS_BOOT
        )
        rec.update(p_beats=beats.p_beats, p_beats_low=beats.p_beats_low,
                   p_beats_high=beats.p_beats_high)  # fmt: skip
    return rec, diff


#: Bootstrap replicates for P(variant beats baseline) (seeds only: small and fast).
_P_BEATS_BOOT = 2000
#: Bootstrap replicates for the two-level (seeds × test examples) interval.
_TWO_LEVEL_BOOT = 2000


def _seed_estimate(
    diff: inference.Difference,
    min_effect: float,
    alpha: float,
    family_size: int,
    power: float,
    max_seeds: int,
) -> tuple[int | None, SeedEstimate]:
    """Seeds per side to detect ``min_effect`` at ``power`` after Holm (never the observed Δ)."""
    if not (np.isfinite(min_effect) and min_effect > 0):
        return None, SeedEstimate.NO_MIN_EFFECT
    if diff.method is inference.Method.PAIRED:
        sd = diff.se * math.sqrt(diff.n_a) if np.isfinite(diff.se) else math.nan
        need = inference.seeds_for_power(
            min_effect, sd, alpha=alpha, family_size=family_size, power=power,
            paired=True, max_seeds=max_seeds,
        )  # fmt: skip
    else:
        sd_a = diff.sd_a if np.isfinite(diff.sd_a) else diff.sd_b
        sd_b = diff.sd_b if np.isfinite(diff.sd_b) else diff.sd_a
        if not (np.isfinite(sd_a) and np.isfinite(sd_b)) or (sd_a == 0 and sd_b == 0):
            return None, SeedEstimate.UNKNOWN_SPREAD
        need = inference.seeds_for_power(
            min_effect, sd_a, sd_b=sd_b, alpha=alpha, family_size=family_size, power=power,
            paired=False, max_seeds=max_seeds,
        )  # fmt: skip
    if need.seeds is None:
        return None, SeedEstimate.UNKNOWN_SPREAD
    return need.seeds, SeedEstimate.CAPPED if need.capped else SeedEstimate.ESTIMATED


def _decide(
    rec: dict[str, Any],
    diff: inference.Difference,
    rejected: bool,
    family_size: int,
    power: float,
    max_seeds: int,
) -> None:
    """Fill verdict, reason, significant and the seed estimate into ``rec``.

    The verdict reads the row's Holm decision and its Holm-consistent interval together,
    so the two never disagree: "better"/"worse" only with an interval beside zero, "no
    significant difference" only with one that holds zero.  "Smaller than min_effect"
    needs the whole interval inside ±min_effect.
    """
    na, nb, delta = rec["n_baseline"], rec["n_variant"], rec["delta"]
    alpha, min_effect = rec["alpha"], rec["min_effect"]
    higher_is_better = rec["higher_is_better"]
    estimate_seeds = True
    if na < 2 or nb < 2:
        verdict = Verdict.INCONCLUSIVE
        if na == 0 and nb == 0:
            reason, estimate_seeds = Reason.NO_RUNS_BOTH, False
        elif nb == 0:
            reason, estimate_seeds = Reason.NO_RUNS_VARIANT, False
        elif na == 0:
            reason, estimate_seeds = Reason.NO_RUNS_BASELINE, False
        else:
            reason = Reason.TOO_FEW_SEEDS
    elif not diff.testable:
        verdict, reason = Verdict.INCONCLUSIVE, Reason.ZERO_SPREAD
    else:
        reading = inference.read_interval(rec["ci_low"], rec["ci_high"], min_effect)
        if reading.within_min_effect:
            verdict = Verdict.NEGLIGIBLE
            reason = Reason.BELOW_MIN_EFFECT if rejected else Reason.WITHIN_MIN_EFFECT
            estimate_seeds = False
        elif rejected and delta != 0 and (min_effect <= 0 or abs(delta) >= min_effect):
            reason, estimate_seeds = Reason.SIGNIFICANT, False
            if higher_is_better is None:
                verdict = Verdict.HIGHER if delta > 0 else Verdict.LOWER
            else:
                verdict = Verdict.BETTER if (delta > 0) == higher_is_better else Verdict.WORSE
        elif rejected:
            verdict, reason = Verdict.INCONCLUSIVE, Reason.SIZE_UNDECIDED
        else:
            verdict, reason = Verdict.NO_DIFFERENCE, Reason.NOT_SIGNIFICANT
    needed, estimate = None, SeedEstimate.NOT_APPLICABLE
    if estimate_seeds:
        needed, estimate = _seed_estimate(diff, min_effect, alpha, family_size, power, max_seeds)
    rec.update(
        verdict=verdict,
        reason=reason,
        significant=verdict in SIGNIFICANT_VERDICTS,
        seeds_needed=needed,
        seed_estimate=estimate,
        seeds_needed_effect=min_effect if needed is not None else math.nan,
    )


def _decide_family(
    recs: list[dict[str, Any]],
    diffs: list[inference.Difference],
    power: float,
    max_seeds: int,
) -> list[dict[str, Any]]:
    """Holm across one family, Holm-consistent intervals, a verdict per row; the rows.

    Untestable comparisons (too few seeds, zero spread) count in the family as p = 1:
    the conservative reading, so a failed variant never makes the others look more
    significant.  Every interval of the family has the level of Holm's last step
    (:func:`bench.inference.holm_family`).
    """
    alpha = recs[0]["alpha"] if recs else 0.05
    fam = inference.holm_family(
        [d.delta for d in diffs], [d.se for d in diffs], [d.df for d in diffs],
        [d.p_value for d in diffs], alpha,
    ) if recs else None  # fmt: skip
    rows = []
    for i, (rec, diff) in enumerate(zip(recs, diffs)):
        assert fam is not None
        low, high = float(fam.ci_low[i]), float(fam.ci_high[i])
        if diff.zero_spread and diff.testable:  # an exact metric: the difference is known
            low = high = diff.delta
        rec.update(
            p_holm=float(fam.p_holm[i]) if diff.testable else math.nan,
            ci_low=low, ci_high=high, ci_level=float(fam.level), family_size=len(recs),
        )  # fmt: skip
        _decide(rec, diff, bool(fam.rejected[i]), len(recs), power, max_seeds)
        rows.append(Comparison(**rec).row())
    return rows


def _runs_by_seed(ok: pd.DataFrame) -> dict[Any, list[tuple[Any, Any]]]:
    """Per variant, the ``(seed, key)`` of its runs in table order, the first run of each
    seed only (a seed run twice pairs with nothing in particular), in one pass."""
    _check_columns(ok, ("key", "seed"))
    out: dict[Any, list[tuple[Any, Any]]] = {}
    seen: dict[Any, set[Any]] = {}
    for variant, seed, key in zip(ok["variant"].tolist(), ok["seed"].tolist(), ok["key"].tolist()):
        if seed not in seen.setdefault(variant, set()):
            seen[variant].add(seed)
            out.setdefault(variant, []).append((seed, key))
    return out


def _mcnemar_for(
    by_seed: Mapping[Any, list[tuple[Any, Any]]],
    baseline: Any,
    variant: Any,
    predictions: Mapping[str, Any],
) -> tuple[int, int, int] | None:
    """Pool the discordant examples over seeds run successfully by both variants:
    ``(b, c, pairs)`` (:func:`_discordant`; the comparisons keep no McNemar p)."""
    keys_b = dict(by_seed.get(variant, []))
    pairs = []
    for seed, key_a in by_seed.get(baseline, []):
        if seed not in keys_b:
            continue
        key_b = keys_b[seed]
        if key_a not in predictions or key_b not in predictions:
            continue
        y_a, p_a = (np.asarray(v) for v in predictions[key_a])
        y_b, p_b = (np.asarray(v) for v in predictions[key_b])
        if y_a.shape != y_b.shape or not np.array_equal(y_a, y_b):
            raise BenchError(
                f"runs {key_a!r} and {key_b!r} (seed {seed}) were evaluated on different "
                "test labels; a per-example comparison needs the same test examples"
            )
        pairs.append((y_a, p_a, p_b))
    return _discordant(pairs) if pairs else None


def _correctness(
    by_seed: Mapping[Any, list[tuple[Any, Any]]], variant: Any, predictions: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(seeds, y_true, right[seed, example]) of a variant's ok runs with predictions."""
    seeds, truth, right = [], None, []
    for seed, key in by_seed.get(variant, []):
        if key not in predictions:
            continue
        y, p = (np.asarray(v).ravel() for v in predictions[key])
        if truth is None:
            truth = y
        elif y.shape != truth.shape or not np.array_equal(y, truth):
            return None  # runs scored on different test sets: no example-level pairing
        seeds.append(int(seed))
        right.append((p == y).astype(float))
    if truth is None or len(right) < 2:
        return None
    return np.array(seeds), truth, np.vstack(right)


def _two_level_inputs(
    by_seed: Mapping[Any, list[tuple[Any, Any]]],
    baseline: Any,
    variant: Any,
    predictions: Mapping[str, Any],
    paired: bool,
    correctness: dict[Any, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """What the two-level bootstrap of Δaccuracy resamples: each side's right[seed, example]
    (the common seeds, in order, when paired) and whether the seeds pair; None without both.

    ``correctness`` keeps each variant's :func:`_correctness` across the rows of one family
    (the baseline's is the same in every row)."""
    known = {} if correctness is None else correctness
    for side in (baseline, variant):
        if side not in known:
            known[side] = _correctness(by_seed, side, predictions)
    a, b = known[baseline], known[variant]
    if a is None or b is None or not np.array_equal(a[1], b[1]):
        return None
    (sa, _, ra), (sb, _, rb) = a, b
    if paired:
        common = sorted(set(sa.tolist()) & set(sb.tolist()))
        if len(common) < 2:
            paired = False
        else:
            ra = ra[[sa.tolist().index(s) for s in common]]
            rb = rb[[sb.tolist().index(s) for s in common]]
    return ra, rb, paired


def _fill_counts(
    rec: dict[str, Any], counts_baseline: Mapping[str, int], counts_variant: Mapping[str, int]
) -> None:
    """Runs left out by status, and Fisher's test of the failure-or-divergence rates."""
    for side, c in (("baseline", counts_baseline), ("variant", counts_variant)):
        for status in _NOT_OK:
            rec[f"{status.value}_{side}"] = c.get(status.value, 0)

    def bad_and_total(c: Mapping[str, int]) -> tuple[int, int]:
        bad = c.get(Status.FAILED.value, 0) + c.get(Status.DIVERGED.value, 0)
        return bad, bad + c.get(Status.OK.value, 0)

    rates = inference.compare_rates(
        *bad_and_total(counts_baseline), *bad_and_total(counts_variant), alpha=rec["alpha"]
    )
    rec.update(rate_p=rates.p_value, rates_differ=rates.differs)


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
    by_seed: Mapping[Any, list[tuple[Any, Any]]] | None,
    counts: dict[Any, dict[str, int]],
    baseline: Any,
    variant: Any,
    predictions: Mapping[str, Any] | None,
    means: pd.DataFrame,
) -> None:
    """Status counts, cost ratios and (with predictions) McNemar's discordant counts.

    ``by_seed`` is :func:`_runs_by_seed` of the ok runs; it is only read with predictions."""
    _fill_counts(rec, counts.get(baseline, {}), counts.get(variant, {}))
    rec["cost_ratios"] = _cost_ratios(means, means, baseline, variant)
    if predictions and by_seed is not None:
        res = _mcnemar_for(by_seed, baseline, variant, predictions)
        if res is not None:
            rec.update(mcnemar_b=res[0], mcnemar_c=res[1], mcnemar_seeds=res[2])


def _fill_bootstrap(
    rows: Sequence[dict[str, Any]],
    by_seed: Mapping[Any, list[tuple[Any, Any]]] | None,
    predictions: Mapping[str, Any] | None,
) -> None:
    """The two-level interval for accuracy on a fixed test set, at each row's level.

    Rows whose sides have the same shapes (examples, seeds, pairing) share one set of
    bootstrap draws (:func:`bench.inference.two_level_bootstraps`): each row gets the
    numbers a bootstrap of its own would give."""
    if not predictions or by_seed is None:
        return
    correctness: dict[Any, Any] = {}
    groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], np.ndarray, np.ndarray]]] = {}
    for rec in rows:
        if rec["metric"] != _PER_EXAMPLE_METRIC or not np.isfinite(rec["ci_level"]):
            continue
        inputs = _two_level_inputs(by_seed, rec["baseline"], rec["variant"], predictions,
                                   rec["method"] is inference.Method.PAIRED, correctness)  # fmt: skip
        if inputs is not None:
            ra, rb, paired = inputs
            groups.setdefault((ra.shape, rb.shape, paired), []).append((rec, ra, rb))
    for (_, _, paired), members in groups.items():
        boots = inference.two_level_bootstraps(
            [(ra, rb) for _, ra, rb in members], paired_seeds=paired, n_boot=_TWO_LEVEL_BOOT,
            ci_levels=[rec["ci_level"] for rec, _, _ in members],
        )  # fmt: skip
        for (rec, _, _), boot in zip(members, boots):
            rec.update(boot_ci_low=boot.ci_low, boot_ci_high=boot.ci_high, boot_level=boot.level)


#: The metric per-example correctness (stored predictions) re-computes.
_PER_EXAMPLE_METRIC = "accuracy"


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
    ci_level: float | None = None,
    power: float = 0.8,
    max_seeds: int = 1000,
    pairing: bool | None = None,
    outperforming: bool = True,
) -> Comparison:
    """One comparison, b against a (Δ = mean(b) − mean(a)), as a :class:`Comparison`.

    ``a``/``b`` are each the runs of one variant (a DataFrame; non-ok rows are counted,
    not used), a variant name (then ``runs`` is required), or a plain array of metric
    values (seeds 0, 1, ...).  A single comparison is a family of one, so
    ``p_holm == p_value`` and the interval is at 1 − alpha.  ``pairing``: True/False
    states whether the same seed means the same split on both sides; None lets the
    stored configs decide (plain arrays: Welch).  ``ci_level`` is accepted for old
    callers; the level follows ``alpha`` so that interval and verdict agree.
    """
    higher_is_better = _higher_is_better(metric, higher_is_better)

    def side(x: Any) -> tuple[Any, np.ndarray, np.ndarray, pd.DataFrame | None]:
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
            seeds = np.arange(vals.size)
            keep = ~np.isnan(vals)
            return None, vals[keep], seeds[keep], None
        _check_columns(frame, ("variant", "status", metric))
        names = list(pd.unique(frame["variant"]))
        if len(names) > 1:
            raise BenchError(f"compare() needs the runs of one variant per side, got {names}")
        if not names:
            return None, np.array([]), np.array([], dtype=np.int64), frame
        values, seeds = _seeded(ok_runs(frame), names[0], metric)
        return names[0], values, seeds, frame

    name_a, xa, sa, frame_a = side(a)
    name_b, xb, sb, frame_b = side(b)
    name_a = "a" if name_a is None else name_a
    name_b = "b" if name_b is None else name_b
    both = None
    if frame_a is not None and frame_b is not None:
        both = pd.concat([frame_a, frame_b], ignore_index=True)
    sets = _datasets(ok_runs(both)) if both is not None else {}
    real = _pairing_real(pairing, sets.get(name_a), sets.get(name_b))
    rec, diff = _measure(
        xa, sa, xb, sb, pairing_real=real, variant=name_b, baseline=name_a, metric=metric,
        higher_is_better=higher_is_better, alpha=alpha, min_effect=min_effect,
        outperforming=outperforming,
    )  # fmt: skip
    rec["interval_sources"] = _sources(sets.get(name_a), sets.get(name_b))
    by_seed = None
    if both is not None:
        ok = ok_runs(both)
        by_seed = _runs_by_seed(ok) if predictions else None
        _fill_run_context(
            rec, by_seed, _status_counts(both), name_a, name_b, predictions, _cost_means(ok)
        )
    else:
        _fill_counts(rec, {Status.OK.value: int(xa.size)}, {Status.OK.value: int(xb.size)})
    (row,) = _decide_family([rec], [diff], power, max_seeds)
    if both is not None:
        _fill_bootstrap([row], by_seed, predictions)
    return Comparison.from_row(row)


def _sources(*datasets: set[Any] | None) -> str:
    """Which sources of variance the t interval covers (see :data:`VARIANCE_SOURCES`)."""
    return "seeds_splits" if _resampled(datasets) else "seeds"


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
    ci_level: float | None = None,
    power: float = 0.8,
    max_seeds: int = 1000,
    pairing: bool | None = None,
    outperforming: bool = True,
    design: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every other variant against ``baseline`` on ``metric``: one Holm family, one row each.

    One row per variant (suite order), columns :func:`comparison_columns` (the fields of
    :class:`Comparison`; :func:`records` turns the rows back into records).

    * Test: paired t over per-seed differences where the pairing is real -- same seeds
      and the same dataset section in the stored configs (or ``pairing=True``) --,
      Welch's t otherwise; ``method`` and ``pairing`` say which and why.
    * Family: every compared variant; an untestable comparison enters as p = 1.
      Intervals are Holm-consistent (``ci_level`` = the level of Holm's last step), so
      "better"/"worse" rows exclude zero and "no significant difference" rows hold it.
    * Verdict: fewer than 2 ok seeds → inconclusive; zero spread on a metric that varies
      by seed → inconclusive; the whole interval inside ±min_effect → smaller than
      min_effect; Holm rejects and |Δ| ≥ min_effect → better/worse (higher/lower for a
      metric without a better side); Holm rejects with |Δ| < min_effect but an interval
      reaching past it → inconclusive (size undecided); else no significant difference.
    * Failed and diverged runs: left out of the test, their rates compared by Fisher's
      exact test (``rate_p``, ``rates_differ``: the verdict is then about converged runs).
    * ``seeds_needed``: per side, to detect ``min_effect`` with ``power`` at the Holm level
      α/m -- never the observed Δ; ``seed_estimate`` says whether it could be given.
    * ``p_beats``: P(a run of the variant beats a run of the baseline), with a bootstrap
      interval over seeds; with ``predictions`` and accuracy, ``boot_ci_*`` is the
      two-level (seeds × test examples) interval of Δ.  ``ci_level`` is accepted for old
      callers; the level follows ``alpha``.
    * ``design``: the record of a group-sequential design the seeds were added by
      (:meth:`bench.adaptive.AdaptiveSummary.design_record`).  Testing the final seeds
      as if their number had been fixed would ignore the looks taken; so significance,
      interval (the repeated confidence interval) and adjusted p come from the design's
      decision, recomputed from the stored per-seed values (:func:`sequential_rows`).
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
    sets = _datasets(ok)
    seeded = _seeded_all(ok, metric)
    by_seed = _runs_by_seed(ok) if predictions else None
    empty = (np.array([]), np.array([], dtype=np.int64))
    xa, sa = seeded.get(baseline, empty)
    recs, diffs = [], []
    for variant in variants:
        xb, sb = seeded.get(variant, empty)
        rec, diff = _measure(
            xa, sa, xb, sb, pairing_real=_pairing_real(pairing, sets.get(baseline), sets.get(variant)),
            variant=variant, baseline=baseline, metric=metric, higher_is_better=higher_is_better,
            alpha=alpha, min_effect=min_effect, outperforming=outperforming,
        )  # fmt: skip
        rec["interval_sources"] = _sources(sets.get(baseline), sets.get(variant))
        _fill_run_context(rec, by_seed, counts, baseline, variant, predictions, means)
        recs.append(rec)
        diffs.append(diff)
    rows = _decide_family(recs, diffs, power, max_seeds)
    if design:
        rows = sequential_rows(rows, diffs, runs, baseline, metric, design, power, max_seeds)
    if predictions and metric == _PER_EXAMPLE_METRIC:
        _fill_bootstrap(rows, by_seed, predictions)
    return _frame(rows)


def sequential_rows(
    rows: list[dict[str, Any]],
    diffs: Sequence[inference.Difference],
    runs: pd.DataFrame,
    baseline: Any,
    metric: str,
    design: Mapping[str, Any],
    power: float = 0.8,
    max_seeds: int = 1000,
) -> list[dict[str, Any]]:
    """Re-decide comparison rows by the group-sequential design their seeds were added by.

    The look is recomputed from the per-seed values in seed order (each side up to the
    largest look it reached), with :func:`bench.sequential.decide_look` -- the function
    ``--until-conclusive`` used --, so the family-wise error stays at the design's α over
    all looks.  A rejected variant gets its repeated confidence interval (which excludes
    zero); the others the repeated interval at their last look (which holds it).
    ``p_holm`` becomes the look's p scaled by α / boundary: ≤ α exactly when the boundary
    was crossed.
    """
    from bench import sequential

    plan = sequential.SequentialDesign(
        looks=tuple(design["looks"]), alpha=float(design["alpha"]),
        spending=design["spending"], futility_power=float(design.get("futility_power", 0.1)),
    )  # fmt: skip
    names = [r["variant"] for r in rows]

    def values(variant: Any) -> np.ndarray:
        sub = runs[runs["variant"] == variant]
        seeds = sorted(set(sub["seed"].astype(int).tolist()))
        good = sub[sub["status"] == Status.OK.value]
        by_seed = dict(zip(good["seed"].astype(int).tolist(), good[metric].astype(float).tolist()))
        x = np.array([by_seed.get(s, math.nan) for s in seeds], dtype=float)
        reached = [n for n in plan.looks if n <= x.size]
        return x[: reached[-1]] if reached else x[:0]

    base = values(baseline)
    sides = {v: values(v) for v in names}
    if base.size not in plan.looks or any(
        x.size not in plan.looks or x.size > base.size for x in sides.values()
    ):
        return rows  # the store does not hold the design's looks: nothing to re-decide
    paired = bool(design.get("paired", all(d.method is inference.Method.PAIRED for d in diffs)))
    look = sequential.decide_look(plan, base, sides, paired=paired,
                                  min_effect=float(design.get("min_effect", 0.0)))  # fmt: skip
    out = []
    for row, diff, v in zip(rows, diffs, look.variants):
        rec = {k: row[k] for k in row if not k.endswith("_ratio") and k != "seeds_needed_capped"}
        rec["cost_ratios"] = {
            k[: -len("_ratio")]: val for k, val in row.items() if k.endswith("_ratio")
        }  # fmt: skip
        rejected = v.decision is sequential.Decision.REJECT
        if np.isfinite(v.p_value) and np.isfinite(v.nominal_p) and v.nominal_p > 0:
            p_adj = min(1.0, v.p_value * plan.alpha / v.nominal_p)
        else:
            p_adj = math.nan
        rec.update(
            ci_low=v.rci_low, ci_high=v.rci_high, ci_level=1.0 - v.nominal_p,
            p_holm=p_adj, design_decision=v.decision.value, alpha_spent=v.alpha_spent,
        )  # fmt: skip
        _decide(rec, diff, rejected, len(rows), power, max_seeds)
        out.append(Comparison(**rec).row())
    return out


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The comparison table of some rows (typed columns kept as Python objects)."""
    out = pd.DataFrame(rows, columns=comparison_columns())
    for column in ("seeds_needed", "higher_is_better"):
        out[column] = pd.Series([r[column] for r in rows], dtype=object)
    for column in ("significant", "seeds_needed_capped", "zero_spread", "rates_differ"):
        out[column] = out[column].astype(bool)
    return out


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
    * same: decided by equivalence alone (two one-sided tests at alpha, Schuirmann
      1987; :func:`bench.inference.equivalence`): confirmed when TOST shows |Δ| < margin
      -- even if Δ is significantly different from zero --, refuted when the whole
      (1 − 2α) interval lies beyond ±margin, else inconclusive.  ``margin`` from the
      claim, else max(min_effect, 1 pp for fraction metrics or 1 % of the baseline mean
      otherwise).  The claim carries the (1 − 2α) interval that decided it.
    * An inconclusive comparison (too few seeds, no runs, zero spread), or none at all,
      leaves the claim inconclusive.
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
    level = float(rec.ci_level)
    untestable = rec.reason in (
        Reason.TOO_FEW_SEEDS, Reason.NO_RUNS_BASELINE, Reason.NO_RUNS_VARIANT,
        Reason.NO_RUNS_BOTH, Reason.ZERO_SPREAD,
    )  # fmt: skip
    if untestable or (rec.verdict is Verdict.INCONCLUSIVE and direction != "same"):
        result, reason = ClaimResult.INCONCLUSIVE, ClaimReason.COMPARISON_INCONCLUSIVE
    elif direction == "same":
        lo, hi, level, equivalent = _equivalence(rec, margin)
        if equivalent:
            result, reason = ClaimResult.CONFIRMED, ClaimReason.WITHIN_MARGIN
        elif lo > margin or hi < -margin:
            result, reason = ClaimResult.REFUTED, ClaimReason.OUTSIDE_MARGIN
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
        ci_low=lo, ci_high=hi, ci_level=level, p_holm=float(rec.p_holm),
        margin=margin, comparison=rec,
    )  # fmt: skip


def _equivalence(rec: Comparison, margin: float) -> tuple[float, float, float, bool]:
    """TOST of |Δ| < margin from a comparison's numbers: (1 − 2α) interval, level, verdict.

    A metric without spread (FLOPs, parameters: ``se`` = 0 with a known Δ) is equivalent
    exactly when |Δ| < margin.  Without a standard error (older tables) the row's own
    interval stands in for the (1 − 2α) one -- wider, so never more permissive.
    """
    alpha = float(rec.alpha) if np.isfinite(rec.alpha) else 0.05
    delta, se, df = float(rec.delta), float(rec.se), float(rec.df)
    if margin <= 0:
        return float(rec.ci_low), float(rec.ci_high), float(rec.ci_level), False
    if np.isfinite(se) and se == 0 and np.isfinite(delta):
        return delta, delta, 1.0, abs(delta) < margin
    if not (np.isfinite(se) and np.isfinite(df) and se > 0):
        lo, hi = float(rec.ci_low), float(rec.ci_high)
        return lo, hi, float(rec.ci_level), bool(lo > -margin and hi < margin)
    diff = inference.Difference(
        method=rec.method, reason=rec.pairing, n_a=int(rec.n_baseline), n_b=int(rec.n_variant),
        mean_a=float(rec.mean_baseline), mean_b=float(rec.mean_variant),
        sd_a=float(rec.std_baseline), sd_b=float(rec.std_variant), delta=delta, se=se, df=df,
        t_stat=float(rec.t_stat), p_value=float(rec.p_value), zero_spread=bool(rec.zero_spread),
    )  # fmt: skip
    eq = inference.equivalence(diff, margin, alpha)
    return eq.ci_low, eq.ci_high, 1 - 2 * alpha, eq.equivalent


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


def _per_class_matrix(
    by_seed: Mapping[Any, list[tuple[Any, Any]]],
    variant: Any,
    predictions: Mapping[str, Any],
    num_classes: int,
    seeds: Sequence[int],
) -> np.ndarray:
    """(seeds, classes) class accuracy of a variant's ok runs, one row per seed of ``seeds``."""
    out = np.full((len(seeds), num_classes), np.nan)
    row_of = {int(s): i for i, s in enumerate(seeds)}
    for seed, key in by_seed.get(variant, []):
        if key in predictions:
            out[row_of[int(seed)]] = per_class_accuracy(*predictions[key], num_classes)
    return out


def _prediction_seeds(
    by_seed: Mapping[Any, list[tuple[Any, Any]]], variant: Any, predictions: Mapping[str, Any]
) -> list[int]:
    return [int(s) for s, k in by_seed.get(variant, []) if k in predictions]


def per_class_family_changes(
    runs: pd.DataFrame,
    predictions: Mapping[str, Any],
    baseline: str,
    num_classes: int,
    *,
    variants: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    class_names: Sequence[str] | None = None,
    pairing: bool | None = None,
) -> pd.DataFrame:
    """Every variant × class test against the baseline as one Holm family.

    Per class and seed: the class accuracy of each ok run with predictions.  Paired t
    over seeds where every variant pairs with the baseline by seed (same split, see
    :func:`compare_to_baseline`), Welch otherwise; Holm across all variants and classes
    at once, so an A/A report flags a class in at most α of cases
    (:func:`bench.inference.per_class_family`).  One row per variant and class: columns
    ``variant`` + :data:`PER_CLASS_COLUMNS` + ``ci_level``, ``method``.
    """
    _check_columns(runs, ("key", "variant", "seed", "status"))
    ok = ok_runs(runs)
    names = [v for v in (variants or _variant_order(runs)) if v != baseline]
    sets = _datasets(ok)
    by_seed = _runs_by_seed(ok)
    base_seeds = _prediction_seeds(by_seed, baseline, predictions)
    own = {v: _prediction_seeds(by_seed, v, predictions) for v in names}
    paired = all(
        inference.choose_test(
            base_seeds, own[v], pairing_real=_pairing_real(pairing, sets.get(baseline), sets.get(v))
        ).method is inference.Method.PAIRED
        for v in names
    ) and bool(names)  # fmt: skip
    seeds = sorted(set(base_seeds).union(*[set(s) for s in own.values()]))
    base = _per_class_matrix(by_seed, baseline, predictions, num_classes, seeds)
    stacks = {v: _per_class_matrix(by_seed, v, predictions, num_classes, seeds) for v in names}
    fam = inference.per_class_family(
        base, stacks, pairing_real=paired, alpha=alpha, min_effect=min_effect
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        acc_a = np.nanmean(base, axis=0) if len(seeds) else np.full(num_classes, np.nan)
        n_a = np.sum(~np.isnan(base), axis=0)
        rows = []
        for i, v in enumerate(names):
            mat = stacks[v]
            acc_b = np.nanmean(mat, axis=0) if len(seeds) else np.full(num_classes, np.nan)
            n_b = np.sum(~np.isnan(mat), axis=0)
            for k in range(num_classes):
                delta = float(fam.delta[i, k])
                changed = bool(fam.changed[i, k]) and delta != 0 and n_a[k] >= 2 and n_b[k] >= 2
                rows.append({
                    "variant": v,
                    "class": k,
                    "class_name": class_names[k] if class_names is not None else str(k),
                    "n_baseline": int(n_a[k]),
                    "n_variant": int(n_b[k]),
                    "acc_baseline": float(acc_a[k]),
                    "acc_variant": float(acc_b[k]),
                    "delta": delta,
                    "ci_low": float(fam.ci_low[i, k]),
                    "ci_high": float(fam.ci_high[i, k]),
                    "p_value": float(fam.p_value[i, k]),
                    "p_holm": float(fam.p_holm[i, k]),
                    "changed": changed,
                    "direction": ("up" if delta > 0 else "down") if changed else "",
                    "ci_level": float(fam.level),
                    "method": fam.method,
                })  # fmt: skip
    columns = ["variant", *PER_CLASS_COLUMNS, "ci_level", "method"]
    out = pd.DataFrame(rows, columns=columns)
    out["changed"] = out["changed"].astype(bool)
    return out


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
    ci_level: float | None = None,
    all_classes: bool = False,
    family: Sequence[str] | None = None,
    pairing: bool | None = None,
) -> pd.DataFrame:
    """Classes whose accuracy changed significantly between baseline and one variant.

    The Holm family is every variant × class test of ``family`` (default: every variant
    of ``runs`` other than the baseline), as :func:`per_class_family_changes` computes it
    -- so asking about one variant at a time does not raise the report's false-flag
    rate.  ``changed``: Holm rejects and |Δ| ≥ min_effect with ≥ 2 seeds on each side.
    Returns only changed classes unless ``all_classes=True``; columns
    :data:`PER_CLASS_COLUMNS`.  ``ci_level`` is accepted for old callers (the intervals
    are Holm-consistent at the family's level).
    """
    _check_columns(runs, ("key", "variant", "status"))
    names = list(family) if family is not None else [
        v for v in _variant_order(runs) if v != baseline
    ]  # fmt: skip
    if variant not in names:
        names.append(variant)
    table = per_class_family_changes(
        runs, predictions, baseline, num_classes, variants=names, alpha=alpha,
        min_effect=min_effect, class_names=class_names, pairing=pairing,
    )  # fmt: skip
    return per_class_rows(table, variant, all_classes=all_classes)


def per_class_rows(family: pd.DataFrame, variant: str, *, all_classes: bool = False) -> pd.DataFrame:
    """One variant's rows of a :func:`per_class_family_changes` table (only the changed
    classes unless ``all_classes``), columns :data:`PER_CLASS_COLUMNS`."""
    mine = family["variant"].to_numpy() == variant
    if not all_classes:
        mine &= family["changed"].to_numpy(dtype=bool)
    return family.loc[mine, PER_CLASS_COLUMNS].reset_index(drop=True)


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
    ci_level: float | None = None,
    power: float = 0.8,
    max_seeds: int = 1000,
    pairing: bool | None = None,
) -> pd.DataFrame:
    """Each variant measured twice (two runs tables of one suite): new against old.

    For ``bench diff OLD NEW`` -- another commit, machine or library version.  One row
    per variant present in both tables (``old``'s order unless ``variants`` is given),
    columns :func:`comparison_columns`; ``baseline`` holds ``labels[0]`` and Δ is
    mean(new) − mean(old).  A variant that ran the same seeds on the same dataset
    section in both stores is compared paired by seed (the seed luck both share
    cancels), else by Welch.  The Holm family is every compared variant, exactly as in
    :func:`compare_to_baseline`.  Cost ratios are new mean / old mean.
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
    sets_old, sets_new = _datasets(ok_old), _datasets(ok_new)
    recs, diffs = [], []
    seeded_old, seeded_new = _seeded_all(ok_old, metric), _seeded_all(ok_new, metric)
    empty = (np.array([]), np.array([], dtype=np.int64))
    for variant in variants:
        xa, sa = seeded_old.get(variant, empty)
        xb, sb = seeded_new.get(variant, empty)
        rec, diff = _measure(
            xa, sa, xb, sb,
            pairing_real=_pairing_real(pairing, sets_old.get(variant), sets_new.get(variant)),
            variant=variant, baseline=labels[0], metric=metric,
            higher_is_better=higher_is_better, alpha=alpha, min_effect=min_effect,
            outperforming=True,
        )  # fmt: skip
        rec["interval_sources"] = _sources(sets_old.get(variant), sets_new.get(variant))
        _fill_counts(rec, counts_old.get(variant, {}), counts_new.get(variant, {}))
        rec["cost_ratios"] = _cost_ratios(means_old, means_new, variant, variant)
        recs.append(rec)
        diffs.append(diff)
    return _frame(_decide_family(recs, diffs, power, max_seeds))


# --------------------------------------------------------------------------- regression gate


@dataclass(frozen=True)
class GateRow:
    """One gate test: a variant on one metric, new against old, non-inferiority at ``margin``."""

    variant: Any
    metric: str
    method: inference.Method
    n_old: int
    n_new: int
    worse_by: float  # estimated, in the metric's units; positive = worse
    margin: float
    p_value: float  # one-sided, H0: worse by at most the margin
    p_holm: float  # Holm across every gate test (all metrics, all variants)
    failed: bool


def regression_gate(
    old: pd.DataFrame,
    new: pd.DataFrame,
    gate_metrics: Sequence[str],
    *,
    margins: Mapping[str, float] | float = 0.0,
    variants: Sequence[str] | None = None,
    alpha: float = 0.05,
    pairing: bool | None = None,
) -> list[GateRow]:
    """``bench diff OLD NEW --fail-on-regression --margin M``: fail only on a regression beyond M.

    For each variant in both tables and each gate metric, a one-sided non-inferiority
    test of "new is worse than old by at most the margin"
    (:func:`bench.inference.regression_test`), paired by seed where both stores ran the
    same seeds on the same dataset section (the seed luck they share cancels), Welch
    otherwise.  All gate tests -- every metric, every variant -- form one Holm family
    (:func:`bench.inference.regression_gate`), so a gate without a regression beyond the
    margins fails in at most α of cases however many metrics it checks.  A variant
    without two runs on a side is untestable and never fails the gate.
    """
    common = [v for v in _variant_order(old) if v in set(new["variant"])]
    names = list(variants) if variants is not None else common
    ok_old, ok_new = ok_runs(old), ok_runs(new)
    sets_old, sets_new = _datasets(ok_old), _datasets(ok_new)
    tests, heads = [], []
    for metric in gate_metrics:
        for frame in (old, new):
            _check_columns(frame, ("variant", "status", metric))
        margin = float(margins.get(metric, 0.0) if isinstance(margins, Mapping) else margins)
        higher = metrics.get(metric).higher_is_better
        if higher is None:
            raise BenchError(f"--fail-metric: {metric} has no better side, so it cannot regress")
        seeded_old, seeded_new = _seeded_all(ok_old, metric), _seeded_all(ok_new, metric)
        empty = (np.array([]), np.array([], dtype=np.int64))
        for variant in names:
            (xa, sa), (xb, sb) = seeded_old.get(variant, empty), seeded_new.get(variant, empty)
            real = _pairing_real(pairing, sets_old.get(variant), sets_new.get(variant))
            if np.unique(sa).size < sa.size or np.unique(sb).size < sb.size:
                real = False
            diff = inference.mean_difference(xa, xb, seeds_a=sa, seeds_b=sb, pairing_real=real,
                                             noisy=metrics.get(metric).varies_by_seed)  # fmt: skip
            tests.append(inference.regression_test(diff, margin, higher_is_better=higher, metric=metric))
            heads.append((variant, diff))
    gate = inference.regression_gate(tests, alpha)
    return [
        GateRow(variant, test.metric, test.method, diff.n_a, diff.n_b, test.worse_by, test.margin,
                test.p_value, float(gate.p_holm[i]), bool(gate.failed[i]))  # fmt: skip
        for i, (test, (variant, diff)) in enumerate(zip(tests, heads))
    ]
