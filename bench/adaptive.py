"""Adaptive seeds: a group-sequential design decides where more seeds are trained.

``bench run SUITE --until-conclusive [--max-seeds K] [--spending pocock]`` first runs
the suite as written, then follows a design fixed before any look
(:func:`bench.sequential.make_design`): the data are looked at only at pre-declared seed
counts (the suite's seeds up to K), and each look may spend only its share of α
(Lan–DeMets O'Brien–Fleming by default, Pocock as an option), inside one Holm family of
the variants.  At each look :func:`bench.sequential.decide_look` says, per variant,
whether it crossed its boundary (decided), stops (the repeated interval lies within
±min_effect, or too little conditional power to detect min_effect is left), reached K,
or continues to the next look; the baseline is raised with the variants it is
compared with.  Seeds are added toward the pre-declared ``min_effect`` (or, without
one, the default margin of a "same" claim), never toward the observed Δ.  Repeated
looks at full α would raise the false-positive rate above α; this design keeps it.

More seeds are added by raising ``config.train.seeds`` of those variants on the loaded
:class:`~bench.suite.Suite` and calling :func:`bench.runner.run_suite` again: a run's key
does not include the seed count, so every run already in the store is reused and only
new seeds train.  The decision at a look is recomputed from the stored per-seed values,
so re-running resumes exactly.  The final verdicts still come from
:mod:`bench.analysis`; this module decides where to spend training and records the
design (:meth:`AdaptiveSummary.design_record`) so the report can say it was sequential.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from bench import analysis, formatting, metrics, sequential, words
from bench.errors import BenchError
from bench.layout import default_store_path
from bench.runner import run_suite
from bench.status import Status
from bench.store import ResultStore
from bench.suite import Suite

DEFAULT_MAX_SEEDS = 10
#: The α-spending functions ``--spending`` accepts.
SPENDINGS = tuple(s.value for s in sequential.Spending)

#: Why a variant stopped, by the design's decision.
_STOP_KEYS = {
    sequential.Decision.REJECT: "adaptive.stop_decided",
    sequential.Decision.WITHIN_MIN_EFFECT: "adaptive.stop_within_min_effect",
    sequential.Decision.FUTILE: "adaptive.stop_futile",
    sequential.Decision.MAX_REACHED: "adaptive.stop_max_reached",
    sequential.Decision.STOPPED: "adaptive.stop_earlier",
}


@dataclass
class SeedPlan:
    """One look's decision: new seed counts per variant, and why each variant got them or not."""

    raise_to: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)


@dataclass
class AdaptiveSummary:
    """What ``--until-conclusive`` did, and the design it followed."""

    rounds: int = 0
    trained: int = 0
    seeds: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)
    out_of_time: bool = False
    design: Optional[sequential.SequentialDesign] = None
    target_effect: float = 0.0
    last_look: Optional[sequential.LookDecision] = None
    paired: bool = False
    metric: str = "accuracy"

    def line(self, lang: Optional[str] = None) -> str:
        """The console's summary: rounds, runs trained, and how many variants got each verdict."""
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

    def design_record(self) -> dict[str, Any]:
        """The design and what each variant did under it, as JSON-able data for the report."""
        if self.design is None:
            return {}
        design = self.design
        record: dict[str, Any] = {
            "kind": "group-sequential",
            "looks": list(design.looks),
            "spending": design.spending.value,
            "alpha": design.alpha,
            "futility_power": design.futility_power,
            "min_effect": self.target_effect,
            "metric": self.metric,
            "paired": self.paired,
            "variants": {},
        }
        if self.last_look is not None:
            for v in self.last_look.variants:
                record["variants"][v.variant] = {
                    "decision": v.decision.value,
                    "seeds": v.seeds,
                    "looks_taken": list(v.looks_taken),
                    "decided_at": v.decided_at,
                    "level": v.level,
                    "alpha_spent": v.alpha_spent,
                    "nominal_p": _finite_or_none(v.nominal_p),
                    "p_value": _finite_or_none(v.p_value),
                }
        return record


def _finite_or_none(x: float) -> Optional[float]:
    return float(x) if x is not None and math.isfinite(x) else None


