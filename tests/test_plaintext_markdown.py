"""report.md's user text, checked with a real CommonMark parser: hostile text renders as the
very characters it was written with (no HTML, link, image, emphasis, code or block), and
ordinary text (``p < 0.001``, ``model.dense_dropout``, ``blocks[0]``) is not escaped at all."""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bench.formatting import md_cell
from bench.plaintext import markdown_block, markdown_link, markdown_text

PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")

HOSTILE = [
    # tests/test_report.py and tests/test_hostile_inputs.py
    "*Tiny* _suite_ $\\frac{1}{$ <b>bold</b>",
    "$\\foo$ _x_ <script>",
    "<script>alert(1)</script> # not a heading",
    "[a](javascript:alert(1)) `code` | pipe",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "$\\foo$ _x_ ~y~",
    "# not a heading",
    "- not an item",
    "1. no",
    "<javascript:alert(1)>",
    "a | b\nc",
    "*bold* _it_ `code`",
    "tanh_50%&#1",
    "elu{x}~^\\y$",
    "<b>x</b>|y",
    # raw HTML, autolinks, links and images
    "<img src=x onerror=alert(1)>",
    "</div><!-- c --><?php x ?><!DOCTYPE html><![CDATA[x]]>",
    "<https://example.org>",
    "[x](javascript:alert(1))",
    "![i](http://x)",
    "[a][b]",
    "[a]: https://evil.example",
    "[^1]",
    "[x] done",
    "[ [x](y) ]",
    "a]b [c",
    # emphasis, strike-through, code, math, entities, escapes
    "*em*",
    "_em_",
    "**b**",
    "__b__",
    "~~s~~",
    "~s~",
    "a*b*c",
    "x _a b_ y",
    "`c`",
    "``c``",
    "$x$",
    "$$x$$",
    "&amp;",
    "&#60;",
    "&#x3C;",
    "&copy; &nbsp;",
    "C:\\path\\*x*",
    "ends with \\",
    "\\[not a link](x)",
    # block starts
    "# h",
    "###### h",
    "- l",
    "+ l",
    "* l",
    "1. l",
    "2) l",
    "> q",
    ">q",
    "---",
    "- - -",
    "***",
    "___",
    "===",
    "    four spaces",
    "\tindented",  # a tab is a control character: replaced, so it indents nothing
    "```",
    "~~~",
    "| a | b |",
    "|---|---|",
]

ORDINARY = [
    "p < 0.001",
    "model.dense_dropout: 0.25 → 0.0",
    "model.blocks[0].kernel: 3 → 5",
    "p_holm = 0.0144",
    "lr-0.0001",
    "kernel-5",
    "a & b",
    "x > y",
    "a<1 and b <= 2",
    "deeper — +model.blocks[2] {filters: 64}",
    "2 * 3 and 4 ~ 5 and $ 6",
    "-0.5 and #3 and 1.5",
    "plain words, 1.5 and 2:3",
    "C:\\temp",
]


def _shown(text: object, line_start: bool = True) -> str:
    """What a reader should see: the text on one line, without leading spaces at a line start,
    control characters (a tab too) shown as U+FFFD."""
    value = " ".join(str(text).splitlines())
    value = re.sub("[\x00-\x1f\x7f-\x9f]", "\N{REPLACEMENT CHARACTER}", value)
    return value.strip() if line_start else value.rstrip()


def _inline_text(children: list[Token]) -> str:
    """The plain text of an inline run; fails on any markup in it."""
    kinds = {child.type for child in children}
    assert kinds <= {"text"}, f"markup in the output: {kinds}"
    return "".join(child.content for child in children)


