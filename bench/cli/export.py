"""``bench export STORE``: runs as CSV/JSON/Parquet, logged to MLflow or TensorBoard, or a
detection store's boxes as COCO JSON."""

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
        "bench export reports/quickstart --tensorboard tb/quickstart   |   "
        "bench export reports/ssd-seed --detections --out coco/",
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
    _args.add_lang(parser, help="language of the labels with --metrics (default: en) and of the words of "
                   "the --format latex/markdown table (default: the suite's lang:)")
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
    parser.add_argument(
        "--detections", action="store_true",
        help="write the test ground truth and each detection run's detections as COCO JSON "
        "(instances + results, index.json) into --out DIR, so pycocotools or any COCO tool re-scores them",
    )  # fmt: skip
    parser.add_argument("--variant", metavar="NAME", help="with --detections: only this variant's runs")
    parser.add_argument("--seed", type=int, metavar="N", help="with --detections: only the runs of this seed")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.errors import BenchError

    store, suite_name = _args.resolve_store(args.target)
    suite_name = args.suite_name or suite_name
    if args.detections:
        if args.format or args.config or args.metrics or args.mlflow is not None or args.tensorboard is not None:
            raise BenchError("--detections writes COCO JSON files into --out DIR: leave out --format, "
                             "--config, --metrics, --mlflow and --tensorboard")
        if not args.out:
            raise BenchError("--detections needs --out DIR, the folder the COCO JSON files go into")
        from bench.export_detections import export_detections

        print(export_detections(store, args.out, suite=suite_name, variant=args.variant, seed=args.seed).line())
        return 0
    if args.variant is not None or args.seed is not None:
        raise BenchError("--variant and --seed only apply with --detections")
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
        written = write_paper_table(store, fmt, args.out, suite=suite_name, lang=args.lang)
        if written is not None:
            print(f"export: {written}")
        return 0
    from bench.export import export_runs

    if args.lang and not args.metrics:
        raise BenchError("--lang only applies with --metrics (labels) or --format latex/markdown; "
                         "run data has no words")
    written = export_runs(
        store, fmt, args.out, suite=suite_name, with_config=args.config,
        describe_metrics=args.metrics, lang=args.lang or "en",
    )  # fmt: skip
    if written is not None:
        print(f"export: {written}")
    return 0