def target_effect(suite: Suite, metric: str = "accuracy") -> float:
    """The effect more seeds aim at: the suite's ``min_effect``, else a "same" claim's margin.

    Never the observed Δ: aiming at it makes the seed count a function of noise.
    Without either, 0: the design then looks until a variant crosses or K is reached.
    """
    if suite.min_effect > 0:
        return float(suite.min_effect)
    same = [v for v in suite.variants if v.claim and v.claim.direction == "same"
            and v.claim.metric == metric]  # fmt: skip
    if same and metrics.is_known(metric) and metrics.get(metric).is_fraction:
        return analysis.DEFAULT_SAME_MARGIN_FRACTION
    return 0.0


def per_seed_values(
    runs: pd.DataFrame, variant: str, seeds: Sequence[int], metric: str
) -> np.ndarray:
    """The metric of each of ``seeds`` in order (NaN: the run failed, diverged or is missing)."""
    ok = runs[(runs["variant"] == variant) & (runs["status"] == Status.OK.value)]
    by_seed = dict(zip(ok["seed"].astype(int).tolist(), ok[metric].astype(float).tolist()))
    return np.array([by_seed.get(int(s), math.nan) for s in seeds], dtype=float)


def design_paired(suite: Suite, names: Sequence[str]) -> bool:
    """The same seed index means the same seed and data on every side (paired looks)."""
    base = suite.variant(suite.baseline).config
    return all(
        suite.variant(n).config.train.seed_offset == base.train.seed_offset
        and suite.variant(n).config.dataset == base.dataset
        for n in names
    )


def plan_look(
    look: sequential.LookDecision, seeds: Mapping[str, int], baseline: str, lang: Optional[str] = None
) -> SeedPlan:
    """Turn one look of the design into new seed counts, with the words for each.

    Pure, so the rule is testable alone: a variant the design continues goes to the next
    look; the baseline goes to the largest count a variant is raised to.
    """
    plan = SeedPlan()
    for v in look.variants:
        if v.decision is sequential.Decision.CONTINUE and v.next_seeds > seeds[v.variant]:
            plan.raise_to[v.variant] = v.next_seeds
            plan.reasons[v.variant] = words.t(
                "adaptive.why_look", lang, p=_p(v.p_value, lang), boundary=_p(v.nominal_p, lang),
                spent=_p(v.alpha_spent, lang),
            )  # fmt: skip
        elif v.decision.stops:
            plan.stopped[v.variant] = words.t(
                _STOP_KEYS[v.decision], lang, n=v.seeds, p=_p(v.p_value, lang),
                boundary=_p(v.nominal_p, lang),
            )  # fmt: skip
    if look.baseline_next_seeds > seeds[baseline]:
        plan.raise_to[baseline] = look.baseline_next_seeds
        plan.reasons[baseline] = words.t("adaptive.why_baseline", lang)
    return plan


def _p(value: Any, lang: Optional[str] = None) -> str:
    if value is None or not math.isfinite(float(value)):
        return words.t("word.not_available", lang)
    return formatting.number(float(value), 3)


