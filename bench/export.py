"""``bench export``: a store's runs as CSV, JSON or Parquet, or logged to MLflow.

One row per run, the metrics as columns, so results leave bench for a notebook,
a spreadsheet or a tracking server without anyone reading SQLite.  Planned runs
that have not been trained yet are not rows (``bench list`` counts them).  The
resolved configuration can be added as flattened ``config.*`` columns, so a
table can be grouped by any setting.

MLflow is optional (``pip install 'bench[mlflow]'``): each suite becomes an
experiment with one parent run holding the report, and one child run per
(variant, seed) with the flattened configuration as params, the final metrics,
and the per-epoch history as steps.  Exporting twice adds only runs not exported
before (each child carries its bench key as the tag ``bench.key``).

Never imports TensorFlow.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterable, Optional

from bench.errors import BenchError
from bench.files import atomic_path, write_text_atomic
from bench.manifest import manifest_columns
from bench.status import Status

if TYPE_CHECKING:  # pandas is imported when a table is made, not when the CLI starts
    import pandas as pd

__all__ = [
    "FORMATS",
    "MlflowSummary",
    "export_mlflow",
    "export_runs",
    "flatten",
    "metrics_table",
    "runs_table",
]

FORMATS = ("csv", "json", "parquet")
_ID_COLUMNS = ["suite", "variant", "seed", "key", "status", "task"]
_TAIL_COLUMNS = ["started_at", "finished_at", "host", "error"]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys: ``{"model": {"dense": [64]}}`` → ``{"model.dense": "[64]"}``.

    Mappings are walked; lists stay whole, as JSON text, because a list (of blocks, of
    dense widths) is one setting a person changes as a unit.
    """
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (list, tuple)):
        out[prefix] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        out[prefix] = value
    return out


def runs_table(
    store_path: str | Path, suite: Optional[str] = None, with_config: bool = False
) -> "pd.DataFrame":
    """Every trained run of a store: identifiers, status, one column per metric, times, host.

    Metrics come in the metric table's order (then any a user's model recorded, by name).
    Times are UTC timestamps.  ``with_config`` adds the resolved configuration as
    ``config.<key path>`` columns and each run's reproducibility manifest as ``manifest.*``.
    """
    import pandas as pd

    from bench import results

    found = results.load(store_path, suite, predictions=False, history=False)
    runs = found.finished.reset_index(drop=True)
    manifests = found.run_manifests if with_config else {}
    table = runs[
        [c for c in _ID_COLUMNS if c in runs]
        + found.metric_names
        + [c for c in _TAIL_COLUMNS if c in runs]
    ].copy()
    table["seed"] = table["seed"].astype("int64")
    for column in ("started_at", "finished_at"):
        if column in table:
            table[column] = pd.to_datetime(table[column], unit="s", utc=True)
    if with_config and len(runs):
        config = pd.DataFrame(
            [
                flatten(json.loads(text or "{}"), "config") | manifest_columns(manifests.get(key))
                for text, key in zip(runs["config"], runs["key"])
            ]
        )
        for column in config.columns:  # mixed None/str/int columns: keep them as text
            if config[column].map(type).nunique() > 1:
                config[column] = config[column].map(lambda v: None if v is None else str(v))
        table = pd.concat([table, config], axis=1)
    return table


def metrics_table(
    store_path: str | Path, suite: Optional[str] = None, lang: str = "en"
) -> "pd.DataFrame":
    """What each metric column of :func:`runs_table` is: one row per recorded metric with its
    label (in ``lang``), kind, unit, direction, whether it is a cost and how seeds aggregate,
    all from the metric table (:mod:`bench.metrics`)."""
    import pandas as pd

    from bench import formatting, results, words
    from bench import metrics as metric_table

    lang = words.check_lang(lang)
    found = results.load(store_path, suite, predictions=False, history=False)
    rows = []
    for name in found.metric_names:
        metric = metric_table.get(name)
        rows.append({
            "name": name, "label": metric.label(lang), "kind": metric.kind.value,
            "unit": formatting.unit(name, lang), "direction": metric.direction.value,
            "cost": metric.cost, "aggregate": metric.aggregate.value, "task": metric.task,
        })  # fmt: skip
    columns = ["name", "label", "kind", "unit", "direction", "cost", "aggregate", "task"]
    return pd.DataFrame(rows, columns=columns)


