"""``bench diff``: two variants of one store, or one suite measured twice.

Two questions, one result type (:class:`DiffResult`) and one set of renderers
(terminal table, Markdown, HTML, JSON), so every output says the same thing:

* **variants** (``bench diff STORE A B``): what B changed relative to A — the
  config diff, every metric's Δ with its 95 % CI, p-value and verdict, McNemar's
  test on same-seed test predictions, and the classes whose accuracy changed.
  Each metric is its own test (:func:`bench.analysis.compare`, Welch over seeds)
  and p-values are *not* corrected across metrics: the metrics are a handful of
  dependent views of one pair of models (accuracy and loss move together; FLOPs
  and parameters are deterministic), and a correction would make accuracy's
  p-value depend on how many cost columns happen to be shown.  Per-class changes
  are Holm-corrected across classes (:func:`bench.analysis.per_class_changes`).
* **stores** (``bench diff OLD NEW``): the same suite measured twice (another
  commit, machine or library version), like asv's ``compare``: per variant the Δ
  of accuracy, training time and throughput, with one Holm family per metric
  across the variants (:func:`bench.analysis.compare_measurements`), because a
  regression gate scans every variant at once.

Verdicts come from :mod:`bench.analysis` only; this module gathers and
presents.  It never imports TensorFlow, so it answers in about a second.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd
from tabulate import tabulate

import bench
from bench import analysis
from bench.errors import BenchError
from bench.formatting import (
    fmt_count,
    fmt_flops,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_pp,
    fmt_ratio,
    fmt_seconds,
    md_cell,
)
from bench.store import ResultStore
from bench.configdiff import config_diff

#: Metrics ``bench diff STORE A B`` compares by default (those the runs have).
VARIANT_METRICS = (
    "accuracy", "top5_accuracy", "coarse_accuracy", "loss", "flops", "params",
    "train_seconds", "images_per_second", "latency_ms",
)  # fmt: skip
#: Metrics ``bench diff OLD NEW`` compares by default.
STORE_METRICS = ("accuracy", "train_seconds", "images_per_second")
#: Metrics whose 'worse' verdict ``--fail-on-regression`` counts by default.
DEFAULT_GATE = ("accuracy",)
FORMATS = ("table", "md", "html", "json")
#: Config keys that say how often or how long to run, not what a run is
#: (as in RunConfig.key_material).
_BOOKKEEPING = ("seeds", "seed_offset", "max_minutes")

VARIANTS_NOTE = (
    "Each metric is tested on its own (Welch's t over seeds, α = {alpha}); p-values are not "
    "corrected across metrics. McNemar's test pools same-seed test predictions and is a "
    "supplement: it never changes a verdict. Per-class changes are Holm-corrected across classes. "
    "This pair is tested alone; the suite's report Holm-corrects across all its variants, so it "
    "can call the same difference not significant."
)
STORES_NOTE = (
    "Per metric, new against old by Welch's t over seeds; p-values Holm-corrected across the "
    "{n} variant(s), significance at α = {alpha}. Ratios are new ÷ old."
)


@dataclass
class Side:
    """One side of a diff: a variant of a store, or a whole store."""

    label: str
    store: str
    suite: str
    environment: dict[str, Any] = field(default_factory=dict)


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
    per_class: Optional[list[dict[str, Any]]] = None
    num_classes: Optional[int] = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gate_metrics: tuple[str, ...] = DEFAULT_GATE

    def regressions(self, metrics: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
        """Rows whose verdict is 'worse' on a gated metric (B worse than A, new than old)."""
        gate = set(metrics if metrics is not None else self.gate_metrics)
        return [r for r in self.rows if r["verdict"] == analysis.WORSE and r["metric"] in gate]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: NaN becomes None, numpy scalars become Python numbers."""
        data = asdict(self)
        data["gate_metrics"] = list(self.gate_metrics)
        data["regressions"] = [
            {"variant": r["variant"], "metric": r["metric"]} for r in self.regressions()
        ]
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
    gate_metrics: Sequence[str] = DEFAULT_GATE,
) -> DiffResult:
    """Variant ``b`` against variant ``a`` of one store (Δ = b − a)."""
    if a == b:
        raise BenchError(f"diff: both variants are {a!r}; name two different variants")
    with ResultStore(store_path, create=False) as store:
        definition = store.suite_definition(suite_name)
        runs = store.runs_frame(definition["name"])
        _check_asked([runs], metrics, str(store_path))
        runs = _with_metrics(runs, metrics or VARIANT_METRICS)
        info = {v["name"]: v for v in definition["variants"]}
        for name in (a, b):
            if name not in info:
                raise BenchError(
                    f"{store_path}: suite {definition['name']!r} has no variant {name!r}; "
                    f"it has: {', '.join(info)}"
                )
        ok = runs[(runs["status"] == "ok") & runs["variant"].isin([a, b])]
        predictions = _predictions(store, ok["key"].unique())
        dataset = _dataset_record(ok)
    alpha = float(definition.get("alpha", 0.05))
    min_effect = float(definition.get("min_effect", 0.0))
    pair = runs[runs["variant"].isin([a, b])]
    chosen = _chosen_metrics(pair, metrics, VARIANT_METRICS)
    rows = []
    for metric in chosen:
        rec = analysis.compare(
            a, b, metric, runs=pair, alpha=alpha,
            min_effect=min_effect if metric == "accuracy" else 0.0,
            predictions=predictions if metric == "accuracy" else None,
        )  # fmt: skip
        rows.append(_row(rec))
    warnings = []
    changes = config_diff(info[a]["config"], info[b]["config"])
    if not changes:
        warnings.append(
            f"{a!r} and {b!r} have the same configuration: they share their runs, so every Δ is 0"
        )
    mcnemar = None
    accuracy = next((r for r in rows if r["metric"] == "accuracy"), None)
    if accuracy is not None and accuracy["mcnemar_seeds"]:
        mcnemar = {
            "a_right_b_wrong": int(accuracy["mcnemar_b"]),
            "a_wrong_b_right": int(accuracy["mcnemar_c"]),
            "seeds": int(accuracy["mcnemar_seeds"]),
            "p_value": accuracy["mcnemar_p"],
        }
    per_class, num_classes = _per_class(
        runs, predictions, dataset, a, b, alpha=alpha, min_effect=min_effect
    )
    return DiffResult(
        kind="variants",
        suite=definition["name"],
        title=definition.get("title") or definition["name"],
        a=Side(a, str(store_path), definition["name"]),
        b=Side(b, str(store_path), definition["name"]),
        alpha=alpha,
        min_effect=min_effect,
        rows=rows,
        config_changes=[{"path": p, "a": x, "b": y} for p, x, y in changes],
        mcnemar=mcnemar,
        per_class=per_class,
        num_classes=num_classes,
        warnings=warnings,
        notes=[VARIANTS_NOTE.format(alpha=fmt_num(alpha))],
        gate_metrics=tuple(gate_metrics),
    )


