"""Render a suite's results store into report.md and report.html.

This module gathers: it reads the store, asks :mod:`bench.analysis` for every
number and verdict, asks :mod:`bench.figures` for the plots, and hands one
context dict to the Jinja2 templates, which only present.  It never imports
TensorFlow, so a report renders in about a second.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import yaml
from tabulate import tabulate

import bench
from bench import analysis, i18n
from bench.errors import BenchError
from bench.files import make_folder, write_text_atomic
from bench.store import ResultStore
from bench.configdiff import describe_changes

CONVENTION = (
    "FLOPs = 2 × multiply-adds of convolutions and dense layers, for one forward pass of one "
    "example at the suite's input size; bias, batch-norm, activations and pooling are not counted. "
    "Training FLOPs ≈ 3 × forward × images seen."
)
RESULT_METRICS = (
    "accuracy", "top5_accuracy", "loss", "flops", "macs", "params",
    "train_seconds", "images_per_second", "latency_ms",
)


def render_report(
    store_path: str | Path,
    out_dir: Optional[str | Path] = None,
    templates: Optional[str | Path] = None,
    suite_name: Optional[str] = None,
    lang: Optional[str] = None,
) -> list[Path]:
    """Write report.md, report.html and figures/ for one suite; return the report paths.

    ``lang`` (``en``/``ru``) overrides the suite's ``lang:`` for every generated word.
    """
    from bench.formatting import template_environment

    store_path = Path(store_path)
    out = make_folder(Path(out_dir) if out_dir else store_path.parent)
    try:
        environment = template_environment(templates)
    except FileNotFoundError as exc:
        raise BenchError(f"--templates: {exc}") from None
    i18n.install(environment)
    with ResultStore(store_path, create=False) as store:
        context = build_context(store, out, suite_name, lang=lang)
    written = []
    for template_name, file_name in (("report.md.j2", "report.md"), ("report.html.j2", "report.html")):
        try:
            template = environment.get_template(template_name)
        except Exception as exc:  # a user's template folder may lack or break a file
            raise BenchError(f"template {template_name}: {exc}") from None
        target = out / file_name
        write_text_atomic(target, template.render(**context))
        written.append(target)
    return written


def build_context(
    store: ResultStore, out_dir: Path, suite_name: Optional[str] = None, lang: Optional[str] = None
) -> dict[str, Any]:
    """Everything the templates show, computed from the store (words in ``lang``)."""
    definition = store.suite_definition(suite_name)
    definition["lang"] = lang = i18n.check_lang(lang or definition.get("lang") or None)
    runs = store.runs_frame(definition["name"])
    for metric in RESULT_METRICS:
        if metric not in runs.columns:
            runs[metric] = np.nan
    variants_info = {v["name"]: v for v in definition["variants"]}
    baseline = definition.get("baseline", "base")
    changes = {name: describe_changes(v["changes"]) for name, v in variants_info.items()}
    ok = runs[runs["status"] == "ok"]
    dataset = _dataset_info(runs, definition)
    predictions = {key: _pair(store.predictions(key)) for key in ok["key"].unique()}
    predictions = {k: v for k, v in predictions.items() if v is not None}

    summary = analysis.summarize(runs, [m for m in RESULT_METRICS if m in runs.columns])
    means = analysis.summary_wide(summary, "mean")
    stds = analysis.summary_wide(summary, "std")
    pareto = _pareto(summary)
    comparisons = _comparisons(runs, definition, predictions)
    claims = _claims(runs, comparisons, definition)
    sentences = (
        analysis.conclusion_sentences(
            comparisons, changes={n: f"{n} ({c})" for n, c in changes.items()}, lang=lang
        )
        if comparisons is not None and len(comparisons)
        else []
    )

    results = []
    for name in _order(runs, definition):
        mean = means.loc[name] if name in means.index else pd.Series(dtype=float)
        std = stds.loc[name] if name in stds.index else pd.Series(dtype=float)
        statuses = runs[runs["variant"] == name]["status"].value_counts().to_dict()
        notes = ", ".join(f"{n} {i18n.t(s, lang)}" for s, n in statuses.items() if s != "ok")
        results.append(
            {
                "variant": name,
                "changes": changes.get(name, "—"),
                "n": int(statuses.get("ok", 0)),
                "accuracy": _num(mean.get("accuracy")),
                "accuracy_std": _num(std.get("accuracy")),
                "top5": _num(mean.get("top5_accuracy")),
                "top5_std": _num(std.get("top5_accuracy")),
                "loss": _num(mean.get("loss")),
                "flops": _num(mean.get("flops")),
                "macs": _num(mean.get("macs")),
                "params": _num(mean.get("params")),
                "train_seconds": _num(mean.get("train_seconds")),
                "images_per_second": _num(mean.get("images_per_second")),
                "latency_ms": _num(mean.get("latency_ms")),
                "pareto": name in pareto,
                "notes": notes,
            }
        )

    conclusions = _conclusion_rows(comparisons, changes)
    for row in conclusions:
        row["verdict_detail"] = i18n.verdict_detail(row["verdict_detail"], lang)
    per_class, confusion = _per_class(runs, predictions, dataset, baseline, lang)
    history = store.history_frame(ok["key"].unique())
    history = history.merge(
        runs[["key", "variant", "seed"]].drop_duplicates("key").rename(columns={"key": "run_key"}),
        on="run_key",
    ) if len(history) else history
    figures = _figures(runs, history, out_dir, baseline, confusion, per_class, lang)

    return {
        "suite": {
            "name": definition["name"],
            "title": definition.get("title") or definition["name"],
            "description": definition.get("description", ""),
            "source": definition.get("source", ""),
            "profile": definition.get("profile"),
            "baseline": baseline,
            "alpha": definition.get("alpha", 0.05),
            "min_effect": definition.get("min_effect", 0.0),
        },
        "lang": lang,
        "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "bench_version": bench.__version__,
        "convention": i18n.t(CONVENTION, lang),
        "environment": _environment(ok if len(ok) else runs, lang),
        "dataset": dataset,
        "training": _training(definition),
        "counts": _counts(runs),
        "results": results,
        "results_md": _results_markdown(results, lang),
        "conclusions": conclusions,
        "conclusions_md": _conclusions_markdown(conclusions, lang),
        "sentences": sentences,
        "claims": claims,
        "claims_md": _claims_markdown(claims, lang),
        "figures": figures,
        "variants": [
            {
                "name": v["name"],
                "changes": changes.get(v["name"], "—"),
                "description": v.get("description", ""),
                "config_yaml": yaml.safe_dump(v["config"], sort_keys=False, allow_unicode=True),
            }
            for v in definition["variants"]
        ],
        "failures": _failures(runs),
        "per_class": per_class_table(per_class),
        "per_class_changes": _per_class_changes(runs, predictions, dataset, definition, changes),
    }


# -- pieces -------------------------------------------------------------------------------
def _num(value: Any) -> Optional[float]:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _order(runs: pd.DataFrame, definition: dict[str, Any]) -> list[str]:
    return [v["name"] for v in definition["variants"] if v["name"] in set(runs["variant"])]


def _pair(arrays: dict[str, np.ndarray]) -> Optional[tuple[np.ndarray, np.ndarray]]:
    if "y_true" in arrays and "y_pred" in arrays:
        return arrays["y_true"].astype(np.int64), arrays["y_pred"].astype(np.int64)
    return None


def _pareto(summary: pd.DataFrame) -> set[str]:
    wide = analysis.summary_wide(summary, "mean")
    if wide.empty or wide["flops"].isna().all() or wide["accuracy"].isna().all():
        return set()
    return set(analysis.pareto_front(wide.dropna(subset=["flops", "accuracy"]), x="flops", y="accuracy"))


def _comparisons(
    runs: pd.DataFrame, definition: dict[str, Any], predictions: dict, metric: str = "accuracy"
) -> Optional[pd.DataFrame]:
    baseline = definition.get("baseline", "base")
    if baseline not in set(runs["variant"]) or runs["variant"].nunique() < 2 or metric not in runs:
        return None
    return analysis.compare_to_baseline(
        runs,
        baseline,
        metric,
        alpha=definition.get("alpha", 0.05),
        min_effect=definition.get("min_effect", 0.0) if metric == "accuracy" else 0.0,
        predictions=predictions if metric == "accuracy" else None,
    )


def _claims(
    runs: pd.DataFrame, comparisons: Optional[pd.DataFrame], definition: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each claim checked against the comparisons of its own metric."""
    claims = [
        {"variant": v["name"], **v["claim"]} for v in definition["variants"] if v.get("claim")
    ]
    if not claims or comparisons is None:
        return []
    frames = [comparisons]
    for metric in {c["metric"] for c in claims} - {"accuracy"}:
        other = _comparisons(runs, definition, {}, metric)
        if other is not None:
            frames.append(other)
    lang = definition.get("lang", "en")
    table = analysis.check_claims(pd.concat(frames), claims, lang=lang)
    return _claim_rows(table, lang)


