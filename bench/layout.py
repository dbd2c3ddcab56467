"""Where bench keeps things on disk: every file and folder name, in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

__all__ = [
    "FIGURES_DIR",
    "REPORTS_DIR",
    "REPORT_HTML",
    "REPORT_MD",
    "STORE_FILENAME",
    "cache_dir",
    "default_store_path",
]

#: The results store of one suite.
STORE_FILENAME = "results.sqlite"
#: Where reports (and, by default, stores) are written, relative to the working directory.
REPORTS_DIR = "reports"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
FIGURES_DIR = "figures"


def default_store_path(suite_name: str, reports_dir: str | Path = REPORTS_DIR) -> Path:
    """``reports/<suite>/results.sqlite``: one store per suite, beside its report."""
    return Path(reports_dir) / suite_name / STORE_FILENAME


def cache_dir() -> Optional[Path]:
    """bench's cache folder (prepared datasets, compiled templates): ``$BENCH_CACHE`` or
    ``~/.cache/bench``; None when ``BENCH_CACHE=off`` (or empty, ``0``, ``none``) turns it off."""
    configured = os.environ.get("BENCH_CACHE")
    if configured is not None and configured.strip().lower() in ("", "0", "off", "none"):
        return None
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "bench"
