"""The one place numbers become text, and the Jinja2 environment reports render in.

Every number a report, diff, figure or console line shows is written here, by the
metric's kind from the metric table (:mod:`bench.metrics`) and in a language (units
from the word catalogs, :mod:`bench.words`).  Conventions, once:

* a value: fractions as percentages ("97.3%"), seconds as "12.3 s" / "4 min 05 s",
  FLOPs and counts with SI prefixes ("1.2 MFLOPs", "84.2 k"), other numbers to three
  significant digits with thousands separators;
* a difference (Δ): signed with "+" / "−" ("−" is the minus sign), fractions in
  percentage points ("+1.2 pp"), zero unsigned ("0.0 pp");
* an interval: both ends signed and with the same decimals, the unit once at the end
  ("−0.3…+2.1 pp");
* "±" only ever means a spread (a standard deviation): "97.3% ± 0.6 pp";
* None, NaN and infinities are "—".

Metric-aware functions: :func:`value`, :func:`delta`, :func:`interval`, :func:`spread`,
:func:`value_spread`; plain ones: :func:`p_value`, :func:`ratio`, :func:`number`,
:func:`percent`, :func:`count`, :func:`seconds`.  :func:`register_filters` makes them
Jinja filters that read ``lang`` from the rendering context (``{{ x|value("accuracy") }}``),
together with the ``t`` global for catalog words.

The packaged templates live at the top-level ``templates/`` of a clone and at
``bench/templates/`` inside an installed wheel; :func:`template_environment` puts a user's
``--templates DIR`` in front of them, so a user file of the same name wins.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from bench import metrics, words
from bench.layout import cache_dir
from bench.metrics import Kind
from bench.plaintext import code_fence, markdown_block, markdown_code, markdown_text

__all__ = [
    "DASH",
    "FILTERS",
    "count",
    "default_templates_dir",
    "delta",
    "delta_unit",
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
    "interval",
    "md_cell",
    "number",
    "p_value",
    "percent",
    "ratio",
    "register_filters",
    "render_template",
    "seconds",
    "spread",
    "template_environment",
    "unit",
    "value",
    "value_spread",
    "verdict_class",
]

DASH = "—"
MINUS = "−"
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


def _unit(key: str, lang: str | None) -> str:
    return words.t(f"unit.{key}", lang)


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


def _signed(text: str, number: float) -> str:
    """"+" or "−" in front of an unsigned ``text``; a zero stays unsigned."""
    if number > 0:
        return "+" + text
    if number < 0:
        return MINUS + text
    return text


# -- plain numbers -----------------------------------------------------------------------
def number(x: Any, digits: int = 3) -> str:
    """0.12345 → "0.123", 12.345 → "12.3", 1234.5 → "1,235", 3600 → "3,600"."""
    n = _number(x)
    if n is None:
        return DASH
    if isinstance(x, numbers.Integral) or (n.is_integer() and abs(n) >= 1):
        return f"{round(n):,}".replace("-", MINUS)
    if abs(n) >= 10**digits:
        return f"{n:,.0f}".replace("-", MINUS)
    return _significant(n, digits).replace("-", MINUS)


def percent(x: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.9734 → "97.3%"."""
    n = _number(x)
    if n is None:
        return DASH
    return f"{n * 100:.{digits}f}%".replace("-", MINUS)


def _si(n: float, digits: int) -> tuple[str, str]:
    for scale, prefix in _PREFIXES:
        if abs(n) >= scale * 0.9995:
            return _significant(n / scale, digits).replace("-", MINUS), prefix
    return number(n, digits), ""


def count(x: Any, digits: int = 3, unit: str = "") -> str:
    """1234567 → "1.23 M", 84210 → "84.2 k", 950 → "950"; ``unit`` after the prefix."""
    n = _number(x)
    if n is None:
        return DASH
    text, prefix = _si(n, digits)
    return f"{text} {prefix}{unit}" if prefix or unit else text