def _claim_rows(table: pd.DataFrame, lang: str = "en") -> list[dict[str, Any]]:
    rows = []
    for row in table.to_dict("records"):
        rows.append(
            {
                "variant": row["variant"],
                "claim": i18n.t(
                    "{metric} {direction}", lang,
                    metric=i18n.t(row["metric"], lang), direction=i18n.t(row["direction"], lang),
                ),
                "note": row.get("note") or "",
                "measured": _delta_text(
                    row["metric"], row.get("delta"), row.get("ci_low"), row.get("ci_high"), lang
                ),
                "verdict": row["result"],
                "reason": row.get("reason", ""),
            }
        )
    return rows


def _delta_text(metric: str, delta: Any, low: Any, high: Any, lang: str = "en") -> str:
    if _num(delta) is None:
        return "—"
    if analysis.is_fraction_metric(metric):
        scale, unit = 100.0, i18n.t(" pp", lang)
    else:
        scale, unit = 1.0, ""
    text = f"{delta * scale:+.2f}{unit}"
    if _num(low) is not None and _num(high) is not None:
        text += i18n.t(" (95% CI {low} … {high})", lang, low=f"{low * scale:+.2f}", high=f"{high * scale:+.2f}")
    return text


def _conclusion_rows(comparisons: Optional[pd.DataFrame], changes: dict[str, str]) -> list[dict[str, Any]]:
    if comparisons is None:
        return []
    rows = []
    for row in comparisons.to_dict("records"):
        rows.append(
            {
                "variant": row["variant"],
                "changes": changes.get(row["variant"], "—"),
                "accuracy": _num(row["mean_variant"]),
                "accuracy_ci": None,
                "n": int(row["n_variant"]),
                "delta": _num(row["delta"]),
                "delta_ci_low": _num(row["ci_low"]),
                "delta_ci_high": _num(row["ci_high"]),
                "p_value": _num(row["p_value"]),
                "p_holm": _num(row["p_holm"]),
                "mcnemar_p": _num(row.get("mcnemar_p")),
                "verdict": row["verdict"],
                "verdict_detail": row["verdict_detail"],
                "seeds_needed": row.get("seeds_needed"),
                "flops_ratio": _num(row.get("flops_ratio")),
                "time_ratio": _num(row.get("train_seconds_ratio")),
                "params_ratio": _num(row.get("params_ratio")),
            }
        )
    rows.sort(key=lambda r: -(r["delta"] if r["delta"] is not None else -math.inf))
    return rows


