"""``bench run SUITE``: train what the store lacks, then write the report."""

from __future__ import annotations

import argparse

from bench.suite import load_suite


def register(subparsers: argparse._SubParsersAction) -> None:
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
    parser.add_argument("--fresh", action="store_true", help="retrain runs already in the store")
    parser.add_argument("--store", metavar="PATH", help="results file (default reports/<suite>/results.sqlite)")
    parser.add_argument("--profile", metavar="NAME", help="apply one of the suite's profiles (e.g. quick)")
    parser.add_argument("--no-report", action="store_true", help="do not render the report afterwards")
    parser.add_argument("--templates", metavar="DIR", help="report templates overriding the defaults")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.errors import BenchError

    if args.seeds is not None and args.seeds < 1:
        raise BenchError(f"--seeds: {args.seeds} is not allowed — must be at least 1")
    suite = load_suite(args.suite, profile=args.profile, seeds=args.seeds)
    for name in args.only:
        suite.variant(name)  # unknown names fail before anything trains

    from bench.runner import run_suite

    summary = run_suite(suite, args.store, only=args.only, seeds=args.seeds, fresh=args.fresh)
    print(summary.line())
    if not args.no_report:
        from bench.report import render_report

        written = render_report(summary.store_path, templates=args.templates, suite_name=suite.name)
        print("report: " + ", ".join(str(p) for p in written))
    return 0