def diff_stores(
    old_path: str | Path,
    new_path: str | Path,
    *,
    suite_name: Optional[str] = None,
    metrics: Optional[Sequence[str]] = None,
    gate_metrics: Sequence[str] = DEFAULT_GATE,
) -> DiffResult:
    """The same suite measured twice: every variant of ``new_path`` against ``old_path``."""
    sides = []
    for path in (old_path, new_path):
        with ResultStore(path, create=False) as store:
            definition = store.suite_definition(suite_name)
            runs = store.runs_frame(definition["name"])
            ok = runs[runs["status"] == "ok"]
            identity = {
                v: _test_set_identity(store, g) for v, g in ok.groupby("variant", sort=False)
            }
        sides.append((definition, runs, identity))
    (def_old, runs_old, id_old), (def_new, runs_new, id_new) = sides
    _check_asked([runs_old, runs_new], metrics, f"{old_path} or {new_path}")
    runs_old = _with_metrics(runs_old, metrics or STORE_METRICS)
    runs_new = _with_metrics(runs_new, metrics or STORE_METRICS)
    warnings: list[str] = []
    if def_old["name"] != def_new["name"]:
        warnings.append(
            f"the stores hold different suites ({def_old['name']!r} and {def_new['name']!r}); "
            "variants are matched by name"
        )
    old_info = {v["name"]: v for v in def_old["variants"]}
    new_info = {v["name"]: v for v in def_new["variants"]}
    common = [n for n in new_info if n in old_info]
    only_old = [n for n in old_info if n not in new_info]
    only_new = [n for n in new_info if n not in old_info]
    if only_old or only_new:
        parts = [f"only in old: {', '.join(only_old)}"] if only_old else []
        parts += [f"only in new: {', '.join(only_new)}"] if only_new else []
        warnings.append("not compared — " + "; ".join(parts))
    if not common:
        raise BenchError(f"{old_path} and {new_path} have no variant in common; nothing to compare")
    config_changes = []
    for name in common:
        changes = config_diff(
            _what_runs(old_info[name]["config"]), _what_runs(new_info[name]["config"])
        )
        config_changes += [{"variant": name, "path": p, "a": x, "b": y} for p, x, y in changes]
        if changes:
            shown = "; ".join(
                f"{p}: {_value_text(x)} → {_value_text(y)}" for p, x, y in changes[:3]
            )
            more = f" (and {len(changes) - 3} more)" if len(changes) > 3 else ""
            warnings.append(
                f"variant {name!r} was configured differently in the two stores ({shown}{more}); "
                "its Δ mixes that change with the one under test"
            )
    differ = [v for v in common if id_old.get(v) and id_new.get(v) and id_old[v] != id_new[v]]
    if differ:
        warnings.append(
            f"the test sets differ between the stores (variant(s) {', '.join(differ)}): "
            "accuracy Δ there compares different examples"
        )
    alpha = float(def_new.get("alpha", 0.05))
    min_effect = float(def_new.get("min_effect", 0.0))
    both = pd.concat([runs_old, runs_new], ignore_index=True)
    rows = []
    for metric in _chosen_metrics(both, metrics, STORE_METRICS):
        table = analysis.compare_measurements(
            runs_old, runs_new, metric, variants=[v for v in common if v in set(runs_old["variant"])
                                                  and v in set(runs_new["variant"])],
            alpha=alpha, min_effect=min_effect if metric == "accuracy" else 0.0,
        )  # fmt: skip
        rows += [_row(rec) for rec in table.to_dict("records")]
    order = {v: i for i, v in enumerate(common)}
    rows.sort(key=lambda r: order[r["variant"]])  # stable: a variant's metrics stay together
    env_old, env_new = _environment(runs_old), _environment(runs_new)
    notes = [STORES_NOTE.format(n=len(common), alpha=fmt_num(alpha))]
    moved = _environment_changes(env_old, env_new)
    if moved:
        notes.insert(0, "Between the two measurements: " + "; ".join(moved) + ".")
    return DiffResult(
        kind="stores",
        suite=def_new["name"],
        title=def_new.get("title") or def_new["name"],
        a=Side("old", str(old_path), def_old["name"], env_old),
        b=Side("new", str(new_path), def_new["name"], env_new),
        alpha=alpha,
        min_effect=min_effect,
        rows=rows,
        config_changes=config_changes,
        warnings=warnings,
        notes=notes,
        gate_metrics=tuple(gate_metrics),
    )


