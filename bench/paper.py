"""The conclusions table for a paper (LaTeX, booktabs) or a README (Markdown).

``bench export STORE --format latex|markdown`` writes one row per variant, the
baseline first: what changed, the metric's mean ± sd over seeds, Δ against the
baseline with its 95 % confidence interval, the Holm-adjusted p, a verdict mark,
and ×FLOPs and ×time.  Every number comes from :mod:`bench.analysis`; this module
only lays them out, and escapes every user string (variant names, notes,
changed values, the title) for LaTeX or Markdown.

Reading the statistics is one function, :func:`table_rows`, the only place that
knows the shape of :func:`bench.analysis.compare_to_baseline`'s output.
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

#: Verdict → (LaTeX mark, Markdown mark); the legend under each table explains them.
VERDICT_MARKS = {
    "better": (r"$\uparrow$", "↑"),
    "worse": (r"$\downarrow$", "↓"),
    "no significant difference": (r"$\approx$", "≈"),
    "inconclusive": ("?", "?"),
}
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
    # what bench itself writes into changes and notes; pdflatex knows none of them
    "→": r"$\to$",
    "−": "-",
    "…": r"\ldots{}",
    "Δ": r"$\Delta$",
    "×": r"$\times$",
    "±": r"$\pm$",
    "α": r"$\alpha$",
}
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>~])")


def latex_escape(text: Any) -> str:
    """``text`` safe in LaTeX body text: ``_ % & # $ { } ~ ^ \\`` and a few symbols replaced."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in " ".join(str(text).split()))


def _markdown_escape(text: Any) -> str:
    from bench.formatting import md_cell

    return md_cell(_MARKDOWN_ACTIVE.sub(r"\\\1", str(text)))


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


def _number(value: Any) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def table_rows(
    comparisons: Optional[pd.DataFrame], summary: pd.DataFrame, definition: dict[str, Any], metric: str
) -> list[PaperRow]:
    """The rows from :func:`bench.analysis.compare_to_baseline` and :func:`bench.analysis.summarize`.

    The one place that reads the statistics' output shape (columns ``mean_variant``,
    ``ci_low``, ``p_holm``, ``verdict``, ``flops_ratio``, ``train_seconds_ratio``; summary
    columns ``variant``, ``metric``, ``n``, ``mean``, ``std``).
    """
    from bench.configdiff import describe_changes

    stats = summary[summary["metric"] == metric].set_index("variant")
    compared = {} if comparisons is None else {r["variant"]: r for r in comparisons.to_dict("records")}
    baseline = definition.get("baseline", "base")
    rows = []
    for variant in definition["variants"]:
        name = variant["name"]
        if name not in stats.index:
            continue  # planned but never trained: not a row of results
        own = stats.loc[name]
        note = variant.get("description") or (variant.get("claim") or {}).get("note") or ""
        changes = "baseline" if name == baseline else describe_changes(variant.get("changes", []))
        row = compared.get(name, {})
        rows.append(
            PaperRow(
                variant=name, changes=changes, note=note, n=int(own["n"]),
                mean=_number(own["mean"]), sd=_number(own["std"]),
                delta=_number(row.get("delta")), ci_low=_number(row.get("ci_low")),
                ci_high=_number(row.get("ci_high")), p_holm=_number(row.get("p_holm")),
                verdict=row.get("verdict") if name != baseline else None,
                flops_ratio=_number(row.get("flops_ratio")),
                time_ratio=_number(row.get("train_seconds_ratio")),
            )  # fmt: skip
        )
    return rows


