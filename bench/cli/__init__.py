"""The ``bench`` command: one module per verb, each a thin adapter over a plain function.

User mistakes raise :class:`bench.errors.BenchError`; they are caught once,
here, and printed as one line with exit status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

import bench

def _verb_modules() -> list[str]:
    """Every module in this package is a verb with a ``register(subparsers)`` function."""
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench",
        description="Train neural-network variants over seeds and report what each change did.",
        epilog="Example: bench run suites/quickstart.yaml   (then open reports/quickstart/report.html)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bench {bench.__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)
    import importlib

    for verb in _verb_modules():
        importlib.import_module(f"bench.cli.{verb}").register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the console script; returns the exit status."""
    from bench import console_safety

    parser = build_parser()
    args = parser.parse_args(argv)
    with console_safety.one_line_failures() as outcome:
        outcome.status = int(args.handler(args) or 0)
    return outcome.status


if __name__ == "__main__":
    sys.exit(main())