def _with_metrics(runs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Make every asked-for metric a column (NaN where never recorded), so tests can run."""
    for metric in metrics:
        if metric not in runs.columns:
            runs[metric] = np.nan
    return runs


def _chosen_metrics(
    runs: pd.DataFrame, asked: Optional[Sequence[str]], default: Sequence[str]
) -> list[str]:
    """The asked-for metrics (each must exist), or the defaults that hold any value."""
    if asked:
        return list(dict.fromkeys(asked))
    return [m for m in default if m in runs.columns and runs[m].notna().any()]


_RUN_COLUMNS = frozenset(
    ("suite", "variant", "seed", "key", "status", "error", "started_at", "finished_at",
     "host", "config", "versions", "hardware", "dataset")
)  # fmt: skip


def _check_asked(
    frames: Sequence[pd.DataFrame], asked: Optional[Sequence[str]], where: str
) -> None:
    """Refuse a ``--metric`` no run recorded, naming the metrics there are."""
    recorded = {c for frame in frames for c in frame.columns if c not in _RUN_COLUMNS}
    unknown = [m for m in asked or () if m not in recorded]
    if unknown:
        raise BenchError(
            f"--metric: no run in {where} recorded {', '.join(map(repr, unknown))}; "
            f"recorded: {', '.join(sorted(recorded)) or 'nothing'}"
        )


def _row(rec: dict[str, Any]) -> dict[str, Any]:
    """A comparison record with the diff's neutral names (a = reference, b = compared)."""
    fraction = analysis.is_fraction_metric(rec["metric"], rec["mean_baseline"], rec["mean_variant"])
    mean_a, mean_b = rec["mean_baseline"], rec["mean_variant"]
    ratio = (
        mean_b / mean_a
        if not fraction and np.isfinite(mean_a) and np.isfinite(mean_b) and mean_a != 0
        else math.nan
    )
    seeds = rec.get("seeds_needed")
    return {
        "variant": rec["variant"],
        "metric": rec["metric"],
        "fraction": bool(fraction),
        "higher_is_better": bool(rec["higher_is_better"]),
        "n_a": int(rec["n_baseline"]),
        "n_b": int(rec["n_variant"]),
        "mean_a": mean_a,
        "mean_b": mean_b,
        "std_a": rec["std_baseline"],
        "std_b": rec["std_variant"],
        "delta": rec["delta"],
        "ci_low": rec["ci_low"],
        "ci_high": rec["ci_high"],
        "ci_level": rec["ci_level"],
        "ratio": ratio,
        "t_stat": rec["t_stat"],
        "df": rec["df"],
        "p_value": rec["p_value"],
        "p_holm": rec["p_holm"],
        "verdict": rec["verdict"],
        "verdict_detail": rec["verdict_detail"],
        "seeds_needed": None if seeds is None or seeds != seeds else int(seeds),  # NaN != NaN
        "mcnemar_b": rec.get("mcnemar_b", 0),
        "mcnemar_c": rec.get("mcnemar_c", 0),
        "mcnemar_seeds": int(np.nan_to_num(rec.get("mcnemar_seeds", 0))),
        "mcnemar_p": rec.get("mcnemar_p", math.nan),
    }


def _predictions(
    store: ResultStore, keys: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for key in keys:
        arrays = store.predictions(key)
        if "y_true" in arrays and "y_pred" in arrays:
            out[key] = (arrays["y_true"].astype(np.int64), arrays["y_pred"].astype(np.int64))
    return out


def _dataset_record(ok: pd.DataFrame) -> dict[str, Any]:
    for text in ok.get("dataset", pd.Series(dtype=object)).dropna():
        record = json.loads(text) if text else {}
        if record:
            return record
    return {}


def _per_class(
    runs: pd.DataFrame,
    predictions: dict[str, Any],
    dataset: dict[str, Any],
    a: str,
    b: str,
    *,
    alpha: float,
    min_effect: float,
) -> tuple[Optional[list[dict[str, Any]]], Optional[int]]:
    """Classes whose accuracy changed significantly from a to b (None: no predictions)."""
    if not predictions:
        return None, None
    classes = dataset.get("classes")
    if not classes:
        classes = 1 + max(int(max(y.max(), p.max())) for y, p in predictions.values())
    names = dataset.get("class_names") or None
    if names is not None and len(names) != classes:
        names = None
    table = analysis.per_class_changes(
        runs, predictions, a, b, int(classes), alpha=alpha, min_effect=min_effect, class_names=names
    )
    return _jsonable(table.to_dict("records")), int(classes)


def _what_runs(config: dict[str, Any]) -> dict[str, Any]:
    """A stored config without how many seeds or how long: what one run trains."""
    config = json.loads(json.dumps(config))
    for key in _BOOKKEEPING:
        config.get("train", {}).pop(key, None)
    return config


def _test_set_identity(store: ResultStore, ok: pd.DataFrame) -> Optional[str]:
    """The test set a variant was scored on: its fingerprint, else a hash of its labels."""
    for text in ok["dataset"].dropna():
        record = json.loads(text) if text else {}
        if record.get("fingerprint"):
            return str(record["fingerprint"])
    for key in ok["key"]:
        arrays = store.predictions(key)
        if "y_true" in arrays:
            labels = np.ascontiguousarray(arrays["y_true"], dtype="<i8").tobytes()
            return "labels:" + hashlib.sha256(labels).hexdigest()
    return None


def _environment(runs: pd.DataFrame) -> dict[str, Any]:
    ok = runs[(runs["status"] == "ok") & runs["host"].notna()] if "host" in runs else runs.iloc[:0]
    if ok.empty:
        return {}
    row = ok.iloc[-1]
    hardware = json.loads(row["hardware"] or "{}")
    return {
        "host": row["host"],
        "cpu": hardware.get("cpu"),
        "gpus": hardware.get("gpus") or [],
        "versions": json.loads(row["versions"] or "{}"),
    }


def _environment_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What moved between the measurements: host, CPU, GPUs, library versions."""
    if not old or not new:
        return []
    moved = [
        f"{what} {_value_text(old.get(what))} → {_value_text(new.get(what))}"
        for what in ("host", "cpu", "gpus")
        if old.get(what) != new.get(what)
    ]
    versions_old, versions_new = old.get("versions", {}), new.get("versions", {})
    for name in dict.fromkeys([*versions_old, *versions_new]):
        if versions_old.get(name) != versions_new.get(name):
            before, after = versions_old.get(name, "—"), versions_new.get(name, "—")
            moved.append(f"{name} {before} → {after}")
    return moved


def _jsonable(value: Any) -> Any:
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
_LABELS = analysis.PHRASES["en"]["metric_labels"]


def metric_label(metric: str) -> str:
    return _LABELS.get(metric, metric.replace("_", " "))


def _value_text(value: Any) -> str:
    """A config value for a one-line diff: strings bare, everything else as JSON, ≤ 60 chars."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _fmt_value(metric: str, value: Any, fraction: bool) -> str:
    if fraction:
        return fmt_pct(value, 2)
    if metric in ("flops", "macs", "train_flops"):
        return fmt_flops(value)
    if metric in ("params", "trainable_params"):
        return fmt_count(value)
    if metric == "train_seconds":
        return fmt_seconds(value)
    if metric == "latency_ms" and value is not None and np.isfinite(value):
        return f"{fmt_num(value)} ms"
    return fmt_num(value)


def _fmt_signed(metric: str, value: Any, fraction: bool) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if fraction:
        return fmt_pp(value, 2)
    if value == 0:
        return "±0"
    return ("+" if value > 0 else "−") + _fmt_value(metric, abs(value), fraction)


def _fmt_delta_ci(row: dict[str, Any]) -> str:
    delta = _fmt_signed(row["metric"], row["delta"], row["fraction"])
    low, high = row["ci_low"], row["ci_high"]
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)) or low == high:
        return delta  # no interval, or an exact difference (FLOPs, parameters)
    return (
        f"{delta} ({_fmt_signed(row['metric'], low, row['fraction'])} … "
        f"{_fmt_signed(row['metric'], high, row['fraction'])})"
    )


