"""``bench plan SUITE``: seeds each comparison needs and their cost; trains nothing."""

from __future__ import annotations

import argparse

from bench.cli import _args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="seeds each comparison needs to detect min_effect, and their CPU time",
        description="Per comparison against the baseline: the seeds per side that detect the "
        "suite's min_effect with the given power after Holm, from the spread of the runs "
        "already in the store, and the time of the runs still missing. Warns about claims "
        "that cannot be decided within --max-seeds. Trains nothing; never imports TensorFlow.",
        epilog="Example: bench plan suites/quickstart.yaml --max-seeds 20",
    )
    parser.add_argument("suite", metavar="SUITE", help="suite YAML file")
    parser.add_argument("--store", metavar="PATH", help="results store (default: the suite's)")
    parser.add_argument("--pilot-seeds", type=int, metavar="N",
                        help="use only the first N seeds of each variant as the pilot")
    parser.add_argument("--max-seeds", type=int, default=20, metavar="K",
                        help="most seeds per variant you would run (default 20)")
    parser.add_argument("--power", type=float, default=0.8, metavar="P",
                        help="power to detect min_effect (default 0.8)")
    parser.add_argument("--metric", metavar="NAME", help="metric to plan for (default accuracy)")
    parser.add_argument("--profile", metavar="NAME", help="apply one of the suite's profiles")
    _args.add_lang(parser)
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bench import words
    from bench.errors import BenchError
    from bench.layout import default_store_path
    from bench.planning import plan_lines, plan_suite, store_runs
    from bench.suite import load_suite

    if not 0 < args.power < 1:
        raise BenchError(f"--power: {args.power:g} is not allowed — must lie between 0 and 1")
    suite = load_suite(args.suite, profile=args.profile)
    store = Path(args.store) if args.store else default_store_path(suite.name)
    plan = plan_suite(suite, store_runs(store, suite.name), metric=args.metric,
                      pilot_seeds=args.pilot_seeds, max_seeds=args.max_seeds, power=args.power)
    lang = words.check_lang(args.lang or suite.lang)
    print("\n".join(plan_lines(plan, lang)))
    return 0
