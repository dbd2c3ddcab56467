"""User text (names, titles, notes) shown as written, in every view, and nothing more.

A suite's words reach a terminal, Markdown, HTML and matplotlib.  Each reads
some characters as instructions: ESC sequences recolour or rewrite a terminal,
``<script>`` and ``[x](javascript:…)`` act in a Markdown viewer, ``$…$`` starts
matplotlib's math parser and a leading ``_`` hides a legend entry.  Control
characters are refused when a suite is validated; the functions here make the
rest inert for the view at hand.
"""

from __future__ import annotations

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


# Inline Markdown, character by character (CommonMark 0.31 with GitHub's extensions: tables,
# strike-through, footnotes, task lists, math).  Only what could start markup is escaped, and
# since a piece of text sits between words of a template it cannot see, the string's ends count
# as "could be anything": a "_" or "<" at either end is escaped.
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# "&" that would read as (or, with a ";" after the text, complete) a character reference
_ENTITY = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]*;"
                     r"|#[0-9]{0,7}$|#[xX][0-9a-fA-F]{0,6}$|[A-Za-z][A-Za-z0-9]*$)")  # fmt: skip
# What makes a line a heading, list item, blockquote, setext underline or thematic break when it
# starts one ("-0.5", "#3" and "= 5" start nothing: a marker needs a space or the line's end).
_BLOCK_START = re.compile(
    r"^(?:(?P<mark>#{1,6}|[+\-])(?=[ \t]|$)|(?P<quote>>)|(?P<rule>=+[ \t]*$|(?:-[ \t]*){2,}$)"
    r"|(?P<number>\d{1,9})(?P<dot>[.)])(?=[ \t]|$))"
)
_TASK_BOX = re.compile(r"^\[[ xX]\](?=[ \t]|$)")  # GitHub's task list item: "- [x] done"


def _space(char: str) -> bool:
    """Unicode whitespace as CommonMark means it (a missing neighbour is not)."""
    return char != "" and (char in " \t" or unicodedata.category(char) == "Zs")


def _delimiter_is_inert(value: str, start: int, end: int, char: str) -> bool:
    """Whether the run ``value[start:end]`` of ``*``, ``_``, ``~`` or ``$`` can neither open nor
    close emphasis, strike-through or math: with a space on both sides (neither left- nor
    right-flanking), or, for ``_`` only, inside a word (``dense_dropout``)."""
    before = value[start - 1] if start > 0 else ""
    after = value[end] if end < len(value) else ""
    if _space(before) and _space(after):
        return True
    return char == "_" and before.isalnum() and after.isalnum()


def _brackets_to_escape(value: str, line_start: bool) -> set[int]:
    """Positions of the ``[`` and ``]`` that could make a link, image, footnote, reference
    definition or task box: pairs followed by ``(``, ``[`` or ``:`` (or by the text's end,
    where a template's "(" could follow), pairs opened by ``[^``, a leading ``[ ]``/``[x]``,
    and every bracket without a partner in the text (it could pair with one around it, such
    as an image's ``![…]``).  Pairs inside, like ``blocks[0].kernel``, stay."""
    escape: set[int] = set()
    opened: list[int] = []
    for index, char in enumerate(value):
        if char == "[":
            opened.append(index)
        elif char == "]":
            if not opened:
                escape.add(index)
                continue
            start = opened.pop()
            follows = value[index + 1 : index + 2]
            if follows in ("(", "[", ":", "") or value[start + 1 : start + 2] == "^":
                escape.update((start, index))
            elif line_start and start == 0 and _TASK_BOX.match(value):
                escape.update((start, index))
    escape.update(opened)
    return escape


def _escape_inline(value: str, line_start: bool) -> str:
    brackets = _brackets_to_escape(value, line_start)
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        after = value[index + 1 : index + 2]
        if char in "*_~$":
            end = index
            while end < len(value) and value[end] == char:
                end += 1
            run = value[index:end]
            inert = _delimiter_is_inert(value, index, end, char)
            out.append(run if inert else "\\" + "\\".join(run))
            index = end
            continue
        if char in "`|" or (char in "[]" and index in brackets):
            out.append("\\" + char)  # code spans; table cells (a line can become a table row)
        elif char == "\\":
            out.append("\\\\" if after == "" or after in _ASCII_PUNCTUATION else char)
        elif char == "<":
            # raw HTML (<b>, </b>, <!-- -->, <?x?>) and autolinks (<javascript:…>) open so
            opens = after == "" or (after.isascii() and after.isalpha()) or after in "/!?"
            out.append("&lt;" if opens else char)
        elif char == "&":
            out.append("&amp;" if _ENTITY.match(value, index) else char)
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _escape_block_start(value: str) -> str:
    match = _BLOCK_START.match(value)
    if match is None:
        return value
    if match.group("number"):
        return match.group("number") + "\\" + value[match.end("number") :]
    return "\\" + value


def markdown_text(text: object, *, line_start: bool = True) -> str:
    """``text`` for report.md: shown literally, never as HTML, a link, code, math or emphasis,
    and as readable in the raw file as the rules of CommonMark and GitHub allow.

    Only what could start markup is escaped: ``<`` before a letter, ``/``, ``!`` or ``?``
    (``&lt;``: no raw HTML, no ``<javascript:…>`` autolink), ``&`` that would read as an
    entity, ``*``, ``_``, ``~`` and ``$`` where they could open or close emphasis,
    strike-through or math (``dense_dropout`` and ``a * b`` stay), brackets that could make a
    link (``[x](…)``) or footnote (``blocks[0].kernel`` stays), every backtick and pipe, and a
    backslash before punctuation.  Line breaks become spaces, so a name cannot end a table row.
    With ``line_start`` (text that may begin a line: a heading, a list item, a paragraph) a
    leading ``# ``, ``- ``, ``+ ``, ``>``, ``1. `` or setext underline is escaped as well and
    leading spaces are dropped (four would start a code block).
    """
    value = " ".join(str(text).splitlines())
    value = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    if line_start:
        value = value.lstrip()
    value = _escape_inline(value, line_start)
    return _escape_block_start(value) if line_start else value


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
