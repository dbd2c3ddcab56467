"""Moved: the words are in :mod:`bench.words` (one catalog per language, stable ids).

This module only keeps old callers working while they move: ``t``/``gettext`` accept a
catalog id or the English text of one (looked up in ``bench/words/en.py``), a metric
name gives the metric's label.  It holds no words of its own and goes once nothing
imports it.
"""

from __future__ import annotations

from typing import Any

from bench import metrics, words
from bench.words import DEFAULT_LANG, LANGUAGES, check_lang

__all__ = ["LANGUAGES", "check_lang", "gettext", "install", "t"]

#: Status names the old callers passed as messages.
_STATUS_NAMES = {"budget": "status.budget", "missing": "status.missing"}


def _key_of(message: str) -> str | None:
    english = words.catalog("en")
    if message in english:
        return message
    if message in _STATUS_NAMES:
        return _STATUS_NAMES[message]
    by_text = _by_english_text()
    return by_text.get(message)


_BY_TEXT: dict[str, str] = {}


def _by_english_text() -> dict[str, str]:
    if not _BY_TEXT:
        for key, text in words.catalog("en").items():
            _BY_TEXT.setdefault(text, key)
    return _BY_TEXT


def gettext(message: str, lang: str | None = None, **values: Any) -> str:
    """``message`` (an id, or the English text of one) in ``lang``, ``values`` filled in."""
    message = str(message)
    key = _key_of(message)
    if key is not None:
        return words.t(key, lang or DEFAULT_LANG, **values)
    if metrics.is_known(message):
        return metrics.label(message, lang or DEFAULT_LANG)
    return message.format(**values) if values else message


t = gettext


def install(env: Any) -> Any:
    """Register ``t`` (ids or English texts) and ``languages`` as Jinja globals; returns ``env``."""
    import jinja2
    from markupsafe import escape

    from bench.formatting import register_filters

    register_filters(env)

    @jinja2.pass_context
    def template_t(context: Any, message: Any, **values: Any) -> str:
        lang = context.get("lang") or DEFAULT_LANG
        text = gettext(str(message), lang)
        if context.eval_ctx.autoescape:
            markup = escape(text)
            return markup.format(**values) if values else markup
        return text.format(**values) if values else text

    env.globals["t"] = template_t
    env.globals["languages"] = LANGUAGES
    return env
