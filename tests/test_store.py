"""The results store: records, resume bookkeeping, failures, schema versions."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from bench.errors import BenchError
from bench.store import SCHEMA_VERSION, ResultStore, RunResult, load_results


def make_result(key: str, variant: str = "base", seed: int = 0, status: str = "ok", accuracy: float = 0.9) -> RunResult:
    return RunResult(
        key=key, suite="s", variant=variant, seed=seed, config={"train": {"epochs": 2}},
        status=status, error=None if status == "ok" else "Traceback...\nValueError: boom",
        metrics={"accuracy": accuracy, "flops": 1000.0, "loss": float("nan")},
        history={"loss": [1.0, 0.5], "val_accuracy": [0.5, 0.8]},
        predictions={"y_true": np.array([0, 1, 2], np.int16), "y_pred": np.array([0, 2, 2], np.int16)},
        started_at=1.0, finished_at=2.0, host="h", versions={"tensorflow": "x"},
    )


def test_record_and_read_back(tmp_path):
    path = tmp_path / "r" / "results.sqlite"
    with ResultStore(path) as store:
        store.save_suite("s", "S", "s.yaml", {"name": "s", "variants": []},
                         [("base", 0, "k0"), ("base", 1, "k1"), ("tanh", 0, "k2")])
        store.record(make_result("k0", accuracy=0.91))
        store.record(make_result("k2", variant="tanh", status="failed"))
        frame = store.runs_frame("s")
        assert list(frame["status"]) == ["ok", "missing", "failed"]
        assert frame.loc[0, "accuracy"] == pytest.approx(0.91)
        assert np.isnan(frame.loc[0, "loss"])  # NaN survives as missing, not as an error
        assert store.finished_keys() == {"k0"}  # failed runs are retried
        arrays = store.predictions("k0")
        assert arrays["y_pred"].tolist() == [0, 2, 2]
        history = store.history_frame(["k0"])
        assert history[history.name == "val_accuracy"]["value"].tolist() == [0.5, 0.8]
        assert store.suite_definition()["title"] == "S"
        assert store.integrity_ok()
    assert len(load_results(path)) == 3


def test_rerecord_replaces_and_delete_forgets(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.record(make_result("k", status="failed"))
        store.record(make_result("k", accuracy=0.5))
        assert store.finished_keys() == {"k"}
        rows = store._db.execute("SELECT COUNT(*) FROM metrics WHERE run_key='k'").fetchone()[0]
        assert rows == 3
        assert store.delete_runs(["k"]) >= 1
        assert store.finished_keys() == set()
        assert store._db.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 0


def test_diverged_and_budget_runs_are_final(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.record(make_result("a", status="diverged"))
        store.record(make_result("b", status="budget"))
        assert store.finished_keys() == {"a", "b"}


def test_refuses_newer_schema_and_foreign_files(tmp_path):
    path = tmp_path / "r.sqlite"
    ResultStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value=? WHERE name='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(BenchError, match="newer than this bench understands"):
        ResultStore(path)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE x (y)")
    db.commit()
    db.close()
    with pytest.raises(BenchError, match="not a bench results store"):
        ResultStore(other)
    (tmp_path / "text.sqlite").write_text("hello, this is not sqlite at all" * 10)
    with pytest.raises(BenchError, match="not a bench results store"):
        ResultStore(tmp_path / "text.sqlite")
    with pytest.raises(BenchError, match="no results store here"):
        ResultStore(tmp_path / "absent.sqlite", create=False)


def test_wal_mode(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
