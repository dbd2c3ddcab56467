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
from bench.words import claim_result_word, direction_word, t, verdict_word

__all__ = [
    "measured_text",
    "claim_reason",
    "claim_text",
    "comparison_sentence",
    "conclusion_sentences",
    "verdict_detail",
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
        return t("sentence.p_small", lang, p="0.001")
    return t("sentence.p", lang, p=f"{p:.3f}" if p < 0.01 else f"{p:.2f}")


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
    direction and size with CI, Holm-adjusted p, seeds and cost ratios; a real change
    below min_effect says so; not-significant rows say the metric did not change
    measurably (and how many seeds would resolve the difference); inconclusive rows say
    only that, with the seeds needed when they can be estimated.
    """
    rec = Comparison.from_row(rec)
    metric = rec.metric
    label = change if change is not None else str(rec.variant)
    common = dict(
        label=label,
        metric=metrics.label(metric, lang),
        ci_label=t("sentence.ci_label", lang, level=f"{(rec.ci_level if _finite(rec.ci_level) else 0.95) * 100:g}"),
        cost=_cost(rec, lang),
    )
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
        return t("sentence.significant", lang, **common, **numbers, moved=moved, size=size)
    if reason is Reason.BELOW_MIN_EFFECT:
        return t(
            "sentence.below_min_effect", lang, **common, **numbers,
            delta=formatting.delta(rec.delta, metric, lang),
            min_effect=formatting.delta(rec.min_effect, metric, lang, signed=False),
        )  # fmt: skip
    if reason is Reason.NOT_SIGNIFICANT:
        need = ""
        if rec.seed_estimate in (SeedEstimate.ESTIMATED, SeedEstimate.CAPPED):
            key = (
                "sentence.no_diff_need_capped"
                if rec.seed_estimate is SeedEstimate.CAPPED
                else "sentence.no_diff_need"
            )
            need = t(key, lang, n=int(rec.seeds_needed or 0), size=_need_size(rec, lang))
        return t(
            "sentence.no_difference", lang, **common, **numbers,
            delta=formatting.delta(rec.delta, metric, lang), need=need,
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
    if rec.reason is Reason.BELOW_MIN_EFFECT:
        return t(
            "detail.below_min_effect", lang, verdict=word,
            delta=f"{abs(rec.delta):.3g}", min_effect=f"{rec.min_effect:.3g}",
        )  # fmt: skip
    if rec.reason in (Reason.SIGNIFICANT, Reason.NOT_SIGNIFICANT):
        return t("detail.significance", lang, verdict=word, p=f"{rec.p_holm:.3g}")
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
        "claim.measured", lang, delta=formatting.delta(d, metric, lang), level=f"{level * 100:g}",
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
