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

The module is pure pandas + numpy + scipy; it never imports TensorFlow or Keras.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from bench.errors import BenchError

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
    "PHRASES",
    "McNemarResult",
    "ok_runs",
    "metric_columns",
    "summarize",
    "summary_wide",
    "holm",
    "power_two_sample",
    "required_seeds",
    "mcnemar",
    "compare",
    "compare_to_baseline",
    "check_claims",
    "pareto_front",
    "per_class_accuracy",
    "confusion_matrix",
    "per_class_changes",
    "conclusion_sentences",
    "higher_is_better_default",
    "is_fraction_metric",
]

# --------------------------------------------------------------------------- constants

BETTER = "better"
WORSE = "worse"
NO_DIFFERENCE = "no significant difference"
INCONCLUSIVE = "inconclusive"
#: The only values the ``verdict`` column ever takes.
VERDICTS = (BETTER, WORSE, NO_DIFFERENCE, INCONCLUSIVE)

CONFIRMED = "confirmed"
REFUTED = "refuted"
#: The only values the ``result`` column of :func:`check_claims` takes.
CLAIM_RESULTS = (CONFIRMED, REFUTED, INCONCLUSIVE)

#: Statuses a run can have; only ``'ok'`` counts in statistics.
STATUSES = ("ok", "failed", "diverged", "budget")
_ID_COLUMNS = ("key", "variant", "seed", "status")

#: Metrics where a lower value is the better one (used when ``higher_is_better=None``).
LOWER_IS_BETTER = frozenset(
    {"loss", "val_loss", "flops", "params", "train_seconds", "latency_ms", "error_rate"}
)

#: Cost metrics whose ratio (variant mean / baseline mean) each comparison reports.
COST_METRICS = ("flops", "train_seconds", "params")

#: Default half-width of the equivalence band for a 'same' claim on an accuracy-type
#: metric (values in 0..1): one percentage point.
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

#: Columns of :func:`compare_to_baseline` (and keys of :func:`compare`'s dict).
COMPARISON_COLUMNS = [
    "variant",
    "baseline",
    "metric",
    "higher_is_better",
    "n_baseline",
    "n_variant",
    "mean_baseline",
    "mean_variant",
    "std_baseline",
    "std_variant",
    "delta",
    "ci_low",
    "ci_high",
    "ci_level",
    "df",
    "t_stat",
    "p_value",
    "p_holm",
    "cohen_d",
    "hedges_g",
    "verdict",
    "verdict_detail",
    "significant",
    "seeds_needed",
    "seeds_needed_capped",
    "seeds_needed_effect",
    "mcnemar_b",
    "mcnemar_c",
    "mcnemar_seeds",
    "mcnemar_p",
    "flops_ratio",
    "train_seconds_ratio",
    "params_ratio",
    "failed_baseline",
    "diverged_baseline",
    "budget_baseline",
    "failed_variant",
    "diverged_variant",
    "budget_variant",
    "alpha",
    "min_effect",
]

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