def export_runs(
    store_path: str | Path,
    fmt: str = "csv",
    out: Optional[str | Path] = None,
    *,
    suite: Optional[str] = None,
    with_config: bool = False,
    stream: Optional[IO[str]] = None,
    describe_metrics: bool = False,
    lang: str = "en",
) -> Optional[Path]:
    """Write :func:`runs_table` as ``fmt`` to ``out`` (or to ``stream``/stdout); return ``out``.

    ``describe_metrics`` writes :func:`metrics_table` instead: what each metric column is.
    """
    if fmt not in FORMATS:
        raise BenchError(f"--format: {fmt!r} is not allowed — choose one of: {', '.join(FORMATS)}")
    if describe_metrics:
        table = metrics_table(store_path, suite, lang)
    else:
        table = runs_table(store_path, suite, with_config)
    if fmt == "parquet":
        if out is None:
            raise BenchError("--format parquet writes a binary file: give --out FILE.parquet")
        try:
            import pyarrow  # noqa: F401  (pandas' Parquet engine)
        except ImportError:
            raise BenchError(
                "--format parquet needs pyarrow: "
                "pip install 'bench[parquet]' (or pip install pyarrow)"
            ) from None
        path = Path(out)
        with atomic_path(path) as temporary:
            table.to_parquet(temporary, index=False)
        return path
    if fmt == "csv":
        text = table.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    else:
        records = json.loads(table.to_json(orient="records", date_format="iso", force_ascii=False))
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        (stream or sys.stdout).write(text)
        return None
    return write_text_atomic(Path(out), text)


# -- MLflow ---------------------------------------------------------------------------------
@dataclass
class MlflowSummary:
    """What one export did, for the command's one-line answer."""

    tracking_uri: str
    experiment: str
    logged: int
    skipped: int

    def line(self) -> str:
        return (
            f"mlflow: {self.logged} run(s) logged, {self.skipped} already there — "
            f"experiment {self.experiment!r} at {self.tracking_uri}"
        )


_STATUS = {
    Status.OK.value: "FINISHED", Status.FAILED.value: "FAILED",
    Status.DIVERGED.value: "FAILED", Status.BUDGET.value: "KILLED",
}  # fmt: skip
_BATCH = 100  # MLflow accepts at most 100 params (1000 metrics) per log_batch call


def export_mlflow(
    store_path: str | Path,
    tracking_uri: Optional[str] = None,
    *,
    suite: Optional[str] = None,
    experiment: Optional[str] = None,
    report: Optional[str | Path] = None,
) -> MlflowSummary:
    """Log a store's runs to an MLflow tracking store (``sqlite:///mlflow.db``, a server, ...).

    ``tracking_uri`` defaults to MLflow's own (``MLFLOW_TRACKING_URI`` or its default);
    ``experiment`` to ``bench/<suite>``; ``report`` to the report.html beside the store
    (rendered into a temporary folder when there is none).
    """
    mlflow, entities, MlflowException = _import_mlflow()
    from bench import results

    store_path = Path(store_path)
    found = results.load(store_path, suite, predictions=False)
    definition, name, runs, history = found.definition, found.name, found.finished, found.history
    uri = tracking_uri or mlflow.get_tracking_uri()
    experiment = experiment or f"bench/{name}"
    try:
        client = mlflow.tracking.MlflowClient(tracking_uri=uri)
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        existing = _existing_runs(client, experiment_id)
        parent = existing.get("suite")
        if parent is None:  # params are write-once in MLflow: only a new parent gets them
            parent = client.create_run(
                experiment_id, run_name=name, tags={"bench.suite": name, "bench.role": "suite"}
            ).info.run_id
            params = [entities.Param(k, _param(v)) for k, v in _suite_params(definition).items()]
            client.log_batch(parent, params=params)
        _log_report(client, parent, store_path, report, name)
        client.set_terminated(parent, "FINISHED")
        logged = skipped = 0
        for run in runs.to_dict("records"):
            if run["key"] in existing:
                skipped += 1
                continue
            _log_run(client, entities, experiment_id, parent, name, run, history)
            logged += 1
    except MlflowException as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BenchError(f"--mlflow {uri}: {message}") from None
    return MlflowSummary(uri, experiment, logged, skipped)


