"""Sentences from analysis records: the conclusions, verdict details and claim reasons.

Each builder reads one record (:class:`bench.analysis.Comparison` or
:class:`bench.analysis.Claim`, or a table row of one) and picks its words by the record's
``verdict`` / ``reason`` / ``seed_estimate`` fields -- nothing is decided here, and no
text is ever read back.  Numbers go through :mod:`bench.formatting`; words come from the
catalogs (:func:`bench.words.t`); metric labels from :mod:`bench.metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from bench import formatting, metrics
from bench.analysis import (
    Claim,
    ClaimReason,
    Comparison,
    Reason,
    SeedEstimate,
    records,
)
from bench.inference import read_interval
from bench.words import claim_result_word, direction_word, t, verdict_word

__all__ = [
    "measured_text",
    "claim_reason",
    "claim_text",
    "comparison_sentence",
    "conclusion_sentences",
    "verdict_detail",
    "variance_sources",
    "outperforming_text",
]

#: Costs a sentence names ("it costs 1.20× the FLOPs and 0.95× the training time").
_SENTENCE_COSTS = ("flops", "train_seconds")


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _seed_count(n: int, lang: str) -> str:
    return t("sentence.seed_one" if n == 1 else "sentence.seed_many", lang, n=n)


def _excluded(rec: Comparison, lang: str) -> str:
    parts = [t(f"sentence.status_{s.value}", lang, n=n) for s, n in rec.excluded().items()]
    if not parts:
        return ""
    return t("sentence.excluded", lang, parts=t("sentence.list_sep", lang).join(parts))


def _seeds(rec: Comparison, lang: str) -> str:
    na, nb = int(rec.n_baseline), int(rec.n_variant)
    text = (
        t("sentence.seeds_each", lang, n=na)
        if na == nb
        else t("sentence.seeds_vs", lang, n_variant=nb, n_baseline=na)
    )
    excluded = _excluded(rec, lang)
    return text + (t("sentence.list_sep", lang) + excluded if excluded else "")


def _cost(rec: Comparison, lang: str) -> str:
    parts = [
        t("sentence.cost_ratio", lang, ratio=formatting.ratio(r), metric=metrics.label(name, lang))
        for name, r in rec.cost_ratios.items()
        if name in _SENTENCE_COSTS and _finite(r)
    ]
    return t("sentence.cost", lang, parts=t("sentence.cost_and", lang).join(parts)) if parts else ""


def _p(rec: Comparison, lang: str) -> str:
    p = float(rec.p_holm)
    if p < 0.001:
        return t("sentence.p_small", lang, p=formatting.p_value(0.001))
    return t("sentence.p", lang, p=formatting.p_value(p))


def _p_relation(p: float) -> str:
    """"= 0.046" or "< 0.001": the p-value as the p column shows it, with its relation."""
    return f"< {formatting.p_value(0.001)}" if p < 0.001 else f"= {formatting.p_value(p)}"


def _converged(rec: Comparison, lang: str) -> str:
    """"Among converged runs only", when Fisher's test says failure rates differ."""
    if not rec.rates_differ:
        return ""

    def rate(side: str) -> str:
        bad = int(getattr(rec, f"failed_{side}")) + int(getattr(rec, f"diverged_{side}"))
        total = bad + int(getattr(rec, f"n_{side}"))
        return f"{bad}/{total}"

    return t("sentence.converged", lang, rate_baseline=rate("baseline"),
             rate_variant=rate("variant"), p=formatting.p_value(rec.rate_p))  # fmt: skip


def _rules_out(rec: Comparison, lang: str) -> str:
    """What a not-significant interval already excludes, measured against min_effect."""
    if not (_finite(rec.min_effect) and rec.min_effect > 0):
        return ""
    reading = read_interval(float(rec.ci_low), float(rec.ci_high), float(rec.min_effect))
    size = formatting.delta(rec.min_effect, rec.metric, lang, signed=False)
    parts = []
    if reading.rules_out_increase:
        parts.append(t("sentence.rules_out_increase", lang, size=size))
    if reading.rules_out_decrease:
        parts.append(t("sentence.rules_out_decrease", lang, size=size))
    return "".join(parts)