# --------------------------------------------------------------------------- wording
#: Every phrase a generated sentence or claim reason uses, per language, so that a
#: translation (e.g. ``PHRASES["ru"]``) is one more dictionary and no code change.
PHRASES: dict[str, dict[str, Any]] = {
    "en": {
        # sentences, one per verdict
        "significant": "{label}: {metric} {moved} by {size} ({ci_label} {ci}, {p}, {seeds}){cost}.",
        "below_min_effect": (
            "{label}: {metric} changed by {delta} ({ci_label} {ci}, {p}, {seeds}), less than "
            "the minimum effect of {min_effect} that counts as a real change{cost}."
        ),
        "no_difference": (
            "{label}: {metric} did not change measurably ({delta}, {ci_label} {ci}, {p}, "
            "{seeds}){need}{cost}."
        ),
        "inconclusive": (
            "{label}: the {metric} comparison is inconclusive with {seeds}{observed}; {need}."
        ),
        "inconclusive_no_runs": "{label}: the {metric} comparison is inconclusive: {who}.",
        # pieces
        "rose": "rose",
        "fell": "fell",
        "ci_label": "{level}% CI",
        "range": "{low}…{high}",
        "p": "Holm-adjusted p = {p}",
        "p_small": "Holm-adjusted p < {p}",
        "seeds_each": "{n} seeds each",
        "seeds_vs": "{n_variant} vs {n_baseline} seeds",
        "seed_count": {1: "1 seed", "other": "{n} seeds"},
        "observed": " (observed difference {delta})",
        "need_seeds": "about {n} seeds per variant would decide a difference of {size}",
        "need_seeds_capped": (
            "more than {n} seeds per variant would be needed to decide a difference of {size}"
        ),
        "need_spread": "at least 2 successful seeds per variant are needed to estimate the spread",
        "need_zero": "no difference was observed, so no number of seeds can be given",
        "no_diff_need": (
            "; about {n} seeds per variant would be needed to resolve a difference of {size}"
        ),
        "no_diff_need_capped": (
            "; even {n} seeds per variant would not resolve a difference of {size}"
        ),
        "no_runs_variant": "no successful runs of the variant",
        "no_runs_baseline": "no successful runs of the baseline",
        "no_runs_both": "no successful runs of either the variant or the baseline",
        "excluded": "{parts} run(s) excluded",
        "status_failed": "{n} failed",
        "status_diverged": "{n} diverged",
        "status_budget": "{n} over budget",
        "list_sep": ", ",
        "cost": "; it costs {parts}",
        "cost_and": " and ",
        "cost_flops": "{r}× the FLOPs",
        "cost_train_seconds": "{r}× the training time",
        "cost_params": "{r}× the parameters",
        "pp": " pp",
        "metric_labels": {
            "accuracy": "accuracy",
            "top5_accuracy": "top-5 accuracy",
            "coarse_accuracy": "coarse accuracy",
            "loss": "loss",
            "flops": "FLOPs",
            "params": "parameter count",
            "train_seconds": "training time",
            "images_per_second": "throughput",
            "latency_ms": "latency",
        },
        "units": {
            "train_seconds": " s",
            "latency_ms": " ms",
            "images_per_second": " images/s",
        },
        # check_claims reasons
        "claim_no_row": "no comparison of {variant!r} on {metric!r} against the baseline",
        "claim_inconclusive": "the comparison itself is inconclusive ({detail})",
        "claim_sig_same_dir": "significant change in the claimed direction ({verdict})",
        "claim_sig_other_dir": "significant change in the opposite direction ({verdict})",
        "claim_ci_excludes_up": (
            "not significant and the CI excludes an increase larger than {margin}"
        ),
        "claim_ci_excludes_down": (
            "not significant and the CI excludes a decrease larger than {margin}"
        ),
        "claim_ci_too_wide": (
            "not significant, but the CI still allows a change in the claimed direction"
        ),
        "claim_same_confirmed": "not significant and the whole CI lies within ±{margin}",
        "claim_same_refuted": "significant change ({verdict})",
        "claim_same_wide": "not significant, but the CI reaches beyond ±{margin}",
    },
    # Russian: sentences are built so that no word has to agree with the metric's gender
    # ("точность — рост на …"), and counts are written "сидов: 3" (no plural forms needed).
    "ru": {
        "significant": "{label}: {metric} — {moved} на {size} ({ci_label} {ci}, {p}, {seeds}){cost}.",
        "below_min_effect": (
            "{label}: {metric} — изменение на {delta} ({ci_label} {ci}, {p}, {seeds}), меньше "
            "минимального эффекта {min_effect}, который считается реальным изменением{cost}."
        ),
        "no_difference": (
            "{label}: {metric} — измеримого изменения нет ({delta}, {ci_label} {ci}, {p}, "
            "{seeds}){need}{cost}."
        ),
        "inconclusive": (
            "{label}: сравнение по метрике «{metric}» не дало вывода (сидов: {seeds}){observed}; {need}."
        ),
        "inconclusive_no_runs": "{label}: сравнение по метрике «{metric}» не дало вывода: {who}.",
        "rose": "рост",
        "fell": "снижение",
        "ci_label": "{level}% ДИ",
        "range": "{low}…{high}",
        "p": "p с поправкой Холма = {p}",
        "p_small": "p с поправкой Холма < {p}",
        "seeds_each": "сидов: по {n}",
        "seeds_vs": "сидов: {n_variant} против {n_baseline}",
        "seed_count": {"other": "{n}"},
        "observed": " (наблюдаемая разница {delta})",
        "need_seeds": "чтобы различить разницу в {size}, нужно сидов на вариант: около {n}",
        "need_seeds_capped": (
            "чтобы различить разницу в {size}, нужно сидов на вариант: больше {n}"
        ),
        "need_spread": "чтобы оценить разброс, нужно хотя бы 2 успешных сида на вариант",
        "need_zero": "разницы не наблюдалось, поэтому нужное число сидов оценить нельзя",
        "no_diff_need": (
            "; чтобы различить разницу в {size}, понадобилось бы сидов на вариант: около {n}"
        ),
        "no_diff_need_capped": (
            "; разницу в {size} не различить даже при числе сидов на вариант {n}"
        ),
        "no_runs_variant": "у варианта нет успешных запусков",
        "no_runs_baseline": "у базового варианта нет успешных запусков",
        "no_runs_both": "нет успешных запусков ни у варианта, ни у базового",
        "excluded": "исключены запуски: {parts}",
        "status_failed": "с ошибкой — {n}",
        "status_diverged": "разошлись — {n}",
        "status_budget": "вне бюджета — {n}",
        "list_sep": ", ",
        "cost": "; затраты: {parts}",
        "cost_and": " и ",
        "cost_flops": "{r}× FLOPs",
        "cost_train_seconds": "{r}× времени обучения",
        "cost_params": "{r}× параметров",
        "pp": " п.п.",
        "metric_labels": {
            "accuracy": "точность",
            "top5_accuracy": "точность top-5",
            "coarse_accuracy": "точность по надклассам",
            "loss": "потери",
            "flops": "FLOPs",
            "params": "число параметров",
            "train_seconds": "время обучения",
            "images_per_second": "пропускная способность",
            "latency_ms": "задержка",
        },
        "units": {
            "train_seconds": " с",
            "latency_ms": " мс",
            "images_per_second": " изобр./с",
        },
        "claim_no_row": "нет сравнения {variant!r} с базовым вариантом по метрике {metric!r}",
        "claim_inconclusive": "само сравнение не дало вывода",
        "claim_sig_same_dir": "значимое изменение в заявленном направлении ({verdict})",
        "claim_sig_other_dir": "значимое изменение в противоположном направлении ({verdict})",
        "claim_ci_excludes_up": (
            "различие незначимо, и ДИ исключает рост больше чем на {margin}"
        ),
        "claim_ci_excludes_down": (
            "различие незначимо, и ДИ исключает снижение больше чем на {margin}"
        ),
        "claim_ci_too_wide": (
            "различие незначимо, но ДИ ещё допускает изменение в заявленном направлении"
        ),
        "claim_same_confirmed": "различие незначимо, и весь ДИ лежит в пределах ±{margin}",
        "claim_same_refuted": "значимое изменение ({verdict})",
        "claim_same_wide": "различие незначимо, но ДИ выходит за пределы ±{margin}",
    },
}

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
    return runs[runs["status"] == "ok"]


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """Numeric columns other than the identifiers: the metrics a summary covers by default."""
    return [
        c
        for c in runs.columns
        if c not in _ID_COLUMNS
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
    ]


