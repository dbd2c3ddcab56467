"""Render a suite's results store into report.md and report.html.

This module gathers: it reads the store once (:mod:`bench.results`), asks
:mod:`bench.analysis` for every number and verdict, asks :mod:`bench.figures` for the
plots, prepares every table once as text (:mod:`bench.tables`, numbers and words from
:mod:`bench.formatting` and :mod:`bench.words`) and hands one context to the Jinja2
templates, which only lay it out.  The metrics shown are those of the metric table
(:mod:`bench.metrics`) the store holds.  It never imports TensorFlow, so a report
renders in about a second.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import yaml

import bench
from bench import analysis, formatting, results, task_report, words
from bench import metrics as metric_table
from bench.files import cached_figures, make_folder, write_text_atomic
from bench.configdiff import describe_changes
from bench.layout import FIGURES_DIR, REPORT_HTML, REPORT_MD
from bench.errors import BenchError
from bench.manifest import manifest_rows
from bench.results import SuiteResults, finite_or_none
from bench.status import Status
from bench.tables import Cell, Column, Row, Table, metric_column, render, template_environment

__all__ = ["FIGURE_FORMATS", "build_context", "render_report"]

#: ``bench report --figure-format``: PNG (embedded in the HTML) or, for print, also SVG or PDF.
FIGURE_FORMATS = ("png", "svg", "pdf")


def render_report(
    store_path: str | Path,
    out_dir: Optional[str | Path] = None,
    templates: Optional[str | Path] = None,
    suite_name: Optional[str] = None,
    lang: Optional[str] = None,
    figure_format: str = "png",
) -> list[Path]:
    """Write report.md, report.html and figures/ for one suite; return the report paths.

    ``lang`` (``en``/``ru``) overrides the suite's ``lang:`` for every generated word.
    ``figure_format`` ``svg`` or ``pdf`` also writes each figure in that format for print
    (report.md links it; the HTML report embeds the PNG either way).  An unchanged store
    renders byte-identical files, so a committed report stays unchanged by re-rendering.
    """
    if figure_format not in FIGURE_FORMATS:
        raise BenchError(f"--figure-format: {figure_format!r} is not allowed — choose one of: {', '.join(FIGURE_FORMATS)}")
    store_path = Path(store_path)
    environment = template_environment(templates)
    found = results.load(store_path, suite_name)
    out = make_folder(Path(out_dir) if out_dir else store_path.parent)
    context = build_context(found, out, lang=lang, figure_format=figure_format)
    written = []
    for template_name, file_name in (("report.md.j2", REPORT_MD), ("report.html.j2", REPORT_HTML)):
        target = out / file_name
        write_text_atomic(target, render(environment, template_name, context))
        written.append(target)
    return written


def build_context(
    found: SuiteResults, out_dir: Path, lang: Optional[str] = None, *, seeds: bool = False,
    figure_format: str = "png",
) -> dict[str, Any]:
    """Everything the templates show, computed from one suite's results (words in ``lang``).

    ``seeds`` adds each run's own row under its variant in the results table (the
    published site's "show individual seeds").  Nothing in it depends on the clock:
    "generated" is when the store's last run finished.
    """
    lang = words.check_lang(lang or found.lang)
    runs = found.runs
    present = found.metric_names
    # the table's metrics the store holds, then any a user's own model recorded (by name)
    shown = metric_table.report_metrics(present) + [m for m in present if not metric_table.is_known(m)]
    primary = _primary_metric(present)
    changes = {v["name"]: describe_changes(v["changes"]) for v in found.variants if v.get("changes")}
    dataset = found.dataset()
    pairs = found.labelled_predictions()

    summary = analysis.summarize(runs, shown) if shown else pd.DataFrame()
    comparisons = _comparisons(found, primary, pairs)
    claims = _claims(found, comparisons)
    records = analysis.records(comparisons) if comparisons is not None else []
    sentences = (
        words.conclusion_sentences(records, changes={n: f"{n} ({c})" for n, c in changes.items()}, lang=lang)
        if records
        else []
    )
    per_class, confusion = _per_class(found, pairs, dataset, lang)
    history = found.history[found.history["run_key"].isin(set(found.ok["key"]))]
    figures = _figures(runs, history, out_dir, found.baseline, confusion, per_class, lang, figure_format)
    figures += task_report.task_figures(found, out_dir, lang, primary)  # each task's own views
    best = _best(summary, primary)
    environment = found.environment()

    return {
        "suite": {
            "name": found.name,
            "title": found.title,
            "description": found.definition.get("description", ""),
            "source": found.definition.get("source", ""),
            "profile": found.definition.get("profile"),
            "baseline": found.baseline,
            "alpha": found.alpha,
            "min_effect": found.min_effect,
        },
        "lang": lang,
        "generated_at": _generated_at(found),
        "bench_version": bench.__version__,
        "convention": words.t("report.flops_convention_text", lang),
        "environment": _environment(environment, lang),
        "manifest": manifest_rows(found.manifest, lang),
        "dataset": _dataset(dataset),
        "training": found.training,
        "counts": found.counts(),
        "best": best,
        "results": _results_table(found, summary, shown, primary, changes, lang, seeds),
        "conclusions": _conclusions_table(records, primary, changes, found, lang),
        "sentences": sentences,
        "statistics_notes": _statistics_notes(found, records, lang),
        "paired_tests": task_report.paired_tests(found, lang),
        "claims": _claims_table(claims, lang),
        "figures": figures,
        "legend": _legend(lang),
        "variants": [
            {
                "name": v["name"],
                "changes": changes.get(v["name"], ""),
                "description": _description(v, lang),
                "config_yaml": yaml.safe_dump(v["config"], sort_keys=False, allow_unicode=True),
            }
            for v in found.variants
        ],
        "failures": _failures(found, lang),
        "per_class": _per_class_table(per_class, lang),
        "per_class_title": _per_class_title(per_class, lang),
        "per_class_changes": _changed_classes(found, changes, lang),
    }


def _generated_at(found: SuiteResults) -> str:
    """When the results were complete (the last run's end, UTC): the same text every time an
    unchanged store is rendered, unlike the clock."""
    last = found.last_finished()
    if last is None:
        return formatting.DASH
    return dt.datetime.fromtimestamp(last, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# -- what is compared --------------------------------------------------------------------------
def _primary_metric(present: list[str]) -> Optional[str]:
    """The metric the conclusions are about: the first compared metric in table order (a task's
    own, such as accuracy, comes before the costs every run records)."""
    compared = metric_table.compared_metrics(present)
    return compared[0] if compared else None


def _comparisons(
    found: SuiteResults, metric: Optional[str], pairs: dict[str, Any]
) -> Optional[pd.DataFrame]:
    runs = found.runs
    if metric is None or found.baseline not in set(runs["variant"]) or runs["variant"].nunique() < 2:
        return None
    primary = metric == _primary_metric(found.metric_names)
    return analysis.compare_to_baseline(
        runs,
        found.baseline,
        metric,
        alpha=found.alpha,
        min_effect=found.min_effect if primary else 0.0,
        predictions=pairs if primary else None,
        design=found.design if found.design and found.design.get("metric", metric) == metric else None,
    )


def _statistics_notes(found: SuiteResults, records: list[Any], lang: str) -> list[str]:
    """Lines under the conclusions: the multiple-comparison families, the sequential design
    (when seeds were added by one), and which sources of variance each interval covers."""
    if not records:
        return []
    notes = [words.t("report.families", lang, n=len(records))]
    design = found.design
    if design and any(r.design_decision for r in records):
        spent = [v.get("alpha_spent") for v in design.get("variants", {}).values() if v.get("alpha_spent") is not None]
        notes.append(words.t(
            "report.sequential", lang, looks=", ".join(str(n) for n in design["looks"]),
            spending=words.t(f"report.spending_{design['spending'].replace('-', '_')}", lang),
            spent=formatting.number(max(spent)) if spent else formatting.DASH,
            alpha=formatting.number(design["alpha"]),
        ))  # fmt: skip
    notes.append(words.variance_sources(records, lang))
    extra = [words.outperforming_text(r, lang) for r in records]
    notes += [f"{r.variant}: {text}" for r, text in zip(records, extra) if text]
    return [n for n in notes if n]


def _claims(found: SuiteResults, comparisons: Optional[pd.DataFrame]) -> list[Any]:
    """Each claim checked against the comparisons of its own metric."""
    claims = [{"variant": v["name"], **v["claim"]} for v in found.variants if v.get("claim")]
    if not claims or comparisons is None:
        return []
    frames = [comparisons]
    primary = _primary_metric(found.metric_names)
    for metric in dict.fromkeys(c["metric"] for c in claims):
        if metric != primary and metric in found.runs:
            other = _comparisons(found, metric, {})
            if other is not None:
                frames.append(other)
    return analysis.claim_records(pd.concat(frames), claims)


# -- tables ------------------------------------------------------------------------------------
def _variant_cell(name: str, changes: str, baseline: str, lang: str, pareto: bool = False) -> Cell:
    marks = [words.t("column.baseline_mark", lang)] if name == baseline else []
    if pareto:
        marks.append(words.t("report.pareto", lang))
    return Cell(text=name, detail="" if name == baseline else changes, title=", ".join(marks), css="baseline" if name == baseline else "")


def _results_table(
    found: SuiteResults,
    summary: pd.DataFrame,
    shown: list[str],
    primary: Optional[str],
    changes: dict[str, str],
    lang: str,
    seeds: bool,
) -> Table:
    """Per variant: runs, and each shown metric's mean (± sd over seeds where it varies)."""
    means = analysis.summary_wide(summary, "mean") if len(summary) else pd.DataFrame()
    stds = analysis.summary_wide(summary, "std") if len(summary) else pd.DataFrame()
    pareto = _pareto(means, primary)
    columns = [
        Column("variant", words.t("report.variant", lang)),
        Column("runs", words.t("report.runs", lang), numeric=True),
        *[metric_column(m, lang) for m in shown],
        Column("notes", words.t("report.notes", lang)),
    ]
    rows = []
    any_notes = False
    seed_rows = found.seed_rows(shown) if seeds else {}
    mean_of, sd_of = _cells_of(means), _cells_of(stds)
    positions = found.runs.groupby("variant", sort=False).indices  # one pass, not a mask per variant
    for name in found.variants_with_runs():
        statuses = found.runs["status"].iloc[positions[name]].value_counts().to_dict()
        n = int(statuses.get(Status.OK.value, 0))
        notes = ", ".join(
            f"{count} {words.status_word(status, lang)}"
            for status, count in statuses.items()
            if status != Status.OK.value
        )
        cells = [
            _variant_cell(name, changes.get(name, ""), found.baseline, lang, name in pareto),
            Cell(formatting.number(n), sort=n),
        ]
        for metric in shown:
            mean = finite_or_none(mean_of.get(name, {}).get(metric))
            sd = finite_or_none(sd_of.get(name, {}).get(metric))
            varies = sd is not None and sd > 0 and n > 1
            aggregate = metric_table.get(metric).aggregate
            text = (
                formatting.value_spread(mean, sd, metric, lang)
                if varies and aggregate is metric_table.Aggregate.MEAN
                else formatting.value(mean, metric, lang)
            )
            cells.append(Cell(text, sort=mean))
        cells.append(Cell(notes))
        rows.append(Row(cells, css="baseline" if name == found.baseline else ""))
        any_notes = any_notes or bool(notes)
        for run in seed_rows.get(name, []):
            seed_cells = [
                Cell(words.t("report.seed_seed", lang, seed=run["seed"])),
                Cell(words.status_word(run["status"], lang)),
                *[Cell(formatting.value(run["values"][m], m, lang), sort=run["values"][m]) for m in shown],
                Cell(""),
            ]
            rows.append(Row(seed_cells, css="seed"))
    if not any_notes:  # a column of dashes says nothing
        columns.pop()
        for row in rows:
            row.cells.pop()
    caption = " ".join(
        [words.t("report.successful_runs_only", lang), words.t("report.results_caption", lang)]
    )
    return Table("results", columns, rows, caption=caption)


def _conclusions_table(
    records: list[Any], metric: Optional[str], changes: dict[str, str], found: SuiteResults, lang: str
) -> Table:
    """Per variant against the baseline: the primary metric, Δ with its CI, p (Holm), verdict, cost ratios."""
    if metric is None:
        return Table("conclusions", [])
    costs = [m for m in metric_table.cost_metrics() if m in found.metric_names]
    columns = [
        Column("variant", words.t("report.variant", lang)),
        metric_column(metric, lang),
        Column("delta", words.t("report.delta_vs_baseline", lang), numeric=True, metric=metric, unit=formatting.delta_unit(metric, lang)),
        Column("ci", words.t("report.ci_of_delta", lang), numeric=True, metric=metric),
        Column("p_holm", words.t("column.p_holm", lang), numeric=True),
        Column("verdict", words.t("report.verdict", lang)),
        *[
            Column(f"{m}_ratio", words.t("report.ratio_of", lang, metric=metric_table.label(m, lang)), numeric=True, metric=m)
            for m in costs
        ],
    ]
    ordered = sorted(records, key=lambda r: -(finite_or_none(r.delta) if finite_or_none(r.delta) is not None else -np.inf))
    rows = []
    for rec in ordered:
        cells = [
            _variant_cell(rec.variant, changes.get(rec.variant, ""), found.baseline, lang),
            Cell(formatting.value(rec.mean_variant, metric, lang), sort=finite_or_none(rec.mean_variant)),
            Cell(formatting.delta(rec.delta, metric, lang), sort=finite_or_none(rec.delta)),
            Cell(formatting.interval(rec.ci_low, rec.ci_high, metric, lang)),
            Cell(formatting.p_value(rec.p_holm), sort=finite_or_none(rec.p_holm)),
            Cell(words.verdict_detail(rec, lang), css=formatting.verdict_class(rec.verdict)),
            *[
                Cell(formatting.ratio(rec.cost_ratios.get(m)), sort=finite_or_none(rec.cost_ratios.get(m)))
                for m in costs
            ],
        ]
        rows.append(Row(cells))
    caption = words.t(
        "report.conclusions_caption_metric", lang,
        metric=metric_table.label(metric, lang), baseline=found.baseline, alpha=formatting.number(found.alpha),
    )  # fmt: skip
    return Table("conclusions", columns, rows, caption=caption)


def _claims_table(claims: list[Any], lang: str) -> Table:
    columns = [
        Column("variant", words.t("report.variant", lang)),
        Column("claim", words.t("report.claim", lang)),
        Column("measured", words.t("report.measured", lang)),
        Column("verdict", words.t("report.verdict", lang)),
        Column("note", words.t("report.note", lang)),
    ]
    rows = [
        Row([
            Cell(c.variant),
            Cell(words.claim_text(c, lang)),
            Cell(words.measured_text(c, lang)),
            Cell(words.claim_result_word(c.result, lang), css=formatting.verdict_class(c.result),
                 detail=words.claim_reason(c, lang)),
            Cell(c.note or ""),
        ])  # fmt: skip
        for c in claims
    ]
    return Table("claims", columns, rows)


def _failures(found: SuiteResults, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "variant": r["variant"],
            "seed": int(r["seed"]),
            "status": words.status_word(r["status"], lang),
            "error": "\n".join((r["error"] or "").strip().splitlines()[-6:]),
        }
        for r in found.unsuccessful.to_dict("records")
    ]