def _need_size(rec: Comparison, lang: str) -> str:
    size = rec.seeds_needed_effect
    if not _finite(size):
        size = abs(float(rec.delta))
    return formatting.delta(size, rec.metric, lang, signed=False)


def comparison_sentence(
    rec: Comparison | Mapping[str, Any], lang: str = "en", change: str | None = None
) -> str:
    """One sentence saying what ``rec`` found, built only from its fields.

    ``change`` describes the variant (default: its name).  Significant rows state the
    direction and size with CI, Holm-adjusted p, seeds and cost ratios; "smaller than
    the minimum effect" only when the whole interval is; not-significant rows say what
    the data still allow (the interval), what it already rules out, and how many seeds
    would detect min_effect; inconclusive rows say only that.  When failure or
    divergence rates differ, the sentence says it is about converged runs only.
    """
    rec = Comparison.from_row(rec)
    metric = rec.metric
    label = change if change is not None else str(rec.variant)
    common = dict(
        label=label,
        metric=metrics.label(metric, lang),
        ci_label=t("sentence.ci_label", lang, level=formatting.confidence_level(rec.ci_level if _finite(rec.ci_level) else 0.95)),
        cost=_cost(rec, lang),
    )
    converged = _converged(rec, lang)
    numbers = dict(
        ci=formatting.interval(rec.ci_low, rec.ci_high, metric, lang),
        p=_p(rec, lang),
        seeds=_seeds(rec, lang),
    )
    reason = rec.reason
    if reason is Reason.SIGNIFICANT:
        rose = rec.delta > 0
        if rec.higher_is_better is None:
            moved = t("sentence.higher" if rose else "sentence.lower", lang)
        else:
            moved = t("sentence.rose" if rose else "sentence.fell", lang)
        size = formatting.delta(rec.delta, metric, lang, signed=False)
        return t("sentence.significant", lang, **common, **numbers, moved=moved, size=size,
                 converged=converged)  # fmt: skip
    if reason in (Reason.BELOW_MIN_EFFECT, Reason.WITHIN_MIN_EFFECT):
        return t(
            "sentence.below_min_effect", lang, **common, **numbers,
            delta=formatting.delta(rec.delta, metric, lang),
            min_effect=formatting.delta(rec.min_effect, metric, lang, signed=False),
            converged=converged,
        )  # fmt: skip
    if reason in (Reason.NOT_SIGNIFICANT, Reason.SIZE_UNDECIDED):
        need = ""
        if rec.seed_estimate in (SeedEstimate.ESTIMATED, SeedEstimate.CAPPED):
            key = (
                "sentence.no_diff_need_capped"
                if rec.seed_estimate is SeedEstimate.CAPPED
                else "sentence.no_diff_need"
            )
            need = t(key, lang, n=int(rec.seeds_needed or 0), size=_need_size(rec, lang))
        if reason is Reason.SIZE_UNDECIDED:
            return t(
                "sentence.size_undecided", lang, **common, **numbers,
                delta=formatting.delta(rec.delta, metric, lang), need=need, converged=converged,
                min_effect=formatting.delta(rec.min_effect, metric, lang, signed=False),
            )  # fmt: skip
        return t(
            "sentence.no_difference", lang, **common, **numbers,
            delta=formatting.delta(rec.delta, metric, lang), need=need,
            rules_out=_rules_out(rec, lang), converged=converged,
        )  # fmt: skip
    if reason is Reason.ZERO_SPREAD:
        return t(
            "sentence.zero_spread", lang, label=label, metric=common["metric"],
            delta=formatting.delta(rec.delta, metric, lang), seeds=numbers["seeds"],
        )  # fmt: skip
    if reason in (Reason.NO_RUNS_VARIANT, Reason.NO_RUNS_BASELINE, Reason.NO_RUNS_BOTH):
        who = t(f"sentence.{reason.value}", lang)
        excluded = _excluded(rec, lang)
        if excluded:
            who += f" ({excluded})"
        return t("sentence.inconclusive_no_runs", lang, label=label, metric=common["metric"], who=who)
    # too few seeds
    estimate = rec.seed_estimate
    if estimate is SeedEstimate.ESTIMATED:
        need = t("sentence.need_seeds", lang, n=int(rec.seeds_needed or 0), size=_need_size(rec, lang))
    elif estimate is SeedEstimate.CAPPED:
        need = t("sentence.need_seeds_capped", lang, n=int(rec.seeds_needed or 0), size=_need_size(rec, lang))
    elif estimate is SeedEstimate.NO_EFFECT_OBSERVED:
        need = t("sentence.need_zero", lang)
    elif estimate is SeedEstimate.NO_MIN_EFFECT and min(int(rec.n_baseline), int(rec.n_variant)) >= 1:
        need = t("sentence.need_min_effect", lang)
    else:
        need = t("sentence.need_spread", lang)
    return t(
        "sentence.inconclusive", lang, label=label, metric=common["metric"],
        seeds=_seed_count(min(int(rec.n_baseline), int(rec.n_variant)), lang),
        observed=t("sentence.observed", lang, delta=formatting.delta(rec.delta, metric, lang)),
        need=need,
    )  # fmt: skip


