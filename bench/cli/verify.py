"""``bench verify STORE``: retrain stored runs in a fresh worker and compare them with the store."""

from __future__ import annotations

import argparse
from typing import Any

from bench.cli import _args

MAX_LISTED = 12  # differences listed per run; the rest are counted


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="retrain stored runs and check that they come out the same",
        description="Retrain the chosen runs (default: seed 0 of the baseline) from their stored "
        "configuration in a fresh worker process, with the thread count they recorded, and compare "
        "every metric that is not a timing, every per-epoch curve and the test-set predictions "
        "with the store. Prints 'identical', or each difference and the manifest fields that "
        "changed (threads, package versions, CPU). Exit status 0 when every run is identical or "
        "within --tolerance, 1 otherwise. The store is only read.",
        epilog="Examples: bench verify reports/quickstart --variant base --seed 0   |   "
        "bench verify reports/quickstart --all --tolerance 0.005",
    )
    _args.add_store(parser)
    parser.add_argument("--variant", metavar="V", help="variant to retrain (default: the baseline)")
    parser.add_argument("--seed", type=int, metavar="S", help="seed to retrain (default: the first)")
    parser.add_argument(
        "--all", dest="all_runs", action="store_true",
        help="retrain every finished run (of --variant, if given)",
    )  # fmt: skip
    parser.add_argument(
        "--tolerance", type=float, default=0.0, metavar="T",
        help="accept metric and curve values within T (absolute) and up to a fraction T of "
        "changed predictions (default 0: identical only)",
    )  # fmt: skip
    parser.add_argument(
        "--suite", dest="suite_name", metavar="NAME", help="which suite, if the store holds several"
    )
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.verify import verify_store

    store_path, suite_name = _args.resolve_store(args.target)
    outcome = verify_store(
        store_path,
        variant=args.variant,
        seed=args.seed,
        all_runs=args.all_runs,
        tolerance=args.tolerance,
        suite=args.suite_name or suite_name,
    )
    print("\n".join(outcome_lines(outcome)))
    return 0 if outcome.passed else 1


def outcome_lines(outcome: Any) -> list[str]:
    """The words for a :class:`bench.verify.VerifyOutcome`."""
    from bench.verify import FAILED

    lines = []
    for check in outcome.checks:
        threads = f", {check.threads} thread(s)" if check.threads else ""
        lines.append(f"{check.variant} seed {check.seed} (key {check.key[:12]}{threads}): {check.status}")
        if check.key_changed:
            lines.append("  note: this bench resolves the stored configuration to another run key")
        if check.error:
            lines.append("  the retrained run failed: " + (check.error.splitlines() or [""])[-1])
        for difference in check.differences[:MAX_LISTED]:
            lines.append("  " + _difference_text(difference))
        if len(check.differences) > MAX_LISTED:
            lines.append(f"  … and {len(check.differences) - MAX_LISTED} more differences")
        if check.manifest_changes:
            lines.append("  manifest fields that changed since the run was stored:")
            lines += [f"    {c.field}: {_short(c.before)} → {_short(c.after)}" for c in check.manifest_changes]
        elif check.manifest_changes == [] and check.status != FAILED:
            lines.append("  manifest: the same")
    passed = sum(check.passed for check in outcome.checks)
    tolerance = f" (tolerance {outcome.tolerance:g})" if outcome.tolerance else ""
    lines.append(f"verify: {passed} of {len(outcome.checks)} run(s) reproduced{tolerance} — {outcome.store_path}")
    return lines


def _difference_text(difference: Any) -> str:
    mark = " (within tolerance)" if difference.within_tolerance else ""
    if difference.kind == "predictions":
        if difference.changed is None:
            return f"predictions {difference.name}: shape {difference.stored} stored, {difference.rerun} now"
        return f"predictions {difference.name}: {difference.changed} of {difference.total} differ{mark}"
    where = f" epoch {difference.epoch}" if difference.epoch else ""
    name = f"{difference.name}{where}" if difference.kind != "history" else f"curve {difference.name}{where}"
    delta = ""
    if isinstance(difference.stored, float) and isinstance(difference.rerun, float):
        delta = f" (Δ {difference.rerun - difference.stored:+.6g})"
    return f"{name}: stored {_short(difference.stored)}, now {_short(difference.rerun)}{delta}{mark}"


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.10g}"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
