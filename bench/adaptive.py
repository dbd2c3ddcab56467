"""Adaptive seeds: train more seeds only where the verdict is still open.

``bench run SUITE --until-conclusive [--max-seeds K]`` first runs the suite as
written, then repeats: compare every variant to the baseline
(:func:`bench.analysis.compare_to_baseline`, Holm across variants), and give
more seeds to the variants still 'inconclusive' or 'no significant
difference' whose estimated seed count (:func:`bench.analysis.required_seeds`,
80 % power) is at most K — as many as that estimate asks, at least one more,
never past K — and to the baseline when it has fewer than a variant is raised
to (the estimate is per side).  It stops when every variant is decided, past
help (more than K seeds needed, or no difference at all observed), or at K.

More seeds are added by raising ``config.train.seeds`` of those variants on
the loaded :class:`~bench.suite.Suite` and calling
:func:`bench.runner.run_suite` again: a run's key does not include the seed
count, so every run already in the store is reused and only new seeds train.
The verdicts still come from :mod:`bench.analysis`; this module only decides
where to spend training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import pandas as pd

from bench import analysis, words
from bench.errors import BenchError
from bench.runner import run_suite
from bench.store import ResultStore, default_store_path
from bench.suite import Suite

DEFAULT_MAX_SEEDS = 10
#: Verdicts that more seeds may still turn into 'better' or 'worse'.
OPEN_VERDICTS = (analysis.INCONCLUSIVE, analysis.NO_DIFFERENCE)

#: Why more seeds cannot be planned, by the comparison's reason or seed estimate.
_STOP_KEYS = {
    analysis.Reason.NO_RUNS_VARIANT: "adaptive.stop_no_runs_variant",
    analysis.Reason.NO_RUNS_BASELINE: "adaptive.stop_no_runs_baseline",
    analysis.Reason.NO_RUNS_BOTH: "adaptive.stop_no_runs_variant",
    analysis.SeedEstimate.NO_EFFECT_OBSERVED: "adaptive.stop_no_effect",
    analysis.SeedEstimate.UNKNOWN_SPREAD: "adaptive.stop_no_spread",
}


@dataclass
class SeedPlan:
    """One round's decision: new seed counts per variant, and why each variant got them or not."""

    raise_to: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)


@dataclass
class AdaptiveSummary:
    """What ``--until-conclusive`` did."""

    rounds: int = 0
    trained: int = 0
    seeds: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)
    out_of_time: bool = False

    def line(self, lang: str = "en") -> str:
        counts: dict[str, int] = {}
        for verdict in self.verdicts.values():
            counts[verdict] = counts.get(verdict, 0) + 1
        shown = ", ".join(
            words.t("adaptive.count", lang, n=n, verdict=words.verdict_word(v, lang))
            for v, n in counts.items()
        ) or words.t("adaptive.no_comparison", lang)
        return words.t(
            "adaptive.summary", lang, rounds=self.rounds, trained=self.trained,
            budget=words.t("adaptive.out_of_time", lang) if self.out_of_time else "",
            verdicts=shown,
        )  # fmt: skip


