"""``bench report SUITE_OR_STORE``: render report.md and report.html (no TensorFlow)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.errors import BenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="render the Markdown and HTML report of a suite's results",
        description="Render report.md and report.html (with figures) from a results store. "
        "Give the suite file or the store; nothing is trained.",
        epilog="Example: bench report suites/quickstart.yaml   or   bench report reports/quickstart/results.sqlite",
    )
    parser.add_argument("target", metavar="SUITE_OR_STORE", help="suite YAML file or results.sqlite")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: the store's folder)")
    parser.add_argument("--templates", metavar="DIR", help="report templates overriding the defaults")
    parser.add_argument("--lang", choices=("en", "ru"), help="language of the report (default: the suite's lang:, else en)")
    parser.add_argument("--suite", dest="suite_name", metavar="NAME", help="which suite, if the store holds several")
    parser.set_defaults(handler=execute)


def resolve_store(target: str) -> tuple[Path, str | None]:
    """A suite file → its default store; a folder → its results.sqlite; a store → itself."""
    path = Path(target)
    if path.is_dir():
        if not (path / "results.sqlite").is_file():
            raise BenchError(f"{target}: no results.sqlite in this folder")
        return path / "results.sqlite", None
    if path.suffix in (".yaml", ".yml"):
        from bench.store import default_store_path
        from bench.suite import load_suite

        suite = load_suite(path)
        return default_store_path(suite.name), suite.name
    if not path.exists():
        raise BenchError(f"{target}: no such suite file or results store")
    return path, None


def execute(args: argparse.Namespace) -> int:
    from bench.report import render_report

    store_path, suite_name = resolve_store(args.target)
    written = render_report(
        store_path,
        out_dir=args.out,
        templates=args.templates,
        suite_name=args.suite_name or suite_name,
        lang=args.lang,
    )
    print("report: " + ", ".join(str(p) for p in written))
    return 0
