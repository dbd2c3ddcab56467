"""bench export (CSV, JSON, Parquet, MLflow) and bench.load_results, on stores built in the test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.errors import BenchError
from bench.export import export_runs, flatten, runs_table


def test_runs_table_is_one_row_per_run_with_metrics_as_columns(synthetic_store: Path) -> None:
    table = runs_table(synthetic_store)
    assert len(table) == 4 and list(table.columns[:5]) == [
        "suite",
        "variant",
        "seed",
        "key",
        "status",
    ]
    assert {"accuracy", "top5_accuracy", "loss", "flops", "params", "train_seconds"} <= set(
        table.columns
    )
    assert "config" not in table.columns and table["accuracy"].between(0, 1).all()
    assert str(table["finished_at"].dt.tz) == "UTC"
    with_config = runs_table(synthetic_store, with_config=True)
    assert set(with_config["config.model.activation"]) == {"relu", "tanh"}
    assert json.loads(with_config["config.model.blocks"].iloc[0])[0]["filters"] == 4


def test_flatten_keeps_lists_whole() -> None:
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": None}) == {
        "a.b": 1,
        "a.c": "[1, 2]",
        "d": None,
    }


def test_csv_json_and_parquet_round_trip(synthetic_store: Path, tmp_path: Path, capsys) -> None:
    expected = runs_table(synthetic_store)
    csv = export_runs(synthetic_store, "csv", tmp_path / "runs.csv")
    frame = pd.read_csv(csv)
    assert frame.shape == expected.shape
    assert frame["accuracy"].tolist() == pytest.approx(expected["accuracy"].tolist())
    assert export_runs(synthetic_store, "json") is None
    records = json.loads(capsys.readouterr().out)
    assert (
        len(records) == 4
        and records[0]["variant"] == "base"
        and records[0]["finished_at"].startswith("1970")
    )
    pytest.importorskip("pyarrow")
    parquet = export_runs(synthetic_store, "parquet", tmp_path / "runs.parquet", with_config=True)
    back = pd.read_parquet(parquet)
    assert back.shape[0] == 4 and back["accuracy"].tolist() == pytest.approx(
        expected["accuracy"].tolist()
    )
    assert "config.train.batch_size" in back.columns
    with pytest.raises(BenchError, match="give --out FILE.parquet"):
        export_runs(synthetic_store, "parquet")
    with pytest.raises(BenchError, match="--format: 'xls' is not allowed"):
        export_runs(synthetic_store, "xls")


def test_cli_export(synthetic_store: Path, tmp_path: Path, capsys) -> None:
    from bench.cli import main

    assert main(["export", str(synthetic_store), "--out", str(tmp_path / "r.json")]) == 0
    assert len(json.loads((tmp_path / "r.json").read_text())) == 4  # format from the extension
    assert main(["export", str(synthetic_store.parent)]) == 0  # the store's folder works too
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("suite,variant,seed,key,status,")
    assert main(["export", str(tmp_path / "none.sqlite")]) == 2
    assert (
        main(["export", str(synthetic_store), "--mlflow", "sqlite:///x.db", "--out", "a.csv"]) == 2
    )
    assert main(["export", str(synthetic_store), "--experiment", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("bench: error:") == 3 and "Traceback" not in err
    # COCO JSON of detection runs: needs --out, mixes with no other output, --variant/--seed only with it
    assert main(["export", str(synthetic_store), "--detections"]) == 2
    assert "--detections needs --out DIR" in capsys.readouterr().err
    assert main(["export", str(synthetic_store), "--detections", "--format", "csv", "--out", str(tmp_path)]) == 2
    assert "leave out --format" in capsys.readouterr().err
    assert main(["export", str(synthetic_store), "--seed", "1"]) == 2
    assert "--variant and --seed only apply with --detections" in capsys.readouterr().err


@pytest.mark.slow
def test_load_results_is_re_exported_lazily(synthetic_store: Path) -> None:
    code = (
        "import sys, bench; assert 'pandas' not in sys.modules; "
        f"frame = bench.load_results({str(synthetic_store)!r}); print(len(frame))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "4", done.stderr
    import bench

    assert "load_results" in bench.__all__ and bench.load_results(synthetic_store).shape[0] == 4


def test_mlflow_missing_is_a_one_line_error(synthetic_store: Path, monkeypatch) -> None:
    from bench.export import export_mlflow

    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now raises ImportError
    with pytest.raises(BenchError, match=r"pip install 'bench\[mlflow\]'"):
        export_mlflow(synthetic_store, "sqlite:///unused.db")


@pytest.mark.slow
def test_mlflow_logs_runs_history_and_report(
    synthetic_store: Path, tmp_path: Path, monkeypatch
) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from bench.export import export_mlflow
    from bench.report import render_report

    monkeypatch.chdir(tmp_path)  # MLflow puts artifacts of a sqlite store under ./mlruns
    render_report(synthetic_store)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    summary = export_mlflow(synthetic_store, uri)
    assert (summary.logged, summary.skipped, summary.experiment) == (4, 0, "bench/tiny")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("bench/tiny")
    runs = client.search_runs([experiment.experiment_id])
    parent = next(r for r in runs if r.data.tags.get("bench.role") == "suite")
    children = [r for r in runs if "bench.key" in r.data.tags]
    assert len(children) == 4
    assert all(r.data.tags["mlflow.parentRunId"] == parent.info.run_id for r in children)
    tanh = next(r for r in children if r.data.tags["bench.variant"] == "tanh")
    assert (
        tanh.data.params["model.activation"] == "tanh"
        and tanh.data.params["train.batch_size"] == "32"
    )
    assert 0 < tanh.data.metrics["accuracy"] <= 1 and tanh.info.status == "FINISHED"
    steps = client.get_metric_history(tanh.info.run_id, "epoch_val_accuracy")
    assert sorted(m.step for m in steps) == [1, 2]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "report")}
    assert {"report/report.html", "report/report.md"} <= artifacts
    again = export_mlflow(synthetic_store, uri)
    assert (again.logged, again.skipped) == (0, 4)
