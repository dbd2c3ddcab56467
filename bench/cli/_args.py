"""Arguments several verbs share, declared once: the store, the suite, formats, language,
output, templates and metrics.  A verb module calls these builders and stays a thin adapter;
no verb imports another verb.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Sequence

from bench.errors import BenchError
from bench.layout import STORE_FILENAME, default_store_path

__all__ = [
    "add_format",
    "add_lang",
    "add_metric",
    "add_out",
    "add_store",
    "add_suite",
    "add_templates",
    "format_from",
    "resolve_store",
]

STORE_HELP = f"{STORE_FILENAME}, its folder, or the suite file"


def add_store(parser: argparse.ArgumentParser, dest: str = "target", metavar: str = "STORE",
              help: str = STORE_HELP) -> None:
    """The positional STORE: a results file, its folder, or a suite file (its default store)."""
    parser.add_argument(dest, metavar=metavar, help=help)


def add_suite(parser: argparse.ArgumentParser) -> None:
    """``--suite NAME``: which suite, when a store holds several."""
    parser.add_argument("--suite", dest="suite_name", metavar="NAME",
                        help="which suite, if the store holds several")


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str], default_text: str) -> None:
    """``--format``: one of ``choices`` (default: from --out's extension, else ``default_text``)."""
    parser.add_argument("--format", choices=tuple(choices),
                        help=f"output format (default: {default_text})")


def add_out(parser: argparse.ArgumentParser, metavar: str = "FILE",
            help: str = "write to FILE instead of standard output", default: Optional[str] = None) -> None:
    parser.add_argument("--out", metavar=metavar, default=default, help=help)


def add_lang(parser: argparse.ArgumentParser,
             help: str = "language of the output (default: the suite's lang:, else en)") -> None:
    """``--lang``: a language the word catalogs hold."""
    from bench.metrics import LANGUAGES

    parser.add_argument("--lang", choices=LANGUAGES, help=help)


def add_templates(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--templates", metavar="DIR",
                        help="templates overriding the defaults (same file names)")


def add_metric(parser: argparse.ArgumentParser, help: str, dest: str = "metrics",
               flag: str = "--metric") -> None:
    """A repeatable metric name (``--metric accuracy --metric loss``)."""
    parser.add_argument(flag, dest=dest, action="append", metavar="NAME", help=help)


def format_from(fmt: Optional[str], out: Optional[str], by_suffix: dict[str, str], default: str) -> str:
    """``--format`` if given, else guessed from ``--out``'s extension, else ``default``."""
    if fmt:
        return fmt
    if out:
        return by_suffix.get(Path(out).suffix.lower(), default)
    return default


def resolve_store(target: str) -> tuple[Path, Optional[str]]:
    """A suite file → its default store; a folder → its results file; a store → itself.

    Returns the store path and the suite's name when a suite file named it.
    """
    path = Path(target)
    if path.is_dir():
        if not (path / STORE_FILENAME).is_file():
            raise BenchError(f"{target}: no {STORE_FILENAME} in this folder")
        return path / STORE_FILENAME, None
    if path.suffix in (".yaml", ".yml"):
        from bench.suite import load_suite

        suite = load_suite(path)
        return default_store_path(suite.name), suite.name
    if not path.exists():
        raise BenchError(f"{target}: no such suite file or results store")
    return path, None
