"""The conclusions table for a paper (LaTeX, booktabs) or a README (Markdown).

``bench export STORE --format latex|markdown [--lang ru]`` writes one row per variant,
the baseline first: what changed, the metric's mean ± sd over seeds, Δ against the
baseline with its confidence interval, the Holm-adjusted p, a verdict mark, and ×FLOPs
and ×time.  Every number and the test named in the caption come from
:mod:`bench.analysis`' records; every word from the catalogs (:mod:`bench.words`); this
module only lays them out, and escapes every string (variant names, notes, changed
values, the title, the words) for LaTeX or Markdown.

Reading the statistics is one function, :func:`table_rows`.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Optional

import pandas as pd

from bench.errors import BenchError

__all__ = ["PAPER_FORMATS", "PaperRow", "latex_escape", "latex_table", "markdown_table",
           "paper_rows", "table_rows", "write_paper_table"]  # fmt: skip

PAPER_FORMATS = ("latex", "markdown")

#: Verdict value → (LaTeX mark, Markdown mark); the legend under each table says their words.
VERDICT_MARKS = {
    "better": (r"$\uparrow$", "↑"),
    "worse": (r"$\downarrow$", "↓"),
    "no significant difference": (r"$\approx$", "≈"),
    "smaller than min_effect": (r"$=$", "="),
    "higher": ("+", "+"),
    "lower": ("-", "−"),
    "inconclusive": ("?", "?"),
}
#: Marks the legend always explains; the others only when a row has them.
_LEGEND_ALWAYS = ("better", "worse", "no significant difference", "inconclusive")
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # what bench itself writes into changes, notes and its words; pdflatex knows none of them
    "→": r"$\to$",
    "−": "-",
    "…": r"\ldots{}",
    "Δ": r"$\Delta$",
    "×": r"$\times$",
    "±": r"$\pm$",
    "α": r"$\alpha$",
    "≈": r"$\approx$",
    "↑": r"$\uparrow$",
    "↓": r"$\downarrow$",
}


def latex_escape(text: Any) -> str:
    """``text`` safe in LaTeX body text: ``_ % & # $ { } ~ ^ \\`` and a few symbols replaced."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in " ".join(str(text).split()))


def _markdown_escape(text: Any) -> str:
    from bench.formatting import md_cell

    return md_cell(str(text))


@dataclass(frozen=True)
class PaperRow:
    """One variant's line of the table (numbers, not text)."""

    variant: str
    changes: str
    note: str
    n: int
    mean: Optional[float]
    sd: Optional[float]
    delta: Optional[float] = None
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None
    p_holm: Optional[float] = None
    verdict: Optional[str] = None  # None: the baseline
    flops_ratio: Optional[float] = None
    time_ratio: Optional[float] = None
    ci_level: Optional[float] = None  # the interval's level (Holm-consistent: may exceed 0.95)
    method: Optional[str] = None  # bench.inference.Method value: paired or welch


@dataclass(frozen=True)
class PaperTable:
    """The rows and what the caption needs."""

    suite: str
    title: str
    metric: str
    baseline: str
    alpha: float
    fraction: bool  # the metric is a proportion: shown in %, differences in pp
    rows: list[PaperRow]
    lang: str = "en"

    def methods(self) -> list[str]:
        """The tests the rows used (bench.inference.Method values), in first-seen order."""
        return list(dict.fromkeys(r.method for r in self.rows if r.method))

    def ci_levels(self) -> list[float]:
        return sorted({r.ci_level for r in self.rows if r.ci_level is not None})


def _number(value: Any) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def table_rows(
    comparisons: Optional[pd.DataFrame], summary: pd.DataFrame, definition: dict[str, Any], metric: str,
    lang: str = "en",
) -> list[PaperRow]:
    """The rows from :func:`bench.analysis.compare_to_baseline` (read as its records) and
    :func:`bench.analysis.summarize` (columns ``variant``, ``metric``, ``n``, ``mean``, ``std``)."""
    from bench import analysis, words
    from bench.configdiff import describe_changes

    stats = summary[summary["metric"] == metric].set_index("variant")
    compared = {str(r.variant): r for r in analysis.records(comparisons)}
    baseline = definition.get("baseline", "base")
    rows = []
    for variant in definition["variants"]:
        name = variant["name"]
        if name not in stats.index:
            continue  # planned but never trained: not a row of results
        own = stats.loc[name]
        note = variant.get("description") or (variant.get("claim") or {}).get("note") or ""
        if note == words.t("report.the_base_configuration", "en"):  # the suite's words, not the user's
            note = words.t("report.the_base_configuration", lang)
        changes = words.t("column.baseline_mark", lang) if name == baseline else describe_changes(variant.get("changes", []))
        rec = compared.get(name) if name != baseline else None
        rows.append(
            PaperRow(
                variant=name, changes=changes, note=note, n=int(own["n"]),
                mean=_number(own["mean"]), sd=_number(own["std"]),
                delta=_number(rec.delta) if rec else None, ci_low=_number(rec.ci_low) if rec else None,
                ci_high=_number(rec.ci_high) if rec else None, p_holm=_number(rec.p_holm) if rec else None,
                verdict=str(getattr(rec.verdict, "value", rec.verdict)) if rec else None,
                flops_ratio=_number(rec.cost_ratios.get("flops")) if rec else None,
                time_ratio=_number(rec.cost_ratios.get("train_seconds")) if rec else None,
                ci_level=_number(rec.ci_level) if rec else None,
                method=str(getattr(rec.method, "value", rec.method)) if rec else None,
            )  # fmt: skip
        )
    return rows


