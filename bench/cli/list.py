"""``bench list``: the suites under suites/ and the stores under reports/, with their state."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list suites and results stores with runs done, failed and missing",
        description="List the suite files under --suites (runs planned; done = ok, failed = "
        "failed, diverged or over budget, missing = not in their default store yet) and the "
        "results stores under --reports (per suite: "
        "runs ok, failed, missing; when the last run finished). Nothing is trained.",
        epilog="Example: bench list   |   bench list --suites my-suites --reports results",
    )
    parser.add_argument(
        "--suites", default="suites", metavar="DIR", help="suite folder (default: suites)"
    )
    parser.add_argument(
        "--reports", default="reports", metavar="DIR", help="reports folder (default: reports)"
    )
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    suites, stores = (
        suite_rows(Path(args.suites), Path(args.reports)),
        store_rows(Path(args.reports)),
    )
    print(f"Suites in {args.suites}/")
    if suites:
        print(tabulate(suites, headers="keys", tablefmt="simple", disable_numparse=True))
    else:
        print("  (none)")
    print()
    print(f"Stores in {args.reports}/")
    if stores:
        print(tabulate(stores, headers="keys", tablefmt="simple", disable_numparse=True))
    else:
        print("  (none)")
    return 0


def suite_rows(suites_dir: Path, reports_dir: Path) -> list[dict[str, Any]]:
    """One row per suite file: its runs and how many of them its default store has."""
    from bench.errors import BenchError
    from bench.store import ResultStore
    from bench.suite import load_suite

    rows = []
    files = (
        sorted([*suites_dir.glob("*.yaml"), *suites_dir.glob("*.yml")])
        if suites_dir.is_dir()
        else []
    )
    for path in files:
        try:
            suite = load_suite(path)
            specs = suite.specs()
        except BenchError as exc:
            rows.append(
                {
                    "file": path.name,
                    "suite": "—",
                    "variants": "—",
                    "runs": "—",
                    "done": "—",
                    "failed": "—",
                    "missing": "—",
                    "store": "invalid: " + _short(str(exc), 70),
                }
            )
            continue
        store = reports_dir / suite.name / "results.sqlite"
        statuses: dict[str, str] = {}
        if store.is_file():
            try:
                with ResultStore(store, create=False) as results:
                    frame = results.runs_frame(None, planned_only=False)
                statuses = dict(zip(frame["key"], frame["status"], strict=True))
            except BenchError as exc:
                statuses = {}
                store_text = "unreadable: " + _short(str(exc), 60)
            else:
                store_text = str(store)
        else:
            store_text = "— (not run yet)"
        done = sum(statuses.get(s.key) == "ok" for s in specs)
        failed = sum(statuses.get(s.key) in ("failed", "diverged", "budget") for s in specs)
        rows.append({
            "file": path.name, "suite": suite.name, "variants": str(len(suite.variants)),
            "runs": str(len(specs)), "done": str(done), "failed": str(failed),
            "missing": str(sum(s.key not in statuses for s in specs)), "store": store_text,
        })  # fmt: skip
    return rows


def store_rows(reports_dir: Path) -> list[dict[str, Any]]:
    """One row per suite in each reports/*/results.sqlite."""
    from bench.errors import BenchError
    from bench.store import ResultStore

    rows = []
    stores = sorted(reports_dir.glob("*/results.sqlite")) if reports_dir.is_dir() else []
    for store in stores:
        try:
            with ResultStore(store, create=False) as results:
                frames = [(name, results.runs_frame(name)) for name in results.suite_names()]
        except BenchError as exc:
            rows.append({"store": str(store), "suite": "unreadable: " + _short(str(exc), 60)})
            continue
        for name, runs in frames:
            counts = runs["status"].value_counts().to_dict()
            finished = runs["finished_at"].dropna()
            rows.append({
                "store": str(store), "suite": name, "planned": str(len(runs)),
                "ok": str(counts.get("ok", 0)),
                "failed": str(sum(counts.get(s, 0) for s in ("failed", "diverged", "budget"))),
                "missing": str(counts.get("missing", 0)),
                "last run": _when(float(finished.max()))
                if len(finished) else "—",
                "report": "yes" if (store.parent / "report.html").is_file() else "no",
            })  # fmt: skip
    return rows


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(timestamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
