"""bench export --format latex|markdown: the conclusions table for a paper or a README."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.paper import latex_escape, paper_rows
from conftest import build_synthetic_store

SPECIAL_SUITE = r"""
name: special
title: 'Costs & benefits: 100% of $5 #1'
dataset: {name: digits, train_size: 300, test_size: 200, validation: 0.1}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2, dropout: 0.1}
  dense: [16]
  activation: relu
variants:
  - name: 'tanh_50%&#1'
    set: {model.activation: tanh}
    description: 'note {a} ~b ^c \d $e'
  - name: 'elu{x}~^\y$'
    set: {model.activation: elu}
    claim: {metric: accuracy, direction: up, note: 'claim_1 & 2%'}
"""

# Written out by hand, not with the function under test.
ESCAPED = {
    "tanh_50%&#1": r"tanh\_50\%\&\#1",
    "elu{x}~^\\y$": r"elu\{x\}\textasciitilde{}\textasciicircum{}\textbackslash{}y\$",
    "note {a} ~b ^c \\d $e": r"note \{a\} \textasciitilde{}b \textasciicircum{}c \textbackslash{}d \$e",
    "claim_1 & 2%": r"claim\_1 \& 2\%",
    "Costs & benefits: 100% of $5 #1": r"Costs \& benefits: 100\% of \$5 \#1",
}


@pytest.fixture
def special_store(tmp_path: Path) -> Path:
    return build_synthetic_store(
        tmp_path / "special" / "results.sqlite",
        SPECIAL_SUITE,
        accuracies={"base": [0.80, 0.81, 0.79], "tanh_50%&#1": [0.9, 0.91], "elu{x}~^\\y$": [0.7, 0.72]},
    )


def _body_rows(latex: str) -> list[str]:
    body = latex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def test_latex_escapes_every_special_character() -> None:
    assert latex_escape("_ % & # $ { } ~ ^ \\") == (
        r"\_ \% \& \# \$ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )


def test_latex_table_has_one_escaped_row_per_variant(special_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "conclusions.tex"
    assert main(["export", str(special_store), "--out", str(out)]) == 0  # format from .tex
    assert capsys.readouterr().out.strip() == f"export: {out}"
    latex = out.read_text(encoding="utf-8")
    rows = _body_rows(latex)
    assert len(rows) == 3  # base, tanh_50%&#1, elu{x}~^\y$
    assert rows[0].startswith("base & baseline")
    assert rows[1].startswith(ESCAPED["tanh_50%&#1"] + " & model.activation: relu $\\to$ tanh")
    assert ESCAPED["note {a} ~b ^c \\d $e"] in rows[1]
    assert rows[2].startswith(ESCAPED["elu{x}~^\\y$"] + " & ")
    assert ESCAPED["claim_1 & 2%"] in rows[2]
    assert ESCAPED["Costs & benefits: 100% of $5 #1"] in latex
    for raw in ("tanh_50%&#1", "elu{x}~^\\y$", "note {a}", "claim_1 & 2%", "Costs & benefits"):
        assert raw not in latex
    for row in rows:  # every row has the eight booktabs columns and ends the line
        assert row.endswith(r" \\") and row.count(" & ") == 7
    assert "\\toprule" in latex and "\\begin{tabular}{llrrrcrr}" in latex


def test_the_tables_carry_the_statistics_of_analysis(special_store: Path) -> None:
    table = paper_rows(special_store)
    by_name = {row.variant: row for row in table.rows}
    assert by_name["base"].verdict is None and by_name["base"].n == 2
    assert by_name["tanh_50%&#1"].delta == pytest.approx(by_name["tanh_50%&#1"].mean - by_name["base"].mean)
    assert by_name["elu{x}~^\\y$"].ci_low < by_name["elu{x}~^\\y$"].delta < by_name["elu{x}~^\\y$"].ci_high
    assert table.fraction and table.title == "Costs & benefits: 100% of $5 #1"


def test_markdown_table_has_one_row_per_variant(special_store: Path, capsys) -> None:
    assert main(["export", str(special_store), "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 3
    assert rows[1].startswith(r"| tanh_50%&amp;#1 ") and r"elu{x}\~^\y\$" in rows[2]
    assert "↑ better, ↓ worse" in text


def test_the_caption_names_the_test_the_records_used(special_store: Path, capsys) -> None:
    """Seeds of one split are paired: the caption says so, and never Welch's t for paired rows."""
    table = paper_rows(special_store)
    assert {row.method for row in table.rows if row.verdict} == {"paired"}
    for fmt in ("latex", "markdown"):
        assert main(["export", str(special_store), "--format", fmt]) == 0
        text = capsys.readouterr().out
        assert "paired t over seeds" in text and "Welch" not in text
        level = table.rows[1].ci_level * 100
        assert f"{level:.3g}" in text  # the interval's own (Holm-consistent) level, not always 95%


def test_the_paper_table_speaks_russian(special_store: Path, capsys) -> None:
    from bench.words import en

    assert main(["export", str(special_store), "--format", "latex", "--lang", "ru"]) == 0
    latex = capsys.readouterr().out
    assert "Вариант & Что изменено & Точность" in latex and "парный t по сидам" in latex
    for english in ("What changed", "Variant", "confidence interval", "better", "baseline &", en.WORDS["method.paired"]):
        assert english not in latex, english
    assert main(["export", str(special_store), "--format", "csv", "--lang", "ru"]) == 2  # run data has no words


def test_config_is_refused_with_a_paper_format(special_store: Path, capsys) -> None:
    assert main(["export", str(special_store), "--format", "latex", "--config"]) == 2
    assert "leave out --config" in capsys.readouterr().err
