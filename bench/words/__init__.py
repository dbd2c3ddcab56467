"""The words bench writes, one catalog per language: ``en.py``, ``ru.py`` (id → text).

Every sentence, heading, table header, caption, unit, verdict word and figure label is
looked up here by a stable id (``verdict.better``, ``unit.pp``, ``figure.learning_curves``);
placeholders are ``str.format`` names, so a translation may reorder them.  Adding a language
is one more catalog module with the same ids and placeholders (a test checks both).
Metric labels are the one exception: they belong to the metric table (:mod:`bench.metrics`).

The sentence builders that turn an analysis record into a sentence
(:func:`conclusion_sentences`, :func:`comparison_sentence`, :func:`verdict_detail`,
:func:`claim_reason`, ...) live in :mod:`bench.words.sentences` and are reachable from here
too; they use :mod:`bench.formatting` for every number.
"""

from __future__ import annotations

import importlib
import string
from typing import Any

from bench.errors import BenchError

__all__ = [
    "DEFAULT_LANG",
    "LANGUAGES",
    "catalog",
    "check_lang",
    "claim_result_word",
    "direction_word",
    "placeholders",
    "status_word",
    "t",
    "verdict_word",
]

#: Languages bench writes; the first is the default.
LANGUAGES: tuple[str, ...] = ("en", "ru")
DEFAULT_LANG = "en"

_CATALOGS: dict[str, dict[str, str]] = {}


def catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang`` (id → text)."""
    found = _CATALOGS.get(lang)
    if found is None:
        module = importlib.import_module(f"bench.words.{check_lang(lang)}")
        found = _CATALOGS[lang] = module.WORDS
    return found


def check_lang(lang: str | None) -> str:
    """``lang`` if bench can write it (None → the default), else a one-line BenchError."""
    if lang is None:
        return DEFAULT_LANG
    if lang not in LANGUAGES:
        raise BenchError(f"--lang: {lang!r} is not allowed — choose one of: {', '.join(LANGUAGES)}")
    return lang


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The text of ``key`` in ``lang`` with ``values`` filled in.

    An unknown key is a programming error and raises ``KeyError`` (a test renders every
    view in every language, so a missing word cannot reach a user).
    """
    text = catalog(lang or DEFAULT_LANG)[key]
    return text.format(**values) if values else text


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message fills in (the catalog test compares them across languages)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def verdict_word(verdict: Any, lang: str | None = None) -> str:
    """The word for a :class:`bench.analysis.Verdict` (or its value)."""
    from bench.analysis import Verdict

    return t(f"verdict.{Verdict(verdict).name.lower()}", lang)


def claim_result_word(result: Any, lang: str | None = None) -> str:
    """The word for a :class:`bench.analysis.ClaimResult` (or its value)."""
    return t(f"claim.{str(getattr(result, 'value', result))}", lang)


def direction_word(direction: str, lang: str | None = None) -> str:
    """A claim's direction: ``up``, ``down`` or ``same``."""
    return t(f"claim.{direction}", lang)


def status_word(status: Any, lang: str | None = None) -> str:
    """The word for a run status (:class:`bench.status.Status`, or ``missing``: not run)."""
    return t(f"status.{str(getattr(status, 'value', status))}", lang)


_SENTENCE_BUILDERS = (
    "measured_text",
    "claim_reason",
    "claim_text",
    "comparison_sentence",
    "conclusion_sentences",
    "verdict_detail",
    "variance_sources",
    "outperforming_text",
)


def __getattr__(name: str) -> Any:
    # The sentence builders need bench.formatting, which needs this catalog: they are
    # loaded on first use so that neither module imports the other at import time.
    if name in _SENTENCE_BUILDERS:
        from bench.words import sentences

        return getattr(sentences, name)
    raise AttributeError(f"module 'bench.words' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SENTENCE_BUILDERS])