def plan_more_seeds(
    comparisons: pd.DataFrame | Sequence[analysis.Comparison],
    seeds: dict[str, int],
    baseline: str,
    max_seeds: int,
    lang: str = "en",
) -> SeedPlan:
    """Decide from one round of verdicts which variants get how many seeds.

    ``comparisons`` is :func:`bench.analysis.compare_to_baseline`'s table (one metric) or
    its records, ``seeds`` the current seed count per variant.  Pure, so the rule is
    testable alone.  Every reason comes from the records (verdict, reason, seed estimate).
    """
    plan = SeedPlan()
    for rec in analysis.records(comparisons):
        name, verdict = rec.variant, rec.verdict
        word = words.verdict_word(verdict, lang)
        have = seeds[name]
        if verdict not in OPEN_VERDICTS:
            continue  # decided: better or worse
        if have >= max_seeds:
            plan.stopped[name] = words.t("adaptive.stop_limit", lang, verdict=word, n=max_seeds)
            continue
        if rec.reason is analysis.Reason.BELOW_MIN_EFFECT:
            plan.stopped[name] = words.t("adaptive.stop_below_min_effect", lang)
            continue
        needed = rec.seeds_needed
        if rec.seed_estimate is analysis.SeedEstimate.CAPPED or (
            needed is not None and needed > max_seeds
        ):
            plan.stopped[name] = words.t("adaptive.stop_capped", lang, verdict=word, n=max_seeds)
            continue
        if needed is None:
            if rec.reason is analysis.Reason.TOO_FEW_SEEDS and have < 2:
                needed = 2  # a spread needs two seeds before anything can be estimated
            else:
                key = _STOP_KEYS.get(rec.reason) or _STOP_KEYS.get(
                    rec.seed_estimate, "adaptive.stop_no_spread"
                )
                plan.stopped[name] = words.t(key, lang, verdict=word)
                continue
        target = min(max_seeds, max(have + 1, needed))
        plan.raise_to[name] = target
        plan.reasons[name] = words.t(
            "adaptive.why_open", lang, verdict=word, p=_p(rec.p_holm), n=needed
        )
    if plan.raise_to:
        target = max(plan.raise_to.values())
        if seeds[baseline] < target:
            plan.raise_to[baseline] = target
            plan.reasons[baseline] = words.t("adaptive.why_baseline", lang)
    return plan


def _p(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return words.t("word.not_available")
    return f"{float(value):.3g}"


def run_until_conclusive(
    suite: Suite,
    store_path: Optional[str | Path] = None,
    *,
    max_seeds: int = DEFAULT_MAX_SEEDS,
    only: Sequence[str] = (),
    metric: str = "accuracy",
    say: Callable[[str], None] = print,
    **run_options: Any,
) -> AdaptiveSummary:
    """After a normal run of ``suite``: add seeds round by round until decided or ``max_seeds``.

    ``only`` limits the variants considered (the baseline always takes part);
    ``say`` prints the one line per round; ``run_options`` go to :func:`run_suite`.
    """
    if max_seeds < 2:
        raise BenchError(f"--max-seeds: {max_seeds} is not allowed — must be at least 2")
    path = Path(store_path) if store_path else default_store_path(suite.name)
    considered = [
        v.name for v in suite.variants
        if not only or v.name in only or v.name == suite.baseline
    ]  # fmt: skip
    summary = AdaptiveSummary()
    while True:
        with ResultStore(path, create=False) as store:
            runs = store.runs_frame(suite.name)
        runs = runs[runs["variant"].isin(considered)]
        if len(considered) < 2 or metric not in runs or suite.baseline not in set(runs["variant"]):
            break
        comparisons = analysis.compare_to_baseline(
            runs, suite.baseline, metric, alpha=suite.alpha, min_effect=suite.min_effect,
            max_seeds=max_seeds,
        )  # fmt: skip
        summary.verdicts = {r.variant: r.verdict for r in analysis.records(comparisons)}
        seeds = {v.name: v.config.train.seeds for v in suite.variants}
        plan = plan_more_seeds(comparisons, seeds, suite.baseline, max_seeds)
        summary.stopped = plan.stopped
        if not plan.raise_to:
            break
        summary.rounds += 1
        say(
            words.t(
                "adaptive.round", n=summary.rounds,
                plans="; ".join(
                    words.t("adaptive.plan", variant=name, have=seeds[name], target=n,
                            why=plan.reasons[name])
                    for name, n in plan.raise_to.items()
                ),
            )
        )  # fmt: skip
        for name, n in plan.raise_to.items():
            _set_seeds(suite, name, n)
        result = run_suite(suite, path, only=list(plan.raise_to), **run_options)
        summary.trained += result.trained
        if getattr(result, "not_started", None):  # the time budget ran out: no more rounds
            summary.stopped = {name: words.t("adaptive.stop_budget") for name in plan.raise_to}
            summary.out_of_time = True
            break
    summary.seeds = {name: suite.variant(name).config.train.seeds for name in considered}
    return summary


def _set_seeds(suite: Suite, name: str, count: int) -> None:
    """Raise one variant's seed count; its run keys (config without seeds) stay the same."""
    variant = suite.variant(name)
    train = variant.config.train.model_copy(update={"seeds": count})
    variant.config = variant.config.model_copy(update={"train": train})