def paper_rows(
    store_path: str | Path, suite: Optional[str] = None, metric: str = "accuracy", lang: Optional[str] = None
) -> PaperTable:
    """Read a store and compute its conclusions table (no TensorFlow); words in ``lang``
    (default: the suite's ``lang:``)."""
    from bench import analysis, results, words
    from bench import metrics as metric_table
    from bench.status import Status

    found = results.load(store_path, suite, predictions=False, history=False)
    lang = words.check_lang(lang or found.lang)
    definition, runs = found.definition, found.runs
    if metric not in runs.columns:
        raise BenchError(f"{store_path}: no run recorded {metric!r}; nothing to tabulate yet")
    baseline = found.baseline
    summary = analysis.summarize(runs, [metric])
    comparisons = None
    ok_variants = set(runs.loc[runs["status"] == Status.OK.value, "variant"])
    if baseline in ok_variants and len(ok_variants) > 1:
        design = found.design if found.design and found.design.get("metric", metric) == metric else None
        comparisons = analysis.compare_to_baseline(
            runs, baseline, metric, alpha=found.alpha, min_effect=found.min_effect, design=design,
        )  # fmt: skip
    rows = table_rows(comparisons, summary, definition, metric, lang)
    return PaperTable(
        suite=found.name, title=found.title, metric=metric, baseline=baseline, alpha=found.alpha,
        fraction=metric_table.get(metric).is_fraction, rows=rows, lang=lang,
    )  # fmt: skip


# -- words -----------------------------------------------------------------------------------------
def _level_text(table: PaperTable) -> str:
    levels = table.ci_levels() or [0.95]
    return "/".join(f"{level * 100:.3g}%" for level in levels)


def _caption(table: PaperTable) -> str:
    """The caption in the table's language: what is shown, which test, the marks' words."""
    from bench import metrics as metric_table
    from bench import words

    lang = table.lang
    methods = table.methods()
    sentence = words.t(
        "paper.caption", lang, title=table.title, metric=metric_table.label(table.metric, lang),
        baseline=table.baseline, level=_level_text(table),
        method=words.t("paper.method_join", lang).join(words.t(f"method.{m}", lang) for m in methods)
        if methods else words.t("paper.no_test", lang),
        alpha=f"{table.alpha:g}",
    )  # fmt: skip
    return sentence + " " + _legend(table) + "."


def _legend(table: PaperTable) -> str:
    from bench import words

    present = {r.verdict for r in table.rows if r.verdict}
    shown = [v for v in VERDICT_MARKS if v in _LEGEND_ALWAYS or v in present]
    return ", ".join(f"{VERDICT_MARKS[v][1]} {words.verdict_word(v, table.lang)}" for v in shown)


def _headers(table: PaperTable) -> list[str]:
    """Column headers (plain text, escaped by the caller)."""
    from bench import formatting, words
    from bench import metrics as metric_table

    label = metric_table.label(table.metric, table.lang)
    unit = " (%)" if table.fraction else ""
    delta_unit = formatting.delta_unit(table.metric, table.lang)
    return [
        words.t("report.variant", table.lang),
        words.t("paper.what_changed", table.lang),
        f"{label[:1].upper()}{label[1:]}{unit}",
        words.t("paper.delta_ci", table.lang, unit=f"{delta_unit}, " if delta_unit else "", level=_level_text(table)),
        words.t("column.p_holm", table.lang),
        "",
        words.t("paper.x_flops", table.lang),
        words.t("paper.x_time", table.lang),
    ]


# -- numbers as text ------------------------------------------------------------------------------
def _value(value: Optional[float], table: PaperTable) -> str:
    if value is None:
        return ""
    return f"{value * 100:.2f}" if table.fraction else f"{value:.4g}"