def seconds(x: Any, lang: str | None = None) -> str:
    """0.35 → "350 ms", 12.34 → "12.3 s", 245 → "4 min 05 s", 3720 → "1 h 02 min"."""
    n = _number(x)
    if n is None:
        return DASH
    sign = MINUS if n < 0 else ""
    n = abs(n)
    if n == 0:
        return f"0 {_unit('s', lang)}"
    if n < 1e-3:
        return f"{sign}{_significant(n * 1e6, 3)} {_unit('us', lang)}"
    if n < 1:
        return f"{sign}{_significant(n * 1e3, 3)} {_unit('ms', lang)}"
    if n < 60:
        return f"{sign}{_significant(n, 3)} {_unit('s', lang)}"
    if n < 3600:
        minutes, secs = divmod(round(n), 60)
        return f"{sign}{minutes} {_unit('min', lang)} {secs:02d} {_unit('s', lang)}"
    hours, rest = divmod(round(n), 3600)
    return f"{sign}{hours} {_unit('h', lang)} {rest // 60:02d} {_unit('min', lang)}"


def ratio(x: Any, digits: int = 2) -> str:
    """A ratio to the baseline: 1.5 → "1.50×"."""
    n = _number(x)
    if n is None:
        return DASH
    if abs(n) >= 100:
        return f"{n:,.0f}×"
    return f"{n:.{digits}f}×"


def confidence_level(level: Any) -> str:
    """A confidence level as a percentage without the sign: 0.95 → "95", 0.99372 → "99.37",
    0.999753 → "99.98"; never rounded up to "100" (more digits where two would)."""
    n = _number(level)
    if n is None:
        return DASH
    percent_value = n * 100
    for digits in range(2, 7):
        text = f"{percent_value:.{digits}f}"
        if float(text) < 100 or percent_value >= 100:
            break
    return text.rstrip("0").rstrip(".")


def probability(x: Any) -> str:
    """A probability with two decimals: 0.4286 → "0.43"."""
    n = _number(x)
    return DASH if n is None else f"{n:.2f}"


def exact(x: Any, signed: bool = False) -> str:
    """Ten significant digits, for values compared bit by bit (``bench verify``); ``signed``:
    a difference, six digits with its sign (a change may sit in the seventh digit)."""
    n = _number(x)
    if n is None:
        return DASH
    return f"{n:+.6g}" if signed else f"{n:.10g}"


def p_value(x: Any) -> str:
    """A p-value: 0.0321 → "0.032", 0.00001 → "<0.001", 1 → "1.00"."""
    n = _number(x)
    if n is None:
        return DASH
    if n < 0.001:
        return "<0.001"
    if n < 0.01:
        return f"{n:.3f}"
    return f"{n:.2f}" if n >= 0.1 else f"{n:.3f}"


# -- by metric ---------------------------------------------------------------------------
def _kind(metric: str) -> Kind:
    return metrics.get(metric).kind


def value(x: Any, metric: str, lang: str | None = None) -> str:
    """A value of ``metric`` as its kind is written: "97.3%", "1.2 MFLOPs", "12.3 s", ..."""
    n = _number(x)
    if n is None:
        return DASH
    kind = _kind(metric)
    if kind is Kind.FRACTION:
        return percent(n)
    if kind is Kind.COUNT:
        return count(n)
    if kind is Kind.FLOPS:
        return count(n, unit=_unit("flops", lang))
    if kind is Kind.MACS:
        return count(n, unit=_unit("macs", lang))
    if kind is Kind.SECONDS:
        return seconds(n, lang)
    if kind is Kind.MILLISECONDS:
        return f"{number(n)} {_unit('ms', lang)}"
    if kind is Kind.RATE:
        return f"{number(n)} {_unit('images_per_second', lang)}"
    return number(n)


_KIND_UNITS = {
    Kind.FRACTION: "percent",
    Kind.FLOPS: "flops",
    Kind.MACS: "macs",
    Kind.SECONDS: "s",
    Kind.MILLISECONDS: "ms",
    Kind.RATE: "images_per_second",
}


def unit(metric: str, lang: str | None = None) -> str:
    """The unit a value of ``metric`` is written in ("%", "FLOPs", "s"; "" for plain numbers)."""
    key = _KIND_UNITS.get(_kind(metric))
    return _unit(key, lang) if key else ""


def delta_unit(metric: str, lang: str | None = None) -> str:
    """The unit a difference of ``metric`` is written in: "pp" for fractions, else :func:`unit`."""
    return _unit("pp", lang) if _kind(metric) is Kind.FRACTION else unit(metric, lang)


