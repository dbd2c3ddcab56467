"""``bench diff``: two variants of one store, or one suite measured twice.

Two questions, one result type (:class:`DiffResult`) and one set of renderers
(terminal table, Markdown, HTML, JSON), so every output says the same thing:

* **variants** (``bench diff STORE A B``): what B changed relative to A — the
  config diff, every metric's Δ with its 95 % CI, p-value and verdict, the
  per-example counts of same-seed test predictions (about these trained models,
  never a test), and the classes whose accuracy changed.  Each metric is its own
  test (:func:`bench.analysis.compare`: paired by seed where both ran the same
  seeds on the same split, else Welch) and p-values are *not* corrected across metrics: the metrics are a handful of
  dependent views of one pair of models (accuracy and loss move together; FLOPs
  and parameters are deterministic), and a correction would make accuracy's
  p-value depend on how many cost columns happen to be shown.  Per-class changes
  are Holm-corrected across the pair's classes (:func:`bench.analysis.per_class_changes`).
* **stores** (``bench diff OLD NEW``): the same suite measured twice (another
  commit, machine or library version), like asv's ``compare``: per variant the Δ
  of every compared metric, with one Holm family per metric across the variants
  (:func:`bench.analysis.compare_measurements`, paired by seed where both stores ran
  the same seeds on the same split).  ``--fail-on-regression [--margin M]`` is a
  non-inferiority gate (:func:`bench.analysis.regression_gate`): it fails only where
  new is worse by more than M with confidence, Holm-corrected across every variant
  and gate metric.

Which metrics exist, their labels, units and directions come from the metric table
(:mod:`bench.metrics`); the stores are read through :mod:`bench.results`; verdicts
come from :mod:`bench.analysis` only.  The gathered :class:`DiffResult` holds numbers
and word keys, and the words are put in at rendering, in the asked language, by
templates (``diff.txt.j2``, ``diff.md.j2``, ``diff.html.j2``) that lay out tables
prepared once here.  It never imports TensorFlow, so it answers in about a second.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

import bench
from bench import analysis, formatting, results, task_report, words
from bench import metrics as metric_table
from bench.configdiff import config_diff, what_runs
from bench.errors import BenchError
from bench.results import SuiteResults
from bench.tasks import PairedTest
from bench import tables
from bench.tables import Cell, Column, Row, Table, metric_column, template_environment

__all__ = ["DiffResult", "FORMATS", "diff_stores", "diff_variants", "render", "render_html"]

FORMATS = ("table", "md", "html", "json")
_TEMPLATES = {"table": "diff.txt.j2", "md": "diff.md.j2", "html": "diff.html.j2"}
@dataclass
class Side:
    """One side of a diff: a variant of a store, or a whole store."""

    label: str
    store: str
    suite: str
    environment: dict[str, Any] = field(default_factory=dict)


@dataclass
class Message:
    """A warning or note as a catalog key and its values: worded when rendered, in any language."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return words.t(self.key, lang, **self.values)