def display_rows(result: DiffResult) -> list[dict[str, str]]:
    """The comparison rows as text cells (shared by the table, Markdown and HTML)."""
    out = []
    for r in result.rows:
        fraction = r["fraction"]
        out.append(
            {
                "variant": str(r["variant"]),
                "metric": metric_label(r["metric"]),
                "a": _fmt_value(r["metric"], r["mean_a"], fraction),
                "b": _fmt_value(r["metric"], r["mean_b"], fraction),
                "seeds": f"{r['n_a']} / {r['n_b']}",
                "delta": _fmt_delta_ci(r),
                "ratio": fmt_ratio(r["ratio"]),
                "p": fmt_p(r["p_value"]),
                "p_holm": fmt_p(r["p_holm"]),
                "verdict": r["verdict"],
                "regression": "yes" if r in result.regressions() else "",
            }
        )
    return out


def _columns(result: DiffResult) -> list[tuple[str, str]]:
    """(key, header) of the comparison table for this kind of diff."""
    ci = "Δ (95% CI)"
    if result.kind == "variants":
        return [
            ("metric", "metric"), ("a", result.a.label), ("b", result.b.label),
            ("seeds", "seeds"), ("delta", ci), ("p", "p"), ("verdict", "verdict"),
        ]  # fmt: skip
    return [
        ("variant", "variant"), ("metric", "metric"), ("a", "old"), ("b", "new"),
        ("seeds", "seeds"), ("delta", ci), ("ratio", "new/old"), ("p_holm", "p (Holm)"),
        ("verdict", "verdict"),
    ]  # fmt: skip