def higher_is_better_default(metric: str) -> bool:
    """Whether a larger value of ``metric`` is the better one (loss, time, cost: no)."""
    return metric not in LOWER_IS_BETTER


def is_fraction_metric(metric: str, *values: float) -> bool:
    """Accuracy-type metric stored as a fraction in 0..1, reported in percentage points."""
    if "accuracy" not in metric.lower():
        return False
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return all(0.0 <= v <= 1.0 for v in finite)


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
                    "n_ok": c.get("ok", 0),
                    "n_failed": c.get("failed", 0),
                    "n_diverged": c.get("diverged", 0),
                    "n_budget": c.get("budget", 0),
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


def _seed_text(n: int, lang: str = "en") -> str:
    forms = PHRASES[lang]["seed_count"]
    return forms.get(n, forms["other"]).format(n=n)


def _decide(
    rec: dict[str, Any],
    p_for_verdict: float,
    alpha: float,
    min_effect: float,
    higher_is_better: bool,
    power: float,
    max_seeds: int,
) -> None:
    """Fill verdict, verdict_detail, significant, seeds_needed(_capped) into ``rec``."""
    na, nb, delta = rec["n_baseline"], rec["n_variant"], rec["delta"]
    sd_a, sd_b = rec["std_baseline"], rec["std_variant"]
    # spread for the power calculation: each side's own, or the other side's if unknown
    sd_a_pw = sd_a if np.isfinite(sd_a) else sd_b
    sd_b_pw = sd_b if np.isfinite(sd_b) else sd_a
    target = max(abs(delta), min_effect) if np.isfinite(delta) else math.nan
    needed, capped = None, False
    if na < 2 or nb < 2:
        verdict = INCONCLUSIVE
        k = min(na, nb)
        detail = f"{INCONCLUSIVE} — {_seed_text(k)}"
        if na != nb:
            detail += f" (baseline {na}, variant {nb})"
        if k > 0:
            needed, capped = required_seeds(target, sd_a_pw, sd_b_pw, alpha, power, max_seeds)
    elif p_for_verdict < alpha and abs(delta) >= min_effect and delta != 0:
        verdict = BETTER if (delta > 0) == higher_is_better else WORSE
        detail = f"{verdict} — p_holm = {p_for_verdict:.3g}"
    else:
        verdict = NO_DIFFERENCE
        if p_for_verdict < alpha:
            detail = f"{verdict} — |Δ| = {abs(delta):.3g} below min_effect {min_effect:.3g}"
        else:
            detail = f"{verdict} — p_holm = {p_for_verdict:.3g}"
            needed, capped = required_seeds(target, sd_a_pw, sd_b_pw, alpha, power, max_seeds)
    rec.update(
        verdict=verdict,
        verdict_detail=detail,
        significant=verdict in (BETTER, WORSE),
        seeds_needed=needed,
        seeds_needed_capped=capped,
        seeds_needed_effect=target if needed is not None else math.nan,
    )