def _per_class(
    runs: pd.DataFrame, predictions: dict, dataset: dict[str, Any], baseline: str, lang: str = "en"
) -> tuple[Optional[pd.DataFrame], Optional[dict[str, Any]]]:
    """Mean per-class accuracy per variant, and the best variant's confusion matrix."""
    classes = dataset.get("classes")
    names = dataset.get("class_names") or [str(i) for i in range(classes or 0)]
    if not classes or not predictions:
        return None, None
    rows = []
    ok = runs[(runs["status"] == "ok") & runs["key"].isin(predictions)]
    for variant, group in ok.groupby("variant", sort=False):
        per_seed = [analysis.per_class_accuracy(*predictions[k], classes) for k in group["key"]]
        mean = np.nanmean(np.vstack(per_seed), axis=0)
        rows += [{"variant": variant, "class_name": names[i], "accuracy": float(mean[i])} for i in range(classes)]
    frame = pd.DataFrame(rows)
    best = ok.groupby("variant", sort=False)["accuracy"].mean().idxmax() if len(ok) else None
    confusion = None
    if best is not None:
        matrix = sum(analysis.confusion_matrix(*predictions[k], classes) for k in ok[ok["variant"] == best]["key"])
        confusion = {"matrix": matrix, "class_names": names, "variant": best,
                     "title": i18n.t("Confusion matrix of the best variant ({variant}), all seeds", lang, variant=best)}
    return frame, confusion