def _heading(result: DiffResult) -> str:
    if result.kind == "variants":
        return f"{result.title}: {result.b.label} against {result.a.label}"
    return f"{result.title}: new against old"


def _sources(result: DiffResult) -> list[str]:
    if result.kind == "variants":
        return [f"suite {result.suite}, store {result.a.store}"]
    return [
        f"old: {result.a.store} (suite {result.a.suite})",
        f"new: {result.b.store} (suite {result.b.suite})",
    ]


def _config_lines(result: DiffResult) -> list[str]:
    if result.kind == "variants":
        return [
            f"{c['path']}: {_value_text(c['a'])} → {_value_text(c['b'])}"
            for c in result.config_changes
        ]
    return [
        f"{c['variant']}: {c['path']}: {_value_text(c['a'])} → {_value_text(c['b'])}"
        for c in result.config_changes
    ]


def _mcnemar_text(result: DiffResult) -> Optional[str]:
    if result.kind != "variants":
        return None
    m = result.mcnemar
    if m is None:
        return "McNemar: no same-seed pairs of test predictions, so no paired test."
    return (
        f"McNemar on {m['seeds']} same-seed pair(s) of test predictions: "
        f"{m['a_right_b_wrong']} examples right in {result.a.label} only, "
        f"{m['a_wrong_b_right']} right in {result.b.label} only, exact {_p_phrase(m['p_value'])}."
    )


