"""The tables the views show, prepared once as text and rendered by the templates.

A :class:`Table` is columns and rows of ready cells: every number is already words
and units in the view's language (:mod:`bench.formatting`, :mod:`bench.words`), and a
metric column carries its metric's label, unit and direction from :mod:`bench.metrics`.
The report and diff templates lay tables out as Markdown, HTML or plain text with one
macro each (``templates/_tables.j2``), so a table has one set of columns in every
format, and a metric registered in the table appears in every view without a line here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from bench import metrics as metric_table

__all__ = [
    "Cell",
    "Column",
    "Row",
    "Table",
    "direction_mark",
    "metric_column",
    "template_environment",
    "text_table",
]

#: A mark per direction, put after a metric's label; the views' legends say what each means.
DIRECTION_MARKS = {
    metric_table.Direction.HIGHER: "↑",
    metric_table.Direction.LOWER: "↓",
    metric_table.Direction.NEITHER: "",
}


def direction_mark(metric: str) -> str:
    """"↑" (higher is better), "↓" (lower is better) or "" for a metric without a better side."""
    return DIRECTION_MARKS[metric_table.get(metric).direction]


@dataclass
class Column:
    """One column: its header in the view's language and how its cells align.

    ``metric``, ``direction`` and ``unit`` are set for a column showing a metric, so a
    template (or a reader of the JSON) knows which way is good without asking.
    """

    key: str
    header: str
    numeric: bool = False
    metric: Optional[str] = None
    direction: Optional[str] = None
    unit: str = ""
    title: str = ""


@dataclass
class Cell:
    """A cell's text, plus what HTML adds: a sort key, a CSS class, a second line, a tooltip."""

    text: str
    sort: Optional[float] = None
    css: str = ""
    detail: str = ""
    title: str = ""


@dataclass
class Row:
    """A row's cells (one per column, in column order); ``css`` marks baseline or seed rows."""

    cells: list[Cell]
    css: str = ""
    header: bool = True  # the first cell names the row (<th scope="row">)


@dataclass
class Table:
    id: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    caption: str = ""
    sortable: bool = True

    def __len__(self) -> int:  # a template asks ``table|length`` or ``if table``
        return len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def metric_column(metric: str, lang: str, *, key: Optional[str] = None, header: Optional[str] = None) -> Column:
    """A column showing ``metric``: its label with its direction mark, its unit and direction."""
    from bench import formatting

    found = metric_table.get(metric)
    mark = direction_mark(metric)
    text = header if header is not None else found.label(lang)
    return Column(
        key=key or metric,
        header=f"{text} {mark}".strip(),
        numeric=True,
        metric=metric,
        direction=found.direction.value,
        unit=formatting.unit(metric, lang),
    )


# -- rendering helpers (registered with the templates) ------------------------------------------
def text_table(table: Table) -> str:
    """A table as plain text for a terminal (tabulate's simple format)."""
    from tabulate import tabulate

    rows = [[c.text for c in row.cells] for row in table.rows]
    align = ["right" if c.numeric else "left" for c in table.columns]
    return tabulate(rows, [c.header for c in table.columns], tablefmt="simple",
                    disable_numparse=True, colalign=align)  # fmt: skip


def template_environment(templates: Optional[str | Path] = None) -> Any:
    """The templates' Jinja2 environment (bench.formatting's) with the table filters added.

    Raises :class:`bench.errors.BenchError` for a ``--templates`` folder that is not there.
    """
    from bench import formatting
    from bench.errors import BenchError

    try:
        environment = formatting.template_environment(templates)
    except FileNotFoundError as exc:
        raise BenchError(f"--templates: {exc}") from None
    environment.filters["text_table"] = text_table
    return environment


def render(environment: Any, name: str, context: dict[str, Any]) -> str:
    """Render template ``name``; a user's broken or missing template is a one-line error."""
    from bench.errors import BenchError

    try:
        template = environment.get_template(name)
    except Exception as exc:  # a user's template folder may lack or break a file
        raise BenchError(f"template {name}: {exc}") from None
    return template.render(**context)


def join(parts: Sequence[str], sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)