def _decimals(magnitude: float, sig: int = 3) -> int:
    if magnitude == 0 or not math.isfinite(magnitude):
        return 1
    return max(0, sig - 1 - int(math.floor(math.log10(abs(magnitude)))))


def _pp_decimals(magnitude: float) -> int:
    return 1 if magnitude * 100 >= 0.1 or magnitude == 0 else 2


def _difference(n: float, metric: str, lang: str | None, decimals: int | None) -> tuple[str, str]:
    """|n| as text without its sign, and the unit that follows it ("" for none)."""
    kind = _kind(metric)
    if kind is Kind.FRACTION:
        d = decimals if decimals is not None else _pp_decimals(abs(n))
        return f"{abs(n) * 100:.{d}f}", _unit("pp", lang)
    if kind in (Kind.COUNT, Kind.FLOPS, Kind.MACS) and abs(n) >= 1e3 and decimals is None:
        text, prefix = _si(abs(n), 3)
        unit = {Kind.FLOPS: _unit("flops", lang), Kind.MACS: _unit("macs", lang)}.get(kind, "")
        return text, (prefix + unit)
    d = decimals if decimals is not None else _decimals(n)
    unit = {
        Kind.SECONDS: _unit("s", lang),
        Kind.MILLISECONDS: _unit("ms", lang),
        Kind.RATE: _unit("images_per_second", lang),
        Kind.FLOPS: _unit("flops", lang),
        Kind.MACS: _unit("macs", lang),
    }.get(kind, "")
    return f"{abs(n):,.{d}f}", unit


def delta(
    x: Any,
    metric: str,
    lang: str | None = None,
    *,
    signed: bool = True,
    decimals: int | None = None,
) -> str:
    """A difference of ``metric``: "+1.2 pp" for fractions, "−0.0132", "+1.50 s", ..."""
    n = _number(x)
    if n is None:
        return DASH
    text, unit = _difference(n, metric, lang, decimals)
    text = _signed(text, n) if signed else text
    return f"{text} {unit}" if unit else text


def interval(low: Any, high: Any, metric: str, lang: str | None = None) -> str:
    """A confidence interval of a difference: "−0.3…+2.1 pp" (same decimals, unit once)."""
    lo, hi = _number(low), _number(high)
    if lo is None or hi is None:
        return DASH
    widest = max(abs(lo), abs(hi))
    if _kind(metric) is Kind.FRACTION:
        d = _pp_decimals(widest)
    else:
        d = _decimals(widest)
    lo_text, unit = _difference(lo, metric, lang, d)
    hi_text, _ = _difference(hi, metric, lang, d)
    text = f"{_signed(lo_text, lo)}…{_signed(hi_text, hi)}"
    return f"{text} {unit}" if unit else text


def spread(sd: Any, metric: str, lang: str | None = None) -> str:
    """A standard deviation: "±0.6 pp" for fractions, "±0.012", "±1.3 s"."""
    n = _number(sd)
    if n is None:
        return DASH
    if _kind(metric) is Kind.FRACTION:
        text, unit = f"{abs(n) * 100:.1f}", _unit("pp", lang)
    else:
        text, unit = _difference(abs(n), metric, lang, None)
    return f"±{text} {unit}" if unit else f"±{text}"


def value_spread(mean: Any, sd: Any, metric: str, lang: str | None = None) -> str:
    """A mean and its spread: "97.3% ± 0.6 pp"; the mean alone when there is no spread."""
    shown = value(mean, metric, lang)
    if shown == DASH or _number(sd) is None:
        return shown
    return f"{shown} {spread(sd, metric, lang).replace('±', '± ', 1)}"


# -- the filters templates have always had ----------------------------------------------------
def fmt_num(x: Any, digits: int = 3) -> str:
    """See :func:`number`."""
    return number(x, digits)


def fmt_pct(x: Any, digits: int = 1) -> str:
    """See :func:`percent`."""
    return percent(x, digits)


def fmt_pp(x: Any, digits: int = 1, lang: str | None = None) -> str:
    """A difference of fractions in percentage points: 0.012 → "+1.2 pp"."""
    return delta(x, "accuracy", lang, decimals=digits) if _number(x) is not None else DASH