def conclusion_sentences(
    comparisons: pd.DataFrame | Iterable[Comparison | Mapping[str, Any]],
    changes: Mapping[str, str] | None = None,
    metric_label: str | None = None,
    lang: str = "en",
) -> list[str]:
    """One sentence per comparison (:func:`comparison_sentence`), in order.

    ``changes`` maps a variant to a description of what it changed (default: its name).
    ``metric_label`` is accepted for callers of the old signature and ignored: the label
    is the metric table's.
    """
    changes = changes or {}
    return [
        comparison_sentence(rec, lang, changes.get(rec.variant, str(rec.variant)))
        for rec in records(comparisons)
    ]


def verdict_detail(rec: Comparison | Mapping[str, Any], lang: str = "en") -> str:
    """A short line under a verdict: "better — p_holm = 0.012", "inconclusive — 1 seed"."""
    rec = Comparison.from_row(rec)
    word = verdict_word(rec.verdict, lang)
    if rec.reason in (Reason.BELOW_MIN_EFFECT, Reason.WITHIN_MIN_EFFECT):
        return t(
            "detail.below_min_effect", lang, verdict=word,
            delta=formatting.delta(abs(rec.delta), rec.metric, lang, signed=False),
            min_effect=formatting.delta(rec.min_effect, rec.metric, lang, signed=False),
        )  # fmt: skip
    if rec.reason in (Reason.SIGNIFICANT, Reason.NOT_SIGNIFICANT):
        return t("detail.significance", lang, verdict=word, p=_p_relation(rec.p_holm))
    if rec.reason is Reason.SIZE_UNDECIDED:
        return t("detail.size_undecided", lang, verdict=word, p=_p_relation(rec.p_holm))
    if rec.reason is Reason.ZERO_SPREAD:
        return t("detail.zero_spread", lang, verdict=word)
    na, nb = int(rec.n_baseline), int(rec.n_variant)
    text = t("detail.too_few_seeds", lang, verdict=word, seeds=_seed_count(min(na, nb), lang))
    if na != nb:
        text += t("detail.unequal_seeds", lang, na=na, nb=nb)
    return text


def claim_text(claim: Claim | Mapping[str, Any], lang: str = "en") -> str:
    """What a claim says: "accuracy up", "точность: выше"."""
    get = claim.get if isinstance(claim, Mapping) else lambda k: getattr(claim, k)
    return t(
        "claim.text", lang,
        metric=metrics.label(str(get("metric")), lang), direction=direction_word(str(get("direction")), lang),
    )  # fmt: skip