def _per_class_changes(
    runs: pd.DataFrame,
    predictions: dict,
    dataset: dict[str, Any],
    definition: dict[str, Any],
    changes: dict[str, str],
) -> list[dict[str, Any]]:
    """Per variant, the classes whose accuracy changed significantly from the baseline.

    A mean accuracy can hide a trade (one class up, another down); this lists each
    such class with Welch's test over seeds, Holm-corrected across the classes
    (:func:`bench.analysis.per_class_changes`).  Variants with no changed class are left out.
    """
    classes = dataset.get("classes")
    baseline = definition.get("baseline", "base")
    if not classes or not predictions or baseline not in set(runs["variant"]):
        return []
    names = dataset.get("class_names") or None
    if names is not None and len(names) != classes:
        names = None
    out = []
    for name in _order(runs, definition):
        if name == baseline:
            continue
        table = analysis.per_class_changes(
            runs, predictions, baseline, name, int(classes),
            alpha=definition.get("alpha", 0.05), min_effect=definition.get("min_effect", 0.0),
            class_names=names,
        )  # fmt: skip
        if len(table):
            out.append({
                "variant": name,
                "changes": changes.get(name, "—"),
                "classes": [
                    {"class_name": str(r["class_name"]), "acc_baseline": _num(r["acc_baseline"]),
                     "acc_variant": _num(r["acc_variant"]), "delta": _num(r["delta"]),
                     "ci_low": _num(r["ci_low"]), "ci_high": _num(r["ci_high"]),
                     "p_holm": _num(r["p_holm"]), "direction": r["direction"]}
                    for r in table.to_dict("records")
                ],
            })  # fmt: skip
    return out


def per_class_table(frame: Optional[pd.DataFrame]) -> Optional[dict[str, Any]]:
    """Variants × classes, for a table in the reports."""
    if frame is None or frame.empty:
        return None
    wide = frame.pivot_table(index="variant", columns="class_name", values="accuracy", sort=False)
    return {
        "columns": [str(c) for c in wide.columns],
        "rows": [{"variant": v, "values": [_num(x) for x in wide.loc[v]]} for v in wide.index],
    }


