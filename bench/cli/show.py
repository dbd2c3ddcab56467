"""``bench show STORE VARIANT``: one variant's runs and their per-epoch curves, in the terminal."""

from __future__ import annotations

import argparse
from typing import Any

from bench.cli import _args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "show",
        help="show one variant's runs and per-epoch learning curves as tables",
        description="Print every run of one variant (seed, status, test metrics, time) and, "
        "per run, its training curves epoch by epoch. STORE is a results store, its folder "
        "or the suite file. Nothing is trained.",
        epilog="Example: bench show reports/quickstart tanh   |   "
        "bench show suites/quickstart.yaml base --metric val_accuracy",
    )
    _args.add_store(parser)
    parser.add_argument("variant", metavar="VARIANT", help="variant name ('base' is the baseline)")
    _args.add_suite(parser)
    _args.add_lang(parser)
    _args.add_metric(parser, "only these history curves (repeatable; default: all recorded)")
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    print(show_variant(args.target, args.variant, suite_name=args.suite_name, metrics=args.metrics,
                       lang=args.lang))  # fmt: skip
    return 0


def show_variant(
    target: str,
    variant: str,
    suite_name: str | None = None,
    metrics: list[str] | None = None,
    lang: str | None = None,
) -> str:
    """The text ``bench show`` prints: the variant's runs, then each run's curves."""
    from tabulate import tabulate

    from bench import formatting, results, words
    from bench import metrics as metric_table
    from bench.configdiff import describe_changes
    from bench.errors import BenchError
    from bench.status import failure_cause
    from bench.tables import direction_mark

    store_path, found_suite = _args.resolve_store(target)
    found = results.load(store_path, suite_name or found_suite, predictions=False)
    lang = words.check_lang(lang or found.lang)
    if variant not in found.variant_names:
        raise BenchError(
            f"{store_path}: no variant {variant!r}; the suite has: {', '.join(found.variant_names)}"
        )
    runs = found.runs[found.runs["variant"] == variant].sort_values("seed")
    history = found.history[found.history["run_key"].isin(set(runs["key"]))]
    manifests = found.run_manifests
    unknown = sorted(set(metrics or ()) - set(history["name"]))
    if unknown:
        recorded = ", ".join(sorted(set(history["name"]))) or "nothing"
        raise BenchError(
            f"--metric: {', '.join(unknown)} not recorded; the history has: {recorded}"
        )
    info = found.variant(variant)
    counts = runs["status"].value_counts().to_dict()
    changes = (
        words.t("column.baseline_mark", lang)
        if variant == found.baseline
        else describe_changes(info.get("changes", []))
    )
    lines = [
        f"{found.name} · {words.t('column.variant', lang)} {variant} ({changes}) · "
        + ", ".join(f"{n} {words.status_word(s, lang)}" for s, n in counts.items()),
        "",
    ]
    shown = metric_table.report_metrics(found.metric_names)
    headers = [
        words.t("report.seed", lang), words.t("report.status", lang),
        *[f"{metric_table.label(m, lang)} {direction_mark(m)}".strip() for m in shown],
        words.t("column.run_key", lang),
    ]  # fmt: skip
    table = [
        [int(run["seed"]), words.status_word(run["status"], lang)]
        + [formatting.value(run.get(m), m, lang) for m in shown]
        + [str(run["key"])[:12]]
        for run in runs.to_dict("records")
    ]
    lines.append(tabulate(table, headers=headers, tablefmt="simple", disable_numparse=True))
    for run in runs.to_dict("records"):
        if run["status"] in results.UNSUCCESSFUL and run.get("error"):
            lines += ["", f"{words.t('report.seed_seed', lang, seed=int(run['seed']))}: "
                      f"{words.status_word(run['status'], lang)} — {failure_cause(run['error'])}"]  # fmt: skip
        curves = history[history["run_key"] == run["key"]]
        if metrics:
            curves = curves[curves["name"].isin(metrics)]
        if curves.empty or run["status"] == results.MISSING:
            continue
        wide = curves.pivot_table(index="epoch", columns="name", values="value", sort=True)
        # curves in the metric table's order (a task's own first), each validation after training
        order = [c for m in metric_table.report_metrics() for c in (m, f"val_{m}") if c in wide.columns]
        wide = wide[order + sorted(c for c in wide.columns if c not in order)]
        rows = [
            [int(epoch)] + [_curve_value(name, wide.loc[epoch, name], lang) for name in wide.columns]
            for epoch in wide.index
        ]
        lines += ["", f"{words.t('report.seed_seed', lang, seed=int(run['seed']))} — {words.t('figure.learning_curves', lang)}"]
        lines.append(
            tabulate(
                rows, headers=[words.t("figure.epoch", lang), *wide.columns], tablefmt="simple",
                disable_numparse=True,
            )
        )
    lines += _manifest_block([manifests.get(key) for key in runs["key"]], lang)
    return "\n".join(lines)


def _manifest_block(manifests: list[Any], lang: str) -> list[str]:
    from bench import words
    from bench.manifest import manifest_lines

    found = manifest_lines(manifests, lang)
    return ["", words.t("show.manifest", lang), *("  " + line for line in found)] if found else []


def _curve_value(name: str, value: Any, lang: str) -> str:
    """A per-epoch value: a curve of a metric in the table (``val_accuracy`` is accuracy) as that
    metric, anything else as a plain number."""
    from bench import formatting
    from bench import metrics as metric_table

    base = name.removeprefix("val_")
    return formatting.value(value, base if metric_table.is_known(base) else name, lang)