def _empty_record() -> dict[str, Any]:
    return {c: math.nan for c in COMPARISON_COLUMNS}


def _comparison_record(
    xa: np.ndarray,
    xb: np.ndarray,
    *,
    variant: Any,
    baseline: Any,
    metric: str,
    higher_is_better: bool,
    ci_level: float,
    alpha: float,
    min_effect: float,
    ttest: tuple[float, float] | None = None,
) -> dict[str, Any]:
    w = _welch(xa, xb, ci_level, ttest)
    rec = _empty_record()
    rec.update(
        variant=variant, baseline=baseline, metric=metric, higher_is_better=higher_is_better,
        n_baseline=int(xa.size), n_variant=int(xb.size),
        mean_baseline=w["mean_a"], mean_variant=w["mean_b"],
        std_baseline=w["std_a"], std_variant=w["std_b"],
        delta=w["delta"], ci_low=w["ci_low"], ci_high=w["ci_high"], ci_level=ci_level,
        df=w["df"], t_stat=w["t_stat"], p_value=w["p_value"],
        cohen_d=w["cohen_d"], hedges_g=w["hedges_g"],
        mcnemar_b=0, mcnemar_c=0, mcnemar_seeds=0, mcnemar_p=math.nan,
        failed_baseline=0, diverged_baseline=0, budget_baseline=0,
        failed_variant=0, diverged_variant=0, budget_variant=0,
        alpha=alpha, min_effect=min_effect,
    )  # fmt: skip
    return rec


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


def _fill_run_context(
    rec: dict[str, Any],
    ok: pd.DataFrame,
    counts: dict[Any, dict[str, int]],
    baseline: Any,
    variant: Any,
    predictions: Mapping[str, Any] | None,
    means: pd.DataFrame | None,
) -> None:
    for side, name in (("baseline", baseline), ("variant", variant)):
        c = counts.get(name, {})
        rec[f"failed_{side}"] = c.get("failed", 0)
        rec[f"diverged_{side}"] = c.get("diverged", 0)
        rec[f"budget_{side}"] = c.get("budget", 0)
    for cost in COST_METRICS:
        ratio = math.nan
        if means is not None and cost in means.columns:
            base = means[cost].get(baseline, math.nan)
            var = means[cost].get(variant, math.nan)
            if np.isfinite(base) and np.isfinite(var) and base != 0:
                ratio = float(var / base)
        rec[f"{cost}_ratio"] = ratio
    if predictions:
        res = _mcnemar_for(ok, baseline, variant, predictions)
        if res is not None:
            rec.update(
                mcnemar_b=res.b, mcnemar_c=res.c, mcnemar_seeds=res.n_pairs, mcnemar_p=res.p_value
            )


