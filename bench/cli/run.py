"""``bench run SUITE``: train what the store lacks, then write the report."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from bench.executors import Executor


def register(subparsers: argparse._SubParsersAction) -> None:
    from bench.layout import default_store_path

    parser = subparsers.add_parser(
        "run",
        help="train a suite's variants over seeds and write its report",
        description="Train every variant of a suite over its seeds, record each finished run "
        "in the results store, then render the report. Runs already in the store are "
        "skipped, so re-running resumes.",
        epilog="Example: bench run suites/quickstart.yaml --seeds 5 --only tanh",
    )
    parser.add_argument("suite", metavar="SUITE", help="suite YAML file")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="train only this variant (repeatable; 'base' is the baseline)")
    parser.add_argument("--seeds", type=int, metavar="N", help="seeds per variant (overrides train.seeds)")
    parser.add_argument("--fresh", action="store_true", help="retrain runs already in the store "
                        "(those the added seeds of --until-conclusive reuse too)")
    parser.add_argument("--store", metavar="PATH", help=f"results file (default {default_store_path('<suite>')})")
    parser.add_argument("--profile", metavar="NAME", help="apply one of the suite's profiles (e.g. quick)")
    parser.add_argument("--no-report", action="store_true", help="do not render the report afterwards")
    parser.add_argument("--templates", metavar="DIR", help="report templates overriding the defaults")
    parser.add_argument("--lang", choices=("en", "ru"), help="language of the report and of the console lines (default: the suite's lang:, else en)")
    parser.add_argument("--until-conclusive", action=argparse.BooleanOptionalAction, default=None,
                        help="afterwards, add seeds to variants whose verdict is still open "
                        "until each is decided or --max-seeds is reached (default: as the suite's "
                        "until_conclusive: says, except with --profile or --seeds)")
    parser.add_argument("--max-seeds", type=int, metavar="K",
                        help="most seeds per variant for --until-conclusive (default: the suite's, else 10)")
    parser.add_argument("--spending", choices=("obrien-fleming", "pocock"),
                        help="alpha-spending function of --until-conclusive's group-sequential design "
                        "(default obrien-fleming: strict early looks; pocock spends evenly)")
    parser.add_argument("--jobs", default="auto", metavar="N|auto",
                        help="worker processes training at once, cores split between them "
                        "(default auto: one per core, fewer for few runs, little memory or GPUs)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="local worker processes, or Ray tasks (pip install -e '.[ray]')")
    parser.add_argument("--address", metavar="ADDR", help="Ray cluster to connect to "
                        "(default: start a local Ray instance)")
    parser.add_argument("--max-minutes", type=float, metavar="M", help="start no new run after M "
                        "minutes; runs in flight finish, the rest stay missing for the next run")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.errors import BenchError
    from bench.suite import load_suite

    if args.seeds is not None and args.seeds < 1:
        raise BenchError(f"--seeds: {args.seeds} is not allowed — must be at least 1")
    suite = load_suite(args.suite, profile=args.profile, seeds=args.seeds)
    for name in args.only:
        suite.variant(name)  # unknown names fail before anything trains
    declared = suite.until_conclusive  # the suite's design, for full runs of it
    until_conclusive = getattr(args, "until_conclusive", None)
    if until_conclusive is None:
        until_conclusive = declared is not None and args.profile is None and args.seeds is None
    max_seeds = getattr(args, "max_seeds", None)
    if max_seeds is not None and not until_conclusive:
        raise BenchError("--max-seeds only applies with --until-conclusive")
    spending = getattr(args, "spending", None)
    if spending is not None and not until_conclusive:
        raise BenchError("--spending only applies with --until-conclusive")
    if until_conclusive:
        from bench.adaptive import DEFAULT_MAX_SEEDS

        if max_seeds is None:
            max_seeds = declared.max_seeds if declared else DEFAULT_MAX_SEEDS
        spending = spending or (declared.spending if declared else None)
        if max_seeds < 2:
            raise BenchError(f"--max-seeds: {max_seeds} is not allowed — must be at least 2")
        if args.only and suite.baseline not in args.only:
            args.only = [*args.only, suite.baseline]  # every verdict is against the baseline

    from bench import words
    from bench.runner import run_suite

    lang = words.check_lang(args.lang or suite.lang)
    with _executor(args) as pool:  # one pool of workers for the run and any later rounds
        budget = {"deadline": time.monotonic() + args.max_minutes * 60} if args.max_minutes else {}
        # --fresh: every stored run this command uses is trained again, the rounds' included
        fresh = {"fresh_since": time.time()} if args.fresh else {}
        summary = run_suite(suite, args.store, only=args.only, seeds=args.seeds, executor=pool, lang=lang,
                            **fresh, **budget)  # fmt: skip
        print(summary.line(lang))
        summary.raise_if_all_failed(lang)
        if until_conclusive and not summary.not_started:
            from bench.adaptive import run_until_conclusive

            adaptive = run_until_conclusive(suite, summary.store_path, max_seeds=max_seeds, only=args.only,
                                            spending=spending or "obrien-fleming", executor=pool, lang=lang,
                                            **fresh, **budget)  # fmt: skip
            print(adaptive.line(lang))
    if not args.no_report:
        from bench.report import render_report

        written = render_report(
            summary.store_path, templates=args.templates, suite_name=suite.name, lang=args.lang
        )
        print(words.t("run.report_written", lang, paths=", ".join(str(p) for p in written)))
    return 0


def _executor(args: argparse.Namespace) -> "Executor":
    """The executor ``--executor/--jobs/--address`` ask for (workers start when runs are due)."""
    from bench.errors import BenchError
    from bench.executors import make_executor

    if args.max_minutes is not None and not 0 < args.max_minutes < float("inf"):
        raise BenchError(f"--max-minutes: {args.max_minutes:g} is not allowed — must be a positive, finite number")
    jobs = args.jobs if args.jobs == "auto" else _whole_number(args.jobs)
    return make_executor(args.executor, jobs, args.address)


def _whole_number(text: str) -> int:
    from bench.errors import BenchError

    if not text.isdigit() or int(text) < 1:
        raise BenchError(f"--jobs: {text!r} is not allowed — a whole number ≥ 1, or auto")
    return int(text)

