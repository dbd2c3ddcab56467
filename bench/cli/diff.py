"""``bench diff``: compare two variants of a store, or two stores of one suite (no TensorFlow).

Exit status: 0, or 1 with ``--fail-on-regression`` when a gated metric got
significantly worse (two stores: by more than ``--margin``, a non-inferiority test),
or 2 for a mistake in the arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.cli import _args
from bench.errors import BenchError

_FORMAT_BY_SUFFIX = {
    ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"
}  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="compare two variants, or the same suite measured twice",
        usage="bench diff [options] STORE_OR_SUITE A B\n       bench diff [options] OLD NEW",
        description="With three arguments, compare variant B with variant A of one store: "
        "config diff, every metric's Δ with 95% CI, p-value and verdict (each metric its "
        "own test), McNemar on paired predictions and the classes that changed. With two, "
        "compare two stores of one suite (another commit, machine or library version): per "
        "variant Δ accuracy, training time and throughput, Holm-corrected across variants. "
        "A suite file stands for its default store. Nothing is trained.",
        epilog="Examples: bench diff suites/quickstart.yaml base kernel-5 | "
        "bench diff old-reports/quickstart reports/quickstart --fail-on-regression",
    )
    parser.add_argument(
        "targets", nargs="+", metavar="TARGET",
        help="a store (or suite file) and two variant names, or two stores (or suite files)",
    )  # fmt: skip
    _args.add_format(parser, ("table", "md", "html", "json"), "table, or from --out's extension")
    _args.add_out(parser)
    _args.add_lang(parser, help="language of the output (default: the suite's lang:, else en)")
    _args.add_templates(parser)
    _args.add_suite(parser)
    _args.add_metric(parser, "compare this metric (repeatable; default: every compared metric "
                     "of the metric table the runs recorded)")
    parser.add_argument("--fail-on-regression", action="store_true",
                        help="exit 1 if any variant got significantly worse on a gated metric")
    _args.add_metric(parser, "metric(s) --fail-on-regression gates (repeatable; default: the "
                     "task's first metric, e.g. accuracy)", dest="fail_metrics", flag="--fail-metric")
    parser.add_argument("--margin", type=float, default=None, metavar="M",
                        help="two stores: fail only where new is worse than old by more than M "
                        "with confidence (the metric's units; 0.005 = 0.5 pp of accuracy; default 0)")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench import words
    from bench.diff import diff_stores, diff_variants, render

    gate = args.fail_metrics
    if args.margin is not None and len(args.targets) != 2:
        raise BenchError("--margin applies to two stores (bench diff OLD NEW --fail-on-regression --margin M)")
    if len(args.targets) == 3:
        path, suite_name = _args.resolve_store(args.targets[0])
        result = diff_variants(
            path, args.targets[1], args.targets[2],
            suite_name=args.suite_name or suite_name, metrics=args.metrics, gate_metrics=gate,
        )  # fmt: skip
    elif len(args.targets) == 2:
        old, new = (_store(t) for t in args.targets)
        result = diff_stores(
            old, new, suite_name=args.suite_name, metrics=args.metrics, gate_metrics=gate,
            margin=args.margin or 0.0,
        )
    else:
        raise BenchError(
            f"diff takes a store and two variant names (bench diff STORE A B) or two stores "
            f"(bench diff OLD NEW); got {len(args.targets)} argument(s)"
        )
    fmt = _args.format_from(args.format, args.out, _FORMAT_BY_SUFFIX, "table")
    lang = words.check_lang(args.lang or result.suite_lang)
    text = render(result, fmt, lang=lang, templates=args.templates)
    for warning in result.warning_texts(lang):
        print(f"bench: warning: {warning}", file=sys.stderr)
    if args.out:
        from bench.files import write_text_atomic

        out = write_text_atomic(Path(args.out), text)
        print(f"diff: {out}")
    else:
        sys.stdout.write(text)
    regressions = result.regressions()
    if args.fail_on_regression and regressions:
        names = ", ".join(f"{r['variant']} ({r['metric']})" for r in regressions)
        beyond = f" by more than {args.margin:g}" if args.margin else ""
        print(f"bench: regression: significantly worse{beyond}: {names}", file=sys.stderr)
        return 1
    return 0


def _store(target: str) -> Path:
    """A store or suite file for the two-store form; a bare name is a forgotten store."""
    path = Path(target)
    if path.suffix not in (".yaml", ".yml") and not path.exists():
        raise BenchError(
            f"{target}: no such results store or suite file; to compare two variants of one "
            "store give three arguments: bench diff STORE A B"
        )
    return _args.resolve_store(target)[0]