@dataclass
class DiffResult:
    """Everything a diff found; every renderer reads only this."""

    kind: str  # "variants" | "stores"
    suite: str
    title: str
    a: Side
    b: Side
    alpha: float
    min_effect: float
    rows: list[dict[str, Any]]
    config_changes: list[dict[str, Any]] = field(default_factory=list)
    mcnemar: Optional[dict[str, Any]] = None
    #: the runs' task's paired per-item test of b against a (:class:`bench.tasks.PairedTest` fields)
    paired: Optional[dict[str, Any]] = None
    per_class: Optional[list[dict[str, Any]]] = None
    num_classes: Optional[int] = None
    warnings: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    gate_metrics: tuple[str, ...] = ()
    suite_lang: Optional[str] = None  # the suite's own ``lang:``, the default language of the words
    #: two stores: the non-inferiority gate, one row per variant and gate metric
    #: (:func:`bench.analysis.regression_gate`); empty for two variants
    gate: list[dict[str, Any]] = field(default_factory=list)
    margin: float = 0.0

    def regressions(self, metrics: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
        """What ``--fail-on-regression`` fails on.

        Two stores: the gate rows that failed -- new worse than old by more than the
        margin with confidence, Holm-corrected across every variant and gate metric.
        Two variants: rows whose verdict is 'worse' on a gated metric (B worse than A).
        """
        gate = set(metrics if metrics is not None else self.gate_metrics)
        if self.kind == "stores":
            return [g for g in self.gate if g["regressed"] and g["metric"] in gate]
        return [r for r in self.rows if r["verdict"] == analysis.WORSE and r["metric"] in gate]

    def warning_texts(self, lang: str = "en") -> list[str]:
        return [w.text(lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """JSON-able, words in ``lang``: NaN becomes None, numpy scalars Python numbers; each row
        carries its metric's label, unit and direction from the metric table."""
        data = asdict(self)
        data["rows"] = [
            {
                **row,
                "label": metric_table.label(row["metric"], lang),
                "unit": formatting.unit(row["metric"], lang),
                "direction": metric_table.get(row["metric"]).direction.value,
                "verdict_text": words.verdict_word(row["verdict"], lang),
            }
            for row in self.rows
        ]
        data["warnings"] = self.warning_texts(lang)
        data["notes"] = [n.text(lang) for n in self.notes]
        data["gate_metrics"] = list(self.gate_metrics)
        data["regressions"] = [
            {"variant": r["variant"], "metric": r["metric"]} for r in self.regressions()
        ]
        data["lang"] = lang
        data["bench_version"] = bench.__version__
        return _jsonable(data)


# -- gathering --------------------------------------------------------------------------
def diff_variants(
    store_path: str | Path,
    a: str,
    b: str,
    *,
    suite_name: Optional[str] = None,
    metrics: Optional[Sequence[str]] = None,
    gate_metrics: Optional[Sequence[str]] = None,
) -> DiffResult:
    """Variant ``b`` against variant ``a`` of one store (Δ = b − a)."""
    if a == b:
        raise BenchError(f"diff: both variants are {a!r}; name two different variants")
    found = results.load(store_path, suite_name, history=False)
    _check_asked([found], metrics, str(store_path))
    for name in (a, b):
        if name not in found.variant_names:
            raise BenchError(
                f"{store_path}: suite {found.name!r} has no variant {name!r}; "
                f"it has: {', '.join(found.variant_names)}"
            )
    primary = _primary_metric([found])
    runs = _with_metrics(found.runs, metrics or ())
    pair = runs[runs["variant"].isin([a, b])]
    ok_keys = found.ok.loc[found.ok["variant"].isin([a, b]), "key"].unique()
    predictions = found.labelled_predictions(ok_keys)
    rows = []
    for metric in _chosen_metrics([found], metrics, pair):
        rec = analysis.compare(
            a, b, metric, runs=pair, alpha=found.alpha,
            min_effect=found.min_effect if metric == primary else 0.0,
            predictions=predictions if metric == primary else None,
        )  # fmt: skip
        rows.append(_row(rec))
    warnings = []
    changes = config_diff(found.config_of(a), found.config_of(b))
    if not changes:
        warnings.append(Message("diff.same_config", {"a": repr(a), "b": repr(b)}))
    mcnemar = None
    first = next((r for r in rows if r["metric"] == primary), None)
    if first is not None and first["mcnemar_seeds"]:
        mcnemar = {
            "a_right_b_wrong": int(first["mcnemar_b"]),
            "a_wrong_b_right": int(first["mcnemar_c"]),
            "seeds": int(first["mcnemar_seeds"]),
        }
    paired = task_report.paired_test_of(found, a, b)
    changed = found.class_changes(a, b)
    per_class = None if changed is None else _jsonable(changed.to_dict("records"))
    num_classes = None if changed is None else found.num_classes()
    return DiffResult(
        kind="variants",
        suite=found.name,
        title=found.title,
        a=Side(a, str(store_path), found.name),
        b=Side(b, str(store_path), found.name),
        alpha=found.alpha,
        min_effect=found.min_effect,
        rows=rows,
        config_changes=[{"path": p, "a": x, "b": y} for p, x, y in changes],
        mcnemar=mcnemar,
        paired=None if paired is None else asdict(paired),
        per_class=per_class,
        num_classes=num_classes,
        warnings=warnings,
        notes=[Message("diff.variants_note", {"alpha": formatting.number(found.alpha)})],
        gate_metrics=tuple(gate_metrics or _default_gate(primary)),
        suite_lang=found.lang,
    )


def diff_stores(
    old_path: str | Path,
    new_path: str | Path,
    *,
    suite_name: Optional[str] = None,
    metrics: Optional[Sequence[str]] = None,
    gate_metrics: Optional[Sequence[str]] = None,
    margin: float = 0.0,
) -> DiffResult:
    """The same suite measured twice: every variant of ``new_path`` against ``old_path``.

    The regression gate is a non-inferiority test per variant and gate metric: it fails
    only where new is worse than old by more than ``margin`` (in the metric's units; a
    fraction for accuracy) with confidence, paired by seed where both stores ran the same
    seeds on the same split, Holm-corrected across variants and gate metrics.
    """
    if margin < 0:
        raise BenchError(f"--margin: {margin:g} is not allowed — must be zero or positive")
    old = results.load(old_path, suite_name, history=False)
    new = results.load(new_path, suite_name, history=False)
    _check_asked([old, new], metrics, f"{old_path} or {new_path}")
    runs_old = _with_metrics(old.runs, metrics or ())
    runs_new = _with_metrics(new.runs, metrics or ())
    warnings: list[Message] = []
    if old.name != new.name:
        warnings.append(Message("diff.different_suites", {"a": repr(old.name), "b": repr(new.name)}))
    common = [n for n in new.variant_names if n in old.variant_names]
    only_old = [n for n in old.variant_names if n not in new.variant_names]
    only_new = [n for n in new.variant_names if n not in old.variant_names]
    if only_old or only_new:
        parts = [Message("diff.only_in_old", {"names": ", ".join(only_old)})] if only_old else []
        parts += [Message("diff.only_in_new", {"names": ", ".join(only_new)})] if only_new else []
        warnings.append(Message("diff.not_compared", {"parts": parts}))
    if not common:
        raise BenchError(f"{old_path} and {new_path} have no variant in common; nothing to compare")
    config_changes = []
    for name in common:
        changes = config_diff(what_runs(old.config_of(name)), what_runs(new.config_of(name)))
        config_changes += [{"variant": name, "path": p, "a": x, "b": y} for p, x, y in changes]
        if changes:
            shown = "; ".join(f"{p}: {_value_text(x)} → {_value_text(y)}" for p, x, y in changes[:3])
            more = Message("diff.and_more", {"n": len(changes) - 3}) if len(changes) > 3 else ""
            warnings.append(Message("diff.differs", {"name": repr(name), "shown": shown, "more": more}))
    differ = [
        v for v in common
        if old.test_set_identity(v) and new.test_set_identity(v)
        and old.test_set_identity(v) != new.test_set_identity(v)
    ]  # fmt: skip
    if differ:
        warnings.append(Message("diff.test_sets_differ", {"names": ", ".join(differ)}))
    primary = _primary_metric([old, new])
    both = pd.concat([runs_old, runs_new], ignore_index=True)
    rows = []
    in_both = [v for v in common if v in set(runs_old["variant"]) and v in set(runs_new["variant"])]
    for metric in _chosen_metrics([old, new], metrics, both):
        table = analysis.compare_measurements(
            runs_old, runs_new, metric, variants=in_both, alpha=new.alpha,
            min_effect=new.min_effect if metric == primary else 0.0,
        )  # fmt: skip
        rows += [_row(rec) for rec in table.to_dict("records")]
    order = {v: i for i, v in enumerate(common)}
    rows.sort(key=lambda r: order[r["variant"]])  # stable: a variant's metrics stay together
    gate_names = tuple(gate_metrics or _default_gate(primary))
    gate_rows = [
        {
            "variant": g.variant, "metric": g.metric, "method": g.method.value,
            "worse_by": g.worse_by, "margin": g.margin, "p_value": g.p_value, "p_holm": g.p_holm,
            "regressed": g.failed,  # not "failed": that word is a run status
        }
        for g in analysis.regression_gate(
            runs_old, runs_new, [m for m in gate_names if m in both.columns], margins=margin,
            variants=in_both, alpha=new.alpha,
        )
    ]  # fmt: skip
    env_old, env_new = old.environment(), new.environment()
    notes = [Message("diff.stores_note", {"n": len(common), "alpha": formatting.number(new.alpha)})]
    notes.append(Message("diff.gate_note", {"margin": formatting.number(margin),
                                            "option": "--fail-on-regression"}))
    moved = [f"{what} {_value_text(before)} → {_value_text(after)}" for what, before, after in env_old.changes_to(env_new)]
    if moved:
        notes.insert(0, Message("diff.between", {"moves": "; ".join(moved)}))
    return DiffResult(
        kind="stores",
        suite=new.name,
        title=new.title,
        a=Side("old", str(old_path), old.name, env_old.to_dict() if env_old.known else {}),
        b=Side("new", str(new_path), new.name, env_new.to_dict() if env_new.known else {}),
        alpha=new.alpha,
        min_effect=new.min_effect,
        rows=rows,
        config_changes=config_changes,
        warnings=warnings,
        notes=notes,
        gate_metrics=gate_names,
        suite_lang=new.lang,
        gate=gate_rows,
        margin=margin,
    )


def _primary_metric(found: Sequence[SuiteResults]) -> Optional[str]:
    """The metric the paired test and min_effect belong to: the first compared one in table order."""
    present = {m for f in found for m in f.metric_names}
    compared = metric_table.compared_metrics(present)
    return compared[0] if compared else None


def _default_gate(primary: Optional[str]) -> tuple[str, ...]:
    """``--fail-on-regression`` gates the primary metric unless told otherwise."""
    return (primary,) if primary else ()


def _with_metrics(runs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Make every asked-for metric a column (NaN where never recorded), so tests can run."""
    runs = runs.copy()
    for metric in metrics:
        if metric not in runs.columns:
            runs[metric] = np.nan
    return runs


def _chosen_metrics(
    found: Sequence[SuiteResults], asked: Optional[Sequence[str]], runs: pd.DataFrame
) -> list[str]:
    """The asked-for metrics, or every compared metric of the table that holds a value here."""
    if asked:
        return list(dict.fromkeys(asked))
    present = {m for f in found for m in f.metric_names}
    return [m for m in metric_table.compared_metrics(present) if m in runs and runs[m].notna().any()]


def _check_asked(found: Sequence[SuiteResults], asked: Optional[Sequence[str]], where: str) -> None:
    """Refuse a ``--metric`` no run recorded, naming the metrics there are."""
    recorded = {c for f in found for c in f.runs.columns if c not in results.RUN_COLUMNS}
    unknown = [m for m in asked or () if m not in recorded]
    if unknown:
        raise BenchError(
            f"--metric: no run in {where} recorded {', '.join(map(repr, unknown))}; "
            f"recorded: {', '.join(sorted(recorded)) or 'nothing'}"
        )


def _row(rec: Any) -> dict[str, Any]:
    """A comparison record with the diff's neutral names (a = reference, b = compared)."""
    get = rec.get if isinstance(rec, dict) else (lambda k, d=None: getattr(rec, k, d))
    metric = get("metric")
    mean_a, mean_b = get("mean_baseline"), get("mean_variant")
    fraction = metric_table.get(metric).is_fraction
    ratio = (
        mean_b / mean_a
        if not fraction and np.isfinite(mean_a) and np.isfinite(mean_b) and mean_a != 0
        else math.nan
    )
    seeds = get("seeds_needed")
    direction = metric_table.get(metric).direction
    return {
        "variant": get("variant"),
        "metric": metric,
        "fraction": bool(fraction),
        "higher_is_better": None if direction is metric_table.Direction.NEITHER else direction is metric_table.Direction.HIGHER,
        "n_a": int(get("n_baseline")),
        "n_b": int(get("n_variant")),
        "mean_a": mean_a,
        "mean_b": mean_b,
        "std_a": get("std_baseline"),
        "std_b": get("std_variant"),
        "delta": get("delta"),
        "ci_low": get("ci_low"),
        "ci_high": get("ci_high"),
        "ci_level": get("ci_level"),
        "ratio": ratio,
        "t_stat": get("t_stat"),
        "df": get("df"),
        "p_value": get("p_value"),
        "p_holm": get("p_holm"),
        "verdict": _plain(get("verdict")),
        "reason": _plain(get("reason")),
        "seeds_needed": None if seeds is None or seeds != seeds else int(seeds),  # NaN != NaN
        "mcnemar_b": get("mcnemar_b", 0),
        "mcnemar_c": get("mcnemar_c", 0),
        "mcnemar_seeds": int(np.nan_to_num(get("mcnemar_seeds", 0) or 0)),
    }


def _plain(value: Any) -> Any:
    """An enum's value (verdicts and reasons are str enums), anything else as it is."""
    return getattr(value, "value", value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Message):
        return value.text("en")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


# -- presenting -------------------------------------------------------------------------
def _value_text(value: Any) -> str:
    """A config value for a one-line diff: strings bare, everything else as JSON, ≤ 60 chars."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _worded(value: Any, lang: str) -> Any:
    """A message value that is itself a message (or a list of them), worded in ``lang``."""
    if isinstance(value, Message):
        return _message(value, lang)
    if isinstance(value, list) and value and all(isinstance(v, Message) for v in value):
        return "; ".join(_message(v, lang) for v in value)
    return value


def _message(message: Message, lang: str) -> str:
    return words.t(message.key, lang, **{k: _worded(v, lang) for k, v in message.values.items()})


def _delta_ci(row: dict[str, Any], lang: str) -> str:
    delta = formatting.delta(row["delta"], row["metric"], lang)
    low, high = row["ci_low"], row["ci_high"]
    if results.finite_or_none(low) is None or results.finite_or_none(high) is None or low == high:
        return delta  # no interval, or an exact difference (FLOPs, parameters)
    return f"{delta} ({formatting.interval(low, high, row['metric'], lang)})"


def comparison_table(result: DiffResult, lang: str) -> Table:
    """The comparison rows as one table (the same columns in the terminal, Markdown and HTML)."""
    regressions = result.regressions()
    variants = result.kind == "variants"
    columns = [] if variants else [Column("variant", words.t("column.variant", lang))]
    columns += [
        Column("metric", words.t("diff.metric", lang)),
        Column("a", result.a.label if variants else words.t("diff.old", lang), numeric=True),
        Column("b", result.b.label if variants else words.t("diff.new", lang), numeric=True),
        Column("seeds", words.t("column.seeds", lang), numeric=True),
        Column("delta", words.t("diff.delta_ci", lang), numeric=True),
    ]
    if not variants:
        columns.append(Column("ratio", words.t("diff.new_over_old", lang), numeric=True))
    columns += [
        Column("p", words.t("diff.p", lang) if variants else words.t("column.p_holm", lang), numeric=True),
        Column("verdict", words.t("column.verdict", lang)),
    ]
    rows = []
    for r in result.rows:
        metric = metric_column(r["metric"], lang)
        cells = [] if variants else [Cell(str(r["variant"]))]
        cells += [
            Cell(metric.header, title=metric.unit),
            Cell(formatting.value(r["mean_a"], r["metric"], lang), sort=results.finite_or_none(r["mean_a"])),
            Cell(formatting.value(r["mean_b"], r["metric"], lang), sort=results.finite_or_none(r["mean_b"])),
            Cell(f"{r['n_a']} / {r['n_b']}"),
            Cell(_delta_ci(r, lang), sort=results.finite_or_none(r["delta"])),
        ]
        if not variants:
            cells.append(Cell(formatting.ratio(r["ratio"]), sort=results.finite_or_none(r["ratio"])))
        p = r["p_value"] if variants else r["p_holm"]
        cells += [
            Cell(formatting.p_value(p), sort=results.finite_or_none(p)),
            Cell(
                words.verdict_word(r["verdict"], lang),
                css=formatting.verdict_class(r["verdict"]),
                detail=words.t("diff.regression", lang) if r in regressions else "",
            ),
        ]
        rows.append(Row(cells))
    return Table("comparison", columns, rows)


def per_class_table(result: DiffResult, lang: str) -> Table:
    columns = [
        Column("class", words.t("column.class", lang)),
        Column("a", result.a.label, numeric=True),
        Column("b", result.b.label, numeric=True),
        Column("delta", words.t("diff.delta_ci", lang), numeric=True),
        Column("p_holm", words.t("column.p_holm", lang), numeric=True),
    ]
    rows = [
        Row([
            Cell(str(c["class_name"])),
            Cell(formatting.value(c["acc_baseline"], "accuracy", lang)),
            Cell(formatting.value(c["acc_variant"], "accuracy", lang)),
            Cell(f"{formatting.delta(c['delta'], 'accuracy', lang)} "
                 f"({formatting.interval(c['ci_low'], c['ci_high'], 'accuracy', lang)})"),
            Cell(formatting.p_value(c["p_holm"])),
        ])  # fmt: skip
        for c in result.per_class or []
    ]
    return Table("per-class", columns, rows)


def _config_lines(result: DiffResult) -> list[str]:
    prefix = (lambda c: "") if result.kind == "variants" else (lambda c: f"{c['variant']}: ")
    return [
        f"{prefix(c)}{c['path']}: {_value_text(c['a'])} → {_value_text(c['b'])}"
        for c in result.config_changes
    ]


def _summary_line(result: DiffResult, lang: str) -> str:
    counts: dict[str, int] = {}
    for r in result.rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    parts = [f"{counts[v]} {words.verdict_word(v, lang)}" for v in analysis.VERDICTS if counts.get(v)]
    regressions = result.regressions()
    gate = ", ".join(metric_table.label(m, lang) for m in result.gate_metrics)
    several = len(result.gate_metrics) > 1
    if regressions:
        names = ", ".join(
            str(r["variant"]) + (f" ({metric_table.label(r['metric'], lang)})" if several else "")
            for r in regressions
        )
        tail = words.t("diff.regressions_in", lang, gate=gate, names=names)
    else:
        tail = words.t("diff.no_regression", lang, gate=gate)
    return words.t("diff.verdicts", lang, counts=", ".join(parts), tail=tail)


def context(result: DiffResult, lang: str = "en") -> dict[str, Any]:
    """What the diff templates show, every word in ``lang``."""
    lang = words.check_lang(lang)
    variants = result.kind == "variants"
    if variants:
        heading = words.t("diff.heading_variants", lang, title=result.title, a=result.a.label, b=result.b.label)
        sources = [words.t("diff.source_variants", lang, suite=result.suite, store=result.a.store)]
    else:
        heading = words.t("diff.heading_stores", lang, title=result.title)
        sources = [
            words.t("diff.source_old", lang, store=result.a.store, suite=result.a.suite),
            words.t("diff.source_new", lang, store=result.b.store, suite=result.b.suite),
        ]
    mcnemar = per_class_text = None
    if variants:
        m = result.mcnemar
        if m is not None:
            mcnemar = words.t(
                "diff.mcnemar", lang, seeds=m["seeds"], a_only=m["a_right_b_wrong"],
                b_only=m["a_wrong_b_right"], a=result.a.label, b=result.b.label,
            )  # fmt: skip
        elif result.paired is not None:  # whatever the runs' task pairs item by item
            mcnemar = task_report.paired_text(PairedTest(**result.paired), result.a.label, result.b.label, lang)
        else:
            mcnemar = words.t("diff.mcnemar_none", lang)
        if result.per_class is None and result.paired is not None:
            per_class_text = words.t("diff.per_class_not_tested", lang)
        elif result.per_class is None:
            per_class_text = words.t("diff.per_class_none", lang)
        elif not result.per_class:
            per_class_text = words.t("diff.per_class_unchanged", lang, n=result.num_classes)
        else:
            per_class_text = words.t("diff.per_class_changed", lang, n=result.num_classes)
    return {
        "lang": lang,
        "kind": result.kind,
        "heading": heading,
        "sources": sources,
        "warnings": [_message(w, lang) for w in result.warnings],
        "show_config": variants or bool(result.config_changes),
        "config_lines": _config_lines(result),
        "comparison": comparison_table(result, lang),
        "summary": _summary_line(result, lang),
        "legend": words.t("report.direction_legend", lang),
        "mcnemar": mcnemar,
        "per_class_text": per_class_text,
        "per_class": per_class_table(result, lang),
        "notes": [_message(n, lang) for n in result.notes],
        "bench_version": bench.__version__,
    }


def render_html(result: DiffResult, templates: Optional[str | Path] = None, lang: str = "en") -> str:
    """One self-contained HTML file; the template autoescapes every user text."""
    return tables.render(template_environment(templates), _TEMPLATES["html"], context(result, lang))


def render(
    result: DiffResult, fmt: str = "table", *, lang: str = "en", templates: Optional[str | Path] = None
) -> str:
    """The diff in one of :data:`FORMATS`, words in ``lang``."""
    if fmt == "json":
        return json.dumps(result.to_dict(words.check_lang(lang)), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt not in _TEMPLATES:
        raise BenchError(f"--format: {fmt!r} is not allowed — allowed: {', '.join(FORMATS)}")
    return render_template(result, fmt, lang=lang, templates=templates)


def render_template(
    result: DiffResult, fmt: str, *, lang: str = "en", templates: Optional[str | Path] = None
) -> str:
    """The diff through its template for ``fmt`` (table, md or html)."""
    return tables.render(template_environment(templates), _TEMPLATES[fmt], context(result, lang))
