"""Planning before a run: how many seeds each comparison needs, and what they cost.

``bench plan SUITE`` answers, without training and without TensorFlow: per comparison
against the baseline, the seeds per side that detect the suite's ``min_effect`` with 80 %
power at the level Holm's first step demands (α / number of variants), from the spread
the store's runs already show (:func:`bench.inference.plan_seeds`) -- paired by seed
where the suite's variants share seeds and split.  The CPU time of the missing runs comes
from the stored run times.  A claim that cannot be decided within ``--max-seeds`` is
warned about: "up"/"down" claims need ``min_effect``; "same" claims need equivalence
within their margin (two one-sided tests at α, so the count is for the margin at 2α with
90 % power per side -- the usual TOST approximation at a true Δ of 0).

``--pilot-seeds N`` uses only each variant's first N seeds, to see what a pilot of that
size says.  The spread is the one-sided 80 % upper confidence limit from the pilot, so a
pilot that happened to be calm does not promise too few seeds.

Returns data; the words are added by :func:`plan_lines`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from bench import analysis, inference, metrics, words
from bench.errors import BenchError
from bench.status import Status
from bench.suite import Suite

__all__ = ["ClaimPlan", "Plan", "plan_suite", "plan_lines", "SD_UPPER_CONFIDENCE"]

#: Confidence of the upper limit used for the pilot's spread.
SD_UPPER_CONFIDENCE = 0.8


@dataclass(frozen=True)
class ClaimPlan:
    """Seeds one claim needs to be decided, and whether ``max_seeds`` suffice."""

    variant: str
    metric: str
    direction: str
    effect: float  # min_effect (up/down) or the margin (same); 0: nothing to plan for
    seeds_needed: Optional[int]
    decidable: bool
    decided: Optional[str] = None  # the stored runs already decide it: confirmed or refuted


@dataclass
class Plan:
    """``bench plan``'s answer for one suite and metric."""

    suite: str
    metric: str
    min_effect: float
    alpha: float
    power: float
    max_seeds: int
    pilot_seeds: Optional[int]
    seeds_in_store: dict[str, int]
    run_seconds: dict[str, float]
    seeds: inference.SuitePlan
    claims: list[ClaimPlan] = field(default_factory=list)


def _pilot(runs: pd.DataFrame, suite: Suite, metric: str, pilot_seeds: Optional[int]) -> dict[str, np.ndarray]:
    """Per variant, the metric of each planned seed index in order (NaN: not ok or not run)."""
    out = {}
    for variant in suite.variants:
        seeds = variant.seeds(variant.config.train.seeds)
        if pilot_seeds is not None:
            seeds = seeds[:pilot_seeds]
        sub = runs[(runs["variant"] == variant.name) & (runs["status"] == Status.OK.value)]
        if metric in sub.columns:
            by_seed = dict(zip(sub["seed"].astype(int), sub[metric].astype(float)))
        else:
            by_seed = {}
        out[variant.name] = np.array([by_seed.get(s, math.nan) for s in seeds], dtype=float)
    return out


def _run_seconds(runs: pd.DataFrame) -> dict[str, float]:
    """Mean wall seconds of one finished run per variant (from the stored start and end)."""
    done = runs[runs["status"].isin([s.value for s in Status])]
    if not {"started_at", "finished_at"} <= set(done.columns) or done.empty:
        return {}
    took = done["finished_at"].astype(float) - done["started_at"].astype(float)
    return {str(k): float(v) for k, v in took.groupby(done["variant"]).mean().items() if np.isfinite(v)}