def _description(variant: dict[str, Any], lang: str) -> str:
    """A variant's description: the user's own text, or the catalog's words for the base one."""
    text = str(variant.get("description") or "")
    if text == words.t("report.the_base_configuration", "en"):  # the suite's words, not the user's
        return words.t("report.the_base_configuration", lang)
    return text


def _legend(lang: str) -> str:
    """What the direction marks after a metric's label mean."""
    return words.t("report.direction_legend", lang)


# -- pieces ------------------------------------------------------------------------------------
def _cells_of(frame: pd.DataFrame) -> dict[Any, dict[Any, Any]]:
    """``{row: {column: value}}`` of a table read cell by cell (one conversion, not a lookup each)."""
    return {} if frame.empty else frame.to_dict("index")


def _pareto(means: pd.DataFrame, primary: Optional[str]) -> set[str]:
    """Variants no other beats on both the primary metric and FLOPs."""
    if primary is None or means.empty or "flops" not in means or primary not in means:
        return set()
    both = means.dropna(subset=["flops", primary])
    if both.empty:
        return set()
    higher = metric_table.get(primary).direction is not metric_table.Direction.LOWER
    return set(analysis.pareto_front(both, x="flops", y=primary, maximize_y=higher))


def _best(summary: pd.DataFrame, primary: Optional[str]) -> Optional[dict[str, Any]]:
    """The variant with the best mean of the primary metric (for the site's index)."""
    if primary is None or summary.empty:
        return None
    means = analysis.summary_wide(summary, "mean")
    if primary not in means or means[primary].dropna().empty:
        return None
    column = means[primary].dropna()
    lower = metric_table.get(primary).direction is metric_table.Direction.LOWER
    name = column.idxmin() if lower else column.idxmax()
    return {"variant": str(name), "metric": primary, "value": float(column[name])}


