"""Where bench keeps things on disk: every file and folder name, in one place."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "FIGURES_DIR",
    "REPORTS_DIR",
    "REPORT_HTML",
    "REPORT_MD",
    "STORE_FILENAME",
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