def plan_suite(
    suite: Suite,
    runs: Optional[pd.DataFrame] = None,
    *,
    metric: Optional[str] = None,
    pilot_seeds: Optional[int] = None,
    max_seeds: int = 20,
    power: float = 0.8,
) -> Plan:
    """The seeds each comparison and claim of ``suite`` needs, from ``runs`` (a store's runs table).

    ``runs`` may be None or empty (nothing trained yet): every spread is then unknown and
    the plan says so.  ``metric`` defaults to accuracy (the metric claims and
    ``min_effect`` are usually about).
    """
    if max_seeds < 2:
        raise BenchError(f"--max-seeds: {max_seeds} is not allowed — must be at least 2")
    if pilot_seeds is not None and pilot_seeds < 2:
        raise BenchError(f"--pilot-seeds: {pilot_seeds} is not allowed — a spread needs at least 2")
    metric = metric or "accuracy"
    if not metrics.is_known(metric):
        raise BenchError(f"--metric: unknown metric {metric!r}")
    if runs is None:
        runs = pd.DataFrame(columns=["variant", "seed", "status"])
    pilot = _pilot(runs, suite, metric, pilot_seeds)
    seconds = _run_seconds(runs)
    paired = all(
        v.config.train.seed_offset == suite.variant(suite.baseline).config.train.seed_offset
        and v.config.dataset == suite.variant(suite.baseline).config.dataset
        for v in suite.variants
    )  # fmt: skip
    effect = suite.min_effect if suite.min_effect > 0 else math.nan
    seeds_plan = inference.plan_seeds(
        pilot, suite.baseline, effect, alpha=suite.alpha, power=power, max_seeds=max_seeds,
        pairing_real=paired, run_seconds=seconds, sd_upper_confidence=SD_UPPER_CONFIDENCE,
    )  # fmt: skip
    have = {name: int(np.sum(~np.isnan(x))) for name, x in pilot.items()}
    plan = Plan(suite.name, metric, suite.min_effect, suite.alpha, power, max_seeds, pilot_seeds,
                have, seconds, seeds_plan)  # fmt: skip
    by_variant = {c.variant: c for c in seeds_plan.comparisons}
    decided = _decided_claims(suite, runs, metric)
    for variant in suite.variants:
        claim = variant.claim
        if claim is None or claim.metric != metric:
            continue
        row = by_variant.get(variant.name)
        if claim.direction == "same":
            margin = max(suite.min_effect, analysis.DEFAULT_SAME_MARGIN_FRACTION
                         if metrics.get(metric).is_fraction else 0.0)  # fmt: skip
            need = _same_seeds(row, margin, suite.alpha, power, max_seeds)
            plan.claims.append(ClaimPlan(variant.name, metric, "same", margin, need.seeds,
                                         need.seeds is not None and not need.capped))  # fmt: skip
        elif suite.min_effect > 0 or variant.name in decided:
            # without min_effect a directional claim has no size to plan for
            seeds_needed = row.seeds_needed if row is not None else None
            decidable = row is not None and row.decidable
            plan.claims.append(ClaimPlan(variant.name, metric, claim.direction,
                                         suite.min_effect, seeds_needed, decidable))  # fmt: skip
        if variant.name in decided and plan.claims and plan.claims[-1].variant == variant.name:
            plan.claims[-1] = dataclasses.replace(plan.claims[-1], decided=decided[variant.name])
    return plan


def _decided_claims(suite: Suite, runs: pd.DataFrame, metric: str) -> dict[str, str]:
    """Variant → result of its claim on ``metric`` where the stored runs already decide it."""
    claims = [
        {"variant": v.name, "metric": v.claim.metric, "direction": v.claim.direction}
        for v in suite.variants
        if v.claim is not None and v.claim.metric == metric
    ]
    if not claims or metric not in runs.columns or "status" not in runs.columns:
        return {}
    ok = runs[runs["status"] == Status.OK.value]
    if (ok["variant"] == suite.baseline).sum() < 2:
        return {}
    comparisons = analysis.compare_to_baseline(runs, suite.baseline, metric, alpha=suite.alpha,
                                               min_effect=suite.min_effect)  # fmt: skip
    return {
        c.variant: c.result.value
        for c in analysis.claim_records(comparisons, claims)
        if c.result is not analysis.ClaimResult.INCONCLUSIVE
    }