def run_until_conclusive(
    suite: Suite,
    store_path: Optional[str | Path] = None,
    *,
    max_seeds: int = DEFAULT_MAX_SEEDS,
    only: Sequence[str] = (),
    metric: str = "accuracy",
    spending: str = sequential.Spending.OBRIEN_FLEMING.value,
    say: Callable[[str], None] = print,
    lang: Optional[str] = None,
    **run_options: Any,
) -> AdaptiveSummary:
    """After a normal run of ``suite``: add seeds look by look as the design says.

    ``only`` limits the variants considered (the baseline always takes part);
    ``say`` prints one line per round, in ``lang``; ``run_options`` go to :func:`run_suite`.  The
    design's first look is the baseline's seed count (at least 2); variants between
    looks are first brought to the next look.
    """
    if max_seeds < 2:
        raise BenchError(f"--max-seeds: {max_seeds} is not allowed — must be at least 2")
    if spending not in SPENDINGS:
        raise BenchError(f"--spending: {spending!r} is not allowed — choose one of: {', '.join(SPENDINGS)}")
    path = Path(store_path) if store_path else default_store_path(suite.name)
    considered = [
        v.name for v in suite.variants
        if not only or v.name in only or v.name == suite.baseline
    ]  # fmt: skip
    others = [n for n in considered if n != suite.baseline]
    summary = AdaptiveSummary(target_effect=target_effect(suite, metric), metric=metric)
    if not others:
        return summary
    n0 = max(2, suite.variant(suite.baseline).config.train.seeds)
    if n0 > max_seeds:
        raise BenchError(
            f"--max-seeds: {max_seeds} is not allowed — the suite already runs {n0} seeds per variant"
        )
    design = sequential.make_design(n0, max_seeds, alpha=suite.alpha, spending=spending)
    summary.design = design
    paired = design_paired(suite, considered)
    summary.paired = paired
    while True:
        seeds = {name: suite.variant(name).config.train.seeds for name in considered}
        plan = _to_looks(design, seeds, suite.baseline, lang)
        if not plan.raise_to:
            with ResultStore(path, create=False) as store:
                runs = store.runs_frame(suite.name)
            if metric not in runs:
                break
            values = {
                name: per_seed_values(runs, name, suite.variant(name).seeds(), metric)
                for name in considered
            }
            values = {name: _at_look(x, design.looks) for name, x in values.items()}
            look = sequential.decide_look(
                design, values[suite.baseline], {n: values[n] for n in others},
                paired=paired, min_effect=summary.target_effect,
            )  # fmt: skip
            summary.last_look = look
            plan = plan_look(look, seeds, suite.baseline, lang)
            summary.stopped = plan.stopped
            if not plan.raise_to:
                break
        summary.rounds += 1
        say(
            words.t(
                "adaptive.round", lang, n=summary.rounds,
                plans="; ".join(
                    words.t("adaptive.plan", lang, variant=name, have=seeds[name], target=n,
                            why=plan.reasons[name])
                    for name, n in plan.raise_to.items()
                ),
            )
        )  # fmt: skip
        for name, n in plan.raise_to.items():
            _set_seeds(suite, name, n)
        result = run_suite(suite, path, only=list(plan.raise_to), lang=lang, **run_options)
        summary.trained += result.trained
        if getattr(result, "not_started", None):  # the time budget ran out: no more rounds
            summary.stopped = {name: words.t("adaptive.stop_budget", lang) for name in plan.raise_to}
            summary.out_of_time = True
            break
    summary.seeds = {name: suite.variant(name).config.train.seeds for name in considered}
    with ResultStore(path, create=False, readonly=False) as store:
        if summary.last_look is not None:
            store.save_design(suite.name, summary.design_record())
        runs = store.runs_frame(suite.name)
    runs = runs[runs["variant"].isin(considered)]
    if metric in runs and suite.baseline in set(runs["variant"]):
        table = analysis.compare_to_baseline(
            runs, suite.baseline, metric, alpha=suite.alpha, min_effect=suite.min_effect,
            outperforming=False, design=summary.design_record(),
        )  # fmt: skip
        summary.verdicts = {r.variant: r.verdict for r in analysis.records(table)}
    return summary


def _at_look(values: np.ndarray, looks: Sequence[int]) -> np.ndarray:
    """The first values up to the largest look they reach (extra seeds wait for the next look)."""
    reached = [n for n in looks if n <= values.size]
    return values[: reached[-1]] if reached else values


def _to_looks(
    design: sequential.SequentialDesign, seeds: Mapping[str, int], baseline: str,
    lang: Optional[str] = None,
) -> SeedPlan:
    """Bring every side to a look of the design (the first look for the baseline at least)."""
    plan = SeedPlan()
    looks = design.looks
    for name, have in seeds.items():
        if have in looks:
            continue
        target = next((n for n in looks if n >= have), looks[-1])
        if target > have:
            plan.raise_to[name] = target
            plan.reasons[name] = words.t("adaptive.why_first_look", lang, n=target)
    base_needed = max([seeds[baseline], *plan.raise_to.values(), looks[0]])
    base_target = next((n for n in looks if n >= base_needed), looks[-1])
    if base_target > seeds[baseline]:
        plan.raise_to[baseline] = base_target
        plan.reasons[baseline] = words.t("adaptive.why_baseline", lang)
    return plan


def _set_seeds(suite: Suite, name: str, count: int) -> None:
    """Raise one variant's seed count; its run keys (config without seeds) stay the same."""
    variant = suite.variant(name)
    train = variant.config.train.model_copy(update={"seeds": count})
    variant.config = variant.config.model_copy(update={"train": train})