def fmt_flops(x: Any, unit: str = "FLOPs", digits: int = 3) -> str:
    """1.2e6 → "1.2 MFLOPs", 850 → "850 FLOPs"; ``unit`` may be "MACs"."""
    n = _number(x)
    if n is None:
        return DASH
    text, prefix = _si(n, digits)
    return f"{text} {prefix}{unit}"


def fmt_count(x: Any, digits: int = 3) -> str:
    """See :func:`count`."""
    return count(x, digits)


def fmt_seconds(x: Any, lang: str | None = None) -> str:
    """See :func:`seconds`."""
    return seconds(x, lang)


def fmt_ratio(x: Any, digits: int = 2) -> str:
    """See :func:`ratio`."""
    return ratio(x, digits)


def fmt_p(x: Any) -> str:
    """See :func:`p_value`."""
    return p_value(x)


def fmt_ci(x: Any, digits: int = 1, lang: str | None = None) -> str:
    """An interval of fractions (low, high) → "95.1–96.3%"; a half-width → "±0.6 pp"."""
    if x is None:
        return DASH
    if isinstance(x, str):
        return x or DASH
    if isinstance(x, Mapping):
        x = (x.get("low"), x.get("high"))
    if isinstance(x, (list, tuple)):
        if len(x) != 2:
            return DASH
        low, high = _number(x[0]), _number(x[1])
        if low is None or high is None:
            return DASH
        return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}%"
    n = _number(x)
    if n is None:
        return DASH
    return f"±{abs(n) * 100:.{digits}f} {_unit('pp', lang)}"


def fmt_value(x: Any, lang: str | None = None) -> str:
    """Anything, readably: numbers via :func:`number`, lists joined, None as "—"."""
    if x is None:
        return DASH
    if isinstance(x, bool):
        return words.t("word.yes" if x else "word.no", lang)
    if isinstance(x, numbers.Number):
        return number(x)
    if isinstance(x, (list, tuple, set)):
        return ", ".join(fmt_value(v, lang) for v in x) or DASH
    if isinstance(x, Mapping):
        return ", ".join(f"{k}: {fmt_value(v, lang)}" for k, v in x.items()) or DASH
    text = str(x)
    return text if text else DASH


#: The CSS class of each verdict and claim result (by their values).
_VERDICT_CSS = {
    "better": "better",
    "worse": "worse",
    "no significant difference": "same",
    "smaller than min_effect": "same",
    "inconclusive": "inconclusive",
    "higher": "neutral",
    "lower": "neutral",
    "confirmed": "better",
    "refuted": "worse",
}


def verdict_class(verdict: Any) -> str:
    """CSS class of a :class:`~bench.analysis.Verdict` or :class:`~bench.analysis.ClaimResult`:
    'better', 'worse', 'same', 'inconclusive' or 'neutral'."""
    return _VERDICT_CSS.get(str(getattr(verdict, "value", verdict) or ""), "neutral")


def md_cell(x: Any) -> str:
    """Text for a Markdown table cell: one line, shown as written (pipes, links, emphasis and
    HTML escaped by :func:`bench.plaintext.markdown_text`)."""
    text = fmt_value(x) if not isinstance(x, str) else x
    return markdown_text(" ".join(text.split()), line_start=False) or DASH


# -- Jinja ---------------------------------------------------------------------------------
def _lang_of(context: Any) -> str:
    return context.get("lang") or words.DEFAULT_LANG


def _with_lang(function: Callable[..., str]) -> Callable[..., str]:
    """A filter that passes the ``lang`` of the rendering context to ``function``."""

    @jinja2.pass_context
    def filtered(context: Any, x: Any, *args: Any, **kwargs: Any) -> str:
        return function(x, *args, lang=_lang_of(context), **kwargs)

    return filtered


@jinja2.pass_context
def _t(context: Any, key: str, **values: Any) -> str:
    """``{{ t("report.results") }}``: a catalog word in the template's language; in HTML
    (autoescaping on) the message and every value put into it are escaped."""
    from markupsafe import escape

    text = words.t(str(key), _lang_of(context))
    if context.eval_ctx.autoescape:
        markup = escape(text)
        return markup.format(**values) if values else markup
    return text.format(**values) if values else text


