"""``bench validate SUITE``: check a suite file completely; train and write nothing."""

from __future__ import annotations

import argparse



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check suite files without training",
        description="Check suite files: keys, types, ranges, names, override paths. "
        "Prints one line per suite; exit status 2 on the first mistake.",
        epilog="Example: bench validate suites/*.yaml",
    )
    parser.add_argument("suites", nargs="+", metavar="SUITE", help="suite YAML file(s)")
    parser.add_argument("--profile", help="also check the suite under this profile")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.suite import load_suite

    for path in args.suites:
        suite = load_suite(path, profile=args.profile)
        runs = len(suite.specs())
        print(f"{path}: ok — suite {suite.name!r}, {len(suite.variants)} variants, {runs} runs")
    return 0
