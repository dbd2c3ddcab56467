"""``bench verify STORE``: retrain stored runs in a fresh worker and compare them with the store."""

from __future__ import annotations

import argparse
from typing import Any, Optional

from bench import formatting
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
    _args.add_lang(parser, help="language of the output (default: the stored suite's lang:, else en)")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench import words
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
    print("\n".join(outcome_lines(outcome, words.check_lang(args.lang or outcome.lang))))
    return 0 if outcome.passed else 1


def outcome_lines(outcome: Any, lang: Optional[str] = None) -> list[str]:
    """The words for a :class:`bench.verify.VerifyOutcome`, in ``lang``."""
    from bench import formatting, words
    from bench.verify import FAILED

    lines = []
    for check in outcome.checks:
        threads = words.t("verify.threads", lang, n=check.threads) if check.threads else ""
        lines.append(words.t(
            "verify.run", lang, variant=check.variant, seed=check.seed, run_key=check.key[:12],
            threads=threads, status=_status_word(check.status, lang),
        ))  # fmt: skip
        if check.key_changed:
            lines.append("  " + words.t("verify.key_changed", lang))
        if check.error:
            cause = (check.error.splitlines() or [""])[-1]
            lines.append("  " + words.t("verify.retrain_failed", lang, cause=cause))
        for difference in check.differences[:MAX_LISTED]:
            lines.append("  " + _difference_text(difference, lang))
        if len(check.differences) > MAX_LISTED:
            lines.append("  " + words.t("verify.more_differences", lang, n=len(check.differences) - MAX_LISTED))
        if check.manifest_changes:
            lines.append("  " + words.t("verify.manifest_changed", lang))
            lines += [f"    {c.field}: {_short(c.before)} → {_short(c.after)}" for c in check.manifest_changes]
        elif check.manifest_changes == [] and check.status != FAILED:
            lines.append("  " + words.t("verify.manifest_same", lang))
    passed = sum(check.passed for check in outcome.checks)
    tolerance = (
        words.t("verify.tolerance", lang, tolerance=formatting.number(outcome.tolerance, 6))
        if outcome.tolerance
        else ""
    )
    lines.append(words.t("verify.summary", lang, passed=passed, total=len(outcome.checks),
                         tolerance=tolerance, store=outcome.store_path))  # fmt: skip
    return lines


def _status_word(status: str, lang: Optional[str]) -> str:
    """The word for the verdict :mod:`bench.verify` gives a run."""
    from bench import words
    from bench.verify import DIFFERENT, FAILED, IDENTICAL, WITHIN_TOLERANCE

    keys = {IDENTICAL: "verify.identical", WITHIN_TOLERANCE: "verify.within_tolerance",
            DIFFERENT: "verify.different", FAILED: "verify.failed"}  # fmt: skip
    return words.t(keys[status], lang)


def _difference_text(difference: Any, lang: Optional[str] = None) -> str:
    from bench import words

    mark = words.t("verify.within_tolerance_mark", lang) if difference.within_tolerance else ""
    if difference.kind == "predictions":
        if difference.changed is None:
            return words.t("verify.predictions_shape", lang, name=difference.name,
                           stored=_short(difference.stored), rerun=_short(difference.rerun))  # fmt: skip
        return words.t("verify.predictions_changed", lang, name=difference.name, changed=difference.changed,
                       total=difference.total, mark=mark)  # fmt: skip
    stored, rerun = difference.stored, difference.rerun
    if difference.kind == "status":
        name = words.t("verify.status_field", lang)
        stored, rerun = words.status_word(stored, lang), words.status_word(rerun, lang)
    elif difference.kind == "history":
        name = words.t("verify.curve", lang, name=difference.name)
    else:
        name = difference.name
    if difference.epoch:
        name = words.t("verify.at_epoch", lang, name=name, epoch=difference.epoch)
    delta = ""
    if isinstance(stored, float) and isinstance(rerun, float):
        delta = f" (Δ {formatting.exact(rerun - stored, signed=True)})"
    return words.t("verify.value_changed", lang, name=name, stored=_short(stored), rerun=_short(rerun),
                   delta=delta, mark=mark)  # fmt: skip


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return formatting.exact(value)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