def paper_rows(store_path: str | Path, suite: Optional[str] = None, metric: str = "accuracy") -> PaperTable:
    """Read a store and compute its conclusions table (no TensorFlow)."""
    from bench import analysis, results
    from bench import metrics as metric_table
    from bench.status import Status

    found = results.load(store_path, suite, predictions=False, history=False)
    definition, runs = found.definition, found.runs
    if metric not in runs.columns:
        raise BenchError(f"{store_path}: no run recorded {metric!r}; nothing to tabulate yet")
    baseline = found.baseline
    summary = analysis.summarize(runs, [metric])
    comparisons = None
    ok_variants = set(runs.loc[runs["status"] == Status.OK.value, "variant"])
    if baseline in ok_variants and len(ok_variants) > 1:
        comparisons = analysis.compare_to_baseline(
            runs, baseline, metric, alpha=found.alpha, min_effect=found.min_effect,
        )  # fmt: skip
    rows = table_rows(comparisons, summary, definition, metric)
    return PaperTable(
        suite=found.name, title=found.title, metric=metric, baseline=baseline, alpha=found.alpha,
        fraction=metric_table.get(metric).is_fraction, rows=rows,
    )  # fmt: skip


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
    unit = r" (\%)" if table.fraction else ""
    delta_unit = "pp, " if table.fraction else ""
    metric = latex_escape(table.metric.replace("_", " "))
    lines = [
        f"% bench export --format latex: suite {latex_escape(table.suite)}; needs \\usepackage{{booktabs}}",
        r"\begin{table}[ht]",
        r"\centering",
        r"\caption{" + latex_escape(table.title) + f": test {metric} over seeds (mean $\\pm$ sd) and its "
        f"difference from the baseline {latex_escape(table.baseline)} with a 95\\% confidence interval; "
        f"Welch's $t$-test, $p$ Holm-adjusted across variants, $\\alpha = {table.alpha:g}$. "
        r"$\uparrow$ better, $\downarrow$ worse, $\approx$ no significant difference, "
        r"? inconclusive (fewer than 2 seeds).}",
        r"\label{tab:bench-" + re.sub(r"[^A-Za-z0-9:.-]+", "-", table.suite) + "}",
        r"\begin{tabular}{llrrrcrr}",
        r"\toprule",
        f"Variant & What changed & {metric.capitalize()}{unit} & $\\Delta$ ({delta_unit}95\\% CI) "
        r"& $p$ (Holm) & & $\times$FLOPs & $\times$time \\",
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
    """The same table as a GitHub Markdown table with its legend."""
    from tabulate import tabulate

    unit = " (%)" if table.fraction else ""
    delta_unit = "pp, " if table.fraction else ""
    metric = table.metric.replace("_", " ")
    header = ["variant", "what changed", f"{metric}{unit}", f"Δ ({delta_unit}95% CI)", "p (Holm)", "",
              "×FLOPs", "×time"]  # fmt: skip
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
        body.append([_markdown_escape(row.variant), changes, mean, delta, p, mark, flops, time])
    text = tabulate(body, header, tablefmt="github", disable_numparse=True)
    legend = (
        f"\n\n{_markdown_escape(table.title)}: test {metric} over seeds (mean ± sd), Δ against the baseline "
        f"{_markdown_escape(table.baseline)} with a 95% confidence interval; Welch's t-test, p Holm-adjusted across "
        f"variants, α = {table.alpha:g}. ↑ better, ↓ worse, ≈ no significant difference, "
        "? inconclusive (fewer than 2 seeds).\n"
    )
    return text + legend


def write_paper_table(
    store_path: str | Path,
    fmt: str,
    out: Optional[str | Path] = None,
    *,
    suite: Optional[str] = None,
    metric: str = "accuracy",
    stream: Optional[IO[str]] = None,
) -> Optional[Path]:
    """Write the conclusions table as ``fmt`` to ``out`` (or ``stream``/stdout); return ``out``."""
    if fmt not in PAPER_FORMATS:
        raise BenchError(f"--format: {fmt!r} is not allowed — choose one of: {', '.join(PAPER_FORMATS)}")
    table = paper_rows(store_path, suite, metric)
    text = latex_table(table) if fmt == "latex" else markdown_table(table)
    if out is None:
        (stream or sys.stdout).write(text)
        return None
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