def measured_text(claim: Claim | Mapping[str, Any], lang: str = "en") -> str:
    """The measured difference of a claim with its CI, or "—" when nothing was measured."""
    get = claim.get if isinstance(claim, Mapping) else lambda k: getattr(claim, k)
    metric, d = str(get("metric")), get("delta")
    if not _finite(d):
        return formatting.DASH
    level = get("ci_level")
    level = level if _finite(level) else 0.95
    low, high = get("ci_low"), get("ci_high")
    if not (_finite(low) and _finite(high)):
        return formatting.delta(d, metric, lang)
    return t(
        "claim.measured", lang, delta=formatting.delta(d, metric, lang), level=formatting.confidence_level(level),
        low=formatting.delta(low, metric, lang), high=formatting.delta(high, metric, lang),
    )  # fmt: skip


def claim_reason(claim: Claim, lang: str = "en") -> str:
    """Why a claim got its result, in words, from its ``reason`` and numbers."""
    reason = ClaimReason(claim.reason)
    values: dict[str, Any] = {}
    if reason is ClaimReason.NO_COMPARISON:
        values = dict(variant=claim.variant, metric=metrics.label(claim.metric, lang))
    elif reason is ClaimReason.COMPARISON_INCONCLUSIVE:
        values = dict(detail=verdict_detail(claim.comparison, lang) if claim.comparison else "")
    elif reason in (
        ClaimReason.SIGNIFICANT_AS_CLAIMED,
        ClaimReason.SIGNIFICANT_OPPOSITE,
        ClaimReason.SIGNIFICANT_CHANGE,
    ):
        values = dict(verdict=verdict_word(claim.verdict, lang) if claim.verdict else "")
    elif reason is not ClaimReason.CI_TOO_WIDE:
        values = dict(margin=formatting.delta(claim.margin, claim.metric, lang, signed=False))
    return t(f"claim.reason.{reason.value}", lang, **values)


def claim_result(claim: Claim, lang: str = "en") -> str:
    """The result word of a claim ("confirmed", "подтверждена")."""
    return claim_result_word(claim.result, lang)


def variance_sources(
    comparisons: pd.DataFrame | Iterable[Comparison | Mapping[str, Any]], lang: str = "en"
) -> str:
    """One line saying which sources of variance each interval of these comparisons covers."""
    recs = records(comparisons)
    if not recs:
        return ""
    keys = ["variance.seeds_splits" if all(r.interval_sources == "seeds_splits" for r in recs)
            else "variance.seeds"]  # fmt: skip
    if any(_finite(r.boot_ci_low) for r in recs):
        keys.append("variance.bootstrap")
    if any(_finite(r.p_beats) for r in recs):
        keys.append("variance.p_beats")
    return " ".join(t(key, lang) for key in keys)


def outperforming_text(rec: Comparison | Mapping[str, Any], lang: str = "en") -> str:
    """P(variant beats baseline) with its interval, and the two-level Δ interval if known."""
    rec = Comparison.from_row(rec)
    parts = []
    level = t("sentence.ci_label", lang, level=formatting.confidence_level(0.95))
    if _finite(rec.p_beats):
        parts.append(t(
            "sentence.p_beats", lang, label=str(rec.variant), p=formatting.probability(rec.p_beats),
            ci_label=level, low=formatting.probability(rec.p_beats_low), high=formatting.probability(rec.p_beats_high),
        ))  # fmt: skip
    if _finite(rec.boot_ci_low):
        boot_level = rec.boot_level if _finite(rec.boot_level) else 0.95
        parts.append(t(
            "sentence.two_level", lang,
            ci=formatting.interval(rec.boot_ci_low, rec.boot_ci_high, rec.metric, lang),
            ci_label=t("sentence.ci_label", lang, level=formatting.confidence_level(boot_level)),
        ))  # fmt: skip
    return "; ".join(parts)