def _environment(environment: results.Environment, lang: str) -> dict[str, Any]:
    if not environment.known:
        return {"host": "—", "hardware": "—", "versions": {}}
    text = words.t("report.cpu_cores_cores", lang, cpu=environment.cpu or "?", cores=environment.cores or "?")
    if environment.gpus:
        text += words.t("report.gpus_gpus", lang, gpus=", ".join(environment.gpus))
    else:
        text += words.t("report.no_gpu", lang)
    return {"host": environment.host, "hardware": text, "versions": dict(environment.versions)}


def _dataset(dataset: results.DatasetRecord) -> dict[str, Any]:
    details = ", ".join(
        f"{k}: {v}" for k, v in dataset.configured.items() if v not in (None, "") and k != "name"
    )
    return {
        "name": dataset.name,
        "input_shape": "×".join(str(x) for x in dataset.input_shape) or "—",
        "classes": dataset.classes,
        "class_names": list(dataset.class_names),
        "train": dataset.train,
        "validation": dataset.validation,
        "test": dataset.test,
        "details": details,
    }


# -- per-class views ---------------------------------------------------------------------------
def _per_class(
    found: SuiteResults, pairs: dict[str, Any], dataset: results.DatasetRecord, lang: str
) -> tuple[Optional[pd.DataFrame], Optional[dict[str, Any]]]:
    """Mean per-class score per variant (a column named after the task's per-class metric:
    accuracy for classes, AP for detection), and the best variant's confusion matrix (summed
    over its seeds), from the per-item views the runs' task derives."""
    classes = found.num_classes()
    if not classes or not found.predictions:
        return None, None
    names = dataset.names_of_classes or [str(i) for i in range(classes)]
    ok = found.ok[found.ok["key"].isin(found.predictions)]
    rows = []
    for variant, group in ok.groupby("variant", sort=False):
        views = [found.item_views(k) for k in group["key"]]
        views = [v for v in views if v.per_class is not None]
        if not views:
            continue
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a class no run has examples of stays NaN
            mean = np.nanmean(np.vstack([v.per_class for v in views]), axis=0)
        metric = views[0].per_class_metric
        rows += [{"variant": variant, "class_name": names[i], metric: float(mean[i])} for i in range(classes)]
    if not rows:
        return None, None
    frame = pd.DataFrame(rows)
    primary = _primary_metric(found.metric_names)
    if primary is None or primary not in ok or ok[primary].dropna().empty:
        return frame, None
    means = ok.groupby("variant", sort=False)[primary].mean()
    lower = metric_table.get(primary).direction is metric_table.Direction.LOWER
    best = means.idxmin() if lower else means.idxmax()
    matrices = [found.item_views(k).confusion for k in ok[ok["variant"] == best]["key"]]
    matrices = [m for m in matrices if m is not None]
    if not matrices:
        return frame, None
    confusion = {
        "matrix": sum(matrices),
        "class_names": names,
        "variant": best,
        "title": words.t("report.confusion_best", lang, variant=best),
    }
    return frame, confusion


