"""User text (names, titles, notes) shown as written, in every view, and nothing more.

A suite's words reach a terminal, Markdown, HTML and matplotlib.  Each reads
some characters as instructions: ESC sequences recolour or rewrite a terminal,
``<script>`` and ``[x](javascript:…)`` act in a Markdown viewer, ``$…$`` starts
matplotlib's math parser and a leading ``_`` hides a legend entry.  Control
characters are refused when a suite is validated; the functions here make the
rest inert for the view at hand.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Optional

__all__ = [
    "code_fence",
    "control_character",
    "markdown_block",
    "markdown_code",
    "markdown_link",
    "markdown_text",
    "plain_label",
    "safe_url",
]

# C0 and C1 controls and DEL; line/paragraph separators; bidirectional overrides and isolates,
# which can make a name read differently from what it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 9: "TAB", 10: "a newline", 13: "a carriage return", 27: "ESC", 127: "DEL"}


def control_character(text: str, allow_newlines: bool = False) -> Optional[str]:
    """The first control character in ``text``, described (``ESC (U+001B)``), or None.

    ``allow_newlines`` lets descriptions keep their line breaks and tabs.
    """
    for match in _CONTROL.finditer(text):
        char = match.group()
        if allow_newlines and char in "\n\t":
            continue
        if allow_newlines and char == "\r" and text[match.end() : match.end() + 1] == "\n":
            continue
        code = ord(char)
        name = _NAMES.get(code) or unicodedata.name(char, "a control character")
        return f"{name} (U+{code:04X})"
    return None


# Characters that start inline Markdown anywhere in a line: escapes, code, emphasis, links and
# images (a link needs its brackets), table cells, strike-through (GFM) and math ($, GitHub).
# ``<``, ``>`` and ``&`` become entities instead (no raw HTML, no autolink).
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~$])")
# What makes a line a heading, list item, thematic break or setext underline when it starts one
# ("-0.5" or "#3" start nothing: the marker needs a space, the line's end or another marker after it).
_BLOCK_START = re.compile(r"^(#{1,6}|[+\-=])(?=[\s\-=]|$)|^(\d{1,9})([.)])(?=\s|$)")


def markdown_text(text: object, *, line_start: bool = True) -> str:
    """``text`` for report.md: shown literally, never as HTML, a link, code, math or emphasis.

    ``&``, ``<`` and ``>`` become entities (no raw HTML, no ``<javascript:…>``
    autolink); characters that start inline Markdown are backslash-escaped (no
    ``[x](…)`` link); line breaks become spaces, so a name cannot end a table row.
    With ``line_start`` (text that may begin a line: a heading, a list item, a
    paragraph) a leading ``# ``, ``- ``, ``+ ``, ``==`` or ``1. `` is escaped as well and
    leading spaces are dropped (four would start a code block).  Text without any
    of these characters comes back unchanged, so ordinary words stay readable.
    """
    value = " ".join(str(text).splitlines())
    value = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    value = html.escape(value, quote=False)
    # html.escape made entities (&amp; &lt; &gt;): their "&" and ";" stay as they are
    value = _MARKDOWN_INLINE.sub(r"\\\1", value)
    if line_start:
        value = _BLOCK_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
                                 value.lstrip())  # fmt: skip
    return value


def markdown_block(text: object) -> str:
    """Several lines of user text (a description) for report.md: each line as
    :func:`markdown_text`, line breaks kept, so paragraphs stay paragraphs."""
    return "\n".join(markdown_text(line) for line in str(text).strip().splitlines())


def code_fence(text: object) -> str:
    """The opening fence for ``text`` in a fenced code block: three backticks, or one more
    than the longest backtick run inside, so no line of ``text`` can close the block."""
    runs = [len(run) for run in re.findall(r"`+", str(text))]
    return "`" * max(3, max(runs, default=0) + 1)


def markdown_code(text: object) -> str:
    """``text`` as an inline code span: delimited by more backticks than any run inside (and
    padded where it starts or ends with one), so nothing in it can end the span early."""
    value = " ".join(str(text).splitlines())
    value = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


_SAFE_SCHEMES = ("http", "https", "mailto")


def safe_url(url: str) -> Optional[str]:
    """``url`` if it is http(s), mailto or relative; None for ``javascript:``, ``data:`` and the like."""
    cleaned = "".join(ch for ch in url if not _CONTROL.match(ch) and not ch.isspace())
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):", cleaned)
    if scheme is None:
        return None if cleaned.startswith("//") else url.strip()
    return url.strip() if scheme.group(1).lower() in _SAFE_SCHEMES else None


def markdown_link(label: object, url: str) -> str:
    """A Markdown link whose label is plain text; an unsafe URL leaves only the label."""
    target = safe_url(url)
    if target is None:
        return markdown_text(label)
    escaped = target.replace("\\", "%5C").replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    escaped = escaped.replace("<", "%3C").replace(">", "%3E")
    return f"[{markdown_text(label)}]({escaped})"


def plain_label(text: object) -> str:
    """``text`` for matplotlib, drawn as written: no math parsing, no hidden legend entry.

    matplotlib reads ``$…$`` as math (a parse error aborts the figure) and skips
    legend entries whose label starts with ``_``.  Dollars are escaped (text is parsed
    as math only where an unescaped pair is left), a leading underscore gets a zero-width
    space before it, control characters are replaced.  Applying it twice changes nothing.
    """
    value = " ".join(str(text).splitlines())
    value = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    value = re.sub(r"(?<!\\)\$", r"\\$", value)  # every "$" escaped: drawn as text; twice is once
    if value.startswith("_"):
        value = "\N{ZERO WIDTH SPACE}" + value
    return value
