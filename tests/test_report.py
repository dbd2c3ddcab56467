"""Reports rendered from a store built in the test (no training, no TensorFlow)."""

from __future__ import annotations

import re

import pytest

from bench.report import render_report
from conftest import TINY_SUITE, build_synthetic_store


@pytest.mark.slow
def test_report_shows_results_conclusions_and_claims(synthetic_store):
    md_path, html_path = render_report(synthetic_store)
    md, html = md_path.read_text(), html_path.read_text()
    for text in (md, html):
        assert "Tiny suite" in text
        assert "tanh" in text and "model.activation: relu → tanh" in text
        assert "no significant difference" in text or "inconclusive" in text
        assert "FLOPs = 2 × multiply-adds" in text
    assert "| Variant" in md and "![" in md
    assert (synthetic_store.parent / "figures" / "accuracy.png").stat().st_size > 1000
    assert html.count("<table") >= 2
    assert not re.search(r'(src|href)="https?://', html)
    assert "data:image/png;base64," in html


@pytest.mark.slow
def test_html_escapes_user_text(tmp_path):
    text = TINY_SUITE.replace("name: tanh", "name: <b>x</b>").replace(
        "claim: {metric: accuracy, direction: same}",
        "claim: {metric: accuracy, direction: same, note: \"<script>alert(1)</script>\"}",
    )
    store = build_synthetic_store(tmp_path / "r" / "results.sqlite", text)
    html = render_report(store)[1].read_text()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.slow
def test_user_templates_override_defaults(synthetic_store, tmp_path):
    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "report.md.j2").write_text("custom {{ suite.name }} {{ results|length }}\n")
    md_path, html_path = render_report(synthetic_store, templates=custom, out_dir=tmp_path / "out")
    assert md_path.read_text() == "custom tiny 2\n"
    assert "<table" in html_path.read_text()  # the packaged HTML template still applies


@pytest.mark.slow
def test_a_clearly_worse_variant_is_reported_worse(tmp_path):
    store = build_synthetic_store(
        tmp_path / "r" / "results.sqlite",
        TINY_SUITE.replace("seeds: 2", "seeds: 3"),
        accuracies={"base": [0.95, 0.96, 0.97], "tanh": [0.40, 0.42, 0.41]},
    )
    md = render_report(store)[0].read_text()
    assert re.search(r"\| tanh .*\| worse", md), md


HOSTILE_SUITE = (
    TINY_SUITE.replace("title: Tiny suite", "title: '*Tiny* _suite_ $\\frac{1}{$ <b>bold</b>'")
    .replace("  - name: tanh\n", "  - name: '$\\foo$ _x_ <script>'\n    description: '<script>alert(1)</script> # not a heading'\n")
    .replace("claim: {metric: accuracy, direction: same}",
             "claim: {metric: accuracy, direction: same, note: '[a](javascript:alert(1)) `code` | pipe'}")
)


@pytest.mark.slow
def test_markdown_report_shows_hostile_user_text_as_written(tmp_path):
    """Names, titles, notes and descriptions reach report.md escaped (no raw HTML, no link,
    no emphasis or math) and reach the figures as plain text (no math parser error)."""
    store = build_synthetic_store(tmp_path / "r" / "results.sqlite", HOSTILE_SUITE)
    md_path, html_path = render_report(store)
    md = md_path.read_text(encoding="utf-8")
    assert "<script>" not in md and "<b>" not in md
    assert "&lt;script>" in md and "&lt;b>bold&lt;/b>" in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md) and "\\[a\\](javascript:alert(1))" in md
    assert "\\$\\foo\\$ \\_x\\_ &lt;script>" in md  # the variant's name, literally
    assert "# \\*Tiny\\* \\_suite\\_ \\$\\frac{1}{\\$ &lt;b>bold&lt;/b>" in md  # the title
    assert "\\`code\\` \\| pipe" in md  # the claim note, in one table cell
    html = html_path.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    figures = sorted((store.parent / "figures").glob("*.png"))
    assert figures and all(f.stat().st_size > 1000 for f in figures)
    for line in md.splitlines():
        if line.startswith("!["):
            assert (store.parent / line.split("](")[-1].rstrip(")")).is_file()


def _tree_bytes(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_an_unchanged_store_renders_byte_identical_files(tmp_path):
    """A committed report stays unchanged when rendered again: no clock in the text, no
    software version or date in the figures, the store itself untouched."""
    import shutil

    store = build_synthetic_store(tmp_path / "r" / "results.sqlite")
    out = tmp_path / "out"
    render_report(store, out_dir=out)
    first = _tree_bytes(out)
    stored = store.read_bytes()
    assert "figures/accuracy.png" in first and "report.md" in first and "report.html" in first
    assert "1970-01-01 00:00 UTC" in first["report.md"].decode()  # the last run's end, not now
    render_report(store, out_dir=out)  # figures reused from the cache
    assert _tree_bytes(out) == first
    shutil.rmtree(out / "figures")  # drawn again from scratch
    render_report(store, out_dir=out)
    again = _tree_bytes(out)
    assert again.keys() == first.keys()
    assert [name for name in first if first[name] != again[name]] == []
    assert store.read_bytes() == stored


@pytest.mark.slow
def test_figures_for_print_in_svg_and_pdf(tmp_path):
    import shutil

    from bench.cli import main

    store = build_synthetic_store(tmp_path / "r" / "results.sqlite")
    md_path, html_path = render_report(store, out_dir=tmp_path / "svg", figure_format="svg")
    svg = tmp_path / "svg" / "figures" / "accuracy.svg"
    assert svg.read_bytes().lstrip().startswith(b"<?xml") and b"<svg" in svg.read_bytes()
    assert (tmp_path / "svg" / "figures" / "accuracy.png").is_file()
    assert "(figures/accuracy.svg)" in md_path.read_text()
    html = html_path.read_text()
    assert "data:image/png;base64," in html and 'href="figures/accuracy.svg"' in html
    assert main(["report", str(store), "--out", str(tmp_path / "pdf"), "--figure-format", "pdf"]) == 0
    pdfs = sorted((tmp_path / "pdf" / "figures").glob("*.pdf"))
    assert pdfs and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert len(pdfs) == len(list((tmp_path / "pdf" / "figures").glob("*.png")))
    drawn = {p.name: p.read_bytes() for p in pdfs + [svg]}
    shutil.rmtree(tmp_path / "pdf" / "figures")
    shutil.rmtree(tmp_path / "svg" / "figures")
    render_report(store, out_dir=tmp_path / "svg", figure_format="svg")
    assert main(["report", str(store), "--out", str(tmp_path / "pdf"), "--figure-format", "pdf"]) == 0
    again = {p.name: p.read_bytes() for p in [*sorted((tmp_path / "pdf" / "figures").glob("*.pdf")), svg]}
    assert again == drawn  # no creation date, no random ids: the same bytes when drawn again
    with pytest.raises(SystemExit) as stopped:  # argparse: one line naming the choices
        main(["report", str(store), "--figure-format", "tiff"])
    assert stopped.value.code == 2