def _p_phrase(p: Any) -> str:
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def _per_class_rows(result: DiffResult) -> list[dict[str, str]]:
    return [
        {
            "class": str(c["class_name"]),
            "a": fmt_pct(c["acc_baseline"], 1),
            "b": fmt_pct(c["acc_variant"], 1),
            "delta": (
                f"{fmt_pp(c['delta'], 1)} "
                f"({fmt_pp(c['ci_low'], 1)} … {fmt_pp(c['ci_high'], 1)})"
            ),
            "p_holm": fmt_p(c["p_holm"]),
        }
        for c in result.per_class or []
    ]


def _per_class_text(result: DiffResult) -> Optional[str]:
    if result.kind != "variants":
        return None
    n = result.num_classes
    if result.per_class is None:
        return "Per-class changes: the runs saved no test predictions."
    if not result.per_class:
        return f"No class's accuracy changed significantly (Holm across {n} classes)."
    return f"Classes whose accuracy changed significantly (Holm across {n} classes):"


def _summary_line(result: DiffResult) -> str:
    counts: dict[str, int] = {}
    for r in result.rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    parts = [f"{counts[v]} {v}" for v in analysis.VERDICTS if counts.get(v)]
    regressions = result.regressions()
    gate = ", ".join(result.gate_metrics)
    several = len(result.gate_metrics) > 1
    tail = (
        f"; regressions in {gate}: "
        + ", ".join(
            str(r["variant"]) + (f" ({metric_label(r['metric'])})" if several else "")
            for r in regressions
        )
        if regressions
        else f"; no regression in {gate}"
    )
    return "Verdicts: " + ", ".join(parts) + tail + "."


