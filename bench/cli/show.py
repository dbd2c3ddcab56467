"""``bench show STORE VARIANT``: one variant's runs and their per-epoch curves, in the terminal."""

from __future__ import annotations

import argparse
import math
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "show",
        help="show one variant's runs and per-epoch learning curves as tables",
        description="Print every run of one variant (seed, status, test metrics, time) and, "
        "per run, its training curves epoch by epoch. STORE is a results.sqlite, its folder "
        "or the suite file. Nothing is trained.",
        epilog="Example: bench show reports/quickstart/results.sqlite tanh   |   "
        "bench show suites/quickstart.yaml base --metric val_accuracy",
    )
    parser.add_argument(
        "target", metavar="STORE", help="results.sqlite, its folder, or the suite file"
    )
    parser.add_argument("variant", metavar="VARIANT", help="variant name ('base' is the baseline)")
    parser.add_argument(
        "--suite", dest="suite_name", metavar="NAME", help="which suite, if the store holds several"
    )
    parser.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        metavar="NAME",
        help="only these history curves (repeatable; default: all recorded)",
    )
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    print(show_variant(args.target, args.variant, suite_name=args.suite_name, metrics=args.metrics))
    return 0


def show_variant(
    target: str, variant: str, suite_name: str | None = None, metrics: list[str] | None = None
) -> str:
    """The text ``bench show`` prints."""
    from tabulate import tabulate

    from bench.cli.report import resolve_store
    from bench.errors import BenchError
    from bench.formatting import fmt_flops, fmt_num, fmt_pct, fmt_seconds
    from bench.store import ResultStore
    from bench.configdiff import describe_changes

    store_path, found_suite = resolve_store(target)
    with ResultStore(store_path, create=False) as store:
        definition = store.suite_definition(suite_name or found_suite)
        names = [v["name"] for v in definition["variants"]]
        if variant not in names:
            raise BenchError(
                f"{store_path}: no variant {variant!r}; the suite has: {', '.join(names)}"
            )
        runs = store.runs_frame(definition["name"])
        runs = runs[runs["variant"] == variant].sort_values("seed")
        history = store.history_frame(runs["key"])
        manifests = store.run_manifests(runs["key"])
    unknown = sorted(set(metrics or ()) - set(history["name"]))
    if unknown:
        recorded = ", ".join(sorted(set(history["name"]))) or "nothing"
        raise BenchError(
            f"--metric: {', '.join(unknown)} not recorded; the history has: {recorded}"
        )
    info = next(v for v in definition["variants"] if v["name"] == variant)
    counts = runs["status"].value_counts().to_dict()
    is_baseline = variant == definition.get("baseline", "base")
    changes = "the baseline" if is_baseline else describe_changes(info.get("changes", []))
    lines = [
        f"{definition['name']} · variant {variant} ({changes}) · "
        + ", ".join(f"{n} {s}" for s, n in counts.items()),
        "",
    ]

    def value(run: dict[str, Any], name: str, fmt: Any) -> str:
        number = run.get(name)
        return fmt(number) if isinstance(number, (int, float)) and math.isfinite(number) else "—"

    table = [
        {
            "seed": int(run["seed"]), "status": run["status"],
            "accuracy": value(run, "accuracy", lambda x: fmt_pct(x, 2)),
            "top-5": value(run, "top5_accuracy", lambda x: fmt_pct(x, 2)),
            "loss": value(run, "loss", fmt_num), "FLOPs": value(run, "flops", fmt_flops),
            "train time": value(run, "train_seconds", fmt_seconds),
            "images/s": value(run, "images_per_second", fmt_num), "key": str(run["key"])[:12],
        }
        for run in runs.to_dict("records")
    ]  # fmt: skip
    lines.append(tabulate(table, headers="keys", tablefmt="simple", disable_numparse=True))
    for run in runs.to_dict("records"):
        if run["status"] in ("failed", "diverged", "budget") and run.get("error"):
            last = str(run["error"]).strip().splitlines()[-1:]
            lines += ["", f"seed {int(run['seed'])}: {run['status']} — {last[0] if last else ''}"]
        curves = history[history["run_key"] == run["key"]]
        if metrics:
            curves = curves[curves["name"].isin(metrics)]
        if curves.empty:
            continue
        wide = curves.pivot_table(index="epoch", columns="name", values="value", sort=True)
        order = [c for c in ("accuracy", "val_accuracy", "loss", "val_loss") if c in wide.columns]
        wide = wide[order + sorted(c for c in wide.columns if c not in order)]
        rows = [
            [int(epoch)] + [_curve_value(name, wide.loc[epoch, name]) for name in wide.columns]
            for epoch in wide.index
        ]
        lines += ["", f"seed {int(run['seed'])} — per epoch"]
        lines.append(
            tabulate(
                rows, headers=["epoch", *wide.columns], tablefmt="simple", disable_numparse=True
            )
        )
    lines += _manifest_block([manifests.get(key) for key in runs["key"]])
    return "\n".join(lines)


def _manifest_block(manifests: list[Any]) -> list[str]:
    from bench.manifest import manifest_lines

    found = manifest_lines(manifests)
    return ["", "manifest (bench export --config has every field)", *("  " + line for line in found)] if found else []


def _curve_value(name: str, value: Any) -> str:
    from bench.formatting import fmt_num, fmt_pct

    if value is None or not math.isfinite(float(value)):
        return "—"
    return fmt_pct(value, 2) if "accuracy" in name and 0 <= value <= 1 else fmt_num(value, 4)