def _signed(value: Optional[float], table: PaperTable, minus: str) -> str:
    text = _value(value, table)
    if value is not None and value >= 0:
        text = "+" + text
    return text.replace("-", minus)


def _p(value: Optional[float]) -> str:
    from bench.formatting import p_value

    return "" if value is None else p_value(value)


def _ratio(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.2f}"


# -- LaTeX -----------------------------------------------------------------------------------------
def latex_table(table: PaperTable) -> str:
    """A booktabs ``table`` float (needs ``\\usepackage{booktabs}``)."""
    headers = [latex_escape(h) for h in _headers(table)]
    lines = [
        f"% bench export --format latex: {latex_escape(table.suite)}; \\usepackage{{booktabs}}",
        r"\begin{table}[ht]",
        r"\centering",
        r"\caption{" + latex_escape(_caption(table)) + "}",
        r"\label{tab:bench-" + re.sub(r"[^A-Za-z0-9:.-]+", "-", table.suite) + "}",
        r"\begin{tabular}{llrrrcrr}",
        r"\toprule",
        " & ".join(headers) + r" \\",
        r"\midrule",
    ]
    for row in table.rows:
        changes = latex_escape(row.changes) + (r" \emph{(" + latex_escape(row.note) + ")}" if row.note else "")
        mean = f"${_value(row.mean, table)} \\pm {_value(row.sd, table)}$" if row.sd is not None else f"${_value(row.mean, table)}$"
        if row.verdict is None:
            delta, p, mark = "---", "", ""
        else:
            delta = f"${_signed(row.delta, table, '-')}$" if row.delta is not None else "---"
            if row.ci_low is not None and row.ci_high is not None:
                delta += f" [${_signed(row.ci_low, table, '-')}$, ${_signed(row.ci_high, table, '-')}$]"
            p = latex_escape(_p(row.p_holm))
            mark = VERDICT_MARKS.get(row.verdict, (latex_escape(row.verdict), ""))[0]
        flops = f"{_ratio(row.flops_ratio)}" if row.verdict is not None else "1.00"
        time = f"{_ratio(row.time_ratio)}" if row.verdict is not None else "1.00"
        cells = [latex_escape(row.variant), changes, mean, delta, p, mark, flops, time]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


# -- Markdown --------------------------------------------------------------------------------------
def markdown_table(table: PaperTable) -> str:
    """The same table as a GitHub Markdown table with its caption under it."""
    from tabulate import tabulate

    from bench.plaintext import markdown_text

    header = [_markdown_escape(h) if h else "" for h in _headers(table)]
    body = []
    for row in table.rows:
        changes = _markdown_escape(row.changes) + (f" *({_markdown_escape(row.note)})*" if row.note else "")
        mean = f"{_value(row.mean, table)} ± {_value(row.sd, table)}" if row.sd is not None else _value(row.mean, table)
        if row.verdict is None:
            delta, p, mark, flops, time = "—", "", "", "1.00", "1.00"
        else:
            delta = _signed(row.delta, table, "−") if row.delta is not None else "—"
            if row.ci_low is not None and row.ci_high is not None:
                delta += f" [{_signed(row.ci_low, table, '−')}, {_signed(row.ci_high, table, '−')}]"
            p, mark = _p(row.p_holm), VERDICT_MARKS.get(row.verdict, ("", row.verdict))[1]
            flops, time = _ratio(row.flops_ratio), _ratio(row.time_ratio)
        body.append([_markdown_escape(row.variant), changes, mean, _markdown_escape(delta), p, mark, flops, time])
    text = tabulate(body, header, tablefmt="github", disable_numparse=True)
    return text + "\n\n" + markdown_text(_caption(table)) + "\n"


def write_paper_table(
    store_path: str | Path,
    fmt: str,
    out: Optional[str | Path] = None,
    *,
    suite: Optional[str] = None,
    metric: str = "accuracy",
    stream: Optional[IO[str]] = None,
    lang: Optional[str] = None,
) -> Optional[Path]:
    """Write the conclusions table as ``fmt`` to ``out`` (or ``stream``/stdout); return ``out``.

    ``lang`` (``en``/``ru``) chooses the words; the suite's ``lang:`` by default.
    """
    if fmt not in PAPER_FORMATS:
        raise BenchError(f"--format: {fmt!r} is not allowed — choose one of: {', '.join(PAPER_FORMATS)}")
    table = paper_rows(store_path, suite, metric, lang)
    text = latex_table(table) if fmt == "latex" else markdown_table(table)
    if out is None:
        (stream or sys.stdout).write(text)
        return None
    from bench.files import write_text_atomic

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)  # a full disk never leaves half a table
    return path
