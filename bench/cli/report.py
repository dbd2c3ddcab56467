"""``bench report SUITE_OR_STORE``: render report.md and report.html (no TensorFlow)."""

from __future__ import annotations

import argparse

from bench.cli import _args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="render the Markdown and HTML report of a suite's results",
        description="Render report.md and report.html (with figures) from a results store. "
        "Give the suite file or the store; nothing is trained.",
        epilog="Example: bench report suites/quickstart.yaml   or   bench report reports/quickstart"
        "   or   bench report reports/quickstart --figure-format pdf",
    )
    _args.add_store(parser, metavar="SUITE_OR_STORE", help="suite YAML file or results store")
    _args.add_out(parser, metavar="DIR", help="output folder (default: the store's folder)")
    _args.add_templates(parser)
    _args.add_lang(parser, help="language of the report (default: the suite's lang:, else en)")
    _args.add_suite(parser)
    parser.add_argument(
        "--figure-format", choices=("png", "svg", "pdf"), default="png",
        help="figures for print: svg or pdf also writes each figure in that format beside its PNG "
        "(report.md links it; the HTML report embeds the PNG either way)",
    )  # fmt: skip
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.report import render_report

    store_path, suite_name = _args.resolve_store(args.target)
    written = render_report(
        store_path,
        out_dir=args.out,
        templates=args.templates,
        suite_name=args.suite_name or suite_name,
        lang=args.lang,
        figure_format=args.figure_format,
    )
    print("report: " + ", ".join(str(p) for p in written))
    return 0