def _same_seeds(
    row: Optional[inference.ComparisonPlan], margin: float, alpha: float, power: float, max_seeds: int
) -> inference.SeedsNeeded:
    """Seeds for TOST to show |Δ| < margin at a true Δ of 0 (each one-sided test at α)."""
    if row is None or margin <= 0:
        return inference.SeedsNeeded(None, False, margin, alpha, power)
    return inference.seeds_for_power(
        margin, row.sd, alpha=2 * alpha, power=1 - (1 - power) / 2, paired=row.method is inference.Method.PAIRED,
        max_seeds=max_seeds,
    )  # fmt: skip


def plan_lines(plan: Plan, lang: str = "en") -> list[str]:
    """The plan as lines of text: a header, one line per comparison, the claims, the total."""
    from bench import formatting

    t = words.t
    metric = plan.metric
    lines = [t("plan.header", lang, suite=plan.suite, metric=metrics.label(metric, lang),
               power=f"{plan.power * 100:.0f}", level=formatting.p_value(plan.seeds.level),
               alpha=formatting.number(plan.alpha))]  # fmt: skip
    if not plan.min_effect > 0:
        lines.append(t("plan.no_min_effect", lang))
    else:
        lines.append(t("plan.min_effect", lang, size=formatting.delta(plan.min_effect, metric, lang, signed=False)))
    source = (t("plan.source_pilot", lang, n=plan.pilot_seeds) if plan.pilot_seeds
              else t("plan.source_store", lang))  # fmt: skip
    lines.append(source)
    for row in plan.seeds.comparisons:
        method = t(f"method.{row.method.value}", lang)
        if row.seeds_needed is None:
            what = (t("plan.unknown_spread", lang, command=f"bench run SUITE --seeds {plan.pilot_seeds or 3}")
                    if not np.isfinite(row.sd) else t("plan.no_effect", lang))  # fmt: skip
        elif row.capped:
            what = t("plan.capped", lang, n=plan.max_seeds)
        else:
            what = t("plan.needed", lang, n=row.seeds_needed, more=row.more_runs,
                     time=_seconds(row.cpu_seconds, lang))  # fmt: skip
        spread = (formatting.spread(row.sd, metric, lang) if np.isfinite(row.sd)
                  else formatting.DASH)  # fmt: skip
        lines.append(t("plan.row", lang, variant=row.variant, method=method, spread=spread,
                       pilot=row.pilot_seeds, what=what))  # fmt: skip
    if plan.seeds.baseline_seeds is not None:
        lines.append(t("plan.baseline", lang, n=plan.seeds.baseline_seeds,
                       more=plan.seeds.baseline_more_runs))  # fmt: skip
    for claim in plan.claims:
        if claim.decided is not None:
            lines.append(t("plan.claim_decided", lang, variant=claim.variant,
                           claim=words.direction_word(claim.direction, lang),
                           result=words.claim_result_word(claim.decided, lang)))  # fmt: skip
        elif not claim.decidable:
            lines.append(t("plan.claim_undecidable", lang, variant=claim.variant,
                           claim=words.direction_word(claim.direction, lang), n=plan.max_seeds))  # fmt: skip
        else:
            lines.append(t("plan.claim_ok", lang, variant=claim.variant,
                           claim=words.direction_word(claim.direction, lang), n=claim.seeds_needed))  # fmt: skip
    lines.append(t("plan.total", lang, time=_seconds(plan.seeds.total_cpu_seconds, lang)))
    return lines


def _seconds(x: float, lang: str) -> str:
    from bench import formatting

    return formatting.seconds(x, lang) if np.isfinite(x) else words.t("plan.time_unknown", lang)


def store_runs(path: Path, suite_name: str) -> Optional[pd.DataFrame]:
    """The runs table of ``suite_name`` in the store at ``path``; None when there is none yet."""
    from bench.store import ResultStore

    if not Path(path).is_file():
        return None
    with ResultStore(path, create=False) as store:
        if suite_name not in store.suite_names():
            return None
        return store.runs_frame(suite_name)
