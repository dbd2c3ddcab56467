"""Number formatting for reports, and the Jinja2 environment the report templates render in.

Filters (registered by :func:`register_filters`; every one turns ``None``/NaN into "—"):

``fmt_num(x, digits=3)``      3 significant digits, thousands separators: 0.123, 12.3, 1,235
``fmt_pct(x, digits=1)``      a fraction as a percentage: 0.9734 → "97.3%"
``fmt_pp(x, digits=1)``       a signed difference of fractions in percentage points: "+1.2 pp"
``fmt_flops(x, unit="FLOPs")`` SI prefixes: 1.2e6 → "1.2 MFLOPs" (``unit="MACs"`` for MACs)
``fmt_count(x)``              a count with SI prefixes: 1234567 → "1.23 M"
``fmt_seconds(x)``            "350 ms", "12.3 s", "4 min 05 s", "1 h 02 min"
``fmt_ratio(x)``              a ratio to the baseline: "1.50×"
``fmt_p(x)``                  a p-value: "0.032", "<0.001"
``fmt_ci(x)``                 an interval given as (low, high) fractions "95.1–96.3%", or a
                              half-width fraction "±0.6 pp"; strings pass through
``fmt_value(x)``              anything: numbers through ``fmt_num``, sequences joined by ", "
``verdict_class(text)``       the CSS class of a verdict: better/worse/same/inconclusive/neutral
``md_cell(text)``             text safe inside a Markdown table cell (pipes escaped, one line)

The packaged templates live at the top-level ``templates/`` of a clone and at
``bench/templates/`` inside an installed wheel; :func:`template_environment` puts a user's
``--templates DIR`` in front of them, so a user file of the same name wins.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

__all__ = [
    "DASH",
    "FILTERS",
    "default_templates_dir",
    "fmt_ci",
    "fmt_count",
    "fmt_flops",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "fmt_pp",
    "fmt_ratio",
    "fmt_seconds",
    "fmt_value",
    "md_cell",
    "register_filters",
    "render_template",
    "template_environment",
    "verdict_class",
]

DASH = "—"
_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _number(value: Any) -> float | None:
    """A finite float, or None for None / NaN / inf / non-numbers (bools are not numbers)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _significant(value: float, digits: int) -> str:
    """``digits`` significant figures, never scientific notation, thousands separators."""
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    text = f"{value:,.{decimals}f}"
    if decimals > 0 and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_num(value: Any, digits: int = 3) -> str:
    """0.12345 → "0.123", 12.345 → "12.3", 1234.5 → "1,235", 3600 → "3,600"."""
    number = _number(value)
    if number is None:
        return DASH
    if isinstance(value, numbers.Integral) or (number.is_integer() and abs(number) >= 1):
        return f"{round(number):,}"
    if abs(number) >= 10**digits:
        return f"{number:,.0f}"
    return _significant(number, digits)


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.9734 → "97.3%"."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number * 100:.{digits}f}%"


def fmt_pp(value: Any, digits: int = 1) -> str:
    """A difference of fractions, signed, in percentage points: 0.012 → "+1.2 pp"."""
    number = _number(value)
    if number is None:
        return DASH
    if round(number * 100, digits) == 0:
        return f"±{0:.{digits}f} pp"
    return f"{number * 100:+.{digits}f}".replace("-", "−") + " pp"


def _si(number: float, digits: int) -> tuple[str, str]:
    for scale, prefix in _PREFIXES:
        if abs(number) >= scale * 0.9995:
            return _significant(number / scale, digits), prefix
    return fmt_num(number, digits), ""


def fmt_flops(value: Any, unit: str = "FLOPs", digits: int = 3) -> str:
    """1.2e6 → "1.2 MFLOPs", 850 → "850 FLOPs"; ``unit`` may be "MACs"."""
    number = _number(value)
    if number is None:
        return DASH
    text, prefix = _si(number, digits)
    return f"{text} {prefix}{unit}"


def fmt_count(value: Any, digits: int = 3) -> str:
    """1234567 → "1.23 M", 84210 → "84.2 k", 950 → "950"."""
    number = _number(value)
    if number is None:
        return DASH
    text, prefix = _si(number, digits)
    return f"{text} {prefix}" if prefix else text


def fmt_seconds(value: Any) -> str:
    """0.35 → "350 ms", 12.34 → "12.3 s", 245 → "4 min 05 s", 3720 → "1 h 02 min"."""
    number = _number(value)
    if number is None:
        return DASH
    sign = "−" if number < 0 else ""
    number = abs(number)
    if number < 1e-3:
        return f"{sign}{_significant(number * 1e6, 3)} µs" if number else "0 s"
    if number < 1:
        return f"{sign}{_significant(number * 1e3, 3)} ms"
    if number < 60:
        return f"{sign}{_significant(number, 3)} s"
    if number < 3600:
        minutes, seconds = divmod(round(number), 60)
        return f"{sign}{minutes} min {seconds:02d} s"
    hours, rest = divmod(round(number), 3600)
    return f"{sign}{hours} h {rest // 60:02d} min"