def _cost_means(ok: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in COST_METRICS if c in ok.columns]
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
) -> dict[str, Any]:
    """One comparison, b against a (Δ = mean(b) − mean(a)); a dict keyed by COMPARISON_COLUMNS.

    ``a``/``b`` are each the runs of one variant (a DataFrame; non-ok rows are counted,
    not used), a variant name (then ``runs`` is required), or a plain array of metric
    values.  A single comparison is a family of one, so ``p_holm == p_value`` here;
    use :func:`compare_to_baseline` for a suite.  McNemar (``predictions``) is a
    supplement on same-seed runs and never changes the verdict.
    """
    if higher_is_better is None:
        higher_is_better = higher_is_better_default(metric)

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
    return rec


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

    One row per variant (suite order), columns :data:`COMPARISON_COLUMNS`.  The Holm
    family is every compared variant of the suite; an untestable (inconclusive)
    comparison enters it as p = 1, so the family does not shrink when runs fail.
    Verdict: fewer than 2 ok seeds on either side -> 'inconclusive'; Holm p < alpha
    and |Δ| >= min_effect -> 'better'/'worse' (by sign and ``higher_is_better``;
    ``None`` means lower is better for loss, time, FLOPs, params, latency); else
    'no significant difference'.  ``seeds_needed`` (per side, 80 % power at ``alpha``,
    observed spread) is given for inconclusive and not-significant rows when it can be
    estimated; the effect it is for, max(|Δ|, min_effect), is ``seeds_needed_effect``;
    ``seeds_needed_capped`` marks "more than ``max_seeds``".  Cost ratios are variant
    mean / baseline mean.
    """
    _check_columns(runs, ("variant", "status", metric))
    if higher_is_better is None:
        higher_is_better = higher_is_better_default(metric)
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
    records = []
    for variant, xb, ttest in zip(variants, xbs, _batched_ttests(xa, xbs)):
        rec = _comparison_record(
            xa, xb, variant=variant, baseline=baseline, metric=metric,
            higher_is_better=higher_is_better, ci_level=ci_level, alpha=alpha,
            min_effect=min_effect, ttest=ttest,
        )  # fmt: skip
        _fill_run_context(rec, ok, counts, baseline, variant, predictions, means)
        records.append(rec)
    return _holm_and_decide(records, alpha, min_effect, higher_is_better, power, max_seeds)


# --------------------------------------------------------------------------- claims


def _default_margin(row: Mapping[str, Any], min_effect: float) -> float:
    metric = str(row["metric"])
    if is_fraction_metric(metric, row["mean_baseline"], row["mean_variant"]):
        base = DEFAULT_SAME_MARGIN_FRACTION
    else:
        mb = row["mean_baseline"]
        base = DEFAULT_SAME_MARGIN_RELATIVE * abs(mb) if np.isfinite(mb) else 0.0
    return max(min_effect, base)


def check_claims(
    comparisons: pd.DataFrame, claims: Iterable[Mapping[str, Any]], lang: str = "en"
) -> pd.DataFrame:
    """Check stated expectations against the verdict rows; columns :data:`CLAIM_COLUMNS`.

    A claim is ``{variant, metric, direction: 'up'|'down'|'same', note, [margin]}``;
    the direction is about the metric's value (not better/worse).  Rules:

    * up: confirmed if significant with Δ > 0; refuted if significant with Δ < 0,
      or if not significant and the CI's upper bound is <= min_effect (the data
      exclude any increase that would count); otherwise inconclusive.  down: mirrored.
    * same: confirmed if not significant and the whole CI lies within ±margin
      (``margin`` from the claim, else max(min_effect, 1 pp for accuracy-type metrics
      or 1 % of the baseline mean otherwise)); refuted if significant; else inconclusive.
    * An inconclusive comparison, or none at all, leaves the claim inconclusive.
    """
    ph = PHRASES[lang]
    rows = []
    index = {}
    if len(comparisons):
        for _, r in comparisons.iterrows():
            index[(r["variant"], r["metric"])] = r
    for claim in claims:
        variant, direction = claim.get("variant"), claim.get("direction")
        metric = claim.get("metric", "accuracy")
        if direction not in ("up", "down", "same"):
            raise BenchError(
                f"claim about {variant!r}: direction must be 'up', 'down' or 'same', "
                f"got {direction!r}"
            )
        out = {c: math.nan for c in CLAIM_COLUMNS}
        out.update(variant=variant, metric=metric, direction=direction, note=claim.get("note", ""))
        row = index.get((variant, metric))
        if row is None:
            out.update(
                result=INCONCLUSIVE, verdict=None,
                reason=ph["claim_no_row"].format(variant=variant, metric=metric),
            )  # fmt: skip
            rows.append(out)
            continue
        verdict, delta = row["verdict"], float(row["delta"])
        lo, hi = float(row["ci_low"]), float(row["ci_high"])
        min_effect = float(row["min_effect"]) if np.isfinite(row["min_effect"]) else 0.0
        margin = claim.get("margin")
        margin = float(margin) if margin is not None else _default_margin(row, min_effect)
        if direction != "same":
            margin = min_effect if claim.get("margin") is None else margin
        out.update(
            verdict=verdict, delta=delta, ci_low=lo, ci_high=hi,
            p_holm=float(row["p_holm"]), margin=margin,
        )  # fmt: skip
        fmt_margin = _fmt_effect(str(metric), margin, row, lang, signed=False)
        significant = verdict in (BETTER, WORSE)
        if verdict == INCONCLUSIVE:
            result = INCONCLUSIVE
            reason = ph["claim_inconclusive"].format(detail=row["verdict_detail"])
        elif direction == "same":
            if significant:
                result, reason = REFUTED, ph["claim_same_refuted"].format(verdict=verdict)
            elif lo >= -margin and hi <= margin:
                result, reason = CONFIRMED, ph["claim_same_confirmed"].format(margin=fmt_margin)
            else:
                result, reason = INCONCLUSIVE, ph["claim_same_wide"].format(margin=fmt_margin)
        else:
            sign = 1.0 if direction == "up" else -1.0
            if significant and sign * delta > 0:
                result, reason = CONFIRMED, ph["claim_sig_same_dir"].format(verdict=verdict)
            elif significant:
                result, reason = REFUTED, ph["claim_sig_other_dir"].format(verdict=verdict)
            elif (hi <= margin) if direction == "up" else (lo >= -margin):
                key = "claim_ci_excludes_up" if direction == "up" else "claim_ci_excludes_down"
                result, reason = REFUTED, ph[key].format(margin=fmt_margin)
            else:
                result, reason = INCONCLUSIVE, ph["claim_ci_too_wide"]
        out.update(result=result, reason=reason)
        rows.append(out)
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


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


# --------------------------------------------------------------------------- sentences


def _signed(text: str, value: float) -> str:
    return ("+" if value >= 0 else "−") + text


def _decimals(value: float, sig: int = 3) -> int:
    if value == 0 or not np.isfinite(value):
        return 1
    return max(0, sig - 1 - int(math.floor(math.log10(abs(value)))))


def _fmt_effect(
    metric: str,
    value: float,
    row: Mapping[str, Any],
    lang: str = "en",
    *,
    signed: bool = True,
    decimals: int | None = None,
    unit: bool = True,
) -> str:
    """Format a difference: pp for accuracy-type fractions, else 3 significant digits."""
    ph = PHRASES[lang]
    if not np.isfinite(value):
        return "n/a"
    if is_fraction_metric(metric, row.get("mean_baseline"), row.get("mean_variant")):
        v = abs(value) * 100
        d = decimals if decimals is not None else (1 if v >= 0.1 or v == 0 else 2)
        text = f"{v:.{d}f}" + (ph["pp"] if unit else "")
    else:
        d = decimals if decimals is not None else _decimals(value)
        text = f"{abs(value):,.{d}f}" + (ph["units"].get(metric, "") if unit else "")
    return _signed(text, value) if signed else text


def _fmt_ci(metric: str, row: Mapping[str, Any], lang: str) -> str:
    lo, hi = float(row["ci_low"]), float(row["ci_high"])
    if is_fraction_metric(metric, row.get("mean_baseline"), row.get("mean_variant")):
        d = 1 if max(abs(lo), abs(hi)) * 100 >= 0.1 else 2
    else:
        d = _decimals(max(abs(lo), abs(hi)))
    fmt = lambda v: _fmt_effect(metric, v, row, lang, decimals=d, unit=False)  # noqa: E731
    return PHRASES[lang]["range"].format(low=fmt(lo), high=fmt(hi))


def _fmt_p(p: float, lang: str) -> str:
    ph = PHRASES[lang]
    if p < 0.001:
        return ph["p_small"].format(p="0.001")
    text = f"{p:.3f}" if p < 0.01 else f"{p:.2f}"
    return ph["p"].format(p=text)


def _excluded_text(row: Mapping[str, Any], lang: str) -> str:
    ph = PHRASES[lang]
    parts = []
    for status in ("failed", "diverged", "budget"):
        n = int(np.nan_to_num(row.get(f"{status}_variant", 0))) + int(
            np.nan_to_num(row.get(f"{status}_baseline", 0))
        )
        if n:
            parts.append(ph[f"status_{status}"].format(n=n))
    return ph["excluded"].format(parts=ph["list_sep"].join(parts)) if parts else ""


def _seeds_text(row: Mapping[str, Any], lang: str) -> str:
    ph = PHRASES[lang]
    na, nb = int(row["n_baseline"]), int(row["n_variant"])
    text = ph["seeds_each"].format(n=na) if na == nb else ph["seeds_vs"].format(
        n_variant=nb, n_baseline=na
    )
    excluded = _excluded_text(row, lang)
    return text + (ph["list_sep"] + excluded if excluded else "")


def _cost_text(row: Mapping[str, Any], lang: str) -> str:
    ph = PHRASES[lang]
    parts = []
    for cost in ("flops", "train_seconds"):
        r = row.get(f"{cost}_ratio", math.nan)
        if r is not None and np.isfinite(r):
            parts.append(ph[f"cost_{cost}"].format(r=f"{r:.2f}"))
    return ph["cost"].format(parts=ph["cost_and"].join(parts)) if parts else ""


def _need_size(metric: str, row: Mapping[str, Any], lang: str) -> str:
    size = row.get("seeds_needed_effect", math.nan)
    if size is None or not np.isfinite(size):
        size = abs(float(row["delta"]))
    return _fmt_effect(metric, size, row, lang, signed=False)


def conclusion_sentences(
    comparisons: pd.DataFrame,
    changes: Mapping[str, str] | None = None,
    metric_label: str | None = None,
    lang: str = "en",
) -> list[str]:
    """One sentence per verdict row, built only from that row's statistics.

    ``changes`` maps a variant to a description of what it changed (default: its
    name); ``metric_label`` overrides the metric's name (default: from
    ``PHRASES[lang]['metric_labels']``).  Accuracy-type fractions are written in
    percentage points.  'better'/'worse' rows state the direction and size with CI,
    Holm-adjusted p, seeds and cost ratios; 'no significant difference' rows say the
    metric did not change measurably (and how many seeds would resolve a difference of
    ``seeds_needed_effect``);
    'inconclusive' rows say only that, with the seeds needed when estimable.
    """
    ph = PHRASES[lang]
    changes = changes or {}
    sentences = []
    for _, row in comparisons.iterrows():
        metric = str(row["metric"])
        label = changes.get(row["variant"], str(row["variant"]))
        mlabel = metric_label or ph["metric_labels"].get(metric, metric.replace("_", " "))
        delta, verdict = float(row["delta"]), row["verdict"]
        level = float(row["ci_level"]) if np.isfinite(row["ci_level"]) else 0.95
        common = dict(
            label=label,
            metric=mlabel,
            ci_label=ph["ci_label"].format(level=f"{level * 100:g}"),
            cost=_cost_text(row, lang),
        )
        if verdict in (BETTER, WORSE):
            sentences.append(
                ph["significant"].format(
                    **common,
                    moved=ph["rose"] if delta > 0 else ph["fell"],
                    size=_fmt_effect(metric, delta, row, lang, signed=False),
                    ci=_fmt_ci(metric, row, lang),
                    p=_fmt_p(float(row["p_holm"]), lang),
                    seeds=_seeds_text(row, lang),
                )
            )
        elif verdict == NO_DIFFERENCE:
            me = float(row["min_effect"]) if np.isfinite(row["min_effect"]) else 0.0
            p_holm = float(row["p_holm"])
            if p_holm < float(row["alpha"]) and me > 0:
                sentences.append(
                    ph["below_min_effect"].format(
                        **common,
                        delta=_fmt_effect(metric, delta, row, lang),
                        ci=_fmt_ci(metric, row, lang),
                        p=_fmt_p(p_holm, lang),
                        seeds=_seeds_text(row, lang),
                        min_effect=_fmt_effect(metric, me, row, lang, signed=False),
                    )
                )
                continue
            n = row["seeds_needed"]
            need = ""
            if n is not None and not (isinstance(n, float) and math.isnan(n)):
                key = "no_diff_need_capped" if bool(row["seeds_needed_capped"]) else "no_diff_need"
                need = ph[key].format(n=int(n), size=_need_size(metric, row, lang))
            sentences.append(
                ph["no_difference"].format(
                    **common,
                    delta=_fmt_effect(metric, delta, row, lang),
                    ci=_fmt_ci(metric, row, lang),
                    p=_fmt_p(p_holm, lang),
                    seeds=_seeds_text(row, lang),
                    need=need,
                )
            )
        else:
            na, nb = int(row["n_baseline"]), int(row["n_variant"])
            if min(na, nb) == 0:
                who = (
                    ph["no_runs_both"] if na == nb == 0
                    else ph["no_runs_variant"] if nb == 0 else ph["no_runs_baseline"]
                )  # fmt: skip
                excluded = _excluded_text(row, lang)
                if excluded:
                    who += f" ({excluded})"
                sentences.append(
                    ph["inconclusive_no_runs"].format(label=label, metric=mlabel, who=who)
                )
                continue
            seeds = _seed_text(min(na, nb), lang)
            n = row["seeds_needed"]
            if n is None or (isinstance(n, float) and math.isnan(n)):
                need = ph["need_zero"] if delta == 0 else ph["need_spread"]
            else:
                key = "need_seeds_capped" if bool(row["seeds_needed_capped"]) else "need_seeds"
                need = ph[key].format(n=int(n), size=_need_size(metric, row, lang))
            observed = ph["observed"].format(delta=_fmt_effect(metric, delta, row, lang))
            sentences.append(
                ph["inconclusive"].format(
                    label=label, metric=mlabel, seeds=seeds, observed=observed, need=need
                )
            )
    return sentences


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
    columns :data:`COMPARISON_COLUMNS`; ``baseline`` holds ``labels[0]`` and Δ is
    mean(new) − mean(old).  The Holm family is every compared variant, exactly as in
    :func:`compare_to_baseline` (an untestable row enters as p = 1), so scanning many
    variants for regressions does not inflate the false-alarm rate.  Cost ratios are
    new mean / old mean.  McNemar is not computed: the two tables' run keys coincide.
    """
    for frame in (old, new):
        _check_columns(frame, ("variant", "status", metric))
    if higher_is_better is None:
        higher_is_better = higher_is_better_default(metric)
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
    records = []
    for variant in variants:
        xa, xb = _values(ok_old, variant, metric), _values(ok_new, variant, metric)
        rec = _comparison_record(
            xa, xb, variant=variant, baseline=labels[0], metric=metric,
            higher_is_better=higher_is_better, ci_level=ci_level, alpha=alpha,
            min_effect=min_effect,
        )  # fmt: skip
        for side, counts in (("baseline", counts_old), ("variant", counts_new)):
            c = counts.get(variant, {})
            for status in ("failed", "diverged", "budget"):
                rec[f"{status}_{side}"] = c.get(status, 0)
        for cost in COST_METRICS:
            ratio = math.nan
            if cost in means_old.columns and cost in means_new.columns:
                before = means_old[cost].get(variant, math.nan)
                after = means_new[cost].get(variant, math.nan)
                if np.isfinite(before) and np.isfinite(after) and before != 0:
                    ratio = float(after / before)
            rec[f"{cost}_ratio"] = ratio
        records.append(rec)
    return _holm_and_decide(records, alpha, min_effect, higher_is_better, power, max_seeds)


__all__ += ["compare_measurements"]


def _holm_and_decide(
    records: list[dict[str, Any]],
    alpha: float,
    min_effect: float,
    higher_is_better: Any,
    power: float,
    max_seeds: int,
) -> pd.DataFrame:
    """Holm-adjust one family of comparisons, give each its verdict, return the table.

    Untestable comparisons (NaN p) count in the family as p = 1: the conservative
    reading, so a failed variant never makes the others look more significant.
    """
    p = np.array([r["p_value"] for r in records], dtype=float)
    p_holm = holm(np.where(np.isnan(p), 1.0, p)) if records else p
    for rec, ph in zip(records, p_holm):
        rec["p_holm"] = float(ph) if np.isfinite(rec["p_value"]) else math.nan
        _decide(rec, float(ph), alpha, min_effect, higher_is_better, power, max_seeds)
    out = pd.DataFrame(records, columns=COMPARISON_COLUMNS)
    out["seeds_needed"] = pd.Series([r["seeds_needed"] for r in records], dtype=object)
    out["significant"] = out["significant"].astype(bool)
    out["seeds_needed_capped"] = out["seeds_needed_capped"].astype(bool)
    return out