FILTERS: dict[str, Callable[..., Any]] = {
    # by metric and language: {{ row.mean|value(row.metric) }}
    "value": _with_lang(value),
    "delta": _with_lang(delta),
    "interval": _with_lang(lambda low, high, metric, lang=None: interval(low, high, metric, lang)),
    "spread": _with_lang(spread),
    "value_spread": _with_lang(lambda mean, sd, metric, lang=None: value_spread(mean, sd, metric, lang)),
    "metric_label": _with_lang(lambda name, lang=None: metrics.label(name, lang or "en")),
    "verdict_word": _with_lang(lambda v, lang=None: words.verdict_word(v, lang)),
    "claim_result_word": _with_lang(lambda v, lang=None: words.claim_result_word(v, lang)),
    "status_word": _with_lang(lambda v, lang=None: words.status_word(v, lang)),
    # plain
    "fmt_num": fmt_num,
    "fmt_pct": fmt_pct,
    "fmt_pp": _with_lang(fmt_pp),
    "fmt_flops": fmt_flops,
    "fmt_count": fmt_count,
    "fmt_seconds": _with_lang(fmt_seconds),
    "fmt_ratio": fmt_ratio,
    "fmt_p": fmt_p,
    "fmt_ci": _with_lang(fmt_ci),
    "fmt_value": _with_lang(fmt_value),
    "verdict_class": verdict_class,
    "md_cell": md_cell,
    # user text in Markdown (report.md): {{ suite.title|md }}, {{ description|md_block }}
    "md": markdown_text,
    "md_block": markdown_block,
    "md_code": markdown_code,
    "code_fence": code_fence,
}


def register_filters(env: jinja2.Environment) -> jinja2.Environment:
    """Add the number filters and the ``t`` / ``languages`` globals to ``env`` (returned)."""
    env.filters.update(FILTERS)
    env.globals.setdefault("t", _t)
    env.globals["languages"] = words.LANGUAGES
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
    variables raise (``StrictUndefined``); block tags do not leave blank lines.  Compiled
    templates are kept on disk (:class:`CompiledTemplateCache`), so a report does not
    compile its templates every time.
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
        bytecode_cache=_compiled_template_cache(),
    )
    return register_filters(env)


class CompiledTemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates on disk, never stale.

    Jinja compares each entry with a checksum of the template's source, so an edited
    template (packaged, or in a user's ``--templates`` folder) is compiled afresh.  The key
    holds the template's name and file and everything else its compiled code depends on:
    the Jinja and Python versions, the environment's syntax options, its autoescape choice
    for that name, and the filters and tests with the arguments Jinja passes them.  A
    cache that cannot be read or written costs the compile, nothing more.
    """

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> jinja2.bccache.Bucket:
        settings = _compile_settings(environment, name)
        bucket = jinja2.bccache.Bucket(
            environment, self.get_cache_key(name, f"{filename}|{settings}"),
            self.get_source_checksum(source),
        )  # fmt: skip
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compile_settings(environment: jinja2.Environment, name: str) -> str:
    """A digest of what a template's compiled code depends on besides its source."""
    autoescape = environment.autoescape
    functions = [
        (kind, key, repr(getattr(function, "jinja_pass_arg", None)))
        for kind, table in (("filter", environment.filters), ("test", environment.tests))
        for key, function in sorted(table.items())
    ]
    facts = [
        jinja2.__version__, sys.version, name,
        autoescape(name) if callable(autoescape) else bool(autoescape),
        environment.block_start_string, environment.block_end_string,
        environment.variable_start_string, environment.variable_end_string,
        environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix,
        environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
        environment.keep_trailing_newline, environment.optimized, environment.is_async,
        sorted(environment.extensions), repr(environment.finalize), functions,
    ]  # fmt: skip
    return hashlib.sha256(repr(facts).encode()).hexdigest()


def _compiled_template_cache() -> CompiledTemplateCache | None:
    """The compiled-template cache in bench's cache folder (:func:`bench.layout.cache_dir`,
    as for prepared datasets); none when that is turned off."""
    root = cache_dir()
    return CompiledTemplateCache(str(root / "templates")) if root else None


def render_template(
    name: str, context: Mapping[str, Any], templates_dir: str | Path | None = None
) -> str:
    """Render ``name`` (e.g. "report.html.j2") with ``context`` in :func:`template_environment`."""
    return template_environment(templates_dir).get_template(name).render(**context)