def render_table(result: DiffResult) -> str:
    """Plain text for a terminal."""
    cols = _columns(result)
    rows = display_rows(result)
    lines = [_heading(result), *_sources(result), ""]
    lines += [f"warning: {w}" for w in result.warnings]
    if result.warnings:
        lines.append("")
    if result.kind == "variants" or result.config_changes:
        lines.append("Configuration changes:" + ("" if result.config_changes else " none"))
        lines += [f"  {text}" for text in _config_lines(result)]
        lines.append("")
    lines.append(tabulate([[r[k] for k, _ in cols] for r in rows], [h for _, h in cols],
                          tablefmt="simple", disable_numparse=True))
    lines += ["", _summary_line(result)]
    for text in (_mcnemar_text(result), _per_class_text(result)):
        if text:
            lines.append(text)
    pcs = _per_class_rows(result)
    if pcs:
        lines.append(tabulate(
            [[p["class"], p["a"], p["b"], p["delta"], p["p_holm"]] for p in pcs],
            ["class", result.a.label, result.b.label, "Δ (95% CI)", "p (Holm)"],
            tablefmt="simple", disable_numparse=True,
        ))  # fmt: skip
    lines += ["", *result.notes]
    return "\n".join(lines) + "\n"


def render_markdown(result: DiffResult) -> str:
    """A Markdown document (GitHub tables; user text escaped for table cells)."""
    cols = _columns(result)
    rows = display_rows(result)
    out = [f"# {_heading(result)}", ""]
    out += [f"- {md_cell(s)}" for s in _sources(result)]
    out.append("")
    for w in result.warnings:
        out.append(f"> **Warning:** {md_cell(w)}")
    if result.warnings:
        out.append("")
    if result.kind == "variants" or result.config_changes:
        out += ["## Configuration changes", ""]
        out += [f"- `{t}`" for t in _config_lines(result)] or ["None."]
        out.append("")
    out += ["## Comparison", ""]
    out.append(tabulate([[md_cell(r[k]) for k, _ in cols] for r in rows],
                        [md_cell(h) for _, h in cols], tablefmt="github", disable_numparse=True))
    out += ["", _summary_line(result), ""]
    if result.kind == "variants":
        out += ["## Paired test and classes", "", _mcnemar_text(result) or "", ""]
        out += [_per_class_text(result) or "", ""]
        pcs = _per_class_rows(result)
        if pcs:
            out.append(tabulate(
                [[md_cell(p[k]) for k in ("class", "a", "b", "delta", "p_holm")] for p in pcs],
                ["class", md_cell(result.a.label), md_cell(result.b.label), "Δ (95% CI)",
                 "p (Holm)"],
                tablefmt="github", disable_numparse=True,
            ))  # fmt: skip
            out.append("")
    out += [*[f"*{n}*" for n in result.notes], ""]
    return "\n".join(out)


def render_html(result: DiffResult, templates: Optional[str | Path] = None) -> str:
    """One self-contained HTML file; the template autoescapes every user text."""
    from bench.formatting import template_environment

    try:
        template = template_environment(templates).get_template("diff.html.j2")
    except Exception as exc:  # a user's template folder may lack or break the file
        raise BenchError(f"template diff.html.j2: {exc}") from None
    return template.render(
        heading=_heading(result),
        sources=_sources(result),
        warnings=result.warnings,
        kind=result.kind,
        show_config=result.kind == "variants" or bool(result.config_changes),
        config_lines=_config_lines(result),
        columns=_columns(result),
        rows=display_rows(result),
        summary=_summary_line(result),
        mcnemar=_mcnemar_text(result),
        per_class_text=_per_class_text(result),
        per_class=_per_class_rows(result),
        a_label=result.a.label,
        b_label=result.b.label,
        notes=result.notes,
        bench_version=bench.__version__,
    )


def render(result: DiffResult, fmt: str = "table") -> str:
    """The diff in one of :data:`FORMATS`."""
    if fmt == "table":
        return render_table(result)
    if fmt == "md":
        return render_markdown(result)
    if fmt == "html":
        return render_html(result)
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    raise BenchError(f"--format: {fmt!r} is not allowed — allowed: {', '.join(FORMATS)}")