def _figures(runs, history, out_dir, baseline, confusion, per_class, lang="en") -> list[dict[str, Any]]:
    """Draw the figures, or reuse last time's when nothing they show has changed.

    Drawing is most of a report's time; a digest of every input (and of the
    figure code) decides whether the PNGs on disk are still right, so an
    unchanged store re-renders without even importing matplotlib.
    """
    digest = _figures_digest(runs, history, baseline, confusion, per_class, lang)
    index_path = Path(out_dir) / "figures" / "index.json"
    listed = _cached_figures(index_path, digest, Path(out_dir))
    if listed is None:
        from bench import figures

        listed = figures.all_figures(
            runs, history, out_dir, baseline=baseline, confusion=confusion, per_class=per_class, lang=lang
        )
        write_text_atomic(index_path, json.dumps({"digest": digest, "figures": listed}))
    for figure in listed:
        data = (Path(out_dir) / figure["file"]).read_bytes()
        figure["data_uri"] = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return listed


def _figures_digest(runs, history, baseline, confusion, per_class, lang) -> str:
    import hashlib

    digest = hashlib.sha256()
    digest.update((Path(__file__).parent / "figures.py").read_bytes())
    columns = [c for c in runs.columns if c not in ("config", "versions", "hardware", "dataset", "error", "host")]
    digest.update(runs[columns].to_json(orient="split", double_precision=15).encode())
    if history is not None and len(history):
        digest.update(history.to_json(orient="split", double_precision=15).encode())
    if per_class is not None:
        digest.update(per_class.to_json(orient="split", double_precision=15).encode())
    if confusion is not None:
        digest.update(np.ascontiguousarray(confusion["matrix"]).tobytes())
        digest.update(json.dumps([confusion.get("class_names"), confusion.get("title")], default=str).encode())
    digest.update(json.dumps([baseline, lang, bench.__version__]).encode())
    return digest.hexdigest()


def _cached_figures(index_path: Path, digest: str, out_dir: Path) -> Optional[list[dict[str, Any]]]:
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if index.get("digest") != digest:
        return None
    listed = index.get("figures") or []
    if not all((out_dir / f["file"]).is_file() for f in listed):
        return None
    return listed


def _dataset_info(runs: pd.DataFrame, definition: dict[str, Any]) -> dict[str, Any]:
    recorded = [json.loads(d) for d in runs["dataset"].dropna() if d and d != "{}"] if "dataset" in runs else []
    base = next(v for v in definition["variants"] if v["name"] == definition.get("baseline", "base"))
    config = base["config"]["dataset"]
    info = recorded[0] if recorded else {}
    details = ", ".join(
        f"{k}: {v}" for k, v in config.items() if v not in (None, "") and k != "name"
    )
    return {
        "name": info.get("name", config["name"]),
        "input_shape": "×".join(str(x) for x in info.get("input_shape", [])) or "—",
        "classes": info.get("classes"),
        "class_names": info.get("class_names", []),
        "train": info.get("train"),
        "validation": info.get("validation"),
        "test": info.get("test"),
        "details": details,
    }


def _training(definition: dict[str, Any]) -> dict[str, Any]:
    base = next(v for v in definition["variants"] if v["name"] == definition.get("baseline", "base"))
    train = base["config"]["train"]
    return {k: train.get(k) for k in ("epochs", "batch_size", "optimizer", "learning_rate", "seeds")}


def _environment(runs: pd.DataFrame, lang: str = "en") -> dict[str, Any]:
    if runs.empty or runs["host"].dropna().empty:
        return {"host": "—", "hardware": "—", "versions": {}}
    row = runs.dropna(subset=["host"]).iloc[-1]
    hardware = json.loads(row["hardware"] or "{}")
    gpus = hardware.get("gpus") or []
    text = i18n.t("{cpu}, {cores} cores", lang, cpu=hardware.get("cpu", "?"), cores=hardware.get("cores", "?"))
    text += i18n.t(", GPUs: {gpus}", lang, gpus=", ".join(gpus)) if gpus else i18n.t(", no GPU", lang)
    return {"host": row["host"], "hardware": text, "versions": json.loads(row["versions"] or "{}")}