def _import_mlflow() -> tuple[Any, Any, type[Exception]]:
    try:
        import mlflow
        import mlflow.tracking
        from mlflow import entities
        from mlflow.exceptions import MlflowException
    except ImportError:
        raise BenchError(
            "--mlflow needs MLflow: pip install 'bench[mlflow]' (or pip install mlflow)"
        ) from None
    return mlflow, entities, MlflowException


def _existing_runs(client: Any, experiment_id: str) -> dict[str, str]:
    """bench key (or "suite" for the parent) → MLflow run id, for runs exported before."""
    out: dict[str, str] = {}
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for run in page:
            tags = run.data.tags
            if tags.get("bench.role") == "suite":
                out.setdefault("suite", run.info.run_id)
            elif "bench.key" in tags:
                out[tags["bench.key"]] = run.info.run_id
        token = page.token
        if not token:
            return out


def _log_run(
    client: Any,
    entities: Any,
    experiment_id: str,
    parent: str,
    suite: str,
    run: dict[str, Any],
    history: "pd.DataFrame",
) -> None:
    from bench.results import RUN_COLUMNS

    started = _millis(run.get("started_at"))
    tags = {
        "mlflow.parentRunId": parent,
        "bench.suite": suite,
        "bench.variant": str(run["variant"]),
        "bench.seed": str(int(run["seed"])),
        "bench.key": str(run["key"]),
        "bench.status": str(run["status"]),
    }
    if run.get("host"):
        tags["bench.host"] = str(run["host"])
    if run.get("error"):
        tags["bench.error"] = str(run["error"])[-4000:]
    created = client.create_run(
        experiment_id,
        start_time=started,
        tags=tags,
        run_name=f"{run['variant']} seed {int(run['seed'])}",
    )
    run_id = created.info.run_id
    config = json.loads(run.get("config") or "{}")
    params = {"variant": run["variant"], "seed": int(run["seed"]), **flatten(config)}
    param_list = [entities.Param(k[:250], _param(v)) for k, v in params.items()]
    for chunk in _chunks(param_list, _BATCH):
        client.log_batch(run_id, params=chunk)
    finished = _millis(run.get("finished_at")) or started
    metrics = [
        entities.Metric(name, float(run[name]), finished, 0)
        for name in sorted(run)
        if name not in RUN_COLUMNS
        and isinstance(run[name], (int, float))
        and math.isfinite(float(run[name]))
    ]
    mine = history[history["run_key"] == run["key"]] if len(history) else history
    for row in mine.itertuples(index=False):
        if row.value is not None and math.isfinite(float(row.value)):
            # per-epoch values: "epoch_accuracy" etc., so they never collide with the test metrics
            metrics.append(
                entities.Metric(
                    f"epoch_{row.name}", float(row.value), started or finished, int(row.epoch)
                )
            )
    for chunk in _chunks(metrics, 1000):
        client.log_batch(run_id, metrics=chunk)
    client.set_terminated(run_id, _STATUS.get(run["status"], "FAILED"), end_time=finished)


def _log_report(
    client: Any, run_id: str, store_path: Path, report: Optional[str | Path], suite: str
) -> None:
    """The suite's report.html/report.md as artifacts of the parent run."""
    folder = Path(report).parent if report else store_path.parent
    files = [Path(report)] if report else [folder / "report.html", folder / "report.md"]
    files = [f for f in files if f.is_file()]
    if files:
        for path in files:
            client.log_artifact(run_id, str(path), artifact_path="report")
        if (folder / "figures").is_dir():
            client.log_artifacts(run_id, str(folder / "figures"), artifact_path="report/figures")
        return
    from bench.report import render_report

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for path in render_report(store_path, out_dir=tmp, suite_name=suite):
            client.log_artifact(run_id, str(path), artifact_path="report")
        client.log_artifacts(run_id, str(Path(tmp) / "figures"), artifact_path="report/figures")


def _suite_params(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "suite": definition["name"],
        "baseline": definition.get("baseline", "base"),
        "variants": ", ".join(v["name"] for v in definition.get("variants", [])),
        "alpha": definition.get("alpha", 0.05),
        "min_effect": definition.get("min_effect", 0.0),
    }


def _param(value: Any) -> str:
    text = "None" if value is None else str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."


def _millis(seconds: Any) -> Optional[int]:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return None
    return int(value * 1000) if math.isfinite(value) and value > 0 else None


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