def fmt_ratio(value: Any, digits: int = 2) -> str:
    """A ratio to the baseline: 1.5 → "1.50×"."""
    number = _number(value)
    if number is None:
        return DASH
    if abs(number) >= 100:
        return f"{number:,.0f}×"
    return f"{number:.{digits}f}×"


def fmt_p(value: Any) -> str:
    """A p-value: 0.0321 → "0.032", 0.00001 → "<0.001", 1 → "1.00"."""
    number = _number(value)
    if number is None:
        return DASH
    if number < 0.001:
        return "<0.001"
    if number < 0.01:
        return f"{number:.3f}"
    return f"{number:.2f}" if number >= 0.1 else f"{number:.3f}"


def fmt_ci(value: Any, digits: int = 1) -> str:
    """An interval of fractions: (0.951, 0.963) → "95.1–96.3%"; a half-width 0.006 → "±0.6 pp"."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value or DASH
    if isinstance(value, Mapping):
        value = (value.get("low"), value.get("high"))
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            return DASH
        low, high = _number(value[0]), _number(value[1])
        if low is None or high is None:
            return DASH
        return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}%"
    number = _number(value)
    if number is None:
        return DASH
    return f"±{abs(number) * 100:.{digits}f} pp"


def fmt_value(value: Any) -> str:
    """Anything, readably: numbers via :func:`fmt_num`, lists joined, None as "—"."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Number):
        return fmt_num(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(fmt_value(v) for v in value) or DASH
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) or DASH
    text = str(value)
    return text if text else DASH


_VERDICT_WORDS = (
    ("inconclusive", ("inconclusive", "undecided", "unclear", "too few", "insufficient", "n/a")),
    (
        "same",
        (
            "not better",
            "not worse",
            "no significant",
            "no difference",
            "not significant",
            "no change",
            "same",
            "equivalent",
            "similar",
            "unchanged",
        ),
    ),
    (
        "worse",
        (
            "worse",
            "lower",
            "slower",
            "refuted",
            "contradicted",
            "not supported",
            "not confirmed",
            "fails",
            "failed",
            "false",
            "degrad",
            "regress",
        ),
    ),
    (
        "better",
        (
            "better",
            "higher",
            "faster",
            "improv",
            "confirmed",
            "supported",
            "holds",
            "true",
            "cheaper",
        ),
    ),
)


def verdict_class(verdict: Any) -> str:
    """CSS class of a verdict text: 'better', 'worse', 'same', 'inconclusive' or 'neutral'."""
    text = str(verdict or "").strip().lower()
    if not text:
        return "neutral"
    for css, words in _VERDICT_WORDS:
        if any(word in text for word in words):
            return css
    return "neutral"


def md_cell(value: Any) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    text = fmt_value(value) if not isinstance(value, str) else value
    return " ".join(text.split()).replace("|", "\\|") or DASH


FILTERS = {
    "fmt_num": fmt_num,
    "fmt_pct": fmt_pct,
    "fmt_pp": fmt_pp,
    "fmt_flops": fmt_flops,
    "fmt_count": fmt_count,
    "fmt_seconds": fmt_seconds,
    "fmt_ratio": fmt_ratio,
    "fmt_p": fmt_p,
    "fmt_ci": fmt_ci,
    "fmt_value": fmt_value,
    "verdict_class": verdict_class,
    "md_cell": md_cell,
}


def register_filters(env: jinja2.Environment) -> jinja2.Environment:
    """Add the report filters to ``env`` (returned for chaining)."""
    env.filters.update(FILTERS)
    return env


def default_templates_dir() -> Path | None:
    """The packaged templates: ``bench/templates`` (wheel) or the clone's ``templates/``."""
    import bench

    package = Path(bench.__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "report.md.j2").is_file() or (candidate / "report.html.j2").is_file():
            return candidate
    return None


def template_environment(templates_dir: str | Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment searching ``templates_dir`` first, then the packaged templates.

    Autoescaping is on for ``*.html.j2`` / ``*.html`` and off for Markdown; undefined
    variables raise (``StrictUndefined``); block tags do not leave blank lines.
    """
    search: list[str] = []
    if templates_dir is not None:
        user = Path(templates_dir)
        if not user.is_dir():
            raise FileNotFoundError(f"{templates_dir}: templates folder not found")
        search.append(str(user))
    packaged = default_templates_dir()
    if packaged is not None:
        search.append(str(packaged))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "html"), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return register_filters(env)


def render_template(
    name: str, context: Mapping[str, Any], templates_dir: str | Path | None = None
) -> str:
    """Render ``name`` (e.g. "report.html.j2") with ``context`` in :func:`template_environment`."""
    return template_environment(templates_dir).get_template(name).render(**context)