def _counts(runs: pd.DataFrame) -> dict[str, int]:
    counts = runs["status"].value_counts().to_dict()
    return {
        "planned": int(len(runs)),
        **{s: int(counts.get(s, 0)) for s in ("ok", "failed", "diverged", "budget", "missing")},
    }


def _failures(runs: pd.DataFrame) -> list[dict[str, Any]]:
    bad = runs[runs["status"].isin(["failed", "diverged", "budget"])]
    return [
        {
            "variant": r["variant"],
            "seed": int(r["seed"]),
            "status": r["status"],
            "error": "\n".join((r["error"] or "").strip().splitlines()[-6:]),
        }
        for r in bad.to_dict("records")
    ]


# -- Markdown tables (tabulate) ------------------------------------------------------------------
def _results_markdown(results: list[dict[str, Any]], lang: str = "en") -> str:
    from bench.formatting import fmt_count, fmt_flops, fmt_num, fmt_pct, fmt_seconds, md_cell

    header = [i18n.t(h, lang) for h in (
        "variant", "changes", "seeds", "accuracy", "top-5", "FLOPs", "params", "train time", "images/s", "latency"
    )]
    rows = [
        [
            md_cell(r["variant"]) + (" ★" if r["pareto"] else ""),
            md_cell(r["changes"]),
            r["n"],
            _pct_pm(r["accuracy"], r["accuracy_std"]),
            fmt_pct(r["top5"]),
            fmt_flops(r["flops"]),
            fmt_count(r["params"]),
            i18n.localize_units(fmt_seconds(r["train_seconds"]), lang),
            fmt_num(r["images_per_second"]),
            i18n.t("{x} ms", lang, x=fmt_num(r["latency_ms"])) if r["latency_ms"] is not None else "—",
        ]
        for r in results
    ]
    return tabulate(rows, header, tablefmt="github", disable_numparse=True)


def _pct_pm(mean: Optional[float], std: Optional[float]) -> str:
    from bench.formatting import fmt_pct

    if mean is None:
        return "—"
    return f"{fmt_pct(mean, 2)} ± {std * 100:.2f}" if std is not None else fmt_pct(mean, 2)


def _conclusions_markdown(rows: list[dict[str, Any]], lang: str = "en") -> str:
    if not rows:
        return ""
    from bench.formatting import fmt_p, fmt_pct, fmt_pp, fmt_ratio, md_cell

    header = [i18n.t(h, lang) for h in (
        "variant", "what changed", "accuracy", "Δ vs baseline (95% CI)", "p (Holm)", "verdict", "×FLOPs", "×time", "×params"
    )]
    table = [
        [
            md_cell(r["variant"]),
            md_cell(r["changes"]),
            fmt_pct(r["accuracy"], 2),
            i18n.localize_units(
                f"{fmt_pp(r['delta'], 2)} ({fmt_pp(r['delta_ci_low'], 2)} … {fmt_pp(r['delta_ci_high'], 2)})", lang
            )
            if r["delta"] is not None else "—",
            fmt_p(r["p_holm"]),
            md_cell(r["verdict_detail"] or i18n.t(r["verdict"], lang)),
            fmt_ratio(r["flops_ratio"]),
            fmt_ratio(r["time_ratio"]),
            fmt_ratio(r["params_ratio"]),
        ]
        for r in rows
    ]
    return tabulate(table, header, tablefmt="github", disable_numparse=True)


def _claims_markdown(rows: list[dict[str, Any]], lang: str = "en") -> str:
    if not rows:
        return ""
    from bench.formatting import md_cell

    header = [i18n.t(h, lang) for h in ("variant", "claim", "note", "measured", "verdict")]
    table = [
        [md_cell(r[k]) for k in ("variant", "claim", "note", "measured")] + [md_cell(i18n.t(r["verdict"], lang))]
        for r in rows
    ]
    return tabulate(table, header, tablefmt="github", disable_numparse=True)
