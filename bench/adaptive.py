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

from bench import analysis
from bench.errors import BenchError
from bench.runner import run_suite
from bench.store import ResultStore, default_store_path
from bench.suite import Suite

DEFAULT_MAX_SEEDS = 10
#: Verdicts that more seeds may still turn into 'better' or 'worse'.
OPEN_VERDICTS = (analysis.INCONCLUSIVE, analysis.NO_DIFFERENCE)


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

    def line(self) -> str:
        counts: dict[str, int] = {}
        for verdict in self.verdicts.values():
            counts[verdict] = counts.get(verdict, 0) + 1
        shown = ", ".join(f"{n} {v}" for v, n in counts.items()) or "no comparison"
        budget = " (stopped by the time budget)" if self.out_of_time else ""
        return (
            f"until-conclusive: {self.rounds} round(s) of more seeds, {self.trained} runs "
            f"trained{budget}; verdicts: {shown}"
        )


def _int_or_none(value: Any) -> Optional[int]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def plan_more_seeds(
    comparisons: pd.DataFrame,
    seeds: dict[str, int],
    baseline: str,
    max_seeds: int,
) -> SeedPlan:
    """Decide from one round of verdicts which variants get how many seeds.

    ``comparisons`` is :func:`bench.analysis.compare_to_baseline`'s table (one metric),
    ``seeds`` the current seed count per variant.  Pure, so the rule is testable alone.
    """
    plan = SeedPlan()
    for row in comparisons.to_dict("records"):
        name, verdict = row["variant"], row["verdict"]
        have = seeds[name]
        needed = _int_or_none(row["seeds_needed"])
        if verdict not in OPEN_VERDICTS:
            continue  # decided: better or worse
        if have >= max_seeds:
            plan.stopped[name] = f"{verdict} at the limit of {max_seeds} seeds"
            continue
        if needed is None:
            if min(int(row["n_baseline"]), int(row["n_variant"])) < 2 and have < 2:
                needed = 2  # a spread needs two seeds before anything can be estimated
            elif verdict == analysis.NO_DIFFERENCE and float(row["p_holm"]) < float(row["alpha"]):
                plan.stopped[name] = "a real difference, but smaller than min_effect"
                continue
            else:
                if int(row["n_variant"]) == 0 or int(row["n_baseline"]) == 0:
                    side = "variant" if int(row["n_variant"]) == 0 else "baseline"
                    why = f"no successful runs of the {side}"
                elif row["delta"] == 0:
                    why = "no difference observed"
                else:
                    why = "the spread cannot be estimated"
                plan.stopped[name] = f"{verdict}: {why}; more seeds cannot be planned"
                continue
        if bool(row["seeds_needed_capped"]) or needed > max_seeds:
            plan.stopped[name] = f"{verdict}: more than {max_seeds} seeds would be needed"
            continue
        target = min(max_seeds, max(have + 1, needed))
        plan.raise_to[name] = target
        plan.reasons[name] = (
            f"{verdict} (p_holm {_p(row['p_holm'])}), about {needed} seeds needed"
        )
    if plan.raise_to:
        target = max(plan.raise_to.values())
        if seeds[baseline] < target:
            plan.raise_to[baseline] = target
            plan.reasons[baseline] = "the baseline, to match the variants it is compared with"
    return plan


def _p(value: Any) -> str:
    return "n/a" if value is None or not math.isfinite(float(value)) else f"{float(value):.3g}"


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
        summary.verdicts = dict(zip(comparisons["variant"], comparisons["verdict"]))
        seeds = {v.name: v.config.train.seeds for v in suite.variants}
        plan = plan_more_seeds(comparisons, seeds, suite.baseline, max_seeds)
        summary.stopped = plan.stopped
        if not plan.raise_to:
            break
        summary.rounds += 1
        say(
            f"round {summary.rounds}: more seeds for "
            + "; ".join(
                f"{name} {seeds[name]}→{n} ({plan.reasons[name]})"
                for name, n in plan.raise_to.items()
            )
        )
        for name, n in plan.raise_to.items():
            _set_seeds(suite, name, n)
        result = run_suite(suite, path, only=list(plan.raise_to), **run_options)
        summary.trained += result.trained
        if getattr(result, "not_started", None):  # the time budget ran out: no more rounds
            summary.stopped = {name: "the time budget ran out" for name in plan.raise_to}
            summary.out_of_time = True
            break
    summary.seeds = {name: suite.variant(name).config.train.seeds for name in considered}
    return summary


def _set_seeds(suite: Suite, name: str, count: int) -> None:
    """Raise one variant's seed count; its run keys (config without seeds) stay the same."""
    variant = suite.variant(name)
    train = variant.config.train.model_copy(update={"seeds": count})
    variant.config = variant.config.model_copy(update={"train": train})