def _per_class_table(frame: Optional[pd.DataFrame], lang: str) -> Table:
    """Variants × classes: each class's score (the task's per-class metric), mean over seeds."""
    if frame is None or frame.empty:
        return Table("per-class", [])
    metric = next(c for c in frame.columns if c not in ("variant", "class_name"))
    wide = frame.pivot_table(index="variant", columns="class_name", values=metric, sort=False, dropna=False)
    columns = [Column("variant", words.t("report.variant", lang))] + [
        Column(str(c), str(c), numeric=True, metric=metric) for c in wide.columns
    ]
    rows = [
        Row([Cell(str(v))] + [
            Cell(formatting.value(x, metric, lang), sort=finite_or_none(x)) for x in wide.loc[v]
        ])  # fmt: skip
        for v in wide.index
    ]
    caption = words.t("figure.per_class_caption", lang, label=_capitalised(metric_table.label(metric, lang)))
    return Table("per-class", columns, rows, caption=caption)


def _per_class_title(frame: Optional[pd.DataFrame], lang: str) -> str:
    """The per-class section's heading, naming the task's per-class metric."""
    metric = next((c for c in frame.columns if c not in ("variant", "class_name")), None) if frame is not None else None
    return words.t("figure.per_class", lang, label=_capitalised(metric_table.label(metric, lang))) if metric else ""


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _changed_classes(found: SuiteResults, changes: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """Per variant, the classes whose score changed significantly from the baseline, as text.

    A mean accuracy can hide a trade (one class up, another down); each variant's
    changed classes come from :meth:`SuiteResults.class_changes`.  Variants with no
    changed class are left out.
    """
    if found.baseline not in set(found.runs["variant"]):
        return []
    out = []
    family = [n for n in found.variants_with_runs() if n != found.baseline]
    for name in found.variants_with_runs():
        table = None if name == found.baseline else found.class_changes(found.baseline, name, family)
        if table is None or not len(table):
            continue
        out.append({
            "variant": name,
            "changes": changes.get(name, ""),
            "classes": [
                {
                    "class_name": str(r["class_name"]),
                    "text": words.t(
                        "report.class_change", lang, name=str(r["class_name"]),
                        delta=formatting.delta(r["delta"], "accuracy", lang),
                        before=formatting.value(r["acc_baseline"], "accuracy", lang),
                        after=formatting.value(r["acc_variant"], "accuracy", lang),
                        p=formatting.p_value(r["p_holm"]),
                    ),
                    "css": "better" if (finite_or_none(r["delta"]) or 0) > 0 else "worse",
                }
                for r in table.to_dict("records")
            ],
        })  # fmt: skip
    return out


# -- figures ------------------------------------------------------------------------------------
def _figures(
    runs, history, out_dir, baseline, confusion, per_class, lang="en", figure_format="png"
) -> list[dict[str, Any]]:
    """Draw the figures, or reuse last time's when nothing they show has changed.

    Drawing is most of a report's time; a digest of every input (and of the figure code
    and the metric table) decides whether the PNGs on disk are still right, so an
    unchanged store re-renders without even importing matplotlib.
    """
    digest = _figures_digest(runs, history, baseline, confusion, per_class, lang, figure_format)
    index_path = Path(out_dir) / FIGURES_DIR / "index.json"
    listed = cached_figures(index_path, digest, Path(out_dir))
    if listed is None:
        from bench import figures

        listed = figures.all_figures(
            runs, history, out_dir, baseline=baseline, confusion=confusion, per_class=per_class, lang=lang,
            print_format=figure_format,
        )  # fmt: skip
        write_text_atomic(index_path, json.dumps({"digest": digest, "figures": listed}, indent=1, sort_keys=True))
    for figure in listed:
        data = (Path(out_dir) / figure["file"]).read_bytes()
        figure["data_uri"] = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return listed


def _figures_digest(runs, history, baseline, confusion, per_class, lang, figure_format="png") -> str:
    digest = hashlib.sha256()
    digest.update((Path(__file__).parent / "figures.py").read_bytes())
    # the table's entries for the metrics these runs have (relabelled, redirected, registered
    # since): not the whole table, which depends on which tasks this process has imported
    shown = set(runs.columns) | (set(history["name"]) if history is not None and len(history) else set())
    digest.update(repr([m for m in metric_table.all_metrics() if m.name in shown]).encode())
    for catalog in ("en.py", "ru.py"):  # titles and captions are catalog words
        digest.update((Path(words.__file__).parent / catalog).read_bytes())
    columns = [c for c in runs.columns if c not in ("config", "versions", "hardware", "dataset", "error", "host")]
    digest.update(runs[columns].to_json(orient="split", double_precision=15).encode())
    if history is not None and len(history):
        digest.update(history.to_json(orient="split", double_precision=15).encode())
    if per_class is not None:
        digest.update(per_class.to_json(orient="split", double_precision=15).encode())
    if confusion is not None:
        digest.update(np.ascontiguousarray(confusion["matrix"]).tobytes())
        digest.update(json.dumps([confusion.get("class_names"), confusion.get("title")], default=str).encode())
    digest.update(json.dumps([baseline, lang, bench.__version__, figure_format]).encode())
    return digest.hexdigest()


