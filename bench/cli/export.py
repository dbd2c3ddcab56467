"""``bench export STORE``: runs as CSV/JSON/Parquet, or logged to an MLflow tracking store."""

from __future__ import annotations

import argparse
from bench.cli import _args

_FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet",
                     ".tex": "latex", ".md": "markdown"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a store's runs (CSV, JSON, Parquet) or log them to MLflow",
        description="One row per trained run (suite, variant, seed, key, status, every metric, "
        "times, host); --config adds the resolved configuration as config.* columns. "
        "With --mlflow, log every run to an MLflow tracking store instead: params from the "
        "flattened configuration, metrics, per-epoch history as steps, the report as an "
        "artifact (needs pip install 'bench[mlflow]'). Nothing is trained.",
        epilog="Examples: bench export reports/quickstart --out runs.csv   |   "
        "bench export suites/quickstart.yaml --format json   |   "
        "bench export reports/quickstart --mlflow sqlite:///mlflow.db   |   "
        "bench export reports/quickstart --format latex --out conclusions.tex   |   "
        "bench export reports/quickstart --tensorboard tb/quickstart",
    )
    _args.add_store(parser)
    _args.add_format(
        parser,
        ("csv", "json", "parquet", "latex", "markdown"),
        "from --out's extension, else csv; latex and markdown write the conclusions table "
        "(booktabs) instead of the runs",
    )
    _args.add_out(parser)
    parser.add_argument(
        "--config", action="store_true", help="add the configuration as config.* columns"
    )
    parser.add_argument(
        "--metrics", action="store_true",
        help="write what each metric column is instead (name, label, kind, unit, direction, "
        "cost), from the metric table",
    )  # fmt: skip
    _args.add_lang(parser, help="language of the labels with --metrics (default: en)")
    _args.add_suite(parser)
    parser.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        metavar="TRACKING_URI",
        help="log to MLflow instead (default URI: MLFLOW_TRACKING_URI or MLflow's own), "
        "e.g. sqlite:///mlflow.db",
    )
    parser.add_argument(
        "--experiment", metavar="NAME", help="MLflow experiment (default bench/<suite>)"
    )
    parser.add_argument(
        "--tensorboard", metavar="DIR", help="write TensorBoard event files instead: one run per "
        "variant and seed (per-epoch curves, final metrics, HParams data); needs pip install "
        "'bench[tensorboard]'",
    )
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.errors import BenchError

    store, suite_name = _args.resolve_store(args.target)
    suite_name = args.suite_name or suite_name
    if args.tensorboard is not None:
        if args.format or args.out or args.config or args.mlflow is not None:
            raise BenchError("--tensorboard writes event files into DIR: leave out --format, "
                             "--out, --config and --mlflow")
        from bench.tensorboard_export import export_tensorboard

        print(export_tensorboard(store, args.tensorboard, suite=suite_name).line())
        return 0
    if args.mlflow is not None:
        if args.format or args.out or args.config or args.metrics:
            raise BenchError(
                "--mlflow logs to a tracking store: leave out --format, --out, --config and --metrics"
            )
        from bench.export import export_mlflow

        summary = export_mlflow(
            store, args.mlflow or None, suite=suite_name, experiment=args.experiment
        )
        print(summary.line())
        return 0
    if args.experiment:
        raise BenchError("--experiment only applies with --mlflow")
    fmt = _args.format_from(args.format, args.out, _FORMAT_BY_SUFFIX, "csv")
    if fmt in ("latex", "markdown"):
        from bench.paper import write_paper_table

        if args.config:
            raise BenchError("--config adds columns to the runs table; --format latex/markdown "
                             "writes the conclusions table: leave out --config")
        written = write_paper_table(store, fmt, args.out, suite=suite_name)
        if written is not None:
            print(f"export: {written}")
        return 0
    from bench.export import export_runs

    if args.lang and not args.metrics:
        raise BenchError("--lang only applies with --metrics (labels); run data has no words")
    written = export_runs(
        store, fmt, args.out, suite=suite_name, with_config=args.config,
        describe_metrics=args.metrics, lang=args.lang or "en",
    )  # fmt: skip
    if written is not None:
        print(f"export: {written}")
    return 0