def _paragraph_text(markdown: str) -> str:
    """The one paragraph ``markdown`` renders to, as plain text; fails on any other block."""
    tokens = PARSER.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], markdown
    return _inline_text(tokens[1].children or [])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_written_in_a_paragraph(text: str) -> None:
    assert _paragraph_text(markdown_text(text)) == _shown(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_written_in_a_list_item_between_words(text: str) -> None:
    inside = markdown_text(text, line_start=False)
    tokens = PARSER.parse(f"- {markdown_text(text)}\n- word {inside} word\n")
    inline = [t for t in tokens if t.type == "inline"]
    blocks = [t.type for t in tokens if t.type != "inline"]
    assert blocks == ["bullet_list_open"] + ["list_item_open", "paragraph_open", "paragraph_close",
                                             "list_item_close"] * 2 + ["bullet_list_close"]  # fmt: skip
    assert _inline_text(inline[0].children or []) == _shown(text)
    assert _inline_text(inline[1].children or []) == f"word {_shown(text, line_start=False)} word"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_in_its_table_cell(text: str) -> None:
    tokens = PARSER.parse(f"| name | value |\n|---|---|\n| {md_cell(text)} | 1 |\n")
    cells = [t for t in tokens if t.type == "inline"]
    assert [t.type for t in tokens].count("td_open") == 2  # the pipe split no cell
    assert _inline_text(cells[2].children or []) == " ".join(text.split())
    assert _inline_text(cells[3].children or []) == "1"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_keeps_bold_image_and_link_around_it_intact(text: str) -> None:
    """Templates put user text inside ``**…**``, ``![…](figure.png)`` and link labels: the
    text can neither end them early nor add markup inside them."""
    shown = " ".join(text.split())
    bold = PARSER.parse(f"**{markdown_text(shown)}**, then")[1].children or []
    children = [c for c in bold if c.content or c.nesting]  # markdown-it leaves an empty text
    assert [c.type for c in children] == ["strong_open", "text", "strong_close", "text"]
    assert children[1].content == shown
    image = (PARSER.parse(f"![{markdown_text(shown)}](figure.png)")[1].children or [])
    assert [c.type for c in image] == ["image"] and image[0].attrGet("src") == "figure.png"
    assert _inline_text(image[0].children or []) == shown
    link = PARSER.parse(markdown_link(shown, "https://example.org/r.html"))[1].children or []
    assert [c.type for c in link] == ["link_open", "text", "link_close"]
    assert link[0].attrGet("href") == "https://example.org/r.html" and link[1].content == shown


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_written_unchanged(text: str) -> None:
    assert markdown_text(text) == text
    assert md_cell(text) == text
    assert _paragraph_text(markdown_text(text)) == text


def test_neighbouring_texts_cannot_pair_their_markers() -> None:
    """Two pieces of user text on one line (a name, then a version): a marker left open in one
    cannot close in the other."""
    halves = [("foo _bar", "baz_ qux"), ("*a", "b*"), ("~~a", "b~~"), ("`a", "b`"), ("$a", "b$"),
              ("[a", "](http://x)"), ("a [x]", "(y)"), ("a [x]", "[y]"), ("<a", "href=x>"),
              ("x <", "b>"), ("&amp", ";"), ("&#6", "0;"), ("a\\", "*b*")]  # fmt: skip
    for first, second in halves:
        for joiner in ("", " "):
            written = markdown_text(first) + joiner + markdown_text(second, line_start=False)
            assert _paragraph_text(written) == first + joiner + second, written


def test_github_only_markup_is_escaped_too() -> None:
    """GitHub reads ``$…$`` as math, a single ``~…~`` as strike-through, ``[^1]`` as a footnote
    and a leading ``[x]`` in a list item as a task box; markdown-it knows none of them."""
    assert markdown_text("$x$ and ~y~") == r"\$x\$ and \~y\~"
    assert markdown_text("cost $5") == r"cost \$5" and markdown_text("a $ b") == "a $ b"
    assert markdown_text("see [^1] here") == r"see \[^1\] here"
    assert markdown_text("[x] done") == r"\[x\] done"
    assert markdown_text("[x] done", line_start=False) == "[x] done"
    for text in HOSTILE:
        escaped = markdown_text(text)
        # every "$" or "~" left bare stands between two spaces: it can neither open nor close
        for match in re.finditer(r"(?<!\\)(?:\\\\)*([$~]+)", escaped):
            start, end = match.span(1)
            assert escaped[start - 1 : start] == " " and escaped[end : end + 1] == " ", escaped


def test_reports_have_no_reference_definitions_and_keep_pairs_of_brackets() -> None:
    assert markdown_text("model.blocks[0].kernel") == "model.blocks[0].kernel"
    assert markdown_text("model.blocks[0]") == r"model.blocks\[0\]"  # a "(" could follow it
    assert markdown_text("model.blocks[*].dropout") == r"model.blocks[\*].dropout"
    assert markdown_text("[a]: https://evil.example") == r"\[a\]: https://evil.example"
    assert markdown_text("[a](b) [c] d") == r"\[a\](b) [c] d"
    assert markdown_text("[a][b] [c][] d") == r"\[a\][b] \[c\][] d"  # full and collapsed references
    assert markdown_text("a]b [c") == r"a\]b \[c"  # a lone bracket could pair with one around it


def test_only_markup_characters_are_escaped() -> None:
    assert markdown_text("<script>alert(1)</script>") == "&lt;script>alert(1)&lt;/script>"
    assert markdown_text("a<b, a<1, a< b") == "a&lt;b, a<1, a< b"
    entities = "&amp; &#60; &#x3c; & AT&T;x R&D"  # a ";" after the text could end "&D"
    assert markdown_text(entities) == "&amp;amp; &amp;#60; &amp;#x3c; & AT&amp;T;x R&amp;D"
    assert markdown_text("snake_case _lead trail_ a_ _b") == r"snake_case \_lead trail\_ a\_ \_b"
    assert markdown_text("C:\\dir\\*.txt") == r"C:\dir\\\*.txt"
    assert markdown_text("  > quoted") == r"\> quoted" and markdown_text("= 5") == "= 5"
    assert markdown_text("+1.5 pp") == "+1.5 pp" and markdown_text("+ 1.5") == r"\+ 1.5"


def test_descriptions_keep_their_paragraphs_and_start_no_block() -> None:
    text = "Intro\n===\n\n<b>x</b>\n- item\n    code?\n|---|---|"
    escaped = markdown_block(text)
    assert escaped == "Intro\n\\===\n\n&lt;b>x&lt;/b>\n\\- item\ncode?\n\\|---\\|---\\|"
    tokens = PARSER.parse(escaped)
    assert [t.type for t in tokens if t.type != "inline"] == ["paragraph_open", "paragraph_close"] * 2
    inline = [t.children or [] for t in tokens if t.type == "inline"]
    lines = [[c for c in children if c.type != "softbreak"] for children in inline]
    texts = [_inline_text(children) for children in lines]
    assert texts == ["Intro===", "<b>x</b>- itemcode?|---|---|"]


def test_random_markup_soup_renders_as_written() -> None:
    """Short strings of markup characters, seeded: every one reads back as written in a
    paragraph, in a table cell and as an image's alt text."""
    rng = random.Random(20240531)
    alphabet = "ab1 _*~$`[]()!<>&#;:|\\-+=.^/x"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        inside = markdown_text(text, line_start=False)
        assert _paragraph_text("x " + inside) == ("x " + text).rstrip(), text
        if text.strip():
            assert _paragraph_text(markdown_text(text)) == text.strip(), text
            row = PARSER.parse(f"| h |\n|---|\n| {md_cell(text)} |\n")
            cell = [t for t in row if t.type == "inline"][1].children or []
            assert _inline_text(cell) == " ".join(text.split()), text
            image = PARSER.parse(f"![{markdown_text(text)}](f.png)")[1].children or []
            assert [c.type for c in image] == ["image"], text
            assert _inline_text(image[0].children or []) == text.lstrip(), text
