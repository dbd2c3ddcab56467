"""Reports rendered from a store built in the test (no training, no TensorFlow)."""

from __future__ import annotations

import re

from bench.report import render_report
from tests.conftest import TINY_SUITE, build_synthetic_store


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


def test_html_escapes_user_text(tmp_path):
    text = TINY_SUITE.replace("name: tanh", "name: <b>x</b>").replace(
        "claim: {metric: accuracy, direction: same}",
        "claim: {metric: accuracy, direction: same, note: \"<script>alert(1)</script>\"}",
    )
    store = build_synthetic_store(tmp_path / "r" / "results.sqlite", text)
    html = render_report(store)[1].read_text()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_user_templates_override_defaults(synthetic_store, tmp_path):
    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "report.md.j2").write_text("custom {{ suite.name }} {{ results|length }}\n")
    md_path, html_path = render_report(synthetic_store, templates=custom, out_dir=tmp_path / "out")
    assert md_path.read_text() == "custom tiny 2\n"
    assert "<table" in html_path.read_text()  # the packaged HTML template still applies


def test_a_clearly_worse_variant_is_reported_worse(tmp_path):
    store = build_synthetic_store(
        tmp_path / "r" / "results.sqlite",
        TINY_SUITE.replace("seeds: 2", "seeds: 3"),
        accuracies={"base": [0.95, 0.96, 0.97], "tanh": [0.40, 0.42, 0.41]},
    )
    md = render_report(store)[0].read_text()
    assert re.search(r"\| tanh .*\| worse", md), md
