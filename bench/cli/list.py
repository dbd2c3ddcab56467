"""``bench list``: the suites under suites/ and the stores under reports/, with their state."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.status import Status


#: The column counting runs that did not count (failed, diverged, over budget).
FAILED = Status.FAILED.value
#: The column counting runs whose stored row cannot be read.
DAMAGED = Status.DAMAGED.value
#: The statuses the FAILED column counts: every unsuccessful one but damaged (its own column).
_NOT_OK = tuple(s.value for s in Status if s not in (Status.OK, Status.DAMAGED))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list suites and results stores with runs done, failed, damaged and missing",
        description="List the suite files under --suites (runs planned; done = ok, failed = "
        "failed, diverged or over budget, damaged = stored but unreadable, missing = not in their "
        "default store yet) and the results stores under --reports (per suite: "
        "runs ok, failed, damaged, missing; when the last run finished). Nothing is trained.",
        epilog="Example: bench list   |   bench list --suites my-suites --reports results",
    )
    from bench.layout import REPORTS_DIR

    parser.add_argument(
        "--suites", default="suites", metavar="DIR", help="suite folder (default: suites)"
    )
    parser.add_argument(
        "--reports", default=REPORTS_DIR, metavar="DIR",
        help=f"reports folder (default: {REPORTS_DIR})",
    )  # fmt: skip
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
    from bench import results
    from bench.errors import BenchError
    from bench.layout import default_store_path
    from bench.status import Status
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
                    FAILED: "—",
                    DAMAGED: "—",
                    "missing": "—",
                    "store": "invalid: " + _short(str(exc), 70),
                }
            )
            continue
        store = default_store_path(suite.name, reports_dir)
        statuses: dict[str, str] = {}
        if store.is_file():
            try:
                statuses = results.run_statuses(store)
            except BenchError as exc:
                statuses = {}
                store_text = "unreadable: " + _short(str(exc), 60)
            else:
                store_text = str(store)
        else:
            store_text = "— (not run yet)"
        done = sum(statuses.get(s.key) == Status.OK.value for s in specs)
        failed = sum(statuses.get(s.key) in _NOT_OK for s in specs)
        damaged = sum(statuses.get(s.key) == DAMAGED for s in specs)
        rows.append({
            "file": path.name, "suite": suite.name, "variants": str(len(suite.variants)),
            "runs": str(len(specs)), "done": str(done), FAILED: str(failed), DAMAGED: str(damaged),
            "missing": str(sum(s.key not in statuses for s in specs)), "store": store_text,
        })  # fmt: skip
    return rows


def store_rows(reports_dir: Path) -> list[dict[str, Any]]:
    """One row per suite in each store under ``reports_dir`` (``<suite>/results.sqlite``)."""
    from bench import results
    from bench.errors import BenchError
    from bench.layout import REPORT_HTML, STORE_FILENAME

    rows = []
    stores = sorted(reports_dir.glob(f"*/{STORE_FILENAME}")) if reports_dir.is_dir() else []
    for store in stores:
        try:
            found = [
                results.load(store, name, predictions=False, history=False)
                for name in results.suite_names(store)
            ]
        except BenchError as exc:
            rows.append({"store": str(store), "suite": "unreadable: " + _short(str(exc), 60)})
            continue
        for suite in found:
            counts = suite.counts()
            last = suite.last_finished()
            rows.append({
                "store": str(store), "suite": suite.name, "planned": str(counts["planned"]),
                "ok": str(counts["ok"]),
                FAILED: str(sum(counts[s] for s in _NOT_OK)),
                DAMAGED: str(counts[DAMAGED]),
                "missing": str(counts[results.MISSING]),
                "last run": _when(last) if last is not None else "—",
                "report": "yes" if (store.parent / REPORT_HTML).is_file() else "no",
            })  # fmt: skip
    return rows


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(timestamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
